"""The int8 export of branching networks (residual ``Add``, ``Mul``, ``Cat``, nested modules):
the graph half of ``tools/export_int8.py``, as ``export_graph.py`` is the graph half of
``export.py``.

``export_int8.quantize_model`` calls :func:`quantize_graph` when the float plan has a
``body`` (``export_graph.plan`` wrote the declaration). PyTorch's flow is the chain's
(``torch.export``, ``prepare_pt2e`` with the XNNPACK-style quantizer, calibration,
``convert_pt2e``); what differs is how the converted graph is read.

How the converted graph is mapped onto the declaration
------------------------------------------------------
1. The declaration's nodes are listed as ``network!`` builds them (:func:`declared_nodes`):
   layers in the order written, a combination after its branches, each with the path
   ``network!`` gives it (its ``state_dict`` prefix, or ``<parent>.add``, ``<parent>.add_1``
   ... for unnamed nodes, docs/int8-format.md) and its inputs.
2. Each node is matched, by data flow, with the converted graph's operation that computes it:
   the operation of the node's kind whose data arguments are the node's inputs' values
   (through a quantize -> dequantize pair or directly), disambiguated by module path when
   several read the same value (``stack2.conv1`` and ``stack2.shortcut`` both read the stack's
   input). Layers that leave no operation (a BatchNorm folded into the conv before it,
   Identity, eval-mode Dropout) take their input's value.
3. Every quantize node of the graph quantizes some node's value. A layer that shares its
   input's quantization (ReLU/ReLU6/Hardtanh, max pooling, Flatten, Identity, Dropout) passes
   it back to the node that owns its quantization (a conv/linear, a combination, a float
   layer or the input): ``add -> relu -> quantize`` (PyTorch's fused add-ReLU) is the add's
   output quantization, ``avg_pool2d -> flatten -> quantize`` the pooling's.
4. The file's tensors follow: per conv/linear its int8 weight, scales, int32 bias (with the
   scale of the quantization PyTorch feeds it) and output quantization; per combination and
   per float layer whose result is quantized, its output quantization; float layers' own
   parameters as F32.
5. The file is checked by running it (:func:`simulate`) the way PyTorch's converted graph
   computes (each node in float32 on dequantized inputs, quantized with the file's
   parameters): with PyTorch's float biases it must give PyTorch's output bit for bit on every
   calibration batch, which proves the mapping; the int32 biases' rounding effect is measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import torch
import torch.fx as fx
import torch.nn as nn

if __package__:
    from . import export as _float
    from . import export_graph as _graph
    from . import export_int8 as _int8
else:
    import export as _float
    import export_graph as _graph
    import export_int8 as _int8

ExportError = _float.ExportError
Layer = _float.Layer
QParams = _int8.QParams

_ATEN = torch.ops.aten

# The converted graph's operations a layer of each kind may become (weighted and float layers;
# sharing layers too, since they run in float between a dequantize and a quantize).
_OPS: dict[str, tuple[Any, ...]] = {
    **_int8._WEIGHTED_OPS,
    "ReLU": (_ATEN.relu.default, _ATEN.relu_.default),
    "ReLU6": (_ATEN.hardtanh.default, _ATEN.hardtanh_.default),
    "Hardtanh": (_ATEN.hardtanh.default, _ATEN.hardtanh_.default),
    "MaxPool1d": (_ATEN.max_pool1d.default,),
    "MaxPool2d": (_ATEN.max_pool2d.default,),
    "Flatten": (_ATEN.flatten.using_ints, _ATEN.view.default, _ATEN.reshape.default),
    "Dropout": (_ATEN.dropout.default,),
    "Identity": (),
    "Sigmoid": (_ATEN.sigmoid.default,),
    "Tanh": (_ATEN.tanh.default,),
    "AvgPool1d": (_ATEN.avg_pool1d.default,),
    "AvgPool2d": (_ATEN.avg_pool2d.default,),
    "AdaptiveAvgPool2d": (_ATEN.adaptive_avg_pool2d.default, _ATEN.mean.dim),
    "BatchNorm2d": (_ATEN._native_batch_norm_legit_no_training.default,),
    "BatchNorm1d": (_ATEN._native_batch_norm_legit_no_training.default,),
    "SiLU": (_ATEN.silu.default,),
    "Hardswish": (_ATEN.hardswish.default,),
    "Hardsigmoid": (_ATEN.hardsigmoid.default,),
    "GELU": (_ATEN.gelu.default,),
    "LeakyReLU": (_ATEN.leaky_relu.default,),
    "Softmax": (_ATEN.softmax.int, _ATEN._softmax.default),
}
_COMBINE_OPS = {
    "Add": (_ATEN.add.Tensor, _ATEN.add_.Tensor),
    "Mul": (_ATEN.mul.Tensor, _ATEN.mul_.Tensor),
    "Cat": (_ATEN.cat.default, _ATEN.concat.default),
}


# --------------------------------------------------------------------------------------------
# The declaration's nodes, as network! builds them
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)
class DeclNode:
    """One node of the declaration's graph."""

    kind: str
    """``input``, a layer kind (``Conv2d``) or ``Add``/``Mul``/``Cat``."""
    path: str
    """Its path: the ``state_dict`` prefix (below the network prefix) or the synthetic name
    ``network!`` gives it (``stack1.add``)."""
    inputs: list["DeclNode"] = field(default_factory=list)
    layer: Layer | None = None
    role: str = ""
    """Layers: ``weighted``, ``sharing``, ``fallback`` (``folded`` once known); combinations:
    ``combine``; the input: ``input``."""
    value: fx.Node | None = None
    """The converted graph's node holding its float result (before any quantize)."""
    op: fx.Node | None = None
    """The operation that computes it, or ``None`` when it left none."""
    output_q: QParams | None = None
    """The quantization of its result, when it owns one (``N.output_*``)."""
    output_node: fx.Node | None = None
    """The quantize node of :attr:`output_q`."""
    input_q: QParams | None = None
    """Weighted layers: the quantization PyTorch feeds them (``s_in``)."""
    weighted: _int8.QuantizedLayer | None = None
    """Weighted layers: their int8 tensors."""


