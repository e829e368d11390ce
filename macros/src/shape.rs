//! Each layer's input and output shape, computed once with PyTorch's formulas, and the shape
//! rules: every mismatch is reported with what was expected, what was found, where the found
//! shape came from, and how to fix it.

use std::fmt;

use crate::ast::{BlockKind, InputShape, Spanned, Value};
use crate::ctxt::Ctxt;
use crate::graph::{Graph, NodeOp};
use crate::layers::{
    AdaptivePool, BatchNorm, Conv, Flatten, InstanceNorm, Layer, LayerNorm, Linear, Op, Padding,
    Pool, Softmax, Upsample,
};

/// A sample's shape, without the batch dimension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape(pub Vec<usize>);

/// The most `f32`s a tensor may hold: a Rust value has at most `isize::MAX` bytes.
pub const MAX_ELEMENTS: usize = isize::MAX.unsigned_abs() / size_of::<f32>();

/// Why `n` elements cannot be one tensor, if they cannot: more than `usize` counts, or more
/// bytes than a Rust value may have.
pub fn too_many_elements(n: u128) -> Option<String> {
    if usize::try_from(n).is_err() {
        Some("more elements than usize can count".to_owned())
    } else if n > MAX_ELEMENTS as u128 {
        Some(format!(
            "{n} floats are {} bytes, more than a Rust value can hold (isize::MAX = {} bytes)",
            n.saturating_mul(size_of::<f32>() as u128),
            isize::MAX
        ))
    } else {
        None
    }
}

impl Shape {
    /// The number of elements. Every shape the checks accept has at most [`MAX_ELEMENTS`];
    /// this saturates at `usize::MAX` rather than overflow.
    pub fn numel(&self) -> usize {
        self.0.iter().fold(1, |n: usize, &d| n.saturating_mul(d))
    }

    /// `64 x 4 x 4`.
    pub fn product_text(&self) -> String {
        self.0.iter().map(ToString::to_string).collect::<Vec<_>>().join(" x ")
    }

    /// What a sample of this rank is called, for messages.
    fn noun(&self) -> &'static str {
        match self.0.len() {
            1 => "vector",
            2 => "sequence",
            3 => "feature map",
            _ => "volume",
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dims: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        write!(f, "[{}]", dims.join(", "))
    }
}

/// The input and output shape of one layer; `None` where it is unknown (after an error, or
/// after a layer of the user's own, whose shapes only the type system knows).
#[derive(Clone, Default)]
pub struct Stage {
    /// The layer's output shape.
    pub output: Option<Shape>,
}

/// What produced the shape a layer receives, so a message can say where it came from.
#[derive(Clone)]
enum Origin {
    Input,
    /// A layer; for `Flatten`, the shape it flattened.
    Layer {
        kind: String,
        flattened: Option<Shape>,
    },
}

/// Checks the declared input shape; `None` after reporting a malformed one.
pub fn input_shape(input: &InputShape, cx: &mut Ctxt) -> Option<Shape> {
    if input.dims.is_empty() || input.dims.len() > 4 {
        cx.error(
            input.span,
            format!(
                "expected an input shape of 1 to 4 sizes ([N], [C, L], [C, H, W] or \
                 [C, D, H, W], without the batch dimension), found {} sizes",
                input.dims.len()
            ),
        );
        return None;
    }
    let mut dims = Vec::with_capacity(input.dims.len());
    for dim in &input.dims {
        match usize::try_from(dim.value) {
            Ok(size) if size > 0 => dims.push(size),
            _ => {
                let shown =
                    dim.written.first().map_or(dim.value.to_string(), |w| w.show(dim.value));
                cx.error(dim.at, format!("input sizes must be positive, found {shown}"));
            }
        }
    }
    if dims.len() < input.dims.len() {
        return None;
    }
    let shape = Shape(dims);
    let numel = shape.0.iter().fold(1u128, |n, &d| n.saturating_mul(d as u128));
    if let Some(why) = too_many_elements(numel) {
        cx.error(input.span, format!("the input {} is too large: {why}", shape.product_text()));
        return None;
    }
    Some(shape)
}

/// `dims` as the output shape of `layer`, if a tensor can hold it (see
/// [`too_many_elements`]); else an error at `blame`, the argument that makes it this large.
fn bounded(layer: &Layer, blame: &str, dims: &[u128], cx: &mut Ctxt) -> Option<Shape> {
    let numel = dims.iter().fold(1u128, |n, &d| n.saturating_mul(d));
    let sizes: Option<Vec<usize>> = dims.iter().map(|&d| usize::try_from(d).ok()).collect();
    match (too_many_elements(numel), sizes) {
        (None, Some(sizes)) => Some(Shape(sizes)),
        (why, _) => {
            let text = dims.iter().map(ToString::to_string).collect::<Vec<_>>().join(" x ");
            let why = why.unwrap_or_else(|| "a size larger than usize can count".to_owned());
            cx.error(
                layer.span(blame),
                format!(
                    "this `{blame}`{} makes the output of {} {text}: {why}; use a smaller \
                     `{blame}`",
                    layer.written_note(blame),
                    layer.kind()
                ),
            );
            None
        }
    }
}

