//! Networks and inputs too large for a thread's stack, run end to end through the heap
//! constructors (`boxed_zeroed`, `boxed_seeded`, `Tensor::boxed_from_fn`, `forward_boxed`) on
//! a thread with 256 KiB of stack, and checked against PyTorch:
//!
//! - d2l.ai's AlexNet on 1 x 224 x 224 (46.8 M parameters, 187 MB of weights, 937 M MACs);
//! - the transposed-convolution tutorial's `Conv2d(3, 1, 3)` on a 3 x 512 x 512 image;
//! - `ConvTranspose2d(3, 1, 3, stride=2)` on the same image, output 1 x 1025 x 1025 (4 MB).
//!
//! Before the heap constructors, `AlexNet::seeded(0)` and `Tensor::from_fn` of the image
//! aborted with a stack overflow on such a thread (and `seeded` even on an 8 MiB main thread).
//!
//! The weights are not committed: every weight and input value is an integer hash of its
//! position (the recipe is in `tools/gen_big_fixtures.py`, which wrote the fixture), computed
//! here bit for bit as PyTorch's side computed it; the fixture keeps PyTorch's outputs (all 10
//! logits, a strided sample of the feature maps) and the recipe's salts and exponents.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use safetensors::{Dtype, SafeTensors};
use staticnn::network;
use staticnn::network::Network;
use staticnn::tensor::Tensor;

network! {
    /// d2l.ai's AlexNet for 1 x 224 x 224 Fashion-MNIST ("Deep Convolutional Neural Networks").
    pub struct AlexNet: [1, 224, 224] {
        Conv2d(1, 96, 11, 4, 1), ReLU(), MaxPool2d(3, 2),
        Conv2d(96, 256, 5, padding = 2), ReLU(), MaxPool2d(3, 2),
        Conv2d(256, 384, 3, padding = 1), ReLU(),
        Conv2d(384, 384, 3, padding = 1), ReLU(),
        Conv2d(384, 256, 3, padding = 1), ReLU(),
        MaxPool2d(3, 2),
        Flatten(),
        Linear(6400, 4096), ReLU(), Dropout(0.5),
        Linear(4096, 4096), ReLU(), Dropout(0.5),
        Linear(4096, 10),
    }

    /// The transposed-convolution tutorial's convolution on a 3 x 512 x 512 image.
    pub struct Conv512: [3, 512, 512] { Conv2d(3, 1, 3) }

    /// Its transposed convolution: 3 x 512 x 512 to 1 x 1025 x 1025.
    pub struct ConvTranspose512: [3, 512, 512] { ConvTranspose2d(3, 1, 3, stride = 2) }
}

/// The stack of the thread every test runs on.
const STACK_BYTES: usize = 256 * 1024;

/// The project's tolerance: `|got - want| <= TOLERANCE * (1 + |want|)`.
const TOLERANCE: f64 = 1e-5;

/// Runs `f` on a new thread with [`STACK_BYTES`] of stack and returns its result.
fn on_small_stack<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, f)
            .expect("spawn a thread with a 256 KiB stack")
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e))
    })
}

/// MurmurHash3's 32-bit finaliser (`fmix32` in `tools/gen_big_fixtures.py`).
fn fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85EB_CA6B);
    h ^= h >> 13;
    h = h.wrapping_mul(0xC2B2_AE35);
    h ^ (h >> 16)
}

/// The hash of element `j` of the tensor with salt `salt`.
fn hashed(salt: u32, j: usize) -> u32 {
    let j = u32::try_from(j).expect("indices below 2^27");
    fmix32(j.wrapping_add(salt << 27))
}

/// A parameter value: `((hash >> 21) - 1024) * 2^-(10 + exponent)`, exact in `f32`.
fn parameter(salt: u32, j: usize, exponent: i32) -> f32 {
    let k = (hashed(salt, j) >> 21) as i32 - 1024;
    k as f32 * 2f32.powi(-(10 + exponent))
}

/// An input value: `(hash >> 24) / 256`, exact in `f32`.
fn input(j: usize) -> f32 {
    (hashed(0, j) >> 24) as f32 / 256.0
}

/// What PyTorch computed for one network.
struct Expected {
    /// Flat output indices.
    index: Vec<usize>,
    /// PyTorch's float32 outputs at `index`.
    output: Vec<f32>,
    /// The same network in float64.
    output_f64: Vec<f64>,
    /// `state_dict` key to (salt, exponent).
    recipe: HashMap<String, (u32, i32)>,
    /// `str(model)`.
    repr: String,
}

fn le_bytes<const N: usize>(data: &[u8]) -> impl Iterator<Item = [u8; N]> + '_ {
    data.chunks_exact(N).map(|c| c.try_into().expect("chunks of N bytes"))
}

