use staticnn::network;

network! {
    pub struct Net: [3, 16, 16] {}
}

fn main() {}
