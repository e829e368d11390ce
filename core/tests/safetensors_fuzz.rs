//! Property tests of the safetensors reader: it never panics, valid files round-trip, and any
//! file it accepts is read exactly as the reference implementation (the `safetensors` crate)
//! reads it.
//!
//! The default run is quick; for a long run set `PROPTEST_CASES`, e.g.
//! `PROPTEST_CASES=100000 cargo test -p staticnn-core --release --test safetensors_fuzz`.

mod common;

use std::collections::HashMap;

use common::{TinyNet, raw_file};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::TestRunner;
use staticnn_core::network::Network;
use staticnn_core::safetensors::{Dtype, LoadError, SafeTensors, load_safetensors};

// ---- what every input must satisfy ------------------------------------------------------

/// A network whose values cannot come from a load by accident.
fn sentinel_net() -> TinyNet {
    let mut net = TinyNet::default();
    net.visit_parameters_mut(&mut |_, _, values| values.fill(f32::from_bits(0x7FC0_1234)));
    net
}

fn bits(net: &TinyNet) -> Vec<u32> {
    let mut out = Vec::new();
    net.visit_parameters(&mut |_, _, values| out.extend(values.iter().map(|v| v.to_bits())));
    out
}

/// What the reference implementation reads from `bytes`: tensors by name (dtype, shape,
/// data), or `None` if it rejects the file.
type Reference = HashMap<String, (String, Vec<u64>, Vec<u8>)>;

fn reference(bytes: &[u8]) -> Option<Reference> {
    let file = safetensors::SafeTensors::deserialize(bytes).ok()?;
    let tensors = file.tensors().into_iter().map(|(name, t)| {
        let shape = t.shape().iter().map(|&d| d as u64).collect();
        (name, (t.dtype().to_string(), shape, t.data().to_vec()))
    });
    Some(tensors.collect())
}

/// Runs everything on `bytes` and checks what must hold for any input:
/// - nothing panics, every accessor and message can be used;
/// - a file this reader accepts, the reference accepts too, with the same tensors;
/// - a failed load leaves the network untouched; a successful one copies the file's values.
///
/// Returns whether the file loaded into a `TinyNet`.
fn check_any_input(bytes: &[u8]) -> Result<bool, TestCaseError> {
    let parsed = SafeTensors::parse(bytes);
    match &parsed {
        Ok(file) => check_view_matches_reference(bytes, file)?,
        Err(e) => {
            prop_assert!(!e.to_string().is_empty());
            if reference(bytes).is_some() {
                prop_assert!(
                    stricter_by_design(e),
                    "the reference accepts what this rejects: {:?}",
                    e
                );
            }
        }
    }

    let mut net = sentinel_net();
    let loaded = load_safetensors(&mut net, bytes);
    match &loaded {
        Ok(()) => {
            let file =
                parsed.as_ref().map_err(|e| TestCaseError::fail(format!("load ok, parse {e}")))?;
            let mut expected = Vec::new();
            net.visit_parameters(&mut |name, _, _| {
                let t = file.tensor(&name.to_string()).expect("loaded tensor is in the file");
                expected.extend(t.f32_values().expect("F32").map(f32::to_bits));
            });
            prop_assert_eq!(bits(&net), expected);
        }
        Err(e) => {
            prop_assert_eq!(bits(&net), bits(&sentinel_net()), "failed load wrote: {}", e);
            if parsed.is_ok() {
                prop_assert!(is_network_mismatch(e), "parse ok but load failed with {:?}", e);
            }
        }
    }
    Ok(loaded.is_ok())
}

/// Files the reference implementation accepts and this reader rejects on purpose, following
/// the format's text where the reference is lenient: unknown fields in a tensor entry, a
/// header not starting with `{`, duplicate keys (the reference keeps the last), and a
/// `__metadata__` that is `null` or repeats a key.
fn stricter_by_design(e: &LoadError<'_>) -> bool {
    use staticnn_core::safetensors::EntryProblem;
    match e {
        LoadError::MalformedEntry { name, problem, .. } => match problem {
            EntryProblem::UnknownField { .. } => true,
            EntryProblem::NotAnObject | EntryProblem::DuplicateField { .. } => {
                *name == "__metadata__"
            }
            _ => false,
        },
        LoadError::HeaderNotObject { .. } | LoadError::DuplicateKey { .. } => true,
        _ => false,
    }
}

