network! {
    /// MulTwoBranches quantized to int8 by PyTorch (tools/gen_int8_export.py).
    #[staticnn(quantized = "int8", weights = "tests/export/mul_two_branches_int8.safetensors")]
    pub struct MulTwoBranchesInt8: [2, 5, 6] {
        Mul(
            { conv_a = Conv2d(2, 4, 3, padding = 1), Tanh() },
            { conv_b = Conv2d(2, 4, 3, padding = 1), Sigmoid() },
        ),
    }
}
