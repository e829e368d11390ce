use staticnn::network;

network! {
    pub struct Net: [3, 16, 16] {
        Conv2d(3, 8, kernel_size = 3, 2),
    }
}

fn main() {}
