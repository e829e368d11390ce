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

Accuracy fixtures (`ACCURACY_CASES`, `tests/fixtures/accuracy_*.safetensors`, checked by
`tests/accuracy.rs`) are the opposite: long reductions (1,000 to 1.6 M values whose mean is
much larger than their spread) where float32 rounding is the point. Their test compares
staticnn's output with the float64 model's and requires its largest error to be at most twice
that of PyTorch's float32 output. Their files differ from the above:

- `output` (PyTorch's float32 output) and `reference` (the float64 model's output, stored as
  F64) are flattened; for outputs of more than 6,144 elements only the positions in `index`
  (I64: the first and last 1,024 and evenly spaced ones between) are stored and checked.
- An input of kind `lattice:C:E:K` (the values `C + j * 2^E`, `j` uniform in `-K..=K`, drawn
  by splitmix64 from the case's seed; see `lattice`) is not stored: the test regenerates it and
  checks the metadata's `input_crc32`. Parameters listed in `generated_params`
  (`key|dims|spec|crc32`, `;` between tensors; seed `crc32("<case>/<key>")`) likewise.
- Metadata `accuracy` = `float64`, `torch_f32_max_abs_err` (PyTorch's largest error over the
  checked positions) and `checked`.
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

import numpy as np
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
    # An accuracy case (ACCURACY_CASES): checked against PyTorch's float64 result, not its
    # float32 one (see `generate_accuracy`).
    accuracy: bool = False
    # Parameters drawn from a lattice instead of PyTorch's initialisation, as (state_dict key,
    # `lattice:..` spec); they are not stored but regenerated by the test.
    generated: tuple = ()


# Non-finite values of the "special" inputs, by flat index: +inf and -inf share the first
# window of most pooling layers (their sum is NaN), and a NaN must win any max.
SPECIALS = {0: float("inf"), 1: float("-inf"), 7: float("nan"), 14: float("inf"),
            21: -0.0, 30: float("-inf"), 41: float("nan")}


# The DS-CNN keyword spotter of "Hello Edge" (ARM's ML-KWS-for-MCU), small size: a strided
# convolution, four depthwise-separable blocks, global average pooling and a classifier.
DS_CNN = (
    ["Conv2d(1, 64, (10, 4), stride=2, padding=(5, 1))", "BatchNorm2d(64)", "ReLU()"]
    + ["Conv2d(64, 64, 3, padding=1, groups=64)", "BatchNorm2d(64)", "ReLU()",
       "Conv2d(64, 64, 1)", "BatchNorm2d(64)", "ReLU()"] * 4
    + ["AvgPool2d((25, 5))", "Flatten()", "Linear(64, 12)"]
)

# A chain through most of the vocabulary, shapes in the comments.
LONG_CHAIN = [
    "Conv2d(3, 8, 3, padding=1, bias=False)", "BatchNorm2d(8)", "Hardswish()",  # [8, 12, 12]
    "MaxPool2d(2)",  # [8, 6, 6]
    "ConvTranspose2d(8, 4, 2, stride=2)", "BatchNorm2d(4, momentum=None)",  # [4, 12, 12]
    "LeakyReLU(0.1)",
    'Upsample(scale_factor=0.5, mode="bilinear")',  # [4, 6, 6]
    "InstanceNorm2d(4, affine=True)",
    "Conv2d(4, 6, 3, padding=1, groups=2)", "ELU()",  # [6, 6, 6]
    "AvgPool2d(2, stride=2, padding=1, ceil_mode=True)",  # [6, 4, 4]
    "AdaptiveMaxPool2d((3, None))",  # [6, 3, 4]
    "LayerNorm((3, 4))", "Dropout(0.1)",
    "Flatten(2)",  # [6, 12]
    "Conv1d(6, 4, 3)", "BatchNorm1d(4)", 'GELU(approximate="tanh")',  # [4, 10]
    "Softmax(dim=2)",
    "Flatten()",  # [40]
    "Linear(40, 10)", "SiLU()", "Identity()",
    "Linear(10, 5)", "Tanh()", "LogSoftmax(dim=1)",  # [5]
]


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
    # ---- Pooling windows that overhang the padded input (ceil_mode) ---------------------
    c("avgpool1d_ceil_overhang", [1, 3], ["AvgPool1d(4, ceil_mode=True)"],
      "a window of 4 on an input of 3: ceil_mode lets it overhang by up to stride - 1, and "
      "the divisor counts the 3 positions inside"),
    c("maxpool1d_ceil_overhang", [2, 1], ["MaxPool1d(5, padding=1, ceil_mode=True)"],
      "a window of 5 on 1 + 2 x 1 padded positions: overhang of 2 (stride 5 allows 4)"),
    c("maxpool2d_ceil_overhang", [3, 9, 3],
      ["MaxPool2d((3, 3), stride=(1, 3), padding=(1, 1), dilation=(2, 3), ceil_mode=True)"],
      "dilated window spanning 7 on a padded width of 5: overhang of 2 (stride 3 allows 2)"),
    c("avgpool2d_ceil_overhang_padding", [2, 1, 5],
      ["AvgPool2d((4, 3), stride=(4, 2), padding=(1, 1), ceil_mode=True)"],
      "a window of height 4 on 1 + 2 x 1 padded rows: the overhang is not counted in the "
      "divisor, the padding is"),
    # ---- ConvTranspose2d ----------------------------------------------------------------
    c("convt2d_kernel_int", [3, 5, 6], ["ConvTranspose2d(3, 4, 3)"],
      "ConvTranspose2d with defaults: an int kernel, output 7 x 8"),
    c("convt2d_kernel_tuple", [2, 4, 5], ["ConvTranspose2d(2, 3, (2, 4))"],
      "kernel_size as a tuple"),
    c("convt2d_stride_padding", [2, 5, 6], ["ConvTranspose2d(2, 3, 3, stride=2, padding=1)"],
      "stride 2 with padding 1: output 9 x 11"),
    c("convt2d_output_padding", [2, 5, 6],
      ["ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1)"],
      "output_padding=1 adds a last row and column: 10 x 12, the input size of a Conv2d(3, "
      "stride=2, padding=1) that gives 5 x 6"),
    c("convt2d_tuples", [2, 4, 5],
      ["ConvTranspose2d(2, 3, (3, 4), stride=(2, 3), padding=(1, 2), output_padding=(1, 2))"],
      "every window parameter as a tuple, a different output_padding per axis"),
    c("convt2d_groups", [4, 4, 5], ["ConvTranspose2d(4, 6, 3, stride=2, groups=2)"],
      "groups=2: weights [4, 3, 3, 3], each half of the inputs feeds half of the outputs"),
    c("convt2d_depthwise", [3, 4, 5],
      ["ConvTranspose2d(3, 3, (2, 3), stride=2, padding=(0, 1), groups=3, bias=False)"],
      "depthwise transposed convolution without bias"),
    c("convt2d_dilation", [2, 5, 4], ["ConvTranspose2d(2, 3, 3, dilation=2, padding=1)"],
      "dilation 2 with padding 1"),
    c("convt2d_dilation_output_padding", [2, 4, 5],
      ["ConvTranspose2d(2, 2, 2, stride=(1, 2), dilation=(3, 2), output_padding=(2, 1))"],
      "output_padding 2 with stride 1: allowed because it is below the dilation 3"),
    c("convt2d_no_bias", [3, 4, 4], ["ConvTranspose2d(3, 2, 2, stride=2, bias=False)"],
      "bias=False, kernel = stride: non-overlapping 2 x 2 blocks"),
    c("convt2d_wide_padding", [2, 6, 5], ["ConvTranspose2d(2, 2, 5, stride=3, padding=4)"],
      "padding 4 crops most border taps: output 12 x 9"),
    c("convt2d_positional", [4, 4, 5], ["ConvTranspose2d(4, 2, 3, 2, 1, 1, 2, False, 2)"],
      "every argument up to dilation positionally: stride 2, padding 1, output_padding 1, "
      "groups 2, no bias, dilation 2"),
    c("convt2d_all_keywords", [2, 3, 4],
      ['ConvTranspose2d(in_channels=2, out_channels=3, kernel_size=(3, 2), stride=(2, 1), '
       'padding=(1, 0), output_padding=(1, 0), groups=1, bias=True, dilation=(1, 2), '
       'padding_mode="zeros")'],
      "every keyword, padding_mode given explicitly"),
    c("convt2d_relu_conv", [2, 4, 4],
      ["ConvTranspose2d(2, 3, 2, stride=2)", "ReLU()", "Conv2d(3, 2, 3, padding=1)"],
      "a ReLU fused into a transposed convolution, then a convolution"),
    # ---- AdaptiveAvgPool2d / AdaptiveMaxPool2d ------------------------------------------
    c("adaptive_avg_int", [3, 7, 9], ["AdaptiveAvgPool2d(3)"],
      "output_size as an int, sizes not divisible: windows overlap (7 -> 3: rows 0-2, 2-4, 4-6)"),
    c("adaptive_avg_tuple", [2, 10, 7], ["AdaptiveAvgPool2d((4, 5))"],
      "output_size as a tuple: 10 -> 4 (windows of 3), 7 -> 5 (windows of 2 and 3)"),
    c("adaptive_avg_none_height", [2, 5, 8], ["AdaptiveAvgPool2d((None, 3))"],
      "None keeps the input's height"),
    c("adaptive_avg_none_width", [2, 6, 5], ["AdaptiveAvgPool2d(output_size=(4, None))"],
      "None keeps the input's width; keyword"),
    c("adaptive_avg_larger", [2, 3, 4], ["AdaptiveAvgPool2d((7, 5))"],
      "output larger than the input: windows of one or two elements, repeated"),
    c("adaptive_avg_global", [4, 5, 6], ["AdaptiveAvgPool2d(1)", "Flatten()", "Linear(4, 3)"],
      "global average pooling before a classifier"),
    c("adaptive_avg_special", [2, 5, 6], ["AdaptiveAvgPool2d((2, 4))"],
      "inf, -inf and NaN through adaptive average pooling", "special"),
    c("adaptive_max_int", [2, 8, 7], ["AdaptiveMaxPool2d(3)"],
      "AdaptiveMaxPool2d, int output_size, sizes not divisible"),
    c("adaptive_max_none", [2, 7, 6], ["AdaptiveMaxPool2d((None, 4))"],
      "AdaptiveMaxPool2d, None keeps the height", "shifted"),
    c("adaptive_max_larger", [2, 3, 4],
      ["AdaptiveMaxPool2d(output_size=(5, 9), return_indices=False)"],
      "output larger than the input, every keyword"),
    c("adaptive_max_special", [2, 5, 6], ["AdaptiveMaxPool2d(2)"],
      "inf, -inf and NaN: a NaN wins its window", "special"),
    # ---- BatchNorm1d / BatchNorm2d (trained-looking statistics, see randomize_norms) ------
    c("batchnorm1d_vector", [6], ["BatchNorm1d(6)"], "BatchNorm1d on a vector [C], on the input"),
    c("batchnorm1d_sequence", [4, 7], ["BatchNorm1d(4, eps=0.001, momentum=None)"],
      "BatchNorm1d on a sequence [C, L], eps and momentum=None"),
    c("batchnorm1d_no_affine", [5], ["BatchNorm1d(5, affine=False)"],
      "affine=False: running statistics only"),
    c("batchnorm1d_after_pool", [3, 10], ["MaxPool1d(2)", "BatchNorm1d(3)", "Tanh()"],
      "standalone after pooling (in place), then an activation"),
    c("linear_batchnorm1d", [8], ["Linear(8, 6)", "BatchNorm1d(6)"],
      "BatchNorm1d fused into Linear's output loop, no activation"),
    c("linear_batchnorm1d_relu", [8],
      ["Linear(8, 6, bias=False)", "BatchNorm1d(6, momentum=0.3)", "ReLU()"],
      "Linear without bias + BatchNorm1d + ReLU, fused"),
    c("conv1d_batchnorm1d_hardswish", [2, 9],
      ["Conv1d(2, 4, 3, padding=1)", "BatchNorm1d(4, 1e-4, None, False)", "Hardswish()"],
      "Conv1d + BatchNorm1d (positional, no affine) + Hardswish, fused", "scaled:4"),
    c("conv1d_batchnorm1d_relu_maxpool", [2, 12],
      ["Conv1d(2, 3, 3)", "BatchNorm1d(3)", "ReLU()", "MaxPool1d(2)"],
      "Conv1d + BatchNorm1d + ReLU + MaxPool1d, fully fused"),
    c("batchnorm2d_input", [3, 5, 6], ["BatchNorm2d(3)"], "BatchNorm2d on the network's input"),
    c("batchnorm2d_after_pool", [3, 6, 7],
      ["AvgPool2d(2)", "BatchNorm2d(3, eps=0.001, momentum=0.01)"],
      "BatchNorm2d after pooling, eps and momentum"),
    c("batchnorm2d_no_affine", [3, 6, 7], ["MaxPool2d(2)", "BatchNorm2d(3, affine=False)", "ReLU()"],
      "affine=False, standalone, then a ReLU in place"),
    c("batchnorm2d_int_args", [2, 4, 5], ["BatchNorm2d(2, eps=1, momentum=0)"],
      "integer eps and momentum, printed as given (eps=1, momentum=0)"),
    c("batchnorm2d_positional", [4, 5, 5], ["BatchNorm2d(4, 1e-3, 0.2, True, True)"],
      "every argument up to track_running_stats positionally"),
    c("batchnorm2d_then_conv", [3, 6, 6], ["BatchNorm2d(3)", "Conv2d(3, 2, 3)"],
      "a batch norm on the input (not fused: nothing before it), then a convolution"),
    c("conv2d_batchnorm", [2, 6, 7], ["Conv2d(2, 4, 3)", "BatchNorm2d(4)"],
      "Conv2d + BatchNorm2d, fused, no activation"),
    c("conv2d_batchnorm_relu", [3, 6, 7],
      ["Conv2d(3, 4, 3, padding=1, bias=False)", "BatchNorm2d(4)", "ReLU()"],
      "Conv2d without bias + BatchNorm2d + ReLU, fused"),
    c("conv2d_batchnorm_relu_maxpool", [3, 8, 9],
      ["Conv2d(3, 4, 3, padding=1)", "BatchNorm2d(4)", "ReLU()", "MaxPool2d(2)"],
      "Conv2d + BatchNorm2d + ReLU + MaxPool2d, fully fused"),
    c("conv2d_batchnorm_maxpool", [2, 7, 8],
      ["Conv2d(2, 3, 3)", "BatchNorm2d(3, affine=False)", "MaxPool2d(3, stride=2, padding=1)"],
      "Conv2d + BatchNorm2d + padded MaxPool2d fused without an activation: negative outputs, "
      "padding must not win"),
    c("conv2d_batchnorm_relu6_avgpool", [2, 8, 8],
      ["Conv2d(2, 4, 3, padding=1, groups=2)", "BatchNorm2d(4, eps=1e-3)", "ReLU6()",
       "AvgPool2d(3, stride=2, ceil_mode=True)"],
      "grouped Conv2d + BatchNorm2d + ReLU6 + AvgPool2d (ceil_mode), fully fused", "scaled:4"),
    c("conv2d_batchnorm_twice", [2, 5, 6],
      ["Conv2d(2, 3, 3)", "BatchNorm2d(3)", "BatchNorm2d(3, affine=False)", "ReLU()"],
      "the first batch norm fuses, the second runs in place, then the ReLU"),
    c("convt2d_batchnorm", [3, 4, 4], ["ConvTranspose2d(3, 2, 2, stride=2)", "BatchNorm2d(2)"],
      "BatchNorm2d fused into ConvTranspose2d"),
    c("convt2d_batchnorm_leaky_relu", [2, 3, 4],
      ["ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1, bias=False)",
       "BatchNorm2d(3)", "LeakyReLU(0.2)"],
      "ConvTranspose2d + BatchNorm2d + LeakyReLU, fused"),
    # ---- LayerNorm ----------------------------------------------------------------------
    c("layernorm_vector", [10], ["LayerNorm(10)"], "LayerNorm over a vector, int normalized_shape"),
    c("layernorm_last_dim", [3, 8], ["LayerNorm(8)"],
      "over the last dimension of a sequence: each of the 3 rows alone"),
    c("layernorm_last_two", [3, 4, 5], ["LayerNorm((4, 5))"], "over the last two dimensions"),
    c("layernorm_last_three", [3, 4, 5], ["LayerNorm((3, 4, 5), eps=0.001)"],
      "over the whole sample, with eps"),
    c("layernorm_one_tuple", [2, 6], ["LayerNorm((6,))"], "a 1-tuple normalized_shape"),
    c("layernorm_no_affine", [3, 4, 5], ["LayerNorm(5, elementwise_affine=False)"],
      "elementwise_affine=False: no weight, no bias"),
    c("layernorm_no_bias", [3, 4, 5], ["LayerNorm((4, 5), bias=False)"], "bias=False: weight only"),
    c("layernorm_positional", [6], ["LayerNorm(6, 1e-6, False, False)"],
      "every argument positionally, neither weight nor bias"),
    c("layernorm_volume", [2, 3, 4, 5], ["LayerNorm((3, 4, 5))"],
      "a [C, D, H, W] input, normalised over its last three dimensions"),
    c("layernorm_offset", [4, 6], ["LayerNorm(6)"],
      "inputs with a mean of 8: the variance must not cancel catastrophically", "offset:8"),
    c("linear_layernorm_gelu", [6], ["Linear(6, 8)", "LayerNorm(8)", "GELU()"],
      "a transformer-style Linear + LayerNorm + GELU"),
    # ---- InstanceNorm2d -----------------------------------------------------------------
    c("instancenorm2d_default", [3, 5, 6], ["InstanceNorm2d(3)"],
      "no affine, no running statistics: each channel by its own mean and variance"),
    c("instancenorm2d_affine", [3, 5, 6], ["InstanceNorm2d(3, affine=True)"],
      "affine=True, statistics of the sample"),
    c("instancenorm2d_track", [3, 5, 6], ["InstanceNorm2d(3, track_running_stats=True)"],
      "track_running_stats=True: in eval mode normalised by the running statistics"),
    c("instancenorm2d_affine_track", [3, 5, 6], ["InstanceNorm2d(3, 0.001, 0.2, True, True)"],
      "affine and running statistics, every argument positionally"),
    c("conv2d_instancenorm_relu", [2, 6, 7],
      ["Conv2d(2, 4, 3, padding=1)", "InstanceNorm2d(4, eps=1e-3, momentum=None, affine=True)",
       "ReLU()"],
      "Conv2d + InstanceNorm2d (momentum=None) + ReLU"),
    # ---- Activations, alone (on evenly spaced inputs) -----------------------------------
    c("relu6_ramp", [1, 7, 7], ["ReLU6()"], "ReLU6 on -12 .. 12 in steps of 0.5", "ramp:12"),
    c("relu6_inplace", [3, 6, 7], ["MaxPool2d(2)", "ReLU6(inplace=True)"],
      "ReLU6(inplace=True) after pooling", "scaled:5"),
    c("leaky_relu_default", [1, 7, 7], ["LeakyReLU()"], "negative_slope=0.01", "ramp:6"),
    c("leaky_relu_slope", [1, 7, 7], ["LeakyReLU(negative_slope=0.2)"], "negative_slope=0.2",
      "ramp:6"),
    c("leaky_relu_positional_inplace", [2, 5, 5], ["MaxPool2d(2)", "LeakyReLU(0.1, True)"],
      "LeakyReLU(0.1, inplace=True) positionally"),
    c("leaky_relu_negative_slope", [1, 7, 7], ["LeakyReLU(-0.5)"],
      "a negative slope (PyTorch accepts it)", "ramp:6"),
    c("sigmoid_ramp", [81], ["Sigmoid()"], "Sigmoid on -40 .. 40 in steps of 1 (saturated ends)",
      "ramp:40"),
    c("tanh_ramp", [81], ["Tanh()"], "Tanh on -40 .. 40 in steps of 1", "ramp:40"),
    c("hardtanh_default", [1, 7, 7], ["Hardtanh()"], "Hardtanh on -3 .. 3 in steps of 0.125",
      "ramp:3"),
    c("hardtanh_custom", [1, 7, 7], ["Hardtanh(-2.0, 2.5)"], "min_val and max_val positionally",
      "ramp:6"),
    c("hardtanh_int_inplace", [1, 7, 7], ["Hardtanh(min_val=-2, max_val=3, inplace=True)"],
      "integer bounds, printed as given, and inplace=True", "ramp:6"),
    c("hardsigmoid_ramp", [1, 7, 7], ["Hardsigmoid()"],
      "Hardsigmoid on -6 .. 6 in steps of 0.25: exactly -3 and 3 included", "ramp:6"),
    c("hardsigmoid_inplace", [1, 7, 7], ["Hardsigmoid(inplace=True)"], "inplace=True", "ramp:4"),
    c("hardswish_ramp", [1, 7, 7], ["Hardswish()"],
      "Hardswish on -6 .. 6 in steps of 0.25: exactly -3 and 3 included", "ramp:6"),
    c("hardswish_inplace", [1, 7, 7], ["Hardswish(True)"], "inplace=True positionally", "ramp:4"),
    c("silu_ramp", [81], ["SiLU()"], "SiLU on -40 .. 40 in steps of 1", "ramp:40"),
    c("silu_inplace", [1, 7, 7], ["SiLU(inplace=True)"], "inplace=True", "ramp:6"),
    c("gelu_ramp", [1, 7, 7], ["GELU()"], "exact GELU on -6 .. 6", "ramp:6"),
    c("gelu_wide", [81], ["GELU(approximate=\"none\")"], "exact GELU on -40 .. 40, explicitly",
      "ramp:40"),
    c("gelu_tanh_ramp", [1, 7, 7], ["GELU(approximate=\"tanh\")"], "tanh-approximated GELU",
      "ramp:6"),
    c("gelu_tanh_wide", [81], ["GELU(\"tanh\")"], "tanh-approximated GELU on -40 .. 40", "ramp:40"),
    c("elu_ramp", [1, 7, 7], ["ELU()"], "ELU with alpha=1.0", "ramp:6"),
    c("elu_alpha", [81], ["ELU(alpha=0.5)"], "ELU with alpha=0.5 on -40 .. 40", "ramp:40"),
    c("elu_positional_inplace", [1, 7, 7], ["ELU(2, True)"],
      "integer alpha positionally, printed as given, inplace=True", "ramp:6"),
    c("softplus_ramp", [81], ["Softplus()"],
      "Softplus on -40 .. 40: beta * x = 20 is not above the threshold, 21 is", "ramp:40"),
    c("softplus_beta_threshold", [1, 7, 7], ["Softplus(beta=2, threshold=5)"],
      "beta=2, threshold=5 on -6 .. 6: 2.5 is the last x below the threshold", "ramp:6"),
    c("softplus_positional", [81], ["Softplus(0.5, 10.0)"],
      "beta=0.5, threshold=10 positionally on -40 .. 40", "ramp:40"),
    # ---- Activations on inf, -inf, NaN and -0.0 ----------------------------------------
    c("relu6_special", [2, 5, 5], ["ReLU6()"],
      "ReLU6 on inf, -inf, NaN and -0.0", "special"),
    c("leaky_relu_special", [2, 5, 5], ["LeakyReLU(0.2)"],
      "LeakyReLU on inf, -inf, NaN and -0.0", "special"),
    c("sigmoid_special", [2, 5, 5], ["Sigmoid()"],
      "Sigmoid on inf, -inf, NaN and -0.0", "special"),
    c("tanh_special", [2, 5, 5], ["Tanh()"],
      "Tanh on inf, -inf, NaN and -0.0", "special"),
    c("hardtanh_special", [2, 5, 5], ["Hardtanh(-2.0, 2.0)"],
      "Hardtanh on inf, -inf, NaN and -0.0", "special"),
    c("hardsigmoid_special", [2, 5, 5], ["Hardsigmoid()"],
      "Hardsigmoid on inf, -inf, NaN and -0.0", "special"),
    c("hardswish_special", [2, 5, 5], ["Hardswish()"],
      "Hardswish on inf, -inf, NaN and -0.0", "special"),
    c("silu_special", [2, 5, 5], ["SiLU()"],
      "SiLU on inf, -inf, NaN and -0.0", "special"),
    # No exact-GELU case: PyTorch's own float32 GELU(inf) is NaN in its vectorised loop but inf
    # in its scalar tail (and in float64), so the fixture would depend on the element's position.
    c("gelu_tanh_special", [2, 5, 5], ["GELU(approximate=\"tanh\")"],
      "GELU on inf, -inf, NaN and -0.0", "special"),
    c("elu_special", [2, 5, 5], ["ELU()"],
      "ELU on inf, -inf, NaN and -0.0", "special"),
    c("softplus_special", [2, 5, 5], ["Softplus()"],
      "Softplus on inf, -inf, NaN and -0.0", "special"),
    # ---- Activations fused into a convolution or linear layer ---------------------------
    c("conv2d_relu6", [2, 6, 6], ["Conv2d(2, 4, 3, padding=1)", "ReLU6()"], "fused ReLU6",
      "scaled:10"),
    c("conv2d_leaky_relu", [2, 6, 6], ["Conv2d(2, 4, 3, padding=1)", "LeakyReLU(0.2)"],
      "fused LeakyReLU"),
    c("conv2d_sigmoid", [2, 6, 6], ["Conv2d(2, 4, 3, padding=1)", "Sigmoid()"],
      "fused Sigmoid on large values", "scaled:20"),
    c("conv2d_tanh", [2, 6, 6], ["Conv2d(2, 4, 3, padding=1)", "Tanh()"], "fused Tanh",
      "scaled:8"),
    c("conv2d_hardtanh", [2, 6, 6], ["Conv2d(2, 4, 3, padding=1)", "Hardtanh(-2.0, 2.0)"],
      "fused Hardtanh", "scaled:6"),
    c("conv2d_hardsigmoid", [2, 6, 6], ["Conv2d(2, 4, 3, padding=1)", "Hardsigmoid()"],
      "fused Hardsigmoid around +-3", "scaled:8"),
    c("conv2d_hardswish", [2, 6, 6], ["Conv2d(2, 4, 3, padding=1)", "Hardswish()"],
      "fused Hardswish around +-3", "scaled:8"),
    c("conv2d_silu", [2, 6, 6], ["Conv2d(2, 4, 3, padding=1)", "SiLU()"], "fused SiLU",
      "scaled:8"),
    c("conv2d_gelu", [2, 6, 6], ["Conv2d(2, 4, 3, padding=1)", "GELU()"], "fused exact GELU",
      "scaled:6"),
    c("conv2d_gelu_tanh", [2, 6, 6], ["Conv2d(2, 4, 3, padding=1)", "GELU(approximate=\"tanh\")"],
      "fused tanh GELU", "scaled:6"),
    c("conv2d_elu", [2, 6, 6], ["Conv2d(2, 4, 3, padding=1)", "ELU(alpha=0.7)"], "fused ELU",
      "scaled:6"),
    c("conv2d_softplus", [2, 6, 6], ["Conv2d(2, 4, 3, padding=1)", "Softplus()"],
      "fused Softplus on values on both sides of the threshold 20", "scaled:40"),
    c("conv2d_softplus_beta", [2, 6, 6],
      ["Conv2d(2, 4, 3, padding=1)", "Softplus(beta=3, threshold=4)"],
      "fused Softplus, beta * x on both sides of threshold 4", "scaled:4"),
    c("conv2d_hardswish_maxpool", [2, 8, 8],
      ["Conv2d(2, 3, 3, padding=1)", "Hardswish()", "MaxPool2d(2)"],
      "Hardswish fused between a convolution and its pooling", "scaled:6"),
    c("conv2d_silu_avgpool", [2, 8, 8], ["Conv2d(2, 3, 3)", "SiLU()", "AvgPool2d(3, stride=2)"],
      "SiLU fused between a convolution and its average pooling", "scaled:6"),
    c("linear_relu6", [12], ["Linear(12, 10)", "ReLU6()"], "fused ReLU6", "scaled:12"),
    c("linear_leaky_relu", [12], ["Linear(12, 10)", "LeakyReLU()"], "fused LeakyReLU"),
    c("linear_sigmoid", [12], ["Linear(12, 10)", "Sigmoid()"], "fused Sigmoid", "scaled:20"),
    c("linear_tanh", [12], ["Linear(12, 10)", "Tanh()"], "fused Tanh", "scaled:8"),
    c("linear_hardtanh", [12], ["Linear(12, 10)", "Hardtanh()"], "fused Hardtanh", "scaled:3"),
    c("linear_hardsigmoid", [12], ["Linear(12, 10)", "Hardsigmoid()"], "fused Hardsigmoid",
      "scaled:8"),
    c("linear_hardswish", [12], ["Linear(12, 10)", "Hardswish()"], "fused Hardswish", "scaled:8"),
    c("linear_silu", [12], ["Linear(12, 10)", "SiLU()"], "fused SiLU", "scaled:8"),
    c("linear_gelu", [12], ["Linear(12, 10, bias=False)", "GELU()"], "fused exact GELU",
      "scaled:6"),
    c("linear_gelu_tanh", [12], ["Linear(12, 10)", "GELU(approximate=\"tanh\")"],
      "fused tanh GELU", "scaled:6"),
    c("linear_elu", [12], ["Linear(12, 10)", "ELU()"], "fused ELU", "scaled:6"),
    c("linear_softplus", [12], ["Linear(12, 10)", "Softplus(beta=0.5, threshold=8)"],
      "fused Softplus, both sides of the threshold", "scaled:40"),
    # ---- Softmax / LogSoftmax -----------------------------------------------------------
    c("softmax_vector", [10], ["Softmax(dim=1)"], "Softmax over a vector", "scaled:3"),
    c("softmax_vector_last", [10], ["Softmax(dim=-1)"], "dim=-1 on a vector", "scaled:3"),
    c("softmax_vector_implicit", [10], ["Softmax()"],
      "dim=None on a vector: PyTorch picks dimension 1 of the 2-d batch", "scaled:3"),
    c("softmax_vector_large", [12], ["Softmax(dim=1)"],
      "large logits: the maximum must be subtracted first", "scaled:50"),
    c("softmax_sequence_channels", [4, 6], ["Softmax(dim=1)"], "over the channels of [C, L]"),
    c("softmax_sequence_length", [4, 6], ["Softmax(2)"], "over the length of [C, L], positional"),
    c("softmax_sequence_last", [4, 6], ["Softmax(dim=-1)"], "dim=-1 on [C, L]"),
    c("softmax_map_channels", [3, 4, 5], ["Softmax(dim=1)"], "over the channels of [C, H, W]"),
    c("softmax_map_height", [3, 4, 5], ["Softmax(dim=2)"], "over the height of [C, H, W]"),
    c("softmax_map_width", [3, 4, 5], ["Softmax(dim=3)"], "over the width of [C, H, W]"),
    c("softmax_map_last", [3, 4, 5], ["Softmax(dim=-1)"], "dim=-1 on [C, H, W]"),
    c("softmax_map_implicit", [3, 4, 5], ["Softmax(dim=None)"],
      "dim=None on [C, H, W]: PyTorch picks dimension 1 (the channels) of the 4-d batch"),
    c("softmax_special", [3, 4, 5], ["Softmax(dim=3)"],
      "inf, -inf, NaN and -0.0: a row with NaN or inf becomes NaN", "special"),
    c("logsoftmax_vector", [10], ["LogSoftmax(dim=1)"], "LogSoftmax over a vector", "scaled:3"),
    c("logsoftmax_vector_implicit", [10], ["LogSoftmax()"], "dim=None on a vector", "scaled:3"),
    c("logsoftmax_large", [12], ["LogSoftmax(dim=-1)"], "large logits", "scaled:50"),
    c("logsoftmax_sequence_length", [4, 6], ["LogSoftmax(dim=2)"], "over the length of [C, L]"),
    c("logsoftmax_map_channels", [3, 4, 5], ["LogSoftmax(dim=1)"],
      "over the channels of [C, H, W]"),
    c("logsoftmax_map_implicit", [3, 4, 5], ["LogSoftmax()"],
      "dim=None on [C, H, W]: the channels"),
    c("logsoftmax_map_middle", [3, 4, 5], ["LogSoftmax(dim=-2)"], "dim=-2: the height"),
    c("linear_logsoftmax", [16], ["Linear(16, 10)", "LogSoftmax(dim=1)"],
      "a classifier's log-probabilities"),
    # ---- Flatten, Identity, Dropout -----------------------------------------------------
    c("flatten_first_two", [2, 3, 4], ["Flatten(1, 2)", "Conv1d(6, 2, 3)"],
      "Flatten(1, 2) turns [C, H, W] into [C * H, W]"),
    c("flatten_last_two_of_volume", [2, 3, 4, 5], ["Flatten(2, -1)", "MaxPool1d(3)"],
      "Flatten(2, -1) turns [C, D, H, W] into [C, D * H * W]"),
    c("flatten_negative_both", [2, 3, 4], ["Flatten(start_dim=-3, end_dim=-2)", "BatchNorm1d(6)"],
      "Flatten(-3, -2) on [C, H, W] gives [C * H, W]"),
    c("flatten_last_of_volume", [2, 3, 4, 5], ["Flatten(3)", "Conv2d(2, 2, (2, 3))"],
      "Flatten(3) turns [C, D, H, W] into [C, D, H * W]"),
    c("flatten_single_dim", [2, 3, 4], ["Flatten(2, 2)", "ReLU()"],
      "Flatten(2, 2) merges one dimension: nothing changes"),
    c("identity_only", [5], ["Identity()"], "Identity alone: the output is the input"),
    c("identity_ignores_arguments", [5], ["Identity(54, unused=\"x\")"],
      "Identity(*args, **kwargs) ignores its arguments, printed Identity()"),
    c("batchnorm2d_bias_false", [3, 4, 5], ["BatchNorm2d(3, bias=False)"],
      "keyword-only bias=False (PyTorch 2.15): a weight but no bias tensor"),
    c("batchnorm2d_bias_false_fused", [2, 6, 6],
      ["Conv2d(2, 4, 3)", "BatchNorm2d(4, bias=False)", "ReLU()"],
      "bias=False batch norm fused after a convolution"),
    c("instancenorm2d_affine_bias_false", [3, 4, 5],
      ["InstanceNorm2d(3, affine=True, bias=False)"],
      "InstanceNorm2d with a weight but no bias (keyword-only bias=False)"),
    c("identity_between", [2, 4, 5], ["Conv2d(2, 3, 3)", "Identity()", "ReLU()"],
      "an Identity between a convolution and its ReLU"),
    c("dropout_default", [8], ["Linear(8, 5)", "Dropout()", "ReLU()"],
      "Dropout in eval mode is the identity; p=0.5 printed"),
    c("dropout_options", [2, 3], ["Dropout(p=0.2)", "Dropout(0.3, True)", "Dropout(p=0)",
                                  "Dropout(1.0)"],
      "several Dropouts: keyword, positional, inplace, int p=0, p=1.0"),
    # ---- Upsample -----------------------------------------------------------------------
    c("upsample_nearest_scale2", [2, 3, 4], ["Upsample(scale_factor=2)"],
      "nearest, integer scale_factor 2 (printed 2.0)"),
    c("upsample_nearest_scale_float", [2, 5, 4], ["Upsample(scale_factor=1.5)"],
      "nearest, scale_factor 1.5: 7 x 6, source index floor(o / 1.5)"),
    c("upsample_nearest_scale_tuple", [2, 3, 4], ["Upsample(scale_factor=(2, 3))"],
      "nearest, a tuple of integer scale factors"),
    c("upsample_nearest_size_int", [2, 3, 5], ["Upsample(size=7)"],
      "nearest, an int size that is not a multiple of either input size"),
    c("upsample_nearest_size_tuple", [2, 3, 4], ["Upsample(size=(5, 9))"],
      "nearest, a tuple size"),
    c("upsample_nearest_size_mixed", [2, 3, 4], ["Upsample(size=(6, 4), mode=\"nearest\")"],
      "nearest, doubled height and unchanged width, mode given"),
    c("upsample_nearest_down", [2, 7, 9], ["Upsample(scale_factor=0.5)"],
      "nearest, scale_factor 0.5 downsamples: 3 x 4"),
    c("upsample_nearest_down_tuple", [2, 7, 9], ["Upsample(scale_factor=(0.6, 0.75))"],
      "nearest, fractional downscaling per axis: 4 x 6"),
    c("upsample_nearest_size_down", [2, 7, 9], ["Upsample(size=(3, 5))"],
      "nearest, a size smaller than the input"),
    c("upsample_bilinear_scale2", [2, 3, 4], ["Upsample(scale_factor=2, mode=\"bilinear\")"],
      "bilinear, align_corners=False (the default)"),
    c("upsample_bilinear_scale2_aligned", [2, 3, 4],
      ["Upsample(scale_factor=2, mode=\"bilinear\", align_corners=True)"],
      "bilinear, align_corners=True"),
    c("upsample_bilinear_scale_float", [2, 5, 4],
      ["Upsample(scale_factor=1.5, mode=\"bilinear\", align_corners=False)"],
      "bilinear, scale_factor 1.5, align_corners=False given"),
    c("upsample_bilinear_tuple_aligned", [2, 3, 4],
      ["Upsample(scale_factor=(2.5, 1.5), mode=\"bilinear\", align_corners=True)"],
      "bilinear, fractional scale factors per axis, aligned corners"),
    c("upsample_bilinear_size", [2, 3, 5], ["Upsample(size=(7, 8), mode=\"bilinear\")"],
      "bilinear, a size not a multiple of the input"),
    c("upsample_bilinear_size_aligned", [2, 3, 5],
      ["Upsample(size=7, mode=\"bilinear\", align_corners=True)"],
      "bilinear, an int size, aligned corners"),
    c("upsample_bilinear_down", [2, 7, 9], ["Upsample(scale_factor=0.5, mode=\"bilinear\")"],
      "bilinear downsampling by 0.5"),
    c("upsample_bilinear_size_down_aligned", [2, 7, 9],
      ["Upsample(size=(4, 5), mode=\"bilinear\", align_corners=True)"],
      "bilinear downsampling to a size, aligned corners"),
    c("upsample_bilinear_to_one_row", [2, 4, 5],
      ["Upsample(size=(1, 3), mode=\"bilinear\", align_corners=True)"],
      "aligned corners with an output of one row: PyTorch's scale is 0"),
    c("upsample_positional", [2, 3, 4], ["Upsample(None, 2, \"bilinear\", True)"],
      "size=None, scale_factor, mode and align_corners positionally"),
    c("upsample_nearest_size_rounding", [1, 14, 14], ["Upsample(size=(20, 21))"],
      "nearest, 14 -> 20: the float32 scale 0.7 rounds down, so output 10 reads row 6, not 7"),
    c("upsample_nearest_special", [2, 5, 5], ["Upsample(scale_factor=1.5)"],
      "nearest on inf, -inf, NaN and -0.0: copied", "special"),
    c("upsample_bilinear_special", [2, 5, 5], ["Upsample(size=(10, 5), mode=\"bilinear\")"],
      "bilinear on inf, -inf, NaN and -0.0, the width unchanged: PyTorch copies along an axis "
      "whose size does not change, so a neighbour's inf or NaN does not leak in", "special"),
    c("conv2d_upsample_conv", [2, 4, 4],
      ["Conv2d(2, 3, 3, padding=1)", "ReLU()", "Upsample(scale_factor=2)", "Conv2d(3, 2, 3)"],
      "a decoder step: convolution, nearest upsampling, convolution"),
    # ---- Arguments PyTorch accepts in unusual forms -------------------------------------
    c("adaptive_avg_none_both", [2, 5, 6], ["AdaptiveAvgPool2d((None, None))"],
      "(None, None): the identity, printed output_size=(None, None)"),
    c("adaptive_max_positional", [2, 5, 6], ["AdaptiveMaxPool2d((2, 3), False)"],
      "return_indices=False positionally, not printed"),
    c("layernorm_list", [2, 4, 5], ["LayerNorm([4, 5])"],
      "normalized_shape as a list, stored and printed as the tuple (4, 5)"),
    c("layernorm_four_dims", [2, 3, 4, 5], ["LayerNorm((2, 3, 4, 5), eps=1e-3)"],
      "normalized over a whole [C, D, H, W] sample"),
    c("instancenorm2d_int_momentum", [2, 3, 4], ["InstanceNorm2d(2, momentum=1)"],
      "an integer momentum, printed as given"),
    c("upsample_all_keywords", [2, 3, 4],
      ['Upsample(size=(5, 9), scale_factor=None, mode="nearest", align_corners=None, '
       'recompute_scale_factor=None)'],
      "every keyword of Upsample, the defaults given explicitly"),
    c("upsample_recompute_false", [2, 3, 4],
      ["Upsample(scale_factor=1.5, mode=\"bilinear\", recompute_scale_factor=False)"],
      "recompute_scale_factor=False: the scale stays 1 / 1.5, as with None"),
    c("upsample_float_tuple_doubling", [2, 3, 4], ["Upsample(scale_factor=(2.0, 2.0))"],
      "a float tuple that doubles both sizes: nearest's shift path"),
    c("activation_int_args", [2, 3, 4],
      ["Hardtanh(-1, 1)", "ELU(alpha=1)", "Softplus(beta=1, threshold=20)", "LeakyReLU(0)",
       "ReLU(True)", "ReLU6(True)", "SiLU(True)", "Softmax(-1)"],
      "integer parameters printed as given (min_val=-1, alpha=1, beta=1, negative_slope=0), "
      "inplace positionally, a negative dim positionally", "scaled:3"),
    c("sequence_norms", [4, 3], ["BatchNorm1d(4)", "LayerNorm(3)", "Softmax(1)"],
      "BatchNorm1d, LayerNorm and Softmax over the channels of a sequence"),
    c("convt2d_pointwise", [3, 5, 6], ["ConvTranspose2d(3, 2, (1, 1))"],
      "a 1 x 1 transposed convolution: a pointwise map with weights [in, out, 1, 1]"),
    # ---- Batches: forward_batch on several samples --------------------------------------
    c("batch_instancenorm_softmax", [2, 4, 4],
      ["Conv2d(2, 3, 3, padding=1)", "InstanceNorm2d(3)", "Flatten()", "Linear(48, 5)",
       "Softmax(dim=1)"],
      "a batch of 3: instance norm statistics and softmax stay within each sample", batch=3),
    c("batch_batchnorm_logsoftmax", [6],
      ["Linear(6, 8)", "BatchNorm1d(8)", "ReLU()", "Linear(8, 4)", "LogSoftmax()"],
      "a batch of 4 through eval-mode BatchNorm1d (running statistics, not the batch's)",
      batch=4),
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
    # ---- Whole models -------------------------------------------------------------------
    # One fixture for the DS-CNN (its 25 k parameters are 100 KB): a batch case checks each
    # sample alone as well.
    c("ds_cnn", [1, 49, 10], DS_CNN,
      "DS-CNN keyword spotter (Hello Edge, Zhang et al. 2017) on 49 x 10 MFCC features, with "
      "trained-looking batch norm statistics, on a batch of 3", struct="DsCnn", batch=3),
    c("long_chain", [3, 12, 12], LONG_CHAIN,
      "a chain through most of the vocabulary: fused conv blocks, transposed convolution, "
      "bilinear downsampling, instance and layer norm, adaptive pooling, reshapes, softmax",
      "scaled:2"),
    c("long_chain_batch", [3, 12, 12], LONG_CHAIN, "the long chain on a batch of 3", "scaled:2",
      batch=3),
]


