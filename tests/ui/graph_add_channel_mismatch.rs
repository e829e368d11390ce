use staticnn::network;

network! {
    pub struct Net: [16, 8, 8] {
        Add(Identity(), { conv1 = Conv2d(16, 32, 3, padding = 1) }),
    }
}

fn main() {}
