//! Integer arithmetic in `network!`'s arguments and input shape, as PyTorch code writes sizes:
//! each network below equals the same network written with literals.

use staticnn::network;
use staticnn::tensor::Tensor;

network! {
    /// LeNet as PyTorch's "Neural Networks" tutorial writes it: `nn.Linear(16 * 5 * 5, 120)`.
    pub struct LeNetTutorial: [1, 32, 32] {
        conv1 = Conv2d(1, 6, 5),
        ReLU(),
        MaxPool2d((2, 2)),
        conv2 = Conv2d(6, 16, 5),
        ReLU(),
        MaxPool2d(2),
        Flatten(1),
        fc1 = Linear(16 * 5 * 5, 120),
        ReLU(),
        fc2 = Linear(120, 84),
        ReLU(),
        fc3 = Linear(84, 10),
    }

    /// The same network with every size a literal.
    pub struct LeNetLiterals: [1, 32, 32] {
        conv1 = Conv2d(1, 6, 5),
        ReLU(),
        MaxPool2d((2, 2)),
        conv2 = Conv2d(6, 16, 5),
        ReLU(),
        MaxPool2d(2),
        Flatten(1),
        fc1 = Linear(400, 120),
        ReLU(),
        fc2 = Linear(120, 84),
        ReLU(),
        fc3 = Linear(84, 10),
    }

    /// Every operator, in the input shape, in tuples, with parentheses, unary minus and
    /// Python's precedence; `(5)` is the integer 5, as in Python.
    pub struct Arithmetic: [3, 16 * 2, 64 / 2] {
        Conv2d(1 + 2, 2 * (3 + 1), kernel_size = (2 * 2 + 1, (5)), padding = 6 / 3 - 1 * 2),
        MaxPool2d(kernel_size = 2, stride = -(-2)),
        Flatten(start_dim = 2 - 1, end_dim = -1),
        Linear(8 * (32 - 4) / 2 * 14, 100 - 90),
        Softmax(dim = -2 + 3),
    }

    /// `Arithmetic` with literals.
    pub struct ArithmeticLiterals: [3, 32, 32] {
        Conv2d(3, 8, kernel_size = (5, 5), padding = 0),
        MaxPool2d(kernel_size = 2, stride = 2),
        Flatten(start_dim = 1, end_dim = -1),
        Linear(1568, 10),
        Softmax(dim = 1),
    }
}

#[test]
fn lenet_with_a_product_is_lenet() {
    assert_eq!(LeNetTutorial::PARAMS, 61_706); // sum(p.numel() for p in net.parameters())
    assert_eq!(LeNetTutorial::PARAMS, LeNetLiterals::PARAMS);
    assert_eq!(LeNetTutorial::MACS, LeNetLiterals::MACS);
    // PyTorch prints the evaluated value, as `print(net)` does.
    assert!(LeNetTutorial::TORCH_REPR.contains("(fc1): Linear(in_features=400, out_features=120"));
    assert_eq!(LeNetTutorial::TORCH_REPR, LeNetLiterals::TORCH_REPR);

    let input = Tensor::from_fn(|i| ((i * 37) % 101) as f32 / 50.0 - 1.0);
    let (a, b) = (LeNetTutorial::seeded(3), LeNetLiterals::seeded(3));
    assert_eq!(a.forward(&input).as_slice(), b.forward(&input).as_slice());
}

#[test]
fn every_operator_evaluates_like_python() {
    assert_eq!(Arithmetic::INPUT_SHAPE, &[3, 32, 32]);
    assert_eq!(Arithmetic::OUTPUT_SHAPE, &[10]);
    assert_eq!(Arithmetic::TORCH_REPR, ArithmeticLiterals::TORCH_REPR);
    assert_eq!(Arithmetic::PARAMS, ArithmeticLiterals::PARAMS);

    let input = Tensor::from_fn(|i| (i % 7) as f32 / 7.0);
    let (a, b) = (Arithmetic::seeded(5), ArithmeticLiterals::seeded(5));
    assert_eq!(a.forward(&input).as_slice(), b.forward(&input).as_slice());
}
