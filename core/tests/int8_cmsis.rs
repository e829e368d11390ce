//! Every CMSIS-NN fixture of `tests/fixtures/int8` (see its README) through staticnn's int8
//! kernels: each output element must equal CMSIS-NN's, bit for bit. Every kernel path that
//! accepts a case runs it (the dispatching `conv`, the general im2col path, and the pointwise
//! or depthwise fast path), and every stored multiplier, shift and clamp is re-derived from
//! the stored float scales. A fixture file that no case here handles fails the test, and so
//! does an empty fixture directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use safetensors::{Dtype, SafeTensors};
use staticnn_core::kernels::PaddingMode;
use staticnn_core::kernels::conv::ConvGeometry;
use staticnn_core::kernels::int8::conv::{conv_im2col, im2col_workspace_len};
use staticnn_core::kernels::int8::depthwise::{self, conv_depthwise};
use staticnn_core::kernels::int8::direct;
use staticnn_core::kernels::int8::elementwise::broadcast_shape;
use staticnn_core::kernels::int8::pointwise::{self, conv_pointwise};
use staticnn_core::kernels::int8::pointwise_dsp;
use staticnn_core::kernels::int8::requantize::doubling_high_mul;
use staticnn_core::kernels::int8::{
    AddParams, FusedActivation, MulParams, Requant, activation_range, add, avg_pool, conv,
    conv_multiplier, linear, max_pool, mul, quantize_multiplier, requantize, workspace_len,
};
use staticnn_core::kernels::isa;
use staticnn_core::kernels::pool::PoolGeometry;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/int8");

/// One fixture file: its tensors and metadata.
struct Fixture {
    name: String,
    bytes: Vec<u8>,
    meta: BTreeMap<String, String>,
}

impl Fixture {
    fn load(path: &Path) -> Self {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (_, metadata) = SafeTensors::read_metadata(&bytes).expect("a safetensors file");
        let meta = metadata.metadata().clone().unwrap_or_default().into_iter().collect();
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
        Self { name, bytes, meta }
    }

    fn meta(&self, key: &str) -> &str {
        self.meta.get(key).unwrap_or_else(|| panic!("{}: no metadata `{key}`", self.name))
    }

    fn int(&self, key: &str) -> i64 {
        self.meta(key).parse().unwrap_or_else(|e| panic!("{}: `{key}`: {e}", self.name))
    }

    fn has(&self, key: &str) -> bool {
        SafeTensors::deserialize(&self.bytes).unwrap().tensor(key).is_ok()
    }

    /// Tensor `key` as raw bytes, checking its dtype; with its shape.
    fn raw(&self, key: &str, dtype: Dtype) -> (Vec<u8>, Vec<usize>) {
        let st = SafeTensors::deserialize(&self.bytes).unwrap();
        let t = st.tensor(key).unwrap_or_else(|e| panic!("{}: `{key}`: {e}", self.name));
        assert_eq!(t.dtype(), dtype, "{}: dtype of `{key}`", self.name);
        (t.data().to_vec(), t.shape().to_vec())
    }

    fn i8s(&self, key: &str) -> Vec<i8> {
        self.raw(key, Dtype::I8).0.into_iter().map(|b| b as i8).collect()
    }

    fn shape(&self, key: &str) -> Vec<usize> {
        let st = SafeTensors::deserialize(&self.bytes).unwrap();
        st.tensor(key).unwrap_or_else(|e| panic!("{}: `{key}`: {e}", self.name)).shape().to_vec()
    }

    fn i32s(&self, key: &str) -> Vec<i32> {
        let (b, _) = self.raw(key, Dtype::I32);
        b.chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap())).collect()
    }

    fn f32s(&self, key: &str) -> Vec<f32> {
        let (b, _) = self.raw(key, Dtype::F32);
        b.chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()
    }

    fn f64s(&self, key: &str) -> Vec<f64> {
        let (b, _) = self.raw(key, Dtype::F64);
        b.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap())).collect()
    }

    fn f32_scalar(&self, key: &str) -> f32 {
        let v = self.f32s(key);
        assert_eq!(v.len(), 1, "{}: `{key}` is not one value", self.name);
        v[0]
    }

    fn activation(&self) -> FusedActivation {
        match self.meta("activation") {
            "none" => FusedActivation::None,
            "relu" => FusedActivation::Relu,
            "relu6" => FusedActivation::Relu6,
            other => panic!("{}: unknown activation {other}", self.name),
        }
    }

    fn act_range(&self) -> (i8, i8) {
        let lo = i8::try_from(self.int("act_min")).unwrap();
        let hi = i8::try_from(self.int("act_max")).unwrap();
        (lo, hi)
    }

    /// Checks that `act_min`/`act_max` are what `activation_range` derives from the scales.
    fn check_act_range(&self, zero_point_key: &str) {
        let derived = activation_range(
            self.activation(),
            self.int(zero_point_key) as i32,
            self.f32_scalar("output_scale"),
        );
        assert_eq!(derived, Some(self.act_range()), "{}: activation range", self.name);
    }
}

