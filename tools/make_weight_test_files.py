"""Writes the small .safetensors files that test compile-time weights (tests/weights/).

    python3 tools/make_weight_test_files.py

`tiny.safetensors` holds the trained state_dict of `TinyNet` (see tests/compiled_weights.rs),
`tiny_io.safetensors` an input and PyTorch's output for it. The other files are broken on
purpose, one mistake each, for the compile-fail cases in tests/ui/.
"""

from collections import OrderedDict
from pathlib import Path

import torch
from safetensors.torch import save_file

OUT = Path(__file__).resolve().parent.parent / "tests" / "weights"


def tiny_net() -> torch.nn.Sequential:
    torch.manual_seed(7)
    net = torch.nn.Sequential(OrderedDict([
        ("conv", torch.nn.Conv2d(1, 4, 3)),
        ("bn", torch.nn.BatchNorm2d(4)),
        ("2", torch.nn.ReLU()),
        ("3", torch.nn.MaxPool2d(2)),
        ("4", torch.nn.Flatten()),
        ("fc", torch.nn.Linear(36, 5)),
    ]))
    # Non-trivial running statistics, as after training.
    with torch.no_grad():
        net.bn.running_mean.uniform_(-0.5, 0.5)
        net.bn.running_var.uniform_(0.5, 2.0)
        net.bn.weight.uniform_(0.5, 1.5)
        net.bn.bias.uniform_(-0.2, 0.2)
    return net.eval()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    net = tiny_net()
    state = {k: v.contiguous() for k, v in net.state_dict().items()}
    save_file(state, OUT / "tiny.safetensors")
    x = torch.linspace(-1.0, 1.0, 64).reshape(1, 1, 8, 8)
    with torch.no_grad():
        y = net(x)
    save_file({"input": x[0].contiguous(), "output": y[0].contiguous()}, OUT / "tiny_io.safetensors")

    # One mistake per file.
    wrong_shape = dict(state)
    wrong_shape["fc.weight"] = torch.zeros(5, 40)
    save_file(wrong_shape, OUT / "wrong_shape.safetensors")
    missing = {k: v for k, v in state.items() if k != "conv.bias"}
    save_file(missing, OUT / "missing_tensor.safetensors")
    wrong_dtype = dict(state)
    wrong_dtype["conv.weight"] = state["conv.weight"].double()
    save_file(wrong_dtype, OUT / "wrong_dtype.safetensors")
    extra = dict(state)
    extra["head.weight"] = torch.zeros(2, 5)
    save_file(extra, OUT / "extra_tensor.safetensors")
    (OUT / "not_safetensors.safetensors").write_bytes(b"this is not a safetensors file\n")


if __name__ == "__main__":
    main()
