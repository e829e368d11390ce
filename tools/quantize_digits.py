#!/usr/bin/env python3
"""Quantize the trained digits network to int8 with PyTorch and write its staticnn files.

Run from anywhere after ``tools/train_digits.py``: ``python3 tools/quantize_digits.py`` (CPU,
a few seconds). It reads the float weights ``examples/digits/digits.safetensors`` (never
writes them), quantizes the model with ``tools/export_int8.py`` (PyTorch's post-training flow:
``torch.export``, ``prepare_pt2e`` with the XNNPACK-style symmetric per-channel quantizer, one
calibration pass, ``convert_pt2e``) and writes, into ``examples/digits/`` (or ``--out-dir``):

``digits_int8.safetensors``
    The int8 weights file (``docs/int8-format.md``): int8 weights, int32 biases, per-channel
    weight scales, input and per-step output scales and zero points.
``network_int8.rs.txt``
    The declaration: the float one plus ``#[staticnn(quantized = "int8", weights = ..)]``.
``torch_int8_logits.bin``
    PyTorch's quantized model's predicted class and logits for every test image, in the
    format of ``torch_logits.bin`` with the magic ``DGQL``: ``u32 count``, ``u32 classes``,
    then per image ``u8`` predicted class (first maximum) and ``classes`` f32 logits. The
    logits are what the converted model returns: its int8 output dequantized, so every logit
    is ``(q - zero_point) * scale`` with the file's ``7.output_scale`` /
    ``7.output_zero_point`` and ``q = round(logit / scale) + zero_point`` recovers the int8
    value exactly.
``digits_int8_io.safetensors``
    For the first ``IO_IMAGES`` test images: ``input``, PyTorch's quantized ``output`` (f32),
    ``output_int8``, ``input_int8`` and each step's ``N.output_int8`` (the int8 tensors
    PyTorch's graph computes at ``0``, ``3`` and ``7``; see ``export_int8.reference_outputs``),
    to check one layer at a time.
``INT8.md``
    Accuracy, sizes, the calibration, ties and margins, how to regenerate.

Calibration: the first ``CALIBRATION_SIZE`` images of the training split (the split of
``train_digits.load_split``, already shuffled), one forward pass. Accuracy is measured on the
360-image test split, never used for calibration.
"""

from __future__ import annotations

import argparse
import hashlib
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file

sys.path.insert(0, str(Path(__file__).resolve().parent))

import export_int8  # noqa: E402  (after the sys.path line above)
import train_digits as digits  # noqa: E402

CALIBRATION_SIZE = 256
IO_IMAGES = 16
INT8_LOGITS_MAGIC = b"DGQL"
WEIGHTS_NAME = "digits_int8.safetensors"
WEIGHTS_ATTR = f"examples/digits/{WEIGHTS_NAME}"
STRUCT_DOC = (
    "The digit classifier quantized to int8 by PyTorch (tools/quantize_digits.py)."
)


@dataclass
class Result:
    """What one run produced."""

    files: dict[str, bytes]
    declaration: str
    float_correct: int
    int8_correct: int
    test_size: int
    agree: int
    """Test images where the int8 model predicts the float model's class."""
    ties: int
    """Test images whose two largest int8 logits are equal (argmax takes the first)."""
    margin_one: int
    """Test images whose two largest int8 logits differ by exactly one step."""
    margin_two: int
    """Test images whose two largest int8 logits differ by exactly two steps."""
    min_margin: int
    """The smallest difference between the two largest int8 logits of a test image, in steps."""
    max_float_steps: float
    """Largest |int8 logit - float logit| in output steps, over the test split."""
    bias_steps: int
    weight_bytes: int


def load_float_model(weights: Path) -> torch.nn.Module:
    """The trained float model from ``digits.safetensors``."""
    model = digits.build_model()
    model.load_state_dict(load_file(str(weights)))
    return model.eval()


def int8_logits_bytes(logits: torch.Tensor, predicted: torch.Tensor) -> bytes:
    """``torch_int8_logits.bin``: ``torch_logits.bin``'s layout with the magic ``DGQL``."""
    count, classes = logits.shape
    out = bytearray(INT8_LOGITS_MAGIC + struct.pack("<2I", count, classes))
    for cls, row in zip(predicted.tolist(), logits.numpy().astype("<f4")):
        out += struct.pack("<B", cls) + row.tobytes()
    return bytes(out)


