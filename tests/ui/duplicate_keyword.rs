use staticnn::network;

network! {
    pub struct Net: [3, 16, 16] {
        Conv2d(3, 8, 3, stride = 1, stride = 2),
        Conv2d(8, 8, 3, 1, padding = 1, stride = 2),
    }
}

fn main() {}
