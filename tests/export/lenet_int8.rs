network! {
    /// LeNet quantized to int8 by PyTorch (tools/gen_int8_export.py).
    #[staticnn(quantized = "int8", weights = "tests/export/lenet_int8.safetensors")]
    pub struct LeNetInt8: [1, 32, 32] {
        Conv2d(1, 6, 5),
        ReLU(),
        MaxPool2d(2),
        Conv2d(6, 16, 5),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(400, 120),
        ReLU(),
        Linear(120, 84),
        ReLU(),
        Linear(84, 10),
    }
}
