//! A property test of the whole pipeline ([`crate::expand`]): whatever tokens `network!` is
//! given, it returns an expansion or spanned errors, never panics, and its output always
//! parses as Rust items.
//!
//! Two kinds of input, both from a fixed seed (the run is the same every time):
//! - declarations generated from a grammar: networks whose layers follow the shape through
//!   the network (most of them expand), and networks of random layers with random arguments
//!   (most of them are errors), with numbers from tiny to `u64::MAX` and arithmetic;
//! - those declarations mutated token by token: a token (or a whole group) deleted,
//!   duplicated, swapped with the next one, a token inserted, or a number replaced by an
//!   extreme (`0`, `2^31`, `2^32 - 1`, `2^63 - 1`, `u64::MAX`, negative, huge floats).
//!
//! The generators read their choices from a vector of numbers that `proptest` draws (and
//! shrinks towards zeros: towards the first choice of every alternative), so a failure is
//! reported with a small input. A longer run: `STATICNN_FUZZ_CASES=100000 cargo test -p
//! staticnn-macros --release fuzz`.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use proc_macro2::{Group, TokenStream, TokenTree};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};

// ---- running the pipeline ------------------------------------------------------------------

thread_local! {
    /// Whether a panic on this thread is being caught by [`run`].
    static CATCHING: Cell<bool> = const { Cell::new(false) };
    /// The message of the last panic caught on this thread.
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// A panic hook that records the message of a panic [`run`] catches instead of printing it
/// (the test prints nothing when it passes), and leaves every other panic to the default hook.
fn install_quiet_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if CATCHING.with(Cell::get) {
                PANIC.with(|p| *p.borrow_mut() = Some(info.to_string()));
            } else {
                default(info);
            }
        }));
    });
}

/// What the pipeline made of one input.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Items without any error.
    Expansion,
    /// At least one `compile_error!`.
    Errors,
}

/// Runs the pipeline on `input`; fails the case on a panic or on output that is not Rust.
fn run(input: &TokenStream) -> Result<Outcome, TestCaseError> {
    install_quiet_hook();
    CATCHING.with(|c| c.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(|| crate::expand(input.clone())));
    CATCHING.with(|c| c.set(false));
    let output = match result {
        Ok(output) => output,
        Err(_) => {
            let message = PANIC.with(|p| p.borrow_mut().take()).unwrap_or_default();
            return Err(TestCaseError::fail(format!(
                "network! panicked: {message}\ninput: {input}"
            )));
        }
    };
    let text = output.to_string();
    if let Err(e) = syn::parse2::<syn::File>(output) {
        return Err(TestCaseError::fail(format!(
            "network!'s output is not Rust items ({e})\ninput: {input}\noutput: {text}"
        )));
    }
    Ok(if text.contains("compile_error") { Outcome::Errors } else { Outcome::Expansion })
}

/// Runs `property` on a thread with a large stack: parsing the output of a network with
/// sizes in the millions (`typenum` types nested 50 deep) takes more than a test thread's
/// 2 MiB in `syn` (rustc's parser grows its stack as it needs).
fn on_large_stack(property: impl FnOnce() + Send + 'static) {
    let joined = std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(property)
        .map(std::thread::JoinHandle::join);
    match joined {
        Ok(Ok(())) => {}
        // The property failed: fail the test with its panic.
        Ok(Err(panic)) => panic::resume_unwind(panic),
        Err(e) => panic!("cannot start the property's thread: {e}"),
    }
}

/// The cases of each property: `STATICNN_FUZZ_CASES` if set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("STATICNN_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn runner(cases: u32, seed: u64) -> TestRunner {
    TestRunner::new(Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    })
}

/// The choices a generator reads.
fn choices() -> impl Strategy<Value = Vec<u32>> {
    vec(any::<u32>(), 0..400)
}

// ---- reading choices -----------------------------------------------------------------------

/// A source of choices: the numbers proptest drew, then zeros.
struct Chooser<'a> {
    choices: &'a [u32],
    next: usize,
}

impl<'a> Chooser<'a> {
    fn new(choices: &'a [u32]) -> Self {
        Self { choices, next: 0 }
    }

    fn raw(&mut self) -> u32 {
        let v = self.choices.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        v
    }

