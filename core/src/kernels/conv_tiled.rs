//! Register-tiled direct convolution for 1-d and 2-d convolutions.
//!
//! A *tile* is `MR` output channels × `NV` vectors of consecutive output pixels (a vector is
//! [`Vector::LANES`] pixels of one output row, or of the flattened plane for a 1×1
//! convolution). Its `MR * NV` accumulators stay in registers across every input channel and
//! tap; each step loads `NV` input vectors and broadcasts `MR` weights, which PyTorch's layout
//! `[out, in / groups, kh, kw]` gives as one scalar per row. The tile shape is chosen per
//! geometry at compile time by a small cost model ([`Plan`]).
//!
//! The input is read from a *panel*: a copy of (a chunk of) the group's input channels with
//! the padding materialised (zeros or the padding mode's values) and, for a horizontal stride
//! `s`, each row split into `s` phases (`x[s*j + p]` at phase `p`, index `j`), so that the
//! pixels of one output vector are always consecutive. A 1×1 convolution with stride 1 and no
//! padding reads its input directly. Taps whose rows are padding for every row of a tile are
//! skipped.
//!
//! Blocks of output channels are computed one after the other into `MR` planes; a caller can
//! finish each plane (activation, batch norm, pooling) while it is in cache. When the output
//! channels or vectors do not divide into blocks and tiles, the last block or tile is moved
//! back to overlap the previous one and the overlapped part is computed but not stored.

use crate::kernels::PaddingMode;
use crate::kernels::conv::ConvGeometry;
use crate::kernels::depthwise;
use crate::kernels::isa::{self, Isa};
use crate::kernels::simd::Vector;

/// Output channels of the largest block when the caller writes straight into the output.
pub const MAX_BLOCK: usize = 8;
/// Whether vectors of `lanes` lanes are wide (x86's AVX2 and AVX-512 levels): the kernels then
/// trade working memory for speed; with the portable 4-lane ones (microcontrollers) working
/// memory is kept small, since it is planned into the network's scratch buffer and counts
/// against the RAM of a small part.
const fn wide(lanes: usize) -> bool {
    lanes >= 8
}
/// Output channels of the largest block when the caller buffers a block of planes (pooling
/// fused after the convolution) and the planes are large: the buffer holds this many planes.
const fn large_plane_block(lanes: usize) -> usize {
    if wide(lanes) { 4 } else { 2 }
}
/// Output channels of the largest buffered block when planes are small (at most
/// [`SMALL_PLANE`] floats): four such planes cost at most 1 KiB of working memory.
const SMALL_PLANE_BLOCK: usize = 4;
/// Floats of a plane small enough for [`SMALL_PLANE_BLOCK`].
const SMALL_PLANE: usize = 64;
/// With wide vectors, floats of a plane small enough for blocks of [`MAX_BLOCK`] channels
/// (8 KiB of planes at most): the tiles of a buffered block are then as large as unbuffered
/// ones (measured on DS-CNN's last 1 x 1 convolution fused with its average pool, planes of
/// 125 floats).
const WIDE_SMALL_PLANE: usize = 256;

/// Output channels of the largest buffered block for `G` with vectors of `lanes` lanes.
#[must_use]
pub const fn buffered_block<G: ConvGeometry>(lanes: usize) -> usize {
    if wide(lanes) && G::OUT_PLANE <= WIDE_SMALL_PLANE {
        MAX_BLOCK
    } else if G::OUT_PLANE <= SMALL_PLANE && SMALL_PLANE_BLOCK > large_plane_block(lanes) {
        SMALL_PLANE_BLOCK
    } else {
        large_plane_block(lanes)
    }
}
/// Floats of the largest input panel with vectors of `lanes` lanes (16 KiB with wide vectors,
/// 6 KiB without). Larger inputs are processed in chunks of input channels, the partial sums
/// kept in the output planes.
const fn panel_cap(lanes: usize) -> usize {
    if wide(lanes) { 4096 } else { 1536 }
}

/// Floats of the largest shifted panel (`Plan::shifted`, wide vectors only): it holds each
/// input channel once per kernel column, so it may be larger.
const SHIFTED_PANEL_CAP: usize = 16384;

/// Floats of the largest panel holding a whole group of input channels (wide vectors).
const GROUP_PANEL_CAP: usize = 20480;

/// Floats of the largest panel of a plan.
const fn plan_panel_cap(p: Plan) -> usize {
    if p.shifted { SHIFTED_PANEL_CAP } else { panel_cap(p.lanes) }
}
/// Floats of the largest input panel of any level this build may run: a buffer this large
/// holds the working memory of [`conv_tiled`] for every geometry.
pub const PANEL_CAP: usize = {
    let mut cap = panel_cap(<isa::Compiled as Isa>::Wide::LANES);
    if (isa::RUNTIME_DISPATCH || wide(<isa::Compiled as Isa>::Wide::LANES))
        && SHIFTED_PANEL_CAP > cap
    {
        cap = SHIFTED_PANEL_CAP;
    }
    if (isa::RUNTIME_DISPATCH || wide(<isa::Compiled as Isa>::Wide::LANES)) && GROUP_PANEL_CAP > cap
    {
        cap = GROUP_PANEL_CAP;
    }
    cap
};

/// Calls macro `$m` with the tile shapes `(MR, NV)` the kernel is compiled for, by preference
/// on equal cost: the plan's list and the dispatch's arms come from this one list.
macro_rules! with_shapes {
    ($m:ident) => {
        $m! {
            (6, 4), (4, 6), (8, 3), (3, 6), (4, 5), (4, 4), (8, 2), (6, 2), (4, 3), (3, 4), (2, 6),
            (1, 13), (1, 12), (5, 2), (2, 5), (3, 3), (4, 2), (2, 4), (1, 8), (3, 2), (2, 3), (1, 6),
            (2, 2), (4, 1), (1, 4), (2, 1), (1, 1)
        }
    };
}

macro_rules! shape_list {
    ($(($mr:literal, $nv:literal)),*) => { &[$(($mr, $nv)),*] };
}

/// Tile shapes `(MR, NV)` the kernel is compiled for.
const SHAPES: &[(usize, usize)] = with_shapes!(shape_list);

/// How a convolution is tiled: all sizes, computed at compile time from the geometry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Whether the tiled kernel handles the geometry (else the caller uses the reference).
    pub supported: bool,
    /// Lanes of the plan's vectors.
    pub lanes: usize,
    /// The cost model's estimate of the plan's time, in sixteenths of a cycle (`usize::MAX`
    /// when not supported): how a level chooses between its vectors.
    pub cost: usize,
    /// A 1×1 convolution with stride 1 and no padding: the input is its own panel.
    flat: bool,
    /// Vectors run over the whole flattened output plane (not row by row), reading a panel
    /// that holds, for each input channel, kernel column and row phase, the input rows each
    /// output row reads, cut to the output's width ([`build_shifted_panel`]): no lane is
    /// wasted on rows narrower than a vector.
    shifted: bool,
    /// Output channels per tile.
    pub mr: usize,
    /// Vectors per tile.
    pub nv: usize,
    /// Vectors per output row (per plane when `flat` or `shifted`).
    cv: usize,
    /// Vectors per output plane.
    vectors: usize,
    /// Length of one output row (the whole plane when `flat`).
    ow: usize,
    /// Length of one phase of a panel row (row layout); floats of one row phase of a kernel
    /// column (`shifted`).
    ph: usize,
    /// Length of one panel row (all phases; row layout).
    rl: usize,
    /// Rows of a panel channel (row layout); rows of one row phase (`shifted`).
    pr: usize,
    /// Distance between two channels in the panel (or the input when `flat`).
    cs: usize,
    /// Input channels per panel.
    chunk: usize,
    /// Groups whose panels are built together, one after the other (when a whole group fits):
    /// the panel is written well before it is read, never just before.
    group_batch: usize,
    /// Panel distance between two kernel rows (row layout).
    kh_step: usize,
    /// Panel distance between two kernel columns (`shifted`).
    kw_step: usize,
    /// The largest panel offset of a tap (`c = 0`, first vector).
    tap_max: usize,
    /// The largest panel offset of a kernel column (row layout).
    kw_max: usize,
    /// Which micro-kernel computes the tiles.
    micro: Micro,
    /// Output rows per panel band: the panel holds the input rows of `band` output rows (all
    /// of them, `out_h`, unless a band of all input channels fits where the whole plane of
    /// all channels does not).
    band: usize,
}

/// The micro-kernel of a plan's tiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Micro {
    /// [`micro`]: one load per input vector and tap.
    Taps,
    /// [`micro_rows`]: each vector a whole output row, each input row loaded once per kernel
    /// column, kept in registers.
    Rows,
    /// Cortex-M blocks (`band_vfp` and `run_vfp`, `kernels::vfp` on Cortex-M): `MR` channels
    /// by `4 * NV` consecutive pixels of one row.
    CortexM,
}

/// Most input rows [`micro_rows`] keeps in registers.
const MAX_SPAN: usize = 16;

/// Panel offset of kernel column `kw`: its phase, then its index within the phase.
const fn kw_offset(kw: usize, dilation: usize, stride: usize, ph: usize) -> usize {
    let at = kw * dilation;
    (at % stride) * ph + at / stride
}

/// Panel offset of tap `(kh, kw)` of input channel 0 for the first output vector.
#[inline(always)]
const fn tap_offset<G: ConvGeometry>(plan: Plan, kh: usize, kw: usize) -> usize {
    let [_, s_h, s_w] = G::STRIDE;
    let [_, d_h, d_w] = G::DILATION;
    if plan.shifted {
        let at = kh * d_h;
        kw * plan.kw_step + (at % s_h) * plan.ph + (at / s_h) * plan.ow
    } else {
        kh * plan.kh_step + kw_offset(kw, d_w, s_w, plan.ph)
    }
}

/// The cost of all tiles of a `(mr, nv)` tiling: one step (one input channel
/// and tap) issues `mr * nv` FMAs and `mr + nv` loads (two of each per cycle) and cannot be
/// shorter than the FMA latency (4 cycles); each tile also loads and stores its accumulators,
/// once per chunk of input channels. The units are sixteenths of a cycle.
const fn tiling_cost(
    mr: usize,
    nv: usize,
    out_per_group: usize,
    groups: usize,
    vectors: usize,
    steps: usize,
    chunks: usize,
) -> usize {
    let blocks = out_per_group.div_ceil(mr) * groups;
    let tiles = vectors.div_ceil(nv);
    let mut step = mr * nv;
    if mr + nv > step {
        step = mr + nv;
    }
    if step < 8 {
        step = 8;
    }
    // In sixteenths of a cycle; the loads also count a little when the FMAs dominate (they
    // compete for issue slots), which prefers the squarer of two otherwise equal tiles.
    let step = 8 * step + mr + nv;
    blocks * tiles * (step * steps + (32 * mr * nv + 128) * chunks)
}

/// The plan of geometry `G` for vectors of `lanes` lanes, at most `max_acc` accumulators,
/// `registers` vector registers and blocks of at most `max_mr` channels: the cheaper of the
/// row layout and, with wide vectors, the shifted one (`Plan::shifted`).
#[must_use]
pub const fn plan<G: ConvGeometry>(
    lanes: usize,
    max_acc: usize,
    registers: usize,
    max_mr: usize,
) -> Plan {
    let rows = plan_layout::<G>(false, lanes, max_acc, registers, max_mr);
    if rows.flat || !wide(lanes) || G::OUT_PLANE < lanes {
        return rows;
    }
    let shifted = plan_layout::<G>(true, lanes, max_acc, registers, max_mr);
    if shifted.supported && (!rows.supported || shifted.cost < rows.cost) { shifted } else { rows }
}

