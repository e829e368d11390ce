use staticnn::network;

network! {
    pub struct Net: [8, 6, 6] {
        Mul(Identity(), { AdaptiveAvgPool2d(1), fc = Conv2d(8, 4, 1), Sigmoid() }),
    }
}

fn main() {}
