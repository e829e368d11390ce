#!/usr/bin/env python3
"""Tests for tools/export.py.

Run with ``python3 tools/test_export.py`` (no dependencies beyond torch and safetensors) or
with pytest. Each ``test_*`` function is independent.

What is checked:

* the tutorial nets (LeNet, the CIFAR-10 net with a named ``conv3``, the MNIST MLP, the
  ``model1`` nesting) export to an expected ``network!`` text, and their safetensors files hold
  exactly the ``state_dict`` tensors (same keys, shapes and values, float32);
* every supported layer, built with non-default arguments, is written as a call that rebuilds
  an identical module (same public attributes, ``repr`` and tensor shapes);
* models that staticnn cannot express are refused with a message naming the module;
* exporting twice writes byte-identical files, and exporting leaves PyTorch's global random
  generator where it was;
* branching networks (``export_graph.py``): the graph fixtures of ``gen_graph_fixtures.py``
  export to the expected ``Add``/``Mul``/``Cat`` text with exactly their ``state_dict``, the
  declaration re-run in PyTorch computes the model's output, the committed graph round-trip
  fixtures are what the exporter writes, module structures and key prefixes, refusals, the
  int8 export of residual adds and multiplies (``export_int8_graph.py``) and its refusal of a
  concatenation PyTorch leaves in float, and the command line;
* int8 (``export_int8.py``): the file's keys, dtypes and shapes, that the int8 weights are
  PyTorch's own, the int32 bias formula, that the file's integers recompute PyTorch's
  quantized model exactly (independently of ``export_int8``) and within one step with the
  int32 biases, BatchNorm folding, fused and shared activations, pooling and float layers,
  names and prefixes, refusals, the command line, and that the committed int8 fixtures
  reproduce their committed references.
"""

from __future__ import annotations

import contextlib
import io
import sys
import tempfile
import traceback
from collections import OrderedDict
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open

sys.path.insert(0, str(Path(__file__).resolve().parent))

import export as exporter  # noqa: E402  (after the sys.path line above)
import export_graph  # noqa: E402
import export_int8  # noqa: E402
import export_int8_graph  # noqa: E402
import gen_export_graph_roundtrip as graph_roundtrip  # noqa: E402
import gen_graph_fixtures as graph_fixtures  # noqa: E402
from export import ExportError, export, layer_text  # noqa: E402


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """Every tensor of a safetensors file, by key."""
    with safe_open(str(path), framework="pt") as f:
        return {key: f.get_tensor(key) for key in f.keys()}


def _export_and_check(model: nn.Module, shape: list[int], name: str, expected: str,
                      **kwargs) -> dict[str, torch.Tensor]:
    """Exports ``model``, checks the declaration text and that the file holds exactly the
    model's ``state_dict`` (minus ``num_batches_tracked``); returns the file's tensors."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.safetensors"
        text = export(model, shape, name, path, **kwargs)
        assert text == expected, f"declaration differs:\n--- got\n{text}\n--- expected\n{expected}"
        written = _read_safetensors(path)
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    assert sorted(written) == sorted(state), f"keys {sorted(written)} != {sorted(state)}"
    for key, tensor in state.items():
        assert written[key].dtype == torch.float32, f"{key} has dtype {written[key].dtype}"
        assert written[key].shape == tensor.shape, f"{key}: {written[key].shape} != {tensor.shape}"
        assert torch.equal(written[key], tensor), f"{key}: values differ"
    return written


def _refused(model: nn.Module, shape: list[int], *fragments: str, **kwargs) -> str:
    """Checks that exporting ``model`` raises ExportError mentioning every fragment."""
    try:
        export(model, shape, "Refused", **kwargs)
    except ExportError as exc:
        message = str(exc)
        for fragment in fragments:
            assert fragment in message, f"{fragment!r} not in message: {message}"
        return message
    raise AssertionError(f"{type(model).__name__} was exported but should have been refused")


def lenet() -> nn.Sequential:
    """LeNet-5 from the PyTorch "Neural Networks" tutorial, as an nn.Sequential."""
    return nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10),
    )


def cifar10_net() -> nn.Sequential:
    """The staticnn README's CIFAR-10 classifier, with layer 4 named ``conv3``."""
    layers = [
        ("0", nn.Conv2d(3, 32, 5, 1, 2)),
        ("1", nn.MaxPool2d(2)),
        ("2", nn.Conv2d(32, 32, kernel_size=5, padding=2)),
        ("3", nn.MaxPool2d(2)),
        ("conv3", nn.Conv2d(32, 64, 5, 1, 2)),
        ("5", nn.MaxPool2d(2)),
        ("6", nn.Flatten()),
        ("7", nn.Linear(1024, 64)),
        ("8", nn.Linear(64, 10)),
    ]
    return nn.Sequential(OrderedDict(layers))


def mlp() -> nn.Sequential:
    """The MNIST multi-layer perceptron."""
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


class Model1Parent(nn.Module):
    """A parent module holding the MLP in its attribute ``model1`` (keys ``model1.0.weight``)."""

    def __init__(self) -> None:
        super().__init__()
        self.model1 = mlp()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model1(x)


# --------------------------------------------------------------------------------------------
# The tutorial nets
# --------------------------------------------------------------------------------------------

LENET_TEXT = """\
network! {
    pub struct LeNet: [1, 32, 32] {
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
}"""

CIFAR10_TEXT = """\
network! {
    /// The CIFAR-10 classifier from the tutorial.
    pub struct Cifar10Net: [3, 32, 32] {
        Conv2d(3, 32, 5, padding = 2),
        MaxPool2d(2),
        Conv2d(32, 32, 5, padding = 2),
        MaxPool2d(2),
        conv3 = Conv2d(32, 64, 5, padding = 2),
        MaxPool2d(2),
        Flatten(),
        Linear(1024, 64),
        Linear(64, 10),
    }
}"""

MLP_TEXT = """\
network! {
    pub struct Mlp: [784] {
        Linear(784, 256),
        ReLU(),
        Linear(256, 10),
    }
}"""

MODEL1_TEXT = """\
network! {
    #[staticnn(prefix = "model1")]
    pub struct Model1: [784] {
        Linear(784, 256),
        ReLU(),
        Linear(256, 10),
    }
}"""


def test_lenet() -> None:
    torch.manual_seed(0)
    written = _export_and_check(lenet(), [1, 32, 32], "LeNet", LENET_TEXT)
    assert sorted(written) == sorted(
        f"{i}.{t}" for i in (0, 3, 7, 9, 11) for t in ("weight", "bias")
    )


def test_cifar10_net_with_named_conv3() -> None:
    torch.manual_seed(0)
    written = _export_and_check(
        cifar10_net(), [3, 32, 32], "Cifar10Net", CIFAR10_TEXT,
        doc="The CIFAR-10 classifier from the tutorial.",
    )
    assert "conv3.weight" in written and "conv3.bias" in written
    assert "4.weight" not in written


def test_mlp() -> None:
    torch.manual_seed(0)
    _export_and_check(mlp(), [784], "Mlp", MLP_TEXT)


def test_model1_nesting() -> None:
    torch.manual_seed(0)
    parent = Model1Parent()
    written = _export_and_check(parent, [784], "Model1", MODEL1_TEXT)
    assert sorted(written) == ["model1.0.bias", "model1.0.weight", "model1.2.bias",
                               "model1.2.weight"]
    # Naming the attribute explicitly gives the same result.
    _export_and_check(parent, [784], "Model1", MODEL1_TEXT, submodule="model1")


# --------------------------------------------------------------------------------------------
# Layers and their arguments
# --------------------------------------------------------------------------------------------


