//! int8 networks against PyTorch's quantized models (`prepare_pt2e`/`convert_pt2e`, exported by
//! `tools/export.py --quantize int8`): the declarations are the float ones plus
//! `#[staticnn(quantized = "int8", weights = ..)]`.
//!
//! PyTorch's converted model computes each layer in `f32` between a dequantize and a quantize,
//! with `f32` biases; staticnn computes with integers only (CMSIS-NN's arithmetic, checked bit
//! for bit against CMSIS-NN itself in `core/tests/int8_cmsis.rs`). The two agree on the input's
//! quantization exactly, and on the outputs within a few quantization steps (rounding
//! differences of one step per layer compound; `tools/export_int8.py` measured up to 3 steps on
//! the CIFAR-10 net with an independent integer emulation), with the same predicted class.

#[path = "../examples/digits/net.rs"]
#[allow(dead_code)]
mod float_digits;

use safetensors::SafeTensors;
use staticnn::kernels::isa;
use staticnn::network;
use staticnn::tensor::Tensor;

network! {
    /// The digit classifier quantized to int8 by PyTorch (tools/quantize_digits.py).
    #[staticnn(quantized = "int8", weights = "examples/digits/digits_int8.safetensors")]
    pub struct DigitsInt8: [1, 8, 8] {
        Conv2d(1, 16, 3, padding = 1),
        ReLU(),
        MaxPool2d(2),
        Conv2d(16, 32, 3, padding = 1),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(128, 10),
    }
}

mod cifar10 {
    use super::network;
    include!("export/cifar10_int8.rs");
}
mod cifar10_float {
    use super::network;
    include!("export/cifar10.rs");
}
mod lenet {
    use super::network;
    include!("export/lenet_int8.rs");
}
mod model1 {
    use super::network;
    include!("export/model1_int8.rs");
}

mod resnet8 {
    use super::network;
    include!("export/resnet8_int8.rs");
}

mod resnet8_float {
    use super::network;
    include!("export/resnet8.rs");
}

mod mobilenetv2_like {
    use super::network;
    include!("export/mobilenetv2_like_int8.rs");
}

mod squeeze_excite {
    use super::network;
    include!("export/squeeze_excite_int8.rs");
}

mod mul_two_branches {
    use super::network;
    include!("export/mul_two_branches_int8.rs");
}

mod tv_resnet {
    use super::network;
    include!("export/tv_resnet_int8.rs");
}

mod holder_body {
    use super::network;
    include!("export/holder_body_int8.rs");
}

