//! Loading trained weights from the bytes of a `.safetensors` file, without `std` or a heap.
//!
//! Save the weights in Python with
//! `safetensors.torch.save_file(model.state_dict(), "net.safetensors")`, embed or read the file
//! (`include_bytes!`, flash, a file system), then call [`load_safetensors`]:
//!
//! ```text
//! static WEIGHTS: &[u8] = include_bytes!("net.safetensors");
//! let mut net = Net::zeroed();
//! staticnn::safetensors::load_safetensors(&mut net, WEIGHTS)?;
//! ```
//!
//! The file is `[8-byte little-endian header length N][N bytes of JSON header][data buffer]`.
//! Its header is read by a small strict JSON reader that borrows from the input; every
//! malformed input gives a [`LoadError`] naming what was expected and what was found; nothing
//! panics and nothing is allocated. [`SafeTensors`] gives the same validated view of a file
//! for other uses:
//!
//! ```
//! use staticnn_core::safetensors::{Dtype, SafeTensors};
//!
//! let header = br#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#;
//! let mut file = (header.len() as u64).to_le_bytes().to_vec();
//! file.extend_from_slice(header);
//! file.extend_from_slice(&[0, 0, 128, 63, 0, 0, 0, 64]); // 1.0, 2.0
//!
//! let tensors = SafeTensors::parse(&file).unwrap();
//! let w = tensors.tensor("w").unwrap();
//! assert_eq!(w.dtype(), Dtype::F32);
//! assert_eq!(w.f32_values().unwrap().collect::<Vec<_>>(), [1.0, 2.0]);
//! ```

mod dims;
mod dtype;
mod error;
mod header;
mod json;

pub use dims::{Dims, FileShape};
pub use dtype::Dtype;
pub use error::{EntryProblem, LoadError};
pub use header::{Metadata, SafeTensors, TensorView, Tensors};
pub use json::{Chars, JsonError, JsonStr};

use crate::network::{Network, ParamName};

/// The buffer a `BatchNorm` layer counts its training steps in; torch saves it (as `I64`)
/// with the weights, but inference does not use it.
const NUM_BATCHES_TRACKED: &str = "num_batches_tracked";
/// The same buffer inside a layer, as the end of a key.
const DOT_NUM_BATCHES_TRACKED: &str = ".num_batches_tracked";

/// Loads every parameter of `net` from the bytes of a safetensors file.
///
/// The file must hold exactly the network's `state_dict`: each parameter once, as `F32`, with
/// the declared shape. The only extra tensors allowed are the `num_batches_tracked`
/// counters of `BatchNorm` layers (any integer dtype), which are skipped. Values are decoded with
/// [`f32::from_le_bytes`], so the bytes need no alignment and big-endian targets read them
/// correctly.
///
/// Everything is checked before anything is written: on error, `net` is unchanged. The checks
/// run in this order and the first failure is returned:
/// 1. the file on its own, as listed at [`SafeTensors::parse`];
/// 2. each parameter the network declares, in the network's order: present
///    ([`LoadError::MissingTensor`]), `F32` ([`LoadError::WrongDtype`]), same shape
///    ([`LoadError::ShapeMismatch`]);
/// 3. each tensor of the file, in header order: declared by the network or an integer
///    `num_batches_tracked` ([`LoadError::UnexpectedTensor`]).
///
/// Nothing is stored per tensor: lookups re-read the header, starting after the previous
/// find. Files whose data lie in header order with distinct keys (as writers produce them) are
/// validated in a few passes over the header; other layouts, and networks listing parameters in
/// an order far from the file's, cost up to tensors × header size (a few milliseconds for a
/// few hundred tensors on a PC).
///
/// # Errors
/// A [`LoadError`] describing the first problem found.
pub fn load_safetensors<'a, N: Network + ?Sized>(
    net: &mut N,
    bytes: &'a [u8],
) -> Result<(), LoadError<'a>> {
    let file = SafeTensors::parse(bytes)?;
    check_declared(net, &file)?;
    check_undeclared(net, &file)?;
    let mut finder = Finder::new(&file);
    net.visit_parameters_mut(&mut |name, dims, values| {
        // `check_declared` found this very tensor, so the lookup succeeds.
        if let Ok(tensor) = declared_tensor(&mut finder, name, dims) {
            copy_f32(tensor.data(), values);
        }
    });
    Ok(())
}

