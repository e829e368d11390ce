#!/usr/bin/env python3
"""Estimated Cortex-M4 cycles from QEMU's execution log, by the timings of Arm's Cortex-M4
Technical Reference Manual.

QEMU has no timing model: it counts instructions. This script replays the instructions QEMU
logged, in order, and charges each the cycles the TRM gives it, plus the stalls the TRM
describes between neighbours. It is an estimate of an M4 with zero-wait-state memory, not a
measurement: see "What it leaves out" below.

    qemu-system-arm -M mps2-an386 -nographic -icount shift=0 \\
        -semihosting-config enable=on,target=native -d in_asm,exec,nochain \\
        -dfilter 0xSTART+0xSIZE[,0xSTART+0xSIZE...] -D LOG -kernel FW.elf
    tools/m4_cycles.py FW.elf --function 0xSTART+0xSIZE [--map MAP] < LOG

`scripts/profile-layers.sh` runs it (QEMU's log streams through a pipe, never on disk) to give
instructions and estimated cycles per step of a network; `scripts/firmware-report.sh` prints
them. The log needs `in_asm` (each translation block's instructions, logged once) and `exec`
with `nochain` (every execution of a block, in order).

Counting. `--function` names the function measured (`infer::<Net>`); a call is an execution of
its first address, and the code runs "inside" from there until a block of that function that
ends in a return (`bx lr`, `pop {.., pc}`) has run, or, when the function ends in a tail call
(a branch out of it that is not a call, e.g. `pop {.., lr}` then `b.w`), until that callee
returns to the function's caller (its own calls are followed by their return addresses).
Blocks of other logged ranges (the functions it calls: `-dfilter` takes several ranges) count
only while inside, so calls out of the function are counted as part of it, and the same
helpers called from elsewhere are not.
`--map` (lines `ADDRESS KEY`, hex without 0x; `-` for no key) attributes each block to a step:
a block whose first address has a key switches the current step, and every block counts
toward the current one (glue code and callees included). Output, per call:

    @exact step=K instructions=N cycles=C     one per key, in order of first execution
    @exact glue instructions=N cycles=C       before the first key
    @exact callees instructions=N cycles=C    in other functions (already in the steps)
    @exact unattributed instructions=N        in the function but without a key
    @exact total instructions=N cycles=C calls=K
    @mix class=CLASS instructions=N cycles=C  (with --mix) by kind of instruction

The timings (Arm Cortex-M4 Processor Technical Reference Manual, r0p1, ARM 100166_0001_00_en,
formerly DDI 0439; "zero wait states"):

- Section 3.3.1, Table 3-1 "Processor instruction set summary": data processing (MOV, ADD,
  logic, shifts, compare, extend, bitfield, saturate, IT) 1 cycle; multiplies MUL, MLA, MLS,
  SMULL, UMULL, SMLAL, UMLAL and the DSP multiplies (SMLAD, SMUAD, SMLA<x><y>, SMMUL, ...) 1;
  SDIV/UDIV 2 to 12 (operand-dependent, unseen in the log: charged `--div`, default 12, the
  bound); LDR/LDRH/LDRB (and signed, exclusive) 2; LDRD and STRD 1 + N = 3; LDM/STM/PUSH/POP
  1 + N (N registers); STR 2; B/BL/BX/BLX 1 + P; a conditional branch or CBZ/CBNZ 1 when not
  taken, 1 + P when taken; TBB/TBH 2 + P; a write to PC (MOV/ADD PC, POP or LDR with PC)
  adds P. P, the pipeline refill, is "1 to 3 depending on the alignment and width of the target
  instruction, and whether the processor manages to speculate the address early": `--refill`,
  default 2.
- Section 3.3.2 "Load/store timings" (the notes under the table): "STR Rx,[Ry,#imm] is always
  one cycle" (the data goes out while the next instruction executes; a register offset keeps
  2); LDR is pipelined: an LDR or STR right after an LDR costs one cycle less, unless the first
  LDR's destination is used for the second's address; "any load or store that generates an
  address dependent on the result of a preceding data processing operation stalls the pipeline
  for an additional cycle" (no forwarding path).
- Section 7.2.3, Table 7-1 "FPU instruction set": VABS, VADD, VSUB, VMUL, VNMUL, VNEG, VCMP,
  VCMPE, VCVT, VMOV (immediate, register, core <-> single), VMRS, VMSR 1 cycle; VMOV of two
  core registers <-> two singles or a double 2; VMLA, VMLS, VNMLA, VNMLS, VFMA, VFMS, VFNMA,
  VFNMS 3; VDIV and VSQRT 14; VLDR and VSTR 2; VLDM, VSTM, VPUSH, VPOP 1 + N (N single
  registers; a double counts 2). "Integer-only instructions following VDIV or VSQRT complete
  out-of-order": the core goes on after 1 cycle, the next floating-point instruction waits for
  the divider.
- FPU result latency: the result of VADD, VSUB, VMUL, VNMUL, VCVT, VDIV, VSQRT and the
  multiply-accumulates is ready one cycle after the instruction ends, so an instruction that
  reads it right away stalls 1 cycle (the "+1 when the next instruction consumes a float result"
  of the TRM's FPU timing notes); a multiply-accumulate reads its accumulator one cycle late, so
  using the previous result as the accumulator does not stall (a VFMA chain on one register
  issues every 3 cycles). Loads, moves, VABS and VNEG have no extra latency. This latency model
  follows the TRM's Table 7-1 and agrees with GCC's Cortex-M4 FPU pipeline description
  (`gcc/config/arm/cortex-m4-fpu.md`: VADD/VMUL latency 2 for 1 issue cycle, multiply-accumulate
  4 for 3, accumulator bypass), which was read as a cross-check, not copied.

What it leaves out: flash wait states and the instruction fetch (zero wait states assumed; a
real M4 at high clocks runs from flash with wait states behind an accelerator), bus contention,
interrupts, the fetch of unaligned 32-bit instructions, the folding of IT into the previous
instruction, and the data-dependent early end of divides. Conditional instructions inside an IT
block are charged as if they executed (the log does not say which conditions held). Each
translation block starts with every result ready: QEMU's blocks end at branches, and a branch's
1 to 3 cycles cover every latency above but a divide's.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass, field

CONDS = {"eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt",
         "gt", "le", "al"}
CORE_ALIASES = {"sb": "r9", "sl": "r10", "fp": "r11", "ip": "r12"}

# Core mnemonics by timing class (after the condition, `.w`/`.n` and the `s` flag are taken off).
BRANCHES = {"b", "bl", "blx", "bx", "cbz", "cbnz", "tbb", "tbh"}
LOADS = {"ldr", "ldrb", "ldrh", "ldrsb", "ldrsh", "ldrt", "ldrbt", "ldrht", "ldrsbt", "ldrsht",
         "ldrex", "ldrexb", "ldrexh"}
STORES = {"str", "strb", "strh", "strt", "strbt", "strht", "strex", "strexb", "strexh"}
PAIRS = {"ldrd", "strd"}
LOAD_MULTIPLE = {"ldm", "ldmia", "ldmfd", "ldmdb", "ldmea", "pop"}
STORE_MULTIPLE = {"stm", "stmia", "stmea", "stmdb", "stmfd", "push"}
DIVIDES = {"sdiv", "udiv"}
NO_DEST = {"cmp", "cmn", "tst", "teq", "nop", "dmb", "dsb", "isb", "bkpt", "svc", "wfi", "wfe",
           "sev", "yield", "cpsid", "cpsie", "msr", "pld", "pli", "clrex"}
CORE_KNOWN = (BRANCHES | LOADS | STORES | PAIRS | LOAD_MULTIPLE | STORE_MULTIPLE | DIVIDES
              | NO_DEST)

# Floating point, by timing class.
FP_ARITH = {"vadd", "vsub", "vmul", "vnmul", "vcvt", "vcvtr", "vcvta", "vcvtn", "vcvtp",
            "vcvtm", "vcvtb", "vcvtt"}
FP_MAC = {"vmla", "vmls", "vnmla", "vnmls", "vfma", "vfms", "vfnma", "vfnms"}
FP_LONG = {"vdiv", "vsqrt"}
FP_SIMPLE = {"vabs", "vneg", "vcmp", "vcmpe", "vmrs", "vmsr", "vmov", "vsel", "vmaxnm",
             "vminnm", "vrinta", "vrintn", "vrintp", "vrintm", "vrintr", "vrintx", "vrintz"}
FP_LOAD_MULTIPLE = {"vldm", "vldmia", "vldmdb", "vpop"}
FP_STORE_MULTIPLE = {"vstm", "vstmia", "vstmdb", "vpush"}
FP_KNOWN = (FP_ARITH | FP_MAC | FP_LONG | FP_SIMPLE | FP_LOAD_MULTIPLE | FP_STORE_MULTIPLE
            | {"vldr", "vstr"})

REG_RANGE = re.compile(r"([sdr])(\d+)\s*-\s*[sdr](\d+)")
FP_REG = re.compile(r"\b([sd])(\d+)\b")
CORE_REG = re.compile(r"\b(r\d+|sb|sl|fp|ip|sp|lr|pc)\b")


def base_mnemonic(mnemonic: str) -> tuple[str, bool]:
    """The mnemonic without width (`.w`), data type (`.f32`) and condition, and whether it
    carried a condition (`ldrne`, `vmovgt.f32`, `bne`). Data-processing names keep their other
    suffixes (`adds`, `addhi`): the tables give them all 1 cycle."""
    m = mnemonic.lower().split(".")[0]
    if m.startswith("it") and set(m[2:]) <= {"t", "e"}:
        return "it", False
    if m.startswith("b") and m[1:] in CONDS:
        return "b", True
    if m in CORE_KNOWN or m in FP_KNOWN:
        return m, False
    if m[-2:] in CONDS and (m[:-2] in CORE_KNOWN or m[:-2] in FP_KNOWN):
        return m[:-2], True
    return m, False


def register_list(ops: str) -> list[str]:
    """Registers inside `{...}`: `{s16-s21}` -> s16..s21, `{d8}` -> d8, `{r4, r5, lr}`."""
    inside = re.search(r"\{([^}]*)\}", ops)
    if not inside:
        return []
    regs = []
    for part in inside.group(1).split(","):
        part = part.strip()
        r = REG_RANGE.match(part)
        if r:
            regs += [f"{r.group(1)}{i}" for i in range(int(r.group(2)), int(r.group(3)) + 1)]
        elif part:
            regs.append(CORE_ALIASES.get(part, part))
    return regs


def singles(regs: list[str]) -> list[str]:
    """FP registers as single-precision names (`d8` is `s16` and `s17`)."""
    out = []
    for r in regs:
        if r[0] == "d":
            n = int(r[1:])
            out += [f"s{2 * n}", f"s{2 * n + 1}"]
        elif r[0] == "s":
            out.append(r)
    return out


def core_regs(text: str) -> set[str]:
    return {CORE_ALIASES.get(r, r) for r in CORE_REG.findall(text)}


@dataclass
class Insn:
    """One instruction's timing: base cycles and what the neighbour rules need."""
    kind: str              # class for --mix and the rules below
    cycles: int            # TRM cycles before stalls (taken-branch refill added at run time)
    size: int = 2          # bytes
    branch: str = ""       # "" | "always" (taken every time) | "cond" (taken if the next pc differs)
    returns: bool = False  # a return (bx lr, pop {.., pc}, ldr pc)
    fp_dst: list = field(default_factory=list)     # FP registers written (single names)
    fp_src: list = field(default_factory=list)     # FP registers read
    fp_acc: list = field(default_factory=list)     # FP registers read as an accumulator
    fp_latency: int = 0    # extra cycles before the FP results can be read
    fp_busy: int = 0       # FPU cycles beyond the core's (VDIV/VSQRT)
    alu_dst: set = field(default_factory=set)      # core registers a data-processing op writes
    load_dst: set = field(default_factory=set)     # core registers a single LDR writes
    addr: set = field(default_factory=set)         # core registers forming a load/store address
    pipelined_load: bool = False  # an LDR whose successor load/store may be pipelined
    memory_single: bool = False   # an LDR/STR that can be the second of a pipelined pair


