//! Resolves each layer call into an [`Op`]: the layer's hyper-parameters as plain numbers,
//! validated on their own (before any shape is known).

use std::fmt::Display;

use syn::Path;

use crate::ast::{At, LayerCall, Spanned, Value};
use crate::bind::{self, Bound, bind};
use crate::catalog::{self, SIGNATURES};
use crate::ctxt::Ctxt;
use crate::graph::{Graph, Node, NodeId};
use crate::params::{Declared, declared};
use crate::shape;

/// One layer of a network, resolved.
pub struct Layer<'a> {
    /// Its node in the graph.
    pub node: NodeId,
    /// Its path: the `state_dict` prefix of its tensors (`0`, `conv1`, `stack2.conv1`).
    pub key: &'a str,
    /// Its Rust field.
    pub field: &'a str,
    /// The call as written.
    pub call: &'a LayerCall,
    /// What it computes.
    pub op: Op,
    /// Each argument given, by parameter name: errors point there and show how it was
    /// written.
    pub given: Vec<(&'static str, &'a Spanned<Value>)>,
    /// The arguments as written, by parameter name (for PyTorch's printed form).
    pub args: Vec<(&'static str, Value)>,
}

impl Layer<'_> {
    /// The argument given for parameter `name`, if any.
    fn given(&self, name: &str) -> Option<&Spanned<Value>> {
        self.given.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// Where an error about parameter `name` should point: the argument (all its tokens), or
    /// the layer's name.
    pub fn span(&self, name: &str) -> At {
        self.given(name).map_or_else(|| self.call.kind_span().into(), |v| v.at)
    }

    /// Item `item` (an axis, or 0) of parameter `name`, whose value is `value`, with the
    /// expression it was written as when it was one: `400 (= 16 * 5 * 5)`.
    pub fn shown(&self, name: &str, item: usize, value: impl Display) -> String {
        bind::show(self.given(name), item, value)
    }

    /// How parameter `name` was written, when it was (or held) an arithmetic expression:
    /// `(4 * 4, 4)`.
    pub fn written_as(&self, name: &str) -> Option<String> {
        bind::written_as(self.given(name))
    }

    /// ` (= 4 * 4)` when parameter `name` was written as an expression, else nothing.
    pub fn written_note(&self, name: &str) -> String {
        self.written_as(name).map(|text| format!(" (= {text})")).unwrap_or_default()
    }

    /// The value of parameter `name` as the user wrote it (after defaults).
    pub fn arg(&self, name: &str) -> Option<&Value> {
        self.args.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The layer's class name (`Conv2d`).
    pub fn kind(&self) -> String {
        self.call.kind_name()
    }

    /// The field name: the path with `_` for `.` (`layer3`, `stack2_conv1`).
    pub fn field_name(&self) -> String {
        self.field.to_owned()
    }

    /// The `state_dict` prefix: the names (without `r#`: `r#type` is PyTorch's `type`) and
    /// `nn.Sequential` indices on the way to the layer.
    pub fn state_dict_name(&self) -> String {
        self.key.to_owned()
    }
}

/// What a layer computes, with its hyper-parameters as numbers.
pub enum Op {
    /// `Conv1d`, `Conv2d`, `Conv3d`, `ConvTranspose2d`.
    Conv(Conv),
    /// `MaxPool1d/2d`, `AvgPool1d/2d`.
    Pool(Pool),
    /// `AdaptiveAvgPool2d`, `AdaptiveMaxPool2d`.
    AdaptivePool(AdaptivePool),
    /// `Linear`.
    Linear(Linear),
    /// `BatchNorm1d`, `BatchNorm2d`.
    BatchNorm(BatchNorm),
    /// `LayerNorm`.
    LayerNorm(LayerNorm),
    /// `InstanceNorm2d`.
    InstanceNorm(InstanceNorm),
    /// `Flatten`.
    Flatten(Flatten),
    /// `Identity` and `Dropout`: nothing happens at inference.
    Passthrough,
    /// An element-wise activation.
    Activation(Activation),
    /// `Softmax`, `LogSoftmax`.
    Softmax(Softmax),
    /// `Upsample`.
    Upsample(Upsample),
    /// A layer type of the user's, checked by the type system only.
    Custom(Path),
}

/// A convolution.
pub struct Conv {
    /// Spatial axes: 1, 2 or 3.
    pub axes: usize,
    /// A transposed convolution (`ConvTranspose2d`).
    pub transposed: bool,
    /// `output_padding` per axis (transposed convolutions; zeros otherwise).
    pub output_padding: Vec<usize>,
    /// `in_channels`.
    pub in_channels: usize,
    /// `out_channels`.
    pub out_channels: usize,
    /// `kernel_size` per axis.
    pub kernel: Vec<usize>,
    /// `stride` per axis.
    pub stride: Vec<usize>,
    /// `padding`.
    pub padding: Padding,
    /// `dilation` per axis.
    pub dilation: Vec<usize>,
    /// `groups`.
    pub groups: usize,
    /// `bias`.
    pub bias: bool,
    /// `padding_mode`.
    pub padding_mode: String,
}

/// A convolution's padding.
#[derive(Clone, PartialEq, Eq)]
pub enum Padding {
    /// The same amount on both sides of each axis.
    Symmetric(Vec<usize>),
    /// `"same"`.
    Same,
    /// `"valid"`.
    Valid,
}

impl Conv {
    /// Padding `(before, after)` per axis, with PyTorch's split for `"same"`.
    pub fn pads(&self) -> Vec<(usize, usize)> {
        match &self.padding {
            Padding::Symmetric(p) => p.iter().map(|&p| (p, p)).collect(),
            Padding::Valid => vec![(0, 0); self.axes],
            Padding::Same => self
                .kernel
                .iter()
                .zip(&self.dilation)
                .map(|(&k, &d)| {
                    // Saturates only for a window too large for any input, which the shape
                    // check then reports.
                    let total = d.saturating_mul(k.saturating_sub(1));
                    (total / 2, total - total / 2)
                })
                .collect(),
        }
    }
}

/// Max or average pooling.
pub struct Pool {
    /// Max (`true`) or average pooling.
    pub max: bool,
    /// Spatial axes: 1 or 2.
    pub axes: usize,
    /// `kernel_size` per axis.
    pub kernel: Vec<usize>,
    /// `stride` per axis (defaults to `kernel_size`).
    pub stride: Vec<usize>,
    /// `padding` per axis.
    pub padding: Vec<usize>,
    /// `dilation` per axis (1 for average pooling).
    pub dilation: Vec<usize>,
    /// `ceil_mode`.
    pub ceil_mode: bool,
    /// `count_include_pad` (average pooling).
    pub count_include_pad: bool,
    /// `divisor_override` (average pooling), 0 for `None`.
    pub divisor_override: usize,
}

/// A fully connected layer.
pub struct Linear {
    /// `in_features`.
    pub in_features: usize,
    /// `out_features`.
    pub out_features: usize,
    /// `bias`.
    pub bias: bool,
}

/// `Flatten(start_dim, end_dim)`, dimensions counted with the batch as 0.
pub struct Flatten {
    /// `start_dim`.
    pub start_dim: i64,
    /// `end_dim`.
    pub end_dim: i64,
}

/// An element-wise activation.
pub struct Activation {
    /// Which function, with its parameters.
    pub kind: ActivationKind,
}

/// The activations `network!` knows, with their parameters.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum ActivationKind {
    /// `ReLU`.
    ReLU,
    /// `ReLU6`.
    ReLU6,
    /// `LeakyReLU(negative_slope)`.
    LeakyReLU(f64),
    /// `Sigmoid`.
    Sigmoid,
    /// `Tanh`.
    Tanh,
    /// `Hardtanh(min_val, max_val)`.
    Hardtanh(f64, f64),
    /// `Hardsigmoid`.
    Hardsigmoid,
    /// `Hardswish`.
    Hardswish,
    /// `SiLU`.
    SiLU,
    /// `GELU`; `true` for `approximate="tanh"`.
    Gelu(bool),
    /// `ELU(alpha)`.
    Elu(f64),
    /// `Softplus(beta, threshold)`.
    Softplus(f64, f64),
}