/// Looks tensors up by parameter name, starting after the previous find and wrapping around:
/// a network and its file usually list parameters in similar orders, so most lookups read a
/// few entries instead of the whole header.
struct Finder<'f, 'a> {
    file: &'f SafeTensors<'a>,
    after_last: Tensors<'a>,
}

impl<'f, 'a> Finder<'f, 'a> {
    fn new(file: &'f SafeTensors<'a>) -> Self {
        Self { file, after_last: file.tensors() }
    }

    fn find(&mut self, name: ParamName) -> Option<TensorView<'a>> {
        for mut tensors in [self.after_last.clone(), self.file.tensors()] {
            if let Some(tensor) = tensors.find(|t| is_param(t.name(), name)) {
                self.after_last = tensors;
                return Some(tensor);
            }
        }
        None
    }
}

/// The file's tensor for the parameter `name`, if it is there with dtype `F32` and shape `dims`.
fn declared_tensor<'a>(
    finder: &mut Finder<'_, 'a>,
    name: ParamName,
    dims: &'static [usize],
) -> Result<TensorView<'a>, LoadError<'a>> {
    let tensor = finder.find(name).ok_or(LoadError::MissingTensor { name, shape: dims })?;
    if tensor.dtype() != Dtype::F32 {
        return Err(LoadError::WrongDtype { name, found: tensor.dtype() });
    }
    if !tensor.shape().matches(dims) {
        return Err(LoadError::ShapeMismatch { name, expected: dims, found: tensor.shape() });
    }
    Ok(tensor)
}

/// Checks that every parameter of the network has its tensor in the file.
fn check_declared<'a, N: Network + ?Sized>(
    net: &N,
    file: &SafeTensors<'a>,
) -> Result<(), LoadError<'a>> {
    let mut result = Ok(());
    let mut finder = Finder::new(file);
    net.visit_parameters(&mut |name, dims, _| {
        if result.is_ok() {
            result = declared_tensor(&mut finder, name, dims).map(drop);
        }
    });
    result
}

/// Checks that every tensor of the file is a parameter of the network or may be skipped.
fn check_undeclared<'a, N: Network + ?Sized>(
    net: &N,
    file: &SafeTensors<'a>,
) -> Result<(), LoadError<'a>> {
    for tensor in file.tensors() {
        let skippable = is_num_batches_tracked(tensor.name()) && tensor.dtype().is_integer();
        if !skippable && !declares(net, tensor.name()) {
            let (name, dtype, shape) = (tensor.name(), tensor.dtype(), tensor.shape());
            return Err(LoadError::UnexpectedTensor { name, dtype, shape });
        }
    }
    Ok(())
}

/// Whether the network has a parameter called `key`.
fn declares<N: Network + ?Sized>(net: &N, key: JsonStr<'_>) -> bool {
    let mut found = false;
    net.visit_parameters(&mut |name, _, _| found = found || is_param(key, name));
    found
}

/// Whether the key `key` from the file is `name.prefix + "." + name.name`.
fn is_param(key: JsonStr<'_>, name: ParamName) -> bool {
    match key.as_str() {
        Some(key) => name.matches(key),
        None => key.chars().eq(name.prefix.chars().chain(['.']).chain(name.name.chars())),
    }
}

/// Whether `key` is `num_batches_tracked` or ends in `.num_batches_tracked`.
fn is_num_batches_tracked(key: JsonStr<'_>) -> bool {
    key == NUM_BATCHES_TRACKED || key.ends_with(DOT_NUM_BATCHES_TRACKED)
}

/// Decodes little-endian `f32`s from `bytes` into `values` (as many as both have).
fn copy_f32(bytes: &[u8], values: &mut [f32]) {
    for (value, chunk) in values.iter_mut().zip(bytes.chunks_exact(4)) {
        if let &[a, b, c, d] = chunk {
            *value = f32::from_le_bytes([a, b, c, d]);
        }
    }
}
