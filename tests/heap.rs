//! The heap constructors give exactly what the stack ones give, for every kind of layer, and
//! `forward_batch` split across cores gives exactly the sequential loop's outputs.
//!
//! `forbid(unsafe_code)`: the code `network!` generates (whose `boxed_zeroed` writes fields
//! through a pointer) must compile in crates that forbid `unsafe`.
#![forbid(unsafe_code)]

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::thread::ThreadId;

use staticnn::layer::Layer;
use staticnn::network;
use staticnn::network::Network;
use staticnn::shape::Shape;
use staticnn::tensor::Tensor;

/// A layer of the user's own whose all-zero bytes are not a valid value (a reference): the
/// heap constructor must write it whole, from `new`.
pub struct Scaled {
    factor: f32,
    label: &'static str,
}

impl Scaled {
    /// `Scaled(factor)` in `network!`.
    pub fn new(factor: f64) -> Self {
        Self { factor: factor as f32, label: "scaled" }
    }
}

impl<S: Shape> Layer<S> for Scaled {
    type Output = S;

    fn forward(&self, input: &Tensor<S>, output: &mut Tensor<S>) {
        for (y, x) in output.as_mut_slice().iter_mut().zip(input.as_slice()) {
            *y = x * self.factor;
        }
    }
}

/// A layer that is not `Sync` (it counts its calls in a `Cell`): a network holding it runs
/// its batches one sample after the other.
#[derive(Default)]
pub struct Counted {
    calls: Cell<usize>,
}

impl<S: Shape> Layer<S> for Counted {
    type Output = S;

    fn forward(&self, input: &Tensor<S>, output: &mut Tensor<S>) {
        self.calls.set(self.calls.get() + 1);
        output.as_mut_slice().copy_from_slice(input.as_slice());
    }
}

/// Records the threads it runs on.
#[derive(Default)]
pub struct Threads {
    seen: Mutex<Vec<ThreadId>>,
}

impl<S: Shape> Layer<S> for Threads {
    type Output = S;

    fn forward(&self, input: &Tensor<S>, output: &mut Tensor<S>) {
        self.seen.lock().expect("not poisoned").push(std::thread::current().id());
        output.as_mut_slice().copy_from_slice(input.as_slice());
    }
}

network! {
    /// Every layer whose initial value is not all zeros, and the large-parameter ones.
    pub struct EveryKind: [3, 8, 8] {
        Conv2d(3, 6, 3, padding = 1),
        BatchNorm2d(6, eps = 0.001),
        LeakyReLU(0.2),
        InstanceNorm2d(6, eps = 0.0001, affine = True, track_running_stats = True),
        ELU(0.5),
        Upsample(scale_factor = 2, mode = "bilinear"),
        Hardtanh(-2.0, 2.0),
        MaxPool2d(2),
        LayerNorm((6, 8, 8), eps = 0.01),
        Softplus(2.0, 10.0),
        Dropout(0.3),
        Scaled(2.5),
        GELU(approximate = "tanh"),
        Flatten(),
        Linear(384, 10),
        Softmax(dim = 1),
    }

    /// LeNet-5, for batches.
    pub struct LeNet: [1, 32, 32] {
        Conv2d(1, 6, 5), ReLU(), MaxPool2d(2),
        Conv2d(6, 16, 5), ReLU(), MaxPool2d(2),
        Flatten(),
        Linear(400, 120), ReLU(),
        Linear(120, 84), ReLU(),
        Linear(84, 10),
    }

    /// Not `Sync`.
    pub struct NotSync: [4] { Linear(4, 3), Counted() }

    /// `Sync`, and records where it runs.
    pub struct Traced: [4] { Linear(4, 3), Threads() }
}

/// Every `state_dict` tensor, by key.
fn state_dict<N: Network>(net: &N) -> BTreeMap<String, Vec<f32>> {
    let mut tensors = BTreeMap::new();
    net.visit_parameters(&mut |key, _, values| {
        tensors.insert(key.to_string(), values.to_vec());
    });
    tensors
}

