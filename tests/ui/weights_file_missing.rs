use staticnn::network;

network! {
    #[staticnn(weights = "../weights/no_such_file.safetensors")]
    pub struct Net: [4] {
        Linear(4, 2),
    }
}

fn main() {}
