network! {
    /// LeNet, exported by tools/export.py (tools/gen_export_roundtrip.py).
    #[staticnn(weights = "tests/export/lenet.safetensors")]
    pub struct LeNet: [1, 32, 32] {
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
