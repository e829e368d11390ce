//! `load_safetensors` and `SafeTensors`: valid files load exactly, and every malformed input
//! gives its own `LoadError` and leaves the network untouched.

mod common;

use common::{
    CONV_WEIGHT, FC_BIAS, FC_WEIGHT, TensorSpec, TinyNet, entry_json, raw_file, write_file,
};
use staticnn_core::safetensors::{
    Dtype, EntryProblem, JsonError, LoadError, SafeTensors, load_safetensors,
};

/// Loads `file` into a fresh network; on error, checks that the network was not touched.
fn load(file: &[u8]) -> Result<TinyNet, LoadError<'_>> {
    let mut net = TinyNet::numbered(100.0);
    match load_safetensors(&mut net, file) {
        Ok(()) => Ok(net),
        Err(e) => {
            assert_eq!(net, TinyNet::numbered(100.0), "a failed load wrote to the network: {e}");
            Err(e)
        }
    }
}

/// The file of `TinyNet::numbered(1.0)` with `header` in place of the generated one.
fn with_header(header: &str) -> Vec<u8> {
    let data: Vec<u8> = TinyNet::numbered(1.0)
        .params()
        .into_iter()
        .flat_map(|(_, _, v)| v.into_iter().flat_map(f32::to_le_bytes))
        .collect();
    raw_file(header, &data)
}

/// Entries for `TinyNet` laid out as `to_file` does: features.0.weight, fc.weight, fc.bias.
const CONV: &str = r#""features.0.weight":{"dtype":"F32","shape":[1,1,2,2],"data_offsets":[0,16]}"#;
const FCW: &str = r#""fc.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[16,40]}"#;
const FCB: &str = r#""fc.bias":{"dtype":"F32","shape":[2],"data_offsets":[40,48]}"#;

fn header_with(extra: &str) -> String {
    format!("{{{CONV},{FCW},{FCB}{extra}}}")
}

// ---- valid files -------------------------------------------------------------------------

#[test]
fn loads_every_parameter() {
    let source = TinyNet::numbered(1.0);
    assert_eq!(load(&source.to_file()).unwrap(), source);
}

#[test]
fn tensor_order_and_layout_do_not_matter() {
    let source = TinyNet::numbered(-3.0);
    let mut specs: Vec<TensorSpec> = source
        .params()
        .into_iter()
        .map(|(name, shape, values)| TensorSpec::f32(&name, &shape, &values))
        .collect();
    specs.reverse();
    // Data in reversed order, header entries in yet another order.
    let file = write_file(&specs);
    assert_eq!(load(&file).unwrap(), source);
    let (a, b, c) = (CONV, FCW, FCB);
    let file = with_header(&format!("{{ {c} ,\n\t{a},{b} }}    "));
    assert_eq!(load(&file).unwrap(), TinyNet::numbered(1.0));
}

#[test]
fn values_are_little_endian_whatever_the_alignment() {
    // A one-byte metadata-free padding tensor would be a hole, so shift the data with a U8
    // tensor instead: the f32 data then starts at an odd offset.
    let header = format!(
        "{{{},{},{},{}, {}}}",
        entry_json("features.0.weight", "F32", &[1, 1, 2, 2], 1, 17),
        entry_json("fc.weight", "F32", &[2, 3], 17, 41),
        entry_json("fc.bias", "F32", &[2], 41, 49),
        entry_json("features.0.num_batches_tracked", "U8", &[1], 0, 1),
        entry_json("num_batches_tracked", "I64", &[], 49, 57),
    );
    let mut data = vec![7u8];
    let values: [f32; 12] =
        [1.0, -2.0, 0.5, 3.25, 0.0, -0.0, 1e-30, f32::MAX, -1.5, 2.0, 42.0, -7.0];
    data.extend(values.iter().flat_map(|v| v.to_le_bytes()));
    data.extend_from_slice(&5i64.to_le_bytes());
    let net = load(&raw_file(&header, &data)).unwrap();
    assert_eq!(net.conv_weight, [1.0, -2.0, 0.5, 3.25]);
    assert_eq!(net.fc_weight, [0.0, -0.0, 1e-30, f32::MAX, -1.5, 2.0]);
    assert_eq!(net.fc_bias, [42.0, -7.0]);
    // Explicit bytes: 1.0 is 00 00 80 3F in little-endian order.
    assert_eq!(&data[1..5], &[0x00, 0x00, 0x80, 0x3F]);
}

