use staticnn::network;

network! {
    pub struct Net: [3, 8, 8] {
        Add({ conv = Conv2d(3, 3, 3, padding = 1) }),
    }
}

fn main() {}
