#!/usr/bin/env python3
"""Generates `core/src/kernels/vfp/asm.rs`: the Cortex-M (FPv4-SP / FPv5) micro-kernels of
staticnn, one inline-assembly block per tile shape.

    python3 tools/gen_vfp_kernels.py           # rewrites the file
    python3 tools/gen_vfp_kernels.py --check   # exits 1 if the file is not what it would write

Why assembly, and why generated: on Cortex-M4F Rust has no way to ask for `vfma.f32` (core
has no `f32::mul_add`, and `asm!`'s `sreg` register class needs the double-precision `vfp2`
feature, which an M4 lacks), so a kernel written in Rust compiles each multiply-accumulate to
`vmul` + `vadd` plus a load or two. These blocks keep a whole tile of accumulators in
`s0..s15`, load each operand run with one `vldm` and issue one `vfma.f32` per
multiply-accumulate. The register names are spelled out in the text, so the text is made by
this script rather than by hand; the Rust that calls it (`core/src/kernels/vfp.rs`) is
written by hand.

Register use, all blocks: the block saves and restores every FP register (`vpush`/`vpop
{d0-d15}`, one instruction each), since `asm!` on an M4 cannot name them as clobbers.
"""

import subprocess
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "core/src/kernels/vfp/asm.rs"

# Convolution tiles: (output channels MR, consecutive pixels NP) and the widths KW for
# which the registers suffice: MR * NP accumulators from s0, NP + KW - 1 inputs from s16,
# the weights of one kernel row in chunks of at most WCHUNK at the top.
CONV_TILES = [(4, 4), (2, 8), (2, 4)]
MAX_KW = {4: 6, 8: 5}
# The two ways a block multiplies and accumulates: one `vfma.f32` per MAC, or `vmul.f32` into
# a product register and `vadd.f32` into the accumulator (module `fma` and `mul_add`).
FMA, MUL_ADD = "fma", "mul_add"
# Linear: blocks of 1..=8 rows (1..=6 with products: s6 and s7 hold them), 16 inputs per
# iteration.
LINEAR_ROWS = {FMA: range(1, 9), MUL_ADD: range(1, 7)}


def s(i):
    return f"s{i}"


def reg_list(first, count):
    return "{{" + (s(first) if count == 1 else f"{s(first)}-{s(first + count - 1)}") + "}}"


def weight_chunks(kw, free):
    """Splits a kernel row of kw weights into chunks of at most `free` (the last may be
    shorter)."""
    chunk = min(kw, free)
    out, k = [], 0
    while k < kw:
        n = min(chunk, kw - k)
        out.append((k, n))
        k += n
    return out


# Words of a convolution block's `params` (see `conv_block`), by name; each holds a
# pointer or a count, or a byte distance.
MAX_MR = max(m for m, _ in CONV_TILES)
SLOTS = [
    ("X_SKIP", 1, "bytes from the end of an input channel's kernel rows to the next channel's"),
    ("W_SKIP", 1, "bytes from the end of a row of weights' kernel rows to its next channel's"),
    ("LOAD", MAX_MR, "where each row of accumulators is read from"),
    ("LOAD_STEP", MAX_MR, "bytes each load address moves on after a tile"),
    ("STORE", MAX_MR, "where each row of accumulators is written to"),
    ("W", MAX_MR, "the first weight of each output channel"),
    ("X", 1, "the first input of the next tile"),
    ("X_STEP", 1, "bytes from one tile's first input to the next's"),
    ("TILES", 1, "tiles left"),
    ("CHANNELS", 1, "input channels"),
]
SLOT = {}
_at = 0
for _name, _n, _ in SLOTS:
    SLOT[_name] = _at
    _at += _n
PARAMS = _at


def word(name, r=0):
    """The byte offset of word `name` (row `r`) of `params`."""
    return 4 * (SLOT[name] + r)


