use staticnn::network;

network! {
    block Conv2d(c) { [Identity()] }
    pub struct Net: [4, 8, 8] {
        ReLU(),
    }
}

fn main() {}