def _every_layer() -> list[nn.Module]:
    """Every supported layer, mostly with non-default arguments."""
    return [
        nn.Conv1d(2, 4, 3, stride=2, padding=1, dilation=2, groups=2, bias=False,
                  padding_mode="reflect"),
        nn.Conv2d(3, 6, (3, 5), padding="same", padding_mode="circular"),
        nn.Conv2d(3, 6, 3, padding="valid"),
        nn.Conv2d(3, 6, 3, stride=(1, 2), padding=(0, 1)),
        nn.Conv3d(2, 2, 3, stride=1, padding=1),
        nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, dilation=1),
        nn.MaxPool1d(3, stride=1, padding=1, ceil_mode=True),
        nn.MaxPool2d(2),
        nn.MaxPool2d(2, 2),
        nn.MaxPool2d((2, 3)),
        nn.MaxPool2d(3, stride=2, padding=1, dilation=2),
        nn.AvgPool1d(3),
        nn.AvgPool1d(4, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
        nn.AvgPool2d(2),
        nn.AvgPool2d((2, 2), stride=1, divisor_override=3),
        nn.AdaptiveAvgPool2d(1),
        nn.AdaptiveAvgPool2d((None, 3)),
        nn.AdaptiveMaxPool2d((2, 2)),
        nn.BatchNorm1d(8),
        nn.BatchNorm2d(8, eps=1e-3, momentum=None, affine=False),
        nn.BatchNorm2d(8, track_running_stats=False),
        nn.LayerNorm(16),
        nn.LayerNorm((4, 4), eps=1e-6, bias=False),
        nn.LayerNorm(5, elementwise_affine=False),
        nn.InstanceNorm2d(3),
        nn.InstanceNorm2d(3, affine=True, track_running_stats=True),
        nn.Linear(3, 4),
        nn.Linear(3, 4, bias=False),
        nn.Flatten(),
        nn.Flatten(0, 2),
        nn.Identity(),
        nn.Dropout(),
        nn.Dropout(0.25, inplace=True),
        nn.Upsample(scale_factor=2),
        nn.Upsample(size=(4, 6), mode="bilinear", align_corners=True),
        nn.Upsample(scale_factor=(2.0, 3.0), mode="bicubic", recompute_scale_factor=True),
        nn.ReLU(),
        nn.ReLU(inplace=True),
        nn.ReLU6(),
        nn.LeakyReLU(),
        nn.LeakyReLU(0.2),
        nn.Sigmoid(),
        nn.Tanh(),
        nn.Hardtanh(-2.0, 2.5),
        nn.Hardsigmoid(),
        nn.Hardswish(inplace=True),
        nn.SiLU(),
        nn.GELU(),
        nn.GELU(approximate="tanh"),
        nn.ELU(alpha=0.5),
        nn.Softplus(beta=2, threshold=10.0),
        nn.Softmax(dim=1),
        nn.Softmax(),
        nn.LogSoftmax(dim=-1),
    ]


def _public_attributes(module: nn.Module) -> dict:
    return {k: v for k, v in vars(module).items() if not k.startswith("_")}


def test_every_layer_rebuilds_identically() -> None:
    namespace = dict(vars(nn))
    for module in _every_layer():
        text = layer_text(module)
        rebuilt = eval(text, namespace)  # the network! text is also a Python call
        assert type(rebuilt) is type(module), text
        assert _public_attributes(rebuilt) == _public_attributes(module), (
            f"{text}: {_public_attributes(rebuilt)} != {_public_attributes(module)}"
        )
        assert repr(rebuilt) == repr(module), f"{text}: {rebuilt!r} != {module!r}"
        got = {k: v.shape for k, v in rebuilt.state_dict().items()}
        want = {k: v.shape for k, v in module.state_dict().items()}
        assert got == want, f"{text}: tensors {got} != {want}"
    assert {type(m).__name__ for m in _every_layer()} == set(exporter.SIGNATURES)


def test_layer_text_examples() -> None:
    examples = {
        nn.Conv2d(3, 32, 5, 1, 2): "Conv2d(3, 32, 5, padding = 2)",
        nn.Conv2d(3, 6, (3, 5), stride=(2, 2)): "Conv2d(3, 6, (3, 5), stride = 2)",
        nn.Conv2d(3, 6, 3, padding="same", bias=False):
            'Conv2d(3, 6, 3, padding = "same", bias = False)',
        nn.MaxPool2d(2, 2): "MaxPool2d(2)",
        nn.MaxPool2d(3, 2): "MaxPool2d(3, stride = 2)",
        nn.MaxPool2d((2, 2)): "MaxPool2d((2, 2))",
        nn.AvgPool1d(3): "AvgPool1d(3)",
        nn.BatchNorm2d(8, eps=1e-3, momentum=None): "BatchNorm2d(8, eps = 0.001, momentum = None)",
        nn.LayerNorm(16, eps=1e-6): "LayerNorm(16, eps = 1e-06)",
        nn.LeakyReLU(0.2, inplace=True): "LeakyReLU(negative_slope = 0.2, inplace = True)",
        nn.GELU("tanh"): 'GELU(approximate = "tanh")',
        nn.Softmax(dim=1): "Softmax(dim = 1)",
        nn.Flatten(): "Flatten()",
        nn.Upsample(scale_factor=2, mode="nearest"): "Upsample(scale_factor = 2.0)",
        nn.Dropout(0.5): "Dropout()",
    }
    for module, want in examples.items():
        got = layer_text(module)
        assert got == want, f"{module!r}: got {got!r}, want {want!r}"


class TutorialNet(nn.Module):
    """The CIFAR-10 tutorial's Net: layers as attributes, activations as functions, one pooling
    module used twice (the second use is written unnamed: it has no tensors). MaxPool2d(2, 2)
    stores the same stride as MaxPool2d(2), so it is written MaxPool2d(2)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


TUTORIAL_NET_TEXT = """\
network! {
    pub struct TutorialNet: [3, 32, 32] {
        conv1 = Conv2d(3, 6, 5),
        ReLU(),
        pool = MaxPool2d(2),
        conv2 = Conv2d(6, 16, 5),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        fc1 = Linear(400, 120),
        ReLU(),
        fc2 = Linear(120, 84),
        ReLU(),
        fc3 = Linear(84, 10),
    }
}"""


def test_forward_chain_with_functions() -> None:
    torch.manual_seed(0)
    _export_and_check(TutorialNet(), [3, 32, 32], "TutorialNet", TUTORIAL_NET_TEXT)


class Functional(nn.Module):
    """Activations, pooling and flattening written as functions and tensor methods."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.head = nn.Linear(16, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(self.conv(x).relu(), (2, 2))
        x = F.avg_pool2d(F.leaky_relu(x, 0.1), 2, stride=2)
        x = self.head(x.flatten(1))
        return F.log_softmax(torch.tanh(x), dim=1)


FUNCTIONAL_TEXT = """\
network! {
    pub struct Functional: [1, 8, 8] {
        conv = Conv2d(1, 4, 3, padding = 1),
        ReLU(),
        MaxPool2d((2, 2)),
        LeakyReLU(negative_slope = 0.1),
        AvgPool2d(2),
        Flatten(),
        head = Linear(16, 10),
        Tanh(),
        LogSoftmax(dim = 1),
    }
}"""


def test_functions_and_methods() -> None:
    torch.manual_seed(0)
    _export_and_check(Functional(), [1, 8, 8], "Functional", FUNCTIONAL_TEXT)

    class WithDropout(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return F.dropout(self.fc(x), 0.2)

    _refused(WithDropout(), [4], "WithDropout", "dropout", "no staticnn layer equivalent")


def test_batchnorm_skips_num_batches_tracked() -> None:
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU())
    expected = """\
network! {
    pub(crate) struct Bn: [1, 8, 8] {
        Conv2d(1, 4, 3),
        BatchNorm2d(4),
        ReLU(),
    }
}"""
    written = _export_and_check(model, [1, 8, 8], "Bn", expected, visibility="pub(crate)")
    assert "1.num_batches_tracked" not in written
    assert "1.running_mean" in written and "1.running_var" in written


