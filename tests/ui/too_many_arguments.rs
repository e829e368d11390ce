use staticnn::network;

network! {
    pub struct Net: [16] {
        Linear(16, 8, True, 4),
    }
}

fn main() {}
