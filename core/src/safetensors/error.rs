//! [`LoadError`]: everything that can be wrong with a safetensors file or its fit to a network.

use core::fmt;

use super::dims::FileShape;
use super::dtype::Dtype;
use super::json::{JsonError, JsonStr};
use crate::network::ParamName;

/// Why a safetensors file could not be read or loaded into a network.
///
/// Names from the file are [`JsonStr`]s borrowed from the input bytes; names the network
/// declares are [`ParamName`]s. Byte offsets named `offset` count from the start of the file;
/// `begin`, `end` and `data_len` count within the data buffer after the header, as
/// `data_offsets` do. Nothing here owns memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadError<'a> {
    /// The file is shorter than the 8-byte header length that starts every safetensors file.
    FileTooShort {
        /// The file's length in bytes.
        len: usize,
    },
    /// The header length in the first 8 bytes runs past the end of the file.
    HeaderOutOfBounds {
        /// The header length the file declares.
        header_len: u64,
        /// The bytes after the 8-byte length prefix.
        available: usize,
    },
    /// The header is not valid UTF-8.
    HeaderNotUtf8 {
        /// File offset of the first byte that is not part of valid UTF-8.
        offset: usize,
    },
    /// The header does not begin with `{`, as the format requires.
    HeaderNotObject {
        /// The first character of the header, `None` if the header is empty.
        found: Option<char>,
    },
    /// The header is not valid JSON.
    InvalidJson {
        /// File offset of the error.
        offset: usize,
        /// What is wrong.
        error: JsonError,
    },
    /// An entry of the header is valid JSON but not of the form the format prescribes.
    MalformedEntry {
        /// The entry's key: a tensor name, or `__metadata__`.
        name: JsonStr<'a>,
        /// File offset of the offending value or key.
        offset: usize,
        /// What is wrong.
        problem: EntryProblem<'a>,
    },
    /// The same key appears twice in the header.
    DuplicateKey {
        /// The repeated key.
        name: JsonStr<'a>,
    },
    /// A tensor's `dtype` is not a safetensors type name.
    UnknownDtype {
        /// The tensor.
        name: JsonStr<'a>,
        /// The `dtype` string.
        dtype: JsonStr<'a>,
    },
    /// A tensor's `data_offsets` end before they begin.
    OffsetsReversed {
        /// The tensor.
        name: JsonStr<'a>,
        /// The first offset.
        begin: u64,
        /// The second offset, smaller than `begin`.
        end: u64,
    },
    /// A tensor's `data_offsets` run past the end of the data buffer.
    OffsetsOutOfBounds {
        /// The tensor.
        name: JsonStr<'a>,
        /// The first offset.
        begin: u64,
        /// The second offset, larger than `data_len`.
        end: u64,
        /// The length of the data buffer.
        data_len: u64,
    },
    /// A tensor's size in bits (elements × bits per element) does not fit in a `u64`.
    TensorTooLarge {
        /// The tensor.
        name: JsonStr<'a>,
        /// Its dtype.
        dtype: Dtype,
        /// Its shape.
        shape: FileShape<'a>,
    },
    /// A tensor's `data_offsets` span a different number of bytes than its shape and dtype need.
    SizeMismatch {
        /// The tensor.
        name: JsonStr<'a>,
        /// Its dtype.
        dtype: Dtype,
        /// Its shape.
        shape: FileShape<'a>,
        /// Elements × bits per element (not always a whole number of bytes).
        expected_bits: u64,
        /// `end - begin`.
        found_bytes: u64,
    },
    /// Two tensors claim some of the same bytes of the data buffer.
    OverlappingTensors {
        /// The tensor that comes first in the header.
        first: JsonStr<'a>,
        /// The tensor that comes later in the header.
        second: JsonStr<'a>,
    },
    /// Bytes of the data buffer belong to no tensor (the format forbids holes and trailing data).
    UncoveredBytes {
        /// Start of the first such range, within the data buffer.
        begin: u64,
        /// End of that range (exclusive).
        end: u64,
    },
    /// The network declares a parameter that the file does not contain.
    MissingTensor {
        /// The parameter.
        name: ParamName,
        /// Its shape in the network.
        shape: &'static [usize],
    },
    /// A parameter is stored with another dtype than `F32`.
    WrongDtype {
        /// The parameter.
        name: ParamName,
        /// The dtype in the file.
        found: Dtype,
    },
    /// A parameter has another shape in the file than in the network.
    ShapeMismatch {
        /// The parameter.
        name: ParamName,
        /// The shape the network declares.
        expected: &'static [usize],
        /// The shape in the file.
        found: FileShape<'a>,
    },
    /// The file contains a tensor the network does not declare (other than the integer
    /// `num_batches_tracked` of a `BatchNorm` layer, which is skipped).
    UnexpectedTensor {
        /// The tensor.
        name: JsonStr<'a>,
        /// Its dtype.
        dtype: Dtype,
        /// Its shape.
        shape: FileShape<'a>,
    },
}

