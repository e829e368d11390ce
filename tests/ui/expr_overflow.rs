use staticnn::network;

network! {
    pub struct Net: [3, 8, 8] {
        Flatten(),
        Linear(192, 4294967296 * 4294967296),
    }
}

fn main() {}