fn is_network_mismatch(e: &LoadError<'_>) -> bool {
    matches!(
        e,
        LoadError::MissingTensor { .. }
            | LoadError::WrongDtype { .. }
            | LoadError::ShapeMismatch { .. }
            | LoadError::UnexpectedTensor { .. }
    )
}

fn check_view_matches_reference(bytes: &[u8], file: &SafeTensors<'_>) -> Result<(), TestCaseError> {
    let Some(expected) = reference(bytes) else {
        return Err(TestCaseError::fail("accepted a file the reference rejects"));
    };
    let mut seen = 0;
    let mut covered = 0u64;
    for t in file.tensors() {
        let name = t.name().to_string();
        let (dtype, shape, data) = expected
            .get(&name)
            .ok_or_else(|| TestCaseError::fail(format!("reference lacks {name:?}")))?;
        prop_assert_eq!(t.dtype().name(), dtype.as_str());
        prop_assert_eq!(&t.shape().dims().collect::<Vec<_>>(), shape);
        prop_assert_eq!(t.data(), data.as_slice());
        prop_assert_eq!(t.shape().to_string().is_empty(), false);
        let (begin, end) = t.data_offsets();
        covered += end - begin;
        seen += 1;
    }
    prop_assert_eq!(seen, expected.len());
    prop_assert_eq!(covered, file.data().len() as u64);
    let metadata: HashMap<String, String> =
        file.metadata().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let (_, reference) = safetensors::SafeTensors::read_metadata(bytes).expect("accepted above");
    prop_assert_eq!(&metadata, &reference.metadata().clone().unwrap_or_default());
    Ok(())
}

// ---- generators -------------------------------------------------------------------------

/// A tensor of a generated file: its name (decoded), dtype, shape and bytes.
#[derive(Clone, Debug)]
struct GenTensor {
    name: String,
    dtype: Dtype,
    shape: Vec<u64>,
    data: Vec<u8>,
}

fn dtype() -> impl Strategy<Value = Dtype> {
    prop::sample::select(Dtype::ALL.to_vec())
}

/// A name; quotes, backslashes and non-ASCII characters exercise the escapes.
fn name() -> impl Strategy<Value = String> {
    "[a-z0-9._]{1,8}|[a-z\"\\\\/ é😀\u{1}]{1,6}"
}

fn tensor() -> impl Strategy<Value = GenTensor> {
    (name(), dtype(), prop::collection::vec(0u64..5, 0..4)).prop_flat_map(|(name, dtype, shape)| {
        let numel: u64 = shape.iter().product();
        // Sub-byte types need a whole number of bytes: round the last dimension up if not.
        let mut shape = shape;
        if !(numel * dtype.bits()).is_multiple_of(8) {
            shape.push(8);
        }
        let bytes = (shape.iter().product::<u64>() * dtype.bits() / 8) as usize;
        prop::collection::vec(any::<u8>(), bytes).prop_map(move |data| GenTensor {
            name: name.clone(),
            dtype,
            shape: shape.clone(),
            data,
        })
    })
}

/// How a generated file spells its JSON: escapes and whitespace.
#[derive(Clone, Debug)]
struct Style {
    escape: Vec<bool>,
    space: Vec<u8>,
}

fn style() -> impl Strategy<Value = Style> {
    (prop::collection::vec(any::<bool>(), 16), prop::collection::vec(0u8..6, 16))
        .prop_map(|(escape, space)| Style { escape, space })
}

impl Style {
    fn ws(&self, i: usize) -> &'static str {
        ["", "", "", " ", "\n  ", "\t"][self.space[i % self.space.len()] as usize]
    }

    /// `text` as a JSON string literal, escaping some characters that need no escape.
    fn quote(&self, text: &str) -> String {
        let mut out = String::from("\"");
        for (i, c) in text.chars().enumerate() {
            let escape = self.escape[i % self.escape.len()];
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '/' if escape => out.push_str("\\/"),
                c if (c as u32) < 0x20 || escape => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }
}

