use staticnn::network;

// The file's output zero point of conv 0 is 100 (tools/make_int8_weight_test_files.py): the
// Hardtanh fused into it would clamp at [242, 314], past int8's 127.
network! {
    #[staticnn(quantized = "int8", weights = "../weights/int8_activation_out_of_range.safetensors")]
    pub struct DigitsInt8: [1, 8, 8] {
        Conv2d(1, 16, 3, padding = 1),
        Hardtanh(2.0, 3.0),
        MaxPool2d(2),
        Conv2d(16, 32, 3, padding = 1),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(128, 10),
    }
}

fn main() {}
