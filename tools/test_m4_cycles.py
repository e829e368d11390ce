#!/usr/bin/env python3
"""Checks of `tools/m4_cycles.py`'s timing rules on short sequences whose cycles the Cortex-M4
TRM states (its load/store examples) or that follow from its tables. Run:
`python3 tools/test_m4_cycles.py` (no QEMU or LLVM needed)."""

import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from m4_cycles import base_mnemonic, block_timing, decode  # noqa: E402

REFILL = 2


def cycles(*lines: str) -> int:
    """Cycles of `lines` (`mnemonic operands`) run as one block from a clean state."""
    table = {}
    for i, line in enumerate(lines):
        mnemonic, _, ops = line.partition(" ")
        table[4 * i] = decode(mnemonic, ops, 4, REFILL, 12)
    return block_timing([4 * i for i in range(len(lines))], table, REFILL).cycles


class Mnemonics(unittest.TestCase):
    def test_conditions_and_suffixes(self):
        self.assertEqual(base_mnemonic("bne.w"), ("b", True))
        self.assertEqual(base_mnemonic("bls"), ("b", True))
        self.assertEqual(base_mnemonic("bl"), ("bl", False))
        self.assertEqual(base_mnemonic("vmovgt.f32"), ("vmov", True))
        self.assertEqual(base_mnemonic("ldrne"), ("ldr", True))
        self.assertEqual(base_mnemonic("ldrsh.w"), ("ldrsh", False))
        self.assertEqual(base_mnemonic("ittet"), ("it", False))
        self.assertEqual(base_mnemonic("vfma.f32"), ("vfma", False))


class LoadStore(unittest.TestCase):
    # TRM 3.3.2's examples of pipelined loads.
    def test_two_loads(self):
        self.assertEqual(cycles("ldr r0, [r1]", "ldr r1, [r2]"), 3)

    def test_load_then_store(self):
        self.assertEqual(cycles("ldr r0, [r1, r2]", "str r0, [r3, #20]"), 3)
        self.assertEqual(cycles("ldr r0, [r1, r2]", "str r1, [r3, r2]"), 3)

    def test_three_loads(self):
        self.assertEqual(cycles("ldr r0, [r1, r5]", "ldr r1, [r2]", "ldr r2, [r3, #4]"), 4)

    def test_address_from_the_load_is_not_pipelined(self):
        self.assertEqual(cycles("ldr r0, [r1]", "ldr r2, [r0]"), 4)

    def test_address_from_data_processing_stalls(self):
        self.assertEqual(cycles("add r0, r1, #4", "ldr r2, [r0]"), 1 + 3)
        self.assertEqual(cycles("add r3, r1, #4", "ldr r2, [r0]"), 1 + 2)

    def test_multiple(self):
        self.assertEqual(cycles("vldmia r0!, {s16-s21}"), 7)
        self.assertEqual(cycles("vpush {d0-d15}"), 33)
        self.assertEqual(cycles("push {r4, r5, r6, r7, lr}"), 6)
        self.assertEqual(cycles("ldrd r0, r1, [r2]"), 3)


class Branches(unittest.TestCase):
    def test_unconditional_and_return(self):
        self.assertEqual(cycles("b #0x100"), 1 + REFILL)
        self.assertEqual(cycles("bl #0x100"), 1 + REFILL)
        self.assertEqual(cycles("pop {r4, pc}"), 3 + REFILL)
        self.assertEqual(cycles("bx lr"), 1 + REFILL)

    def test_conditional_is_one_until_taken(self):
        # The taken refill is added at run time, when the next block is not the fall-through.
        self.assertEqual(cycles("bne #0x100"), 1)
        self.assertEqual(cycles("cbz r0, #0x10"), 1)


class Fpu(unittest.TestCase):
    def test_table(self):
        self.assertEqual(cycles("vadd.f32 s0, s1, s2"), 1)
        self.assertEqual(cycles("vmul.f32 s0, s1, s2"), 1)
        self.assertEqual(cycles("vfma.f32 s0, s1, s2"), 3)
        self.assertEqual(cycles("vmla.f32 s0, s1, s2"), 3)
        self.assertEqual(cycles("vldr s0, [r0]"), 2)

    def test_result_used_at_once_stalls(self):
        self.assertEqual(cycles("vmul.f32 s4, s1, s2", "vadd.f32 s0, s0, s4"), 3)
        self.assertEqual(cycles("vmul.f32 s4, s1, s2", "vmul.f32 s5, s1, s3",
                                "vadd.f32 s0, s0, s4", "vadd.f32 s1, s1, s5"), 4)

    def test_accumulator_chain_does_not_stall(self):
        self.assertEqual(cycles("vfma.f32 s0, s1, s2", "vfma.f32 s0, s3, s4"), 6)
        # ... but a multiplicand does.
        self.assertEqual(cycles("vfma.f32 s0, s1, s2", "vfma.f32 s3, s0, s4"), 7)

    def test_divide_runs_beside_integer_code(self):
        self.assertEqual(cycles("vdiv.f32 s0, s1, s2", "add r0, r0, #1"), 2)
        self.assertEqual(cycles("vdiv.f32 s0, s1, s2", "vadd.f32 s3, s4, s5"), 15)
        self.assertEqual(cycles("vdiv.f32 s0, s1, s2", "vadd.f32 s3, s0, s5"), 16)


class Kernels(unittest.TestCase):
    # The instructions of the repository's own assembly blocks.
    def test_dsp(self):
        self.assertEqual(cycles("smlad r1, r6, r11, r1"), 1)
        self.assertEqual(cycles("sxtab16 r12, r10, r12, ror #8"), 1)
        self.assertEqual(cycles("sxtb16 lr, lr, ror #8"), 1)
        self.assertEqual(cycles("smlabb r0, r1, r2, r0"), 1)
        self.assertEqual(cycles("ldm lr!, {r8, r9, r10, r11}"), 5)
        self.assertEqual(cycles("ldrd r4, r5, [r12], #8"), 3)
        # The linear block's load, then the widening of what it loaded: no address stall.
        self.assertEqual(cycles("ldr lr, [r5, r8]", "sxtb16 r6, lr"), 3)

    def test_mul_add_blocks_never_wait_for_a_product(self):
        # The generated `mul_add` order: each vadd two instructions after its vmul.
        self.assertEqual(cycles("vmul.f32 s27, s29, s16", "vmul.f32 s28, s29, s17",
                                "vadd.f32 s0, s0, s27", "vmul.f32 s27, s29, s18",
                                "vadd.f32 s1, s1, s28", "vadd.f32 s2, s2, s27"), 6)
        # Back to back, each vadd waits a cycle.
        self.assertEqual(cycles("vmul.f32 s27, s29, s16", "vadd.f32 s0, s0, s27",
                                "vmul.f32 s28, s29, s17", "vadd.f32 s1, s1, s28"), 6)

    def test_fma_blocks_take_three_cycles_per_mac(self):
        self.assertEqual(cycles("vfma.f32 s0, s29, s16", "vfma.f32 s1, s29, s17",
                                "vfma.f32 s2, s29, s18", "vfma.f32 s3, s29, s19"), 12)


if __name__ == "__main__":
    unittest.main()
