use staticnn::network;

// A Hardtanh on its own (after the pool, not fused into the conv) shares its input's
// quantization: zero point 100 in this file puts [2.0, 3.0] past int8's 127.
network! {
    #[staticnn(quantized = "int8", weights = "../weights/int8_activation_out_of_range.safetensors")]
    pub struct DigitsInt8: [1, 8, 8] {
        Conv2d(1, 16, 3, padding = 1),
        MaxPool2d(2),
        Hardtanh(2.0, 3.0),
        Conv2d(16, 32, 3, padding = 1),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(128, 10),
    }
}

fn main() {}