/// How a header entry departs from `{"dtype": .., "shape": [..], "data_offsets": [b, e]}`, or
/// the `__metadata__` entry from a map of strings to strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntryProblem<'a> {
    /// The value is not an object.
    NotAnObject,
    /// A required field is absent.
    MissingField {
        /// `dtype`, `shape` or `data_offsets`.
        field: &'static str,
    },
    /// A field other than `dtype`, `shape` and `data_offsets`.
    UnknownField {
        /// The field's name.
        field: JsonStr<'a>,
    },
    /// A field (or a metadata key) appears twice.
    DuplicateField {
        /// The field's name.
        field: JsonStr<'a>,
    },
    /// `dtype` is not a string.
    DtypeNotString,
    /// `shape` is not an array of non-negative integers.
    ShapeNotIntegers,
    /// `data_offsets` is not an array of exactly two non-negative integers.
    OffsetsNotPair,
    /// A dimension or offset is larger than `u64::MAX`.
    IntegerTooLarge,
    /// A value of `__metadata__` is not a string.
    MetadataValueNotString {
        /// The metadata key.
        key: JsonStr<'a>,
    },
}

impl fmt::Display for EntryProblem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnObject => f.write_str("is not a JSON object"),
            Self::MissingField { field } => write!(f, "has no `{field}` field"),
            Self::UnknownField { field } => write!(f, "has an unknown field `{field}`"),
            Self::DuplicateField { field } => write!(f, "has the field `{field}` twice"),
            Self::DtypeNotString => f.write_str("has a `dtype` that is not a string"),
            Self::ShapeNotIntegers => {
                f.write_str("has a `shape` that is not an array of non-negative integers")
            }
            Self::OffsetsNotPair => f.write_str(
                "has `data_offsets` that are not an array of two non-negative integers [begin, end]",
            ),
            Self::IntegerTooLarge => f.write_str("has a number larger than 2^64 - 1"),
            Self::MetadataValueNotString { key } => {
                write!(f, "maps `{key}` to a value that is not a string")
            }
        }
    }
}

const REEXPORT: &str = "save the state_dict again with `safetensors.torch.save_file`";