impl Expected {
    fn load(net: &str) -> Self {
        let path: PathBuf =
            [env!("CARGO_MANIFEST_DIR"), "tests", "fixtures", "big_nets.safetensors"]
                .iter()
                .collect();
        let bytes = std::fs::read(&path).expect("read tests/fixtures/big_nets.safetensors");
        let (_, header) = SafeTensors::read_metadata(&bytes).expect("a safetensors header");
        let metadata = header.metadata().clone().expect("metadata");
        let file = SafeTensors::deserialize(&bytes).expect("a safetensors file");
        let tensor = |suffix: &str, dtype: Dtype| {
            let view = file.tensor(&format!("{net}.{suffix}")).expect("tensor in fixture");
            assert_eq!(view.dtype(), dtype, "{net}.{suffix}");
            view.data().to_vec()
        };
        let recipe = metadata[&format!("{net}.params")]
            .split(',')
            .map(|entry| {
                let mut parts = entry.rsplitn(3, ':');
                let exponent = parts.next().and_then(|e| e.parse().ok()).expect("exponent");
                let salt = parts.next().and_then(|s| s.parse().ok()).expect("salt");
                (parts.next().expect("key").to_owned(), (salt, exponent))
            })
            .collect();
        Self {
            index: le_bytes(&tensor("index", Dtype::I64))
                .map(|b| usize::try_from(i64::from_le_bytes(b)).expect("index"))
                .collect(),
            output: le_bytes(&tensor("output", Dtype::F32)).map(f32::from_le_bytes).collect(),
            output_f64: le_bytes(&tensor("output_f64", Dtype::F64))
                .map(f64::from_le_bytes)
                .collect(),
            recipe,
            repr: metadata[&format!("{net}.repr")].clone(),
        }
    }

    /// Sets every parameter of `net` from the recipe, by `state_dict` key.
    fn fill<N: Network>(&self, net: &mut N) {
        let mut filled = 0;
        net.visit_parameters_mut(&mut |key, _dims, values| {
            let key = key.to_string();
            let &(salt, exponent) =
                self.recipe.get(&key).unwrap_or_else(|| panic!("{key} not in the fixture"));
            for (j, v) in values.iter_mut().enumerate() {
                *v = parameter(salt, j, exponent);
            }
            filled += 1;
        });
        assert_eq!(filled, self.recipe.len(), "every tensor of the fixture is filled");
    }

    /// Checks `output` (the whole flat output) at the fixture's indices against PyTorch's
    /// float32 and float64 results; returns the largest error against float32.
    fn check(&self, net: &str, output: &[f32]) -> f64 {
        assert!(!self.index.is_empty());
        let mut worst = 0f64;
        for (k, &i) in self.index.iter().enumerate() {
            let got = f64::from(output[i]);
            for (reference, want) in
                [("float32", f64::from(self.output[k])), ("float64", self.output_f64[k])]
            {
                let error = (got - want).abs() / (1.0 + want.abs());
                assert!(
                    error <= TOLERANCE,
                    "{net}: output[{i}] = {got}, PyTorch ({reference}) {want}: \
                     |got - want| / (1 + |want|) = {error:.3e} > {TOLERANCE:e}"
                );
                if reference == "float32" {
                    worst = worst.max(error);
                }
            }
        }
        worst
    }
}

#[test]
fn alexnet_on_a_256_kib_stack_matches_pytorch() {
    let expected = Expected::load("alexnet");
    assert_eq!(AlexNet::PARAMS, 46_764_746);
    assert_eq!(AlexNet::TORCH_REPR, expected.repr);
    let (output, from_forward, seconds) = on_small_stack(|| {
        // What overflowed the stack: now built in place on the heap.
        let seeded = AlexNet::boxed_seeded(0);
        assert!(seeded.layer17.weight.iter().any(|&w| w != 0.0));
        drop(seeded);
        let mut net = AlexNet::boxed_zeroed();
        expected.fill(&mut *net);
        let image = Tensor::boxed_from_fn(input);
        let start = Instant::now();
        let output = net.forward_boxed(&image);
        let seconds = start.elapsed().as_secs_f64();
        // `forward` takes its 437 KiB scratch buffer from the heap too (the output is small).
        let from_forward = net.forward(&image);
        (output, from_forward, seconds)
    });
    assert_eq!(*output, from_forward);
    let worst = expected.check("alexnet", output.as_slice());
    eprintln!("AlexNet forward: {seconds:.3} s; largest |got - want| / (1 + |want|) {worst:.2e}");
}

#[test]
fn conv_on_a_3x512x512_image_matches_pytorch() {
    let expected = Expected::load("conv");
    assert_eq!(Conv512::TORCH_REPR, expected.repr);
    let output = on_small_stack(|| {
        let mut net = Conv512::boxed_zeroed();
        expected.fill(&mut *net);
        net.forward_boxed(&Tensor::boxed_from_fn(input))
    });
    assert_eq!(output.dims(), &[1, 510, 510]);
    expected.check("conv", output.as_slice());
}

#[test]
fn conv_transpose_to_1x1025x1025_matches_pytorch() {
    let expected = Expected::load("conv_transpose");
    assert_eq!(ConvTranspose512::TORCH_REPR, expected.repr);
    let output = on_small_stack(|| {
        let mut net = ConvTranspose512::boxed_zeroed();
        expected.fill(&mut *net);
        net.forward_boxed(&Tensor::boxed_from_fn(input))
    });
    assert_eq!(output.dims(), &[1, 1025, 1025]);
    expected.check("conv_transpose", output.as_slice());
}
