use staticnn::network;

network! {
    pub struct Net: [3, 32, 32] {
        Conv2d(3, 6, 5, padding = 4 / (2 - 2)),
    }
}

fn main() {}
