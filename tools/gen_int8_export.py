"""Quantizes tutorial networks to int8 through tools/export_int8.py, for the int8 Rust tests.

    python3 tools/gen_int8_export.py

For LeNet (ReLUs fused into the convolutions and linears), the CIFAR-10 classifier (no
activations, a named `conv3`) and the tutorial's `model1` nesting (key prefix `model1.`), it
loads the float weights tools/gen_export_roundtrip.py wrote (tests/export/<stem>.safetensors),
calibrates PyTorch's post-training quantization on CALIBRATION seeded standard-normal inputs,
and writes into tests/export/:

* `<stem>_int8.safetensors`: the int8 weights file (docs/int8-format.md);
* `<stem>_int8.rs`: the `network!` declaration (`#[staticnn(quantized = "int8", ..)]`);
* `<stem>_int8_io.safetensors`: `input` (F32 `[N, ...]`, N = REFERENCE inputs drawn after the
  calibration data, batch dimension first), PyTorch's converted model's `output` on them (F32,
  the dequantized int8 output), `output_int8` (I8, the same output as int8 values with the
  last step's output scale and zero point), `input_int8` (the quantized input) and, for every
  step with `N.output_scale` in the weights file, `N.output_int8` (I8): the int8 tensor
  PyTorch's graph computes there (taken from its quantize node), so each layer can be checked
  alone on PyTorch's own int8 input.

PyTorch requantizes in float32 with float biases; fixed-point kernels (CMSIS-NN's
`arm_nn_requantize`, int32 biases) round differently now and then. Measured with an integer
emulation of that requantization (written from the formulas, not committed): fed PyTorch's
int8 input, every layer of these nets is within one step of `N.output_int8`; end to end the
differences propagate: LeNet stays within 1 step of `output_int8`, the CIFAR-10 net (no
activations, seeded weights) reaches 3 steps (52 % of output elements differ, 6.7 % by more
than one step) with the same argmax. Check layers within one step, whole networks within a
few steps and by argmax.
"""

from pathlib import Path
import sys

import torch
from safetensors.torch import load_file

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "export"
sys.path.insert(0, str(ROOT / "tools"))
import export_int8  # noqa: E402
from gen_export_roundtrip import NETS  # noqa: E402
import gen_export_graph_roundtrip as graph_nets  # noqa: E402

QUANTIZED = ("lenet", "cifar10", "model1")
# Branching networks of tools/gen_export_graph_roundtrip.py (residual adds, squeeze-and-excitation
# multiplies, nested modules, a key prefix). Its two Cat cases are not here: PyTorch's
# XNNPACK-style quantizer leaves `torch.cat` (and a max pooling of the raw input) in float, which
# an int8 staticnn network cannot hold; tools/test_export.py checks that they are refused.
QUANTIZED_GRAPHS = ("resnet8", "mobilenetv2_like", "squeeze_excite", "mul_two_branches",
                    "tv_resnet", "holder_body")
GRAPH_SEED = 2000
CALIBRATION = 64
REFERENCE = 4
SEED = 1000


def main() -> None:
    for index, (name, stem, make, shape) in enumerate(NETS):
        if stem not in QUANTIZED:
            continue
        model = make()
        model.load_state_dict(load_file(str(OUT / f"{stem}.safetensors")))
        model.eval()
        generator = torch.Generator().manual_seed(SEED + index)
        calibration = torch.randn(CALIBRATION, *shape, generator=generator)
        inputs = torch.randn(REFERENCE, *shape, generator=generator)
        result = export_int8.export(
            model, shape, f"{name}Int8", OUT / f"{stem}_int8.safetensors",
            calibration=calibration, weights_attr=f"tests/export/{stem}_int8.safetensors",
            doc=f"{name} quantized to int8 by PyTorch (tools/gen_int8_export.py).",
        )
        (OUT / f"{stem}_int8.rs").write_text(result.declaration + "\n")
        export_int8.write_reference(result.model, inputs, OUT / f"{stem}_int8_io.safetensors")
        weights = sum(q.weight.numel() for q in result.model.layers if q.weight is not None)
        file_bytes = (OUT / f"{stem}_int8.safetensors").stat().st_size
        print(result.declaration)
        print(f"{stem}: int8 weights {weights:,} bytes ({weights / 1024:.1f} KiB), file "
              f"{file_bytes:,} bytes; int32-bias re-computation within "
              f"{result.model.bias_steps} step(s) of PyTorch on the calibration data")


def graphs(out: Path = OUT) -> None:
    """The branching networks, with the seeded weights of their float round trip, into
    ``out``."""
    for index, (name, stem, _, shape, submodule) in enumerate(graph_nets.NETS):
        if stem not in QUANTIZED_GRAPHS:
            continue
        model = graph_nets.build(index)
        generator = torch.Generator().manual_seed(GRAPH_SEED + index)
        calibration = torch.randn(CALIBRATION, *shape, generator=generator)
        inputs = torch.randn(REFERENCE, *shape, generator=generator)
        result = export_int8.export(
            model, shape, f"{name}Int8", out / f"{stem}_int8.safetensors",
            calibration=calibration, submodule=submodule,
            weights_attr=f"tests/export/{stem}_int8.safetensors",
            doc=f"{name} quantized to int8 by PyTorch (tools/gen_int8_export.py).",
        )
        (out / f"{stem}_int8.rs").write_text(result.declaration + "\n")
        export_int8.write_reference(result.model, inputs, out / f"{stem}_int8_io.safetensors")
        print(result.declaration)
        print(f"{stem}: int32-bias re-computation within {result.model.bias_steps} step(s) of "
              "PyTorch on the calibration data")


if __name__ == "__main__":
    main()
    graphs()