def decode(mnemonic: str, ops: str, size: int, refill: int, div: int) -> Insn:
    """The timing of one instruction as llvm-objdump prints it."""
    base, conditional = base_mnemonic(mnemonic)
    ops_l = ops.lower()
    operands = [o.strip() for o in re.split(r",(?![^{\[]*[}\]])", ops_l) if o.strip()]
    writes_pc = bool(operands) and operands[0] == "pc"
    bracket = re.search(r"\[([^\]]*)\]", ops_l)
    addr = core_regs(bracket.group(1)) if bracket else set()

    if base == "it":
        return Insn("it", 1, size)
    if base in BRANCHES:
        if base in ("tbb", "tbh"):
            return Insn("branch", 2 + refill, size, branch="always", addr=addr)
        if base == "bx" and "lr" in ops_l:
            return Insn("branch", 1 + refill, size, branch="always", returns=True)
        if base in ("cbz", "cbnz") or conditional:
            return Insn("branch", 1, size, branch="cond")
        return Insn("call" if base in ("bl", "blx") else "branch", 1 + refill, size,
                    branch="always")
    if base in LOADS:
        dst = core_regs(operands[0]) if operands else set()
        if "pc" in dst:
            return Insn("load", 2 + refill, size, branch="always", returns=True, addr=addr)
        return Insn("load", 2, size, load_dst=dst, addr=addr, pipelined_load=True,
                    memory_single=True)
    if base in STORES:
        register_offset = bracket is not None and len(addr) > 1
        return Insn("store", 2 if register_offset else 1, size, addr=addr, memory_single=True)
    if base in PAIRS:
        return Insn("load" if base == "ldrd" else "store", 3, size, addr=addr)
    if base in LOAD_MULTIPLE or base in STORE_MULTIPLE:
        regs = register_list(ops_l)
        at = {"sp"} if base in ("push", "pop") else core_regs(operands[0]) if operands else set()
        cycles = 1 + len(regs)
        if "pc" in regs:
            return Insn("load", cycles + refill, size, branch="always", returns=True, addr=at)
        return Insn("load" if base in LOAD_MULTIPLE else "store", cycles, size, addr=at)
    if base in DIVIDES:
        return Insn("divide", div, size, alu_dst=core_regs(operands[0]) if operands else set())

    if base.startswith("v"):
        fp_ops = [singles([f"{k}{n}" for k, n in FP_REG.findall(o)]) for o in operands]
        if base in FP_LOAD_MULTIPLE or base in FP_STORE_MULTIPLE:
            regs = singles(register_list(ops_l))
            at = {"sp"} if base in ("vpush", "vpop") else core_regs(operands[0])
            load = base in FP_LOAD_MULTIPLE
            return Insn("fp load" if load else "fp store", 1 + len(regs), size,
                        fp_dst=regs if load else [], fp_src=[] if load else regs, addr=at)
        if base in ("vldr", "vstr"):
            regs = fp_ops[0] if fp_ops else []
            load = base == "vldr"
            return Insn("fp load" if load else "fp store", 2, size, fp_dst=regs if load else [],
                        fp_src=[] if load else regs, addr=addr)
        dst = fp_ops[0] if fp_ops else []
        src = [r for o in fp_ops[1:] for r in o]
        if base in FP_MAC:
            return Insn("fp mac", 3, size, fp_dst=dst, fp_src=src, fp_acc=dst, fp_latency=1)
        if base in FP_ARITH:
            return Insn("fp arith", 1, size, fp_dst=dst, fp_src=src, fp_latency=1)
        if base in FP_LONG:
            return Insn("fp divide", 1, size, fp_dst=dst, fp_src=src, fp_latency=1, fp_busy=13)
        if base == "vmov":
            core = [o for o in operands if CORE_REG.fullmatch(o)]
            fp_regs = [r for o in fp_ops for r in o]
            two = len(core) == 2 or (len(fp_regs) >= 2 and core)
            if core and operands and CORE_REG.fullmatch(operands[0]):
                # FP -> core: a write to a core register, read like a data-processing result.
                return Insn("fp move", 2 if two else 1, size, fp_src=fp_regs,
                            alu_dst=core_regs(",".join(core[:2] if two else core[:1])))
            return Insn("fp move", 2 if two else 1, size, fp_dst=dst, fp_src=src)
        if base == "vmrs":
            dst_core = core_regs(operands[0]) if operands else set()
            return Insn("fp move", 1, size, alu_dst=dst_core - {"pc"})
        if base in ("vcmp", "vcmpe"):
            return Insn("fp compare", 1, size, fp_src=[r for o in fp_ops for r in o])
        return Insn("fp other", 1, size, fp_dst=dst, fp_src=src)

    # Core data processing and multiplies: 1 cycle; writing PC refills the pipeline.
    kind = "multiply" if re.match(r"(u|s)?(mul|mla|mls|mull|mlal|smla|smul|smua|smus|smls|smml|"
                                  r"smmu|usad)", base) else "alu"
    if writes_pc:
        return Insn(kind, 1 + refill, size, branch="always",
                    returns=base == "mov" and "lr" in ops_l)
    dst = set() if base in NO_DEST or not operands else core_regs(operands[0])
    if base in ("umull", "smull", "umlal", "smlal", "smlald", "smlsld") and len(operands) > 1:
        dst |= core_regs(operands[1])
    return Insn(kind, 1, size, alu_dst=dst)


