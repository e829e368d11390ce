//! Branching networks round-tripped through `tools/export.py`: each declaration below is
//! exactly what the exporter printed (residual adds, concatenations, multiplies, nested
//! modules, with the weights compiled in), so the macro checks every exported tensor's name and
//! shape at compile time, and the outputs must equal PyTorch's within `1e-5 * (1 + |want|)`.
//! The PyTorch modules are in `tools/gen_graph_fixtures.py` (ResNet-8, the MobileNetV2-style
//! net, the Cat and Mul cases) and `tools/gen_export_graph_roundtrip.py` (a torchvision-style
//! ResNet, and a residual network exported from a model's attribute with its key prefix).
//! The README's ResNet-8, written by hand with a `block`, reads the exported ResNet-8's file
//! and gives the same output. Regenerate with `python3 tools/gen_export_graph_roundtrip.py`.

use safetensors::SafeTensors;
use staticnn::network;
use staticnn::network::Network;
use staticnn::tensor::Tensor;

mod resnet8 {
    use super::network;
    include!("export/resnet8.rs");
}
mod mobilenetv2_like {
    use super::network;
    include!("export/mobilenetv2_like.rs");
}
mod cat_branches {
    use super::network;
    include!("export/cat_branches.rs");
}
mod cat_with_input {
    use super::network;
    include!("export/cat_with_input.rs");
}
mod squeeze_excite {
    use super::network;
    include!("export/squeeze_excite.rs");
}
mod mul_two_branches {
    use super::network;
    include!("export/mul_two_branches.rs");
}
mod tv_resnet {
    use super::network;
    include!("export/tv_resnet.rs");
}
mod holder_body {
    use super::network;
    include!("export/holder_body.rs");
}

/// The README's ResNet-8, written by hand with a `block` definition, reading the file the
/// exporter wrote for the PyTorch module (whose declaration writes the blocks out).
mod readme_resnet8 {
    use super::network;
    network! {
        block BasicBlock(cin, cout, stride = 1) {
            Add(
                {
                    conv1 = Conv2d(cin, cout, 3, stride = stride, padding = 1),
                    bn1 = BatchNorm2d(cout),
                    ReLU(),
                    conv2 = Conv2d(cout, cout, 3, padding = 1),
                    bn2 = BatchNorm2d(cout),
                },
                shortcut = Conv2d(cin, cout, 1, stride = stride) if stride != 1 else Identity(),
            ),
            ReLU(),
        }

        #[staticnn(weights = "tests/export/resnet8.safetensors")]
        pub struct ResNet8: [3, 32, 32] {
            conv1 = Conv2d(3, 16, 3, padding = 1),
            bn1 = BatchNorm2d(16),
            ReLU(),
            stack1 = BasicBlock(16, 16),
            stack2 = BasicBlock(16, 32, stride = 2),
            stack3 = BasicBlock(32, 64, stride = 2),
            pool = AvgPool2d(8),
            Flatten(),
            fc = Linear(64, 10),
        }
    }
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

/// Every key of a weights file, sorted.
fn file_keys(stem: &str) -> Vec<String> {
    let bytes = std::fs::read(format!("tests/export/{stem}.safetensors")).expect("weights");
    let file = SafeTensors::deserialize(&bytes).expect("valid weights");
    let mut keys: Vec<String> = file.names().into_iter().map(String::from).collect();
    keys.sort();
    keys
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
            let net = $module::$net::trained();
            let x = Tensor::try_from_slice(&input).expect("input size");
            assert_close(net.forward(&x).as_slice(), &want, $stem);
            // The declaration's keys are the file's (the macro checked each one it declares).
            let mut keys = Vec::new();
            net.visit_parameters(&mut |key, _, _| keys.push(key.to_string()));
            keys.sort();
            assert_eq!(keys, file_keys($stem), "{}: state_dict keys", $stem);
        }
    };
}

roundtrip!(resnet8_round_trips, resnet8::ResNet8, "resnet8");
roundtrip!(readme_resnet8_with_blocks_reads_the_exported_file, readme_resnet8::ResNet8, "resnet8");
roundtrip!(mobilenetv2_like_round_trips, mobilenetv2_like::MobileNetV2Like, "mobilenetv2_like");
roundtrip!(cat_branches_round_trips, cat_branches::CatBranches, "cat_branches");
roundtrip!(cat_with_input_round_trips, cat_with_input::CatWithInput, "cat_with_input");
roundtrip!(squeeze_excite_round_trips, squeeze_excite::SqueezeExcite, "squeeze_excite");
roundtrip!(mul_two_branches_round_trips, mul_two_branches::MulTwoBranches, "mul_two_branches");
roundtrip!(torchvision_style_resnet_round_trips, tv_resnet::TvResNet, "tv_resnet");
roundtrip!(
    graph_in_an_attribute_round_trips_with_its_prefix,
    holder_body::HolderBody,
    "holder_body"
);

/// The exported ResNet-8 is the README's: same parameter count, keys where PyTorch has them.
#[test]
fn resnet8_keys_are_pytorchs() {
    assert_eq!(resnet8::ResNet8::PARAMS, 78_186);
    assert_eq!(<resnet8::ResNet8 as Network>::OUTPUT_SHAPE, &[10]);
    let keys = file_keys("resnet8");
    for key in ["stack2.shortcut.weight", "stack3.bn2.running_var", "fc.bias", "bn1.weight"] {
        assert!(keys.contains(&key.to_string()), "{key} missing from {keys:?}");
    }
}
