use staticnn::network;

network! {
    pub struct Net: [3, 16, 16] {
        Conv2d(3, 8, kernal_size = 3),
    }
}

fn main() {}
