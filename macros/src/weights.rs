//! Compile-time weights: reads the `.safetensors` file named by `#[staticnn(weights = "..")]`
//! while the macro expands, checks every tensor the network declares (present, `F32`, right
//! shape) and that the file holds nothing else, and returns where each tensor's bytes are.

use std::collections::HashMap;
use std::path::PathBuf;

use proc_macro2::Span;

use crate::ctxt::Ctxt;
use crate::graph::NodeId;
use crate::layers::Layer;
use crate::params::declared;
use crate::repr;
use crate::shape::Shape;

/// A weights file, read and checked.
pub struct Weights {
    /// The absolute path, for `include_bytes!` (which also makes cargo rebuild on change).
    pub path: PathBuf,
    /// Where each layer's tensors start in the file, by layer node and tensor order.
    pub offsets: HashMap<NodeId, Vec<usize>>,
}

/// One tensor's header entry.
pub struct Entry {
    /// Its dtype as the header writes it (`F32`, `I8`, ...).
    pub dtype: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Offset of its first byte from the start of the file.
    pub start: usize,
}

/// Where `file` is: relative to the using crate's `CARGO_MANIFEST_DIR` (where its `Cargo.toml`
/// is), else relative to the source file that invokes `network!` (as `include_bytes!`).
pub fn locate(file: &str, span: Span) -> Result<PathBuf, String> {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
    // `Span::unwrap` panics outside a compiler's proc-macro call (the unit tests run the
    // pipeline there): then only the manifest directory is searched.
    let source_dir = proc_macro::is_available()
        .then(|| span.unwrap().local_file())
        .flatten()
        .and_then(|f| f.parent().map(PathBuf::from));
    let candidates: Vec<PathBuf> =
        [manifest, source_dir].into_iter().flatten().map(|dir| dir.join(file)).collect();
    if let Some(found) = candidates.iter().find(|p| p.is_file()) {
        return Ok(found.clone());
    }
    // The candidates are absolute paths; the message names the rule instead, so it reads the
    // same on every machine.
    Err(format!(
        "cannot find the weights file {file:?}: it is looked up relative to the crate's \
         Cargo.toml directory, then relative to the file that declares the network"
    ))
}

/// Reads `file` (see [`locate`]) and checks it against the tensors `layers` declare, under
/// their `state_dict` keys (`prefix` prepended).
pub fn load(
    file: &str,
    span: Span,
    layers: &[&Layer],
    prefix: Option<&str>,
    cx: &mut Ctxt,
) -> Option<Weights> {
    let path = match locate(file, span) {
        Ok(path) => path,
        Err(why) => {
            cx.error(span, why);
            return None;
        }
    };
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) => {
            cx.error(span, format!("cannot read the weights file {}: {e}", path.display()));
            return None;
        }
    };
    let entries = match header(&bytes) {
        Ok(entries) => entries,
        Err(why) => {
            cx.error(span, format!("{file} is not a valid .safetensors file: {why}"));
            return None;
        }
    };
    let mut used = vec![false; entries.len()];
    let index: HashMap<&str, usize> =
        entries.iter().enumerate().map(|(i, (name, _))| (name.as_str(), i)).collect();
    let key_prefix = |layer: &Layer| match prefix {
        Some(p) => format!("{p}.{}", layer.state_dict_name()),
        None => layer.state_dict_name(),
    };
    let declared_keys: Vec<String> = layers
        .iter()
        .flat_map(|l| declared(l).into_iter().map(move |t| format!("{}.{}", key_prefix(l), t.name)))
        .collect();
    let mut offsets = HashMap::with_capacity(layers.len());
    let mut ok = true;
    for &layer in layers {
        let mut layer_offsets = Vec::new();
        for tensor in declared(layer) {
            let key = format!("{}.{}", key_prefix(layer), tensor.name);
            let what = format!("layer ({}) {}", layer.state_dict_name(), repr::layer(layer));
            let needs = Shape(tensor.dims.clone());
            let Some(&i) = index.get(key.as_str()) else {
                // A tensor nobody declares, with this name and shape, is probably this one.
                let suffix = format!(".{}", tensor.name);
                let candidate = entries.iter().find(|(name, e)| {
                    name.ends_with(&suffix)
                        && e.shape == tensor.dims
                        && !declared_keys.contains(name)
                });
                let hint = candidate
                    .map(|(name, _)| {
                        format!(" (it has `{name}` of that shape: name the layer to match, or set the prefix)")
                    })
                    .unwrap_or_default();
                cx.error(
                    layer.call.kind_span(),
                    format!(
                        "{file} has no tensor `{key}`, which {what} needs with shape {needs}{hint}"
                    ),
                );
                ok = false;
                continue;
            };
            used[i] = true;
            let entry = &entries[i].1;
            if entry.dtype != "F32" {
                cx.error(
                    layer.call.kind_span(),
                    format!(
                        "tensor `{key}` in {file} is {}, but {what} needs F32; convert it with \
                         `tensor.float()` before saving",
                        entry.dtype
                    ),
                );
                ok = false;
            } else if entry.shape != tensor.dims {
                cx.error(
                    layer.call.kind_span(),
                    format!(
                        "tensor `{key}` has shape {} in {file}, but {what} needs {needs}",
                        Shape(entry.shape.clone())
                    ),
                );
                ok = false;
            }
            layer_offsets.push(entry.start);
        }
        offsets.insert(layer.node, layer_offsets);
    }
    for ((name, _), used) in entries.iter().zip(&used) {
        if !used && !name.ends_with("num_batches_tracked") {
            cx.error(
                span,
                format!(
                    "{file} has tensor `{name}`, which no layer of the network declares; \
                     the network and the file disagree (a layer missing, or a different prefix)"
                ),
            );
            ok = false;
        }
    }
    ok.then_some(Weights { path, offsets })
}

/// The header's tensors, in file order, after `safetensors` validated the whole file (offsets
/// in bounds, no overlaps or holes).
pub fn header(bytes: &[u8]) -> Result<Vec<(String, Entry)>, String> {
    safetensors::SafeTensors::deserialize(bytes).map_err(|e| e.to_string())?;
    let (header_len, metadata) =
        safetensors::SafeTensors::read_metadata(bytes).map_err(|e| e.to_string())?;
    let data_start = 8 + header_len;
    let mut entries: Vec<(String, Entry)> = metadata
        .tensors()
        .into_iter()
        .map(|(name, info)| {
            let entry = Entry {
                dtype: format!("{:?}", info.dtype),
                shape: info.shape.clone(),
                start: data_start + info.data_offsets.0,
            };
            (name, entry)
        })
        .collect();
    entries.sort_by_key(|(_, e)| e.start);
    Ok(entries)
}
