network! {
    /// Cifar10Net quantized to int8 by PyTorch (tools/gen_int8_export.py).
    #[staticnn(quantized = "int8", weights = "tests/export/cifar10_int8.safetensors")]
    pub struct Cifar10NetInt8: [3, 32, 32] {
        Conv2d(3, 32, 5, padding = 2),
        MaxPool2d(2),
        Conv2d(32, 32, 5, padding = 2),
        MaxPool2d(2),
        conv3 = Conv2d(32, 64, 5, padding = 2),
        MaxPool2d(2),
        Flatten(),
        Linear(1024, 64),
        Linear(64, 10),
    }
}