/// The plan of `G` in the row layout, or the shifted one when `shifted` (see [`plan`]).
const fn plan_layout<G: ConvGeometry>(
    shifted: bool,
    lanes: usize,
    max_acc: usize,
    registers: usize,
    max_mr: usize,
) -> Plan {
    let [in_d, _, _] = G::IN;
    let [out_d, out_h, out_w] = G::OUT;
    let [k_d, k_h, k_w] = G::KERNEL;
    let [_, s_h, s_w] = G::STRIDE;
    let [_, d_h, d_w] = G::DILATION;
    let mut p = Plan {
        supported: false,
        lanes,
        cost: usize::MAX,
        flat: false,
        shifted,
        mr: 1,
        nv: 1,
        cv: 1,
        vectors: 1,
        ow: out_w,
        ph: 0,
        rl: 0,
        pr: 0,
        cs: 0,
        chunk: G::IN_PER_GROUP,
        group_batch: 1,
        kh_step: 0,
        kw_step: 0,
        tap_max: 0,
        kw_max: 0,
        micro: Micro::Taps,
        band: out_h,
    };
    if in_d != 1 || out_d != 1 || k_d != 1 || G::OUT_PLANE == 0 || G::IN_PER_GROUP == 0 {
        return p; // 3-d convolutions keep the reference kernel
    }
    p = panel_layout::<G>(p);
    let mut steps = G::IN_PER_GROUP * G::TAPS;
    if wide(lanes) && !shifted && !p.flat {
        steps = (steps * rows_inside::<G>()).div_ceil(1024);
    }
    // Each chunk of input channels reloads the accumulators (counted with wide vectors only:
    // the portable plans, which microcontrollers run, are tuned as they are).
    let chunks = if wide(lanes) && p.chunk > 0 { G::IN_PER_GROUP.div_ceil(p.chunk) } else { 1 };
    let mut best = usize::MAX;
    let mut i = 0;
    while i < SHAPES.len() {
        let (mr, nv) = SHAPES[i];
        let fits = mr <= max_mr && mr <= G::OUT_PER_GROUP && nv <= p.vectors;
        if fits && mr * nv <= max_acc && mr * nv + nv < registers {
            let cost = tiling_cost(mr, nv, G::OUT_PER_GROUP, G::GROUPS, p.vectors, steps, chunks);
            if cost < best {
                best = cost;
                p.mr = mr;
                p.nv = nv;
            }
        }
        i += 1;
    }
    p.supported = best < usize::MAX;
    // Measured: it pays when the input loads dominate (one channel per tile, as in depthwise
    // convolutions); with several channels the weight broadcasts dominate and it was slower.
    if !p.flat && !shifted && p.cv == 1 && p.mr == 1 {
        let span = (p.nv - 1) * s_h + (k_h - 1) * d_h + 1;
        if span <= MAX_SPAN && p.mr * p.nv + span < registers {
            p.micro = Micro::Rows;
        }
    }
    // The Cortex-M blocks read each kernel row's taps as consecutive panel floats.
    if VFP
        && lanes == 4
        && !p.flat
        && s_w == 1
        && d_w == 1
        && let Some((mr, nv)) = vfp_tile(k_w, p.cv, G::OUT_PER_GROUP, max_mr)
        && nv <= p.vectors
    {
        (p.mr, p.nv, p.micro, p.supported) = (mr, nv, Micro::CortexM, true);
    }
    p = with_bands::<G>(p);
    if !p.flat && p.chunk == 0 {
        p.supported = false; // one input channel does not fit the panel, nor a band of it
    }
    if wide(lanes) && !p.flat && p.chunk >= G::IN_PER_GROUP && p.band >= out_h {
        // Whole groups fit: as many as fit are built together (with wide vectors: the
        // portable plans keep their small working memory).
        p.group_batch = (plan_panel_cap(p) - slack(p)) / (G::IN_PER_GROUP * p.cs);
        if p.group_batch > G::GROUPS {
            p.group_batch = G::GROUPS;
        }
        if p.group_batch > MAX_GROUP_BATCH {
            p.group_batch = MAX_GROUP_BATCH;
        }
        if p.group_batch == 0 {
            p.group_batch = 1;
        }
    }
    p.cost = if p.supported { best + panel_cost::<G>(p) } else { usize::MAX };
    p
}

/// `p` with its panel layout (flat, shifted or rows, per `p.shifted`), its chunk of input
/// channels and its largest tap offsets set, for a 2-d geometry `G`.
const fn panel_layout<G: ConvGeometry>(mut p: Plan) -> Plan {
    let lanes = p.lanes;
    let shifted = p.shifted;
    let [_, out_h, out_w] = G::OUT;
    let [_, k_h, k_w] = G::KERNEL;
    let [_, s_h, s_w] = G::STRIDE;
    let [_, d_h, d_w] = G::DILATION;
    let [_, p_h, p_w] = G::PAD;
    p.flat = k_h == 1 && k_w == 1 && s_h == 1 && s_w == 1 && p_h == 0 && p_w == 0;
    p.flat = p.flat && G::OUT_PLANE == G::IN_PLANE && G::OUT_PLANE >= lanes && !shifted;
    if p.flat {
        p.ow = G::OUT_PLANE;
        p.cv = G::OUT_PLANE.div_ceil(lanes);
        p.vectors = p.cv;
        p.cs = G::IN_PLANE;
    } else if shifted {
        p.cv = G::OUT_PLANE.div_ceil(lanes);
        p.vectors = p.cv;
        p.pr = out_h + (k_h - 1) * d_h / s_h;
        p.ph = p.pr * out_w;
        p.kw_step = s_h * p.ph;
        p.cs = k_w * p.kw_step;
    } else {
        p.cv = out_w.div_ceil(lanes);
        p.vectors = out_h * p.cv;
        p.ph = p.cv * lanes + (k_w - 1) * d_w / s_w;
        p.rl = s_w * p.ph;
        p.pr = (out_h - 1) * s_h + (k_h - 1) * d_h + 1;
        p.cs = p.pr * p.rl;
        p.kh_step = d_h * p.rl;
    }
    if !p.flat {
        p.chunk = (plan_panel_cap(p) - slack(p)) / p.cs;
        // A panel of a chunk of the input channels is rebuilt by every block of output
        // channels; with wide vectors, hold the whole group instead when it fits in
        // `GROUP_PANEL_CAP`, built once and read from L2 (measured on an AMD Zen 5, ResNet-8:
        // the stride-2 convolution 16 -> 32 on 32 x 32, chunks of 3 channels rebuilt by each
        // of 8 blocks, 59 -> 17 us; the stride-1 16 -> 16 ones 36 -> 23 us; CIFAR-10's
        // second convolution unchanged within noise, 63 -> 60 us).
        if wide(lanes)
            && p.chunk < G::IN_PER_GROUP
            && G::IN_PER_GROUP * p.cs + slack(p) <= GROUP_PANEL_CAP
        {
            p.chunk = G::IN_PER_GROUP;
        }
        if p.chunk > G::IN_PER_GROUP {
            p.chunk = G::IN_PER_GROUP;
        } else if p.chunk > 0 {
            // Equal chunks: 32 channels in 2 x 16 rather than 28 + 4.
            let chunks = G::IN_PER_GROUP.div_ceil(p.chunk);
            p.chunk = G::IN_PER_GROUP.div_ceil(chunks);
        }
        let mut kh = 0;
        while kh < k_h {
            let mut kw = 0;
            while kw < k_w {
                let off = tap_offset::<G>(p, kh, kw);
                if off > p.tap_max {
                    p.tap_max = off;
                }
                let off = tap_offset::<G>(p, 0, kw);
                if off > p.kw_max {
                    p.kw_max = off;
                }
                kw += 1;
            }
            kh += 1;
        }
    }
    p
}

/// Most groups whose panels are built together.
const MAX_GROUP_BATCH: usize = 16;

/// Floats after the last channel of a panel that a vector may read: the shifted layout's last
/// vector of a plane reads up to a vector past the plane (into the next kernel column's rows
/// or, for the last, these floats), its lanes past the plane unused.
const fn slack(p: Plan) -> usize {
    if p.shifted { p.lanes } else { 0 }
}

/// The cost of building the panels of a plan, in sixteenths of a cycle: each panel row
/// written costs a few cycles plus one per vector of it. Panels are built once per group
/// when a whole group fits, else once per block of output channels and chunk.
const fn panel_cost<G: ConvGeometry>(p: Plan) -> usize {
    if p.flat {
        return 0;
    }
    let builds = if p.chunk >= G::IN_PER_GROUP && p.band >= G::OUT[1] {
        G::GROUPS
    } else {
        G::GROUPS * G::OUT_PER_GROUP.div_ceil(p.mr) * G::OUT[1].div_ceil(p.band)
    };
    let [_, _, in_w] = G::IN;
    let [_, _, out_w] = G::OUT;
    let [_, s_h, s_w] = G::STRIDE;
    let [_, _, k_w] = G::KERNEL;
    let zeros = matches!(G::PADDING_MODE, PaddingMode::Zeros);
    // Per input channel, in sixteenths of a cycle.
    let per_channel = if p.shifted && zeros && s_w == 1 && s_h == 1 && out_w == in_w {
        // One copy per kernel column, then the padding columns of each row cleared.
        k_w * 16 * (8 + p.ph.div_ceil(p.lanes) + p.pr)
    } else {
        let (rows, row_len) = if p.shifted { (k_w * s_h * p.pr, p.ow) } else { (s_w * p.pr, p.ph) };
        let strided = if s_w > 1 { row_len } else { 0 };
        rows * 16 * (4 + row_len.div_ceil(p.lanes) + strided)
    };
    builds * G::IN_PER_GROUP * per_channel
}

/// The share of the row layout's steps that read inside the input, in 1/1024ths: its tiles
/// skip the kernel rows that read only zero padding (`kernel_rows`), the shifted layout's
/// cannot (its vectors span several rows).
const fn rows_inside<G: ConvGeometry>() -> usize {
    let [_, out_h, _] = G::OUT;
    let [_, k_h, _] = G::KERNEL;
    let mut inside = 0;
    let mut row = 0;
    while row < out_h {
        let (lo, hi) = kernel_rows::<G>(row, row);
        if hi > lo {
            inside += hi - lo;
        }
        row += 1;
    }
    1024 * inside / (out_h * k_h)
}

/// Without wide vectors the panel is small (it counts against a microcontroller's RAM).
/// Rather than a chunk of the input channels over the whole plane, it then holds all of them
/// over a band of rows, if enough rows fit: each tile runs over every input channel in one go
/// (measured on a Cortex-M4: CIFAR-10's first convolution, 3 input channels of 36 x 36
/// padded, went from 1 channel per chunk to bands of 8 rows, 1.52 to 1.36 instructions per
/// MAC).
const fn with_bands<G: ConvGeometry>(mut p: Plan) -> Plan {
    let [_, out_h, _] = G::OUT;
    let [_, k_h, _] = G::KERNEL;
    let [_, s_h, _] = G::STRIDE;
    let [_, d_h, _] = G::DILATION;
    if wide(p.lanes) || p.flat || p.chunk >= G::IN_PER_GROUP || matches!(p.micro, Micro::Rows) {
        return p;
    }
    let rows_fit = panel_cap(p.lanes) / (G::IN_PER_GROUP * p.rl);
    let span = (k_h - 1) * d_h + 1;
    if rows_fit < span {
        return p;
    }
    let most = (rows_fit - span) / s_h + 1;
    let bands = out_h.div_ceil(most);
    let band = out_h.div_ceil(bands); // equal bands
    // Every band, the last too, must hold a whole tile.
    if (out_h - (bands - 1) * band) * p.cv >= p.nv {
        p.band = band;
        p.pr = (band - 1) * s_h + span;
        p.cs = p.pr * p.rl;
        p.chunk = G::IN_PER_GROUP;
    }
    p
}

