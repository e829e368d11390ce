//! Conformance with PyTorch: every case declares a network with `network!`, loads the
//! `state_dict` of a model built by PyTorch from the same declaration, and checks the output
//! (`|got - want| <= 1e-5 * (1 + |want|)`), `forward_into`, the parameter names and shapes,
//! and `Display` against `str(model)`; batch cases also check `forward_batch` on the whole
//! batch.
//!
//! The fixtures are `tests/fixtures/<case>.safetensors`, written by `tools/gen_fixtures.py`
//! (run `python3 tools/gen_fixtures.py` to regenerate them, `--rust` to print the declaration
//! of a new case). The declarations below are the same text as the script's cases. Run with
//! `cargo test --test conformance -- --nocapture` to see each case's largest error.

mod common;

use staticnn::network;

/// One test per case, named after its fixture.
macro_rules! conformance {
    ($case:ident, $net:ty) => {
        #[test]
        fn $case() {
            common::check::<$net>(stringify!($case));
        }
    };
}

/// One test per batch case (a fixture of `$n` samples): each sample alone, then
/// `forward_batch::<$n>` on all of them.
macro_rules! conformance_batch {
    ($case:ident, $net:ty, $n:literal) => {
        #[test]
        fn $case() {
            common::check_batch::<$net, $n>(stringify!($case), |net, inputs| {
                net.forward_batch(inputs)
            });
        }
    };
}

network! {
    /// kernel_size as one int
    struct Conv2dKernelInt: [3, 9, 10] {
        Conv2d(3, 4, 3),
    }
}
conformance!(conv2d_kernel_int, Conv2dKernelInt);

network! {
    /// kernel_size as a tuple, different per axis
    struct Conv2dKernelTuple: [3, 9, 10] {
        Conv2d(3, 4, kernel_size = (2, 4)),
    }
}
conformance!(conv2d_kernel_tuple, Conv2dKernelTuple);

network! {
    /// every argument up to bias given positionally
    struct Conv2dPositional: [3, 9, 10] {
        Conv2d(3, 4, 3, 2, 1, 1, 1, False),
    }
}
conformance!(conv2d_positional, Conv2dPositional);

network! {
    /// stride as one int, an odd and an even input size
    struct Conv2dStrideInt: [2, 11, 10] {
        Conv2d(2, 3, 3, stride = 2),
    }
}
conformance!(conv2d_stride_int, Conv2dStrideInt);

network! {
    /// stride as a tuple
    struct Conv2dStrideTuple: [2, 10, 11] {
        Conv2d(2, 3, (3, 2), stride = (2, 3)),
    }
}
conformance!(conv2d_stride_tuple, Conv2dStrideTuple);

network! {
    /// padding larger than kernel_size // 2: border outputs see only padding on one side
    struct Conv2dPaddingInt: [2, 7, 8] {
        Conv2d(2, 3, 3, padding = 2),
    }
}
conformance!(conv2d_padding_int, Conv2dPaddingInt);

network! {
    /// padding as a tuple
    struct Conv2dPaddingTuple: [2, 7, 8] {
        Conv2d(2, 3, kernel_size = (3, 5), padding = (1, 2)),
    }
}
conformance!(conv2d_padding_tuple, Conv2dPaddingTuple);

network! {
    /// padding with a stride that skips over it
    struct Conv2dPaddingStride: [2, 9, 8] {
        Conv2d(2, 3, 4, stride = 3, padding = 2),
    }
}
conformance!(conv2d_padding_stride, Conv2dPaddingStride);

network! {
    /// dilation as one int
    struct Conv2dDilationInt: [2, 11, 12] {
        Conv2d(2, 3, 3, dilation = 2),
    }
}
conformance!(conv2d_dilation_int, Conv2dDilationInt);

network! {
    /// dilation as a tuple, with padding
    struct Conv2dDilationTuple: [2, 9, 12] {
        Conv2d(2, 3, 3, padding = (1, 2), dilation = (1, 3)),
    }
}
conformance!(conv2d_dilation_tuple, Conv2dDilationTuple);

network! {
    /// bias=False
    struct Conv2dNoBias: [3, 8, 8] {
        Conv2d(3, 4, 3, bias = False),
    }
}
conformance!(conv2d_no_bias, Conv2dNoBias);

network! {
    /// groups=2: two input and three output channels per group
    struct Conv2dGroups: [4, 8, 9] {
        Conv2d(4, 6, 3, groups = 2),
    }
}
conformance!(conv2d_groups, Conv2dGroups);

network! {
    /// depthwise: groups = in_channels = out_channels
    struct Conv2dDepthwise: [4, 8, 9] {
        Conv2d(4, 4, 3, padding = 1, groups = 4),
    }
}
conformance!(conv2d_depthwise, Conv2dDepthwise);

network! {
    /// depthwise with two output channels per input channel
    struct Conv2dDepthwiseMultiplier: [3, 8, 9] {
        Conv2d(3, 6, kernel_size = (3, 3), stride = (1, 2), groups = 3, bias = False),
    }
}
conformance!(conv2d_depthwise_multiplier, Conv2dDepthwiseMultiplier);

network! {
    /// padding="same" with an odd kernel (symmetric padding)
    struct Conv2dSameOdd: [2, 7, 9] {
        Conv2d(2, 3, 5, padding = "same"),
    }
}
conformance!(conv2d_same_odd, Conv2dSameOdd);

network! {
    /// padding="same" with even kernels (one more padding after than before)
    struct Conv2dSameEven: [2, 7, 9] {
        Conv2d(2, 3, (4, 2), padding = "same"),
    }
}
conformance!(conv2d_same_even, Conv2dSameEven);

network! {
    /// padding="same" with dilation: total padding 3 (split 1 + 2) and 4
    struct Conv2dSameDilated: [2, 8, 9] {
        Conv2d(2, 3, (2, 3), padding = "same", dilation = (3, 2)),
    }
}
conformance!(conv2d_same_dilated, Conv2dSameDilated);

network! {
    /// padding="valid"
    struct Conv2dValid: [2, 7, 9] {
        Conv2d(2, 3, (3, 4), padding = "valid"),
    }
}
conformance!(conv2d_valid, Conv2dValid);

network! {
    /// padding_mode="reflect" with tuple padding and stride
    struct Conv2dReflect: [2, 7, 9] {
        Conv2d(2, 3, 3, stride = (1, 2), padding = (2, 1), padding_mode = "reflect"),
    }
}
conformance!(conv2d_reflect, Conv2dReflect);

network! {
    /// padding_mode="replicate" with dilation
    struct Conv2dReplicate: [2, 6, 7] {
        Conv2d(2, 3, (3, 2), padding = 2, dilation = (1, 2), padding_mode = "replicate"),
    }
}
conformance!(conv2d_replicate, Conv2dReplicate);

network! {
    /// padding_mode="circular" with stride
    struct Conv2dCircular: [2, 6, 7] {
        Conv2d(2, 3, 3, stride = 2, padding = (1, 2), padding_mode = "circular"),
    }
}
conformance!(conv2d_circular, Conv2dCircular);

network! {
    /// padding="same" (asymmetric, even kernel) with padding_mode="reflect"
    struct Conv2dSameReflect: [2, 6, 7] {
        Conv2d(2, 3, 4, padding = "same", padding_mode = "reflect"),
    }
}
conformance!(conv2d_same_reflect, Conv2dSameReflect);

network! {
    /// padding="same" with padding_mode="circular" and groups
    struct Conv2dSameCircularGroups: [4, 6, 7] {
        Conv2d(4, 4, (2, 3), padding = "same", groups = 2, padding_mode = "circular"),
    }
}
conformance!(conv2d_same_circular_groups, Conv2dSameCircularGroups);

network! {
    /// every keyword at once, padding_mode given explicitly
    struct Conv2dAllOptions: [4, 11, 10] {
        Conv2d(4, 6, kernel_size = (3, 2), stride = (2, 1), padding = (2, 1), dilation = (2, 3), groups = 2, bias = False, padding_mode = "zeros"),
    }
}
conformance!(conv2d_all_options, Conv2dAllOptions);

network! {
    /// pointwise 1x1 convolution
    struct Conv2d1x1: [6, 5, 4] {
        Conv2d(6, 4, 1),
    }
}
conformance!(conv2d_1x1, Conv2d1x1);

network! {
    /// kernel as large as the input: a 1x1 output
    struct Conv2dFullWindow: [2, 5, 4] {
        Conv2d(2, 3, (5, 4)),
    }
}
conformance!(conv2d_full_window, Conv2dFullWindow);

network! {
    /// padding="valid" given positionally, with a stride
    struct Conv2dValidStride: [2, 7, 8] {
        Conv2d(2, 3, 3, 2, "valid"),
    }
}
conformance!(conv2d_valid_stride, Conv2dValidStride);

network! {
    /// a 1x1 input wrapped around by circular padding: every tap reads the one pixel
    struct Conv2dTinyCircular: [2, 1, 1] {
        Conv2d(2, 3, 3, padding = 1, padding_mode = "circular"),
    }
}
conformance!(conv2d_tiny_circular, Conv2dTinyCircular);

network! {
    /// every argument by keyword, each with its default value except padding
    struct Conv2dAllKeywords: [2, 5, 6] {
        Conv2d(in_channels = 2, out_channels = 3, kernel_size = 3, stride = 1, padding = 1, dilation = 1, groups = 1, bias = True, padding_mode = "zeros"),
    }
}
conformance!(conv2d_all_keywords, Conv2dAllKeywords);

network! {
    /// padding="valid" with padding_mode="reflect": nothing to reflect
    struct Conv2dValidReflect: [2, 5, 6] {
        Conv2d(2, 3, 3, padding = "valid", padding_mode = "reflect"),
    }
}
conformance!(conv2d_valid_reflect, Conv2dValidReflect);

network! {
    /// a convolution with the ReLU after it (fused by staticnn)
    struct Conv2dRelu: [3, 8, 9] {
        Conv2d(3, 5, 3, padding = 1),
        ReLU(),
    }
}
conformance!(conv2d_relu, Conv2dRelu);

network! {
    /// Conv1d with defaults
    struct Conv1dBasic: [3, 20] {
        Conv1d(3, 4, 3),
    }
}
conformance!(conv1d_basic, Conv1dBasic);

network! {
    /// Conv1d with stride, padding, dilation and groups
    struct Conv1dOptions: [4, 23] {
        Conv1d(4, 6, 5, stride = 2, padding = 3, dilation = 2, groups = 2),
    }
}
conformance!(conv1d_options, Conv1dOptions);

network! {
    /// Conv1d, padding="same" with an even kernel, reflect padding, no bias
    struct Conv1dSameReflect: [2, 12] {
        Conv1d(2, 3, 4, padding = "same", padding_mode = "reflect", bias = False),
    }
}
conformance!(conv1d_same_reflect, Conv1dSameReflect);

network! {
    /// Conv1d, depthwise, replicate padding, stride 3
    struct Conv1dReplicateDepthwise: [3, 10] {
        Conv1d(3, 3, 3, stride = 3, padding = 2, groups = 3, padding_mode = "replicate"),
    }
}
conformance!(conv1d_replicate_depthwise, Conv1dReplicateDepthwise);

