//! Accuracy of long reductions against PyTorch's float64 results: layer and instance norm over
//! 960 to 100,000 values, average and adaptive average pooling over large windows, softmax and
//! log-softmax over 100,000 values, and long `Linear` rows, on values whose mean is much larger
//! than their spread (where a sum taken one value after another loses digits). staticnn's
//! largest error against the float64 result must be at most twice PyTorch's float32 one
//! (`common::accuracy`); `cargo test --test accuracy -- --nocapture` prints both.
//!
//! The fixtures are `tests/fixtures/accuracy_*.safetensors`, written by `tools/gen_fixtures.py`
//! (its `ACCURACY_CASES`); the declarations below are the same text as the script's cases.

// The conformance helpers this test does not use.
#[allow(dead_code)]
mod common;

use staticnn::network;

/// One test per accuracy case: staticnn's largest error against PyTorch's float64 result must
/// be at most twice PyTorch's float32 one.
macro_rules! accuracy {
    ($case:ident, $net:ty) => {
        #[test]
        fn $case() {
            common::accuracy::check_accuracy::<$net>(stringify!($case));
        }
    };
}

network! {
    /// the example: LayerNorm over 960 values after a Sigmoid (mean 0.5, small spread)
    struct AccuracyLayernormSigmoid960: [960] {
        Sigmoid(),
        LayerNorm(960),
    }
}
accuracy!(accuracy_layernorm_sigmoid_960, AccuracyLayernormSigmoid960);

network! {
    /// LayerNorm over 1,000 values 1000 +- 0.01
    struct AccuracyLayernormOffset1000: [1000] {
        LayerNorm(1000),
    }
}
accuracy!(accuracy_layernorm_offset_1000, AccuracyLayernormOffset1000);

network! {
    /// LayerNorm over two rows of 50,000 values 1000 +- 0.01
    struct AccuracyLayernormOffset2x50000: [2, 50000] {
        LayerNorm(50000, elementwise_affine = False),
    }
}
accuracy!(accuracy_layernorm_offset_2x50000, AccuracyLayernormOffset2x50000);

network! {
    /// LayerNorm over 100,000 values after a Sigmoid
    struct AccuracyLayernormSigmoid100000: [100000] {
        Sigmoid(),
        LayerNorm(100000, elementwise_affine = False),
    }
}
accuracy!(accuracy_layernorm_sigmoid_100000, AccuracyLayernormSigmoid100000);

network! {
    /// InstanceNorm2d over two 320 x 320 planes of 1000 +- 0.01
    struct AccuracyInstancenormOffset320: [2, 320, 320] {
        InstanceNorm2d(2),
    }
}
accuracy!(accuracy_instancenorm_offset_320, AccuracyInstancenormOffset320);

network! {
    /// InstanceNorm2d over 100 x 100 planes after a Sigmoid
    struct AccuracyInstancenormSigmoid100: [4, 100, 100] {
        Sigmoid(),
        InstanceNorm2d(4, affine = True),
    }
}
accuracy!(accuracy_instancenorm_sigmoid_100, AccuracyInstancenormSigmoid100);

network! {
    /// AvgPool2d over whole 320 x 320 planes (102,400 values 0.5 +- 0.016 each)
    struct AccuracyAvgpoolGlobal320: [16, 320, 320] {
        AvgPool2d(320),
    }
}
accuracy!(accuracy_avgpool_global_320, AccuracyAvgpoolGlobal320);

network! {
    /// AvgPool2d with 64 x 64 windows (4,096 values 1000 +- 0.01, 64 rows of 64 each)
    struct AccuracyAvgpoolWindows64: [2, 256, 320] {
        AvgPool2d(64),
    }
}
accuracy!(accuracy_avgpool_windows_64, AccuracyAvgpoolWindows64);

network! {
    /// AvgPool1d with windows of 2,000 values 0.5 +- 0.016
    struct AccuracyAvgpool1d2000: [4, 10000] {
        AvgPool1d(2000),
    }
}
accuracy!(accuracy_avgpool1d_2000, AccuracyAvgpool1d2000);

network! {
    /// AdaptiveAvgPool2d(1) over 320 x 320 planes of 0.5 +- 0.016 (PyTorch takes the mean)
    struct AccuracyAdaptiveGlobal320: [16, 320, 320] {
        AdaptiveAvgPool2d(1),
    }
}
accuracy!(accuracy_adaptive_global_320, AccuracyAdaptiveGlobal320);

network! {
    /// AdaptiveAvgPool2d(1) over 128 x 128 planes of 1000 +- 0.01
    struct AccuracyAdaptiveGlobalOffset128: [16, 128, 128] {
        AdaptiveAvgPool2d(1),
    }
}
accuracy!(accuracy_adaptive_global_offset_128, AccuracyAdaptiveGlobalOffset128);

network! {
    /// AdaptiveAvgPool2d((2, 3)): windows of 150 rows of 106 or 107 values 1000 +- 0.01
    struct AccuracyAdaptive2x3: [4, 300, 320] {
        AdaptiveAvgPool2d((2, 3)),
    }
}
accuracy!(accuracy_adaptive_2x3, AccuracyAdaptive2x3);

network! {
    /// Softmax over 100,000 values 1000 +- 0.01: a denominator of about 100,000 terms near 1
    struct AccuracySoftmax100000: [100000] {
        Softmax(dim = 1),
    }
}
accuracy!(accuracy_softmax_100000, AccuracySoftmax100000);

network! {
    /// LogSoftmax over 100,000 values 1000 +- 0.01
    struct AccuracyLogsoftmax100000: [100000] {
        LogSoftmax(dim = 1),
    }
}
accuracy!(accuracy_logsoftmax_100000, AccuracyLogsoftmax100000);

network! {
    /// Softmax along the first axis of [10000, 8] (strided), values in [-2, 2]
    struct AccuracySoftmaxStrided10000: [10000, 8] {
        Softmax(dim = 1),
    }
}
accuracy!(accuracy_softmax_strided_10000, AccuracySoftmaxStrided10000);

network! {
    /// Linear rows of 1,000 products of 1000 +- 0.01 and 2^-10 +- 9.5e-5
    struct AccuracyLinear1000: [1000] {
        Linear(1000, 32),
    }
}
accuracy!(accuracy_linear_1000, AccuracyLinear1000);

network! {
    /// Linear rows of 10,000 products of 0.5 +- 0.016 and 2^-10 +- 9.5e-5
    struct AccuracyLinear10000: [10000] {
        Linear(10000, 32),
    }
}
accuracy!(accuracy_linear_10000, AccuracyLinear10000);

network! {
    /// Linear rows of 100,000 products of 1000 +- 0.01 and 2^-10 +- 9.5e-5
    struct AccuracyLinear100000: [100000] {
        Linear(100000, 16),
    }
}
accuracy!(accuracy_linear_100000, AccuracyLinear100000);