def conv_layout(mr, np_, kw, variant):
    """Registers of a convolution block: inputs from s16 (`np + kw - 1`), weight chunks at the
    top, and for `mul_add` two products (`vmul` results) below the weights, or in `s8`/`s9` when
    the accumulators (`s0..`) leave them free."""
    x_regs = np_ + kw - 1
    free = 32 - 16 - x_regs
    if variant == MUL_ADD and mr * np_ > 8:
        chunks = weight_chunks(kw, free - 2)
        top = 32 - chunks[0][1]
        temps = (top - 2, top - 1)
    else:
        chunks = weight_chunks(kw, free)
        temps = (8, 9)
    return x_regs, chunks, temps


def multiply_accumulate(items, variant, temps):
    """The instructions for `items`: `("load", text)` emitted as is, `(acc, w, x)` as one
    `vfma.f32` (FMA) or as a `vmul.f32` into a product register and a `vadd.f32` into the
    accumulator (MUL_ADD). The `vadd` of a product comes after the next `vmul`, two
    instructions after its own `vmul`, so that the product is ready (a Cortex-M4 stalls a cycle
    when the next instruction reads a `vmul` result); the two product registers alternate."""
    lines = []
    if variant == FMA:
        for it in items:
            lines.append(it[1] if it[0] == "load" else f"vfma.f32 {s(it[0])}, {s(it[1])}, {s(it[2])}")
        return lines
    pending = None  # (acc, product register) of the last vmul, whose vadd is not written yet
    n = 0
    for it in items:
        if it[0] == "load":
            lines.append(it[1])
            continue
        acc, w, x = it
        t = temps[n % 2]
        n += 1
        lines.append(f"vmul.f32 {s(t)}, {s(w)}, {s(x)}")
        if pending is not None:
            lines.append(f"vadd.f32 {s(pending[0])}, {s(pending[0])}, {s(pending[1])}")
        pending = (acc, t)
    if pending is not None:
        lines.append(f"vadd.f32 {s(pending[0])}, {s(pending[0])}, {s(pending[1])}")
    return lines


