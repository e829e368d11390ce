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
