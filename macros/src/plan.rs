//! The execution plan of one inference over the graph: which nodes run as one step (a batch
//! norm, an activation and a pooling layer fused into the convolution or linear layer before
//! them; in a float network also a residual `Add` of a convolution's output and a value
//! computed before it, with the activation after the `Add`), which run in place, which are
//! free views, and where every value lives: the caller's input or output, or a region of the
//! scratch buffer whose offset is planned at compile time from the regions' sizes and
//! lifetimes (see `staticnn::scratch::Arena`).

use crate::ast::BlockKind;
use crate::graph::{Graph, NodeId, NodeOp};
use crate::layers::{Layer, Op};
use crate::shape::Shape;

/// How a layer executes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Exec {
    /// A convolution or linear layer: a batch norm, an activation and (after a convolution) a
    /// pooling layer that follow it can be fused into it.
    Fusable,
    /// A convolution whose output a following pooling layer can consume channel by channel.
    FusableWithPool,
    /// An inference-time batch norm: folded into the layer before, or run in place.
    BatchNorm,
    /// An element-wise activation: fused into the layer before, or run in place.
    Activation,
    /// A pooling layer that can pool one channel at a time.
    Pool,
    /// Works in place but cannot be fused (layer norm, softmax, ...).
    InPlace,
    /// Only changes how the elements are indexed, or nothing: no code runs.
    View,
    /// Reads one buffer and writes another.
    Normal,
}

/// How `op` executes.
pub fn exec(op: &Op) -> Exec {
    match op {
        Op::Conv(c) if !c.transposed && c.axes <= 2 => Exec::FusableWithPool,
        Op::Conv(_) | Op::Linear(_) => Exec::Fusable,
        Op::BatchNorm(_) => Exec::BatchNorm,
        Op::Activation(_) => Exec::Activation,
        Op::Pool(_) => Exec::Pool,
        Op::LayerNorm(_) | Op::InstanceNorm(_) | Op::Softmax(_) => Exec::InPlace,
        Op::Flatten(_) | Op::Passthrough => Exec::View,
        Op::AdaptivePool(_) | Op::Upsample(_) | Op::Custom(_) => Exec::Normal,
    }
}

/// The element type of a value or of working memory.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Elem {
    /// `f32`.
    F32,
    /// `i8` (the activations of an int8 network).
    I8,
}

/// What the plan is for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// A float network.
    Float,
    /// An int8 network whose caller passes `f32` (quantized first, dequantized last), or, with
    /// `int8_io`, `i8` tensors.
    Int8 {
        /// The caller's input and output are `i8`.
        int8_io: bool,
    },
}

/// How a layer of an int8 network executes: convolution and linear layers with a batch norm
/// folded in and a clamp (ReLU, ReLU6, Hardtanh) fused; clamps in place; pooling on its own
/// (`plan` also fuses a max pooling layer into the int8 convolution before it); views; every
/// other layer in `f32` between a dequantize and a quantize.
pub fn exec_int8(op: &Op) -> Exec {
    match op {
        Op::Conv(_) | Op::Linear(_) => Exec::Fusable,
        Op::BatchNorm(_) => Exec::BatchNorm,
        Op::Activation(a) if a.kind.is_clamp() => Exec::Activation,
        Op::Flatten(_) | Op::Passthrough => Exec::View,
        _ => Exec::Normal,
    }
}

/// Where a value lives.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Buf {
    /// The caller's input (read-only).
    Input,
    /// The caller's output.
    Output,
    /// Region `n` of the scratch buffer ([`Plan::regions`]).
    Temp(usize),
}

/// A region of the scratch buffer: its size and the steps during which it is in use.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Region {
    /// What it holds.
    pub holds: Holds,
    /// Its elements.
    pub elem: Elem,
    /// The first step that uses it.
    pub first: usize,
    /// The last step that uses it.
    pub last: usize,
    /// Which end of the buffer the planner should try first (see `Arena`).
    pub side: Side,
}

