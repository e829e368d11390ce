network! {
    /// SqueezeExcite quantized to int8 by PyTorch (tools/gen_int8_export.py).
    #[staticnn(quantized = "int8", weights = "tests/export/squeeze_excite_int8.safetensors")]
    pub struct SqueezeExciteInt8: [3, 6, 6] {
        conv = Conv2d(3, 8, 3, padding = 1),
        ReLU(),
        se = Mul(
            Identity(),
            {
                AdaptiveAvgPool2d(1),
                fc1 = Conv2d(8, 2, 1),
                ReLU(),
                fc2 = Conv2d(2, 8, 1),
                Sigmoid(),
            },
        ),
    }
}