#[test]
fn nan_and_infinity_load_bit_exact() {
    let mut source = TinyNet::numbered(0.0);
    source.fc_bias = [f32::NAN, f32::NEG_INFINITY];
    let net = load(&source.to_file()).unwrap();
    assert_eq!(net.fc_bias[0].to_bits(), f32::NAN.to_bits());
    assert_eq!(net.fc_bias[1], f32::NEG_INFINITY);
}

#[test]
fn metadata_is_allowed_and_readable() {
    let header = header_with(r#","__metadata__":{"format":"pt","note":"a \"quoted\" \u00e9"}"#);
    let file = with_header(&header);
    assert_eq!(load(&file).unwrap(), TinyNet::numbered(1.0));
    let view = SafeTensors::parse(&file).unwrap();
    let pairs: Vec<(String, String)> =
        view.metadata().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    assert_eq!(
        pairs,
        [("format".into(), "pt".into()), ("note".into(), "a \"quoted\" \u{e9}".into())]
    );
    assert_eq!(view.len(), 3);
    let empty = with_header(&header_with(r#","__metadata__":{}"#));
    assert_eq!(SafeTensors::parse(&empty).unwrap().metadata().count(), 0);
}

#[test]
fn num_batches_tracked_of_any_integer_dtype_is_skipped() {
    for (dtype, bytes) in [("I64", 8), ("I32", 4), ("U8", 1), ("U64", 8), ("I16", 2)] {
        let entry = entry_json("bn.num_batches_tracked", dtype, &[], 48, 48 + bytes);
        let mut file = with_header(&header_with(&format!(",{entry}")));
        file.extend(std::iter::repeat_n(0u8, bytes as usize));
        assert_eq!(load(&file).unwrap(), TinyNet::numbered(1.0), "{dtype}");
    }
}

#[test]
fn escaped_names_match_parameters() {
    let header = header_with("").replace(r#""fc.bias""#, r#""fc.b\u0069as""#);
    let file = with_header(&header);
    assert_eq!(load(&file).unwrap(), TinyNet::numbered(1.0));
    let view = SafeTensors::parse(&file).unwrap();
    let bias = view.tensor("fc.bias").unwrap();
    assert_eq!(bias.name().raw(), r"fc.b\u0069as");
    assert_eq!(bias.name().to_string(), "fc.bias");
}

#[test]
fn view_gives_names_shapes_offsets_and_values() {
    let file = TinyNet::numbered(1.0).to_file();
    let view = SafeTensors::parse(&file).unwrap();
    assert!(!view.is_empty());
    let names: Vec<String> = view.tensors().map(|t| t.name().to_string()).collect();
    assert_eq!(names, ["features.0.weight", "fc.weight", "fc.bias"]);
    let w = view.tensor("fc.weight").unwrap();
    assert_eq!(
        (w.dtype(), w.shape().to_string(), w.data_offsets()),
        (Dtype::F32, "[2, 3]".into(), (16, 40))
    );
    assert_eq!(w.shape().dims().collect::<Vec<_>>(), [2, 3]);
    assert_eq!(w.f32_values().unwrap().collect::<Vec<_>>(), [3.0, 3.5, 4.0, 4.5, 5.0, 5.5]);
    assert!(view.tensor("fc").is_none());
    assert_eq!(view.data().len(), 48);
    assert!(view.header().starts_with('{'));
}

#[test]
fn empty_and_scalar_tensors_are_valid_files() {
    // Empty tensors may sit at the start, between tensors, and at the end.
    let header = format!(
        "{{{},{},{},{}}}",
        entry_json("a", "F32", &[0, 3], 0, 0),
        entry_json("b", "F32", &[], 0, 4),
        entry_json("c", "F16", &[2, 0], 4, 4),
        entry_json("d", "I8", &[0], 4, 4),
    );
    let file = raw_file(&header, &[0, 0, 128, 63]);
    let view = SafeTensors::parse(&file).unwrap();
    assert_eq!(view.tensor("b").unwrap().f32_values().unwrap().collect::<Vec<_>>(), [1.0]);
    assert_eq!(view.tensor("a").unwrap().data(), &[] as &[u8]);
    // An empty header object with no data is a valid (empty) file.
    assert!(SafeTensors::parse(&raw_file("{}", &[])).unwrap().is_empty());
}

// ---- the file's framing ------------------------------------------------------------------

#[test]
fn file_too_short() {
    for len in 0..8 {
        let file = vec![0u8; len];
        assert_eq!(load(&file).unwrap_err(), LoadError::FileTooShort { len });
    }
}

#[test]
fn header_out_of_bounds() {
    let mut file = TinyNet::numbered(1.0).to_file();
    let available = file.len() - 8;
    for header_len in [available as u64 + 1, u64::MAX, 1 << 40] {
        file[..8].copy_from_slice(&header_len.to_le_bytes());
        assert_eq!(
            load(&file).unwrap_err(),
            LoadError::HeaderOutOfBounds { header_len, available }
        );
    }
}

#[test]
fn header_not_utf8() {
    let mut file = with_header(&header_with(""));
    file[8 + 3] = 0xFF;
    assert_eq!(load(&file).unwrap_err(), LoadError::HeaderNotUtf8 { offset: 11 });
}

#[test]
fn header_not_object() {
    assert_eq!(load(&raw_file("", &[])).unwrap_err(), LoadError::HeaderNotObject { found: None });
    for (header, found) in [(" {}", ' '), ("[]", '['), ("\"x\"", '"'), ("null", 'n')] {
        assert_eq!(
            load(&raw_file(header, &[])).unwrap_err(),
            LoadError::HeaderNotObject { found: Some(found) }
        );
    }
}

#[test]
fn invalid_json() {
    let cases: &[(&str, usize, JsonError)] = &[
        ("{", 9, JsonError::UnexpectedEnd { expected: "a string" }),
        (
            "{} x",
            11,
            JsonError::UnexpectedChar {
                expected: "the end of the header (only whitespace may follow)",
                found: 'x',
            },
        ),
        (r#"{"a" {}}"#, 13, JsonError::UnexpectedChar { expected: "`:`", found: '{' }),
        (r#"{a:1}"#, 9, JsonError::UnexpectedChar { expected: "a string", found: 'a' }),
        (r#"{"a\q":{}}"#, 11, JsonError::InvalidEscape { found: 'q' }),
        (r#"{"\uZZZZ":{}}"#, 10, JsonError::InvalidUnicodeEscape),
        (r#"{"\udfff":{}}"#, 10, JsonError::LoneSurrogate { code_unit: 0xDFFF }),
        ("{\"a\tb\":{}}", 11, JsonError::ControlCharacter { found: '\t' }),
        (
            r#"{"a":{"dtype":"F32",}}"#,
            28,
            JsonError::UnexpectedChar { expected: "a string", found: '}' },
        ),
        (
            r#"{"a":{"shape":[1 2]}}"#,
            25,
            JsonError::UnexpectedChar { expected: "`,` or `]`", found: '2' },
        ),
        (
            r#"{"a":{"shape":[01]}}"#,
            24,
            JsonError::UnexpectedChar { expected: "`,` or `]`", found: '1' },
        ),
        (r#"{"a":{"dtype":"F32"}"#, 28, JsonError::UnexpectedEnd { expected: "`,` or `}`" }),
        (
            r#"{"a":{"shape":[1,]}}"#,
            25,
            JsonError::UnexpectedChar { expected: "a JSON value", found: ']' },
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"b":tru}"#,
            65,
            JsonError::UnexpectedChar { expected: "a JSON value", found: 't' },
        ),
        (r#"{"a":1.}"#, 15, JsonError::UnexpectedChar { expected: "a digit", found: '}' }),
    ];
    for &(header, offset, error) in cases {
        assert_eq!(
            load(&raw_file(header, &[])).unwrap_err(),
            LoadError::InvalidJson { offset, error },
            "{header}"
        );
    }
}

// ---- the form of each entry --------------------------------------------------------------

#[test]
fn malformed_entries() {
    // (header, the text the error's offset points at, the problem)
    let cases: &[(&str, &str, &str)] = &[
        (r#"{"a":[]}"#, "[]", "is not a JSON object"),
        (r#"{"a":"F32"}"#, r#""F32""#, "is not a JSON object"),
        (r#"{"a":{"shape":[],"data_offsets":[0,0]}}"#, r#"{"shape"#, "has no `dtype` field"),
        (r#"{"a":{"dtype":"F32","data_offsets":[0,0]}}"#, r#"{"dtype"#, "has no `shape` field"),
        (r#"{"a":  {"dtype":"F32","shape":[]}}"#, r#"{"dtype"#, "has no `data_offsets` field"),
        (
            r#"{"a":{"dtype":"F32","dtype":"F32","shape":[],"data_offsets":[0,4]}}"#,
            r#""F32","shape"#,
            "has the field `dtype` twice",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[],"shape":[],"data_offsets":[0,4]}}"#,
            r#"[],"data"#,
            "has the field `shape` twice",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],"data_offsets":[0,4]}}"#,
            "[0,4]}",
            "has the field `data_offsets` twice",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],"extra":0}}"#,
            "0}}",
            "has an unknown field `extra`",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4],"DTYPE":"F32"}}"#,
            r#""F32"}"#,
            "has an unknown field `DTYPE`",
        ),
        (
            r#"{"a":{"dtype":1,"shape":[],"data_offsets":[0,4]}}"#,
            r#"1,"shape"#,
            "has a `dtype` that is not a string",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":3,"data_offsets":[0,4]}}"#,
            r#"3,"data"#,
            "has a `shape` that is not an array of non-negative integers",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#,
            "-1",
            "has a `shape` that is not an array of non-negative integers",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[-0],"data_offsets":[0,4]}}"#,
            "-0",
            "has a `shape` that is not an array of non-negative integers",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#,
            "1.0",
            "has a `shape` that is not an array of non-negative integers",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}"#,
            "1e0",
            "has a `shape` that is not an array of non-negative integers",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}}"#,
            r#""1""#,
            "has a `shape` that is not an array of non-negative integers",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[[1]],"data_offsets":[0,4]}}"#,
            "[1]]",
            "has a `shape` that is not an array of non-negative integers",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[null],"data_offsets":[0,4]}}"#,
            "null",
            "has a `shape` that is not an array of non-negative integers",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[],"data_offsets":[0]}}"#,
            "[0]",
            "has `data_offsets` that are not an array of two non-negative integers [begin, end]",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[],"data_offsets":[0,4,8]}}"#,
            "[0,4,8]",
            "has `data_offsets` that are not an array of two non-negative integers [begin, end]",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[],"data_offsets":[0,"4"]}}"#,
            r#""4""#,
            "has `data_offsets` that are not an array of two non-negative integers [begin, end]",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[],"data_offsets":{}}}"#,
            "{}}}",
            "has `data_offsets` that are not an array of two non-negative integers [begin, end]",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,4]}}"#,
            "18446744073709551616",
            "has a number larger than 2^64 - 1",
        ),
        (
            r#"{"a":{"dtype":"F32","shape":[],"data_offsets":[0,99999999999999999999]}}"#,
            "99999999999999999999",
            "has a number larger than 2^64 - 1",
        ),
        (r#"{"__metadata__":[]}"#, "[]", "is not a JSON object"),
        (r#"{"__metadata__":{"k":1}}"#, "1}", "maps `k` to a value that is not a string"),
        (r#"{"__metadata__":{"k":null}}"#, "null", "maps `k` to a value that is not a string"),
        (r#"{"__metadata__":{"k":"1","j":"2","k":"3"}}"#, r#""3""#, "has the field `k` twice"),
    ];
    for &(header, at, problem) in cases {
        let offset = 8 + header.find(at).unwrap();
        match load(&raw_file(header, &[0; 4])).unwrap_err() {
            LoadError::MalformedEntry { name, offset: found_offset, problem: found } => {
                let expected_name =
                    if header.contains("__metadata__") { "__metadata__" } else { "a" };
                assert_eq!(
                    (name.to_string(), found_offset, found.to_string()),
                    (expected_name.into(), offset, problem.into()),
                    "{header}"
                );
            }
            other => panic!("{header}: {other:?}"),
        }
    }
}

#[test]
fn entry_problem_variants_are_distinct() {
    let file = raw_file(r#"{"a":{"dtype":"F32","shape":[1,2,3]}}"#, &[]);
    assert!(matches!(
        load(&file).unwrap_err(),
        LoadError::MalformedEntry {
            problem: EntryProblem::MissingField { field: "data_offsets" },
            ..
        }
    ));
}

#[test]
fn duplicate_key() {
    for extra in [
        format!(",{FCB}"),
        r#","fc.b\u0069as":{"dtype":"F32","shape":[2],"data_offsets":[40,48]}"#.into(),
    ] {
        let file = with_header(&header_with(&extra));
        match load(&file).unwrap_err() {
            LoadError::DuplicateKey { name } => assert_eq!(name, "fc.bias"),
            other => panic!("{other:?}"),
        }
    }
    let file = raw_file(r#"{"__metadata__":{},"__metadata__":{}}"#, &[]);
    assert!(
        matches!(load(&file).unwrap_err(), LoadError::DuplicateKey { name } if name == "__metadata__")
    );
}

#[test]
fn duplicate_among_many_keys() {
    // More keys than the duplicate filter has bits: false alarms must not be reported.
    let specs: Vec<TensorSpec> =
        (0..2200).map(|i| TensorSpec::raw(&format!("t{i}"), "U8", &[1], vec![i as u8])).collect();
    let file = write_file(&specs);
    assert_eq!(SafeTensors::parse(&file).unwrap().len(), 2200);
    let mut specs = specs;
    specs.push(TensorSpec::raw("t1234", "U8", &[1], vec![0]));
    match SafeTensors::parse(&write_file(&specs)).unwrap_err() {
        LoadError::DuplicateKey { name } => assert_eq!(name, "t1234"),
        other => panic!("{other:?}"),
    }
}

// ---- each tensor against the data buffer -------------------------------------------------

/// The error for a file of one tensor `t` and `data_len` bytes of data.
fn single(dtype: &str, shape: &[u64], begin: u64, end: u64, data_len: usize) -> LoadError<'static> {
    let header = format!("{{{}}}", entry_json("t", dtype, shape, begin, end));
    let file: &'static [u8] = Box::leak(raw_file(&header, &vec![0; data_len]).into_boxed_slice());
    load(file).unwrap_err()
}

#[test]
fn unknown_dtype() {
    for dtype in ["f32", "F31", "", "FLOAT", "F32 "] {
        match single(dtype, &[1], 0, 4, 4) {
            LoadError::UnknownDtype { name, dtype: found } => {
                assert_eq!((name.to_string(), found.to_string()), ("t".into(), dtype.into()))
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn offsets_reversed() {
    assert!(matches!(
        single("F32", &[1], 8, 4, 8),
        LoadError::OffsetsReversed { begin: 8, end: 4, .. }
    ));
}

#[test]
fn offsets_out_of_bounds() {
    assert!(matches!(
        single("F32", &[1], 4, 8, 6),
        LoadError::OffsetsOutOfBounds { begin: 4, end: 8, data_len: 6, .. }
    ));
    assert!(matches!(
        single("F32", &[1], u64::MAX - 4, u64::MAX, 4),
        LoadError::OffsetsOutOfBounds { end: u64::MAX, data_len: 4, .. }
    ));
}

#[test]
fn tensor_too_large() {
    // 2^62 elements fit in a u64, 2^62 * 32 bits do not; 2^32 * 2^32 elements do not either.
    for shape in [&[1u64 << 62][..], &[1 << 32, 1 << 32], &[u64::MAX, 2]] {
        match single("F32", shape, 0, 4, 4) {
            LoadError::TensorTooLarge { dtype: Dtype::F32, shape: found, .. } => {
                assert!(found.dims().eq(shape.iter().copied()));
            }
            other => panic!("{shape:?}: {other:?}"),
        }
    }
    // A zero dimension makes any product small again.
    assert!(matches!(
        single("F32", &[u64::MAX, 0], 0, 4, 4),
        LoadError::SizeMismatch { expected_bits: 0, .. }
    ));
}

#[test]
fn size_mismatch() {
    assert!(matches!(
        single("F32", &[2, 3], 0, 20, 20),
        LoadError::SizeMismatch { dtype: Dtype::F32, expected_bits: 192, found_bytes: 20, .. }
    ));
    assert!(matches!(
        single("F16", &[3], 0, 12, 12),
        LoadError::SizeMismatch { dtype: Dtype::F16, expected_bits: 48, found_bytes: 12, .. }
    ));
    // Three 4-bit elements are 1.5 bytes: never a valid size.
    let e = single("F4", &[3], 0, 1, 1);
    assert!(matches!(e, LoadError::SizeMismatch { expected_bits: 12, found_bytes: 1, .. }));
    assert!(e.to_string().contains("12 bits (not a whole number of bytes)"), "{e}");
    // ...while four are 2 bytes.
    let header = format!("{{{}}}", entry_json("t", "F4", &[4], 0, 2));
    assert!(SafeTensors::parse(&raw_file(&header, &[0, 0])).is_ok());
}

// ---- the tensors together ----------------------------------------------------------------

fn two(a: (u64, u64), b: (u64, u64), data_len: usize) -> Result<(), LoadError<'static>> {
    let shape = |(begin, end): (u64, u64)| [(end - begin) / 4];
    let header = format!(
        "{{{},{}}}",
        entry_json("a", "F32", &shape(a), a.0, a.1),
        entry_json("b", "F32", &shape(b), b.0, b.1)
    );
    let file: &'static [u8] = Box::leak(raw_file(&header, &vec![0; data_len]).into_boxed_slice());
    SafeTensors::parse(file).map(drop)
}

#[test]
fn overlapping_tensors() {
    for (a, b) in [
        ((0, 8), (4, 12)),
        ((0, 12), (4, 8)),
        ((4, 8), (0, 12)),
        ((0, 8), (0, 8)),
        ((0, 12), (4, 4)),
    ] {
        match two(a, b, 12) {
            Err(LoadError::OverlappingTensors { first, second }) => {
                assert_eq!((first.to_string(), second.to_string()), ("a".into(), "b".into()))
            }
            other => panic!("{a:?} {b:?}: {other:?}"),
        }
    }
    // Touching is fine, and an empty tensor at a boundary is fine.
    assert!(two((0, 8), (8, 12), 12).is_ok());
    assert!(two((8, 12), (0, 8), 12).is_ok());
    assert!(two((0, 12), (12, 12), 12).is_ok());
    assert!(two((0, 0), (0, 12), 12).is_ok());
}

#[test]
fn uncovered_bytes() {
    let hole = |a, b, len| match two(a, b, len) {
        Err(LoadError::UncoveredBytes { begin, end }) => (begin, end),
        other => panic!("{a:?} {b:?} {len}: {other:?}"),
    };
    assert_eq!(hole((0, 4), (8, 12), 12), (4, 8));
    assert_eq!(hole((4, 8), (8, 12), 12), (0, 4));
    assert_eq!(hole((0, 4), (4, 8), 12), (8, 12));
    assert_eq!(hole((0, 4), (8, 12), 16), (4, 8));
    assert_eq!(hole((0, 0), (0, 0), 4), (0, 4));
    // Trailing bytes after a real file.
    let mut file = TinyNet::numbered(1.0).to_file();
    file.push(0);
    assert_eq!(load(&file).unwrap_err(), LoadError::UncoveredBytes { begin: 48, end: 49 });
}

// ---- the file against the network -------------------------------------------------------

#[test]
fn missing_tensor() {
    let file = with_header(&format!("{{{CONV},{FCW}}}"));
    let file = &file[..file.len() - 8];
    assert_eq!(load(file).unwrap_err(), LoadError::MissingTensor { name: FC_BIAS, shape: &[2] });
    let file = with_header(&header_with("").replace("features.0.weight", "features.1.weight"));
    assert_eq!(
        load(&file).unwrap_err(),
        LoadError::MissingTensor { name: CONV_WEIGHT, shape: &[1, 1, 2, 2] }
    );
}

#[test]
fn wrong_dtype() {
    let header = header_with("").replace(
        r#""fc.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[16,40]}"#,
        r#""fc.weight":{"dtype":"F64","shape":[3],"data_offsets":[16,40]}"#,
    );
    assert_eq!(
        load(&with_header(&header)).unwrap_err(),
        LoadError::WrongDtype { name: FC_WEIGHT, found: Dtype::F64 }
    );
}

#[test]
fn shape_mismatch() {
    for shape in ["[3,2]", "[6]", "[2,3,1]", "[1,2,3]"] {
        let header = header_with("").replace("[2,3]", shape);
        match load(&with_header(&header)).unwrap_err() {
            LoadError::ShapeMismatch { name, expected, found } => {
                assert_eq!((name, expected), (FC_WEIGHT, &[2usize, 3][..]));
                assert_eq!(found.to_string(), shape.replace(',', ", "));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn unexpected_tensor() {
    let cases = [
        (entry_json("fc2.weight", "F32", &[1], 48, 52), 4, "fc2.weight"),
        // Only integer counters are skipped.
        (entry_json("bn.num_batches_tracked", "F32", &[], 48, 52), 4, "bn.num_batches_tracked"),
        (entry_json("bn.xnum_batches_tracked", "I64", &[], 48, 56), 8, "bn.xnum_batches_tracked"),
        // A parameter's name with a different prefix.
        (entry_json("fc.weight.1", "F32", &[1], 48, 52), 4, "fc.weight.1"),
    ];
    for (entry, len, name) in cases {
        let mut file = with_header(&header_with(&format!(",{entry}")));
        file.extend(std::iter::repeat_n(0u8, len));
        match load(&file).unwrap_err() {
            LoadError::UnexpectedTensor { name: found, .. } => assert_eq!(found, name),
            other => panic!("{other:?}"),
        }
    }
}

// ---- messages ----------------------------------------------------------------------------

#[test]
fn messages_say_what_was_expected_and_found() {
    let header = header_with("").replace("[1,1,2,2]", "[1,3,2,2]").replace("[0,16]", "[0,48]");
    let header = header.replace("[16,40]", "[48,72]").replace("[40,48]", "[72,80]");
    let file = raw_file(&header, &[0; 80]);
    let e = load(&file).unwrap_err();
    assert_eq!(
        e.to_string(),
        "tensor `features.0.weight` has shape [1, 3, 2, 2] in the file but the network declares \
         [1, 1, 2, 2]; the layer's arguments in `network!` differ from the saved model's"
    );
    let boxed: Box<dyn std::error::Error> = Box::new(LoadError::FileTooShort { len: 3 });
    assert!(boxed.to_string().contains("3 bytes long"));
}
