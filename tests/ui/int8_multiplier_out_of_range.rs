use staticnn::network;

network! {
    #[staticnn(quantized = "int8", weights = "../weights/int8_multiplier_out_of_range.safetensors")]
    pub struct DigitsInt8: [1, 8, 8] {
        Conv2d(1, 16, 3, padding = 1),
        ReLU(),
        MaxPool2d(2),
        Conv2d(16, 32, 3, padding = 1),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(128, 10),
    }
}

fn main() {}
