"""Writes the int8 DS-CNN block the Cortex-M profile measures (issue #12's bars for DS-CNN's
depthwise and pointwise layers): a depthwise 3x3 convolution over 64 channels of 25 x 5 and a
1 x 1 convolution 64 -> 64, each followed by ReLU (DS-CNN's block without its BatchNorms, which
PT2E folds into the convolutions anyway), PyTorch-initialised (seed 12) and quantized by
PyTorch (tools/export_int8.py) on 32 seeded standard-normal calibration inputs.

    python3 tools/gen_dscnn_block_int8.py

Writes examples/firmware/nets/dscnn_block_int8.safetensors and prints the declaration that
examples/firmware/nets/src/lib.rs holds (`DsCnnBlockInt8`).
"""

from pathlib import Path
import sys

import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import export_int8  # noqa: E402

SHAPE = (64, 25, 5)


def main() -> None:
    torch.manual_seed(12)
    model = nn.Sequential(
        nn.Conv2d(64, 64, 3, padding=1, groups=64), nn.ReLU(),
        nn.Conv2d(64, 64, 1), nn.ReLU(),
    ).eval()
    calibration = torch.randn(32, *SHAPE, generator=torch.Generator().manual_seed(13))
    out = ROOT / "examples/firmware/nets/dscnn_block_int8.safetensors"
    result = export_int8.export(
        model, SHAPE, "DsCnnBlockInt8", out, calibration=calibration,
        weights_attr="dscnn_block_int8.safetensors",
        doc="DS-CNN's depthwise and pointwise layers, int8 (tools/gen_dscnn_block_int8.py).",
    )
    print(result.declaration)


if __name__ == "__main__":
    main()