impl ActivationKind {
    /// Whether an int8 network runs the activation as a clamp of its input's quantized values
    /// (ReLU, ReLU6, Hardtanh), sharing its input's quantization.
    pub fn is_clamp(self) -> bool {
        matches!(self, Self::ReLU | Self::ReLU6 | Self::Hardtanh(..))
    }

    /// Whether the activation has parameters (so its layer is built with `new(..)`).
    pub fn has_parameters(self) -> bool {
        matches!(
            self,
            Self::LeakyReLU(_)
                | Self::Hardtanh(..)
                | Self::Gelu(_)
                | Self::Elu(_)
                | Self::Softplus(..)
        )
    }
}

/// Adaptive average or max pooling to a fixed output size.
pub struct AdaptivePool {
    /// Max (`true`) or average.
    pub max: bool,
    /// `output_size` per axis; `None` keeps the input's size.
    pub output: Vec<Option<usize>>,
}

/// An inference-time batch norm.
pub struct BatchNorm {
    /// 1 for `BatchNorm1d`, 2 for `BatchNorm2d`.
    pub axes: usize,
    /// `num_features`.
    pub num_features: usize,
    /// `eps`.
    pub eps: f64,
    /// `affine`.
    pub affine: bool,
    /// `bias` (keyword-only; only with `affine`).
    pub bias: bool,
}

