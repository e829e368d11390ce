#!/usr/bin/env python3
"""Train a small CNN on scikit-learn's handwritten digits and export it for staticnn.

Run from anywhere: ``python3 tools/train_digits.py`` (CPU, a few seconds). It writes, into
``examples/digits/`` (or ``--out-dir``):

``digits.safetensors``
    The trained weights, written by ``tools/export.py`` (float32, exact ``state_dict`` keys).
``network.rs.txt``
    The ``network!`` declaration ``tools/export.py`` produced for the model.
``test_set.bin``
    The held-out test images and labels, format below.
``torch_logits.bin``
    PyTorch's float32 logits and predicted class for every test image, format below.
``README.md``
    The accuracy, the declaration, these formats, and how to regenerate.

Data: ``sklearn.datasets.load_digits`` (1797 grey 8x8 images, pixel values 0..16, labels
0..9), scaled to 0..1 by dividing by 16 in float32 (exact: every value is k/16), shaped
[1, 8, 8]. A stratified 80/20 split with a fixed seed gives 1437 training and 360 test images.

Both binary files are little-endian, with no padding or alignment:

``test_set.bin``::

    offset 0   4 bytes   magic b"DGTS"
    offset 4   u32       count  (number of images, 360)
    offset 8   u32       C      (1)
    offset 12  u32       H      (8)
    offset 16  u32       W      (8)
    offset 20  count records of 1 + 4*C*H*W bytes, each:
                 u8        label (0..9)
                 C*H*W f32 pixels in C, H, W order (row-major, as torch's [C, H, W])

``torch_logits.bin``::

    offset 0   4 bytes   magic b"DGLG"
    offset 4   u32       count    (same as test_set.bin, same order)
    offset 8   u32       classes  (10)
    offset 12  count records of 1 + 4*classes bytes, each:
                 u8          predicted class (torch.argmax: the first maximum)
                 classes f32 logits (the network's output, before any softmax)

Determinism: fixed seeds for Python, NumPy, torch and the split; ``torch.use_deterministic_
algorithms(True)``; one CPU thread. Running the script twice on the same machine and library
versions writes byte-identical files (checked with ``--check-determinism``, which trains twice
in one process and compares the bytes).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import random
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from safetensors.torch import load_file
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

sys.path.insert(0, str(Path(__file__).resolve().parent))

from export import export  # noqa: E402  (after the sys.path line above)

SEED = 0
TEST_FRACTION = 0.2
EPOCHS = 40
BATCH_SIZE = 32
LEARNING_RATE = 3e-3
INPUT_SHAPE = [1, 8, 8]
STRUCT_NAME = "DigitsNet"
STRUCT_DOC = "A digit classifier for scikit-learn's 8x8 handwritten digits (tools/train_digits.py)."

TEST_SET_MAGIC = b"DGTS"
LOGITS_MAGIC = b"DGLG"
REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT_DIR = REPO / "examples" / "digits"


@dataclass
class Split:
    """The data, as float32 [N, 1, 8, 8] images in 0..1 and int64 labels."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


def make_deterministic(seed: int) -> None:
    """Seeds every random generator used and makes torch deterministic on one thread."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)


def load_split(seed: int) -> Split:
    """The digits data set, scaled to 0..1, split 80/20 stratified by label."""
    digits = load_digits()
    images = (digits.images.astype(np.float32) / np.float32(16.0)).reshape(-1, *INPUT_SHAPE)
    labels = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=TEST_FRACTION, stratify=labels, random_state=seed
    )
    return Split(*(torch.from_numpy(np.ascontiguousarray(a)) for a in
                   (x_train, y_train, x_test, y_test)))


def build_model() -> nn.Sequential:
    """The classifier: two 3x3 convolutions with pooling, then one linear layer (6,090
    parameters)."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),   # [16, 8, 8]
        nn.ReLU(),
        nn.MaxPool2d(2),                  # [16, 4, 4]
        nn.Conv2d(16, 32, 3, padding=1),  # [32, 4, 4]
        nn.ReLU(),
        nn.MaxPool2d(2),                  # [32, 2, 2]
        nn.Flatten(),                     # [128]
        nn.Linear(128, 10),
    )


