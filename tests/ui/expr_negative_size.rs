use staticnn::network;

network! {
    pub struct Net: [3, 32, 32] {
        Conv2d(3, 6, kernel_size = (3 - 5, 3)),
    }
}

fn main() {}
