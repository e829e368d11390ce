use staticnn::network;

network! {
    pub struct Net: [3, 32, 32] {
        Conv2d(3, 64 / 3, 5),
    }
}

fn main() {}