/// Computes every node's output shape from `input`, reporting each mismatch. A node whose
/// input is unknown is not checked, so one mistake is reported once, not again at every later
/// node. Returns one [`Stage`] per node of `graph`.
pub fn infer(
    graph: &Graph,
    input: Option<Shape>,
    layers: &[Option<Layer>],
    cx: &mut Ctxt,
) -> Vec<Stage> {
    let mut stages: Vec<Stage> = Vec::with_capacity(graph.nodes.len());
    let mut origins: Vec<Origin> = Vec::with_capacity(graph.nodes.len());
    for (id, node) in graph.nodes.iter().enumerate() {
        let before = cx.len();
        let (output, origin) = match &node.op {
            NodeOp::Input => (input.clone(), Origin::Input),
            NodeOp::Layer(_) => {
                let source = node.inputs.first().copied().unwrap_or(0);
                let current = stages.get(source).and_then(|s| s.output.clone());
                let origin = origins.get(source).cloned().unwrap_or(Origin::Input);
                let layer = layers.get(id).and_then(Option::as_ref);
                infer_layer(layer, current, origin, cx)
            }
            NodeOp::Combine { kind, dim, branches } => {
                let inputs: Vec<Option<Shape>> = node
                    .inputs
                    .iter()
                    .map(|&i| stages.get(i).and_then(|s| s.output.clone()))
                    .collect();
                let sources: Vec<String> =
                    node.inputs.iter().map(|&i| describe_branch(graph, layers, i)).collect();
                let combine = Combine { kind: *kind, dim: dim.as_ref(), branches, span: node.span };
                let output = check_combine(&combine, &inputs, &sources, cx);
                (output, Origin::Layer { kind: kind.describe().to_owned(), flattened: None })
            }
        };
        crate::graph::note_instance(graph, node, before, cx);
        stages.push(Stage { output });
        origins.push(origin);
    }
    stages
}

/// One layer's output shape and where the next layer's input comes from.
fn infer_layer(
    layer: Option<&Layer>,
    current: Option<Shape>,
    origin: Origin,
    cx: &mut Ctxt,
) -> (Option<Shape>, Origin) {
    let output = match (layer, &current) {
        (Some(layer), Some(shape)) => check_layer(layer, shape, &origin, cx),
        (Some(layer), None) => output_without_input(layer),
        (None, _) => None,
    };
    if let (Some(layer), Some(out)) = (layer, &output)
        && let Some(axis) = out.0.iter().position(|&d| d == 0)
    {
        cx.error(
            layer.call.kind_span(),
            format!(
                "{} would produce an empty output: its output shape is {out} \
                 (size 0 along dimension {axis})",
                layer.kind()
            ),
        );
    }
    // Layers that keep the shape (activations, norms) do not change where it came from.
    let keeps_shape = matches!(
        layer.map(|l| &l.op),
        Some(
            Op::Activation(_)
                | Op::Passthrough
                | Op::BatchNorm(_)
                | Op::LayerNorm(_)
                | Op::InstanceNorm(_)
                | Op::Softmax(_)
        )
    );
    let origin = match layer.filter(|_| !keeps_shape) {
        Some(layer) => {
            let flattened = matches!(layer.op, Op::Flatten(_)).then_some(current).flatten();
            Origin::Layer { kind: layer.kind(), flattened }
        }
        None => origin,
    };
    (output, origin)
}

/// A layer as messages name the producer of a shape: `Conv2d`, `Conv2d (stride 2)`.
fn layer_summary(layer: &Layer) -> String {
    let stride = match &layer.op {
        Op::Conv(c) if c.stride.iter().any(|&s| s != 1) => Some(&c.stride),
        Op::Pool(p) if p.stride.iter().any(|&s| s != 1) => Some(&p.stride),
        _ => None,
    };
    match stride {
        Some(s) if s.iter().all(|&v| v == s[0]) => format!("{} (stride {})", layer.kind(), s[0]),
        Some(s) => format!("{} (stride {})", layer.kind(), crate::repr::tuple(s)),
        None => layer.kind(),
    }
}

