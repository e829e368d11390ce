#!/usr/bin/env python3
"""Generates `tests/fixtures/big_nets.safetensors`, the PyTorch fixture of `tests/big_nets.rs`:
networks and inputs too large for a thread's stack, run end to end through staticnn's heap
constructors on a thread with 256 KiB of stack.

    python3 tools/gen_big_fixtures.py            # writes the fixture (about 30 s on 2 cores)
    python3 tools/gen_big_fixtures.py --check    # regenerates in memory, compares with the file

The networks (each run on the CPU in `eval()` mode under `torch.no_grad()`, batch of one):

- `alexnet`: d2l.ai's AlexNet for 1 x 224 x 224 Fashion-MNIST (46,764,746 parameters,
  937 M multiply-accumulates): all 10 logits are kept.
- `conv`: the transposed-convolution tutorial's `Conv2d(3, 1, 3)` on a 3 x 512 x 512 image
  (output 1 x 510 x 510): a strided sample of the outputs (every 1009th element, plus the
  four corners and the middle).
- `conv_transpose`: `ConvTranspose2d(3, 1, 3, stride=2)` on the same image (output
  1 x 1025 x 1025): every 3571st element (odd, so rows and columns of both parities, where
  the stride-2 taps differ), plus the corners and the middle.

Weights cannot be committed (AlexNet's are 187 MB) and PyTorch's seeded initialisation is not
reproducible outside PyTorch, so every value is a cheap integer hash of its position, computed
bit for bit the same here (NumPy, wrapping `uint32`) and in the Rust test:

    fmix32(h):  h ^= h >> 16; h *= 0x85EBCA6B; h ^= h >> 13; h *= 0xC2B2AE35; h ^= h >> 16
    key(salt, j) = (j + (salt << 27)) mod 2^32          # j: flat index, j < 2^27
    parameter:  ((fmix32(key) >> 21) - 1024) * 2^-(10 + exponent)   # in [-2^-e, 2^-e)
    input:      (fmix32(key(0, j)) >> 24) / 256                        # in [0, 1)

Every value is a small integer times a power of two, exactly representable in float32 (and
float64), so PyTorch and staticnn start from identical numbers. Parameter tensors get salts
1, 2, ... in `state_dict` order; the exponent of a weight is `round(log2(sqrt(fan_in / 6)))`
(uniform in about He's +-sqrt(6 / fan_in), so activations keep their scale through the ReLUs),
a bias one more. The fixture's metadata `<net>.params` lists `key:salt:exponent` for every
tensor (comma-separated), which is what the Rust test reads, so the recipe lives in one place.

File layout (all little-endian): `<net>.index` (I64, flat output indices), `<net>.output`
(F32, PyTorch's float32 outputs at those indices), `<net>.output_f64` (F64, the same network
and input evaluated in float64: the reference for rounding error); metadata `<net>.params`,
`<net>.input_shape`, `<net>.output_shape`, `<net>.f32_vs_f64_max_rel` (PyTorch's own float32
error against float64, `max |f32 - f64| / (1 + |f64|)` over the kept outputs), `<net>.repr`
(`str(model)`), `torch_version`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "big_nets.safetensors"
INPUT_SALT = 0


def fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, on `uint32` arrays (multiplications wrap)."""
    h = h.astype(np.uint32)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


def hashed(salt: int, count: int) -> np.ndarray:
    """`fmix32(key(salt, j))` for `j` in `0..count`."""
    assert count < 1 << 27 and salt < 32
    keys = np.arange(count, dtype=np.uint32) + np.uint32((salt << 27) & 0xFFFFFFFF)
    return fmix32(keys)


def parameter_values(salt: int, count: int, exponent: int) -> np.ndarray:
    k = (hashed(salt, count) >> np.uint32(21)).astype(np.int64) - 1024
    return k.astype(np.float64) * 2.0 ** -(10 + exponent)


def input_values(count: int) -> np.ndarray:
    return (hashed(INPUT_SALT, count) >> np.uint32(24)).astype(np.float64) / 256.0


def weight_exponent(fan_in: int) -> int:
    return round(math.log2(math.sqrt(fan_in / 6)))


