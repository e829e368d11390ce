network! {
    /// HolderBody quantized to int8 by PyTorch (tools/gen_int8_export.py).
    #[staticnn(prefix = "body", quantized = "int8", weights = "tests/export/holder_body_int8.safetensors")]
    pub struct HolderBodyInt8: [4, 8, 8] {
        Add(
            Identity(),
            { conv1 = Conv2d(4, 4, 3, padding = 1), ReLU(), conv2 = Conv2d(4, 4, 3, padding = 1) },
        ),
        ReLU(),
    }
}