/// `LayerNorm`.
pub struct LayerNorm {
    /// `normalized_shape`.
    pub normalized_shape: Vec<usize>,
    /// `eps`.
    pub eps: f64,
    /// `elementwise_affine`.
    pub elementwise_affine: bool,
    /// `bias` (only with `elementwise_affine`).
    pub bias: bool,
}

/// `InstanceNorm2d`.
pub struct InstanceNorm {
    /// `num_features`.
    pub num_features: usize,
    /// `eps`.
    pub eps: f64,
    /// `affine`.
    pub affine: bool,
    /// `bias` (keyword-only; only with `affine`).
    pub bias: bool,
    /// `track_running_stats`.
    pub track_running_stats: bool,
}

/// `Softmax` or `LogSoftmax`.
pub struct Softmax {
    /// `LogSoftmax`?
    pub log: bool,
    /// `dim`, counted with the batch as 0; `None` for PyTorch's implicit choice.
    pub dim: Option<i64>,
}

/// `Upsample`.
pub struct Upsample {
    /// `size` per axis, if given.
    pub size: Option<Vec<usize>>,
    /// `scale_factor` per axis, if given.
    pub scale_factor: Option<Vec<f64>>,
    /// `mode`: `"nearest"` or `"bilinear"`.
    pub bilinear: bool,
    /// `align_corners` (bilinear only).
    pub align_corners: bool,
}

/// Resolves every layer node of `graph`, by node (`None` for other nodes, and for unknown or
/// malformed layers, which are reported). Also the second return: whether every layer
/// resolved.
pub fn resolve<'a>(graph: &'a Graph, cx: &mut Ctxt) -> (Vec<Option<Layer<'a>>>, bool) {
    let mut all = true;
    let layers = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(id, node)| {
            let call = node.call()?;
            let before = cx.len();
            let layer = resolve_one(id, node, call, cx);
            all &= layer.is_some();
            if let Some(layer) = &layer
                && !node.keyed
                && !crate::params::declared(layer).is_empty()
            {
                cx.error(
                    call.kind_span(),
                    format!(
                        "name this {}: its tensors need a state_dict key, and inside `{{ .. }}` \
                         or a branch of Add/Mul/Cat an unnamed layer has none (PyTorch keys a \
                         module's layers by their attribute names); write e.g. `conv1 = {}(..)`, \
                         or put the layers in a named Sequential (`body = [..]`) to number them",
                        layer.kind(),
                        layer.kind()
                    ),
                );
                all = false;
            }
            crate::graph::note_instance(graph, node, before, cx);
            layer
        })
        .collect();
    (layers, all)
}

