//! How each layer field is built: at run time (`zeroed`, the constructors with the layer's
//! settings) and by constant evaluation from the embedded weights file (`trained`).

use proc_macro2::{Span, TokenStream};
use quote::quote;

use crate::ast::Value;
use crate::layers::{ActivationKind, Layer, Op};
use crate::shape::Shape;

/// `v` as the `f32` the layer stores, as PyTorch converts it: a literal, or `f32::INFINITY`
/// (and friends) for what a literal cannot write (`1e39` is infinite in `f32`).
pub fn f32_lit(v: f64) -> TokenStream {
    #[allow(clippy::cast_possible_truncation)] // f32 is what the layer stores, as PyTorch does
    let v = v as f32;
    if v.is_nan() {
        quote!(::core::f32::NAN)
    } else if v == f32::INFINITY {
        quote!(::core::f32::INFINITY)
    } else if v == f32::NEG_INFINITY {
        quote!(::core::f32::NEG_INFINITY)
    } else {
        let lit = proc_macro2::Literal::f32_suffixed(v);
        quote!(#lit)
    }
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
pub fn field_init(layer: &Layer, input: Option<&Shape>, output: Option<&Shape>) -> TokenStream {
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

/// A constant expression building one layer: its tensors read from `BYTES` at `offsets` (in
/// the order of `params::declared`), the rest from its settings.
pub fn const_init(
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

pub fn value_tokens(value: &Value, span: Span) -> TokenStream {
    match value {
        Value::Int(i) => {
            let lit = proc_macro2::Literal::i64_unsuffixed(*i);
            quote::quote_spanned!(span=> #lit)
        }
        // The parser accepts only finite floats, which a literal can write.
        Value::Float(f) if f.is_finite() => {
            let lit = proc_macro2::Literal::f64_unsuffixed(*f);
            quote::quote_spanned!(span=> #lit)
        }
        Value::Float(_) => quote::quote_spanned!(span=> ::core::compile_error!("non-finite float")),
        Value::Bool(b) => quote::quote_spanned!(span=> #b),
        Value::Str(s) => quote::quote_spanned!(span=> #s),
        Value::None => quote::quote_spanned!(span=> ::core::option::Option::None),
        Value::Tuple(items) => {
            let items = items.iter().map(|v| value_tokens(v, span));
            quote::quote_spanned!(span=> (#(#items),*))
        }
    }
}
