use staticnn::network;

network! {
    pub struct Net: [16, 32, 32] {
        Add(
            { conv1 = Conv2d(16, 32, 3, stride = 2, padding = 1), ReLU(), conv2 = Conv2d(32, 32, 3, padding = 1) },
            shortcut = Conv2d(16, 32, 1),
        ),
    }
}

fn main() {}