network! {
    /// Conv1d, circular padding of 4 on an input of 9
    struct Conv1dCircular: [2, 9] {
        Conv1d(2, 2, 5, padding = 4, padding_mode = "circular"),
    }
}
conformance!(conv1d_circular, Conv1dCircular);

network! {
    /// reflect padding of length - 1, the most PyTorch allows
    struct Conv1dReflectMaxPadding: [2, 5] {
        Conv1d(2, 2, 3, padding = 4, padding_mode = "reflect"),
    }
}
conformance!(conv1d_reflect_max_padding, Conv1dReflectMaxPadding);

network! {
    /// replicate padding wider than the input
    struct Conv1dReplicateWidePadding: [1, 3] {
        Conv1d(1, 2, 2, padding = 5, padding_mode = "replicate"),
    }
}
conformance!(conv1d_replicate_wide_padding, Conv1dReplicateWidePadding);

network! {
    /// circular padding as long as the input
    struct Conv1dCircularFullWrap: [2, 4] {
        Conv1d(2, 2, 3, stride = 2, padding = 4, padding_mode = "circular"),
    }
}
conformance!(conv1d_circular_full_wrap, Conv1dCircularFullWrap);

network! {
    /// Conv1d, padding="same" with dilation 3 (padding 3 each side), circular
    struct Conv1dSameCircularDilated: [2, 8] {
        Conv1d(2, 2, 3, padding = "same", dilation = 3, padding_mode = "circular"),
    }
}
conformance!(conv1d_same_circular_dilated, Conv1dSameCircularDilated);

network! {
    /// a sequence longer than 1024 (sizes beyond typenum's named constants)
    struct Conv1dLong: [1, 1500] {
        Conv1d(1, 2, 7, stride = 3),
        MaxPool1d(2),
        Flatten(),
        Linear(498, 3),
    }
}
conformance!(conv1d_long, Conv1dLong);

network! {
    /// Conv3d with defaults
    struct Conv3dBasic: [2, 5, 6, 7] {
        Conv3d(2, 3, 3),
    }
}
conformance!(conv3d_basic, Conv3dBasic);

network! {
    /// Conv3d with tuples for every window parameter, groups, no bias
    struct Conv3dOptions: [2, 6, 7, 8] {
        Conv3d(2, 4, (2, 3, 3), stride = (1, 2, 1), padding = (1, 0, 2), dilation = (2, 1, 1), groups = 2, bias = False),
    }
}
conformance!(conv3d_options, Conv3dOptions);

network! {
    /// Conv3d, padding="same" with even kernels, replicate padding
    struct Conv3dSameReplicate: [2, 4, 5, 6] {
        Conv3d(2, 3, (2, 3, 4), padding = "same", padding_mode = "replicate"),
    }
}
conformance!(conv3d_same_replicate, Conv3dSameReplicate);

network! {
    /// Conv3d, circular padding with stride
    struct Conv3dCircular: [1, 4, 5, 6] {
        Conv3d(1, 2, 3, stride = 2, padding = 1, padding_mode = "circular"),
    }
}
conformance!(conv3d_circular, Conv3dCircular);

network! {
    /// Conv3d, reflect padding
    struct Conv3dReflect: [2, 4, 5, 6] {
        Conv3d(2, 2, 3, padding = (1, 2, 1), padding_mode = "reflect"),
    }
}
conformance!(conv3d_reflect, Conv3dReflect);

network! {
    /// Conv3d, reflect padding with stride and dilation
    struct Conv3dReflectDilated: [2, 5, 4, 6] {
        Conv3d(2, 2, (3, 2, 3), stride = (2, 1, 2), padding = (2, 1, 2), dilation = (2, 1, 1), padding_mode = "reflect"),
    }
}
conformance!(conv3d_reflect_dilated, Conv3dReflectDilated);

network! {
    /// kernel_size as an int, default stride; the odd width drops its last column
    struct Maxpool2dKernelInt: [3, 8, 9] {
        MaxPool2d(2),
    }
}
conformance!(maxpool2d_kernel_int, Maxpool2dKernelInt);

network! {
    /// kernel_size as a tuple, stride=None given explicitly
    struct Maxpool2dKernelTuple: [3, 8, 9] {
        MaxPool2d((2, 3), None),
    }
}
conformance!(maxpool2d_kernel_tuple, Maxpool2dKernelTuple);

network! {
    /// overlapping windows
    struct Maxpool2dStrideInt: [2, 9, 10] {
        MaxPool2d(3, stride = 2),
    }
}
conformance!(maxpool2d_stride_int, Maxpool2dStrideInt);

network! {
    /// stride as a tuple
    struct Maxpool2dStrideTuple: [2, 9, 10] {
        MaxPool2d(kernel_size = (3, 2), stride = (1, 2)),
    }
}
conformance!(maxpool2d_stride_tuple, Maxpool2dStrideTuple);

network! {
    /// padding with an all-negative input: padding must never win (it is -inf)
    struct Maxpool2dPadding: [2, 7, 8] {
        MaxPool2d(3, 2, 1),
    }
}
conformance!(maxpool2d_padding, Maxpool2dPadding);

network! {
    /// tuple padding with an all-negative input
    struct Maxpool2dPaddingTuple: [2, 7, 8] {
        MaxPool2d((3, 5), stride = (2, 1), padding = (1, 2)),
    }
}
conformance!(maxpool2d_padding_tuple, Maxpool2dPaddingTuple);

network! {
    /// dilation as an int
    struct Maxpool2dDilationInt: [2, 9, 10] {
        MaxPool2d(3, stride = 1, dilation = 2),
    }
}
conformance!(maxpool2d_dilation_int, Maxpool2dDilationInt);

network! {
    /// dilation as a tuple, with padding, on a mostly negative input
    struct Maxpool2dDilationTuple: [2, 9, 10] {
        MaxPool2d(3, 2, 1, (2, 1)),
    }
}
conformance!(maxpool2d_dilation_tuple, Maxpool2dDilationTuple);

network! {
    /// ceil_mode=True keeps the partial last windows
    struct Maxpool2dCeil: [2, 7, 9] {
        MaxPool2d(2, ceil_mode = True),
    }
}
conformance!(maxpool2d_ceil, Maxpool2dCeil);

network! {
    /// ceil_mode=True: along height ceil gives 4 windows and the last-window rule drops the one that would start in the right padding (3 remain); along width ceil gives 4 where floor gives 3
    struct Maxpool2dCeilDrop: [2, 5, 6] {
        MaxPool2d(kernel_size = (2, 3), stride = 2, padding = 1, ceil_mode = True),
    }
}
conformance!(maxpool2d_ceil_drop, Maxpool2dCeilDrop);

network! {
    /// every argument positionally, ceil_mode=True
    struct Maxpool2dPositional: [2, 7, 6] {
        MaxPool2d(3, 2, 1, 1, False, True),
    }
}
conformance!(maxpool2d_positional, Maxpool2dPositional);

network! {
    /// a 1x1 window with stride 2: subsampling
    struct Maxpool2dKernelOne: [2, 5, 6] {
        MaxPool2d(1, stride = 2),
    }
}
conformance!(maxpool2d_kernel_one, Maxpool2dKernelOne);

network! {
    /// every keyword at once
    struct Maxpool2dAllOptions: [2, 8, 7] {
        MaxPool2d(kernel_size = (3, 2), stride = (2, 1), padding = (1, 1), dilation = (1, 2), return_indices = False, ceil_mode = True),
    }
}
conformance!(maxpool2d_all_options, Maxpool2dAllOptions);

network! {
    /// kernel_size as an int
    struct Avgpool2dKernelInt: [3, 8, 9] {
        AvgPool2d(2),
    }
}
conformance!(avgpool2d_kernel_int, Avgpool2dKernelInt);

network! {
    /// kernel_size and stride as tuples
    struct Avgpool2dKernelTupleStride: [2, 9, 10] {
        AvgPool2d((3, 2), stride = (2, 1)),
    }
}
conformance!(avgpool2d_kernel_tuple_stride, Avgpool2dKernelTupleStride);

network! {
    /// padding counted in the divisor (count_include_pad=True, the default)
    struct Avgpool2dPaddingInclude: [2, 7, 8] {
        AvgPool2d(3, stride = 2, padding = 1),
    }
}
conformance!(avgpool2d_padding_include, Avgpool2dPaddingInclude);

network! {
    /// padding not counted in the divisor
    struct Avgpool2dPaddingExclude: [2, 7, 8] {
        AvgPool2d(3, stride = 2, padding = 1, count_include_pad = False),
    }
}
conformance!(avgpool2d_padding_exclude, Avgpool2dPaddingExclude);

network! {
    /// ceil_mode=True: partial windows divide by the positions inside the input
    struct Avgpool2dCeil: [2, 7, 9] {
        AvgPool2d(2, ceil_mode = True),
    }
}
conformance!(avgpool2d_ceil, Avgpool2dCeil);

network! {
    /// ceil_mode with padding, count_include_pad=True: the last window hangs past the right padding, and only the padding (not the overhang) counts in the divisor
    struct Avgpool2dCeilPaddingInclude: [2, 6, 7] {
        AvgPool2d(3, stride = 2, padding = 1, ceil_mode = True),
    }
}
conformance!(avgpool2d_ceil_padding_include, Avgpool2dCeilPaddingInclude);

network! {
    /// ceil_mode with tuple padding, count_include_pad=False
    struct Avgpool2dCeilPaddingExclude: [2, 6, 7] {
        AvgPool2d((3, 2), stride = 2, padding = (1, 0), ceil_mode = True, count_include_pad = False),
    }
}
conformance!(avgpool2d_ceil_padding_exclude, Avgpool2dCeilPaddingExclude);

network! {
    /// divisor_override replaces every divisor
    struct Avgpool2dDivisorOverride: [2, 7, 8] {
        AvgPool2d(3, stride = 2, padding = 1, divisor_override = 5),
    }
}
conformance!(avgpool2d_divisor_override, Avgpool2dDivisorOverride);

network! {
    /// divisor_override on partial windows
    struct Avgpool2dDivisorCeil: [2, 5, 5] {
        AvgPool2d(2, ceil_mode = True, divisor_override = 3),
    }
}
conformance!(avgpool2d_divisor_ceil, Avgpool2dDivisorCeil);

network! {
    /// every keyword given with its default value
    struct Avgpool2dExplicitDefaults: [2, 6, 6] {
        AvgPool2d(kernel_size = 2, stride = None, padding = 0, ceil_mode = False, count_include_pad = True, divisor_override = None),
    }
}
conformance!(avgpool2d_explicit_defaults, Avgpool2dExplicitDefaults);

network! {
    /// every argument positionally: divisor_override wins over count_include_pad=False
    struct Avgpool2dPositional: [2, 7, 8] {
        AvgPool2d(3, 2, 1, False, False, 4),
    }
}
conformance!(avgpool2d_positional, Avgpool2dPositional);

network! {
    /// MaxPool1d with defaults
    struct Maxpool1dBasic: [3, 20] {
        MaxPool1d(3),
    }
}
conformance!(maxpool1d_basic, Maxpool1dBasic);

network! {
    /// MaxPool1d with every option, all-negative input
    struct Maxpool1dOptions: [2, 17] {
        MaxPool1d(3, stride = 2, padding = 1, dilation = 2, ceil_mode = True),
    }
}
conformance!(maxpool1d_options, Maxpool1dOptions);

