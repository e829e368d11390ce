#!/usr/bin/env python3
"""PyTorch fixtures for branching networks: residual adds, concatenations, multiplies, blocks.

Each case is a PyTorch module written the way a user writes it (attributes, ``forward`` with
``+``, ``torch.cat`` and ``*``) whose ``state_dict`` keys are the ones ``network!`` gives the
matching declaration in ``tests/graphs.rs``. For each case this writes
``tests/fixtures/graph/<case>.safetensors`` in the format of ``tools/gen_fixtures.py``
(``input`` and ``output`` without the batch dimension, every ``state_dict`` tensor as
``param.<key>``, metadata ``state_dict_keys``, ``repr``, ...), with batch-norm statistics and
affine parameters randomised so that folding mistakes show.

Run ``python3 tools/gen_graph_fixtures.py`` from the repository root; it is deterministic.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gen_fixtures import write_safetensors  # noqa: E402  (the shared, reproducible writer)

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "graph"


class ResidualIdentity(nn.Module):
    """``y = x + conv2(relu(conv1(x)))``, then ReLU."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(4, 4, 3, padding=1)
        self.conv2 = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        return F.relu(x + self.conv2(F.relu(self.conv1(x))))


class BasicBlock(nn.Module):
    """ResNet's basic block: conv-BN-ReLU-conv-BN plus the shortcut (a strided 1x1 projection
    without BN when the shape changes, as in MLPerf Tiny's Keras ResNet-8), then ReLU."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride=stride) if stride != 1 else nn.Identity()

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x))


class ResidualProjection(nn.Module):
    """One basic block with a strided projection shortcut."""

    def __init__(self):
        super().__init__()
        self.block = BasicBlock(4, 8, stride=2)

    def forward(self, x):
        return self.block(x)


class ResNet8(nn.Module):
    """MLPerf Tiny's image classifier: conv 3->16 + BN + ReLU, three stacks of 16, 32, 64
    channels with strides 1, 2, 2, average pool 8, Linear(64, 10)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.stack1 = BasicBlock(16, 16, 1)
        self.stack2 = BasicBlock(16, 32, 2)
        self.stack3 = BasicBlock(32, 64, 2)
        self.pool = nn.AvgPool2d(8)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.stack3(self.stack2(self.stack1(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


class CatBranches(nn.Module):
    """Inception-like: three branches concatenated along the channels."""

    def __init__(self):
        super().__init__()
        self.branch1 = nn.Conv2d(3, 4, 1)
        self.branch2 = nn.Sequential(nn.Conv2d(3, 2, 1), nn.ReLU(), nn.Conv2d(2, 5, 3, padding=1))
        self.branch3 = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(3, 3, 1))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x)], dim=1)


class CatWithInput(nn.Module):
    """DenseNet-like: the input concatenated with a convolution of it."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 5, 3, padding=1)

    def forward(self, x):
        return torch.cat([x, F.relu(self.conv(x))], dim=1)


class SqueezeExcite(nn.Module):
    """``x * sigmoid(fc2(relu(fc1(avgpool(x)))))`` with 1x1 convolutions as the FC layers."""

    def __init__(self, channels: int = 8, reduced: int = 2):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, reduced, 1)
        self.fc2 = nn.Conv2d(reduced, channels, 1)

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        s = torch.sigmoid(self.fc2(F.relu(self.fc1(s))))
        return x * s


class SqueezeExciteNet(nn.Module):
    """A convolution, then a squeeze-and-excitation block."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.se = SqueezeExcite(8, 2)

    def forward(self, x):
        return self.se(F.relu(self.conv(x)))


class InvertedResidual(nn.Module):
    """MobileNetV2's block (flat ``conv`` Sequential): 1x1 expand + BN + ReLU6, 3x3 depthwise +
    BN + ReLU6, 1x1 project + BN; added to the input when stride is 1 and channels agree."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int, se: bool = False):
        super().__init__()
        hidden = cin * expand
        layers = [
            nn.Conv2d(cin, hidden, 1, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(),
            nn.Conv2d(hidden, hidden, 3, stride=stride, padding=1, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden),
            nn.ReLU6(),
        ]
        self.use_res = stride == 1 and cin == cout
        self.conv = nn.Sequential(*layers)
        self.se = SqueezeExcite(hidden, max(1, hidden // 4)) if se else None
        self.project = nn.Sequential(nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.conv(x)
        if self.se is not None:
            y = self.se(y)
        y = self.project(y)
        return x + y if self.use_res else y


class MobileNetV2Like(nn.Module):
    """A small MobileNetV2-style net: stem, inverted residual blocks (two with the residual
    add, one with squeeze-and-excitation), global pooling, classifier."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU6()),
            InvertedResidual(8, 8, 1, 2),
            InvertedResidual(8, 16, 2, 3),
            InvertedResidual(16, 16, 1, 3, se=True),
            InvertedResidual(16, 16, 1, 2),
        )
        self.classifier = nn.Linear(16, 10)

    def forward(self, x):
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.classifier(x)