fn resolve_one<'a>(
    id: NodeId,
    node: &'a Node,
    call: &'a LayerCall,
    cx: &mut Ctxt,
) -> Option<Layer<'a>> {
    let (key, field) = (node.path.as_str(), node.field.as_str());
    let name = call.kind_name();
    let is_plain_name = call.kind.segments.len() == 1 && call.kind.leading_colon.is_none();
    let Some(sig) = catalog::lookup(&name).filter(|_| is_plain_name) else {
        let typo = catalog::closest(&name, SIGNATURES.iter().map(|s| s.name));
        if let Some(best) = typo.filter(|_| is_plain_name) {
            cx.error(
                call.kind_span(),
                format!(
                    "unknown layer `{name}`; did you mean `{best}`? (for a layer type of \
                     your own with this name, write its path, e.g. `self::{name}`)"
                ),
            );
            return None;
        }
        return Some(custom(id, key, field, call, cx));
    };
    if name == "Identity" {
        // PyTorch's `Identity(*args, **kwargs)` ignores its arguments.
        return Some(Layer {
            node: id,
            key,
            field,
            call,
            op: Op::Passthrough,
            given: Vec::new(),
            args: Vec::new(),
        });
    }
    let bound = bind(call, sig, cx)?;
    bound.reject_device_and_dtype(cx);
    let op = match name.as_str() {
        "Conv1d" => conv(&bound, cx, 1).map(Op::Conv),
        "Conv2d" => conv(&bound, cx, 2).map(Op::Conv),
        "Conv3d" => conv(&bound, cx, 3).map(Op::Conv),
        "ConvTranspose2d" => conv_transpose(&bound, cx).map(Op::Conv),
        "MaxPool1d" => pool(&bound, cx, 1, true).map(Op::Pool),
        "MaxPool2d" => pool(&bound, cx, 2, true).map(Op::Pool),
        "AvgPool1d" => pool(&bound, cx, 1, false).map(Op::Pool),
        "AvgPool2d" => pool(&bound, cx, 2, false).map(Op::Pool),
        "AdaptiveAvgPool2d" => adaptive_pool(&bound, cx, false).map(Op::AdaptivePool),
        "AdaptiveMaxPool2d" => adaptive_pool(&bound, cx, true).map(Op::AdaptivePool),
        "BatchNorm1d" => batch_norm(&bound, cx, 1).map(Op::BatchNorm),
        "BatchNorm2d" => batch_norm(&bound, cx, 2).map(Op::BatchNorm),
        "LayerNorm" => layer_norm(&bound, cx).map(Op::LayerNorm),
        "InstanceNorm2d" => instance_norm(&bound, cx).map(Op::InstanceNorm),
        "Linear" => linear(&bound, cx).map(Op::Linear),
        "Flatten" => flatten(&bound, cx).map(Op::Flatten),
        "Identity" => Some(Op::Passthrough),
        "Dropout" => dropout(&bound, cx).map(|()| Op::Passthrough),
        "Softmax" | "LogSoftmax" => softmax(&bound, cx, name == "LogSoftmax").map(Op::Softmax),
        "Upsample" => upsample(&bound, cx).map(Op::Upsample),
        _ => activation(&bound, cx, &name).map(|kind| Op::Activation(Activation { kind })),
    };
    // Rules that do not change the shape (divisibility, PyTorch's limits) were reported but
    // keep the layer, so the layers after it are still checked.
    let op = op?;
    let given =
        sig.params.iter().filter_map(|p| bound.given(p.name).map(|v| (p.name, v))).collect();
    let args = sig.params.iter().map(|p| (p.name, bound.value(p.name))).collect();
    let layer = Layer { node: id, key, field, call, op, given, args };
    // A layer whose parameters cannot be stored is unresolved, like one with a missing
    // argument: the layers after it are not checked against a shape it cannot have.
    check_parameter_sizes(&layer, cx).then_some(layer)
}

