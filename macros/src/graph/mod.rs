//! The network as a graph: what every later stage (layer resolution, shapes, the plan, the
//! expansion) reads. Elaboration turns the written items into nodes in execution order: block
//! definitions are instantiated, nested chains are flattened, and `Add`/`Mul`/`Cat` become
//! nodes whose inputs are their branches' outputs. Each node gets its `state_dict` key, its
//! field name and the path that names it in messages.

use std::collections::HashMap;

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use syn::ext::IdentExt as _;

use crate::ast::{Block, BlockDef, BlockKind, Item, LayerCall, Spanned, Value};
use crate::ctxt::Ctxt;

mod condition;

/// A node's position in [`Graph::nodes`].
pub type NodeId = usize;

/// How deeply block definitions may use each other (a definition that uses itself would
/// otherwise never end).
const MAX_BLOCK_DEPTH: usize = 16;

/// The elaborated network.
pub struct Graph {
    /// Every node, in execution order; node 0 is the input, and every node's inputs come
    /// before it.
    pub nodes: Vec<Node>,
    /// The node whose value is the network's output.
    pub output: NodeId,
    /// The block instances nodes came from, for the context of messages.
    pub instances: Vec<Instance>,
    /// The module tree, for PyTorch's printed form.
    pub tree: Module,
}

/// One operation of the network.
pub struct Node {
    /// What it computes.
    pub op: NodeOp,
    /// The nodes whose values it reads, in order (one for a layer, the branches for a
    /// combinator, none for the input).
    pub inputs: Vec<NodeId>,
    /// Its path from the network's root: the `state_dict` prefix of its tensors (`stack2.conv1`,
    /// `features.3.conv.0`, `3`); for a node the user left unnamed where PyTorch has no name for
    /// it (inside `{ .. }` or a branch), `<parent>.<kind>` (`stack1.relu`, `stack1.add_1`).
    pub path: String,
    /// Whether [`Node::path`] is a real `state_dict` key (the node was named, or indexed in a
    /// Sequential) rather than a made-up one.
    pub keyed: bool,
    /// The Rust field of a layer node.
    pub field: String,
    /// Where messages about the node point.
    pub span: Span,
    /// The innermost block instance the node comes from.
    pub instance: Option<usize>,
    /// The list of items it was written in (two names in one list are one mistake, reported
    /// once).
    container: usize,
}

/// What a [`Node`] computes.
pub enum NodeOp {
    /// The network's input.
    Input,
    /// A layer (its call, with block parameters replaced by their values).
    Layer(LayerCall),
    /// `Add`, `Mul` or `Cat` of the inputs.
    Combine {
        /// Which.
        kind: BlockKind,
        /// `Cat`'s `dim` as written.
        dim: Option<Spanned<Value>>,
        /// How each branch is called in messages (`the branch \`shortcut\``, `branch 2`).
        branches: Vec<String>,
    },
}

impl Node {
    /// The layer call of a layer node.
    pub fn call(&self) -> Option<&LayerCall> {
        match &self.op {
            NodeOp::Layer(call) => Some(call),
            _ => None,
        }
    }
}

/// A use of a block definition: `stack2 = BasicBlock(16, 32, stride = 2)`.
pub struct Instance {
    /// The use's span.
    pub span: Span,
    /// How it was written, for messages.
    pub text: String,
}

/// A container of the module tree (`print(net)`).
pub struct Module {
    /// Its class in the printed form (`Sequential`, a block definition's name, `Add`, ...).
    pub class: String,
    /// Its children, by printed name: a layer node or a nested container.
    pub children: Vec<(String, Child)>,
}

/// A child of a [`Module`].
pub enum Child {
    /// A layer node.
    Layer(NodeId),
    /// A nested container.
    Module(Module),
}

/// Where an item is elaborated: the key prefix of its parent and how unnamed items are keyed.
#[derive(Clone)]
struct Scope {
    /// The parent's path (empty at the root).
    prefix: String,
    /// Unnamed items are keyed by their position (a Sequential) or not at all.
    indexed: bool,
    /// The innermost block instance.
    instance: Option<usize>,
    /// Block definitions being expanded (to stop a definition that uses itself).
    depth: usize,
    /// The list of items being elaborated.
    container: usize,
}

impl Scope {
    fn join(&self, segment: &str) -> String {
        if self.prefix.is_empty() {
            segment.to_owned()
        } else {
            format!("{}.{segment}", self.prefix)
        }
    }
}

