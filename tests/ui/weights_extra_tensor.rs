use staticnn::network;

network! {
    #[staticnn(weights = "../weights/extra_tensor.safetensors")]
    pub struct TinyNet: [1, 8, 8] {
        conv = Conv2d(1, 4, 3),
        bn = BatchNorm2d(4),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        fc = Linear(36, 5),
    }
}

fn main() {}
