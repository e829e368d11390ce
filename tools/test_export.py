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
* exporting twice writes byte-identical files.
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


def test_refuses_non_chains() -> None:
    _refused(Residual(), [4], "Residual", "operator add", "residual connection")
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
    _refused(nn.Sequential(nn.Sequential(nn.Linear(4, 4)), nn.Linear(4, 2)), [4],
             "different parent modules", "0.0 (Linear)")


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
    model = nn.Sequential(OrderedDict([("5", nn.Linear(4, 4))]))
    _refused(model, [4], "'5'", "layer 0")
    try:
        export(mlp(), [784], "not a name")
    except ExportError as exc:
        assert "struct name" in str(exc)
    else:
        raise AssertionError("a bad struct name was accepted")


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
