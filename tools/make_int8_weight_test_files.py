"""Writes the broken int8 weight files of the int8 compile-fail cases (tests/weights/int8_*).

    python3 tools/make_int8_weight_test_files.py

Each file is the digit classifier's int8 export (examples/digits/digits_int8.safetensors,
written by tools/quantize_digits.py) with one mistake, so each case in tests/ui/int8_*.rs
shows one message.
"""

from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "examples" / "digits" / "digits_int8.safetensors"
OUT = ROOT / "tests" / "weights"


def broken(name: str, change) -> None:
    state = dict(load_file(SOURCE))
    change(state)
    save_file(state, OUT / f"int8_{name}.safetensors")


def zero_scale(state):
    scales = state["0.weight_scale"].copy()
    scales[3] = 0.0
    state["0.weight_scale"] = scales


def zero_point_out_of_range(state):
    state["input_zero_point"] = np.array(200, dtype=np.int32)


def float_bias(state):
    state["3.bias"] = state["3.bias"].astype(np.float32)


def missing_output_scale(state):
    del state["3.output_scale"]


def wrong_shape(state):
    state["3.weight_scale"] = state["3.weight_scale"][:31].copy()


def extra_tensor(state):
    state["9.output_scale"] = np.array(0.5, dtype=np.float32)


def activation_out_of_range(state):
    # Hardtanh(2.0, 3.0) after conv 0 is [142, 214] steps above this zero point: past 127.
    state["0.output_zero_point"] = np.array(100, dtype=np.int32)


def multiplier_out_of_range(state):
    # s_in * s_w / s_out of channel 5 of conv 3 becomes about 1e28: no fixed-point multiplier.
    scales = state["3.weight_scale"].copy()
    scales[5] = 1e30
    state["3.weight_scale"] = scales


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    broken("zero_scale", zero_scale)
    broken("zero_point_out_of_range", zero_point_out_of_range)
    broken("float_bias", float_bias)
    broken("missing_output_scale", missing_output_scale)
    broken("wrong_shape", wrong_shape)
    broken("extra_tensor", extra_tensor)
    broken("activation_out_of_range", activation_out_of_range)
    broken("multiplier_out_of_range", multiplier_out_of_range)


if __name__ == "__main__":
    main()
