//! Shared by the safetensors tests: a small hand-written network and writers of test files.
#![allow(dead_code)]

use staticnn_core::network::{
    Network, ParamName, StateDictVisitor, StateDictVisitorMut, StepSummary,
};
use staticnn_core::shape::Vector;
use staticnn_core::tensor::Tensor;
use staticnn_core::typenum::{U2, U3};

/// The parameters `fc.weight` [2, 3], `fc.bias` [2] and `features.0.weight` [1, 1, 2, 2]; the
/// forward pass is irrelevant here.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TinyNet {
    pub fc_weight: [f32; 6],
    pub fc_bias: [f32; 2],
    pub conv_weight: [f32; 4],
}

pub const FC_WEIGHT: ParamName = ParamName { prefix: "fc", name: "weight" };
pub const FC_BIAS: ParamName = ParamName { prefix: "fc", name: "bias" };
pub const CONV_WEIGHT: ParamName = ParamName { prefix: "features.0", name: "weight" };

impl TinyNet {
    /// Distinct values, so that a misplaced copy shows.
    pub fn numbered(start: f32) -> Self {
        let mut net = Self::default();
        let mut next = start;
        net.visit_parameters_mut(&mut |_, _, values| {
            for v in values {
                *v = next;
                next += 0.5;
            }
        });
        net
    }

    /// The parameters as `(key, shape, values)`, in the network's order.
    pub fn params(&self) -> Vec<(String, Vec<u64>, Vec<f32>)> {
        let mut out = Vec::new();
        self.visit_parameters(&mut |name, dims, values| {
            out.push((name.to_string(), dims.iter().map(|&d| d as u64).collect(), values.to_vec()));
        });
        out
    }

    /// A valid file holding this network's parameters, in the network's order.
    pub fn to_file(&self) -> Vec<u8> {
        let tensors: Vec<TensorSpec> = self
            .params()
            .into_iter()
            .map(|(name, shape, values)| TensorSpec::f32(&name, &shape, &values))
            .collect();
        write_file(&tensors)
    }
}

impl Network for TinyNet {
    type Input = Vector<U3>;
    type Output = Vector<U2>;
    type Scratch = ();

    const INPUT_SHAPE: &'static [usize] = &[3];
    const OUTPUT_SHAPE: &'static [usize] = &[2];
    const PARAMS: usize = 12;
    const MACS: usize = 6;
    const SCRATCH_BYTES: usize = 0;
    const STEPS: &'static [StepSummary] = &[];

    fn new_scratch() -> Self::Scratch {}

    fn forward_into_probed<P: FnMut(usize)>(
        &self,
        _: &Tensor<Self::Input>,
        _: &mut Tensor<Self::Output>,
        _: &mut (),
        _: &mut P,
    ) {
    }

    fn visit_parameters(&self, f: &mut StateDictVisitor<'_>) {
        f(CONV_WEIGHT, &[1, 1, 2, 2], &self.conv_weight);
        f(FC_WEIGHT, &[2, 3], &self.fc_weight);
        f(FC_BIAS, &[2], &self.fc_bias);
    }

    fn visit_parameters_mut(&mut self, f: &mut StateDictVisitorMut<'_>) {
        f(CONV_WEIGHT, &[1, 1, 2, 2], &mut self.conv_weight);
        f(FC_WEIGHT, &[2, 3], &mut self.fc_weight);
        f(FC_BIAS, &[2], &mut self.fc_bias);
    }
}

/// One tensor to write: the name is JSON-quoted as given (so it may contain escapes).
#[derive(Clone, Debug)]
pub struct TensorSpec {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<u64>,
    pub data: Vec<u8>,
}

impl TensorSpec {
    pub fn f32(name: &str, shape: &[u64], values: &[f32]) -> Self {
        Self::raw(name, "F32", shape, values.iter().flat_map(|v| v.to_le_bytes()).collect())
    }

    pub fn raw(name: &str, dtype: &str, shape: &[u64], data: Vec<u8>) -> Self {
        Self { name: name.to_string(), dtype: dtype.to_string(), shape: shape.to_vec(), data }
    }
}

/// The JSON of one header entry.
pub fn entry_json(name: &str, dtype: &str, shape: &[u64], begin: u64, end: u64) -> String {
    let shape: Vec<String> = shape.iter().map(u64::to_string).collect();
    format!(
        r#""{name}":{{"dtype":"{dtype}","shape":[{}],"data_offsets":[{begin},{end}]}}"#,
        shape.join(",")
    )
}

/// A file with the tensors' data laid out in the given order, the header padded with spaces to
/// a multiple of 8 bytes as the Python writer does.
pub fn write_file(tensors: &[TensorSpec]) -> Vec<u8> {
    let mut entries = Vec::new();
    let mut data = Vec::new();
    for t in tensors {
        let begin = data.len() as u64;
        data.extend_from_slice(&t.data);
        entries.push(entry_json(&t.name, &t.dtype, &t.shape, begin, data.len() as u64));
    }
    let mut header = format!("{{{}}}", entries.join(","));
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    raw_file(&header, &data)
}

/// The length prefix, `header` and `data`.
pub fn raw_file(header: &str, data: &[u8]) -> Vec<u8> {
    let mut file = (header.len() as u64).to_le_bytes().to_vec();
    file.extend_from_slice(header.as_bytes());
    file.extend_from_slice(data);
    file
}
