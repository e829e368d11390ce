//! Compile-time weights: `#[staticnn(weights = "..")]` embeds a `.safetensors` file and
//! `trained()` returns the network from read-only memory, equal to what PyTorch computes.

use safetensors::SafeTensors;
use staticnn::network;
use staticnn::tensor::Tensor;

network! {
    /// A small net with a batch norm folded into its convolution, trained weights compiled in.
    #[staticnn(weights = "tests/weights/tiny.safetensors")]
    pub struct TinyNet: [1, 8, 8] {
        conv = Conv2d(1, 4, 3),
        bn = BatchNorm2d(4),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        fc = Linear(36, 5),
    }
}

fn floats(file: &SafeTensors, name: &str) -> Vec<f32> {
    let view = file.tensor(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

#[test]
fn trained_network_matches_pytorch() {
    let bytes = std::fs::read("tests/weights/tiny_io.safetensors").expect("fixture");
    let io = SafeTensors::deserialize(&bytes).expect("valid fixture");
    let input = Tensor::try_from_slice(&floats(&io, "input")).expect("input size");
    let want = floats(&io, "output");
    let got = TinyNet::trained().forward(&input);
    for (g, w) in got.as_slice().iter().zip(&want) {
        assert!((g - w).abs() <= 1e-5 * (1.0 + w.abs()), "got {g}, PyTorch {w}");
    }
}

#[test]
fn trained_parameters_are_the_files_bit_for_bit() {
    let bytes = std::fs::read("tests/weights/tiny.safetensors").expect("fixture");
    let file = SafeTensors::deserialize(&bytes).expect("valid fixture");
    let mut seen = 0;
    TinyNet::trained().visit_parameters(&mut |key, dims, values| {
        let view = file.tensor(&key.to_string()).expect("declared tensor is in the file");
        assert_eq!(view.shape(), dims, "{key}");
        assert_eq!(values, floats(&file, &key.to_string()).as_slice(), "{key}");
        seen += 1;
    });
    assert_eq!(
        seen, 8,
        "conv: weight, bias; bn: weight, bias, running_mean, running_var; fc: weight, bias"
    );
}

#[test]
fn run_time_loading_gives_the_compiled_in_network() {
    let bytes = std::fs::read("tests/weights/tiny.safetensors").expect("fixture");
    let mut net = TinyNet::zeroed();
    net.load_safetensors(&bytes).expect("the file matches the network");
    let mut compiled = Vec::new();
    TinyNet::trained().visit_parameters(&mut |_, _, values| compiled.extend_from_slice(values));
    let mut loaded = Vec::new();
    net.visit_parameters(&mut |_, _, values| loaded.extend_from_slice(values));
    assert_eq!(compiled, loaded);
    // A file for another network is refused, and leaves this one unchanged.
    let other = std::fs::read("tests/weights/wrong_shape.safetensors").expect("fixture");
    let error = net.load_safetensors(&other).expect_err("fc.weight has the wrong shape");
    assert!(error.to_string().contains("fc.weight"), "{error}");
    let mut after = Vec::new();
    net.visit_parameters(&mut |_, _, values| after.extend_from_slice(values));
    assert_eq!(after, loaded);
}
