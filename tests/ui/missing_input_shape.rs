use staticnn::network;

network! {
    pub struct Net {
        ReLU(),
    }
}

fn main() {}