# ---- Accuracy of long reductions ------------------------------------------------------------
# Sums of 1,000 to 100,000 values whose mean is much larger than their spread, where summing one
# value after another in float32 loses digits. Each case is checked against the same model in
# float64: staticnn's largest error must be at most twice PyTorch's float32 one.
#
# `lattice:C:E:K` inputs are C + j * 2**E for j uniform in -K..K (every value exactly a float32),
# drawn by splitmix64 from the case's seed; the test regenerates them (`tests/common/mod.rs`)
# and checks their CRC-32, so large inputs are not stored.

# 1000 +- 0.01 in steps of one float32 ulp at 1000 (2^-14).
OFFSET_1000 = "lattice:1000:-14:164"
# 0.5 +- 0.0156 in steps of 2^-20.
NEAR_HALF = "lattice:0.5:-20:16384"
# Uniform in [-2, 2] in steps of 2^-12, to go through a Sigmoid (0.12 .. 0.88).
PLUS_MINUS_2 = "lattice:0:-12:8192"
# Linear weights 2^-10 +- 9.5e-5: every product has the same sign and about the same size.
SMALL_WEIGHTS = "lattice:0.0009765625:-20:100"


def a(name, shape, layers, description, input_kind, generated=()):
    return Case(name, shape, layers, description, input_kind, accuracy=True,
                generated=tuple(generated))