def test_module_list_loop_and_names() -> None:
    class Stack(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 2)])

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            for layer in self.layers:
                x = layer(x)
            return x

    expected = """\
network! {
    #[staticnn(prefix = "layers")]
    pub struct Stack: [4] {
        Linear(4, 4),
        Tanh(),
        Linear(4, 2),
    }
}"""
    _export_and_check(Stack(), [4], "Stack", expected)


def test_training_flag_is_left_alone() -> None:
    model = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3), nn.Dropout())
    model.train()
    before = model[1].running_mean.clone()
    export(model, [3], "Kept")
    assert model.training and model[1].training and model[2].training
    assert torch.equal(model[1].running_mean, before), "export must not update BatchNorm stats"


def test_global_random_state_is_left_alone() -> None:
    """Exporting (which rebuilds every layer to check the declaration's numerics) leaves
    PyTorch's global generator where it was: a script's random numbers after an export are
    the same as without it."""
    torch.manual_seed(5)
    chain, residual = cifar10_net(), _graph_fixture("residual_projection")[0]
    for model, shape in ((chain, [3, 32, 32]), (residual, [4, 9, 9])):
        state = torch.get_rng_state()
        export(model, shape, "N")
        assert torch.equal(torch.get_rng_state(), state), type(model).__name__


def test_export_is_byte_identical() -> None:
    torch.manual_seed(0)
    model = cifar10_net()
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "a.safetensors", Path(tmp) / "b.safetensors"
        assert export(model, [3, 32, 32], "N", a) == export(model, [3, 32, 32], "N", b)
        assert a.read_bytes() == b.read_bytes()


def test_command_line() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        models = Path(tmp) / "models_for_cli.py"
        models.write_text(
            "import torch.nn as nn\n"
            "def make():\n"
            "    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))\n"
        )
        out = Path(tmp) / "mlp.safetensors"
        decl = Path(tmp) / "mlp.rs.txt"
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            status = exporter.main([f"{models}:make", "--input-shape", "784", "--name", "Mlp",
                                    "--out", str(out), "--declaration-out", str(decl)])
        assert status == 0
        assert stdout.getvalue() == MLP_TEXT + "\n"
        assert decl.read_text() == MLP_TEXT + "\n"
        assert sorted(_read_safetensors(out)) == ["0.bias", "0.weight", "2.bias", "2.weight"]
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            status = exporter.main([f"{models}:make", "--input-shape", "3", "--name", "Mlp"])
        assert status == 2 and "does not run on an input of shape [3]" in stderr.getvalue()


# --------------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------------


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.fc(x)