/// Asserts `got == want` element by element, naming the first mismatches; returns the count.
fn compare(name: &str, path: &str, got: &[i8], want: &[i8]) -> usize {
    assert_eq!(got.len(), want.len(), "{name} ({path}): output length");
    let bad: Vec<String> = got
        .iter()
        .zip(want)
        .enumerate()
        .filter(|(_, (g, w))| g != w)
        .take(8)
        .map(|(i, (g, w))| format!("[{i}] got {g}, CMSIS-NN {w}"))
        .collect();
    let total = got.iter().zip(want).filter(|(g, w)| g != w).count();
    assert!(bad.is_empty(), "{name} ({path}): {total} of {} outputs differ: {bad:?}", got.len());
    got.len()
}

/// What one fixture contributed.
#[derive(Default)]
struct Tally {
    /// Output elements (or table rows) compared, per kernel path.
    elements: usize,
    /// Kernel runs compared (one per path).
    runs: usize,
    /// Multipliers, shifts and clamps re-derived from scales.
    derivations: usize,
}

// ---- convolutions ----------------------------------------------------------------------------

macro_rules! conv_geometries {
    ($($ty:ident = $file:literal: $c_in:literal -> $c_out:literal, groups $g:literal,
       in [$ih:literal, $iw:literal], out [$oh:literal, $ow:literal],
       kernel [$kh:literal, $kw:literal], stride [$sh:literal, $sw:literal],
       dilation [$dh:literal, $dw:literal], pad [$pt:literal, $pl:literal];)*) => {
        $(
            struct $ty;
            impl ConvGeometry for $ty {
                const C_IN: usize = $c_in;
                const C_OUT: usize = $c_out;
                const GROUPS: usize = $g;
                const IN: [usize; 3] = [1, $ih, $iw];
                const OUT: [usize; 3] = [1, $oh, $ow];
                const KERNEL: [usize; 3] = [1, $kh, $kw];
                const STRIDE: [usize; 3] = [1, $sh, $sw];
                const DILATION: [usize; 3] = [1, $dh, $dw];
                const PAD: [usize; 3] = [0, $pt, $pl];
                const PADDING_MODE: PaddingMode = PaddingMode::Zeros;
            }
        )*
        /// The runner of conv fixture `name`.
        fn conv_case(name: &str) -> Option<fn(&Fixture) -> Tally> {
            match name {
                $($file => Some(run_conv::<$ty>),)*
                _ => None,
            }
        }
    };
}