fn image() -> Tensor<<EveryKind as Network>::Input> {
    Tensor::from_fn(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
}

#[test]
fn boxed_zeroed_equals_zeroed_for_every_kind_of_layer() {
    let (stack, heap) = (EveryKind::zeroed(), EveryKind::boxed_zeroed());
    let tensors = state_dict(&stack);
    assert_eq!(tensors, state_dict(&*heap));
    // PyTorch's initial state, not zeros, where it differs.
    assert!(tensors["1.weight"].iter().all(|&w| w == 1.0));
    assert!(tensors["1.running_var"].iter().all(|&v| v == 1.0));
    assert!(tensors["3.running_var"].iter().all(|&v| v == 1.0));
    assert!(tensors["8.weight"].iter().all(|&w| w == 1.0));
    // The settings that are not parameters.
    assert_eq!((heap.layer1.eps, heap.layer3.eps, heap.layer8.eps), (0.001, 0.0001, 0.01));
    assert_eq!(heap.layer2.negative_slope, stack.layer2.negative_slope);
    assert_eq!(heap.layer4.alpha, 0.5);
    assert_eq!(heap.layer5.scale, stack.layer5.scale);
    assert_eq!((heap.layer6.min_val, heap.layer6.max_val), (-2.0, 2.0));
    assert_eq!((heap.layer9.beta, heap.layer9.threshold), (2.0, 10.0));
    assert_eq!(heap.layer10.p, 0.3);
    assert_eq!((heap.layer11.factor, heap.layer11.label), (2.5, "scaled"));
    assert!(heap.layer12.tanh);
    assert_eq!(heap.forward(&image()), stack.forward(&image()));
}

#[test]
fn boxed_seeded_equals_seeded_and_forward_boxed_equals_forward() {
    let (stack, heap) = (EveryKind::seeded(7), EveryKind::boxed_seeded(7));
    assert_eq!(state_dict(&stack), state_dict(&*heap));
    let want = stack.forward(&image());
    assert!(want.as_slice().iter().any(|&y| y != want[0]), "a non-trivial output");
    assert_eq!(*heap.forward_boxed(&image()), want);
    assert_eq!(Network::forward(&*heap, &image()), want);
    let mut output = Tensor::zeros();
    heap.forward_into(&image(), &mut output, &mut EveryKind::boxed_scratch());
    assert_eq!(output, want);
    let mut scratch = EveryKind::boxed_scratch();
    assert_eq!(scratch.workspace().len(), EveryKind::SCRATCH_LEN);
    assert!(scratch.workspace().iter().all(|&v| v == 0.0));
}

fn lenet_inputs(count: usize) -> Vec<Tensor<<LeNet as Network>::Input>> {
    (0..count).map(|n| Tensor::from_fn(|i| ((i * 7 + n * 13) % 29) as f32 / 29.0 - 0.5)).collect()
}

#[test]
fn forward_batch_across_cores_equals_one_sample_at_a_time() {
    let net = LeNet::seeded(3);
    // 37 samples: the runs of consecutive samples are not all the same length.
    let inputs = lenet_inputs(37);
    let mut one_by_one = vec![Tensor::zeros(); inputs.len()];
    let mut scratch = LeNet::new_scratch();
    for (x, y) in inputs.iter().zip(&mut one_by_one) {
        net.forward_into(x, y, &mut scratch);
    }
    let mut batched = vec![Tensor::zeros(); inputs.len() + 2];
    net.forward_batch_into(&inputs, &mut batched, &mut LeNet::new_scratch());
    assert_eq!(batched[..inputs.len()], one_by_one[..]);
    assert!(batched[inputs.len()..].iter().all(|y| *y == Tensor::zeros()), "extra outputs left");
    let array: [_; 5] = std::array::from_fn(|n| inputs[n].clone());
    assert_eq!(net.forward_batch(&array)[..], one_by_one[..5]);
}

#[test]
fn a_network_that_is_not_sync_runs_its_batch_in_order() {
    let net = NotSync::seeded(1);
    let inputs: Vec<_> = (0..5).map(|n| Tensor::from_fn(|i| (n * 4 + i) as f32)).collect();
    let mut outputs = vec![Tensor::zeros(); 5];
    net.forward_batch_into(&inputs, &mut outputs, &mut NotSync::new_scratch());
    assert_eq!(net.layer1.calls.get(), 5);
    for (x, y) in inputs.iter().zip(&outputs) {
        assert_eq!(*y, net.forward(x));
    }
}

#[test]
fn forward_batch_runs_on_the_thread_pool_when_there_are_cores() {
    let net = Traced::seeded(1);
    let inputs: Vec<_> = (0..8).map(|n| Tensor::from_fn(|i| (n * 4 + i) as f32)).collect();
    let mut outputs = vec![Tensor::zeros(); 8];
    net.forward_batch_into(&inputs, &mut outputs, &mut Traced::new_scratch());
    let seen = net.layer1.seen.lock().expect("not poisoned").clone();
    assert_eq!(seen.len(), 8);
    let me = std::thread::current().id();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = std::env::var("RAYON_NUM_THREADS").ok().and_then(|n| n.parse().ok());
    if cfg!(feature = "parallel") && threads.unwrap_or(cores) >= 2 {
        // The batch went to rayon's pool: no sample ran on the calling thread.
        assert!(seen.iter().all(|&t| t != me), "samples ran on the calling thread");
    } else {
        assert!(seen.iter().all(|&t| t == me));
    }
}

network! {
    /// A graph network: a residual block, squeeze-and-excitation and concatenated branches,
    /// with the layers whose heap constructor resets them in place (BatchNorm, LayerNorm).
    pub struct Branchy: [4, 8, 8] {
        stem = Conv2d(4, 8, 3, padding = 1),
        bn = BatchNorm2d(8, eps = 0.001),
        ReLU(),
        residual = Add(
            Identity(),
            { conv1 = Conv2d(8, 8, 3, padding = 1), bn1 = BatchNorm2d(8), ReLU(), conv2 = Conv2d(8, 8, 3, padding = 1) },
        ),
        se = Mul(Identity(), { AdaptiveAvgPool2d(1), fc = Conv2d(8, 8, 1), Sigmoid() }),
        Cat(
            left = Conv2d(8, 2, 1),
            right = [MaxPool2d(3, stride = 1, padding = 1), Conv2d(8, 2, 1), LeakyReLU(0.1)],
            dim = 1,
        ),
        Flatten(),
        norm = LayerNorm(256, eps = 0.01),
        head = Linear(256, 10),
    }

    /// A graph network that records where it runs (`Sync`).
    pub struct TracedGraph: [4] { Add(fc = Linear(4, 4), Identity()), threads = Threads() }

    /// A graph network that is not `Sync`.
    pub struct NotSyncGraph: [4] { Add(fc = Linear(4, 4), Identity()), counted = Counted() }
}

fn branchy_inputs(count: usize) -> Vec<Tensor<<Branchy as Network>::Input>> {
    (0..count).map(|n| Tensor::from_fn(|i| ((i * 11 + n * 5) % 23) as f32 / 23.0 - 0.5)).collect()
}

#[test]
fn graph_networks_heap_constructors_equal_the_stack_ones() {
    let (zeroed, boxed_zeroed) = (Branchy::zeroed(), Branchy::boxed_zeroed());
    let tensors = state_dict(&zeroed);
    assert_eq!(tensors, state_dict(&*boxed_zeroed));
    assert!(tensors["bn.running_var"].iter().all(|&v| v == 1.0));
    assert!(tensors["residual.bn1.weight"].iter().all(|&w| w == 1.0));
    assert!(tensors["norm.weight"].iter().all(|&w| w == 1.0));
    assert_eq!((boxed_zeroed.bn.eps, boxed_zeroed.norm.eps), (0.001, 0.01));
    let (seeded, boxed_seeded) = (Branchy::seeded(5), Branchy::boxed_seeded(5));
    assert_eq!(state_dict(&seeded), state_dict(&*boxed_seeded));
    let x = &branchy_inputs(1)[0];
    let want = seeded.forward(x);
    assert!(want.as_slice().iter().any(|&y| y != want[0]), "a non-trivial output");
    assert_eq!(*boxed_seeded.forward_boxed(x), want);
    let mut output = Tensor::zeros();
    boxed_seeded.forward_into(x, &mut output, &mut Branchy::boxed_scratch());
    assert_eq!(output, want);
}

#[test]
fn graph_networks_batches_across_cores_equal_one_sample_at_a_time() {
    let net = Branchy::seeded(9);
    let inputs = branchy_inputs(23);
    let mut one_by_one = vec![Tensor::zeros(); inputs.len()];
    let mut scratch = Branchy::new_scratch();
    for (x, y) in inputs.iter().zip(&mut one_by_one) {
        net.forward_into(x, y, &mut scratch);
    }
    let mut batched = vec![Tensor::zeros(); inputs.len()];
    net.forward_batch_into(&inputs, &mut batched, &mut Branchy::new_scratch());
    assert_eq!(batched, one_by_one);
    let array: [_; 4] = std::array::from_fn(|n| inputs[n].clone());
    assert_eq!(net.forward_batch(&array)[..], one_by_one[..4]);

    let traced = TracedGraph::seeded(1);
    let inputs: Vec<_> = (0..8).map(|n| Tensor::from_fn(|i| (n * 4 + i) as f32)).collect();
    let mut outputs = vec![Tensor::zeros(); 8];
    traced.forward_batch_into(&inputs, &mut outputs, &mut TracedGraph::new_scratch());
    let seen = traced.threads.seen.lock().expect("not poisoned").clone();
    assert_eq!(seen.len(), 8);
    let me = std::thread::current().id();
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let threads = std::env::var("RAYON_NUM_THREADS").ok().and_then(|n| n.parse().ok());
    if cfg!(feature = "parallel") && threads.unwrap_or(cores) >= 2 {
        assert!(seen.iter().all(|&t| t != me), "samples ran on the calling thread");
    } else {
        assert!(seen.iter().all(|&t| t == me));
    }

    let not_sync = NotSyncGraph::seeded(1);
    not_sync.forward_batch_into(&inputs, &mut outputs, &mut NotSyncGraph::new_scratch());
    assert_eq!(not_sync.counted.calls.get(), 8);
}

network! {
    /// The int8 digit classifier of `tests/int8.rs`: int8 networks have `boxed_scratch` and
    /// `forward_boxed` (no `zeroed` or `seeded` to box: they are built by `trained()`).
    #[staticnn(quantized = "int8", weights = "examples/digits/digits_int8.safetensors")]
    pub struct DigitsInt8: [1, 8, 8] {
        Conv2d(1, 16, 3, padding = 1),
        ReLU(),
        MaxPool2d(2),
        Conv2d(16, 32, 3, padding = 1),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(128, 10),
    }
}

#[test]
fn int8_networks_forward_boxed_equals_forward() {
    let net = DigitsInt8::trained();
    let x = Tensor::from_fn(|i| (i % 17) as f32 / 17.0);
    let want = net.forward(&x);
    assert_eq!(*net.forward_boxed(&x), want);
    let mut scratch = DigitsInt8::boxed_scratch();
    assert_eq!(core::mem::size_of_val(&*scratch), DigitsInt8::SCRATCH_BYTES);
    let mut output = Tensor::zeros();
    net.forward_into(&x, &mut output, &mut scratch);
    assert_eq!(output, want);
    let q = DigitsInt8::quantize_input(&x);
    assert_eq!(DigitsInt8::dequantize_output(&net.forward_int8(&q)), want);
}