class ViewFlatten(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.fc = nn.Linear(2 * 6 * 6, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        return self.fc(x.view(x.size(0), -1))


class Branchy(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.sum() > 0:
            return self.fc(x)
        return x


class Shared(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.relu(self.fc(x)))


class Unused(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.spare = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x)


class ScaledLinear(nn.Linear):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 2 * super().forward(x)


class PlainLinear(nn.Linear):
    """A subclass that does not change forward: accepted as Linear."""


def test_refuses_unsupported_layer() -> None:
    _refused(nn.Sequential(nn.Linear(4, 4), nn.LSTM(4, 4)), [4],
             "self.1", "LSTM", "staticnn cannot express")
    _refused(nn.Sequential(nn.Linear(4, 4), nn.Dropout2d()), [4], "self.1", "Dropout2d")


def test_refuses_untraceable_and_reused() -> None:
    _refused(ViewFlatten(), [1, 8, 8], "ViewFlatten", "view", "nn.Flatten()")
    _refused(Branchy(), [4], "Branchy", "torch.fx could not trace", "control flow")
    _refused(Shared(), [4], "fc (Linear)", "called more than once")

    class SharedByIndex(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(4, 4)])

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.layers[0](self.layers[0](x))

    _refused(SharedByIndex(), [4], "layers.0 (Linear)", "called more than once")
    _refused(Unused(), [4], "Unused", "spare.weight", "belong to no layer")


def test_refuses_unsupported_options_and_tensors() -> None:
    _refused(nn.Sequential(nn.MaxPool2d(2, return_indices=True)), [1, 4, 4],
             "self.0 (MaxPool2d)", "return_indices=True")
    _refused(nn.Sequential(nn.Linear(4, 4).double()), [4], "'0.weight'", "torch.float64",
             "model.float()")
    _refused(nn.Sequential(nn.Linear(4, 4, device="meta")), [4], "device meta", "model.cpu()")
    _refused(nn.Sequential(nn.LazyLinear(4)), [4], "not initialized")
    _refused(nn.Sequential(nn.Softplus(threshold=float("inf"))), [4], "finite")


def test_refuses_changed_behaviour() -> None:
    _refused(nn.Sequential(ScaledLinear(4, 4)), [4], "ScaledLinear", "overrides `forward`")
    export(nn.Sequential(PlainLinear(4, 4)), [4], "Ok")  # same forward: accepted
    hooked = nn.Sequential(nn.Linear(4, 4))
    hooked[0].register_forward_hook(lambda module, args, out: out * 2)
    _refused(hooked, [4], "Sequential.0 (Linear)", "forward hooks")
    normed = nn.Sequential(torch.nn.utils.parametrizations.weight_norm(nn.Linear(4, 4)))
    _refused(normed, [4], "self.0", "parametrized", "remove_parametrizations")


def test_refuses_bad_names_and_shapes() -> None:
    _refused(mlp(), [28, 28], "does not run on an input of shape [28, 28]")
    _refused(mlp(), [0], "input_shape")
    model = nn.Sequential(OrderedDict([("match", nn.Linear(4, 4))]))
    _refused(model, [4], "'match'", "Rust field name")
    model = nn.Sequential(OrderedDict([("fc-1", nn.Linear(4, 4))]))
    _refused(model, [4], "'fc-1'", "Rust field name")
    model = nn.Sequential(OrderedDict([("5", nn.Linear(4, 4))]))  # keyed by a position ahead
    padded = "network! {\n    pub struct Padded: [4] {\n" + "        Identity(),\n" * 5 + (
        "        Linear(4, 4),\n    }\n}")
    _export_and_check(model, [4], "Padded", padded)
    model = nn.Sequential(OrderedDict([("1", nn.Linear(4, 4)), ("0", nn.Linear(4, 4))]))
    _refused(model, [4], "'0'", "position 2", "in order")
    try:
        export(mlp(), [784], "not a name")
    except ExportError as exc:
        assert "struct name" in str(exc)
    else:
        raise AssertionError("a bad struct name was accepted")


# --------------------------------------------------------------------------------------------
# Branching networks (export_graph.py)
# --------------------------------------------------------------------------------------------

GRAPH_TEXTS = {
    "residual_identity": """\
network! {
    pub struct Net: [4, 8, 8] {
        Add(
            Identity(),
            { conv1 = Conv2d(4, 4, 3, padding = 1), ReLU(), conv2 = Conv2d(4, 4, 3, padding = 1) },
        ),
        ReLU(),
    }
}""",
    "residual_projection": """\
network! {
    pub struct Net: [4, 9, 9] {
        block = {
            Add(
                {
                    conv1 = Conv2d(4, 8, 3, stride = 2, padding = 1),
                    bn1 = BatchNorm2d(8),
                    ReLU(),
                    conv2 = Conv2d(8, 8, 3, padding = 1),
                    bn2 = BatchNorm2d(8),
                },
                shortcut = Conv2d(4, 8, 1, stride = 2),
            ),
            ReLU(),
        },
    }
}""",
    "cat_branches": """\
network! {
    pub struct Net: [3, 7, 6] {
        Cat(
            branch1 = Conv2d(3, 4, 1),
            branch2 = [Conv2d(3, 2, 1), ReLU(), Conv2d(2, 5, 3, padding = 1)],
            branch3 = [MaxPool2d(3, stride = 1, padding = 1), Conv2d(3, 3, 1)],
            dim = 1,
        ),
    }
}""",
    "cat_with_input": """\
network! {
    pub struct Net: [3, 5, 5] {
        Cat(Identity(), { conv = Conv2d(3, 5, 3, padding = 1), ReLU() }, dim = 1),
    }
}""",
    "squeeze_excite": """\
network! {
    pub struct Net: [3, 6, 6] {
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
}""",
    "vector_residual": """\
network! {
    pub struct Net: [12] {
        Add(Identity(), { fc1 = Linear(12, 20), ReLU(), fc2 = Linear(20, 12) }),
        out = Linear(12, 3),
    }
}""",
    # `x + inner + conv_c(x)` traces as two adds from one fork: written as one Add of three.
    "nested_residual": """\
network! {
    pub struct Net: [3, 6, 7] {
        Add(
            Identity(),
            Add(
                Identity(),
                {
                    conv_a = Conv2d(3, 3, 3, padding = 1),
                    ReLU(),
                    conv_b = Conv2d(3, 3, 3, padding = 1),
                },
            ),
            conv_c = Conv2d(3, 3, 1),
        ),
    }
}""",
    "input_skip_to_output": """\
network! {
    pub struct Net: [2, 5, 5] {
        Add(Identity(), conv = Conv2d(2, 2, 3, padding = 1)),
    }
}""",
    "mul_two_branches": """\
network! {
    pub struct Net: [2, 5, 6] {
        Mul(
            { conv_a = Conv2d(2, 4, 3, padding = 1), Tanh() },
            { conv_b = Conv2d(2, 4, 3, padding = 1), Sigmoid() },
        ),
    }
}""",
}


def _graph_fixture(name: str) -> tuple[nn.Module, list[int]]:
    """A case of tools/gen_graph_fixtures.py, seeded, with random batch-norm statistics."""
    for case, cls, shape in graph_fixtures.CASES:
        if case == name:
            torch.manual_seed(7)
            model = cls().eval()
            graph_fixtures.randomize(model, torch.Generator().manual_seed(8))
            return model, list(shape)
    raise KeyError(name)


def _assert_declaration_runs_like(model: nn.Module, shape: list[int], p: exporter.Plan) -> None:
    """The plan's declaration, run in PyTorch by export_graph.evaluate, gives the model's
    output within the Rust tests' tolerance."""
    x = torch.randn(3, *shape, generator=torch.Generator().manual_seed(11))
    with torch.no_grad():
        want = model(x)
    got = export_graph.evaluate(p.body, x)
    assert got.shape == want.shape
    assert bool(((got - want).abs() <= 1e-5 * (1 + want.abs())).all())


def test_graph_fixture_networks() -> None:
    """Every case of gen_graph_fixtures.py (the modules tests/graphs.rs declares by hand)
    exports with exactly its state_dict; the small ones to the expected text."""
    for case, _, _ in graph_fixtures.CASES:
        model, shape = _graph_fixture(case)
        expected = GRAPH_TEXTS.get(case)
        if expected is not None:
            _export_and_check(model, shape, "Net", expected)
        p = exporter.plan(model, shape)
        assert p.body is not None, case
        assert sorted(p.tensors()) == sorted(
            k for k in model.state_dict() if not k.endswith("num_batches_tracked")), case
        _assert_declaration_runs_like(model, shape, p)


def test_committed_graph_round_trips_reproduce() -> None:
    """Re-running the exporter on tools/gen_export_graph_roundtrip.py's nets writes the
    committed tests/export/<stem>.rs and .safetensors byte for byte, and the committed output
    is PyTorch's on the committed input."""
    with tempfile.TemporaryDirectory() as tmp:
        for index, (_, stem, _, _, submodule) in enumerate(graph_roundtrip.NETS):
            graph_roundtrip.export_net(index, Path(tmp))
            for suffix in (".rs", ".safetensors"):
                got = (Path(tmp) / f"{stem}{suffix}").read_bytes()
                want = (REPO / "tests" / "export" / f"{stem}{suffix}").read_bytes()
                assert got == want, f"tests/export/{stem}{suffix} is not what the exporter writes"
            io = _read_safetensors(REPO / "tests" / "export" / f"{stem}_io.safetensors")
            model = graph_roundtrip.build(index)
            model = model.get_submodule(submodule) if submodule else model
            with torch.no_grad():
                out = model(io["input"][None])[0]
            assert torch.allclose(out, io["output"], rtol=1e-5, atol=1e-5), stem


class _Res(nn.Sequential):
    """An nn.Sequential subclass whose forward adds its input: ``x + layers(x)``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + super().forward(x)


class _Swish(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(x)


class _SwishTwice(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1, self.act, self.fc2 = nn.Linear(4, 4), _Swish(), nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.fc2(self.act(self.fc1(x))))


class _Double(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.fc(x)
        return y + y


class _MeanSE(nn.Module):
    """Squeeze-and-excitation and a head written with ``x.mean``."""

    def __init__(self) -> None:
        super().__init__()
        self.conv, self.fc, self.head = nn.Conv2d(3, 4, 1), nn.Conv2d(4, 4, 1), nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        x = x * torch.sigmoid(self.fc(x.mean((2, 3), keepdim=True)))
        return self.head(x.mean([-1, -2]))


class _Blocks(nn.Module):
    """Residual blocks in a ModuleList applied in a loop."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([_Res(nn.Linear(4, 4), nn.ReLU()), _Res(nn.Linear(4, 4))])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return x


class _Holder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 4), _Res(nn.Linear(4, 4), nn.ReLU()),
                                  nn.Linear(4, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


def _body(*lines: str, name: str = "Net", shape: str = "4") -> str:
    return "\n".join([f"network! {{\n    pub struct {name}: [{shape}] {{",
                      *(f"        {line}" for line in lines), "    }\n}"])


def test_graph_module_structures() -> None:
    """How module trees are written: a Sequential subclass with a residual forward (an
    unnamed `[ .. ]` branch keys its layers by position in the module), residual blocks in a
    ModuleList, a module without tensors called twice (written unnamed the second time),
    `y + y`, `x.mean`, nested Sequentials, a residual network exported from an attribute."""
    torch.manual_seed(3)
    cases = [
        (_Holder(), [4], _body(
            "body = [Linear(4, 4), Add(Identity(), [Linear(4, 4), ReLU()]), Linear(4, 2)],")),
        (_Blocks(), [4], _body(
            "blocks = [Add(Identity(), [Linear(4, 4), ReLU()]), "
            "Add(Identity(), [Linear(4, 4)])],")),
        (_SwishTwice(), [4], _body(
            "fc1 = Linear(4, 4),", "act = Mul(Identity(), Sigmoid()),", "fc2 = Linear(4, 4),",
            "Mul(Identity(), Sigmoid()),")),
        (_Double(), [4], _body("fc = Linear(4, 4),", "Add(Identity(), Identity()),")),
        (_MeanSE(), [3, 5, 5], _body(
            "conv = Conv2d(3, 4, 1),",
            "Mul(Identity(), { AdaptiveAvgPool2d(1), fc = Conv2d(4, 4, 1), Sigmoid() }),",
            "AdaptiveAvgPool2d(1),", "Flatten(),", "head = Linear(4, 2),", shape="3, 5, 5")),
        (nn.Sequential(nn.Sequential(nn.Linear(4, 4)), nn.Linear(4, 2)), [4],
         _body("[Linear(4, 4)],", "Linear(4, 2),")),
    ]
    for model, shape, expected in cases:
        _export_and_check(model.eval(), shape, "Net", expected)
        _assert_declaration_runs_like(model, shape, exporter.plan(model, shape))
    # A residual network in an attribute, exported alone: the attribute is the key prefix.
    holder = graph_roundtrip.Holder().eval()
    with tempfile.TemporaryDirectory() as tmp:
        text = export(holder, [4, 8, 8], "Net", Path(tmp) / "w.safetensors", submodule="body")
        written = _read_safetensors(Path(tmp) / "w.safetensors")
    assert text == GRAPH_TEXTS["residual_identity"].replace(
        "    pub struct", '    #[staticnn(prefix = "body")]\n    pub struct'), text
    assert sorted(written) == ["body.conv1.bias", "body.conv1.weight", "body.conv2.bias",
                               "body.conv2.weight"]
    assert all(torch.equal(written[k], holder.state_dict()[k]) for k in written)
    # ... but not when that attribute is an nn.Sequential holding a block with its own forward
    # (see test_graph_refusals).
    _refused(_Holder(), [4], "_Holder.body: the module body.1 (_Res)", submodule="body")


def _layer(module: nn.Module, name: str | None = None) -> export_graph.Item:
    layer = exporter._layer_from_module(module, type(module).__name__)
    layer.tensors = {k: v for k, v in module.state_dict().items()}
    return export_graph.Item(name, layer)


def test_declared_keys_follow_the_readme() -> None:
    """export_graph.declared_keys applies the README's key rules."""
    G, C = export_graph.Group, export_graph.Combine

    def keys(body, prefix=None):
        return sorted(export_graph.declared_keys(body, prefix))

    conv = lambda: nn.Conv2d(2, 2, 1)  # noqa: E731
    # `features = [[Conv2d(..)], Add(Identity(), { conv = [Conv2d(..)] })]`, MobileNetV2's.
    body = [export_graph.Item("features", G("[", [
        export_graph.Item(None, G("[", [_layer(conv())])),
        export_graph.Item(None, C("Add", [_layer(nn.Identity()), export_graph.Item(None, G(
            "{", [export_graph.Item("conv", G("[", [_layer(conv())]))]))])),
    ]))]
    assert keys(body) == ["features.0.0.bias", "features.0.0.weight", "features.1.conv.0.bias",
                          "features.1.conv.0.weight"]
    # In the body, an unnamed `{ .. }` or Add is the network's own forward (no key), an
    # unnamed `[ .. ]` is keyed by its position; the prefix goes in front of everything.
    body = [export_graph.Item(None, G("{", [_layer(conv(), "conv1")])),
            export_graph.Item(None, C("Add", [_layer(nn.Identity()), _layer(conv(), "c")])),
            export_graph.Item(None, G("[", [_layer(nn.ReLU()), _layer(conv())]))]
    assert keys(body, "m") == ["m.2.1.bias", "m.2.1.weight", "m.c.bias", "m.c.weight",
                               "m.conv1.bias", "m.conv1.weight"]
    # An unnamed `[ .. ]` branch numbers its layers from 0 in the enclosing module.
    body = [export_graph.Item("blk", C("Add", [_layer(nn.Identity()), export_graph.Item(
        None, G("[", [_layer(conv()), _layer(nn.ReLU()), _layer(conv())]))]))]
    assert keys(body) == ["blk.0.bias", "blk.0.weight", "blk.2.bias", "blk.2.weight"]
    # What network! would reject.
    for body, fragment in [
        ([export_graph.Item(None, G("{", [_layer(conv())]))], "written unnamed"),
        ([_layer(conv(), "a"), _layer(conv(), "a")], "used twice"),
        ([_layer(nn.ReLU()), _layer(conv(), "layer0")], "field name network! gives"),
        ([export_graph.Item(None, C("Add", [_layer(nn.Identity()), _layer(conv(), "dim")]))],
         "`dim`"),
        ([export_graph.Item(None, C("Add", [export_graph.Item(None, G("[", [_layer(conv())])),
                                            export_graph.Item(None, G("[", [_layer(conv())]))]))],
         "two layers would have the state_dict key '0.weight'"),
    ]:
        try:
            export_graph.declared_keys(body, None)
        except ExportError as exc:
            assert fragment in str(exc), str(exc)
        else:
            raise AssertionError(f"declared_keys accepted a body with {fragment!r}")


def _module(forward, **children: nn.Module) -> nn.Module:
    """A module with ``children`` as attributes and ``forward`` as its forward, named after
    the function (messages start with the model's class name)."""
    cls = type(forward.__name__, (nn.Module,), {"forward": forward})

    def init(self) -> None:
        nn.Module.__init__(self)
        for name, child in children.items():
            setattr(self, name, child)

    cls.__init__ = init
    return cls()


def test_graph_refusals() -> None:
    """What network! cannot express is refused with the reason (and the fix)."""
    torch.manual_seed(5)
    lin = lambda: nn.Linear(4, 4)  # noqa: E731
    conv = lambda: nn.Conv2d(2, 2, 1)  # noqa: E731

    def reread(self, x):  # `a` read inside the add's branch and by the multiply
        a = self.f(x)
        return (self.g(a) + self.h(x)) * a

    _refused(_module(reread, f=lin(), g=lin(), h=lin()), [4], "reread: the result of self.f",
             "self.g, the operator mul", "computed twice", "Restructure forward")

    def broadcast_add(self, x):
        return self.conv(x) + self.pool(x)

    _refused(_module(broadcast_add, conv=conv(), pool=nn.AdaptiveAvgPool2d(1)), [2, 4, 4],
             "shapes [2, 4, 4] and [2, 1, 1]", "broadcasting", "Add needs branches of one shape")

    def cat_height(self, x):
        return torch.cat([x, self.conv(x)], dim=2)

    def cat_batch(self, x):
        return torch.cat([x, self.conv(x)])

    def cat_one(self, x):
        return torch.cat([self.conv(x)], 1)

    _refused(_module(cat_height, conv=conv()), [2, 4, 4], "along dimension 2", "dim=1")
    _refused(_module(cat_batch, conv=conv()), [2, 4, 4], "along the batch (dim=0)")
    _refused(_module(cat_one, conv=conv()), [2, 4, 4], "concatenates 1 tensor")

    def scale(self, x):
        return self.fc(x) * 2

    def shift(self, x):
        return 1 + self.fc(x)

    def alpha(self, x):
        return torch.add(x, self.fc(x), alpha=2)

    def subtract(self, x):
        return x - self.fc(x)

    def stack(self, x):
        return torch.stack([x, self.fc(x)], 1)

    def mean_channels(self, x):
        return self.conv(x).mean(1)

    _refused(_module(scale, fc=lin()), [4], "multiplies by the constant 2", "Fold the constant")
    _refused(_module(shift, fc=lin()), [4], "adds the constant 1")
    _refused(_module(alpha, fc=lin()), [4], "torch.add has arguments (alpha")
    _refused(_module(subtract, fc=lin()), [4], "operator sub subtracts", "no network! equivalent")
    _refused(_module(stack, fc=lin()), [4], "torch.stack stacks")
    _refused(_module(mean_channels, conv=conv()), [2, 4, 4], "averages over dimensions [1]",
             "AdaptiveAvgPool2d(1)")

    class WithBias(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc, self.bias = nn.Linear(4, 4), nn.Parameter(torch.zeros(4))

        def forward(self, x):
            return self.fc(x) + self.bias

    _refused(WithBias(), [4], "reads the tensor self.bias directly")

    def inplace(self, x):  # relu_ overwrites y, which the add reads too
        y = self.conv(x)
        return y + F.relu(y, inplace=True)

    _refused(_module(inplace, conv=conv()), [2, 4, 4], "computes something else than the model",
             "in-place operation", "make it out of place")

    def reuse(self, x):
        return self.fc(x) + self.fc(F.relu(x))

    def pair(self, x):
        return x, self.fc(x)

    def two_inputs(self, x, y):
        return self.fc(x) + y

    def data_dependent(self, x):
        if x.sum() > 0:
            return x + self.fc(x)
        return x

    def split(self, x):  # the layers of `layers` with another layer between them
        return self.layers[1](self.other(self.layers[0](x)))

    _refused(_module(reuse, fc=lin()), [4], "fc (Linear) is called more than once")
    _refused(_module(pair, fc=lin()), [4], "must return one tensor")
    _refused(_module(two_inputs, fc=lin()), [4], "forward takes 2 tensor arguments (x, y)")
    _refused(_module(data_dependent, fc=lin()), [4], "torch.fx could not trace",
             "data-dependent control flow")
    _refused(_module(split, layers=nn.ModuleList([lin(), lin()]), other=lin()), [4],
             "the layers of self.layers are used at two places", "self.other between them")
    # A residual block as an item of the exported nn.Sequential itself: its keys (1.0.weight)
    # need an unnamed block in the body, which network! reads as the network's own forward.
    _refused(nn.Sequential(lin(), _Res(lin(), nn.ReLU()), nn.Linear(4, 2)), [4],
             "the module 1 (_Res)", "network's own forward", "self.features = nn.Sequential")


def test_graph_int8_and_command_line() -> None:
    """The int8 export maps residual adds and multiplies (checked against PyTorch's converted
    model inside the export), refuses a concatenation PyTorch leaves in float, naming it; the
    command line exports a graph."""
    for case, combination in (("residual_identity", "add"), ("squeeze_excite", "se")):
        model, shape = _graph_fixture(case)
        result, tensors = _int8_export(model, shape)
        assert 'quantized = "int8"' in result.declaration, result.declaration
        assert f"{combination}.output_scale" in tensors, sorted(tensors)
        x = torch.randn(5, *shape, generator=torch.Generator().manual_seed(99))
        with torch.no_grad():
            want = result.model.converted(x)
        got, _ = export_int8_graph.simulate(result.model, x, float_biases=True)
        assert torch.equal(got, want), case
    model, shape = _graph_fixture("cat_with_input")
    try:
        _int8_export(model, shape)
    except ExportError as exc:
        assert "`cat` (Cat)" in str(exc) and "float" in str(exc), str(exc)
    else:
        raise AssertionError("cat_with_input was quantized but should have been refused")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "resnet8.safetensors"
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            status = exporter.main([f"{REPO / 'tools' / 'gen_graph_fixtures.py'}:ResNet8",
                                    "--input-shape", "3", "32", "32", "--name", "ResNet8",
                                    "--out", str(out)])
        assert status == 0
        committed = (REPO / "tests" / "export" / "resnet8.rs").read_text()
        want = "\n".join(line for line in committed.splitlines()
                         if "///" not in line and "#[staticnn" not in line)
        assert stdout.getvalue() == want + "\n", stdout.getvalue()
        assert len(_read_safetensors(out)) == 48  # num_batches_tracked left out


# --------------------------------------------------------------------------------------------
# int8 (export_int8.py)
# --------------------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parent.parent


def digits_net() -> nn.Sequential:
    """tools/train_digits.py's network."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(128, 10),
    )


def _int8_export(model: nn.Module, shape: list[int], seed: int = 0, count: int = 32, **kwargs):
    """Quantizes ``model`` on ``count`` seeded normal inputs; returns (result, file tensors)."""
    generator = torch.Generator().manual_seed(seed)
    calibration = torch.randn(count, *shape, generator=generator)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "int8.safetensors"
        result = export_int8.export(model, shape, "Q", path, calibration=calibration,
                                    weights_attr="q.safetensors", **kwargs)
        return result, _read_safetensors(path)


def _quantize(x: torch.Tensor, scale: float, zero_point: int) -> torch.Tensor:
    """PyTorch's quantize_per_tensor written out: round half to even of x * f32(1/s)."""
    return torch.clamp(torch.round(x * (1.0 / scale)) + zero_point, -128, 127).to(torch.int8)


def _dequantize(q: torch.Tensor, scale: float, zero_point: int) -> torch.Tensor:
    return (q.to(torch.float32) - zero_point) * scale


def _qp(tensors: dict[str, torch.Tensor], key: str) -> tuple[float, int]:
    scale, zero_point = tensors[f"{key}_scale"], tensors[f"{key}_zero_point"]
    assert scale.dtype == torch.float32 and scale.shape == (), f"{key}_scale: {scale}"
    assert zero_point.dtype == torch.int32 and zero_point.shape == (), f"{key}_zero_point"
    assert float(scale) > 0 and -128 <= int(zero_point) <= 127, key
    return float(scale), int(zero_point)


def _run_from_file(model: nn.Sequential, tensors: dict[str, torch.Tensor], x: torch.Tensor,
                   biases: str) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """An int8 chain (Conv2d, Linear, ReLU, MaxPool2d, Flatten) computed from the file only,
    written independently of export_int8: dequantize -> the float op -> quantize. ``biases``
    is ``"float"`` (the model's own float biases: PyTorch's converted graph uses them) or
    ``"int32"`` (the file's, dequantized with s_in * s_w). Returns the int8 output and every
    conv/linear output."""
    scale, zero_point = _qp(tensors, "input")
    q = _quantize(x, scale, zero_point)
    steps = []
    for index, layer in enumerate(model):
        real = _dequantize(q, scale, zero_point)
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            s_w = tensors[f"{index}.weight_scale"]
            shape = [-1] + [1] * (tensors[f"{index}.weight"].dim() - 1)
            weight = tensors[f"{index}.weight"].to(torch.float32) * s_w.view(shape)
            if biases == "float":
                bias = layer.bias.detach()
            else:
                bias = (tensors[f"{index}.bias"].double() * scale * s_w.double()).float()
            if isinstance(layer, nn.Linear):
                y = F.linear(real, weight, bias)
            else:
                y = F.conv2d(real, weight, bias, layer.stride, layer.padding, layer.dilation,
                             layer.groups)
            scale, zero_point = _qp(tensors, f"{index}.output")
            q = _quantize(y, scale, zero_point)
            steps.append(q)
        else:  # ReLU, MaxPool2d, Flatten: same quantization before and after
            assert f"{index}.output_scale" not in tensors, f"{index} must have no keys"
            q = _quantize(layer(real), scale, zero_point)
    return q, steps


DIGITS_INT8_KEYS = [
    "input_scale", "input_zero_point",
    *(f"{i}.{k}" for i in (0, 3, 7) for k in ("weight", "weight_scale", "bias", "output_scale",
                                               "output_zero_point")),
]


def test_int8_keys_dtypes_shapes() -> None:
    torch.manual_seed(0)
    model = digits_net()
    result, tensors = _int8_export(model, [1, 8, 8])
    assert sorted(tensors) == sorted(DIGITS_INT8_KEYS), sorted(tensors)
    for i, layer in ((0, model[0]), (3, model[3]), (7, model[7])):
        assert tensors[f"{i}.weight"].dtype == torch.int8
        assert tensors[f"{i}.weight"].shape == layer.weight.shape
        assert tensors[f"{i}.weight_scale"].dtype == torch.float32
        assert tensors[f"{i}.weight_scale"].shape == (layer.weight.shape[0],)
        assert tensors[f"{i}.bias"].dtype == torch.int32
        assert tensors[f"{i}.bias"].shape == (layer.weight.shape[0],)
        assert int(tensors[f"{i}.weight"].abs().max()) <= 127
        assert bool((tensors[f"{i}.weight_scale"] > 0).all())
        _qp(tensors, f"{i}.output")
    _qp(tensors, "input")
    # ReLU fused: the conv's output quantization is observed after the ReLU (zero point -128).
    assert int(tensors["0.output_zero_point"]) == -128 == int(tensors["3.output_zero_point"])
    float_text = export(model, [1, 8, 8], "Q", weights_attr="q.safetensors")
    expected = float_text.replace('#[staticnn(weights = "q.safetensors")]',
                                  '#[staticnn(quantized = "int8", weights = "q.safetensors")]')
    assert result.declaration == expected, result.declaration


def test_int8_weights_are_pytorchs() -> None:
    torch.manual_seed(1)
    model = digits_net()
    result, tensors = _int8_export(model, [1, 8, 8])
    buffers = [b for _, b in result.model.converted.named_buffers() if b.dtype == torch.int8]
    for i in (0, 3, 7):
        weight, scale = tensors[f"{i}.weight"], tensors[f"{i}.weight_scale"]
        # Exactly one of the converted graph's int8 tensors, not a re-quantization.
        assert sum(b.shape == weight.shape and torch.equal(b, weight) for b in buffers) == 1
        # Per output channel symmetric: scale = max|w| / 127, q = round(w / scale).
        float_weight = model[i].weight.detach()
        amax = float_weight.abs().flatten(1).amax(dim=1)
        assert torch.allclose(scale, amax / 127, rtol=1e-6), (scale, amax / 127)
        shape = [-1] + [1] * (weight.dim() - 1)
        assert torch.equal(weight, torch.clamp(torch.round(float_weight / scale.view(shape)),
                                               -127, 127).to(torch.int8))


def test_int8_bias_formula() -> None:
    torch.manual_seed(2)
    model = digits_net()
    _, tensors = _int8_export(model, [1, 8, 8])
    inputs = {0: "input", 3: "0.output", 7: "3.output"}  # ReLU and max pooling share
    for i, source in inputs.items():
        s_in = _qp(tensors, source)[0]
        s_w = tensors[f"{i}.weight_scale"].double()
        b = model[i].bias.detach().double()
        want = torch.round(b / (s_in * s_w)).to(torch.int32)
        assert torch.equal(tensors[f"{i}.bias"], want), i
        assert bool(((tensors[f"{i}.bias"].double() * s_in * s_w - b).abs()
                     <= 0.5 * s_in * s_w * (1 + 1e-9)).all())


def test_int8_round_trip_matches_pytorch() -> None:
    torch.manual_seed(3)
    model = digits_net().eval()
    result, tensors = _int8_export(model, [1, 8, 8], seed=3, count=64)
    x = torch.rand(50, 1, 8, 8, generator=torch.Generator().manual_seed(30))
    with torch.no_grad():
        want = result.model.converted(x)
    # From the file's integers with PyTorch's float biases: exactly PyTorch's converted model.
    got, steps = _run_from_file(model, tensors, x, "float")
    scale, zero_point = _qp(tensors, "7.output")
    assert torch.equal(_dequantize(got, scale, zero_point), want)
    reference = export_int8.reference_outputs(result.model, x, steps=True)
    assert torch.equal(reference["output"], want) and torch.equal(reference["output_int8"], got)
    for i, step in zip((0, 3, 7), steps):
        assert torch.equal(reference[f"{i}.output_int8"], step), i
    assert torch.equal(reference["input_int8"], _quantize(x, *_qp(tensors, "input")))
    # With the file's int32 biases: PyTorch's rounding may move by one step.
    rounded, _ = _run_from_file(model, tensors, x, "int32")
    assert int((rounded.int() - got.int()).abs().max()) <= 1
    # export_int8.simulate, which the exporter checks itself with, agrees with both.
    sim = export_int8.simulate(result.model.plan.layers, tensors, x,
                               float_biases=result.model.float_biases())
    assert torch.equal(sim.output, want) and torch.equal(sim.output_int8, got)
    assert torch.equal(export_int8.simulate(result.model.plan.layers, tensors, x).output_int8,
                       rounded)


def test_int8_committed_fixtures() -> None:
    """The committed int8 files reproduce their committed PyTorch references from the file's
    integers (with the float files' biases), without re-quantizing anything."""
    from safetensors.torch import load_file

    cases = [
        (digits_net(), REPO / "examples/digits/digits.safetensors",
         REPO / "examples/digits/digits_int8.safetensors",
         REPO / "examples/digits/digits_int8_io.safetensors"),
        (cifar10_net(), REPO / "tests/export/cifar10.safetensors",
         REPO / "tests/export/cifar10_int8.safetensors",
         REPO / "tests/export/cifar10_int8_io.safetensors"),
    ]
    for model, float_file, int8_file, io_file in cases:
        model.load_state_dict(load_file(str(float_file)))
        if "cifar10" in int8_file.name:  # name the layers by index for _run_from_file
            model = nn.Sequential(*model.children())
            tensors = {k.replace("conv3.", "4."): v for k, v in load_file(str(int8_file)).items()}
        else:
            tensors = load_file(str(int8_file))
        io = load_file(str(io_file))
        got, steps = _run_from_file(model, tensors, io["input"], "float")
        assert torch.equal(got, io["output_int8"]), int8_file
        keyed = [i for i, m in enumerate(model) if isinstance(m, (nn.Conv2d, nn.Linear))]
        assert torch.equal(_dequantize(got, *_qp(tensors, f"{keyed[-1]}.output")), io["output"])
        renamed = {k.replace("conv3.", "4."): v for k, v in io.items()}
        for key, step in zip(keyed, steps):
            assert torch.equal(renamed[f"{key}.output_int8"], step), (int8_file, key)
    cifar = load_file(str(REPO / "tests/export/cifar10_int8.safetensors"))
    weight_bytes = sum(t.numel() for k, t in cifar.items() if k.endswith(".weight"))
    assert weight_bytes == 145_376 and weight_bytes <= 150 * 1024


def test_int8_graph_committed_fixtures() -> None:
    """Re-exporting the branching int8 nets (tools/gen_int8_export.py) writes the committed
    declarations, weights and PyTorch references byte for byte."""
    sys.path.insert(0, str(REPO / "tools"))
    import gen_int8_export

    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
        gen_int8_export.graphs(Path(tmp))
        for stem in gen_int8_export.QUANTIZED_GRAPHS:
            for suffix in ("_int8.rs", "_int8.safetensors", "_int8_io.safetensors"):
                written = (Path(tmp) / f"{stem}{suffix}").read_bytes()
                committed = (REPO / "tests/export" / f"{stem}{suffix}").read_bytes()
                assert written == committed, f"{stem}{suffix} differs from the committed file"


def _keys(tensors: dict[str, torch.Tensor]) -> list[str]:
    return sorted(tensors)


def _layer_keys(*paths: str, bias: bool = True) -> list[str]:
    names = ["weight", "weight_scale", "output_scale", "output_zero_point"]
    names += ["bias"] if bias else []
    return [f"{p}.{n}" for p in paths for n in names]


def test_int8_batchnorm_is_folded_and_activations() -> None:
    torch.manual_seed(4)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU6(),
                          nn.Conv2d(8, 4, 1), nn.BatchNorm2d(4), nn.ReLU())
    for bn in (model[1], model[4]):
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
    result, tensors = _int8_export(model, [3, 8, 8])
    # No BatchNorm keys; the conv without bias gets one from the folding.
    assert _keys(tensors) == sorted(["input_scale", "input_zero_point", *_layer_keys("0", "3")])
    assert [q.role for q in result.model.layers] == [
        "weighted", "folded", "sharing", "weighted", "folded", "sharing"]
    # ReLU6 is not fused by the quantizer: the conv's own output quantization, clamped after.
    assert int(tensors["0.output_zero_point"]) > -128
    assert int(tensors["3.output_zero_point"]) == -128  # ReLU fused after the folded BN
    linear = nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    _, tensors = _int8_export(linear, [8])
    assert _keys(tensors) == sorted(["input_scale", "input_zero_point", *_layer_keys("0", "3")])


def test_int8_pooling_float_layers_and_names() -> None:
    torch.manual_seed(5)
    pools = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 8, 1),
                          nn.AvgPool2d(2), nn.Conv2d(8, 8, 1), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.Linear(8, 4))
    result, tensors = _int8_export(pools, [3, 9, 9])
    assert _keys(tensors) == sorted([
        "input_scale", "input_zero_point", *_layer_keys("0", "3", "5", "8"),
        "4.output_scale", "4.output_zero_point", "6.output_scale", "6.output_zero_point"])
    # The adaptive pool shares its input's quantization; AvgPool2d gets its own.
    assert _qp(tensors, "6.output") == _qp(tensors, "5.output")
    assert _qp(tensors, "4.output") != _qp(tensors, "3.output")
    # Float layers: keys unless last (Sigmoid at the end returns float).
    head = nn.Sequential(nn.Linear(8, 8), nn.LayerNorm(8), nn.GELU(), nn.Linear(8, 4),
                         nn.Sigmoid())
    result, tensors = _int8_export(head, [8])
    assert _keys(tensors) == sorted([
        "input_scale", "input_zero_point", *_layer_keys("0", "3"), "1.weight", "1.bias",
        "2.output_scale", "2.output_zero_point"])
    assert tensors["1.weight"].dtype == torch.float32 and result.model.output_q is None
    # Named layers and the key prefix; functions and a pooling module used twice.
    result, tensors = _int8_export(TutorialNet(), [3, 32, 32])
    assert _keys(tensors) == sorted(["input_scale", "input_zero_point",
                                     *_layer_keys("conv1", "conv2", "fc1", "fc2", "fc3")])
    result, tensors = _int8_export(Model1Parent(), [784])
    assert _keys(tensors) == sorted(["model1.input_scale", "model1.input_zero_point",
                                     *_layer_keys("model1.0", "model1.2")])
    assert '#[staticnn(prefix = "model1", quantized = "int8", weights = "q.safetensors")]' in (
        result.declaration)