conv_geometries! {
    Conv10x4S2Dscnn = "conv_10x4_s2_dscnn": 1 -> 64, groups 1, in [49, 10], out [25, 5], kernel [10, 4], stride [2, 2], dilation [1, 1], pad [5, 1];
    Conv1x1DscnnPointwise = "conv_1x1_dscnn_pointwise": 64 -> 64, groups 1, in [25, 5], out [25, 5], kernel [1, 1], stride [1, 1], dilation [1, 1], pad [0, 0];
    Conv1x1MultiplierAboveOne = "conv_1x1_multiplier_above_one": 2 -> 3, groups 1, in [4, 5], out [4, 5], kernel [1, 1], stride [1, 1], dilation [1, 1], pad [0, 0];
    Conv1x1PointwiseRelu = "conv_1x1_pointwise_relu": 16 -> 12, groups 1, in [5, 7], out [5, 7], kernel [1, 1], stride [1, 1], dilation [1, 1], pad [0, 0];
    Conv1x1S2 = "conv_1x1_s2": 8 -> 6, groups 1, in [9, 7], out [5, 4], kernel [1, 1], stride [2, 2], dilation [1, 1], pad [0, 0];
    Conv1x3RowInput = "conv_1x3_row_input": 8 -> 5, groups 1, in [1, 15], out [1, 15], kernel [1, 3], stride [1, 1], dilation [1, 1], pad [0, 1];
    Conv3x2Dil2x1S1x2 = "conv_3x2_dil2x1_s1x2": 2 -> 5, groups 1, in [8, 11], out [8, 6], kernel [3, 2], stride [1, 2], dilation [2, 1], pad [2, 0];
    Conv3x3Dilation2 = "conv_3x3_dilation2": 3 -> 4, groups 1, in [10, 9], out [10, 9], kernel [3, 3], stride [1, 1], dilation [2, 2], pad [2, 2];
    Conv3x3Groups2Relu6 = "conv_3x3_groups2_relu6": 4 -> 6, groups 2, in [7, 6], out [7, 6], kernel [3, 3], stride [1, 1], dilation [1, 1], pad [1, 1];
    Conv3x3Groups3S2 = "conv_3x3_groups3_s2": 6 -> 9, groups 3, in [9, 9], out [5, 5], kernel [3, 3], stride [2, 2], dilation [1, 1], pad [1, 1];
    Conv3x3PadTopLeftOnly = "conv_3x3_pad_top_left_only": 2 -> 3, groups 1, in [6, 7], out [6, 7], kernel [3, 3], stride [1, 1], dilation [1, 1], pad [2, 2];
    Conv3x3Pow2ScalesTies = "conv_3x3_pow2_scales_ties": 3 -> 4, groups 1, in [8, 7], out [8, 7], kernel [3, 3], stride [1, 1], dilation [1, 1], pad [1, 1];
    Conv3x3S1P1Relu = "conv_3x3_s1_p1_relu": 3 -> 5, groups 1, in [9, 7], out [9, 7], kernel [3, 3], stride [1, 1], dilation [1, 1], pad [1, 1];
    Conv3x3S2P1Relu6 = "conv_3x3_s2_p1_relu6": 4 -> 6, groups 1, in [11, 9], out [6, 5], kernel [3, 3], stride [2, 2], dilation [1, 1], pad [1, 1];
    Conv3x3ZpExtremes = "conv_3x3_zp_extremes": 3 -> 4, groups 1, in [6, 5], out [6, 5], kernel [3, 3], stride [1, 1], dilation [1, 1], pad [1, 1];
    Conv3x3ZpInMin = "conv_3x3_zp_in_min": 3 -> 4, groups 1, in [6, 5], out [6, 5], kernel [3, 3], stride [1, 1], dilation [1, 1], pad [1, 1];
    Conv4x4SameEven = "conv_4x4_same_even": 3 -> 4, groups 1, in [7, 8], out [7, 8], kernel [4, 4], stride [1, 1], dilation [1, 1], pad [1, 1];
    Conv5x5CifarConv1 = "conv_5x5_cifar_conv1": 3 -> 32, groups 1, in [32, 32], out [32, 32], kernel [5, 5], stride [1, 1], dilation [1, 1], pad [2, 2];
    Conv5x5S1P2 = "conv_5x5_s1_p2": 3 -> 8, groups 1, in [13, 11], out [13, 11], kernel [5, 5], stride [1, 1], dilation [1, 1], pad [2, 2];
    Conv5x5ValidNobias = "conv_5x5_valid_nobias": 5 -> 4, groups 1, in [9, 8], out [5, 4], kernel [5, 5], stride [1, 1], dilation [1, 1], pad [0, 0];
    Dw1x5Asym = "dw_1x5_asym": 5 -> 5, groups 5, in [4, 13], out [4, 6], kernel [1, 5], stride [1, 2], dilation [1, 1], pad [0, 2];
    Dw3x3Dilation2 = "dw_3x3_dilation2": 4 -> 4, groups 4, in [9, 10], out [9, 10], kernel [3, 3], stride [1, 1], dilation [2, 2], pad [2, 2];
    Dw3x3Dscnn = "dw_3x3_dscnn": 64 -> 64, groups 64, in [25, 5], out [25, 5], kernel [3, 3], stride [1, 1], dilation [1, 1], pad [1, 1];
    Dw3x3Mult2 = "dw_3x3_mult2": 3 -> 6, groups 3, in [8, 7], out [8, 7], kernel [3, 3], stride [1, 1], dilation [1, 1], pad [1, 1];
    Dw3x3Mult4S2 = "dw_3x3_mult4_s2": 2 -> 8, groups 2, in [9, 8], out [5, 4], kernel [3, 3], stride [2, 2], dilation [1, 1], pad [1, 1];
    Dw3x3Pad2 = "dw_3x3_pad2": 3 -> 3, groups 3, in [6, 7], out [8, 9], kernel [3, 3], stride [1, 1], dilation [1, 1], pad [2, 2];
    Dw3x3S1P1Relu = "dw_3x3_s1_p1_relu": 5 -> 5, groups 5, in [9, 7], out [9, 7], kernel [3, 3], stride [1, 1], dilation [1, 1], pad [1, 1];
    Dw3x3S2P1Relu6 = "dw_3x3_s2_p1_relu6": 6 -> 6, groups 6, in [11, 10], out [6, 5], kernel [3, 3], stride [2, 2], dilation [1, 1], pad [1, 1];
    Dw3x3ValidNobias = "dw_3x3_valid_nobias": 7 -> 7, groups 7, in [8, 9], out [6, 7], kernel [3, 3], stride [1, 1], dilation [1, 1], pad [0, 0];
    Dw5x5P2 = "dw_5x5_p2": 4 -> 4, groups 4, in [9, 11], out [9, 11], kernel [5, 5], stride [1, 1], dilation [1, 1], pad [2, 2];
}

