//! Accuracy fixtures (`accuracy_*` in `tools/gen_fixtures.py`): long reductions checked
//! against PyTorch's float64 result. staticnn's largest error must be at most twice PyTorch's
//! float32 one ([`RATIO`]).
//!
//! Such a fixture stores PyTorch's float32 `output` and the float64 model's `reference`
//! (float64), flattened, at the positions of `index` (int64; every position without it). Large
//! inputs and parameters are not stored: they are drawn from a lattice (`lattice:C:E:K`, the
//! values `C + j * 2^E` for `j` in `-K..=K`, chosen by splitmix64 from a seed), regenerated
//! here and checked against the CRC-32 the fixture records.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Display;

use staticnn::network::Network;
use staticnn::tensor::Tensor;

use super::{Fixture, FixtureTensor, bit_identical, check_static};

/// staticnn's error against float64 may be at most this many times PyTorch's float32 error.
pub const RATIO: f64 = 2.0;

/// Stack of the thread that runs a case: the networks hold up to 100,000-element weight rows
/// and 1.6 M-element inputs by value.
const STACK_BYTES: usize = 512 << 20;

/// The little-endian `f64`s of a tensor's bytes.
pub fn f64_values(bytes: &[u8]) -> Vec<f64> {
    bytes.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().unwrap_or([0; 8]))).collect()
}

/// The little-endian `i64`s of a tensor's bytes, as positions.
pub fn index_values(bytes: &[u8]) -> Vec<usize> {
    bytes
        .chunks_exact(8)
        .map(|b| {
            let i = i64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
            usize::try_from(i).unwrap_or_else(|_| panic!("negative index {i}"))
        })
        .collect()
}

/// CRC-32 (IEEE, as Python's `zlib.crc32`).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// CRC-32 of the little-endian bytes of `values`.
fn crc32_of(values: &[f32]) -> u32 {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    crc32(&bytes)
}

/// `count` values of a `lattice:C:E:K` spec from `seed`: `C + (z % (2K + 1) - K) * 2^E`, `z`
/// the splitmix64 output of the state `seed + i * 0x9E3779B97F4A7C15` for `i = 1, 2, ...`
/// (what `lattice` in `tools/gen_fixtures.py` computes).
pub fn lattice(spec: &str, seed: u64, count: usize) -> Vec<f32> {
    let parts: Vec<&str> = spec.split(':').collect();
    let ["lattice", center, exponent, half] = parts[..] else {
        panic!("`{spec}` is not a `lattice:C:E:K` spec")
    };
    let center: f64 = center.parse().unwrap_or_else(|e| panic!("{spec}: center: {e}"));
    let exponent: i32 = exponent.parse().unwrap_or_else(|e| panic!("{spec}: exponent: {e}"));
    let half: u64 = half.parse().unwrap_or_else(|e| panic!("{spec}: K: {e}"));
    let step = 2f64.powi(exponent);
    (1..=count as u64)
        .map(|i| {
            let mut z = seed.wrapping_add(i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            let j = (z % (2 * half + 1)) as i64 - half as i64;
            let value = center + j as f64 * step;
            let single = value as f32;
            assert_eq!(f64::from(single), value, "{spec}: {value} is not a float32");
            single
        })
        .collect()
}

/// The input of a fixture that does not store it: a lattice (`input_kind`) drawn from the
/// case's `seed`, checked against `input_crc32`. `None` if the fixture has no such input.
pub fn generated_input(case: &str, metadata: &HashMap<String, String>) -> Option<FixtureTensor> {
    let crc = metadata.get("input_crc32")?;
    let meta = |key: &str| {
        metadata.get(key).unwrap_or_else(|| panic!("{case}: no `{key}` in the metadata"))
    };
    let shape: Vec<usize> = meta("input_shape")
        .trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .map(|d| d.trim().parse().unwrap_or_else(|e| panic!("{case}: input_shape: {e}")))
        .collect();
    let seed: u64 = meta("seed").parse().unwrap_or_else(|e| panic!("{case}: seed: {e}"));
    let values = lattice(meta("input_kind"), seed, shape.iter().product());
    assert_eq!(
        crc32_of(&values).to_string(),
        *crc,
        "{case}: the regenerated input differs from PyTorch's (CRC-32)"
    );
    Some(FixtureTensor { shape, values })
}

/// Adds the parameters listed in the metadata's `generated_params` (`key|dims|spec|crc`, `;`
/// between tensors), each drawn from the seed `crc32("<case>/<key>")` and checked.
pub fn add_generated_params(
    case: &str,
    metadata: &HashMap<String, String>,
    params: &mut BTreeMap<String, FixtureTensor>,
) {
    let Some(list) = metadata.get("generated_params") else { return };
    for entry in list.split(';').filter(|e| !e.is_empty()) {
        let fields: Vec<&str> = entry.split('|').collect();
        let [key, dims, spec, crc] = fields[..] else {
            panic!("{case}: generated_params entry `{entry}` is not key|dims|spec|crc")
        };
        let shape: Vec<usize> = dims
            .split(',')
            .map(|d| d.parse().unwrap_or_else(|e| panic!("{case}: {key} dims: {e}")))
            .collect();
        let seed = u64::from(crc32(format!("{case}/{key}").as_bytes()));
        let values = lattice(spec, seed, shape.iter().product());
        assert_eq!(crc32_of(&values).to_string(), crc, "{case}: regenerated `{key}` differs");
        params.insert(key.to_owned(), FixtureTensor { shape, values });
    }
}

/// The metadata's `output_shape` (a JSON list of integers).
fn output_shape(fixture: &Fixture) -> Vec<usize> {
    let text = fixture.metadata.get("output_shape").map_or("[]", String::as_str);
    text.trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .filter(|d| !d.trim().is_empty())
        .map(|d| d.trim().parse().unwrap_or_else(|e| panic!("output_shape {text}: {e}")))
        .collect()
}

/// Largest `|got[i] - reference[i]|` over the checked positions (`got` indexed by `index`).
fn max_error(got: &[f32], index: Option<&[usize]>, reference: &[f64]) -> f64 {
    let value = |k: usize| -> f64 {
        let at = index.map_or(k, |index| index[k]);
        got.get(at).map_or(f64::NAN, |&v| f64::from(v))
    };
    (0..reference.len())
        .map(|k| (value(k) - reference[k]).abs())
        .fold(0.0, |m, e| if e.is_nan() || e > m { e } else { m })
}

/// Runs every check of an accuracy case, on a thread with a large stack: shapes, `MACS`,
/// parameters and `Display` as for a conformance case, `forward_into` against `forward` bit
/// for bit, and the largest error of `forward` against PyTorch's float64 result, which must be
/// at most [`RATIO`] times that of PyTorch's float32 output. Prints both errors.
pub fn check_accuracy<N>(case: &str)
where
    N: Network + Default + Display,
{
    std::thread::scope(|scope| {
        let run = std::thread::Builder::new()
            .name(case.to_owned())
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, || run_accuracy::<N>(case))
            .unwrap_or_else(|e| panic!("{case}: cannot start a thread: {e}"));
        if let Err(panic) = run.join() {
            std::panic::resume_unwind(panic);
        }
    });
}

