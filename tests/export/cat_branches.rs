network! {
    /// CatBranches, exported by tools/export.py (tools/gen_export_graph_roundtrip.py).
    #[staticnn(weights = "tests/export/cat_branches.safetensors")]
    pub struct CatBranches: [3, 7, 6] {
        Cat(
            branch1 = Conv2d(3, 4, 1),
            branch2 = [Conv2d(3, 2, 1), ReLU(), Conv2d(2, 5, 3, padding = 1)],
            branch3 = [MaxPool2d(3, stride = 1, padding = 1), Conv2d(3, 3, 1)],
            dim = 1,
        ),
    }
}