def check_logits_file(blob: bytes, logits: torch.Tensor, predicted: torch.Tensor) -> None:
    """Reads ``torch_int8_logits.bin`` back with train_digits' independent reader."""
    rows = list(digits.read_records(blob, INT8_LOGITS_MAGIC, 2, logits.shape[1]))
    if len(rows) != len(logits):
        raise RuntimeError("torch_int8_logits.bin does not hold one record per test image")
    for i, (cls, row) in enumerate(rows):
        if cls != predicted[i] or not np.array_equal(row, logits[i].numpy()):
            raise RuntimeError(f"record {i} of torch_int8_logits.bin does not read back")


def run(out_dir: Path, float_weights: Path) -> Result:
    """Quantizes, evaluates and writes the files into ``out_dir``."""
    digits.make_deterministic(digits.SEED)
    data = digits.load_split(digits.SEED)
    model = load_float_model(float_weights)
    calibration = data.x_train[:CALIBRATION_SIZE]

    out_dir.mkdir(parents=True, exist_ok=True)
    weights = out_dir / WEIGHTS_NAME
    result = export_int8.export(
        model, digits.INPUT_SHAPE, digits.STRUCT_NAME, weights, calibration=calibration,
        weights_attr=WEIGHTS_ATTR, doc=STRUCT_DOC,
    )
    quantized = result.model

    float_logits = digits.logits_of(model, data.x_test)
    reference = export_int8.reference_outputs(quantized, data.x_test)
    logits, as_int8 = reference["output"], reference["output_int8"].int()
    predicted = logits.argmax(dim=1)
    if not torch.equal(predicted, as_int8.argmax(dim=1)):
        raise RuntimeError("argmax of the int8 and of the dequantized logits differ")
    top2 = as_int8.topk(2, dim=1).values
    margins = top2[:, 0] - top2[:, 1]
    scale = quantized.output_q.scale

    io = out_dir / "digits_int8_io.safetensors"
    export_int8.write_reference(quantized, data.x_test[:IO_IMAGES], io)
    files = {
        WEIGHTS_NAME: weights.read_bytes(),
        "digits_int8_io.safetensors": io.read_bytes(),
        "network_int8.rs.txt": (result.declaration + "\n").encode(),
        "torch_int8_logits.bin": int8_logits_bytes(logits, predicted),
    }
    check_logits_file(files["torch_int8_logits.bin"], logits, predicted)
    r = Result(
        files=files,
        declaration=result.declaration,
        float_correct=int((float_logits.argmax(dim=1) == data.y_test).sum()),
        int8_correct=int((predicted == data.y_test).sum()),
        test_size=len(data.y_test),
        agree=int((predicted == float_logits.argmax(dim=1)).sum()),
        ties=int((margins == 0).sum()),
        margin_one=int((margins == 1).sum()),
        margin_two=int((margins == 2).sum()),
        min_margin=int(margins.min()),
        max_float_steps=float((logits - float_logits).abs().max() / scale),
        bias_steps=quantized.bias_steps,
        weight_bytes=sum(q.weight.numel() for q in quantized.layers if q.weight is not None),
    )
    files["INT8.md"] = report(r, quantized).encode()
    for name, content in files.items():
        (out_dir / name).write_bytes(content)
    return r