/// Whether this build has the Cortex-M blocks of `kernels::vfp` (Cortex-M builds only).
const VFP: bool = cfg!(all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass"));

/// The Cortex-M blocks' tile for `(kw, cv, out_per_group, max_mr)` (see
/// `kernels::vfp::conv_tile`); `None` on other targets.
const fn vfp_tile(
    kw: usize,
    cv: usize,
    out_per_group: usize,
    max_mr: usize,
) -> Option<(usize, usize)> {
    #[cfg(all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass"))]
    return super::vfp::conv_tile(kw, cv, out_per_group, max_mr);
    #[cfg(not(all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass")))]
    {
        let _ = (kw, cv, out_per_group, max_mr);
        None
    }
}

/// The plan of `G` for vectors `V` and blocks of at most [`MAX_BLOCK`] channels, or of
/// [`buffered_block`] channels when `BUFFERED`, as a constant.
struct Tiling<G, const BUFFERED: bool, V>(core::marker::PhantomData<(G, V)>);

/// A plan as a constant of a type: the kernels read its fields as constants even where the
/// compiler does not inline them into one function.
trait Planned {
    /// The plan.
    const PLAN: Plan;
    /// The vectors it computes with.
    type V: Vector;
}

impl<G: ConvGeometry, const BUFFERED: bool, V: Vector> Planned for Tiling<G, BUFFERED, V> {
    type V = V;
    const PLAN: Plan = plan::<G>(
        V::LANES,
        V::MAX_ACC,
        V::REGISTERS,
        if BUFFERED { buffered_block::<G>(V::LANES) } else { MAX_BLOCK },
    );
}

/// Which of its two vectors level `I` computes `G` with: [`Isa::Wide`] unless the cost model
/// prefers [`Isa::Narrow`] (rows narrower than the wide vector).
struct Choice<G, const BUFFERED: bool, I>(core::marker::PhantomData<(G, I)>);

impl<G: ConvGeometry, const BUFFERED: bool, I: Isa> Choice<G, BUFFERED, I> {
    /// Whether the wide vector computes `G`.
    const WIDE: bool = {
        let wide = Tiling::<G, BUFFERED, I::Wide>::PLAN;
        let narrow = Tiling::<G, BUFFERED, I::Narrow>::PLAN;
        wide.supported && (!narrow.supported || wide.cost <= narrow.cost)
    };
    /// The plan level `I` runs.
    const PLAN: Plan = if Self::WIDE {
        Tiling::<G, BUFFERED, I::Wide>::PLAN
    } else {
        Tiling::<G, BUFFERED, I::Narrow>::PLAN
    };
}

/// The plans every level this build may run uses for `G` (repeated when there are fewer
/// levels): what the working memory is sized for.
const fn level_plans<G: ConvGeometry, const BUFFERED: bool>() -> [Plan; 3] {
    #[cfg(all(staticnn_x86_dispatch, any(feature = "std", test)))]
    return [
        Choice::<G, BUFFERED, isa::Portable>::PLAN,
        Choice::<G, BUFFERED, isa::Avx2>::PLAN,
        Choice::<G, BUFFERED, isa::Avx512>::PLAN,
    ];
    #[cfg(not(all(staticnn_x86_dispatch, any(feature = "std", test))))]
    {
        let p = Choice::<G, BUFFERED, isa::Compiled>::PLAN;
        [p, p, p]
    }
}

/// Whether [`conv_tiled`] handles `G` (else use [`conv_plane`](super::conv::conv_plane)): at
/// every level this build may run.
#[must_use]
pub const fn supported<G: ConvGeometry>() -> bool {
    let (plain, buffered) = (level_plans::<G, false>(), level_plans::<G, true>());
    let mut i = 0;
    while i < plain.len() {
        if !plain[i].supported || !buffered[i].supported {
            return false;
        }
        i += 1;
    }
    true
}

/// Floats of the input panel [`conv_tiled`] needs for `G` in its `workspace` (0 for a 1×1
/// convolution, which reads its input directly): the most of any level this build may run.
#[must_use]
pub const fn workspace_len<G: ConvGeometry>() -> usize {
    let plans = level_plans::<G, false>();
    let lanes = level_wide_lanes();
    let subsampled = level_subsampled_len::<G>();
    let mut n = 0;
    let mut i = 0;
    while i < plans.len() {
        let len = if depthwise::applies::<G>(lanes[i]) {
            depthwise::workspace_len::<G>(lanes[i])
        } else if subsampled[i] > 0 {
            subsampled[i] // the subsampled plan is flat: no panel
        } else {
            panel_len(plans[i])
        };
        if len > n {
            n = len;
        }
        i += 1;
    }
    n
}

/// A 1 x 1 convolution `G` with a stride and no padding (a residual network's shortcut) as
/// the stride-1 convolution of its subsampled input.
struct Subsampled<G>(core::marker::PhantomData<G>);

impl<G: ConvGeometry> ConvGeometry for Subsampled<G> {
    const C_IN: usize = G::C_IN;
    const C_OUT: usize = G::C_OUT;
    const GROUPS: usize = G::GROUPS;
    const IN: [usize; 3] = G::OUT;
    const OUT: [usize; 3] = G::OUT;
    const KERNEL: [usize; 3] = [1, 1, 1];
    const STRIDE: [usize; 3] = [1, 1, 1];
    const DILATION: [usize; 3] = [1, 1, 1];
    const PAD: [usize; 3] = [0, 0, 0];
    const PADDING_MODE: PaddingMode = PaddingMode::Zeros;
}

/// Whether level `I` computes `G` through [`Subsampled`]: a 1 x 1 convolution with a stride
/// and no padding, with wide vectors (the subsampled input is working memory a
/// microcontroller's plan does not spend; at most 80 KiB), whose subsampled plan reads its
/// input directly.
/// ResNet-8's stride-2 shortcuts, AMD Zen 5 AVX-512: the strided panel's tiles took 2.6 us for
/// 131 k MACs.
const fn subsampled<G: ConvGeometry, I: Isa>() -> bool {
    let strided = G::STRIDE[0] > 1 || G::STRIDE[1] > 1 || G::STRIDE[2] > 1;
    let k1 = G::KERNEL[0] == 1 && G::KERNEL[1] == 1 && G::KERNEL[2] == 1;
    let unpadded = G::PAD[0] == 0 && G::PAD[1] == 0 && G::PAD[2] == 0;
    let plan = Choice::<Subsampled<G>, false, I>::PLAN;
    // Within what a hand-composed layer's stack buffer holds (`PANEL_CAP`).
    let fits = G::C_IN * G::OUT_PLANE <= GROUP_PANEL_CAP;
    strided
        && k1
        && unpadded
        && fits
        && wide(<I::Wide as Vector>::LANES)
        && plan.supported
        && plan.flat
}

/// Copies the input pixels a strided 1 x 1 convolution reads into `sub` (`[C_IN, ..OUT]`),
/// with vectors `V` where the stride is 2 ([`strided_inside`]).
#[inline(always)]
fn subsample<G: ConvGeometry, V: Vector>(input: &[f32], sub: &mut [f32]) {
    let [_, in_h, in_w] = G::IN;
    let [_, out_h, out_w] = G::OUT;
    let [s_d, s_h, s_w] = G::STRIDE;
    let planes = input.chunks_exact(G::IN_PLANE).zip(sub.chunks_exact_mut(G::OUT_PLANE));
    for (x, y) in planes.take(G::C_IN) {
        for (r, row) in y.chunks_exact_mut(out_w).enumerate() {
            let (od, oh) = (r / out_h, r % out_h);
            let first = ((od * s_d) * in_h + oh * s_h) * in_w;
            let Some(src) = x.get(first..first + in_w) else { return };
            strided_inside::<V>(row, src, 0, s_w, 0);
        }
    }
}

/// Floats of working memory of [`conv_tiled`] for `G` at level `I` when it runs [`Subsampled`]
/// (the subsampled input), else 0.
const fn subsampled_len<G: ConvGeometry, I: Isa>() -> usize {
    if subsampled::<G, I>() { G::C_IN * G::OUT_PLANE } else { 0 }
}

/// [`subsampled_len`] at every level this build may run, in the order of [`level_plans`].
const fn level_subsampled_len<G: ConvGeometry>() -> [usize; 3] {
    #[cfg(all(staticnn_x86_dispatch, any(feature = "std", test)))]
    return [
        subsampled_len::<G, isa::Portable>(),
        subsampled_len::<G, isa::Avx2>(),
        subsampled_len::<G, isa::Avx512>(),
    ];
    #[cfg(not(all(staticnn_x86_dispatch, any(feature = "std", test))))]
    {
        let n = subsampled_len::<G, isa::Compiled>();
        [n, n, n]
    }
}

/// The wide vector's lanes at every level this build may run, in the order of
/// [`level_plans`].
const fn level_wide_lanes() -> [usize; 3] {
    #[cfg(all(staticnn_x86_dispatch, any(feature = "std", test)))]
    return [
        <<isa::Portable as Isa>::Wide as Vector>::LANES,
        <<isa::Avx2 as Isa>::Wide as Vector>::LANES,
        <<isa::Avx512 as Isa>::Wide as Vector>::LANES,
    ];
    #[cfg(not(all(staticnn_x86_dispatch, any(feature = "std", test))))]
    {
        let lanes = <<isa::Compiled as Isa>::Wide as Vector>::LANES;
        [lanes, lanes, lanes]
    }
}

/// Floats of working memory [`conv_tiled_buffered`] needs for `G`: the planes of one block of
/// [`buffered_block`] output channels, then the input panel (the most of any level this build
/// may run).
#[must_use]
pub const fn buffered_workspace_len<G: ConvGeometry>() -> usize {
    let plans = level_plans::<G, true>();
    let mut n = 0;
    let mut i = 0;
    while i < plans.len() {
        let len = buffered_len::<G>(plans[i]);
        if len > n {
            n = len;
        }
        i += 1;
    }
    n
}

/// Floats of working memory of a buffered plan: its block of planes, then its panel.
const fn buffered_len<G: ConvGeometry>(plan: Plan) -> usize {
    buffered_block::<G>(plan.lanes) * G::OUT_PLANE + panel_len(plan)
}

/// Floats of the input panel of a plan: a chunk of input channels, or a batch of groups.
const fn panel_len(plan: Plan) -> usize {
    if plan.flat { 0 } else { plan.group_batch * plan.chunk * plan.cs + slack(plan) }
}

/// The panel at the start of `workspace`, zeroed (the padding it holds must read zeros), or
/// `None` if the workspace is too small.
#[inline(always)]
fn panel<T: Planned>(workspace: &mut [f32]) -> Option<&mut [f32]> {
    let panel = workspace.get_mut(..panel_len(T::PLAN))?;
    panel.fill(0.0);
    Some(panel)
}

/// The tile shape `(MR, NV)` the build's compile-time level ([`isa::Level::COMPILED`]) uses
/// for `G` (for tests and reports).
#[must_use]
pub const fn tile_shape<G: ConvGeometry>(buffered: bool) -> (usize, usize) {
    let p = if buffered {
        Choice::<G, true, isa::Compiled>::PLAN
    } else {
        Choice::<G, false, isa::Compiled>::PLAN
    };
    (p.mr, p.nv)
}

/// Computes every output channel of `G` into `output` (`[C_OUT, ..OUT]`): bias (`None` for
/// none) plus the convolution of `input` (`[C_IN, ..IN]`) with `weight` (PyTorch's layout).
/// Calls `finish(oc, plane)` once for each channel as soon as its plane is complete. Its only
/// working memory is `workspace` ([`workspace_len`] floats). Runs the kernels of the active
/// instruction-set level ([`isa::active`]).
///
/// Does nothing if `G` is not [`supported`] or a slice is too short.
#[inline]
pub fn conv_tiled<G: ConvGeometry>(
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    output: &mut [f32],
    workspace: &mut [f32],
    mut finish: impl FnMut(usize, &mut [f32]),
) {
    isa::dispatch!(I => {
        if const { depthwise::applies::<G>(<<I as Isa>::Wide as Vector>::LANES) } {
            depthwise::depthwise::<<I as Isa>::Wide, G>(input, weight, bias, output, workspace, &mut finish);
        } else if const { subsampled::<G, I>() } {
            // The strided 1 x 1 convolution's input, subsampled: a plain matrix product.
            let Some((sub, rest)) = workspace.split_at_mut_checked(G::C_IN * G::OUT_PLANE) else { return };
            subsample::<G, <I as Isa>::Wide>(input, sub);
            if const { Choice::<Subsampled<G>, false, I>::WIDE } {
                conv_tiled_with::<<I as Isa>::Wide, Subsampled<G>>(sub, weight, bias, output, rest, &mut finish);
            } else {
                conv_tiled_with::<<I as Isa>::Narrow, Subsampled<G>>(sub, weight, bias, output, rest, &mut finish);
            }
        } else if const { Choice::<G, false, I>::WIDE } {
            conv_tiled_with::<<I as Isa>::Wide, G>(input, weight, bias, output, workspace, &mut finish);
        } else {
            conv_tiled_with::<<I as Isa>::Narrow, G>(input, weight, bias, output, workspace, &mut finish);
        }
    });
}

/// [`conv_tiled`] with vectors `V`.
#[inline(always)]
fn conv_tiled_with<V: Vector, G: ConvGeometry>(
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    output: &mut [f32],
    workspace: &mut [f32],
    finish: &mut impl FnMut(usize, &mut [f32]),
) {
    type T<G, V> = Tiling<G, false, V>;
    let plan = T::<G, V>::PLAN;
    let plane = G::OUT_PLANE;
    if plan.flat {
        flat_pixels_outer::<V, G, T<G, V>>(input, weight, bias, output);
        let planes = output.chunks_exact_mut(plane).take(G::C_OUT);
        for (oc, p) in planes.enumerate() {
            finish(oc, p);
        }
        return;
    }
    let Some(panel) = panel::<T<G, V>>(workspace) else { return };
    let mut panels = Panels::new();
    for_each_block::<G, T<G, V>>(
        #[inline(always)]
        |group, oc0, skip| {
            let Some(dest) = output.get_mut(oc0 * plane..(oc0 + plan.mr) * plane) else { return };
            let (panel_ready, panel) = panels.prepare::<G, T<G, V>>(input, group, panel);
            let vectors = (0, plan.vectors);
            let args = Block { input, weight, bias, group, oc0, skip, panel_ready, vectors };
            run_block::<V, G, T<G, V>>(&args, panel, dest);
            finish_planes(dest, plane, oc0, skip, finish);
        },
    );
}

/// Like [`conv_tiled`], but computes each block of output channels into the start of
/// `workspace` ([`buffered_workspace_len`] floats: [`buffered_block`] planes, then the panel)
/// and only calls `finish(oc, plane)` with it: the convolution's output is never stored whole
/// (pooling fused after the convolution).
#[inline]
pub fn conv_tiled_buffered<G: ConvGeometry>(
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    workspace: &mut [f32],
    mut finish: impl FnMut(usize, &mut [f32]),
) {
    isa::dispatch!(I => {
        if const { Choice::<G, true, I>::WIDE } {
            buffered_with::<<I as Isa>::Wide, G>(input, weight, bias, workspace, &mut finish);
        } else {
            buffered_with::<<I as Isa>::Narrow, G>(input, weight, bias, workspace, &mut finish);
        }
    });
}

/// [`conv_tiled_buffered`] with vectors `V`.
#[inline(always)]
fn buffered_with<V: Vector, G: ConvGeometry>(
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    workspace: &mut [f32],
    finish: &mut impl FnMut(usize, &mut [f32]),
) {
    type T<G, V> = Tiling<G, true, V>;
    let plan = T::<G, V>::PLAN;
    let plane = G::OUT_PLANE;
    let block_len = buffered_block::<G>(V::LANES) * plane;
    let (buffer, rest) = workspace.split_at_mut(workspace.len().min(block_len));
    let Some(panel) = panel::<T<G, V>>(rest) else { return };
    let mut panels = Panels::new();
    for_each_block::<G, T<G, V>>(
        #[inline(always)]
        |group, oc0, skip| {
            let Some(dest) = buffer.get_mut(..plan.mr * plane) else { return };
            let (panel_ready, panel) = panels.prepare::<G, T<G, V>>(input, group, panel);
            let vectors = (0, plan.vectors);
            let args = Block { input, weight, bias, group, oc0, skip, panel_ready, vectors };
            run_block::<V, G, T<G, V>>(&args, panel, dest);
            finish_planes(dest, plane, oc0, skip, finish);
        },
    );
}

/// Which groups the panel holds, when it holds whole groups.
struct Panels {
    /// The group whose input the panel holds (one group at a time), or the first group of the
    /// batch it holds; `usize::MAX` for none.
    first: usize,
}

impl Panels {
    /// An empty panel.
    #[inline(always)]
    fn new() -> Self {
        Self { first: usize::MAX }
    }

    /// The panel of `group` for its blocks: whether it is ready (else each block builds its
    /// chunks) and where it starts. When the plan batches groups, the panels of the batch that
    /// starts at `group` are built first, all of them.
    #[inline(always)]
    fn prepare<'p, G: ConvGeometry, T: Planned>(
        &mut self,
        input: &[f32],
        group: usize,
        panel: &'p mut [f32],
    ) -> (bool, &'p mut [f32]) {
        let plan = T::PLAN;
        if plan.group_batch > 1 {
            let first = group - group % plan.group_batch;
            if self.first != first {
                let groups = if first + plan.group_batch > G::GROUPS {
                    G::GROUPS - first
                } else {
                    plan.group_batch
                };
                let channels = G::IN_PER_GROUP;
                build_panel::<G, T>(input, first * channels, groups * channels, 0, panel);
                self.first = first;
            }
            let at = (group - first) * G::IN_PER_GROUP * plan.cs;
            return (true, panel.get_mut(at..).unwrap_or(&mut []));
        }
        let ready = self.first == group;
        if plan.chunk >= G::IN_PER_GROUP && plan.band >= G::OUT[1] {
            self.first = group; // the panel holds the whole group: the next block reuses it
        }
        (ready, panel)
    }
}