/// Every parameter tensor of `layer`, and all of them together, must fit in a Rust value
/// (at most `isize::MAX` bytes; see [`shape::too_many_elements`]). Reports the argument that
/// makes them too large.
fn check_parameter_sizes(layer: &Layer, cx: &mut Ctxt) -> bool {
    let mut total: u128 = 0;
    let mut biggest: Option<(u128, Declared)> = None;
    for tensor in declared(layer) {
        let numel = tensor.dims.iter().fold(1u128, |n, &d| n.saturating_mul(d as u128));
        total = total.saturating_add(numel);
        if biggest.as_ref().is_none_or(|(n, _)| numel > *n) {
            biggest = Some((numel, tensor));
        }
    }
    let Some((biggest_numel, tensor)) = biggest else { return true };
    let Some(why) = shape::too_many_elements(total) else { return true };
    let blame = match &layer.op {
        Op::Conv(_) => ["out_channels", "in_channels", "kernel_size"].as_slice(),
        Op::Linear(_) => &["out_features", "in_features"],
        Op::LayerNorm(_) => &["normalized_shape"],
        _ => &["num_features"],
    };
    let name = largest_argument(layer, blame);
    let dims = tensor.dims.iter().map(ToString::to_string).collect::<Vec<_>>().join(" x ");
    let what = if total > biggest_numel {
        format!("parameters too large (the largest, its {}, is {dims})", tensor.name)
    } else {
        format!("{} {dims}", tensor.name)
    };
    cx.error(
        layer.span(name),
        format!(
            "this `{name}`{} makes {}'s {what}: {why}; use a smaller `{name}`",
            layer.written_note(name),
            layer.kind()
        ),
    );
    false
}

/// Of the parameters `names`, the one given with the largest value (the one to blame for a
/// size that is too large); the first if none is given.
fn largest_argument(layer: &Layer, names: &[&'static str]) -> &'static str {
    let largest = |v: &Value| match v {
        Value::Int(i) => *i,
        Value::Tuple(items) => items
            .iter()
            .filter_map(|v| if let Value::Int(i) = v { Some(*i) } else { None })
            .max()
            .unwrap_or(0),
        _ => 0,
    };
    names.iter().copied().max_by_key(|name| layer.arg(name).map_or(0, largest)).unwrap_or("")
}

fn custom<'a>(
    node: NodeId,
    key: &'a str,
    field: &'a str,
    call: &'a LayerCall,
    cx: &mut Ctxt,
) -> Layer<'a> {
    if let Some(arg) = call.args.iter().find(|a| a.keyword.is_some()) {
        cx.error(
            arg.value.at,
            "a layer of your own is built with `Default::default()` (no arguments) or \
             `new(..)` (positional arguments); keywords are not supported",
        );
    }
    Layer {
        node,
        key,
        field,
        call,
        op: Op::Custom(call.kind.clone()),
        given: Vec::new(),
        args: Vec::new(),
    }
}

fn conv(b: &Bound, cx: &mut Ctxt, axes: usize) -> Option<Conv> {
    let in_channels = b.int(cx, "in_channels", 1);
    let out_channels = b.int(cx, "out_channels", 1);
    let kernel = b.per_axis(cx, "kernel_size", axes, 1);
    let stride = b.per_axis(cx, "stride", axes, 1);
    let dilation = b.per_axis(cx, "dilation", axes, 1);
    let groups = b.int(cx, "groups", 1);
    let bias = b.bool(cx, "bias");
    let padding_mode = b.choice(cx, "padding_mode", &["zeros", "reflect", "replicate", "circular"]);
    let padding = match b.value("padding") {
        Value::Str(_) => b
            .choice(cx, "padding", &["same", "valid"])
            .map(|s| if s == "same" { Padding::Same } else { Padding::Valid }),
        _ => b.per_axis(cx, "padding", axes, 0).map(Padding::Symmetric),
    };
    let conv = Conv {
        axes,
        transposed: false,
        output_padding: vec![0; axes],
        in_channels: in_channels?,
        out_channels: out_channels?,
        kernel: kernel?,
        stride: stride?,
        padding: padding?,
        dilation: dilation?,
        groups: groups?,
        bias: bias?,
        padding_mode: padding_mode?,
    };
    check_groups(b, cx, &conv);
    if conv.padding == Padding::Same && conv.stride.iter().any(|&s| s != 1) {
        cx.error(
            b.span("padding"),
            format!(
                "{} with padding=\"same\" needs stride 1 (PyTorch's rule), but stride is {}{}; \
                 give the padding as numbers instead",
                b.sig.name,
                crate::repr::tuple(&conv.stride),
                b.written_note("stride")
            ),
        );
    }
    Some(conv)
}