network! {
    /// MaxPool1d, ceil_mode's last window dropped
    struct Maxpool1dCeilDrop: [2, 9] {
        MaxPool1d(2, stride = 2, padding = 1, ceil_mode = True),
    }
}
conformance!(maxpool1d_ceil_drop, Maxpool1dCeilDrop);

network! {
    /// MaxPool1d with 1-tuples, printed as given
    struct Maxpool1dTupleArgs: [2, 11] {
        MaxPool1d((3,), stride = (2,), padding = (1,)),
    }
}
conformance!(maxpool1d_tuple_args, Maxpool1dTupleArgs);

network! {
    /// AvgPool1d with defaults
    struct Avgpool1dBasic: [3, 20] {
        AvgPool1d(3),
    }
}
conformance!(avgpool1d_basic, Avgpool1dBasic);

network! {
    /// AvgPool1d, ceil_mode with padding counted
    struct Avgpool1dCeilPaddingInclude: [2, 12] {
        AvgPool1d(3, stride = 2, padding = 1, ceil_mode = True),
    }
}
conformance!(avgpool1d_ceil_padding_include, Avgpool1dCeilPaddingInclude);

network! {
    /// AvgPool1d, ceil_mode's last window dropped, padding not counted
    struct Avgpool1dCeilExcludeDrop: [2, 13] {
        AvgPool1d(4, stride = 3, padding = 2, ceil_mode = True, count_include_pad = False),
    }
}
conformance!(avgpool1d_ceil_exclude_drop, Avgpool1dCeilExcludeDrop);

network! {
    /// AvgPool1d with 1-tuples given positionally
    struct Avgpool1dTupleArgs: [2, 11] {
        AvgPool1d((3,), (2,), (1,)),
    }
}
conformance!(avgpool1d_tuple_args, Avgpool1dTupleArgs);

network! {
    /// Linear with bias, 19 features (not a multiple of 8)
    struct LinearBias: [19] {
        Linear(19, 7),
    }
}
conformance!(linear_bias, LinearBias);

network! {
    /// Linear without bias
    struct LinearNoBias: [19] {
        Linear(19, 7, bias = False),
    }
}
conformance!(linear_no_bias, LinearNoBias);

network! {
    /// more than 1024 input features
    struct LinearWide: [1100] {
        Linear(1100, 3),
    }
}
conformance!(linear_wide, LinearWide);

network! {
    /// two Linear layers around a ReLU, the second without bias (positional)
    struct LinearReluLinear: [16] {
        Linear(16, 9),
        ReLU(),
        Linear(9, 4, False),
    }
}
conformance!(linear_relu_linear, LinearReluLinear);

network! {
    /// Flatten alone: the output is the input
    struct FlattenOnly: [2, 3, 4] {
        Flatten(),
    }
}
conformance!(flatten_only, FlattenOnly);

network! {
    /// Flatten between a convolution and a ReLU + Linear
    struct FlattenThenLinear: [2, 5, 6] {
        Conv2d(2, 3, 3),
        Flatten(),
        ReLU(),
        Linear(36, 5),
    }
}
conformance!(flatten_then_linear, FlattenThenLinear);

network! {
    /// Flatten(start_dim=2) turns [C, H, W] into [C, H * W] for 1-d layers
    struct FlattenStartDim2: [3, 4, 5] {
        Flatten(start_dim = 2),
        Conv1d(3, 2, 3),
        MaxPool1d(2),
    }
}
conformance!(flatten_start_dim_2, FlattenStartDim2);

network! {
    /// Flatten(2, 3) turns [C, D, H, W] into [C, D * H, W]
    struct FlattenMiddleDims: [2, 3, 4, 5] {
        Flatten(2, 3),
        Conv2d(2, 3, 3),
    }
}
conformance!(flatten_middle_dims, FlattenMiddleDims);

network! {
    /// Flatten(1, -2) turns [C, D, H, W] into [C * D * H, W]
    struct FlattenEndDim: [2, 3, 4, 5] {
        Flatten(start_dim = 1, end_dim = -2),
        MaxPool1d(2),
    }
}
conformance!(flatten_end_dim, FlattenEndDim);

network! {
    /// Flatten(-2) on [C, H, W] (a batch of rank 4) merges H and W
    struct FlattenNegativeStart: [2, 3, 4] {
        Flatten(-2),
        MaxPool1d(3),
    }
}
conformance!(flatten_negative_start, FlattenNegativeStart);

network! {
    /// a reshape alone: the output is the input, as [C, H * W]
    struct FlattenReshapeOnly: [2, 3, 4] {
        Flatten(start_dim = 2),
    }
}
conformance!(flatten_reshape_only, FlattenReshapeOnly);

network! {
    /// a ReLU on a reshaped activation between a Conv2d and a Conv1d
    struct FlattenReshapeRelu: [2, 4, 5] {
        Conv2d(2, 3, 3, padding = 1),
        Flatten(2),
        ReLU(),
        Conv1d(3, 2, 3),
    }
}
conformance!(flatten_reshape_relu, FlattenReshapeRelu);

network! {
    /// Flatten of a vector is the identity; ReLU after it
    struct FlattenAfterLinear: [6] {
        Linear(6, 4),
        Flatten(),
        ReLU(),
    }
}
conformance!(flatten_after_linear, FlattenAfterLinear);

network! {
    /// ReLU on the input, then Flatten and Linear
    struct ReluFlattenLinear: [2, 3, 4] {
        ReLU(),
        Flatten(),
        Linear(24, 3),
    }
}
conformance!(relu_flatten_linear, ReluFlattenLinear);

network! {
    /// ReLU alone, on the network's input
    struct ReluOnly: [2, 5, 6] {
        ReLU(),
    }
}
conformance!(relu_only, ReluOnly);

network! {
    /// ReLU(inplace=True) after a pooling layer
    struct ReluInplace: [3, 6, 7] {
        MaxPool2d(2),
        ReLU(inplace = True),
    }
}
conformance!(relu_inplace, ReluInplace);

network! {
    /// ReLU on the input, then a convolution followed by two ReLUs
    struct ReluFirstAndTwice: [2, 6, 7] {
        ReLU(),
        Conv2d(2, 3, 3),
        ReLU(),
        ReLU(),
    }
}
conformance!(relu_first_and_twice, ReluFirstAndTwice);

network! {
    /// named and unnamed layers mixed: keys features.*, head.* and printed (1), (3)
    struct NamedLayers: [2, 8, 8] {
        features = Conv2d(2, 4, 3),
        ReLU(),
        pool = MaxPool2d(2),
        Flatten(),
        head = Linear(36, 3),
    }
}
conformance!(named_layers, NamedLayers);

network! {
    /// a 1x1 feature map through padded windows
    struct TinyInput: [2, 1, 1] {
        Conv2d(2, 3, 3, padding = 1, padding_mode = "replicate"),
        MaxPool2d(3, 1, 1),
        Flatten(),
        Linear(3, 2),
    }
}
conformance!(tiny_input, TinyInput);

network! {
    /// inf, -inf, NaN and -0.0 through max pooling and ReLU: NaN propagates
    struct SpecialValuesMax: [2, 5, 6] {
        MaxPool2d(2, stride = 1, padding = 1),
        ReLU(),
    }
}
conformance!(special_values_max, SpecialValuesMax);

network! {
    /// inf, -inf, NaN and -0.0 through average pooling: inf + -inf is NaN
    struct SpecialValuesAvg: [2, 4, 6] {
        AvgPool2d(2),
        ReLU(),
    }
}
conformance!(special_values_avg, SpecialValuesAvg);

network! {
    /// inf, -inf and NaN through a convolution
    struct SpecialValuesConv: [1, 5, 6] {
        Conv2d(1, 2, 2),
        ReLU(),
    }
}
conformance!(special_values_conv, SpecialValuesConv);

network! {
    /// a window of 4 on an input of 3: ceil_mode lets it overhang by up to stride - 1, and the divisor counts the 3 positions inside
    struct Avgpool1dCeilOverhang: [1, 3] {
        AvgPool1d(4, ceil_mode = True),
    }
}
conformance!(avgpool1d_ceil_overhang, Avgpool1dCeilOverhang);

network! {
    /// a window of 5 on 1 + 2 x 1 padded positions: overhang of 2 (stride 5 allows 4)
    struct Maxpool1dCeilOverhang: [2, 1] {
        MaxPool1d(5, padding = 1, ceil_mode = True),
    }
}
conformance!(maxpool1d_ceil_overhang, Maxpool1dCeilOverhang);

network! {
    /// dilated window spanning 7 on a padded width of 5: overhang of 2 (stride 3 allows 2)
    struct Maxpool2dCeilOverhang: [3, 9, 3] {
        MaxPool2d((3, 3), stride = (1, 3), padding = (1, 1), dilation = (2, 3), ceil_mode = True),
    }
}
conformance!(maxpool2d_ceil_overhang, Maxpool2dCeilOverhang);

network! {
    /// a window of height 4 on 1 + 2 x 1 padded rows: the overhang is not counted in the divisor, the padding is
    struct Avgpool2dCeilOverhangPadding: [2, 1, 5] {
        AvgPool2d((4, 3), stride = (4, 2), padding = (1, 1), ceil_mode = True),
    }
}
conformance!(avgpool2d_ceil_overhang_padding, Avgpool2dCeilOverhangPadding);

network! {
    /// ConvTranspose2d with defaults: an int kernel, output 7 x 8
    struct Convt2dKernelInt: [3, 5, 6] {
        ConvTranspose2d(3, 4, 3),
    }
}
conformance!(convt2d_kernel_int, Convt2dKernelInt);

network! {
    /// kernel_size as a tuple
    struct Convt2dKernelTuple: [2, 4, 5] {
        ConvTranspose2d(2, 3, (2, 4)),
    }
}
conformance!(convt2d_kernel_tuple, Convt2dKernelTuple);

network! {
    /// stride 2 with padding 1: output 9 x 11
    struct Convt2dStridePadding: [2, 5, 6] {
        ConvTranspose2d(2, 3, 3, stride = 2, padding = 1),
    }
}
conformance!(convt2d_stride_padding, Convt2dStridePadding);

network! {
    /// output_padding=1 adds a last row and column: 10 x 12, the input size of a Conv2d(3, stride=2, padding=1) that gives 5 x 6
    struct Convt2dOutputPadding: [2, 5, 6] {
        ConvTranspose2d(2, 3, 3, stride = 2, padding = 1, output_padding = 1),
    }
}
conformance!(convt2d_output_padding, Convt2dOutputPadding);

network! {
    /// every window parameter as a tuple, a different output_padding per axis
    struct Convt2dTuples: [2, 4, 5] {
        ConvTranspose2d(2, 3, (3, 4), stride = (2, 3), padding = (1, 2), output_padding = (1, 2)),
    }
}
conformance!(convt2d_tuples, Convt2dTuples);

network! {
    /// groups=2: weights [4, 3, 3, 3], each half of the inputs feeds half of the outputs
    struct Convt2dGroups: [4, 4, 5] {
        ConvTranspose2d(4, 6, 3, stride = 2, groups = 2),
    }
}
conformance!(convt2d_groups, Convt2dGroups);

