//! The main example: a CNN trained in PyTorch on scikit-learn's handwritten digits, its weights
//! compiled into the binary, run on every held-out test image. Prints the accuracy, the
//! confusion matrix and a few digits drawn in the terminal with their predictions.
//!
//! Run with `cargo run --release --example digits`. The data and weights come from
//! `python3 tools/train_digits.py` (see `examples/digits/README.md`).

#[path = "digits/net.rs"]
mod net;

use net::{CLASSES, DigitsNet, Sample};
use staticnn::tensor::Tensor;

/// Draws an 8 x 8 image with characters of increasing ink.
fn draw(sample: &Sample) -> Vec<String> {
    const INK: &[u8] = b" .:-=+*#%@";
    sample
        .pixels
        .chunks_exact(8)
        .map(|row| {
            row.iter()
                .map(|&p| {
                    let level = (p.clamp(0.0, 1.0) * (INK.len() - 1) as f32).round() as usize;
                    let c = INK[level] as char;
                    format!("{c}{c}")
                })
                .collect()
        })
        .collect()
}

fn main() -> Result<(), String> {
    let samples = net::test_set(include_bytes!("digits/test_set.bin"))?;
    let torch = net::torch_outputs(include_bytes!("digits/torch_logits.bin"))?;
    let net = DigitsNet::trained();
    println!("{net}\n");
    println!(
        "{} parameters in read-only memory, {} MACs and {} bytes of scratch per image\n",
        DigitsNet::PARAMS,
        DigitsNet::MACS,
        DigitsNet::SCRATCH_BYTES
    );

    let mut scratch = DigitsNet::new_scratch();
    let mut logits = Tensor::zeros();
    let mut confusion = [[0usize; CLASSES]; CLASSES];
    let mut same_as_torch = 0;
    let mut worst_logit_error = 0.0f32;
    let mut predictions = Vec::with_capacity(samples.len());
    for (sample, reference) in samples.iter().zip(&torch) {
        let image = Tensor::try_from_slice(&sample.pixels).map_err(|e| e.to_string())?;
        net.forward_into(&image, &mut logits, &mut scratch);
        let predicted = logits.argmax();
        for (got, want) in logits.as_slice().iter().zip(&reference.logits) {
            worst_logit_error = worst_logit_error.max((got - want).abs() / (1.0 + want.abs()));
        }
        confusion[sample.label as usize][predicted] += 1;
        same_as_torch += usize::from(predicted == reference.predicted as usize);
        predictions.push(predicted);
    }
    let correct: usize = (0..CLASSES).map(|c| confusion[c][c]).sum();
    println!(
        "accuracy on {} held-out images: {:.2} % ({correct} correct); PyTorch: {:.2} %",
        samples.len(),
        100.0 * correct as f64 / samples.len() as f64,
        100.0 * samples.iter().zip(&torch).filter(|(s, t)| s.label == t.predicted).count() as f64
            / samples.len() as f64
    );
    println!(
        "same prediction as PyTorch: {same_as_torch} of {}; largest logit difference \
         |got - want| / (1 + |want|): {worst_logit_error:.1e}\n",
        samples.len()
    );

    println!("confusion matrix (rows: true digit, columns: predicted)");
    println!("      {}", (0..CLASSES).map(|c| format!("{c:>4}")).collect::<String>());
    for (truth, row) in confusion.iter().enumerate() {
        println!("  {truth:>2}  {}", row.iter().map(|n| format!("{n:>4}")).collect::<String>());
    }

    // A few digits, including the first mistake if there is one.
    let mistake = predictions.iter().zip(&samples).position(|(&p, s)| p != s.label as usize);
    let shown: Vec<usize> = (0..5).chain(mistake).collect();
    println!();
    let drawings: Vec<Vec<String>> = shown.iter().map(|&i| draw(&samples[i])).collect();
    for row in 0..8 {
        let line: Vec<&str> = drawings.iter().map(|d| d[row].as_str()).collect();
        println!("  {}", line.join("   "));
    }
    let captions: Vec<String> = shown
        .iter()
        .map(|&i| format!("{:<16}", format!("{} -> {}", samples[i].label, predictions[i])))
        .collect();
    println!("  {}", captions.join("   "));
    println!("  (true digit -> prediction)");
    Ok(())
}