def declared_nodes(body: list[_graph.Item]) -> list[DeclNode]:
    """The nodes of declaration ``body`` in ``network!``'s order, with their paths and inputs
    (the rules of ``macros/src/graph``: a named item is keyed by its name, an unnamed one by its
    index in a ``[..]`` list or in the network's body, else ``<parent>.<kind>`` numbered
    ``_1``, ``_2`` per parent and kind; the network body's unnamed combinations and ``{..}``
    are transparent)."""
    nodes = [DeclNode("input", "input", role="input")]
    synthetic: dict[tuple[str, str], int] = {}

    def join(prefix: str, segment: str) -> str:
        return f"{prefix}.{segment}" if prefix else segment

    def synthetic_path(prefix: str, kind: str) -> str:
        kind = kind.lower()
        count = synthetic.get((prefix, kind), 0)
        synthetic[(prefix, kind)] = count + 1
        return join(prefix, kind if count == 0 else f"{kind}_{count}")

    def chain(items: list[_graph.Item], source: DeclNode, prefix: str, indexed: bool,
              root: bool) -> DeclNode:
        current = source
        for index, item in enumerate(items):
            what = item.what
            inline = root and (
                isinstance(what, _graph.Combine)
                or (isinstance(what, _graph.Group) and what.bracket == "{")
            )
            if item.name is not None:
                segment = item.name
            elif indexed and not inline:
                segment = str(index)
            else:
                segment = None
            current = one(item, current, segment, prefix)
        return current

    def one(item: _graph.Item, source: DeclNode, segment: str | None,
            prefix: str) -> DeclNode:
        what = item.what
        if isinstance(what, Layer):
            path = join(prefix, segment) if segment is not None else synthetic_path(
                prefix, what.kind)
            node = DeclNode(what.kind, path, [source], layer=what)
            nodes.append(node)
            return node
        inner = join(prefix, segment) if segment is not None else prefix
        if isinstance(what, _graph.Combine):
            outputs = [one(b, source, b.name, inner) for b in what.branches]
            path = join(prefix, segment) if segment is not None else synthetic_path(
                prefix, what.kind)
            node = DeclNode(what.kind, path, outputs, role="combine")
            nodes.append(node)
            return node
        return chain(what.items, source, inner, what.bracket == "[", False)

    chain(body, nodes[0], "", True, True)
    return nodes


