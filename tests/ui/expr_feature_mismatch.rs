use staticnn::network;

// LeNet from PyTorch's tutorial, with a 28 x 28 input instead of 32 x 32: the flattened size
// is no longer 16 * 5 * 5.
network! {
    pub struct LeNet: [1, 28, 28] {
        Conv2d(1, 6, 5),
        ReLU(),
        MaxPool2d(2),
        Conv2d(6, 16, 5),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(16 * 5 * 5, 120),
        ReLU(),
        Linear(120, 84),
        ReLU(),
        Linear(84, 10),
    }
}

fn main() {}