def test_int8_other_chains_reproduce_pytorch() -> None:
    """Each export checks itself against PyTorch's converted model exactly (it raises
    otherwise); these chains cover the remaining mapping rules."""
    chains = [
        (nn.Sequential(nn.MaxPool2d(2), nn.Conv2d(3, 4, 3)), [3, 8, 8]),  # max pool first
        (nn.Sequential(nn.Conv2d(3, 4, 3), nn.MaxPool2d(2), nn.ReLU(inplace=True),
                       nn.Conv2d(4, 4, 1)), [3, 8, 8]),  # in-place ReLU, shared
        (nn.Sequential(nn.Conv2d(3, 4, 3), nn.Dropout(), nn.Identity(), nn.Conv2d(4, 4, 1)),
         [3, 8, 8]),
        (nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.Linear(6, 3, bias=False)), [3, 8, 8]),
        (nn.Sequential(nn.Conv2d(4, 4, 3, groups=4), nn.ReLU6(), nn.Conv2d(4, 8, 1)), [4, 8, 8]),
        (nn.Sequential(nn.Conv1d(4, 4, 3), nn.ReLU(), nn.MaxPool1d(2), nn.Flatten(),
                       nn.Linear(12, 2)), [4, 8]),
        # A BatchNorm left in float (not after a conv) is mapped too, but convert_pt2e then
        # takes a minute (it exports 96 QAT folding patterns), so it is not tested here.
        (nn.Sequential(nn.Conv2d(3, 4, 3), nn.Upsample(scale_factor=2), nn.Conv2d(4, 4, 1)),
         [3, 8, 8]),
        (nn.Sequential(nn.Linear(8, 4), nn.Softmax(dim=1)), [8]),
        (nn.Sequential(nn.Conv2d(3, 4, 3), nn.Hardtanh(-0.5, 0.5)), [3, 8, 8]),
        (Functional(), [1, 8, 8]),
        (lenet(), [1, 32, 32]),
    ]
    for index, (model, shape) in enumerate(chains):
        torch.manual_seed(10 + index)
        result, tensors = _int8_export(model, shape, seed=index)
        x = torch.randn(5, *shape, generator=torch.Generator().manual_seed(99))
        sim = export_int8.simulate(result.model.plan.layers, tensors, x,
                                   float_biases=result.model.float_biases())
        with torch.no_grad():
            assert torch.equal(sim.output, result.model.converted(x)), model


