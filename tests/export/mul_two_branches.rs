network! {
    /// MulTwoBranches, exported by tools/export.py (tools/gen_export_graph_roundtrip.py).
    #[staticnn(weights = "tests/export/mul_two_branches.safetensors")]
    pub struct MulTwoBranches: [2, 5, 6] {
        Mul(
            { conv_a = Conv2d(2, 4, 3, padding = 1), Tanh() },
            { conv_b = Conv2d(2, 4, 3, padding = 1), Sigmoid() },
        ),
    }
}
