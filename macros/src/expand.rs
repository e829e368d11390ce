//! Generates the network's struct and impls from a checked network. One function per emitted
//! item; all paths are absolute (`::staticnn::..`).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use crate::ast::{Network, Value};
use crate::layers::{ActivationKind, Layer, Op, Padding};
use crate::plan::{self, Slot, Step};
use crate::repr;
use crate::shape::{Shape, Stage};

/// A network whose layers and shapes passed every check.
pub struct Checked<'a> {
    /// The declaration.
    pub network: &'a Network,
    /// Its layers, resolved.
    pub layers: Vec<Layer<'a>>,
    /// Each layer's shapes (unknown after a layer of the user's own).
    pub stages: Vec<Stage>,
    /// The input shape.
    pub input: Shape,
    /// The `state_dict` prefix of every key (`#[staticnn(prefix = "..")]`).
    pub prefix: Option<String>,
}

/// Everything `network!` emits for one network.
pub fn network(net: &Checked) -> TokenStream {
    let types = StageTypes::new(net);
    let definition = struct_definition(net, &types);
    let inherent = inherent_impl(net, &types);
    let trait_impl = network_trait_impl(net, &types);
    let display = display_impl(net);
    quote! {
        #definition
        #inherent
        #trait_impl
        #display
    }
}

