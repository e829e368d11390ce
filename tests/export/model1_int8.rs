network! {
    /// Model1 quantized to int8 by PyTorch (tools/gen_int8_export.py).
    #[staticnn(prefix = "model1", quantized = "int8", weights = "tests/export/model1_int8.safetensors")]
    pub struct Model1Int8: [784] {
        Linear(784, 256),
        ReLU(),
        Linear(256, 10),
    }
}