/// A 1×1 convolution, pixels outermost: each tile's pixels of every input channel stay in
/// the L1 cache while all blocks of output channels use them (the blocks' weights are small
/// enough to stay too).
#[inline(always)]
fn flat_pixels_outer<V: Vector, G: ConvGeometry, T: Planned>(
    input: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    output: &mut [f32],
) {
    let plan = T::PLAN;
    let plane = G::OUT_PLANE;
    let mut g0 = 0;
    while g0 < plan.vectors {
        let end = if g0 + plan.nv > plan.vectors { plan.vectors } else { g0 + plan.nv };
        for_each_block::<G, T>(
            #[inline(always)]
            |group, oc0, skip| {
                let Some(dest) = output.get_mut(oc0 * plane..(oc0 + plan.mr) * plane) else {
                    return;
                };
                let panel_ready = false;
                let vectors = (g0, end);
                let args = Block { input, weight, bias, group, oc0, skip, panel_ready, vectors };
                run_block::<V, G, T>(&args, &mut [], dest);
            },
        );
        g0 = end;
    }
}

/// Calls `finish` on the planes of a block that it computed (not the `skip` overlapped ones).
#[inline(always)]
fn finish_planes(
    dest: &mut [f32],
    plane: usize,
    oc0: usize,
    skip: usize,
    finish: &mut impl FnMut(usize, &mut [f32]),
) {
    for (r, p) in dest.chunks_exact_mut(plane).enumerate().skip(skip) {
        finish(oc0 + r, p);
    }
}

/// Calls `f(group, first_channel, skip)` for each block of `plan.mr` output channels; the last
/// block of a group moves back to stay inside it, and `skip` is how many of its channels the
/// previous block already computed.
#[inline(always)]
fn for_each_block<G: ConvGeometry, T: Planned>(mut f: impl FnMut(usize, usize, usize)) {
    let plan = T::PLAN;
    for group in 0..G::GROUPS {
        let mut next = 0;
        while next < G::OUT_PER_GROUP {
            let first =
                if next + plan.mr > G::OUT_PER_GROUP { G::OUT_PER_GROUP - plan.mr } else { next };
            f(group, group * G::OUT_PER_GROUP + first, next - first);
            next = first + plan.mr;
        }
    }
}

/// What one block computes: output channels `oc0..oc0 + MR` of group `group`, the first
/// `skip` of them not stored.
struct Block<'a> {
    input: &'a [f32],
    weight: &'a [f32],
    bias: Option<&'a [f32]>,
    group: usize,
    oc0: usize,
    skip: usize,
    /// The panel already holds this group's input (one chunk, built by the previous block).
    panel_ready: bool,
    /// The vectors of the plane to compute, `from..to`.
    vectors: (usize, usize),
}

/// Calls the block kernel compiled for the plan's tile shape.
#[inline(always)]
fn run_block<V: Vector, G: ConvGeometry, T: Planned>(
    b: &Block<'_>,
    panel: &mut [f32],
    dest: &mut [f32],
) {
    macro_rules! arms {
        ($(($mr:literal, $nv:literal)),*) => {
            $(
                if const { T::PLAN.mr == $mr && T::PLAN.nv == $nv } {
                    return block::<V, G, T, $mr, $nv>(b, panel, dest);
                }
            )*
        };
    }
    // Each test is a constant (an inline `const`), so the compiler instantiates only the
    // plan's shape, not every shape of the list (a `match` on the plan's fields instantiated
    // them all, and the optimiser then discarded them: slower builds).
    with_shapes!(arms);
}

/// Computes one block of `MR` output channels into `dest` (`MR` planes), one chunk of input
/// channels after another.
#[inline(always)]
fn block<V: Vector, G: ConvGeometry, T: Planned, const MR: usize, const NV: usize>(
    b: &Block<'_>,
    panel: &mut [f32],
    dest: &mut [f32],
) {
    let plan = T::PLAN;
    let per_out = G::IN_PER_GROUP * G::TAPS;
    let mut buffers = TileBuffers::new(b, MR, NV);
    let mut c0 = 0;
    while c0 < G::IN_PER_GROUP {
        let cc = if c0 + plan.chunk > G::IN_PER_GROUP { G::IN_PER_GROUP - c0 } else { plan.chunk };
        let first_in = b.group * G::IN_PER_GROUP + c0;
        // The weights of this chunk: rows oc0..oc0 + MR, columns c0 * TAPS..(c0 + cc) * TAPS.
        let w_first = b.oc0 * per_out + c0 * G::TAPS;
        let w_len = (MR - 1) * per_out + cc * G::TAPS;
        let Some(w) = b.weight.get(w_first..w_first + w_len) else { return };
        // A flat convolution reads its input directly, the others the panel.
        let direct = if plan.flat {
            let Some(x) = b.input.get(first_in * G::IN_PLANE..(first_in + cc) * G::IN_PLANE) else {
                return;
            };
            Some(x)
        } else {
            None
        };
        let band_vectors = if plan.flat { plan.vectors } else { plan.band * plan.cv };
        let (from, to) = b.vectors;
        let mut band_start = 0;
        while band_start < to {
            let band_end =
                if band_start + band_vectors > to { to } else { band_start + band_vectors };
            if !plan.flat && !b.panel_ready && band_end > from {
                build_panel::<G, T>(b.input, first_in, cc, band_start / plan.cv, panel);
            }
            let src: &[f32] = direct.unwrap_or(panel);
            let mut g0 = if from > band_start { from } else { band_start };
            #[cfg(all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass"))]
            if matches!(plan.micro, Micro::CortexM) && g0 == band_start {
                let (chunk, band) = ((c0, cc), (band_start, band_end));
                g0 = band_vfp::<V, G, T, MR, NV>(b, chunk, band, w, src, dest, &mut buffers);
            }
            while g0 < band_end {
                // The last tile of a band moves back to stay inside it.
                let start = if g0 + NV > band_end && band_end >= band_start + NV {
                    band_end - NV
                } else {
                    g0
                };
                let t = Tile { c0, cc, start, skip_vectors: g0 - start };
                some_tile::<V, G, T, MR, NV>(b, &t, w, src, dest, &mut buffers);
                g0 = start + NV;
            }
            band_start = band_end;
        }
        c0 += cc;
    }
}

/// Buffers of the Cortex-M tiles ([`tile`]), made once per block: zeroing or filling them per
/// tile cost a `memset` call or a loop each (about 100 instructions per tile on a Cortex-M4).
/// Empty on other targets.
#[derive(Default)]
struct TileBuffers {
    /// The block's bias: row `r` of `4 * NV` floats, all output channel `oc0 + r`'s bias, the
    /// accumulators' start in the first chunk of input channels.
    #[cfg(all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass"))]
    bias: [f32; 16],
    /// Accumulator rows that do not go straight to the output (skipped or narrow rows).
    #[cfg(all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass"))]
    stage: [f32; 16],
    /// The block's parameters (`kernels::vfp::asm::PARAMS`).
    #[cfg(all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass"))]
    params: [usize; super::vfp::asm::PARAMS],
}

impl TileBuffers {
    /// The buffers of block `b`, of `mr` rows of tiles `nv` vectors wide.
    #[inline(always)]
    fn new(b: &Block<'_>, mr: usize, nv: usize) -> Self {
        #[cfg(all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass"))]
        {
            let mut buffers = Self::default();
            for (r, row) in buffers.bias.chunks_exact_mut(4 * nv).take(mr).enumerate() {
                row.fill(b.bias.and_then(|bias| bias.get(b.oc0 + r)).copied().unwrap_or(0.0));
            }
            buffers
        }
        #[cfg(not(all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass")))]
        {
            let _ = (b, mr, nv);
            Self::default()
        }
    }
}

/// One tile of one chunk: vectors `start..start + NV` of the plane, the first
/// `skip_vectors` not stored; input channels `c0..c0 + cc` of the group.
struct Tile {
    c0: usize,
    cc: usize,
    start: usize,
    skip_vectors: usize,
}

/// Where vector `g` of the plane is: its offset in the output plane, its width, and its offset
/// in a panel channel.
#[inline(always)]
fn position<G: ConvGeometry, T: Planned>(lanes: usize, g: usize) -> (usize, usize, usize) {
    let plan = T::PLAN;
    if plan.flat {
        // The last vector moves back to end at the plane's end (the plane has >= LANES).
        let at = if (g + 1) * lanes > plan.ow { plan.ow - lanes } else { g * lanes };
        (at, lanes, at)
    } else if plan.shifted {
        let plane = G::OUT_PLANE;
        if (g + 1) * lanes <= plane {
            (g * lanes, lanes, g * lanes)
        } else if plan.chunk >= G::IN_PER_GROUP {
            // One chunk: the accumulators start from the bias, never from the output, so the
            // last vector can move back to end at the plane's end (a whole store, which the
            // epilogue's loads can be forwarded from).
            (plane - lanes, lanes, plane - lanes)
        } else {
            // Several chunks: a vector that moved back would add this chunk twice to the
            // floats it shares with the vector before it (already stored with this chunk), so
            // the last one is partial; its lanes past the plane read the next panel floats.
            (g * lanes, plane - g * lanes, g * lanes)
        }
    } else {
        let row = g / plan.cv;
        let col = (g % plan.cv) * lanes;
        let width = if plan.ow - col < lanes { plan.ow - col } else { lanes };
        // The panel holds the rows of the band that `row` is in (a constant test: most plans
        // have one band, and then no division).
        let in_band = if plan.band < G::OUT[1] { row % plan.band } else { row };
        (row * plan.ow + col, width, in_band * G::STRIDE[1] * plan.rl + col)
    }
}

/// The kernel rows that read inside the input for some output row in `first..=last` (all of
/// them for padding modes other than zeros, whose panel rows are never all padding).
#[inline(always)]
const fn kernel_rows<G: ConvGeometry>(first: usize, last: usize) -> (usize, usize) {
    let [_, in_h, _] = G::IN;
    let [_, k_h, _] = G::KERNEL;
    let [_, s_h, _] = G::STRIDE;
    let [_, d_h, _] = G::DILATION;
    let [_, p_h, _] = G::PAD;
    if !matches!(G::PADDING_MODE, PaddingMode::Zeros) {
        return (0, k_h);
    }
    // Row oh reads input row oh * s + kh * d - p: inside for lo(oh) <= kh < hi(oh), and both
    // bounds decrease as oh grows.
    let lo = if last * s_h >= p_h { 0 } else { (p_h - last * s_h).div_ceil(d_h) };
    let top = first * s_h;
    let hi = if in_h + p_h > top { (in_h + p_h - top).div_ceil(d_h) } else { 0 };
    (lo, if hi < k_h { hi } else { k_h })
}

