network! {
    /// HolderBody, exported by tools/export.py (tools/gen_export_graph_roundtrip.py).
    #[staticnn(prefix = "body", weights = "tests/export/holder_body.safetensors")]
    pub struct HolderBody: [4, 8, 8] {
        Add(
            Identity(),
            { conv1 = Conv2d(4, 4, 3, padding = 1), ReLU(), conv2 = Conv2d(4, 4, 3, padding = 1) },
        ),
        ReLU(),
    }
}
