//! [`SafeTensors`]: a validated, borrowed view of a safetensors file.
//!
//! Nothing is stored per tensor: the header text is kept and re-read whenever tensors are
//! listed or looked up. Validation takes a few passes over the header when the data lie in
//! header order and keys are distinct (as writers produce them: measured 0.2 ms for 200
//! tensors on a PC); other layouts need pairwise checks, which take time proportional to
//! tensors × header size (4 ms for 200 tensors, 0.3 s for 1000).

use core::str;

use super::dims::FileShape;
use super::dtype::Dtype;
use super::error::{EntryProblem, LoadError};
use super::json::{Cursor, IntegerError, JsonStr, SyntaxError};

/// The 8-byte little-endian header length that starts the file.
const LEN_PREFIX: usize = 8;

/// The key of the optional map of strings to strings.
const METADATA_KEY: &str = "__metadata__";

/// File offset of a header offset.
fn file_offset(header_pos: usize) -> usize {
    header_pos.saturating_add(LEN_PREFIX)
}

fn json_error<'a>(e: SyntaxError) -> LoadError<'a> {
    LoadError::InvalidJson { offset: file_offset(e.pos), error: e.error }
}

/// A safetensors file whose header has been read and fully validated, borrowing the bytes.
///
/// [`SafeTensors::parse`] checks everything the format requires, so the accessors cannot fail.
#[derive(Clone, Copy, Debug)]
pub struct SafeTensors<'a> {
    header: &'a str,
    data: &'a [u8],
}

/// One tensor of a [`SafeTensors`] file: name, dtype, shape and raw little-endian bytes.
#[derive(Clone, Copy, Debug)]
pub struct TensorView<'a> {
    name: JsonStr<'a>,
    dtype: Dtype,
    shape: FileShape<'a>,
    begin: u64,
    end: u64,
    data: &'a [u8],
}

impl<'a> TensorView<'a> {
    /// The tensor's key in the header.
    #[must_use]
    pub fn name(&self) -> JsonStr<'a> {
        self.name
    }

    /// The element type.
    #[must_use]
    pub fn dtype(&self) -> Dtype {
        self.dtype
    }

    /// The shape.
    #[must_use]
    pub fn shape(&self) -> FileShape<'a> {
        self.shape
    }

    /// `data_offsets`: where the bytes lie in the data buffer, `[begin, end)`.
    #[must_use]
    pub fn data_offsets(&self) -> (u64, u64) {
        (self.begin, self.end)
    }

    /// The tensor's bytes (little-endian elements, row-major), possibly unaligned.
    #[must_use]
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The elements of an `F32` tensor, decoded from little-endian bytes; `None` for another
    /// dtype.
    #[must_use]
    pub fn f32_values(&self) -> Option<impl Iterator<Item = f32> + 'a> {
        let values = self.data.chunks_exact(4).map(|c| {
            let [a, b, c, d] = *c else { return f32::NAN };
            f32::from_le_bytes([a, b, c, d])
        });
        (self.dtype == Dtype::F32).then_some(values)
    }
}