/// Checks that the metadata describes geometry `G` (so a wrong declaration above cannot hide),
/// including the bottom and right padding that `G::OUT` implies.
fn check_conv_geometry<G: ConvGeometry>(f: &Fixture) {
    let n = &f.name;
    let m = |k: &str| f.int(k) as usize;
    assert_eq!(
        [G::C_IN, G::C_OUT, G::GROUPS],
        [m("in_channels"), m("out_channels"), m("groups")],
        "{n}"
    );
    assert_eq!(G::KERNEL, [1, m("kernel_h"), m("kernel_w")], "{n}: kernel");
    assert_eq!(G::STRIDE, [1, m("stride_h"), m("stride_w")], "{n}: stride");
    assert_eq!(G::DILATION, [1, m("dilation_h"), m("dilation_w")], "{n}: dilation");
    assert_eq!(G::PAD, [0, m("pad_top"), m("pad_left")], "{n}: padding");
    let input = f.shape("input");
    let output = f.shape("output");
    assert_eq!(input, [G::C_IN, G::IN[1], G::IN[2]], "{n}: input shape");
    assert_eq!(output, [G::C_OUT, G::OUT[1], G::OUT[2]], "{n}: output shape");
    let out_len = |len: usize, before: usize, after: usize, k: usize, s: usize, d: usize| {
        (len + before + after - d * (k - 1) - 1) / s + 1
    };
    let oh = out_len(
        G::IN[1],
        m("pad_top"),
        m("pad_bottom"),
        G::KERNEL[1],
        G::STRIDE[1],
        G::DILATION[1],
    );
    let ow = out_len(
        G::IN[2],
        m("pad_left"),
        m("pad_right"),
        G::KERNEL[2],
        G::STRIDE[2],
        G::DILATION[2],
    );
    assert_eq!([oh, ow], [G::OUT[1], G::OUT[2]], "{n}: output size from the four pads");
    assert_eq!(
        f.shape("weight"),
        [G::C_OUT, G::C_IN / G::GROUPS, G::KERNEL[1], G::KERNEL[2]],
        "{n}"
    );
    if f.meta("op") == "depthwise_conv2d" {
        assert_eq!(G::GROUPS, G::C_IN, "{n}: depthwise");
        assert_eq!(G::C_OUT, G::C_IN * m("channel_multiplier"), "{n}: channel multiplier");
    }
}

/// Checks `(multiplier, shift)` of every output channel against `conv_multiplier` on the stored
/// scales, and the stored real multipliers against the f64 formula. Returns the count.
fn check_multipliers(f: &Fixture) -> usize {
    let (s_in, s_out) = (f.f32_scalar("input_scale"), f.f32_scalar("output_scale"));
    let (w, m, s, eff) =
        (f.f32s("weight_scale"), f.i32s("multiplier"), f.i32s("shift"), f.f64s("effective_scale"));
    assert!(w.len() == m.len() && m.len() == s.len() && s.len() == eff.len(), "{}", f.name);
    for c in 0..w.len() {
        let real = (f64::from(s_in) * f64::from(w[c])) / f64::from(s_out);
        assert_eq!(real.to_bits(), eff[c].to_bits(), "{}: effective scale {c}", f.name);
        assert_eq!(
            conv_multiplier(s_in, w[c], s_out),
            Some((m[c], s[c])),
            "{}: channel {c}",
            f.name
        );
        assert_eq!(quantize_multiplier(eff[c]), Some((m[c], s[c])), "{}: channel {c}", f.name);
    }
    w.len()
}

