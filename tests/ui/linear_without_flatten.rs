use staticnn::network;

network! {
    pub struct Net: [3, 16, 16] {
        Conv2d(3, 8, 5),
        MaxPool2d(2),
        Linear(288, 10),
    }
}

fn main() {}