def conv_block(mr, np_, kw, variant):
    x_regs, chunks, temps = conv_layout(mr, np_, kw, variant)
    lines = []
    lines.append("vpush {{d0-d15}}")
    lines.append("4:")  # one tile
    lines.append(f"ldr {{x}}, [{{params}}, #{word('X')}]")
    for r in range(mr):
        lines.append(f"ldr {{w{r}}}, [{{params}}, #{word('W', r)}]")
    for r in range(mr):
        lines.append(f"ldr {{t}}, [{{params}}, #{word('LOAD', r)}]")
        lines.append(f"vldmia {{t}}, {reg_list(r * np_, np_)}")
        lines.append(f"ldr {{c}}, [{{params}}, #{word('LOAD_STEP', r)}]")
        lines.append("add {t}, {t}, {c}")
        lines.append(f"str {{t}}, [{{params}}, #{word('LOAD', r)}]")
    lines.append(f"ldr {{c}}, [{{params}}, #{word('CHANNELS')}]")
    lines.append("2:")
    lines.append("mov {t}, {rows}")
    lines.append("3:")
    lines.append(f"vldmia {{x}}, {reg_list(16, x_regs)}")
    lines.append("add {x}, {x}, {rl4}")
    items = []
    for r in range(mr):
        for k0, n in chunks:
            w0 = 32 - n
            items.append(("load", f"vldmia {{w{r}}}!, {reg_list(w0, n)}"))
            for k in range(n):
                for p in range(np_):
                    items.append((r * np_ + p, w0 + k, 16 + p + k0 + k))
    lines += multiply_accumulate(items, variant, temps)
    lines.append("subs {t}, {t}, #1")
    lines.append("bne 3b")
    lines.append(f"ldr {{t}}, [{{params}}, #{word('X_SKIP')}]")
    lines.append("add {x}, {x}, {t}")
    lines.append(f"ldr {{t}}, [{{params}}, #{word('W_SKIP')}]")
    for r in range(mr):
        lines.append(f"add {{w{r}}}, {{w{r}}}, {{t}}")
    lines.append("subs {c}, {c}, #1")
    lines.append("bne 2b")
    for r in range(mr):
        lines.append(f"ldr {{t}}, [{{params}}, #{word('STORE', r)}]")
        lines.append(f"vstmia {{t}}!, {reg_list(r * np_, np_)}")
        lines.append(f"str {{t}}, [{{params}}, #{word('STORE', r)}]")
    lines.append(f"ldr {{t}}, [{{params}}, #{word('X')}]")
    lines.append(f"ldr {{c}}, [{{params}}, #{word('X_STEP')}]")
    lines.append("add {t}, {t}, {c}")
    lines.append(f"str {{t}}, [{{params}}, #{word('X')}]")
    lines.append(f"ldr {{t}}, [{{params}}, #{word('TILES')}]")
    lines.append("subs {t}, {t}, #1")
    lines.append(f"str {{t}}, [{{params}}, #{word('TILES')}]")
    lines.append("bne 4b")
    lines.append("vpop {{d0-d15}}")
    name = f"conv_{mr}x{np_}_k{kw}"
    body = "\n".join(f'            "{l}",' for l in lines)
    ws = "\n".join(f"            w{r} = out(reg) _," for r in range(mr))
    return f'''
/// Tiles of {mr} output channels x {np_} consecutive pixels of a convolution whose kernel rows
/// are {kw} tap{"s" if kw > 1 else ""} wide (stride 1, no dilation along the row): `acc[r * {np_} + p] += w[r][c][kh][k]
/// * x[c][kh][p + k]` over `params[CHANNELS]` input channels and `rows` kernel rows, for
/// `params[TILES]` tiles one after the other.
///
/// A tile's first input is `params[X]` (its kernel rows `rl4` bytes apart), output channel
/// `r`'s first weight `params[W + r]`; `params[X_SKIP]` and `params[W_SKIP]` are the bytes
/// from the end of a channel's rows to the next channel's, in the input and in each row of
/// weights. Row `r`'s {np_} accumulators are read from `params[LOAD + r]` and written to
/// `params[STORE + r]`. After each tile `params[X]` moves on by `params[X_STEP]` bytes,
/// `params[LOAD + r]` by `params[LOAD_STEP + r]` and `params[STORE + r]` by the {4 * np_} bytes it
/// wrote; `params[TILES]` counts down to 0.
///
/// # Safety
/// `rows`, `params[CHANNELS]` and `params[TILES]` at least 1; every address the loops form
/// must be readable, each load address readable and each store address writable for {np_}
/// floats.
#[inline(always)]
pub unsafe fn {name}(params: &mut [usize; PARAMS], rl4: usize, rows: usize) {{
    // SAFETY: the caller guarantees every address is valid; the block saves and restores
    // every FP register it writes and leaves the stack as it found it.
    unsafe {{
        core::arch::asm!(
{body}
            params = in(reg) params.as_mut_ptr(),
            x = out(reg) _,
{ws}
            rl4 = in(reg) rl4,
            rows = in(reg) rows,
            c = out(reg) _,
            t = out(reg) _,
        );
    }}
}}
'''


