//! The Rust types of shapes and layers: `typenum` numbers, `Chw<..>`, `Conv2d<..>`.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::layers::{ActivationKind, Layer, Op, Padding};
use crate::shape::Shape;

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
pub fn shape_type(shape: &Shape) -> TokenStream {
    let dims: Vec<TokenStream> = shape.0.iter().map(|&d| typenum(d)).collect();
    match dims.as_slice() {
        [n] => quote!(::staticnn::shape::Vector<#n>),
        [c, l] => quote!(::staticnn::shape::Cl<#c, #l>),
        [c, h, w] => quote!(::staticnn::shape::Chw<#c, #h, #w>),
        [c, d, h, w] => quote!(::staticnn::shape::Cdhw<#c, #d, #h, #w>),
        _ => quote!(::core::compile_error!("staticnn: unsupported rank")),
    }
}

pub fn bool_type(b: bool) -> TokenStream {
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
pub fn layer_type(layer: &Layer, input: Option<&Shape>, output: Option<&Shape>) -> TokenStream {
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
    conv_type_with(c, c.bias, &quote!(::staticnn::precision::F32))
}

/// The int8 type of a convolution or linear layer, with a bias when the file has one (a folded
/// batch norm gives a layer without one a bias).
pub fn weighted_int8_type(layer: &Layer, bias: bool) -> TokenStream {
    let q = quote!(::staticnn::precision::Int8);
    match &layer.op {
        Op::Conv(c) => conv_type_with(c, bias, &q),
        Op::Linear(l) => {
            let (i, o, b) = (typenum(l.in_features), typenum(l.out_features), bool_type(bias));
            quote!(::staticnn::layers::Linear<#i, #o, #b, #q>)
        }
        _ => quote!(::core::compile_error!("staticnn: not an int8 layer")),
    }
}

fn conv_type_with(c: &crate::layers::Conv, bias: bool, precision: &TokenStream) -> TokenStream {
    let (i, o) = (typenum(c.in_channels), typenum(c.out_channels));
    let (k, s, d) = (per_axis(&c.kernel), per_axis(&c.stride), per_axis(&c.dilation));
    let g = typenum(c.groups);
    let b = bool_type(bias);
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
    quote!(::staticnn::layers::#name<#i, #o, #k, #s, #p, #d, #g, #b, #m, #precision>)
}

/// A pair type `(H, W)` even when both are equal (output sizes are always written out).
fn per_axis_pair(values: &[usize]) -> TokenStream {
    let items = values.iter().map(|&v| typenum(v));
    quote!((#(#items),*))
}

pub fn activation_type_name(kind: ActivationKind) -> &'static str {
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