fn pool(b: &Bound, cx: &mut Ctxt, axes: usize, max: bool) -> Option<Pool> {
    let kernel = b.per_axis(cx, "kernel_size", axes, 1);
    let stride = match b.value("stride") {
        Value::None => kernel.clone(),
        _ => b.per_axis(cx, "stride", axes, 1),
    };
    let padding = b.per_axis(cx, "padding", axes, 0);
    let dilation = if max { b.per_axis(cx, "dilation", axes, 1) } else { Some(vec![1; axes]) };
    let ceil_mode = b.bool(cx, "ceil_mode");
    let (count_include_pad, divisor_override) = if max {
        if b.bool(cx, "return_indices") == Some(true) {
            cx.error(
                b.span("return_indices"),
                format!(
                    "{} with return_indices=True is not supported: a network has one output",
                    b.sig.name
                ),
            );
        }
        (Some(true), Ok(None))
    } else {
        let divisor = if axes == 2 { b.optional_int(cx, "divisor_override", 1) } else { Ok(None) };
        (b.bool(cx, "count_include_pad"), divisor)
    };
    let pool = Pool {
        max,
        axes,
        kernel: kernel?,
        stride: stride?,
        padding: padding?,
        dilation: dilation?,
        ceil_mode: ceil_mode?,
        count_include_pad: count_include_pad?,
        divisor_override: divisor_override.ok()?.unwrap_or(0),
    };
    for (axis, (&p, &k)) in pool.padding.iter().zip(&pool.kernel).enumerate() {
        if p > k / 2 {
            cx.error(
                b.span("padding"),
                format!(
                    "{} `padding` must be at most half of `kernel_size` (PyTorch's rule), \
                     found padding {} for kernel size {}",
                    b.sig.name,
                    b.shown("padding", axis, p),
                    b.shown("kernel_size", axis, k)
                ),
            );
            break;
        }
    }
    Some(pool)
}

fn linear(b: &Bound, cx: &mut Ctxt) -> Option<Linear> {
    let in_features = b.int(cx, "in_features", 1);
    let out_features = b.int(cx, "out_features", 1);
    let bias = b.bool(cx, "bias");
    Some(Linear { in_features: in_features?, out_features: out_features?, bias: bias? })
}

fn flatten(b: &Bound, cx: &mut Ctxt) -> Option<Flatten> {
    let start_dim = b.signed(cx, "start_dim");
    let end_dim = b.signed(cx, "end_dim");
    Some(Flatten { start_dim: start_dim?, end_dim: end_dim? })
}

fn conv_transpose(b: &Bound, cx: &mut Ctxt) -> Option<Conv> {
    let in_channels = b.int(cx, "in_channels", 1);
    let out_channels = b.int(cx, "out_channels", 1);
    let kernel = b.per_axis(cx, "kernel_size", 2, 1);
    let stride = b.per_axis(cx, "stride", 2, 1);
    let padding = b.per_axis(cx, "padding", 2, 0);
    let output_padding = b.per_axis(cx, "output_padding", 2, 0);
    let dilation = b.per_axis(cx, "dilation", 2, 1);
    let groups = b.int(cx, "groups", 1);
    let bias = b.bool(cx, "bias");
    let padding_mode = b.choice(cx, "padding_mode", &["zeros"]);
    let conv = Conv {
        axes: 2,
        transposed: true,
        output_padding: output_padding?,
        in_channels: in_channels?,
        out_channels: out_channels?,
        kernel: kernel?,
        stride: stride?,
        padding: Padding::Symmetric(padding?),
        dilation: dilation?,
        groups: groups?,
        bias: bias?,
        padding_mode: padding_mode?,
    };
    check_groups(b, cx, &conv);
    let axes = conv.output_padding.iter().zip(&conv.stride).zip(&conv.dilation).enumerate();
    for (axis, ((&op, &s), &d)) in axes {
        if op >= s && op >= d {
            cx.error(
                b.span("output_padding"),
                format!(
                    "ConvTranspose2d `output_padding` must be smaller than either `stride` or \
                     `dilation` (PyTorch's rule), found output_padding {} with stride {} \
                     and dilation {}",
                    b.shown("output_padding", axis, op),
                    b.shown("stride", axis, s),
                    b.shown("dilation", axis, d)
                ),
            );
            break;
        }
    }
    Some(conv)
}

fn check_groups(b: &Bound, cx: &mut Ctxt, conv: &Conv) {
    for (what, count) in [("in_channels", conv.in_channels), ("out_channels", conv.out_channels)] {
        if count % conv.groups != 0 {
            cx.error(
                b.span(what),
                format!(
                    "{} `{what}` ({}) must be divisible by `groups` ({})",
                    b.sig.name,
                    b.shown(what, 0, count),
                    b.shown("groups", 0, conv.groups)
                ),
            );
        }
    }
}