/// [`tile`] where the Cortex-M blocks compute most tiles and it only does the few they cannot
/// (narrow or overlapped ones): then it is one function, not inlined at each of its two call
/// sites (11 KiB less flash for CIFAR-10 on a Cortex-M4); elsewhere, inlined.
#[inline(always)]
fn some_tile<V: Vector, G: ConvGeometry, T: Planned, const MR: usize, const NV: usize>(
    b: &Block<'_>,
    t: &Tile,
    w: &[f32],
    src: &[f32],
    dest: &mut [f32],
    buffers: &mut TileBuffers,
) {
    if const { matches!(T::PLAN.micro, Micro::CortexM) } {
        tile_apart::<V, G, T, MR, NV>(b, t, w, src, dest, buffers);
    } else {
        tile::<V, G, T, MR, NV>(b, t, w, src, dest, buffers);
    }
}

/// [`tile`], not inlined.
#[inline(never)]
fn tile_apart<V: Vector, G: ConvGeometry, T: Planned, const MR: usize, const NV: usize>(
    b: &Block<'_>,
    t: &Tile,
    w: &[f32],
    src: &[f32],
    dest: &mut [f32],
    buffers: &mut TileBuffers,
) {
    tile::<V, G, T, MR, NV>(b, t, w, src, dest, buffers);
}

/// Computes one tile: accumulators from the bias (first chunk) or the partial sums in `dest`,
/// the micro-kernel over the chunk, then the stores.
#[inline(always)]
fn tile<V: Vector, G: ConvGeometry, T: Planned, const MR: usize, const NV: usize>(
    b: &Block<'_>,
    t: &Tile,
    w: &[f32],
    src: &[f32],
    dest: &mut [f32],
    buffers: &mut TileBuffers,
) {
    let plan = T::PLAN;
    let plane = G::OUT_PLANE;
    #[cfg(not(all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass")))]
    let _ = buffers; // used by the Cortex-M path only
    #[cfg(all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass"))]
    if matches!(plan.micro, Micro::CortexM) {
        let row = t.start / plan.cv;
        if t.skip_vectors == 0 && (t.start + NV - 1) / plan.cv == row {
            let kh = kernel_rows::<G>(row, row);
            let run = Run { c0: t.c0, cc: t.cc, start: t.start, tiles: 1, x_step: 0, kh };
            if run_vfp::<G, T, MR, NV>(b, &run, w, src, dest, buffers) {
                return;
            }
        }
    }
    // Plain loops rather than `array::from_fn`, whose closures the compiler may leave
    // out of line, spilling the accumulators through memory.
    let mut pos = [(0, 0, 0); NV];
    let mut bases = [0; NV];
    for v in 0..NV {
        pos[v] = position::<G, T>(V::LANES, t.start + v);
        bases[v] = pos[v].2;
    }
    let mut acc = [[V::splat(0.0); NV]; MR];
    for (r, row) in acc.iter_mut().enumerate() {
        if t.c0 == 0 {
            let bias = b.bias.and_then(|bias| bias.get(b.oc0 + r)).copied().unwrap_or(0.0);
            *row = [V::splat(bias); NV];
        } else {
            for (a, &(at, width, _)) in row.iter_mut().zip(&pos) {
                *a = V::load_first(dest.get(r * plane + at..r * plane + at + width).unwrap_or(&[]));
            }
        }
    }
    let (kh_lo, kh_hi) = if plan.flat {
        (0, 1)
    } else if plan.shifted || matches!(plan.micro, Micro::Rows) {
        (0, G::KERNEL[1]) // every row, the padding ones read zeros
    } else {
        kernel_rows::<G>(t.start / plan.cv, (t.start + NV - 1) / plan.cv)
    };
    if kh_lo < kh_hi && t.cc > 0 {
        let max_base = bases.iter().copied().max().unwrap_or(0);
        let tap_end =
            if plan.shifted { plan.tap_max } else { (kh_hi - 1) * plan.kh_step + plan.kw_max };
        let src_end = (t.cc - 1) * plan.cs + tap_end + max_base;
        let w_end = (MR - 1) * G::IN_PER_GROUP * G::TAPS + t.cc * G::TAPS;
        if src_end + V::LANES <= src.len() && w_end <= w.len() {
            // SAFETY: the micro-kernel reads `src` up to `src_end + LANES` and `w` below
            // `w_end`, both checked just above.
            unsafe {
                if const { matches!(T::PLAN.micro, Micro::Rows) } {
                    micro_rows::<V, G, T, MR, NV>(&mut acc, w, src, t.cc, bases[0]);
                } else {
                    micro::<V, G, T, MR, NV>(&mut acc, w, src, t.cc, kh_lo, kh_hi, bases);
                }
            }
        }
    }
    // Each vector a narrow output row, the rows one after the other in the plane: a whole
    // vector stored spills into the next rows, which the next vectors then overwrite, so only
    // the tile's last rows need partial stores (masked stores were about a third of the time
    // of DS-CNN's depthwise layers, rows of 5 pixels). A vector spills `LANES - ow` floats:
    // the `reach - 1` vectors after it must cover them.
    let whole_vectors = plan.flat || plan.shifted || plan.ow >= V::LANES;
    if whole_vectors && b.skip == 0 && t.skip_vectors == 0 {
        // Every vector stored (the usual tile): loops over constants, so the accumulators are
        // stored straight from their registers (the general loop below, whose skips are not
        // constants, spilled them to the stack and copied them with a test per vector; rows
        // of at least a vector store no vector into the next row, so the loop below would
        // store the same). AMD Zen 4, ResNet-8's 3 x 3 convolutions 16 -> 16 on 32 x 32: at
        // the AVX2 level (16 registers, the spill costs most) 86.2 -> 69.5 us, at AVX-512
        // 45.7 -> 45.5 us.
        for (r, row) in acc.iter().enumerate() {
            for (vector, &(at, width, _)) in row.iter().zip(&pos) {
                let out = r * plane + at;
                if width == V::LANES && out + V::LANES <= dest.len() {
                    // SAFETY: `out + LANES <= dest.len()`, checked just above.
                    unsafe { vector.store(dest.as_mut_ptr().add(out)) };
                } else if let Some(out) = dest.get_mut(out..out + width) {
                    vector.store_first(out);
                }
            }
        }
        return;
    }
    let spill = !plan.flat && !plan.shifted && plan.cv == 1 && plan.ow < V::LANES && plan.ow > 0;
    let reach = if plan.ow > 0 { V::LANES.div_ceil(plan.ow) } else { NV };
    // Loops over constants with the skips as conditions (not `skip`, whose run-time trip
    // counts made the compiler spill every accumulator to the stack before the branch to
    // this loop, the usual tile above then copying them back: AMD Zen 4, default build,
    // ResNet-8 243.4 -> 234.2 us, its first convolution 11.15 -> 9.09 us).
    for (r, row) in acc.iter().enumerate() {
        for (v, (vector, &(at, width, _))) in row.iter().zip(&pos).enumerate() {
            if r < b.skip || v < t.skip_vectors {
                continue;
            }
            let out = r * plane + at;
            if spill && v + reach <= NV && out + V::LANES <= dest.len() {
                // SAFETY: `out + LANES <= dest.len()`, checked just above.
                unsafe { vector.store(dest.as_mut_ptr().add(out)) };
            } else if let Some(out) = dest.get_mut(out..out + width) {
                vector.store_first(out);
            }
        }
    }
}

/// The register-tiled inner loop (unchecked loads after the caller's one extent check: with a
/// checked `get` per load the CIFAR-10 net took 590 µs instead of 239 µs on the host): `acc[r][v] += w[r][c][kh][kw] * src[c][kh][kw][v]` over the
/// chunk's channels and the kernel rows `kh_lo..kh_hi`.
///
/// # Safety
/// `src` must hold `(channels - 1) * cs + t + max(bases) + LANES` floats, `t` the largest
/// [`tap_offset`] of kernel rows `kh_lo..kh_hi`, and `w` must hold
/// `(MR - 1) * IN_PER_GROUP * TAPS + channels * TAPS`.
#[inline(always)]
#[allow(clippy::needless_range_loop)] // the indices address several arrays at once
unsafe fn micro<V: Vector, G: ConvGeometry, T: Planned, const MR: usize, const NV: usize>(
    acc: &mut [[V; NV]; MR],
    w: &[f32],
    src: &[f32],
    channels: usize,
    kh_lo: usize,
    kh_hi: usize,
    bases: [usize; NV],
) {
    let plan = T::PLAN;
    let [_, _, k_w] = G::KERNEL;
    let per_out = G::IN_PER_GROUP * G::TAPS;
    let (w, src) = (w.as_ptr(), src.as_ptr());
    for c in 0..channels {
        for kh in kh_lo..kh_hi {
            for kw in 0..k_w {
                let off = c * plan.cs + tap_offset::<G>(plan, kh, kw);
                let tap = c * G::TAPS + kh * k_w + kw;
                // SAFETY: `off + bases[v] + LANES` and `r * per_out + tap` stay within the
                // extents the caller guarantees (c < channels, kh < kh_hi, kw < KW).
                let mut x = [V::splat(0.0); NV];
                for v in 0..NV {
                    x[v] = unsafe { V::load(src.add(off + bases[v])) };
                }
                for r in 0..MR {
                    let wv = V::splat(unsafe { *w.add(r * per_out + tap) });
                    for v in 0..NV {
                        acc[r][v] = acc[r][v].mul_add(wv, x[v]);
                    }
                }
            }
        }
    }
}

/// A run of Cortex-M tiles ([`run_vfp`]): `tiles` tiles of `NV` vectors each, the first at
/// vector `start` of the plane, each next one `x_step` panel floats and `4 * NV` output
/// floats further, all reading kernel rows `kh.0..kh.1` of input channels `c0..c0 + cc`.
#[cfg(all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass"))]
struct Run {
    c0: usize,
    cc: usize,
    start: usize,
    tiles: usize,
    x_step: usize,
    kh: (usize, usize),
}

/// Computes the tiles of `band_start..band_end` (whole output rows) with Cortex-M blocks,
/// as few calls as it can: one per row for the row's full-width tiles, or one per run of rows
/// that read the same kernel rows when a tile is a whole row. Returns the first vector it
/// did not compute (`band_start` if none): [`block`] computes the rest one tile at a time.
#[cfg(all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass"))]
#[inline(always)]
#[allow(clippy::too_many_arguments)] // the block's context, as `tile` takes it
fn band_vfp<V: Vector, G: ConvGeometry, T: Planned, const MR: usize, const NV: usize>(
    b: &Block<'_>,
    (c0, cc): (usize, usize),
    (band_start, band_end): (usize, usize),
    w: &[f32],
    src: &[f32],
    dest: &mut [f32],
    buffers: &mut TileBuffers,
) -> usize {
    let plan = T::PLAN;
    let np = NV * 4;
    let per_row = plan.cv / NV;
    if per_row * NV != plan.cv || band_start % plan.cv != 0 || band_end % plan.cv != 0 {
        return band_start;
    }
    let full = plan.ow / np; // tiles of a row that are whole (the last may be narrower)
    let whole_rows = per_row == 1 && full == 1;
    let (mut row, end) = (band_start / plan.cv, band_end / plan.cv);
    // Decided at compile time, for bands that are the whole plane.
    let one_run = const { one_run_pays::<G>(0, G::OUT[1], MR * NV * 4 * T::PLAN.chunk) };
    let merged = whole_rows && one_run && row == 0 && end == G::OUT[1] && cc == plan.chunk;
    // The kernel rows each output row reads: all of them, padding rows of zeros included, when
    // one run for the whole band costs less than a run per group of rows that skip the same
    // padding rows.
    let kernel_rows = |r: usize| if merged { (0, G::KERNEL[1]) } else { kernel_rows::<G>(r, r) };
    while row < end {
        let kh = kernel_rows(row);
        let mut rows = 1;
        while whole_rows && row + rows < end && kernel_rows(row + rows) == kh {
            rows += 1;
        }
        let (tiles, x_step) = if whole_rows { (rows, G::STRIDE[1] * plan.rl) } else { (full, np) };
        let run = Run { c0, cc, start: row * plan.cv, tiles, x_step, kh };
        let done = if tiles > 0 && run_vfp::<G, T, MR, NV>(b, &run, w, src, dest, buffers) {
            if whole_rows { 1 } else { full }
        } else {
            0
        };
        // The tiles the run did not compute, one by one.
        for r in row..row + rows {
            for j in done..per_row {
                let start = r * plan.cv + j * NV;
                let t = Tile { c0, cc, start, skip_vectors: 0 };
                some_tile::<V, G, T, MR, NV>(b, &t, w, src, dest, buffers);
            }
        }
        row += rows;
    }
    band_end
}