    /// A number below `n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        self.raw() as usize % n
    }

    /// True with probability `percent` / 100 (never when the choices are exhausted).
    fn chance(&mut self, percent: u32) -> bool {
        self.raw() % 100 >= 100 - percent
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// A number in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo).unwrap_or(0) + 1;
        lo + i64::try_from(u64::from(self.raw()) % span).unwrap_or(0)
    }
}

// ---- numbers -------------------------------------------------------------------------------

/// Integers at the edges of the types the macro computes with (literals past `i64` are
/// errors of their own; `i64::MIN` can only be written as an expression).
const INT_EXTREMES: &[&str] = &[
    "0",
    "1",
    "2",
    "65535",
    "2147483647",
    "2147483648",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "-1",
    "-2147483648",
    "-9223372036854775807",
    "-9223372036854775808",
    "(-9223372036854775807 - 1)",
];

/// Floats at the edges of `f32` and `f64`.
const FLOAT_EXTREMES: &[&str] = &["1e39", "1e309", "-1e309", "1e-50", "0.0", "-0.0"];

/// `value` written as an integer expression that evaluates to it (or, now and then, to a
/// neighbour of it, so the errors that show an expression are reached too, or to an extreme).
fn int_text(c: &mut Chooser, value: i64) -> String {
    if c.chance(3) {
        return c.pick(INT_EXTREMES).to_owned();
    }
    let value = if c.chance(4) { value + c.range(-1, 1) } else { value };
    match c.below(10) {
        0..=4 => value.to_string(),
        5 => {
            let k = c.range(2, 7);
            if value % k == 0 {
                format!("{} * {k}", value / k)
            } else {
                format!("{k} * {} + {}", value / k, value % k)
            }
        }
        6 => {
            let k = c.range(1, 9);
            format!("({} - {k})", value + k)
        }
        7 => {
            let k = c.range(2, 5);
            format!("{} / {k}", value * k)
        }
        8 => format!("-(-{value})"),
        _ => {
            let k = c.range(1, 3);
            format!("(({value} + {k}) * 2 - {}) / 2", 2 * k)
        }
    }
}

/// An arbitrary integer expression: literals from tiny to extreme, every operator, division
/// by zero and inexact division included.
fn wild_int(c: &mut Chooser, depth: u32) -> String {
    if depth == 0 || c.chance(55) {
        return if c.chance(30) {
            c.pick(INT_EXTREMES).to_owned()
        } else {
            c.range(-3, 40).to_string()
        };
    }
    let (a, b) = (wild_int(c, depth - 1), wild_int(c, depth - 1));
    match c.below(8) {
        0 => format!("{a} + {b}"),
        1 => format!("{a} - {b}"),
        2 => format!("{a} * {b}"),
        3 => format!("{a} / {b}"),
        4 => format!("({a})"),
        5 => format!("-{a}"),
        6 => format!("({a}) / -1"),
        _ => format!("{a} * ({b})"),
    }
}

/// Any argument value, of any type.
fn wild_value(c: &mut Chooser, depth: u32) -> String {
    match c.below(12) {
        0..=4 => wild_int(c, 3),
        5 => c.pick(&["0.5", "1e-5", "0.01", "-1.5", "1e39", "1e309", "2.", "1e-5 * 2"]).to_owned(),
        6 => c
            .pick(&[
                "\"same\"",
                "\"valid\"",
                "\"zeros\"",
                "\"reflect\"",
                "\"replicate\"",
                "\"circular\"",
                "\"bilinear\"",
                "\"nearest\"",
                "\"tanh\"",
                "\"none\"",
                "\"\"",
            ])
            .to_owned(),
        7 => c.pick(&["True", "False", "true", "None", "x", "C"]).to_owned(),
        8 | 9 if depth > 0 => {
            let n = c.below(4);
            let items: Vec<String> = (0..n).map(|_| wild_value(c, depth - 1)).collect();
            let trailing = if n == 1 || c.chance(10) { "," } else { "" };
            if c.chance(20) {
                format!("[{}]", items.join(", "))
            } else {
                format!("({}{trailing})", items.join(", "))
            }
        }
        _ => c.range(0, 9).to_string(),
    }
}

// ---- declarations --------------------------------------------------------------------------

