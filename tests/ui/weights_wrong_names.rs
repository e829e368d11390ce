use staticnn::network;

// The file's keys are `conv.weight`, `bn.weight`, ...; these layers are unnamed (`0.weight`).
network! {
    #[staticnn(weights = "../weights/tiny.safetensors")]
    pub struct TinyNet: [1, 8, 8] {
        Conv2d(1, 4, 3),
        bn = BatchNorm2d(4),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        fc = Linear(36, 5),
    }
}

fn main() {}