/// What a branch does to the shape, for messages: its strided layers (`conv1: Conv2d, stride
/// 2`) and the layer that ends it, found by walking back from the branch's output to where the
/// branches fork (a node read by more than one node, the network's input, or another
/// combinator).
fn describe_branch(graph: &Graph, layers: &[Option<Layer>], output: usize) -> String {
    let readers = |n: usize| graph.nodes.iter().filter(|m| m.inputs.contains(&n)).count();
    let mut strided = Vec::new();
    let mut last = None;
    let mut node = output;
    while let Some(layer) = layers.get(node).and_then(Option::as_ref) {
        if !matches!(layer.op, Op::Activation(_) | Op::Passthrough | Op::BatchNorm(_)) {
            last.get_or_insert_with(|| format!("ends with `{}`: {}", layer.key, layer.kind()));
        }
        let summary = layer_summary(layer);
        if summary != layer.kind() {
            strided.push(format!("`{}`: {summary}", layer.key));
        }
        let Some(&source) = graph.nodes[node].inputs.first() else { break };
        if readers(source) > 1 {
            break;
        }
        node = source;
    }
    let mut parts: Vec<String> = last.into_iter().collect();
    strided.reverse();
    if !strided.is_empty() {
        parts.push(format!("through {}", strided.join(", ")));
    }
    if parts.is_empty() { "the block's input, unchanged".to_owned() } else { parts.join(", ") }
}

/// A combinator node, as the shape rules see it.
struct Combine<'a> {
    kind: BlockKind,
    dim: Option<&'a Spanned<Value>>,
    branches: &'a [String],
    span: proc_macro2::Span,
}

/// The output of `Add`, `Mul` or `Cat` from its branches' shapes (unknown ones skip the
/// check), reporting branches that do not agree.
fn check_combine(
    node: &Combine,
    inputs: &[Option<Shape>],
    sources: &[String],
    cx: &mut Ctxt,
) -> Option<Shape> {
    let known: Vec<(usize, &Shape)> =
        inputs.iter().enumerate().filter_map(|(i, s)| s.as_ref().map(|s| (i, s))).collect();
    if known.len() < inputs.len() {
        return None;
    }
    let describe =
        |i: usize, shape: &Shape| format!("{} produces {shape} ({})", node.branches[i], sources[i]);
    let (first_index, first) = *known.first()?;
    match node.kind {
        BlockKind::Add => {
            for &(i, shape) in &known[1..] {
                if shape != first {
                    cx.error(
                        node.span,
                        format!(
                            "Add needs branches of one shape, but {} and {}; {}",
                            describe(first_index, first),
                            describe(i, shape),
                            mismatch_fix(
                                first,
                                shape,
                                (&node.branches[first_index], &node.branches[i])
                            )
                        ),
                    );
                    return None;
                }
            }
            Some(first.clone())
        }
        BlockKind::Mul => {
            let mut out = first.clone();
            for &(i, shape) in &known[1..] {
                match broadcast(&out, shape) {
                    Some(b) => out = b,
                    None => {
                        cx.error(
                            node.span,
                            format!(
                                "Mul multiplies element-wise with broadcasting (each size equal, \
                                 or 1 in one of them), but {} and {}",
                                describe(first_index, first),
                                describe(i, shape)
                            ),
                        );
                        return None;
                    }
                }
            }
            Some(out)
        }
        BlockKind::Cat => check_cat(node, &known, &describe, cx),
        BlockKind::Sequential | BlockKind::Module => Some(first.clone()),
    }
}

/// `Cat`: the same rank and sizes but along `dim` (the channels), which add up.
fn check_cat(
    node: &Combine,
    known: &[(usize, &Shape)],
    describe: &dyn Fn(usize, &Shape) -> String,
    cx: &mut Ctxt,
) -> Option<Shape> {
    let (first_index, first) = *known.first()?;
    let rank = first.0.len();
    let ndim = i64::try_from(rank).unwrap_or(i64::MAX) + 1;
    let (dim, dim_span) = match node.dim {
        None => (1, node.span),
        Some(Spanned { value: Value::Int(d), span, .. }) => (*d, *span),
        Some(other) => {
            cx.error(
                other.span,
                format!("Cat's `dim` is an integer, found {}", other.value.describe()),
            );
            return None;
        }
    };
    let resolved = if dim < 0 { dim + ndim } else { dim };
    if resolved != 1 {
        cx.error(
            dim_span,
            format!(
                "Cat concatenates along the channels, `dim = 1` (or {}), found `dim = {dim}`; \
                 dimension 0 is the batch",
                1 - ndim
            ),
        );
        return None;
    }
    let mut channels = first.0[0];
    for &(i, shape) in &known[1..] {
        if shape.0.len() != rank || shape.0[1..] != first.0[1..] {
            cx.error(
                node.span,
                format!(
                    "Cat joins the channels of branches whose other sizes agree, but {} and {}",
                    describe(first_index, first),
                    describe(i, shape)
                ),
            );
            return None;
        }
        channels = channels.checked_add(shape.0[0])?;
    }
    let mut dims = first.0.clone();
    dims[0] = channels;
    Some(Shape(dims))
}

