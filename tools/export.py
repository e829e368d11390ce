#!/usr/bin/env python3
"""Export a trained PyTorch network to staticnn: weights and a ``network!`` declaration.

Given a model and the shape of one input (without the batch dimension), :func:`export`

* writes the model's ``state_dict`` tensors to a ``.safetensors`` file as float32, under their
  exact ``state_dict`` names (``0.weight``, ``conv3.bias``, ``model1.0.weight``, ...);
* returns the ``network! { .. }`` declaration that builds the same network in Rust, whose
  parameter names are those keys.

BatchNorm's ``num_batches_tracked`` counter is **not** written: it is an int64 training
statistic that inference never reads, and staticnn ignores it. Every other ``state_dict`` entry
(weights, biases, ``running_mean``, ``running_var``) is written.

Use it as a module::

    from export import export            # with tools/ on sys.path
    import tools.export                  # from the repository root

    text = export(model, [1, 32, 32], "LeNet", "lenet.safetensors")

or from the command line (``python3 tools/export.py --help``)::

    python3 tools/export.py my_models.py:make_lenet --input-shape 1 32 32 --name LeNet \\
        --out lenet.safetensors [--state-dict lenet.pt] [--submodule model1]

What it accepts
---------------
``network!`` describes one input flowing through layers, chained or branching and joined by
``Add``, ``Mul`` or ``Cat``. The exporter checks that the model computes exactly that by
tracing its ``forward`` with ``torch.fx`` (layers from the list below are kept whole;
``nn.Sequential``, ``nn.ModuleList`` and modules of your own are traced through), then hands
the graph to ``tools/export_graph.py``, which accepts it only if

1. it has one input (``forward(self, x)``) and returns one tensor;
2. every operation is a call of a supported layer module, one of a few parameter-free
   functions with a layer equivalent (``F.relu``, ``torch.flatten``, ``F.max_pool2d``,
   ``x.relu()``, ...; see ``_FUNCTIONS`` and ``_METHODS``), or a combination: ``a + b``
   (``Add``), ``a * b`` with broadcasting (``Mul``), ``torch.cat([..], dim=1)`` (``Cat``);
3. the branches of every combination start from one value and meet only there (residual
   blocks, Inception-style concatenations, squeeze-and-excitation gates): a value read by two
   operations that are not the branches of one combination cannot be written;
4. every layer that holds tensors is called once, and the keys of the written declaration
   (``name = ..`` fields, ``[ .. ]`` items keyed by position, ``{ .. }`` items by attribute
   name, see the README's "How keys are formed") are exactly the ``state_dict``'s;
5. the declaration, re-run in PyTorch (each layer rebuilt from its text with its tensors),
   computes what the model computes on a seeded random input.

A plain chain is written as a flat list (with ``#[staticnn(prefix = "...")]`` when every layer
lives in one attribute such as ``model1``); a branching network as nested ``[ .. ]``,
``{ .. }`` and ``Add``/``Mul``/``Cat`` items following the module tree, e.g. a torchvision
ResNet's ``layer1 = [{ conv1 = .., bn1 = .., .. }, ..]``. Subtraction, other ``torch.cat``
dimensions, ``x.view(x.size(0), -1)``, data-dependent ``if``s, layers reused with their
weights and branches that cross are refused with a message saying why. Quantization to int8
(``--quantize int8``) takes both (``export_int8.py``, ``export_int8_graph.py``), except a
``torch.cat`` that PyTorch's quantizer leaves in float.

How layers are written
----------------------
Each layer is written as its ``torch.nn`` constructor call, rebuilt from the module's
attributes: required arguments positionally, every other argument by keyword only when it
differs from PyTorch's default (``Conv2d(1, 16, 3, padding = 1)``), so that the call builds a
module with the same attributes and the same ``repr``. Per layer:

* ``Conv1d/2d/3d``, ``ConvTranspose2d`` store ``kernel_size``, ``stride``, ``padding``,
  ``dilation`` (and ``output_padding``) as tuples; they are written as one int when all axes
  agree (``5`` for ``(5, 5)``), else as the tuple. ``padding`` may be ``"same"``/``"valid"``.
  ``bias`` is ``False`` when the module has no bias; ``padding_mode`` is passed through.
* ``MaxPool1d/2d``, ``AvgPool2d``, ``AdaptiveAvgPool2d``, ``AdaptiveMaxPool2d`` and
  ``Upsample`` keep what was passed (``2`` or ``(2, 2)``); it is written as stored. PyTorch
  stores ``stride=None`` as the kernel size, so ``stride`` is written only when it differs from
  the stored ``kernel_size`` (``MaxPool2d(2, 2)`` is written ``MaxPool2d(2)``: same module).
  ``AvgPool1d`` stores 1-tuples and is written with ints.
* ``BatchNorm1d/2d``, ``InstanceNorm2d``: ``num_features``, ``eps``, ``momentum`` (possibly
  ``None``), ``affine``, ``track_running_stats``. ``LayerNorm``: ``normalized_shape`` (an int
  for one dimension), ``eps``, ``elementwise_affine``, ``bias``.
* ``Linear``: ``in_features``, ``out_features``, ``bias``. ``Flatten``: ``start_dim``,
  ``end_dim``. ``Dropout``: ``p``, ``inplace``. ``Softmax``/``LogSoftmax``: ``dim``.
* Activations: ``inplace`` where they have it, ``LeakyReLU.negative_slope``,
  ``Hardtanh.min_val/max_val``, ``ELU.alpha``, ``Softplus.beta/threshold``,
  ``GELU.approximate``. Numbers keep their Python type (``Softplus(beta=2)`` stays ``2``).

Floats are written as Python's ``repr`` (``1e-05``), which is also a Rust float literal;
infinities and NaN are refused. Child names that are their position in the chain
(``nn.Sequential`` indices) are left out; other names are written ``name = Layer(..)`` and
become both the Rust field and the ``state_dict`` prefix of that layer. A layer without tensors
whose name cannot be written (a number that is not its position, a second use of the same
module) is written unnamed, which changes no key.

The exporter also runs the model once on zeros of the declared input shape (``eval`` mode, no
gradients, every module's ``training`` flag restored afterwards), so a wrong shape fails with
PyTorch's own message. The exported network computes what the model computes in ``eval`` mode
(``Dropout`` does nothing, ``BatchNorm`` uses its running statistics).

int8
----
``export(..., quantize="int8", calibration=x)`` (``--quantize int8 --calibration FILE``)
quantizes the same chain with PyTorch's post-training flow (PT2E) and writes the int8 file
instead (int8 weights, int32 biases, scales and zero points); the declaration gets
``#[staticnn(quantized = "int8", weights = "...")]``. See ``export_int8.py``.

Refused: layer types not in :data:`SIGNATURES`; subclasses that override ``forward``;
``return_indices=True``; forward hooks and parametrizations (``weight_norm``,
``spectral_norm``); uninitialized lazy modules; parameters that are not float32 (fix:
``model.float()``) or not on the CPU (fix: ``model.cpu()``); names that cannot be Rust
identifiers.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import math
import operator
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import torch
import torch.fx as fx
import torch.nn as nn
import torch.nn.functional as F

__all__ = [
    "ExportError",
    "Layer",
    "Plan",
    "SIGNATURES",
    "export",
    "layer_text",
    "plan",
    "render",
    "write_safetensors",
]


class ExportError(ValueError):
    """The model cannot be expressed as a staticnn ``network!``; the message says why and how
    to fix it."""


# --------------------------------------------------------------------------------------------
# Constructor signatures, as in torch.nn (and in staticnn's macros/src/catalog.rs)
# --------------------------------------------------------------------------------------------

REQUIRED = object()
"""Marks a parameter without default: it is always written, positionally."""

_CONV = (
    ("in_channels", REQUIRED),
    ("out_channels", REQUIRED),
    ("kernel_size", REQUIRED),
    ("stride", 1),
    ("padding", 0),
    ("dilation", 1),
    ("groups", 1),
    ("bias", True),
    ("padding_mode", "zeros"),
)
_CONV_TRANSPOSE = (
    ("in_channels", REQUIRED),
    ("out_channels", REQUIRED),
    ("kernel_size", REQUIRED),
    ("stride", 1),
    ("padding", 0),
    ("output_padding", 0),
    ("groups", 1),
    ("bias", True),
    ("dilation", 1),
    ("padding_mode", "zeros"),
)
_MAX_POOL = (
    ("kernel_size", REQUIRED),
    ("stride", None),
    ("padding", 0),
    ("dilation", 1),
    ("return_indices", False),
    ("ceil_mode", False),
)
_AVG_POOL_1D = (
    ("kernel_size", REQUIRED),
    ("stride", None),
    ("padding", 0),
    ("ceil_mode", False),
    ("count_include_pad", True),
)
_AVG_POOL_2D = _AVG_POOL_1D + (("divisor_override", None),)
# `bias` is keyword-only in PyTorch (2.15+); render() writes it by keyword like any non-default.
_BATCH_NORM = (
    ("num_features", REQUIRED),
    ("eps", 1e-5),
    ("momentum", 0.1),
    ("affine", True),
    ("track_running_stats", True),
    ("bias", True),
)
_INSTANCE_NORM = (
    ("num_features", REQUIRED),
    ("eps", 1e-5),
    ("momentum", 0.1),
    ("affine", False),
    ("track_running_stats", False),
    ("bias", True),
)
_INPLACE = (("inplace", False),)

SIGNATURES: dict[str, tuple[tuple[str, Any], ...]] = {
    "Conv1d": _CONV,
    "Conv2d": _CONV,
    "Conv3d": _CONV,
    "ConvTranspose2d": _CONV_TRANSPOSE,
    "MaxPool1d": _MAX_POOL,
    "MaxPool2d": _MAX_POOL,
    "AvgPool1d": _AVG_POOL_1D,
    "AvgPool2d": _AVG_POOL_2D,
    "AdaptiveAvgPool2d": (("output_size", REQUIRED),),
    "AdaptiveMaxPool2d": (("output_size", REQUIRED), ("return_indices", False)),
    "BatchNorm1d": _BATCH_NORM,
    "BatchNorm2d": _BATCH_NORM,
    "LayerNorm": (
        ("normalized_shape", REQUIRED),
        ("eps", 1e-5),
        ("elementwise_affine", True),
        ("bias", True),
    ),
    "InstanceNorm2d": _INSTANCE_NORM,
    "Linear": (("in_features", REQUIRED), ("out_features", REQUIRED), ("bias", True)),
    "Flatten": (("start_dim", 1), ("end_dim", -1)),
    "Identity": (),
    "Dropout": (("p", 0.5), ("inplace", False)),
    "Upsample": (
        ("size", None),
        ("scale_factor", None),
        ("mode", "nearest"),
        ("align_corners", None),
        ("recompute_scale_factor", None),
    ),
    "ReLU": _INPLACE,
    "ReLU6": _INPLACE,
    "LeakyReLU": (("negative_slope", 0.01), ("inplace", False)),
    "Sigmoid": (),
    "Tanh": (),
    "Hardtanh": (("min_val", -1.0), ("max_val", 1.0), ("inplace", False)),
    "Hardsigmoid": _INPLACE,
    "Hardswish": _INPLACE,
    "SiLU": _INPLACE,
    "GELU": (("approximate", "none"),),
    "ELU": (("alpha", 1.0), ("inplace", False)),
    "Softplus": (("beta", 1.0), ("threshold", 20.0)),
    "Softmax": (("dim", None),),
    "LogSoftmax": (("dim", None),),
}
"""Every layer ``network!`` accepts: parameters in PyTorch's positional order with their
defaults (``device`` and ``dtype`` are never written)."""

_SUPPORTED_CLASSES: dict[type, str] = {getattr(nn, name): name for name in SIGNATURES}

# Tensors a layer of each kind may hold in its state_dict.
_WEIGHT_BIAS = frozenset({"weight", "bias"})
_NORM_TENSORS = frozenset({"weight", "bias", "running_mean", "running_var", "num_batches_tracked"})
_ALLOWED_TENSORS: dict[str, frozenset[str]] = {
    "Conv1d": _WEIGHT_BIAS,
    "Conv2d": _WEIGHT_BIAS,
    "Conv3d": _WEIGHT_BIAS,
    "ConvTranspose2d": _WEIGHT_BIAS,
    "Linear": _WEIGHT_BIAS,
    "LayerNorm": _WEIGHT_BIAS,
    "BatchNorm1d": _NORM_TENSORS,
    "BatchNorm2d": _NORM_TENSORS,
    "InstanceNorm2d": _NORM_TENSORS,
}

SKIPPED_KEYS = ("num_batches_tracked",)
"""``state_dict`` entries (last key component) that are not written to the safetensors file."""

_RUST_KEYWORDS = frozenset(
    "as async await break const continue crate do dyn else enum extern false final fn for gen "
    "if impl in let loop macro match mod move mut override priv pub ref return self Self static "
    "struct super trait true try type typeof unsafe unsized use virtual where while yield "
    "abstract become box".split()
)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


# --------------------------------------------------------------------------------------------
# The plan: what will be written
# --------------------------------------------------------------------------------------------


@dataclass
class Layer:
    """One entry of the ``network!`` list."""

    kind: str
    """The torch.nn class name (``Conv2d``)."""
    args: dict[str, Any]
    """The constructor arguments, by parameter name, for every parameter of ``kind``."""
    name: str | None = None
    """The name written before ``=``, or ``None`` for an unnamed layer (key prefix = index)."""
    key: str | None = None
    """The layer's ``state_dict`` prefix below the network prefix, if it holds tensors."""
    tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    """The layer's own ``state_dict`` entries that are written (``weight``, ``bias``, ...)."""
    origin: str = ""
    """Where the layer comes from, for messages (``model1.3 (Linear)``)."""
    path: str | None = None
    """The layer module's qualified name below the exported module (``3``, ``fc1``,
    ``layers.0``), or ``None`` for a function call such as ``F.relu``. The int8 exporter
    (``export_int8.py``) finds the layer's operations in PyTorch's quantized graph by it."""