/// What a [`Region`] holds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Holds {
    /// The value of this node (its size is the node's output shape).
    Value(NodeId),
    /// The working memory of step `n` (its size is the kernel's `workspace`).
    Work(usize),
}

/// Which end of the scratch buffer a region prefers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Side {
    /// Low offsets.
    Front,
    /// High offsets.
    Back,
    /// Wherever it fits (working memory, between the values in use).
    Between,
}

/// The layers fused into a convolution or linear layer, by node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fused {
    /// A batch norm folded into the layer's output loop.
    pub batch_norm: Option<NodeId>,
    /// A residual `Add` of two operands: the layer's output (after the batch norm) plus the
    /// other operand, computed before this step (see [`Step::Run`]'s `residual`).
    pub residual: Option<NodeId>,
    /// An activation applied in the output loop (after the residual `Add`, if any).
    pub activation: Option<NodeId>,
    /// A pooling layer applied to each output channel while it is in cache.
    pub pool: Option<NodeId>,
}

impl Fused {
    /// The last node this step covers, given its first.
    pub fn last(&self, layer: NodeId) -> NodeId {
        self.pool.or(self.activation).or(self.residual).or(self.batch_norm).unwrap_or(layer)
    }

    /// Every node the step covers, first to last.
    pub fn nodes(&self, layer: NodeId) -> Vec<NodeId> {
        [Some(layer), self.batch_norm, self.residual, self.activation, self.pool]
            .into_iter()
            .flatten()
            .collect()
    }
}

/// One step of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Runs layer `layer` from `from` into `to`, with the nodes of `fused` fused in, and its
    /// working memory in region `work` if its kernel needs some; `residual` holds the other
    /// operand of the `Add` fused in (`fused.residual`).
    Run {
        layer: NodeId,
        fused: Fused,
        from: Buf,
        to: Buf,
        work: Option<usize>,
        residual: Option<Buf>,
    },
    /// Runs layer `layer` in place at `at`.
    InPlace { layer: NodeId, at: Buf },
    /// `Add` or `Mul` node `node`: `to` holds operand `into` of `operands` (the result
    /// overwrites it) when `into` is given; otherwise `to` is a new buffer.
    Combine { node: NodeId, kind: BlockKind, operands: Vec<Buf>, into: Option<usize>, to: Buf },
    /// `Cat` node `node`: copies each operand into its channels of `to`.
    Cat { node: NodeId, operands: Vec<Buf>, to: Buf },
    /// Copies the value of `node`, at `from`, to `to` (the output, when the network's output is
    /// its input or a view of it).
    Copy { node: NodeId, from: Buf, to: Buf },
    /// Quantizes the caller's `f32` input into `to` (an int8 network's first step).
    Quantize { to: Buf },
    /// Dequantizes the value of `node` at `from` into the caller's `f32` output (an int8
    /// network's last step).
    Dequantize { node: NodeId, from: Buf },
}

/// The plan: the steps and the scratch regions they use.
pub struct Plan {
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// The scratch regions (`Buf::Temp(n)` is `regions[n]`).
    pub regions: Vec<Region>,
}

/// Plans the steps of `graph`, whose layers (by node) all resolved and whose node shapes are
/// `shapes` (`None` where only the type system knows them, after a layer of the user's own).
/// `work[node]` is the element of the working memory layer `node`'s kernel needs, if any;
/// `float_output` says whether the graph's output node produces `f32` in an int8 network (a
/// layer run in `f32` last, whose output PyTorch does not quantize).
pub fn plan(
    graph: &Graph,
    layers: &[Option<Layer>],
    shapes: &[Option<Shape>],
    mode: Mode,
    work: &[Option<Elem>],
    float_output: bool,
) -> Plan {
    let kinds: Vec<Option<Exec>> = layers
        .iter()
        .map(|l| {
            l.as_ref().map(|l| match mode {
                Mode::Float => exec(&l.op),
                Mode::Int8 { .. } => match (&l.op, work.get(l.node)) {
                    // A convolution with an int8 kernel pools each output channel it
                    // computes; max pooling always has an int8 kernel.
                    (Op::Conv(c), Some(Some(Elem::I8))) if !c.transposed && c.axes <= 2 => {
                        Exec::FusableWithPool
                    }
                    (Op::Pool(p), _) if p.max => Exec::Pool,
                    (op, _) => exec_int8(op),
                },
            })
        })
        .collect();
    let mut planner = Planner::new(graph, kinds, shapes);
    planner.mode = mode;
    planner.float_output = float_output;
    planner.run(work)
}

