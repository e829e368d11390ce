//! The CIFAR-10 classifier of PyTorch's "Training a classifier" tutorial, declared with
//! `network!`: prints it like `print(net)`, runs it one layer at a time printing the shape
//! after every stage, checks that the planned `forward` gives the same result, and prints a
//! summary like `torchinfo`.
//!
//! Run with `cargo run --release --example cifar10`.

use staticnn::layer::forward;
use staticnn::network;
use staticnn::network::LayerSummary;
use staticnn::shape::Shape;
use staticnn::tensor::Tensor;

network! {
    /// The CIFAR-10 classifier from the tutorial.
    pub struct Cifar10Net: [3, 32, 32] {
        Conv2d(3, 32, 5, 1, 2),
        MaxPool2d(2),
        Conv2d(32, 32, kernel_size = 5, padding = 2),
        MaxPool2d(2),
        conv3 = Conv2d(32, 64, 5, 1, 2),
        MaxPool2d(2),
        Flatten(),
        Linear(1024, 64),
        Linear(64, 10),
    }
}

/// Prints one stage: the layer as PyTorch prints it, and the shape of what it produced.
fn stage<S: Shape>(layer: &LayerSummary, output: &Tensor<S>) {
    println!("  ({:>5}) {:<68} -> {:?}", layer.name, layer.repr, output.dims());
}

fn main() {
    let net = Cifar10Net::seeded(0);
    println!("{net}\n");

    // A deterministic stand-in for a normalised 32 x 32 RGB image.
    let image = Tensor::from_fn(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0);
    println!("input -> {:?}", image.dims());

    // Each field is a typed layer; its output type is computed from its input type.
    let l = Cifar10Net::LAYERS;
    let x = forward(&net.layer0, &image);
    stage(&l[0], &x);
    let x = forward(&net.layer1, &x);
    stage(&l[1], &x);
    let x = forward(&net.layer2, &x);
    stage(&l[2], &x);
    let x = forward(&net.layer3, &x);
    stage(&l[3], &x);
    let x = forward(&net.conv3, &x);
    stage(&l[4], &x);
    let x = forward(&net.layer5, &x);
    stage(&l[5], &x);
    let x = forward(&net.layer6, &x);
    stage(&l[6], &x);
    let x = forward(&net.layer7, &x);
    stage(&l[7], &x);
    let logits = forward(&net.layer8, &x);
    stage(&l[8], &logits);

    // The planned forward pass (one scratch buffer, fused steps) computes the same thing.
    let planned = net.forward(&image);
    assert_eq!(planned, logits, "layer-by-layer and planned forward disagree");
    println!("\nlogits: {:?}", logits.as_slice());
    println!("predicted class: {}", logits.argmax());

    println!(
        "\n{:<8} {:>16} {:>10} {:>12} {:>12}",
        "layer", "output", "params", "MACs", "act. bytes"
    );
    for layer in Cifar10Net::LAYERS {
        let shape = format!("{:?}", layer.output_shape);
        println!(
            "{:<8} {:>16} {:>10} {:>12} {:>12}",
            layer.name, shape, layer.params, layer.macs, layer.activation_bytes
        );
    }
    println!("\nexecution plan (fused steps):");
    for (i, step) in Cifar10Net::STEPS.iter().enumerate() {
        println!("  step {i}: ({}) {} — {} MACs", step.layers, step.name, step.macs);
    }
    println!(
        "total: {} parameters, {} MACs per inference, {} bytes of scratch",
        Cifar10Net::PARAMS,
        Cifar10Net::MACS,
        Cifar10Net::SCRATCH_BYTES
    );
}
