//! Branching networks against PyTorch: residual adds (identity and projection shortcuts),
//! concatenations, multiplies (squeeze-and-excitation), nested and reused blocks, ResNet-8 and
//! a MobileNetV2-style net. Each case's PyTorch module is in `tools/gen_graph_fixtures.py`,
//! which writes `tests/fixtures/graph/<case>.safetensors`; the checks are the conformance
//! tests' (`common::check`): output within `1e-5 * (1 + |want|)`, `forward_into` on a used
//! scratch buffer bit-identical, every `state_dict` key, shape and order, `PARAMS`, `MACS`.

// The batch checks of `common` need batch fixtures; the batch test here compares with `forward`.
#[allow(dead_code)]
mod common;

use staticnn::network;
use staticnn::network::Network;
use staticnn::tensor::Tensor;

macro_rules! graph_case {
    ($case:ident, $net:ty) => {
        #[test]
        fn $case() {
            common::check::<$net>(concat!("graph/", stringify!($case)));
        }
    };
}

network! {
    /// `relu(x + conv2(relu(conv1(x))))`
    struct ResidualIdentity: [4, 8, 8] {
        Add(
            Identity(),
            { conv1 = Conv2d(4, 4, 3, padding = 1), ReLU(), conv2 = Conv2d(4, 4, 3, padding = 1) },
        ),
        ReLU(),
    }
}
graph_case!(residual_identity, ResidualIdentity);

