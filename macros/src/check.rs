//! Rules about a network as a whole (names, options, an empty list), one function per rule.
//! Shape rules live in `shape.rs`, argument rules in `bind.rs` and `layers.rs`.

use std::collections::HashMap;

use crate::ast::{Network, Value};
use crate::ctxt::Ctxt;
use crate::graph::Graph;
use crate::layers::{Layer, Op};
use crate::params::declared;
use crate::shape::{MAX_ELEMENTS, Shape, Stage, too_many_elements};

/// The options of `#[staticnn(..)]`, validated.
#[derive(Default)]
pub struct Options {
    /// A prefix of every `state_dict` key (a model nested in an attribute: `model1`).
    pub prefix: Option<String>,
    /// A `.safetensors` file of trained weights to compile in, and where it was named.
    pub weights: Option<(String, proc_macro2::Span)>,
    /// `quantized = "int8"`: the network runs with integers, its quantization from the weights
    /// file; where it was written.
    pub quantized: Option<proc_macro2::Span>,
}

/// Every option `#[staticnn(..)]` accepts.
const OPTION_KEYS: &[&str] = &["prefix", "weights", "quantized"];

/// Validates `#[staticnn(..)]`: known keys, each once, with values of the right kind.
pub fn options(network: &Network, cx: &mut Ctxt) -> Options {
    let mut options = Options::default();
    let mut seen = HashMap::new();
    for option in &network.options {
        let key = option.key.to_string();
        if seen.insert(key.clone(), ()).is_some() {
            cx.error(option.key.span(), format!("`{key}` is given twice in #[staticnn(..)]"));
            continue;
        }
        match (key.as_str(), &option.value.value) {
            ("prefix", Value::Str(p)) if valid_prefix(p) => options.prefix = Some(p.clone()),
            ("prefix", Value::Str(p)) => cx.error(
                option.value.span,
                format!(
                    "`prefix` must be a state_dict key prefix such as \"model1\" or \
                     \"backbone.features\", found {p:?}"
                ),
            ),
            ("weights", Value::Str(file)) if file.ends_with(".safetensors") => {
                options.weights = Some((file.clone(), option.value.span));
            }
            ("weights", Value::Str(file)) => cx.error(
                option.value.span,
                format!(
                    "`weights` names a .safetensors file (relative to the crate's Cargo.toml), \
                     found {file:?}"
                ),
            ),
            ("weights", other) => cx.error(
                option.value.span,
                format!("`weights` expects a file name string, found {}", other.describe()),
            ),
            ("quantized", Value::Str(q)) if q == "int8" => {
                options.quantized = Some(option.value.span);
            }
            ("quantized", other) => cx.error(
                option.value.span,
                format!(
                    "`quantized` takes \"int8\" (weights and activations in int8, as PyTorch's \
                     post-training quantization makes them), found {}",
                    other.describe()
                ),
            ),
            ("prefix", other) => cx.error(
                option.value.span,
                format!("`prefix` expects a string, found {}", other.describe()),
            ),
            _ => {
                let hint = crate::catalog::closest(&key, OPTION_KEYS.iter().copied())
                    .map(|k| format!("did you mean `{k}`? "))
                    .unwrap_or_default();
                cx.error(
                    option.key.span(),
                    format!(
                        "unknown option `{key}`; {hint}#[staticnn(..)] accepts {}",
                        OPTION_KEYS.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
    }
    if let (Some(span), None) = (options.quantized, &options.weights) {
        cx.error(
            span,
            "an int8 network needs its weights file: its scales and zero points come from it; \
             add `weights = \"model_int8.safetensors\"` (written by `tools/export.py --quantize \
             int8`)",
        );
    }
    options
}

fn valid_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix.split('.').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// A network needs at least one layer.
pub fn not_empty(network: &Network, cx: &mut Ctxt) {
    if network.body.is_empty() {
        cx.error(
            network.body_span,
            format!(
                "`{}` has no layers; list them inside the braces, e.g. `{{ Linear(4, 2) }}`",
                network.name
            ),
        );
    }
}

/// The sums the generated constants compute must fit where they are computed: `PARAMS`,
/// `MACS` and `SCRATCH_LEN` are `usize`s, and the network (its parameters) and the scratch
/// buffer (activations side by side) are Rust values of at most `isize::MAX` bytes. Each
/// tensor was checked on its own (`layers::resolve`, `shape::infer`); this checks their sums.
/// Every shape is known here, except after a layer of the user's own (whose sizes the type
/// system carries on).
pub fn sizes(
    network: &Network,
    graph: &Graph,
    layers: &[Option<Layer>],
    stages: &[Stage],
    cx: &mut Ctxt,
) {
    let numel = |shape: &Shape| shape.0.iter().fold(1u128, |n, &d| n.saturating_mul(d as u128));
    let mut params: u128 = 0;
    let mut macs: u128 = 0;
    // The activations between the input and the output (the caller's): the scratch buffer
    // holds at most all of them, plus the kernels' small panels.
    let mut activations: u128 = 0;
    let mut largest: Option<(u128, &Layer)> = None;
    for (i, layer) in layers.iter().enumerate() {
        let output = stages.get(i).and_then(|s| s.output.as_ref());
        if i > 0 && i != graph.output {
            activations = activations.saturating_add(output.map_or(0, numel));
        }
        let Some(layer) = layer else { continue };
        for tensor in declared(layer) {
            let n = tensor.dims.iter().fold(1u128, |n, &d| n.saturating_mul(d as u128));
            params = params.saturating_add(n);
        }
        let source = graph.nodes[i].inputs.first().copied().unwrap_or(0);
        let layer_input = stages.get(source).and_then(|s| s.output.as_ref());
        let layer_macs = match (&layer.op, layer_input, output) {
            (Op::Conv(c), Some(x), _) if c.transposed => {
                let per_input = (c.out_channels / c.groups) as u128 * kernel(&c.kernel);
                numel(x).saturating_mul(per_input)
            }
            (Op::Conv(c), _, Some(y)) => {
                let per_output = (c.in_channels / c.groups) as u128 * kernel(&c.kernel);
                numel(y).saturating_mul(per_output)
            }
            (Op::Linear(l), _, _) => l.in_features as u128 * l.out_features as u128,
            _ => 0,
        };
        macs = macs.saturating_add(layer_macs);
        if largest.is_none_or(|(m, _)| layer_macs > m) {
            largest = Some((layer_macs, layer));
        }
    }
    let name = &network.name;
    if let Some(why) = too_many_elements(params) {
        cx.error(name.span(), format!("the parameters of `{name}` add up to too much: {why}"));
    }
    if let Some((_, layer)) = largest.filter(|_| usize::try_from(macs).is_err()) {
        cx.error(
            layer.call.kind_span(),
            format!(
                "`{name}` would compute {macs} multiply-accumulates per inference (this {} the \
                 most), more than usize can count for `{name}::MACS`",
                layer.kind()
            ),
        );
    }
    // Room for the kernels' panels, which are a few KiB.
    let panels = 1 << 20;
    if activations.saturating_add(panels) > MAX_ELEMENTS as u128 {
        cx.error(
            network.body_span,
            format!(
                "the activations between the input and the output of `{name}` add up to \
                 {activations} floats, more than its scratch buffer can hold (a Rust value has \
                 at most isize::MAX bytes)"
            ),
        );
    }
}

/// The number of taps of a kernel: the product of its sizes.
fn kernel(sizes: &[usize]) -> u128 {
    sizes.iter().fold(1u128, |n, &k| n.saturating_mul(k as u128))
}
