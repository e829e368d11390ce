use staticnn::network;

network! {
    pub struct Net: [1, 28, 28] {
        Conv2d(3, 6, 5),
    }
}

fn main() {}