/// NumPy's broadcasting of two shapes of one rank (sizes equal, or one of them 1).
fn broadcast(a: &Shape, b: &Shape) -> Option<Shape> {
    if a.0.len() != b.0.len() {
        return None;
    }
    a.0.iter()
        .zip(&b.0)
        .map(|(&x, &y)| match (x, y) {
            _ if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()
        .map(Shape)
}

/// How to make branches `a` and `b` (named `names`) agree, as a hint.
fn mismatch_fix(a: &Shape, b: &Shape, names: (&str, &str)) -> String {
    if a.0.len() != b.0.len() {
        return "the branches must end in the same kind of tensor".to_owned();
    }
    if a.0.len() > 1 && a.0[1..] != b.0[1..] {
        // The branch with the smaller output downsamples more; the other needs the stride.
        let ratio = a.0[1..].iter().zip(&b.0[1..]).find_map(|(&x, &y)| {
            (x != y).then(|| {
                if x < y {
                    (y / x.max(1), names.0, names.1)
                } else {
                    (x / y.max(1), names.1, names.0)
                }
            })
        });
        if let Some((r, more, other)) = ratio
            && r > 1
        {
            return format!(
                "{more} downsamples {r} times more: give {other} `stride = {r}` on its first \
                 convolution (a 1x1 Conv2d with `stride = {r}` is the usual shortcut), or \
                 remove the stride from {more}"
            );
        }
        return "make both branches produce the same height and width".to_owned();
    }
    if a.0[0] != b.0[0] {
        return format!(
            "change the out_channels of the layer that ends one branch so both produce {} \
             channels (a 1x1 Conv2d on the shortcut changes the channels)",
            a.0[0].max(b.0[0])
        );
    }
    "make both branches produce the same shape".to_owned()
}

/// What a layer's output is when its input is unknown, if the layer alone determines it.
fn output_without_input(layer: &Layer) -> Option<Shape> {
    match &layer.op {
        Op::Linear(l) => Some(Shape(vec![l.out_features])),
        _ => None,
    }
}

fn check_layer(layer: &Layer, input: &Shape, origin: &Origin, cx: &mut Ctxt) -> Option<Shape> {
    match &layer.op {
        Op::Conv(conv) => check_conv(layer, conv, input, origin, cx),
        Op::Pool(pool) => check_pool(layer, pool, input, origin, cx),
        Op::Linear(linear) => check_linear(layer, linear, input, origin, cx),
        Op::Flatten(flatten) => check_flatten(layer, flatten, input, cx),
        Op::Activation(_) | Op::Passthrough => Some(input.clone()),
        Op::AdaptivePool(pool) => check_adaptive_pool(layer, pool, input, origin, cx),
        Op::BatchNorm(bn) => check_batch_norm(layer, bn, input, origin, cx),
        Op::LayerNorm(ln) => check_layer_norm(layer, ln, input, origin, cx),
        Op::InstanceNorm(norm) => check_instance_norm(layer, norm, input, origin, cx),
        Op::Softmax(softmax) => check_softmax(layer, softmax, input, cx).map(|_| input.clone()),
        Op::Upsample(up) => check_upsample(layer, up, input, origin, cx),
        Op::Custom(_) => None,
    }
}

/// The sample axis a softmax's `dim` refers to (PyTorch counts the batch as dimension 0), or
/// why it refers to none.
pub fn softmax_axis(softmax: &Softmax, rank: usize) -> Result<usize, String> {
    let ndim = i64::try_from(rank).unwrap_or(i64::MAX).saturating_add(1);
    let dim = match softmax.dim {
        Some(d) => d,
        // PyTorch's implicit choice (`_get_softmax_dim`): 0 for 0-, 1- and 3-d tensors, else 1.
        None if matches!(ndim, 0 | 1 | 3) => 0,
        None => 1,
    };
    let resolved = if dim < 0 { dim + ndim } else { dim };
    if !(0..ndim).contains(&resolved) {
        return Err(format!(
            "`dim` is {dim}, outside the {ndim} dimensions of a batch of samples of rank {rank} \
             (batch dimension 0 included)"
        ));
    }
    if resolved == 0 {
        let why = if softmax.dim.is_none() {
            "without `dim`, PyTorch picks dimension 0 for this input"
        } else {
            "dimension 0 is the batch"
        };
        return Err(format!(
            "it would normalise across the batch ({why}); a network maps one sample at a time: \
             give `dim` between 1 and {}",
            ndim - 1
        ));
    }
    usize::try_from(resolved - 1).map_err(|e| e.to_string())
}

fn check_softmax(layer: &Layer, softmax: &Softmax, input: &Shape, cx: &mut Ctxt) -> Option<usize> {
    softmax_axis(softmax, input.0.len())
        .map_err(|why| {
            let note = written_notes(layer, &["dim"]);
            cx.error(layer.span("dim"), format!("{}: {why}{note}", layer.kind()));
        })
        .ok()
}

fn check_adaptive_pool(
    layer: &Layer,
    pool: &AdaptivePool,
    input: &Shape,
    origin: &Origin,
    cx: &mut Ctxt,
) -> Option<Shape> {
    if !check_rank(layer, input, 3, origin, cx) {
        return None;
    }
    let mut dims = vec![input.0[0] as u128];
    dims.extend(pool.output.iter().zip(&input.0[1..]).map(|(o, &i)| o.unwrap_or(i) as u128));
    bounded(layer, "output_size", &dims, cx)
}

/// The channel (or feature) count a normalisation layer sees, checked against `num_features`.
fn check_num_features(
    layer: &Layer,
    expected: usize,
    input: &Shape,
    origin: &Origin,
    cx: &mut Ctxt,
) {
    let channels = input.0[0];
    if channels != expected {
        let noun = if input.0.len() == 1 { "features" } else { "channels" };
        cx.error(
            layer.span("num_features"),
            format!(
                "{} expects {} {noun} (num_features), but {}; change `num_features` \
                 to {channels}",
                layer.kind(),
                layer.shown("num_features", 0, expected),
                found(origin, input, channels)
            ),
        );
    }
}

fn check_batch_norm(
    layer: &Layer,
    bn: &BatchNorm,
    input: &Shape,
    origin: &Origin,
    cx: &mut Ctxt,
) -> Option<Shape> {
    let rank_ok = if bn.axes == 1 {
        if input.0.len() > 2 {
            cx.error(
                layer.call.kind_span(),
                format!(
                    "BatchNorm1d needs a vector [C] or a sequence [C, L], but {}; use BatchNorm2d \
                     for feature maps",
                    origin_text(origin, input)
                ),
            );
            false
        } else {
            true
        }
    } else {
        check_rank(layer, input, 3, origin, cx)
    };
    if rank_ok {
        check_num_features(layer, bn.num_features, input, origin, cx);
    }
    Some(input.clone())
}

fn check_instance_norm(
    layer: &Layer,
    norm: &InstanceNorm,
    input: &Shape,
    origin: &Origin,
    cx: &mut Ctxt,
) -> Option<Shape> {
    if check_rank(layer, input, 3, origin, cx) {
        check_num_features(layer, norm.num_features, input, origin, cx);
    }
    Some(input.clone())
}

fn check_layer_norm(
    layer: &Layer,
    ln: &LayerNorm,
    input: &Shape,
    origin: &Origin,
    cx: &mut Ctxt,
) -> Option<Shape> {
    let n = ln.normalized_shape.len();
    let trailing = input.0.len().checked_sub(n).map(|start| &input.0[start..]);
    if trailing != Some(ln.normalized_shape.as_slice()) {
        let wanted = Shape(ln.normalized_shape.clone());
        cx.error(
            layer.span("normalized_shape"),
            format!(
                "LayerNorm normalises over trailing dimensions {wanted}{}, but {}; \
                 `normalized_shape` must equal the last dimensions of its input",
                layer.written_note("normalized_shape"),
                origin_text(origin, input)
            ),
        );
    }
    Some(input.clone())
}

fn check_upsample(
    layer: &Layer,
    up: &Upsample,
    input: &Shape,
    origin: &Origin,
    cx: &mut Ctxt,
) -> Option<Shape> {
    if !check_rank(layer, input, 3, origin, cx) {
        return None;
    }
    let mut dims = vec![input.0[0] as u128];
    let blame = match (&up.size, &up.scale_factor) {
        (Some(size), _) => {
            dims.extend(size.iter().map(|&s| s as u128));
            "size"
        }
        (None, Some(factors)) => {
            for (&len, &f) in input.0[1..].iter().zip(factors) {
                // PyTorch: floor(input_size * scale_factor), in double precision. The cast
                // saturates (an infinite product becomes u128::MAX, reported as too large).
                dims.push((len as f64 * f).floor() as u128);
            }
            "scale_factor"
        }
        (None, None) => return None,
    };
    bounded(layer, blame, &dims, cx)
}

/// "the input [3, 32, 32] has 3" / "the previous Conv2d produces 383" / "Flatten produces 1024
/// (= 64 x 4 x 4)".
fn found(origin: &Origin, shape: &Shape, count: usize) -> String {
    match origin {
        Origin::Input => format!("the input {shape} has {count}"),
        Origin::Layer { kind, flattened: Some(from), .. }
            if shape.0.len() == 1 && from.0.len() > 1 =>
        {
            format!("{kind} produces {count} (= {})", from.product_text())
        }
        Origin::Layer { kind, flattened: Some(_), .. } => format!("{kind} produces {count}"),
        Origin::Layer { kind, flattened: None, .. } => {
            format!("the previous {kind} produces {count}")
        }
    }
}

fn origin_text(origin: &Origin, shape: &Shape) -> String {
    match origin {
        Origin::Input => format!("the input is the {} {shape}", shape.noun()),
        Origin::Layer { kind, flattened: Some(_), .. } => {
            format!("{kind} produces the {} {shape}", shape.noun())
        }
        Origin::Layer { kind, flattened: None, .. } => {
            format!("the previous {kind} produces the {} {shape}", shape.noun())
        }
    }
}

/// Checks that the input has the rank the layer works on; names the fix when it does not.
fn check_rank(layer: &Layer, input: &Shape, rank: usize, origin: &Origin, cx: &mut Ctxt) -> bool {
    if input.0.len() == rank {
        return true;
    }
    let kind = layer.kind();
    let wanted = match rank {
        2 => "a sequence [C, L]",
        3 => "a feature map [C, H, W]",
        _ => "a volume [C, D, H, W]",
    };
    let fix = if input.0.len() == 1 {
        format!(
            "; layers that need spatial dimensions must come before Flatten, or declare the input as {wanted}"
        )
    } else {
        let family = match input.0.len() {
            2 => "the 1d",
            3 => "the 2d",
            _ => "the 3d",
        };
        format!("; use {family} version of the layer for this input")
    };
    cx.error(
        layer.call.kind_span(),
        format!("{kind} needs {wanted}, but {}{fix}", origin_text(origin, input)),
    );
    false
}

/// Output length of a sliding window along one axis, PyTorch's formula, or the reason it
/// does not fit. Computed in `u128`, where no sum or product of two `usize`s overflows (the
/// caller checks that the result fits a tensor).
pub fn sliding_out(
    len: usize,
    pad: (usize, usize),
    kernel: usize,
    stride: usize,
    dilation: usize,
    ceil_mode: bool,
) -> Result<u128, String> {
    let [len, pad0, pad1, kernel, stride, dilation] =
        [len, pad.0, pad.1, kernel, stride, dilation].map(|v| v as u128);
    let pad = (pad0, pad1);
    let padded = len + pad.0 + pad.1;
    let span = dilation * kernel.saturating_sub(1) + 1;
    let stride = stride.max(1);
    // In ceil mode PyTorch lets the last window overhang the padded input by `stride - 1`.
    let reach = if ceil_mode { padded + stride - 1 } else { padded };
    if span > reach {
        let dilated = if dilation > 1 {
            format!(" (dilation {dilation}, so it spans {span})")
        } else {
            String::new()
        };
        let padding = if pad.0 == pad.1 {
            format!("{len} + 2 x {}", pad.0)
        } else {
            format!("{len} + {} + {}", pad.0, pad.1)
        };
        let overhang = if ceil_mode {
            format!(" (+ {} allowed by ceil_mode)", stride - 1)
        } else {
            String::new()
        };
        return Err(format!(
            "kernel_size {kernel}{dilated} does not fit in the padded input {padding} = {padded}{overhang}"
        ));
    }
    if !ceil_mode {
        return Ok((padded - span) / stride + 1);
    }
    let mut out = (reach - span) / stride + 1;
    // PyTorch: the last window must start inside the input or the left padding.
    if (out - 1) * stride >= len + pad.0 {
        out -= 1;
    }
    Ok(out)
}

const AXIS_NAMES: [&[&str]; 3] = [&["length"], &["height", "width"], &["depth", "height", "width"]];

/// The sliding-window hyper-parameters of a convolution or pooling layer, per axis.
struct Window<'a> {
    pads: &'a [(usize, usize)],
    kernel: &'a [usize],
    stride: &'a [usize],
    dilation: &'a [usize],
    ceil_mode: bool,
}

/// Spatial output sizes of a windowed layer, reporting each axis whose window does not fit.
fn windows(layer: &Layer, spatial: &[usize], w: &Window, cx: &mut Ctxt) -> Option<Vec<u128>> {
    let names = AXIS_NAMES.get(spatial.len().wrapping_sub(1)).copied().unwrap_or(&[]);
    let mut out = Vec::with_capacity(spatial.len());
    let mut ok = true;
    for axis in 0..spatial.len() {
        let (k, s, d) = (w.kernel[axis], w.stride[axis], w.dilation[axis]);
        match sliding_out(spatial[axis], w.pads[axis], k, s, d, w.ceil_mode) {
            Ok(n) => out.push(n),
            Err(why) => {
                let along = match names.get(axis) {
                    Some(name) if spatial.len() > 1 => format!(" along {name}"),
                    _ => String::new(),
                };
                let written =
                    written_notes(layer, &["kernel_size", "padding", "stride", "dilation"]);
                cx.error(
                    layer.span("kernel_size"),
                    format!(
                        "{}'s window is larger than its padded input{along}: {why}{written}; use \
                         a smaller kernel_size or more padding, or give the network a larger \
                         input",
                        layer.kind()
                    ),
                );
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

fn check_conv(
    layer: &Layer,
    conv: &Conv,
    input: &Shape,
    origin: &Origin,
    cx: &mut Ctxt,
) -> Option<Shape> {
    if !check_rank(layer, input, conv.axes + 1, origin, cx) {
        return None;
    }
    let channels = input.0[0];
    if channels != conv.in_channels {
        cx.error(
            layer.span("in_channels"),
            format!(
                "{} expects {} input channels, but {}; change `in_channels` to {channels}",
                layer.kind(),
                layer.shown("in_channels", 0, conv.in_channels),
                found(origin, input, channels)
            ),
        );
    }
    if conv.transposed {
        return transposed_output(layer, conv, input, cx);
    }
    let pads = conv.pads();
    let window = Window {
        pads: &pads,
        kernel: &conv.kernel,
        stride: &conv.stride,
        dilation: &conv.dilation,
        ceil_mode: false,
    };
    let spatial = windows(layer, &input.0[1..], &window, cx)?;
    if conv.padding_mode != "zeros" {
        for (axis, (&len, &(before, after))) in input.0[1..].iter().zip(&pads).enumerate() {
            let limit = if conv.padding_mode == "reflect" { len.saturating_sub(1) } else { len };
            if conv.padding_mode != "replicate" && before.max(after) > limit {
                let found = match conv.padding {
                    Padding::Symmetric(_) => layer.shown("padding", axis, before),
                    _ => before.max(after).to_string(),
                };
                cx.error(
                    layer.span("padding"),
                    format!(
                        "{} with padding_mode={:?} needs padding at most {limit} for an input of \
                         size {len} along axis {}, found {found}",
                        layer.kind(),
                        conv.padding_mode,
                        axis + 1,
                    ),
                );
            }
        }
    }
    // Only padding makes an axis longer than the input; else the channels make it large.
    let grows = spatial.iter().zip(&input.0[1..]).any(|(&out, &len)| out > len as u128);
    let blame = if grows { "padding" } else { "out_channels" };
    let mut dims = vec![conv.out_channels as u128];
    dims.extend(spatial);
    bounded(layer, blame, &dims, cx)
}

/// `(L - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1` per axis;
/// a result below 1 is an error. Computed in `i128`, where terms of `usize`s cannot overflow.
fn transposed_output(layer: &Layer, conv: &Conv, input: &Shape, cx: &mut Ctxt) -> Option<Shape> {
    let mut dims = vec![conv.out_channels as u128];
    let pads = conv.pads();
    let mut blame = "out_channels";
    for (axis, &(pad, _)) in pads.iter().enumerate() {
        let len = *input.0.get(axis + 1)?;
        let [len, k, s, d, p, op] = [
            len,
            conv.kernel[axis],
            conv.stride[axis],
            conv.dilation[axis],
            pad,
            conv.output_padding[axis],
        ]
        .map(|v| v as i128);
        let (strided, dilated) = ((len - 1) * s, d * (k - 1));
        let out = strided - 2 * p + dilated + op + 1;
        if out < 1 {
            cx.error(
                layer.span("padding"),
                format!(
                    "{} would produce an output of size {out} along axis {}: \
                     ({len} - 1) x {s} - 2 x {p} + {d} x ({k} - 1) + {op} + 1 = {out}{}; \
                     reduce `padding` or increase `stride` or `kernel_size`",
                    layer.kind(),
                    axis + 1,
                    written_notes(layer, &["stride", "padding", "dilation", "kernel_size"]),
                ),
            );
            return None;
        }
        if out > len {
            blame = if strided >= dilated {
                "stride"
            } else if d > k {
                "dilation"
            } else {
                "kernel_size"
            };
        }
        dims.push(out.unsigned_abs());
    }
    bounded(layer, blame, &dims, cx)
}

/// ` (stride = 2 * 2, padding = 4 / 2)`: how the parameters `names` were written, those
/// that were arithmetic expressions; empty if none was.
fn written_notes(layer: &Layer, names: &[&str]) -> String {
    let notes: Vec<String> = names
        .iter()
        .filter_map(|name| layer.written_as(name).map(|text| format!("{name} = {text}")))
        .collect();
    if notes.is_empty() { String::new() } else { format!(" ({})", notes.join(", ")) }
}

fn check_pool(
    layer: &Layer,
    pool: &Pool,
    input: &Shape,
    origin: &Origin,
    cx: &mut Ctxt,
) -> Option<Shape> {
    if !check_rank(layer, input, pool.axes + 1, origin, cx) {
        return None;
    }
    let pads: Vec<(usize, usize)> = pool.padding.iter().map(|&p| (p, p)).collect();
    let window = Window {
        pads: &pads,
        kernel: &pool.kernel,
        stride: &pool.stride,
        dilation: &pool.dilation,
        ceil_mode: pool.ceil_mode,
    };
    let spatial = windows(layer, &input.0[1..], &window, cx)?;
    let mut dims = vec![input.0[0] as u128];
    dims.extend(spatial);
    // Only padding (and ceil_mode's last window) makes a pooled axis longer than its input.
    bounded(layer, "padding", &dims, cx)
}

fn check_linear(
    layer: &Layer,
    linear: &Linear,
    input: &Shape,
    origin: &Origin,
    cx: &mut Ctxt,
) -> Option<Shape> {
    let out = Shape(vec![linear.out_features]);
    if input.0.len() != 1 {
        cx.error(
            layer.call.kind_span(),
            format!(
                "Linear needs a vector of features, but {}; insert `Flatten()` before it (it \
                 would then get {} = {} features)",
                origin_text(origin, input),
                input.numel(),
                input.product_text()
            ),
        );
        return Some(out);
    }
    let features = input.0[0];
    if features != linear.in_features {
        cx.error(
            layer.span("in_features"),
            format!(
                "Linear expects {} input features, but {}; change `in_features` to {features}",
                layer.shown("in_features", 0, linear.in_features),
                found(origin, input, features),
            ),
        );
    }
    Some(out)
}

fn check_flatten(layer: &Layer, flatten: &Flatten, input: &Shape, cx: &mut Ctxt) -> Option<Shape> {
    // PyTorch counts dimensions with the batch as 0; a sample of rank r is a batch of rank r + 1.
    let rank = i64::try_from(input.0.len()).ok()? + 1;
    let normalize = |d: i64| if d < 0 { d + rank } else { d };
    let (start, end) = (normalize(flatten.start_dim), normalize(flatten.end_dim));
    for (name, raw, value) in
        [("start_dim", flatten.start_dim, start), ("end_dim", flatten.end_dim, end)]
    {
        if !(0..rank).contains(&value) {
            cx.error(
                layer.span(name),
                format!(
                    "Flatten `{name}` is {}, outside the {rank} dimensions of a batch of \
                     {} (batch dimension 0 included)",
                    layer.shown(name, 0, raw),
                    input
                ),
            );
            return None;
        }
    }
    if start == 0 {
        cx.error(
            layer.span("start_dim"),
            "Flatten with start_dim=0 would merge the batch dimension; a network maps one \
             sample at a time, so start_dim must be at least 1",
        );
        return None;
    }
    if start > end {
        cx.error(
            layer.span("start_dim"),
            format!("Flatten `start_dim` ({start}) comes after `end_dim` ({end})"),
        );
        return None;
    }
    let (first, last) = (usize::try_from(start - 1).ok()?, usize::try_from(end - 1).ok()?);
    let mut dims = input.0.get(..first)?.to_vec();
    // The input holds at most MAX_ELEMENTS, so neither does any product of its sizes.
    dims.push(Shape(input.0.get(first..=last)?.to_vec()).numel());
    dims.extend_from_slice(input.0.get(last + 1..)?);
    Some(Shape(dims))
}

#[cfg(test)]
mod tests {
    use super::sliding_out;

    #[test]
    fn formulas_match_pytorch() {
        assert_eq!(sliding_out(32, (2, 2), 5, 1, 1, false), Ok(32));
        assert_eq!(sliding_out(32, (0, 0), 2, 2, 1, false), Ok(16));
        assert_eq!(sliding_out(5, (0, 0), 2, 2, 1, true), Ok(3));
        assert_eq!(sliding_out(5, (1, 1), 2, 2, 1, true), Ok(3));
        assert_eq!(sliding_out(10, (1, 1), 3, 2, 2, false), Ok(4));
        assert!(sliding_out(4, (0, 0), 7, 1, 1, false).is_err());
        // ceil_mode: a window may overhang by stride - 1 (PyTorch clips it).
        assert_eq!(sliding_out(3, (0, 0), 4, 4, 1, true), Ok(1));
        assert!(sliding_out(3, (0, 0), 4, 4, 1, false).is_err());
        assert_eq!(sliding_out(1, (1, 1), 5, 5, 1, true), Ok(1));
    }

    #[test]
    fn formulas_do_not_overflow_past_usize() {
        let max = usize::MAX;
        // u128: every sum and product of two usizes fits; the caller reports the size.
        assert_eq!(sliding_out(max, (max, max), 1, 1, 1, false), Ok(3 * max as u128));
        // ceil_mode: PyTorch drops a last window that would start in the right padding.
        assert_eq!(sliding_out(max, (max, max), 1, 1, 1, true), Ok(3 * max as u128 - 1));
        assert!(sliding_out(1, (0, 0), max, 1, max, false).is_err());
        assert_eq!(sliding_out(max, (0, 0), max, max, 1, true), Ok(1));
    }
}
