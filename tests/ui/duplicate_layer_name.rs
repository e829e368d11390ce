use staticnn::network;

network! {
    pub struct Net: [3, 16, 16] {
        conv = Conv2d(3, 8, 3),
        ReLU(),
        conv = Conv2d(8, 8, 3),
        layer1 = ReLU(),
    }
}

fn main() {}
