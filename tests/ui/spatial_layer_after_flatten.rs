use staticnn::network;

network! {
    pub struct Net: [3, 16, 16] {
        Conv2d(3, 8, 3),
        Flatten(),
        MaxPool2d(2),
    }
}

fn main() {}