@dataclass
class Plan:
    """Everything :func:`render` and :func:`write_safetensors` need."""

    input_shape: tuple[int, ...]
    layers: list[Layer]
    prefix: str | None
    """The ``#[staticnn(prefix = ..)]`` value, or ``None``."""
    body: list[Any] | None = None
    """For a network that is not a flat chain (residual adds, concatenations, multiplies,
    nested modules): the declaration's items (``export_graph.Item``), which :func:`render`
    writes; :attr:`layers` then lists every layer in the order written, each with its full
    ``key``. ``None`` for a flat chain, written from :attr:`layers`."""

    def tensors(self) -> dict[str, torch.Tensor]:
        """The tensors to write, under their full ``state_dict`` keys."""
        out: dict[str, torch.Tensor] = {}
        for layer in self.layers:
            for name, tensor in layer.tensors.items():
                out[_join(self.prefix, layer.key, name)] = tensor
        return out


def _join(*parts: str | None) -> str:
    """Joins key components with dots, skipping empty ones."""
    return ".".join(p for p in parts if p)


# --------------------------------------------------------------------------------------------
# Reading a layer module's constructor arguments
# --------------------------------------------------------------------------------------------


def _per_axis(value: Any) -> Any:
    """For values PyTorch normalises to per-axis tuples (``Conv2d.kernel_size == (3, 3)``,
    ``AvgPool1d.kernel_size == (3,)``): one int when all axes agree, else the tuple. Passing
    either to the constructor stores the same tuple, so the module is reproduced exactly."""
    if isinstance(value, (tuple, list)):
        items = tuple(value)
        if items and all(_same(item, items[0]) for item in items):
            return items[0]
        return items
    return value


