//! What `network!` emits for an int8 network (`#[staticnn(quantized = "int8")]`): the same
//! graph, shapes and plan as a float network, with `Int8` layers, integer steps, and the entry
//! points `forward` (an `f32` input quantized first, the output dequantized last) and
//! `forward_int8` (`i8` in and out).

use proc_macro2::TokenStream;
use quote::quote;

use super::forward::{Borrows, Work, borrow, operand_of, step_nodes};
use super::init::{const_init, f32_lit};
use super::types::weighted_int8_type;
use super::{Checked, NodeTypes, display_impl, field, layer_macs, struct_definition, torch_repr};
use crate::ast::BlockKind;
use crate::graph::{NodeId, NodeOp};
use crate::layers::{Layer, Op};
use crate::params::declared;
use crate::plan::{self, Buf, Elem, Mode, Plan, Side, Step};
use crate::quant::{Combine, Q, Quant, Run};
use crate::shape::Shape;

/// Everything `network!` emits for one int8 network.
pub fn network(net: &Checked, quant: &Quant) -> TokenStream {
    let types = NodeTypes::new_with(net, &|layer| match quant.run.get(layer.node) {
        Some(Some(Run::Weighted(w))) => Some(weighted_int8_type(layer, w.bias_at.is_some())),
        Some(Some(Run::Folded)) if matches!(layer.op, Op::BatchNorm(_)) => {
            Some(quote!(::staticnn::layers::Identity))
        }
        _ => None,
    });
    let shapes: Vec<Option<Shape>> = net.stages.iter().map(|s| s.output.clone()).collect();
    let work: Vec<Option<Elem>> = quant
        .run
        .iter()
        .map(|r| match r {
            Some(Run::Weighted(_)) => Some(Elem::I8),
            Some(Run::Fallback(_)) => Some(Elem::F32),
            _ => None,
        })
        .collect();
    let float_plan = plan::plan(
        net.graph,
        &net.layers,
        &shapes,
        Mode::Int8 { int8_io: false },
        &work,
        quant.float_output,
    );
    let int8_plan = (!quant.float_output).then(|| {
        plan::plan(net.graph, &net.layers, &shapes, Mode::Int8 { int8_io: true }, &work, false)
    });
    let definition = struct_definition(net, &types);
    let inherent = inherent_impl(net, &types, quant, &float_plan, int8_plan.as_ref());
    let display = display_impl(net);
    let trained = trained_impl(net, &types, quant);
    let heap = super::heap::heap_impl_int8(net, &types);
    quote! {
        #definition
        #inherent
        #display
        #trained
        #heap
    }
}

