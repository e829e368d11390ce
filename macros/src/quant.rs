//! An int8 network's quantization, read from its weights file while the macro expands
//! (`#[staticnn(quantized = "int8", weights = "..")]`), and how each node runs in integers.
//!
//! The file is what `tools/export.py --quantize int8` writes from PyTorch's post-training flow:
//! `input_scale` / `input_zero_point`; per convolution or linear layer `P.weight` (I8),
//! `P.weight_scale` (F32, per output channel), `P.bias` (I32, when the layer has one, also after
//! a batch norm was folded into it) and `P.output_scale` / `P.output_zero_point`; the same two
//! for every `Add`, `Mul` and `Cat` and for every layer that runs in `f32` (their parameters as
//! F32 under their `state_dict` keys). Every tensor is checked here (present, dtype, shape,
//! scales positive and finite, zero points in `i8`), and the fixed-point requantization of each
//! layer is derived from the scales with `staticnn-core`'s `quantize_multiplier`, so that the
//! network runs with integers only.

use std::collections::HashMap;
use std::path::PathBuf;

use proc_macro2::Span;
use staticnn_core::kernels::int8::{self as kernels, AddParams, FusedActivation, MulParams};

use crate::ast::BlockKind;
use crate::ctxt::Ctxt;
use crate::graph::{Graph, NodeId, NodeOp};
use crate::layers::{ActivationKind, Layer, Op};
use crate::params::declared;
use crate::repr;
use crate::weights::{Entry, header, locate};

/// The quantization of one tensor: `real = scale * (q - zero_point)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Q {
    /// The scale.
    pub scale: f32,
    /// The zero point, in `[-128, 127]`.
    pub zero_point: i32,
}

/// An int8 network's quantization.
pub struct Quant {
    /// The weights file, for `include_bytes!`.
    pub path: PathBuf,
    /// The quantization of each node's value; `None` for the `f32` output of a last layer that
    /// runs in `f32`.
    pub value: Vec<Option<Q>>,
    /// How each layer node runs.
    pub run: Vec<Option<Run>>,
    /// The integer parameters of each `Add`/`Mul`/`Cat` node.
    pub combine: Vec<Option<Combine>>,
    /// The network's output is `f32` (its last layer runs in `f32`, unquantized by PyTorch).
    pub float_output: bool,
}

/// How a layer of an int8 network runs.
pub enum Run {
    /// A convolution or linear layer with its int8 tensors and requantization.
    Weighted(Weighted),
    /// Nothing runs: a batch norm folded into the layer before it, or a clamp fused into it.
    Folded,
    /// A ReLU, ReLU6 or Hardtanh on its own: a clamp of the quantized values, in place.
    Clamp {
        /// The lower bound.
        min: i8,
        /// The upper bound.
        max: i8,
    },
    /// Max pooling, or average pooling as CMSIS-NN computes it (input and output share one
    /// quantization).
    Pool,
    /// Adaptive average pooling sharing its input's quantization.
    AdaptiveAvg,
    /// Flatten, Identity, Dropout: no code.
    View,
    /// No int8 kernel: runs in `f32` between a dequantize and a quantize; its `f32` parameters
    /// at these offsets of the file (`params::declared` order).
    Fallback(Vec<usize>),
}

/// A convolution or linear layer's int8 tensors and requantization.
pub struct Weighted {
    /// Offset of `P.weight` (I8).
    pub weight_at: usize,
    /// Offset of `P.bias` (I32), if the file has one.
    pub bias_at: Option<usize>,
    /// Fixed-point multiplier per output channel.
    pub multiplier: Vec<i32>,
    /// Shift per output channel.
    pub shift: Vec<i32>,
    /// The input's zero point.
    pub input_zero_point: i32,
    /// The output's zero point.
    pub output_zero_point: i32,
    /// The fused activation's clamp.
    pub act_min: i8,
    /// The fused activation's clamp.
    pub act_max: i8,
}

/// The integer parameters of a combinator node.
pub enum Combine {
    /// `Add` of two branches.
    Add(AddParams),
    /// `Mul` of two branches.
    Mul(MulParams),
    /// `Cat`: per branch, `None` when it shares the output's quantization (a copy), else the
    /// `(multiplier, shift)` rescaling it and its zero point.
    Cat(Vec<Option<Requantize>>),
}

/// A rescaling of int8 values from one quantization to another.
pub struct Requantize {
    /// `(multiplier, shift)` of `s_in / s_out`.
    pub multiplier: (i32, i32),
    /// The input's zero point.
    pub input_zero_point: i32,
    /// The output's zero point.
    pub output_zero_point: i32,
}