network! {
    /// depthwise transposed convolution without bias
    struct Convt2dDepthwise: [3, 4, 5] {
        ConvTranspose2d(3, 3, (2, 3), stride = 2, padding = (0, 1), groups = 3, bias = False),
    }
}
conformance!(convt2d_depthwise, Convt2dDepthwise);

network! {
    /// dilation 2 with padding 1
    struct Convt2dDilation: [2, 5, 4] {
        ConvTranspose2d(2, 3, 3, dilation = 2, padding = 1),
    }
}
conformance!(convt2d_dilation, Convt2dDilation);

network! {
    /// output_padding 2 with stride 1: allowed because it is below the dilation 3
    struct Convt2dDilationOutputPadding: [2, 4, 5] {
        ConvTranspose2d(2, 2, 2, stride = (1, 2), dilation = (3, 2), output_padding = (2, 1)),
    }
}
conformance!(convt2d_dilation_output_padding, Convt2dDilationOutputPadding);

network! {
    /// bias=False, kernel = stride: non-overlapping 2 x 2 blocks
    struct Convt2dNoBias: [3, 4, 4] {
        ConvTranspose2d(3, 2, 2, stride = 2, bias = False),
    }
}
conformance!(convt2d_no_bias, Convt2dNoBias);

network! {
    /// padding 4 crops most border taps: output 12 x 9
    struct Convt2dWidePadding: [2, 6, 5] {
        ConvTranspose2d(2, 2, 5, stride = 3, padding = 4),
    }
}
conformance!(convt2d_wide_padding, Convt2dWidePadding);

network! {
    /// every argument up to dilation positionally: stride 2, padding 1, output_padding 1, groups 2, no bias, dilation 2
    struct Convt2dPositional: [4, 4, 5] {
        ConvTranspose2d(4, 2, 3, 2, 1, 1, 2, False, 2),
    }
}
conformance!(convt2d_positional, Convt2dPositional);

network! {
    /// every keyword, padding_mode given explicitly
    struct Convt2dAllKeywords: [2, 3, 4] {
        ConvTranspose2d(in_channels = 2, out_channels = 3, kernel_size = (3, 2), stride = (2, 1), padding = (1, 0), output_padding = (1, 0), groups = 1, bias = True, dilation = (1, 2), padding_mode = "zeros"),
    }
}
conformance!(convt2d_all_keywords, Convt2dAllKeywords);

network! {
    /// a ReLU fused into a transposed convolution, then a convolution
    struct Convt2dReluConv: [2, 4, 4] {
        ConvTranspose2d(2, 3, 2, stride = 2),
        ReLU(),
        Conv2d(3, 2, 3, padding = 1),
    }
}
conformance!(convt2d_relu_conv, Convt2dReluConv);

network! {
    /// output_size as an int, sizes not divisible: windows overlap (7 -> 3: rows 0-2, 2-4, 4-6)
    struct AdaptiveAvgInt: [3, 7, 9] {
        AdaptiveAvgPool2d(3),
    }
}
conformance!(adaptive_avg_int, AdaptiveAvgInt);

network! {
    /// output_size as a tuple: 10 -> 4 (windows of 3), 7 -> 5 (windows of 2 and 3)
    struct AdaptiveAvgTuple: [2, 10, 7] {
        AdaptiveAvgPool2d((4, 5)),
    }
}
conformance!(adaptive_avg_tuple, AdaptiveAvgTuple);

network! {
    /// None keeps the input's height
    struct AdaptiveAvgNoneHeight: [2, 5, 8] {
        AdaptiveAvgPool2d((None, 3)),
    }
}
conformance!(adaptive_avg_none_height, AdaptiveAvgNoneHeight);

network! {
    /// None keeps the input's width; keyword
    struct AdaptiveAvgNoneWidth: [2, 6, 5] {
        AdaptiveAvgPool2d(output_size = (4, None)),
    }
}
conformance!(adaptive_avg_none_width, AdaptiveAvgNoneWidth);

network! {
    /// output larger than the input: windows of one or two elements, repeated
    struct AdaptiveAvgLarger: [2, 3, 4] {
        AdaptiveAvgPool2d((7, 5)),
    }
}
conformance!(adaptive_avg_larger, AdaptiveAvgLarger);

network! {
    /// global average pooling before a classifier
    struct AdaptiveAvgGlobal: [4, 5, 6] {
        AdaptiveAvgPool2d(1),
        Flatten(),
        Linear(4, 3),
    }
}
conformance!(adaptive_avg_global, AdaptiveAvgGlobal);

network! {
    /// inf, -inf and NaN through adaptive average pooling
    struct AdaptiveAvgSpecial: [2, 5, 6] {
        AdaptiveAvgPool2d((2, 4)),
    }
}
conformance!(adaptive_avg_special, AdaptiveAvgSpecial);

network! {
    /// AdaptiveMaxPool2d, int output_size, sizes not divisible
    struct AdaptiveMaxInt: [2, 8, 7] {
        AdaptiveMaxPool2d(3),
    }
}
conformance!(adaptive_max_int, AdaptiveMaxInt);

network! {
    /// AdaptiveMaxPool2d, None keeps the height
    struct AdaptiveMaxNone: [2, 7, 6] {
        AdaptiveMaxPool2d((None, 4)),
    }
}
conformance!(adaptive_max_none, AdaptiveMaxNone);

network! {
    /// output larger than the input, every keyword
    struct AdaptiveMaxLarger: [2, 3, 4] {
        AdaptiveMaxPool2d(output_size = (5, 9), return_indices = False),
    }
}
conformance!(adaptive_max_larger, AdaptiveMaxLarger);

network! {
    /// inf, -inf and NaN: a NaN wins its window
    struct AdaptiveMaxSpecial: [2, 5, 6] {
        AdaptiveMaxPool2d(2),
    }
}
conformance!(adaptive_max_special, AdaptiveMaxSpecial);

network! {
    /// BatchNorm1d on a vector [C], on the input
    struct Batchnorm1dVector: [6] {
        BatchNorm1d(6),
    }
}
conformance!(batchnorm1d_vector, Batchnorm1dVector);

network! {
    /// BatchNorm1d on a sequence [C, L], eps and momentum=None
    struct Batchnorm1dSequence: [4, 7] {
        BatchNorm1d(4, eps = 0.001, momentum = None),
    }
}
conformance!(batchnorm1d_sequence, Batchnorm1dSequence);

network! {
    /// affine=False: running statistics only
    struct Batchnorm1dNoAffine: [5] {
        BatchNorm1d(5, affine = False),
    }
}
conformance!(batchnorm1d_no_affine, Batchnorm1dNoAffine);

network! {
    /// standalone after pooling (in place), then an activation
    struct Batchnorm1dAfterPool: [3, 10] {
        MaxPool1d(2),
        BatchNorm1d(3),
        Tanh(),
    }
}
conformance!(batchnorm1d_after_pool, Batchnorm1dAfterPool);

network! {
    /// BatchNorm1d fused into Linear's output loop, no activation
    struct LinearBatchnorm1d: [8] {
        Linear(8, 6),
        BatchNorm1d(6),
    }
}
conformance!(linear_batchnorm1d, LinearBatchnorm1d);

network! {
    /// Linear without bias + BatchNorm1d + ReLU, fused
    struct LinearBatchnorm1dRelu: [8] {
        Linear(8, 6, bias = False),
        BatchNorm1d(6, momentum = 0.3),
        ReLU(),
    }
}
conformance!(linear_batchnorm1d_relu, LinearBatchnorm1dRelu);

network! {
    /// Conv1d + BatchNorm1d (positional, no affine) + Hardswish, fused
    struct Conv1dBatchnorm1dHardswish: [2, 9] {
        Conv1d(2, 4, 3, padding = 1),
        BatchNorm1d(4, 1e-4, None, False),
        Hardswish(),
    }
}
conformance!(conv1d_batchnorm1d_hardswish, Conv1dBatchnorm1dHardswish);

network! {
    /// Conv1d + BatchNorm1d + ReLU + MaxPool1d, fully fused
    struct Conv1dBatchnorm1dReluMaxpool: [2, 12] {
        Conv1d(2, 3, 3),
        BatchNorm1d(3),
        ReLU(),
        MaxPool1d(2),
    }
}
conformance!(conv1d_batchnorm1d_relu_maxpool, Conv1dBatchnorm1dReluMaxpool);

network! {
    /// BatchNorm2d on the network's input
    struct Batchnorm2dInput: [3, 5, 6] {
        BatchNorm2d(3),
    }
}
conformance!(batchnorm2d_input, Batchnorm2dInput);

network! {
    /// BatchNorm2d after pooling, eps and momentum
    struct Batchnorm2dAfterPool: [3, 6, 7] {
        AvgPool2d(2),
        BatchNorm2d(3, eps = 0.001, momentum = 0.01),
    }
}
conformance!(batchnorm2d_after_pool, Batchnorm2dAfterPool);

network! {
    /// affine=False, standalone, then a ReLU in place
    struct Batchnorm2dNoAffine: [3, 6, 7] {
        MaxPool2d(2),
        BatchNorm2d(3, affine = False),
        ReLU(),
    }
}
conformance!(batchnorm2d_no_affine, Batchnorm2dNoAffine);

network! {
    /// integer eps and momentum, printed as given (eps=1, momentum=0)
    struct Batchnorm2dIntArgs: [2, 4, 5] {
        BatchNorm2d(2, eps = 1, momentum = 0),
    }
}
conformance!(batchnorm2d_int_args, Batchnorm2dIntArgs);

network! {
    /// every argument up to track_running_stats positionally
    struct Batchnorm2dPositional: [4, 5, 5] {
        BatchNorm2d(4, 1e-3, 0.2, True, True),
    }
}
conformance!(batchnorm2d_positional, Batchnorm2dPositional);

network! {
    /// a batch norm on the input (not fused: nothing before it), then a convolution
    struct Batchnorm2dThenConv: [3, 6, 6] {
        BatchNorm2d(3),
        Conv2d(3, 2, 3),
    }
}
conformance!(batchnorm2d_then_conv, Batchnorm2dThenConv);

network! {
    /// Conv2d + BatchNorm2d, fused, no activation
    struct Conv2dBatchnorm: [2, 6, 7] {
        Conv2d(2, 4, 3),
        BatchNorm2d(4),
    }
}
conformance!(conv2d_batchnorm, Conv2dBatchnorm);

network! {
    /// Conv2d without bias + BatchNorm2d + ReLU, fused
    struct Conv2dBatchnormRelu: [3, 6, 7] {
        Conv2d(3, 4, 3, padding = 1, bias = False),
        BatchNorm2d(4),
        ReLU(),
    }
}
conformance!(conv2d_batchnorm_relu, Conv2dBatchnormRelu);

network! {
    /// Conv2d + BatchNorm2d + ReLU + MaxPool2d, fully fused
    struct Conv2dBatchnormReluMaxpool: [3, 8, 9] {
        Conv2d(3, 4, 3, padding = 1),
        BatchNorm2d(4),
        ReLU(),
        MaxPool2d(2),
    }
}
conformance!(conv2d_batchnorm_relu_maxpool, Conv2dBatchnormReluMaxpool);