def linear_block(rows, variant):
    lines = []
    lines.append("vpush {{d0-d15}}")
    lines.append(f"vldmia {{io}}, {reg_list(0, rows)}")
    lines.append("2:")
    lines.append(f"vldmia {{x}}!, {reg_list(16, 16)}")
    items = []
    for r in range(rows):
        for half in range(2):
            items.append(("load", f"vldmia {{w{r}}}!, {reg_list(8, 8)}"))
            for k in range(8):
                items.append((r, 8 + k, 16 + 8 * half + k))
    # Products in s6 and s7: free up to 6 rows (LINEAR_ROWS[MUL_ADD]).
    lines += multiply_accumulate(items, variant, (6, 7))
    lines.append("subs {n}, {n}, #1")
    lines.append("bne 2b")
    lines.append(f"vstmia {{io}}, {reg_list(0, rows)}")
    lines.append("vpop {{d0-d15}}")
    body = "\n".join(f'            "{l}",' for l in lines)
    ws = "\n".join(f"            w{r} = inout(reg) w[{r}] => _," for r in range(rows))
    return f'''
/// {rows} rows of a matrix-vector product: `io[r] += sum_i w[r][i] * x[i]` over `16 * n` inputs
/// (`w[r]` is row `r`'s first weight).
///
/// # Safety
/// `n >= 1`; `x` and each `w[r]` must be readable for `16 * n` floats, `io` readable and
/// writable for {rows}.
#[inline(always)]
pub unsafe fn linear_{rows}(io: &mut [f32; {rows}], x: *const f32, w: [*const f32; {rows}], n: usize) {{
    // SAFETY: the caller guarantees every address is valid; the block saves and restores
    // every FP register it writes and leaves the stack as it found it.
    unsafe {{
        core::arch::asm!(
{body}
            io = in(reg) io.as_mut_ptr(),
            x = inout(reg) x => _,
{ws}
            n = inout(reg) n => _,
        );
    }}
}}
'''


COPY = '''
/// Copies `8 * n` floats from `src` to `dst`: two instructions per eight floats, where
/// `compiler-builtins`' `memcpy` takes about five per float on a Cortex-M4.
///
/// # Safety
/// `n >= 1`; `src` readable and `dst` writable for `8 * n` floats, not overlapping.
#[inline(always)]
pub unsafe fn copy8(dst: *mut f32, src: *const f32, n: usize) {
    // SAFETY: the caller guarantees both ranges; the block saves and restores the FP registers
    // it writes and leaves the stack as it found it.
    unsafe {
        core::arch::asm!(
            "vpush {{d0-d3}}",
            "2:",
            "vldmia {src}!, {{s0-s7}}",
            "vstmia {dst}!, {{s0-s7}}",
            "subs {n}, {n}, #1",
            "bne 2b",
            "vpop {{d0-d3}}",
            dst = inout(reg) dst => _,
            src = inout(reg) src => _,
            n = inout(reg) n => _,
        );
    }
}
'''