/// Reads `file` and works out how every node of `graph` runs in int8; reports every problem
/// with the file to `cx`.
pub fn load(
    file: &str,
    span: Span,
    graph: &Graph,
    layers: &[Option<Layer>],
    prefix: Option<&str>,
    cx: &mut Ctxt,
) -> Option<Quant> {
    let path = locate(file, span).map_err(|why| cx.error(span, why)).ok()?;
    let bytes = std::fs::read(&path)
        .map_err(|e| {
            cx.error(span, format!("cannot read the weights file {}: {e}", path.display()))
        })
        .ok()?;
    let entries = header(&bytes)
        .map_err(|why| cx.error(span, format!("{file} is not a valid .safetensors file: {why}")))
        .ok()?;
    let before = cx.len();
    let mut reader = Reader {
        file,
        bytes: &bytes,
        entries: entries.iter().map(|(k, e)| (k.clone(), e)).collect(),
        used: HashMap::new(),
        prefix,
        file_span: span,
    };
    let mut analysis = Analysis {
        graph,
        layers,
        value: vec![None; graph.nodes.len()],
        run: (0..graph.nodes.len()).map(|_| None).collect(),
        combine: (0..graph.nodes.len()).map(|_| None).collect(),
        float_output: false,
    };
    if reader.is_float_file() {
        cx.error(
            span,
            format!(
                "{file} holds float weights (no int8 tensor, no `{}`), but the network is \
                 `quantized = \"int8\"`; write its int8 file with `tools/export.py --quantize \
                 int8`, or drop `quantized` to run this file in float",
                reader.key("input_scale")
            ),
        );
        return None;
    }
    analysis.value[0] = reader.quantization("input", span, "the network's input", cx);
    for id in 1..graph.nodes.len() {
        analysis.node(id, &mut reader, cx);
    }
    // A layer the file does not fit leaves its tensors unread: one message for it is enough.
    if cx.len() == before {
        reader.report_unused(cx);
    }
    if cx.len() > before {
        return None;
    }
    Some(Quant {
        path,
        value: analysis.value,
        run: analysis.run,
        combine: analysis.combine,
        float_output: analysis.float_output,
    })
}

/// Reads and checks tensors of the file, remembering which were read.
struct Reader<'f> {
    file: &'f str,
    bytes: &'f [u8],
    entries: HashMap<String, &'f Entry>,
    used: HashMap<String, ()>,
    prefix: Option<&'f str>,
    file_span: Span,
}

impl<'f> Reader<'f> {
    /// The full key of `name` (with the network's prefix).
    fn key(&self, name: &str) -> String {
        match self.prefix {
            Some(p) => format!("{p}.{name}"),
            None => name.to_owned(),
        }
    }

    /// Whether the file is a float export: no input quantization and no int8 tensor.
    fn is_float_file(&self) -> bool {
        !self.has("input_scale") && self.entries.values().all(|e| e.dtype != "I8")
    }

    /// Whether the file has `name`.
    fn has(&self, name: &str) -> bool {
        self.entries.contains_key(&self.key(name))
    }