fn run_conv<G: ConvGeometry>(f: &Fixture) -> Tally {
    check_conv_geometry::<G>(f);
    let derivations = check_multipliers(f) + 1;
    f.check_act_range("output_zero_point");
    let (input, weight, want) = (f.i8s("input"), f.i8s("weight"), f.i8s("output"));
    let bias = f.has("bias").then(|| f.i32s("bias"));
    assert_eq!(bias.is_some(), f.meta("has_bias") == "true", "{}: has_bias", f.name);
    let (multiplier, shift) = (f.i32s("multiplier"), f.i32s("shift"));
    let (act_min, act_max) = f.act_range();
    let requant = Requant {
        input_zero_point: f.int("input_zero_point") as i32,
        output_zero_point: f.int("output_zero_point") as i32,
        act_min,
        act_max,
        multiplier: &multiplier,
        shift: &shift,
    };
    let bias = bias.as_deref();
    let mut tally = Tally { derivations, ..Tally::default() };
    let mut check = |path: &str, out: &[i8]| {
        tally.elements += compare(&f.name, path, out, &want);
        tally.runs += 1;
    };
    // The dispatching entry point, with exactly the workspace it asks for.
    let mut workspace = vec![0i8; workspace_len::<G>()];
    let mut out = vec![0x55i8; want.len()];
    conv::<G>(&input, &weight, bias, &requant, &mut out, &mut workspace);
    check("conv", &out);
    // The general path, whatever the geometry.
    let mut workspace = vec![0i8; im2col_workspace_len::<G>()];
    let mut out = vec![0x55i8; want.len()];
    conv_im2col::<G>(&input, &weight, bias, &requant, &mut out, &mut workspace);
    check("conv_im2col", &out);
    if pointwise::supports::<G>() {
        let mut out = vec![0x55i8; want.len()];
        conv_pointwise::<G>(&input, &weight, bias, &requant, &mut out);
        check("conv_pointwise", &out);
    }
    // The DSP targets' paths (here with their portable blocks).
    if pointwise_dsp::supports::<G>() {
        let mut out = vec![0x55i8; want.len()];
        let mut workspace = vec![0i8; pointwise_dsp::workspace_len::<G>()];
        pointwise_dsp::conv_pointwise_dsp::<G>(
            &input,
            &weight,
            bias,
            &requant,
            &mut out,
            &mut workspace,
        );
        check("conv_pointwise_dsp", &out);
    }
    if direct::supports::<G>() {
        let mut out = vec![0x55i8; want.len()];
        let mut workspace = vec![0i8; direct::workspace_len::<G>()];
        direct::conv_direct::<G>(&input, &weight, bias, &requant, &mut out, &mut workspace);
        check("conv_direct", &out);
    }
    if depthwise::supports::<G>() {
        let mut out = vec![0x55i8; want.len()];
        let mut workspace = vec![0i8; depthwise::workspace_len::<G>()];
        conv_depthwise::<G>(&input, &weight, bias, &requant, &mut out, &mut workspace);
        check("conv_depthwise", &out);
        // Without the workspace: the row-by-row loop.
        let mut out = vec![0x55i8; want.len()];
        conv_depthwise::<G>(&input, &weight, bias, &requant, &mut out, &mut []);
        check("conv_depthwise (row by row)", &out);
    }
    tally
}

// ---- pooling ---------------------------------------------------------------------------------

macro_rules! pool_geometries {
    ($($ty:ident = $file:literal: $c:literal, in [$ih:literal, $iw:literal],
       out [$oh:literal, $ow:literal], kernel [$kh:literal, $kw:literal],
       stride [$sh:literal, $sw:literal], pad [$pt:literal, $pl:literal];)*) => {
        $(
            struct $ty;
            impl PoolGeometry for $ty {
                const C: usize = $c;
                const IN: [usize; 3] = [1, $ih, $iw];
                const OUT: [usize; 3] = [1, $oh, $ow];
                const KERNEL: [usize; 3] = [1, $kh, $kw];
                const STRIDE: [usize; 3] = [1, $sh, $sw];
                const DILATION: [usize; 3] = [1, 1, 1];
                const PAD: [usize; 3] = [0, $pt, $pl];
            }
        )*
        /// The runner of pooling fixture `name`.
        fn pool_case(name: &str) -> Option<fn(&Fixture) -> Tally> {
            match name {
                $($file => Some(run_pool::<$ty>),)*
                _ => None,
            }
        }
    };
}