/// Elaborates `body` (the network's items, an `nn.Sequential`) with the block definitions
/// `blocks`. Mistakes are reported to `cx`; the graph is `None` when one makes it unusable.
pub fn elaborate(body: &[Item], blocks: &[BlockDef], cx: &mut Ctxt) -> Option<Graph> {
    let mut builder = Builder {
        blocks: blocks.iter().map(|b| (b.name.to_string(), b)).collect(),
        nodes: vec![Node {
            op: NodeOp::Input,
            inputs: Vec::new(),
            path: "input".to_owned(),
            keyed: false,
            field: String::new(),
            span: Span::call_site(),
            instance: None,
            container: 0,
        }],
        instances: Vec::new(),
        synthetic: HashMap::new(),
        containers: 0,
        ok: true,
    };
    let broken = check_block_defs(blocks, cx);
    builder.blocks.retain(|name, _| !broken.contains(name));
    let scope =
        Scope { prefix: String::new(), indexed: true, instance: None, depth: 0, container: 0 };
    let mut tree = Module { class: "Sequential".to_owned(), children: Vec::new() };
    let output = builder.chain(body, 0, &scope, &mut tree, cx)?;
    check_unique_keys(&builder.nodes, cx);
    let mut graph = Graph { nodes: builder.nodes, output, instances: builder.instances, tree };
    assign_fields(&mut graph);
    builder.ok.then_some(graph)
}

/// Block definitions must not shadow a layer, must be defined once, and must parse (checked
/// with every parameter standing for `1`, so a definition that is never used is checked too).
/// Returns the names of the definitions that do not parse (their uses are not elaborated).
fn check_block_defs(blocks: &[BlockDef], cx: &mut Ctxt) -> Vec<String> {
    let mut seen = HashMap::new();
    let mut broken = Vec::new();
    for block in blocks {
        let ones: HashMap<String, TokenStream> = block
            .params
            .iter()
            .map(|p| (p.name.to_string(), quote::quote_spanned!(p.name.span()=> 1)))
            .collect();
        if let Err(e) = syn::parse2::<Item>(substitute(block.body.clone(), &ones)) {
            let at = if e.span().source_text().is_some() { e.span() } else { block.body_span };
            cx.error(at, format!("in block `{}`: {e}", block.name));
            broken.push(block.name.to_string());
        }
        let name = block.name.to_string();
        if crate::catalog::lookup(&name).is_some() || BlockKind::combinator(&name).is_some() {
            cx.error(
                block.name.span(),
                format!("`{name}` is a torch.nn layer of network!; give the block another name"),
            );
        }
        if seen.insert(name.clone(), ()).is_some() {
            cx.error(block.name.span(), format!("block `{name}` is defined twice"));
        }
    }
    broken
}

struct Builder<'b> {
    blocks: HashMap<String, &'b BlockDef>,
    nodes: Vec<Node>,
    instances: Vec<Instance>,
    /// How many unnamed nodes of each kind a parent has (`relu`, `relu_1`, ...).
    synthetic: HashMap<(String, String), usize>,
    /// Lists of items elaborated so far.
    containers: usize,
    ok: bool,
}