    /// The entry of `name`, checked for `dtype` and `shape`; reports what is wrong at `span`,
    /// saying that `what` needs it.
    fn entry(
        &mut self,
        name: &str,
        dtype: &str,
        shape: &[usize],
        span: Span,
        what: &str,
        cx: &mut Ctxt,
    ) -> Option<&'f Entry> {
        let key = self.key(name);
        let shape_text = crate::shape::Shape(shape.to_vec());
        let Some(entry) = self.entries.get(&key).copied() else {
            cx.error(
                span,
                format!(
                    "{} has no tensor `{key}`, which {what} needs ({dtype}, shape {shape_text}); \
                     export the int8 model with `tools/export.py --quantize int8`",
                    self.file
                ),
            );
            return None;
        };
        self.used.insert(key.clone(), ());
        if entry.dtype != dtype {
            cx.error(
                span,
                format!(
                    "tensor `{key}` in {} is {}, but {what} needs {dtype}",
                    self.file, entry.dtype
                ),
            );
            return None;
        }
        if entry.shape != shape {
            cx.error(
                span,
                format!(
                    "tensor `{key}` has shape {} in {}, but {what} needs {shape_text}",
                    crate::shape::Shape(entry.shape.clone()),
                    self.file
                ),
            );
            return None;
        }
        Some(entry)
    }

    /// The 4-byte little-endian words of an entry.
    fn words(&self, entry: &Entry, n: usize) -> Vec<[u8; 4]> {
        (0..n)
            .filter_map(|i| {
                let at = entry.start + 4 * i;
                self.bytes.get(at..at + 4).and_then(|b| b.try_into().ok())
            })
            .collect()
    }

    /// Scales `name` (F32 of `shape`), each positive and finite.
    fn scales(
        &mut self,
        name: &str,
        shape: &[usize],
        span: Span,
        what: &str,
        cx: &mut Ctxt,
    ) -> Option<Vec<f32>> {
        let n = shape.iter().product();
        let entry = self.entry(name, "F32", shape, span, what, cx)?;
        let values: Vec<f32> = self.words(entry, n).into_iter().map(f32::from_le_bytes).collect();
        if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| !(v.is_finite() && **v > 0.0))
        {
            let at = if shape.is_empty() { String::new() } else { format!(" at [{i}]") };
            cx.error(
                span,
                format!(
                    "tensor `{}` in {} holds {v}{at}: a scale must be positive and finite",
                    self.key(name),
                    self.file
                ),
            );
            return None;
        }
        Some(values)
    }

    /// The zero point `name` (I32, shape `[]`), in `[-128, 127]`.
    fn zero_point(&mut self, name: &str, span: Span, what: &str, cx: &mut Ctxt) -> Option<i32> {
        let entry = self.entry(name, "I32", &[], span, what, cx)?;
        let value = self.words(entry, 1).first().map(|w| i32::from_le_bytes(*w))?;
        if !(-128..=127).contains(&value) {
            cx.error(
                span,
                format!(
                    "tensor `{}` in {} is {value}, outside int8's [-128, 127]",
                    self.key(name),
                    self.file
                ),
            );
            return None;
        }
        Some(value)
    }

    /// `<base>_scale` and `<base>_zero_point` (`base` is `input` or `N.output`).
    fn quantization(&mut self, base: &str, span: Span, what: &str, cx: &mut Ctxt) -> Option<Q> {
        let scale = self.scales(&format!("{base}_scale"), &[], span, what, cx);
        let zero_point = self.zero_point(&format!("{base}_zero_point"), span, what, cx);
        Some(Q { scale: *scale?.first()?, zero_point: zero_point? })
    }

    /// Every tensor of the file that nothing read is a mistake (a layer missing, another
    /// network's file).
    fn report_unused(&self, cx: &mut Ctxt) {
        let mut unused: Vec<&String> = self
            .entries
            .keys()
            .filter(|k| !self.used.contains_key(*k) && !k.ends_with("num_batches_tracked"))
            .collect();
        unused.sort();
        for key in unused {
            cx.error(
                self.file_span,
                format!(
                    "{} has tensor `{key}`, which no layer of the int8 network reads; the \
                     network and the file disagree (a layer missing, or a different prefix)",
                    self.file
                ),
            );
        }
    }
}

/// The walk over the graph.
struct Analysis<'g, 'l> {
    graph: &'g Graph,
    layers: &'l [Option<Layer<'l>>],
    value: Vec<Option<Q>>,
    run: Vec<Option<Run>>,
    combine: Vec<Option<Combine>>,
    float_output: bool,
}

