use staticnn::network;

network! {
    pub struct Net: [3, 8, 8] {
        block = Add(Identity(), { Conv2d(3, 3, 3, padding = 1), ReLU() }),
    }
}

fn main() {}