/// A valid file of `tensors` (names made unique), with the data laid out in the order given
/// by `layout`, header entries in generation order, optional metadata.
fn build(
    tensors: &[GenTensor],
    layout: &[usize],
    metadata: &[(String, String)],
    style: &Style,
) -> Vec<u8> {
    let mut offsets = vec![(0u64, 0u64); tensors.len()];
    let mut data = Vec::new();
    for &i in layout {
        let begin = data.len() as u64;
        data.extend_from_slice(&tensors[i].data);
        offsets[i] = (begin, data.len() as u64);
    }
    let ws = |i| style.ws(i);
    let mut entries = Vec::new();
    if !metadata.is_empty() {
        let pairs: Vec<String> = metadata
            .iter()
            .map(|(k, v)| format!("{}:{}{}", style.quote(k), ws(1), style.quote(v)))
            .collect();
        entries.push(format!("\"__metadata__\":{{{}}}", pairs.join(",")));
    }
    for (t, (begin, end)) in tensors.iter().zip(&offsets) {
        let shape: Vec<String> = t.shape.iter().map(u64::to_string).collect();
        entries.push(format!(
            "{}{}:{}{{\"dtype\":{}\"{}\",{}\"shape\":[{}],\"data_offsets\":[{begin},{}{end}]{}}}",
            style.quote(&t.name),
            ws(2),
            ws(3),
            ws(4),
            t.dtype.name(),
            ws(5),
            shape.join(&format!(",{}", ws(6))),
            ws(7),
            ws(8),
        ));
    }
    let mut header = format!("{{{}{}}}", entries.join(&format!(",{}", ws(9))), ws(10));
    header.push_str(&" ".repeat(style.space[0] as usize));
    raw_file(&header, &data)
}

/// A valid file of random tensors: (bytes, tensors by decoded name, metadata).
fn valid_file() -> impl Strategy<Value = (Vec<u8>, Vec<GenTensor>, Vec<(String, String)>)> {
    let tensors = prop::collection::vec(tensor(), 0..6);
    let metadata = prop::collection::vec(("[a-z\"é]{0,4}", "[a-z \\\\😀]{0,6}"), 0..3);
    (tensors, metadata, style(), any::<u64>()).prop_map(
        |(mut tensors, mut metadata, style, seed)| {
            dedup_by_name(&mut tensors, |t| &t.name);
            dedup_by_name(&mut metadata, |(k, _)| k);
            tensors.retain(|t| t.name != "__metadata__");
            let layout = shuffled(tensors.len(), seed);
            let bytes = build(&tensors, &layout, &metadata, &style);
            (bytes, tensors, metadata)
        },
    )
}

fn dedup_by_name<T>(items: &mut Vec<T>, key: impl Fn(&T) -> &String) {
    let mut seen = std::collections::HashSet::new();
    items.retain(|item| seen.insert(key(item).clone()));
}

/// A permutation of `0..n` from `seed`.
fn shuffled(n: usize, mut seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        order.swap(i, (seed >> 33) as usize % (i + 1));
    }
    order
}

/// A valid file for `TinyNet` with random values, sometimes with metadata and a
/// `num_batches_tracked`: (bytes, the values in `TinyNet`'s order).
fn tiny_net_file() -> impl Strategy<Value = (Vec<u8>, Vec<u32>)> {
    let values = prop::collection::vec(any::<u32>(), 12);
    (values, style(), any::<u64>(), any::<bool>(), any::<bool>()).prop_map(
        |(values, style, seed, with_metadata, with_counter)| {
            let mut net = TinyNet::default();
            let mut next = values.iter();
            net.visit_parameters_mut(&mut |_, _, v| {
                v.iter_mut().for_each(|x| *x = f32::from_bits(*next.next().unwrap()))
            });
            let mut tensors: Vec<GenTensor> = net
                .params()
                .into_iter()
                .map(|(name, shape, v)| GenTensor {
                    name,
                    dtype: Dtype::F32,
                    shape,
                    data: v.iter().flat_map(|x| x.to_le_bytes()).collect(),
                })
                .collect();
            if with_counter {
                let data = 7i64.to_le_bytes().to_vec();
                tensors.push(GenTensor {
                    name: "bn.num_batches_tracked".into(),
                    dtype: Dtype::I64,
                    shape: vec![],
                    data,
                });
            }
            let metadata =
                if with_metadata { vec![("format".to_string(), "pt".to_string())] } else { vec![] };
            let layout = shuffled(tensors.len(), seed);
            (build(&tensors, &layout, &metadata, &style), values)
        },
    )
}