ACCURACY_CASES = [
    a("accuracy_layernorm_sigmoid_960", [960], ["Sigmoid()", "LayerNorm(960)"],
      "the issue's example: LayerNorm over 960 values after a Sigmoid (mean 0.5, small spread)",
      "randn"),
    a("accuracy_layernorm_offset_1000", [1000], ["LayerNorm(1000)"],
      "LayerNorm over 1,000 values 1000 +- 0.01", OFFSET_1000),
    a("accuracy_layernorm_offset_2x50000", [2, 50000],
      ["LayerNorm(50000, elementwise_affine=False)"],
      "LayerNorm over two rows of 50,000 values 1000 +- 0.01", OFFSET_1000),
    a("accuracy_layernorm_sigmoid_100000", [100000],
      ["Sigmoid()", "LayerNorm(100000, elementwise_affine=False)"],
      "LayerNorm over 100,000 values after a Sigmoid", PLUS_MINUS_2),
    a("accuracy_instancenorm_offset_320", [2, 320, 320], ["InstanceNorm2d(2)"],
      "InstanceNorm2d over two 320 x 320 planes of 1000 +- 0.01", OFFSET_1000),
    a("accuracy_instancenorm_sigmoid_100", [4, 100, 100],
      ["Sigmoid()", "InstanceNorm2d(4, affine=True)"],
      "InstanceNorm2d over 100 x 100 planes after a Sigmoid", PLUS_MINUS_2),
    a("accuracy_avgpool_global_320", [16, 320, 320], ["AvgPool2d(320)"],
      "AvgPool2d over whole 320 x 320 planes (102,400 values 0.5 +- 0.016 each)", NEAR_HALF),
    a("accuracy_avgpool_windows_64", [2, 256, 320], ["AvgPool2d(64)"],
      "AvgPool2d with 64 x 64 windows (4,096 values 1000 +- 0.01, 64 rows of 64 each)",
      OFFSET_1000),
    a("accuracy_avgpool1d_2000", [4, 10000], ["AvgPool1d(2000)"],
      "AvgPool1d with windows of 2,000 values 0.5 +- 0.016", NEAR_HALF),
    a("accuracy_adaptive_global_320", [16, 320, 320], ["AdaptiveAvgPool2d(1)"],
      "AdaptiveAvgPool2d(1) over 320 x 320 planes of 0.5 +- 0.016 (PyTorch takes the mean)",
      NEAR_HALF),
    a("accuracy_adaptive_global_offset_128", [16, 128, 128], ["AdaptiveAvgPool2d(1)"],
      "AdaptiveAvgPool2d(1) over 128 x 128 planes of 1000 +- 0.01", OFFSET_1000),
    a("accuracy_adaptive_2x3", [4, 300, 320], ["AdaptiveAvgPool2d((2, 3))"],
      "AdaptiveAvgPool2d((2, 3)): windows of 150 rows of 106 or 107 values 1000 +- 0.01",
      OFFSET_1000),
    a("accuracy_softmax_100000", [100000], ["Softmax(dim=1)"],
      "Softmax over 100,000 values 1000 +- 0.01: a denominator of about 100,000 terms near 1",
      OFFSET_1000),
    a("accuracy_logsoftmax_100000", [100000], ["LogSoftmax(dim=1)"],
      "LogSoftmax over 100,000 values 1000 +- 0.01", OFFSET_1000),
    a("accuracy_softmax_strided_10000", [10000, 8], ["Softmax(dim=1)"],
      "Softmax along the first axis of [10000, 8] (strided), values in [-2, 2]", PLUS_MINUS_2),
    a("accuracy_linear_1000", [1000], ["Linear(1000, 32)"],
      "Linear rows of 1,000 products of 1000 +- 0.01 and 2^-10 +- 9.5e-5", OFFSET_1000,
      [("0.weight", SMALL_WEIGHTS)]),
    a("accuracy_linear_10000", [10000], ["Linear(10000, 32)"],
      "Linear rows of 10,000 products of 0.5 +- 0.016 and 2^-10 +- 9.5e-5", NEAR_HALF,
      [("0.weight", SMALL_WEIGHTS)]),
    a("accuracy_linear_100000", [100000], ["Linear(100000, 16)"],
      "Linear rows of 100,000 products of 1000 +- 0.01 and 2^-10 +- 9.5e-5", OFFSET_1000,
      [("0.weight", SMALL_WEIGHTS)]),
]

