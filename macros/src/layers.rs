//! Resolves each layer call into an [`Op`]: the layer's hyper-parameters as plain numbers,
//! validated on their own (before any shape is known).

use proc_macro2::Span;
use syn::Path;

use crate::ast::{LayerCall, Value};
use crate::bind::{Bound, bind};
use crate::catalog::{self, SIGNATURES};
use crate::ctxt::Ctxt;

/// One layer of a network, resolved.
pub struct Layer<'a> {
    /// Its position in the list (its `nn.Sequential` index).
    pub index: usize,
    /// The call as written.
    pub call: &'a LayerCall,
    /// What it computes.
    pub op: Op,
    /// The span of each argument given, by parameter name (errors point there).
    pub arg_spans: Vec<(&'static str, Span)>,
    /// The arguments as written, by parameter name (for PyTorch's printed form).
    pub args: Vec<(&'static str, Value)>,
}

impl Layer<'_> {
    /// Where an error about parameter `name` should point: the argument, or the layer's name.
    pub fn span(&self, name: &str) -> Span {
        self.arg_spans
            .iter()
            .find(|(n, _)| *n == name)
            .map_or_else(|| self.call.kind_span(), |(_, s)| *s)
    }

    /// The value of parameter `name` as the user wrote it (after defaults).
    pub fn arg(&self, name: &str) -> Option<&Value> {
        self.args.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// The layer's class name (`Conv2d`).
    pub fn kind(&self) -> String {
        self.call.kind_name()
    }

    /// The field name: the user's name, or `layer{index}`.
    pub fn field_name(&self) -> String {
        self.call.name.as_ref().map_or_else(|| format!("layer{}", self.index), ToString::to_string)
    }

    /// The `state_dict` prefix: the user's name, or the `nn.Sequential` index.
    pub fn state_dict_name(&self) -> String {
        self.call.name.as_ref().map_or_else(|| self.index.to_string(), ToString::to_string)
    }
}

/// What a layer computes, with its hyper-parameters as numbers.
pub enum Op {
    /// `Conv1d`, `Conv2d`, `Conv3d`.
    Conv(Conv),
    /// `MaxPool1d/2d`, `AvgPool1d/2d`.
    Pool(Pool),
    /// `Linear`.
    Linear(Linear),
    /// `Flatten`.
    Flatten(Flatten),
    /// An element-wise activation.
    Activation(Activation),
    /// A layer type of the user's, checked by the type system only.
    Custom(Path),
}

/// A convolution.
pub struct Conv {
    /// Spatial axes: 1, 2 or 3.
    pub axes: usize,
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
                    let total = d * (k - 1);
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
    /// Which function.
    pub kind: ActivationKind,
}

/// The activations `network!` knows.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ActivationKind {
    /// `ReLU`.
    ReLU,
}

/// Resolves every layer of a network; unknown or malformed layers are reported and skipped.
pub fn resolve<'a>(calls: &'a [LayerCall], cx: &mut Ctxt) -> Vec<Option<Layer<'a>>> {
    calls.iter().enumerate().map(|(index, call)| resolve_one(index, call, cx)).collect()
}

fn resolve_one<'a>(index: usize, call: &'a LayerCall, cx: &mut Ctxt) -> Option<Layer<'a>> {
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
        return Some(custom(index, call, cx));
    };
    let bound = bind(call, sig, cx)?;
    bound.reject_device_and_dtype(cx);
    let op = match name.as_str() {
        "Conv1d" => conv(&bound, cx, 1).map(Op::Conv),
        "Conv2d" => conv(&bound, cx, 2).map(Op::Conv),
        "Conv3d" => conv(&bound, cx, 3).map(Op::Conv),
        "MaxPool1d" => pool(&bound, cx, 1, true).map(Op::Pool),
        "MaxPool2d" => pool(&bound, cx, 2, true).map(Op::Pool),
        "AvgPool1d" => pool(&bound, cx, 1, false).map(Op::Pool),
        "AvgPool2d" => pool(&bound, cx, 2, false).map(Op::Pool),
        "Linear" => linear(&bound, cx).map(Op::Linear),
        "Flatten" => flatten(&bound, cx).map(Op::Flatten),
        "ReLU" => Some(Op::Activation(Activation { kind: ActivationKind::ReLU })),
        _ => {
            cx.error(
                call.kind_span(),
                format!("`{name}` is a torch.nn layer that staticnn does not implement yet"),
            );
            None
        }
    };
    // Rules that do not change the shape (divisibility, PyTorch's limits) were reported but
    // keep the layer, so the layers after it are still checked.
    let op = op?;
    let arg_spans =
        sig.params.iter().filter_map(|p| bound.given(p.name).map(|v| (p.name, v.span))).collect();
    let args = sig.params.iter().map(|p| (p.name, bound.value(p.name))).collect();
    Some(Layer { index, call, op, arg_spans, args })
}

fn custom<'a>(index: usize, call: &'a LayerCall, cx: &mut Ctxt) -> Layer<'a> {
    if let Some(arg) = call.args.iter().find(|a| a.keyword.is_some()) {
        cx.error(
            arg.value.span,
            "a layer of your own is built with `Default::default()` (no arguments) or \
             `new(..)` (positional arguments); keywords are not supported",
        );
    }
    Layer {
        index,
        call,
        op: Op::Custom(call.kind.clone()),
        arg_spans: Vec::new(),
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
    for (what, count) in [("in_channels", conv.in_channels), ("out_channels", conv.out_channels)] {
        if count % conv.groups != 0 {
            cx.error(
                b.span(what),
                format!(
                    "{} `{what}` ({count}) must be divisible by `groups` ({})",
                    b.sig.name, conv.groups
                ),
            );
        }
    }
    if conv.padding == Padding::Same && conv.stride.iter().any(|&s| s != 1) {
        cx.error(
            b.span("padding"),
            format!(
                "{} with padding=\"same\" needs stride 1 (PyTorch's rule), but stride is {}; \
                 give the padding as numbers instead",
                b.sig.name,
                crate::repr::tuple(&conv.stride)
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
    for (&p, &k) in pool.padding.iter().zip(&pool.kernel) {
        if p > k / 2 {
            cx.error(
                b.span("padding"),
                format!(
                    "{} `padding` must be at most half of `kernel_size` (PyTorch's rule), \
                     found padding {p} for kernel size {k}",
                    b.sig.name
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