network! {
    /// Conv2d + BatchNorm2d + padded MaxPool2d fused without an activation: negative outputs, padding must not win
    struct Conv2dBatchnormMaxpool: [2, 7, 8] {
        Conv2d(2, 3, 3),
        BatchNorm2d(3, affine = False),
        MaxPool2d(3, stride = 2, padding = 1),
    }
}
conformance!(conv2d_batchnorm_maxpool, Conv2dBatchnormMaxpool);

network! {
    /// grouped Conv2d + BatchNorm2d + ReLU6 + AvgPool2d (ceil_mode), fully fused
    struct Conv2dBatchnormRelu6Avgpool: [2, 8, 8] {
        Conv2d(2, 4, 3, padding = 1, groups = 2),
        BatchNorm2d(4, eps = 1e-3),
        ReLU6(),
        AvgPool2d(3, stride = 2, ceil_mode = True),
    }
}
conformance!(conv2d_batchnorm_relu6_avgpool, Conv2dBatchnormRelu6Avgpool);

network! {
    /// the first batch norm fuses, the second runs in place, then the ReLU
    struct Conv2dBatchnormTwice: [2, 5, 6] {
        Conv2d(2, 3, 3),
        BatchNorm2d(3),
        BatchNorm2d(3, affine = False),
        ReLU(),
    }
}
conformance!(conv2d_batchnorm_twice, Conv2dBatchnormTwice);

network! {
    /// BatchNorm2d fused into ConvTranspose2d
    struct Convt2dBatchnorm: [3, 4, 4] {
        ConvTranspose2d(3, 2, 2, stride = 2),
        BatchNorm2d(2),
    }
}
conformance!(convt2d_batchnorm, Convt2dBatchnorm);

network! {
    /// ConvTranspose2d + BatchNorm2d + LeakyReLU, fused
    struct Convt2dBatchnormLeakyRelu: [2, 3, 4] {
        ConvTranspose2d(2, 3, 3, stride = 2, padding = 1, output_padding = 1, bias = False),
        BatchNorm2d(3),
        LeakyReLU(0.2),
    }
}
conformance!(convt2d_batchnorm_leaky_relu, Convt2dBatchnormLeakyRelu);

network! {
    /// LayerNorm over a vector, int normalized_shape
    struct LayernormVector: [10] {
        LayerNorm(10),
    }
}
conformance!(layernorm_vector, LayernormVector);

network! {
    /// over the last dimension of a sequence: each of the 3 rows alone
    struct LayernormLastDim: [3, 8] {
        LayerNorm(8),
    }
}
conformance!(layernorm_last_dim, LayernormLastDim);

network! {
    /// over the last two dimensions
    struct LayernormLastTwo: [3, 4, 5] {
        LayerNorm((4, 5)),
    }
}
conformance!(layernorm_last_two, LayernormLastTwo);

network! {
    /// over the whole sample, with eps
    struct LayernormLastThree: [3, 4, 5] {
        LayerNorm((3, 4, 5), eps = 0.001),
    }
}
conformance!(layernorm_last_three, LayernormLastThree);

network! {
    /// a 1-tuple normalized_shape
    struct LayernormOneTuple: [2, 6] {
        LayerNorm((6,)),
    }
}
conformance!(layernorm_one_tuple, LayernormOneTuple);

network! {
    /// elementwise_affine=False: no weight, no bias
    struct LayernormNoAffine: [3, 4, 5] {
        LayerNorm(5, elementwise_affine = False),
    }
}
conformance!(layernorm_no_affine, LayernormNoAffine);

network! {
    /// bias=False: weight only
    struct LayernormNoBias: [3, 4, 5] {
        LayerNorm((4, 5), bias = False),
    }
}
conformance!(layernorm_no_bias, LayernormNoBias);

network! {
    /// every argument positionally, neither weight nor bias
    struct LayernormPositional: [6] {
        LayerNorm(6, 1e-6, False, False),
    }
}
conformance!(layernorm_positional, LayernormPositional);

network! {
    /// a [C, D, H, W] input, normalised over its last three dimensions
    struct LayernormVolume: [2, 3, 4, 5] {
        LayerNorm((3, 4, 5)),
    }
}
conformance!(layernorm_volume, LayernormVolume);

network! {
    /// inputs with a mean of 8: the variance must not cancel catastrophically
    struct LayernormOffset: [4, 6] {
        LayerNorm(6),
    }
}
conformance!(layernorm_offset, LayernormOffset);

network! {
    /// a transformer-style Linear + LayerNorm + GELU
    struct LinearLayernormGelu: [6] {
        Linear(6, 8),
        LayerNorm(8),
        GELU(),
    }
}
conformance!(linear_layernorm_gelu, LinearLayernormGelu);

network! {
    /// no affine, no running statistics: each channel by its own mean and variance
    struct Instancenorm2dDefault: [3, 5, 6] {
        InstanceNorm2d(3),
    }
}
conformance!(instancenorm2d_default, Instancenorm2dDefault);

network! {
    /// affine=True, statistics of the sample
    struct Instancenorm2dAffine: [3, 5, 6] {
        InstanceNorm2d(3, affine = True),
    }
}
conformance!(instancenorm2d_affine, Instancenorm2dAffine);

network! {
    /// track_running_stats=True: in eval mode normalised by the running statistics
    struct Instancenorm2dTrack: [3, 5, 6] {
        InstanceNorm2d(3, track_running_stats = True),
    }
}
conformance!(instancenorm2d_track, Instancenorm2dTrack);

network! {
    /// affine and running statistics, every argument positionally
    struct Instancenorm2dAffineTrack: [3, 5, 6] {
        InstanceNorm2d(3, 0.001, 0.2, True, True),
    }
}
conformance!(instancenorm2d_affine_track, Instancenorm2dAffineTrack);

network! {
    /// Conv2d + InstanceNorm2d (momentum=None) + ReLU
    struct Conv2dInstancenormRelu: [2, 6, 7] {
        Conv2d(2, 4, 3, padding = 1),
        InstanceNorm2d(4, eps = 1e-3, momentum = None, affine = True),
        ReLU(),
    }
}
conformance!(conv2d_instancenorm_relu, Conv2dInstancenormRelu);

network! {
    /// ReLU6 on -12 .. 12 in steps of 0.5
    struct Relu6Ramp: [1, 7, 7] {
        ReLU6(),
    }
}
conformance!(relu6_ramp, Relu6Ramp);

network! {
    /// ReLU6(inplace=True) after pooling
    struct Relu6Inplace: [3, 6, 7] {
        MaxPool2d(2),
        ReLU6(inplace = True),
    }
}
conformance!(relu6_inplace, Relu6Inplace);

network! {
    /// negative_slope=0.01
    struct LeakyReluDefault: [1, 7, 7] {
        LeakyReLU(),
    }
}
conformance!(leaky_relu_default, LeakyReluDefault);

network! {
    /// negative_slope=0.2
    struct LeakyReluSlope: [1, 7, 7] {
        LeakyReLU(negative_slope = 0.2),
    }
}
conformance!(leaky_relu_slope, LeakyReluSlope);

network! {
    /// LeakyReLU(0.1, inplace=True) positionally
    struct LeakyReluPositionalInplace: [2, 5, 5] {
        MaxPool2d(2),
        LeakyReLU(0.1, True),
    }
}
conformance!(leaky_relu_positional_inplace, LeakyReluPositionalInplace);

network! {
    /// a negative slope (PyTorch accepts it)
    struct LeakyReluNegativeSlope: [1, 7, 7] {
        LeakyReLU(-0.5),
    }
}
conformance!(leaky_relu_negative_slope, LeakyReluNegativeSlope);

network! {
    /// Sigmoid on -40 .. 40 in steps of 1 (saturated ends)
    struct SigmoidRamp: [81] {
        Sigmoid(),
    }
}
conformance!(sigmoid_ramp, SigmoidRamp);

network! {
    /// Tanh on -40 .. 40 in steps of 1
    struct TanhRamp: [81] {
        Tanh(),
    }
}
conformance!(tanh_ramp, TanhRamp);

network! {
    /// Hardtanh on -3 .. 3 in steps of 0.125
    struct HardtanhDefault: [1, 7, 7] {
        Hardtanh(),
    }
}
conformance!(hardtanh_default, HardtanhDefault);

network! {
    /// min_val and max_val positionally
    struct HardtanhCustom: [1, 7, 7] {
        Hardtanh(-2.0, 2.5),
    }
}
conformance!(hardtanh_custom, HardtanhCustom);

network! {
    /// integer bounds, printed as given, and inplace=True
    struct HardtanhIntInplace: [1, 7, 7] {
        Hardtanh(min_val = -2, max_val = 3, inplace = True),
    }
}
conformance!(hardtanh_int_inplace, HardtanhIntInplace);

network! {
    /// Hardsigmoid on -6 .. 6 in steps of 0.25: exactly -3 and 3 included
    struct HardsigmoidRamp: [1, 7, 7] {
        Hardsigmoid(),
    }
}
conformance!(hardsigmoid_ramp, HardsigmoidRamp);

network! {
    /// inplace=True
    struct HardsigmoidInplace: [1, 7, 7] {
        Hardsigmoid(inplace = True),
    }
}
conformance!(hardsigmoid_inplace, HardsigmoidInplace);

network! {
    /// Hardswish on -6 .. 6 in steps of 0.25: exactly -3 and 3 included
    struct HardswishRamp: [1, 7, 7] {
        Hardswish(),
    }
}
conformance!(hardswish_ramp, HardswishRamp);

network! {
    /// inplace=True positionally
    struct HardswishInplace: [1, 7, 7] {
        Hardswish(True),
    }
}
conformance!(hardswish_inplace, HardswishInplace);

network! {
    /// SiLU on -40 .. 40 in steps of 1
    struct SiluRamp: [81] {
        SiLU(),
    }
}
conformance!(silu_ramp, SiluRamp);

network! {
    /// inplace=True
    struct SiluInplace: [1, 7, 7] {
        SiLU(inplace = True),
    }
}
conformance!(silu_inplace, SiluInplace);

network! {
    /// exact GELU on -6 .. 6
    struct GeluRamp: [1, 7, 7] {
        GELU(),
    }
}
conformance!(gelu_ramp, GeluRamp);

network! {
    /// exact GELU on -40 .. 40, explicitly
    struct GeluWide: [81] {
        GELU(approximate = "none"),
    }
}
conformance!(gelu_wide, GeluWide);

network! {
    /// tanh-approximated GELU
    struct GeluTanhRamp: [1, 7, 7] {
        GELU(approximate = "tanh"),
    }
}
conformance!(gelu_tanh_ramp, GeluTanhRamp);

network! {
    /// tanh-approximated GELU on -40 .. 40
    struct GeluTanhWide: [81] {
        GELU("tanh"),
    }
}
conformance!(gelu_tanh_wide, GeluTanhWide);

network! {
    /// ELU with alpha=1.0
    struct EluRamp: [1, 7, 7] {
        ELU(),
    }
}
conformance!(elu_ramp, EluRamp);

network! {
    /// ELU with alpha=0.5 on -40 .. 40
    struct EluAlpha: [81] {
        ELU(alpha = 0.5),
    }
}
conformance!(elu_alpha, EluAlpha);

network! {
    /// integer alpha positionally, printed as given, inplace=True
    struct EluPositionalInplace: [1, 7, 7] {
        ELU(2, True),
    }
}
conformance!(elu_positional_inplace, EluPositionalInplace);