/// A quantization as a constant expression.
fn q_tokens(q: Q) -> TokenStream {
    let (scale, zero_point) = (f32_lit(f64::from(q.scale)), q.zero_point);
    quote!(::staticnn::precision::Quantization { scale: #scale, zero_point: #zero_point })
}

/// The length in elements of the working memory of a step running layer `layer` (with the
/// nodes of `fused` fused in: a pooling layer after a convolution).
fn work_len(
    net: &Checked,
    types: &NodeTypes,
    quant: &Quant,
    layer: &Layer,
    fused: plan::Fused,
) -> TokenStream {
    let source = net.graph.nodes[layer.node].inputs.first().copied().unwrap_or(0);
    let (x, y) = (types.of(source), types.of(layer.node));
    match quant.run.get(layer.node) {
        Some(Some(Run::Weighted(_))) if matches!(layer.op, Op::Conv(_)) => {
            let ty = types.layer(layer);
            let mid = fused
                .pool
                .map(|pool| types.of(net.graph.nodes[pool].inputs.first().copied().unwrap_or(0)));
            match mid {
                Some(mid) => quote!(<#ty>::pooled_workspace_int8::<#x, #mid>()),
                None => quote!(<#ty>::workspace_int8::<#x, #y>()),
            }
        }
        Some(Some(Run::Fallback(_))) => {
            quote!(::staticnn::layers::quantized::fallback_workspace::<#x, #y>())
        }
        _ => quote!(0),
    }
}

/// The plan's constant of `plan`, named `name`.
fn arena(
    net: &Checked,
    types: &NodeTypes,
    quant: &Quant,
    plan: &Plan,
    name: &proc_macro2::Ident,
) -> TokenStream {
    let n = plan.regions.len();
    let sizes = plan.regions.iter().map(|r| {
        let elem = elem_tokens(r.elem);
        let count = match r.holds {
            plan::Holds::Value(node) => types.numel(node),
            plan::Holds::Work(step) => match &plan.steps[step] {
                Step::Run { layer, fused, .. } => net
                    .layer(*layer)
                    .map_or_else(|| quote!(0), |l| work_len(net, types, quant, l, *fused)),
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
        #[doc(hidden)]
        pub const #name: ::staticnn::scratch::Arena<#n> = ::staticnn::scratch::Arena::<#n>::plan(
            [#(#sizes),*],
            [#(#first),*],
            [#(#last),*],
            [#(#side),*],
        );
    }
}

fn elem_tokens(elem: Elem) -> TokenStream {
    match elem {
        Elem::F32 => quote!(f32),
        Elem::I8 => quote!(i8),
    }
}

/// The element of a buffer in `plan`: `f32` for the caller's tensors of a float-io plan (and
/// the `f32` output of a last layer run in `f32`), `i8` everywhere else.
fn buf_elem(buf: Buf, int8_io: bool) -> TokenStream {
    match buf {
        Buf::Input | Buf::Output if !int8_io => quote!(f32),
        _ => quote!(i8),
    }
}

/// The body of a forward function over `plan`.
fn body(
    net: &Checked,
    types: &NodeTypes,
    quant: &Quant,
    plan: &Plan,
    arena: &proc_macro2::Ident,
    int8_io: bool,
) -> TokenStream {
    let count = plan.steps.len();
    let blocks = plan.steps.iter().enumerate().map(|(i, step)| {
        let code = Steps { net, types, quant, arena, int8_io }.step(step);
        quote! { probe(#i); { #code } }
    });
    quote! { #(#blocks)* probe(#count); }
}

/// Generates the code of one plan's steps.
struct Steps<'a> {
    net: &'a Checked<'a>,
    types: &'a NodeTypes,
    quant: &'a Quant,
    arena: &'a proc_macro2::Ident,
    int8_io: bool,
}

impl Steps<'_> {
    fn arena_tokens(&self) -> TokenStream {
        let a = self.arena;
        quote!(#a)
    }

    fn q(&self, node: NodeId) -> TokenStream {
        self.quant.value.get(node).copied().flatten().map_or_else(
            || quote!(::core::compile_error!("staticnn: an unquantized value")),
            q_tokens,
        )
    }

    fn step(&self, step: &Step) -> TokenStream {
        let (net, types) = (self.net, self.types);
        let arena = self.arena_tokens();
        let i8t = || quote!(i8);
        match step {
            Step::Quantize { to } => {
                let ty = types.input();
                let q = self.q(0);
                let refs = borrow(
                    &Borrows {
                        reads: Vec::new(),
                        write: Some(operand_of(*to, ty, i8t(), "y")),
                        work: None,
                    },
                    &arena,
                );
                quote! { #refs ::staticnn::layers::quantized::quantize(input, #q, y); }
            }
            Step::Dequantize { node, from } => {
                let ty = types.of(*node);
                let out_ty = types.of(net.graph.output);
                let q = self.q(*node);
                let refs = borrow(
                    &Borrows {
                        reads: vec![operand_of(*from, ty, i8t(), "x")],
                        write: None,
                        work: None,
                    },
                    &arena,
                );
                quote! {
                    #refs
                    let y = output.reshape_mut::<#out_ty>();
                    ::staticnn::layers::quantized::dequantize(x.reshape::<#out_ty>(), #q, y);
                }
            }
            Step::Copy { .. } => {
                let ty = types.input();
                quote! { *output.reshape_mut::<#ty>() = ::core::clone::Clone::clone(input); }
            }
            Step::InPlace { layer, at } => {
                let ty = types.of(*layer);
                let elem = buf_elem(*at, self.int8_io);
                let refs = borrow(
                    &Borrows {
                        reads: Vec::new(),
                        write: Some(operand_of(*at, ty, elem, "y")),
                        work: None,
                    },
                    &arena,
                );
                match self.quant.run.get(*layer) {
                    Some(Some(Run::Clamp { min, max })) => {
                        quote! { #refs ::staticnn::layers::quantized::clamp_int8(y, #min, #max); }
                    }
                    _ => {
                        quote!(::core::compile_error!("staticnn: an int8 step in place that is not a clamp");)
                    }
                }
            }
            Step::Run { layer, fused, from, to, work, .. } => {
                self.run(*layer, *fused, *from, *to, *work)
            }
            Step::Combine { node, kind, operands, into, to } => {
                self.combine(*node, *kind, operands, *into, *to)
            }
            Step::Cat { node, operands, to } => self.cat(*node, operands, *to),
        }
    }

    /// A layer step: a convolution or linear layer (a folded batch norm and a fused clamp in
    /// its requantization, a max pooling layer after a convolution pooling each channel it
    /// computes), pooling, or a layer run in `f32`.
    fn run(
        &self,
        layer: NodeId,
        fused: plan::Fused,
        from: Buf,
        to: Buf,
        work: Option<usize>,
    ) -> TokenStream {
        let (net, types) = (self.net, self.types);
        let Some(l) = net.layer(layer) else { return quote!() };
        let f = field(l);
        let source = net.graph.nodes[layer].inputs.first().copied().unwrap_or(0);
        let (x_ty, y_ty) = (types.of(source), types.of(fused.last(layer)));
        let x_elem = buf_elem(from, self.int8_io);
        let float_out = to == Buf::Output && self.quant.float_output && !self.int8_io;
        let y_elem = if float_out { quote!(f32) } else { buf_elem(to, self.int8_io) };
        let work = work.map(|region| Work {
            region,
            elem: match self.quant.run.get(layer) {
                Some(Some(Run::Fallback(_))) => quote!(f32),
                _ => quote!(i8),
            },
            len: work_len(net, types, self.quant, l, fused),
        });
        let refs = borrow(
            &Borrows {
                reads: vec![operand_of(from, x_ty, x_elem, "x")],
                write: Some(operand_of(to, y_ty, y_elem, "y")),
                work,
            },
            &self.arena_tokens(),
        );
        let path = quote!(::staticnn::layers::quantized);
        let call = match self.quant.run.get(layer) {
            Some(Some(Run::Weighted(_))) if matches!(l.op, Op::Conv(_)) => match fused.pool {
                Some(pool) => {
                    let p = net.layer(pool).map(field);
                    let before_pool = net.graph.nodes[pool].inputs.first().copied().unwrap_or(0);
                    let mid_ty = types.of(before_pool);
                    quote!(self.#f.forward_int8_pooled::<#x_ty, #mid_ty, #y_ty, _>(x, y, &self.#p, work);)
                }
                None => quote!(self.#f.forward_int8::<#x_ty, #y_ty>(x, y, work);),
            },
            Some(Some(Run::Weighted(_))) => {
                let n = self.net.shape(source).and_then(|s| s.0.first().copied()).unwrap_or(0);
                let n = super::types::typenum(n);
                quote!(self.#f.forward_int8::<#n>(x, y);)
            }
            Some(Some(Run::Pool)) => {
                quote!(#path::PoolInt8::forward_int8::<#x_ty, #y_ty>(&self.#f, x, y, -128, 127);)
            }
            Some(Some(Run::AdaptiveAvg)) => {
                quote!(#path::adaptive_avg_pool_int8::<#x_ty, #y_ty>(x, y);)
            }
            Some(Some(Run::Clamp { min, max })) => quote! {
                y.as_mut_slice().copy_from_slice(x.as_slice());
                #path::clamp_int8(y, #min, #max);
            },
            Some(Some(Run::Fallback(_))) if float_out => {
                let q_in = self.q(source);
                quote!(#path::fallback_to_float(&self.#f, x, #q_in, y, work);)
            }
            Some(Some(Run::Fallback(_))) => {
                let (q_in, q_out) = (self.q(source), self.q(layer));
                quote!(#path::fallback(&self.#f, x, #q_in, y, #q_out, work);)
            }
            _ => quote!(::core::compile_error!("staticnn: a layer step the int8 plan cannot run");),
        };
        quote! { #refs #call }
    }

    /// `Add` / `Mul` of two int8 branches, in the buffer of the operand that dies here or into
    /// a new one.
    fn combine(
        &self,
        node: NodeId,
        kind: BlockKind,
        operands: &[Buf],
        into: Option<usize>,
        to: Buf,
    ) -> TokenStream {
        let (net, types) = (self.net, self.types);
        let inputs = &net.graph.nodes[node].inputs;
        let y_ty = types.of(node);
        let path = quote!(::staticnn::layers::quantized);
        let params = match self.quant.combine.get(node) {
            Some(Some(Combine::Add(p))) => add_params(p),
            Some(Some(Combine::Mul(p))) => mul_params(p),
            _ => {
                return quote!(::core::compile_error!("staticnn: an int8 combinator without parameters"););
            }
        };
        let elem = |b: Buf| buf_elem(b, self.int8_io);
        let arena = self.arena_tokens();
        match into {
            Some(k) => {
                let j = 1 - k.min(1);
                let x_ty = types.of(inputs[j]);
                let refs = borrow(
                    &Borrows {
                        reads: vec![operand_of(operands[j], x_ty, elem(operands[j]), "x")],
                        write: Some(operand_of(to, y_ty, elem(to), "y")),
                        work: None,
                    },
                    &arena,
                );
                let y_first = k == 0;
                let call = match kind {
                    BlockKind::Mul => quote!(#path::mul_assign_int8(y, x, &#params, #y_first);),
                    _ => quote!(#path::add_assign_int8(y, x, &#params, #y_first);),
                };
                quote! { #refs #call }
            }
            None => {
                let (a_ty, b_ty) = (types.of(inputs[0]), types.of(inputs[1]));
                let refs = borrow(
                    &Borrows {
                        reads: vec![
                            operand_of(operands[0], a_ty, elem(operands[0]), "a"),
                            operand_of(operands[1], b_ty, elem(operands[1]), "b"),
                        ],
                        write: Some(operand_of(to, y_ty, elem(to), "y")),
                        work: None,
                    },
                    &arena,
                );
                let call = match kind {
                    BlockKind::Mul => quote!(#path::mul_int8(a, b, y, &#params);),
                    _ => quote!(#path::add_int8(a, b, y, &#params);),
                };
                quote! { #refs #call }
            }
        }
    }

    /// `Cat` of int8 branches: each copied, or rescaled, into its channels.
    fn cat(&self, node: NodeId, operands: &[Buf], to: Buf) -> TokenStream {
        let (net, types) = (self.net, self.types);
        let inputs = &net.graph.nodes[node].inputs;
        let y_ty = types.of(node);
        let Some(Some(Combine::Cat(branches))) = self.quant.combine.get(node) else {
            return quote!(::core::compile_error!("staticnn: an int8 Cat without parameters"););
        };
        let arena = self.arena_tokens();
        let mut first = 0usize;
        let mut copies = Vec::new();
        for (j, (&buf, requantize)) in operands.iter().zip(branches).enumerate() {
            let x_ty = types.of(inputs[j]);
            let refs = borrow(
                &Borrows {
                    reads: vec![operand_of(buf, x_ty, buf_elem(buf, self.int8_io), "x")],
                    write: Some(operand_of(to, y_ty, buf_elem(to, self.int8_io), "y")),
                    work: None,
                },
                &arena,
            );
            let call = match requantize {
                None => {
                    quote!(::staticnn::layers::combine::cat_into::<#x_ty, #y_ty, i8, #first>(x, y);)
                }
                Some(r) => {
                    let (m, s) = r.multiplier;
                    let (zi, zo) = (r.input_zero_point, r.output_zero_point);
                    quote! {
                        ::staticnn::layers::quantized::cat_requantize_into::<#x_ty, #y_ty, #first>(
                            x, y, (#m, #s), #zi, #zo,
                        );
                    }
                }
            };
            copies.push(quote! { { #refs #call } });
            let Some(channels) = net.shape(inputs[j]).and_then(|s| s.0.first().copied()) else {
                return quote!(::core::compile_error!("staticnn: Cat needs its branches' channels"););
            };
            first += channels;
        }
        quote! { #(#copies)* }
    }
}

fn add_params(p: &staticnn_core::kernels::int8::AddParams) -> TokenStream {
    let (z1, z2, zo, ls) =
        (p.input1_zero_point, p.input2_zero_point, p.output_zero_point, p.left_shift);
    let ((m1, s1), (m2, s2), (mo, so)) = (p.input1, p.input2, p.output);
    let (lo, hi) = (p.act_min, p.act_max);
    quote! {
        ::staticnn::kernels::int8::AddParams {
            input1_zero_point: #z1,
            input2_zero_point: #z2,
            output_zero_point: #zo,
            left_shift: #ls,
            input1: (#m1, #s1),
            input2: (#m2, #s2),
            output: (#mo, #so),
            act_min: #lo,
            act_max: #hi,
        }
    }
}

fn mul_params(p: &staticnn_core::kernels::int8::MulParams) -> TokenStream {
    let (z1, z2, zo) = (p.input1_zero_point, p.input2_zero_point, p.output_zero_point);
    let (mo, so) = p.output;
    let (lo, hi) = (p.act_min, p.act_max);
    quote! {
        ::staticnn::kernels::int8::MulParams {
            input1_zero_point: #z1,
            input2_zero_point: #z2,
            output_zero_point: #zo,
            output: (#mo, #so),
            act_min: #lo,
            act_max: #hi,
        }
    }
}

/// The parameters of the int8 network: its convolution and linear layers' weights and biases,
/// and the `f32` parameters of the layers it runs in `f32`.
fn params_count(net: &Checked, quant: &Quant) -> usize {
    net.layer_list()
        .map(|l| match quant.run.get(l.node) {
            Some(Some(Run::Weighted(w))) => {
                let weights: usize = declared(l).first().map_or(0, |t| t.dims.iter().product());
                weights + if w.bias_at.is_some() { w.multiplier.len() } else { 0 }
            }
            Some(Some(Run::Fallback(_))) => {
                declared(l).iter().map(|t| t.dims.iter().product::<usize>()).sum()
            }
            _ => 0,
        })
        .sum()
}

fn inherent_impl(
    net: &Checked,
    types: &NodeTypes,
    quant: &Quant,
    float_plan: &Plan,
    int8_plan: Option<&Plan>,
) -> TokenStream {
    let n = net.network;
    let (vis, name) = (&n.vis, &n.name);
    let (input_ty, output_ty) = (types.input(), types.of(net.graph.output));
    let float_arena_name = quote::format_ident!("__ARENA");
    let int8_arena_name = quote::format_ident!("__ARENA_INT8");
    let float_arena = arena(net, types, quant, float_plan, &float_arena_name);
    let entry_points = super::EntryPoints {
        forward_doc: "Runs the network on an `f32` input (quantized first, as PyTorch's \
                      quantized model does) and returns the `f32` output (dequantized).",
        forward_into_doc: "Runs the network on an `f32` input into an `f32` output, with \
                           `scratch` as the only working memory: integer kernels between the \
                           quantization of the input and the dequantization of the output; no \
                           allocation, no panic.",
    }
    .tokens(
        vis,
        input_ty,
        output_ty,
        &body(net, types, quant, float_plan, &float_arena_name, false),
    );
    let input_q = quant.value.first().copied().flatten().map(q_tokens);
    let output_q = quant.value.get(net.graph.output).copied().flatten().map(q_tokens);
    let params = params_count(net, quant);
    let macs: Vec<TokenStream> =
        net.layer_list().filter_map(|l| layer_macs(net, l, types)).collect();
    let repr = torch_repr(net);
    let input_dims = &net.input.0;
    let steps = step_rows(net, types, float_plan);
    let (int8_arena, int8_len, int8_api) = match int8_plan {
        Some(plan) => {
            let arena = arena(net, types, quant, plan, &int8_arena_name);
            let body = body(net, types, quant, plan, &int8_arena_name, true);
            let api = quote! {
                /// The quantization of the network's output (`real = scale * (q - zero_point)`).
                #vis const OUTPUT_QUANTIZATION: ::staticnn::precision::Quantization = #output_q;

                /// Runs the network on an int8 input (quantized with
                /// [`Self::INPUT_QUANTIZATION`]) and returns its int8 output.
                #[must_use]
                #vis fn forward_int8(
                    &self,
                    input: &::staticnn::tensor::Tensor<#input_ty, i8>,
                ) -> ::staticnn::tensor::Tensor<#output_ty, i8> {
                    let mut output = ::staticnn::tensor::Tensor::zeros();
                    ::staticnn::scratch::Scratch::<{ Self::SCRATCH_LEN }>::with_new(|scratch| {
                        self.forward_int8_into(input, &mut output, scratch);
                    });
                    output
                }

                /// Runs the network on an int8 input into an int8 output, with `scratch` as
                /// the only working memory: integers only, no allocation, no panic.
                #vis fn forward_int8_into(
                    &self,
                    input: &::staticnn::tensor::Tensor<#input_ty, i8>,
                    output: &mut ::staticnn::tensor::Tensor<#output_ty, i8>,
                    scratch: &mut ::staticnn::scratch::Scratch<{ Self::SCRATCH_LEN }>,
                ) {
                    let probe = &mut |_| {};
                    let _ = (&input, &output, &scratch, &probe);
                    #body
                }

                /// Dequantizes an int8 output of [`Self::forward_int8`].
                #[must_use]
                #vis fn dequantize_output(
                    output: &::staticnn::tensor::Tensor<#output_ty, i8>,
                ) -> ::staticnn::tensor::Tensor<#output_ty> {
                    let mut y = ::staticnn::tensor::Tensor::zeros();
                    ::staticnn::layers::quantized::dequantize(output, Self::OUTPUT_QUANTIZATION, &mut y);
                    y
                }
            };
            (arena, quote!(Self::__ARENA_INT8.len), api)
        }
        None => (quote!(), quote!(0), quote!()),
    };
    quote! {
        #[allow(clippy::identity_op, clippy::erasing_op)]
        impl #name {
            /// The input dimensions, as declared (without the batch dimension).
            #vis const INPUT_SHAPE: &'static [usize] = &[#(#input_dims),*];
            /// The output dimensions (without the batch dimension).
            #vis const OUTPUT_SHAPE: &'static [usize] = <#output_ty as ::staticnn::shape::Shape>::DIMS;
            /// The parameters the int8 network holds: weights and biases (int8 and int32), and
            /// those of the layers it runs in `f32`.
            #vis const PARAMS: usize = #params;
            /// Multiply-accumulates of the convolution and linear layers per inference.
            #vis const MACS: usize = 0 #(+ #macs)*;
            #float_arena
            #int8_arena
            /// Floats of working memory one inference needs (see [`Self::new_scratch`]): the
            /// int8 values and kernels' working memory of either entry point.
            #vis const SCRATCH_LEN: usize =
                ::staticnn::__private::max(Self::__ARENA.len, #int8_len).div_ceil(4);
            /// Bytes of working memory one inference needs.
            #vis const SCRATCH_BYTES: usize = Self::SCRATCH_LEN * ::core::mem::size_of::<f32>();
            /// What PyTorch's `print(net)` prints for the float network.
            #vis const TORCH_REPR: &'static str = #repr;
            /// The execution plan of [`Self::forward_into`]: one row per step.
            #vis const STEPS: &'static [::staticnn::network::StepSummary] = #steps;
            /// The quantization of the network's input (`real = scale * (q - zero_point)`).
            #vis const INPUT_QUANTIZATION: ::staticnn::precision::Quantization = #input_q;

            /// A zeroed scratch buffer of [`Self::SCRATCH_BYTES`] bytes; `const`, so it can be
            /// a `static` on a microcontroller.
            #[must_use]
            #vis const fn new_scratch() -> ::staticnn::scratch::Scratch<{ Self::SCRATCH_LEN }> {
                ::staticnn::scratch::Scratch::new()
            }

            #entry_points

            /// Quantizes an `f32` input for [`Self::forward_int8`].
            #[must_use]
            #vis fn quantize_input(
                input: &::staticnn::tensor::Tensor<#input_ty>,
            ) -> ::staticnn::tensor::Tensor<#input_ty, i8> {
                let mut x = ::staticnn::tensor::Tensor::zeros();
                ::staticnn::layers::quantized::quantize(input, Self::INPUT_QUANTIZATION, &mut x);
                x
            }

            #int8_api
        }
    }
}

/// The `STEPS` rows of the `f32`-io plan.
fn step_rows(net: &Checked, types: &NodeTypes, plan: &Plan) -> TokenStream {
    let rows = plan.steps.iter().map(|step| {
        let nodes = step_nodes(step);
        let keys: Vec<String> = nodes.iter().map(|&i| net.graph.nodes[i].path.clone()).collect();
        let names: Vec<String> = nodes
            .iter()
            .map(|&i| match &net.graph.nodes[i].op {
                NodeOp::Layer(_) => net.layer(i).map(Layer::kind).unwrap_or_default(),
                NodeOp::Combine { kind, .. } => kind.describe().to_owned(),
                NodeOp::Input => String::new(),
            })
            .collect();
        let (keys, names) = match step {
            Step::Quantize { .. } => (String::new(), "quantize".to_owned()),
            Step::Dequantize { .. } => (keys.join(", "), "dequantize".to_owned()),
            _ => (keys.join(", "), names.join(" + ")),
        };
        let macs = match step {
            Step::Run { layer, .. } => net
                .layer(*layer)
                .and_then(|l| layer_macs(net, l, types))
                .unwrap_or_else(|| quote!(0)),
            _ => quote!(0),
        };
        quote!(::staticnn::network::StepSummary { layers: #keys, name: #names, macs: #macs })
    });
    quote!(&[#(#rows),*])
}

/// `trained()`: the int8 network with the tensors of its file, as a `static`.
fn trained_impl(net: &Checked, types: &NodeTypes, quant: &Quant) -> TokenStream {
    let path = quant.path.to_string_lossy().into_owned();
    let fields = net.layer_list().map(|layer| {
        let f = field(layer);
        let ty = types.layer(layer);
        let init = match quant.run.get(layer.node) {
            Some(Some(Run::Weighted(w))) => {
                let wt = w.weight_at;
                let bias = match w.bias_at {
                    Some(at) => quote!(::staticnn::__private::i32s_le(BYTES, #at)),
                    None => quote!(::staticnn::__private::i32s_le(BYTES, 0)),
                };
                let (m, s) = (&w.multiplier, &w.shift);
                let (zi, zo, lo, hi) =
                    (w.input_zero_point, w.output_zero_point, w.act_min, w.act_max);
                quote! {
                    <#ty>::from_quantized(
                        ::staticnn::__private::i8s_le(BYTES, #wt),
                        #bias,
                        ::staticnn::precision::Requantization {
                            multiplier: ::staticnn::__private::array(&[#(#m),*]),
                            shift: ::staticnn::__private::array(&[#(#s),*]),
                            input_zero_point: #zi,
                            output_zero_point: #zo,
                            act_min: #lo,
                            act_max: #hi,
                        },
                    )
                }
            }
            Some(Some(Run::Folded)) if matches!(layer.op, Op::BatchNorm(_)) => quote!(#ty),
            Some(Some(Run::Fallback(offsets))) => {
                let shapes = (net.input_shape(layer), net.shape(layer.node));
                const_init(layer, ty, shapes, offsets)
            }
            _ => {
                let shapes = (net.input_shape(layer), net.shape(layer.node));
                const_init(layer, ty, shapes, &[])
            }
        };
        quote!(#f: #init)
    });
    let file = path.rsplit(['/', '\\']).next().unwrap_or(&path);
    let doc = format!(" The int8 network with the tensors of `{file}`, in read-only memory.");
    super::trained_static(net, &path, &doc, fields)
}
