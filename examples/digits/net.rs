//! The trained digits network (weights compiled in) and readers for the held-out test set and
//! PyTorch's logits, shared by `examples/digits.rs` and `tests/digits.rs`. The formats are in
//! `examples/digits/README.md`.

use staticnn::network;

network! {
    /// A digit classifier for scikit-learn's 8x8 handwritten digits (tools/train_digits.py).
    #[staticnn(weights = "examples/digits/digits.safetensors")]
    pub struct DigitsNet: [1, 8, 8] {
        Conv2d(1, 16, 3, padding = 1),
        ReLU(),
        MaxPool2d(2),
        Conv2d(16, 32, 3, padding = 1),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(128, 10),
    }
}

/// Pixels of one image (`[1, 8, 8]`).
pub const PIXELS: usize = 64;
/// Digit classes.
pub const CLASSES: usize = 10;

/// One held-out image.
pub struct Sample {
    /// The true digit.
    pub label: u8,
    /// Pixels in `[0, 1]`, row-major.
    pub pixels: [f32; PIXELS],
}

/// PyTorch's result for one image.
pub struct TorchOutput {
    /// The predicted digit (first maximum).
    pub predicted: u8,
    /// The raw logits.
    pub logits: [f32; CLASSES],
}

fn u32_at(bytes: &[u8], at: usize) -> Result<usize, String> {
    let b = bytes.get(at..at + 4).ok_or("file too short")?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
}

fn f32s<const N: usize>(bytes: &[u8]) -> [f32; N] {
    let mut out = [0.0; N];
    for (v, b) in out.iter_mut().zip(bytes.chunks_exact(4)) {
        *v = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    }
    out
}

/// Splits a file into its fixed-size records after checking the magic and the header.
fn records<'a>(
    bytes: &'a [u8],
    magic: &[u8; 4],
    header: usize,
    record: usize,
) -> Result<impl Iterator<Item = &'a [u8]>, String> {
    if bytes.get(..4) != Some(&magic[..]) {
        return Err(format!("missing magic {:?}", String::from_utf8_lossy(magic)));
    }
    let count = u32_at(bytes, 4)?;
    if bytes.len() != header + count * record {
        return Err(format!("{} bytes, expected {}", bytes.len(), header + count * record));
    }
    Ok(bytes[header..].chunks_exact(record))
}

/// The test set from `test_set.bin`.
///
/// # Errors
/// When the file does not have the documented format.
pub fn test_set(bytes: &[u8]) -> Result<Vec<Sample>, String> {
    let dims = (u32_at(bytes, 8)?, u32_at(bytes, 12)?, u32_at(bytes, 16)?);
    if dims != (1, 8, 8) {
        return Err(format!("images are {dims:?}, expected (1, 8, 8)"));
    }
    let samples = records(bytes, b"DGTS", 20, 1 + 4 * PIXELS)?;
    Ok(samples.map(|r| Sample { label: r[0], pixels: f32s(&r[1..]) }).collect())
}

/// PyTorch's predictions and logits from `torch_logits.bin`.
///
/// # Errors
/// When the file does not have the documented format.
pub fn torch_outputs(bytes: &[u8]) -> Result<Vec<TorchOutput>, String> {
    if u32_at(bytes, 8)? != CLASSES {
        return Err("expected 10 classes".into());
    }
    let outputs = records(bytes, b"DGLG", 12, 1 + 4 * CLASSES)?;
    Ok(outputs.map(|r| TorchOutput { predicted: r[0], logits: f32s(&r[1..]) }).collect())
}
