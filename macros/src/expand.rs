//! Generates the network's struct and impls from a checked network. One function per emitted
//! item; all paths are absolute (`::staticnn::..`).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::Ident;

use crate::ast::{Network, Value};
use crate::layers::{ActivationKind, Layer, Op, Padding};
use crate::plan::{self, Fused, Slot, Step};
use crate::repr;
use crate::shape::{Shape, Stage};
use crate::weights::Weights;

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
    /// Trained weights to compile in (`#[staticnn(weights = "..")]`).
    pub weights: Option<Weights>,
}

/// Everything `network!` emits for one network.
pub fn network(net: &Checked) -> TokenStream {
    let types = StageTypes::new(net);
    let definition = struct_definition(net, &types);
    let inherent = inherent_impl(net, &types);
    let trait_impl = network_trait_impl(net, &types);
    let display = display_impl(net);
    let trained = net.weights.as_ref().map(|w| trained_impl(net, &types, w));
    let heap = crate::expand_heap::heap_impl(net, &types);
    quote! {
        #definition
        #inherent
        #trait_impl
        #display
        #trained
        #heap
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

/// The Rust type of a layer, given its input and output shapes (when known).
fn layer_type(layer: &Layer, input: Option<&Shape>, output: Option<&Shape>) -> TokenStream {
    match &layer.op {
        Op::Conv(c) => conv_type(c),
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
        Op::AdaptivePool(p) => {
            let name = if p.max { quote!(AdaptiveMaxPool2d) } else { quote!(AdaptiveAvgPool2d) };
            let size = output.map_or_else(|| quote!(_), |o| per_axis_pair(&o.0[1..]));
            quote!(::staticnn::layers::#name<#size>)
        }
        Op::Linear(l) => {
            let (i, o, b) = (typenum(l.in_features), typenum(l.out_features), bool_type(l.bias));
            quote!(::staticnn::layers::Linear<#i, #o, #b>)
        }
        Op::BatchNorm(bn) => {
            let (c, a) = (typenum(bn.num_features), bool_type(bn.affine));
            let b = bool_type(bn.affine && bn.bias);
            quote!(::staticnn::layers::BatchNorm<#c, #a, #b>)
        }
        Op::LayerNorm(ln) => {
            let shape = shape_type(&Shape(ln.normalized_shape.clone()));
            let a = bool_type(ln.elementwise_affine);
            let b = bool_type(ln.elementwise_affine && ln.bias);
            quote!(::staticnn::layers::LayerNorm<#shape, #a, #b>)
        }
        Op::InstanceNorm(n) => {
            let (c, a, t) =
                (typenum(n.num_features), bool_type(n.affine), bool_type(n.track_running_stats));
            let b = bool_type(n.affine && n.bias);
            quote!(::staticnn::layers::InstanceNorm2d<#c, #a, #t, #b>)
        }
        Op::Flatten(_) => match output {
            Some(out) if out.0.len() > 1 => {
                let to = shape_type(out);
                quote!(::staticnn::layers::Reshape<#to>)
            }
            _ => quote!(::staticnn::layers::Flatten),
        },
        Op::Passthrough if layer.kind() == "Dropout" => quote!(::staticnn::layers::Dropout),
        Op::Passthrough => quote!(::staticnn::layers::Identity),
        Op::Activation(a) => {
            let name = format_ident!("{}", activation_type_name(a.kind));
            quote!(::staticnn::layers::#name)
        }
        Op::Softmax(sm) => {
            let axis = input
                .and_then(|i| crate::shape::softmax_axis(sm, i.0.len()).ok())
                .map_or_else(|| quote!(_), typenum);
            let name = if sm.log { quote!(LogSoftmax) } else { quote!(Softmax) };
            quote!(::staticnn::layers::#name<#axis>)
        }
        Op::Upsample(_) => {
            let size = output.map_or_else(|| quote!(_), |o| per_axis_pair(&o.0[1..]));
            quote!(::staticnn::layers::Upsample<#size>)
        }
        Op::Custom(path) => quote!(#path),
    }
}

fn conv_type(c: &crate::layers::Conv) -> TokenStream {
    let (i, o) = (typenum(c.in_channels), typenum(c.out_channels));
    let (k, s, d) = (per_axis(&c.kernel), per_axis(&c.stride), per_axis(&c.dilation));
    let g = typenum(c.groups);
    let b = bool_type(c.bias);
    let p = match &c.padding {
        Padding::Symmetric(p) => per_axis(p),
        Padding::Same => quote!(::staticnn::window::Same),
        Padding::Valid => quote!(::staticnn::window::Valid),
    };
    if c.transposed {
        let op = per_axis(&c.output_padding);
        return quote!(::staticnn::layers::ConvTranspose2d<#i, #o, #k, #s, #p, #op, #g, #b, #d>);
    }
    let m = match c.padding_mode.as_str() {
        "reflect" => quote!(::staticnn::params::Reflect),
        "replicate" => quote!(::staticnn::params::Replicate),
        "circular" => quote!(::staticnn::params::Circular),
        _ => quote!(::staticnn::params::Zeros),
    };
    let name = format_ident!("Conv{}d", c.axes);
    quote!(::staticnn::layers::#name<#i, #o, #k, #s, #p, #d, #g, #b, #m>)
}

/// A pair type `(H, W)` even when both are equal (output sizes are always written out).
fn per_axis_pair(values: &[usize]) -> TokenStream {
    let items = values.iter().map(|&v| typenum(v));
    quote!((#(#items),*))
}

fn activation_type_name(kind: ActivationKind) -> &'static str {
    match kind {
        ActivationKind::ReLU => "ReLU",
        ActivationKind::ReLU6 => "ReLU6",
        ActivationKind::LeakyReLU(_) => "LeakyReLU",
        ActivationKind::Sigmoid => "Sigmoid",
        ActivationKind::Tanh => "Tanh",
        ActivationKind::Hardtanh(..) => "Hardtanh",
        ActivationKind::Hardsigmoid => "Hardsigmoid",
        ActivationKind::Hardswish => "Hardswish",
        ActivationKind::SiLU => "SiLU",
        ActivationKind::Gelu(_) => "GELU",
        ActivationKind::Elu(_) => "ELU",
        ActivationKind::Softplus(..) => "Softplus",
    }
}

pub(crate) fn f32_lit(v: f64) -> proc_macro2::Literal {
    #[allow(clippy::cast_possible_truncation)] // f32 is what the layer stores, as PyTorch does
    proc_macro2::Literal::f32_suffixed(v as f32)
}

/// PyTorch's source-index scale of `Upsample` along one axis (`compute_scales_value` and
/// `area_pixel_compute_scale`, in `f32` as its CPU kernel).
fn upsample_scale(len: usize, out: usize, factor: Option<f64>, align_corners: bool) -> f64 {
    if align_corners {
        return if out > 1 { (len as f32 - 1.0) as f64 / (out as f32 - 1.0) as f64 } else { 0.0 };
    }
    match factor {
        Some(f) if f > 0.0 => f64::from((1.0 / f) as f32),
        _ => f64::from(len as f32 / out as f32),
    }
}

/// The initialiser of a field: a constructor with the layer's runtime settings, a user
/// layer's `new(..)`, or `Default::default()`.
pub(crate) fn field_init(
    layer: &Layer,
    input: Option<&Shape>,
    output: Option<&Shape>,
) -> TokenStream {
    let path = quote!(::staticnn::layers);
    match &layer.op {
        Op::Custom(p) if !layer.call.args.is_empty() => {
            let args = layer.call.args.iter().map(|a| value_tokens(&a.value.value, a.value.span));
            quote!(#p::new(#(#args),*))
        }
        Op::Activation(a) => match a.kind {
            ActivationKind::LeakyReLU(s) => {
                let s = f32_lit(s);
                quote!(#path::LeakyReLU::new(#s))
            }
            ActivationKind::Hardtanh(lo, hi) => {
                let (lo, hi) = (f32_lit(lo), f32_lit(hi));
                quote!(#path::Hardtanh::new(#lo, #hi))
            }
            ActivationKind::Gelu(tanh) => quote!(#path::GELU::new(#tanh)),
            ActivationKind::Elu(alpha) => {
                let alpha = f32_lit(alpha);
                quote!(#path::ELU::new(#alpha))
            }
            ActivationKind::Softplus(beta, threshold) => {
                let (beta, threshold) = (f32_lit(beta), f32_lit(threshold));
                quote!(#path::Softplus::new(#beta, #threshold))
            }
            _ => quote!(::core::default::Default::default()),
        },
        Op::BatchNorm(bn) => {
            let eps = f32_lit(bn.eps);
            quote!(#path::BatchNorm::new(#eps))
        }
        Op::LayerNorm(ln) => {
            let eps = f32_lit(ln.eps);
            quote!(#path::LayerNorm::new(#eps))
        }
        Op::InstanceNorm(n) => {
            let eps = f32_lit(n.eps);
            quote!(#path::InstanceNorm2d::new(#eps))
        }
        Op::Passthrough if layer.kind() == "Dropout" => {
            let p = match layer.arg("p") {
                Some(Value::Float(f)) => *f,
                Some(Value::Int(i)) => *i as f64,
                _ => 0.5,
            };
            let p = f32_lit(p);
            quote!(#path::Dropout::new(#p))
        }
        Op::Upsample(up) => {
            let (Some(input), Some(output)) = (input, output) else {
                return quote!(::core::default::Default::default());
            };
            let factor = |axis: usize| up.scale_factor.as_ref().map(|f| f[axis]);
            let [sh, sw] = [0, 1].map(|axis| {
                f32_lit(upsample_scale(
                    input.0[axis + 1],
                    output.0[axis + 1],
                    factor(axis),
                    up.align_corners,
                ))
            });
            let mode = match (up.bilinear, up.align_corners) {
                (false, _) => quote!(Nearest),
                (true, false) => quote!(Bilinear),
                (true, true) => quote!(BilinearAlignCorners),
            };
            quote!(#path::Upsample::new([#sh, #sw], ::staticnn::kernels::upsample::Interpolation::#mode))
        }
        _ => quote!(::core::default::Default::default()),
    }
}

/// The shape type at every point of the network: `at[0]` is the input, `at[i + 1]` the output
/// of layer `i`. Known shapes are spelled out; after a layer of the user's own they are
/// projections through `Layer::Output`, so the type system carries the shapes on.
pub(crate) struct StageTypes {
    at: Vec<TokenStream>,
    pub(crate) layers: Vec<TokenStream>,
}

impl StageTypes {
    fn new(net: &Checked) -> Self {
        let mut at = vec![shape_type(&net.input)];
        let mut layers = Vec::with_capacity(net.layers.len());
        for (i, (layer, stage)) in net.layers.iter().zip(&net.stages).enumerate() {
            let ty = layer_type(layer, input_shape(net, i), stage.output.as_ref());
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

    pub(crate) fn input(&self) -> &TokenStream {
        &self.at[0]
    }

    pub(crate) fn output(&self) -> &TokenStream {
        self.at.last().unwrap_or(&self.at[0])
    }

    fn numel(&self, stage: usize) -> TokenStream {
        let ty = &self.at[stage];
        quote!(<#ty as ::staticnn::shape::Shape>::NUMEL)
    }
}

/// The input shape of layer `i`, when known.
pub(crate) fn input_shape<'a>(net: &'a Checked, i: usize) -> Option<&'a Shape> {
    if i == 0 { Some(&net.input) } else { net.stages.get(i - 1).and_then(|s| s.output.as_ref()) }
}

pub(crate) fn field(layer: &Layer) -> Ident {
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

/// `trained()`: the network with the weights of the file, as a `static` in read-only memory.
/// The file is embedded with `include_bytes!` and read by constant evaluation, so neither the
/// macro's output nor the compile time grows with the number of weights, and cargo rebuilds
/// when the file changes.
fn trained_impl(net: &Checked, types: &StageTypes, weights: &Weights) -> TokenStream {
    let name = &net.network.name;
    let vis = &net.network.vis;
    let path = weights.path.to_string_lossy().into_owned();
    let fields = net.layers.iter().enumerate().map(|(i, layer)| {
        let f = field(layer);
        let ty = &types.layers[i];
        let offsets = weights.offsets.get(i).map_or(&[][..], Vec::as_slice);
        let shapes = (input_shape(net, i), net.stages[i].output.as_ref());
        let init = const_init(layer, ty, shapes, offsets);
        quote!(#f: #init)
    });
    let file = path.rsplit(['/', '\\']).next().unwrap_or(&path);
    let doc = format!(" The network with the trained weights of `{file}`, in read-only memory.");
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

/// A constant expression building one layer: its tensors read from `BYTES` at `offsets` (in
/// the order of `params::declared`), the rest from its settings.
fn const_init(
    layer: &Layer,
    ty: &TokenStream,
    (input, output): (Option<&Shape>, Option<&Shape>),
    offsets: &[usize],
) -> TokenStream {
    let mut next = offsets.iter();
    let mut read = |present: bool| match next.next().filter(|_| present) {
        Some(&at) => quote!(::staticnn::__private::f32s_le(BYTES, #at)),
        None => quote!(::staticnn::__private::f32s_le(BYTES, 0)),
    };
    match &layer.op {
        Op::Conv(c) => {
            let (w, b) = (read(true), read(c.bias));
            quote!(<#ty>::from_parts(#w, #b))
        }
        Op::Linear(l) => {
            let (w, b) = (read(true), read(l.bias));
            quote!(<#ty>::from_parts(#w, #b))
        }
        Op::BatchNorm(bn) => {
            let eps = f32_lit(bn.eps);
            let (w, b) = (read(bn.affine), read(bn.affine && bn.bias));
            let (mean, var) = (read(true), read(true));
            quote!(<#ty>::from_parts(#w, #b, #mean, #var, #eps))
        }
        Op::LayerNorm(ln) => {
            let eps = f32_lit(ln.eps);
            let (w, b) = (read(ln.elementwise_affine), read(ln.elementwise_affine && ln.bias));
            quote!(<#ty>::from_parts(#w, #b, #eps))
        }
        Op::InstanceNorm(n) => {
            let eps = f32_lit(n.eps);
            let (w, b) = (read(n.affine), read(n.affine && n.bias));
            let (mean, var) = (read(n.track_running_stats), read(n.track_running_stats));
            quote!(<#ty>::from_parts(#w, #b, #mean, #var, #eps))
        }
        Op::Pool(_) | Op::AdaptivePool(_) | Op::Softmax(_) => quote!(<#ty>::new()),
        Op::Flatten(_) if output.is_some_and(|o| o.0.len() > 1) => quote!(<#ty>::new()),
        Op::Custom(path) if layer.call.args.is_empty() => quote!(#path::new()),
        Op::Activation(a) if a.kind.has_parameters() => field_init(layer, input, output),
        Op::Passthrough if layer.kind() == "Dropout" => field_init(layer, input, output),
        Op::Upsample(_) | Op::Custom(_) => field_init(layer, input, output),
        Op::Activation(_) | Op::Passthrough | Op::Flatten(_) => quote!(#ty),
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
        Op::Conv(c) if c.transposed => {
            // Every input element meets out_channels / groups x kernel weights.
            let per_input = c.out_channels / c.groups * c.kernel.iter().product::<usize>();
            let input = types.numel(index);
            Some(quote!(#input * #per_input))
        }
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

/// The working memory a step's kernel needs beside its input and output (a convolution's
/// input panel and, fused with pooling, a block of its output channels), as a constant
/// expression; `None` for steps that need none.
fn workspace(net: &Checked, types: &StageTypes, layer: usize, fused: Fused) -> Option<TokenStream> {
    if !matches!(net.layers[layer].op, Op::Conv(_)) {
        return None;
    }
    let ty = &types.layers[layer];
    let x = &types.at[layer];
    Some(match fused.pool {
        Some(pool) => {
            let mid = &types.at[pool];
            quote!(<#ty>::pooled_workspace::<#x, #mid>())
        }
        None => {
            let y = &types.at[fused.last(layer) + 1];
            quote!(<#ty>::workspace::<#x, #y>())
        }
    })
}

/// The scratch buffer's length: for every step, the activations it keeps in the buffer plus
/// the working memory its kernel needs between them.
fn scratch_len(net: &Checked, types: &StageTypes, steps: &[Step]) -> TokenStream {
    let in_scratch = |s: Slot| matches!(s, Slot::Front | Slot::Back);
    let mut terms = Vec::new();
    for step in steps {
        match *step {
            Step::Run { layer, fused, from, to } => {
                let last = fused.last(layer);
                let (a, b) = (types.numel(layer), types.numel(last + 1));
                let a = if in_scratch(from) { a } else { quote!(0) };
                let b = if in_scratch(to) { b } else { quote!(0) };
                let work = workspace(net, types, layer, fused).unwrap_or_else(|| quote!(0));
                terms.push(quote!(#a + #b + #work));
            }
            Step::InPlace { layer, at } if in_scratch(at) => terms.push(types.numel(layer)),
            Step::InPlace { .. } | Step::Copy => {}
        }
    }
    terms.into_iter().fold(quote!(0), |acc, t| quote!(::staticnn::__private::max(#acc, #t)))
}

/// The layers a step runs, by index.
fn step_layers(step: &Step) -> Vec<usize> {
    match *step {
        Step::Run { layer, fused, .. } => {
            [Some(layer), fused.batch_norm, fused.activation, fused.pool]
                .into_iter()
                .flatten()
                .collect()
        }
        Step::InPlace { layer, .. } => vec![layer],
        Step::Copy => Vec::new(),
    }
}

/// The `STEPS` constant: what each step of the plan runs and its MACs.
fn step_summaries(net: &Checked, types: &StageTypes, steps: &[Step]) -> TokenStream {
    let rows = steps.iter().map(|step| {
        let layers = step_layers(step);
        let keys: Vec<String> = layers.iter().map(|&i| net.layers[i].state_dict_name()).collect();
        let names: Vec<String> = layers.iter().map(|&i| net.layers[i].kind()).collect();
        let (keys, names) = if layers.is_empty() {
            (String::new(), "copy".to_owned())
        } else {
            (keys.join(", "), names.join(" + "))
        };
        let macs = layers
            .first()
            .and_then(|&i| layer_macs(&net.layers[i], types, i))
            .unwrap_or_else(|| quote!(0));
        quote!(::staticnn::network::StepSummary { layers: #keys, name: #names, macs: #macs })
    });
    quote!(&[#(#rows),*])
}

/// The body of `forward_into_probed`: one block per step of the plan, `probe(i)` before step
/// `i` and `probe(STEPS.len())` after the last.
fn forward_body(net: &Checked, types: &StageTypes, steps: &[Step]) -> TokenStream {
    let count = steps.len();
    let blocks = steps.iter().enumerate().map(|(i, step)| {
        (
            i,
            match *step {
                Step::Run { layer, fused, from, to }
                    if workspace(net, types, layer, fused).is_some() =>
                {
                    let last = fused.last(layer);
                    let (x_ty, y_ty) = (&types.at[layer], &types.at[last + 1]);
                    let refs = refs_with_workspace(from, to, x_ty, y_ty);
                    let call = run_call(net, types, layer, fused);
                    quote! { { #refs #call } }
                }
                Step::Run { layer, fused, from, to } => {
                    let last = fused.last(layer);
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
                    let call = run_call(net, types, layer, fused);
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
            },
        )
    });
    let blocks = blocks.map(|(i, block)| quote! { probe(#i); #block });
    quote! { #(#blocks)* probe(#count); }
}

/// `x`, `y` and the working memory `work` of a step whose kernel needs working memory: the
/// scratch buffer between the activations it keeps.
fn refs_with_workspace(
    from: Slot,
    to: Slot,
    x_ty: &TokenStream,
    y_ty: &TokenStream,
) -> TokenStream {
    match (from, to) {
        (Slot::Input, Slot::Front) => quote! {
            let x = input.reshape::<#x_ty>();
            let (y, work) = scratch.front_and_workspace::<#y_ty>();
        },
        (Slot::Input, Slot::Back) => quote! {
            let x = input.reshape::<#x_ty>();
            let (y, work) = scratch.back_and_workspace::<#y_ty>();
        },
        (Slot::Front, Slot::Back) => quote! {
            let (x, y, work) = scratch.front_to_back_and_workspace::<#x_ty, #y_ty>();
        },
        (Slot::Back, Slot::Front) => quote! {
            let (x, y, work) = scratch.back_to_front_and_workspace::<#x_ty, #y_ty>();
        },
        (Slot::Front, _) => quote! {
            let (x, work) = scratch.front_ref_and_workspace::<#x_ty>();
            let y = output.reshape_mut::<#y_ty>();
        },
        (Slot::Back, _) => quote! {
            let (x, work) = scratch.back_ref_and_workspace::<#x_ty>();
            let y = output.reshape_mut::<#y_ty>();
        },
        (_, _) => quote! {
            let x = input.reshape::<#x_ty>();
            let y = output.reshape_mut::<#y_ty>();
            let work = scratch.workspace();
        },
    }
}

/// The call that runs `layer` with the layers fused into it.
fn run_call(net: &Checked, types: &StageTypes, layer: usize, fused: Fused) -> TokenStream {
    let f = field(&net.layers[layer]);
    let x_ty = &types.at[layer];
    let y_ty = &types.at[fused.last(layer) + 1];
    let act = fused
        .activation
        .map(|a| field(&net.layers[a]))
        .map_or_else(|| quote!(&::staticnn::kernels::Identity), |a| quote!(&self.#a));
    let epilogue = match fused.batch_norm.map(|b| field(&net.layers[b])) {
        Some(bn) => quote!(&::staticnn::layers::BatchNormEpilogue::new(&self.#bn, #act)),
        None => act,
    };
    if let Some(pool) = fused.pool {
        let (p, mid_ty) = (field(&net.layers[pool]), &types.at[pool]);
        return quote! {
            self.#f.forward_pooled::<#x_ty, #mid_ty, #y_ty, _, _>(x, y, #epilogue, &self.#p, work);
        };
    }
    if matches!(net.layers[layer].op, Op::Conv(_)) {
        return quote!(self.#f.forward_with::<#x_ty, #y_ty, _>(x, y, #epilogue, work););
    }
    if fused.batch_norm.is_some() || fused.activation.is_some() {
        return quote!(::staticnn::layer::Fusable::<#x_ty>::forward_fused(&self.#f, x, y, #epilogue););
    }
    quote!(::staticnn::layer::Layer::<#x_ty>::forward(&self.#f, x, y);)
}

fn inherent_impl(net: &Checked, types: &StageTypes) -> TokenStream {
    let n = net.network;
    let (vis, name) = (&n.vis, &n.name);
    let (input_ty, output_ty) = (types.input(), types.output());
    let steps = plan::plan(&net.layers);
    let scratch_len = scratch_len(net, types, &steps);
    let body = forward_body(net, types, &steps);
    let step_rows = step_summaries(net, types, &steps);
    let input_dims = &net.input.0;
    let output_numel_dims = quote!(<#output_ty as ::staticnn::shape::Shape>::DIMS);
    let params = net.layers.iter().enumerate().filter(|(_, l)| has_parameters(l)).map(|(i, _)| {
        let ty = &types.layers[i];
        quote!(<#ty as ::staticnn::layer::Parameters>::PARAMS)
    });
    let macs: Vec<TokenStream> =
        net.layers.iter().enumerate().filter_map(|(i, l)| layer_macs(l, types, i)).collect();
    let inits = net.layers.iter().enumerate().map(|(i, l)| {
        let f = field(l);
        let init = field_init(l, input_shape(net, i), net.stages[i].output.as_ref());
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

            /// Runs the network on `input` and returns the output. The scratch buffer lives on
            /// the stack, or on the heap when it is larger than
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

            /// Runs the network on `input`, writing `output`, with `scratch` as the only
            /// working memory. Neither allocates nor panics.
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