/// A set of nodes sharing one buffer (views of each other, or updated in place).
#[derive(Clone, Debug)]
struct Class {
    /// Where it lives, once known.
    buf: Option<Buf>,
    /// Its elements.
    elem: Elem,
    /// The node whose value created it.
    creator: NodeId,
    /// The step that created it (`None`: the input).
    created_at: Option<usize>,
}

struct Planner<'g> {
    graph: &'g Graph,
    mode: Mode,
    /// The output node writes `f32` (see [`plan`]).
    float_output: bool,
    shapes: &'g [Option<Shape>],
    kinds: Vec<Option<Exec>>,
    consumers: Vec<Vec<NodeId>>,
    /// The class of each node's value.
    class_of: Vec<Option<usize>>,
    classes: Vec<Class>,
    steps: Vec<Step>,
    /// Steps before which a class is read, per class (filled while planning).
    reads: Vec<Vec<usize>>,
    covered: Vec<bool>,
}

impl<'g> Planner<'g> {
    fn new(graph: &'g Graph, kinds: Vec<Option<Exec>>, shapes: &'g [Option<Shape>]) -> Self {
        let n = graph.nodes.len();
        let mut consumers = vec![Vec::new(); n];
        for (id, node) in graph.nodes.iter().enumerate() {
            for &i in &node.inputs {
                if !consumers[i].contains(&id) {
                    consumers[i].push(id);
                }
            }
        }
        Planner {
            graph,
            mode: Mode::Float,
            float_output: false,
            shapes,
            kinds,
            consumers,
            class_of: vec![None; n],
            classes: Vec::new(),
            steps: Vec::new(),
            reads: Vec::new(),
            covered: vec![false; n],
        }
    }

    fn run(mut self, work: &[Option<Elem>]) -> Plan {
        let input = self.new_class(0, None);
        self.class_of[0] = Some(input);
        if self.mode == (Mode::Int8 { int8_io: false }) {
            // The caller's `f32` input is quantized into a region the int8 steps read.
            self.classes[input].elem = Elem::I8;
            self.steps.push(Step::Quantize { to: Buf::Temp(input) });
            self.classes[input].created_at = Some(0);
        } else {
            self.classes[input].buf = Some(Buf::Input);
        }
        for id in 1..self.graph.nodes.len() {
            if !self.covered[id] {
                self.node(id);
            }
        }
        self.finish(work)
    }

    fn new_class(&mut self, creator: NodeId, created_at: Option<usize>) -> usize {
        let elem = match self.mode {
            Mode::Float => Elem::F32,
            Mode::Int8 { .. } => Elem::I8,
        };
        self.classes.push(Class { buf: None, elem, creator, created_at });
        self.reads.push(Vec::new());
        self.classes.len() - 1
    }

    /// The class of `node`'s value.
    fn class(&self, node: NodeId) -> usize {
        self.class_of[node].unwrap_or(0)
    }