/// Whether output rows `first..end` of a zero-padded `G` cost less as one run of Cortex-M tiles
/// reading every kernel row (the padding rows read zeros from the panel) than as one run per
/// group of rows that skip the same padding rows; `per_kernel_row` is a tile's MACs per
/// kernel row. Measured on a Cortex-M4: a run costs about 150 instructions besides its tiles,
/// a MAC about 1.1 (a single-channel 3 x 3 convolution of 8 x 8 outputs: three runs per block
/// of channels became one).
#[cfg(all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass"))]
const fn one_run_pays<G: ConvGeometry>(first: usize, end: usize, per_kernel_row: usize) -> bool {
    const RUN: usize = 150;
    if !matches!(G::PADDING_MODE, PaddingMode::Zeros) {
        return false; // every kernel row is read anyway
    }
    let k_h = G::KERNEL[1];
    let (mut runs, mut padding_rows, mut last) = (0, 0, (usize::MAX, 0));
    let mut row = first;
    while row < end {
        let rows = kernel_rows::<G>(row, row);
        if rows.0 != last.0 || rows.1 != last.1 {
            runs += 1;
            last = rows;
        }
        padding_rows += k_h - (rows.1 - rows.0);
        row += 1;
    }
    // In tenths of an instruction: 11 per wasted MAC.
    runs > 1 && padding_rows * per_kernel_row * 11 < (runs - 1) * RUN * 10
}

/// Computes a run of tiles with a Cortex-M block (`kernels::vfp`): each tile's `NV` vectors
/// must be consecutive pixels of one row and, when there are several tiles, whole (as wide
/// as the tile) and all stored (else it returns `false`, doing nothing, and the caller
/// computes them another way). The block reads the accumulators straight from `dest` (or the
/// bias) and writes them back; a single tile's rows that it must not store (`skip`) or that
/// are narrower than the tile go through a staging copy.
#[cfg(all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass"))]
#[inline(always)]
fn run_vfp<G: ConvGeometry, T: Planned, const MR: usize, const NV: usize>(
    b: &Block<'_>,
    run: &Run,
    w: &[f32],
    src: &[f32],
    dest: &mut [f32],
    buffers: &mut TileBuffers,
) -> bool {
    use super::vfp::{ConvRun, asm, run_conv};
    const LANES: usize = 4;
    const F: usize = core::mem::size_of::<f32>();
    let plan = T::PLAN;
    let np = NV * LANES;
    let (kh_lo, kh_hi) = run.kh;
    let rows = asm::LOAD_STEP - asm::LOAD;
    if MR * np > 16 || MR > rows || run.cc == 0 || run.tiles == 0 || kh_lo >= kh_hi {
        return false;
    }
    let (at, _, base) = position::<G, T>(LANES, run.start);
    let col = (run.start % plan.cv) * LANES;
    let width = if plan.ow - col < np { plan.ow - col } else { np };
    if run.tiles > 1 && (width != np || b.skip != 0) {
        return false;
    }
    let [_, _, k_w] = G::KERNEL;
    let per_out = G::IN_PER_GROUP * G::TAPS;
    let plane = G::OUT_PLANE;
    // The extents the block reads and writes, checked once.
    let x_first = base + kh_lo * plan.kh_step;
    let last_tile = (run.tiles - 1) * run.x_step;
    let channel_end = (run.cc - 1) * plan.cs + (kh_hi - kh_lo - 1) * plan.kh_step;
    let src_end = x_first + last_tile + channel_end + np + k_w - 1;
    let w_end = (MR - 1) * per_out + run.cc * G::TAPS;
    let dest_end = (MR - 1) * plane + at + run.tiles * np;
    if src_end > src.len() || w_end > w.len() || (MR - 1) * plane + at + width > dest.len() {
        return false;
    }
    // Rows staged: not to be stored, or narrower than the tile (a block always writes `np`).
    let full = width == np && dest_end <= dest.len();
    let staged = |r: usize| r < b.skip || !full;
    let TileBuffers { bias, stage, params } = buffers;
    // Addresses for the block only (`wrapping_add`: formed, not dereferenced, here).
    let (dest_at, stage_at) = (dest.as_mut_ptr().wrapping_add(at), stage.as_mut_ptr());
    for r in 0..MR {
        let dest_r = dest_at.wrapping_add(r * plane) as usize;
        let stage_r = stage_at.wrapping_add(r * np) as usize;
        let (load, step) = if run.c0 == 0 {
            (bias.as_ptr().wrapping_add(r * np) as usize, 0)
        } else if staged(r) {
            let out = r * plane + at;
            let from = dest.get(out..out + width).unwrap_or(&[]);
            let to = stage.get_mut(r * np..(r + 1) * np).unwrap_or(&mut []);
            for (s, d) in to.iter_mut().zip(from) {
                *s = *d;
            }
            (stage_r, 0)
        } else {
            (dest_r, np * F)
        };
        let store = if staged(r) { stage_r } else { dest_r };
        for (slot, value) in [(asm::LOAD, load), (asm::LOAD_STEP, step), (asm::STORE, store)] {
            if let Some(word) = params.get_mut(slot + r) {
                *word = value;
            }
        }
    }
    let conv_run = ConvRun {
        x: src.get(x_first..).unwrap_or(&[]).as_ptr(),
        x_step: run.x_step,
        w: w.get(kh_lo * k_w..).unwrap_or(&[]).as_ptr(),
        w_row: per_out,
        x_row: plan.kh_step,
        x_channel: plan.cs,
        w_channel: G::TAPS,
        rows: kh_hi - kh_lo,
        channels: run.cc,
        tiles: run.tiles,
    };
    // SAFETY: `src_end` and `w_end` (checked above) bound every input and weight the block
    // reads; each row's load and store address is `np` floats of `stage` (one tile) or, when
    // not staged, `run.tiles * np` floats of `dest` (`dest_end` checked).
    if !unsafe { run_conv((MR, np, k_w), params, &conv_run) } {
        return false;
    }
    for r in b.skip..MR {
        if staged(r) {
            let out = r * plane + at;
            let (Some(d), Some(s)) =
                (dest.get_mut(out..out + width), stage.get(r * np..r * np + width))
            else {
                continue;
            };
            d.copy_from_slice(s);
        }
    }
    true
}

/// The micro-kernel when each of the `NV` vectors is a whole output row (consecutive rows
/// from the one at panel offset `base`): for each kernel column it loads the
/// `(NV - 1) * stride + (KH - 1) * dilation + 1` panel rows that the tile reads once, and each
/// serves every `(vector, kernel row)` pair that reads it.
///
/// # Safety
/// As [`micro`] with `kh_lo = 0`, `kh_hi = KH` and `bases[NV - 1] = base + (NV - 1) *
/// stride * rl`.
#[inline(always)]
unsafe fn micro_rows<V: Vector, G: ConvGeometry, T: Planned, const MR: usize, const NV: usize>(
    acc: &mut [[V; NV]; MR],
    w: &[f32],
    src: &[f32],
    channels: usize,
    base: usize,
) {
    let plan = T::PLAN;
    let [_, k_h, k_w] = G::KERNEL;
    let [_, s_h, s_w] = G::STRIDE;
    let [_, d_h, d_w] = G::DILATION;
    let per_out = G::IN_PER_GROUP * G::TAPS;
    let span = (NV - 1) * s_h + (k_h - 1) * d_h + 1;
    let (w, src) = (w.as_ptr(), src.as_ptr());
    for c in 0..channels {
        for kw in 0..k_w {
            let col = c * plan.cs + base + kw_offset(kw, d_w, s_w, plan.ph);
            let mut x = [V::splat(0.0); MAX_SPAN];
            for (j, x) in x.iter_mut().enumerate().take(span) {
                // SAFETY: row `j < span` of this column is inside the caller's extent.
                *x = unsafe { V::load(src.add(col + j * plan.rl)) };
            }
            for kh in 0..k_h {
                let tap = c * G::TAPS + kh * k_w + kw;
                for (r, acc) in acc.iter_mut().enumerate() {
                    // SAFETY: `r * per_out + tap` is inside the caller's weight extent.
                    let wv = V::splat(unsafe { *w.add(r * per_out + tap) });
                    for (v, a) in acc.iter_mut().enumerate() {
                        // The row is below `span <= MAX_SPAN` (a power of two): the mask
                        // never changes it and leaves no bounds check.
                        *a = a.mul_add(wv, x[(v * s_h + kh * d_h) & (MAX_SPAN - 1)]);
                    }
                }
            }
        }
    }
}

/// Copies input channels `first..first + count` into `panel`: every row of the padded input
/// that some output row reads, each row split into stride phases. With zero padding only the
/// positions inside the input are written: the rest of the panel is zero from
/// [`panel`] and stays so, whichever channels the panel holds.
#[inline(always)]
fn build_panel<G: ConvGeometry, T: Planned>(
    input: &[f32],
    first: usize,
    count: usize,
    band_row: usize,
    panel: &mut [f32],
) {
    let plan = T::PLAN;
    if plan.shifted {
        return build_shifted_panel::<G, T>(input, first, count, panel);
    }
    let [_, out_h, _] = G::OUT;
    let [_, s_h, _] = G::STRIDE;
    // With several bands a row that was inside the input in one band may be padding in the
    // next: padding rows are then cleared, not left as they were.
    let banded = plan.band < out_h;
    let top = band_row * s_h;
    let [_, in_h, in_w] = G::IN;
    let [_, _, s_w] = G::STRIDE;
    let [_, p_h, p_w] = G::PAD;
    let mode = G::PADDING_MODE;
    let zeros = matches!(mode, PaddingMode::Zeros);
    let channels = input.chunks_exact(G::IN_PLANE).skip(first).take(count);
    for (x, dst) in channels.zip(panel.chunks_exact_mut(plan.cs)) {
        for (r, row) in dst.chunks_exact_mut(plan.rl).take(plan.pr).enumerate() {
            let r = top + r;
            let inside = r >= p_h && r - p_h < in_h;
            if zeros && !inside {
                if banded {
                    row.fill(0.0);
                }
                continue;
            }
            let ih = if inside { r - p_h } else { mode.map(r, p_h, in_h) };
            let Some(src) = x.get(ih * in_w..(ih + 1) * in_w) else { continue };
            if zeros && s_w == 1 {
                if let Some(body) = row.get_mut(p_w..p_w + in_w) {
                    copy(body, src);
                }
                continue;
            }
            for (phase, part) in row.chunks_exact_mut(plan.ph).enumerate() {
                if zeros {
                    strided_inside::<T::V>(part, src, phase, s_w, p_w);
                    continue;
                }
                for (j, v) in part.iter_mut().enumerate() {
                    let iw = mode.map(j * s_w + phase, p_w, in_w);
                    *v = src.get(iw).copied().unwrap_or(0.0);
                }
            }
        }
    }
}

/// Copies input channels `first..first + count` into a shifted panel (`Plan::shifted`): for
/// each channel, kernel column `kw` and row phase `p`, rows `q` of `OUT_W` floats holding
/// padded input row `q * S_H + p` from padded column `kw * D_W`, every `S_W`-th. As in
/// [`build_panel`], with zero padding only positions inside the input are written.
#[inline(always)]
fn build_shifted_panel<G: ConvGeometry, T: Planned>(
    input: &[f32],
    first: usize,
    count: usize,
    panel: &mut [f32],
) {
    let plan = T::PLAN;
    let [_, in_h, in_w] = G::IN;
    let [_, _, out_w] = G::OUT;
    let [_, _, k_w] = G::KERNEL;
    let [_, s_h, s_w] = G::STRIDE;
    let [_, _, d_w] = G::DILATION;
    let [_, p_h, p_w] = G::PAD;
    let mode = G::PADDING_MODE;
    let zeros = matches!(mode, PaddingMode::Zeros);
    // A row phase of a kernel column is then one run of the input shifted, except the columns
    // outside it: one copy, then those columns cleared.
    let contiguous = zeros && s_w == 1 && s_h == 1 && out_w == in_w;
    let channels = input.chunks_exact(G::IN_PLANE).skip(first).take(count);
    for (x, dst) in channels.zip(panel.chunks_exact_mut(plan.cs)) {
        for kw in 0..k_w {
            let col = kw * d_w; // the padded column output column 0 reads
            for phase in 0..s_h {
                let at = kw * plan.kw_step + phase * plan.ph;
                let Some(block) = dst.get_mut(at..at + plan.ph) else { continue };
                if contiguous {
                    // block[t] = x[t + col - p_w - p_h * in_w] where that is inside.
                    let back = p_h * in_w + p_w; // how far the block starts before x
                    let lo = back.saturating_sub(col);
                    let hi = if G::IN_PLANE + back > col + plan.ph {
                        plan.ph
                    } else {
                        G::IN_PLANE + back - col
                    };
                    if lo < hi
                        && let (Some(d), Some(s)) =
                            (block.get_mut(lo..hi), x.get(lo + col - back..hi + col - back))
                    {
                        copy(d, s);
                    }
                    // Columns j with j + col outside p_w..p_w + in_w read padding.
                    let left = p_w.saturating_sub(col);
                    let right = (p_w + in_w).saturating_sub(col);
                    if left > 0 || right < out_w {
                        for row in block.chunks_exact_mut(out_w) {
                            for (j, v) in row.iter_mut().enumerate() {
                                if j < left || j >= right {
                                    *v = 0.0;
                                }
                            }
                        }
                    }
                    continue;
                }
                if zeros && s_w == 2 && T::V::LANES >= 8 && 2 * out_w == T::V::LANES {
                    strided_row_pairs::<G, T::V>(block, x, col, phase);
                    continue;
                }
                for (q, row) in block.chunks_exact_mut(out_w).enumerate() {
                    let r = q * s_h + phase;
                    let inside = r >= p_h && r - p_h < in_h;
                    if zeros && !inside {
                        continue; // padding rows stay zero
                    }
                    let ih = if inside { r - p_h } else { mode.map(r, p_h, in_h) };
                    let Some(src) = x.get(ih * in_w..(ih + 1) * in_w) else { continue };
                    if zeros {
                        strided_inside::<T::V>(row, src, col, s_w, p_w);
                        continue;
                    }
                    for (j, v) in row.iter_mut().enumerate() {
                        let iw = mode.map(j * s_w + col, p_w, in_w);
                        *v = src.get(iw).copied().unwrap_or(0.0);
                    }
                }
            }
        }
    }
}

