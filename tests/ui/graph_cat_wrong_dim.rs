use staticnn::network;

network! {
    pub struct Net: [3, 8, 8] {
        Cat(a = Conv2d(3, 4, 1), b = Conv2d(3, 4, 1), dim = 2),
    }
}

fn main() {}
