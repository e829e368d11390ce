use staticnn::network;

network! {
    pub struct Net: [3, 16, 16] {
        MaxPool2d(2, padding = 2),
    }
}

fn main() {}