network! {
    /// Softplus on -40 .. 40: beta * x = 20 is not above the threshold, 21 is
    struct SoftplusRamp: [81] {
        Softplus(),
    }
}
conformance!(softplus_ramp, SoftplusRamp);

network! {
    /// beta=2, threshold=5 on -6 .. 6: 2.5 is the last x below the threshold
    struct SoftplusBetaThreshold: [1, 7, 7] {
        Softplus(beta = 2, threshold = 5),
    }
}
conformance!(softplus_beta_threshold, SoftplusBetaThreshold);

network! {
    /// beta=0.5, threshold=10 positionally on -40 .. 40
    struct SoftplusPositional: [81] {
        Softplus(0.5, 10.0),
    }
}
conformance!(softplus_positional, SoftplusPositional);

network! {
    /// ReLU6 on inf, -inf, NaN and -0.0
    struct Relu6Special: [2, 5, 5] {
        ReLU6(),
    }
}
conformance!(relu6_special, Relu6Special);

network! {
    /// LeakyReLU on inf, -inf, NaN and -0.0
    struct LeakyReluSpecial: [2, 5, 5] {
        LeakyReLU(0.2),
    }
}
conformance!(leaky_relu_special, LeakyReluSpecial);

network! {
    /// Sigmoid on inf, -inf, NaN and -0.0
    struct SigmoidSpecial: [2, 5, 5] {
        Sigmoid(),
    }
}
conformance!(sigmoid_special, SigmoidSpecial);

network! {
    /// Tanh on inf, -inf, NaN and -0.0
    struct TanhSpecial: [2, 5, 5] {
        Tanh(),
    }
}
conformance!(tanh_special, TanhSpecial);

network! {
    /// Hardtanh on inf, -inf, NaN and -0.0
    struct HardtanhSpecial: [2, 5, 5] {
        Hardtanh(-2.0, 2.0),
    }
}
conformance!(hardtanh_special, HardtanhSpecial);

network! {
    /// Hardsigmoid on inf, -inf, NaN and -0.0
    struct HardsigmoidSpecial: [2, 5, 5] {
        Hardsigmoid(),
    }
}
conformance!(hardsigmoid_special, HardsigmoidSpecial);

network! {
    /// Hardswish on inf, -inf, NaN and -0.0
    struct HardswishSpecial: [2, 5, 5] {
        Hardswish(),
    }
}
conformance!(hardswish_special, HardswishSpecial);

network! {
    /// SiLU on inf, -inf, NaN and -0.0
    struct SiluSpecial: [2, 5, 5] {
        SiLU(),
    }
}
conformance!(silu_special, SiluSpecial);

network! {
    /// GELU on inf, -inf, NaN and -0.0
    struct GeluTanhSpecial: [2, 5, 5] {
        GELU(approximate = "tanh"),
    }
}
conformance!(gelu_tanh_special, GeluTanhSpecial);

network! {
    /// ELU on inf, -inf, NaN and -0.0
    struct EluSpecial: [2, 5, 5] {
        ELU(),
    }
}
conformance!(elu_special, EluSpecial);

network! {
    /// Softplus on inf, -inf, NaN and -0.0
    struct SoftplusSpecial: [2, 5, 5] {
        Softplus(),
    }
}
conformance!(softplus_special, SoftplusSpecial);

network! {
    /// fused ReLU6
    struct Conv2dRelu6: [2, 6, 6] {
        Conv2d(2, 4, 3, padding = 1),
        ReLU6(),
    }
}
conformance!(conv2d_relu6, Conv2dRelu6);

network! {
    /// fused LeakyReLU
    struct Conv2dLeakyRelu: [2, 6, 6] {
        Conv2d(2, 4, 3, padding = 1),
        LeakyReLU(0.2),
    }
}
conformance!(conv2d_leaky_relu, Conv2dLeakyRelu);

network! {
    /// fused Sigmoid on large values
    struct Conv2dSigmoid: [2, 6, 6] {
        Conv2d(2, 4, 3, padding = 1),
        Sigmoid(),
    }
}
conformance!(conv2d_sigmoid, Conv2dSigmoid);

network! {
    /// fused Tanh
    struct Conv2dTanh: [2, 6, 6] {
        Conv2d(2, 4, 3, padding = 1),
        Tanh(),
    }
}
conformance!(conv2d_tanh, Conv2dTanh);

network! {
    /// fused Hardtanh
    struct Conv2dHardtanh: [2, 6, 6] {
        Conv2d(2, 4, 3, padding = 1),
        Hardtanh(-2.0, 2.0),
    }
}
conformance!(conv2d_hardtanh, Conv2dHardtanh);

network! {
    /// fused Hardsigmoid around +-3
    struct Conv2dHardsigmoid: [2, 6, 6] {
        Conv2d(2, 4, 3, padding = 1),
        Hardsigmoid(),
    }
}
conformance!(conv2d_hardsigmoid, Conv2dHardsigmoid);

network! {
    /// fused Hardswish around +-3
    struct Conv2dHardswish: [2, 6, 6] {
        Conv2d(2, 4, 3, padding = 1),
        Hardswish(),
    }
}
conformance!(conv2d_hardswish, Conv2dHardswish);

network! {
    /// fused SiLU
    struct Conv2dSilu: [2, 6, 6] {
        Conv2d(2, 4, 3, padding = 1),
        SiLU(),
    }
}
conformance!(conv2d_silu, Conv2dSilu);

network! {
    /// fused exact GELU
    struct Conv2dGelu: [2, 6, 6] {
        Conv2d(2, 4, 3, padding = 1),
        GELU(),
    }
}
conformance!(conv2d_gelu, Conv2dGelu);

network! {
    /// fused tanh GELU
    struct Conv2dGeluTanh: [2, 6, 6] {
        Conv2d(2, 4, 3, padding = 1),
        GELU(approximate = "tanh"),
    }
}
conformance!(conv2d_gelu_tanh, Conv2dGeluTanh);

network! {
    /// fused ELU
    struct Conv2dElu: [2, 6, 6] {
        Conv2d(2, 4, 3, padding = 1),
        ELU(alpha = 0.7),
    }
}
conformance!(conv2d_elu, Conv2dElu);

network! {
    /// fused Softplus on values on both sides of the threshold 20
    struct Conv2dSoftplus: [2, 6, 6] {
        Conv2d(2, 4, 3, padding = 1),
        Softplus(),
    }
}
conformance!(conv2d_softplus, Conv2dSoftplus);

network! {
    /// fused Softplus, beta * x on both sides of threshold 4
    struct Conv2dSoftplusBeta: [2, 6, 6] {
        Conv2d(2, 4, 3, padding = 1),
        Softplus(beta = 3, threshold = 4),
    }
}
conformance!(conv2d_softplus_beta, Conv2dSoftplusBeta);

network! {
    /// Hardswish fused between a convolution and its pooling
    struct Conv2dHardswishMaxpool: [2, 8, 8] {
        Conv2d(2, 3, 3, padding = 1),
        Hardswish(),
        MaxPool2d(2),
    }
}
conformance!(conv2d_hardswish_maxpool, Conv2dHardswishMaxpool);

network! {
    /// SiLU fused between a convolution and its average pooling
    struct Conv2dSiluAvgpool: [2, 8, 8] {
        Conv2d(2, 3, 3),
        SiLU(),
        AvgPool2d(3, stride = 2),
    }
}
conformance!(conv2d_silu_avgpool, Conv2dSiluAvgpool);

network! {
    /// fused ReLU6
    struct LinearRelu6: [12] {
        Linear(12, 10),
        ReLU6(),
    }
}
conformance!(linear_relu6, LinearRelu6);

network! {
    /// fused LeakyReLU
    struct LinearLeakyRelu: [12] {
        Linear(12, 10),
        LeakyReLU(),
    }
}
conformance!(linear_leaky_relu, LinearLeakyRelu);

network! {
    /// fused Sigmoid
    struct LinearSigmoid: [12] {
        Linear(12, 10),
        Sigmoid(),
    }
}
conformance!(linear_sigmoid, LinearSigmoid);

network! {
    /// fused Tanh
    struct LinearTanh: [12] {
        Linear(12, 10),
        Tanh(),
    }
}
conformance!(linear_tanh, LinearTanh);

network! {
    /// fused Hardtanh
    struct LinearHardtanh: [12] {
        Linear(12, 10),
        Hardtanh(),
    }
}
conformance!(linear_hardtanh, LinearHardtanh);

network! {
    /// fused Hardsigmoid
    struct LinearHardsigmoid: [12] {
        Linear(12, 10),
        Hardsigmoid(),
    }
}
conformance!(linear_hardsigmoid, LinearHardsigmoid);

network! {
    /// fused Hardswish
    struct LinearHardswish: [12] {
        Linear(12, 10),
        Hardswish(),
    }
}
conformance!(linear_hardswish, LinearHardswish);

network! {
    /// fused SiLU
    struct LinearSilu: [12] {
        Linear(12, 10),
        SiLU(),
    }
}
conformance!(linear_silu, LinearSilu);

network! {
    /// fused exact GELU
    struct LinearGelu: [12] {
        Linear(12, 10, bias = False),
        GELU(),
    }
}
conformance!(linear_gelu, LinearGelu);

network! {
    /// fused tanh GELU
    struct LinearGeluTanh: [12] {
        Linear(12, 10),
        GELU(approximate = "tanh"),
    }
}
conformance!(linear_gelu_tanh, LinearGeluTanh);

network! {
    /// fused ELU
    struct LinearElu: [12] {
        Linear(12, 10),
        ELU(),
    }
}
conformance!(linear_elu, LinearElu);

network! {
    /// fused Softplus, both sides of the threshold
    struct LinearSoftplus: [12] {
        Linear(12, 10),
        Softplus(beta = 0.5, threshold = 8),
    }
}
conformance!(linear_softplus, LinearSoftplus);

network! {
    /// Softmax over a vector
    struct SoftmaxVector: [10] {
        Softmax(dim = 1),
    }
}
conformance!(softmax_vector, SoftmaxVector);

network! {
    /// dim=-1 on a vector
    struct SoftmaxVectorLast: [10] {
        Softmax(dim = -1),
    }
}
conformance!(softmax_vector_last, SoftmaxVectorLast);

network! {
    /// dim=None on a vector: PyTorch picks dimension 1 of the 2-d batch
    struct SoftmaxVectorImplicit: [10] {
        Softmax(),
    }
}
conformance!(softmax_vector_implicit, SoftmaxVectorImplicit);

network! {
    /// large logits: the maximum must be subtracted first
    struct SoftmaxVectorLarge: [12] {
        Softmax(dim = 1),
    }
}
conformance!(softmax_vector_large, SoftmaxVectorLarge);

network! {
    /// over the channels of [C, L]
    struct SoftmaxSequenceChannels: [4, 6] {
        Softmax(dim = 1),
    }
}
conformance!(softmax_sequence_channels, SoftmaxSequenceChannels);

network! {
    /// over the length of [C, L], positional
    struct SoftmaxSequenceLength: [4, 6] {
        Softmax(2),
    }
}
conformance!(softmax_sequence_length, SoftmaxSequenceLength);

network! {
    /// dim=-1 on [C, L]
    struct SoftmaxSequenceLast: [4, 6] {
        Softmax(dim = -1),
    }
}
conformance!(softmax_sequence_last, SoftmaxSequenceLast);

