"""Writes the fixtures of tests/load_safetensors.rs (run from this folder; needs torch, safetensors).

tiny_cnn.safetensors     the state_dict of the model below, as `save_file` writes it
tiny_cnn_io.safetensors  an input `x` [1, 12, 12] and the model's output `y` [10] for it
"""
import torch
from torch import nn
from safetensors.torch import save_file

torch.manual_seed(7)
model = nn.Sequential(
    nn.Conv2d(1, 4, 3),
    nn.ReLU(),
    nn.MaxPool2d(2),
    nn.Conv2d(4, 8, 3, padding=1, bias=False),
    nn.Flatten(),
    nn.Linear(200, 10),
).eval()
save_file(model.state_dict(), "tiny_cnn.safetensors", metadata={"format": "pt"})

x = torch.rand(1, 1, 12, 12)
with torch.no_grad():
    y = model(x)
save_file({"x": x[0].contiguous(), "y": y[0].contiguous()}, "tiny_cnn_io.safetensors")
