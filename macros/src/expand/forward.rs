//! The body of `forward_into_probed`: one block per step of the plan, each borrowing the
//! regions the plan gave its values (the caller's input and output, or regions of the scratch
//! buffer at offsets `Arena::plan` computed) and calling the layer or combinator.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::{Checked, NodeTypes, field};
use crate::ast::BlockKind;
use crate::graph::{NodeId, NodeOp};
use crate::layers::Op;
use crate::plan::{Buf, Fused, Plan, Step};

/// The nodes a step covers, first to last.
pub fn step_nodes(step: &Step) -> Vec<NodeId> {
    match step {
        Step::Run { layer, fused, .. } => fused.nodes(*layer),
        Step::InPlace { layer, .. } => vec![*layer],
        Step::Combine { node, .. }
        | Step::Cat { node, .. }
        | Step::Copy { node, .. }
        | Step::Dequantize { node, .. } => vec![*node],
        Step::Quantize { .. } => Vec::new(),
    }
}

/// The name of the plan's constant of a float network.
fn arena() -> TokenStream {
    quote!(__ARENA)
}

/// `probe(0); { step 0 } probe(1); ... probe(n)`.
pub fn body(net: &Checked, types: &NodeTypes, plan: &Plan) -> TokenStream {
    let count = plan.steps.len();
    let blocks = plan.steps.iter().enumerate().map(|(i, step)| {
        let block = step_code(net, types, step);
        quote! { probe(#i); { #block } }
    });
    quote! { #(#blocks)* probe(#count); }
}

/// One value a step reads or writes: where it lives, its shape type and element, the name it
/// gets.
pub struct Operand {
    buf: Buf,
    ty: TokenStream,
    elem: TokenStream,
    name: proc_macro2::Ident,
}

/// Working memory of a step: its region, its element and its length in elements.
pub struct Work {
    /// The region.
    pub region: usize,
    /// `f32` or `i8`.
    pub elem: TokenStream,
    /// Its length in elements, a constant expression.
    pub len: TokenStream,
}

/// The borrows of one operation: up to two values read, one written, and working memory
/// (a scratch region).
pub struct Borrows {
    /// Values read.
    pub reads: Vec<Operand>,
    /// The value written.
    pub write: Option<Operand>,
    /// Working memory.
    pub work: Option<Work>,
}

/// The `let` statements that borrow `b`'s operands: one `Scratch::regions` call for every
/// region of the scratch buffer (offsets in bytes from `arena`, the plan's constant),
/// `input.reshape()` / `output.reshape_mut()` for the caller's.
pub fn borrow(b: &Borrows, arena: &TokenStream) -> TokenStream {
    let unused = quote!(::staticnn::scratch::Unused);
    let at = |t: usize| quote!({ Self::#arena.offsets[#t] });
    let mut slot_ty = [unused.clone(), unused.clone(), unused.clone()];
    let mut slot_at = [quote!(0), quote!(0), quote!(0)];
    let mut slot_name = [quote!(_), quote!(_), quote!(_)];
    let mut direct = Vec::new();
    let mut next_read = 0;
    for r in &b.reads {
        let (ty, name, elem) = (&r.ty, &r.name, &r.elem);
        match r.buf {
            Buf::Temp(t) if next_read < 2 => {
                slot_ty[next_read] = quote!(::staticnn::tensor::Tensor<#ty, #elem>);
                slot_at[next_read] = at(t);
                slot_name[next_read] = quote!(#name);
                next_read += 1;
            }
            Buf::Input => direct.push(quote!(let #name = input.reshape::<#ty>();)),
            Buf::Output => direct.push(quote!(let #name = output.reshape::<#ty>();)),
            Buf::Temp(_) => direct.push(
                quote!(::core::compile_error!("staticnn: a step reads three scratch regions");),
            ),
        }
    }
    if let Some(w) = &b.write {
        let (ty, name, elem) = (&w.ty, &w.name, &w.elem);
        match w.buf {
            Buf::Temp(t) => {
                slot_ty[2] = quote!(::staticnn::tensor::Tensor<#ty, #elem>);
                slot_at[2] = at(t);
                slot_name[2] = quote!(#name);
            }
            Buf::Output => direct.push(quote!(let #name = output.reshape_mut::<#ty>();)),
            Buf::Input => {
                direct.push(quote!(::core::compile_error!("staticnn: a step writes the input");))
            }
        }
    }
    let (work_at, work_elem, work_len, work_name) = match &b.work {
        Some(w) => {
            let (elem, len) = (&w.elem, &w.len);
            (at(w.region), elem.clone(), quote!({ #len }), quote!(work))
        }
        None => (quote!(0), quote!(f32), quote!(0), quote!(_)),
    };
    let uses_scratch = next_read > 0
        || matches!(b.write.as_ref().map(|w| w.buf), Some(Buf::Temp(_)))
        || b.work.is_some();
    let scratch = if uses_scratch {
        let [ta, tb, ty] = &slot_ty;
        let [aa, ab, ay] = &slot_at;
        let [na, nb, ny] = &slot_name;
        quote! {
            let (#na, #nb, #ny, #work_name) = scratch
                .regions::<#ta, #tb, #ty, #work_elem, #aa, #ab, #ay, #work_at, #work_len>();
        }
    } else {
        quote!()
    };
    quote! { #scratch #(#direct)* }
}

/// An `f32` operand.
fn operand(buf: Buf, ty: &TokenStream, name: &str) -> Operand {
    operand_of(buf, ty, quote!(f32), name)
}

/// An operand of element `elem`.
pub fn operand_of(buf: Buf, ty: &TokenStream, elem: TokenStream, name: &str) -> Operand {
    Operand { buf, ty: ty.clone(), elem, name: format_ident!("{name}") }
}

fn step_code(net: &Checked, types: &NodeTypes, step: &Step) -> TokenStream {
    match step {
        Step::Run { layer, fused, from, to, work, residual } => {
            let Some(l) = net.layer(*layer) else { return quote!() };
            let source = net.graph.nodes[*layer].inputs.first().copied().unwrap_or(0);
            let (x_ty, y_ty) = (types.of(source), types.of(fused.last(*layer)));
            let mut reads = vec![operand(*from, x_ty, "x")];
            // The residual operand, unless it is the input `x` itself (borrowed once).
            if let (Some(r), Some(add)) = (residual, fused.residual)
                && r != from
            {
                let own = fused.batch_norm.unwrap_or(*layer);
                let inputs = &net.graph.nodes[add].inputs;
                let other = inputs.iter().copied().find(|&i| i != own).unwrap_or(own);
                reads.push(operand(*r, types.of(other), "r"));
            }
            let borrows = Borrows {
                reads,
                write: Some(operand(*to, y_ty, "y")),
                work: work.map(|region| Work {
                    region,
                    elem: quote!(f32),
                    len: super::workspace(net, types, l, *fused),
                }),
            };
            let refs = borrow(&borrows, &arena());
            let same = residual.is_some_and(|r| r == *from);
            let call = run_call(net, types, *layer, *fused, same);
            quote! { #refs #call }
        }
        Step::InPlace { layer, at } => {
            let ty = types.of(*layer);
            let refs = borrow(
                &Borrows { reads: Vec::new(), write: Some(operand(*at, ty, "y")), work: None },
                &arena(),
            );
            let f = net.layer(*layer).map(field);
            quote! { #refs ::staticnn::layer::InPlace::<#ty>::forward_in_place(&self.#f, y); }
        }
        Step::Combine { node, kind, operands, into, to } => {
            combine_code(net, types, *node, *kind, operands, *into, *to)
        }
        Step::Cat { node, operands, to } => cat_code(net, types, *node, operands, *to),
        Step::Copy { .. } => {
            let ty = types.input();
            quote! { *output.reshape_mut::<#ty>() = ::core::clone::Clone::clone(input); }
        }
        // Only int8 networks quantize and dequantize (`int8::step_code`).
        Step::Quantize { .. } | Step::Dequantize { .. } => quote!(),
    }
}

/// `Add` / `Mul`: accumulates the other operands into operand `into`'s buffer, or combines the
/// first two into a new buffer and accumulates the rest.
fn combine_code(
    net: &Checked,
    types: &NodeTypes,
    node: NodeId,
    kind: BlockKind,
    operands: &[Buf],
    into: Option<usize>,
    to: Buf,
) -> TokenStream {
    let inputs = &net.graph.nodes[node].inputs;
    let y_ty = types.of(node);
    let path = quote!(::staticnn::layers::combine);
    let (assign, pair) = match kind {
        BlockKind::Mul => (quote!(#path::mul_assign), quote!(#path::mul)),
        _ => (quote!(#path::add_assign), quote!(#path::add)),
    };
    let accumulate = |j: usize| {
        let x_ty = types.of(inputs[j]);
        let refs = borrow(
            &Borrows {
                reads: vec![operand(operands[j], x_ty, "x")],
                write: Some(operand(to, y_ty, "y")),
                work: None,
            },
            &arena(),
        );
        quote! { { #refs #assign(y, x); } }
    };
    match into {
        Some(k) => {
            let ops = (0..operands.len()).filter(|&j| j != k).map(accumulate);
            quote! { #(#ops)* }
        }
        None => {
            let (a_ty, b_ty) = (types.of(inputs[0]), types.of(inputs[1]));
            let refs = borrow(
                &Borrows {
                    reads: vec![operand(operands[0], a_ty, "a"), operand(operands[1], b_ty, "b")],
                    write: Some(operand(to, y_ty, "y")),
                    work: None,
                },
                &arena(),
            );
            let rest = (2..operands.len()).map(accumulate);
            quote! { { #refs #pair(a, b, y); } #(#rest)* }
        }
    }
}

/// `Cat`: each branch copied into its channels of the output.
fn cat_code(
    net: &Checked,
    types: &NodeTypes,
    node: NodeId,
    operands: &[Buf],
    to: Buf,
) -> TokenStream {
    let inputs = &net.graph.nodes[node].inputs;
    let y_ty = types.of(node);
    let mut first = 0usize;
    let mut copies = Vec::new();
    for (j, &buf) in operands.iter().enumerate() {
        let x_ty = types.of(inputs[j]);
        let refs = borrow(
            &Borrows {
                reads: vec![operand(buf, x_ty, "x")],
                write: Some(operand(to, y_ty, "y")),
                work: None,
            },
            &arena(),
        );
        copies.push(quote! { { #refs ::staticnn::layers::combine::cat_into::<#x_ty, #y_ty, f32, #first>(x, y); } });
        let Some(channels) = net.shape(inputs[j]).and_then(|s| s.0.first().copied()) else {
            return quote!(::core::compile_error!(
                "staticnn: Cat needs the channel counts of its branches, which a layer of your own hides"
            ););
        };
        first += channels;
    }
    quote! { #(#copies)* }
}

/// The call that runs `layer` with the layers fused into it; a fused residual `Add` reads its
/// other operand as `r`, or as `x` when `residual_is_x`.
fn run_call(
    net: &Checked,
    types: &NodeTypes,
    layer: NodeId,
    fused: Fused,
    residual_is_x: bool,
) -> TokenStream {
    let Some(l) = net.layer(layer) else { return quote!() };
    let f = field(l);
    let source = net.graph.nodes[layer].inputs.first().copied().unwrap_or(0);
    let x_ty = types.of(source);
    let y_ty = types.of(fused.last(layer));
    let act = fused
        .activation
        .and_then(|a| net.layer(a))
        .map(field)
        .map_or_else(|| quote!(&::staticnn::kernels::Identity), |a| quote!(&self.#a));
    let act = match fused.residual {
        Some(_) => {
            let r = if residual_is_x { quote!(x) } else { quote!(r) };
            quote!(&::staticnn::layers::combine::ResidualEpilogue::new(#r.as_slice(), #act))
        }
        None => act,
    };
    let epilogue = match fused.batch_norm.and_then(|b| net.layer(b)).map(field) {
        Some(bn) => quote!(&::staticnn::layers::BatchNormEpilogue::new(&self.#bn, #act)),
        None => act,
    };
    if let Some(pool) = fused.pool {
        let p = net.layer(pool).map(field);
        let before_pool = net.graph.nodes[pool].inputs.first().copied().unwrap_or(0);
        let mid_ty = types.of(before_pool);
        return quote! {
            self.#f.forward_pooled::<#x_ty, #mid_ty, #y_ty, _, _>(x, y, #epilogue, &self.#p, work);
        };
    }
    if matches!(l.op, Op::Conv(_)) {
        return quote!(self.#f.forward_with::<#x_ty, #y_ty, _>(x, y, #epilogue, work););
    }
    if fused.batch_norm.is_some() || fused.activation.is_some() || fused.residual.is_some() {
        return quote!(::staticnn::layer::Fusable::<#x_ty>::forward_fused(&self.#f, x, y, #epilogue););
    }
    let _ = NodeOp::Input;
    quote!(::staticnn::layer::Layer::<#x_ty>::forward(&self.#f, x, y);)
}