def _stored(value: Any) -> Any:
    """For values PyTorch keeps as passed (``MaxPool2d.kernel_size`` may be ``2`` or
    ``(2, 2)``): the value itself (lists as tuples), so ``print(model)`` reads the same."""
    return tuple(value) if isinstance(value, list) else value


def _shape(value: Any) -> Any:
    """A shape (``LayerNorm.normalized_shape``, stored as a tuple): one int for a 1-tuple."""
    if isinstance(value, (tuple, list)):
        return value[0] if len(value) == 1 else tuple(value)
    return value


def _conv_args(m: nn.Module) -> dict[str, Any]:
    """Conv1d/2d/3d store kernel_size, stride, padding, dilation as tuples (padding may also be
    the string "same" or "valid")."""
    padding = m.padding if isinstance(m.padding, str) else _per_axis(m.padding)
    return {
        "in_channels": m.in_channels,
        "out_channels": m.out_channels,
        "kernel_size": _per_axis(m.kernel_size),
        "stride": _per_axis(m.stride),
        "padding": padding,
        "dilation": _per_axis(m.dilation),
        "groups": m.groups,
        "bias": m.bias is not None,
        "padding_mode": m.padding_mode,
    }


def _conv_transpose_args(m: nn.Module) -> dict[str, Any]:
    """ConvTranspose2d: as Conv2d, plus output_padding (a tuple)."""
    args = _conv_args(m)
    args["output_padding"] = _per_axis(m.output_padding)
    return args


def _pool_stride(m: nn.Module, normalise: Callable[[Any], Any]) -> Any:
    """A pooling layer's ``stride`` argument: ``None`` (left out) when the stored stride equals
    the stored kernel size, which is what PyTorch stores for ``stride=None``."""
    stride = normalise(m.stride)
    return None if stride is None or _same(stride, normalise(m.kernel_size)) else stride


def _max_pool_args(m: nn.Module) -> dict[str, Any]:
    """MaxPool1d/2d keep kernel_size, stride, padding, dilation as passed."""
    return {
        "kernel_size": _stored(m.kernel_size),
        "stride": _pool_stride(m, _stored),
        "padding": _stored(m.padding),
        "dilation": _stored(m.dilation),
        "return_indices": m.return_indices,
        "ceil_mode": m.ceil_mode,
    }


def _avg_pool_args(m: nn.Module) -> dict[str, Any]:
    """AvgPool2d keeps kernel_size, stride, padding as passed; AvgPool1d stores 1-tuples."""
    normalise = _per_axis if isinstance(m, nn.AvgPool1d) else _stored
    args = {
        "kernel_size": normalise(m.kernel_size),
        "stride": _pool_stride(m, normalise),
        "padding": normalise(m.padding),
        "ceil_mode": m.ceil_mode,
        "count_include_pad": m.count_include_pad,
    }
    if hasattr(m, "divisor_override"):
        args["divisor_override"] = m.divisor_override
    return args


def _norm_args(m: nn.Module) -> dict[str, Any]:
    return {
        "num_features": m.num_features,
        "eps": m.eps,
        "momentum": m.momentum,
        "affine": m.affine,
        "track_running_stats": m.track_running_stats,
        # Without affine there is no bias either way; `bias=False` only matters with it.
        "bias": (m.bias is not None) if m.affine else True,
    }


def _layer_norm_args(m: nn.Module) -> dict[str, Any]:
    return {
        "normalized_shape": _shape(m.normalized_shape),
        "eps": m.eps,
        "elementwise_affine": m.elementwise_affine,
        # Without elementwise_affine there is no bias either way; `bias` only matters with it.
        "bias": (m.bias is not None) if m.elementwise_affine else True,
    }


def _upsample_args(m: nn.Module) -> dict[str, Any]:
    return {
        "size": _stored(m.size),
        "scale_factor": _stored(m.scale_factor),
        "mode": m.mode,
        "align_corners": m.align_corners,
        "recompute_scale_factor": m.recompute_scale_factor,
    }


def _attributes(*names: str) -> Callable[[nn.Module], dict[str, Any]]:
    """An argument reader for layers that store each argument under its own name."""
    return lambda m: {name: getattr(m, name) for name in names}


