use staticnn::network;

network! {
    block Loop(c) { [Conv2d(c, c, 1), inner = Loop(c)] }
    pub struct Net: [4, 8, 8] {
        stack = Loop(4),
    }
}

fn main() {}