pool_geometries! {
    Avgpool1x2Ties = "avgpool_1x2_ties": 6, in [5, 8], out [5, 4], kernel [1, 2], stride [1, 2], pad [0, 0];
    Avgpool2x2ReluClamp = "avgpool_2x2_relu_clamp": 3, in [6, 4], out [3, 2], kernel [2, 2], stride [2, 2], pad [0, 0];
    Avgpool2x2S2 = "avgpool_2x2_s2": 5, in [8, 6], out [4, 3], kernel [2, 2], stride [2, 2], pad [0, 0];
    Avgpool3x3S1P1 = "avgpool_3x3_s1_p1": 3, in [7, 5], out [7, 5], kernel [3, 3], stride [1, 1], pad [1, 1];
    Avgpool3x3S2Ceil = "avgpool_3x3_s2_ceil": 4, in [8, 9], out [4, 4], kernel [3, 3], stride [2, 2], pad [0, 0];
    AvgpoolGlobal25x5 = "avgpool_global_25x5": 64, in [25, 5], out [1, 1], kernel [25, 5], stride [25, 5], pad [0, 0];
    Maxpool2x2ReluClamp = "maxpool_2x2_relu_clamp": 4, in [6, 6], out [3, 3], kernel [2, 2], stride [2, 2], pad [0, 0];
    Maxpool2x2S2 = "maxpool_2x2_s2": 5, in [8, 10], out [4, 5], kernel [2, 2], stride [2, 2], pad [0, 0];
    Maxpool2x2S2Odd = "maxpool_2x2_s2_odd": 3, in [9, 7], out [4, 3], kernel [2, 2], stride [2, 2], pad [0, 0];
    Maxpool3x3S2Ceil = "maxpool_3x3_s2_ceil": 3, in [10, 10], out [5, 5], kernel [3, 3], stride [2, 2], pad [0, 0];
    Maxpool3x3S2P1 = "maxpool_3x3_s2_p1": 4, in [9, 11], out [5, 6], kernel [3, 3], stride [2, 2], pad [1, 1];
}

fn run_pool<G: PoolGeometry>(f: &Fixture) -> Tally {
    let n = &f.name;
    let m = |k: &str| f.int(k) as usize;
    assert_eq!(G::C, m("channels"), "{n}");
    assert_eq!(G::KERNEL, [1, m("kernel_h"), m("kernel_w")], "{n}: kernel");
    assert_eq!(G::STRIDE, [1, m("stride_h"), m("stride_w")], "{n}: stride");
    assert_eq!(G::PAD, [0, m("pad_top"), m("pad_left")], "{n}: padding");
    assert_eq!(G::OUT, [1, m("out_h"), m("out_w")], "{n}: output size");
    assert_eq!(f.shape("input"), [G::C, G::IN[1], G::IN[2]], "{n}: input shape");
    let out_len = |len: usize, before: usize, after: usize, k: usize, s: usize| {
        (len + before + after - k) / s + 1
    };
    let oh = out_len(G::IN[1], m("pad_top"), m("pad_bottom"), G::KERNEL[1], G::STRIDE[1]);
    let ow = out_len(G::IN[2], m("pad_left"), m("pad_right"), G::KERNEL[2], G::STRIDE[2]);
    assert_eq!([oh, ow], [G::OUT[1], G::OUT[2]], "{n}: output size from the four pads");
    assert_eq!(f.f32s("input_scale"), f.f32s("output_scale"), "{n}: pooling keeps the scale");
    assert_eq!(f.int("input_zero_point"), f.int("output_zero_point"), "{n}");
    f.check_act_range("output_zero_point");
    let (input, want) = (f.i8s("input"), f.i8s("output"));
    let (lo, hi) = f.act_range();
    let mut out = vec![0x55i8; want.len()];
    let path = f.meta("op");
    match path {
        "max_pool2d" => max_pool::<G>(&input, &mut out, lo, hi),
        "avg_pool2d" => {
            assert_eq!(f.meta("count_include_pad"), "false", "{n}");
            avg_pool::<G>(&input, &mut out, lo, hi);
        }
        other => panic!("{n}: {other} is not a pooling"),
    }
    Tally { elements: compare(n, path, &out, &want), runs: 1, derivations: 1 }
}

// ---- linear, add, mul --------------------------------------------------------------------------