network! {
    /// over the channels of [C, H, W]
    struct SoftmaxMapChannels: [3, 4, 5] {
        Softmax(dim = 1),
    }
}
conformance!(softmax_map_channels, SoftmaxMapChannels);

network! {
    /// over the height of [C, H, W]
    struct SoftmaxMapHeight: [3, 4, 5] {
        Softmax(dim = 2),
    }
}
conformance!(softmax_map_height, SoftmaxMapHeight);

network! {
    /// over the width of [C, H, W]
    struct SoftmaxMapWidth: [3, 4, 5] {
        Softmax(dim = 3),
    }
}
conformance!(softmax_map_width, SoftmaxMapWidth);

network! {
    /// dim=-1 on [C, H, W]
    struct SoftmaxMapLast: [3, 4, 5] {
        Softmax(dim = -1),
    }
}
conformance!(softmax_map_last, SoftmaxMapLast);

network! {
    /// dim=None on [C, H, W]: PyTorch picks dimension 1 (the channels) of the 4-d batch
    struct SoftmaxMapImplicit: [3, 4, 5] {
        Softmax(dim = None),
    }
}
conformance!(softmax_map_implicit, SoftmaxMapImplicit);

network! {
    /// inf, -inf, NaN and -0.0: a row with NaN or inf becomes NaN
    struct SoftmaxSpecial: [3, 4, 5] {
        Softmax(dim = 3),
    }
}
conformance!(softmax_special, SoftmaxSpecial);

network! {
    /// LogSoftmax over a vector
    struct LogsoftmaxVector: [10] {
        LogSoftmax(dim = 1),
    }
}
conformance!(logsoftmax_vector, LogsoftmaxVector);

network! {
    /// dim=None on a vector
    struct LogsoftmaxVectorImplicit: [10] {
        LogSoftmax(),
    }
}
conformance!(logsoftmax_vector_implicit, LogsoftmaxVectorImplicit);

network! {
    /// large logits
    struct LogsoftmaxLarge: [12] {
        LogSoftmax(dim = -1),
    }
}
conformance!(logsoftmax_large, LogsoftmaxLarge);

network! {
    /// over the length of [C, L]
    struct LogsoftmaxSequenceLength: [4, 6] {
        LogSoftmax(dim = 2),
    }
}
conformance!(logsoftmax_sequence_length, LogsoftmaxSequenceLength);

network! {
    /// over the channels of [C, H, W]
    struct LogsoftmaxMapChannels: [3, 4, 5] {
        LogSoftmax(dim = 1),
    }
}
conformance!(logsoftmax_map_channels, LogsoftmaxMapChannels);

network! {
    /// dim=None on [C, H, W]: the channels
    struct LogsoftmaxMapImplicit: [3, 4, 5] {
        LogSoftmax(),
    }
}
conformance!(logsoftmax_map_implicit, LogsoftmaxMapImplicit);

network! {
    /// dim=-2: the height
    struct LogsoftmaxMapMiddle: [3, 4, 5] {
        LogSoftmax(dim = -2),
    }
}
conformance!(logsoftmax_map_middle, LogsoftmaxMapMiddle);

network! {
    /// a classifier's log-probabilities
    struct LinearLogsoftmax: [16] {
        Linear(16, 10),
        LogSoftmax(dim = 1),
    }
}
conformance!(linear_logsoftmax, LinearLogsoftmax);

network! {
    /// Flatten(1, 2) turns [C, H, W] into [C * H, W]
    struct FlattenFirstTwo: [2, 3, 4] {
        Flatten(1, 2),
        Conv1d(6, 2, 3),
    }
}
conformance!(flatten_first_two, FlattenFirstTwo);

network! {
    /// Flatten(2, -1) turns [C, D, H, W] into [C, D * H * W]
    struct FlattenLastTwoOfVolume: [2, 3, 4, 5] {
        Flatten(2, -1),
        MaxPool1d(3),
    }
}
conformance!(flatten_last_two_of_volume, FlattenLastTwoOfVolume);

network! {
    /// Flatten(-3, -2) on [C, H, W] gives [C * H, W]
    struct FlattenNegativeBoth: [2, 3, 4] {
        Flatten(start_dim = -3, end_dim = -2),
        BatchNorm1d(6),
    }
}
conformance!(flatten_negative_both, FlattenNegativeBoth);

network! {
    /// Flatten(3) turns [C, D, H, W] into [C, D, H * W]
    struct FlattenLastOfVolume: [2, 3, 4, 5] {
        Flatten(3),
        Conv2d(2, 2, (2, 3)),
    }
}
conformance!(flatten_last_of_volume, FlattenLastOfVolume);

network! {
    /// Flatten(2, 2) merges one dimension: nothing changes
    struct FlattenSingleDim: [2, 3, 4] {
        Flatten(2, 2),
        ReLU(),
    }
}
conformance!(flatten_single_dim, FlattenSingleDim);

network! {
    /// Identity alone: the output is the input
    struct IdentityOnly: [5] {
        Identity(),
    }
}
conformance!(identity_only, IdentityOnly);

network! {
    /// an Identity between a convolution and its ReLU
    struct IdentityBetween: [2, 4, 5] {
        Conv2d(2, 3, 3),
        Identity(),
        ReLU(),
    }
}
conformance!(identity_between, IdentityBetween);

network! {
    /// Dropout in eval mode is the identity; p=0.5 printed
    struct DropoutDefault: [8] {
        Linear(8, 5),
        Dropout(),
        ReLU(),
    }
}
conformance!(dropout_default, DropoutDefault);

network! {
    /// several Dropouts: keyword, positional, inplace, int p=0, p=1.0
    struct DropoutOptions: [2, 3] {
        Dropout(p = 0.2),
        Dropout(0.3, True),
        Dropout(p = 0),
        Dropout(1.0),
    }
}
conformance!(dropout_options, DropoutOptions);

network! {
    /// nearest, integer scale_factor 2 (printed 2.0)
    struct UpsampleNearestScale2: [2, 3, 4] {
        Upsample(scale_factor = 2),
    }
}
conformance!(upsample_nearest_scale2, UpsampleNearestScale2);

network! {
    /// nearest, scale_factor 1.5: 7 x 6, source index floor(o / 1.5)
    struct UpsampleNearestScaleFloat: [2, 5, 4] {
        Upsample(scale_factor = 1.5),
    }
}
conformance!(upsample_nearest_scale_float, UpsampleNearestScaleFloat);

network! {
    /// nearest, a tuple of integer scale factors
    struct UpsampleNearestScaleTuple: [2, 3, 4] {
        Upsample(scale_factor = (2, 3)),
    }
}
conformance!(upsample_nearest_scale_tuple, UpsampleNearestScaleTuple);

network! {
    /// nearest, an int size that is not a multiple of either input size
    struct UpsampleNearestSizeInt: [2, 3, 5] {
        Upsample(size = 7),
    }
}
conformance!(upsample_nearest_size_int, UpsampleNearestSizeInt);

network! {
    /// nearest, a tuple size
    struct UpsampleNearestSizeTuple: [2, 3, 4] {
        Upsample(size = (5, 9)),
    }
}
conformance!(upsample_nearest_size_tuple, UpsampleNearestSizeTuple);

network! {
    /// nearest, doubled height and unchanged width, mode given
    struct UpsampleNearestSizeMixed: [2, 3, 4] {
        Upsample(size = (6, 4), mode = "nearest"),
    }
}
conformance!(upsample_nearest_size_mixed, UpsampleNearestSizeMixed);

network! {
    /// nearest, scale_factor 0.5 downsamples: 3 x 4
    struct UpsampleNearestDown: [2, 7, 9] {
        Upsample(scale_factor = 0.5),
    }
}
conformance!(upsample_nearest_down, UpsampleNearestDown);

network! {
    /// nearest, fractional downscaling per axis: 4 x 6
    struct UpsampleNearestDownTuple: [2, 7, 9] {
        Upsample(scale_factor = (0.6, 0.75)),
    }
}
conformance!(upsample_nearest_down_tuple, UpsampleNearestDownTuple);

network! {
    /// nearest, a size smaller than the input
    struct UpsampleNearestSizeDown: [2, 7, 9] {
        Upsample(size = (3, 5)),
    }
}
conformance!(upsample_nearest_size_down, UpsampleNearestSizeDown);

network! {
    /// bilinear, align_corners=False (the default)
    struct UpsampleBilinearScale2: [2, 3, 4] {
        Upsample(scale_factor = 2, mode = "bilinear"),
    }
}
conformance!(upsample_bilinear_scale2, UpsampleBilinearScale2);

network! {
    /// bilinear, align_corners=True
    struct UpsampleBilinearScale2Aligned: [2, 3, 4] {
        Upsample(scale_factor = 2, mode = "bilinear", align_corners = True),
    }
}
conformance!(upsample_bilinear_scale2_aligned, UpsampleBilinearScale2Aligned);

network! {
    /// bilinear, scale_factor 1.5, align_corners=False given
    struct UpsampleBilinearScaleFloat: [2, 5, 4] {
        Upsample(scale_factor = 1.5, mode = "bilinear", align_corners = False),
    }
}
conformance!(upsample_bilinear_scale_float, UpsampleBilinearScaleFloat);

network! {
    /// bilinear, fractional scale factors per axis, aligned corners
    struct UpsampleBilinearTupleAligned: [2, 3, 4] {
        Upsample(scale_factor = (2.5, 1.5), mode = "bilinear", align_corners = True),
    }
}
conformance!(upsample_bilinear_tuple_aligned, UpsampleBilinearTupleAligned);

network! {
    /// bilinear, a size not a multiple of the input
    struct UpsampleBilinearSize: [2, 3, 5] {
        Upsample(size = (7, 8), mode = "bilinear"),
    }
}
conformance!(upsample_bilinear_size, UpsampleBilinearSize);

network! {
    /// bilinear, an int size, aligned corners
    struct UpsampleBilinearSizeAligned: [2, 3, 5] {
        Upsample(size = 7, mode = "bilinear", align_corners = True),
    }
}
conformance!(upsample_bilinear_size_aligned, UpsampleBilinearSizeAligned);

network! {
    /// bilinear downsampling by 0.5
    struct UpsampleBilinearDown: [2, 7, 9] {
        Upsample(scale_factor = 0.5, mode = "bilinear"),
    }
}
conformance!(upsample_bilinear_down, UpsampleBilinearDown);

network! {
    /// bilinear downsampling to a size, aligned corners
    struct UpsampleBilinearSizeDownAligned: [2, 7, 9] {
        Upsample(size = (4, 5), mode = "bilinear", align_corners = True),
    }
}
conformance!(upsample_bilinear_size_down_aligned, UpsampleBilinearSizeDownAligned);

network! {
    /// aligned corners with an output of one row: PyTorch's scale is 0
    struct UpsampleBilinearToOneRow: [2, 4, 5] {
        Upsample(size = (1, 3), mode = "bilinear", align_corners = True),
    }
}
conformance!(upsample_bilinear_to_one_row, UpsampleBilinearToOneRow);

network! {
    /// size=None, scale_factor, mode and align_corners positionally
    struct UpsamplePositional: [2, 3, 4] {
        Upsample(None, 2, "bilinear", True),
    }
}
conformance!(upsample_positional, UpsamplePositional);

