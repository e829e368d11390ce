//! Rules about a network as a whole (names, options, an empty list), one function per rule.
//! Shape rules live in `shape.rs`, argument rules in `bind.rs` and `layers.rs`.

use std::collections::HashMap;

use crate::ast::{Network, Value};
use crate::ctxt::Ctxt;

/// The options of `#[staticnn(..)]`, validated.
#[derive(Default)]
pub struct Options {
    /// A prefix of every `state_dict` key (a model nested in an attribute: `model1`).
    pub prefix: Option<String>,
    /// A `.safetensors` file of trained weights to compile in, and where it was named.
    pub weights: Option<(String, proc_macro2::Span)>,
}

/// Every option `#[staticnn(..)]` accepts.
const OPTION_KEYS: &[&str] = &["prefix", "weights"];

/// Validates `#[staticnn(..)]`: known keys, each once, with values of the right kind.
pub fn options(network: &Network, cx: &mut Ctxt) -> Options {
    let mut options = Options::default();
    let mut seen = HashMap::new();
    for option in &network.options {
        let key = option.key.to_string();
        if seen.insert(key.clone(), ()).is_some() {
            cx.error(option.key.span(), format!("`{key}` is given twice in #[staticnn(..)]"));
            continue;
        }
        match (key.as_str(), &option.value.value) {
            ("prefix", Value::Str(p)) if valid_prefix(p) => options.prefix = Some(p.clone()),
            ("prefix", Value::Str(p)) => cx.error(
                option.value.span,
                format!(
                    "`prefix` must be a state_dict key prefix such as \"model1\" or \
                     \"backbone.features\", found {p:?}"
                ),
            ),
            ("weights", Value::Str(file)) if file.ends_with(".safetensors") => {
                options.weights = Some((file.clone(), option.value.span));
            }
            ("weights", Value::Str(file)) => cx.error(
                option.value.span,
                format!(
                    "`weights` names a .safetensors file (relative to the crate's Cargo.toml), \
                     found {file:?}"
                ),
            ),
            ("weights", other) => cx.error(
                option.value.span,
                format!("`weights` expects a file name string, found {}", other.describe()),
            ),
            ("prefix", other) => cx.error(
                option.value.span,
                format!("`prefix` expects a string, found {}", other.describe()),
            ),
            _ => {
                let hint = crate::catalog::closest(&key, OPTION_KEYS.iter().copied())
                    .map(|k| format!("did you mean `{k}`? "))
                    .unwrap_or_default();
                cx.error(
                    option.key.span(),
                    format!(
                        "unknown option `{key}`; {hint}#[staticnn(..)] accepts {}",
                        OPTION_KEYS.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                    ),
                );
            }
        }
    }
    options
}

fn valid_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix.split('.').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

/// A network needs at least one layer.
pub fn not_empty(network: &Network, cx: &mut Ctxt) {
    if network.body.is_empty() {
        cx.error(
            network.body_span,
            format!(
                "`{}` has no layers; list them inside the braces, e.g. `{{ Linear(4, 2) }}`",
                network.name
            ),
        );
    }
}