MAX_POOL = '''
/// 2 x 2 max pooling with stride 2 of `rows` output rows of `cols` outputs: `y[i][j]` is the
/// largest of `x[2i][2j]`, `x[2i][2j + 1]`, `x[2i + 1][2j]` and `x[2i + 1][2j + 1]` (input
/// rows `in_w` floats apart), 17 instructions per output. Returns whether it met a NaN, in
/// which case `y` is not PyTorch's (which gives NaN for a window holding one) and the caller
/// must pool again another way.
///
/// How it sees NaNs: `vcmpe` raises the Invalid Operation flag (FPSCR.IOC, sticky) for every
/// comparison with a NaN, quiet or signalling; the block clears the flag first, reads it at the
/// end and then restores its earlier value.
///
/// # Safety
/// `rows` and `cols` at least 1; `x` readable for `2 * rows` rows of `in_w >= 2 * cols`
/// floats and `y` writable for `rows * cols` floats.
#[inline(always)]
pub unsafe fn max_pool_2x2(x: *const f32, y: *mut f32, in_w: usize, rows: usize, cols: usize) -> bool {
    let nan: usize;
    // SAFETY: the caller guarantees both ranges; the block saves and restores the FP registers
    // it writes and FPSCR's flag, and leaves the stack as it found it.
    unsafe {
        core::arch::asm!(
            "vpush {{d0-d1}}",
            "vmrs {saved}, fpscr",
            "bic {t}, {saved}, #1",
            "vmsr fpscr, {t}",
            "lsl {in_w}, {in_w}, #2",
            "lsl {skip}, {in_w}, #1",
            "sub {skip}, {skip}, {cols}, lsl #3",
            "2:",
            "add {x1}, {x0}, {in_w}",
            "mov {n}, {cols}",
            "3:",
            "vldmia {x0}!, {{s0-s1}}",
            "vldmia {x1}!, {{s2-s3}}",
            "vcmpe.f32 s1, s0",
            "vmrs APSR_nzcv, fpscr",
            "it gt",
            "vmovgt.f32 s0, s1",
            "vcmpe.f32 s2, s0",
            "vmrs APSR_nzcv, fpscr",
            "it gt",
            "vmovgt.f32 s0, s2",
            "vcmpe.f32 s3, s0",
            "vmrs APSR_nzcv, fpscr",
            "it gt",
            "vmovgt.f32 s0, s3",
            "vstmia {y}!, {{s0}}",
            "subs {n}, {n}, #1",
            "bne 3b",
            "add {x0}, {x0}, {skip}",
            "subs {rows}, {rows}, #1",
            "bne 2b",
            "vmrs {t}, fpscr",
            "and {saved}, {saved}, #1",
            "bic {x1}, {t}, #1",
            "orr {x1}, {x1}, {saved}",
            "vmsr fpscr, {x1}",
            "and {t}, {t}, #1",
            "vpop {{d0-d1}}",
            x0 = inout(reg) x => _,
            y = inout(reg) y => _,
            in_w = inout(reg) in_w => _,
            rows = inout(reg) rows => _,
            cols = in(reg) cols,
            x1 = out(reg) _,
            n = out(reg) _,
            skip = out(reg) _,
            saved = out(reg) _,
            t = out(reg) nan,
        );
    }
    nan != 0
}
'''


def row_ptr(r):
    return "w0" if r == 0 else "w0.add(row)" if r == 1 else f"w0.add({r} * row)"


def rustfmt(text):
    """Formats like `cargo fmt` (the repository's rustfmt.toml), so --check can compare."""
    root = OUT.parent.parent.parent.parent.parent
    done = subprocess.run(
        ["rustfmt", "--edition", "2024", "--config-path", str(root / "rustfmt.toml")],
        input=text, capture_output=True, text=True, check=True)
    return done.stdout


def dispatch(variant):
    conv_arms = []
    for mr, np_ in CONV_TILES:
        for kw in range(1, MAX_KW[np_] + 1):
            conv_arms.append(f"        ({mr}, {np_}, {kw}) => conv_{mr}x{np_}_k{kw}(params, rl4, rows),")
    lin_arms = []
    for rows in LINEAR_ROWS[variant]:
        ws = ", ".join(row_ptr(r) for r in range(rows))
        lin_arms.append(
            f"        {rows} => {{\n"
            f"            let Ok(io) = <&mut [f32; {rows}]>::try_from(io) else {{ return false }};\n"
            f"            linear_{rows}(io, x, [{ws}], n)\n"
            f"        }}")
    conv_arms = "\n".join(conv_arms)
    lin_arms = "\n".join(lin_arms)
    return f'''
/// Whether [`conv`] has a block for `mr` output channels x `np` pixels, `kw` taps wide.
#[must_use]
pub const fn conv_has(mr: usize, np: usize, kw: usize) -> bool {{
    matches!((mr, np), {" | ".join(f"({m}, {n})" for m, n in CONV_TILES)})
        && kw >= 1
        && kw <= if np == 4 {{ {MAX_KW[4]} }} else {{ {MAX_KW[8]} }}
}}

/// Runs the convolution block for `(mr, np, kw)` (see `conv_4x4_k3`). Returns `false`, doing
/// nothing, if there is no such block.
///
/// # Safety
/// As the block's.
#[inline(always)]
pub unsafe fn conv(
    (mr, np, kw): (usize, usize, usize),
    params: &mut [usize; PARAMS],
    rl4: usize,
    rows: usize,
) -> bool {{
    // SAFETY: forwarded from the caller.
    unsafe {{
        match (mr, np, kw) {{
{conv_arms}
            _ => return false,
        }}
    }}
    true
}}

/// The largest block of rows [`linear`] has.
pub const LINEAR_MAX_ROWS: usize = {max(LINEAR_ROWS[variant])};

/// Runs `linear_{{io.len()}}` (rows `w0 + r * row`). Returns `false`, doing nothing, if there is
/// no block of that many rows.
///
/// # Safety
/// As the block's.
#[inline(always)]
pub unsafe fn linear(io: &mut [f32], x: *const f32, w0: *const f32, row: usize, n: usize) -> bool {{
    // SAFETY: forwarded from the caller; `w0.add(r * row)` are the rows it vouches for.
    unsafe {{
        match io.len() {{
{lin_arms}
            _ => return false,
        }}
    }}
    true
}}
'''


