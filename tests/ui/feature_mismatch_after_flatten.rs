use staticnn::network;

network! {
    pub struct Net: [3, 32, 32] {
        Conv2d(3, 64, 5, 1, 2),
        MaxPool2d(8),
        Flatten(),
        Linear(1000, 10),
    }
}

fn main() {}
