//! The tutorial networks round-tripped through `tools/export.py`: each declaration below is
//! exactly what the exporter printed (with the weights compiled in), so the macro checks every
//! exported tensor's name and shape at compile time, and the outputs must equal PyTorch's.
//! Regenerate with `python3 tools/gen_export_roundtrip.py`.

use safetensors::SafeTensors;
use staticnn::network;
use staticnn::tensor::Tensor;

mod lenet {
    use super::network;
    include!("export/lenet.rs");
}
mod cifar10 {
    use super::network;
    include!("export/cifar10.rs");
}
mod mlp {
    use super::network;
    include!("export/mlp.rs");
}
mod model1 {
    use super::network;
    include!("export/model1.rs");
}

/// The recorded input and PyTorch's output.
fn io(stem: &str) -> (Vec<f32>, Vec<f32>) {
    let bytes = std::fs::read(format!("tests/export/{stem}_io.safetensors")).expect("fixture");
    let file = SafeTensors::deserialize(&bytes).expect("valid fixture");
    let read = |name: &str| -> Vec<f32> {
        let view = file.tensor(name).expect("tensor in fixture");
        view.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
    };
    (read("input"), read("output"))
}

fn assert_close(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: output length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= 1e-5 * (1.0 + w.abs()), "{what}[{i}]: got {g}, PyTorch {w}");
    }
}

macro_rules! roundtrip {
    ($test:ident, $module:ident :: $net:ident, $stem:literal) => {
        #[test]
        fn $test() {
            let (input, want) = io($stem);
            let x = Tensor::try_from_slice(&input).expect("input size");
            let got = $module::$net::trained().forward(&x);
            assert_close(got.as_slice(), &want, $stem);
        }
    };
}

roundtrip!(lenet_round_trips, lenet::LeNet, "lenet");
roundtrip!(cifar10_round_trips, cifar10::Cifar10Net, "cifar10");
roundtrip!(mlp_round_trips, mlp::Mlp, "mlp");
roundtrip!(nested_model1_round_trips_with_its_prefix, model1::Model1, "model1");

#[test]
fn nested_keys_carry_the_attribute_prefix() {
    let mut keys = Vec::new();
    model1::Model1::trained().visit_parameters(&mut |key, _, _| keys.push(key.to_string()));
    assert_eq!(keys, ["model1.0.weight", "model1.0.bias", "model1.2.weight", "model1.2.bias"]);
}