_ARGUMENT_READERS: dict[str, Callable[[nn.Module], dict[str, Any]]] = {
    "Conv1d": _conv_args,
    "Conv2d": _conv_args,
    "Conv3d": _conv_args,
    "ConvTranspose2d": _conv_transpose_args,
    "MaxPool1d": _max_pool_args,
    "MaxPool2d": _max_pool_args,
    "AvgPool1d": _avg_pool_args,
    "AvgPool2d": _avg_pool_args,
    "AdaptiveAvgPool2d": lambda m: {"output_size": _stored(m.output_size)},
    "AdaptiveMaxPool2d": lambda m: {
        "output_size": _stored(m.output_size),
        "return_indices": m.return_indices,
    },
    "BatchNorm1d": _norm_args,
    "BatchNorm2d": _norm_args,
    "LayerNorm": _layer_norm_args,
    "InstanceNorm2d": _norm_args,
    "Linear": lambda m: {
        "in_features": m.in_features,
        "out_features": m.out_features,
        "bias": m.bias is not None,
    },
    "Flatten": _attributes("start_dim", "end_dim"),
    "Identity": _attributes(),
    "Dropout": _attributes("p", "inplace"),
    "Upsample": _upsample_args,
    "ReLU": _attributes("inplace"),
    "ReLU6": _attributes("inplace"),
    "LeakyReLU": _attributes("negative_slope", "inplace"),
    "Sigmoid": _attributes(),
    "Tanh": _attributes(),
    "Hardtanh": _attributes("min_val", "max_val", "inplace"),
    "Hardsigmoid": _attributes("inplace"),
    "Hardswish": _attributes("inplace"),
    "SiLU": _attributes("inplace"),
    "GELU": _attributes("approximate"),
    "ELU": _attributes("alpha", "inplace"),
    "Softplus": _attributes("beta", "threshold"),
    "Softmax": _attributes("dim"),
    "LogSoftmax": _attributes("dim"),
}
assert set(_ARGUMENT_READERS) == set(SIGNATURES)


def _supported_kind(module: nn.Module, where: str) -> str:
    """The supported torch.nn class ``module`` is, or an :class:`ExportError` saying why not.

    Subclasses are accepted only when they do not override ``forward`` (so they compute what
    the torch.nn class computes); parametrized modules (``weight_norm``, ``spectral_norm``) are
    refused.
    """
    cls = type(module)
    base = next((c for c in cls.__mro__ if c in _SUPPORTED_CLASSES), None)
    if base is None:
        raise ExportError(
            f"{where} is a {cls.__module__}.{cls.__qualname__}, which staticnn cannot express; "
            f"network! accepts these torch.nn layers: {', '.join(SIGNATURES)}. "
            "Replace it with one of them or leave it out of the exported chain."
        )
    if torch.nn.utils.parametrize.is_parametrized(module):
        raise ExportError(
            f"{where} has parametrized tensors ({', '.join(module.parametrizations.keys())}), "
            "e.g. from weight_norm or spectral_norm; staticnn stores plain tensors. Fix: "
            "torch.nn.utils.parametrize.remove_parametrizations(layer, name) for each one "
            "before exporting."
        )
    if cls is not base:
        for method in ("forward", "_conv_forward"):
            if getattr(cls, method, None) is not getattr(base, method, None):
                raise ExportError(
                    f"{where} is {cls.__qualname__}, a subclass of nn.{base.__name__} that "
                    f"overrides `{method}`, so it may compute something else than "
                    f"nn.{base.__name__}; staticnn only reproduces nn.{base.__name__} itself. "
                    f"Use nn.{base.__name__} directly."
                )
    return _SUPPORTED_CLASSES[base]


def _refuse_unsupported_options(kind: str, args: dict[str, Any], where: str) -> None:
    """Refuses argument values that staticnn cannot honour."""
    if args.get("return_indices"):
        raise ExportError(
            f"{where} ({kind}) has return_indices=True: it returns (values, indices), but a "
            "network! layer has one output. Fix: construct it with return_indices=False."
        )
    for name, value in args.items():
        _check_literal(value, f"{where} ({kind}) argument `{name}`")


def _layer_from_module(module: nn.Module, where: str) -> Layer:
    """The ``network!`` entry for one layer module (name and key are filled in later)."""
    kind = _supported_kind(module, where)
    args = _ARGUMENT_READERS[kind](module)
    _refuse_unsupported_options(kind, args, where)
    full = {name: args.get(name, default) for name, default in SIGNATURES[kind]}
    return Layer(kind=kind, args=full, origin=f"{where} ({kind})")


# --------------------------------------------------------------------------------------------
# Literal values: comparison and Rust/Python text
# --------------------------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    """Python equality that keeps booleans apart from numbers (``True != 1`` here)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return (
            isinstance(a, (tuple, list))
            and isinstance(b, (tuple, list))
            and len(a) == len(b)
            and all(_same(x, y) for x, y in zip(a, b))
        )
    if a is None or b is None:
        return a is b
    if isinstance(a, str) or isinstance(b, str):
        return type(a) is type(b) and a == b
    return a == b


def _check_literal(value: Any, what: str) -> None:
    """Refuses values that cannot be written as a ``network!`` argument literal."""
    if value is None or isinstance(value, (bool, int, str)):
        if isinstance(value, str) and not re.fullmatch(r"[A-Za-z0-9_.\- ]*", value):
            raise ExportError(f"{what} is the string {value!r}, which staticnn does not accept")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ExportError(
                f"{what} is {value!r}; network! arguments must be finite numbers. "
                "Use a large finite value instead."
            )
        return
    if isinstance(value, (tuple, list)):
        for item in value:
            _check_literal(item, what)
        return
    raise ExportError(
        f"{what} is {value!r} of type {type(value).__name__}; network! arguments are ints, "
        "floats, True/False, strings, None or tuples of those"
    )


def _literal(value: Any) -> str:
    """The ``network!`` text of a value: Python-style ``True``/``None``/``(3, 5)``/``1e-05``."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # "1e-05", "0.1", "2.0": Python's repr is also a Rust float literal
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, (tuple, list)):
        items = [_literal(v) for v in value]
        return f"({items[0]},)" if len(items) == 1 else f"({', '.join(items)})"
    raise TypeError(f"no literal for {value!r}")


def layer_text(module: nn.Module) -> str:
    """The ``network!`` text of one supported layer module, e.g. ``Conv2d(1, 16, 3, padding =
    1)``. It is also valid Python: ``eval(text, vars(torch.nn))`` rebuilds the module."""
    return _call_text(_layer_from_module(module, type(module).__qualname__))


def _call_text(layer: Layer) -> str:
    """``Conv2d(1, 16, 3, padding = 1)``: required arguments by position, others by keyword
    when they differ from PyTorch's default."""
    parts = []
    for name, default in SIGNATURES[layer.kind]:
        value = layer.args[name]
        if default is REQUIRED:
            parts.append(_literal(value))
        elif not _same(value, default):
            parts.append(f"{name} = {_literal(value)}")
    return f"{layer.kind}({', '.join(parts)})"


# --------------------------------------------------------------------------------------------
# Tracing the model into a chain
# --------------------------------------------------------------------------------------------


