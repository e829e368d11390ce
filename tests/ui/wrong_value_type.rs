use staticnn::network;

network! {
    pub struct Net: [3, 16, 16] {
        Conv2d(3, 8, kernel_size = "3"),
        Conv2d(8, 8, 3, bias = 1),
        Conv2d(8, 8, kernel_size = (3, 3, 3)),
    }
}

fn main() {}
