//! The trained digits network gives PyTorch's prediction for every held-out image, with logits
//! within `|got - want| <= 1e-5 * (1 + |want|)`.

#[path = "../examples/digits/net.rs"]
mod net;

use net::DigitsNet;
use staticnn::kernels::isa;
use staticnn::tensor::Tensor;

#[test]
fn every_test_image_matches_pytorch() {
    let samples = net::test_set(include_bytes!("../examples/digits/test_set.bin")).unwrap();
    let torch = net::torch_outputs(include_bytes!("../examples/digits/torch_logits.bin")).unwrap();
    assert_eq!(samples.len(), 360);
    assert_eq!(torch.len(), samples.len());
    // At every instruction-set level of the kernels this build can run on this CPU.
    for level in isa::available() {
        isa::with_level(level, || check_level(level.name(), &samples, &torch));
    }
}

fn check_level(level: &str, samples: &[net::Sample], torch: &[net::TorchOutput]) {
    let net = DigitsNet::trained();
    let mut worst = 0.0f32;
    let mut correct = 0;
    for (i, (sample, want)) in samples.iter().zip(torch).enumerate() {
        let got = net.forward(&Tensor::try_from_slice(&sample.pixels).unwrap());
        for (g, w) in got.as_slice().iter().zip(&want.logits) {
            let err = (g - w).abs() / (1.0 + w.abs());
            worst = worst.max(err);
            assert!(err <= 1e-5, "{level}: image {i}: logit {g} vs PyTorch {w}");
        }
        assert_eq!(got.argmax(), usize::from(want.predicted), "{level}: image {i}");
        correct += usize::from(got.argmax() == usize::from(sample.label));
    }
    println!("{level}: worst relative logit error {worst:e}; accuracy {correct}/360");
    assert_eq!(correct, 353, "the accuracy PyTorch reported (98.06 %)");
}