def report(r: Result, quantized: export_int8.QuantizedModel) -> str:
    """``INT8.md``: this run's numbers."""
    rows = "\n".join(
        f"| `{key}` | {str(t.dtype).removeprefix('torch.')} | {list(t.shape)} |"
        for key, t in quantized.tensors().items()
    )
    sizes = "\n".join(f"| `{name}` | {len(data):,} |" for name, data in sorted(r.files.items()))
    pct = lambda n: f"{100 * n / r.test_size:.2f} % ({n} / {r.test_size})"  # noqa: E731
    return f"""\
# The digits network in int8

Generated by `python3 tools/quantize_digits.py` from `digits.safetensors` (do not edit by hand).

The trained float network is quantized by PyTorch's post-training flow (`tools/export_int8.py`:
`torch.export`, `prepare_pt2e` with the XNNPACK-style quantizer, symmetric per-channel int8
weights, int8 per-tensor activations, one calibration pass, `convert_pt2e`). The calibration
data are the first {CALIBRATION_SIZE} images of the training split; the test split is not used.

## Result (test split, {r.test_size} images)

- float32: **{pct(r.float_correct)}**; int8 (PyTorch's quantized model): **{pct(r.int8_correct)}**.
- The int8 model predicts the float model's class on {r.agree} of {r.test_size} images.
- Largest |int8 logit - float logit|: {r.max_float_steps:.2f} output steps.
- Two largest int8 logits equal (a tie; argmax takes the first): {r.ties} images; one step
  apart: {r.margin_one}; two steps apart: {r.margin_two}; the smallest gap is {r.min_margin}
  steps. An implementation within one step of PyTorch on every logit (not bit-exact) may
  predict another class where the gap is 2 steps or less.
- Written with int32 biases (`round(b / (s_in * s_w))`) instead of PyTorch's float biases, a
  re-computation of the network from the file moves some int8 output by at most
  {r.bias_steps} step(s) on the calibration data (`export_int8.simulate`).
- int8 weights: {r.weight_bytes:,} bytes.

Generated with torch {torch.__version__}, torchao {_torchao_version()}.

## The declaration

```rust
{r.declaration}
```

## `{WEIGHTS_NAME}`

| key | dtype | shape |
|---|---|---|
{rows}

## Files

| file | bytes |
|---|---:|
{sizes}

`torch_int8_logits.bin` has the layout of `torch_logits.bin` (see `README.md`) with the magic
`DGQL`: `u32 count`, `u32 classes`, then per test image a `u8` predicted class (first maximum)
and `classes` f32 logits: the quantized model's output, dequantized (each is
`(q - zero_point) * scale` with the file's `7.output_scale`, `7.output_zero_point`).

## Regenerating

```sh
python3 tools/quantize_digits.py                       # writes the files above
python3 tools/quantize_digits.py --check-determinism   # runs twice, compares the bytes
```
"""


def _torchao_version() -> str:
    import torchao

    return torchao.__version__


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=digits.DEFAULT_OUT_DIR,
                        help=f"where to write the files (default: {digits.DEFAULT_OUT_DIR})")
    parser.add_argument("--float-weights", type=Path,
                        default=digits.DEFAULT_OUT_DIR / "digits.safetensors",
                        help="the trained float weights (read only)")
    parser.add_argument("--check-determinism", action="store_true",
                        help="run twice and check that the files are byte-identical")
    args = parser.parse_args(argv)

    r = run(args.out_dir, args.float_weights)
    print(r.declaration)
    print(f"test accuracy: float {100 * r.float_correct / r.test_size:.2f} % "
          f"({r.float_correct}/{r.test_size}), int8 {100 * r.int8_correct / r.test_size:.2f} % "
          f"({r.int8_correct}/{r.test_size}); same class as float on {r.agree}")
    print(f"int8 top-2 ties: {r.ties}, one step apart: {r.margin_one}, two steps apart: "
          f"{r.margin_two}, smallest gap {r.min_margin} steps; largest |int8 - float| "
          f"logit: {r.max_float_steps:.2f} steps; int32-bias re-computation within "
          f"{r.bias_steps} step(s); int8 weights: {r.weight_bytes:,} bytes")
    for name, content in sorted(r.files.items()):
        print(f"wrote {args.out_dir / name} ({len(content):,} bytes)")
    if args.check_determinism:
        again = run(args.out_dir, args.float_weights)
        first = {n: hashlib.sha256(c).hexdigest() for n, c in r.files.items()}
        second = {n: hashlib.sha256(c).hexdigest() for n, c in again.files.items()}
        if first != second:
            print(f"NOT deterministic: {sorted(n for n in first if first[n] != second[n])}",
                  file=sys.stderr)
            return 1
        print("determinism: a second run wrote byte-identical files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
