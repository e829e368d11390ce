#!/usr/bin/env python3
"""Quantize a PyTorch network to int8 with PyTorch's own post-training flow and write
the staticnn int8 weights file (``docs/int8-format.md``).

Used through ``tools/export.py`` (``export(..., quantize="int8", calibration=x)`` or
``--quantize int8 --calibration FILE``) or directly::

    from export_int8 import export, write_reference
    result = export(model, [1, 8, 8], "DigitsNet", "digits_int8.safetensors", calibration=x)
    print(result.declaration)
    write_reference(result.model, test_inputs, "digits_int8_io.safetensors")

What is run
-----------
1. ``export.plan`` checks that the model is a network staticnn can declare (as for float); a
   branching one (residual adds, multiplies, nested modules) continues in
   ``export_int8_graph.py``, which maps the converted graph by data flow instead of the chain
   order below;
2. ``torch.export.export(copy_in_eval_mode, (x,), dynamic_shapes=batch).module()``
   (non-strict, the default of torch 2.15; with a batch-1 example and no dynamic dimension
   the graph guards ``input.size()[0] == 1`` and calibration in batches fails), with in-place
   activations rewritten to their out-of-place form when nothing else reads their input (see
   below);
3. ``prepare_pt2e`` with ``XNNPACKQuantizer().set_global(get_symmetric_quantization_config(
   is_per_channel=True))`` (``torchao.testing.pt2e._xnnpack_quantizer``, torchao 0.18), one
   forward pass over the calibration data (one call per given batch), ``convert_pt2e``;
4. the converted graph is read back, every operation assigned to a layer of the declaration
   by its module path (``nn_module_stack``), the tensors of the file taken from it, and the
   file checked by re-running it (:func:`simulate`) against the converted module, exactly.

What PyTorch's converted graph looks like (torch 2.15 + torchao 0.18, measured)
-------------------------------------------------------------------------------
Every quantized tensor edge is a pair ``quantize_per_tensor(x, s, zp, -128, 127, int8)`` ->
``dequantize_per_tensor(q, s, zp, -128, 127, int8)`` (``torch.ops.quantized_decomposed``),
with ``s`` and ``zp`` as Python constants in the node's arguments (``s`` is a float32 value,
``zp`` in [-128, 127]); a quantized value used twice gets one ``dequantize`` per use. The
float operations (``aten.conv2d``, ``aten.linear``, ``aten.max_pool2d``, ...) run between
them on dequantized float32 values.

* Activations: int8, range [-128, 127], per tensor, affine (zero point in [-128, 127]),
  chosen by ``HistogramObserver`` (eps 2**-12). ``quantize_per_tensor`` computes
  ``clamp(round_half_even(x * f32(1 / s)) + zp, -128, 127)`` in float32 (``1 / s`` in
  float64, rounded to float32 by the multiplication; measured: ``x / s`` in float64 differs on
  3 of 10^6 random inputs), ``dequantize_per_tensor`` computes ``(q - zp) * s`` in float32.
* Weights (``Conv1d``, ``Conv2d`` including depthwise/grouped, ``Linear``): an int8 buffer
  (``get_attr _frozen_paramK``, PyTorch's weight shape) through
  ``dequantize_per_channel(w, scales, zero_points, axis=0, -127, 127, int8)``: symmetric per
  output channel, range [-127, 127] (not -128), zero points an int64 tensor of zeros, scales
  a float32 buffer ``[out_channels]`` (``PerChannelMinMaxObserver``, eps 2**-12).
* Biases stay float32 (``get_attr`` of the original ``P.bias``, or a new attribute after
  BatchNorm folding); a layer without bias has no bias argument. Nothing int32 exists in the
  graph: this tool computes ``round(b / (s_in * s_w[c]))`` itself.
* The network input is quantized by the first ``quantize_per_tensor`` (the first conv/linear's
  input observer); the output is the last step's ``dequantize_per_tensor`` (float32), except
  when the last operation is one the quantizer leaves in float (Sigmoid, Softmax, AvgPool2d
  ...), whose float result is returned as is.
* ReLU after Conv/Linear (also after a folded BatchNorm, and after ``add``; the quantizer has
  a ``mul_relu`` pattern too) is fused:
  no quantize between the op and ``aten.relu``; the output observer sits after the ReLU (its
  zero point is -128 when the observed minimum is 0). ReLU6 (``aten.hardtanh(x, 0, 6)``) and
  Hardtanh are NOT fused: the conv output gets its own quantize/dequantize, the hardtanh runs
  on the dequantized value and is re-quantized with the SAME (s, zp) (shared observer), i.e.
  an int8 clamp at ``[quantize(min_val), quantize(max_val)]``.
* Shared qparams (output quantize equal to the input's): ``max_pool2d``, ``flatten``,
  ``adaptive_avg_pool2d``, standalone ``relu``/``hardtanh`` (the quantizer's share list also
  has ``mean``, ``permute``, ``squeeze``, ``view``, ``slice_copy``), each only when its input
  is quantized (a max pool at the very start runs in float on the raw input and the first
  quantize comes after it). ``aten.dropout(x, p, False)`` stays in the eval graph and is not
  in the share list, but its output observer sees the same values as its input's, so the
  qparams come out equal. In-place ``relu_``/``hardtanh_`` are not in the share list and get
  their own observer: this tool rewrites them out of place first (only when nothing else
  reads their input, so the result is unchanged).
* Not quantized (float "fallback", the op runs on the dequantized input; its output is
  quantized by the next quantized consumer's input observer, or returned in float at the end):
  ``avg_pool2d`` (AvgPool2d gets its own output qparams this way, adaptive does not),
  ``sigmoid``, ``tanh``, ``softmax``, ``log_softmax``, ``gelu``, ``silu``, ``hardswish``,
  ``layer_norm``, a BatchNorm not directly after a conv/linear, ... For squeeze-and-excitation
  ``x * sigmoid(conv(relu(conv(pool(x)))))``: the pool shares, conv+relu fused, the sigmoid
  runs in float, its output is quantized by ``mul``'s input observer, ``mul`` gets its own
  output qparams.
* BatchNorm directly after Conv2d or Linear (eval model) is folded by ``prepare_pt2e`` into
  the layer's int8 weights and float bias (a bias appears even with ``bias=False``); no
  batch-norm node remains. Measured: BatchNorm1d after Linear folds too. A BatchNorm that is
  not folded stays ``aten.batch_norm`` in float, and then ``convert_pt2e`` takes one to two
  minutes here (its ``_fold_conv_bn_qat`` runs ``torch.export`` on 96 QAT patterns).
* ``x + conv(x)``: ``aten.add.Tensor`` of two dequantized inputs with their own qparams,
  output quantized with its own qparams (ReLU after the add fused into that observer).
* ``torch.cat(dim=1)``: the XNNPACK quantizer's cat annotator finds cats through
  ``get_source_partitions``, which needs ``source_fn_stack`` metadata that non-strict
  ``torch.export`` (the default) does not record: the cat is NOT annotated, runs in float on
  inputs dequantized with their own qparams, and its output is quantized only by a quantized
  consumer (float at the end; an un-quantized input such as the raw network input enters
  the cat in float). With ``torch.export.export(..., strict=True)`` the metadata exists and
  every cat input and the output share one (s, zp) (the producers' observers are merged,
  so a fused conv+ReLU feeding a cat may get a zero point above -128).
* Module paths: every aten node carries ``nn_module_stack``; its innermost entry is the
  calling module's path (``0``, ``conv3``, ``features.1``) and a unique key per call (a
  module called twice: ``L__self__pool`` and ``L__self__pool@1``). Functional calls
  (``F.relu``, ``x + y``, ``torch.cat``) carry the path of the module whose forward made them.
  quantize/dequantize nodes and weight attributes carry no module path.

How the file is built
---------------------
Each layer of the declaration is one of:

* weighted (Conv1d, Conv2d, Linear): exactly one ``aten.conv1d/conv2d/linear`` node found by
  its module path; writes ``P.weight`` (I8, the converted graph's own int8 tensor), ``P.weight_
  scale`` (F32), ``P.bias`` (I32, ``round_half_even(b / (s_in * s_w[c]))`` in float64 from the
  graph's float bias; refused if out of int32 range), ``P.output_scale`` (F32 ``[]``) and
  ``P.output_zero_point`` (I32 ``[]``): the quantization of its output, after a fused ReLU.
* folded (BatchNorm1d/2d directly after a weighted layer, with no node left): no keys.
* sharing (MaxPool1d/2d, Flatten, Dropout, Identity, ReLU, ReLU6, Hardtanh): no keys; the
  graph must quantize its output exactly like its input (checked).
* float fallback (Sigmoid, Tanh, Softmax, LogSoftmax, GELU, SiLU, Hardswish, Hardsigmoid,
  LeakyReLU, ELU, Softplus, LayerNorm, a BatchNorm that is not folded, InstanceNorm2d,
  Upsample) and average pools (AvgPool1d/2d, AdaptiveAvgPool2d): ``N.output_scale`` and
  ``N.output_zero_point`` where PyTorch quantizes its output; none when its float output is
  the network's output or goes straight into the next float layer (LayerNorm -> GELU: the
  LayerNorm has no output keys, the GELU has them); their float tensors (LayerNorm,
  BatchNorm, InstanceNorm) under their ``state_dict`` keys as F32. ``N`` is the layer's
  name, else its index (with the prefix in front).

plus ``input_scale`` / ``input_zero_point``. The step output quantization is taken where the
running int8 tensor is next quantized: ``conv -> ReLU -> quantize`` gives the conv's, ``avg
pool -> flatten -> quantize`` the avg pool's (flatten, max pool and the clamps commute with
quantization, so moving them across it changes no value).

Refused with the reason: Conv3d, ConvTranspose2d, AdaptiveMaxPool2d, ``padding_mode`` other
than zeros; a first layer that PyTorch runs in float on the raw input (e.g. a leading
BatchNorm); a conv/linear whose output is not quantized (e.g. read in float by the next
layer); any operation of the converted graph that no layer accounts for or that reads
anything but the previous layer's result; a requantization between two layers that share
their quantization; weights that are not int8 symmetric per output channel; activations that
are not int8 in [-128, 127]; an int32 bias out of range.

The file is checked before it is written: :func:`simulate` recomputes the network from the
declaration and the file's integers alone (dequantize -> the float layer -> quantize with the
file's parameters) on the calibration data; with PyTorch's float biases it must equal the
converted module exactly (this checks every weight, scale, zero point and the layer mapping);
with the file's int32 biases it may differ by rounding, and by how much is reported
(:attr:`QuantizedModel.bias_steps`).

References for tests: :func:`reference_outputs` / :func:`write_reference` give PyTorch's
converted model's f32 output on given inputs, the same as int8 (``output_int8``), the
quantized input (``input_int8``) and every step's int8 output (``N.output_int8``, read from
the graph's quantize nodes), so a kernel can be checked one layer at a time on PyTorch's own
int8 input. Measured with an integer emulation of CMSIS-NN's requantization (not committed):
one layer on PyTorch's input is within one step of ``N.output_int8``, but end to end the
off-by-ones propagate (the seeded CIFAR-10 net: up to 3 steps at the output).
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import torch
import torch.fx as fx
import torch.nn as nn
import torch.nn.functional as F
from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e  # also registers
# torch.ops.quantized_decomposed

if __package__:
    from . import export as _float
else:
    import export as _float

ExportError = _float.ExportError
Layer = _float.Layer
Plan = _float.Plan

__all__ = [
    "INT8",
    "QParams",
    "QuantizedLayer",
    "QuantizedModel",
    "Result",
    "Simulation",
    "export",
    "load_tensor_file",
    "quantize_model",
    "reference_outputs",
    "simulate",
    "write_reference",
    "write_safetensors",
]

INT8 = "int8"
"""The value of ``quantize=`` and of ``#[staticnn(quantized = ..)]``."""

