use staticnn::network;

network! {
    pub struct Net: [3, 16, 16] {
        Conv2D(3, 8, 3),
        Flaten(),
    }
}

fn main() {}
