//! LeNet from PyTorch's "Neural Networks" tutorial (a 1 x 32 x 32 input), declared with
//! `network!`: prints it like `print(net)`, runs it one layer at a time printing the shape
//! after every stage, and checks the planned `forward` against the layer-by-layer result.
//!
//! Run with `cargo run --release --example lenet`.

use staticnn::layer::forward;
use staticnn::network;
use staticnn::network::LayerSummary;
use staticnn::shape::Shape;
use staticnn::tensor::Tensor;

network! {
    /// LeNet-5 as in the tutorial: two convolutions with max pooling, three linear layers.
    pub struct LeNet: [1, 32, 32] {
        conv1 = Conv2d(1, 6, 5),
        ReLU(),
        MaxPool2d(2),
        conv2 = Conv2d(6, 16, 5),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        fc1 = Linear(16 * 5 * 5, 120), // as the tutorial writes it
        ReLU(),
        fc2 = Linear(120, 84),
        ReLU(),
        fc3 = Linear(84, 10),
    }
}

fn stage<S: Shape>(layer: &LayerSummary, output: &Tensor<S>) {
    println!("  ({:>5}) {:<60} -> {:?}", layer.name, layer.repr, output.dims());
}

fn main() {
    let net = LeNet::seeded(1);
    println!("{net}\n");

    let image = Tensor::from_fn(|i| ((i * 7919 % 256) as f32 / 128.0) - 1.0);
    println!("input -> {:?}", image.dims());

    let l = LeNet::LAYERS;
    let x = forward(&net.conv1, &image);
    stage(&l[0], &x);
    let x = forward(&net.layer1, &x);
    stage(&l[1], &x);
    let x = forward(&net.layer2, &x);
    stage(&l[2], &x);
    let x = forward(&net.conv2, &x);
    stage(&l[3], &x);
    let x = forward(&net.layer4, &x);
    stage(&l[4], &x);
    let x = forward(&net.layer5, &x);
    stage(&l[5], &x);
    let x = forward(&net.layer6, &x);
    stage(&l[6], &x);
    let x = forward(&net.fc1, &x);
    stage(&l[7], &x);
    let x = forward(&net.layer8, &x);
    stage(&l[8], &x);
    let x = forward(&net.fc2, &x);
    stage(&l[9], &x);
    let x = forward(&net.layer10, &x);
    stage(&l[10], &x);
    let logits = forward(&net.fc3, &x);
    stage(&l[11], &logits);

    let planned = net.forward(&image);
    assert_eq!(planned, logits, "layer-by-layer and planned forward disagree");
    println!("\nlogits: {:?}", logits.as_slice());
    println!("predicted class: {}", logits.argmax());
    println!(
        "{} parameters, {} MACs per inference, {} bytes of scratch",
        LeNet::PARAMS,
        LeNet::MACS,
        LeNet::SCRATCH_BYTES
    );
}
