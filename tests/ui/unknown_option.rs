use staticnn::network;

network! {
    #[staticnn(prefx = "model1")]
    pub struct Net: [4] {
        Linear(4, 2),
    }
}

fn main() {}
