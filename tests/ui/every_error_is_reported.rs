use staticnn::network;

// Three independent mistakes: each is reported, and none causes a cascade below it.
network! {
    pub struct Net: [3, 32, 32] {
        Conv2d(4, 16, 5),
        MaxPool2d(2, padding = 2),
        Conv2d(16, 32, 5),
        Flatten(),
        Linear(100, 10),
    }
}

fn main() {}
