#!/usr/bin/env python3
"""Generates the PyTorch fixtures of staticnn's conformance tests (`tests/conformance.rs`).

Regenerate every fixture (from the repository root; needs torch, safetensors, numpy):

    python3 tools/gen_fixtures.py            # writes tests/fixtures/<case>.safetensors
    python3 tools/gen_fixtures.py --check    # regenerates in memory, compares with the files
                                             # and with the declarations in conformance.rs
    python3 tools/gen_fixtures.py --rust     # prints a `network!` declaration per case

Each case below is an `nn.Sequential` described by its input shape (without the batch
dimension) and its layers, written exactly as in `network!` (and as in Python): a layer is
the text of a `torch.nn` constructor call, or a pair `(name, text)` for a named layer. The
torch model is `nn.Sequential(OrderedDict([("0", ...), ("1", ...), ("conv3", ...)]))`:
unnamed layers are keyed by their index, so `state_dict` keys and `print(model)` are what
`network!` produces for the same declaration.

Determinism: every case seeds `torch.manual_seed` with the CRC-32 of its name (adding a
case does not change the others), builds its model with PyTorch's default initialisation,
gives its normalisation layers trained-looking statistics and affine parameters
(`randomize_norms`), draws its input, and runs the model on the CPU in float32, in `eval()`
mode under `torch.no_grad()`, on a batch of one (or of `batch` samples for batch cases).

Inputs (`input_kind`): `randn` (standard normal), `scaled:K` (normal times K, to reach the
saturated or thresholded ranges of activations), `offset:M` (normal plus M), `ramp:R`
(evenly spaced from -R to R over all elements, e.g. steps of exactly 0.25 for R = 6 over 49
elements, so points such as +-3 are hit exactly), and `negative`, `shifted` and `special`
(non-finite values) described at `Case`.

File layout, `tests/fixtures/<case>.safetensors` (all tensors float32, row-major):

- `input`: the input WITHOUT the batch dimension, e.g. shape `[1, 32, 32]` for LeNet; for a
  batch case (metadata `batch` = N, not `none`) WITH it: `[N, 1, 32, 32]`, sample n at index n.
- `output`: the model's output, likewise without (or, for a batch case, with) the batch
  dimension; a batch case's outputs come from one PyTorch call on the whole batch.
- `param.<key>`: every `state_dict` tensor under its exact key, e.g. `param.conv3.weight`,
  `param.0.bias`, including buffers (`running_mean`, `running_var`, and BatchNorm's integer
  `num_batches_tracked`, stored as float32 and not used at inference).
- `__metadata__` (strings): `repr` = `str(model)`; `case`; `description`; `layers` (the
  declaration, one layer per line, `name = ` before named ones); `input_shape` and
  `output_shape` (JSON lists, without batch); `state_dict_keys` (JSON list, in order);
  `params` (elements of the state_dict, buffers included); `trainable_params`
  (`sum(p.numel() for p in model.parameters())`, what staticnn's `PARAMS` counts); `batch`
  (`none`, or the number of samples of a batch case); `macs` (multiply-accumulates of the
  convolution and linear layers for one sample: output elements times
  `in_channels / groups * prod(kernel)`, for `ConvTranspose2d` input elements times
  `out_channels / groups * prod(kernel)`, and `in_features * out_features`, counted with
  forward hooks); `seed`; `torch_version`; `max_abs_err_vs_float64` (how far the float32
  output is from the same model evaluated in float64, a measure of how well-conditioned the
  case is).

The script refuses to write a case whose float32 output differs from its float64 output by
more than a fifth of the tests' tolerance, `1e-5 * (1 + |want|)`, so a failing test always
means staticnn disagrees with PyTorch, never rounding noise in the fixture.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import warnings
import zlib
from math import prod
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file
from safetensors import safe_open
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"

# The conformance tests accept |got - want| <= TOLERANCE * (1 + |want|).
TOLERANCE = 1e-5


@dataclass
class Case:
    """One fixture: a `network!` declaration and how to draw its input."""

    name: str
    input_shape: list[int]
    layers: list  # str, or (name, str) for a named layer
    description: str
    # "randn": standard normal; "negative": uniform in [-1.1, -0.1), so zero padding would
    # win every max-pooling window that touches it; "shifted": normal with mean -1;
    # "special": standard normal with +-inf, NaN and -0.0 at the flat indices of SPECIALS.
    input_kind: str = "randn"
    # The Rust struct's name in tests/conformance.rs; default: the case name in CamelCase.
    struct: str = ""
    # 0: one sample, stored without the batch dimension. N > 0: a batch of N samples, stored
    # with the batch dimension first; the test runs `forward_batch::<N>` on it.
    batch: int = 0


# Non-finite values of the "special" inputs, by flat index: +inf and -inf share the first
# window of most pooling layers (their sum is NaN), and a NaN must win any max.
SPECIALS = {0: float("inf"), 1: float("-inf"), 7: float("nan"), 14: float("inf"),
            21: -0.0, 30: float("-inf"), 41: float("nan")}


def c(name, shape, layers, description, input_kind="randn", struct="", batch=0):
    return Case(name, shape, layers, description, input_kind, struct, batch)


CASES = [
    # ---- Conv2d -------------------------------------------------------------------------
    c("conv2d_kernel_int", [3, 9, 10], ["Conv2d(3, 4, 3)"], "kernel_size as one int"),
    c("conv2d_kernel_tuple", [3, 9, 10], ["Conv2d(3, 4, kernel_size=(2, 4))"],
      "kernel_size as a tuple, different per axis"),
    c("conv2d_positional", [3, 9, 10], ["Conv2d(3, 4, 3, 2, 1, 1, 1, False)"],
      "every argument up to bias given positionally"),
    c("conv2d_stride_int", [2, 11, 10], ["Conv2d(2, 3, 3, stride=2)"],
      "stride as one int, an odd and an even input size"),
    c("conv2d_stride_tuple", [2, 10, 11], ["Conv2d(2, 3, (3, 2), stride=(2, 3))"],
      "stride as a tuple"),
    c("conv2d_padding_int", [2, 7, 8], ["Conv2d(2, 3, 3, padding=2)"],
      "padding larger than kernel_size // 2: border outputs see only padding on one side"),
    c("conv2d_padding_tuple", [2, 7, 8], ["Conv2d(2, 3, kernel_size=(3, 5), padding=(1, 2))"],
      "padding as a tuple"),
    c("conv2d_padding_stride", [2, 9, 8], ["Conv2d(2, 3, 4, stride=3, padding=2)"],
      "padding with a stride that skips over it"),
    c("conv2d_dilation_int", [2, 11, 12], ["Conv2d(2, 3, 3, dilation=2)"],
      "dilation as one int"),
    c("conv2d_dilation_tuple", [2, 9, 12], ["Conv2d(2, 3, 3, padding=(1, 2), dilation=(1, 3))"],
      "dilation as a tuple, with padding"),
    c("conv2d_no_bias", [3, 8, 8], ["Conv2d(3, 4, 3, bias=False)"], "bias=False"),
    c("conv2d_groups", [4, 8, 9], ["Conv2d(4, 6, 3, groups=2)"],
      "groups=2: two input and three output channels per group"),
    c("conv2d_depthwise", [4, 8, 9], ["Conv2d(4, 4, 3, padding=1, groups=4)"],
      "depthwise: groups = in_channels = out_channels"),
    c("conv2d_depthwise_multiplier", [3, 8, 9],
      ["Conv2d(3, 6, kernel_size=(3, 3), stride=(1, 2), groups=3, bias=False)"],
      "depthwise with two output channels per input channel"),
    c("conv2d_same_odd", [2, 7, 9], ['Conv2d(2, 3, 5, padding="same")'],
      'padding="same" with an odd kernel (symmetric padding)'),
    c("conv2d_same_even", [2, 7, 9], ['Conv2d(2, 3, (4, 2), padding="same")'],
      'padding="same" with even kernels (one more padding after than before)'),
    c("conv2d_same_dilated", [2, 8, 9], ['Conv2d(2, 3, (2, 3), padding="same", dilation=(3, 2))'],
      'padding="same" with dilation: total padding 3 (split 1 + 2) and 4'),
    c("conv2d_valid", [2, 7, 9], ['Conv2d(2, 3, (3, 4), padding="valid")'], 'padding="valid"'),
    c("conv2d_reflect", [2, 7, 9],
      ['Conv2d(2, 3, 3, stride=(1, 2), padding=(2, 1), padding_mode="reflect")'],
      'padding_mode="reflect" with tuple padding and stride'),
    c("conv2d_replicate", [2, 6, 7],
      ['Conv2d(2, 3, (3, 2), padding=2, dilation=(1, 2), padding_mode="replicate")'],
      'padding_mode="replicate" with dilation'),
    c("conv2d_circular", [2, 6, 7],
      ['Conv2d(2, 3, 3, stride=2, padding=(1, 2), padding_mode="circular")'],
      'padding_mode="circular" with stride'),
    c("conv2d_same_reflect", [2, 6, 7], ['Conv2d(2, 3, 4, padding="same", padding_mode="reflect")'],
      'padding="same" (asymmetric, even kernel) with padding_mode="reflect"'),
    c("conv2d_same_circular_groups", [4, 6, 7],
      ['Conv2d(4, 4, (2, 3), padding="same", groups=2, padding_mode="circular")'],
      'padding="same" with padding_mode="circular" and groups'),
    c("conv2d_all_options", [4, 11, 10],
      ['Conv2d(4, 6, kernel_size=(3, 2), stride=(2, 1), padding=(2, 1), dilation=(2, 3), '
       'groups=2, bias=False, padding_mode="zeros")'],
      "every keyword at once, padding_mode given explicitly"),
    c("conv2d_1x1", [6, 5, 4], ["Conv2d(6, 4, 1)"], "pointwise 1x1 convolution"),
    c("conv2d_full_window", [2, 5, 4], ["Conv2d(2, 3, (5, 4))"],
      "kernel as large as the input: a 1x1 output"),
    c("conv2d_valid_stride", [2, 7, 8], ['Conv2d(2, 3, 3, 2, "valid")'],
      'padding="valid" given positionally, with a stride'),
    c("conv2d_tiny_circular", [2, 1, 1], ['Conv2d(2, 3, 3, padding=1, padding_mode="circular")'],
      "a 1x1 input wrapped around by circular padding: every tap reads the one pixel"),
    c("conv2d_all_keywords", [2, 5, 6],
      ['Conv2d(in_channels=2, out_channels=3, kernel_size=3, stride=1, padding=1, dilation=1, '
       'groups=1, bias=True, padding_mode="zeros")'],
      "every argument by keyword, each with its default value except padding"),
    c("conv2d_valid_reflect", [2, 5, 6], ['Conv2d(2, 3, 3, padding="valid", padding_mode="reflect")'],
      'padding="valid" with padding_mode="reflect": nothing to reflect'),
    c("conv2d_relu", [3, 8, 9], ["Conv2d(3, 5, 3, padding=1)", "ReLU()"],
      "a convolution with the ReLU after it (fused by staticnn)"),
    # ---- Conv1d -------------------------------------------------------------------------
    c("conv1d_basic", [3, 20], ["Conv1d(3, 4, 3)"], "Conv1d with defaults"),
    c("conv1d_options", [4, 23], ["Conv1d(4, 6, 5, stride=2, padding=3, dilation=2, groups=2)"],
      "Conv1d with stride, padding, dilation and groups"),
    c("conv1d_same_reflect", [2, 12],
      ['Conv1d(2, 3, 4, padding="same", padding_mode="reflect", bias=False)'],
      'Conv1d, padding="same" with an even kernel, reflect padding, no bias'),
    c("conv1d_replicate_depthwise", [3, 10],
      ['Conv1d(3, 3, 3, stride=3, padding=2, groups=3, padding_mode="replicate")'],
      "Conv1d, depthwise, replicate padding, stride 3"),
    c("conv1d_circular", [2, 9], ['Conv1d(2, 2, 5, padding=4, padding_mode="circular")'],
      "Conv1d, circular padding of 4 on an input of 9"),
    c("conv1d_reflect_max_padding", [2, 5], ['Conv1d(2, 2, 3, padding=4, padding_mode="reflect")'],
      "reflect padding of length - 1, the most PyTorch allows"),
    c("conv1d_replicate_wide_padding", [1, 3], ['Conv1d(1, 2, 2, padding=5, padding_mode="replicate")'],
      "replicate padding wider than the input"),
    c("conv1d_circular_full_wrap", [2, 4], ['Conv1d(2, 2, 3, stride=2, padding=4, padding_mode="circular")'],
      "circular padding as long as the input"),
    c("conv1d_same_circular_dilated", [2, 8],
      ['Conv1d(2, 2, 3, padding="same", dilation=3, padding_mode="circular")'],
      'Conv1d, padding="same" with dilation 3 (padding 3 each side), circular'),
    c("conv1d_long", [1, 1500], ["Conv1d(1, 2, 7, stride=3)", "MaxPool1d(2)", "Flatten()", "Linear(498, 3)"],
      "a sequence longer than 1024 (sizes beyond typenum's named constants)"),
    # ---- Conv3d -------------------------------------------------------------------------
    c("conv3d_basic", [2, 5, 6, 7], ["Conv3d(2, 3, 3)"], "Conv3d with defaults"),
    c("conv3d_options", [2, 6, 7, 8],
      ["Conv3d(2, 4, (2, 3, 3), stride=(1, 2, 1), padding=(1, 0, 2), dilation=(2, 1, 1), "
       "groups=2, bias=False)"],
      "Conv3d with tuples for every window parameter, groups, no bias"),
    c("conv3d_same_replicate", [2, 4, 5, 6],
      ['Conv3d(2, 3, (2, 3, 4), padding="same", padding_mode="replicate")'],
      'Conv3d, padding="same" with even kernels, replicate padding'),
    c("conv3d_circular", [1, 4, 5, 6], ['Conv3d(1, 2, 3, stride=2, padding=1, padding_mode="circular")'],
      "Conv3d, circular padding with stride"),
    c("conv3d_reflect", [2, 4, 5, 6], ['Conv3d(2, 2, 3, padding=(1, 2, 1), padding_mode="reflect")'],
      "Conv3d, reflect padding"),
    c("conv3d_reflect_dilated", [2, 5, 4, 6],
      ['Conv3d(2, 2, (3, 2, 3), stride=(2, 1, 2), padding=(2, 1, 2), dilation=(2, 1, 1), '
       'padding_mode="reflect")'],
      "Conv3d, reflect padding with stride and dilation"),
    # ---- MaxPool2d ----------------------------------------------------------------------
    c("maxpool2d_kernel_int", [3, 8, 9], ["MaxPool2d(2)"],
      "kernel_size as an int, default stride; the odd width drops its last column"),
    c("maxpool2d_kernel_tuple", [3, 8, 9], ["MaxPool2d((2, 3), None)"],
      "kernel_size as a tuple, stride=None given explicitly"),
    c("maxpool2d_stride_int", [2, 9, 10], ["MaxPool2d(3, stride=2)"], "overlapping windows"),
    c("maxpool2d_stride_tuple", [2, 9, 10], ["MaxPool2d(kernel_size=(3, 2), stride=(1, 2))"],
      "stride as a tuple"),
    c("maxpool2d_padding", [2, 7, 8], ["MaxPool2d(3, 2, 1)"],
      "padding with an all-negative input: padding must never win (it is -inf)", "negative"),
    c("maxpool2d_padding_tuple", [2, 7, 8], ["MaxPool2d((3, 5), stride=(2, 1), padding=(1, 2))"],
      "tuple padding with an all-negative input", "negative"),
    c("maxpool2d_dilation_int", [2, 9, 10], ["MaxPool2d(3, stride=1, dilation=2)"],
      "dilation as an int"),
    c("maxpool2d_dilation_tuple", [2, 9, 10], ["MaxPool2d(3, 2, 1, (2, 1))"],
      "dilation as a tuple, with padding, on a mostly negative input", "shifted"),
    c("maxpool2d_ceil", [2, 7, 9], ["MaxPool2d(2, ceil_mode=True)"],
      "ceil_mode=True keeps the partial last windows"),
    c("maxpool2d_ceil_drop", [2, 5, 6],
      ["MaxPool2d(kernel_size=(2, 3), stride=2, padding=1, ceil_mode=True)"],
      "ceil_mode=True: along height ceil gives 4 windows and the last-window rule drops the "
      "one that would start in the right padding (3 remain); along width ceil gives 4 where "
      "floor gives 3", "negative"),
    c("maxpool2d_positional", [2, 7, 6], ["MaxPool2d(3, 2, 1, 1, False, True)"],
      "every argument positionally, ceil_mode=True", "shifted"),
    c("maxpool2d_kernel_one", [2, 5, 6], ["MaxPool2d(1, stride=2)"],
      "a 1x1 window with stride 2: subsampling"),
    c("maxpool2d_all_options", [2, 8, 7],
      ["MaxPool2d(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(1, 2), "
       "return_indices=False, ceil_mode=True)"],
      "every keyword at once", "shifted"),
    # ---- AvgPool2d ----------------------------------------------------------------------
    c("avgpool2d_kernel_int", [3, 8, 9], ["AvgPool2d(2)"], "kernel_size as an int"),
    c("avgpool2d_kernel_tuple_stride", [2, 9, 10], ["AvgPool2d((3, 2), stride=(2, 1))"],
      "kernel_size and stride as tuples"),
    c("avgpool2d_padding_include", [2, 7, 8], ["AvgPool2d(3, stride=2, padding=1)"],
      "padding counted in the divisor (count_include_pad=True, the default)"),
    c("avgpool2d_padding_exclude", [2, 7, 8],
      ["AvgPool2d(3, stride=2, padding=1, count_include_pad=False)"],
      "padding not counted in the divisor"),
    c("avgpool2d_ceil", [2, 7, 9], ["AvgPool2d(2, ceil_mode=True)"],
      "ceil_mode=True: partial windows divide by the positions inside the input"),
    c("avgpool2d_ceil_padding_include", [2, 6, 7],
      ["AvgPool2d(3, stride=2, padding=1, ceil_mode=True)"],
      "ceil_mode with padding, count_include_pad=True: the last window hangs past the right "
      "padding, and only the padding (not the overhang) counts in the divisor"),
    c("avgpool2d_ceil_padding_exclude", [2, 6, 7],
      ["AvgPool2d((3, 2), stride=2, padding=(1, 0), ceil_mode=True, count_include_pad=False)"],
      "ceil_mode with tuple padding, count_include_pad=False"),
    c("avgpool2d_divisor_override", [2, 7, 8], ["AvgPool2d(3, stride=2, padding=1, divisor_override=5)"],
      "divisor_override replaces every divisor"),
    c("avgpool2d_divisor_ceil", [2, 5, 5], ["AvgPool2d(2, ceil_mode=True, divisor_override=3)"],
      "divisor_override on partial windows"),
    c("avgpool2d_explicit_defaults", [2, 6, 6],
      ["AvgPool2d(kernel_size=2, stride=None, padding=0, ceil_mode=False, "
       "count_include_pad=True, divisor_override=None)"],
      "every keyword given with its default value"),
    c("avgpool2d_positional", [2, 7, 8], ["AvgPool2d(3, 2, 1, False, False, 4)"],
      "every argument positionally: divisor_override wins over count_include_pad=False"),
    # ---- MaxPool1d / AvgPool1d ----------------------------------------------------------
    c("maxpool1d_basic", [3, 20], ["MaxPool1d(3)"], "MaxPool1d with defaults"),
    c("maxpool1d_options", [2, 17], ["MaxPool1d(3, stride=2, padding=1, dilation=2, ceil_mode=True)"],
      "MaxPool1d with every option, all-negative input", "negative"),
    c("maxpool1d_ceil_drop", [2, 9], ["MaxPool1d(2, stride=2, padding=1, ceil_mode=True)"],
      "MaxPool1d, ceil_mode's last window dropped", "negative"),
    c("maxpool1d_tuple_args", [2, 11], ["MaxPool1d((3,), stride=(2,), padding=(1,))"],
      "MaxPool1d with 1-tuples, printed as given", "negative"),
    c("avgpool1d_basic", [3, 20], ["AvgPool1d(3)"], "AvgPool1d with defaults"),
    c("avgpool1d_ceil_padding_include", [2, 12], ["AvgPool1d(3, stride=2, padding=1, ceil_mode=True)"],
      "AvgPool1d, ceil_mode with padding counted"),
    c("avgpool1d_ceil_exclude_drop", [2, 13],
      ["AvgPool1d(4, stride=3, padding=2, ceil_mode=True, count_include_pad=False)"],
      "AvgPool1d, ceil_mode's last window dropped, padding not counted"),
    c("avgpool1d_tuple_args", [2, 11], ["AvgPool1d((3,), (2,), (1,))"],
      "AvgPool1d with 1-tuples given positionally"),
    # ---- Linear -------------------------------------------------------------------------
    c("linear_bias", [19], ["Linear(19, 7)"], "Linear with bias, 19 features (not a multiple of 8)"),
    c("linear_no_bias", [19], ["Linear(19, 7, bias=False)"], "Linear without bias"),
    c("linear_wide", [1100], ["Linear(1100, 3)"], "more than 1024 input features"),
    c("linear_relu_linear", [16], ["Linear(16, 9)", "ReLU()", "Linear(9, 4, False)"],
      "two Linear layers around a ReLU, the second without bias (positional)"),
    # ---- Flatten ------------------------------------------------------------------------
    c("flatten_only", [2, 3, 4], ["Flatten()"], "Flatten alone: the output is the input"),
    c("flatten_then_linear", [2, 5, 6], ["Conv2d(2, 3, 3)", "Flatten()", "ReLU()", "Linear(36, 5)"],
      "Flatten between a convolution and a ReLU + Linear"),
    c("flatten_start_dim_2", [3, 4, 5], ["Flatten(start_dim=2)", "Conv1d(3, 2, 3)", "MaxPool1d(2)"],
      "Flatten(start_dim=2) turns [C, H, W] into [C, H * W] for 1-d layers"),
    c("flatten_middle_dims", [2, 3, 4, 5], ["Flatten(2, 3)", "Conv2d(2, 3, 3)"],
      "Flatten(2, 3) turns [C, D, H, W] into [C, D * H, W]"),
    c("flatten_end_dim", [2, 3, 4, 5], ["Flatten(start_dim=1, end_dim=-2)", "MaxPool1d(2)"],
      "Flatten(1, -2) turns [C, D, H, W] into [C * D * H, W]"),
    c("flatten_negative_start", [2, 3, 4], ["Flatten(-2)", "MaxPool1d(3)"],
      "Flatten(-2) on [C, H, W] (a batch of rank 4) merges H and W"),
    c("flatten_reshape_only", [2, 3, 4], ["Flatten(start_dim=2)"],
      "a reshape alone: the output is the input, as [C, H * W]"),
    c("flatten_reshape_relu", [2, 4, 5],
      ["Conv2d(2, 3, 3, padding=1)", "Flatten(2)", "ReLU()", "Conv1d(3, 2, 3)"],
      "a ReLU on a reshaped activation between a Conv2d and a Conv1d"),
    c("flatten_after_linear", [6], ["Linear(6, 4)", "Flatten()", "ReLU()"],
      "Flatten of a vector is the identity; ReLU after it"),
    c("relu_flatten_linear", [2, 3, 4], ["ReLU()", "Flatten()", "Linear(24, 3)"],
      "ReLU on the input, then Flatten and Linear"),
    # ---- ReLU and naming ----------------------------------------------------------------
    c("relu_only", [2, 5, 6], ["ReLU()"], "ReLU alone, on the network's input"),
    c("relu_inplace", [3, 6, 7], ["MaxPool2d(2)", "ReLU(inplace=True)"],
      "ReLU(inplace=True) after a pooling layer"),
    c("relu_first_and_twice", [2, 6, 7], ["ReLU()", "Conv2d(2, 3, 3)", "ReLU()", "ReLU()"],
      "ReLU on the input, then a convolution followed by two ReLUs"),
    c("named_layers", [2, 8, 8],
      [("features", "Conv2d(2, 4, 3)"), "ReLU()", ("pool", "MaxPool2d(2)"), "Flatten()",
       ("head", "Linear(36, 3)")],
      "named and unnamed layers mixed: keys features.*, head.* and printed (1), (3)"),
    c("tiny_input", [2, 1, 1],
      ['Conv2d(2, 3, 3, padding=1, padding_mode="replicate")', "MaxPool2d(3, 1, 1)", "Flatten()",
       "Linear(3, 2)"],
      "a 1x1 feature map through padded windows"),
    # ---- Non-finite values --------------------------------------------------------------
    c("special_values_max", [2, 5, 6], ["MaxPool2d(2, stride=1, padding=1)", "ReLU()"],
      "inf, -inf, NaN and -0.0 through max pooling and ReLU: NaN propagates", "special"),
    c("special_values_avg", [2, 4, 6], ["AvgPool2d(2)", "ReLU()"],
      "inf, -inf, NaN and -0.0 through average pooling: inf + -inf is NaN", "special"),
    c("special_values_conv", [1, 5, 6], ["Conv2d(1, 2, 2)", "ReLU()"],
      "inf, -inf and NaN through a convolution", "special"),
    # ---- The tutorials' models ----------------------------------------------------------
    c("lenet", [1, 32, 32],
      ["Conv2d(1, 6, 5)", "ReLU()", "MaxPool2d(2)", "Conv2d(6, 16, 5)", "ReLU()", "MaxPool2d(2)",
       "Flatten()", "Linear(400, 120)", "ReLU()", "Linear(120, 84)", "ReLU()", "Linear(84, 10)"],
      "LeNet-5 of the PyTorch 60-minute blitz, on 1x32x32", struct="LeNet"),
    c("cifar10", [3, 32, 32],
      ["Conv2d(3, 32, 5, 1, 2)", "MaxPool2d(2)", "Conv2d(32, 32, kernel_size=5, padding=2)",
       "MaxPool2d(2)", ("conv3", "Conv2d(32, 64, 5, 1, 2)"), "MaxPool2d(2)", "Flatten()",
       "Linear(1024, 64)", "Linear(64, 10)"],
      "the CIFAR-10 classifier of the tutorial, with its third convolution named conv3",
      struct="Cifar10Net"),
    c("mlp", [784], ["Linear(784, 256)", "ReLU()", "Linear(256, 10)"],
      "the MNIST multi-layer perceptron"),
]


def layer_entries(case: Case):
    """(key, name or None, text) for each layer."""
    for index, layer in enumerate(case.layers):
        if isinstance(layer, tuple):
            name, text = layer
            yield name, name, text
        else:
            yield str(index), None, layer


def build_model(case: Case) -> nn.Sequential:
    namespace = {k: getattr(nn, k) for k in dir(nn) if not k.startswith("_")}
    children = OrderedDict()
    for key, _, text in layer_entries(case):
        children[key] = eval(text, {"__builtins__": {}}, namespace)  # noqa: S307 (our own text)
    return nn.Sequential(children)


def randomize_norms(model: nn.Module) -> None:
    """Gives every normalisation layer the state of a trained one, so the fixture tests the
    running statistics and affine parameters rather than their identity defaults: running means
    ~ N(0, 0.5^2), running variances uniform in [0.25, 2.25), weights ~ N(1, 0.3^2), biases
    ~ N(0, 0.3^2), and num_batches_tracked between 100 and 999. Draws from the case's
    generator, in module order, after the default initialisation and before the input."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (nn.modules.batchnorm._NormBase, nn.LayerNorm)):
                if getattr(module, "running_mean", None) is not None:
                    module.running_mean.copy_(torch.randn_like(module.running_mean) * 0.5)
                    module.running_var.copy_(torch.rand_like(module.running_var) * 2.0 + 0.25)
                    module.num_batches_tracked.fill_(int(torch.randint(100, 1000, ())))
                if getattr(module, "weight", None) is not None:
                    module.weight.copy_(1.0 + torch.randn_like(module.weight) * 0.3)
                if getattr(module, "bias", None) is not None:
                    module.bias.copy_(torch.randn_like(module.bias) * 0.3)