def disassemble(elf: str, refill: int, div: int) -> dict[int, Insn]:
    """Every instruction of the image's code, by address."""
    text = subprocess.run(["llvm-objdump-22", "-d", "--no-show-raw-insn", elf],
                          capture_output=True, text=True, check=True).stdout
    line_re = re.compile(r"^\s*([0-9a-f]+):\s+(\S+)(?:\s+([^;@<]*))?")
    addresses = []
    parsed = []
    for line in text.splitlines():
        m = line_re.match(line)
        if m and not line.rstrip().endswith(">:"):
            addresses.append(int(m.group(1), 16))
            parsed.append((m.group(2), (m.group(3) or "").strip()))
    table = {}
    for i, (at, (mn, ops)) in enumerate(zip(addresses, parsed)):
        size = addresses[i + 1] - at if i + 1 < len(addresses) else 2
        table[at] = decode(mn, ops, size if size in (2, 4) else 2, refill, div)
    return table


@dataclass
class Block:
    """A translation block: its instructions' count and cycles from a clean start, how it
    ends, and per-class counts for --mix."""
    count: int
    cycles: int
    ends: str           # "" | "always" | "cond"
    fallthrough: int
    returns: bool
    mix: dict
    last_pc: int = 0    # address of its last instruction
    calls: bool = False  # ends with a call (`bl`, `blx`)


