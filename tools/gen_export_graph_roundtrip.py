"""Round-trips branching networks through tools/export.py, for tests/export_graph_roundtrip.rs.

    python3 tools/gen_export_graph_roundtrip.py

For each net (MLPerf Tiny's ResNet-8 and the MobileNetV2-style net with squeeze-and-excitation
of tools/gen_graph_fixtures.py, small Cat and Mul cases from there, and a torchvision-style
ResNet written below: blocks in nn.Sequential stages, `out += identity`, one ReLU module
called twice per block, a Sequential `downsample`; and a residual network exported from an
attribute of its model, with a key prefix) it initialises the PyTorch model with a
fixed seed and random batch-norm statistics, exports it with `export.export` (the
`.safetensors` file and the `network!` declaration with the weights compiled in), and records
an input with PyTorch's output. It writes into tests/export/:

* `<stem>.rs`: the declaration exactly as the exporter printed it;
* `<stem>.safetensors`: the weights the exporter wrote;
* `<stem>_io.safetensors`: `input` and PyTorch's `output`, without the batch dimension.

The Rust test includes each declaration verbatim, so the macro checks every exported tensor's
name and shape, and compares the outputs; tools/test_export.py checks that re-running the
exporter reproduces the committed `.rs` and weights byte for byte.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch
from safetensors.torch import save_file
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "export"
sys.path.insert(0, str(ROOT / "tools"))
import gen_graph_fixtures as graphs  # noqa: E402
from export import export  # noqa: E402


class TvBasicBlock(nn.Module):
    """torchvision's BasicBlock, as written there: `self.relu` called twice, `out +=
    identity`, an optional `downsample` Sequential (conv 1x1 + BN)."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class TvResNet(nn.Module):
    """A small torchvision-style ResNet: stem with max pooling, two stages of two blocks in
    nn.Sequential, adaptive average pooling, a classifier."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = nn.Sequential(TvBasicBlock(8, 8), TvBasicBlock(8, 8))
        self.layer2 = nn.Sequential(TvBasicBlock(8, 16, 2), TvBasicBlock(16, 16))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class Holder(nn.Module):
    """A model whose residual network is its attribute ``body``; exported with
    ``submodule="body"``, so the declaration carries ``#[staticnn(prefix = "body")]``."""

    def __init__(self):
        super().__init__()
        self.body = graphs.ResidualIdentity()
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.body(x).mean((2, 3)))


# (struct name, file stem, module class, input shape without the batch dimension, export's
# `submodule`)
NETS = [
    ("ResNet8", "resnet8", graphs.ResNet8, [3, 32, 32], None),
    ("MobileNetV2Like", "mobilenetv2_like", graphs.MobileNetV2Like, [3, 32, 32], None),
    ("CatBranches", "cat_branches", graphs.CatBranches, [3, 7, 6], None),
    ("CatWithInput", "cat_with_input", graphs.CatWithInput, [3, 5, 5], None),
    ("SqueezeExcite", "squeeze_excite", graphs.SqueezeExciteNet, [3, 6, 6], None),
    ("MulTwoBranches", "mul_two_branches", graphs.MulTwoBranches, [2, 5, 6], None),
    ("TvResNet", "tv_resnet", TvResNet, [3, 16, 16], None),
    ("HolderBody", "holder_body", Holder, [4, 8, 8], "body"),
]


def build(index: int) -> nn.Module:
    """Net ``index`` of :data:`NETS` with its seeded weights and batch-norm statistics."""
    _, _, make, _, _ = NETS[index]
    torch.manual_seed(300 + index)
    model = make().float().eval()
    graphs.randomize(model, torch.Generator().manual_seed(400 + index))
    return model


def export_net(index: int, out: Path) -> str:
    """Exports net ``index`` into ``out`` (``<stem>.rs`` and ``<stem>.safetensors``); returns
    the declaration."""
    name, stem, _, shape, submodule = NETS[index]
    text = export(build(index), shape, name, out / f"{stem}.safetensors", submodule=submodule,
                  weights_attr=f"tests/export/{stem}.safetensors",
                  doc=f"{name}, exported by tools/export.py "
                      "(tools/gen_export_graph_roundtrip.py).")
    (out / f"{stem}.rs").write_text(text + "\n")
    return text


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for index, (_, stem, _, shape, submodule) in enumerate(NETS):
        text = export_net(index, OUT)
        model = build(index)
        model = model.get_submodule(submodule) if submodule else model
        x = torch.randn(1, *shape, generator=torch.Generator().manual_seed(500 + index))
        with torch.no_grad():
            y = model(x)
        save_file({"input": x[0].contiguous(), "output": y[0].contiguous()},
                  str(OUT / f"{stem}_io.safetensors"))
        print(text)


if __name__ == "__main__":
    main()