/// A tensor of a fixture file, as `f32` or `i8` values.
fn read(file: &SafeTensors, name: &str) -> (Vec<usize>, Vec<u8>) {
    let view = file.tensor(name).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    (view.shape().to_vec(), view.data().to_vec())
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

fn i8s(bytes: &[u8]) -> Vec<i8> {
    bytes.iter().map(|&b| b as i8).collect()
}

/// The largest distance, in quantization steps, between two int8 outputs.
fn max_steps(got: &[i8], want: &[i8]) -> i32 {
    got.iter().zip(want).map(|(&g, &w)| (i32::from(g) - i32::from(w)).abs()).max().unwrap_or(0)
}

fn argmax(values: &[i8]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}

/// Checks an int8 network against a PyTorch reference file (`input`, `input_int8`, `output`,
/// `output_int8`, each with a batch dimension): the input quantized exactly as PyTorch does,
/// every int8 output within `steps` of PyTorch's, and the same predicted class (where PyTorch's
/// two largest outputs are more than `2 * steps` apart, so the test does not depend on ties).
macro_rules! check_reference {
    ($net:ty, $file:literal, $steps:expr) => {{
        let bytes = std::fs::read($file).expect("reference file");
        let file = SafeTensors::deserialize(&bytes).expect("valid reference");
        let (shape, input) = read(&file, "input");
        let input = f32s(&input);
        let want_q = i8s(&read(&file, "input_int8").1);
        let want_out = i8s(&read(&file, "output_int8").1);
        let want_f = f32s(&read(&file, "output").1);
        let batch = shape[0];
        let (n_in, n_out) = (input.len() / batch, want_out.len() / batch);
        let net = <$net>::trained();
        let mut worst = 0;
        for b in 0..batch {
            let x = Tensor::try_from_slice(&input[b * n_in..(b + 1) * n_in]).expect("input");
            let q = <$net>::quantize_input(&x);
            assert_eq!(
                q.as_slice(),
                &want_q[b * n_in..(b + 1) * n_in],
                "sample {b}: input quantization"
            );
            let got = net.forward_int8(&q);
            let want = &want_out[b * n_out..(b + 1) * n_out];
            let steps = max_steps(got.as_slice(), want);
            worst = worst.max(steps);
            assert!(
                steps <= $steps,
                "sample {b}: {steps} steps from PyTorch: {:?} vs {want:?}",
                got.as_slice()
            );
            let mut sorted: Vec<i32> = want.iter().map(|&v| i32::from(v)).collect();
            sorted.sort_unstable();
            if sorted[sorted.len() - 1] - sorted[sorted.len().saturating_sub(2)] > 2 * $steps {
                assert_eq!(argmax(got.as_slice()), argmax(want), "sample {b}: predicted class");
            }
            // The f32 entry point is the int8 one between a quantize and a dequantize.
            let y = net.forward(&x);
            let deq = <$net>::dequantize_output(&got);
            assert_eq!(
                y.as_slice(),
                deq.as_slice(),
                "sample {b}: forward = dequantize(forward_int8)"
            );
            let scale = <$net>::OUTPUT_QUANTIZATION.scale;
            for (g, w) in y.as_slice().iter().zip(&want_f[b * n_out..(b + 1) * n_out]) {
                assert!(
                    (g - w).abs() <= scale * ($steps as f32 + 0.01),
                    "sample {b}: {g} vs PyTorch {w}"
                );
            }
        }
        println!("{}: worst {worst} steps over {batch} samples", stringify!($net));
        worst
    }};
}

#[test]
fn digits_int8_matches_pytorchs_quantized_model_on_every_test_image() {
    let samples =
        float_digits::test_set(include_bytes!("../examples/digits/test_set.bin")).unwrap();
    let bytes = include_bytes!("../examples/digits/torch_int8_logits.bin");
    // The same layout as `torch_logits.bin`, magic `DGQL`: PyTorch's int8 model's prediction
    // and dequantized logits per image.
    assert_eq!(&bytes[..4], b"DGQL");
    let count = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    assert_eq!(count, samples.len());
    for level in isa::available() {
        isa::with_level(level, || digits_at_this_level(level.name(), &samples, bytes));
    }
}

/// The digits test set at the active instruction-set level.
fn digits_at_this_level(level: &str, samples: &[float_digits::Sample], bytes: &[u8]) {
    let net = DigitsInt8::trained();
    let scale = DigitsInt8::OUTPUT_QUANTIZATION.scale;
    let (mut correct, mut same, mut worst) = (0, 0, 0.0f32);
    for (i, sample) in samples.iter().enumerate() {
        let record = &bytes[12 + i * 41..12 + (i + 1) * 41];
        let predicted = usize::from(record[0]);
        let logits = f32s(&record[1..]);
        let got = net.forward(&Tensor::try_from_slice(&sample.pixels).unwrap());
        for (g, w) in got.as_slice().iter().zip(&logits) {
            worst = worst.max((g - w).abs() / scale);
        }
        same += usize::from(got.argmax() == predicted);
        correct += usize::from(got.argmax() == usize::from(sample.label));
    }
    println!(
        "digits int8 at {level}: {correct}/360 correct, {same}/360 as PyTorch's int8 model, worst {worst:.3} steps"
    );
    assert!(worst <= 1.001, "a logit is {worst} steps from PyTorch's int8 model");
    assert_eq!(same, samples.len(), "every prediction equals PyTorch's int8 model's");
    assert_eq!(correct, 353, "PyTorch's int8 accuracy (98.06 %)");
}

#[test]
fn digits_int8_reference_samples() {
    for level in isa::available() {
        println!("at {}:", level.name());
        isa::with_level(level, || {
            check_reference!(DigitsInt8, "examples/digits/digits_int8_io.safetensors", 1)
        });
    }
}

#[test]
fn cifar10_int8_reference_samples() {
    for level in isa::available() {
        println!("at {}:", level.name());
        isa::with_level(level, || {
            check_reference!(cifar10::Cifar10NetInt8, "tests/export/cifar10_int8_io.safetensors", 3)
        });
    }
}

#[test]
fn lenet_int8_reference_samples() {
    for level in isa::available() {
        println!("at {}:", level.name());
        isa::with_level(level, || {
            check_reference!(lenet::LeNetInt8, "tests/export/lenet_int8_io.safetensors", 2)
        });
    }
}

#[test]
fn int8_with_a_prefix_reference_samples() {
    for level in isa::available() {
        println!("at {}:", level.name());
        isa::with_level(level, || {
            check_reference!(model1::Model1Int8, "tests/export/model1_int8_io.safetensors", 2)
        });
    }
}

#[test]
fn resnet8_int8_reference_samples() {
    check_reference!(resnet8::ResNet8Int8, "tests/export/resnet8_int8_io.safetensors", 1);
}

#[test]
fn mobilenetv2_like_int8_reference_samples() {
    check_reference!(
        mobilenetv2_like::MobileNetV2LikeInt8,
        "tests/export/mobilenetv2_like_int8_io.safetensors",
        1
    );
}

#[test]
fn squeeze_excite_int8_reference_samples() {
    check_reference!(
        squeeze_excite::SqueezeExciteInt8,
        "tests/export/squeeze_excite_int8_io.safetensors",
        1
    );
}

#[test]
fn mul_two_branches_int8_reference_samples() {
    check_reference!(
        mul_two_branches::MulTwoBranchesInt8,
        "tests/export/mul_two_branches_int8_io.safetensors",
        1
    );
}

#[test]
fn tv_resnet_int8_reference_samples() {
    check_reference!(tv_resnet::TvResNetInt8, "tests/export/tv_resnet_int8_io.safetensors", 1);
}

#[test]
fn int8_graph_with_a_prefix_reference_samples() {
    check_reference!(
        holder_body::HolderBodyInt8,
        "tests/export/holder_body_int8_io.safetensors",
        1
    );
}

/// The int8 CIFAR-10 net keeps its weights in under 150 KiB of flash.
#[test]
fn cifar10_int8_weights_fit_150_kib() {
    let bytes = core::mem::size_of::<cifar10::Cifar10NetInt8>();
    println!("CIFAR-10 int8: {bytes} bytes of weights, biases and requantization");
    assert!(bytes <= 150 * 1024);
}

/// The int8 CIFAR-10 net's parameters are about a quarter of the float net's, and its working
/// memory smaller (the float net fuses each convolution with its max pooling and never stores
/// the 32 x 32 x 32 map; the int8 net stores it, as bytes).
#[test]
fn cifar10_int8_is_smaller_than_float() {
    let (params_int8, params_f32) = (
        core::mem::size_of::<cifar10::Cifar10NetInt8>(),
        core::mem::size_of::<cifar10_float::Cifar10Net>(),
    );
    let (scratch_int8, scratch_f32) =
        (cifar10::Cifar10NetInt8::SCRATCH_BYTES, cifar10_float::Cifar10Net::SCRATCH_BYTES);
    println!("CIFAR-10 parameters: int8 {params_int8} B, f32 {params_f32} B");
    println!("CIFAR-10 scratch: int8 {scratch_int8} B, f32 {scratch_f32} B");
    assert!(params_int8 * 3 < params_f32);
    assert!(scratch_int8 < scratch_f32);
}

/// ResNet-8 (MLPerf Tiny) in int8 and in f32: parameters and the planned working memory.
#[test]
fn resnet8_int8_is_smaller_than_float() {
    let (params_int8, params_f32) = (
        core::mem::size_of::<resnet8::ResNet8Int8>(),
        core::mem::size_of::<resnet8_float::ResNet8>(),
    );
    let (scratch_int8, scratch_f32) =
        (resnet8::ResNet8Int8::SCRATCH_BYTES, resnet8_float::ResNet8::SCRATCH_BYTES);
    println!("ResNet-8 parameters: int8 {params_int8} B, f32 {params_f32} B");
    println!("ResNet-8 scratch: int8 {scratch_int8} B, f32 {scratch_f32} B");
    assert!(params_int8 * 3 < params_f32);
    assert!(scratch_int8 * 3 < scratch_f32);
}

/// The digit classifier's sizes in int8 and in f32 (printed for the README's table).
#[test]
fn digits_int8_is_smaller_than_float() {
    let (params_int8, params_f32) =
        (core::mem::size_of::<DigitsInt8>(), core::mem::size_of::<float_digits::DigitsNet>());
    let (scratch_int8, scratch_f32) =
        (DigitsInt8::SCRATCH_BYTES, float_digits::DigitsNet::SCRATCH_BYTES);
    println!("digits parameters: int8 {params_int8} B, f32 {params_f32} B");
    println!("digits scratch: int8 {scratch_int8} B, f32 {scratch_f32} B");
    assert!(params_int8 * 3 < params_f32);
    assert!(scratch_int8 < scratch_f32);
}
