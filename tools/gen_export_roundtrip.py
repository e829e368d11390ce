"""Round-trips the tutorial networks through tools/export.py, for tests/export_roundtrip.rs.

    python3 tools/gen_export_roundtrip.py

For each net (LeNet, the CIFAR-10 classifier, the MLP, and the tutorial's `model1` nesting) it
initialises a PyTorch model with a fixed seed, exports it with `export.export` (the
`.safetensors` file and the `network!` declaration with the weights compiled in), and records
an input with PyTorch's output. The Rust test includes each declaration verbatim, so the
macro checks every exported tensor name and shape, and compares the outputs.
"""

from collections import OrderedDict
from pathlib import Path
import sys

import torch
from safetensors.torch import save_file

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "export"
sys.path.insert(0, str(ROOT / "tools"))
from export import export  # noqa: E402


def lenet() -> torch.nn.Module:
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(400, 120), torch.nn.ReLU(),
        torch.nn.Linear(120, 84), torch.nn.ReLU(),
        torch.nn.Linear(84, 10),
    )


def cifar10() -> torch.nn.Module:
    return torch.nn.Sequential(OrderedDict([
        ("0", torch.nn.Conv2d(3, 32, 5, 1, 2)), ("1", torch.nn.MaxPool2d(2)),
        ("2", torch.nn.Conv2d(32, 32, kernel_size=5, padding=2)), ("3", torch.nn.MaxPool2d(2)),
        ("conv3", torch.nn.Conv2d(32, 64, 5, 1, 2)), ("5", torch.nn.MaxPool2d(2)),
        ("6", torch.nn.Flatten()), ("7", torch.nn.Linear(1024, 64)), ("8", torch.nn.Linear(64, 10)),
    ]))


def mlp() -> torch.nn.Module:
    return torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10))


class Model1(torch.nn.Module):
    """The tutorial's nesting: the chain lives in an attribute, so keys are `model1.0.weight`."""

    def __init__(self) -> None:
        super().__init__()
        self.model1 = mlp()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model1(x)


NETS = [
    ("LeNet", "lenet", lenet, [1, 32, 32]),
    ("Cifar10Net", "cifar10", cifar10, [3, 32, 32]),
    ("Mlp", "mlp", mlp, [784]),
    ("Model1", "model1", Model1, [784]),
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for index, (name, stem, make, shape) in enumerate(NETS):
        torch.manual_seed(100 + index)
        model = make().eval()
        text = export(model, shape, name, OUT / f"{stem}.safetensors",
                      weights_attr=f"tests/export/{stem}.safetensors",
                      doc=f"{name}, exported by tools/export.py (tools/gen_export_roundtrip.py).")
        (OUT / f"{stem}.rs").write_text(text + "\n")
        x = torch.randn(1, *shape)
        with torch.no_grad():
            y = model(x)
        save_file({"input": x[0].contiguous(), "output": y[0].contiguous()},
                  OUT / f"{stem}_io.safetensors")
        print(text)


if __name__ == "__main__":
    main()