fn adaptive_pool(b: &Bound, cx: &mut Ctxt, max: bool) -> Option<AdaptivePool> {
    if max && b.bool(cx, "return_indices") == Some(true) {
        cx.error(
            b.span("return_indices"),
            "AdaptiveMaxPool2d with return_indices=True is not supported: a network has one output",
        );
    }
    let output = match b.value("output_size") {
        Value::Int(_) => b.per_axis(cx, "output_size", 2, 1)?.into_iter().map(Some).collect(),
        Value::Tuple(items) if items.len() == 2 => {
            let mut sizes = Vec::new();
            for (axis, item) in items.into_iter().enumerate() {
                match item {
                    Value::None => sizes.push(None),
                    Value::Int(i) if i >= 1 => sizes.push(usize::try_from(i).ok()),
                    other => {
                        cx.error(
                            b.item_at("output_size", axis),
                            format!(
                                "{} `output_size` expects positive integers or None, found {}",
                                b.sig.name,
                                b.described("output_size", axis, &other)
                            ),
                        );
                        return None;
                    }
                }
            }
            sizes
        }
        other => {
            cx.error(
                b.span("output_size"),
                format!(
                    "{} `output_size` expects an integer or a tuple of 2 (integers or None), \
                     found {}",
                    b.sig.name,
                    other.describe()
                ),
            );
            return None;
        }
    };
    Some(AdaptivePool { max, output })
}

fn batch_norm(b: &Bound, cx: &mut Ctxt, axes: usize) -> Option<BatchNorm> {
    let num_features = b.int(cx, "num_features", 1);
    let eps = b.positive_float(cx, "eps");
    let affine = b.bool(cx, "affine");
    if !matches!(b.value("momentum"), Value::None) {
        b.float(cx, "momentum");
    }
    if b.bool(cx, "track_running_stats") == Some(false) {
        cx.error(
            b.span("track_running_stats"),
            format!(
                "{} with track_running_stats=False normalises each batch by its own statistics \
                 even in eval mode; staticnn runs one sample at a time and needs the running \
                 statistics: train with track_running_stats=True",
                b.sig.name
            ),
        );
    }
    let bias = b.bool(cx, "bias");
    Some(BatchNorm { axes, num_features: num_features?, eps: eps?, affine: affine?, bias: bias? })
}

fn layer_norm(b: &Bound, cx: &mut Ctxt) -> Option<LayerNorm> {
    let normalized_shape = match b.value("normalized_shape") {
        Value::Int(_) => b.per_axis(cx, "normalized_shape", 1, 1),
        Value::Tuple(items) if (1..=4).contains(&items.len()) => {
            b.per_axis(cx, "normalized_shape", items.len(), 1)
        }
        other => {
            cx.error(
                b.span("normalized_shape"),
                format!(
                    "LayerNorm `normalized_shape` expects an integer or a tuple of 1 to 4 \
                     integers, found {}",
                    other.describe()
                ),
            );
            None
        }
    };
    let eps = b.positive_float(cx, "eps");
    let elementwise_affine = b.bool(cx, "elementwise_affine");
    let bias = b.bool(cx, "bias");
    Some(LayerNorm {
        normalized_shape: normalized_shape?,
        eps: eps?,
        elementwise_affine: elementwise_affine?,
        bias: bias?,
    })
}

fn instance_norm(b: &Bound, cx: &mut Ctxt) -> Option<InstanceNorm> {
    let num_features = b.int(cx, "num_features", 1);
    let eps = b.positive_float(cx, "eps");
    let affine = b.bool(cx, "affine");
    let track_running_stats = b.bool(cx, "track_running_stats");
    if !matches!(b.value("momentum"), Value::None) {
        b.float(cx, "momentum");
    }
    let bias = b.bool(cx, "bias");
    Some(InstanceNorm {
        num_features: num_features?,
        eps: eps?,
        affine: affine?,
        bias: bias?,
        track_running_stats: track_running_stats?,
    })
}