impl<'a> SafeTensors<'a> {
    /// Reads and validates a whole safetensors file.
    ///
    /// Checks, in this order (the first failure is returned):
    /// 1. the 8-byte header length and that the header fits in the file;
    /// 2. the header is UTF-8 and begins with `{`;
    /// 3. the header is valid JSON, with nothing but whitespace after it (arrays and objects
    ///    nested at most 128 deep);
    /// 4. the header has the prescribed form: an object whose values are tensor
    ///    entries `{"dtype": string, "shape": [u64, ..], "data_offsets": [u64, u64]}` (each field
    ///    once, no others) or, under `__metadata__`, an object of strings;
    /// 5. no key (nor metadata key) appears twice;
    /// 6. each tensor: known dtype, `begin <= end <= data length`, and `end - begin` equal to
    ///    elements × dtype size (computed without overflow);
    /// 7. no two tensors share a byte (an empty tensor may not sit inside another);
    /// 8. every byte of the data buffer belongs to a tensor.
    ///
    /// # Errors
    /// The [`LoadError`] of the first failed check.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, LoadError<'a>> {
        let (prefix, rest) = bytes
            .split_first_chunk::<LEN_PREFIX>()
            .ok_or(LoadError::FileTooShort { len: bytes.len() })?;
        let header_len = u64::from_le_bytes(*prefix);
        let out_of_bounds = LoadError::HeaderOutOfBounds { header_len, available: rest.len() };
        let split = usize::try_from(header_len).map_err(|_| out_of_bounds)?;
        let (header, data) = rest.split_at_checked(split).ok_or(out_of_bounds)?;
        let header = str::from_utf8(header)
            .map_err(|e| LoadError::HeaderNotUtf8 { offset: file_offset(e.valid_up_to()) })?;
        if !header.starts_with('{') {
            return Err(LoadError::HeaderNotObject { found: header.chars().next() });
        }
        Cursor::new(header).validate_document().map_err(json_error)?;
        let file = Self { header, data };
        file.validate()?;
        Ok(file)
    }

    /// The header's JSON text.
    #[must_use]
    pub fn header(&self) -> &'a str {
        self.header
    }

    /// The data buffer after the header.
    #[must_use]
    pub fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The tensors, in header order.
    #[must_use]
    pub fn tensors(&self) -> Tensors<'a> {
        Tensors { entries: self.entries(), data: self.data }
    }

    /// The tensor named `name`, if there is one.
    #[must_use]
    pub fn tensor(&self, name: &str) -> Option<TensorView<'a>> {
        self.tensors().find(|t| t.name() == name)
    }

    /// The number of tensors.
    #[must_use]
    pub fn len(&self) -> usize {
        self.tensors().count()
    }

    /// Whether the file holds no tensor.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tensors().next().is_none()
    }

    /// The `__metadata__` pairs, in header order (none if the file has no metadata).
    #[must_use]
    pub fn metadata(&self) -> Metadata<'a> {
        let object = self.entries().find_map(|entry| match entry.value {
            Value::Metadata { pos } => Some(pos),
            Value::Tensor(_) => None,
        });
        match object {
            Some(pos) => Metadata::new(Cursor::new(self.header).at(pos)),
            None => Metadata::empty(),
        }
    }

    /// The header's entries; stops early only on an error, which [`Self::parse`] rules out.
    fn entries(&self) -> ValidEntries<'a> {
        ValidEntries(Entries::new(self.header))
    }

    fn data_len(&self) -> u64 {
        u64::try_from(self.data.len()).unwrap_or(u64::MAX)
    }

    fn raw_tensors(&self) -> impl Iterator<Item = (JsonStr<'a>, RawTensor<'a>)> + Clone + use<'a> {
        self.entries().filter_map(|entry| match entry.value {
            Value::Tensor(raw) => Some((entry.name, raw)),
            Value::Metadata { .. } => None,
        })
    }

    fn validate(&self) -> Result<(), LoadError<'a>> {
        for entry in Entries::new(self.header) {
            entry?;
        }
        self.check_unique_keys()?;
        for (name, raw) in self.raw_tensors() {
            check_tensor(name, raw, self.data)?;
        }
        if self.tiles_in_header_order() {
            // The usual layout, as writers produce it: nothing can overlap or be left out.
            return Ok(());
        }
        self.check_no_overlap()?;
        self.check_no_holes()
    }

    /// Whether each tensor begins where the previous one in the header ends, and the last
    /// ends at the end of the data buffer.
    fn tiles_in_header_order(&self) -> bool {
        let mut end = 0;
        for (_, t) in self.raw_tensors() {
            if t.begin != end {
                return false;
            }
            end = t.end;
        }
        end == self.data_len()
    }

    /// Compares a key with the earlier ones only when a 2048-bit filter of their hashes says
    /// it may repeat one, so that distinct keys cost one pass over the header.
    fn check_unique_keys(&self) -> Result<(), LoadError<'a>> {
        let mut seen = KeyFilter::default();
        for (index, entry) in self.entries().enumerate() {
            let repeated = seen.insert(entry.name)
                && self.entries().take(index).any(|earlier| earlier.name == entry.name);
            if repeated {
                return Err(LoadError::DuplicateKey { name: entry.name });
            }
        }
        Ok(())
    }

    fn check_no_overlap(&self) -> Result<(), LoadError<'a>> {
        let mut rest = self.raw_tensors();
        while let Some((first, a)) = rest.next() {
            if let Some((second, _)) = rest.clone().find(|(_, b)| a.conflicts_with(b)) {
                return Err(LoadError::OverlappingTensors { first, second });
            }
        }
        Ok(())
    }

    /// With no overlaps and all tensors in bounds, the buffer is covered if and only if the
    /// lengths add up to it. If not, the first hole starts at the smallest uncovered offset, which
    /// is 0 or the end of some tensor, and runs to the next tensor's begin (or the end).
    fn check_no_holes(&self) -> Result<(), LoadError<'a>> {
        let len = self.data_len();
        let lengths = self.raw_tensors().map(|(_, t)| t.end.saturating_sub(t.begin));
        if lengths.fold(0, u64::saturating_add) == len {
            return Ok(());
        }
        let covered = |at: u64| self.raw_tensors().any(|(_, t)| t.begin <= at && at < t.end);
        let start = core::iter::once(0)
            .chain(self.raw_tensors().map(|(_, t)| t.end))
            .filter(|&at| at < len && !covered(at))
            .min();
        let Some(begin) = start else { return Ok(()) };
        let end =
            self.raw_tensors().map(|(_, t)| t.begin).filter(|&b| b > begin).min().unwrap_or(len);
        Err(LoadError::UncoveredBytes { begin, end: end.min(len) })
    }
}

