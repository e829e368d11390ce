"""The branching half of ``tools/export.py``: a traced ``forward`` to a ``network!`` body.

:func:`plan` is what ``export.plan`` runs after its checks of the model. It

1. reads the ``torch.fx`` graph into a data-flow graph of layers (supported ``torch.nn`` layer
   modules, kept whole by the tracer, and parameter-free functions with a layer equivalent)
   and combinations: ``a + b`` (``Add``), ``a * b`` with broadcasting (``Mul``) and
   ``torch.cat([..], dim=1)`` (``Cat``), each with the shapes ``torch.fx``'s shape
   propagation gives it;
2. decomposes that graph into ``network!``'s form: a chain of steps, where a combination's
   branches all start at one value (the combination's immediate dominator: every path from
   the input to it passes there) and run separately up to it. A value read by two operations
   that are not the branches of one combination cannot be written, and is refused;
3. arranges the steps into the module tree, following the calls recorded by ``torch.fx``
   (``nn_module_stack``): the steps of one call of a child module become one item, ``name =
   [..]`` for an ``nn.Sequential`` or ``ModuleList`` (items keyed by position), ``name = {
   .. }`` for any other module (items keyed by their attribute names), or ``name = Add(..)``
   when the module's forward is one combination; layers are written ``name = Layer(..)``
   under their attribute name, or unnamed where their position is their key;
4. computes the ``state_dict`` keys of the written declaration by ``network!``'s rules (the
   README's "How keys are formed", mirrored by :func:`declared_keys`) and refuses unless
   they are exactly the model's, each holding the model's own tensor;
5. runs the declaration in PyTorch (each layer rebuilt from its written text and loaded with
   its tensors, the combinations as written) on a seeded random input and refuses unless it
   computes what the model computes (in-place operations on a value that another branch
   reads would make them differ).

A model whose graph is a plain chain is planned as before (a flat list, with
``#[staticnn(prefix = ..)]`` when every layer lives in one attribute), so its declaration
does not change; a chain that needs nesting (``nn.Sequential`` inside ``nn.Sequential``) gets
``[ .. ]`` items.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any, Union

import torch
import torch.fx as fx
import torch.nn as nn
from torch.fx.passes.shape_prop import ShapeProp

if __package__:
    from . import export as _float
else:
    import export as _float

ExportError = _float.ExportError
Layer = _float.Layer
Plan = _float.Plan

__all__ = ["Combine", "Group", "Item", "declared_keys", "evaluate", "plan", "render_body"]

# --------------------------------------------------------------------------------------------
# What is written
# --------------------------------------------------------------------------------------------


@dataclass
class Combine:
    """``Add(..)``, ``Mul(..)`` or ``Cat(.., dim = 1)``."""

    kind: str
    branches: list["Item"]
    dim: int | None = None
    """``Cat``'s dimension (always 1, PyTorch's channel axis with the batch counted)."""


@dataclass
class Group:
    """``[ .. ]`` (an ``nn.Sequential``: unnamed items keyed by position) or ``{ .. }``
    (attributes of a module: unnamed items add nothing to the keys)."""

    bracket: str
    """``"["`` or ``"{"``."""
    items: list["Item"]


@dataclass
class Item:
    """One entry of a ``network!`` list or one branch: ``name = what`` or ``what``."""

    name: str | None
    what: Union[Layer, Combine, Group]


_COMBINATORS = ("Add", "Mul", "Cat")

# --------------------------------------------------------------------------------------------
# The data-flow graph
# --------------------------------------------------------------------------------------------

Level = tuple[str, Union[str, None]]
"""One module level of a traced operation: ``(module path, call key)``; the key tells calls of
one module apart (``stack1``, ``stack1.relu@1``) and is ``None`` for a container that was not
called itself (a ``ModuleList`` whose items were called, or ``self.block.conv(x)``)."""


@dataclass(eq=False)
class DNode:
    """A value of the data-flow graph: the input, a layer's result or a combination's."""

    kind: str
    """``input``, ``layer``, ``Add``, ``Mul`` or ``Cat``."""
    fx_node: fx.Node | None
    inputs: list["DNode"] = field(default_factory=list)
    layer: Layer | None = None
    levels: list[Level] = field(default_factory=list)
    """The module calls it was made in, outermost first (for a layer module, ending with the
    layer itself)."""
    dim: int | None = None
    users: list["DNode"] = field(default_factory=list)
    idom: "DNode | None" = None
    depth: int = 0

    def describe(self) -> str:
        if self.kind == "input":
            return "the input x"
        node = self.fx_node
        return f"{_float._describe(node)}{_float._source_line(node)}" if node else self.kind


@dataclass(eq=False)
class Step:
    """One step of a decomposed chain: a layer, or a combination of branches (each a chain
    that starts at the combination's fork)."""

    node: DNode
    branches: list[list["Step"]] | None = None


_ADD_FUNCTIONS = {operator.add, operator.iadd, torch.add}
_MUL_FUNCTIONS = {operator.mul, operator.imul, torch.mul}
_CAT_FUNCTIONS = {torch.cat, torch.concat, torch.concatenate}
_ADD_METHODS = {"add", "add_", "__add__", "__iadd__"}
_MUL_METHODS = {"mul", "mul_", "__mul__", "__imul__"}
_NO_EQUIVALENT = {
    operator.sub: "subtracts", torch.sub: "subtracts", operator.truediv: "divides",
    torch.div: "divides", operator.floordiv: "divides", operator.matmul: "multiplies matrices",
    torch.matmul: "multiplies matrices", torch.stack: "stacks", operator.neg: "negates",
}


def _kind_of(node: fx.Node) -> str | None:
    """``Add``, ``Mul``, ``Cat`` for a combining operation, else ``None``."""
    if node.op == "call_function":
        if node.target in _ADD_FUNCTIONS:
            return "Add"
        if node.target in _MUL_FUNCTIONS:
            return "Mul"
        if node.target in _CAT_FUNCTIONS:
            return "Cat"
    if node.op == "call_method":
        if node.target in _ADD_METHODS:
            return "Add"
        if node.target in _MUL_METHODS:
            return "Mul"
    return None


def _levels(node: fx.Node, where: str) -> list[Level]:
    """The module levels of a traced operation, from ``nn_module_stack``: each called module,
    with the containers between a module and the module that called it that were not called
    themselves (``layers`` of ``layers.0``) as levels without a call key."""
    stack = node.meta.get("nn_module_stack")
    if stack is None and node.op == "call_module":
        stack = {str(node.target): (str(node.target), None)}
    levels: list[Level] = []
    previous = ""
    for key, (path, _cls) in (stack or {}).items():
        if previous and not path.startswith(previous + "."):
            raise ExportError(
                f"{where}: {_float._describe(node)}{_float._source_line(node)} runs in the "
                f"forward of self.{previous} but belongs to self.{path}, which is not an "
                f"attribute of self.{previous}; network! keys follow the module tree. Make the "
                "module an attribute of the one that calls it."
            )
        rest = path[len(previous) + 1:] if previous else path
        parts = rest.split(".")
        for i in range(1, len(parts)):
            levels.append((_float._join(previous, ".".join(parts[:i])), None))
        levels.append((path, key))
        previous = path
    return levels


def _shape(node: fx.Node) -> tuple[int, ...] | None:
    """The traced tensor shape of ``node`` (with the batch dimension), if it is a tensor."""
    meta = node.meta.get("tensor_meta")
    return tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else None


def _sample(shape: tuple[int, ...] | None) -> list[int]:
    """A traced shape without its batch dimension, for messages."""
    return list(shape[1:]) if shape else []


class _Reader:
    """Turns the traced graph into :class:`DNode` s, refusing what has no ``network!``
    equivalent."""

    def __init__(self, target: nn.Module, graph: fx.Graph, root_prefix: str | None,
                 where: str) -> None:
        self.target = target
        self.graph = graph
        self.root_prefix = root_prefix
        self.where = where
        self.nodes: dict[fx.Node, DNode] = {}
        self.order: list[DNode] = []
        self.stateful_calls: set[str] = set()

    def read(self) -> tuple[DNode, DNode]:
        """``(input, output)`` of the data-flow graph."""
        nodes = list(self.graph.nodes)
        inputs = [n for n in nodes if n.op == "placeholder"]
        if len(inputs) != 1:
            raise ExportError(
                f"{self.where}: forward takes {len(inputs)} tensor arguments "
                f"({', '.join(n.name for n in inputs)}); a network! has exactly one input."
            )
        source = DNode("input", inputs[0])
        self.nodes[inputs[0]] = source
        self.order.append(source)
        output = None
        for node in nodes:
            if node.op == "placeholder":
                continue
            if node.op == "output":
                output = node
                continue
            self._read_node(node)
        returned = output.args[0] if output is not None else None
        if not isinstance(returned, fx.Node) or returned not in self.nodes:
            raise ExportError(
                f"{self.where}: forward must return one tensor, found `return {returned!r}`; "
                "a network! has one output."
            )
        result = self.nodes[returned]
        if result is source:
            raise ExportError(
                f"{self.where}: forward returns its input unchanged; there are no layers."
            )
        for dnode in self.order:
            for i in dnode.inputs:
                i.users.append(dnode)
        for dnode in self.order[1:]:
            if not dnode.users and dnode is not result:
                raise ExportError(
                    f"{self.where}: the result of {dnode.describe()} is never used; in a "
                    "network! every layer feeds the next one. Remove it from forward."
                )
        return source, result

    def _data(self, arg: Any, node: fx.Node) -> DNode:
        if not isinstance(arg, fx.Node) or arg not in self.nodes:
            raise ExportError(
                f"{self.where}: {_float._describe(node)}{_float._source_line(node)} takes "
                f"{arg!r} where network! needs the result of a layer"
            )
        return self.nodes[arg]

    def _read_node(self, node: fx.Node) -> None:
        where = self.where
        what = f"{_float._describe(node)}{_float._source_line(node)}"
        if node.op == "get_attr":
            raise ExportError(
                f"{where}: forward reads the tensor self.{node.target} directly"
                f"{_float._source_line(node)}; staticnn can only use tensors that belong to "
                "layers. Move the computation into a torch.nn layer."
            )
        kind = _kind_of(node)
        if kind is not None:
            self._combination(node, kind, what)
            return
        if node.op == "call_function" and node.target in _NO_EQUIVALENT:
            raise ExportError(
                f"{where}: {what} {_NO_EQUIVALENT[node.target]}, which has no network! "
                "equivalent (network! combines branches with Add, Mul and Cat only). Express "
                "it with layers, or leave it out of the exported part."
            )
        if node.op == "call_method" and node.target == "mean":
            self._mean(node, what)
            return
        inputs = node.all_input_nodes
        if any(_float._is_shape_query(n) for n in inputs) or _float._is_shape_query(node):
            raise ExportError(
                f"{where}: {what} queries or uses a tensor's shape; network! layers take one "
                "tensor." + _float._VIEW_HINT
            )
        if len(inputs) > 1:
            raise ExportError(
                f"{where}: {what} reads several results ({', '.join(n.name for n in inputs)}); "
                "a network! layer reads one tensor, and only Add (+), Mul (*) and Cat "
                "(torch.cat) combine several."
            )
        if not inputs or node.args[:1] != (inputs[0],):
            raise ExportError(
                f"{where}: {what} does not take a layer's result as its input; a network! "
                "layer reads the tensor before it."
            )
        if node.op == "call_module":
            self._module(node, inputs[0])
        else:
            layer = _float._layer_from_function(node, where)
            self._push(DNode("layer", node, [self.nodes[inputs[0]]], layer, _levels(node, where)))

    def _push(self, dnode: DNode) -> None:
        self.nodes[dnode.fx_node] = dnode
        self.order.append(dnode)

    def _module(self, node: fx.Node, source: fx.Node) -> None:
        path = str(node.target)
        if len(node.args) != 1 or node.kwargs:
            raise ExportError(
                f"{self.where}: self.{path}{_float._source_line(node)} is called with more "
                "than one argument; a network! layer takes one tensor."
            )
        module = self.target.get_submodule(path)
        layer = _float._layer_from_module(module, f"{self.where}: self.{path}")
        layer.origin = f"{_float._join(self.root_prefix, path)} ({layer.kind})"
        layer.path = path
        layer.tensors = _float._layer_tensors(module, layer)
        if layer.tensors:
            if path in self.stateful_calls:
                raise ExportError(
                    f"{layer.origin} is called more than once; a layer with weights appears "
                    "once in a network! (shared weights are not supported). Use separate "
                    "layers with their own weights."
                )
            self.stateful_calls.add(path)
        self._push(DNode("layer", node, [self.nodes[source]], layer, _levels(node, self.where)))

    def _mean(self, node: fx.Node, what: str) -> None:
        """``x.mean((2, 3), keepdim=True)`` is ``AdaptiveAvgPool2d(1)``; without ``keepdim``,
        ``AdaptiveAvgPool2d(1)`` then ``Flatten()``."""
        args = dict(zip(("dim", "keepdim"), node.args[1:]))
        args.update(node.kwargs)
        source = node.args[0] if node.args else None
        shape = _shape(source) if isinstance(source, fx.Node) else None
        dims = args.get("dim")
        dims = (dims,) if isinstance(dims, int) else tuple(dims or ())
        rank = len(shape) if shape else 0
        normalised = sorted(d + rank if d < 0 else d for d in dims if isinstance(d, int))
        if (set(args) - {"dim", "keepdim"} or rank != 4 or normalised != [2, 3]
                or not isinstance(source, fx.Node) or len(node.all_input_nodes) != 1):
            raise ExportError(
                f"{self.where}: {what} averages over dimensions {list(dims)} of a "
                f"{rank}-dimensional tensor; network! writes only the global average of a "
                "feature map (x.mean((2, 3)) on [N, C, H, W]) as AdaptiveAvgPool2d(1)."
            )
        levels = _levels(node, self.where)
        pool = _float._layer_from_module(nn.AdaptiveAvgPool2d(1), f"{self.where}: {what}")
        pooled = DNode("layer", node, [self._data(source, node)], pool, levels)
        if args.get("keepdim", False):
            self._push(pooled)
            return
        self.order.append(pooled)
        flatten = _float._layer_from_module(nn.Flatten(), f"{self.where}: {what}")
        self._push(DNode("layer", node, [pooled], flatten, levels))

    def _combination(self, node: fx.Node, kind: str, what: str) -> None:
        where = self.where
        if kind == "Cat":
            tensors = node.args[0] if node.args else node.kwargs.get("tensors")
            extra = dict(node.kwargs)
            extra.pop("tensors", None)
            dim = node.args[1] if len(node.args) > 1 else extra.pop("dim", extra.pop("axis", 0))
            if extra or not isinstance(tensors, (list, tuple)) or not isinstance(dim, int):
                raise ExportError(f"{where}: {what} is called with arguments network! cannot bind")
            operands = list(tensors)
        else:
            operands = list(node.args[:2])
            extra = dict(node.kwargs)
            if len(node.args) > 2 or (extra.pop("alpha", 1) != 1) or extra:
                raise ExportError(
                    f"{where}: {what} has arguments (alpha, out, ...) that network!'s "
                    f"{kind} does not have; write `a + b` or `a * b`."
                )
            constants = [a for a in operands if not isinstance(a, fx.Node)]
            if constants or len(operands) != 2:
                verb = "adds" if kind == "Add" else "multiplies by"
                raise ExportError(
                    f"{where}: {what} {verb} the constant {constants[0] if constants else '?'}; "
                    f"network!'s {kind} combines the results of layers (branches), and no "
                    "layer scales or shifts by a constant. Fold the constant into a layer's "
                    "weights, or leave it out of the exported part."
                )
        inputs = [self._data(a, node) for a in operands]
        shapes = [_shape(a) for a in operands]
        out = _shape(node)
        if out is None or any(s is None for s in shapes):
            raise ExportError(f"{where}: {what} does not combine tensors")
        dim_written = None
        if kind == "Add":
            if len(set(shapes)) != 1:
                raise ExportError(
                    f"{where}: {what} adds tensors of shapes "
                    f"{' and '.join(str(_sample(s)) for s in shapes)} (batch dimension left "
                    "out) with broadcasting; network!'s Add needs branches of one shape. Make "
                    "the branches produce the same shape."
                )
        elif kind == "Mul":
            rank = {len(s) for s in shapes}
            if len(rank) != 1 or len({s[0] for s in shapes}) != 1:
                raise ExportError(
                    f"{where}: {what} multiplies tensors of shapes "
                    f"{' and '.join(str(list(s)) for s in shapes)}; network!'s Mul broadcasts "
                    "tensors of one rank with one batch size (e.g. [C, H, W] by [C, 1, 1])."
                )
        else:
            if len(inputs) < 2:
                raise ExportError(
                    f"{where}: {what} concatenates {len(inputs)} tensor; network!'s Cat joins "
                    "two or more branches. Remove the torch.cat."
                )
            rank = len(out)
            resolved = dim + rank if dim < 0 else dim
            if resolved != 1:
                axis = "the batch" if resolved == 0 else f"dimension {resolved}"
                raise ExportError(
                    f"{where}: {what} concatenates along {axis} (dim={dim}); network!'s Cat "
                    "joins the channels only (dim=1)."
                )
            dim_written = 1
        self._push(DNode(kind, node, inputs, levels=_levels(node, where), dim=dim_written))


# --------------------------------------------------------------------------------------------
# Decomposition into chains and branches
# --------------------------------------------------------------------------------------------


def _dominators(order: list[DNode]) -> None:
    """Fills ``idom``/``depth``: ``order`` is topological, starting with the input."""
    for dnode in order[1:]:
        distinct = list(dict.fromkeys(dnode.inputs))
        fork = distinct[0]
        for other in distinct[1:]:
            fork = _meet(fork, other)
        dnode.idom = fork
        dnode.depth = fork.depth + 1


def _meet(a: DNode, b: DNode) -> DNode:
    while a is not b:
        if a.depth >= b.depth:
            a = a.idom
        else:
            b = b.idom
    return a


def _chain(source: DNode, value: DNode, seen: set[DNode], where: str) -> list[Step]:
    """The steps that compute ``value`` from ``source`` (which dominates it); every value is
    computed once (``seen``), else the graph cannot be written."""
    steps = []
    node = value
    while node is not source:
        if node in seen:
            _refuse_reread(node, where)
        seen.add(node)
        if node.kind == "layer":
            steps.append(Step(node))
            node = node.inputs[0]
        else:
            fork = node.idom
            steps.append(Step(node, [_chain(fork, i, seen, where) for i in node.inputs]))
            node = fork
    steps.reverse()
    return steps


def _refuse_reread(dnode: DNode, where: str) -> None:
    readers = ", ".join(u.describe() for u in dict.fromkeys(dnode.users))
    raise ExportError(
        f"{where}: the result of {dnode.describe()} is read by {readers}, and not as "
        "the common input of one Add, Mul or Cat: network! lets a value be read by "
        "several operations only when they are the branches of one combination that "
        "starts from it (`Add(Identity(), f)` is `y + f(y)`); here one reader lies "
        "inside a branch that starts elsewhere, so the value would be computed twice. "
        "Restructure forward so that every value is read by one operation or by the "
        "branches of one Add/Mul/Cat, or compute it in each branch with its own layers."
    )


def _decompose(source: DNode, result: DNode, order: list[DNode], where: str) -> list[Step]:
    """The network as a chain of steps; refuses values read where network! cannot write it."""
    _dominators(order)
    steps = _chain(source, result, set(), where)
    _flatten(steps)
    return steps


def _flatten(steps: list[Step]) -> None:
    """``a + b + c`` traces as ``(a + b) + c``: a combination whose first branch is only a
    combination of the same kind, made in the same module call from the same fork, becomes
    one ``Add(a, b, c)`` (any branch for ``Cat``, where the order is kept exactly)."""
    for step in steps:
        if step.branches is None:
            continue
        for branch in step.branches:
            _flatten(branch)
        merged: list[list[Step]] = []
        for index, branch in enumerate(step.branches):
            inner = branch[0] if len(branch) == 1 else None
            if (
                inner is not None
                and inner.branches is not None
                and inner.node.kind == step.node.kind
                and inner.node.levels == step.node.levels
                and inner.node.idom is step.node.idom
                and (index == 0 or step.node.kind == "Cat")
            ):
                merged.extend(inner.branches)
            else:
                merged.append(branch)
        step.branches = merged


def _all_steps(steps: list[Step]):
    for step in steps:
        yield step
        for branch in step.branches or ():
            yield from _all_steps(branch)


# --------------------------------------------------------------------------------------------
# Arranging the steps in the module tree
# --------------------------------------------------------------------------------------------


class _NoFit(Exception):
    """An arrangement that cannot give the model's keys (the reason is the message)."""


@dataclass
class _Placed:
    """A written item before its container decides its name: ``segment`` is the key
    segment it needs (``None``: none), ``alternatives`` the ways to write it by bracket kind
    (``"layer"``, ``"["``, ``"{"``, ``"combine"``)."""

    segment: str | None
    keyed: bool
    """Whether it holds tensors (so its keys depend on the name)."""
    alternatives: dict[str, Any]
    transparent: bool = False
    """An unnamed combination made in the enclosing module's forward: its branches are keyed
    as the enclosing module's attributes, so it must stay unnamed and add no key."""
    origin: str = "a combination"
    """What it is, for messages (``features.3 (InvertedResidual)``)."""


def _has_tensors(what: Any) -> bool:
    if isinstance(what, Layer):
        return bool(what.tensors)
    if isinstance(what, Combine):
        return any(_has_tensors(b.what) for b in what.branches)
    return any(_has_tensors(i.what) for i in what.items)


class _Arranger:
    def __init__(self, target: nn.Module, where: str, root_prefix: str | None) -> None:
        self.target = target
        self.where = where
        self.root_prefix = root_prefix
        self.named_paths: set[str] = set()
        """Module paths already written with their name: a module without tensors called
        again is written unnamed (network! gives every named layer and combination a key,
        and two of them may not share one)."""

    def body(self, steps: list[Step]) -> list[Item]:
        placed = self.chain(steps, 0, "")
        try:
            return self.container(placed, "[", root=True, scope="")
        except _NoFit as exc:
            raise ExportError(f"{self.where}: {exc}") from None

    def chain(self, steps: list[Step], depth: int, scope: str) -> list[_Placed]:
        """The items of ``steps``, all made inside the module ``scope`` (at ``depth``)."""
        runs: list[tuple[Level | None, list[Step]]] = []
        for step in steps:
            child = self.child(step, depth, scope)
            if child is not None and runs and runs[-1][0] == child:
                runs[-1][1].append(step)
            else:
                runs.append((child, [step]))
        runs = self.join_runs(runs, scope)
        placed: list[_Placed] = []
        for child, run in runs:
            if child is None:
                placed.extend(self.direct(step, depth, scope) for step in run)
            else:
                placed.append(self.group(child, run, depth))
        return placed

    def child(self, step: Step, depth: int, scope: str) -> Level | None:
        """The level below ``scope`` that ``step`` was made in (``None``: in ``scope``'s
        forward, or a layer that is an attribute of ``scope``)."""
        levels = step.node.levels
        is_module = step.branches is None and step.node.layer.path is not None
        if len(levels) < depth or (depth and levels[depth - 1][0] != scope):
            raise ExportError(
                f"{self.where}: {step.node.describe()} is computed where network! expects the "
                f"forward of self.{scope}; the module structure cannot be followed."
            )
        if len(levels) == depth or (is_module and len(levels) == depth + 1):
            return None
        return levels[depth]

    def join_runs(self, runs: list[tuple[Level | None, list[Step]]],
                  scope: str) -> list[tuple[Level | None, list[Step]]]:
        """A container that was not called (``self.block.conv(x)``, a ``ModuleList`` in a
        loop) appears in one run per stretch; stretches separated only by parameter-free
        functions of the enclosing forward are joined (the functions move inside)."""
        out: list[tuple[Level | None, list[Step]]] = []
        for child, run in runs:
            if child is not None and child[1] is None:
                for j in range(len(out) - 1, -1, -1):
                    if out[j][0] == child:
                        between = [s for _, r in out[j + 1:] for s in r]
                        if all(_is_free(s) for s in between):
                            joined = out[j][1] + between + run
                            out[j + 1:] = []
                            out[j] = (child, joined)
                            break
                        raise ExportError(
                            f"{self.where}: the layers of self.{child[0]} are used at two "
                            "places of the forward of "
                            f"{('self.' + scope) if scope else 'the model'}, with "
                            f"{between[0].node.describe()} between them; network! writes the "
                            "layers of one module together. Call them one after another."
                        )
                else:
                    out.append((child, run))
            else:
                out.append((child, run))
        return out

    def direct(self, step: Step, depth: int, scope: str) -> _Placed:
        """A step made in ``scope``'s forward, or a layer that is its attribute."""
        node = step.node
        if step.branches is None:
            layer = node.layer
            segment = self.segment(layer.path, bool(layer.tensors))
            return _Placed(segment, bool(layer.tensors), {"layer": layer}, origin=layer.origin)
        branches = [self.branch(b, depth, scope) for b in step.branches]
        combine = Combine(node.kind, branches, node.dim)
        return _Placed(None, _has_tensors(combine), {"combine": combine}, transparent=True,
                       origin=f"{node.kind} {node.describe()}")

    def branch(self, steps: list[Step], depth: int, scope: str) -> Item:
        """A combination's branch in ``scope``: one item (unnamed ``{ .. }`` around several;
        unnamed ``[ .. ]`` when its layers are keyed by position in ``scope``)."""
        placed = self.chain(steps, depth, scope)
        if not placed:
            return Item(None, Layer("Identity", {}, origin="an identity branch"))
        try:
            items = self.container(placed, "{", root=False, scope=scope)
        except _NoFit:
            try:
                return Item(None, Group("[", self.container(placed, "[", root=False, scope=scope)))
            except _NoFit as exc:
                raise ExportError(f"{self.where}: {exc}") from None
        if len(items) == 1 and items[0].name != "dim":
            return items[0]
        return Item(None, Group("{", items))

    def segment(self, path: str | None, keyed: bool) -> str | None:
        """The key segment a module at ``path`` is written with: its attribute name, or
        ``None`` for a function, or for a module without tensors that was written before."""
        if path is None:
            return None
        if path in self.named_paths and not keyed:
            return None
        self.named_paths.add(path)
        return path.rpartition(".")[2]

    def group(self, child: Level, run: list[Step], depth: int) -> _Placed:
        """The steps of one call of the child module ``child`` (or of one uncalled container):
        written ``[ .. ]`` and ``{ .. }`` (or ``Add(..)`` when the module's forward is one
        combination); the container picks."""
        path, _ = child
        placed = self.chain(run, depth + 1, path)
        module = self.target.get_submodule(path)
        alternatives: dict[str, Any] = {}
        reasons = []
        for bracket in ("[", "{"):
            try:
                items = self.container(placed, bracket, root=False, scope=path)
            except _NoFit as exc:
                reasons.append(str(exc))
                continue
            if (bracket == "{" and len(items) == 1 and items[0].name is None
                    and isinstance(items[0].what, Combine)):
                alternatives["combine"] = items[0].what
            else:
                alternatives[bracket] = Group(bracket, items)
        if not alternatives:
            raise ExportError(f"{self.where}: {reasons[0]}")
        # The first alternative is written unless the position needs another: `[ .. ]` for an
        # nn.Sequential or ModuleList, `Add(..)` or `{ .. }` for a module of one's own.
        sequential = isinstance(module, (nn.Sequential, nn.ModuleList))
        order = ("[", "combine", "{") if sequential else ("combine", "{", "[")
        alternatives = {k: alternatives[k] for k in order if k in alternatives}
        keyed = any(_has_tensors(w) for w in alternatives.values())
        origin = f"{_float._join(self.root_prefix, path)} ({type(module).__qualname__})"
        return _Placed(self.segment(path, keyed), keyed, alternatives, origin=origin)

    def container(self, placed: list[_Placed], bracket: str, root: bool,
                  scope: str) -> list[Item]:
        """Names the items of one list: ``[``-lists (and the body) key unnamed items by
        position, ``{``-lists and branches not at all."""
        out: list[Item] = []
        names: set[str] = set()
        for p in placed:
            segment = p.segment
            key = _float._join(self.root_prefix, scope, segment)
            if segment is not None and segment.isdigit():
                if bracket == "[" and p.keyed:
                    while len(out) < int(segment):
                        out.append(Item(None, Layer("Identity", {}, origin="a position filler")))
                    if len(out) != int(segment):
                        raise _NoFit(
                            f"the layer keyed {key!r} comes at position {len(out)} of its list, "
                            "and network! keys an unnamed item by its position; call the layers "
                            "of an nn.Sequential in order"
                        )
                    out.append(Item(None, self.positional(p, root, self.where)))
                    continue
                if p.keyed:
                    raise _NoFit(
                        f"{key!r} is keyed by a number inside a module whose items network! "
                        "keys by name"
                    )
                segment = None
            if segment is not None and (segment in names or not _float._is_identifier(segment)):
                if p.keyed:
                    why = ("is used twice" if segment in names else
                           "is not a Rust identifier (letters, digits, _; not a Rust keyword)")
                    raise _NoFit(
                        f"the name {segment!r} of {key!r} {why}; it becomes a Rust field name"
                        " and must be unique. Rename the attribute."
                    )
                segment = None
            if segment is None:
                if p.transparent and bracket == "[" and not root:
                    raise _NoFit(
                        "a combination made in the forward of an nn.Sequential (a subclass "
                        "with its own forward) cannot be written inside `[ .. ]`"
                    )
                out.append(Item(None, self.unnamed(p)))
            else:
                names.add(segment)
                out.append(Item(segment, self.named(p)))
        return out

    @staticmethod
    def named(p: _Placed) -> Any:
        """The preferred way to write ``p`` (its first alternative)."""
        return next(iter(p.alternatives.values()))

    @staticmethod
    def unnamed(p: _Placed) -> Any:
        """``p`` unnamed: it has no tensors, or it is a combination that must add no key."""
        return _Arranger.named(p)

    @staticmethod
    def positional(p: _Placed, root: bool, where: str) -> Any:
        """An unnamed item keyed by its position: in the body only a layer or a ``[ .. ]``
        is (an unnamed ``{ .. }`` or combination there is the network's own forward)."""
        if "layer" in p.alternatives:
            return p.alternatives["layer"]
        if root:
            if "[" in p.alternatives:
                return p.alternatives["["]
            raise _NoFit(
                f"the module {p.origin} is an item of the exported nn.Sequential itself, keyed "
                "by its position, and its forward is not a chain (or its layers are its named "
                "attributes); network! reads an unnamed `{ .. }` or Add/Mul/Cat in the "
                "network's body as the network's own forward, which adds no key, so its keys "
                f"cannot be written in the body. Fix: export a module that holds {where} as "
                "an attribute (`self.features = nn.Sequential(..)`, keys `features.1...`), "
                "or give the nn.Sequential's items names (OrderedDict)"
            )
        return _Arranger.named(p)


def _is_free(step: Step) -> bool:
    """A parameter-free function call: it may move into a neighbouring group."""
    return step.branches is None and step.node.layer.path is None


# --------------------------------------------------------------------------------------------
# Keys, as network! forms them
# --------------------------------------------------------------------------------------------


def declared_keys(body: list[Item], prefix: str | None) -> dict[str, tuple[Layer, str]]:
    """Every ``state_dict`` key the declaration ``body`` gives its layers, by the rules of
    the README ("How keys are formed"): ``{key: (layer, tensor name)}``. Raises
    :class:`ExportError` where ``network!`` would reject the names (an unnamed layer with
    tensors where nothing keys it, two layers on one key, a repeated name in one list)."""
    keys: dict[str, tuple[Layer, str]] = {}

    def chain(items: list[Item], scope: str, indexed: bool, root: bool) -> None:
        names: set[str] = set()
        for index, item in enumerate(items):
            if item.name is not None:
                if item.name in names:
                    raise ExportError(f"the name {item.name!r} is used twice in one list")
                names.add(item.name)
                match = root and item.name.startswith("layer") and item.name[5:].isdigit()
                n = int(item.name[5:]) if match else -1
                if match and n < len(items) and items[n].name is None:
                    raise ExportError(
                        f"the name {item.name!r} is the field name network! gives the unnamed "
                        f"layer {n}; rename the attribute."
                    )
            inline = root and (
                isinstance(item.what, Combine)
                or (isinstance(item.what, Group) and item.what.bracket == "{")
            )
            if item.name is not None:
                segment = item.name
            elif indexed and not inline:
                segment = str(index)
            else:
                segment = None
            one(item, segment, scope)

    def one(item: Item, segment: str | None, scope: str) -> None:
        what = item.what
        inner = _float._join(scope, segment) if segment is not None else scope
        if isinstance(what, Layer):
            if what.tensors and segment is None:
                raise ExportError(
                    f"{what.origin} holds tensors but is written unnamed where network! gives "
                    "it no key"
                )
            for name in what.tensors:
                key = _float._join(prefix, inner, name)
                if key in keys:
                    raise ExportError(f"two layers would have the state_dict key {key!r}")
                keys[key] = (what, name)
        elif isinstance(what, Combine):
            for branch in what.branches:
                if branch.name == "dim":
                    raise ExportError(
                        "a branch named `dim` would be read as Cat's dimension; rename it"
                    )
                one(branch, branch.name, inner)
        else:
            chain(what.items, inner, what.bracket == "[", False)

    chain(body, "", True, True)
    return keys


def _check_keys(body: list[Item], prefix: str | None, target: nn.Module,
                root_prefix: str | None, where: str) -> None:
    """The declaration's keys must be the model's, each on the model's own tensor."""
    declared = declared_keys(body, prefix)
    state = {
        _float._join(root_prefix, key): tensor
        for key, tensor in target.state_dict().items()
        if key.rpartition(".")[2] not in _float.SKIPPED_KEYS
    }
    missing = sorted(set(state) - set(declared))
    extra = sorted(set(declared) - set(state))
    if missing and not extra:
        raise ExportError(
            f"{where}: state_dict entries {missing[:6]}{' ...' if len(missing) > 6 else ''} "
            "belong to no layer of the network (unused children, or tensors used directly in "
            "forward); staticnn's weights would not match the model. Remove them or export "
            "only the part that runs (submodule=...)."
        )
    if missing or extra:
        raise ExportError(
            f"{where}: the declaration's state_dict keys are not the model's (missing "
            f"{missing[:6]}, unexpected {extra[:6]}); the model's module tree cannot be "
            "written with network!'s key rules."
        )
    for key, (layer, name) in declared.items():
        if not torch.equal(layer.tensors[name], state[key]):
            raise ExportError(f"{where}: the declaration puts another tensor under {key!r}")


# --------------------------------------------------------------------------------------------
# Running the declaration in PyTorch
# --------------------------------------------------------------------------------------------


def evaluate(body: list[Item], x: torch.Tensor) -> torch.Tensor:
    """What the declaration computes, in PyTorch: every layer rebuilt from its written text
    (``eval(text, torch.nn)``) with its tensors and run out of place (``inplace`` is only
    PyTorch's memory optimisation in ``network!``), the combinations as written. Building the
    layers draws their initial weights from PyTorch's global generator: its state is restored
    afterwards, so exporting does not change the caller's random numbers."""
    modules: dict[int, nn.Module] = {}

    def module(layer: Layer) -> nn.Module:
        if id(layer) not in modules:
            m = eval(_float._call_text(layer), dict(vars(nn)))  # the text is a torch.nn call
            if layer.tensors:
                m.load_state_dict(layer.tensors, strict=False)
            if hasattr(m, "inplace"):
                m.inplace = False  # network! never overwrites a value another step reads
            modules[id(layer)] = m.eval()
        return modules[id(layer)]

    def run(item: Item, value: torch.Tensor) -> torch.Tensor:
        what = item.what
        if isinstance(what, Layer):
            return module(what)(value)
        if isinstance(what, Group):
            for sub in what.items:
                value = run(sub, value)
            return value
        outputs = [run(b, value) for b in what.branches]
        if what.kind == "Cat":
            return torch.cat(outputs, dim=what.dim)
        result = outputs[0]
        for other in outputs[1:]:
            result = result + other if what.kind == "Add" else result * other
        return result

    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        return run(Item(None, Group("[", body)), x)


def _check_numerics(body: list[Item], target: nn.Module, shape: tuple[int, ...],
                    where: str) -> None:
    """The declaration must compute what the model computes (eval mode)."""
    flags = [(m, m.training) for m in target.modules()]
    generator = torch.Generator().manual_seed(0)
    x = torch.randn((2, *shape), generator=generator)
    try:
        target.eval()
        with torch.no_grad():
            want = target(x.clone())
    finally:
        for m, training in flags:
            m.training = training
    got = evaluate(body, x.clone())
    if got.shape != want.shape:
        raise ExportError(
            f"{where}: internal check failed: the declaration's output has shape "
            f"{list(got.shape)}, the model's {list(want.shape)}; please report this model"
        )
    worst = float(((got - want).abs() / (1 + want.abs())).max())
    if not worst <= 1e-4:
        raise ExportError(
            f"{where}: the declaration computes something else than the model (largest "
            f"relative difference {worst:.3g} on a random input). The usual cause is an "
            "in-place operation (ReLU(inplace=True), x += y, F.relu(x, inplace=True)) that "
            "overwrites a value another branch still reads, which the traced graph does not "
            "show; make it out of place."
        )


# --------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------

_WIDTH = 100
"""Items whose one-line form fits in this many columns are written on one line."""


def _one_line(item: Item) -> str:
    label = f"{item.name} = " if item.name else ""
    what = item.what
    if isinstance(what, Layer):
        return label + _float._call_text(what)
    if isinstance(what, Group):
        inner = ", ".join(_one_line(i) for i in what.items)
        return f"{label}[{inner}]" if what.bracket == "[" else f"{label}{{ {inner} }}"
    parts = [_one_line(b) for b in what.branches]
    if what.kind == "Cat":
        parts.append(f"dim = {what.dim}")
    return f"{label}{what.kind}({', '.join(parts)})"


def _lines(item: Item, indent: int) -> list[str]:
    """The item's text, one line per entry, without the trailing comma."""
    one = _one_line(item)
    if isinstance(item.what, Layer) or indent + len(one) + 1 <= _WIDTH:
        return [one]
    label = f"{item.name} = " if item.name else ""
    what = item.what
    if isinstance(what, Group):
        opening, closing = ("[", "]") if what.bracket == "[" else ("{", "}")
        children = what.items
        tail: list[str] = []
    else:
        opening, closing = f"{what.kind}(", ")"
        children = what.branches
        tail = [f"dim = {what.dim}"] if what.kind == "Cat" else []
    lines = [label + opening]
    for child in children:
        sub = _lines(child, indent + 4)
        sub[-1] += ","
        lines += ["    " + line for line in sub]
    lines += [f"    {t}," for t in tail]
    lines.append(closing)
    return lines


def render_body(body: list[Item], indent: int = 8) -> list[str]:
    """The lines of a network's body (each with ``indent`` spaces and a trailing comma)."""
    out = []
    for item in body:
        sub = _lines(item, indent)
        sub[-1] += ","
        out += [" " * indent + line for line in sub]
    return out


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def _layers(body: list[Item]) -> list[Layer]:
    """Every layer of the declaration, in the order written."""
    out: list[Layer] = []

    def walk(item: Item) -> None:
        what = item.what
        if isinstance(what, Layer):
            out.append(what)
        elif isinstance(what, Group):
            for sub in what.items:
                walk(sub)
        else:
            for branch in what.branches:
                walk(branch)

    for item in body:
        walk(item)
    return out


def _fill_keys(body: list[Item]) -> None:
    """Sets each layer's ``name`` (as written) and ``key`` (its ``state_dict`` prefix below
    the network prefix), as :class:`export.Plan` documents them."""
    for key, (layer, name) in declared_keys(body, None).items():
        layer.key = key[: -len(name) - 1]

    def walk(item: Item) -> None:
        what = item.what
        if isinstance(what, Layer):
            what.name = item.name
        elif isinstance(what, Group):
            for sub in what.items:
                walk(sub)
        else:
            for branch in what.branches:
                walk(branch)

    for item in body:
        walk(item)


def plan(target: nn.Module, graph: fx.Graph, shape: tuple[int, ...], root_prefix: str | None,
         where: str) -> Plan:
    """The plan of a traced model (see the module docstring)."""
    _propagate_shapes(target, graph, shape, where)
    reader = _Reader(target, graph, root_prefix, where)
    source, result = reader.read()
    steps = _decompose(source, result, reader.order, where)
    if all(step.branches is None for step in steps):
        try:
            flat = _flat_chain(target, steps, shape, root_prefix, where)
        except ExportError:
            flat = None  # nested containers, positions that are not keys, ...: the tree
        if flat is not None:
            _check_numerics([Item(layer.name, layer) for layer in flat.layers], target, shape,
                            where)
            return flat
    body = _Arranger(target, where, root_prefix).body(steps)
    _check_keys(body, root_prefix, target, root_prefix, where)
    _fill_keys(body)
    _check_numerics(body, target, shape, where)
    return Plan(shape, _layers(body), root_prefix, body=body)


def _propagate_shapes(target: nn.Module, graph: fx.Graph, shape: tuple[int, ...],
                      where: str) -> None:
    """Records every traced value's shape (``tensor_meta``), on a batch of 2 in eval mode
    (every module's training flag restored afterwards)."""
    gm = fx.GraphModule(target, graph)
    flags = [(m, m.training) for m in target.modules()]
    try:
        target.eval()
        with torch.no_grad():
            ShapeProp(gm).propagate(torch.zeros((2, *shape), dtype=torch.float32))
    except Exception as exc:
        raise ExportError(
            f"{where} does not run on an input of shape {list(shape)} (batch of 2: "
            f"{[2, *shape]}): {exc}. Check input_shape."
        ) from exc
    finally:
        for m, training in flags:
            m.training = training


def _flat_chain(target: nn.Module, steps: list[Step], shape: tuple[int, ...],
                root_prefix: str | None, where: str) -> Plan | None:
    """A plain chain whose layers live in one parent module: the flat declaration (with the
    parent's path as ``#[staticnn(prefix = ..)]``), as chains were always written. Raises
    :class:`ExportError` when the chain's names do not work out that way (nested containers,
    positions that are not keys, ...): the tree may still express it."""
    chain = []
    for step in steps:
        layer = step.node.layer
        module = target.get_submodule(layer.path) if layer.path is not None else None
        chain.append((layer, layer.path, module))
    try:
        parent = _float._assign_names(chain)
        prefix = _float._join(root_prefix, parent) or None
        if prefix and not _float._valid_prefix(prefix):
            raise ExportError(
                f"{where}: the state_dict prefix {prefix!r} has characters network! does not "
                "accept in #[staticnn(prefix = ..)] (letters, digits, _ and dots only); rename "
                "the module attribute."
            )
        result = Plan(shape, [layer for layer, _, _ in chain], prefix)
        _float._check_state_dict_covered(target, result.tensors(), root_prefix, where)
    except ExportError:
        for layer, _, _ in chain:
            layer.name, layer.key = None, None
        raise
    return result