ACT_MIN, ACT_MAX = -128, 127
"""The activation range every quantize/dequantize node must use."""

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

_QD = torch.ops.quantized_decomposed
_Q_TENSOR = _QD.quantize_per_tensor.default
_DQ_TENSOR = _QD.dequantize_per_tensor.default
_DQ_CHANNEL = _QD.dequantize_per_channel.default
_QUANT_OPS = frozenset({_Q_TENSOR, _DQ_TENSOR, _DQ_CHANNEL, _QD.quantize_per_channel.default})

# Layer roles (see the module docstring).
WEIGHTED = "weighted"
FOLDED = "folded"
SHARING = "sharing"
FALLBACK = "fallback"

_WEIGHTED_OPS = {
    "Conv1d": (torch.ops.aten.conv1d.default, torch.ops.aten.conv1d.padding),
    "Conv2d": (torch.ops.aten.conv2d.default, torch.ops.aten.conv2d.padding),
    "Linear": (torch.ops.aten.linear.default,),
}
_SHARING = frozenset(
    {"MaxPool1d", "MaxPool2d", "Flatten", "Dropout", "Identity", "ReLU", "ReLU6", "Hardtanh"}
)
_FALLBACK = frozenset(
    {
        "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "GELU", "SiLU", "Hardswish", "Hardsigmoid",
        "LeakyReLU", "ELU", "Softplus", "LayerNorm", "BatchNorm1d", "BatchNorm2d",
        "InstanceNorm2d", "Upsample", "AvgPool1d", "AvgPool2d", "AdaptiveAvgPool2d",
    }
)
_FOLDABLE = frozenset({"BatchNorm1d", "BatchNorm2d"})
# Layers that may leave no operation in the exported graph.
_MAY_VANISH = frozenset({"Identity", "Dropout", "Flatten"}) | _FOLDABLE
_REFUSED = {
    "Conv3d": "there is no int8 Conv3d kernel (the quantizer annotates conv1d/conv2d only)",
    "ConvTranspose2d": "ConvTranspose2d has no int8 export yet",
    "AdaptiveMaxPool2d": "AdaptiveMaxPool2d has no int8 export yet (use MaxPool2d)",
}
assert not (_SHARING | _FALLBACK | set(_REFUSED) | set(_WEIGHTED_OPS)) - set(_float.SIGNATURES)
assert set(_float.SIGNATURES) == _SHARING | _FALLBACK | set(_REFUSED) | set(_WEIGHTED_OPS)