impl Builder<'_> {
    /// Runs `items` one after another from `input`; returns the last one's output.
    fn chain(
        &mut self,
        items: &[Item],
        input: NodeId,
        scope: &Scope,
        tree: &mut Module,
        cx: &mut Ctxt,
    ) -> Option<NodeId> {
        check_names(items, scope, cx);
        let mut current = input;
        for (index, item) in items.iter().enumerate() {
            // In the network's body, an unnamed `Add(..)`, `Mul(..)`, `Cat(..)` or `{ .. }`
            // is the network's own forward (a PyTorch root module adds in `forward`, with no
            // key of its own); in a `[ .. ]` list it is a submodule at its position.
            let root_inline = scope.container == 0
                && matches!(item, Item::Block(b) if b.kind != BlockKind::Sequential);
            let segment = match (item.name(), scope.indexed) {
                (Some(name), _) => Some(name.unraw().to_string()),
                (None, true) if root_inline => None,
                (None, true) => Some(index.to_string()),
                (None, false) => None,
            };
            current = self.item(item, current, segment, scope, tree, cx)?;
        }
        Some(current)
    }

    /// Elaborates one item reading `input`, keyed `segment` under `scope` (no segment: the
    /// item is transparent, its contents keyed as the parent's).
    fn item(
        &mut self,
        item: &Item,
        input: NodeId,
        segment: Option<String>,
        scope: &Scope,
        tree: &mut Module,
        cx: &mut Ctxt,
    ) -> Option<NodeId> {
        match item {
            Item::Layer(call) => {
                let plain = call.kind.segments.len() == 1 && call.kind.leading_colon.is_none();
                let def = plain.then(|| self.blocks.get(&call.kind_name()).copied()).flatten();
                if let Some(def) = def {
                    return self.instance(def, call, input, segment, scope, tree, cx);
                }
                let (path, keyed) = match &segment {
                    Some(s) => (scope.join(s), true),
                    None => (self.synthetic_path(scope, &call.kind_name()), false),
                };
                let printed = segment.clone().unwrap_or_else(|| last_segment(&path));
                let id = self.push(Node {
                    op: NodeOp::Layer(call.clone()),
                    inputs: vec![input],
                    path,
                    keyed,
                    field: String::new(),
                    span: call.kind_span(),
                    instance: scope.instance,
                    container: scope.container,
                });
                tree.children.push((printed, Child::Layer(id)));
                Some(id)
            }
            Item::Block(block) => self.block(block, input, segment, scope, tree, cx),
            Item::Choice(choice) => match condition::evaluate(&choice.condition) {
                Ok(true) => self.item(&choice.then, input, segment, scope, tree, cx),
                Ok(false) => self.item(&choice.otherwise, input, segment, scope, tree, cx),
                Err(why) => {
                    cx.error(choice.condition_span, why);
                    if let Some(instance) = scope.instance.and_then(|i| self.instances.get(i)) {
                        cx.error(instance.span, format!("in `{}`", instance.text));
                    }
                    self.ok = false;
                    None
                }
            },
        }
    }

    fn block(
        &mut self,
        block: &Block,
        input: NodeId,
        segment: Option<String>,
        scope: &Scope,
        tree: &mut Module,
        cx: &mut Ctxt,
    ) -> Option<NodeId> {
        let inner_prefix = segment.as_ref().map_or_else(|| scope.prefix.clone(), |s| scope.join(s));
        let class = match block.kind {
            BlockKind::Sequential => "Sequential",
            BlockKind::Module => "Module",
            BlockKind::Add => "Add",
            BlockKind::Mul => "Mul",
            BlockKind::Cat => "Cat",
        };
        let mut module = Module { class: class.to_owned(), children: Vec::new() };
        let output = if block.kind.is_combinator() {
            let inner = Scope {
                prefix: inner_prefix.clone(),
                indexed: false,
                container: self.new_container(),
                ..scope.clone()
            };
            if block.items.len() < 2 {
                cx.error(
                    block.kind_span,
                    format!(
                        "{} combines two or more branches, found {}; for a residual connection \
                         `x + f(x)` write `Add(Identity(), [..])`",
                        block.kind.describe(),
                        block.items.len()
                    ),
                );
                self.ok = false;
                return None;
            }
            if block.kind != BlockKind::Cat
                && let Some(dim) = &block.dim
            {
                cx.error(dim.span, format!("{} has no `dim` argument", block.kind.describe()));
            }
            check_names(&block.items, &inner, cx);
            let mut outputs = Vec::with_capacity(block.items.len());
            for branch in &block.items {
                let segment = branch.name().map(|n| n.unraw().to_string());
                outputs.push(self.item(branch, input, segment, &inner, &mut module, cx)?);
            }
            let kind = block.kind.describe().to_lowercase();
            let (path, keyed) = match &segment {
                Some(s) => (scope.join(s), true),
                None => (self.synthetic_path(scope, &kind), false),
            };
            let branches = block
                .items
                .iter()
                .enumerate()
                .map(|(i, b)| match b.name() {
                    Some(name) => format!("the branch `{name}`"),
                    None => format!("branch {}", i + 1),
                })
                .collect();
            Some(self.push(Node {
                op: NodeOp::Combine { kind: block.kind, dim: block.dim.clone(), branches },
                inputs: outputs,
                path,
                keyed,
                field: String::new(),
                span: block.kind_span,
                instance: scope.instance,
                container: scope.container,
            }))
        } else {
            let indexed = block.kind == BlockKind::Sequential;
            let inner = Scope {
                prefix: inner_prefix,
                indexed,
                container: self.new_container(),
                ..scope.clone()
            };
            self.chain(&block.items, input, &inner, &mut module, cx)
        };
        push_module(tree, segment, module);
        output
    }

    /// Elaborates a use of the block definition `def`.
    #[allow(clippy::too_many_arguments)] // the item's context, passed on unchanged
    fn instance(
        &mut self,
        def: &BlockDef,
        call: &LayerCall,
        input: NodeId,
        segment: Option<String>,
        scope: &Scope,
        tree: &mut Module,
        cx: &mut Ctxt,
    ) -> Option<NodeId> {
        if scope.depth >= MAX_BLOCK_DEPTH {
            cx.error(
                call.kind_span(),
                format!(
                    "block `{}` is used {MAX_BLOCK_DEPTH} levels deep; does a block use itself?",
                    def.name
                ),
            );
            self.ok = false;
            return None;
        }
        let values = bind_block_args(def, call, cx)?;
        let body = substitute(def.body.clone(), &values);
        let item = match syn::parse2::<Item>(body) {
            Ok(item) => item,
            Err(e) => {
                cx.error(e.span(), format!("in block `{}`: {e}", def.name));
                cx.error(call.kind_span(), format!("in this use of block `{}`", def.name));
                self.ok = false;
                return None;
            }
        };
        self.instances.push(Instance { span: call.kind_span(), text: instance_text(call) });
        let inner = Scope {
            instance: Some(self.instances.len() - 1),
            depth: scope.depth + 1,
            ..scope.clone()
        };
        let mut holder = Module { class: String::new(), children: Vec::new() };
        let output = self.item(&item, input, segment, &inner, &mut holder, cx);
        for (name, mut child) in holder.children {
            if let Child::Module(m) = &mut child {
                m.class = def.name.to_string();
            }
            tree.children.push((name, child));
        }
        output
    }

    fn new_container(&mut self) -> usize {
        self.containers += 1;
        self.containers
    }

    fn push(&mut self, node: Node) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// `<parent>.<kind>`, `<parent>.<kind>_1`, ...: a name for an unnamed node.
    fn synthetic_path(&mut self, scope: &Scope, kind: &str) -> String {
        let kind = kind.to_lowercase();
        let count = self.synthetic.entry((scope.prefix.clone(), kind.clone())).or_insert(0);
        let name = if *count == 0 { kind } else { format!("{kind}_{count}") };
        *count += 1;
        scope.join(&name)
    }
}

