use staticnn::network;

const C: usize = 3;

network! {
    pub struct Net: [C, 32, 32] {
        ReLU(),
    }
}

fn main() {}
