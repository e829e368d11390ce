//! The `network!` macro of [staticnn](https://docs.rs/staticnn). Use it through the `staticnn`
//! crate, which documents it.
//!
//! The pipeline, one module per stage: `parse` (tokens to `ast`), `graph` (the network as a
//! graph of nodes: blocks instantiated, nested chains flattened, keys assigned), then the
//! checks (`check` for the network as a whole, `layers` resolving each layer through the
//! `catalog` and `bind`,
//! `shape` for every shape), all errors collected in a `ctxt::Ctxt`, then `plan` (fusion and
//! memory) and `expand` (or `fallback` when there were errors).

mod ast;
mod bind;
mod catalog;
mod check;
mod ctxt;
mod expand;
mod expr;
mod fallback;
mod graph;
mod layers;
mod params;
mod parse;
mod plan;
mod quant;
mod repr;
mod shape;
mod weights;

#[cfg(test)]
mod fuzz;

/// Declares networks as in `torch.nn.Sequential`; see the `staticnn` crate's documentation.
#[proc_macro]
pub fn network(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    expand(input.into()).into()
}

/// The whole pipeline on `proc_macro2` tokens, so tests can run it outside a compiler: the
/// expansion, or the errors (each spanned, with a stand-in for each network that has errors).
fn expand(input: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let input = match syn::parse2::<ast::Input>(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    input.networks.iter().map(|network| network_tokens(network, &input.blocks)).collect()
}

/// Checks one network and expands it, or emits its errors and a stand-in.
fn network_tokens(network: &ast::Network, blocks: &[ast::BlockDef]) -> proc_macro2::TokenStream {
    let mut cx = ctxt::Ctxt::default();
    let options = check::options(network, &mut cx);
    check::not_empty(network, &mut cx);
    let input = shape::input_shape(&network.input, &mut cx);
    let Some(graph) = graph::elaborate(&network.body, blocks, &mut cx) else {
        let error = cx
            .into_error()
            .unwrap_or_else(|| syn::Error::new(network.name.span(), "invalid network"));
        return fallback::expand(network, &error);
    };
    let (layers, all_resolved) = layers::resolve(&graph, &mut cx);
    let stages = shape::infer(&graph, input.clone(), &layers, &mut cx);
    check::sizes(network, &graph, &layers, &stages, &mut cx);
    if let Some(error) = cx.into_error() {
        return fallback::expand(network, &error);
    }
    let (Some(input), true) = (input, all_resolved) else {
        // Every unresolved layer and malformed shape reported an error above.
        return fallback::expand(network, &syn::Error::new(network.name.span(), "invalid network"));
    };
    let mut cx = ctxt::Ctxt::default();
    let prefix = options.prefix.as_deref();
    let (weights, quant) = match (&options.weights, options.quantized) {
        (Some((file, span)), Some(_)) => {
            (None, quant::load(file, *span, &graph, &layers, prefix, &mut cx))
        }
        (Some((file, span)), None) => {
            let list: Vec<&layers::Layer> = layers.iter().flatten().collect();
            (weights::load(file, *span, &list, prefix, &mut cx), None)
        }
        (None, _) => (None, None),
    };
    if let Some(error) = cx.into_error() {
        return fallback::expand(network, &error);
    }
    let checked = expand::Checked {
        network,
        graph: &graph,
        layers,
        stages,
        input,
        prefix: options.prefix,
        weights,
    };
    match &quant {
        Some(quant) => expand::int8::network(&checked, quant),
        None => expand::network(&checked),
    }
}