/// A set of key hashes in 2048 bits (256 bytes of stack): "maybe seen" or "surely not seen".
#[derive(Default)]
struct KeyFilter {
    words: [u64; 32],
}

impl KeyFilter {
    /// Adds `key`; returns whether its bit was set already (the key may have been seen).
    fn insert(&mut self, key: JsonStr<'_>) -> bool {
        // FNV-1a over the decoded characters, so that escaped and plain spellings collide.
        let hash =
            key.chars().fold(0x811C_9DC5_u32, |h, c| (h ^ u32::from(c)).wrapping_mul(0x0100_0193));
        let (word, bit) = ((hash >> 6) % 32, hash % 64);
        let Some(word) = self.words.get_mut(word as usize) else {
            return true;
        };
        let mask = 1u64 << bit;
        let seen = *word & mask != 0;
        *word |= mask;
        seen
    }
}

/// Checks one tensor on its own (dtype, offsets, size) and returns a view of it.
fn check_tensor<'a>(
    name: JsonStr<'a>,
    raw: RawTensor<'a>,
    data: &'a [u8],
) -> Result<TensorView<'a>, LoadError<'a>> {
    let dtype =
        Dtype::from_json(raw.dtype).ok_or(LoadError::UnknownDtype { name, dtype: raw.dtype })?;
    let RawTensor { shape, begin, end, .. } = raw;
    if end < begin {
        return Err(LoadError::OffsetsReversed { name, begin, end });
    }
    let data_len = u64::try_from(data.len()).unwrap_or(u64::MAX);
    let out_of_bounds = LoadError::OffsetsOutOfBounds { name, begin, end, data_len };
    if end > data_len {
        return Err(out_of_bounds);
    }
    let expected_bits = shape
        .numel()
        .and_then(|n| n.checked_mul(dtype.bits()))
        .ok_or(LoadError::TensorTooLarge { name, dtype, shape })?;
    let found_bytes = end - begin;
    if !expected_bits.is_multiple_of(8) || expected_bits / 8 != found_bytes {
        return Err(LoadError::SizeMismatch { name, dtype, shape, expected_bits, found_bytes });
    }
    let range = usize::try_from(begin).ok().zip(usize::try_from(end).ok());
    let bytes = range.and_then(|(b, e)| data.get(b..e)).ok_or(out_of_bounds)?;
    Ok(TensorView { name, dtype, shape, begin, end, data: bytes })
}

/// The tensors of a [`SafeTensors`], in header order.
#[derive(Clone, Debug)]
pub struct Tensors<'a> {
    entries: ValidEntries<'a>,
    data: &'a [u8],
}

impl<'a> Iterator for Tensors<'a> {
    type Item = TensorView<'a>;

    fn next(&mut self) -> Option<TensorView<'a>> {
        loop {
            let entry = self.entries.next()?;
            if let Value::Tensor(raw) = entry.value {
                // Validated by `SafeTensors::parse`: cannot fail.
                return check_tensor(entry.name, raw, self.data).ok();
            }
        }
    }
}

/// A header entry as read, before its offsets are checked against the data.
#[derive(Clone, Copy, Debug)]
struct Entry<'a> {
    name: JsonStr<'a>,
    value: Value<'a>,
}

#[derive(Clone, Copy, Debug)]
enum Value<'a> {
    /// `__metadata__`, whose object begins at header offset `pos`.
    Metadata {
        pos: usize,
    },
    Tensor(RawTensor<'a>),
}

#[derive(Clone, Copy, Debug)]
struct RawTensor<'a> {
    dtype: JsonStr<'a>,
    shape: FileShape<'a>,
    begin: u64,
    end: u64,
}