class VectorResidual(nn.Module):
    """An MLP residual: ``y = x + fc2(relu(fc1(x)))`` on vectors, then a classifier."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 20)
        self.fc2 = nn.Linear(20, 12)
        self.out = nn.Linear(12, 3)

    def forward(self, x):
        return self.out(x + self.fc2(F.relu(self.fc1(x))))


class NestedResidual(nn.Module):
    """A residual whose branch holds another residual, and an add of three branches."""

    def __init__(self):
        super().__init__()
        self.conv_a = nn.Conv2d(3, 3, 3, padding=1)
        self.conv_b = nn.Conv2d(3, 3, 3, padding=1)
        self.conv_c = nn.Conv2d(3, 3, 1)

    def forward(self, x):
        inner = x + self.conv_b(F.relu(self.conv_a(x)))
        return x + inner + self.conv_c(x)


class InputSkipToOutput(nn.Module):
    """The network's output is the add of its input and a branch (the add is the last step)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 2, 3, padding=1)

    def forward(self, x):
        return x + self.conv(x)


class MulTwoBranches(nn.Module):
    """A gated unit: ``tanh(conv_a(x)) * sigmoid(conv_b(x))`` (no broadcasting)."""

    def __init__(self):
        super().__init__()
        self.conv_a = nn.Conv2d(2, 4, 3, padding=1)
        self.conv_b = nn.Conv2d(2, 4, 3, padding=1)

    def forward(self, x):
        return torch.tanh(self.conv_a(x)) * torch.sigmoid(self.conv_b(x))


# (case name, module class, input shape without the batch dimension)
CASES = [
    ("residual_identity", ResidualIdentity, (4, 8, 8)),
    ("residual_projection", ResidualProjection, (4, 9, 9)),
    ("resnet8", ResNet8, (3, 32, 32)),
    ("cat_branches", CatBranches, (3, 7, 6)),
    ("cat_with_input", CatWithInput, (3, 5, 5)),
    ("squeeze_excite", SqueezeExciteNet, (3, 6, 6)),
    ("mobilenetv2_like", MobileNetV2Like, (3, 32, 32)),
    ("vector_residual", VectorResidual, (12,)),
    ("nested_residual", NestedResidual, (3, 6, 7)),
    ("input_skip_to_output", InputSkipToOutput, (2, 5, 5)),
    ("mul_two_branches", MulTwoBranches, (2, 5, 6)),
]


def randomize(model: nn.Module, generator: torch.Generator) -> None:
    """Batch norms get statistics and affine parameters far from the identity."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(n, generator=generator) * 0.5)
                m.running_var.copy_(torch.rand(n, generator=generator) * 1.5 + 0.25)
                m.weight.copy_(torch.rand(n, generator=generator) + 0.5)
                m.bias.copy_(torch.randn(n, generator=generator) * 0.2)


def generate(name: str, cls, shape) -> tuple[dict, dict]:
    seed = sum(name.encode()) * 7919
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = cls().float().eval()
    randomize(model, generator)
    x = torch.randn((1, *shape), generator=generator)
    macs = []

    def count_macs(module, inputs, out):
        if isinstance(module, nn.Conv2d):
            per_output = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
            macs.append(out[0].numel() * per_output)
        elif isinstance(module, nn.Linear):
            macs.append(module.in_features * module.out_features)

    hooks = [m.register_forward_hook(count_macs) for m in model.modules()]
    with torch.no_grad():
        y = model(x)
    for hook in hooks:
        hook.remove()
    with torch.no_grad():
        y64 = cls().double().eval()
        y64.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
        y64 = y64(x.double())
    worst = float((y.double() - y64).abs().max())
    tensors = {"input": x[0].clone(), "output": y[0].clone()}
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    for key, value in state.items():
        tensors[f"param.{key}"] = value.detach().float().clone()
    metadata = {
        "case": name,
        "description": (cls.__doc__ or "").split("\n")[0],
        # PyTorch prints a module's class names, which network! cannot know: the graph tests
        # compare the module tree of `Display` with their own expected text instead.
        "repr": str(model),
        "repr_check": "skip",
        "macs": str(sum(macs)),
        "trainable_params": str(sum(p.numel() for p in model.parameters())),
        "input_shape": json.dumps(list(shape)),
        "output_shape": json.dumps(list(y.shape[1:])),
        "state_dict_keys": json.dumps(list(state.keys())),
        "batch": "none",
        "seed": str(seed),
        "torch_version": torch.__version__,
        "max_abs_err_vs_float64": f"{worst:.3e}",
        "layout": "no batch dimension; state_dict tensors under param.<key>",
    }
    return tensors, metadata


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, cls, shape in CASES:
        tensors, metadata = generate(name, cls, shape)
        write_safetensors(OUT / f"{name}.safetensors", tensors, metadata)
        print(f"{name}: output {metadata['output_shape']}, "
              f"{len(json.loads(metadata['state_dict_keys']))} tensors, "
              f"float32 vs float64 {metadata['max_abs_err_vs_float64']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
