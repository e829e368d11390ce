network! {
    /// Model1, exported by tools/export.py (tools/gen_export_roundtrip.py).
    #[staticnn(prefix = "model1", weights = "tests/export/model1.safetensors")]
    pub struct Model1: [784] {
        Linear(784, 256),
        ReLU(),
        Linear(256, 10),
    }
}