# In-place ops rewritten out of place before annotation (the quantizer shares observers
# through `relu`/`hardtanh` only).
_OUT_OF_PLACE = {
    torch.ops.aten.relu_.default: torch.ops.aten.relu.default,
    torch.ops.aten.hardtanh_.default: torch.ops.aten.hardtanh.default,
    torch.ops.aten.dropout_.default: torch.ops.aten.dropout.default,
}


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QParams:
    """One per-tensor int8 quantization: ``real = (q - zero_point) * scale``."""

    scale: float
    """A float32 value (exactly representable), positive and finite."""
    zero_point: int
    """In [-128, 127]."""

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(F32 [] scale, I32 [] zero point)`` as written to the file."""
        return (
            torch.tensor(self.scale, dtype=torch.float32),
            torch.tensor(self.zero_point, dtype=torch.int32),
        )


@dataclass
class QuantizedLayer:
    """One layer of the declaration with what PyTorch's converted graph made of it."""

    layer: Layer
    """The float plan's layer (kind, arguments, name, key, float tensors)."""
    index: int
    """Its position in the declaration."""
    role: str
    """``weighted``, ``folded``, ``sharing`` or ``fallback``."""
    nodes: list[fx.Node] = field(default_factory=list)
    """The converted graph's operations that compute it, in order."""
    input_q: QParams | None = None
    """The quantization of its input (weighted layers: ``s_in`` of the bias formula)."""
    input_node: fx.Node | None = None
    """The graph's quantize node in front of its first operation, if any."""
    output_q: QParams | None = None
    """Its output quantization as written (``N.output_scale``), or ``None`` (no keys)."""
    output_node: fx.Node | None = None
    """The graph's quantize node that computes its int8 output (with ``output_q``)."""
    weight: torch.Tensor | None = None
    """Weighted: PyTorch's int8 weight tensor, as in the converted graph."""
    weight_scale: torch.Tensor | None = None
    """Weighted: the float32 per-output-channel scales."""
    float_bias: torch.Tensor | None = None
    """Weighted: PyTorch's float32 bias (after BatchNorm folding), or ``None``."""
    bias: torch.Tensor | None = None
    """Weighted: the int32 bias written to the file, or ``None``."""

    @property
    def path(self) -> str:
        """``N``: the layer's key below the network prefix (its name, else its index)."""
        return self.layer.key or self.layer.name or str(self.index)

    def tensors(self) -> dict[str, torch.Tensor]:
        """The file entries of this layer, by name below :attr:`path`."""
        out: dict[str, torch.Tensor] = {}
        if self.role == WEIGHTED:
            out["weight"] = self.weight
            out["weight_scale"] = self.weight_scale
            if self.bias is not None:
                out["bias"] = self.bias
        elif self.role == FALLBACK:
            out.update(self.layer.tensors)
        if self.output_q is not None:
            out["output_scale"], out["output_zero_point"] = self.output_q.tensors()
        return out


@dataclass
class QuantizedModel:
    """A model quantized by PyTorch and mapped onto a staticnn declaration."""

    plan: Plan
    """The float plan (same declaration as the float export)."""
    layers: list[QuantizedLayer]
    input_q: QParams
    """How the network's f32 input is quantized."""
    output_q: QParams | None
    """The quantization of the network's output, ``None`` when PyTorch returns a float layer's
    output as is (Sigmoid/Softmax/... at the end)."""
    converted: fx.GraphModule
    """PyTorch's converted model (``convert_pt2e``); call it on f32 inputs."""
    input_node: fx.Node | None = None
    """The graph's quantize node of the network input."""
    bias_steps: int = 0
    """On the calibration data, the largest difference (in int8 steps, any layer's output)
    between :func:`simulate` with the file's int32 biases and with PyTorch's float biases."""

    def tensors(self) -> dict[str, torch.Tensor]:
        """Every tensor of the int8 file, under its full key."""
        prefix = self.plan.prefix
        out: dict[str, torch.Tensor] = {}
        out[_float._join(prefix, "input_scale")], out[_float._join(prefix, "input_zero_point")] = (
            self.input_q.tensors()
        )
        for q in self.layers:
            for name, tensor in q.tensors().items():
                out[_float._join(prefix, q.path, name)] = tensor.detach().contiguous()
        return out

    def float_biases(self) -> dict[str, torch.Tensor | None]:
        """PyTorch's float biases of the weighted layers, by :attr:`QuantizedLayer.path`."""
        return {q.path: q.float_bias for q in self.layers if q.role == WEIGHTED}


@dataclass
class Result:
    """What :func:`export` returns."""

    declaration: str
    model: QuantizedModel


# --------------------------------------------------------------------------------------------
# Running PyTorch's flow
# --------------------------------------------------------------------------------------------