fn run_linear(f: &Fixture) -> Tally {
    let n = &f.name;
    let (n_in, n_out) = (f.int("in_features") as usize, f.int("out_features") as usize);
    assert_eq!(f.shape("weight"), [n_out, n_in], "{n}");
    let derivations = check_multipliers(f) + 1;
    f.check_act_range("output_zero_point");
    let (multiplier, shift) = (f.i32s("multiplier"), f.i32s("shift"));
    let per_tensor = f.meta("quantization") == "per_tensor";
    assert_eq!(multiplier.len(), if per_tensor { 1 } else { n_out }, "{n}");
    let (act_min, act_max) = f.act_range();
    let requant = Requant {
        input_zero_point: f.int("input_zero_point") as i32,
        output_zero_point: f.int("output_zero_point") as i32,
        act_min,
        act_max,
        multiplier: &multiplier,
        shift: &shift,
    };
    let bias = f.has("bias").then(|| f.i32s("bias"));
    assert_eq!(bias.is_some(), f.meta("has_bias") == "true", "{n}: has_bias");
    let (input, weight, want) = (f.i8s("input"), f.i8s("weight"), f.i8s("output"));
    let mut out = vec![0x55i8; n_out];
    linear(n_in, n_out, &input, &weight, bias.as_deref(), &requant, &mut out);
    Tally { elements: compare(n, "linear", &out, &want), runs: 1, derivations }
}

/// `(scale, zero point)` of input 1, input 2 and the output of an add or mul fixture.
fn binary_quantization(f: &Fixture) -> [(f32, i32); 3] {
    let q = |s: &str, z: &str| (f.f32_scalar(s), f.int(z) as i32);
    [
        q("input1_scale", "input1_zero_point"),
        q("input2_scale", "input2_zero_point"),
        q("output_scale", "output_zero_point"),
    ]
}

fn shape3(f: &Fixture, key: &str) -> [usize; 3] {
    f.shape(key).try_into().unwrap_or_else(|s| panic!("{}: `{key}` is {s:?}", f.name))
}

fn run_add(f: &Fixture) -> Tally {
    let n = &f.name;
    let [q1, q2, qo] = binary_quantization(f);
    let params = AddParams::from_scales(q1, q2, qo, f.activation()).expect("valid scales");
    assert_eq!(i64::from(params.left_shift), f.int("left_shift"), "{n}: left shift");
    let (m, s, eff) = (f.i32s("multiplier"), f.i32s("shift"), f.f64s("effective_scale"));
    assert_eq!(
        [params.input1, params.input2, params.output],
        [(m[0], s[0]), (m[1], s[1]), (m[2], s[2])],
        "{n}"
    );
    for (e, q) in eff.iter().zip([params.input1, params.input2, params.output]) {
        assert_eq!(quantize_multiplier(*e), Some(q), "{n}: stored effective scale {e}");
    }
    assert_eq!((params.act_min, params.act_max), f.act_range(), "{n}: activation range");
    let (a, b, want) = (f.i8s("input1"), f.i8s("input2"), f.i8s("output"));
    let (sa, sb) = (shape3(f, "input1"), shape3(f, "input2"));
    assert_eq!(broadcast_shape(sa, sb).map(Vec::from), Some(f.shape("output")), "{n}");
    let mut out = vec![0x55i8; want.len()];
    add(&a, sa, &b, sb, &params, &mut out);
    Tally { elements: compare(n, "add", &out, &want), runs: 1, derivations: 4 }
}

fn run_mul(f: &Fixture) -> Tally {
    let n = &f.name;
    let [q1, q2, qo] = binary_quantization(f);
    let params = MulParams::from_scales(q1, q2, qo, f.activation()).expect("valid scales");
    assert_eq!(params.output, (f.i32s("multiplier")[0], f.i32s("shift")[0]), "{n}");
    assert_eq!(quantize_multiplier(f.f64s("effective_scale")[0]), Some(params.output), "{n}");
    assert_eq!((params.act_min, params.act_max), f.act_range(), "{n}: activation range");
    let (a, b, want) = (f.i8s("input1"), f.i8s("input2"), f.i8s("output"));
    let (sa, sb) = (shape3(f, "input1"), shape3(f, "input2"));
    assert_eq!(broadcast_shape(sa, sb).map(Vec::from), Some(f.shape("output")), "{n}");
    let mut out = vec![0x55i8; want.len()];
    mul(&a, sa, &b, sb, &params, &mut out);
    Tally { elements: compare(n, "mul", &out, &want), runs: 1, derivations: 2 }
}

// ---- primitives --------------------------------------------------------------------------------