def train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, seed: int) -> float:
    """Trains with Adam and cross-entropy on shuffled mini-batches; returns the last epoch's
    mean loss."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    mean_loss = float("nan")
    for _ in range(EPOCHS):
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for start in range(0, len(x), BATCH_SIZE):
            batch = order[start:start + BATCH_SIZE]
            optimizer.zero_grad()
            loss = loss_fn(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch)
        mean_loss = total / len(x)
    model.eval()
    return mean_loss


def logits_of(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The model's float32 outputs in eval mode."""
    model.eval()
    with torch.no_grad():
        return model(x)


def test_set_bytes(x: torch.Tensor, y: torch.Tensor) -> bytes:
    """``test_set.bin``: header, then (u8 label, C*H*W f32 LE pixels) per image."""
    count, c, h, w = x.shape
    out = bytearray(TEST_SET_MAGIC + struct.pack("<4I", count, c, h, w))
    pixels = x.numpy().astype("<f4").reshape(count, -1)
    for label, image in zip(y.tolist(), pixels):
        out += struct.pack("<B", label) + image.tobytes()
    return bytes(out)


def logits_bytes(logits: torch.Tensor, predicted: torch.Tensor) -> bytes:
    """``torch_logits.bin``: header, then (u8 predicted class, classes f32 LE logits) per
    image."""
    count, classes = logits.shape
    out = bytearray(LOGITS_MAGIC + struct.pack("<2I", count, classes))
    values = logits.numpy().astype("<f4")
    for cls, row in zip(predicted.tolist(), values):
        out += struct.pack("<B", cls) + row.tobytes()
    return bytes(out)


@dataclass
class Result:
    """What one training run produced (file contents and numbers for the README)."""

    files: dict[str, bytes]
    declaration: str
    accuracy: float
    correct: int
    train_size: int
    test_size: int
    params: int
    final_loss: float
    min_margin: float
    max_f64_deviation: float


def run(out_dir: Path, seed: int = SEED) -> Result:
    """Trains, evaluates and exports; writes the files into ``out_dir``."""
    make_deterministic(seed)
    data = load_split(seed)
    model = build_model()
    final_loss = train(model, data.x_train, data.y_train, seed)

    logits = logits_of(model, data.x_test)
    predicted = logits.argmax(dim=1)
    correct = int((predicted == data.y_test).sum())

    out_dir.mkdir(parents=True, exist_ok=True)
    weights = out_dir / "digits.safetensors"
    declaration = export(model, INPUT_SHAPE, STRUCT_NAME, weights, doc=STRUCT_DOC)
    check_reload(weights, data.x_test, logits)

    top2 = logits.topk(2, dim=1).values
    min_margin = float((top2[:, 0] - top2[:, 1]).min())
    reference = logits_of(copy.deepcopy(model).double(), data.x_test.double())
    deviation = (logits.double() - reference).abs() / (1 + reference.abs())

    files = {
        "digits.safetensors": weights.read_bytes(),
        "network.rs.txt": (declaration + "\n").encode(),
        "test_set.bin": test_set_bytes(data.x_test, data.y_test),
        "torch_logits.bin": logits_bytes(logits, predicted),
    }
    check_binary_files(files, data, logits, predicted)
    result = Result(
        files=files,
        declaration=declaration,
        accuracy=correct / len(data.y_test),
        correct=correct,
        train_size=len(data.y_train),
        test_size=len(data.y_test),
        params=sum(p.numel() for p in model.parameters()),
        final_loss=final_loss,
        min_margin=min_margin,
        max_f64_deviation=float(deviation.max()),
    )
    files["README.md"] = readme(result).encode()
    for name, content in files.items():
        (out_dir / name).write_bytes(content)
    return result


def read_records(blob: bytes, magic: bytes, header_u32s: int, values: int):
    """Parses a file in this script's format independently of the writer: yields
    ``(u8 field, float32 array of `values`)`` per record after checking magic and length."""
    if blob[:4] != magic:
        raise RuntimeError(f"expected magic {magic!r}, found {blob[:4]!r}")
    header = 4 + 4 * header_u32s
    count = struct.unpack_from("<I", blob, 4)[0]
    record = 1 + 4 * values
    if len(blob) != header + count * record:
        raise RuntimeError(f"expected {header + count * record} bytes, found {len(blob)}")
    for i in range(count):
        at = header + i * record
        yield blob[at], np.frombuffer(blob, dtype="<f4", count=values, offset=at + 1)


