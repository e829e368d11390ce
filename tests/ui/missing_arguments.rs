use staticnn::network;

network! {
    pub struct Net: [3, 16, 16] {
        Conv2d(3, 8),
        MaxPool2d(),
    }
}

fn main() {}
