use staticnn::network;

network! {
    pub struct Net: [3, 8, 8] {
        Cat([Conv2d(3, 4, 1)], [Conv2d(3, 4, 1)]),
    }
}

fn main() {}
