use staticnn::network;

network! {
    pub struct Net: [6, 16, 16] {
        Conv2d(6, 9, 3, groups = 4),
    }
}

fn main() {}