# Which module's blocks a build uses (see the doc comment written below).
FMA_CFG = 'any(feature = "vfp-fma", target_feature = "vfp2")'

MODULE_DOC = {
    FMA: """Blocks with one `vfma.f32` per multiply-accumulate (3 cycles on a Cortex-M4,
/// pipelined on a Cortex-M7), rounding once.""",
    MUL_ADD: """Blocks with a `vmul.f32` and a `vadd.f32` per multiply-accumulate (1 cycle each
/// on a Cortex-M4), rounding twice like portable code. Each `vadd` comes two instructions after
/// its `vmul` (two product registers alternate), so that a Cortex-M4 never waits for a
/// product.""",
}


def module(variant):
    body = [f"\n/// {MODULE_DOC[variant]}\npub mod {variant} {{\n    use super::PARAMS;\n"]
    for mr, np_ in CONV_TILES:
        for kw in range(1, MAX_KW[np_] + 1):
            body.append(conv_block(mr, np_, kw, variant))
    for rows in LINEAR_ROWS[variant]:
        body.append(linear_block(rows, variant))
    body.append(dispatch(variant))
    body.append("}\n")
    return "".join(body)


def generate():
    parts = [
        "//! Generated by `tools/gen_vfp_kernels.py`; do not edit. Cortex-M micro-kernels:\n"
        "//! operands loaded with `vldm`, a tile's accumulators in registers, in two versions:\n"
        "//! [`fma`] (one `vfma.f32` per multiply-accumulate) and [`mul_add`] (`vmul.f32` +\n"
        "//! `vadd.f32`). A build uses one of them (re-exported here): `fma` on cores with a\n"
        "//! double-precision FPU (`target_feature = \"vfp2\"`: the Cortex-M7, whose FPU is\n"
        "//! pipelined), `mul_add` on single-precision ones (the Cortex-M4F, whose `vfma` takes 3\n"
        "//! cycles where `vmul` and `vadd` take 1 each); the feature `vfp-fma` forces `fma`.\n"
        "//! See [`super`] for how they are used.\n"
        "\n"
        f"#[cfg({FMA_CFG})]\n"
        "pub use fma::*;\n"
        f"#[cfg(not({FMA_CFG}))]\n"
        "pub use mul_add::*;\n"
        "\n"
        "/// Words of a convolution block's `params` (see `fma::conv_4x4_k3`).\n"
        f"pub const PARAMS: usize = {PARAMS};\n"
    ]
    for name, n, what in SLOTS:
        rows = f" (words `{name}..{name} + {n}`, one per row)" if n > 1 else ""
        parts.append(f"/// Word of a convolution block's `params`: {what}{rows}.\n"
                     f"pub const {name}: usize = {SLOT[name]};\n")
    parts.append(module(FMA))
    parts.append(module(MUL_ADD))
    parts.append(COPY)
    parts.append(MAX_POOL)
    return rustfmt("".join(parts))


def main():
    text = generate()
    if "--check" in sys.argv:
        if OUT.read_text() != text:
            print(f"{OUT} is stale: run python3 tools/gen_vfp_kernels.py", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
