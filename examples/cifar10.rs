use staticnn::network;

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

fn main() {
    let net = Cifar10Net::seeded(0);
    println!("{net}");
    let x = staticnn::tensor::Tensor::from_fn(|i| (i % 17) as f32 / 17.0);
    let y = net.forward(&x);
    println!("{:?} params={} macs={} scratch={}", y.as_slice(), Cifar10Net::PARAMS, Cifar10Net::MACS, Cifar10Net::SCRATCH_BYTES);
}