def block_timing(pcs: list[int], table: dict[int, Insn], refill: int) -> Block:
    """Replays one block's instructions from a state where every result is ready."""
    now = 0
    ready: dict[str, int] = {}       # FP register -> first cycle it can be read
    acc_ready: dict[str, int] = {}   # ... as a multiply-accumulate's accumulator
    fpu_free = 0
    prev: Insn | None = None
    mix: dict[str, list[int]] = {}
    for pc in pcs:
        insn = table.get(pc) or Insn("unknown", 1)
        start = now
        is_fp = bool(insn.fp_dst or insn.fp_src or insn.kind.startswith("fp"))
        if is_fp:
            start = max(start, fpu_free)
            for r in insn.fp_src:
                start = max(start, ready.get(r, 0))
            for r in insn.fp_acc:
                if r not in insn.fp_src:
                    start = max(start, acc_ready.get(r, 0))
        cycles = insn.cycles
        if prev is not None:
            # Address from the previous data-processing result: no forwarding path.
            if insn.addr and prev.alu_dst & insn.addr:
                cycles += 1
            # LDR pipelining: an LDR/STR after an LDR costs one cycle less.
            elif (prev.pipelined_load and insn.memory_single and cycles > 1
                  and not prev.load_dst & insn.addr):
                cycles -= 1
        end = start + cycles
        for r in insn.fp_dst:
            ready[r] = end + insn.fp_busy + insn.fp_latency
            acc_ready[r] = end + insn.fp_busy
        if insn.fp_busy:
            fpu_free = end + insn.fp_busy
        entry = mix.setdefault(insn.kind, [0, 0])
        entry[0] += 1
        entry[1] += end - now
        now = end
        prev = insn
    last = table.get(pcs[-1]) if pcs else None
    ends = last.branch if last else ""
    fallthrough = pcs[-1] + (last.size if last else 2) if pcs else 0
    return Block(len(pcs), now, ends, fallthrough, bool(last and last.returns), mix,
                 pcs[-1] if pcs else 0, bool(last and last.kind == "call"))


