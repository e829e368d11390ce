use staticnn::network;

network! {
    pub struct Net: [6, 8, 8] {
        BatchNorm2d(6, eps = 1e-5 * 2),
    }
}

fn main() {}
