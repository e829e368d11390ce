//! [`Network`]: what every struct made by `network!` implements.

use core::fmt;

use crate::shape::Shape;
use crate::tensor::Tensor;

/// A parameter's `state_dict` key, `prefix.name` (e.g. `features.0` + `weight`), kept in two
/// parts so that no string has to be built on a target without a heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamName {
    /// The layer's key: its name or `nn.Sequential` index, after any network-wide prefix.
    pub prefix: &'static str,
    /// The tensor's name inside the layer (`weight`, `bias`, `running_mean`, ...).
    pub name: &'static str,
}

impl ParamName {
    /// Whether `key` is `prefix.name`.
    #[must_use]
    pub fn matches(&self, key: &str) -> bool {
        key.len() == self.prefix.len() + 1 + self.name.len()
            && key.starts_with(self.prefix)
            && key.ends_with(self.name)
            && key.as_bytes().get(self.prefix.len()) == Some(&b'.')
    }
}

impl fmt::Display for ParamName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.prefix, self.name)
    }
}

/// The callback of [`Network::visit_parameters`]: `(key, PyTorch dims, values)`.
pub type StateDictVisitor<'v> = dyn FnMut(ParamName, &'static [usize], &[f32]) + 'v;

/// The callback of [`Network::visit_parameters_mut`]: `(key, PyTorch dims, values)`.
pub type StateDictVisitorMut<'v> = dyn FnMut(ParamName, &'static [usize], &mut [f32]) + 'v;

/// One row of a network's summary (like `torchinfo.summary`): available as the `LAYERS`
/// constant of every network, so a firmware can report it without running anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerSummary {
    /// The layer's `state_dict` key (its name, or its `nn.Sequential` index).
    pub name: &'static str,
    /// What PyTorch prints for the layer, e.g. `Conv2d(3, 6, kernel_size=(5, 5), stride=(1, 1))`.
    pub repr: &'static str,
    /// The layer's output dimensions (without the batch dimension).
    pub output_shape: &'static [usize],
    /// Learnable parameters of the layer.
    pub params: usize,
    /// Multiply-accumulates of the layer per inference (convolution and linear layers).
    pub macs: usize,
    /// Bytes of the layer's output activation.
    pub activation_bytes: usize,
}

/// One step of a network's execution plan (the `STEPS` constant of every network): one layer,
/// or a convolution or linear layer with the batch norm, activation and pooling fused into it,
/// or a layer running in place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepSummary {
    /// The `state_dict` names of the layers this step runs, e.g. `"0, 1"`.
    pub layers: &'static str,
    /// What runs, e.g. `"Conv2d + ReLU + MaxPool2d"`.
    pub name: &'static str,
    /// Multiply-accumulates of the step per inference.
    pub macs: usize,
}

/// A network declared with `network!`: typed input and output, planned working memory, and
/// its parameters under PyTorch's `state_dict` names.
pub trait Network {
    /// The input shape, e.g. `Chw<U3, U32, U32>`.
    type Input: Shape;
    /// The output shape, e.g. `Vector<U10>`.
    type Output: Shape;
    /// The working memory of one inference (a `Scratch<LEN>`).
    type Scratch;

    /// The input dimensions, as declared.
    const INPUT_SHAPE: &'static [usize];
    /// The output dimensions.
    const OUTPUT_SHAPE: &'static [usize];
    /// The number of learnable parameters.
    const PARAMS: usize;
    /// Multiply-accumulates of the convolution and linear layers per inference.
    const MACS: usize;
    /// The size of [`Network::Scratch`] in bytes.
    const SCRATCH_BYTES: usize;
    /// The execution plan: one row per step of [`Network::forward_into`].
    const STEPS: &'static [StepSummary];

    /// A zeroed scratch buffer.
    fn new_scratch() -> Self::Scratch;

    /// Runs the network like [`Network::forward_into`], calling `probe(i)` before step `i` of
    /// [`Network::STEPS`] and `probe(STEPS.len())` after the last (to time each step on a
    /// target).
    fn forward_into_probed<P: FnMut(usize)>(
        &self,
        input: &Tensor<Self::Input>,
        output: &mut Tensor<Self::Output>,
        scratch: &mut Self::Scratch,
        probe: &mut P,
    );

    /// Runs the network on `input`, writing `output`, with `scratch` as working memory. Neither
    /// allocates nor panics.
    fn forward_into(
        &self,
        input: &Tensor<Self::Input>,
        output: &mut Tensor<Self::Output>,
        scratch: &mut Self::Scratch,
    ) {
        self.forward_into_probed(input, output, scratch, &mut |_| {});
    }

    /// Runs the network and returns the output. This default builds the scratch buffer on the
    /// stack; networks made by `network!` use their own `forward`, which takes a scratch
    /// buffer larger than [`Scratch::HEAP_ABOVE_BYTES`](crate::scratch::Scratch::HEAP_ABOVE_BYTES)
    /// from the heap when the `alloc` feature is on.
    fn forward(&self, input: &Tensor<Self::Input>) -> Tensor<Self::Output> {
        let mut output = Tensor::zeros();
        let mut scratch = Self::new_scratch();
        self.forward_into(input, &mut output, &mut scratch);
        output
    }

    /// Calls `f` for every tensor of the `state_dict`, in PyTorch's order.
    fn visit_parameters(&self, f: &mut StateDictVisitor<'_>);

    /// Calls `f` for every tensor of the `state_dict`, mutably (to load weights).
    fn visit_parameters_mut(&mut self, f: &mut StateDictVisitorMut<'_>);
}

#[cfg(test)]
mod tests {
    use super::ParamName;

    #[test]
    fn names_match_whole_keys_only() {
        let n = ParamName { prefix: "features.0", name: "weight" };
        assert!(n.matches("features.0.weight"));
        assert!(!n.matches("features.0weight"));
        assert!(!n.matches("features.0.weights"));
        assert!(!n.matches("features.10.weight"));
    }
}