def symbols(elf: str) -> list[tuple[int, int]]:
    """(start, size) of every function of the image (`llvm-nm -S`, Thumb bit cleared)."""
    text = subprocess.run(["llvm-nm-22", "-S", elf], capture_output=True, text=True,
                          check=True).stdout
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 4 and f[2] in "tT":
            out.append((int(f[0], 16) & ~1, int(f[1], 16)))
    return out


def callee_ranges(elf: str, start: int, size: int) -> list[tuple[int, int]]:
    """The function at `start` and every function it calls or jumps to, transitively (direct
    `bl`/`b` targets outside the function, as llvm-objdump resolves them)."""
    funcs = symbols(elf)
    seen = {(start, size)}
    todo = [(start, size)]
    target = re.compile(r"\s(?:bl|blx|b|b\.w)\s+0x([0-9a-f]+)")
    while todo:
        s0, n = todo.pop()
        text = subprocess.run(["llvm-objdump-22", "-d", "--no-show-raw-insn",
                               f"--start-address={s0}", f"--stop-address={s0 + n}", elf],
                              capture_output=True, text=True, check=True).stdout
        for m in target.finditer(text):
            t = int(m.group(1), 16)
            if s0 <= t < s0 + n:
                continue
            for f in funcs:
                if f[0] <= t < f[0] + f[1] and f not in seen:
                    seen.add(f)
                    todo.append(f)
    return sorted(seen)