def alexnet() -> nn.Sequential:
    """d2l.ai's AlexNet (chapter "Deep Convolutional Neural Networks"), 1 x 224 x 224 input."""
    return nn.Sequential(
        nn.Conv2d(1, 96, kernel_size=11, stride=4, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(96, 256, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, kernel_size=3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(),
        nn.MaxPool2d(kernel_size=3, stride=2),
        nn.Flatten(),
        nn.Linear(6400, 4096), nn.ReLU(), nn.Dropout(p=0.5),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(p=0.5),
        nn.Linear(4096, 10),
    )


def fan_in(module: nn.Module) -> int:
    if isinstance(module, nn.Linear):
        return module.in_features
    weight = module.weight
    return weight.shape[1] * math.prod(weight.shape[2:])


def fill_parameters(model: nn.Sequential) -> str:
    """Sets every parameter from the hash recipe; returns the `key:salt:exponent` list."""
    recipe = []
    modules = dict(model.named_modules())
    for salt, (key, tensor) in enumerate(model.state_dict().items(), start=1):
        layer_name, kind = key.rsplit(".", 1)
        exponent = weight_exponent(fan_in(modules[layer_name])) + (kind == "bias")
        values = parameter_values(salt, tensor.numel(), exponent).reshape(tuple(tensor.shape))
        with torch.no_grad():
            tensor.copy_(torch.from_numpy(values))
        recipe.append(f"{key}:{salt}:{exponent}")
    return ",".join(recipe)


def sample_indices(numel: int, step: int, shape: tuple[int, ...]) -> np.ndarray:
    """Every `step`-th flat index, the corners of the last two axes and the middle."""
    h, w = shape[-2], shape[-1]
    corners = [0, w - 1, (h - 1) * w, h * w - 1, (h // 2) * w + w // 2]
    return np.array(sorted(set(range(0, numel, step)) | set(corners)), dtype=np.int64)


def run(name: str, model: nn.Sequential, input_shape: tuple[int, ...], step: int | None):
    """The tensors and metadata of one network."""
    torch.manual_seed(0)  # nothing random is drawn; set for good measure
    recipe = fill_parameters(model)
    model.eval()
    x = input_values(math.prod(input_shape)).reshape((1, *input_shape))
    with torch.no_grad():
        y32 = model.float()(torch.from_numpy(x).float())[0]
        y64 = model.double()(torch.from_numpy(x))[0]
    flat32, flat64 = y32.reshape(-1), y64.reshape(-1)
    index = (np.arange(flat32.numel(), dtype=np.int64) if step is None
             else sample_indices(flat32.numel(), step, tuple(y32.shape)))
    want32 = flat32[torch.from_numpy(index)]
    want64 = flat64[torch.from_numpy(index)]
    rel = ((want32.double() - want64).abs() / (1 + want64.abs())).max().item()
    print(f"{name}: output {list(y32.shape)}, {len(index)} values kept, |y| up to "
          f"{want64.abs().max().item():.4g}; PyTorch float32 vs float64: max "
          f"|d| / (1 + |y|) = {rel:.3g}", file=sys.stderr)
    tensors = {
        f"{name}.index": index,
        f"{name}.output": want32.numpy().astype("<f4"),
        f"{name}.output_f64": want64.numpy().astype("<f8"),
    }
    metadata = {
        f"{name}.params": recipe,
        f"{name}.input_shape": json.dumps(list(input_shape)),
        f"{name}.output_shape": json.dumps(list(y32.shape)),
        f"{name}.f32_vs_f64_max_rel": f"{rel:.3e}",
        f"{name}.repr": str(model),
    }
    return tensors, metadata


def serialise(tensors: dict, metadata: dict) -> bytes:
    """A safetensors file, byte for byte reproducible (sorted metadata, tensors in order)."""
    dtypes = {np.dtype("<i8"): "I64", np.dtype("<f4"): "F32", np.dtype("<f8"): "F64"}
    header = {"__metadata__": dict(sorted(metadata.items()))}
    chunks, offset = [], 0
    for name, array in tensors.items():
        array = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
        data = array.tobytes()
        header[name] = {"dtype": dtypes[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + b"".join(chunks)


def generate() -> bytes:
    torch.set_num_threads(max(1, torch.get_num_threads()))
    tensors, metadata = {}, {"torch_version": torch.__version__.split("+")[0]}
    for name, model, shape, step in [
        ("alexnet", alexnet(), (1, 224, 224), None),
        ("conv", nn.Sequential(nn.Conv2d(3, 1, 3)), (3, 512, 512), 1009),
        ("conv_transpose", nn.Sequential(nn.ConvTranspose2d(3, 1, 3, stride=2)), (3, 512, 512),
         3571),
    ]:
        t, m = run(name, model, shape, step)
        tensors.update(t)
        metadata.update(m)
    return serialise(tensors, metadata)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed fixture instead of writing it")
    args = parser.parse_args()
    data = generate()
    if args.check:
        if FIXTURE.read_bytes() != data:
            sys.exit(f"{FIXTURE} differs from what this script generates")
        print(f"{FIXTURE}: up to date")
    else:
        FIXTURE.write_bytes(data)
        print(f"wrote {FIXTURE} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
