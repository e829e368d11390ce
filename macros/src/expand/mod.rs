//! Generates the network's struct and impls from a checked network. One function per emitted
//! item; all paths are absolute (`::staticnn::..`). The types of shapes and layers are in
//! `types`, how fields are built in `init`, the body of `forward_into` in `forward`.

mod forward;
mod heap;
mod init;
pub mod int8;
mod types;

use proc_macro2::TokenStream;
use quote::quote;
use syn::Ident;
use syn::ext::IdentExt as _;

use crate::ast::Network;
use crate::graph::{Child, Graph, Module, NodeId, NodeOp};
use crate::layers::{Layer, Op};
use crate::plan::{self, Fused, Holds, Plan, Side};
use crate::repr;
use crate::shape::{Shape, Stage};
use crate::weights::Weights;

use types::{layer_type, shape_type};

/// A network whose layers and shapes passed every check.
pub struct Checked<'a> {
    /// The declaration.
    pub network: &'a Network,
    /// Its graph.
    pub graph: &'a Graph,
    /// Its layers, resolved, by node (`None` for the other nodes).
    pub layers: Vec<Option<Layer<'a>>>,
    /// Each node's output shape (unknown after a layer of the user's own).
    pub stages: Vec<Stage>,
    /// The input shape.
    pub input: Shape,
    /// The `state_dict` prefix of every key (`#[staticnn(prefix = "..")]`).
    pub prefix: Option<String>,
    /// Trained weights to compile in (`#[staticnn(weights = "..")]`).
    pub weights: Option<Weights>,
}

impl Checked<'_> {
    /// The layer nodes, in execution order.
    fn layer_list(&self) -> impl Iterator<Item = &Layer<'_>> {
        self.layers.iter().flatten()
    }

    /// The layer of node `node`, if it is a layer node.
    fn layer(&self, node: NodeId) -> Option<&Layer<'_>> {
        self.layers.get(node).and_then(Option::as_ref)
    }

    /// The output shape of node `node`, when known.
    fn shape(&self, node: NodeId) -> Option<&Shape> {
        self.stages.get(node).and_then(|s| s.output.as_ref())
    }

    /// The input shape of layer `layer`, when known.
    fn input_shape(&self, layer: &Layer) -> Option<&Shape> {
        let source = self.graph.nodes[layer.node].inputs.first().copied().unwrap_or(0);
        self.shape(source)
    }
}

/// Everything `network!` emits for one network.
pub fn network(net: &Checked) -> TokenStream {
    let types = NodeTypes::new(net);
    let shapes: Vec<Option<Shape>> = net.stages.iter().map(|s| s.output.clone()).collect();
    let work: Vec<Option<plan::Elem>> = net
        .layers
        .iter()
        .map(|l| l.as_ref().filter(|l| matches!(l.op, Op::Conv(_))).map(|_| plan::Elem::F32))
        .collect();
    let plan = plan::plan(net.graph, &net.layers, &shapes, plan::Mode::Float, &work, false);
    let definition = struct_definition(net, &types);
    let inherent = inherent_impl(net, &types, &plan);
    let trait_impl = network_trait_impl(net, &types);
    let display = display_impl(net);
    let trained = net.weights.as_ref().map(|w| trained_impl(net, &types, w));
    let heap = heap::heap_impl(net, &types);
    quote! {
        #definition
        #inherent
        #trait_impl
        #display
        #trained
        #heap
    }
}

/// The Rust type of every node's output and of every layer. Known shapes are spelled out;
/// after a layer of the user's own they are projections through `Layer::Output`, so the type
/// system carries the shapes on.
pub struct NodeTypes {
    /// The type of each node's output.
    out: Vec<TokenStream>,
    /// The type of each layer node's layer (empty for other nodes).
    layers: Vec<TokenStream>,
}

impl NodeTypes {
    fn new(net: &Checked) -> Self {
        Self::new_with(net, &|_| None)
    }

