network! {
    /// CatWithInput, exported by tools/export.py (tools/gen_export_graph_roundtrip.py).
    #[staticnn(weights = "tests/export/cat_with_input.safetensors")]
    pub struct CatWithInput: [3, 5, 5] {
        Cat(Identity(), { conv = Conv2d(3, 5, 3, padding = 1), ReLU() }, dim = 1),
    }
}