impl Analysis<'_, '_> {
    fn layer(&self, node: NodeId) -> Option<&Layer<'_>> {
        self.layers.get(node).and_then(Option::as_ref)
    }

    /// The only consumer of `node` (none for the network's output, which the caller reads).
    fn sole_consumer(&self, node: NodeId) -> Option<NodeId> {
        if node == self.graph.output {
            return None;
        }
        let mut consumers = self
            .graph
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.inputs.contains(&node))
            .map(|(i, _)| i);
        let first = consumers.next()?;
        consumers.next().is_none().then_some(first)
    }

    /// Whether `node` is a convolution or linear layer run in int8.
    fn is_weighted(&self, node: NodeId) -> bool {
        matches!(self.run.get(node), Some(Some(Run::Weighted(_))))
    }

    /// A batch norm right after a convolution or linear layer that feeds only it: PyTorch's
    /// quantizer folds it into the layer.
    fn is_folded_batch_norm(&self, node: NodeId) -> bool {
        let source = self.graph.nodes[node].inputs.first().copied().unwrap_or(0);
        matches!(self.layer(node).map(|l| &l.op), Some(Op::BatchNorm(_)))
            && self.is_weighted(source)
            && self.sole_consumer(source) == Some(node)
    }

    /// The clamp activation fused into convolution or linear layer `node` (through a folded
    /// batch norm), as the plan fuses it.
    fn fused_activation(&self, node: NodeId) -> Option<(NodeId, ActivationKind)> {
        let mut last = node;
        if let Some(next) = self.sole_consumer(last)
            && matches!(self.layer(next).map(|l| &l.op), Some(Op::BatchNorm(_)))
        {
            last = next;
        }
        let next = self.sole_consumer(last)?;
        match self.layer(next).map(|l| &l.op) {
            Some(Op::Activation(a)) if a.kind.is_clamp() => Some((next, a.kind)),
            _ => None,
        }
    }

    fn node(&mut self, id: NodeId, reader: &mut Reader, cx: &mut Ctxt) {
        let node = &self.graph.nodes[id];
        let source = node.inputs.first().copied().unwrap_or(0);
        let input_q = self.value.get(source).copied().flatten();
        match &node.op {
            NodeOp::Input => {}
            NodeOp::Combine { kind, .. } => self.combine(id, *kind, reader, cx),
            NodeOp::Layer(_) => {
                let layers = self.layers;
                let Some(layer) = layers.get(id).and_then(Option::as_ref) else { return };
                let (run, value) = self.layer_run(id, layer, input_q, reader, cx);
                self.run[id] = run;
                self.value[id] = value;
            }
        }
    }

    /// How layer `id` runs and its value's quantization.
    fn layer_run(
        &mut self,
        id: NodeId,
        layer: &Layer,
        input_q: Option<Q>,
        reader: &mut Reader,
        cx: &mut Ctxt,
    ) -> (Option<Run>, Option<Q>) {
        let span = layer.call.kind_span();
        let what = format!("the int8 layer ({}) {}", layer.key, repr::layer(layer));
        let shared = (Some(Run::View), input_q);
        match &layer.op {
            Op::Conv(c) if c.transposed || c.axes > 2 => {
                cx.error(
                    span,
                    format!(
                        "{} has no int8 kernel (PyTorch's quantizer leaves it in float); an int8 \
                         network cannot hold it yet: keep this network in float",
                        layer.kind()
                    ),
                );
                (None, None)
            }
            Op::Conv(_) | Op::Linear(_) => {
                let weighted = self.weighted(id, layer, input_q, reader, &what, cx);
                let q = weighted.as_ref().map(|(_, q)| *q);
                (weighted.map(|(w, _)| Run::Weighted(w)), q)
            }
            Op::BatchNorm(_) if self.is_folded_batch_norm(id) => (Some(Run::Folded), input_q),
            Op::Activation(a) if a.kind.is_clamp() => {
                let source = self.graph.nodes[id].inputs.first().copied().unwrap_or(0);
                let fused = [source, self.graph.nodes[source].inputs.first().copied().unwrap_or(0)]
                    .into_iter()
                    .any(|s| {
                        self.is_weighted(s) && self.fused_activation(s).map(|f| f.0) == Some(id)
                    });
                if fused {
                    return (Some(Run::Folded), input_q);
                }
                let Some(q) = input_q else { return (None, None) };
                match clamp_range(layer, "the input quantization it shares", q, cx) {
                    Some((min, max)) => (Some(Run::Clamp { min, max }), input_q),
                    None => (None, None),
                }
            }
            Op::Pool(p) if p.max => (Some(Run::Pool), input_q),
            Op::Flatten(_) | Op::Passthrough => shared,
            Op::Pool(p)
                if (p.padding.iter().all(|&x| x == 0) || !p.count_include_pad)
                    && p.divisor_override == 0
                    && !p.ceil_mode
                    && self.output_q_equals(id, layer, input_q, reader, &what, cx) =>
            {
                (Some(Run::Pool), input_q)
            }
            Op::AdaptivePool(p)
                if !p.max && self.output_q_equals(id, layer, input_q, reader, &what, cx) =>
            {
                (Some(Run::AdaptiveAvg), input_q)
            }
            _ => self.fallback(id, layer, input_q, reader, &what, cx),
        }
    }

    /// Whether layer `id`'s output quantization (its keys, or its input's when it has none)
    /// equals its input's, so an integer kernel without rescaling serves it. Reads the keys.
    fn output_q_equals(
        &self,
        id: NodeId,
        layer: &Layer,
        input_q: Option<Q>,
        reader: &mut Reader,
        what: &str,
        cx: &mut Ctxt,
    ) -> bool {
        let base = format!("{}.output", layer.key);
        if id == self.graph.output && !reader.has(&format!("{base}_scale")) {
            return false; // the network's last layer, unquantized: runs in `f32`
        }
        if !reader.has(&format!("{base}_scale")) {
            return true; // shares its input's quantization
        }
        let span = layer.call.kind_span();
        reader.quantization(&base, span, what, cx) == input_q
    }

    /// A layer without an int8 kernel: its `f32` parameters and its output's quantization
    /// (none for the network's last layer when the file has none: then its output is `f32`).
    fn fallback(
        &mut self,
        id: NodeId,
        layer: &Layer,
        input_q: Option<Q>,
        reader: &mut Reader,
        what: &str,
        cx: &mut Ctxt,
    ) -> (Option<Run>, Option<Q>) {
        let span = layer.call.kind_span();
        let mut offsets = Vec::new();
        for tensor in declared(layer) {
            let name = format!("{}.{}", layer.key, tensor.name);
            if let Some(entry) = reader.entry(&name, "F32", &tensor.dims, span, what, cx) {
                offsets.push(entry.start);
            }
        }
        let base = format!("{}.output", layer.key);
        let q = if reader.has(&format!("{base}_scale")) {
            reader.quantization(&base, span, what, cx)
        } else if id == self.graph.output {
            self.float_output = true;
            None
        } else if layer_shares_quantization(layer) {
            input_q
        } else {
            reader.quantization(&base, span, what, cx)
        };
        (Some(Run::Fallback(offsets)), q)
    }

    /// A convolution or linear layer's tensors, requantization and output quantization.
    fn weighted(
        &self,
        id: NodeId,
        layer: &Layer,
        input_q: Option<Q>,
        reader: &mut Reader,
        what: &str,
        cx: &mut Ctxt,
    ) -> Option<(Weighted, Q)> {
        let span = layer.call.kind_span();
        let key = layer.key;
        let (weight_dims, out) = match &layer.op {
            Op::Conv(c) => {
                let mut dims = vec![c.out_channels, c.in_channels / c.groups.max(1)];
                dims.extend(&c.kernel);
                (dims, c.out_channels)
            }
            Op::Linear(l) => (vec![l.out_features, l.in_features], l.out_features),
            _ => return None,
        };
        let weight = reader.entry(&format!("{key}.weight"), "I8", &weight_dims, span, what, cx);
        let weight_at = weight.map(|e| e.start);
        let weight_scale = reader.scales(&format!("{key}.weight_scale"), &[out], span, what, cx);
        let bias_at = if reader.has(&format!("{key}.bias")) {
            reader
                .entry(&format!("{key}.bias"), "I32", &[out], span, what, cx)
                .map(|e| Some(e.start))
        } else {
            Some(None)
        };
        let output = reader.quantization(&format!("{key}.output"), span, what, cx);
        let (weight_at, weight_scale, bias_at, output, input) =
            (weight_at?, weight_scale?, bias_at?, output?, input_q?);
        let fused = self.fused_activation(id).and_then(|(node, _)| self.layer(node));
        let (act_min, act_max) = match fused {
            Some(clamp) => {
                clamp_range(clamp, &format!("`{key}`'s output quantization"), output, cx)?
            }
            None => (i8::MIN, i8::MAX),
        };
        let mut multiplier = Vec::with_capacity(out);
        let mut shift = Vec::with_capacity(out);
        for (c, &s_w) in weight_scale.iter().enumerate() {
            let Some((m, s)) = kernels::conv_multiplier(input.scale, s_w, output.scale) else {
                cx.error(
                    span,
                    format!(
                        "channel {c} of `{key}` cannot be requantized with integers: input \
                         scale {:e} x weight scale {s_w:e} / output scale {:e} = {:e} is \
                         outside the fixed-point range [2^-31, 2^30) (CMSIS-NN's); scales this \
                         far apart do not come from calibrating this model: re-export the \
                         weights (tools/export.py --quantize int8)",
                        input.scale,
                        output.scale,
                        f64::from(input.scale) * f64::from(s_w) / f64::from(output.scale)
                    ),
                );
                return None;
            };
            multiplier.push(m);
            shift.push(s);
        }
        Some((
            Weighted {
                weight_at,
                bias_at,
                multiplier,
                shift,
                input_zero_point: input.zero_point,
                output_zero_point: output.zero_point,
                act_min,
                act_max,
            },
            output,
        ))
    }

    /// `Add`, `Mul`, `Cat`: their parameters from their branches' and their own quantization.
    fn combine(&mut self, id: NodeId, kind: BlockKind, reader: &mut Reader, cx: &mut Ctxt) {
        let node = &self.graph.nodes[id];
        let span = node.span;
        let what = format!("the int8 {} `{}`", kind.describe(), node.path);
        let inputs: Option<Vec<Q>> = node.inputs.iter().map(|&i| self.value[i]).collect();
        if kind != BlockKind::Cat && node.inputs.len() != 2 {
            cx.error(
                span,
                format!(
                    "an int8 {} combines two branches (PyTorch quantizes each `+` or `*` on \
                     its own), found {}; nest them: `{}({}(a, b), c)`",
                    kind.describe(),
                    node.inputs.len(),
                    kind.describe(),
                    kind.describe()
                ),
            );
            return;
        }
        let base = format!("{}.output", node.path);
        let output = reader.quantization(&base, span, &what, cx);
        let (Some(inputs), Some(output)) = (inputs, output) else { return };
        let pair = |q: Q| (q.scale, q.zero_point);
        let combine = match kind {
            BlockKind::Add => AddParams::from_scales(
                pair(inputs[0]),
                pair(inputs[1]),
                pair(output),
                FusedActivation::None,
            )
            .map(Combine::Add),
            BlockKind::Mul => MulParams::from_scales(
                pair(inputs[0]),
                pair(inputs[1]),
                pair(output),
                FusedActivation::None,
            )
            .map(Combine::Mul),
            _ => inputs
                .iter()
                .map(|q| {
                    if *q == output {
                        return Some(None);
                    }
                    let m =
                        kernels::quantize_multiplier(f64::from(q.scale) / f64::from(output.scale))?;
                    Some(Some(Requantize {
                        multiplier: m,
                        input_zero_point: q.zero_point,
                        output_zero_point: output.zero_point,
                    }))
                })
                .collect::<Option<Vec<_>>>()
                .map(Combine::Cat),
        };
        match combine {
            Some(c) => self.combine[id] = Some(c),
            None => cx.error(
                span,
                format!("{what} cannot be requantized with integers: a ratio of its scales is out of range"),
            ),
        }
        self.value[id] = Some(output);
    }
}