# --------------------------------------------------------------------------------------------
# Matching the declaration with the converted graph
# --------------------------------------------------------------------------------------------


def _data_sources(node: fx.Node, what: str) -> list[tuple[fx.Node, QParams | None, Any]]:
    """The float values an operation reads as data (``(producer, qparams, quantize node)``;
    not its weight), in argument order; ``cat``'s list is expanded."""
    if node.target in _COMBINE_OPS["Cat"]:
        return [_int8._source(a, what) for a in node.args[0]]
    if node.target in _COMBINE_OPS["Add"] + _COMBINE_OPS["Mul"]:
        return [_int8._source(a, what) for a in node.args[:2] if isinstance(a, fx.Node)]
    return [_int8._source(node.args[0], what)]


class _Matcher:
    """Finds each declaration node's operation in the converted graph (step 2 of the module
    docstring)."""

    def __init__(self, gm: fx.GraphModule, paths: set[str], where: str) -> None:
        self.where = where
        self.paths = paths
        """The module paths of the declaration's layer modules."""
        self.ops = _int8._compute_nodes(gm, where)
        self.claimed: set[fx.Node] = set()
        self.readers: dict[fx.Node, list[tuple[fx.Node, list[fx.Node]]]] = {}
        for op in self.ops:
            try:
                sources = [s for s, _, _ in _data_sources(op, op.name)]
            except ExportError:
                continue
            for s in set(sources):
                self.readers.setdefault(s, []).append((op, sources))

    def match(self, node: DeclNode) -> None:
        inputs = [i.value for i in node.inputs]
        layer = node.layer
        targets = _COMBINE_OPS.get(node.kind) or _OPS.get(node.kind, ())
        candidates = [
            op for op, sources in self.readers.get(inputs[0], [])
            if op not in self.claimed and op.target in targets
            and (sources == inputs or (node.kind in ("Add", "Mul")
                                       and sorted(map(id, sources)) == sorted(map(id, inputs))))
        ]
        if layer is not None and layer.path is not None and len(candidates) > 1:
            candidates = [op for op in candidates if _int8._stack_entry(op)[1] == layer.path]
        if len(candidates) > 1 and layer is not None and layer.path is None:
            outside = [op for op in candidates if _int8._stack_entry(op)[1] not in self.paths]
            candidates = outside or candidates
        if not candidates:
            if node.kind in _int8._MAY_VANISH or node.kind == "Identity":
                node.value = inputs[0]
                if node.kind in _int8._FOLDABLE:
                    node.role = _int8.FOLDED
                return
            raise ExportError(
                f"{self.where}: no operation of PyTorch's quantized graph computes "
                f"`{node.path}` ({node.kind} of {[getattr(v, 'name', v) for v in inputs]}); the "
                "quantized graph does not follow the declaration"
            )
        if len(candidates) > 1 and layer is not None and layer.path is not None:
            raise ExportError(
                f"{self.where}: several operations could be `{node.path}` "
                f"({[op.name for op in candidates]})"
            )
        node.op = node.value = candidates[0]
        self.claimed.add(candidates[0])

    def check_all_claimed(self) -> None:
        rest = [n for n in self.ops if n not in self.claimed]
        if rest:
            listing = ", ".join(
                f"{n.target} ({_int8._stack_entry(n)[1] or 'root'})" for n in rest[:4])
            raise ExportError(
                f"{self.where}: PyTorch's quantized graph has operations no node of the "
                f"declaration accounts for: {listing}"
            )


