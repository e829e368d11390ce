//! Reading the firmware's inputs and PyTorch's outputs from the repository's data files, by
//! constant evaluation: each file is embedded with `include_bytes!` in a `const` (so only what
//! the `static`s below keep reaches the image, not the whole file), its header is checked (a
//! malformed file is a compile error), and the values become `static` arrays of `f32` in
//! read-only memory (flash on a microcontroller). Formats: `examples/digits/README.md` and
//! the safetensors header (8-byte length, then JSON).

/// `examples/digits/test_set.bin`: the held-out digit images and their labels.
const TEST_SET: &[u8] = include_bytes!("../../../digits/test_set.bin");
/// `examples/digits/torch_logits.bin`: PyTorch's logits for each test image.
const TORCH_LOGITS: &[u8] = include_bytes!("../../../digits/torch_logits.bin");
/// `tests/export/cifar10_io.safetensors`: an input of the CIFAR-10 network and PyTorch's
/// output for it (with the weights of `tests/export/cifar10.safetensors`).
const CIFAR10_IO: &[u8] = include_bytes!("../../../../tests/export/cifar10_io.safetensors");
/// `tests/export/resnet8_io.safetensors`: an input of ResNet-8 and PyTorch's output for it
/// (with the weights of `tests/export/resnet8.safetensors`).
const RESNET8_IO: &[u8] = include_bytes!("../../../../tests/export/resnet8_io.safetensors");

/// How many digit images the firmware runs: the first ones of the test set (the set is in a
/// fixed, shuffled order; image 15 is one PyTorch's network gets wrong).
pub const DIGITS_IMAGES: usize = 16;
/// Pixels of one digit image (`[1, 8, 8]`).
const DIGIT_PIXELS: usize = 64;
/// Digit classes.
const DIGIT_CLASSES: usize = 10;

/// The first [`DIGITS_IMAGES`] test images, pixels in `[0, 1]`.
pub static DIGITS_PIXELS: [[f32; DIGIT_PIXELS]; DIGITS_IMAGES] = digit_images();
/// Their true labels.
pub static DIGITS_LABELS: [u8; DIGITS_IMAGES] = digit_labels();
/// PyTorch's logits for them.
pub static DIGITS_TORCH: [[f32; DIGIT_CLASSES]; DIGITS_IMAGES] = digit_logits();
/// The recorded CIFAR-10 input (`[3, 32, 32]`).
pub static CIFAR10_INPUT: [f32; 3 * 32 * 32] = safetensors_f32s(CIFAR10_IO, b"input");
/// PyTorch's output for it.
pub static CIFAR10_TORCH: [f32; 10] = safetensors_f32s(CIFAR10_IO, b"output");
/// The recorded ResNet-8 input (`[3, 32, 32]`).
pub static RESNET8_INPUT: [f32; 3 * 32 * 32] = safetensors_f32s(RESNET8_IO, b"input");
/// PyTorch's output for it.
pub static RESNET8_TORCH: [f32; 10] = safetensors_f32s(RESNET8_IO, b"output");

/// The little-endian `u32` at `at`.
const fn u32_at(bytes: &[u8], at: usize) -> usize {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize
}

/// `N` little-endian `f32`s from byte `at` on (no alignment needed).
const fn f32s_at<const N: usize>(bytes: &[u8], at: usize) -> [f32; N] {
    let mut out = [0.0; N];
    let mut i = 0;
    while i < N {
        let p = at + 4 * i;
        out[i] = f32::from_le_bytes([bytes[p], bytes[p + 1], bytes[p + 2], bytes[p + 3]]);
        i += 1;
    }
    out
}