def _default_quantizer() -> Any:
    """The XNNPACK-style quantizer, symmetric per-channel weights, int8 activations."""
    from torchao.testing.pt2e._xnnpack_quantizer import (
        XNNPACKQuantizer,
        get_symmetric_quantization_config,
    )

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XNNPACKQuantizer is deprecated.*")
        return XNNPACKQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True))


def _calibration_batches(calibration: Any, shape: tuple[int, ...]) -> list[torch.Tensor]:
    """The calibration data as a list of float32 batches ``[n, *shape]``."""
    if calibration is None:
        raise ExportError(
            "quantize='int8' needs calibration data: a float32 tensor [N, "
            f"{', '.join(map(str, shape))}] of representative inputs (e.g. a few hundred "
            "training samples)"
        )
    batches = [calibration] if isinstance(calibration, torch.Tensor) else list(calibration)
    if not batches:
        raise ExportError("the calibration data is empty")
    for i, batch in enumerate(batches):
        if not isinstance(batch, torch.Tensor):
            raise ExportError(f"calibration batch {i} is a {type(batch).__name__}, not a tensor")
        if batch.dtype != torch.float32 or tuple(batch.shape[1:]) != shape or batch.shape[0] < 1:
            raise ExportError(
                f"calibration batch {i} has dtype {batch.dtype} and shape {list(batch.shape)}; "
                f"expected float32 [N, {', '.join(map(str, shape))}] with N >= 1"
            )
        if not torch.isfinite(batch).all():
            raise ExportError(f"calibration batch {i} holds infinities or NaN")
    return batches


def _out_of_place(gm: fx.GraphModule) -> None:
    """Rewrites ``relu_``/``hardtanh_``/``dropout_`` to their out-of-place forms when their
    input has no other user (so nothing can observe the mutation)."""
    changed = False
    for node in gm.graph.nodes:
        target = _OUT_OF_PLACE.get(node.target) if node.op == "call_function" else None
        source = node.args[0] if node.args else None
        if target is not None and isinstance(source, fx.Node) and len(source.users) == 1:
            node.target = target
            changed = True
    if changed:
        gm.recompile()


def _convert(target: nn.Module, shape: tuple[int, ...], batches: list[torch.Tensor],
             quantizer: Any, where: str) -> fx.GraphModule:
    """PyTorch's PT2E flow on an eval-mode copy of ``target``."""
    model = copy.deepcopy(target).eval()
    example = torch.zeros((2, *shape), dtype=torch.float32)
    try:
        exported = torch.export.export(
            model, (example,), dynamic_shapes=({0: torch.export.Dim("batch")},)
        ).module()
    except Exception as exc:  # torch.export raises many kinds of errors
        raise ExportError(f"{where}: torch.export.export failed: {exc}") from exc
    _out_of_place(exported)
    prepared = prepare_pt2e(exported, quantizer)
    with torch.no_grad():
        for batch in batches:
            prepared(batch)
    return convert_pt2e(prepared)


# --------------------------------------------------------------------------------------------
# Reading the converted graph
# --------------------------------------------------------------------------------------------


def _stack_entry(node: fx.Node) -> tuple[str, str]:
    """``(call key, module path)`` of the innermost module whose forward made ``node``."""
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return ("", "")
    key, (path, _) = list(stack.items())[-1]
    return key, path


def _qparams(node: fx.Node, what: str) -> QParams:
    """The (scale, zero point) of a quantize/dequantize_per_tensor node, checked."""
    _, scale, zero_point, qmin, qmax, dtype = node.args[:6]
    if (dtype, qmin, qmax) != (torch.int8, ACT_MIN, ACT_MAX):
        raise ExportError(
            f"{what} is quantized to {dtype} in [{qmin}, {qmax}]; staticnn's int8 activations "
            f"are torch.int8 in [{ACT_MIN}, {ACT_MAX}]. Use the default quantizer (XNNPACK "
            "symmetric config) or one with int8 activations."
        )
    if not isinstance(scale, float) or not isinstance(zero_point, int):
        raise ExportError(
            f"{what}: the quantization parameters are not constants ({scale!r}, {zero_point!r})"
        )
    if not (scale > 0 and scale < float("inf")) or float(torch.tensor(scale)) != scale:
        raise ExportError(f"{what} has scale {scale!r}; expected a positive finite float32")
    if not ACT_MIN <= zero_point <= ACT_MAX:
        raise ExportError(f"{what} has zero point {zero_point}, outside [{ACT_MIN}, {ACT_MAX}]")
    return QParams(scale, zero_point)


def _source(arg: Any, what: str) -> tuple[fx.Node, QParams | None, fx.Node | None]:
    """The float value behind an operation's data argument and the quantization it went
    through: ``(producer, qparams, quantize node)`` through a quantize -> dequantize pair, else
    ``(producer, None, None)`` (a float edge)."""
    if not isinstance(arg, fx.Node):
        raise ExportError(f"{what} takes {arg!r} as its data input, not a tensor")
    if arg.op == "call_function" and arg.target == _DQ_TENSOR:
        quantize = arg.args[0]
        if not (isinstance(quantize, fx.Node) and quantize.target == _Q_TENSOR):
            raise ExportError(f"{what}: dequantize {arg.name} does not follow a quantize")
        qp = _qparams(arg, what)
        if _qparams(quantize, what) != qp or quantize.args[3:6] != arg.args[3:6]:
            raise ExportError(
                f"{what}: quantize {quantize.name} and dequantize {arg.name} disagree"
            )
        return quantize.args[0], qp, quantize
    if arg.op == "get_attr":
        raise ExportError(f"{what} reads the attribute {arg.target} as its data input")
    return arg, None, None


def _compute_nodes(gm: fx.GraphModule, where: str) -> list[fx.Node]:
    """The converted graph's float operations in graph order (not quantize/dequantize)."""
    nodes = []
    for node in gm.graph.nodes:
        if node.op == "call_module":
            if node.users or not str(node.target).startswith("_guards"):
                raise ExportError(f"{where}: unexpected module call {node.target} in the graph")
        elif node.op == "call_function" and node.target not in _QUANT_OPS:
            nodes.append(node)
    return nodes


def _attr(gm: fx.GraphModule, node: Any, what: str) -> torch.Tensor:
    """The tensor a ``get_attr`` node reads."""
    if not (isinstance(node, fx.Node) and node.op == "get_attr"):
        raise ExportError(f"{what} is {node!r}, not a constant tensor of the model")
    value = gm
    for part in str(node.target).split("."):
        value = getattr(value, part)
    return value.detach()


