//! What `network!` emits for a network with errors: the errors, plus a stand-in struct with
//! the same name and methods, so code that uses the network does not add a cascade of
//! unrelated errors to the real ones.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::Network;

/// The errors and a stand-in for `network`.
pub fn expand(network: &Network, error: &syn::Error) -> TokenStream {
    let errors = error.to_compile_error();
    let (attrs, vis, name) = (&network.attrs, &network.vis, &network.name);
    quote! {
        #errors
        #(#attrs)*
        #vis struct #name;

        #[allow(dead_code, unused_variables, clippy::all)]
        impl #name {
            #vis const INPUT_SHAPE: &'static [usize] = &[];
            #vis const OUTPUT_SHAPE: &'static [usize] = &[];
            #vis const PARAMS: usize = 0;
            #vis const MACS: usize = 0;
            #vis const SCRATCH_LEN: usize = 0;
            #vis const SCRATCH_BYTES: usize = 0;
            #vis const TORCH_REPR: &'static str = "";
            #vis const LAYERS: &'static [::staticnn::network::LayerSummary] = &[];
            #vis const STEPS: &'static [::staticnn::network::StepSummary] = &[];
            #vis fn zeroed() -> Self { Self }
            #vis fn seeded(seed: u64) -> Self { Self }
            #vis fn reset_parameters(&mut self, seed: u64) {}
            #vis fn new_scratch<T>() -> T { loop {} }
            #vis fn forward<I, O>(&self, input: &I) -> O { loop {} }
            #vis fn forward_into<I, O, S>(&self, input: &I, output: &mut O, scratch: &mut S) {}
            #vis fn boxed_zeroed<T>() -> T { loop {} }
            #vis fn boxed_seeded<T>(seed: u64) -> T { loop {} }
            #vis fn boxed_scratch<T>() -> T { loop {} }
            #vis fn forward_boxed<I, O>(&self, input: &I) -> O { loop {} }
        }

        impl ::core::fmt::Display for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::result::Result::Ok(())
            }
        }
    }
}