def test_int8_refusals() -> None:
    def refused(model: nn.Module, shape: list[int], *fragments: str, **kwargs) -> None:
        try:
            _int8_export(model, shape, **kwargs)
        except ExportError as exc:
            for fragment in fragments:
                assert fragment in str(exc), f"{fragment!r} not in {exc}"
        else:
            raise AssertionError(f"{model} was quantized but should have been refused")

    refused(nn.Sequential(nn.Conv3d(1, 2, 3)), [1, 4, 4, 4], "0 (Conv3d)", "no int8 Conv3d")
    refused(nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect")), [3, 8, 8],
            "padding_mode='reflect'")
    refused(nn.Sequential(nn.Sigmoid(), nn.Linear(8, 2)), [8], "0 (Sigmoid)", "raw input")
    refused(nn.Sequential(nn.MaxPool2d(2), nn.Flatten()), [3, 8, 8], "quantized nothing")
    refused(mlp(), [784], "quantize must be 'int8'", quantize="int4")
    for calibration, fragment in ((None, "needs calibration data"),
                                  (torch.randn(4, 3), "expected float32 [N, 784]"),
                                  (torch.randn(4, 784).double(), "torch.float64")):
        try:
            export(mlp(), [784], "M", quantize="int8", calibration=calibration,
                   weights_attr="m.safetensors")
        except ExportError as exc:
            assert fragment in str(exc), str(exc)
        else:
            raise AssertionError(f"calibration {calibration!r} was accepted")
    try:
        export(mlp(), [784], "M", quantize="int8", calibration=torch.randn(4, 784))
    except ExportError as exc:
        assert "give path" in str(exc)
    else:
        raise AssertionError("an int8 export without a weights path was accepted")