def _role(layer: Layer, where: str) -> str:
    """The layer's role before looking at the graph (folding is decided later)."""
    if layer.kind in _REFUSED:
        raise ExportError(f"{_at(where, layer)}: {_REFUSED[layer.kind]}")
    if layer.kind in _WEIGHTED_OPS:
        if layer.args.get("padding_mode", "zeros") != "zeros":
            raise ExportError(
                f"{_at(where, layer)} has padding_mode={layer.args['padding_mode']!r}; the int8 "
                "export supports zero padding only (the padding would run in float)"
            )
        return WEIGHTED
    return SHARING if layer.kind in _SHARING else FALLBACK


def _reads(node: fx.Node, value: fx.Node | None) -> bool:
    """Whether ``node``'s data input (its first argument) is ``value``, directly or through a
    quantize -> dequantize pair."""
    if not node.args or not isinstance(node.args[0], fx.Node):
        return False
    try:
        return _source(node.args[0], node.name)[0] is value
    except ExportError:
        return False


def _claim(layers: list[QuantizedLayer], nodes: list[fx.Node], where: str) -> None:
    """Assigns the graph's operations to the layers, by module path rather than position: a
    module layer takes the operations of its own call (innermost ``nn_module_stack`` entry:
    its path, and one call key per call, in graph order); a function layer (``F.relu``) the
    one unclaimed operation outside every layer module that reads the previous layer's
    result. Every operation must be taken. (For a graph declaration, "the previous layer's
    result" becomes the node's declared inputs; Add/Mul/Cat nodes are function nodes.)"""
    module_paths = {q.layer.path for q in layers if q.layer.path is not None}
    calls: dict[str, dict[str, list[fx.Node]]] = {}  # path -> call key -> operations
    for node in nodes:
        key, path = _stack_entry(node)
        if path in module_paths:
            calls.setdefault(path, {}).setdefault(key, []).append(node)
    claimed: set[fx.Node] = set()
    previous = next(n for n in nodes[0].graph.nodes if n.op == "placeholder") if nodes else None
    for q in layers:
        layer = q.layer
        if layer.path is not None:
            pending = calls.get(layer.path, {})
            if pending:
                q.nodes = pending.pop(next(iter(pending)))
        else:
            readers = [
                n for n in nodes
                if n not in claimed and _stack_entry(n)[1] not in module_paths
                and _reads(n, previous)
            ]
            q.nodes = readers[:1]
        if not q.nodes and layer.kind not in _MAY_VANISH:
            raise ExportError(
                f"{where}: no operation of PyTorch's quantized graph belongs to {layer.origin} "
                f"(module path {layer.path!r}, or for a function, an operation reading "
                f"{getattr(previous, 'name', None)}); the quantized graph does not follow the "
                "declaration."
            )
        if q.role == WEIGHTED and (
            len(q.nodes) != 1 or q.nodes[0].target not in _WEIGHTED_OPS[layer.kind]
        ):
            raise ExportError(
                f"{_at(where, layer)} became {[str(n.target) for n in q.nodes]} in PyTorch's "
                f"quantized graph, expected one {_WEIGHTED_OPS[layer.kind][0]}"
            )
        claimed.update(q.nodes)
        if q.nodes:
            previous = q.nodes[-1]
    rest = [n for n in nodes if n not in claimed]
    if rest:
        listing = ", ".join(f"{n.target} ({_stack_entry(n)[1] or 'root'})" for n in rest[:4])
        raise ExportError(
            f"{where}: PyTorch's quantized graph has operations no layer accounts for: {listing}"
        )


def _check_flow(gm: fx.GraphModule, layers: list[QuantizedLayer],
                where: str) -> tuple[QParams | None, fx.Node | None]:
    """Checks that each layer's first operation reads the previous layer's result and each
    later one the operation before it (float edge); fills ``input_q``/``input_node`` of every
    layer with operations. Returns the quantization of the graph's output and its quantize
    node (``None, None``: float)."""
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != 1:
        raise ExportError(f"{where}: the quantized graph has {len(placeholders)} inputs")
    previous: fx.Node = placeholders[0]
    for q in layers:
        for i, node in enumerate(q.nodes):
            what = f"{_at(where, q.layer)}: {node.target}"
            data = [a for a in node.all_input_nodes if a.op != "get_attr"]
            source, qp, quantize = _source(node.args[0], what)
            expected_extra = 1 if q.role == WEIGHTED else 0  # the weight's dequantize
            if source is not previous or len(data) != 1 + expected_extra:
                raise ExportError(
                    f"{what} does not take the previous step's result "
                    f"({previous.name}) as its only data input; found {[n.name for n in data]}"
                )
            if i == 0:
                q.input_q, q.input_node = qp, quantize
            elif qp is not None:
                raise ExportError(f"{what} is quantized inside the layer")
            previous = node
    output = next(n for n in gm.graph.nodes if n.op == "output")
    results = output.args[0]
    if not isinstance(results, (tuple, list)) or len(results) != 1:
        raise ExportError(f"{where}: the quantized graph does not return one tensor")
    source, qp, quantize = _source(results[0], "the network output")
    if source is not previous:
        raise ExportError(f"{where}: the quantized graph's output is not the last layer's result")
    return qp, quantize


