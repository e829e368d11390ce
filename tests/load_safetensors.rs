//! Weights saved by PyTorch (`tests/data/make_tiny_cnn.py`) load into a `network!` and give
//! PyTorch's output.

use staticnn::network;
use staticnn::safetensors::{LoadError, SafeTensors, load_safetensors};
use staticnn::tensor::Tensor;

network! {
    /// The model of `tests/data/make_tiny_cnn.py`.
    pub struct TinyCnn: [1, 12, 12] {
        Conv2d(1, 4, 3),
        ReLU(),
        MaxPool2d(2),
        Conv2d(4, 8, 3, padding = 1, bias = False),
        Flatten(),
        Linear(200, 10),
    }
}

network! {
    /// The same model with a different first layer, to see the mismatch reported.
    pub struct WiderCnn: [1, 12, 12] {
        Conv2d(1, 6, 3),
        ReLU(),
        MaxPool2d(2),
        Conv2d(6, 8, 3, padding = 1, bias = False),
        Flatten(),
        Linear(200, 10),
    }
}

/// `model.state_dict()` as `safetensors.torch.save_file` wrote it.
static WEIGHTS: &[u8] = include_bytes!("data/tiny_cnn.safetensors");
/// An input `x` and PyTorch's output `y` for it.
static EXAMPLE: &[u8] = include_bytes!("data/tiny_cnn_io.safetensors");

fn f32s(file: &SafeTensors<'_>, name: &str) -> Vec<f32> {
    file.tensor(name).unwrap().f32_values().unwrap().collect()
}

#[test]
fn loads_every_parameter_pytorch_saved() {
    let mut net = TinyCnn::zeroed();
    load_safetensors(&mut net, WEIGHTS).unwrap();
    let reference = safetensors::SafeTensors::deserialize(WEIGHTS).unwrap();
    let mut names = Vec::new();
    net.visit_parameters(&mut |name, dims, values| {
        let t = reference.tensor(&name.to_string()).unwrap();
        assert_eq!(t.shape(), dims, "{name}");
        let expected: Vec<f32> =
            t.data().chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
        assert_eq!(values, expected.as_slice(), "{name}");
        names.push(name.to_string());
    });
    assert_eq!(names, ["0.weight", "0.bias", "3.weight", "5.weight", "5.bias"]);
    let view = SafeTensors::parse(WEIGHTS).unwrap();
    assert_eq!(
        view.metadata().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>(),
        [("format".to_string(), "pt".to_string())]
    );
}

#[test]
fn loaded_network_gives_pytorchs_output() {
    let mut net = TinyCnn::zeroed();
    load_safetensors(&mut net, WEIGHTS).unwrap();
    let example = SafeTensors::parse(EXAMPLE).unwrap();
    let x = Tensor::try_from_slice(&f32s(&example, "x")).unwrap();
    let y = net.forward(&x);
    for (got, want) in y.as_slice().iter().zip(f32s(&example, "y")) {
        assert!((got - want).abs() <= 1e-5 * want.abs().max(1.0), "{got} vs {want}");
    }
}

#[test]
fn another_architecture_is_refused_with_a_useful_message() {
    let mut net = WiderCnn::zeroed();
    let e = load_safetensors(&mut net, WEIGHTS).unwrap_err();
    assert!(matches!(e, LoadError::ShapeMismatch { expected: [6, 1, 3, 3], .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "tensor `0.weight` has shape [4, 1, 3, 3] in the file but the network declares \
         [6, 1, 3, 3]; the layer's arguments in `network!` differ from the saved model's"
    );
    // Nothing was written.
    net.visit_parameters(&mut |name, _, values| {
        assert!(values.iter().all(|&v| v == 0.0), "{name}")
    });
}

#[test]
fn truncated_download_is_refused() {
    let mut net = TinyCnn::zeroed();
    let e = load_safetensors(&mut net, &WEIGHTS[..WEIGHTS.len() - 1]).unwrap_err();
    assert!(matches!(e, LoadError::OffsetsOutOfBounds { .. }), "{e:?}");
    assert!(e.to_string().contains("truncated"), "{e}");
}