impl fmt::Display for LoadError<'_> {
    #[allow(clippy::too_many_lines, reason = "one message per variant, nothing else")]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FileTooShort { len } => write!(
                f,
                "the file is {len} bytes long, but a safetensors file starts with an 8-byte \
                 header length; check that the whole file was read and that it is a .safetensors file"
            ),
            Self::HeaderOutOfBounds { header_len, available } => write!(
                f,
                "the file declares a {header_len}-byte header but only {available} bytes follow \
                 the 8-byte length; the file is truncated or not a safetensors file"
            ),
            Self::HeaderNotUtf8 { offset } => write!(
                f,
                "the header is not valid UTF-8 (byte {offset} of the file); the file is corrupt \
                 or not a safetensors file"
            ),
            Self::HeaderNotObject { found: Some(c) } => write!(
                f,
                "the header must begin with `{{` but begins with {c:?}; the file is corrupt or \
                 not a safetensors file"
            ),
            Self::HeaderNotObject { found: None } => f.write_str(
                "the header is empty but must be a JSON object; the file is corrupt or not a \
                 safetensors file",
            ),
            Self::InvalidJson { offset, error } => write!(
                f,
                "the header is not valid JSON at byte {offset} of the file: {error}; the file is \
                 corrupt, {REEXPORT}"
            ),
            Self::MalformedEntry { name, offset, problem } => write!(
                f,
                "the header entry `{name}` {problem} (byte {offset} of the file); a tensor entry \
                 must be {{\"dtype\": \"F32\", \"shape\": [..], \"data_offsets\": [begin, end]}} \
                 and `__metadata__` a map of strings; {REEXPORT}"
            ),
            Self::DuplicateKey { name } => write!(
                f,
                "the header has the key `{name}` twice, which the format forbids; {REEXPORT}"
            ),
            Self::UnknownDtype { name, dtype } => write!(
                f,
                "tensor `{name}` has dtype `{dtype}`, which is not a safetensors dtype (F32, F16, \
                 BF16, F64, I64, ...; names are upper-case); {REEXPORT}"
            ),
            Self::OffsetsReversed { name, begin, end } => write!(
                f,
                "tensor `{name}` has data_offsets [{begin}, {end}], which end before they begin; \
                 the header is corrupt, {REEXPORT}"
            ),
            Self::OffsetsOutOfBounds { name, begin, end, data_len } => write!(
                f,
                "tensor `{name}` has data_offsets [{begin}, {end}] but the data buffer after the \
                 header is only {data_len} bytes long; the file is truncated or corrupt"
            ),
            Self::TensorTooLarge { name, dtype, shape } => write!(
                f,
                "tensor `{name}` of shape {shape} and dtype {dtype} would take more than 2^64 \
                 bits; the header is corrupt, {REEXPORT}"
            ),
            Self::SizeMismatch { name, dtype, shape, expected_bits, found_bytes } => {
                write!(f, "tensor `{name}` of shape {shape} and dtype {dtype} needs ")?;
                write_size(f, *expected_bits)?;
                write!(
                    f,
                    " but its data_offsets span {found_bytes} bytes; the header is corrupt, {REEXPORT}"
                )
            }
            Self::OverlappingTensors { first, second } => write!(
                f,
                "tensors `{first}` and `{second}` share bytes of the data buffer, which the format \
                 forbids; the header is corrupt, {REEXPORT}"
            ),
            Self::UncoveredBytes { begin, end } => write!(
                f,
                "bytes {begin}..{end} of the data buffer belong to no tensor; the format forbids \
                 gaps and trailing bytes (was something appended to the file?), {REEXPORT}"
            ),
            Self::MissingTensor { name, shape } => write!(
                f,
                "the network declares `{name}` with shape {shape:?} but the file has no tensor of \
                 that name; compare `model.state_dict().keys()` with the layer names in \
                 `network!` (a network-wide prefix or an `nn.Sequential` index may differ)"
            ),
            Self::WrongDtype { name, found } => write!(
                f,
                "tensor `{name}` is {found} in the file but the network needs F32; convert the \
                 model with `model.float()` before saving"
            ),
            Self::ShapeMismatch { name, expected, found } => write!(
                f,
                "tensor `{name}` has shape {found} in the file but the network declares \
                 {expected:?}; the layer's arguments in `network!` differ from the saved model's"
            ),
            Self::UnexpectedTensor { name, dtype, shape } => write!(
                f,
                "the file has a tensor `{name}` ({dtype}, shape {shape}) that the network does not \
                 declare; add the layer to `network!` or drop the key from the state_dict before \
                 saving"
            ),
        }
    }
}

/// The JSON error of [`LoadError::InvalidJson`] is part of the message, so there is no `source`.
impl core::error::Error for LoadError<'_> {}

/// Writes a size given in bits, as bytes when it is a whole number of them.
fn write_size(f: &mut fmt::Formatter<'_>, bits: u64) -> fmt::Result {
    if bits.is_multiple_of(8) {
        write!(f, "{} bytes", bits / 8)
    } else {
        write!(f, "{bits} bits (not a whole number of bytes)")
    }
}