# Outputs longer than this are checked at CHECKED_POSITIONS positions only (the first and last
# 1,024 and evenly spaced ones between), so a fixture stays under 100 KB.
CHECKED_POSITIONS = 6144
MASK64 = (1 << 64) - 1


def lattice(spec: str, seed: int, count: int) -> torch.Tensor:
    """`count` float32 values of a `lattice:C:E:K` spec: C + (z % (2K + 1) - K) * 2**E, z the
    splitmix64 outputs of state seed + i * 0x9E3779B97F4A7C15 (i = 1, 2, ...)."""
    kind, center, exponent, half = spec.split(":")
    assert kind == "lattice", spec
    k = int(half)
    with np.errstate(over="ignore"):
        z = np.arange(1, count + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        z = z + np.uint64(seed & MASK64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    j = (z % np.uint64(2 * k + 1)).astype(np.int64) - k
    values = float(center) + j.astype(np.float64) * 2.0 ** int(exponent)
    as_f32 = values.astype(np.float32)
    assert np.array_equal(as_f32.astype(np.float64), values), f"{spec}: not exact in float32"
    return torch.from_numpy(as_f32)


def crc32_of(t: torch.Tensor) -> str:
    return str(zlib.crc32(t.detach().contiguous().numpy().astype("<f4").tobytes()))


def checked_positions(numel: int) -> torch.Tensor | None:
    """None (every position) for short outputs, else the flat indices that are checked."""
    if numel <= CHECKED_POSITIONS:
        return None
    stride = -(-numel // (CHECKED_POSITIONS - 2048))
    chosen = set(range(1024)) | set(range(numel - 1024, numel)) | set(range(0, numel, stride))
    return torch.tensor(sorted(chosen), dtype=torch.int64)


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
    if kind == "lattice":
        return lattice(case.input_kind, seed_of(case), prod(shape)).reshape(shape)
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


def run(case: Case):
    """Builds the case's model and input and runs it in float32 and in float64: returns the
    float32 model, the input, both outputs and the multiply-accumulates of one sample."""
    seed = seed_of(case)
    torch.manual_seed(seed)
    model = build_model(case).float().eval()
    randomize_norms(model)
    with torch.no_grad():
        for key, spec in case.generated:
            tensor = model.get_parameter(key)
            tensor.copy_(lattice(spec, zlib.crc32(f"{case.name}/{key}".encode()),
                                 tensor.numel()).reshape(tensor.shape))
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
    return model, x, y, y64, sum(macs)  # per sample: the hooks count sample 0 only


def common_metadata(case: Case, model: nn.Module, y: torch.Tensor, macs: int) -> dict:
    """The metadata every fixture has."""
    state = model.state_dict()
    declaration = "\n".join(
        f"{name} = {text}" if name else text for _, name, text in layer_entries(case)
    )
    return {
        "case": case.name,
        "description": case.description,
        "repr": str(model),
        "layers": declaration,
        "input_shape": json.dumps(list(case.input_shape)),
        "output_shape": json.dumps(list(y.shape[1:])),
        "state_dict_keys": json.dumps(list(state.keys())),
        "params": str(sum(v.numel() for v in state.values())),
        "trainable_params": str(sum(p.numel() for p in model.parameters())),
        "macs": str(macs),
        "batch": str(case.batch) if case.batch else "none",
        "input_kind": case.input_kind,
        "seed": str(seed_of(case)),
        "torch_version": torch.__version__,
    }


def generate(case: Case):
    """The tensors and metadata of one conformance fixture."""
    model, x, y, y64, macs = run(case)
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
    for key, value in model.state_dict().items():
        tensors[f"param.{key}"] = value.detach().float().clone()
    metadata = common_metadata(case, model, y, macs)
    metadata["max_abs_err_vs_float64"] = f"{worst:.3e}"
    metadata["layout"] = (f"input and output with a batch dimension of {case.batch}"
                          if case.batch else "no batch dimension") + \
        "; state_dict tensors under param.<key>"
    return tensors, metadata


def generate_accuracy(case: Case):
    """The tensors and metadata of one accuracy fixture: PyTorch's float32 output (`output`)
    and the float64 model's output (`reference`, float64), flattened, at the checked positions
    (`index`, int64, stored when not all of them are checked); the input unless it is a
    lattice; the parameters not drawn from a lattice."""
    assert not case.batch
    model, x, y_full, y64_full, macs = run(case)
    y, y64 = y_full[0].reshape(-1), y64_full[0].reshape(-1)
    index = checked_positions(y.numel())
    if index is not None:
        y, y64 = y[index], y64[index]
    if not (bool(torch.isfinite(y64).all()) and bool(torch.isfinite(y).all())):
        raise SystemExit(f"{case.name}: non-finite outputs")
    err = float((y.double() - y64).abs().max())
    tensors = {}
    metadata = common_metadata(case, model, y_full, macs)
    if case.input_kind.startswith("lattice:"):
        metadata["input_crc32"] = crc32_of(x[0])
    else:
        tensors["input"] = x[0].clone()
    tensors["output"] = y.clone()
    tensors["reference"] = y64.clone()
    if index is not None:
        tensors["index"] = index
    generated = dict(case.generated)
    for key, value in model.state_dict().items():
        if key not in generated:
            tensors[f"param.{key}"] = value.detach().float().clone()
    metadata["generated_params"] = ";".join(
        f"{key}|{','.join(str(d) for d in model.get_parameter(key).shape)}|{spec}|"
        f"{crc32_of(model.get_parameter(key))}"
        for key, spec in case.generated
    )
    metadata["accuracy"] = "float64"
    metadata["torch_f32_max_abs_err"] = repr(err)
    numel = y_full[0].numel()
    metadata["checked"] = ("every output" if index is None
                           else f"{index.numel()} of {numel} outputs (index)")
    metadata["layout"] = (
        "no batch dimension; output (PyTorch float32) and reference (float64) flattened, at the "
        "positions of index (every position without it); state_dict tensors under "
        "param.<key>, except generated_params (key|dims|lattice spec|CRC-32 of the float32 "
        "bytes; ';' between tensors); a lattice input is not stored (input_kind, seed, "
        "input_crc32)")
    return tensors, metadata


def write_safetensors(path: Path, tensors: dict, metadata: dict) -> None:
    """Writes a safetensors file byte-for-byte reproducibly: tensors in the order given,
    metadata and header keys in a fixed order (`safetensors.torch.save_file` serialises the
    metadata from a hash map, in an order that changes from run to run)."""
    header = {"__metadata__": dict(sorted(metadata.items()))}
    chunks = []
    offset = 0
    for name, tensor in tensors.items():
        # float64 and int64 tensors (an accuracy fixture's reference and index) keep their
        # type; everything else is float32.
        kind = {torch.float64: ("F64", "<f8"), torch.int64: ("I64", "<i8")}.get(
            tensor.dtype, ("F32", "<f4"))
        if kind[0] == "F32":
            tensor = tensor.to(torch.float32)
        data = tensor.detach().contiguous().numpy().astype(kind[1]).tobytes()
        header[name] = {
            "dtype": kind[0],
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the format allows trailing spaces; keeps data aligned
    path.write_bytes(len(text).to_bytes(8, "little") + text + b"".join(chunks))


def bitwise_equal(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Same shape, type and bits (NaN equals NaN, -0.0 differs from 0.0)."""
    bits = torch.int64 if a.element_size() == 8 else torch.int32
    return (a.shape == b.shape and a.dtype == b.dtype
            and torch.equal(a.view(bits), b.view(bits)))


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
            else f"accuracy!({case.name}, {struct});" if case.accuracy
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

    all_cases = CASES + ACCURACY_CASES
    names = [case.name for case in all_cases]
    assert len(set(names)) == len(names), "duplicate case names"
    unknown = set(args.cases) - set(names)
    if unknown:
        parser.error(f"unknown cases: {sorted(unknown)}")
    cases = [case for case in all_cases if not args.cases or case.name in args.cases]

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
        tensors, metadata = generate_accuracy(case) if case.accuracy else generate(case)
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
              f"f32 vs f64 {metadata.get('max_abs_err_vs_float64') or metadata['torch_f32_max_abs_err']}")
    if args.check:
        print(f"{len(cases) - failures}/{len(cases)} fixtures reproduce")
        for case in cases:
            file = "accuracy.rs" if case.accuracy else "conformance.rs"
            if rust_declaration(case) not in (ROOT / "tests" / file).read_text():
                print(f"{case.name}: tests/{file} lacks its declaration (see --rust)")
                failures += 1
        return 1 if failures else 0
    print(f"{len(cases)} fixtures, {total} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