/// Whether `bytes` starts with `prefix` at `at`.
const fn has_at(bytes: &[u8], at: usize, prefix: &[u8]) -> bool {
    if at + prefix.len() > bytes.len() {
        return false;
    }
    let mut i = 0;
    while i < prefix.len() {
        if bytes[at + i] != prefix[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Where the first record of `test_set.bin` starts, and the length of a record; checks the
/// header and that the file holds at least [`DIGITS_IMAGES`] images of `[1, 8, 8]`.
const fn test_set_layout() -> (usize, usize) {
    assert!(has_at(TEST_SET, 0, b"DGTS"), "test_set.bin: no DGTS magic");
    let count = u32_at(TEST_SET, 4);
    assert!(u32_at(TEST_SET, 8) == 1 && u32_at(TEST_SET, 12) == 8 && u32_at(TEST_SET, 16) == 8);
    let record = 1 + 4 * DIGIT_PIXELS;
    assert!(TEST_SET.len() == 20 + count * record, "test_set.bin: wrong length");
    assert!(count >= DIGITS_IMAGES, "test_set.bin: too few images");
    (20, record)
}

const fn digit_images() -> [[f32; DIGIT_PIXELS]; DIGITS_IMAGES] {
    let (start, record) = test_set_layout();
    let mut out = [[0.0; DIGIT_PIXELS]; DIGITS_IMAGES];
    let mut k = 0;
    while k < DIGITS_IMAGES {
        out[k] = f32s_at(TEST_SET, start + k * record + 1);
        k += 1;
    }
    out
}

const fn digit_labels() -> [u8; DIGITS_IMAGES] {
    let (start, record) = test_set_layout();
    let mut out = [0; DIGITS_IMAGES];
    let mut k = 0;
    while k < DIGITS_IMAGES {
        out[k] = TEST_SET[start + k * record];
        assert!(out[k] < 10, "test_set.bin: label out of range");
        k += 1;
    }
    out
}

const fn digit_logits() -> [[f32; DIGIT_CLASSES]; DIGITS_IMAGES] {
    assert!(has_at(TORCH_LOGITS, 0, b"DGLG"), "torch_logits.bin: no DGLG magic");
    let count = u32_at(TORCH_LOGITS, 4);
    assert!(u32_at(TORCH_LOGITS, 8) == DIGIT_CLASSES, "torch_logits.bin: not 10 classes");
    let record = 1 + 4 * DIGIT_CLASSES;
    assert!(TORCH_LOGITS.len() == 12 + count * record, "torch_logits.bin: wrong length");
    assert!(count == u32_at(TEST_SET, 4), "torch_logits.bin: not one record per test image");
    let mut out = [[0.0; DIGIT_CLASSES]; DIGITS_IMAGES];
    let mut k = 0;
    while k < DIGITS_IMAGES {
        out[k] = f32s_at(TORCH_LOGITS, 12 + k * record + 1);
        k += 1;
    }
    out
}

/// The unsigned integer written in decimal at `at`, and where it ends.
const fn number(bytes: &[u8], mut at: usize) -> (usize, usize) {
    assert!(at < bytes.len() && bytes[at].is_ascii_digit(), "safetensors header: number expected");
    let mut n = 0;
    while at < bytes.len() && bytes[at].is_ascii_digit() {
        n = n * 10 + (bytes[at] - b'0') as usize;
        at += 1;
    }
    (n, at)
}

/// The first position at or after `from`, before `end`, where `pattern` starts.
const fn find(bytes: &[u8], mut from: usize, end: usize, pattern: &[u8]) -> usize {
    while from + pattern.len() <= end {
        if has_at(bytes, from, pattern) {
            return from;
        }
        from += 1;
    }
    panic!("safetensors header: expected entry not found");
}

/// Whether the `len` bytes at `at` are a JSON key: in quotes, followed by `:`.
const fn is_key(bytes: &[u8], at: usize, len: usize) -> bool {
    bytes[at - 1] == b'"' && bytes[at + len] == b'"' && bytes[at + len + 1] == b':'
}

/// The tensor `name` of a `.safetensors` file as `N` `f32`s. Checks that the header has an
/// entry `"name":{...}` whose `dtype` is `F32`, whose shape has `N` elements and whose
/// `data_offsets` span `4 * N` bytes inside the file. (A reader for this fixture's simple,
/// machine-written header, not a JSON parser; `tests/firmware.rs` compares its result with the
/// `safetensors` crate's.)
const fn safetensors_f32s<const N: usize>(file: &[u8], name: &[u8]) -> [f32; N] {
    let header_len = u32_at(file, 0);
    assert!(u32_at(file, 4) == 0, "safetensors: header too long");
    let (header, data) = (8, 8 + header_len);
    assert!(data <= file.len(), "safetensors: header past the end");
    // `"name":{`
    let mut at = find(file, header, data, name);
    while !is_key(file, at, name.len()) {
        at = find(file, at + 1, data, name);
    }
    let entry = at + name.len() + 2;
    assert!(file[entry] == b'{', "safetensors header: entry is not an object");
    let end = find(file, entry, data, b"}");
    let dtype = find(file, entry, end, b"\"dtype\":\"");
    assert!(has_at(file, dtype + 9, b"F32\""), "safetensors: tensor is not F32");
    let mut p = find(file, entry, end, b"\"shape\":[") + 9;
    let mut numel = 1;
    while file[p] != b']' {
        let (d, next) = number(file, p);
        numel *= d;
        p = if file[next] == b',' { next + 1 } else { next };
    }
    assert!(numel == N, "safetensors: tensor has another number of elements");
    let p = find(file, entry, end, b"\"data_offsets\":[") + 16;
    let (start, p) = number(file, p);
    assert!(file[p] == b',', "safetensors header: malformed data_offsets");
    let (stop, _) = number(file, p + 1);
    assert!(stop - start == 4 * N && data + stop <= file.len(), "safetensors: bad data_offsets");
    f32s_at(file, data + start)
}