/// Adds `module` to `tree`: under its name, or its children directly when it has none.
fn push_module(tree: &mut Module, segment: Option<String>, module: Module) {
    match segment {
        Some(name) => tree.children.push((name, Child::Module(module))),
        None => tree.children.extend(module.children),
    }
}

fn last_segment(path: &str) -> String {
    path.rsplit('.').next().unwrap_or(path).to_owned()
}

/// `BasicBlock(16, 32, stride = 2)`, for messages.
fn instance_text(call: &LayerCall) -> String {
    let args: Vec<String> = call
        .args
        .iter()
        .map(|a| {
            let value = crate::repr::python_value(&a.value.value);
            match &a.keyword {
                Some(k) => format!("{k} = {value}"),
                None => value,
            }
        })
        .collect();
    let name = call.name.as_ref().map(|n| format!("{n} = ")).unwrap_or_default();
    format!("{name}{}({})", call.kind_name(), args.join(", "))
}

/// The value of each parameter of `def` for the use `call`: its tokens (a literal with the
/// span of the argument, so a mistake in it points at the use).
fn bind_block_args(
    def: &BlockDef,
    call: &LayerCall,
    cx: &mut Ctxt,
) -> Option<HashMap<String, TokenStream>> {
    let mut values: HashMap<String, TokenStream> = HashMap::new();
    let mut ok = true;
    let names: Vec<String> = def.params.iter().map(|p| p.name.to_string()).collect();
    let mut positional = 0;
    for arg in &call.args {
        let name = match &arg.keyword {
            Some(k) => {
                let k = k.to_string();
                if !names.contains(&k) {
                    cx.error(
                        arg.value.span,
                        format!(
                            "block `{}` has no parameter `{k}`; its parameters are {}",
                            def.name,
                            param_list(def)
                        ),
                    );
                    ok = false;
                    continue;
                }
                k
            }
            None => {
                let Some(name) = names.get(positional) else {
                    cx.error(
                        arg.value.span,
                        format!(
                            "block `{}` takes {} arguments ({}), found more",
                            def.name,
                            names.len(),
                            param_list(def)
                        ),
                    );
                    ok = false;
                    continue;
                };
                positional += 1;
                name.clone()
            }
        };
        if values.insert(name.clone(), value_tokens(&arg.value)).is_some() {
            cx.error(arg.value.span, format!("`{name}` is given twice"));
            ok = false;
        }
    }
    for param in &def.params {
        let name = param.name.to_string();
        if values.contains_key(&name) {
            continue;
        }
        match &param.default {
            Some(default) => {
                values.insert(name, default.clone());
            }
            None => {
                cx.error(
                    call.args_span,
                    format!(
                        "block `{}` is missing its argument `{name}`; it is used as `{}({})`",
                        def.name,
                        def.name,
                        param_list(def)
                    ),
                );
                ok = false;
            }
        }
    }
    ok.then_some(values)
}

