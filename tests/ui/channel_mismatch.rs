use staticnn::network;

network! {
    pub struct Net: [3, 32, 32] {
        Conv2d(3, 383, 3),
        Conv2d(384, 16, 3),
    }
}

fn main() {}
