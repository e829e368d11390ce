network! {
    /// Mlp, exported by tools/export.py (tools/gen_export_roundtrip.py).
    #[staticnn(weights = "tests/export/mlp.safetensors")]
    pub struct Mlp: [784] {
        Linear(784, 256),
        ReLU(),
        Linear(256, 10),
    }
}
