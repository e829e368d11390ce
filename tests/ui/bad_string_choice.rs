use staticnn::network;

network! {
    pub struct Net: [3, 16, 16] {
        Conv2d(3, 8, 3, padding_mode = "zero"),
        Conv2d(8, 8, 3, padding = "full"),
    }
}

fn main() {}