const LAYER_NAMES: &[&str] = &[
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose2d",
    "MaxPool1d",
    "MaxPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "AdaptiveAvgPool2d",
    "AdaptiveMaxPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "LayerNorm",
    "InstanceNorm2d",
    "Linear",
    "Flatten",
    "Identity",
    "Dropout",
    "Upsample",
    "ReLU",
    "ReLU6",
    "LeakyReLU",
    "Sigmoid",
    "Tanh",
    "Hardtanh",
    "Hardsigmoid",
    "Hardswish",
    "SiLU",
    "GELU",
    "ELU",
    "Softplus",
    "Softmax",
    "LogSoftmax",
    // Typos, user layers, paths.
    "Conv2D",
    "Lineer",
    "MyLayer",
    "self::MyLayer",
    "crate::nets::Block",
    "::staticnn::layers::ReLU",
];

const KEYWORDS: &[&str] = &[
    "in_channels",
    "out_channels",
    "kernel_size",
    "stride",
    "padding",
    "dilation",
    "groups",
    "bias",
    "padding_mode",
    "output_padding",
    "ceil_mode",
    "count_include_pad",
    "divisor_override",
    "return_indices",
    "output_size",
    "num_features",
    "eps",
    "momentum",
    "affine",
    "track_running_stats",
    "normalized_shape",
    "elementwise_affine",
    "in_features",
    "out_features",
    "start_dim",
    "end_dim",
    "p",
    "inplace",
    "size",
    "scale_factor",
    "mode",
    "align_corners",
    "recompute_scale_factor",
    "negative_slope",
    "min_val",
    "max_val",
    "approximate",
    "alpha",
    "beta",
    "threshold",
    "dim",
    "device",
    "dtype",
    "kernel",
];

/// Names for layers, including raw identifiers and the names unnamed layers get.
const FIELD_NAMES: &[&str] = &["conv", "fc", "layer0", "layer1", "r#type", "r#match", "_x"];

/// A layer with random arguments.
fn wild_layer(c: &mut Chooser) -> String {
    let kind = c.pick(LAYER_NAMES);
    let mut args = Vec::new();
    for _ in 0..c.below(5) {
        args.push(wild_value(c, 2));
    }
    for _ in 0..c.below(3) {
        args.push(format!("{} = {}", c.pick(KEYWORDS), wild_value(c, 2)));
    }
    format!("{kind}({})", args.join(", "))
}

/// A size for one dimension of an input.
fn input_dim(c: &mut Chooser) -> String {
    if c.chance(8) {
        return wild_int(c, 2);
    }
    let size = c.pick(&[1, 2, 3, 4, 5, 7, 8, 16, 28, 32]);
    int_text(c, size)
}

/// Layers that fit the shape they receive (most of the time), tracking it as they go.
fn coherent_layers(c: &mut Chooser, shape: &mut Vec<i64>) -> Vec<String> {
    let mut layers = Vec::new();
    for _ in 0..c.range(1, 7) {
        let layer = match shape.len() {
            3 => image_layer(c, shape),
            2 => sequence_layer(c, shape),
            4 => volume_layer(c, shape),
            _ => vector_layer(c, shape),
        };
        let named = c.chance(20).then(|| c.pick(FIELD_NAMES));
        layers.push(named.map_or_else(|| layer.clone(), |n| format!("{n} = {layer}")));
        if c.chance(3) {
            layers.push(wild_layer(c));
        }
    }
    layers
}

/// An activation or other layer that keeps the shape.
fn shape_keeping(c: &mut Chooser) -> String {
    match c.below(12) {
        0 => "ReLU()".to_owned(),
        1 => "ReLU(inplace = True)".to_owned(),
        2 => format!("LeakyReLU({})", c.pick(&["0.1", "0.2", "1e39", "-0.5", "2"])),
        3 => "Sigmoid()".to_owned(),
        4 => "Tanh()".to_owned(),
        5 => format!(
            "Hardtanh({}, {})",
            c.pick(&["-1.0", "0", "-2"]),
            c.pick(&["1.0", "6", "1e309"])
        ),
        6 => "GELU(approximate = \"tanh\")".to_owned(),
        7 => format!("ELU(alpha = {})", c.pick(&["1.0", "0.5", "1e300"])),
        8 => format!("Softplus(beta = {}, threshold = 20)", c.pick(&["1", "2.0", "1e-45"])),
        9 => format!("Dropout({})", c.pick(&["0.5", "0.0", "1", "0.25"])),
        10 => "Identity()".to_owned(),
        _ => "Hardswish()".to_owned(),
    }
}