def check_binary_files(files: dict[str, bytes], data: Split, logits: torch.Tensor,
                       predicted: torch.Tensor) -> None:
    """Reads ``test_set.bin`` and ``torch_logits.bin`` back and checks they hold exactly the
    test images, labels, logits and predictions."""
    pixels = data.x_test[0].numel()
    images = list(read_records(files["test_set.bin"], TEST_SET_MAGIC, 4, pixels))
    outputs = list(read_records(files["torch_logits.bin"], LOGITS_MAGIC, 2, logits.shape[1]))
    if len(images) != len(data.y_test) or len(outputs) != len(data.y_test):
        raise RuntimeError("the binary files do not hold one record per test image")
    for i, ((label, image), (cls, row)) in enumerate(zip(images, outputs)):
        if (label != data.y_test[i] or cls != predicted[i]
                or not np.array_equal(image, data.x_test[i].numpy().reshape(-1))
                or not np.array_equal(row, logits[i].numpy())):
            raise RuntimeError(f"record {i} of the binary files does not read back correctly")


def check_reload(weights: Path, x: torch.Tensor, logits: torch.Tensor) -> None:
    """Loads the written weights into a fresh model and checks it reproduces ``logits``
    exactly, so the file is known to hold the trained network."""
    fresh = build_model()
    fresh.load_state_dict(load_file(str(weights)))
    again = logits_of(fresh, x)
    if not torch.equal(again, logits):
        raise RuntimeError(
            f"{weights} does not reproduce the trained model's logits (max difference "
            f"{(again - logits).abs().max():.3g}); the export is broken"
        )