def make_input(case: Case) -> torch.Tensor:
    shape = [max(case.batch, 1), *case.input_shape]
    kind, _, arg = case.input_kind.partition(":")
    if kind == "scaled":
        return torch.randn(shape) * float(arg)
    if kind == "offset":
        return torch.randn(shape) + float(arg)
    if kind == "ramp":
        # Evenly spaced from -R to R over every element (exact on a grid such as R = 6 over 49
        # elements: steps of 0.25), for element-wise layers whose interesting points are known.
        r = float(arg)
        return torch.linspace(-r, r, prod(shape)).reshape(shape)
    if case.input_kind == "randn":
        return torch.randn(shape)
    if case.input_kind == "negative":
        return -(torch.rand(shape) + 0.1)
    if case.input_kind == "shifted":
        return torch.randn(shape) - 1.0
    if case.input_kind == "special":
        x = torch.randn(shape)
        flat = x.view(-1)
        for index, value in SPECIALS.items():
            if index < flat.numel():
                flat[index] = value
        return x
    raise ValueError(f"unknown input kind {case.input_kind!r}")


def seed_of(case: Case) -> int:
    return zlib.crc32(case.name.encode())


def generate(case: Case):
    """The tensors and metadata of one fixture."""
    seed = seed_of(case)
    torch.manual_seed(seed)
    model = build_model(case).float().eval()
    randomize_norms(model)
    x = make_input(case).float()
    macs = []

    def count_macs(module, inputs, out):
        if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            per_output = module.in_channels // module.groups * prod(module.kernel_size)
            macs.append(out[0].numel() * per_output)
        elif isinstance(module, nn.ConvTranspose2d):
            # Every input element is multiplied by out_channels / groups x kernel weights.
            per_input = module.out_channels // module.groups * prod(module.kernel_size)
            macs.append(inputs[0][0].numel() * per_input)
        elif isinstance(module, nn.Linear):
            macs.append(module.in_features * module.out_features)

    hooks = [m.register_forward_hook(count_macs) for m in model.children()]
    with torch.no_grad():
        y = model(x.clone())  # a first layer with inplace=True would overwrite x
    for hook in hooks:
        hook.remove()
    with torch.no_grad():
        y64 = build_model(case).double().eval()
        y64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
        y64 = y64(x.double())
    # Non-finite outputs must agree exactly (NaN with NaN); finite ones within the limit.
    finite = torch.isfinite(y64)
    err = (y.double() - y64).abs()
    worst = float(err[finite].max()) if bool(finite.any()) else 0.0
    limit = TOLERANCE / 5 * (1 + y64.abs())
    nonfinite_ok = torch.where(y64.isnan(), y.isnan(), y.double() == y64)
    if bool((finite & ~(err <= limit)).any()) or bool((~finite & ~nonfinite_ok).any()):
        raise SystemExit(f"{case.name}: float32 output is {worst:.3g} from float64; too ill-conditioned")
    if case.batch:
        assert y.shape[0] == case.batch
        tensors = {"input": x.clone(), "output": y.clone()}
    else:
        assert y.shape[0] == 1
        tensors = {"input": x[0].clone(), "output": y[0].clone()}
    state = model.state_dict()
    for key, value in state.items():
        tensors[f"param.{key}"] = value.detach().float().clone()
    declaration = "\n".join(
        f"{name} = {text}" if name else text for _, name, text in layer_entries(case)
    )
    metadata = {
        "case": case.name,
        "description": case.description,
        "repr": str(model),
        "layers": declaration,
        "input_shape": json.dumps(list(case.input_shape)),
        "output_shape": json.dumps(list(y.shape[1:])),
        "state_dict_keys": json.dumps(list(state.keys())),
        "params": str(sum(v.numel() for v in state.values())),
        "trainable_params": str(sum(p.numel() for p in model.parameters())),
        "macs": str(sum(macs)),  # per sample: the hooks count sample 0 only
        "batch": str(case.batch) if case.batch else "none",
        "input_kind": case.input_kind,
        "seed": str(seed),
        "torch_version": torch.__version__,
        "max_abs_err_vs_float64": f"{worst:.3e}",
        "layout": (f"input and output with a batch dimension of {case.batch}" if case.batch
                   else "no batch dimension") + "; state_dict tensors under param.<key>",
    }
    return tensors, metadata