def _quantizations(gm: fx.GraphModule, where: str) -> dict[fx.Node, tuple[QParams, fx.Node]]:
    """Every quantized float value: ``{value: (qparams, quantize node)}``; a value quantized
    twice must be quantized alike (PyTorch's shared observers)."""
    out: dict[fx.Node, tuple[QParams, fx.Node]] = {}
    for node in gm.graph.nodes:
        if node.op == "call_function" and node.target == _int8._Q_TENSOR:
            value = node.args[0]
            qp = _int8._qparams(node, f"{where}: {node.name}")
            if value in out and out[value][0] != qp:
                raise ExportError(f"{where}: {value.name} is quantized two ways")
            out.setdefault(value, (qp, node))
    return out


# --------------------------------------------------------------------------------------------
# The quantized graph
# --------------------------------------------------------------------------------------------


@dataclass
class QuantizedGraph:
    """A branching model quantized by PyTorch and mapped onto its staticnn declaration."""

    plan: _float.Plan
    nodes: list[DeclNode]
    input_q: QParams
    output_q: QParams | None
    converted: fx.GraphModule
    input_node: fx.Node | None = None
    bias_steps: int = 0
    """On the calibration data, the largest difference in int8 steps (any node) between
    :func:`simulate` with the file's int32 biases and with PyTorch's float biases."""

    @property
    def layers(self) -> list[_int8.QuantizedLayer]:
        """The weighted layers' int8 tensors (as the chain's ``QuantizedModel.layers``)."""
        return [n.weighted for n in self.nodes if n.weighted is not None]

    def tensors(self) -> dict[str, torch.Tensor]:
        """Every tensor of the int8 file, under its full key."""
        prefix = self.plan.prefix
        out: dict[str, torch.Tensor] = {}
        scale, zero_point = self.input_q.tensors()
        out[_float._join(prefix, "input_scale")] = scale
        out[_float._join(prefix, "input_zero_point")] = zero_point
        for node in self.nodes[1:]:
            own: dict[str, torch.Tensor] = {}
            if node.weighted is not None:
                own.update(node.weighted.tensors())
                own.pop("output_scale", None)
                own.pop("output_zero_point", None)
            elif node.role == _int8.FALLBACK and node.layer is not None:
                own.update(node.layer.tensors)
            if node.output_q is not None:
                own["output_scale"], own["output_zero_point"] = node.output_q.tensors()
            for name, tensor in own.items():
                out[_float._join(prefix, node.path, name)] = tensor.detach().contiguous()
        return out

    def float_biases(self) -> dict[str, torch.Tensor | None]:
        return {n.path: n.weighted.float_bias for n in self.nodes if n.weighted is not None}


def _role(node: DeclNode, where: str) -> str:
    if node.layer is None:
        return node.role
    return _int8._role(node.layer, where)


def _owner(node: DeclNode) -> DeclNode:
    """The node whose quantization ``node``'s result has: itself, or for a node that shares
    its input's quantization (or left no operation), its input's owner."""
    while node.role in (_int8.SHARING, _int8.FOLDED) or (
        node.layer is not None and node.op is None and node.role != _int8.WEIGHTED
    ):
        node = node.inputs[0]
    return node