impl RawTensor<'_> {
    /// Whether two tensors claim a common byte, or an empty one sits strictly inside the other
    /// (which the format's rule "each tensor begins where the previous one ends" also forbids).
    fn conflicts_with(&self, other: &Self) -> bool {
        let inside = |at: u64, t: &Self| t.begin < at && at < t.end;
        match (self.begin == self.end, other.begin == other.end) {
            (false, false) => self.begin < other.end && other.begin < self.end,
            (true, false) => inside(self.begin, other),
            (false, true) => inside(other.begin, self),
            (true, true) => false,
        }
    }
}

/// The entries of a validated header.
#[derive(Clone, Debug)]
struct ValidEntries<'a>(Entries<'a>);

impl<'a> Iterator for ValidEntries<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        self.0.next()?.ok()
    }
}

/// Reads the entries of the header object one by one, checking each one's form.
#[derive(Clone, Debug)]
struct Entries<'a> {
    cursor: Cursor<'a>,
    first: bool,
    done: bool,
}

impl<'a> Entries<'a> {
    fn new(header: &'a str) -> Self {
        Self { cursor: Cursor::new(header), first: true, done: false }
    }

    fn read(&mut self) -> Result<Option<Entry<'a>>, LoadError<'a>> {
        if self.first {
            self.cursor.expect(b'{', "`{`").map_err(json_error)?;
        }
        let Some(name) = self.cursor.next_key(&mut self.first).map_err(json_error)? else {
            self.cursor.end().map_err(json_error)?;
            return Ok(None);
        };
        let value = if name == METADATA_KEY {
            read_metadata(&mut self.cursor, name)?
        } else {
            Value::Tensor(read_tensor(&mut self.cursor, name)?)
        };
        Ok(Some(Entry { name, value }))
    }
}

impl<'a> Iterator for Entries<'a> {
    type Item = Result<Entry<'a>, LoadError<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let read = self.read();
        self.done = !matches!(read, Ok(Some(_)));
        read.transpose()
    }
}

/// Builds [`LoadError::MalformedEntry`] for the entry `name` at the cursor.
fn malformed<'a>(
    name: JsonStr<'a>,
    cursor: &Cursor<'a>,
    problem: EntryProblem<'a>,
) -> LoadError<'a> {
    LoadError::MalformedEntry { name, offset: file_offset(cursor.pos()), problem }
}

/// Consumes the `{` of an entry's value, or fails with [`EntryProblem::NotAnObject`].
fn open_object<'a>(cursor: &mut Cursor<'a>, name: JsonStr<'a>) -> Result<(), LoadError<'a>> {
    if cursor.peek_token() != Some(b'{') {
        return Err(malformed(name, cursor, EntryProblem::NotAnObject));
    }
    cursor.expect(b'{', "`{`").map_err(json_error)
}

fn read_tensor<'a>(
    cursor: &mut Cursor<'a>,
    name: JsonStr<'a>,
) -> Result<RawTensor<'a>, LoadError<'a>> {
    cursor.skip_whitespace();
    let start = cursor.at(cursor.pos());
    open_object(cursor, name)?;
    let (mut dtype, mut shape, mut offsets) = (None, None, None);
    let mut first = true;
    while let Some(field) = cursor.next_key(&mut first).map_err(json_error)? {
        cursor.skip_whitespace();
        let duplicate = malformed(name, cursor, EntryProblem::DuplicateField { field });
        if field == "dtype" {
            let value = read_dtype(cursor, name)?;
            dtype.replace(value).map_or(Ok(()), |_| Err(duplicate))?;
        } else if field == "shape" {
            let value = read_shape(cursor, name)?;
            shape.replace(value).map_or(Ok(()), |_| Err(duplicate))?;
        } else if field == "data_offsets" {
            let value = read_offsets(cursor, name)?;
            offsets.replace(value).map_or(Ok(()), |_| Err(duplicate))?;
        } else {
            return Err(malformed(name, cursor, EntryProblem::UnknownField { field }));
        }
    }
    let missing = |field| malformed(name, &start, EntryProblem::MissingField { field });
    let dtype = dtype.ok_or_else(|| missing("dtype"))?;
    let shape = shape.ok_or_else(|| missing("shape"))?;
    let (begin, end) = offsets.ok_or_else(|| missing("data_offsets"))?;
    Ok(RawTensor { dtype, shape, begin, end })
}

fn read_dtype<'a>(
    cursor: &mut Cursor<'a>,
    name: JsonStr<'a>,
) -> Result<JsonStr<'a>, LoadError<'a>> {
    if cursor.peek_token() != Some(b'"') {
        return Err(malformed(name, cursor, EntryProblem::DtypeNotString));
    }
    cursor.string().map_err(json_error)
}

