use staticnn::network;

network! {
    pub struct Net: [3, 8, 8] {
        Conv2d(3, 8, 3),
        MaxPool2d(2),
        MaxPool2d(kernel_size = (2, 5)),
    }
}

fn main() {}