def parse_range(text: str) -> tuple[int, int]:
    start, size = text.split("+")
    return int(start, 16), int(size, 16)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("elf")
    ap.add_argument("--function", required=True, help="START+SIZE (hex) of the measured function")
    ap.add_argument("--map", help="file of `ADDRESS KEY` lines (hex address, key or -)")
    ap.add_argument("--refill", type=int, default=2, help="pipeline refill P (1 to 3; default 2)")
    ap.add_argument("--div", type=int, default=12, help="cycles of SDIV/UDIV (2 to 12; default 12)")
    ap.add_argument("--mix", action="store_true", help="also print counts by instruction class")
    ap.add_argument("--print-ranges", action="store_true",
                    help="print QEMU's -dfilter for the function and its callees, and exit")
    args = ap.parse_args()

    if args.print_ranges:
        ranges = callee_ranges(args.elf, *parse_range(args.function))
        print(",".join(f"{s:#x}+{n:#x}" for s, n in ranges))
        return 0

    table = disassemble(args.elf, args.refill, args.div)
    f_start, f_size = parse_range(args.function)
    f_end = f_start + f_size
    keys: dict[int, str] = {}
    if args.map:
        with open(args.map) as f:
            for line in f:
                a, k = line.split()
                keys[int(a, 16)] = k

    blocks: dict[bytes, Block] = {}
    pending: list[int] | None = None  # the instructions of the last "IN:" listing
    pending_host: bytes | None = None
    order: list[str] = []
    index: dict[str, int] = {}
    instr = {"pre": 0}
    cyc = {"pre": 0}
    cur = "pre"
    callee_i = callee_c = unknown = calls = 0
    inside = tail = False
    return_sites: list[int] = []  # in a tail callee: where its own calls return
    call_pending: tuple[int, int] | None = None  # (return site, block) of the last call block
    last: Block | None = None
    mix: dict[str, list[int]] = {}

    for raw in sys.stdin.buffer:
        if raw.startswith(b"Trace "):
            parts = raw.split()
            host = parts[2]
            pc = int(parts[3].split(b"/")[1], 16)
            if pending is not None:
                if pending and pending[0] == pc:
                    blocks[host] = block_timing(pending, table, args.refill)
                pending = None
            block = blocks.get(host)
            if block is None:
                block = block_timing([pc], table, args.refill)  # not listed: one instruction
            in_function = f_start <= pc < f_end
            # The previous block's conditional branch was taken if this is not its successor.
            if inside and last is not None and last.ends == "cond" and pc != last.fallthrough:
                instr_extra = args.refill
                cyc[cur] = cyc.get(cur, 0) + instr_extra
                mix.setdefault("branch", [0, 0])[1] += instr_extra
            if pc == f_start:
                calls += 1
                inside = True
                tail = False
                return_sites = []
                call_pending = None
            if not inside:
                last = None
                continue
            # A tail call: the function's last block branched out of it (`pop {.., lr}` then
            # `b.w callee`); the call ends when that callee returns to the function's caller.
            if (not in_function and last is not None and not tail
                    and f_start <= last.last_pc < f_end and last.ends == "always"
                    and not last.calls and not last.returns):
                tail = True
                return_sites = []
            if tail and call_pending is not None:
                # The call block before this one: its callee's first block, unless it returned
                # unlogged (this is the return site) or the block was logged but left before
                # its call (an interrupt; QEMU runs it again from its start).
                site, call_block = call_pending
                call_pending = None
                if pc not in (site, call_block):
                    return_sites.append(site)
            if tail and return_sites and pc == return_sites[-1]:
                return_sites.pop()  # back from a call of the tail callee
            if in_function:
                k = keys.get(pc, "-")
                if k != "-":
                    if k not in index:
                        index[k] = len(order)
                        order.append(k)
                        instr[k] = cyc[k] = 0
                    cur = k
                elif args.map:
                    unknown += block.count
                # A call belongs to the step of its call site: what it runs counts there (a
                # step whose first keyed instruction follows its call would otherwise lend the
                # call to the step before).
                site = keys.get(block.last_pc, "-") if block.calls else "-"
            else:
                callee_i += block.count
                callee_c += block.cycles
            instr[cur] += block.count
            cyc[cur] += block.cycles
            if in_function and site != "-":
                if site not in index:
                    index[site] = len(order)
                    order.append(site)
                    instr[site] = cyc[site] = 0
                cur = site
            if args.mix:
                for kind, (n, c) in block.mix.items():
                    entry = mix.setdefault(kind, [0, 0])
                    entry[0] += n
                    entry[1] += c
            last = block
            if in_function and block.returns:
                inside = False
            elif tail and block.calls:
                call_pending = (block.fallthrough, pc)
            elif tail and block.returns and not return_sites:
                inside = tail = False
        elif raw.startswith(b"IN:"):
            pending = []
        elif pending is not None and raw.startswith(b"0x"):
            pending.append(int(raw[:raw.index(b":")], 16))

    if calls == 0:
        print("m4_cycles: the function never ran", file=sys.stderr)
        return 1
    total_i = sum(instr.values())
    total_c = sum(cyc.values())
    for n, k in enumerate(order):
        print(f"@exact step={n} instructions={instr[k] // calls} cycles={cyc[k] // calls}")
    print(f"@exact glue instructions={instr['pre'] // calls} cycles={cyc['pre'] // calls}")
    print(f"@exact callees instructions={callee_i // calls} cycles={callee_c // calls}")
    print(f"@exact unattributed instructions={unknown // calls}")
    print(f"@exact total instructions={total_i // calls} cycles={total_c // calls} calls={calls}")
    if args.mix:
        for kind, (n, c) in sorted(mix.items(), key=lambda kv: -kv[1][1]):
            print(f"@mix class={kind.replace(' ', '_')} instructions={n // calls} cycles={c // calls}")
    if args.map and not order:
        print("m4_cycles: no step key ran (the steps are not inlined into the function); "
              "no per-step split", file=sys.stderr)
        return 3
    if args.map and unknown > total_i / 100:
        print(f"m4_cycles: {unknown} of {total_i} instructions have no key; no per-step split",
              file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