/// Reads an array of non-negative integers, calling `item` with each; `problem` is reported
/// for anything else.
fn read_integers<'a>(
    cursor: &mut Cursor<'a>,
    name: JsonStr<'a>,
    problem: EntryProblem<'a>,
    mut item: impl FnMut(u64),
) -> Result<(), LoadError<'a>> {
    if cursor.peek_token() != Some(b'[') {
        return Err(malformed(name, cursor, problem));
    }
    cursor.expect(b'[', "`[`").map_err(json_error)?;
    let mut first = true;
    while cursor.next_item(&mut first, b']', "`,` or `]`").map_err(json_error)? {
        cursor.skip_whitespace();
        let value = cursor.integer().map_err(|e| {
            let e = match e {
                IntegerError::NotAnInteger => problem,
                IntegerError::TooLarge => EntryProblem::IntegerTooLarge,
            };
            malformed(name, cursor, e)
        })?;
        item(value);
    }
    Ok(())
}

fn read_shape<'a>(
    cursor: &mut Cursor<'a>,
    name: JsonStr<'a>,
) -> Result<FileShape<'a>, LoadError<'a>> {
    cursor.skip_whitespace();
    let start = cursor.pos();
    read_integers(cursor, name, EntryProblem::ShapeNotIntegers, |_| {})?;
    // Only `[`, digits, commas, whitespace and `]` were consumed: the invariant of FileShape.
    Ok(FileShape::from_validated(cursor.since(start)))
}

fn read_offsets<'a>(
    cursor: &mut Cursor<'a>,
    name: JsonStr<'a>,
) -> Result<(u64, u64), LoadError<'a>> {
    cursor.skip_whitespace();
    let start = cursor.at(cursor.pos());
    let mut values = [0u64; 2];
    let mut count = 0usize;
    read_integers(cursor, name, EntryProblem::OffsetsNotPair, |value| {
        if let Some(slot) = values.get_mut(count) {
            *slot = value;
        }
        count = count.saturating_add(1);
    })?;
    if count != 2 {
        return Err(malformed(name, &start, EntryProblem::OffsetsNotPair));
    }
    let [begin, end] = values;
    Ok((begin, end))
}

/// Reads the `__metadata__` object: string keys, each once, to string values.
fn read_metadata<'a>(
    cursor: &mut Cursor<'a>,
    name: JsonStr<'a>,
) -> Result<Value<'a>, LoadError<'a>> {
    cursor.skip_whitespace();
    let pos = cursor.pos();
    open_object(cursor, name)?;
    let mut first = true;
    while let Some(key) = cursor.next_key(&mut first).map_err(json_error)? {
        if cursor.peek_token() != Some(b'"') {
            return Err(malformed(name, cursor, EntryProblem::MetadataValueNotString { key }));
        }
        cursor.string().map_err(json_error)?;
    }
    let mut rest = Metadata::new(cursor.at(pos));
    while let Some((key, _, _)) = rest.next_pair() {
        let mut later = rest.clone();
        while let Some((other, _, at)) = later.next_pair() {
            if other == key {
                let problem = EntryProblem::DuplicateField { field: key };
                return Err(LoadError::MalformedEntry { name, offset: file_offset(at), problem });
            }
        }
    }
    Ok(Value::Metadata { pos })
}

/// The `__metadata__` pairs of a [`SafeTensors`] file, keys and values as [`JsonStr`].
#[derive(Clone, Debug)]
pub struct Metadata<'a> {
    /// At the next pair; `None` once the object is exhausted.
    cursor: Option<Cursor<'a>>,
    first: bool,
}

impl<'a> Metadata<'a> {
    /// The pairs of the object at `cursor` (validated beforehand).
    fn new(mut cursor: Cursor<'a>) -> Self {
        let opened = cursor.expect(b'{', "`{`").is_ok();
        Self { cursor: opened.then_some(cursor), first: true }
    }

    fn empty() -> Self {
        Self { cursor: None, first: true }
    }

    /// The next key and value, and the header offset of the value.
    fn next_pair(&mut self) -> Option<(JsonStr<'a>, JsonStr<'a>, usize)> {
        let cursor = self.cursor.as_mut()?;
        let pair = (|| {
            let key = cursor.next_key(&mut self.first).ok()??;
            cursor.skip_whitespace();
            let at = cursor.pos();
            let value = cursor.string().ok()?;
            Some((key, value, at))
        })();
        if pair.is_none() {
            self.cursor = None;
        }
        pair
    }
}

impl<'a> Iterator for Metadata<'a> {
    type Item = (JsonStr<'a>, JsonStr<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        self.next_pair().map(|(key, value, _)| (key, value))
    }
}
