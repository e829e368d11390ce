use staticnn::network;
use staticnn::tensor::Tensor;

network! {
    /// DS-CNN keyword spotter.
    pub struct DsCnn: [1, 49, 10] {
        Conv2d(1, 64, (10, 4), stride = 2, padding = (5, 1)),
        BatchNorm2d(64),
        ReLU(),
        Conv2d(64, 64, 3, padding = 1, groups = 64),
        BatchNorm2d(64),
        ReLU(),
        Conv2d(64, 64, 1),
        BatchNorm2d(64),
        ReLU(),
        AvgPool2d((25, 5)),
        Flatten(),
        Linear(64, 12),
    }

    pub struct Everything: [3, 12, 12] {
        Conv2d(3, 8, 3, padding = "same", padding_mode = "reflect"),
        LeakyReLU(0.2),
        ConvTranspose2d(8, 4, 3, stride = 2, padding = 1, output_padding = 1),
        InstanceNorm2d(4, affine = True),
        GELU(approximate = "tanh"),
        MaxPool2d(2, ceil_mode = True),
        Upsample(scale_factor = 1.5, mode = "bilinear"),
        AdaptiveAvgPool2d((4, None)),
        Dropout(0.1),
        Identity(),
        Conv2d(4, 6, 3),
        ELU(),
        Hardswish(),
        Flatten(),
        LayerNorm(192),
        Softplus(beta = 2),
        Linear(192, 5),
        BatchNorm1d(5),
        Softmax(dim = 1),
    }
}

fn main() {
    let net = DsCnn::seeded(3);
    println!("{net}");
    let y = net.forward(&Tensor::from_fn(|i| (i % 13) as f32 / 13.0));
    println!("{:?} {} {}", y.as_slice(), DsCnn::MACS, DsCnn::SCRATCH_BYTES);
    let e = Everything::seeded(1);
    println!("{e}");
}