class _ChainTracer(fx.Tracer):
    """``torch.fx`` tracer that keeps every supported layer whole (subclasses included) and
    traces through containers and the user's own modules."""

    def __init__(self) -> None:
        super().__init__()
        self.record_stack_traces = True

    def is_leaf_module(self, m: nn.Module, module_qualified_name: str) -> bool:
        if any(isinstance(m, cls) for cls in _SUPPORTED_CLASSES):
            return True
        return super().is_leaf_module(m, module_qualified_name)


def _trace(model: nn.Module, where: str) -> fx.Graph:
    """The ``torch.fx`` graph of ``model.forward``, or an :class:`ExportError`."""
    try:
        return _ChainTracer().trace(model)
    except Exception as exc:  # fx raises many kinds of errors on untraceable code
        raise ExportError(
            f"{where}: torch.fx could not trace {type(model).__qualname__}.forward ({exc}). "
            "staticnn needs forward(x) to be a straight chain of layer calls without "
            "data-dependent control flow; use an nn.Sequential."
        ) from exc


def _source_line(node: fx.Node) -> str:
    """`` (at file.py:12: x = x + y)``: the model's own source line of a traced operation (the
    last stack frame outside torch), or ``""``."""
    torch_dir = str(Path(torch.__file__).parent)
    lines = (getattr(node, "stack_trace", None) or "").splitlines()
    found = ""
    for i, line in enumerate(lines):
        m = re.search(r'File "([^"]+)", line (\d+)', line)
        if m and not m.group(1).startswith(torch_dir):
            following = lines[i + 1].strip() if i + 1 < len(lines) else ""
            code = "" if following.startswith("File ") else f": {following}"
            found = f" (at {Path(m.group(1)).name}:{m.group(2)}{code})"
    return found


def _describe(node: fx.Node) -> str:
    """A human name for a traced operation: ``self.fc1``, ``torch.add``, ``.view()``."""
    if node.op == "call_module":
        return f"self.{node.target}"
    if node.op == "call_method":
        return f"the tensor method .{node.target}()"
    if node.op == "get_attr":
        return f"the attribute self.{node.target}"
    target = node.target
    name = getattr(target, "__name__", str(target))
    module = getattr(target, "__module__", None) or ""
    if target in vars(operator).values():
        return f"the operator {name}"
    return f"{module}.{name}" if module else name


_VIEW_HINT = (
    " To flatten, use nn.Flatten() or torch.flatten(x, 1) instead of x.view(x.size(0), -1)."
)


def _is_shape_query(node: fx.Node) -> bool:
    """Whether ``node`` asks for a tensor's shape (``x.size(0)``, ``x.shape``)."""
    return (node.op == "call_method" and node.target in ("size", "dim")) or (
        node.op == "call_function" and node.target is getattr
    )


# Parameter-free functions with a layer equivalent: function -> (layer, parameter names after
# the input, in the function's positional order, with the layer's parameter names).
_FUNCTIONS: dict[Any, tuple[str, tuple[str, ...]]] = {
    F.relu: ("ReLU", ("inplace",)),
    torch.relu: ("ReLU", ()),
    F.relu6: ("ReLU6", ("inplace",)),
    F.leaky_relu: ("LeakyReLU", ("negative_slope", "inplace")),
    F.elu: ("ELU", ("alpha", "inplace")),
    F.gelu: ("GELU", ("approximate",)),
    F.silu: ("SiLU", ("inplace",)),
    F.hardswish: ("Hardswish", ("inplace",)),
    F.hardsigmoid: ("Hardsigmoid", ("inplace",)),
    F.hardtanh: ("Hardtanh", ("min_val", "max_val", "inplace")),
    F.softplus: ("Softplus", ("beta", "threshold")),
    torch.sigmoid: ("Sigmoid", ()),
    F.sigmoid: ("Sigmoid", ()),
    torch.tanh: ("Tanh", ()),
    F.tanh: ("Tanh", ()),
    torch.flatten: ("Flatten", ("start_dim", "end_dim")),
    F.max_pool1d: ("MaxPool1d", ("kernel_size", "stride", "padding", "dilation", "ceil_mode",
                                 "return_indices")),
    F.max_pool2d: ("MaxPool2d", ("kernel_size", "stride", "padding", "dilation", "ceil_mode",
                                 "return_indices")),
    F.avg_pool1d: ("AvgPool1d", ("kernel_size", "stride", "padding", "ceil_mode",
                                 "count_include_pad")),
    F.avg_pool2d: ("AvgPool2d", ("kernel_size", "stride", "padding", "ceil_mode",
                                 "count_include_pad", "divisor_override")),
    F.adaptive_avg_pool2d: ("AdaptiveAvgPool2d", ("output_size",)),
    F.softmax: ("Softmax", ("dim", "_stacklevel", "dtype")),
    F.log_softmax: ("LogSoftmax", ("dim", "_stacklevel", "dtype")),
}
# Tensor methods with a layer equivalent, same layout as _FUNCTIONS.
_METHODS: dict[str, tuple[str, tuple[str, ...]]] = {
    "relu": ("ReLU", ()),
    "sigmoid": ("Sigmoid", ()),
    "tanh": ("Tanh", ()),
    "flatten": ("Flatten", ("start_dim", "end_dim")),
    "softmax": ("Softmax", ("dim", "dtype")),
    "log_softmax": ("LogSoftmax", ("dim", "dtype")),
}
# The functional defaults that differ from the layer's (torch.flatten flattens from dim 0).
_FUNCTION_DEFAULTS: dict[str, dict[str, Any]] = {"Flatten": {"start_dim": 0}}


def _layer_from_function(node: fx.Node, where: str) -> Layer:
    """The ``network!`` entry for a parameter-free function call such as ``F.relu(x)``."""
    spec = _FUNCTIONS.get(node.target) if node.op == "call_function" else _METHODS.get(node.target)
    what = f"{_describe(node)}{_source_line(node)}"
    if spec is None:
        raise ExportError(
            f"{where}: {what} has no staticnn layer equivalent; the functions accepted in a "
            "chain are F.relu, torch.sigmoid, torch.tanh, torch.flatten, F.max_pool2d, "
            "F.avg_pool2d, F.softmax and similar (see _FUNCTIONS in tools/export.py). Use a "
            "torch.nn layer instead." + (_VIEW_HINT if node.target in ("view", "reshape") else "")
        )
    kind, names = spec
    given = dict(zip(names, node.args[1:]))
    duplicate = set(given) & set(node.kwargs)
    if duplicate or len(node.args) - 1 > len(names):
        raise ExportError(f"{where}: {what} is called with arguments staticnn cannot bind")
    given.update(node.kwargs)
    given.pop("_stacklevel", None)
    if given.pop("dtype", None) is not None:
        raise ExportError(f"{where}: {what} converts to another dtype; staticnn computes in f32.")
    unknown = set(given) - {name for name, _ in SIGNATURES[kind]}
    if unknown:
        raise ExportError(f"{where}: {what} has arguments {sorted(unknown)} that {kind} lacks")
    try:
        module = getattr(nn, kind)(**{**_FUNCTION_DEFAULTS.get(kind, {}), **given})
    except (TypeError, ValueError) as exc:
        raise ExportError(f"{where}: {what} cannot be written as nn.{kind}: {exc}") from exc
    return _layer_from_module(module, f"{where}: {what}")


