network! {
    /// SqueezeExcite, exported by tools/export.py (tools/gen_export_graph_roundtrip.py).
    #[staticnn(weights = "tests/export/squeeze_excite.safetensors")]
    pub struct SqueezeExcite: [3, 6, 6] {
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