network! {
    /// ResNet's basic block: a strided 1x1 projection on the shortcut when the shape changes,
    /// the identity otherwise (PyTorch's `nn.Identity()` holds no tensors either).
    block BasicBlock(cin, cout, stride = 1) {
        Add(
            {
                conv1 = Conv2d(cin, cout, 3, stride = stride, padding = 1),
                bn1 = BatchNorm2d(cout),
                ReLU(),
                conv2 = Conv2d(cout, cout, 3, padding = 1),
                bn2 = BatchNorm2d(cout),
            },
            shortcut = Conv2d(cin, cout, 1, stride = stride) if stride != 1 or cin != cout else Identity(),
        ),
        ReLU(),
    }

    struct ResidualProjection: [4, 9, 9] {
        block = BasicBlock(4, 8, stride = 2),
    }

    /// MLPerf Tiny's ResNet-8.
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
graph_case!(residual_projection, ResidualProjection);
graph_case!(resnet8, ResNet8);

network! {
    /// Three branches side by side.
    struct CatBranches: [3, 7, 6] {
        Cat(
            branch1 = Conv2d(3, 4, 1),
            branch2 = [Conv2d(3, 2, 1), ReLU(), Conv2d(2, 5, 3, padding = 1)],
            branch3 = [MaxPool2d(3, stride = 1, padding = 1), Conv2d(3, 3, 1)],
            dim = 1,
        ),
    }

    /// The input beside a convolution of it.
    struct CatWithInput: [3, 5, 5] {
        Cat(Identity(), { conv = Conv2d(3, 5, 3, padding = 1), ReLU() }),
    }
}
graph_case!(cat_branches, CatBranches);
graph_case!(cat_with_input, CatWithInput);

network! {
    /// A convolution, then squeeze-and-excitation.
    struct SqueezeExcite: [3, 6, 6] {
        conv = Conv2d(3, 8, 3, padding = 1),
        ReLU(),
        se = Mul(
            Identity(),
            {
                AdaptiveAvgPool2d(1),
                fc1 = Conv2d(8, 2, 1),
                ReLU(),
                fc2 = Conv2d(2, 8, 1),
                Sigmoid(),
            },
        ),
    }
}
graph_case!(squeeze_excite, SqueezeExcite);

network! {
    /// MobileNetV2's inverted residual body: 1x1 expand, 3x3 depthwise, 1x1 project.
    block Inverted(cin, cout, stride, expand) {
        conv = [
            Conv2d(cin, cin * expand, 1, bias = False),
            BatchNorm2d(cin * expand),
            ReLU6(),
            Conv2d(
                cin * expand,
                cin * expand,
                3,
                stride = stride,
                padding = 1,
                groups = cin * expand,
                bias = False,
            ),
            BatchNorm2d(cin * expand),
            ReLU6(),
        ],
        project = [Conv2d(cin * expand, cout, 1, bias = False), BatchNorm2d(cout)],
    }

    /// A small MobileNetV2-style net with squeeze-and-excitation in one block.
    struct MobileNetV2Like: [3, 32, 32] {
        features = [
            [Conv2d(3, 8, 3, stride = 2, padding = 1, bias = False), BatchNorm2d(8), ReLU6()],
            Add(Identity(), Inverted(8, 8, 1, 2)),
            Inverted(8, 16, 2, 3),
            Add(
                Identity(),
                {
                    conv = [
                        Conv2d(16, 48, 1, bias = False),
                        BatchNorm2d(48),
                        ReLU6(),
                        Conv2d(48, 48, 3, padding = 1, groups = 48, bias = False),
                        BatchNorm2d(48),
                        ReLU6(),
                    ],
                    se = Mul(
                        Identity(),
                        {
                            AdaptiveAvgPool2d(1),
                            fc1 = Conv2d(48, 12, 1),
                            ReLU(),
                            fc2 = Conv2d(12, 48, 1),
                            Sigmoid(),
                        },
                    ),
                    project = [Conv2d(48, 16, 1, bias = False), BatchNorm2d(16)],
                },
            ),
            Add(Identity(), Inverted(16, 16, 1, 2)),
        ],
        AdaptiveAvgPool2d(1),
        Flatten(),
        classifier = Linear(16, 10),
    }
}
graph_case!(mobilenetv2_like, MobileNetV2Like);

network! {
    /// An MLP residual.
    struct VectorResidual: [12] {
        Add(Identity(), { fc1 = Linear(12, 20), ReLU(), fc2 = Linear(20, 12) }),
        out = Linear(12, 3),
    }

    /// A residual inside a residual's branch, and an add of three branches.
    struct NestedResidual: [3, 6, 7] {
        Add(
            Identity(),
            Add(Identity(), { conv_a = Conv2d(3, 3, 3, padding = 1), ReLU(), conv_b = Conv2d(3, 3, 3, padding = 1) }),
            conv_c = Conv2d(3, 3, 1),
        ),
    }

    /// The output is the add of the input and a branch.
    struct InputSkipToOutput: [2, 5, 5] {
        Add(Identity(), conv = Conv2d(2, 2, 3, padding = 1)),
    }

    /// `tanh(conv_a(x)) * sigmoid(conv_b(x))`.
    struct MulTwoBranches: [2, 5, 6] {
        Mul(
            { conv_a = Conv2d(2, 4, 3, padding = 1), Tanh() },
            { conv_b = Conv2d(2, 4, 3, padding = 1), Sigmoid() },
        ),
    }
}
graph_case!(vector_residual, VectorResidual);
graph_case!(nested_residual, NestedResidual);
graph_case!(input_skip_to_output, InputSkipToOutput);
graph_case!(mul_two_branches, MulTwoBranches);

/// `Display` prints the module tree: blocks by their definition's name, layers by their key.
#[test]
fn display_prints_the_module_tree() {
    let text = ResidualProjection::default().to_string();
    let want = "Sequential(
  (block): BasicBlock(
    (conv1): Conv2d(4, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))
    (bn1): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    (relu): ReLU()
    (conv2): Conv2d(8, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    (bn2): BatchNorm2d(8, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    (shortcut): Conv2d(4, 8, kernel_size=(1, 1), stride=(2, 2))
    (relu_1): ReLU()
  )
)";
    assert_eq!(text, want);
}

/// A skip connection keeps its value alive while its branch runs; values that are dead share
/// memory. ResNet-8's scratch buffer is the largest set of values (and working memory) alive
/// at one step, as the planner's lower bound says.
#[test]
fn resnet8_scratch_is_the_planned_lower_bound() {
    let arena = ResNet8::__ARENA;
    println!(
        "ResNet-8: scratch {} bytes, lower bound {} bytes",
        ResNet8::SCRATCH_BYTES,
        arena.lower_bound
    );
    assert_eq!(arena.len, arena.lower_bound);
    assert_eq!(ResNet8::SCRATCH_BYTES, arena.len);
    assert_eq!(<ResNet8 as Network>::OUTPUT_SHAPE, &[10]);
}

/// `forward_batch` on a branching network gives, bit for bit, what `forward` gives each sample.
#[test]
fn forward_batch_matches_forward_on_a_graph() {
    let net = ResNet8::seeded(3);
    let inputs: [Tensor<<ResNet8 as Network>::Input>; 3] =
        core::array::from_fn(|n| Tensor::from_fn(|i| ((i * 7 + n * 13) % 23) as f32 / 23.0 - 0.5));
    let batch = net.forward_batch(&inputs);
    for (input, got) in inputs.iter().zip(&batch) {
        let want = net.forward(input);
        assert!(
            got.as_slice().iter().zip(want.as_slice()).all(|(a, b)| a.to_bits() == b.to_bits())
        );
    }
}

/// Each residual `Add` of ResNet-8, and the `ReLU` after it, runs inside the convolution that
/// computes its last operand (the second batch-normed convolution on the identity shortcut,
/// the projection shortcut otherwise): no step of its own, no pass over memory.
#[test]
fn resnet8_fuses_each_residual_add_into_a_convolution() {
    let names: Vec<&str> = ResNet8::STEPS.iter().map(|s| s.name).collect();
    println!("{names:#?}");
    assert!(!names.iter().any(|n| n.starts_with("Add") || n.starts_with("ReLU")), "{names:?}");
    assert_eq!(names.iter().filter(|n| n.ends_with("+ Add + ReLU")).count(), 3, "{names:?}");
    assert!(names.contains(&"Conv2d + BatchNorm2d + Add + ReLU"), "{names:?}");
    assert!(names.contains(&"Conv2d + Add + ReLU"), "{names:?}");
}