# --------------------------------------------------------------------------------------------
# Names, keys and tensors
# --------------------------------------------------------------------------------------------


def _is_identifier(name: str) -> bool:
    """Whether ``name`` can be a Rust identifier (a field name)."""
    return bool(_IDENTIFIER.match(name)) and name not in _RUST_KEYWORDS and name != "_"


def _layer_tensors(module: nn.Module, layer: Layer) -> dict[str, torch.Tensor]:
    """The layer's ``state_dict`` entries that are written, checked (float32, CPU)."""
    state = module.state_dict()
    allowed = _ALLOWED_TENSORS.get(layer.kind, frozenset())
    unexpected = sorted(set(state) - allowed)
    if unexpected:
        raise ExportError(
            f"{layer.origin} holds tensors {unexpected} that nn.{layer.kind} does not have "
            f"(it may carry {sorted(allowed) or 'no tensors'}); staticnn cannot load them. "
            "Remove weight_norm-style reparametrizations or extra buffers before exporting."
        )
    tensors = {}
    for name, tensor in state.items():
        if name in SKIPPED_KEYS:
            continue
        _check_tensor(tensor, f"{layer.origin} tensor `{name}`")
        tensors[name] = tensor.detach().clone().contiguous()
    return tensors


def _check_tensor(tensor: torch.Tensor, what: str) -> None:
    """Refuses tensors that are not float32 on the CPU."""
    if isinstance(tensor, nn.parameter.UninitializedParameter) or isinstance(
        tensor, nn.parameter.UninitializedBuffer
    ):
        raise ExportError(
            f"{what} is not initialized yet (a lazy module); run one forward pass first."
        )
    if tensor.device.type != "cpu":
        raise ExportError(
            f"{what} is on device {tensor.device}; staticnn exports CPU tensors. Fix: call "
            "model.cpu() before exporting."
        )
    if tensor.dtype != torch.float32:
        raise ExportError(
            f"{what} has dtype {tensor.dtype}; staticnn computes in float32. Fix: call "
            "model.float() (and retrain or re-check accuracy if it was quantized)."
        )


def _assign_names(chain: list[tuple[Layer, str | None, nn.Module | None]]) -> str | None:
    """Fills in each layer's written name and key; returns the common parent path (prefix).

    ``chain`` holds, per layer, the module's qualified name (``model1.3``, or ``None`` for a
    function call) and the module.
    """
    stateful = [(layer, path) for layer, path, _ in chain if layer.tensors]
    parents = {path.rpartition(".")[0] for _, path in stateful}
    if len(parents) > 1:
        listing = "; ".join(
            f"{layer.origin} under {repr(path.rpartition('.')[0]) if '.' in path else 'the root'}"
            for layer, path in stateful
        )
        raise ExportError(
            "layers with tensors live in different parent modules (" + listing + "); a "
            "network! gives all its layers one key prefix. Put them in one nn.Sequential "
            "(no nested containers) or export each part separately with submodule=..."
        )
    if parents:
        parent = parents.pop()
    else:
        module_parents = {p.rpartition(".")[0] for _, p, _ in chain if p is not None}
        parent = module_parents.pop() if len(module_parents) == 1 else ""
    used: set[str] = set()
    stateful_paths: set[str] = set()
    for index, (layer, path, _) in enumerate(chain):
        leaf = path.rpartition(".")[2] if path is not None else None
        same_parent = path is not None and path.rpartition(".")[0] == parent
        if layer.tensors:
            if path in stateful_paths:
                raise ExportError(
                    f"{layer.origin} is called more than once; a layer with weights appears "
                    "once in a network! (shared weights are not supported). Use separate "
                    "layers with their own weights."
                )
            stateful_paths.add(path)
            layer.key = leaf
            layer.name = _stateful_name(layer, leaf, index, used)
        elif same_parent and leaf not in used and leaf != str(index) and _is_identifier(leaf):
            layer.name = leaf
        if layer.name is not None:
            used.add(layer.name)
    _check_field_names(chain)
    return parent or None


def _stateful_name(layer: Layer, leaf: str, index: int, used: set[str]) -> str | None:
    """The written name of a layer with tensors: ``None`` when its key is its index."""
    if leaf == str(index):
        return None
    if leaf.isdigit():
        raise ExportError(
            f"{layer.origin} has state_dict key prefix {leaf!r} but is layer {index} of the "
            f"chain; network! keys an unnamed layer by its position, so it would read "
            f"'{index}.weight'. Fix: give the layers names (nn.Sequential(OrderedDict(...))) "
            "or make every step a module of one nn.Sequential, so positions match indices."
        )
    if not _is_identifier(leaf):
        raise ExportError(
            f"{layer.origin}: its name {leaf!r} becomes a Rust field name and must be an "
            "identifier (letters, digits, _; not a Rust keyword). Rename the attribute."
        )
    if leaf in used:
        raise ExportError(
            f"{layer.origin}: its name {leaf!r} is already used by an earlier layer of the "
            "chain; each name is a Rust field and must be unique. Rename one of them."
        )
    return leaf


def _check_field_names(chain: list[tuple[Layer, str | None, nn.Module | None]]) -> None:
    """Applies ``network!``'s rule that ``layerN`` may not name a layer when layer N is
    unnamed (its field is ``layerN``)."""
    for layer, _, _ in chain:
        name = layer.name or ""
        m = re.fullmatch(r"layer(\d+)", name)
        if m and int(m.group(1)) < len(chain) and chain[int(m.group(1))][0].name is None:
            raise ExportError(
                f"{layer.origin}: the name {name!r} is the field name network! gives the "
                f"unnamed layer {m.group(1)}; rename the attribute."
            )


def _check_state_dict_covered(root: nn.Module, written: dict[str, torch.Tensor],
                              prefix: str | None, where: str) -> None:
    """Refuses models whose ``state_dict`` holds tensors that no exported layer accounts for."""
    expected = {
        _join(prefix, key)
        for key in root.state_dict()
        if key.rpartition(".")[2] not in SKIPPED_KEYS
    }
    missing = sorted(expected - set(written))
    if missing:
        raise ExportError(
            f"{where}: state_dict entries {missing[:6]}{' ...' if len(missing) > 6 else ''} "
            "belong to no layer of the chain (unused children, or tensors used directly in "
            "forward); staticnn's weights would not match the model. Remove them or export "
            "only the part that runs (submodule=...)."
        )


