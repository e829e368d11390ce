//! The heap constructors of a network (`boxed_zeroed`, `boxed_seeded`, `boxed_scratch`,
//! `forward_boxed`): an impl block of its own, emitted through `staticnn`'s `if_alloc!` so it
//! exists exactly when the library's `alloc` feature is on, whatever the features of the crate
//! that invokes `network!`.
//!
//! A network is built in place: `Box::new_zeroed` allocates it zeroed; the layers whose
//! parameters can be large (convolution, linear, normalisation) are `Zeroable`, so their
//! zeroed memory already is their initial value, or becomes it by a fill in place
//! (`reset_in_place` for the normalisations' ones and `eps`); every other built-in layer is a
//! few bytes at most (activations' settings, `Dropout`'s `p`, `Upsample`'s scales) and is
//! written whole through a pointer to its field, like a layer of the user's own (built by its
//! `new` or `Default`, so its size is the user's to keep small). Nothing the size of a
//! built-in layer's parameters is ever on the stack.
//!
//! The `unsafe` block this emits compiles in crates that `#![forbid(unsafe_code)]`: the
//! `unsafe_code` lint does not fire on the output of a macro from another crate
//! (`tests/heap.rs` checks it).
//!
//! An int8 network (`quantized = "int8"`) has no `zeroed` or `seeded` (it is built only by
//! `trained()`, a `static`), so it gets only `boxed_scratch` and `forward_boxed`
//! ([`heap_impl_int8`]).

use proc_macro2::TokenStream;
use quote::quote;

use super::init::{f32_lit, field_init};
use super::{Checked, NodeTypes, field};
use crate::layers::Op;

/// How the heap constructor brings one field from zeroed memory to its initial value.
enum InPlace {
    /// Zeroed memory is its initial value (convolution and linear layers: all parameters 0).
    Zeroed,
    /// Zeroed memory is valid; then `reset_in_place(eps)` sets PyTorch's initial state.
    ZeroedThenReset(f64),
    /// Written whole (a small value: settings only, or a layer of the user's own).
    Written,
}

fn in_place(op: &Op) -> InPlace {
    match op {
        Op::Conv(_) | Op::Linear(_) => InPlace::Zeroed,
        Op::BatchNorm(bn) => InPlace::ZeroedThenReset(bn.eps),
        Op::InstanceNorm(n) => InPlace::ZeroedThenReset(n.eps),
        Op::LayerNorm(ln) => InPlace::ZeroedThenReset(ln.eps),
        _ => InPlace::Written,
    }
}

/// `boxed_zeroed`'s body: the network of `zeroed()`, built in place on the heap.
fn boxed_zeroed_body(net: &Checked) -> TokenStream {
    let mut writes = Vec::new();
    let mut resets = Vec::new();
    for layer in net.layer_list() {
        let f = field(layer);
        match in_place(&layer.op) {
            InPlace::Zeroed => writes.push(quote! {
                ::staticnn::__private::leave_zeroed(::core::ptr::addr_of_mut!((*ptr).#f));
            }),
            InPlace::ZeroedThenReset(eps) => {
                writes.push(quote! {
                    ::staticnn::__private::leave_zeroed(::core::ptr::addr_of_mut!((*ptr).#f));
                });
                let eps = f32_lit(eps);
                resets.push(quote!(net.#f.reset_in_place(#eps);));
            }
            InPlace::Written => {
                let init = field_init(layer, net.input_shape(layer), net.shape(layer.node));
                writes.push(quote!(::core::ptr::addr_of_mut!((*ptr).#f).write(#init);));
            }
        }
    }
    quote! {
        let mut uninit = ::staticnn::__private::Box::<Self>::new_zeroed();
        let ptr = ::core::mem::MaybeUninit::as_mut_ptr(&mut *uninit);
        // SAFETY: `ptr` is the allocation of a `Self`, aligned and valid for writes, and only
        // field addresses are taken from it. Every field is either written whole here, or left
        // as the zeroed memory `new_zeroed` returned, which is valid for it because its type is
        // `Zeroable` (checked at compile time by `leave_zeroed`): so every field, and the
        // network, is initialised.
        let mut net = unsafe {
            #(#writes)*
            uninit.assume_init()
        };
        let _ = &mut net;
        #(#resets)*
        net
    }
}

/// The impl block of heap constructors, or nothing when `staticnn` has no `alloc` feature.
pub fn heap_impl(net: &Checked, types: &NodeTypes) -> TokenStream {
    let (vis, name) = (&net.network.vis, &net.network.name);
    let boxed_zeroed = boxed_zeroed_body(net);
    let scratch_and_forward = boxed_scratch_and_forward(net, types);
    quote! {
        ::staticnn::__private::if_alloc! {
            /// Heap constructors (feature `alloc`): for networks, inputs, outputs and scratch
            /// buffers too large for the stack, built in place on the heap.
            #[allow(clippy::identity_op, clippy::erasing_op)]
            impl #name {
                /// [`Self::zeroed`], built in place on the heap: nothing the size of a layer is
                /// ever on the stack, so it works for networks of any size (an `AlexNet`'s 187 MB)
                /// on any thread.
                #[must_use]
                #vis fn boxed_zeroed() -> ::staticnn::__private::Box<Self> {
                    #boxed_zeroed
                }

                /// [`Self::seeded`] (the same values), built in place on the heap like
                /// [`Self::boxed_zeroed`].
                #[must_use]
                #vis fn boxed_seeded(seed: u64) -> ::staticnn::__private::Box<Self> {
                    let mut net = Self::boxed_zeroed();
                    net.reset_parameters(seed);
                    net
                }

                #scratch_and_forward
            }
        }
    }
}

/// The heap constructors of an int8 network: [`boxed_scratch_and_forward`] (it has no
/// `zeroed` or `seeded` to build on the heap), or nothing without the `alloc` feature.
pub fn heap_impl_int8(net: &Checked, types: &NodeTypes) -> TokenStream {
    let name = &net.network.name;
    let scratch_and_forward = boxed_scratch_and_forward(net, types);
    quote! {
        ::staticnn::__private::if_alloc! {
            /// Heap constructors (feature `alloc`): the scratch buffer and the output built in
            /// place on the heap, for sizes too large for the stack.
            impl #name {
                #scratch_and_forward
            }
        }
    }
}

/// `boxed_scratch` and `forward_boxed`, for float and int8 networks alike (both have
/// `SCRATCH_LEN` and an `f32` `forward_into`).
fn boxed_scratch_and_forward(net: &Checked, types: &NodeTypes) -> TokenStream {
    let vis = &net.network.vis;
    let (input_ty, output_ty) = (types.input(), types.of(net.graph.output));
    quote! {
        /// [`Self::new_scratch`] on the heap, built in place.
        #[must_use]
        #vis fn boxed_scratch() -> ::staticnn::__private::Box<::staticnn::scratch::Scratch<{ Self::SCRATCH_LEN }>> {
            ::staticnn::scratch::Scratch::boxed()
        }

        /// [`Self::forward`] with the output and the scratch buffer on the heap: for
        /// outputs too large for the stack (a 1 x 1025 x 1025 feature map is 4 MB).
        #[must_use]
        #vis fn forward_boxed(
            &self,
            input: &::staticnn::tensor::Tensor<#input_ty>,
        ) -> ::staticnn::__private::Box<::staticnn::tensor::Tensor<#output_ty>> {
            let mut output = ::staticnn::tensor::Tensor::<#output_ty>::boxed_zeros();
            let mut scratch = Self::boxed_scratch();
            self.forward_into(input, &mut output, &mut scratch);
            output
        }
    }
}
