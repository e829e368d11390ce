network! {
    /// Cifar10Net, exported by tools/export.py (tools/gen_export_roundtrip.py).
    #[staticnn(weights = "tests/export/cifar10.safetensors")]
    pub struct Cifar10Net: [3, 32, 32] {
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