def _check_no_hooks(model: nn.Module, where: str) -> None:
    """Refuses forward hooks: they change what a layer computes and fx does not see them."""
    from torch.nn.modules import module as module_impl

    if module_impl._global_forward_hooks or module_impl._global_forward_pre_hooks:
        raise ExportError(
            "global forward hooks are registered (torch.nn.modules.module."
            "register_module_forward_hook); remove them before exporting."
        )
    for name, m in model.named_modules():
        if m._forward_hooks or m._forward_pre_hooks:
            label = f"{where}.{name}" if name else where
            raise ExportError(
                f"{label} ({type(m).__qualname__}) has forward hooks, which may change what it "
                "computes (old-style torch.nn.utils.weight_norm uses one: remove it with "
                "torch.nn.utils.remove_weight_norm). Remove the hooks before exporting."
            )


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def _check_input_shape(input_shape: Sequence[int]) -> tuple[int, ...]:
    """The input shape as a tuple of positive ints, or an :class:`ExportError`."""
    try:
        dims = tuple(input_shape)
    except TypeError:
        dims = ()
    if not 1 <= len(dims) <= 4 or not all(
        isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in dims
    ):
        raise ExportError(
            f"input_shape must be 1 to 4 positive ints without the batch dimension, e.g. "
            f"[784], [1, 32, 32]; found {input_shape!r}"
        )
    return dims


def _check_runs(model: nn.Module, shape: tuple[int, ...], where: str) -> None:
    """Runs ``model`` once on zeros of the declared shape (eval mode, no grad), restoring each
    module's training flag, so a wrong input shape fails here with PyTorch's own message."""
    flags = [(m, m.training) for m in model.modules()]
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros((1, *shape), dtype=torch.float32))
    except Exception as exc:
        raise ExportError(
            f"{where} does not run on an input of shape {list(shape)} (batch of 1: "
            f"{[1, *shape]}): {exc}. Check input_shape."
        ) from exc
    finally:
        for m, training in flags:
            m.training = training


def plan(model: nn.Module, input_shape: Sequence[int], *, submodule: str | None = None) -> Plan:
    """Checks that ``model`` (or ``model.<submodule>``) is a plain chain of supported layers and
    returns what to write. Raises :class:`ExportError` with the reason otherwise."""
    if not isinstance(model, nn.Module):
        raise ExportError(f"expected a torch.nn.Module, found {type(model).__name__}")
    shape = _check_input_shape(input_shape)
    root_prefix = submodule or None
    where = type(model).__qualname__ + (f".{submodule}" if submodule else "")
    if submodule:
        try:
            target = model.get_submodule(submodule)
        except AttributeError as exc:
            raise ExportError(f"{type(model).__qualname__} has no submodule {submodule!r}: {exc}")
    else:
        target = model
    for key, tensor in target.state_dict().items():
        if key.rpartition(".")[2] not in SKIPPED_KEYS:
            _check_tensor(tensor, f"{where} tensor {key!r}")
    _check_no_hooks(target, where)
    graph = _trace(target, where)
    inputs = [n for n in graph.nodes if n.op == "placeholder"]
    if len(inputs) != 1:
        raise ExportError(
            f"{where}: forward takes {len(inputs)} tensor arguments "
            f"({', '.join(n.name for n in inputs)}); a network! has exactly one input."
        )
    _check_runs(target, shape, where)
    return _graph_module().plan(target, graph, shape, root_prefix, where)


