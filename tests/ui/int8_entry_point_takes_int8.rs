use staticnn::network;
use staticnn::tensor::Tensor;

network! {
    #[staticnn(quantized = "int8", weights = "../../examples/digits/digits_int8.safetensors")]
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

fn main() {
    let image = Tensor::from_fn(|i| i as f32 / 64.0);
    // `forward_int8` takes the quantized input (`DigitsInt8::quantize_input(&image)`).
    let _ = DigitsInt8::trained().forward_int8(&image);
}
