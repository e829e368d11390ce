use staticnn::network;

network! {
    pub struct Zero: [3, 16 - 16, 32] {
        ReLU(),
    }
    pub struct Negative: [3, 32, 16 - 2 * 16] {
        ReLU(),
    }
}

fn main() {}