fn param_list(def: &BlockDef) -> String {
    def.params
        .iter()
        .map(|p| match &p.default {
            Some(d) => format!("{} = {d}", p.name),
            None => p.name.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value as tokens with its span, to stand where a parameter was written.
fn value_tokens(value: &Spanned<Value>) -> TokenStream {
    fn tokens(value: &Value, span: Span) -> TokenStream {
        let tree: TokenTree = match value {
            Value::Int(i) if *i < 0 => {
                let mut ts = TokenStream::new();
                ts.extend([TokenTree::Punct(proc_macro2::Punct::new(
                    '-',
                    proc_macro2::Spacing::Alone,
                ))]);
                ts.extend(tokens(
                    &Value::Int(i.unsigned_abs().try_into().unwrap_or(i64::MAX)),
                    span,
                ));
                return ts;
            }
            Value::Int(i) => TokenTree::Literal(proc_macro2::Literal::i64_unsuffixed(*i)),
            Value::Float(f) if *f < 0.0 => {
                let mut ts = TokenStream::new();
                ts.extend([TokenTree::Punct(proc_macro2::Punct::new(
                    '-',
                    proc_macro2::Spacing::Alone,
                ))]);
                ts.extend(tokens(&Value::Float(-f), span));
                return ts;
            }
            Value::Float(f) => TokenTree::Literal(proc_macro2::Literal::f64_unsuffixed(*f)),
            Value::Bool(b) => {
                TokenTree::Ident(proc_macro2::Ident::new(if *b { "True" } else { "False" }, span))
            }
            Value::Str(s) => TokenTree::Literal(proc_macro2::Literal::string(s)),
            Value::None => TokenTree::Ident(proc_macro2::Ident::new("None", span)),
            Value::Tuple(items) => {
                let mut inner = TokenStream::new();
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        inner.extend([TokenTree::Punct(proc_macro2::Punct::new(
                            ',',
                            proc_macro2::Spacing::Alone,
                        ))]);
                    }
                    inner.extend(tokens(item, span));
                }
                if items.len() == 1 {
                    inner.extend([TokenTree::Punct(proc_macro2::Punct::new(
                        ',',
                        proc_macro2::Spacing::Alone,
                    ))]);
                }
                TokenTree::Group(Group::new(Delimiter::Parenthesis, inner))
            }
        };
        let mut tree = tree;
        tree.set_span(span);
        let mut ts = TokenStream::new();
        ts.extend([tree]);
        ts
    }
    let mut ts = tokens(&value.value, value.span);
    ts = ts
        .into_iter()
        .map(|mut t| {
            t.set_span(value.span);
            t
        })
        .collect();
    ts
}

/// Replaces each parameter name in `body` by its value, where the name stands for a value: not
/// a keyword or a layer name (followed by `=`), not a layer (followed by `(`), not part of a
/// path.
fn substitute(body: TokenStream, values: &HashMap<String, TokenStream>) -> TokenStream {
    let trees: Vec<TokenTree> = body.into_iter().collect();
    let mut out = TokenStream::new();
    for (i, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Group(g) => {
                let mut group = Group::new(g.delimiter(), substitute(g.stream(), values));
                group.set_span(g.span());
                out.extend([TokenTree::Group(group)]);
            }
            TokenTree::Ident(ident) => {
                let next = trees.get(i + 1);
                let after = trees.get(i + 2);
                let before = i.checked_sub(1).and_then(|j| trees.get(j));
                let is_assignment = matches!(next, Some(TokenTree::Punct(p)) if p.as_char() == '='
                    && !matches!(after, Some(TokenTree::Punct(q)) if q.as_char() == '='));
                let is_call = matches!(next, Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis);
                let in_path = matches!(before, Some(TokenTree::Punct(p)) if p.as_char() == ':')
                    || matches!(next, Some(TokenTree::Punct(p)) if p.as_char() == ':');
                match values.get(&ident.to_string()) {
                    Some(value) if !is_assignment && !is_call && !in_path => {
                        // The value keeps the parameter's place in the definition: a mistake it
                        // causes points there, and a second message at the use says which use.
                        out.extend(value.clone().into_iter().map(|mut t| {
                            respan(&mut t, ident.span());
                            t
                        }));
                    }
                    _ => out.extend([tree.clone()]),
                }
            }
            _ => out.extend([tree.clone()]),
        }
    }
    out
}