fn dropout(b: &Bound, cx: &mut Ctxt) -> Option<()> {
    let p = b.float(cx, "p")?;
    if !(0.0..=1.0).contains(&p) {
        cx.error(b.span("p"), format!("Dropout `p` is a probability between 0 and 1, found {p}"));
    }
    b.bool(cx, "inplace")?;
    Some(())
}

fn softmax(b: &Bound, cx: &mut Ctxt, log: bool) -> Option<Softmax> {
    let dim = match b.value("dim") {
        Value::None => None,
        _ => Some(b.signed(cx, "dim")?),
    };
    Some(Softmax { log, dim })
}

fn upsample(b: &Bound, cx: &mut Ctxt) -> Option<Upsample> {
    let size = match b.value("size") {
        Value::None => None,
        _ => Some(b.per_axis(cx, "size", 2, 1)?),
    };
    let scale_factor = match b.value("scale_factor") {
        Value::None => None,
        Value::Tuple(items) if items.len() == 2 => {
            let mut factors = Vec::new();
            for (axis, item) in items.into_iter().enumerate() {
                match item {
                    Value::Int(i) if i > 0 => factors.push(i as f64),
                    Value::Float(f) if f > 0.0 => factors.push(f),
                    other => {
                        cx.error(
                            b.item_at("scale_factor", axis),
                            format!(
                                "Upsample `scale_factor` expects positive numbers, found {}",
                                b.described("scale_factor", axis, &other)
                            ),
                        );
                        return None;
                    }
                }
            }
            Some(factors)
        }
        _ => {
            let f = b.positive_float(cx, "scale_factor")?;
            Some(vec![f, f])
        }
    };
    if size.is_some() == scale_factor.is_some() {
        cx.error(b.call.args_span, "Upsample needs exactly one of `size` and `scale_factor`");
        return None;
    }
    let mode = b.choice(cx, "mode", &["nearest", "bilinear"])?;
    let bilinear = mode == "bilinear";
    let align_corners = match b.value("align_corners") {
        Value::None => false,
        _ => {
            let aligned = b.bool(cx, "align_corners")?;
            if !bilinear {
                cx.error(
                    b.span("align_corners"),
                    "Upsample `align_corners` only applies to mode=\"bilinear\" (PyTorch \
                     refuses it with \"nearest\"); remove it",
                );
            }
            aligned
        }
    };
    if !matches!(b.value("recompute_scale_factor"), Value::None | Value::Bool(false)) {
        cx.error(
            b.span("recompute_scale_factor"),
            "Upsample `recompute_scale_factor=True` is not supported; leave it None",
        );
    }
    Some(Upsample { size, scale_factor, bilinear, align_corners })
}

fn activation(b: &Bound, cx: &mut Ctxt, name: &str) -> Option<ActivationKind> {
    if b.sig.params.iter().any(|p| p.name == "inplace") {
        b.bool(cx, "inplace")?;
    }
    Some(match name {
        "ReLU" => ActivationKind::ReLU,
        "ReLU6" => ActivationKind::ReLU6,
        "LeakyReLU" => ActivationKind::LeakyReLU(b.float(cx, "negative_slope")?),
        "Sigmoid" => ActivationKind::Sigmoid,
        "Tanh" => ActivationKind::Tanh,
        "Hardtanh" => {
            let (min, max) = (b.float(cx, "min_val")?, b.float(cx, "max_val")?);
            if min >= max {
                cx.error(
                    b.span("max_val"),
                    format!("Hardtanh needs max_val > min_val, found min_val {min}, max_val {max}"),
                );
            }
            ActivationKind::Hardtanh(min, max)
        }
        "Hardsigmoid" => ActivationKind::Hardsigmoid,
        "Hardswish" => ActivationKind::Hardswish,
        "SiLU" => ActivationKind::SiLU,
        "GELU" => ActivationKind::Gelu(b.choice(cx, "approximate", &["none", "tanh"])? == "tanh"),
        "ELU" => ActivationKind::Elu(b.float(cx, "alpha")?),
        "Softplus" => ActivationKind::Softplus(b.float(cx, "beta")?, b.float(cx, "threshold")?),
        _ => {
            cx.error(b.call.kind_span(), format!("`{name}` is not a layer staticnn knows"));
            return None;
        }
    })
}