def test_int8_export_api_and_command_line() -> None:
    torch.manual_seed(6)
    model = mlp()
    x = torch.randn(16, 784)
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp) / "a.safetensors", Path(tmp) / "b.safetensors"
        text = export(model, [784], "Mlp", a, quantize="int8", calibration=x)
        assert f'#[staticnn(quantized = "int8", weights = "{a}")]' in text
        export(model, [784], "Mlp", b, quantize="int8", calibration=x)
        assert a.read_bytes() == b.read_bytes(), "int8 export is not byte-identical"

        models = Path(tmp) / "models_for_int8_cli.py"
        models.write_text(
            "import torch, torch.nn as nn\n"
            "def make():\n"
            "    torch.manual_seed(6)\n"
            "    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))\n"
        )
        calibration = Path(tmp) / "calibration.pt"
        torch.save(x, calibration)
        inputs = Path(tmp) / "inputs.safetensors"
        from safetensors.torch import save_file
        save_file({"input": x[:3].contiguous()}, str(inputs))
        out, reference = Path(tmp) / "cli.safetensors", Path(tmp) / "io.safetensors"
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout):
            status = exporter.main([
                f"{models}:make", "--input-shape", "784", "--name", "Mlp", "--out", str(out),
                "--quantize", "int8", "--calibration", str(calibration),
                "--weights-attr", "w/mlp_int8.safetensors",
                "--reference-inputs", str(inputs), "--reference-out", str(reference)])
        assert status == 0
        assert stdout.getvalue() == MLP_TEXT.replace(
            "network! {\n", 'network! {\n    #[staticnn(quantized = "int8", weights = '
            '"w/mlp_int8.safetensors")]\n') + "\n", stdout.getvalue()
        assert out.read_bytes() == a.read_bytes()
        ref = _read_safetensors(reference)
        assert sorted(ref) == ["0.output_int8", "2.output_int8", "input", "input_int8",
                               "output", "output_int8"]
        assert ref["output_int8"].dtype == torch.int8 and ref["output"].shape == (3, 10)
        stderr = io.StringIO()
        with contextlib.redirect_stderr(stderr):
            status = exporter.main([f"{models}:make", "--input-shape", "784", "--name", "Mlp",
                                    "--quantize", "int8"])
        assert status == 2 and "needs --calibration" in stderr.getvalue()


# --------------------------------------------------------------------------------------------


def main() -> int:
    """Runs every test; prints one line per test; returns the number of failures."""
    tests = [(name, fn) for name, fn in globals().items() if name.startswith("test_")]
    failures = 0
    for name, fn in tests:
        try:
            fn()
        except Exception:  # report every failure, keep going
            failures += 1
            print(f"FAIL {name}")
            traceback.print_exc()
        else:
            print(f"ok   {name}")
    print(f"{len(tests) - failures} passed, {failures} failed")
    return failures


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
