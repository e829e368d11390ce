use staticnn::network;

network! {
    pub struct Net: [3, 16, 16] {
        Conv2d(3, 0, 3),
        MaxPool2d(kernel_size = 2, stride = 0),
    }
}

fn main() {}