/// One change to a file.
#[derive(Clone, Debug)]
enum Mutation {
    FlipBit(Index, u8),
    SetByte(Index, u8),
    Truncate(Index),
    Insert(Index, u8),
    Remove(Index),
    /// Sets the header length to itself plus a small delta.
    NudgeHeaderLen(i8),
    SetHeaderLen(u64),
    /// Replaces a few bytes of the header with a JSON fragment and fixes the header length.
    EditHeader(Index, u8, &'static str),
}

const FRAGMENTS: &[&str] = &[
    "",
    " ",
    "\"",
    "\\",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "0",
    "1",
    "9",
    "-1",
    "1.5",
    "1e3",
    "01",
    "null",
    "true",
    "\"F32\"",
    "\"I64\"",
    "\"F4\"",
    "\"__metadata__\"",
    "\"x\"",
    "\\u0000",
    "\\ud800",
    "\\u0041",
    "18446744073709551615",
    "18446744073709551616",
    "4294967296",
    "[]",
    "{}",
    "[0,0]",
    "\"shape\"",
    "\"dtype\"",
    "\"data_offsets\"",
    "\u{e9}",
    "\u{1}",
    ",\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,0]}",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => (any::<Index>(), 0u8..8).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::SetByte(i, b)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => any::<Index>().prop_map(Mutation::Remove),
        1 => any::<i8>().prop_map(Mutation::NudgeHeaderLen),
        1 => any::<u64>().prop_map(Mutation::SetHeaderLen),
        4 => (any::<Index>(), 0u8..4, prop::sample::select(FRAGMENTS)).prop_map(|(i, n, f)| Mutation::EditHeader(i, n, f)),
    ]
}

fn header_len(file: &[u8]) -> Option<usize> {
    let prefix: [u8; 8] = file.get(..8)?.try_into().ok()?;
    let n = usize::try_from(u64::from_le_bytes(prefix)).ok()?;
    (n <= file.len() - 8).then_some(n)
}

fn set_header_len(file: &mut [u8], n: u64) {
    if let Some(prefix) = file.get_mut(..8) {
        prefix.copy_from_slice(&n.to_le_bytes());
    }
}

/// Applies `m` to `file`.
fn apply(file: &mut Vec<u8>, m: &Mutation) {
    let any_index = |i: &Index, len: usize| if len == 0 { 0 } else { i.index(len) };
    match m {
        Mutation::FlipBit(i, b) if !file.is_empty() => {
            let at = i.index(file.len());
            file[at] ^= 1 << b;
        }
        Mutation::SetByte(i, v) if !file.is_empty() => {
            let at = i.index(file.len());
            file[at] = *v;
        }
        Mutation::Truncate(i) => file.truncate(any_index(i, file.len())),
        Mutation::Insert(i, v) => {
            let at = any_index(i, file.len() + 1);
            file.insert(at, *v);
        }
        Mutation::Remove(i) if !file.is_empty() => {
            let at = i.index(file.len());
            file.remove(at);
        }
        Mutation::NudgeHeaderLen(delta) => {
            if let Some(n) = header_len(file) {
                set_header_len(file, (n as u64).wrapping_add(*delta as u64));
            }
        }
        Mutation::SetHeaderLen(n) => set_header_len(file, *n),
        Mutation::EditHeader(i, remove, fragment) => {
            if let Some(n) = header_len(file) {
                let at = 8 + any_index(i, n);
                let end = (at + *remove as usize).min(8 + n);
                file.splice(at..end, fragment.bytes());
                let new_len = n - (end - at) + fragment.len();
                set_header_len(file, new_len as u64);
            }
        }
        _ => {}
    }
}

// ---- properties -------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    /// (a) Arbitrary bytes never panic.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        check_any_input(&bytes)?;
    }

    /// (a') Arbitrary headers behind a correct length prefix reach the JSON reader.
    #[test]
    fn arbitrary_headers_never_panic(
        header in "[{}\\[\\]\":,0-9a-zA-Z_. \\\\/\n-]{0,80}|\\{[{}\\[\\]\":,0-9a-z_ \\\\-]{0,80}",
        data in prop::collection::vec(any::<u8>(), 0..24),
    ) {
        check_any_input(&raw_file(&header, &data))?;
    }

    /// (c) Valid generated files round-trip: every tensor and metadata pair reads back exactly.
    #[test]
    fn generated_files_round_trip((file, tensors, metadata) in valid_file()) {
        let view = match SafeTensors::parse(&file) {
            Ok(view) => view,
            Err(e) => return Err(TestCaseError::fail(format!("{e}"))),
        };
        prop_assert_eq!(view.len(), tensors.len());
        for t in &tensors {
            let found = view.tensor(&t.name).ok_or_else(|| TestCaseError::fail(format!("{:?} missing", t.name)))?;
            prop_assert_eq!(found.name().to_string(), t.name.clone());
            prop_assert_eq!(found.dtype(), t.dtype);
            prop_assert_eq!(found.shape().dims().collect::<Vec<_>>(), t.shape.clone());
            prop_assert_eq!(found.data(), t.data.as_slice());
        }
        let read: Vec<(String, String)> = view.metadata().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        prop_assert_eq!(read, metadata);
        check_any_input(&file)?;
    }

    /// (c') A network's values round-trip bit-exactly (NaN payloads included).
    #[test]
    fn network_values_round_trip((file, values) in tiny_net_file()) {
        let mut net = sentinel_net();
        prop_assert!(load_safetensors(&mut net, &file).is_ok());
        prop_assert_eq!(bits(&net), values);
    }
}

