//! 1. Puts the memory map of the target being built where the linker finds it as `memory.x`
//!    (the firmware's own maps, `../memory-*.x`).
//! 2. Generates `cases.rs` from `tests/fixtures/int8`: for every fixture file, its bytes
//!    (`include_bytes!`) and, for a convolution or pooling, a geometry type whose constants
//!    come from the file's metadata, so that every fixture in the directory runs on the
//!    target and none is forgotten. The firmware checks the rest of each file at run time.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

use staticnn_core::safetensors::{Dtype, SafeTensors};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let map = match arch.as_str() {
        "arm" => "../memory-cortex-m.x",
        "riscv32" => "../memory-riscv.x",
        other => panic!("staticnn-firmware-int8 is built for Cortex-M or riscv32, not {other:?}"),
    };
    fs::copy(map, out.join("memory.x")).expect("copy the memory map to OUT_DIR");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={map}");
    println!("cargo:rerun-if-changed=build.rs");

    let dir = Path::new("../../../tests/fixtures/int8").canonicalize().expect("tests/fixtures/int8");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .expect("read tests/fixtures/int8")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    fs::write(out.join("cases.rs"), generate(&files)).expect("write cases.rs");
}

/// Largest tensors of each role, for the firmware's static buffers.
#[derive(Default)]
struct Sizes {
    input: usize,
    weight: usize,
    output: usize,
    channels: usize,
}

fn generate(files: &[PathBuf]) -> String {
    let mut types = String::new();
    let mut cases = String::new();
    let mut workspaces = Vec::new();
    let mut sizes = Sizes::default();
    for (i, path) in files.iter().enumerate() {
        println!("cargo:rerun-if-changed={}", path.display());
        let bytes = fs::read(path).expect("read a fixture");
        let st = SafeTensors::parse(&bytes).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
        let meta: Vec<(String, String)> = st
            .metadata()
            .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.as_str()?.to_owned())))
            .collect();
        let get = |key: &str| -> &str {
            meta.iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
                .unwrap_or_else(|| panic!("{}: no metadata `{key}`", path.display()))
        };
        let int = |key: &str| -> usize { get(key).parse().expect("an integer") };
        let shape = |key: &str| -> Vec<usize> {
            st.tensor(key)
                .unwrap_or_else(|| panic!("{}: no tensor `{key}`", path.display()))
                .shape()
                .dims()
                .map(|d| d as usize)
                .collect()
        };
        for t in st.tensors() {
            let n: usize = t.shape().dims().map(|d| d as usize).product();
            let name = t.name().as_str().unwrap_or_default();
            match (name, t.dtype()) {
                ("input" | "input1" | "input2", Dtype::I8) => sizes.input = sizes.input.max(n),
                ("weight", Dtype::I8) => sizes.weight = sizes.weight.max(n),
                ("output", Dtype::I8) => sizes.output = sizes.output.max(n),
                ("bias" | "multiplier" | "shift", Dtype::I32) if get("op") != "requantize" => {
                    sizes.channels = sizes.channels.max(n);
                }
                _ => {}
            }
        }
        let name = get("case");
        let run = match get("op") {
            "conv2d" | "depthwise_conv2d" => {
                let (input, output) = (shape("input"), shape("output"));
                let ty = format!("Conv{i}");
                let _ = writeln!(
                    types,
                    "/// `{name}`.\npub struct {ty};\nimpl ConvGeometry for {ty} {{\n    \
                     const C_IN: usize = {};\n    const C_OUT: usize = {};\n    \
                     const GROUPS: usize = {};\n    const IN: [usize; 3] = [1, {}, {}];\n    \
                     const OUT: [usize; 3] = [1, {}, {}];\n    \
                     const KERNEL: [usize; 3] = [1, {}, {}];\n    \
                     const STRIDE: [usize; 3] = [1, {}, {}];\n    \
                     const DILATION: [usize; 3] = [1, {}, {}];\n    \
                     const PAD: [usize; 3] = [0, {}, {}];\n    \
                     const PADDING_MODE: PaddingMode = PaddingMode::Zeros;\n}}",
                    int("in_channels"),
                    int("out_channels"),
                    int("groups"),
                    input[1],
                    input[2],
                    output[1],
                    output[2],
                    int("kernel_h"),
                    int("kernel_w"),
                    int("stride_h"),
                    int("stride_w"),
                    int("dilation_h"),
                    int("dilation_w"),
                    int("pad_top"),
                    int("pad_left"),
                );
                workspaces.push(format!("conv_workspace::<{ty}>()"));
                format!("Run::Conv(run_conv::<{ty}>)")
            }
            "max_pool2d" | "avg_pool2d" => {
                let input = shape("input");
                let ty = format!("Pool{i}");
                let _ = writeln!(
                    types,
                    "/// `{name}`.\npub struct {ty};\nimpl PoolGeometry for {ty} {{\n    \
                     const C: usize = {};\n    const IN: [usize; 3] = [1, {}, {}];\n    \
                     const OUT: [usize; 3] = [1, {}, {}];\n    \
                     const KERNEL: [usize; 3] = [1, {}, {}];\n    \
                     const STRIDE: [usize; 3] = [1, {}, {}];\n    \
                     const DILATION: [usize; 3] = [1, 1, 1];\n    \
                     const PAD: [usize; 3] = [0, {}, {}];\n}}",
                    int("channels"),
                    input[1],
                    input[2],
                    int("out_h"),
                    int("out_w"),
                    int("kernel_h"),
                    int("kernel_w"),
                    int("stride_h"),
                    int("stride_w"),
                    int("pad_top"),
                    int("pad_left"),
                );
                format!("Run::Pool(run_pool::<{ty}>)")
            }
            "linear" => "Run::Linear".to_owned(),
            "add" => "Run::Add".to_owned(),
            "mul" => "Run::Mul".to_owned(),
            "requantize" => "Run::Requantize".to_owned(),
            "quantize_multiplier" => "Run::QuantizeMultiplier".to_owned(),
            other => panic!("{}: unknown op {other}", path.display()),
        };
        let _ = writeln!(
            cases,
            "    Case {{ name: {name:?}, bytes: include_bytes!({:?}), run: {run} }},",
            path.display().to_string()
        );
    }
    let mut s = String::from(
        "// @generated by build.rs from tests/fixtures/int8: one case per fixture file.\n\n",
    );
    s += &types;
    let _ = writeln!(s, "\n/// Every fixture, in file name order.\npub static CASES: [Case; {}] = [", files.len());
    s += &cases;
    s += "];\n\n/// The largest workspace any convolution path of any case asks for.\n";
    let _ = writeln!(s, "pub const WORKSPACE: usize = largest(&[{}]);", workspaces.join(", "));
    let _ = writeln!(
        s,
        "/// The largest input, weight, output and per-channel tensors of the cases.\n\
         pub const MAX_INPUT: usize = {};\npub const MAX_WEIGHT: usize = {};\n\
         pub const MAX_OUTPUT: usize = {};\npub const MAX_CHANNELS: usize = {};",
        sizes.input, sizes.weight, sizes.output, sizes.channels
    );
    s
}