/// Gives `tree` and everything inside it the span `span`.
fn respan(tree: &mut TokenTree, span: Span) {
    if let TokenTree::Group(g) = tree {
        let stream = g
            .stream()
            .into_iter()
            .map(|mut t| {
                respan(&mut t, span);
                t
            })
            .collect();
        let mut group = Group::new(g.delimiter(), stream);
        group.set_span(span);
        *g = group;
    } else {
        tree.set_span(span);
    }
}

/// Names within one container become keys and fields: each must be unique.
fn check_names(items: &[Item], scope: &Scope, cx: &mut Ctxt) {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        let Some(name) = item.name() else { continue };
        let text = name.to_string();
        if let Some(first) = seen.insert(text.clone(), index) {
            cx.error(
                name.span(),
                format!(
                    "layer name `{text}` is already used by layer {first}; each name becomes a \
                     field and a state_dict key, so names must be unique"
                ),
            );
        }
        if scope.indexed
            && scope.prefix.is_empty()
            && let Some(n) = text.strip_prefix("layer").and_then(|n| n.parse::<usize>().ok())
            && items.get(n).is_some_and(|l| l.name().is_none())
        {
            cx.error(
                name.span(),
                format!(
                    "layer name `{text}` is the field name of the unnamed layer {n}; \
                     choose another name"
                ),
            );
        }
    }
}

/// Two layers must not share a `state_dict` key (two unnamed Sequentials inside one block
/// would both number their layers from 0).
fn check_unique_keys(nodes: &[Node], cx: &mut Ctxt) {
    let mut seen: HashMap<&str, NodeId> = HashMap::new();
    for (id, node) in nodes.iter().enumerate() {
        if !node.keyed {
            continue;
        }
        if let Some(&first) = seen.get(node.path.as_str()) {
            // A name used twice in one list was reported by `check_names`.
            if nodes[first].container != node.container {
                cx.error(
                    node.span,
                    format!(
                        "this layer's state_dict key would be `{}`, which an earlier layer \
                         already has; name the branches that hold them (`body = [..]`) or the \
                         layers themselves",
                        node.path
                    ),
                );
            }
        } else {
            seen.insert(&node.path, id);
        }
    }
}

/// Gives each layer node a Rust field name: its path with `_` for `.`, `layer` before a
/// leading digit (`layer3`, `stack2_conv1`), made unique.
fn assign_fields(graph: &mut Graph) {
    let mut used: HashMap<String, usize> = HashMap::new();
    for node in &mut graph.nodes {
        if !matches!(node.op, NodeOp::Layer(_)) {
            continue;
        }
        let mut field: String = node
            .path
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
            .collect();
        if field.starts_with(|c: char| c.is_ascii_digit()) {
            field = format!("layer{field}");
        }
        let count = used.entry(field.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            field = format!("{field}_{count}");
        }
        node.field = field;
    }
}

/// If checking `node` reported errors (more than `before`) and the node comes from a block
/// definition, says which use of the block it was.
pub fn note_instance(graph: &Graph, node: &Node, before: usize, cx: &mut Ctxt) {
    if cx.len() > before
        && let Some(instance) = node.instance.and_then(|i| graph.instances.get(i))
    {
        cx.error(instance.span, format!("in `{}`", instance.text));
    }
}