/// (b) A valid file, mutated, never panics; if it still loads, the network holds exactly the
/// values of the mutated file (as the reference implementation reads them), and otherwise it is
/// untouched. Prints how the mutated files fared (see with `--nocapture`).
#[test]
fn mutated_files_never_panic() {
    let mut runner =
        TestRunner::new(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() });
    let strategy = (tiny_net_file(), prop::collection::vec(mutation(), 1..5));
    let stats = std::cell::Cell::new([0usize; 4]);
    let count = |i: usize| {
        let mut s = stats.get();
        s[i] += 1;
        stats.set(s);
    };
    // Files the reference accepts and this reader rejects, by error.
    let stricter = std::cell::RefCell::new(std::collections::BTreeMap::new());
    let started = std::time::Instant::now();
    let result = runner.run(&strategy, |((file, values), mutations)| {
        prop_assert!(check_any_input(&file)?, "the unmutated file must load");
        let mut mutated = file.clone();
        for m in &mutations {
            apply(&mut mutated, m);
        }
        count(0);
        match SafeTensors::parse(&mutated) {
            Ok(_) => count(1),
            Err(e) if reference(&mutated).is_some() => {
                let kind = match e {
                    LoadError::MalformedEntry { problem, .. } => {
                        format!("MalformedEntry/{problem:?}")
                    }
                    e => format!("{e:?}"),
                };
                let kind = kind.split([' ', '{', '(']).next().unwrap_or_default().to_string();
                *stricter.borrow_mut().entry(kind).or_insert(0usize) += 1;
            }
            Err(_) => {}
        }
        if check_any_input(&mutated)? {
            count(2);
            let mut net = TinyNet::default();
            load_safetensors(&mut net, &mutated).unwrap();
            if bits(&net) == values {
                count(3);
            }
        }
        Ok(())
    });
    let [total, parsed, loaded, original] = stats.get();
    eprintln!(
        "mutated files: {total} tried in {:.1?}: {parsed} valid safetensors, {loaded} loaded \
         ({original} with the original values, the rest with the mutated file's values)",
        started.elapsed()
    );
    eprintln!("rejected here but accepted by the reference: {:?}", stricter.borrow());
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Each case of `stricter_by_design` happens: the reference accepts, this reader refuses. Odd
/// integer spellings are refused by both.
#[test]
fn reference_is_more_lenient_only_where_documented() {
    let t = r#""t":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}"#;
    let lenient = [
        r#"{"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":[]}}"#.to_string(),
        format!(" {{{t}}}"),
        format!(r#"{{{t},"t":{{"dtype":"I8","shape":[1],"data_offsets":[0,1]}}}}"#),
        format!(r#"{{"__metadata__":null,{t}}}"#),
        format!(r#"{{"__metadata__":{{"k":"a","k":"b"}},{t}}}"#),
    ];
    for header in &lenient {
        let file = raw_file(header, &[1]);
        assert!(reference(&file).is_some(), "{header}");
        let e = SafeTensors::parse(&file).unwrap_err();
        assert!(stricter_by_design(&e), "{header}: {e:?}");
    }
    for shape in ["-0", "1.0", "1e0", "01"] {
        let header = format!(r#"{{"t":{{"dtype":"U8","shape":[{shape}],"data_offsets":[0,1]}}}}"#);
        let file = raw_file(&header, &[1]);
        assert!(reference(&file).is_none() && SafeTensors::parse(&file).is_err(), "{header}");
    }
}