fn image_layer(c: &mut Chooser, shape: &mut Vec<i64>) -> String {
    let (ch, h, w) = (shape[0], shape[1], shape[2]);
    match c.below(10) {
        0..=2 => {
            let out = c.pick(&[1, 2, 4, 6, 8, 16]);
            let k = c.range(1, 5);
            let p = c.range(0, 2);
            let s = c.range(1, 2);
            if h + 2 * p >= k && w + 2 * p >= k {
                *shape = vec![out, (h + 2 * p - k) / s + 1, (w + 2 * p - k) / s + 1];
            }
            let (ci, o, k) = (int_text(c, ch), int_text(c, out), int_text(c, k));
            match c.below(3) {
                0 => format!("Conv2d({ci}, {o}, {k}, {s}, {p})"),
                1 => format!(
                    "Conv2d({ci}, {o}, kernel_size = ({k}, {k}), stride = {s}, padding = {p})"
                ),
                _ => format!(
                    "Conv2d(in_channels = {ci}, out_channels = {o}, kernel_size = {k}, padding = {p}, stride = {s})"
                ),
            }
        }
        3 => {
            let k = c.range(1, 3);
            if h >= k && w >= k {
                *shape = vec![ch, h / k, w / k];
            }
            format!("{}({})", c.pick(&["MaxPool2d", "AvgPool2d"]), int_text(c, k))
        }
        4 => format!("BatchNorm2d({})", int_text(c, ch)),
        5 => {
            let out = c.pick(&[1, 2, 3, 4]);
            *shape = vec![ch, out, out];
            format!("AdaptiveAvgPool2d({})", int_text(c, out))
        }
        6 => {
            *shape = vec![ch, h * 2, w * 2];
            format!(
                "Upsample(scale_factor = 2, mode = {})",
                c.pick(&["\"nearest\"", "\"bilinear\""])
            )
        }
        7 => {
            let out = c.pick(&[1, 2, 4]);
            let (k, s) = (c.range(1, 3), c.range(1, 2));
            *shape = vec![out, (h - 1) * s + k, (w - 1) * s + k];
            format!(
                "ConvTranspose2d({}, {}, {}, stride = {s})",
                int_text(c, ch),
                int_text(c, out),
                int_text(c, k)
            )
        }
        8 => {
            *shape = vec![ch * h * w];
            "Flatten()".to_owned()
        }
        _ => shape_keeping(c),
    }
}

fn sequence_layer(c: &mut Chooser, shape: &mut Vec<i64>) -> String {
    let (ch, len) = (shape[0], shape[1]);
    match c.below(5) {
        0 | 1 => {
            let out = c.pick(&[1, 2, 4, 8]);
            let k = c.range(1, 3);
            if len >= k {
                *shape = vec![out, len - k + 1];
            }
            format!("Conv1d({}, {}, {})", int_text(c, ch), int_text(c, out), int_text(c, k))
        }
        2 => {
            if len >= 2 {
                *shape = vec![ch, len / 2];
            }
            format!("{}(2)", c.pick(&["MaxPool1d", "AvgPool1d"]))
        }
        3 => {
            *shape = vec![ch * len];
            "Flatten()".to_owned()
        }
        _ => format!("BatchNorm1d({})", int_text(c, ch)),
    }
}

fn volume_layer(c: &mut Chooser, shape: &mut Vec<i64>) -> String {
    if c.chance(40) {
        *shape = vec![shape.iter().product()];
        return "Flatten()".to_owned();
    }
    let out = c.pick(&[1, 2, 3]);
    let (ch, d, h, w) = (shape[0], shape[1], shape[2], shape[3]);
    *shape = vec![out, d, h, w];
    format!("Conv3d({}, {}, 3, padding = {})", int_text(c, ch), int_text(c, out), int_text(c, 1))
}