def write_safetensors(path: Path, tensors: dict, metadata: dict) -> None:
    """Writes a safetensors file byte-for-byte reproducibly: tensors in the order given,
    metadata and header keys in a fixed order (`safetensors.torch.save_file` serialises the
    metadata from a hash map, in an order that changes from run to run)."""
    header = {"__metadata__": dict(sorted(metadata.items()))}
    chunks = []
    offset = 0
    for name, tensor in tensors.items():
        data = tensor.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {
            "dtype": "F32",
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the format allows trailing spaces; keeps data aligned
    path.write_bytes(len(text).to_bytes(8, "little") + text + b"".join(chunks))


def bitwise_equal(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Same shape and same bits (NaN equals NaN, -0.0 differs from 0.0)."""
    return a.shape == b.shape and torch.equal(a.view(torch.int32), b.view(torch.int32))


def check_roundtrip(path: Path, tensors: dict, metadata: dict) -> None:
    """Reads a written file back with the safetensors package."""
    stored = load_file(path)
    with safe_open(path, "pt") as f:
        assert f.metadata() == metadata, path
    assert set(stored) == set(tensors), path
    for name, tensor in tensors.items():
        assert bitwise_equal(stored[name], tensor), (path, name)


def rust_declaration(case: Case) -> str:
    """The `network!` block and test function for a case, for pasting into conformance.rs."""
    struct = case.struct or "".join(part.capitalize() for part in case.name.split("_"))
    shape = ", ".join(str(d) for d in case.input_shape)
    lines = []
    for _, name, text in layer_entries(case):
        text = re.sub(r"(\w)=", r"\1 = ", text)
        lines.append(f"        {name} = {text}," if name else f"        {text},")
    body = "\n".join(lines)
    test = (f"conformance_batch!({case.name}, {struct}, {case.batch});" if case.batch
            else f"conformance!({case.name}, {struct});")
    return (
        f"network! {{\n    /// {case.description}\n    struct {struct}: [{shape}] {{\n{body}\n    }}\n}}\n"
        f"{test}\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="compare with the committed files")
    mode.add_argument("--rust", action="store_true", help="print network! declarations")
    parser.add_argument("cases", nargs="*", help="only these cases (default: all)")
    args = parser.parse_args()

    names = [case.name for case in CASES]
    assert len(set(names)) == len(names), "duplicate case names"
    unknown = set(args.cases) - set(names)
    if unknown:
        parser.error(f"unknown cases: {sorted(unknown)}")
    cases = [case for case in CASES if not args.cases or case.name in args.cases]

    if args.rust:
        print("\n".join(rust_declaration(case) for case in cases))
        return 0

    # padding="same" with even kernels warns that torch pads a copy of the input; harmless.
    warnings.filterwarnings("ignore", message="Using padding='same'")
    # Softmax() without dim warns that the implicit choice is deprecated; the cases test it.
    warnings.filterwarnings("ignore", message="Implicit dimension choice")
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    FIXTURES.mkdir(parents=True, exist_ok=True)
    failures = 0
    total = 0
    for case in cases:
        tensors, metadata = generate(case)
        path = FIXTURES / f"{case.name}.safetensors"
        if args.check:
            if not path.exists():
                print(f"{case.name}: missing {path}")
                failures += 1
                continue
            stored = load_file(path)
            with safe_open(path, "pt") as f:
                stored_meta = f.metadata()
            same = stored.keys() == tensors.keys() and all(
                bitwise_equal(stored[k], tensors[k]) for k in tensors
            )
            ignore = {"torch_version", "max_abs_err_vs_float64"}
            same_meta = {k: v for k, v in stored_meta.items() if k not in ignore} == {
                k: v for k, v in metadata.items() if k not in ignore
            }
            if not (same and same_meta):
                print(f"{case.name}: differs (tensors equal: {same}, metadata equal: {same_meta})")
                failures += 1
            continue
        write_safetensors(path, tensors, metadata)
        check_roundtrip(path, tensors, metadata)
        size = path.stat().st_size
        total += size
        print(f"{case.name:32} {size:>9} B  out {metadata['output_shape']:16} "
              f"f32 vs f64 {metadata['max_abs_err_vs_float64']}")
    if args.check:
        print(f"{len(cases) - failures}/{len(cases)} fixtures reproduce")
        tests = (ROOT / "tests" / "conformance.rs").read_text()
        for case in cases:
            if rust_declaration(case) not in tests:
                print(f"{case.name}: tests/conformance.rs lacks its declaration (see --rust)")
                failures += 1
        return 1 if failures else 0
    print(f"{len(cases)} fixtures, {total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
