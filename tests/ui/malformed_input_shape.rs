use staticnn::network;

network! {
    pub struct Empty: [] {
        ReLU(),
    }
    pub struct ZeroSized: [3, 0, 32] {
        ReLU(),
    }
    pub struct TooManyDims: [1, 2, 3, 4, 5] {
        ReLU(),
    }
}

fn main() {}