fn vector_layer(c: &mut Chooser, shape: &mut Vec<i64>) -> String {
    let n = shape.first().copied().unwrap_or(1);
    match c.below(7) {
        0..=2 => {
            let out = c.pick(&[1, 2, 10, 16, 120]);
            *shape = vec![out];
            match c.below(2) {
                0 => format!("Linear({}, {})", int_text(c, n), int_text(c, out)),
                _ => format!(
                    "Linear(in_features = {}, out_features = {}, bias = {})",
                    int_text(c, n),
                    int_text(c, out),
                    c.pick(&["True", "False"])
                ),
            }
        }
        3 => format!("LayerNorm({})", int_text(c, n)),
        4 => format!("{}(dim = {})", c.pick(&["Softmax", "LogSoftmax"]), int_text(c, 1)),
        5 => format!("BatchNorm1d({})", int_text(c, n)),
        _ => shape_keeping(c),
    }
}

/// One `struct Name: [..] { .. }`, with attributes now and then.
fn network(c: &mut Chooser, index: usize) -> String {
    let mut text = String::new();
    if c.chance(20) {
        text += "/// A network.\n";
    }
    if c.chance(10) {
        text +=
            &format!("#[staticnn(prefix = {})]\n", c.pick(&["\"model1\"", "\"a.b\"", "\"\"", "3"]));
    }
    if c.chance(3) {
        text += "#[staticnn(weights = \"../tests/weights/tiny.safetensors\")]\n";
    }
    let vis = c.pick(&["pub ", "", "pub(crate) "]);
    let mut shape: Vec<i64> = match c.below(4) {
        0 => vec![c.pick(&[4, 10, 64])],
        1 => vec![c.pick(&[1, 2, 3]), c.pick(&[8, 16])],
        2 => vec![1, 3, 4, 3],
        _ => vec![c.pick(&[1, 3]), c.pick(&[8, 16, 28, 32]), c.pick(&[8, 16, 28, 32])],
    };
    let dims: Vec<String> = if c.chance(10) {
        (0..c.range(0, 5)).map(|_| input_dim(c)).collect()
    } else {
        shape.iter().map(|&d| int_text(c, d)).collect()
    };
    let layers = if c.chance(25) {
        (0..c.range(0, 5)).map(|_| wild_layer(c)).collect()
    } else {
        coherent_layers(c, &mut shape)
    };
    text + &format!("{vis}struct Net{index}: [{}] {{ {} }}\n", dims.join(", "), layers.join(", "))
}

/// A whole `network!` input: one or two networks.
fn declaration(c: &mut Chooser) -> String {
    let count = if c.chance(10) { 2 } else { 1 };
    (0..count).map(|i| network(c, i)).collect()
}

/// The TinyNet of the compiled-weights test, whose file is in the repository.
const TINY_WITH_WEIGHTS: &str = "#[staticnn(weights = \"../tests/weights/tiny.safetensors\")]
    pub struct TinyNet: [1, 8, 8] {
        conv = Conv2d(1, 4, 3), bn = BatchNorm2d(4), ReLU(), MaxPool2d(2), Flatten(),
        fc = Linear(36, 5),
    }";

// ---- mutations -----------------------------------------------------------------------------

/// Counts the token trees of `stream`, groups and what they hold.
fn count_trees(stream: &TokenStream) -> usize {
    stream
        .clone()
        .into_iter()
        .map(|t| match &t {
            TokenTree::Group(g) => 1 + count_trees(&g.stream()),
            _ => 1,
        })
        .sum()
}