class _Steps:
    """Assigns every quantization of the running tensor to the step whose output it is (see
    the module docstring): ``pending`` is the last step whose output is still float."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.input_q: QParams | None = None
        self.input_node: fx.Node | None = None
        self.current: QParams | None = None
        self.pending: QuantizedLayer | None = None  # None: the network input
        self.pending_input = True

    def edge(self, qp: QParams | None, quantize: fx.Node | None, consumer: str) -> None:
        """The running tensor enters ``consumer`` quantized with ``qp`` by the graph's node
        ``quantize`` (or in float)."""
        if qp is None:
            return
        if self.current is None:
            if self.pending_input:
                self.input_q, self.input_node = qp, quantize
            else:
                self.pending.output_q, self.pending.output_node = qp, quantize
            self.current, self.pending, self.pending_input = qp, None, False
        elif qp != self.current:
            raise ExportError(
                f"{consumer} reads the tensor quantized with scale {qp.scale!r}, "
                f"zero point {qp.zero_point}, but it was last quantized with scale "
                f"{self.current.scale!r}, zero point {self.current.zero_point} and no layer "
                "in between may requantize it (max pooling, flatten, dropout and clamps share "
                "their input's quantization)"
            )

    def float_output(self, q: QuantizedLayer) -> None:
        """``q`` runs in float; its result's quantization comes with the next edge (a float
        layer right after it takes the float result, and ``q`` gets no output keys)."""
        if self.current is None and self.pending_input:
            raise ExportError(
                f"{_at(self.where, q.layer)} runs in float on the network's raw input in "
                "PyTorch's quantized graph (nothing is quantized before it); a staticnn int8 "
                "network starts by quantizing its input. Put a conv/linear (or pooling) first."
            )
        if self.current is None and self.pending.role == WEIGHTED:
            raise ExportError(
                f"{_at(self.where, q.layer)} reads the float output of "
                f"{self.pending.layer.origin}, which PyTorch did not quantize; staticnn's "
                "int8 conv/linear produce int8"
            )
        self.current, self.pending, self.pending_input = None, q, False


def _at(where: str, layer: Layer) -> str:
    """``where: origin`` for messages (function layers' origins already start with it)."""
    return layer.origin if layer.origin.startswith(where) else f"{where}: {layer.origin}"


def _read_weighted(gm: fx.GraphModule, q: QuantizedLayer, where: str) -> None:
    """Takes a conv/linear layer's int8 weight, scales and float bias from its node."""
    node = q.nodes[0]
    what = _at(where, q.layer)
    dq = node.args[1]
    if not (isinstance(dq, fx.Node) and dq.target == _DQ_CHANNEL):
        raise ExportError(
            f"{what}: its weight is not dequantize_per_channel of an int8 tensor (found "
            f"{getattr(dq, 'target', dq)}); staticnn needs per-channel symmetric int8 weights "
            "(get_symmetric_quantization_config(is_per_channel=True))"
        )
    weight = _attr(gm, dq.args[0], f"{what} weight")
    scales = _attr(gm, dq.args[1], f"{what} weight scales")
    zero_points = _attr(gm, dq.args[2], f"{what} weight zero points")
    axis, qmin, qmax, dtype = dq.args[3:7]
    out_channels = weight.shape[0]
    if (
        dtype != torch.int8 or weight.dtype != torch.int8 or axis != 0
        or qmin < -128 or qmax > 127
        or scales.dtype != torch.float32 or tuple(scales.shape) != (out_channels,)
    ):
        raise ExportError(
            f"{what}: its weight is {weight.dtype} {list(weight.shape)} in [{qmin}, {qmax}] "
            f"along axis {axis} with {scales.dtype} scales {list(scales.shape)}; expected int8 "
            "per output channel (axis 0) with one float32 scale per channel"
        )
    if zero_points.numel() and bool((zero_points != 0).any()):
        raise ExportError(f"{what}: its weight zero points are not 0 (not symmetric)")
    if not bool(torch.isfinite(scales).all() and (scales > 0).all()):
        raise ExportError(f"{what}: a weight scale is not positive and finite")
    expected_shape = tuple(q.layer.tensors["weight"].shape)
    if tuple(weight.shape) != expected_shape:
        raise ExportError(
            f"{what}: PyTorch's int8 weight has shape {list(weight.shape)}, the layer's "
            f"{list(expected_shape)}"
        )
    q.weight = weight.clone().contiguous()
    q.weight_scale = scales.clone().contiguous()
    bias_arg = node.args[2] if len(node.args) > 2 else None
    if bias_arg is not None:
        bias = _attr(gm, bias_arg, f"{what} bias")
        if bias.dtype != torch.float32 or tuple(bias.shape) != (out_channels,):
            raise ExportError(f"{what}: its bias is {bias.dtype} {list(bias.shape)}")
        q.float_bias = bias.clone().contiguous()


def _int32_bias(q: QuantizedLayer, where: str) -> torch.Tensor:
    """``round_half_even(b / (s_in * s_w[c]))`` in float64, checked to fit int32."""
    scale = q.input_q.scale * q.weight_scale.double()
    value = torch.round(q.float_bias.double() / scale)
    if bool((value < INT32_MIN).any() or (value > INT32_MAX).any()):
        raise ExportError(
            f"{_at(where, q.layer)}: a bias divided by s_in * s_w does not fit int32 "
            f"(largest {float(value.abs().max()):.3g}); the layer's weights or input range "
            "are degenerate"
        )
    return value.to(torch.int32)


def _map(p: Plan, gm: fx.GraphModule, where: str) -> QuantizedModel:
    """Maps the converted graph onto the plan's layers and derives every file tensor."""
    layers = [QuantizedLayer(layer, i, _role(layer, where)) for i, layer in enumerate(p.layers)]
    _claim(layers, _compute_nodes(gm, where), where)
    output_q, output_node = _check_flow(gm, layers, where)
    steps = _Steps(where)
    previous: QuantizedLayer | None = None
    for q in layers:
        if not q.nodes:
            if q.layer.kind in _FOLDABLE:
                if previous is None or previous.role != WEIGHTED:
                    raise ExportError(
                        f"{_at(where, q.layer)} left no operation in PyTorch's quantized "
                        "graph but does not follow a conv/linear it could be folded into"
                    )
                q.role = FOLDED
            continue  # Identity, Dropout removed by export: nothing happens
        steps.edge(q.input_q, q.input_node, _at(where, q.layer))
        if q.role == WEIGHTED:
            if steps.current is None:
                raise ExportError(
                    f"{where}: the input of {q.layer.origin} is not quantized in PyTorch's "
                    "graph; staticnn's int8 conv/linear need an int8 input"
                )
            q.input_q = steps.current
            _read_weighted(gm, q, where)
            steps.current, steps.pending, steps.pending_input = None, q, False
        elif q.role == FALLBACK:
            steps.float_output(q)
        previous = q
    steps.edge(output_q, output_node, f"{where}: the network output")
    output_q = steps.current  # a sharing last layer returned in float keeps the quantization
    if steps.current is None:
        if steps.pending_input:
            raise ExportError(f"{where}: PyTorch quantized nothing in this network")
        if steps.pending.role == WEIGHTED:
            raise ExportError(
                f"{where}: the output of {steps.pending.layer.origin} is not quantized in "
                "PyTorch's graph"
            )
    for q in layers:
        if q.role == WEIGHTED and q.float_bias is not None:
            q.bias = _int32_bias(q, where)
    return QuantizedModel(p, layers, steps.input_q, output_q, gm, input_node=steps.input_node)


# --------------------------------------------------------------------------------------------
# The float reference computed from the file
# --------------------------------------------------------------------------------------------


def _quantize(x: torch.Tensor, qp: QParams) -> torch.Tensor:
    """PyTorch's own quantize_per_tensor (the converted graph's op)."""
    return _Q_TENSOR(x, qp.scale, qp.zero_point, ACT_MIN, ACT_MAX, torch.int8)


def _dequantize(q: torch.Tensor, qp: QParams) -> torch.Tensor:
    """PyTorch's own dequantize_per_tensor."""
    return _DQ_TENSOR(q, qp.scale, qp.zero_point, ACT_MIN, ACT_MAX, torch.int8)


def _file_qparams(tensors: dict[str, torch.Tensor], key: str) -> QParams | None:
    """``key_scale``/``key_zero_point`` of the file as QParams, or ``None`` when absent."""
    scale, zero_point = tensors.get(f"{key}_scale"), tensors.get(f"{key}_zero_point")
    if scale is None and zero_point is None:
        return None
    return QParams(float(scale), int(zero_point))


def _weighted_forward(layer: Layer, x: torch.Tensor, weight: torch.Tensor,
                      bias: torch.Tensor | None) -> torch.Tensor:
    """The float conv/linear of ``layer`` with the given weight and bias."""
    if layer.kind == "Linear":
        return F.linear(x, weight, bias)
    conv = F.conv1d if layer.kind == "Conv1d" else F.conv2d
    a = layer.args
    return conv(x, weight, bias, a["stride"], a["padding"], a["dilation"], a["groups"])


def _float_module(layer: Layer, own: dict[str, torch.Tensor]) -> nn.Module:
    """The layer rebuilt from its declaration text, with its float tensors from the file."""
    module = eval(_float._call_text(layer), dict(vars(nn)))  # the text is a torch.nn call
    if own:
        missing, unexpected = module.load_state_dict(own, strict=False)
        if unexpected or [k for k in missing if not k.endswith("num_batches_tracked")]:
            raise ExportError(f"{layer.origin}: the file's tensors {sorted(own)} do not fit it")
    return module.eval()


@dataclass
class Simulation:
    """What :func:`simulate` computed."""

    output: torch.Tensor
    """The network's f32 output (dequantized, or a float layer's output)."""
    output_int8: torch.Tensor | None
    """The int8 output, when the output is quantized."""
    steps: list[torch.Tensor]
    """Every layer's output (int8 where quantized), for layer-by-layer comparisons."""


def simulate(layers: Sequence[Layer], tensors: dict[str, torch.Tensor], x: torch.Tensor, *,
             prefix: str | None = None,
             float_biases: dict[str, torch.Tensor | None] | None = None) -> Simulation:
    """Runs an int8 network from its declaration (``layers``) and its file's ``tensors`` only,
    the way PyTorch's converted graph computes: the input quantized with ``input_*``; each
    layer on the dequantized running tensor in float32 (conv/linear with the file's int8
    weights dequantized per channel), its result quantized with its ``output_*`` (or with its
    input's quantization for sharing layers; float fallback layers without keys at the end
    return float). ``float_biases`` (by layer key) replaces the int32 biases by PyTorch's
    float ones, which makes the result equal PyTorch's converted model exactly."""
    def key(*parts: str) -> str:
        return _float._join(prefix, *parts)

    qp = _file_qparams(tensors, key("input"))
    if qp is None:
        raise ExportError("the file has no input_scale / input_zero_point")
    value = _quantize(x, qp)
    steps = []
    with torch.no_grad():
        for index, layer in enumerate(layers):
            path = layer.key or layer.name or str(index)
            own = {
                name[len(key(path)) + 1:]: t for name, t in tensors.items()
                if name.startswith(key(path) + ".")
            }
            out_q = _file_qparams(own, "output")
            own = {k: v for k, v in own.items() if not k.startswith("output_")}
            real = value if qp is None else _dequantize(value, qp)
            if layer.kind in _WEIGHTED_OPS:
                scales = own["weight_scale"]
                zeros = torch.zeros_like(scales, dtype=torch.int64)
                weight = _DQ_CHANNEL(own["weight"], scales, zeros, 0, -127, 127, torch.int8)
                if float_biases is not None:
                    bias = float_biases[path]
                elif "bias" in own:
                    bias = (own["bias"].double() * qp.scale * scales.double()).float()
                else:
                    bias = None
                result = _weighted_forward(layer, real, weight, bias)
            elif layer.kind in _FOLDABLE and not own and out_q is None:
                steps.append(value)
                continue  # folded into the conv/linear before it
            else:
                result = _float_module(layer, own)(real)
            if layer.kind in _SHARING:
                out_q = qp
            if out_q is not None:
                value, qp = _quantize(result, out_q), out_q
            else:
                value, qp = result, None
            steps.append(value)
    if qp is None:
        return Simulation(value, None, steps)
    return Simulation(_dequantize(value, qp), value, steps)


# --------------------------------------------------------------------------------------------
# Checks, reference outputs, files
# --------------------------------------------------------------------------------------------


class _Recorder(fx.Interpreter):
    """Runs a graph module and keeps the results of the given nodes."""

    def __init__(self, module: fx.GraphModule, nodes: Iterable[fx.Node]) -> None:
        super().__init__(module)
        self.wanted = {node for node in nodes if node is not None}
        self.seen: dict[fx.Node, torch.Tensor] = {}

    def run_node(self, n: fx.Node) -> Any:
        result = super().run_node(n)
        if n in self.wanted:
            self.seen[n] = result
        return result


def reference_outputs(model: QuantizedModel, x: torch.Tensor, *,
                      steps: bool = False) -> dict[str, torch.Tensor]:
    """PyTorch's converted model on ``x`` (f32 ``[N, *input_shape]``): ``output`` (f32, what
    the converted module returns) and, when the output is quantized, ``output_int8`` (that
    output quantized again with the output quantization; it dequantizes back exactly).

    With ``steps``, also the int8 tensors PyTorch's graph computes at each quantization the
    file describes, taken from its quantize nodes: ``input_int8`` (the quantized input) and
    ``<N>.output_int8`` for every layer with ``N.output_scale`` (full key, with the prefix),
    so a layer can be checked alone on PyTorch's int8 input."""
    with torch.no_grad():
        output = model.converted(x)
        out = {"output": output}
        if steps:
            keyed = [q for q in model.layers if q.output_node is not None]
            wanted = [model.input_node] + [q.output_node for q in keyed]
            recorder = _Recorder(model.converted, wanted)
            again = recorder.run(x)
            again = again[0] if isinstance(again, (tuple, list)) else again
            if not torch.equal(again, output):
                raise ExportError("the converted model gave two different results on one input")
            out["input_int8"] = recorder.seen[model.input_node]
            for q in keyed:
                key = _float._join(model.plan.prefix, q.path, "output_int8")
                out[key] = recorder.seen[q.output_node]
    if model.output_q is not None:
        as_int8 = _quantize(output, model.output_q)
        if not torch.equal(_dequantize(as_int8, model.output_q), output):
            raise ExportError("the converted model's output is not on its quantization grid")
        out["output_int8"] = as_int8
    return out


def _check_against_pytorch(model: QuantizedModel, batches: list[torch.Tensor], where: str) -> None:
    """The file must reproduce PyTorch's converted model: exactly with the float biases; with
    the int32 biases, records the largest step difference in :attr:`QuantizedModel.bias_steps`."""
    tensors = model.tensors()
    layers = model.plan.layers
    for batch in batches:
        want = reference_outputs(model, batch)["output"]
        exact = simulate(layers, tensors, batch, prefix=model.plan.prefix,
                         float_biases=model.float_biases())
        if not torch.equal(exact.output, want):
            diff = float((exact.output - want).abs().max())
            raise ExportError(
                f"{where}: internal check failed: the written parameters do not reproduce "
                f"PyTorch's quantized model (largest difference {diff:.3g}); please report "
                "this model"
            )
        rounded = simulate(layers, tensors, batch, prefix=model.plan.prefix)
        for a, b in zip(exact.steps, rounded.steps):
            if a.dtype == torch.int8 and b.dtype == torch.int8:
                steps = int((a.int() - b.int()).abs().max()) if a.numel() else 0
                model.bias_steps = max(model.bias_steps, steps)


def quantize_model(model: nn.Module, input_shape: Sequence[int], calibration: Any, *,
             submodule: str | None = None, quantizer: Any = None) -> QuantizedModel:
    """Quantizes ``model`` (or ``model.<submodule>``) with PyTorch's PT2E flow and maps the
    result onto the staticnn declaration. ``quantizer`` defaults to the XNNPACK-style
    symmetric per-channel quantizer. Raises :class:`ExportError` with the reason when the
    model or PyTorch's quantized graph cannot be expressed."""
    p = _float.plan(model, input_shape, submodule=submodule)
    where = type(model).__qualname__ + (f".{submodule}" if submodule else "")
    target = model.get_submodule(submodule) if submodule else model
    if p.body is not None:
        batches = _calibration_batches(calibration, p.input_shape)
        return _graph_int8().quantize_graph(p, target, batches, quantizer or _default_quantizer(),
                                            where)
    for layer in p.layers:
        _role(layer, where)  # refuse what cannot be quantized before running anything
    batches = _calibration_batches(calibration, p.input_shape)
    converted = _convert(target, p.input_shape, batches, quantizer or _default_quantizer(), where)
    result = _map(p, converted, where)
    _check_against_pytorch(result, batches, where)
    return result


def _graph_int8() -> Any:
    """``export_int8_graph``, which imports this module (so it is imported when needed)."""
    if __package__:
        from . import export_int8_graph
    else:
        import export_int8_graph
    return export_int8_graph


def write_safetensors(model: QuantizedModel, path: str | Path) -> None:
    """Writes the int8 file."""
    from safetensors.torch import save_file

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_file(model.tensors(), str(path), metadata={"format": "pt"})


def write_reference(model: QuantizedModel, x: torch.Tensor, path: str | Path) -> None:
    """Writes ``input`` (``x``, f32), PyTorch's quantized ``output`` (f32), ``output_int8``
    (when the output is quantized), ``input_int8`` and every step's ``<N>.output_int8`` (see
    :func:`reference_outputs`) to a ``.safetensors`` file, batch dimension first."""
    from safetensors.torch import save_file

    _calibration_batches(x, model.plan.input_shape)  # same checks as calibration data
    if isinstance(model, QuantizedModel):
        reference = reference_outputs(model, x, steps=True)
    else:
        reference = _graph_int8().reference_outputs(model, x)
    tensors = {"input": x.contiguous(), **reference}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in tensors.items()}, str(path),
              metadata={"format": "pt"})