/// A `typenum` unsigned integer type for `n`.
pub fn typenum(n: usize) -> TokenStream {
    if n <= 1024 {
        quote!(::staticnn::__private::typenum::U<#n>)
    } else {
        // `U<N>` is only defined up to 1024 (and some round numbers): spell the bits out.
        let mut ty = quote!(::staticnn::__private::typenum::UTerm);
        for bit in (0..usize::BITS - n.leading_zeros()).rev() {
            let b = if (n >> bit) & 1 == 1 { quote!(B1) } else { quote!(B0) };
            ty = quote!(::staticnn::__private::typenum::UInt<#ty, ::staticnn::__private::typenum::#b>);
        }
        ty
    }
}

/// The shape type of `shape`: `Vector<N>`, `Cl<C, L>`, `Chw<C, H, W>` or `Cdhw<C, D, H, W>`.
fn shape_type(shape: &Shape) -> TokenStream {
    let dims: Vec<TokenStream> = shape.0.iter().map(|&d| typenum(d)).collect();
    match dims.as_slice() {
        [n] => quote!(::staticnn::shape::Vector<#n>),
        [c, l] => quote!(::staticnn::shape::Cl<#c, #l>),
        [c, h, w] => quote!(::staticnn::shape::Chw<#c, #h, #w>),
        [c, d, h, w] => quote!(::staticnn::shape::Cdhw<#c, #d, #h, #w>),
        _ => quote!(::core::compile_error!("staticnn: unsupported rank")),
    }
}

fn bool_type(b: bool) -> TokenStream {
    if b {
        quote!(::staticnn::__private::typenum::B1)
    } else {
        quote!(::staticnn::__private::typenum::B0)
    }
}

/// One number per axis: the number itself for one axis, a tuple for more.
fn per_axis(values: &[usize]) -> TokenStream {
    let items: Vec<TokenStream> = values.iter().map(|&v| typenum(v)).collect();
    match items.as_slice() {
        [one] => one.clone(),
        many => quote!((#(#many),*)),
    }
}

/// The Rust type of a layer; `shapes` is needed by reshapes.
fn layer_type(layer: &Layer, stage: &Stage) -> TokenStream {
    match &layer.op {
        Op::Conv(c) => {
            let (i, o) = (typenum(c.in_channels), typenum(c.out_channels));
            let (k, s, d) = (per_axis(&c.kernel), per_axis(&c.stride), per_axis(&c.dilation));
            let p = match &c.padding {
                Padding::Symmetric(p) => per_axis(p),
                Padding::Same => quote!(::staticnn::window::Same),
                Padding::Valid => quote!(::staticnn::window::Valid),
            };
            let g = typenum(c.groups);
            let b = bool_type(c.bias);
            let m = match c.padding_mode.as_str() {
                "reflect" => quote!(::staticnn::params::Reflect),
                "replicate" => quote!(::staticnn::params::Replicate),
                "circular" => quote!(::staticnn::params::Circular),
                _ => quote!(::staticnn::params::Zeros),
            };
            let name = format_ident!("Conv{}d", c.axes);
            quote!(::staticnn::layers::#name<#i, #o, #k, #s, #p, #d, #g, #b, #m>)
        }
        Op::Pool(p) => {
            let (k, s, pad) = (per_axis(&p.kernel), per_axis(&p.stride), per_axis(&p.padding));
            let ceil = bool_type(p.ceil_mode);
            let name = format_ident!("{}Pool{}d", if p.max { "Max" } else { "Avg" }, p.axes);
            if p.max {
                let d = per_axis(&p.dilation);
                quote!(::staticnn::layers::#name<#k, #s, #pad, #d, #ceil>)
            } else if p.axes == 2 {
                let include = bool_type(p.count_include_pad);
                let divisor = typenum(p.divisor_override);
                quote!(::staticnn::layers::#name<#k, #s, #pad, #ceil, #include, #divisor>)
            } else {
                let include = bool_type(p.count_include_pad);
                quote!(::staticnn::layers::#name<#k, #s, #pad, #ceil, #include>)
            }
        }
        Op::Linear(l) => {
            let (i, o, b) = (typenum(l.in_features), typenum(l.out_features), bool_type(l.bias));
            quote!(::staticnn::layers::Linear<#i, #o, #b>)
        }
        Op::Flatten(_) => match &stage.output {
            Some(out) if out.0.len() > 1 => {
                let to = shape_type(out);
                quote!(::staticnn::layers::Reshape<#to>)
            }
            _ => quote!(::staticnn::layers::Flatten),
        },
        Op::Activation(a) => match a.kind {
            ActivationKind::ReLU => quote!(::staticnn::layers::ReLU),
        },
        Op::Custom(path) => quote!(#path),
    }
}

/// The shape type at every point of the network: `at[0]` is the input, `at[i + 1]` the output
/// of layer `i`. Known shapes are spelled out; after a layer of the user's own they are
/// projections through `Layer::Output`, so the type system carries the shapes on.
struct StageTypes {
    at: Vec<TokenStream>,
    layers: Vec<TokenStream>,
}

impl StageTypes {
    fn new(net: &Checked) -> Self {
        let mut at = vec![shape_type(&net.input)];
        let mut layers = Vec::with_capacity(net.layers.len());
        for (layer, stage) in net.layers.iter().zip(&net.stages) {
            let ty = layer_type(layer, stage);
            let input = at.last().cloned().unwrap_or_default();
            let output = stage.output.as_ref().map_or_else(
                || quote!(<#ty as ::staticnn::layer::Layer<#input>>::Output),
                shape_type,
            );
            at.push(output);
            layers.push(ty);
        }
        Self { at, layers }
    }

    fn input(&self) -> &TokenStream {
        &self.at[0]
    }

    fn output(&self) -> &TokenStream {
        self.at.last().unwrap_or(&self.at[0])
    }

    fn numel(&self, stage: usize) -> TokenStream {
        let ty = &self.at[stage];
        quote!(<#ty as ::staticnn::shape::Shape>::NUMEL)
    }
}

fn field(layer: &Layer) -> Ident {
    Ident::new(
        &layer.field_name(),
        layer.call.name.as_ref().map_or_else(|| layer.call.kind_span(), Ident::span),
    )
}

fn struct_definition(net: &Checked, types: &StageTypes) -> TokenStream {
    let n = net.network;
    let (attrs, vis, name) = (&n.attrs, &n.vis, &n.name);
    let fields = net.layers.iter().enumerate().map(|(i, layer)| {
        let f = field(layer);
        let ty = &types.layers[i];
        let user_attrs = &layer.call.attrs;
        let shape = net.stages[i]
            .output
            .as_ref()
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
        net.stages
            .last()
            .and_then(|s| s.output.as_ref())
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

/// `print(net)` for the network as an `nn.Sequential`.
fn torch_repr(net: &Checked) -> String {
    let lines: Vec<(String, String)> =
        net.layers.iter().map(|l| (l.state_dict_name(), repr::layer(l))).collect();
    repr::sequential(&lines)
}

/// The initialiser of one field: `Default::default()` or a user layer's `new(..)`.
fn field_init(layer: &Layer) -> TokenStream {
    match &layer.op {
        Op::Custom(path) if !layer.call.args.is_empty() => {
            let args = layer.call.args.iter().map(|a| value_tokens(&a.value.value, a.value.span));
            quote!(#path::new(#(#args),*))
        }
        _ => quote!(::core::default::Default::default()),
    }
}

fn value_tokens(value: &Value, span: Span) -> TokenStream {
    match value {
        Value::Int(i) => {
            let lit = proc_macro2::Literal::i64_unsuffixed(*i);
            quote::quote_spanned!(span=> #lit)
        }
        Value::Float(f) => {
            let lit = proc_macro2::Literal::f64_unsuffixed(*f);
            quote::quote_spanned!(span=> #lit)
        }
        Value::Bool(b) => quote::quote_spanned!(span=> #b),
        Value::Str(s) => quote::quote_spanned!(span=> #s),
        Value::None => quote::quote_spanned!(span=> ::core::option::Option::None),
        Value::Tuple(items) => {
            let items = items.iter().map(|v| value_tokens(v, span));
            quote::quote_spanned!(span=> (#(#items),*))
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
fn layer_macs(layer: &Layer, types: &StageTypes, index: usize) -> Option<TokenStream> {
    match &layer.op {
        Op::Conv(c) => {
            let per_output = c.in_channels / c.groups * c.kernel.iter().product::<usize>();
            let out = types.numel(index + 1);
            Some(quote!(#out * #per_output))
        }
        Op::Linear(l) => {
            let n = l.in_features * l.out_features;
            Some(quote!(#n))
        }
        _ => None,
    }
}

fn scratch_len(types: &StageTypes, steps: &[Step]) -> TokenStream {
    let in_scratch = |s: Slot| matches!(s, Slot::Front | Slot::Back);
    let mut terms = Vec::new();
    for step in steps {
        match *step {
            Step::Run { layer, fused, from, to } => {
                let last = fused.unwrap_or(layer);
                let (a, b) = (types.numel(layer), types.numel(last + 1));
                match (in_scratch(from), in_scratch(to)) {
                    (true, true) => terms.push(quote!(#a + #b)),
                    (true, false) => terms.push(a),
                    (false, true) => terms.push(b),
                    (false, false) => {}
                }
            }
            Step::InPlace { layer, at } if in_scratch(at) => terms.push(types.numel(layer)),
            Step::InPlace { .. } | Step::Copy => {}
        }
    }
    terms.into_iter().fold(quote!(0), |acc, t| quote!(::staticnn::__private::max(#acc, #t)))
}

/// The body of `forward_into`: one block per step of the plan.
fn forward_body(net: &Checked, types: &StageTypes, steps: &[Step]) -> TokenStream {
    let blocks = steps.iter().map(|step| match *step {
        Step::Run { layer, fused, from, to } => {
            let last = fused.unwrap_or(layer);
            let (x_ty, y_ty) = (&types.at[layer], &types.at[last + 1]);
            let refs = match (from, to) {
                (Slot::Input, Slot::Output) => quote! {
                    let x = input.reshape::<#x_ty>();
                    let y = output.reshape_mut::<#y_ty>();
                },
                (Slot::Input, Slot::Front) => quote! {
                    let x = input.reshape::<#x_ty>();
                    let y = scratch.front::<#y_ty>();
                },
                (Slot::Input, Slot::Back) => quote! {
                    let x = input.reshape::<#x_ty>();
                    let y = scratch.back::<#y_ty>();
                },
                (Slot::Front, Slot::Back) => quote! {
                    let (x, y) = scratch.front_to_back::<#x_ty, #y_ty>();
                },
                (Slot::Back, Slot::Front) => quote! {
                    let (x, y) = scratch.back_to_front::<#x_ty, #y_ty>();
                },
                (Slot::Front, _) => quote! {
                    let x = &*scratch.front::<#x_ty>();
                    let y = output.reshape_mut::<#y_ty>();
                },
                (_, _) => quote! {
                    let x = &*scratch.back::<#x_ty>();
                    let y = output.reshape_mut::<#y_ty>();
                },
            };
            let f = field(&net.layers[layer]);
            let call = match fused {
                Some(act) => {
                    let a = field(&net.layers[act]);
                    quote!(::staticnn::layer::Fusable::<#x_ty>::forward_fused(&self.#f, x, y, &self.#a);)
                }
                None => quote!(::staticnn::layer::Layer::<#x_ty>::forward(&self.#f, x, y);),
            };
            quote! { { #refs #call } }
        }
        Step::InPlace { layer, at } => {
            let ty = &types.at[layer];
            let x = match at {
                Slot::Front => quote!(scratch.front::<#ty>()),
                Slot::Back => quote!(scratch.back::<#ty>()),
                _ => quote!(output.reshape_mut::<#ty>()),
            };
            let f = field(&net.layers[layer]);
            quote! { ::staticnn::layer::InPlace::<#ty>::forward_in_place(&self.#f, #x); }
        }
        Step::Copy => {
            let ty = types.input();
            quote! { *output.reshape_mut::<#ty>() = ::core::clone::Clone::clone(input); }
        }
    });
    quote! { #(#blocks)* }
}

fn inherent_impl(net: &Checked, types: &StageTypes) -> TokenStream {
    let n = net.network;
    let (vis, name) = (&n.vis, &n.name);
    let (input_ty, output_ty) = (types.input(), types.output());
    let steps = plan::plan(&net.layers);
    let scratch_len = scratch_len(types, &steps);
    let body = forward_body(net, types, &steps);
    let input_dims = &net.input.0;
    let output_numel_dims = quote!(<#output_ty as ::staticnn::shape::Shape>::DIMS);
    let params = net.layers.iter().enumerate().filter(|(_, l)| has_parameters(l)).map(|(i, _)| {
        let ty = &types.layers[i];
        quote!(<#ty as ::staticnn::layer::Parameters>::PARAMS)
    });
    let macs: Vec<TokenStream> =
        net.layers.iter().enumerate().filter_map(|(i, l)| layer_macs(l, types, i)).collect();
    let inits = net.layers.iter().map(|l| {
        let f = field(l);
        let init = field_init(l);
        quote!(#f: #init)
    });
    let resets = net.layers.iter().filter(|l| has_parameters(l)).map(|l| {
        let f = field(l);
        quote!(::staticnn::layer::Parameters::reset_parameters(&mut self.#f, &mut rng);)
    });
    let visits = net.layers.iter().filter(|l| has_parameters(l)).map(|l| {
        let f = field(l);
        let prefix = key_prefix(net, l);
        quote! {
            ::staticnn::layer::Parameters::visit(&self.#f, &mut |name, dims, values| {
                f(::staticnn::network::ParamName { prefix: #prefix, name }, dims, values)
            });
        }
    });
    let visits_mut = net.layers.iter().filter(|l| has_parameters(l)).map(|l| {
        let f = field(l);
        let prefix = key_prefix(net, l);
        quote! {
            ::staticnn::layer::Parameters::visit_mut(&mut self.#f, &mut |name, dims, values| {
                f(::staticnn::network::ParamName { prefix: #prefix, name }, dims, values)
            });
        }
    });
    let repr = torch_repr(net);
    let summaries = net.layers.iter().enumerate().map(|(i, l)| {
        let key = l.state_dict_name();
        let text = repr::layer(l);
        let out = &types.at[i + 1];
        let params = if has_parameters(l) {
            let ty = &types.layers[i];
            quote!(<#ty as ::staticnn::layer::Parameters>::PARAMS)
        } else {
            quote!(0)
        };
        let macs = layer_macs(l, types, i).unwrap_or_else(|| quote!(0));
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
    });
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
            /// Floats of working memory one inference needs (see [`Self::new_scratch`]).
            #vis const SCRATCH_LEN: usize = #scratch_len;
            /// Bytes of working memory one inference needs.
            #vis const SCRATCH_BYTES: usize = Self::SCRATCH_LEN * ::core::mem::size_of::<f32>();
            /// What PyTorch's `print(net)` prints for this network.
            #vis const TORCH_REPR: &'static str = #repr;
            /// One row per layer: output shape, parameters, MACs, activation size.
            #vis const LAYERS: &'static [::staticnn::network::LayerSummary] = &[#(#summaries),*];

            /// A network with every parameter zero.
            #[must_use]
            #vis fn zeroed() -> Self {
                Self { #(#inits,)* }
            }

            /// A network initialised like PyTorch's defaults (`U(-1/sqrt(fan_in), 1/sqrt(fan_in))`
            /// for convolution and linear layers), from a generator seeded with `seed`.
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
            #[must_use]
            #vis const fn new_scratch() -> ::staticnn::scratch::Scratch<{ Self::SCRATCH_LEN }> {
                ::staticnn::scratch::Scratch::new()
            }

            /// Runs the network on `input` and returns the output. The scratch buffer lives on
            /// the stack; on a microcontroller prefer [`Self::forward_into`].
            #[must_use]
            #vis fn forward(&self, input: &::staticnn::tensor::Tensor<#input_ty>) -> ::staticnn::tensor::Tensor<#output_ty> {
                let mut output = ::staticnn::tensor::Tensor::zeros();
                let mut scratch = Self::new_scratch();
                self.forward_into(input, &mut output, &mut scratch);
                output
            }

            /// Runs the network on `input`, writing `output`, with `scratch` as the only
            /// working memory. Neither allocates nor panics.
            #[inline]
            #vis fn forward_into(
                &self,
                input: &::staticnn::tensor::Tensor<#input_ty>,
                output: &mut ::staticnn::tensor::Tensor<#output_ty>,
                scratch: &mut ::staticnn::scratch::Scratch<{ Self::SCRATCH_LEN }>,
            ) {
                let _ = (&input, &output, &scratch);
                #body
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

fn network_trait_impl(net: &Checked, types: &StageTypes) -> TokenStream {
    let name = &net.network.name;
    let (input_ty, output_ty) = (types.input(), types.output());
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

            fn new_scratch() -> Self::Scratch {
                Self::new_scratch()
            }

            fn forward_into(
                &self,
                input: &::staticnn::tensor::Tensor<Self::Input>,
                output: &mut ::staticnn::tensor::Tensor<Self::Output>,
                scratch: &mut Self::Scratch,
            ) {
                Self::forward_into(self, input, output, scratch);
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