def _valid_prefix(prefix: str) -> bool:
    """Whether ``#[staticnn(prefix = ..)]`` accepts ``prefix`` (dotted letters, digits, _)."""
    return re.fullmatch(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*", prefix) is not None


def render(
    p: Plan,
    name: str,
    *,
    doc: str | None = None,
    visibility: str = "pub",
    weights: str | None = None,
    quantized: str | None = None,
) -> str:
    """The ``network! { .. }`` declaration of a plan, without a trailing newline.

    ``weights``, when given, is the path (relative to the using crate's ``Cargo.toml``) written
    as ``#[staticnn(weights = "...")]`` so the weights are compiled in. ``quantized``, when given
    (``"int8"``), is written as ``quantized = "int8"`` before it (see ``export_int8.py``)."""
    if not _is_identifier(name):
        raise ExportError(
            f"the struct name {name!r} must be a Rust identifier (CamelCase, e.g. 'LeNet')"
        )
    lines = ["network! {"]
    for doc_line in (doc.splitlines() if doc else []):
        lines.append(f"    /// {doc_line}".rstrip())
    options = []
    if p.prefix:
        options.append(f'prefix = "{p.prefix}"')
    if quantized:
        options.append(f'quantized = "{quantized}"')
    if weights:
        options.append(f'weights = "{weights}"')
    if options:
        lines.append(f"    #[staticnn({', '.join(options)})]")
    vis = f"{visibility} " if visibility else ""
    dims = ", ".join(str(d) for d in p.input_shape)
    lines.append(f"    {vis}struct {name}: [{dims}] {{")
    if p.body is not None:
        lines += _graph_module().render_body(p.body)
    else:
        for layer in p.layers:
            label = f"{layer.name} = " if layer.name else ""
            lines.append(f"        {label}{_call_text(layer)},")
    lines += ["    }", "}"]
    return "\n".join(lines)


def write_safetensors(p: Plan, path: str | Path) -> None:
    """Writes the plan's tensors (float32, exact ``state_dict`` keys) to ``path``."""
    from safetensors.torch import save_file

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_file(p.tensors(), str(path), metadata={"format": "pt"})


def export(
    model: nn.Module,
    input_shape: Sequence[int],
    name: str,
    path: str | Path | None = None,
    *,
    submodule: str | None = None,
    doc: str | None = None,
    visibility: str = "pub",
    weights_attr: str | None = None,
    quantize: str | None = None,
    calibration: Any = None,
) -> str:
    """Exports ``model`` to staticnn; returns the ``network!`` declaration.

    Args:
        model: an ``nn.Sequential`` or any module whose ``forward`` is a plain chain of
            supported layers (see the module docstring for the exact rule). Must be on the CPU
            with float32 tensors. Its mode (train/eval) is left as it was.
        input_shape: one input's shape without the batch dimension: ``[784]``, ``[C, L]``,
            ``[C, H, W]``.
        name: the Rust struct name (``"LeNet"``).
        path: where to write the ``.safetensors`` file; ``None`` writes nothing.
        submodule: export only ``model.<submodule>`` (dotted path); its path becomes the key
            prefix, so the keys are those of ``model.state_dict()`` (``model1.0.weight``).
        doc: a doc comment for the struct.
        visibility: the struct's visibility (``"pub"``, ``"pub(crate)"``, or ``""``).
        weights_attr: the weights file as the Rust crate will name it (relative to its
            ``Cargo.toml``); adds ``#[staticnn(weights = "...")]`` to compile the weights in.
        quantize: ``None`` (float32, the default) or ``"int8"``: quantize the model with
            PyTorch's post-training flow (PT2E, XNNPACK-style symmetric per-channel quantizer)
            and write the int8 file of ``docs/int8-format.md``; the declaration gets
            ``#[staticnn(quantized = "int8", weights = "...")]`` (``weights_attr``, else
            ``path`` as given). See ``export_int8.py`` for exactly what is written.
        calibration: with ``quantize="int8"``: a float32 tensor ``[N, *input_shape]`` of
            representative inputs (or a list of such batches), run once through the observed
            model to choose the activation scales.

    Raises:
        ExportError: when the model cannot be expressed; the message names the module, the
            reason and the fix.
    """
    if quantize is not None or calibration is not None:
        export_int8 = _int8_module()

        return export_int8.export(
            model, input_shape, name, path, submodule=submodule, doc=doc,
            visibility=visibility, weights_attr=weights_attr, quantize=quantize,
            calibration=calibration,
        ).declaration
    p = plan(model, input_shape, submodule=submodule)
    text = render(p, name, doc=doc, visibility=visibility, weights=weights_attr)
    if path is not None:
        write_safetensors(p, path)
    return text


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def _load_object(spec: str) -> Any:
    """``path/to/file.py:NAME`` or ``package.module:NAME`` -> the named object."""
    source, sep, attr = spec.rpartition(":")
    if not sep or not source or not attr:
        raise ExportError(
            f"MODEL must be 'file.py:NAME' or 'package.module:NAME', found {spec!r}"
        )
    if source.endswith(".py"):
        file = Path(source)
        if not file.is_file():
            raise ExportError(f"no such file: {source}")
        loader_spec = importlib.util.spec_from_file_location(file.stem, file)
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[file.stem] = module
        loader_spec.loader.exec_module(module)
    else:
        module = importlib.import_module(source)
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ExportError(f"{source} has no attribute {attr!r}")
        obj = getattr(obj, part)
    return obj


def _load_model(spec: str, state_dict: str | None) -> nn.Module:
    """The model named by ``spec`` (a module, or a zero-argument callable returning one), with
    ``state_dict`` (a ``torch.save``d state dict) loaded into it when given."""
    obj = _load_object(spec)
    model = obj if isinstance(obj, nn.Module) else obj()
    if not isinstance(model, nn.Module):
        raise ExportError(f"{spec} gave a {type(model).__name__}, expected a torch.nn.Module")
    if state_dict:
        model.load_state_dict(torch.load(state_dict, map_location="cpu", weights_only=True))
    return model


def _graph_module() -> Any:
    """``export_graph`` (which imports this module), loaded on first use, from the same
    package as this module."""
    if __package__:
        return importlib.import_module(f"{__package__}.export_graph")
    return importlib.import_module("export_graph")


def _int8_module() -> Any:
    """``export_int8`` (which imports this module), loaded on first use, from the same
    package as this module (``tools.export_int8`` or ``export_int8``)."""
    if __package__:
        return importlib.import_module(f"{__package__}.export_int8")
    return importlib.import_module("export_int8")


def _export_quantized_cli(model: nn.Module, args: argparse.Namespace) -> str:
    """The ``--quantize int8`` path of :func:`main`; returns the declaration."""
    export_int8 = _int8_module()

    if not args.quantize:
        raise ExportError("--calibration/--reference-* are used with --quantize int8 only")
    if not args.calibration:
        raise ExportError("--quantize int8 needs --calibration FILE (representative inputs)")
    if bool(args.reference_inputs) != bool(args.reference_out):
        raise ExportError("--reference-inputs and --reference-out go together")
    result = export_int8.export(
        model, args.input_shape, args.name, args.out, submodule=args.submodule, doc=args.doc,
        weights_attr=args.weights_attr, quantize=args.quantize,
        calibration=export_int8.load_tensor_file(args.calibration),
    )
    if args.reference_out:
        inputs = export_int8.load_tensor_file(args.reference_inputs)
        export_int8.write_reference(result.model, inputs, args.reference_out)
    return result.declaration


def main(argv: Iterable[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        description="Export a PyTorch network (a chain, or branches joined by +, * or "
        "torch.cat) to staticnn: a .safetensors file and the matching network! declaration "
        "(printed to stdout).",
    )
    parser.add_argument(
        "model",
        help="file.py:NAME or package.module:NAME: an nn.Module, or a zero-argument callable "
        "(class or factory) returning one",
    )
    parser.add_argument("--input-shape", type=int, nargs="+", required=True, metavar="DIM",
                        help="one input's shape without batch, e.g. 1 32 32")
    parser.add_argument("--name", required=True, help="the Rust struct name, e.g. LeNet")
    parser.add_argument("--out", "-o", help="the .safetensors file to write")
    parser.add_argument("--state-dict", help="a torch.save()d state_dict to load first")
    parser.add_argument("--submodule", help="export only this attribute path, e.g. model1")
    parser.add_argument("--doc", help="doc comment for the struct")
    parser.add_argument("--declaration-out", help="also write the declaration to this file")
    parser.add_argument("--weights-attr", metavar="PATH",
                        help="add #[staticnn(weights = PATH)], PATH relative to the crate's "
                        "Cargo.toml, to compile the weights in")
    parser.add_argument("--quantize", choices=["int8"],
                        help="quantize with PyTorch's post-training flow (PT2E) and write the "
                        "int8 weights file (needs --calibration)")
    parser.add_argument("--calibration", metavar="FILE",
                        help="representative inputs [N, *input-shape], float32: a torch.save()d "
                        "tensor (.pt) or a .safetensors file with one tensor (or one named "
                        "'input')")
    parser.add_argument("--reference-inputs", metavar="FILE",
                        help="with --quantize: inputs (same file kinds as --calibration) to run "
                        "PyTorch's quantized model on, for --reference-out")
    parser.add_argument("--reference-out", metavar="FILE",
                        help="with --quantize: write a .safetensors of 'input', PyTorch's "
                        "quantized model's f32 'output' and its int8 'output_int8'")
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        model = _load_model(args.model, args.state_dict)
        if args.quantize or args.calibration or args.reference_out or args.reference_inputs:
            text = _export_quantized_cli(model, args)
        else:
            text = export(model, args.input_shape, args.name, args.out,
                          submodule=args.submodule, doc=args.doc,
                          weights_attr=args.weights_attr)
    except ExportError as exc:
        print(f"export.py: error: {exc}", file=sys.stderr)
        return 2
    if args.declaration_out:
        Path(args.declaration_out).write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    # export_int8 does `import export`: make that this running module, so both share one
    # ExportError class (main() catches it).
    sys.modules.setdefault("export", sys.modules[__name__])
    sys.exit(main())