def load_tensor_file(path: str | Path) -> torch.Tensor:
    """A tensor from a ``torch.save``d file (``.pt``/``.pth``) or a ``.safetensors`` file with
    one tensor (or one named ``input``)."""
    file = Path(path)
    if not file.is_file():
        raise ExportError(f"no such file: {path}")
    if file.suffix == ".safetensors":
        from safetensors.torch import load_file

        tensors = load_file(str(file))
        if "input" in tensors:
            return tensors["input"]
        if len(tensors) != 1:
            raise ExportError(f"{path} holds {sorted(tensors)}; expected one tensor or 'input'")
        return next(iter(tensors.values()))
    value = torch.load(str(file), map_location="cpu", weights_only=True)
    if not isinstance(value, torch.Tensor):
        raise ExportError(f"{path} holds a {type(value).__name__}, expected a tensor")
    return value


def export(model: nn.Module, input_shape: Sequence[int], name: str,
           path: str | Path | None = None, *, calibration: Any, quantize: str | None = INT8,
           submodule: str | None = None, doc: str | None = None, visibility: str = "pub",
           weights_attr: str | None = None, quantizer: Any = None) -> Result:
    """Quantizes ``model`` and writes the int8 file to ``path`` (``None``: nothing written);
    returns the declaration (``#[staticnn(quantized = "int8", weights = ..)]`` with
    ``weights_attr``, else ``path`` as given) and the :class:`QuantizedModel`."""
    if quantize != INT8:
        raise ExportError(f"quantize must be {INT8!r} (or None for float32), found {quantize!r}")
    weights = weights_attr or (str(path) if path is not None else None)
    if not weights:
        raise ExportError(
            "an int8 network compiles its scales in: give path (the file to write) or "
            "weights_attr (the file's path as the Rust crate names it)"
        )
    model_q = quantize_model(model, input_shape, calibration, submodule=submodule,
                             quantizer=quantizer)
    text = _float.render(model_q.plan, name, doc=doc, visibility=visibility, weights=weights,
                         quantized=INT8)
    if path is not None:
        write_safetensors(model_q, path)
    return Result(text, model_q)