/// Writes a zero-padded shifted panel block of stride-2 rows (`S_W == 2`) two rows at a time,
/// for rows half a vector long (`2 * OUT_W == V::LANES`): block row `q` holds padded input
/// row `q * S_H + phase`, padded columns `col + 2 * j`. Each pair is two loads, one shuffle
/// ([`Vector::deinterleave`]: the even floats of both rows, one after the other) and one
/// store, where a row at a time paid a load, a shuffle and a masked store per row, and the
/// bookkeeping (ResNet-8's stride-2 convolution 32 -> 64 on 16 x 16, AMD Zen 4: a quarter of
/// its time went to its panel rows of 8 floats).
#[inline(always)]
fn strided_row_pairs<G: ConvGeometry, V: Vector>(
    block: &mut [f32],
    x: &[f32],
    col: usize,
    phase: usize,
) {
    let [_, in_h, in_w] = G::IN;
    let [_, _, out_w] = G::OUT;
    let [_, s_h, _] = G::STRIDE;
    let [_, p_h, p_w] = G::PAD;
    // Output columns before `first` read the left padding; the input column of `first`.
    let first = if col >= p_w { 0 } else { (p_w - col).div_ceil(2) };
    let start = 2 * first + col - p_w;
    // Padded row `r` from column `start`: zero outside the input (masked loads: the columns
    // right of the input read zero too).
    let row = |r: usize| {
        if r < p_h || r - p_h >= in_h {
            return V::splat(0.0);
        }
        let ih = r - p_h;
        V::load_first(x.get(ih * in_w + start..(ih + 1) * in_w).unwrap_or(&[]))
    };
    let rows = block.len() / out_w;
    for q in (0..rows).step_by(2) {
        let a = row(q * s_h + phase);
        let b = if q + 1 < rows { row((q + 1) * s_h + phase) } else { V::splat(0.0) };
        // Row `q` from column `first`: with `first > 0` the last `first` floats of each row
        // land on the next row's padding columns, cleared below.
        let at = q * out_w + first;
        if let Some(dst) = block.get_mut(at..block.len().min(at + V::LANES)) {
            V::deinterleave(a, b).0.store_first(dst);
        }
    }
    if first > 0 {
        for r in block.chunks_exact_mut(out_w) {
            if let Some(pad) = r.get_mut(..first) {
                pad.fill(0.0);
            }
        }
    }
}

/// Copies `src` into the equally long `dst` (with `vldm`/`vstm` on Cortex-M, where `memcpy`
/// is slow).
#[inline(always)]
fn copy(dst: &mut [f32], src: &[f32]) {
    #[cfg(all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass"))]
    super::vfp::copy(dst, src);
    #[cfg(not(all(target_arch = "arm", target_abi = "eabihf", target_feature = "mclass")))]
    dst.copy_from_slice(src);
}

