use staticnn::network;

network! {
    pub struct Net: [3, 16, 16] {
        Conv2d(3, 8, 3, stride = 2, padding = "same"),
    }
}

fn main() {}