fn run_requantize(f: &Fixture) -> Tally {
    let (value, multiplier, shift) = (f.i32s("value"), f.i32s("multiplier"), f.i32s("shift"));
    let (want, high) = (f.i32s("output"), f.i32s("high_mult"));
    assert_eq!(value.len() as i64, f.int("count"));
    let mut bad = Vec::new();
    for i in 0..value.len() {
        let (v, m, s) = (value[i], multiplier[i], shift[i]);
        let h = doubling_high_mul(v.wrapping_shl(s.max(0) as u32), m);
        let got = requantize(v, m, s);
        if got != want[i] || h != high[i] {
            bad.push(format!(
                "row {i}: requantize({v}, {m}, {s}) = {got} (high {h}), CMSIS-NN {} (high {})",
                want[i], high[i]
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {} rows differ: {:?}",
        bad.len(),
        value.len(),
        &bad[..bad.len().min(8)]
    );
    // Every group of the table is present (the README lists seven).
    let groups: std::collections::BTreeSet<i32> = f.i32s("group").into_iter().collect();
    assert_eq!(groups.len(), 7, "requantize groups");
    Tally { elements: value.len(), runs: 1, derivations: 0 }
}

fn run_quantize_multiplier(f: &Fixture) -> Tally {
    let (real, m, s) = (f.f64s("real"), f.i32s("multiplier"), f.i32s("shift"));
    assert_eq!(real.len() as i64, f.int("count"));
    for i in 0..real.len() {
        let want = (m[i], s[i]);
        let got = quantize_multiplier(real[i]);
        if real[i] == 0.0 {
            // TFLite returns (0, 0) for zero; staticnn refuses a zero multiplier (a zero scale
            // is an error in a weights file).
            assert_eq!((got, want), (None, (0, 0)), "real 0");
        } else {
            assert_eq!(got, Some(want), "quantize_multiplier({:e}) (row {i})", real[i]);
        }
    }
    let (si, sw, so) = (f.f32s("input_scale"), f.f32s("weight_scale"), f.f32s("output_scale"));
    let (eff, sm, ss) =
        (f.f64s("scales_effective_scale"), f.i32s("scales_multiplier"), f.i32s("scales_shift"));
    assert_eq!(si.len() as i64, f.int("scales_count"));
    for i in 0..si.len() {
        let real = (f64::from(si[i]) * f64::from(sw[i])) / f64::from(so[i]);
        assert_eq!(real.to_bits(), eff[i].to_bits(), "scales row {i}");
        assert_eq!(conv_multiplier(si[i], sw[i], so[i]), Some((sm[i], ss[i])), "scales row {i}");
    }
    Tally { elements: real.len() + si.len(), runs: 1, derivations: real.len() + si.len() }
}

/// The runner of a fixture, by its name and operator.
fn runner(f: &Fixture) -> Option<fn(&Fixture) -> Tally> {
    match f.meta("op") {
        "conv2d" | "depthwise_conv2d" => conv_case(&f.name),
        "max_pool2d" | "avg_pool2d" => pool_case(&f.name),
        "linear" => Some(run_linear),
        "add" => Some(run_add),
        "mul" => Some(run_mul),
        "requantize" => Some(run_requantize),
        "quantize_multiplier" => Some(run_quantize_multiplier),
        _ => None,
    }
}

#[test]
fn every_cmsis_nn_fixture_matches_bit_for_bit() {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(FIXTURES)
        .unwrap_or_else(|e| panic!("{FIXTURES}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no fixtures in {FIXTURES}");
    let mut unhandled = Vec::new();
    let mut totals = Tally::default();
    let mut per_op: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for path in &paths {
        let f = Fixture::load(path);
        assert_eq!(f.meta("case"), f.name, "case name");
        let Some(run) = runner(&f) else {
            unhandled.push(f.name.clone());
            continue;
        };
        // Every case at every instruction-set level this build can run here (all of them
        // with the `std` feature on x86-64: `cargo test -p staticnn-core --features std`).
        let mut t = Tally::default();
        for level in isa::available() {
            let at_level = isa::with_level(level, || run(&f)).expect("an available level");
            t.elements += at_level.elements;
            t.runs += at_level.runs;
            t.derivations += at_level.derivations;
        }
        assert!(t.elements > 0, "{}: nothing compared", f.name);
        let e = per_op.entry(f.meta("op").to_owned()).or_default();
        e.0 += 1;
        e.1 += t.elements;
        totals.elements += t.elements;
        totals.runs += t.runs;
        totals.derivations += t.derivations;
    }
    assert!(unhandled.is_empty(), "fixtures no case handles: {unhandled:?}");
    for (op, (files, elements)) in &per_op {
        println!("{op:>20}: {files:2} fixtures, {elements:6} elements compared");
    }
    println!("levels: {:?}", isa::available().collect::<Vec<_>>());
    println!(
        "{} fixtures, {} kernel runs, {} elements compared bit for bit, {} multipliers/clamps re-derived",
        paths.len(),
        totals.runs,
        totals.elements,
        totals.derivations
    );
}
