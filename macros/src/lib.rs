//! The `network!` macro of [staticnn](https://docs.rs/staticnn). Use it through the `staticnn`
//! crate, which documents it.
//!
//! The pipeline, one module per stage: `parse` (tokens to `ast`), then the checks (`check` for
//! the network as a whole, `layers` resolving each layer through the `catalog` and `bind`,
//! `shape` for every shape), all errors collected in a `ctxt::Ctxt`, then `plan` (fusion and
//! memory) and `expand` (or `fallback` when there were errors).

mod ast;
mod bind;
mod catalog;
mod check;
mod ctxt;
mod expand;
mod expand_heap;
mod fallback;
mod layers;
mod params;
mod parse;
mod plan;
mod repr;
mod shape;
mod weights;

use proc_macro::TokenStream;

/// Declares networks as in `torch.nn.Sequential`; see the `staticnn` crate's documentation.
#[proc_macro]
pub fn network(input: TokenStream) -> TokenStream {
    let input = match syn::parse::<ast::Input>(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error().into(),
    };
    input.networks.iter().map(network_tokens).collect::<proc_macro2::TokenStream>().into()
}

/// Checks one network and expands it, or emits its errors and a stand-in.
fn network_tokens(network: &ast::Network) -> proc_macro2::TokenStream {
    let mut cx = ctxt::Ctxt::default();
    let options = check::options(network, &mut cx);
    check::not_empty(network, &mut cx);
    check::layer_names(network, &mut cx);
    let input = shape::input_shape(&network.input, &mut cx);
    let layers = layers::resolve(&network.layers, &mut cx);
    let stages = shape::infer(input.clone(), &layers, &mut cx);
    if let Some(error) = cx.into_error() {
        return fallback::expand(network, &error);
    }
    let (Some(input), Some(layers)) = (input, layers.into_iter().collect::<Option<Vec<_>>>())
    else {
        // Every unresolved layer and malformed shape reported an error above.
        return fallback::expand(network, &syn::Error::new(network.name.span(), "invalid network"));
    };
    let mut cx = ctxt::Ctxt::default();
    let weights = options.weights.as_ref().and_then(|(file, span)| {
        weights::load(file, *span, &layers, options.prefix.as_deref(), &mut cx)
    });
    if let Some(error) = cx.into_error() {
        return fallback::expand(network, &error);
    }
    let prefix = options.prefix;
    expand::network(&expand::Checked { network, layers, stages, input, prefix, weights })
}