/// Writes the positions of `part` inside the zero-padded row `src`: every `stride`-th padded
/// position from `phase`, `part[j] = src[j * stride + phase - pad]`.
#[inline(always)]
fn strided_inside<V: Vector>(
    part: &mut [f32],
    src: &[f32],
    phase: usize,
    stride: usize,
    pad: usize,
) {
    // The first j whose position is inside: j * stride + phase >= pad.
    let first = if phase >= pad { 0 } else { (pad - phase).div_ceil(stride) };
    let start = first * stride + phase - pad;
    if stride == 1 {
        // One run: a block copy (the element loop below stayed scalar, a tenth of LeNet's
        // second convolution).
        let n = (part.len().saturating_sub(first)).min(src.len().saturating_sub(start));
        if let (Some(d), Some(s)) = (part.get_mut(first..first + n), src.get(start..start + n)) {
            copy(d, s);
        }
        return;
    }
    if stride == 2 {
        // Every other float: with wide vectors, the even floats of two vectors at a time
        // ([`Vector::deinterleave`], shuffles). Left to the compiler, the loop stayed scalar at a
        // dispatched level (a fifth of ResNet-8's strided convolutions) and became shuffles
        // only with `-C target-cpu=native`.
        let (Some(part), Some(src)) = (part.get_mut(first..), src.get(start..)) else { return };
        let n = part.len().min(src.len().div_ceil(2));
        let lanes = V::LANES;
        if lanes < 8 {
            // Four lanes (portable, microcontrollers): one float at a time.
            let (pairs, last) = src.as_chunks::<2>();
            let mut written = 0;
            for (d, pair) in part.iter_mut().zip(pairs) {
                *d = pair[0];
                written += 1;
            }
            if let (Some(d), Some(&x)) = (part.get_mut(written), last.first())
                && written == pairs.len()
            {
                *d = x;
            }
            return;
        }
        // The last vector may be partial (rows of 8 outputs with 16 lanes): masked.
        for j in (0..n).step_by(lanes) {
            let two = src.get(2 * j..src.len().min(2 * j + 2 * lanes)).unwrap_or(&[]);
            let (lo, hi) = two.split_at(two.len().min(lanes));
            if let Some(dst) = part.get_mut(j..n.min(j + lanes)) {
                V::deinterleave(V::load_first(lo), V::load_first(hi)).0.store_first(dst);
            }
        }
        return;
    }
    let inside = src.iter().skip(start).step_by(stride);
    for (d, s) in part.iter_mut().skip(first).zip(inside) {
        *d = *s;
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::format;
    use std::vec;
    use std::vec::Vec;

    use super::*;
    use crate::init::Rng;
    use crate::kernels::conv::conv_plane;
    use crate::kernels::simd::F32x4;

    /// Output length along one axis (PyTorch's formula, symmetric padding).
    const fn out_len(len: usize, k: usize, s: usize, d: usize, p: usize) -> usize {
        (len + 2 * p - d * (k - 1) - 1) / s + 1
    }

    /// A 2-d geometry: `geom!(Name, c_in, c_out, groups, [h, w], [kh, kw], [sh, sw], [dh, dw],
    /// [ph, pw], mode)`.
    macro_rules! geom {
        ($name:ident, $ci:expr, $co:expr, $g:expr, [$h:expr, $w:expr], [$kh:expr, $kw:expr],
         [$sh:expr, $sw:expr], [$dh:expr, $dw:expr], [$ph:expr, $pw:expr], $mode:ident) => {
            struct $name;
            impl ConvGeometry for $name {
                const C_IN: usize = $ci;
                const C_OUT: usize = $co;
                const GROUPS: usize = $g;
                const IN: [usize; 3] = [1, $h, $w];
                const OUT: [usize; 3] =
                    [1, out_len($h, $kh, $sh, $dh, $ph), out_len($w, $kw, $sw, $dw, $pw)];
                const KERNEL: [usize; 3] = [1, $kh, $kw];
                const STRIDE: [usize; 3] = [1, $sh, $sw];
                const DILATION: [usize; 3] = [1, $dh, $dw];
                const PAD: [usize; 3] = [0, $ph, $pw];
                const PADDING_MODE: PaddingMode = PaddingMode::$mode;
            }
        };
    }

    /// The reference: one plane at a time with [`conv_plane`].
    fn reference<G: ConvGeometry>(input: &[f32], weight: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
        let per_out = G::IN_PER_GROUP * G::TAPS;
        let mut out = vec![0.0; G::C_OUT * G::OUT_PLANE];
        for (oc, plane) in out.chunks_exact_mut(G::OUT_PLANE).enumerate() {
            plane.fill(bias.map_or(0.0, |b| b[oc]));
            conv_plane::<G>(input, &weight[oc * per_out..(oc + 1) * per_out], oc, plane);
        }
        out
    }

    /// Compares both entry points of the tiled kernel with the reference on random data, at
    /// every instruction-set level this build can run.
    fn check<G: ConvGeometry>(seed: u64, with_bias: bool) {
        for level in isa::available() {
            isa::with_level(level, || check_at_active_level::<G>(seed, with_bias));
        }
    }

    /// [`check`] at the active level.
    fn check_at_active_level<G: ConvGeometry>(seed: u64, with_bias: bool) {
        let level = isa::active();
        assert!(supported::<G>(), "geometry not supported");
        let mut rng = Rng::seed(seed);
        let mut input = vec![0.0; G::C_IN * G::IN_PLANE];
        let mut weight = vec![0.0; G::C_OUT * G::IN_PER_GROUP * G::TAPS];
        let mut bias = vec![0.0; G::C_OUT];
        rng.fill_fan_in_uniform(&mut input, 1);
        rng.fill_fan_in_uniform(&mut weight, G::IN_PER_GROUP * G::TAPS);
        rng.fill_fan_in_uniform(&mut bias, 1);
        let bias = with_bias.then_some(bias.as_slice());
        let want = reference::<G>(&input, &weight, bias);

        let mut got = vec![f32::NAN; want.len()];
        let mut finished = vec![0; G::C_OUT];
        // A dirty workspace: the kernel must clear what it relies on.
        let mut workspace = vec![f32::NAN; workspace_len::<G>()];
        conv_tiled::<G>(&input, &weight, bias, &mut got, &mut workspace, |oc, plane| {
            finished[oc] += 1;
            for v in plane.iter_mut() {
                *v += 1.0; // the epilogue sees the finished plane
            }
        });
        assert!(finished.iter().all(|&n| n == 1), "each channel finished once: {finished:?}");
        compare(&got, &want, 1.0, &format!("conv_tiled at {}", level.name()));

        let mut buffer = vec![f32::NAN; buffered_workspace_len::<G>()];
        let mut got = vec![f32::NAN; want.len()];
        conv_tiled_buffered::<G>(&input, &weight, bias, &mut buffer, |oc, plane| {
            got[oc * G::OUT_PLANE..(oc + 1) * G::OUT_PLANE].copy_from_slice(plane);
        });
        compare(&got, &want, 0.0, &format!("conv_tiled_buffered at {}", level.name()));
    }

    fn compare(got: &[f32], want: &[f32], offset: f32, what: &str) {
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            let w = w + offset;
            assert!((g - w).abs() <= 1e-5 * (1.0 + w.abs()), "{what}: element {i}: {g} vs {w}");
        }
    }

    macro_rules! cases {
        ($($test:ident: $name:ident($($g:tt)*);)*) => {$(
            #[test]
            fn $test() {
                geom!($name, $($g)*);
                check::<$name>(1, true);
                check::<$name>(2, false);
            }
        )*};
    }

    cases! {
        cifar_conv1: A(3, 32, 1, [32, 32], [5, 5], [1, 1], [1, 1], [2, 2], Zeros);
        cifar_conv2: B(32, 32, 1, [16, 16], [5, 5], [1, 1], [1, 1], [2, 2], Zeros);
        cifar_conv3: C(32, 64, 1, [8, 8], [5, 5], [1, 1], [1, 1], [2, 2], Zeros);
        lenet_conv1: D(1, 6, 1, [32, 32], [5, 5], [1, 1], [1, 1], [0, 0], Zeros);
        lenet_conv2: E(6, 16, 1, [14, 14], [5, 5], [1, 1], [1, 1], [0, 0], Zeros);
        dscnn_conv1: F(1, 64, 1, [49, 10], [10, 4], [2, 2], [1, 1], [5, 1], Zeros);
        dscnn_depthwise: G(64, 64, 64, [25, 5], [3, 3], [1, 1], [1, 1], [1, 1], Zeros);
        dscnn_pointwise: H(64, 64, 1, [25, 5], [1, 1], [1, 1], [1, 1], [0, 0], Zeros);
        pointwise_odd: I(7, 13, 1, [3, 5], [1, 1], [1, 1], [1, 1], [0, 0], Zeros);
        pointwise_tiny_plane: J(5, 3, 1, [1, 3], [1, 1], [1, 1], [1, 1], [0, 0], Zeros);
        pointwise_strided: K(4, 9, 1, [9, 11], [1, 1], [2, 3], [1, 1], [0, 0], Zeros);
        k3_odd_sizes: L(5, 7, 1, [13, 11], [3, 3], [1, 1], [1, 1], [1, 1], Zeros);
        k3_stride2: M(3, 10, 1, [15, 17], [3, 3], [2, 2], [1, 1], [1, 1], Zeros);
        k3_dilation2: N(4, 5, 1, [12, 19], [3, 3], [1, 1], [2, 2], [2, 2], Zeros);
        k5_stride3_dilation2: O(2, 11, 1, [23, 29], [5, 5], [3, 3], [2, 2], [3, 1], Zeros);
        rectangular: P(3, 4, 1, [9, 21], [2, 5], [1, 2], [1, 3], [1, 0], Zeros);
        grouped: Q(6, 9, 3, [10, 12], [3, 3], [1, 1], [1, 1], [1, 1], Zeros);
        depthwise_multiplier: R(5, 10, 5, [11, 9], [3, 3], [1, 1], [1, 1], [1, 1], Zeros);
        depthwise_k5_stride2: S(8, 8, 8, [17, 18], [5, 5], [2, 2], [1, 1], [2, 2], Zeros);
        chunked_channels: T(40, 7, 1, [16, 16], [3, 3], [1, 1], [1, 1], [1, 1], Zeros);
        chunked_k5_tail: U(33, 5, 1, [13, 14], [5, 5], [1, 1], [1, 1], [2, 2], Zeros);
        reflect: V(3, 5, 1, [9, 10], [3, 3], [1, 1], [1, 1], [1, 1], Reflect);
        replicate_stride2: W(2, 6, 1, [11, 9], [3, 5], [2, 2], [1, 1], [1, 2], Replicate);
        circular_dilated: X(3, 4, 1, [10, 12], [3, 3], [1, 1], [2, 2], [2, 2], Circular);
        one_row: Y(3, 7, 1, [1, 40], [1, 3], [1, 1], [1, 1], [0, 1], Zeros);
        narrow: Z(4, 3, 1, [6, 2], [3, 3], [1, 1], [1, 1], [1, 1], Zeros);
        padding_larger_than_input: AA(2, 3, 1, [2, 3], [3, 3], [1, 1], [1, 1], [2, 2], Zeros);
        single_channel_k1_pad: AB(1, 1, 1, [4, 4], [1, 1], [1, 1], [1, 1], [1, 1], Zeros);
        depthwise_three_rows: AC(5, 5, 5, [3, 4], [3, 3], [1, 1], [1, 1], [1, 1], Zeros);
        depthwise_strided_dilated: AD(3, 3, 3, [7, 4], [3, 3], [2, 2], [2, 2], [2, 2], Zeros);
        depthwise_reflect: AE(4, 4, 4, [5, 3], [3, 3], [1, 1], [1, 1], [1, 1], Reflect);
        banded_plane_too_large: AF(4, 6, 1, [40, 40], [3, 3], [1, 1], [1, 1], [1, 1], Zeros);
        banded_strided_reflect: AG(3, 5, 1, [33, 30], [5, 3], [2, 1], [1, 1], [2, 1], Reflect);
        depthwise_channel_tail: AH(20, 20, 20, [9, 6], [3, 3], [1, 1], [1, 1], [1, 1], Zeros);
        depthwise_narrow_stride2: AI(24, 24, 24, [15, 9], [3, 3], [2, 2], [1, 1], [1, 1], Zeros);
        depthwise_narrow_dilated: AJ(16, 16, 16, [12, 7], [3, 3], [1, 1], [2, 2], [2, 2], Zeros);
        depthwise_column_kernel: AK(17, 17, 17, [10, 4], [3, 1], [1, 1], [1, 1], [0, 0], Zeros);
        shortcut_stride2: AL(16, 32, 1, [32, 32], [1, 1], [2, 2], [1, 1], [0, 0], Zeros);
        shortcut_odd_stride3: AM(5, 7, 1, [17, 23], [1, 1], [3, 2], [1, 1], [0, 0], Zeros);
        resnet_stride2_half_rows: AN(32, 64, 1, [16, 16], [3, 3], [2, 2], [1, 1], [1, 1], Zeros);
        stride2_half_rows_pad2: AO(24, 32, 1, [15, 15], [5, 5], [2, 2], [1, 1], [2, 2], Zeros);
        stride2_quarter_rows: AP(4, 8, 1, [8, 7], [3, 3], [2, 2], [1, 1], [1, 1], Zeros);
        stride2_half_rows_dilated: AQ(24, 32, 1, [13, 16], [3, 3], [2, 2], [2, 2], [2, 2], Zeros);
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn strided_one_by_one_convolutions_subsample_with_wide_vectors() {
        geom!(Shortcut, 16, 32, 1, [32, 32], [1, 1], [2, 2], [1, 1], [0, 0], Zeros);
        geom!(Padded, 16, 32, 1, [32, 32], [1, 1], [2, 2], [1, 1], [1, 1], Zeros);
        assert!(subsampled::<Shortcut, isa::Avx512>());
        assert!(subsampled::<Shortcut, isa::Avx2>());
        assert!(!subsampled::<Shortcut, isa::Portable>(), "not on microcontrollers");
        assert!(!subsampled::<Padded, isa::Avx512>(), "padding: the panel path");
    }

    #[test]
    fn narrow_depthwise_convolutions_put_channels_in_the_lanes() {
        geom!(DsCnn, 64, 64, 64, [25, 5], [3, 3], [1, 1], [1, 1], [1, 1], Zeros);
        geom!(Tail, 20, 20, 20, [9, 6], [3, 3], [1, 1], [1, 1], [1, 1], Zeros);
        geom!(Column, 17, 17, 17, [10, 4], [3, 1], [1, 1], [1, 1], [0, 0], Zeros);
        geom!(Wide, 64, 64, 64, [32, 32], [3, 3], [1, 1], [1, 1], [1, 1], Zeros);
        geom!(Reflected, 16, 16, 16, [9, 6], [3, 3], [1, 1], [1, 1], [1, 1], Reflect);
        assert!(depthwise::applies::<DsCnn>(16), "rows of 5: 3 per vector of 16");
        assert!(!depthwise::applies::<DsCnn>(8), "rows of 5 fill 5 lanes of 8: the row layout");
        for lanes in [8, 16] {
            assert!(depthwise::applies::<Tail>(lanes));
            assert!(depthwise::applies::<Column>(lanes));
            assert!(!depthwise::applies::<Wide>(lanes), "rows of 32 fill the row layout");
            assert!(!depthwise::applies::<Reflected>(lanes), "zero padding only");
        }
        assert!(!depthwise::applies::<DsCnn>(4), "not with the portable vectors");
        // The panel of 16 channels: 27 x 7 padded pixels, and a cache line to align it.
        assert_eq!(depthwise::workspace_len::<DsCnn>(16), 27 * 7 * 16 + 16);
    }

    #[test]
    fn small_panels_hold_bands_of_rows_of_every_channel() {
        geom!(Large, 4, 6, 1, [40, 40], [3, 3], [1, 1], [1, 1], [1, 1], Zeros);
        geom!(Strided, 3, 5, 1, [33, 30], [5, 3], [2, 1], [1, 1], [2, 1], Reflect);
        geom!(Cifar1, 3, 32, 1, [32, 32], [5, 5], [1, 1], [1, 1], [2, 2], Zeros);
        // The portable vectors' plans (wide vectors have room for whole planes).
        let plans = [
            Tiling::<Large, false, F32x4>::PLAN,
            Tiling::<Strided, true, F32x4>::PLAN,
            Tiling::<Cifar1, true, F32x4>::PLAN,
        ];
        for (plan, (out_h, channels)) in plans.iter().zip([(40, 4), (17, 3), (32, 3)]) {
            assert!(plan.band < out_h, "{plan:?}");
            assert_eq!(plan.chunk, channels, "{plan:?}");
        }
    }

    #[test]
    fn narrow_depthwise_tiles_load_each_row_once() {
        geom!(Rows, 5, 5, 5, [3, 4], [3, 3], [1, 1], [1, 1], [1, 1], Zeros);
        geom!(Strided, 3, 3, 3, [7, 4], [3, 3], [2, 2], [2, 2], [2, 2], Zeros);
        const { assert!(matches!(Tiling::<Rows, false, F32x4>::PLAN.micro, Micro::Rows)) };
        const { assert!(matches!(Tiling::<Strided, true, F32x4>::PLAN.micro, Micro::Rows)) };
    }

    /// Prints the plans of the benchmark networks' convolutions for every vector
    /// (`cargo test -p staticnn-core --lib benchmark_plans -- --nocapture`).
    #[test]
    fn benchmark_plans() {
        geom!(Cifar1, 3, 32, 1, [32, 32], [5, 5], [1, 1], [1, 1], [2, 2], Zeros);
        geom!(Cifar2, 32, 32, 1, [16, 16], [5, 5], [1, 1], [1, 1], [2, 2], Zeros);
        geom!(Cifar3, 32, 64, 1, [8, 8], [5, 5], [1, 1], [1, 1], [2, 2], Zeros);
        geom!(Lenet1, 1, 6, 1, [32, 32], [5, 5], [1, 1], [1, 1], [0, 0], Zeros);
        geom!(Lenet2, 6, 16, 1, [14, 14], [5, 5], [1, 1], [1, 1], [0, 0], Zeros);
        geom!(Ds1, 1, 64, 1, [49, 10], [10, 4], [2, 2], [1, 1], [5, 1], Zeros);
        geom!(DsDw, 64, 64, 64, [25, 5], [3, 3], [1, 1], [1, 1], [1, 1], Zeros);
        geom!(DsPw, 64, 64, 1, [25, 5], [1, 1], [1, 1], [1, 1], [0, 0], Zeros);
        geom!(R8s1, 16, 16, 1, [32, 32], [3, 3], [1, 1], [1, 1], [1, 1], Zeros);
        geom!(R8s2c1, 16, 32, 1, [32, 32], [3, 3], [2, 2], [1, 1], [1, 1], Zeros);
        geom!(R8s2sc, 16, 32, 1, [32, 32], [1, 1], [2, 2], [1, 1], [0, 0], Zeros);
        geom!(R8s3c1, 32, 64, 1, [16, 16], [3, 3], [2, 2], [1, 1], [1, 1], Zeros);
        geom!(R8s3c2, 64, 64, 1, [8, 8], [3, 3], [1, 1], [1, 1], [1, 1], Zeros);
        fn show<G: ConvGeometry>(name: &str) {
            extern crate std;
            let plans = [
                ("x4", Tiling::<G, true, F32x4>::PLAN),
                #[cfg(target_arch = "x86_64")]
                ("x8", Tiling::<G, true, crate::kernels::simd::F32x8>::PLAN),
                #[cfg(target_arch = "x86_64")]
                ("x8vl", Tiling::<G, true, crate::kernels::simd::F32x8Vl>::PLAN),
                #[cfg(target_arch = "x86_64")]
                ("x16", Tiling::<G, true, crate::kernels::simd::F32x16>::PLAN),
            ];
            let unbuffered = [("x16u", Tiling::<G, false, crate::kernels::simd::F32x16>::PLAN)];
            #[cfg(not(target_arch = "x86_64"))]
            let unbuffered: [(&str, Plan); 0] = [];
            for (v, p) in plans.into_iter().chain(unbuffered) {
                std::println!(
                    "{name:<7} {v:<5} shifted={:<5} mr={} nv={} vectors={} chunk={} batch={} \
                     micro={:?} panel={} cost={}",
                    p.shifted,
                    p.mr,
                    p.nv,
                    p.vectors,
                    p.chunk,
                    p.group_batch,
                    p.micro,
                    panel_len(p),
                    p.cost / 16
                );
            }
        }
        show::<Cifar1>("cifar1");
        show::<Cifar2>("cifar2");
        show::<Cifar3>("cifar3");
        show::<Lenet1>("lenet1");
        show::<Lenet2>("lenet2");
        show::<Ds1>("ds1");
        show::<DsDw>("ds_dw");
        show::<DsPw>("ds_pw");
        show::<R8s1>("r8_s1");
        show::<R8s2c1>("r8_s2c1");
        show::<R8s2sc>("r8_s2sc");
        show::<R8s3c1>("r8_s3c1");
        show::<R8s3c2>("r8_s3c2");
    }

    #[test]
    fn strided_rows_match_the_element_rule() {
        // part[j] = src[j * stride + phase - pad] where that is inside, untouched elsewhere;
        // with each level's wide vectors (whole, partial and no vectors of outputs).
        for level in isa::available() {
            for stride in 1..=3 {
                for pad in 0..=3 {
                    for phase in 0..stride + 2 {
                        for (src_len, part_len) in
                            [(0, 4), (1, 3), (7, 4), (8, 4), (9, 6), (16, 9), (37, 19), (80, 40)]
                        {
                            let src: Vec<f32> = (0..src_len).map(|i| i as f32 + 1.0).collect();
                            let mut got = vec![-1.0; part_len];
                            isa::with_level(level, || {
                                isa::dispatch!(I => strided_inside::<<I as Isa>::Wide>(
                                    &mut got, &src, phase, stride, pad
                                ));
                            });
                            let want: Vec<f32> = (0..part_len)
                                .map(|j| {
                                    (j * stride + phase)
                                        .checked_sub(pad)
                                        .and_then(|i| src.get(i).copied())
                                        .unwrap_or(-1.0)
                                })
                                .collect();
                            let case = format!("{level:?} stride {stride} pad {pad} phase {phase}");
                            assert_eq!(got, want, "{case} {src_len}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn plans_use_the_large_tiles() {
        geom!(Cifar2, 32, 32, 1, [16, 16], [5, 5], [1, 1], [1, 1], [2, 2], Zeros);
        let (mr, nv) = tile_shape::<Cifar2>(false);
        assert!(mr * nv >= 8, "({mr}, {nv})");
    }
}