def readme(r: Result) -> str:
    """The README of examples/digits, with this run's numbers."""
    sizes = "\n".join(
        f"| `{name}` | {len(content):,} |" for name, content in sorted(r.files.items())
    )
    return f"""\
# Handwritten digits: a trained network and its PyTorch reference outputs

Generated by `python3 tools/train_digits.py` (do not edit by hand; rerun the script).

A small CNN trained with PyTorch on scikit-learn's handwritten digits
(`sklearn.datasets.load_digits`: 1,797 grey 8x8 images, pixels 0..16, labels 0..9), exported
with `tools/export.py`. A staticnn test can load the weights, run every test image, and compare
its logits and predicted classes with PyTorch's.

## Result

- Network: {r.params:,} parameters (declaration below).
- Data: pixels divided by 16 (float32, exact), shape `[1, 8, 8]`; stratified 80/20 split with
  seed {SEED}: **{r.train_size:,} training images, {r.test_size} test images**.
- Training: Adam (lr {LEARNING_RATE}), cross-entropy, batch {BATCH_SIZE}, {EPOCHS} epochs,
  seed {SEED}, `torch.use_deterministic_algorithms(True)`, one thread. Final training loss
  {r.final_loss:.4f}.
- **Test accuracy: {r.accuracy * 100:.2f} % ({r.correct} / {r.test_size})**.
- Smallest gap between the top two logits of a test image: {r.min_margin:.4f} (so a correct
  implementation cannot flip a predicted class through rounding).
- PyTorch's float32 logits differ from a float64 evaluation of the same weights by at most
  {r.max_f64_deviation:.2e} x (1 + |logit|), well inside the tolerance below.

Generated with torch {torch.__version__}, numpy {np.__version__}, scikit-learn
{sklearn_version()}. Rerunning the script with the same versions on the same machine rewrites
these files byte for byte; other CPUs or versions may train to slightly different weights.

## The network

`network.rs.txt`, exactly as `tools/export.py` printed it:

```rust
{r.declaration}
```

## Files

| file | bytes |
|---|---:|
{sizes}

- `digits.safetensors`: the weights, float32, under their `state_dict` keys (`0.weight`,
  `0.bias`, `3.weight`, `3.bias`, `7.weight`, `7.bias`).
- `test_set.bin`: the {r.test_size} test images and labels.
- `torch_logits.bin`: PyTorch's logits and predicted class for each test image, same order.
- `network.rs.txt`: the declaration above.

## Binary formats

All integers and floats are **little-endian**; there is no padding, so floats are not aligned
(read them with `f32::from_le_bytes` on 4-byte slices). Pixels are in `[C, H, W]` row-major
order, as in PyTorch.

### `test_set.bin`

| offset | type | field |
|---:|---|---|
| 0 | 4 bytes | magic `DGTS` |
| 4 | u32 | `count` (number of images) |
| 8 | u32 | `C` (1) |
| 12 | u32 | `H` (8) |
| 16 | u32 | `W` (8) |
| 20 | `count` records | |

Each record is `1 + 4*C*H*W` bytes (257): a `u8` label (0..9), then `C*H*W` `f32` pixels.
Record `i` starts at `20 + i * (1 + 4*C*H*W)`. File size: `20 + count * 257`.

### `torch_logits.bin`

| offset | type | field |
|---:|---|---|
| 0 | 4 bytes | magic `DGLG` |
| 4 | u32 | `count` (same as `test_set.bin`) |
| 8 | u32 | `classes` (10) |
| 12 | `count` records | |

Each record is `1 + 4*classes` bytes (41): a `u8` predicted class (`argmax`, the first index
on ties), then `classes` `f32` logits (raw network outputs, no softmax). Record `i` belongs to
image `i` of `test_set.bin`. File size: `12 + count * 41`.

## Reading them in Rust

A reader checks the magic, reads the `u32` header fields with `u32::from_le_bytes`, checks the
file length, then walks the records:

```rust
fn u32_at(b: &[u8], at: usize) -> u32 {{
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}}
fn f32s(b: &[u8]) -> impl Iterator<Item = f32> + '_ {{
    b.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap()))
}}

let set = include_bytes!("test_set.bin");
assert_eq!(&set[0..4], b"DGTS");
let (count, c, h, w) = (u32_at(set, 4), u32_at(set, 8), u32_at(set, 12), u32_at(set, 16));
let pixels = (c * h * w) as usize;
let record = 1 + 4 * pixels;
assert_eq!(set.len(), 20 + count as usize * record);
for i in 0..count as usize {{
    let r = &set[20 + i * record..][..record];
    let label = r[0];
    let image: Vec<f32> = f32s(&r[1..]).collect(); // C*H*W values
}}

let logits = include_bytes!("torch_logits.bin");
assert_eq!(&logits[0..4], b"DGLG");
let classes = u32_at(logits, 8) as usize;
let record = 1 + 4 * classes;
// record i: predicted = logits[12 + i*record], then `classes` f32 values
```

Suggested check per image: every logit within `|got - want| <= 1e-5 * (1 + |want|)` of
PyTorch's, and the same predicted class (first maximum).

## Regenerating

```sh
python3 tools/train_digits.py                       # writes examples/digits/
python3 tools/train_digits.py --check-determinism   # trains twice, compares the bytes
```
"""


def sklearn_version() -> str:
    """scikit-learn's version string."""
    import sklearn

    return sklearn.__version__


def digest(files: dict[str, bytes]) -> dict[str, str]:
    """SHA-256 of each file's content, for comparing runs."""
    return {name: hashlib.sha256(content).hexdigest() for name, content in files.items()}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR,
                        help=f"where to write the files (default: {DEFAULT_OUT_DIR})")
    parser.add_argument("--check-determinism", action="store_true",
                        help="train twice and check that the files are byte-identical")
    args = parser.parse_args(argv)

    result = run(args.out_dir)
    print(result.declaration)
    print(f"train images: {result.train_size}, test images: {result.test_size}, "
          f"parameters: {result.params}")
    print(f"test accuracy: {result.accuracy * 100:.2f} % ({result.correct}/{result.test_size})")
    print(f"smallest top-2 logit gap: {result.min_margin:.4f}; float32 vs float64 deviation: "
          f"{result.max_f64_deviation:.2e} x (1 + |logit|)")
    for name, content in sorted(result.files.items()):
        print(f"wrote {args.out_dir / name} ({len(content):,} bytes)")
    if args.check_determinism:
        again = run(args.out_dir)
        first, second = digest(result.files), digest(again.files)
        if first != second:
            differing = sorted(n for n in first if first[n] != second.get(n))
            print(f"NOT deterministic: {differing} differ between two runs", file=sys.stderr)
            return 1
        print("determinism: a second run wrote byte-identical files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
