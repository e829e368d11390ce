use staticnn::network;

network! {
    pub struct Net: [3, 16, 16] {
        Flatten(start_dim = 0),
    }
    pub struct Other: [3, 16, 16] {
        Flatten(1, 4),
    }
}

fn main() {}