def _map(plan: _float.Plan, gm: fx.GraphModule, where: str) -> QuantizedGraph:
    nodes = declared_nodes(plan.body)
    placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
    if len(placeholders) != 1:
        raise ExportError(f"{where}: the quantized graph has {len(placeholders)} inputs")
    nodes[0].value = placeholders[0]
    paths = {n.layer.path for n in nodes if n.layer is not None and n.layer.path}
    matcher = _Matcher(gm, paths, where)
    for node in nodes[1:]:
        node.role = _role(node, where)
        matcher.match(node)
    matcher.check_all_claimed()

    quantized = _quantizations(gm, where)
    for node in nodes:
        if node.value not in quantized:
            continue
        qp, quantize = quantized[node.value]
        owner = _owner(node)
        if owner.output_q is None:
            owner.output_q, owner.output_node = qp, quantize
        elif owner.output_q != qp:
            raise ExportError(
                f"{where}: `{node.path}` ({node.kind}) shares the quantization of "
                f"`{owner.path}` in staticnn, but PyTorch quantizes its result anew (scale "
                f"{qp.scale!r}, zero point {qp.zero_point} instead of scale "
                f"{owner.output_q.scale!r}, zero point {owner.output_q.zero_point}; e.g. a max "
                "pooling PyTorch runs in float on the raw input). Export it in float32."
            )
    input_node = nodes[0]
    if input_node.output_q is None:
        raise ExportError(f"{where}: PyTorch's quantized graph does not quantize the input")

    for node in nodes[1:]:
        if node.role == _int8.WEIGHTED:
            sources = _data_sources(node.op, node.path)
            _, qp, _ = sources[0]
            feeding = _owner(node.inputs[0]).output_q
            if qp is None or qp != feeding:
                raise ExportError(
                    f"{where}: the input of `{node.path}` is not int8 with its producer's "
                    "quantization in PyTorch's graph; staticnn's int8 conv/linear need it"
                )
            q = _int8.QuantizedLayer(node.layer, 0, _int8.WEIGHTED, nodes=[node.op],
                                     input_q=qp)
            _int8._read_weighted(gm, q, where)
            if q.float_bias is not None:
                q.bias = _int8._int32_bias(q, where)
            node.weighted = q
            if node.output_q is None:
                raise ExportError(f"{where}: the output of `{node.path}` is not quantized")
        elif node.role == "combine":
            for branch, (_, qp, _) in zip(node.inputs, _data_sources(node.op, node.path)):
                if qp is None or qp != _owner(branch).output_q:
                    raise ExportError(
                        f"{where}: `{node.path}` ({node.kind}) reads `{branch.path}` in float in "
                        "PyTorch's quantized graph (the quantizer did not annotate this "
                        f"{node.kind.lower()}); an int8 staticnn network combines int8 values. "
                        "Export it in float32, or use a quantizer that quantizes its inputs."
                    )
            if node.output_q is None:
                raise ExportError(
                    f"{where}: PyTorch's quantizer leaves the result of `{node.path}` "
                    f"({node.kind}) in float; an int8 staticnn network needs it int8. Export "
                    "it in float32, or use a quantizer that annotates it."
                )

    output = next(n for n in gm.graph.nodes if n.op == "output").args[0]
    if not isinstance(output, (tuple, list)) or len(output) != 1:
        raise ExportError(f"{where}: the quantized graph does not return one tensor")
    value, qp, _ = _int8._source(output[0], "the network output")
    if value is not nodes[-1].value:
        raise ExportError(f"{where}: the quantized graph's output is not the last node's")
    output_q = _owner(nodes[-1]).output_q if qp is not None else None
    return QuantizedGraph(plan, nodes, input_node.output_q, output_q, gm,
                          input_node=input_node.output_node)


# --------------------------------------------------------------------------------------------
# Running the file the way PyTorch's converted graph does
# --------------------------------------------------------------------------------------------


