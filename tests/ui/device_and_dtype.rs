use staticnn::network;

network! {
    pub struct Net: [8] {
        Linear(8, 4, dtype = "float64"),
    }
}

fn main() {}