    /// The only consumer of `node`, if it has exactly one (the network's output has the
    /// caller as a consumer too).
    fn sole_consumer(&self, node: NodeId) -> Option<NodeId> {
        if node == self.graph.output {
            return None;
        }
        match self.consumers[node].as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// Whether nothing after node `at` reads the value of class `class` (so `at` may overwrite
    /// it), and the class is not the caller's input.
    fn dies_at(&self, class: usize, at: NodeId) -> bool {
        if self.classes[class].buf == Some(Buf::Input) {
            return false;
        }
        let members = (0..self.graph.nodes.len()).filter(|&n| self.class_of[n] == Some(class));
        let mut last = 0;
        for member in members {
            if member == self.graph.output {
                return false;
            }
            last = last.max(self.consumers[member].iter().copied().max().unwrap_or(0));
        }
        last <= at
    }

    fn node(&mut self, id: NodeId) {
        match &self.graph.nodes[id].op {
            NodeOp::Input => {}
            NodeOp::Layer(_) => self.layer(id),
            NodeOp::Combine { kind: BlockKind::Cat, .. } => self.cat(id),
            NodeOp::Combine { kind, .. } => self.combine(id, *kind),
        }
    }

    fn layer(&mut self, id: NodeId) {
        let source = self.graph.nodes[id].inputs.first().copied().unwrap_or(0);
        let from = self.class(source);
        let kind = self.kinds[id].unwrap_or(Exec::Normal);
        // In an int8 network only a clamp works in place; a batch norm not folded into the
        // layer before it, like every layer without an int8 kernel, runs in `f32` on its own.
        let in_place = match self.mode {
            Mode::Float => matches!(kind, Exec::BatchNorm | Exec::Activation | Exec::InPlace),
            Mode::Int8 { .. } => kind == Exec::Activation,
        };
        if kind == Exec::View {
            self.class_of[id] = Some(from);
            return;
        }
        let step = self.steps.len();
        if in_place && self.dies_at(from, id) {
            self.class_of[id] = Some(from);
            self.reads[from].push(step);
            self.steps.push(Step::InPlace { layer: id, at: Buf::Temp(from) });
            return;
        }
        let fused = self.fusion(id, kind);
        let residual = fused.residual.and_then(|add| self.residual_operand(add, &fused, id));
        let last = fused.last(id);
        for node in fused.nodes(id) {
            self.covered[node] = true;
        }
        let to = self.new_class(last, Some(step));
        for node in fused.nodes(id) {
            self.class_of[node] = Some(to);
        }
        self.reads[from].push(step);
        if let Some(class) = residual {
            self.reads[class].push(step);
        }
        self.steps.push(Step::Run {
            layer: id,
            fused,
            from: Buf::Temp(from),
            to: Buf::Temp(to),
            work: None,
            residual: residual.map(Buf::Temp),
        });
    }

    /// The class of the operand of residual `Add` node `add` that the step of `layer` (with
    /// `fused`) does not compute.
    fn residual_operand(&self, add: NodeId, fused: &Fused, layer: NodeId) -> Option<usize> {
        let own = fused.batch_norm.unwrap_or(layer);
        let other = self.graph.nodes[add].inputs.iter().copied().find(|&i| i != own)?;
        self.class_of[self.through_views(other)]
    }

    /// The node whose value `node` shows: `node`, or the source of the views it is (an
    /// `Identity` shortcut), which share its buffer.
    fn through_views(&self, mut node: NodeId) -> NodeId {
        while self.kinds[node] == Some(Exec::View)
            && let Some(&source) = self.graph.nodes[node].inputs.first()
        {
            node = source;
        }
        node
    }

    /// The nodes after `layer` that fuse into it: `[BatchNorm] [Activation] [Pool]`, each the
    /// only consumer of the one before, the pool only after a convolution that can feed it
    /// channel by channel.
    fn fusion(&self, layer: NodeId, kind: Exec) -> Fused {
        let mut fused = Fused::default();
        if !matches!(kind, Exec::Fusable | Exec::FusableWithPool) {
            return fused;
        }
        let mut last = layer;
        let next_of = |node: NodeId, want: Exec| {
            self.sole_consumer(node).filter(|&n| self.kinds[n] == Some(want))
        };
        if let Some(bn) = next_of(last, Exec::BatchNorm) {
            fused.batch_norm = Some(bn);
            last = bn;
        }
        if kind == Exec::FusableWithPool
            && let Some(add) = self.residual_add(last)
        {
            fused.residual = Some(add);
            last = add;
        }
        if let Some(act) = next_of(last, Exec::Activation) {
            fused.activation = Some(act);
            last = act;
        }
        if kind == Exec::FusableWithPool
            && fused.residual.is_none()
            && let Some(pool) = next_of(last, Exec::Pool)
        {
            fused.pool = Some(pool);
        }
        fused
    }

    /// The residual `Add` that can fuse into the step whose last node so far is `last` (a
    /// convolution, or its batch norm): in a float network, the only consumer of `last`, an
    /// `Add` of `last` and one other operand of the same size whose value is already computed
    /// (the step reads it: ResNet's `bn2(conv2(x)) + shortcut`, then `relu`). The `Add` then
    /// costs no pass over memory: each output channel gets its residual while in cache.
    fn residual_add(&self, last: NodeId) -> Option<NodeId> {
        if self.mode != Mode::Float {
            return None;
        }
        let add = self.sole_consumer(last)?;
        let node = &self.graph.nodes[add];
        if !matches!(node.op, NodeOp::Combine { kind: BlockKind::Add, .. }) {
            return None;
        }
        let [a, b] = node.inputs.as_slice() else { return None };
        let other = if *a == last { *b } else { *a };
        let computed = other != last && self.class_of[self.through_views(other)].is_some();
        (computed && self.sizes_equal(other, add) && self.sizes_equal(last, add)).then_some(add)
    }

    fn combine(&mut self, id: NodeId, kind: BlockKind) {
        let step = self.steps.len();
        let operands: Vec<usize> =
            self.graph.nodes[id].inputs.iter().map(|&i| self.class(i)).collect();
        // Overwrite the first operand that dies here, is not read twice by this node, and (for
        // a broadcasting `Mul`) is as large as the result.
        let into = (0..operands.len()).find(|&k| {
            let class = operands[k];
            let once = operands.iter().filter(|&&c| c == class).count() == 1;
            once && self.dies_at(class, id) && self.full_size(self.graph.nodes[id].inputs[k], id)
        });
        for &class in &operands {
            self.reads[class].push(step);
        }
        let to = match into {
            Some(k) => operands[k],
            None => self.new_class(id, Some(step)),
        };
        self.class_of[id] = Some(to);
        self.steps.push(Step::Combine {
            node: id,
            kind,
            operands: operands.iter().map(|&c| Buf::Temp(c)).collect(),
            into,
            to: Buf::Temp(to),
        });
    }

    /// Whether the value of `operand` has as many elements as `node`'s.
    fn full_size(&self, operand: NodeId, node: NodeId) -> bool {
        // Branch shapes agree except for broadcasting, which only shrinks sizes to 1: an
        // operand is full-size unless a `Mul` broadcasts it. The expansion checks the sizes
        // again by type, so a wrong guess here cannot compile.
        match &self.graph.nodes[node].op {
            NodeOp::Combine { kind: BlockKind::Mul, .. } => self.sizes_equal(operand, node),
            _ => true,
        }
    }

    fn sizes_equal(&self, a: NodeId, b: NodeId) -> bool {
        match (self.shapes.get(a), self.shapes.get(b)) {
            (Some(Some(x)), Some(Some(y))) => x.numel() == y.numel(),
            _ => false,
        }
    }

    fn cat(&mut self, id: NodeId) {
        let step = self.steps.len();
        let operands: Vec<usize> =
            self.graph.nodes[id].inputs.iter().map(|&i| self.class(i)).collect();
        for &class in &operands {
            self.reads[class].push(step);
        }
        let to = self.new_class(id, Some(step));
        self.class_of[id] = Some(to);
        self.steps.push(Step::Cat {
            node: id,
            operands: operands.iter().map(|&c| Buf::Temp(c)).collect(),
            to: Buf::Temp(to),
        });
    }

    /// Places every class: the network's output in the caller's output, the others in scratch
    /// regions; adds working memory to the steps whose kernels need it.
    fn finish(mut self, work: &[Option<Elem>]) -> Plan {
        let output_class = self.class(self.graph.output);
        let dequantize = self.mode == (Mode::Int8 { int8_io: false }) && !self.float_output;
        if self.classes[output_class].buf == Some(Buf::Input) {
            // The output is the input, or a view of it: copy it.
            self.steps.push(Step::Copy {
                node: self.graph.output,
                from: Buf::Input,
                to: Buf::Output,
            });
        } else if dequantize {
            // The int8 output is dequantized into the caller's `f32` output.
            let step = self.steps.len();
            self.reads[output_class].push(step);
            self.steps
                .push(Step::Dequantize { node: self.graph.output, from: Buf::Temp(output_class) });
        } else {
            self.classes[output_class].buf = Some(Buf::Output);
        }
        let mut regions = Vec::new();
        let mut side_of_class: Vec<Side> = vec![Side::Back; self.classes.len()];
        for class in 0..self.classes.len() {
            if self.classes[class].buf.is_some() {
                continue;
            }
            let created = self.classes[class].created_at.unwrap_or(0);
            let last = self.reads[class].iter().copied().max().unwrap_or(created);
            // Values alternate ends: a step reading the front writes the back (a chain then
            // needs exactly the largest sum of two neighbouring values plus working memory).
            let reads_from = self.step_source_class(created);
            let side = match reads_from.map(|c| side_of_class[c]) {
                Some(Side::Front) => Side::Back,
                _ => Side::Front,
            };
            side_of_class[class] = side;
            regions.push(Region {
                holds: Holds::Value(self.classes[class].creator),
                elem: self.classes[class].elem,
                first: created,
                last,
                side,
            });
            self.classes[class].buf = Some(Buf::Temp(regions.len() - 1));
        }
        let buf_of = |class: usize, classes: &[Class]| classes[class].buf.unwrap_or(Buf::Input);
        let classes = self.classes.clone();
        for step in &mut self.steps {
            match step {
                Step::Run { from, to, residual, .. } => {
                    *from = buf_of(temp_index(*from), &classes);
                    *to = buf_of(temp_index(*to), &classes);
                    if let Some(r) = residual {
                        *r = buf_of(temp_index(*r), &classes);
                    }
                }
                Step::InPlace { at, .. } => *at = buf_of(temp_index(*at), &classes),
                Step::Combine { operands, to, .. } | Step::Cat { operands, to, .. } => {
                    for o in operands.iter_mut() {
                        *o = buf_of(temp_index(*o), &classes);
                    }
                    *to = buf_of(temp_index(*to), &classes);
                }
                Step::Quantize { to } => *to = buf_of(temp_index(*to), &classes),
                Step::Dequantize { from, .. } => *from = buf_of(temp_index(*from), &classes),
                Step::Copy { .. } => {}
            }
        }
        for (index, step) in self.steps.iter_mut().enumerate() {
            if let Step::Run { work: slot, layer, .. } = step
                && let Some(elem) = work.get(*layer).copied().flatten()
            {
                regions.push(Region {
                    holds: Holds::Work(index),
                    elem,
                    first: index,
                    last: index,
                    side: Side::Between,
                });
                *slot = Some(regions.len() - 1);
            }
        }
        Plan { steps: self.steps, regions }
    }

    /// The class the step `step` reads first (its main input), if it reads one.
    fn step_source_class(&self, step: usize) -> Option<usize> {
        match self.steps.get(step)? {
            Step::Run { from, .. } => Some(temp_index(*from)),
            Step::Combine { operands, .. } | Step::Cat { operands, .. } => {
                operands.first().map(|o| temp_index(*o))
            }
            Step::Quantize { .. } => None,
            Step::InPlace { .. } | Step::Copy { .. } | Step::Dequantize { .. } => None,
        }
    }
}

/// While planning, `Buf::Temp` holds a class index.
fn temp_index(buf: Buf) -> usize {
    match buf {
        Buf::Temp(n) => n,
        Buf::Input | Buf::Output => 0,
    }
}
