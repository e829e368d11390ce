use staticnn::network;

network! {
    #[staticnn(weights = "../weights/not_safetensors.safetensors")]
    pub struct Net: [4] {
        Linear(4, 2),
    }
}

fn main() {}