fn run_accuracy<N>(case: &str)
where
    N: Network + Default + Display,
{
    let mut fixture = Fixture::load(case);
    // `output` holds the checked positions, flattened; the shape checks take the metadata's.
    let shape = output_shape(&fixture);
    let stored_shape = std::mem::replace(&mut fixture.output.shape, shape);
    let mut failures = Vec::new();
    let net = check_static::<N>(&fixture, &mut failures);
    fixture.output.shape = stored_shape;
    let reference = fixture
        .reference
        .as_deref()
        .unwrap_or_else(|| panic!("{case}: not an accuracy fixture (no `reference`)"));
    let index = fixture.index.as_deref();
    let want = &fixture.output.values;
    if want.len() != reference.len() || index.is_some_and(|i| i.len() != reference.len()) {
        failures.push(format!(
            "output, reference and index hold {}, {} and {:?} values",
            want.len(),
            reference.len(),
            index.map(<[usize]>::len)
        ));
    }
    let x = Tensor::<N::Input>::try_from_slice(&fixture.input.values)
        .unwrap_or_else(|e| panic!("{case}: input: {e}"));
    // Every instruction-set level the build can run here (portable, AVX2, AVX-512).
    super::at_every_level(|level| {
        let y = net.forward(&x);
        let ours = max_error(y.as_slice(), index, reference);
        let torch = max_error(want, None, reference);

        let mut scratch = N::new_scratch();
        let mut out = Tensor::<N::Output>::from_fn(|_| f32::NAN);
        net.forward_into(&x, &mut out, &mut scratch);
        if let Err(detail) = bit_identical(out.as_slice(), y.as_slice(), N::OUTPUT_SHAPE) {
            failures.push(format!("{level}forward_into differs from forward: {detail}"));
        }
        println!(
            "{case:40} {level}max |err| vs float64: staticnn {ours:.3e}, PyTorch float32 \
             {torch:.3e} (ratio {:.2}, {} positions)",
            ours / torch,
            reference.len()
        );
        // A NaN error fails too.
        if ours.is_nan() || ours > RATIO * torch {
            failures.push(format!(
                "{level}largest error against float64 is {ours:e}, more than {RATIO} x PyTorch \
                 float32's {torch:e}"
            ));
        }
    });
    assert!(failures.is_empty(), "accuracy case `{case}`:\n  - {}", failures.join("\n  - "));
}