/// Layers whose output PyTorch's quantizer gives its input's quantization.
fn layer_shares_quantization(layer: &Layer) -> bool {
    matches!(layer.op, Op::AdaptivePool(_) | Op::Pool(_) | Op::Flatten(_) | Op::Passthrough)
}

/// The int8 bounds of clamp activation `clamp` (ReLU, ReLU6, Hardtanh) applied to a value
/// quantized with `q` (`whose` says which quantization that is); an error at the activation when
/// they leave `i8`'s range, which a file calibrated on the network's own values never does.
fn clamp_range(clamp: &Layer, whose: &str, q: Q, cx: &mut Ctxt) -> Option<(i8, i8)> {
    let Op::Activation(a) = &clamp.op else { return Some((i8::MIN, i8::MAX)) };
    let range = kernels::activation_range(activation(a.kind), q.zero_point, q.scale);
    if range.is_none() {
        let (lo, hi) = match activation(a.kind) {
            FusedActivation::None => (f32::NEG_INFINITY, f32::INFINITY),
            FusedActivation::Relu => (0.0, f32::INFINITY),
            FusedActivation::Relu6 => (0.0, 6.0),
            FusedActivation::Hardtanh { min, max } => (min, max),
        };
        let at = |v: f32| ((v / q.scale).round() as i64).saturating_add(i64::from(q.zero_point));
        cx.error(
            clamp.call.kind_span(),
            format!(
                "{} keeps values in [{lo}, {hi}], which {whose} (scale {}, zero point {}) puts \
                 at [{}, {}], outside int8's [-128, 127]: the file's \
                 quantization does not fit this activation; re-export the weights from the \
                 model declared here (tools/export.py --quantize int8)",
                repr::layer(clamp),
                q.scale,
                q.zero_point,
                at(lo),
                at(hi),
            ),
        );
    }
    range
}

/// The clamp of a clamp activation.
fn activation(kind: ActivationKind) -> FusedActivation {
    match kind {
        ActivationKind::ReLU => FusedActivation::Relu,
        ActivationKind::ReLU6 => FusedActivation::Relu6,
        #[allow(clippy::cast_possible_truncation)] // PyTorch stores the bounds as f32
        ActivationKind::Hardtanh(min, max) => {
            FusedActivation::Hardtanh { min: min as f32, max: max as f32 }
        }
        _ => FusedActivation::None,
    }
}