def simulate(model: QuantizedGraph, x: torch.Tensor, *,
             float_biases: bool = False) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The output (f32) and every node's result (int8 where quantized) computed from the
    file's tensors: each node in float32 on its dequantized inputs, its result quantized with
    its owner's quantization. ``float_biases`` uses PyTorch's float biases instead of the
    int32 ones (then the result is PyTorch's exactly)."""
    tensors = model.tensors()
    prefix = model.plan.prefix
    results: dict[int, tuple[torch.Tensor, QParams | None]] = {}
    steps = []

    def real(node: DeclNode) -> torch.Tensor:
        value, qp = results[id(node)]
        return value if qp is None else _int8._dequantize(value, qp)

    with torch.no_grad():
        for node in model.nodes:
            if node.role == "input":
                q = node.output_q
                results[id(node)] = (_int8._quantize(x, q), q)
                continue
            own_q = _owner(node).output_q
            if node.role == _int8.WEIGHTED:
                w = node.weighted
                zeros = torch.zeros_like(w.weight_scale, dtype=torch.int64)
                weight = _int8._DQ_CHANNEL(w.weight, w.weight_scale, zeros, 0, -127, 127,
                                           torch.int8)
                if float_biases or w.bias is None:
                    bias = w.float_bias
                else:
                    bias = (w.bias.double() * w.input_q.scale * w.weight_scale.double()).float()
                result = _int8._weighted_forward(node.layer, real(node.inputs[0]), weight, bias)
            elif node.role == "combine":
                values = [real(i) for i in node.inputs]
                if node.kind == "Cat":
                    result = torch.cat(values, dim=1)
                elif node.kind == "Add":
                    result = values[0] + values[1]
                else:
                    result = values[0] * values[1]
            elif node.op is None:
                results[id(node)] = results[id(node.inputs[0])]
                steps.append(results[id(node)][0])
                continue
            else:
                key = _float._join(prefix, node.path)
                own = {
                    name[len(key) + 1:]: t for name, t in tensors.items()
                    if name.startswith(key + ".") and not name.endswith(
                        ("output_scale", "output_zero_point"))
                }
                result = _int8._float_module(node.layer, own)(real(node.inputs[0]))
            owns_q = own_q is not None and (
                _owner(node) is node or node.role == _int8.SHARING)
            if owns_q:
                results[id(node)] = (_int8._quantize(result, own_q), own_q)
            else:
                results[id(node)] = (result, None)
            steps.append(results[id(node)][0])
    value, qp = results[id(model.nodes[-1])]
    return (value if qp is None else _int8._dequantize(value, qp)), steps


def _check_against_pytorch(model: QuantizedGraph, batches: list[torch.Tensor],
                           where: str) -> None:
    for batch in batches:
        with torch.no_grad():
            want = model.converted(batch)
        want = want[0] if isinstance(want, (tuple, list)) else want
        exact, exact_steps = simulate(model, batch, float_biases=True)
        if not torch.equal(exact, want):
            diff = float((exact - want).abs().max())
            raise ExportError(
                f"{where}: internal check failed: the written parameters do not reproduce "
                f"PyTorch's quantized model (largest difference {diff:.3g}); please report "
                "this model"
            )
        _, rounded_steps = simulate(model, batch)
        for a, b in zip(exact_steps, rounded_steps):
            if a.dtype == torch.int8 and b.dtype == torch.int8 and a.numel():
                model.bias_steps = max(model.bias_steps, int((a.int() - b.int()).abs().max()))


def quantize_graph(plan: _float.Plan, target: nn.Module, batches: list[torch.Tensor],
                   quantizer: Any, where: str) -> QuantizedGraph:
    """PyTorch's PT2E flow on ``target`` and its mapping onto ``plan`` (a branching
    declaration), checked against PyTorch's converted model on the calibration batches."""
    for layer in plan.layers:
        _int8._role(layer, where)  # refuse what cannot be quantized before running anything
    converted = _int8._convert(target, plan.input_shape, batches, quantizer, where)
    model = _map(plan, converted, where)
    _check_against_pytorch(model, batches, where)
    return model


def reference_outputs(model: QuantizedGraph, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """PyTorch's converted model on ``x``: ``output`` (f32), ``output_int8`` when the output is
    quantized, ``input_int8`` and ``<N>.output_int8`` for every node with output keys."""
    keyed = [n for n in model.nodes[1:] if n.output_node is not None]
    recorder = _int8._Recorder(model.converted, [model.input_node] + [n.output_node
                                                                      for n in keyed])
    with torch.no_grad():
        output = recorder.run(x)
    output = output[0] if isinstance(output, (tuple, list)) else output
    out = {"output": output, "input_int8": recorder.seen[model.input_node]}
    for n in keyed:
        out[_float._join(model.plan.prefix, n.path, "output_int8")] = recorder.seen[n.output_node]
    if model.output_q is not None:
        as_int8 = _int8._quantize(output, model.output_q)
        if not torch.equal(_int8._dequantize(as_int8, model.output_q), output):
            raise ExportError("the converted model's output is not on its quantization grid")
        out["output_int8"] = as_int8
    return out


__all__: Sequence[str] = ["DeclNode", "QuantizedGraph", "declared_nodes", "quantize_graph",
                          "reference_outputs", "simulate"]