network! {
    /// nearest, 14 -> 20: the float32 scale 0.7 rounds down, so output 10 reads row 6, not 7
    struct UpsampleNearestSizeRounding: [1, 14, 14] {
        Upsample(size = (20, 21)),
    }
}
conformance!(upsample_nearest_size_rounding, UpsampleNearestSizeRounding);

network! {
    /// nearest on inf, -inf, NaN and -0.0: copied
    struct UpsampleNearestSpecial: [2, 5, 5] {
        Upsample(scale_factor = 1.5),
    }
}
conformance!(upsample_nearest_special, UpsampleNearestSpecial);

network! {
    /// bilinear on inf, -inf, NaN and -0.0, the width unchanged: PyTorch copies along an axis whose size does not change, so a neighbour's inf or NaN does not leak in
    struct UpsampleBilinearSpecial: [2, 5, 5] {
        Upsample(size = (10, 5), mode = "bilinear"),
    }
}
conformance!(upsample_bilinear_special, UpsampleBilinearSpecial);

network! {
    /// a decoder step: convolution, nearest upsampling, convolution
    struct Conv2dUpsampleConv: [2, 4, 4] {
        Conv2d(2, 3, 3, padding = 1),
        ReLU(),
        Upsample(scale_factor = 2),
        Conv2d(3, 2, 3),
    }
}
conformance!(conv2d_upsample_conv, Conv2dUpsampleConv);

network! {
    /// (None, None): the identity, printed output_size=(None, None)
    struct AdaptiveAvgNoneBoth: [2, 5, 6] {
        AdaptiveAvgPool2d((None, None)),
    }
}
conformance!(adaptive_avg_none_both, AdaptiveAvgNoneBoth);

network! {
    /// return_indices=False positionally, not printed
    struct AdaptiveMaxPositional: [2, 5, 6] {
        AdaptiveMaxPool2d((2, 3), False),
    }
}
conformance!(adaptive_max_positional, AdaptiveMaxPositional);

network! {
    /// normalized_shape as a list, stored and printed as the tuple (4, 5)
    struct LayernormList: [2, 4, 5] {
        LayerNorm([4, 5]),
    }
}
conformance!(layernorm_list, LayernormList);

network! {
    /// normalized over a whole [C, D, H, W] sample
    struct LayernormFourDims: [2, 3, 4, 5] {
        LayerNorm((2, 3, 4, 5), eps = 1e-3),
    }
}
conformance!(layernorm_four_dims, LayernormFourDims);

network! {
    /// an integer momentum, printed as given
    struct Instancenorm2dIntMomentum: [2, 3, 4] {
        InstanceNorm2d(2, momentum = 1),
    }
}
conformance!(instancenorm2d_int_momentum, Instancenorm2dIntMomentum);

network! {
    /// every keyword of Upsample, the defaults given explicitly
    struct UpsampleAllKeywords: [2, 3, 4] {
        Upsample(size = (5, 9), scale_factor = None, mode = "nearest", align_corners = None, recompute_scale_factor = None),
    }
}
conformance!(upsample_all_keywords, UpsampleAllKeywords);

network! {
    /// recompute_scale_factor=False: the scale stays 1 / 1.5, as with None
    struct UpsampleRecomputeFalse: [2, 3, 4] {
        Upsample(scale_factor = 1.5, mode = "bilinear", recompute_scale_factor = False),
    }
}
conformance!(upsample_recompute_false, UpsampleRecomputeFalse);

network! {
    /// a float tuple that doubles both sizes: nearest's shift path
    struct UpsampleFloatTupleDoubling: [2, 3, 4] {
        Upsample(scale_factor = (2.0, 2.0)),
    }
}
conformance!(upsample_float_tuple_doubling, UpsampleFloatTupleDoubling);

network! {
    /// integer parameters printed as given (min_val=-1, alpha=1, beta=1, negative_slope=0), inplace positionally, a negative dim positionally
    struct ActivationIntArgs: [2, 3, 4] {
        Hardtanh(-1, 1),
        ELU(alpha = 1),
        Softplus(beta = 1, threshold = 20),
        LeakyReLU(0),
        ReLU(True),
        ReLU6(True),
        SiLU(True),
        Softmax(-1),
    }
}
conformance!(activation_int_args, ActivationIntArgs);

network! {
    /// BatchNorm1d, LayerNorm and Softmax over the channels of a sequence
    struct SequenceNorms: [4, 3] {
        BatchNorm1d(4),
        LayerNorm(3),
        Softmax(1),
    }
}
conformance!(sequence_norms, SequenceNorms);

network! {
    /// a 1 x 1 transposed convolution: a pointwise map with weights [in, out, 1, 1]
    struct Convt2dPointwise: [3, 5, 6] {
        ConvTranspose2d(3, 2, (1, 1)),
    }
}
conformance!(convt2d_pointwise, Convt2dPointwise);

network! {
    /// a batch of 3: instance norm statistics and softmax stay within each sample
    struct BatchInstancenormSoftmax: [2, 4, 4] {
        Conv2d(2, 3, 3, padding = 1),
        InstanceNorm2d(3),
        Flatten(),
        Linear(48, 5),
        Softmax(dim = 1),
    }
}
conformance_batch!(batch_instancenorm_softmax, BatchInstancenormSoftmax, 3);

network! {
    /// a batch of 4 through eval-mode BatchNorm1d (running statistics, not the batch's)
    struct BatchBatchnormLogsoftmax: [6] {
        Linear(6, 8),
        BatchNorm1d(8),
        ReLU(),
        Linear(8, 4),
        LogSoftmax(),
    }
}
conformance_batch!(batch_batchnorm_logsoftmax, BatchBatchnormLogsoftmax, 4);

network! {
    /// LeNet-5 of the PyTorch 60-minute blitz, on 1x32x32
    struct LeNet: [1, 32, 32] {
        Conv2d(1, 6, 5),
        ReLU(),
        MaxPool2d(2),
        Conv2d(6, 16, 5),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(400, 120),
        ReLU(),
        Linear(120, 84),
        ReLU(),
        Linear(84, 10),
    }
}
conformance!(lenet, LeNet);

network! {
    /// the CIFAR-10 classifier of the tutorial, with its third convolution named conv3
    struct Cifar10Net: [3, 32, 32] {
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
conformance!(cifar10, Cifar10Net);

network! {
    /// the MNIST multi-layer perceptron
    struct Mlp: [784] {
        Linear(784, 256),
        ReLU(),
        Linear(256, 10),
    }
}
conformance!(mlp, Mlp);

network! {
    /// DS-CNN keyword spotter (Hello Edge, Zhang et al. 2017) on 49 x 10 MFCC features, with trained-looking batch norm statistics, on a batch of 3
    struct DsCnn: [1, 49, 10] {
        Conv2d(1, 64, (10, 4), stride = 2, padding = (5, 1)),
        BatchNorm2d(64),
        ReLU(),
        Conv2d(64, 64, 3, padding = 1, groups = 64),
        BatchNorm2d(64),
        ReLU(),
        Conv2d(64, 64, 1),
        BatchNorm2d(64),
        ReLU(),
        Conv2d(64, 64, 3, padding = 1, groups = 64),
        BatchNorm2d(64),
        ReLU(),
        Conv2d(64, 64, 1),
        BatchNorm2d(64),
        ReLU(),
        Conv2d(64, 64, 3, padding = 1, groups = 64),
        BatchNorm2d(64),
        ReLU(),
        Conv2d(64, 64, 1),
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
}
conformance_batch!(ds_cnn, DsCnn, 3);

network! {
    /// a chain through most of the vocabulary: fused conv blocks, transposed convolution, bilinear downsampling, instance and layer norm, adaptive pooling, reshapes, softmax
    struct LongChain: [3, 12, 12] {
        Conv2d(3, 8, 3, padding = 1, bias = False),
        BatchNorm2d(8),
        Hardswish(),
        MaxPool2d(2),
        ConvTranspose2d(8, 4, 2, stride = 2),
        BatchNorm2d(4, momentum = None),
        LeakyReLU(0.1),
        Upsample(scale_factor = 0.5, mode = "bilinear"),
        InstanceNorm2d(4, affine = True),
        Conv2d(4, 6, 3, padding = 1, groups = 2),
        ELU(),
        AvgPool2d(2, stride = 2, padding = 1, ceil_mode = True),
        AdaptiveMaxPool2d((3, None)),
        LayerNorm((3, 4)),
        Dropout(0.1),
        Flatten(2),
        Conv1d(6, 4, 3),
        BatchNorm1d(4),
        GELU(approximate = "tanh"),
        Softmax(dim = 2),
        Flatten(),
        Linear(40, 10),
        SiLU(),
        Identity(),
        Linear(10, 5),
        Tanh(),
        LogSoftmax(dim = 1),
    }
}
conformance!(long_chain, LongChain);

network! {
    /// the long chain on a batch of 3
    struct LongChainBatch: [3, 12, 12] {
        Conv2d(3, 8, 3, padding = 1, bias = False),
        BatchNorm2d(8),
        Hardswish(),
        MaxPool2d(2),
        ConvTranspose2d(8, 4, 2, stride = 2),
        BatchNorm2d(4, momentum = None),
        LeakyReLU(0.1),
        Upsample(scale_factor = 0.5, mode = "bilinear"),
        InstanceNorm2d(4, affine = True),
        Conv2d(4, 6, 3, padding = 1, groups = 2),
        ELU(),
        AvgPool2d(2, stride = 2, padding = 1, ceil_mode = True),
        AdaptiveMaxPool2d((3, None)),
        LayerNorm((3, 4)),
        Dropout(0.1),
        Flatten(2),
        Conv1d(6, 4, 3),
        BatchNorm1d(4),
        GELU(approximate = "tanh"),
        Softmax(dim = 2),
        Flatten(),
        Linear(40, 10),
        SiLU(),
        Identity(),
        Linear(10, 5),
        Tanh(),
        LogSoftmax(dim = 1),
    }
}
conformance_batch!(long_chain_batch, LongChainBatch, 3);

network! {
    /// Identity(*args, **kwargs) ignores its arguments, printed Identity()
    struct IdentityIgnoresArguments: [5] {
        Identity(54, unused = "x"),
    }
}
conformance!(identity_ignores_arguments, IdentityIgnoresArguments);

network! {
    /// keyword-only bias=False (PyTorch 2.15): a weight but no bias tensor
    struct Batchnorm2dBiasFalse: [3, 4, 5] {
        BatchNorm2d(3, bias = False),
    }
}
conformance!(batchnorm2d_bias_false, Batchnorm2dBiasFalse);

network! {
    /// bias=False batch norm fused after a convolution
    struct Batchnorm2dBiasFalseFused: [2, 6, 6] {
        Conv2d(2, 4, 3),
        BatchNorm2d(4, bias = False),
        ReLU(),
    }
}
conformance!(batchnorm2d_bias_false_fused, Batchnorm2dBiasFalseFused);

network! {
    /// InstanceNorm2d with a weight but no bias (keyword-only bias=False)
    struct Instancenorm2dAffineBiasFalse: [3, 4, 5] {
        InstanceNorm2d(3, affine = True, bias = False),
    }
}
conformance!(instancenorm2d_affine_bias_false, Instancenorm2dAffineBiasFalse);