/// One change to a token stream, at the `target`-th token tree in pre-order.
#[derive(Clone, Copy)]
enum Edit {
    Delete,
    Duplicate,
    SwapWithNext,
    InsertBefore(&'static str),
    /// Replaces the tree if it is a literal (else leaves it).
    ReplaceLiteral(&'static str),
}

fn apply(stream: TokenStream, target: &mut Option<usize>, edit: Edit) -> TokenStream {
    let trees: Vec<TokenTree> = stream.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::with_capacity(trees.len() + 2);
    let mut i = 0;
    while i < trees.len() {
        let tree = trees[i].clone();
        i += 1;
        if *target == Some(0) {
            *target = None;
            let text_tokens = |text: &str| text.parse::<TokenStream>().unwrap_or_default();
            match edit {
                Edit::Delete => {}
                Edit::Duplicate => out.extend([tree.clone(), tree]),
                Edit::SwapWithNext => {
                    if let Some(next) = trees.get(i) {
                        out.push(next.clone());
                        i += 1;
                    }
                    out.push(tree);
                }
                Edit::InsertBefore(text) => {
                    out.extend(text_tokens(text));
                    out.push(tree);
                }
                Edit::ReplaceLiteral(text) => match tree {
                    TokenTree::Literal(_) => out.extend(text_tokens(text)),
                    other => out.push(other),
                },
            }
            continue;
        }
        *target = target.map(|t| t - 1);
        match tree {
            TokenTree::Group(g) => {
                let inner = apply(g.stream(), target, edit);
                let mut group = Group::new(g.delimiter(), inner);
                group.set_span(g.span());
                out.push(TokenTree::Group(group));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

/// Index of the `n`-th literal (modulo their count) among the trees of `stream` in pre-order.
fn literal_positions(stream: &TokenStream, base: &mut usize, out: &mut Vec<usize>) {
    for tree in stream.clone() {
        let here = *base;
        *base += 1;
        match &tree {
            TokenTree::Literal(_) => out.push(here),
            TokenTree::Group(g) => literal_positions(&g.stream(), base, out),
            _ => {}
        }
    }
}

const INSERTS: &[&str] =
    &["-", "+", "*", "/", ",", "=", "(", "()", "[]", "0", "x", "/ 0", "* 4294967296", "Conv2d"];

/// Applies up to four random edits to `stream`.
fn mutate(c: &mut Chooser, mut stream: TokenStream) -> TokenStream {
    for _ in 0..c.range(1, 4) {
        let total = count_trees(&stream);
        if total == 0 {
            break;
        }
        let (target, edit) = match c.below(6) {
            0 => (c.below(total), Edit::Delete),
            1 => (c.below(total), Edit::Duplicate),
            2 => (c.below(total), Edit::SwapWithNext),
            3 => (c.below(total), Edit::InsertBefore(c.pick(INSERTS))),
            _ => {
                let mut positions = Vec::new();
                literal_positions(&stream, &mut 0, &mut positions);
                if positions.is_empty() {
                    continue;
                }
                let extreme =
                    if c.chance(75) { c.pick(INT_EXTREMES) } else { c.pick(FLOAT_EXTREMES) };
                (c.pick(&positions), Edit::ReplaceLiteral(extreme))
            }
        };
        stream = apply(stream, &mut Some(target), edit);
    }
    stream
}

// ---- the properties ------------------------------------------------------------------------

/// Counts of a property's outcomes, to check that the generators reach both.
struct Tally {
    expansions: AtomicUsize,
    errors: AtomicUsize,
}

impl Tally {
    const fn new() -> Self {
        Self { expansions: AtomicUsize::new(0), errors: AtomicUsize::new(0) }
    }

    fn add(&self, outcome: &Outcome) {
        let counter = match outcome {
            Outcome::Expansion => &self.expansions,
            Outcome::Errors => &self.errors,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn get(&self) -> (usize, usize) {
        (self.expansions.load(Ordering::Relaxed), self.errors.load(Ordering::Relaxed))
    }
}

fn tokens(text: &str) -> Result<TokenStream, TestCaseError> {
    text.parse()
        .map_err(|e| TestCaseError::fail(format!("generated text does not lex ({e}): {text}")))
}

#[test]
fn generated_declarations_expand_or_fail_cleanly() {
    on_large_stack(|| {
        let tally = Tally::new();
        let result = runner(cases(3000), 0x5EED_0001).run(&choices(), |choices| {
            let text = declaration(&mut Chooser::new(&choices));
            tally.add(&run(&tokens(&text)?)?);
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
        let (expansions, errors) = tally.get();
        // The grammar aims at both: a generator that only made errors would test the checks
        // and never the code generation; one that only made valid networks, the reverse.
        let total = expansions + errors;
        assert!(expansions * 4 >= total, "{expansions} expansions, {errors} errors");
        assert!(errors * 4 >= total, "{expansions} expansions, {errors} errors");
    });
}

#[test]
fn mutated_declarations_expand_or_fail_cleanly() {
    on_large_stack(|| {
        let tally = Tally::new();
        let result = runner(cases(3000), 0x5EED_0002).run(&choices(), |choices| {
            let mut c = Chooser::new(&choices);
            let text = if c.chance(5) { TINY_WITH_WEIGHTS.to_owned() } else { declaration(&mut c) };
            let mutated = mutate(&mut c, tokens(&text)?);
            tally.add(&run(&mutated)?);
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
        let (expansions, errors) = tally.get();
        assert!(errors > 0 && expansions > 0, "{expansions} expansions, {errors} errors");
    });
}

/// The inputs every fixed panic came from, kept as regression cases.
#[test]
fn known_panics_are_errors() {
    on_large_stack(|| {
        for text in KNOWN_PANICS {
            let outcome = tokens(text).and_then(|input| run(&input));
            assert!(outcome.is_ok(), "{text}: {:?}", outcome.err());
        }
        for text in TOO_LARGE {
            let outcome = tokens(text).and_then(|input| run(&input));
            assert_eq!(outcome.ok(), Some(Outcome::Errors), "{text}");
        }
    });
}

/// Inputs that made the macro panic (each checked against the code before the fix), found by
/// the fuzzing, by the properties above and by reading the code they pointed to.
const KNOWN_PANICS: &[&str] = &[
    // Multiplication overflow counting the output's elements (shape.rs, `product()`).
    "struct Net: [32, 16, 16] { Conv2d(32, 32, kernel_size = 5, padding = 4294967295), Flatten(), Linear(10, 2) }",
    "struct Net: [9223372036854775807, 8] { Flatten() }",
    // Addition overflow in the sliding-window formula, input + padding (shape.rs).
    "struct Net: [1, 18446744073709551615, 2, 3] { Conv3d(1, 3, 3, padding = 1) }",
    "struct Net: [3, 8] { Conv1d(3, 4, 3, padding = 9223372036854775807) }",
    // Multiplication overflow in "same" padding, dilation x (kernel_size - 1) (layers.rs).
    "struct Net: [3, 8] { Conv1d(3, 4, 9223372036854775807, dilation = 9223372036854775807, padding = \"same\") }",
    // Multiplication overflow in the transposed convolution's formula (shape.rs, i64).
    "struct Net: [3, 8, 8] { ConvTranspose2d(3, 4, 9223372036854775807, stride = 9223372036854775807) }",
    // Multiplication overflow computing MACS (expand.rs).
    "struct Net: [8] { Linear(8, 9223372036854775807) }",
    "struct Net: [8] { Linear(8, 4294967296), Linear(4294967296, 4294967296) }",
    "struct Net: [3, 8, 8] { Conv2d(3, 3, 4294967296, padding = 4294967296) }",
    // A raw identifier as a layer name (`Ident::new("r#type")`, expand.rs).
    "struct Net: [1, 8] { r#type = MaxPool1d(2) }",
    // A float that is infinite in f32 or f64 (`Literal::f32_suffixed(inf)`, expand.rs).
    "struct Net: [4] { Hardtanh(-1.0, 1e309) }",
    "struct Net: [10] { LeakyReLU(1e39) }",
    "struct Net: [4] { self::MyLayer(39, -1e309) }",
    // Overflow computing the remainder of an inexact division for its message: a bug of the
    // expression evaluator written for this fix, found by the mutation property.
    "struct Net: [1, 8] { Conv1d(-9223372036854775807 / 9, 1, 1) }",
    // i64::MIN % -1 overflows (the same evaluator's exactness test; found by its unit tests).
    "struct Net: [1, 8] { Conv1d((-9223372036854775807 - 1) / -1, 1, 1) }",
];

/// Inputs the macro used to expand into types no Rust value can have (more than
/// `isize::MAX` bytes, or sizes past `usize`), for rustc to fail on obscurely; errors now.
const TOO_LARGE: &[&str] = &[
    "struct Net: [3, 8, 8] { Upsample(scale_factor = 1e300) }",
    "struct Net: [3, 8, 8] { Upsample(size = (4294967296, 4294967296)) }",
    "struct Net: [3, 8, 8] { AdaptiveAvgPool2d((9223372036854775807, 9223372036854775807)) }",
    "struct Net: [2305843009213693951] { BatchNorm1d(2305843009213693951) }",
];
