//! The benchmark networks, shared by the benches (`inference.rs`, `steps.rs`) and read by
//! `tools/bench_table.py`, which builds the same chains in PyTorch from this text: keep each
//! layer of a chain a `torch.nn` constructor call, one `network!` block, unnamed layers or
//! `name = ...`. ResNet-8 is not a chain: `tools/bench_table.py` builds it from the PyTorch
//! module of `tools/gen_graph_fixtures.py` (the same `state_dict` keys).

use staticnn::network;
use staticnn::network::Network;
use staticnn::tensor::Tensor;

network! {
    /// The CIFAR-10 classifier of PyTorch's "Training a classifier" tutorial.
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

    /// LeNet-5 of PyTorch's "Neural Networks" tutorial.
    pub struct LeNet: [1, 32, 32] {
        Conv2d(1, 6, 5), ReLU(), MaxPool2d(2),
        Conv2d(6, 16, 5), ReLU(), MaxPool2d(2),
        Flatten(),
        Linear(400, 120), ReLU(),
        Linear(120, 84), ReLU(),
        Linear(84, 10),
    }

    /// A two-layer perceptron on MNIST-sized inputs.
    pub struct Mlp: [784] {
        Linear(784, 256), ReLU(),
        Linear(256, 10),
    }

    /// DS-CNN (keyword spotting): a strided convolution, four depthwise-separable blocks.
    pub struct DsCnn: [1, 49, 10] {
        Conv2d(1, 64, (10, 4), stride = 2, padding = (5, 1)), BatchNorm2d(64), ReLU(),
        Conv2d(64, 64, 3, padding = 1, groups = 64), BatchNorm2d(64), ReLU(),
        Conv2d(64, 64, 1), BatchNorm2d(64), ReLU(),
        Conv2d(64, 64, 3, padding = 1, groups = 64), BatchNorm2d(64), ReLU(),
        Conv2d(64, 64, 1), BatchNorm2d(64), ReLU(),
        Conv2d(64, 64, 3, padding = 1, groups = 64), BatchNorm2d(64), ReLU(),
        Conv2d(64, 64, 1), BatchNorm2d(64), ReLU(),
        Conv2d(64, 64, 3, padding = 1, groups = 64), BatchNorm2d(64), ReLU(),
        Conv2d(64, 64, 1), BatchNorm2d(64), ReLU(),
        AvgPool2d((25, 5)),
        Flatten(),
        Linear(64, 12),
    }

    /// ResNet's basic block: conv-BN-ReLU-conv-BN plus the shortcut (a strided 1x1
    /// projection when the shape changes), then ReLU.
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

    /// ResNet-8 (MLPerf Tiny's image classifier), as `tests/graphs.rs` declares it.
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

/// The input every bench feeds a network: a fixed ramp in [-1, 1).
pub fn bench_input<N: Network>() -> Tensor<N::Input> {
    Tensor::from_fn(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0)
}

/// Calls `$m!(Type)` for each benchmark network, in the table's order.
#[macro_export]
macro_rules! for_each_net {
    ($m:ident) => {
        $m!(Cifar10Net);
        $m!(LeNet);
        $m!(DsCnn);
        $m!(Mlp);
        $m!(ResNet8);
    };
}