    /// As [`NodeTypes::new`], with the types `layer_override` gives for some layers (an int8
    /// network's layers).
    fn new_with(net: &Checked, layer_override: &dyn Fn(&Layer) -> Option<TokenStream>) -> Self {
        let mut out: Vec<TokenStream> = Vec::with_capacity(net.graph.nodes.len());
        let mut layers = Vec::with_capacity(net.graph.nodes.len());
        for (id, node) in net.graph.nodes.iter().enumerate() {
            let first_input = node.inputs.first().and_then(|&i| out.get(i)).cloned();
            let known = net.shape(id).map(shape_type);
            let (ty, layer_ty) = match (&node.op, net.layer(id)) {
                (NodeOp::Input, _) => (shape_type(&net.input), TokenStream::new()),
                (NodeOp::Layer(_), Some(layer)) => {
                    let lt = layer_override(layer).unwrap_or_else(|| {
                        layer_type(layer, net.input_shape(layer), net.shape(id))
                    });
                    let input = first_input.unwrap_or_default();
                    let ty = known.unwrap_or_else(
                        || quote!(<#lt as ::staticnn::layer::Layer<#input>>::Output),
                    );
                    (ty, lt)
                }
                // An `Add` of shapes only the type system knows has its branches' shape.
                _ => (
                    known.or(first_input).unwrap_or_else(|| {
                        quote!(::core::compile_error!("staticnn: a shape is unknown here"))
                    }),
                    TokenStream::new(),
                ),
            };
            out.push(ty);
            layers.push(layer_ty);
        }
        Self { out, layers }
    }

    /// The type of the network's input.
    fn input(&self) -> &TokenStream {
        &self.out[0]
    }

    /// The type of node `node`'s output.
    fn of(&self, node: NodeId) -> &TokenStream {
        &self.out[node]
    }

    /// The type of layer `layer`.
    fn layer(&self, layer: &Layer) -> &TokenStream {
        &self.layers[layer.node]
    }

    /// The number of elements of node `node`'s output, as a constant expression.
    fn numel(&self, node: NodeId) -> TokenStream {
        let ty = &self.out[node];
        quote!(<#ty as ::staticnn::shape::Shape>::NUMEL)
    }
}

/// The field of `layer`: the user's name as written when it is the whole key (a raw `r#type`
/// stays raw), else the field the graph made from the key (`layer3`, `stack2_conv1`).
fn field(layer: &Layer) -> Ident {
    match &layer.call.name {
        Some(name) if name.unraw() == layer.key => name.clone(),
        Some(name) => Ident::new(&layer.field_name(), name.span()),
        None => Ident::new(&layer.field_name(), layer.call.kind_span()),
    }
}

fn struct_definition(net: &Checked, types: &NodeTypes) -> TokenStream {
    let n = net.network;
    let (attrs, vis, name) = (&n.attrs, &n.vis, &n.name);
    let fields = net.layer_list().map(|layer| {
        let f = field(layer);
        let ty = types.layer(layer);
        let user_attrs = &layer.call.attrs;
        let shape = net
            .shape(layer.node)
            .map_or_else(|| "set by the layer".to_owned(), ToString::to_string);
        let doc =
            format!(" `({}): {}`, output {shape}", layer.state_dict_name(), repr::layer(layer));
        quote! {
            #(#user_attrs)*
            #[doc = #doc]
            #vis #f: #ty
        }
    });
    let summary = format!(" ```text\n {}\n ```", torch_repr(net).replace('\n', "\n "));
    let has_docs = n.attrs.iter().any(|a| a.path().is_ident("doc"));
    let lead = if has_docs { quote!(#[doc = ""]) } else { quote!() };
    let input = net.input.to_string();
    let io = format!(
        " Input {input}, output {}; generated by `network!`, PyTorch's `print(net)`:",
        net.shape(net.graph.output)
            .map_or_else(|| "set by the last layer".to_owned(), ToString::to_string)
    );
    quote! {
        #(#attrs)*
        #lead
        #[doc = #io]
        #[doc = ""]
        #[doc = #summary]
        #vis struct #name {
            #(#fields,)*
        }
    }
}

/// `print(net)`: the module tree, layers by their PyTorch form.
fn torch_repr(net: &Checked) -> String {
    module_repr(net, &net.graph.tree)
}

fn module_repr(net: &Checked, module: &Module) -> String {
    let lines: Vec<(String, String)> = module
        .children
        .iter()
        .map(|(name, child)| {
            let text = match child {
                Child::Layer(node) => net.layer(*node).map(repr::layer).unwrap_or_default(),
                Child::Module(m) => module_repr(net, m),
            };
            (name.clone(), text)
        })
        .collect();
    repr::module(&module.class, &lines)
}

/// `trained()`: the network with the weights of the file, as a `static` in read-only memory.
/// The file is embedded with `include_bytes!` and read by constant evaluation, so neither the
/// macro's output nor the compile time grows with the number of weights, and cargo rebuilds
/// when the file changes.
fn trained_impl(net: &Checked, types: &NodeTypes, weights: &Weights) -> TokenStream {
    let path = weights.path.to_string_lossy().into_owned();
    let fields = net.layer_list().map(|layer| {
        let f = field(layer);
        let ty = types.layer(layer);
        let offsets = weights.offsets.get(&layer.node).map_or(&[][..], Vec::as_slice);
        let shapes = (net.input_shape(layer), net.shape(layer.node));
        let init = init::const_init(layer, ty, shapes, offsets);
        quote!(#f: #init)
    });
    let file = path.rsplit(['/', '\\']).next().unwrap_or(&path);
    let doc = format!(" The network with the trained weights of `{file}`, in read-only memory.");
    trained_static(net, &path, &doc, fields)
}

/// `impl Net { fn trained() -> &'static Self }` whose `static` is built by constant evaluation
/// from `fields` (`name: init` pairs reading `BYTES`, the file at `path`); shared by float and
/// int8 networks.
pub(crate) fn trained_static(
    net: &Checked,
    path: &str,
    doc: &str,
    fields: impl Iterator<Item = TokenStream>,
) -> TokenStream {
    let name = &net.network.name;
    let vis = &net.network.vis;
    quote! {
        impl #name {
            #[doc = #doc]
            ///
            /// The weights are a `static` (flash on a microcontroller): nothing is copied to RAM.
            #[must_use]
            #vis fn trained() -> &'static Self {
                #[allow(long_running_const_eval)]
                static TRAINED: #name = {
                    const BYTES: &[u8] = ::core::include_bytes!(#path);
                    #name { #(#fields,)* }
                };
                &TRAINED
            }
        }
    }
}

fn has_parameters(layer: &Layer) -> bool {
    !matches!(layer.op, Op::Custom(_))
}

/// The `state_dict` key prefix of a layer.
fn key_prefix(net: &Checked, layer: &Layer) -> String {
    match &net.prefix {
        Some(p) => format!("{p}.{}", layer.state_dict_name()),
        None => layer.state_dict_name(),
    }
}

/// Multiply-accumulates of one layer, as a constant expression.
fn layer_macs(net: &Checked, layer: &Layer, types: &NodeTypes) -> Option<TokenStream> {
    let source = net.graph.nodes[layer.node].inputs.first().copied().unwrap_or(0);
    // The factors were checked to fit (`layers::resolve`, `check::sizes`): saturating
    // arithmetic never saturates here.
    let kernel =
        |c: &crate::layers::Conv| c.kernel.iter().fold(1, |n: usize, &k| n.saturating_mul(k));
    match &layer.op {
        Op::Conv(c) if c.transposed => {
            // Every input element meets out_channels / groups x kernel weights.
            let per_input = (c.out_channels / c.groups).saturating_mul(kernel(c));
            let input = types.numel(source);
            Some(quote!(#input * #per_input))
        }
        Op::Conv(c) => {
            let per_output = (c.in_channels / c.groups).saturating_mul(kernel(c));
            let out = types.numel(layer.node);
            Some(quote!(#out * #per_output))
        }
        Op::Linear(l) => {
            let n = l.in_features.saturating_mul(l.out_features);
            Some(quote!(#n))
        }
        _ => None,
    }
}

/// The working memory a convolution step needs beside its input and output (its input panel
/// and, fused with pooling, a block of its output channels), as a constant expression.
fn workspace(net: &Checked, types: &NodeTypes, layer: &Layer, fused: Fused) -> TokenStream {
    let ty = types.layer(layer);
    let source = net.graph.nodes[layer.node].inputs.first().copied().unwrap_or(0);
    let x = types.of(source);
    match fused.pool {
        Some(pool) => {
            let before_pool = net.graph.nodes[pool].inputs.first().copied().unwrap_or(0);
            let mid = types.of(before_pool);
            quote!(<#ty>::pooled_workspace::<#x, #mid>())
        }
        None => {
            let y = types.of(fused.last(layer.node));
            quote!(<#ty>::workspace::<#x, #y>())
        }
    }
}

/// The constant that places the plan's scratch regions (`Arena::plan`, in bytes);
/// `work_len(layer)` is the length in elements of a step's working memory.
fn arena(
    net: &Checked,
    types: &NodeTypes,
    plan: &Plan,
    work_len: &dyn Fn(&Layer) -> TokenStream,
) -> TokenStream {
    let n = plan.regions.len();
    let sizes = plan.regions.iter().map(|r| {
        let elem = match r.elem {
            plan::Elem::F32 => quote!(f32),
            plan::Elem::I8 => quote!(i8),
        };
        let count = match r.holds {
            Holds::Value(node) => types.numel(node),
            Holds::Work(step) => match &plan.steps[step] {
                plan::Step::Run { layer, .. } => match net.layer(*layer) {
                    Some(l) => work_len(l),
                    None => quote!(0),
                },
                _ => quote!(0),
            },
        };
        quote!(::staticnn::scratch::region_bytes(#count * ::core::mem::size_of::<#elem>()))
    });
    let first = plan.regions.iter().map(|r| r.first);
    let last = plan.regions.iter().map(|r| r.last);
    let side = plan.regions.iter().map(|r| match r.side {
        Side::Front => quote!(::staticnn::scratch::arena::side::FRONT),
        Side::Back => quote!(::staticnn::scratch::arena::side::BACK),
        Side::Between => quote!(::staticnn::scratch::arena::side::BETWEEN),
    });
    quote! {
        ::staticnn::scratch::Arena::<#n>::plan(
            [#(#sizes),*],
            [#(#first),*],
            [#(#last),*],
            [#(#side),*],
        )
    }
}

/// The `STEPS` constant: what each step of the plan runs and its MACs.
fn step_summaries(net: &Checked, types: &NodeTypes, plan: &Plan) -> TokenStream {
    let rows = plan.steps.iter().map(|step| {
        let nodes = forward::step_nodes(step);
        let keys: Vec<String> = nodes.iter().map(|&i| net.graph.nodes[i].path.clone()).collect();
        let names: Vec<String> = nodes.iter().map(|&i| node_kind(net, i)).collect();
        let (keys, names) = if nodes.is_empty() || matches!(step, plan::Step::Copy { .. }) {
            (String::new(), "copy".to_owned())
        } else {
            (keys.join(", "), names.join(" + "))
        };
        let macs = nodes
            .first()
            .and_then(|&i| net.layer(i))
            .and_then(|l| layer_macs(net, l, types))
            .unwrap_or_else(|| quote!(0));
        quote!(::staticnn::network::StepSummary { layers: #keys, name: #names, macs: #macs })
    });
    quote!(&[#(#rows),*])
}

/// A node's kind for summaries: `Conv2d`, `Add`.
fn node_kind(net: &Checked, node: NodeId) -> String {
    match &net.graph.nodes[node].op {
        NodeOp::Input => "input".to_owned(),
        NodeOp::Layer(_) => net.layer(node).map(Layer::kind).unwrap_or_default(),
        NodeOp::Combine { kind, .. } => kind.describe().to_owned(),
    }
}

/// One `LAYERS` row per layer and combinator node.
fn layer_summaries(net: &Checked, types: &NodeTypes) -> Vec<TokenStream> {
    net.graph
        .nodes
        .iter()
        .enumerate()
        .skip(1)
        .map(|(id, node)| {
            let key = node.path.clone();
            let (text, params, macs) = match net.layer(id) {
                Some(l) => {
                    let params = if has_parameters(l) {
                        let ty = types.layer(l);
                        quote!(<#ty as ::staticnn::layer::Parameters>::PARAMS)
                    } else {
                        quote!(0)
                    };
                    let macs = layer_macs(net, l, types).unwrap_or_else(|| quote!(0));
                    (repr::layer(l), params, macs)
                }
                None => (format!("{}()", node_kind(net, id)), quote!(0), quote!(0)),
            };
            let out = types.of(id);
            quote! {
                ::staticnn::network::LayerSummary {
                    name: #key,
                    repr: #text,
                    output_shape: <#out as ::staticnn::shape::Shape>::DIMS,
                    params: #params,
                    macs: #macs,
                    activation_bytes: <#out as ::staticnn::shape::Shape>::NUMEL * ::core::mem::size_of::<f32>(),
                }
            }
        })
        .collect()
}

fn inherent_impl(net: &Checked, types: &NodeTypes, plan: &Plan) -> TokenStream {
    let n = net.network;
    let (vis, name) = (&n.vis, &n.name);
    let (input_ty, output_ty) = (types.input(), types.of(net.graph.output));
    let step_fused = |l: &Layer| {
        plan.steps
            .iter()
            .find_map(|s| match s {
                plan::Step::Run { layer, fused, .. } if *layer == l.node => Some(*fused),
                _ => None,
            })
            .unwrap_or_default()
    };
    let arena = arena(net, types, plan, &|l| workspace(net, types, l, step_fused(l)));
    let regions = plan.regions.len();
    let entry_points = EntryPoints {
        forward_doc: "Runs the network on `input` and returns the output.",
        forward_into_doc: "Runs the network on `input`, writing `output`, with `scratch` as the \
                           only working memory. Neither allocates nor panics.",
    }
    .tokens(vis, input_ty, output_ty, &forward::body(net, types, plan));
    let step_rows = step_summaries(net, types, plan);
    let input_dims = &net.input.0;
    let output_numel_dims = quote!(<#output_ty as ::staticnn::shape::Shape>::DIMS);
    let params = net.layer_list().filter(|l| has_parameters(l)).map(|l| {
        let ty = types.layer(l);
        quote!(<#ty as ::staticnn::layer::Parameters>::PARAMS)
    });
    let macs: Vec<TokenStream> =
        net.layer_list().filter_map(|l| layer_macs(net, l, types)).collect();
    let inits = net.layer_list().map(|l| {
        let f = field(l);
        let init = init::field_init(l, net.input_shape(l), net.shape(l.node));
        quote!(#f: #init)
    });
    let resets = net.layer_list().filter(|l| has_parameters(l)).map(|l| {
        let f = field(l);
        quote!(::staticnn::layer::Parameters::reset_parameters(&mut self.#f, &mut rng);)
    });
    let visits = net.layer_list().filter(|l| has_parameters(l)).map(|l| {
        let f = field(l);
        let prefix = key_prefix(net, l);
        quote! {
            ::staticnn::layer::Parameters::visit(&self.#f, &mut |name, dims, values| {
                f(::staticnn::network::ParamName { prefix: #prefix, name }, dims, values)
            });
        }
    });
    let visits_mut = net.layer_list().filter(|l| has_parameters(l)).map(|l| {
        let f = field(l);
        let prefix = key_prefix(net, l);
        quote! {
            ::staticnn::layer::Parameters::visit_mut(&mut self.#f, &mut |name, dims, values| {
                f(::staticnn::network::ParamName { prefix: #prefix, name }, dims, values)
            });
        }
    });
    let repr = torch_repr(net);
    let summaries = layer_summaries(net, types);
    quote! {
        #[allow(clippy::identity_op, clippy::erasing_op)]
        impl #name {
            /// The input dimensions, as declared (without the batch dimension).
            #vis const INPUT_SHAPE: &'static [usize] = &[#(#input_dims),*];
            /// The output dimensions (without the batch dimension).
            #vis const OUTPUT_SHAPE: &'static [usize] = #output_numel_dims;
            /// The number of learnable parameters, as `sum(p.numel() for p in net.parameters())`.
            #vis const PARAMS: usize = 0 #(+ #params)*;
            /// Multiply-accumulates of the convolution and linear layers per inference.
            #vis const MACS: usize = 0 #(+ #macs)*;
            /// Where the plan puts each region of the scratch buffer (values kept between steps
            /// and kernels' working memory), placed when the crate is compiled.
            #[doc(hidden)]
            #vis const __ARENA: ::staticnn::scratch::Arena<#regions> = #arena;
            /// Floats of working memory one inference needs (see [`Self::new_scratch`]).
            #vis const SCRATCH_LEN: usize = Self::__ARENA.len.div_ceil(4);
            /// Bytes of working memory one inference needs.
            #vis const SCRATCH_BYTES: usize = Self::SCRATCH_LEN * ::core::mem::size_of::<f32>();
            /// What PyTorch's `print(net)` prints for this network.
            #vis const TORCH_REPR: &'static str = #repr;
            /// One row per layer: output shape, parameters, MACs, activation size.
            #vis const LAYERS: &'static [::staticnn::network::LayerSummary] = &[#(#summaries),*];
            /// The execution plan: one row per step of [`Self::forward_into`] (layers fused into
            /// one step are listed together).
            #vis const STEPS: &'static [::staticnn::network::StepSummary] = #step_rows;

            /// A network with every parameter zero (and PyTorch's initial state for the
            /// normalisation layers' weights and statistics).
            ///
            /// Built on the stack: a big network (the 47 M parameters of an `AlexNet` are 187 MB) needs
            /// `Self::boxed_zeroed()` (feature `alloc`, on by default), which builds it in
            /// place on the heap.
            #[must_use]
            #vis fn zeroed() -> Self {
                Self { #(#inits,)* }
            }

            /// A network initialised like PyTorch's defaults (`U(-1/sqrt(fan_in), 1/sqrt(fan_in))`
            /// for convolution and linear layers), from a generator seeded with `seed`.
            ///
            /// Built on the stack: a big network needs `Self::boxed_seeded(seed)` (feature
            /// `alloc`, on by default), which gives the same values on the heap.
            #[must_use]
            #vis fn seeded(seed: u64) -> Self {
                let mut net = Self::zeroed();
                net.reset_parameters(seed);
                net
            }

            /// Re-initialises every parameter in place, like [`Self::seeded`].
            #vis fn reset_parameters(&mut self, seed: u64) {
                let mut rng = ::staticnn::init::Rng::seed(seed);
                let _ = &mut rng;
                #(#resets)*
            }

            /// A zeroed scratch buffer of [`Self::SCRATCH_BYTES`] bytes; `const`, so it can be
            /// a `static` on a microcontroller.
            ///
            /// Built on the stack: on the host, a big network's scratch needs
            /// `Self::boxed_scratch()` (feature `alloc`, on by default).
            #[must_use]
            #vis const fn new_scratch() -> ::staticnn::scratch::Scratch<{ Self::SCRATCH_LEN }> {
                ::staticnn::scratch::Scratch::new()
            }

            #entry_points

            /// Runs the network on a batch: `inputs[n]` gives `outputs[n]`, like PyTorch's batch
            /// dimension (every layer works per sample at inference). Extra inputs or outputs
            /// beyond the shorter slice are left alone.
            ///
            /// With the `parallel` feature (on by default) the batch is split across all cores
            /// (rayon), each core with a scratch buffer of its own (the first uses `scratch`),
            /// with outputs identical to the sequential loop's; without it, or for a network
            /// that is not `Sync`, one sample after the other.
            #vis fn forward_batch_into(
                &self,
                inputs: &[::staticnn::tensor::Tensor<#input_ty>],
                outputs: &mut [::staticnn::tensor::Tensor<#output_ty>],
                scratch: &mut ::staticnn::scratch::Scratch<{ Self::SCRATCH_LEN }>,
            ) {
                ::staticnn::__private::forward_batch_into!(self, inputs, outputs, scratch);
            }

            /// Runs the network on a batch of `N` inputs and returns the `N` outputs, like
            /// [`Self::forward_batch_into`] (across all cores with the `parallel` feature). The
            /// scratch buffer is taken as in [`Self::forward`].
            #[must_use]
            #vis fn forward_batch<const N: usize>(
                &self,
                inputs: &[::staticnn::tensor::Tensor<#input_ty>; N],
            ) -> [::staticnn::tensor::Tensor<#output_ty>; N] {
                let mut outputs = ::core::array::from_fn(|_| ::staticnn::tensor::Tensor::zeros());
                ::staticnn::scratch::Scratch::<{ Self::SCRATCH_LEN }>::with_new(|scratch| {
                    self.forward_batch_into(inputs, &mut outputs, scratch);
                });
                outputs
            }

            /// Loads weights saved by PyTorch (`safetensors.torch.save_file(model.state_dict(),
            /// ..)`) from `bytes`, in place, without allocating. Every tensor the network
            /// declares must be present with dtype F32 and its shape, and nothing else (but
            /// BatchNorm's `num_batches_tracked`); on any error the network is left unchanged.
            ///
            /// # Errors
            /// A [`LoadError`](::staticnn::safetensors::LoadError) saying what is wrong with the
            /// file or how it disagrees with the network.
            #vis fn load_safetensors<'a>(
                &mut self,
                bytes: &'a [u8],
            ) -> ::core::result::Result<(), ::staticnn::safetensors::LoadError<'a>> {
                ::staticnn::safetensors::load_safetensors(self, bytes)
            }

            /// Calls `f` with every tensor of the `state_dict` (key, PyTorch shape, values).
            #vis fn visit_parameters(&self, f: &mut ::staticnn::network::StateDictVisitor<'_>) {
                let _ = &f;
                #(#visits)*
            }

            /// Calls `f` with every tensor of the `state_dict`, mutably (to load weights).
            #vis fn visit_parameters_mut(&mut self, f: &mut ::staticnn::network::StateDictVisitorMut<'_>) {
                let _ = &f;
                #(#visits_mut)*
            }
        }
    }
}

fn network_trait_impl(net: &Checked, types: &NodeTypes) -> TokenStream {
    let name = &net.network.name;
    let (input_ty, output_ty) = (types.input(), types.of(net.graph.output));
    quote! {
        impl ::staticnn::network::Network for #name {
            type Input = #input_ty;
            type Output = #output_ty;
            type Scratch = ::staticnn::scratch::Scratch<{ Self::SCRATCH_LEN }>;
            const INPUT_SHAPE: &'static [usize] = Self::INPUT_SHAPE;
            const OUTPUT_SHAPE: &'static [usize] = Self::OUTPUT_SHAPE;
            const PARAMS: usize = Self::PARAMS;
            const MACS: usize = Self::MACS;
            const SCRATCH_BYTES: usize = Self::SCRATCH_BYTES;
            const STEPS: &'static [::staticnn::network::StepSummary] = Self::STEPS;

            fn new_scratch() -> Self::Scratch {
                Self::new_scratch()
            }

            fn forward(
                &self,
                input: &::staticnn::tensor::Tensor<Self::Input>,
            ) -> ::staticnn::tensor::Tensor<Self::Output> {
                Self::forward(self, input)
            }

            fn forward_into(
                &self,
                input: &::staticnn::tensor::Tensor<Self::Input>,
                output: &mut ::staticnn::tensor::Tensor<Self::Output>,
                scratch: &mut Self::Scratch,
            ) {
                Self::forward_into(self, input, output, scratch);
            }

            fn forward_into_probed<P: FnMut(usize)>(
                &self,
                input: &::staticnn::tensor::Tensor<Self::Input>,
                output: &mut ::staticnn::tensor::Tensor<Self::Output>,
                scratch: &mut Self::Scratch,
                probe: &mut P,
            ) {
                Self::forward_into_probed(self, input, output, scratch, probe);
            }

            fn visit_parameters(&self, f: &mut ::staticnn::network::StateDictVisitor<'_>) {
                Self::visit_parameters(self, f);
            }

            fn visit_parameters_mut(&mut self, f: &mut ::staticnn::network::StateDictVisitorMut<'_>) {
                Self::visit_parameters_mut(self, f);
            }
        }

        impl ::core::default::Default for #name {
            fn default() -> Self {
                Self::zeroed()
            }
        }
    }
}

fn display_impl(net: &Checked) -> TokenStream {
    let name = &net.network.name;
    quote! {
        impl ::core::fmt::Display for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(Self::TORCH_REPR)
            }
        }
    }
}

/// The `f32` entry points every network has (`forward`, `forward_into`,
/// `forward_into_probed`), around the body of `forward_into_probed`; the first sentence of two
/// of their docs is the network kind's.
pub(crate) struct EntryPoints {
    /// What `forward` does, one sentence.
    pub forward_doc: &'static str,
    /// What `forward_into` does.
    pub forward_into_doc: &'static str,
}

impl EntryPoints {
    /// The three methods, `body` being `forward_into_probed`'s (it sees `input`, `output`,
    /// `scratch` and `probe`).
    pub(crate) fn tokens(
        &self,
        vis: &syn::Visibility,
        input_ty: &TokenStream,
        output_ty: &TokenStream,
        body: &TokenStream,
    ) -> TokenStream {
        let (forward_doc, forward_into_doc) = (self.forward_doc, self.forward_into_doc);
        quote! {
            #[doc = #forward_doc]
            /// The scratch buffer lives on the stack, or on the heap when it is larger than
            /// [`Scratch::HEAP_ABOVE_BYTES`](::staticnn::scratch::Scratch::HEAP_ABOVE_BYTES)
            /// and the `alloc` feature is on (it is by default); on a microcontroller prefer
            /// [`Self::forward_into`]. The output is returned on the stack: for a large one
            /// use `Self::forward_boxed` (feature `alloc`).
            #[must_use]
            #vis fn forward(&self, input: &::staticnn::tensor::Tensor<#input_ty>) -> ::staticnn::tensor::Tensor<#output_ty> {
                let mut output = ::staticnn::tensor::Tensor::zeros();
                ::staticnn::scratch::Scratch::<{ Self::SCRATCH_LEN }>::with_new(|scratch| {
                    self.forward_into(input, &mut output, scratch);
                });
                output
            }

            #[doc = #forward_into_doc]
            #[inline]
            #vis fn forward_into(
                &self,
                input: &::staticnn::tensor::Tensor<#input_ty>,
                output: &mut ::staticnn::tensor::Tensor<#output_ty>,
                scratch: &mut ::staticnn::scratch::Scratch<{ Self::SCRATCH_LEN }>,
            ) {
                self.forward_into_probed(input, output, scratch, &mut |_| {});
            }

            /// [`Self::forward_into`], calling `probe(i)` before step `i` of [`Self::STEPS`]
            /// and `probe(STEPS.len())` after the last: a hook to time each step on a target
            /// (it costs nothing when `probe` does nothing).
            #[inline(always)]
            #vis fn forward_into_probed(
                &self,
                input: &::staticnn::tensor::Tensor<#input_ty>,
                output: &mut ::staticnn::tensor::Tensor<#output_ty>,
                scratch: &mut ::staticnn::scratch::Scratch<{ Self::SCRATCH_LEN }>,
                probe: &mut impl FnMut(usize),
            ) {
                let _ = (&input, &output, &scratch);
                #body
            }
        }
    }
}
