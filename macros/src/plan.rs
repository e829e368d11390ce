//! The execution plan of one inference: which layers run as one step (an activation fused into
//! the convolution or linear layer before it), which run in place, which are free reshapes,
//! and where each activation lives (the caller's input and output, or the front or back of
//! the scratch buffer).

use crate::layers::{Layer, Op};

/// How a layer executes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Exec {
    /// A convolution or linear layer: a batch norm, an activation and (after a convolution) a
    /// pooling layer that follow it can be fused into it.
    Fusable,
    /// A convolution whose output a following pooling layer can consume channel by channel.
    FusableWithPool,
    /// An inference-time batch norm: folded into the layer before, or run in place.
    BatchNorm,
    /// An element-wise activation: fused into the layer before, or run in place.
    Activation,
    /// A pooling layer that can pool one channel at a time.
    Pool,
    /// Works in place but cannot be fused (layer norm, softmax, ...).
    InPlace,
    /// Only changes how the elements are indexed, or nothing: no code runs.
    View,
    /// Reads one buffer and writes another.
    Normal,
}

/// How `op` executes.
pub fn exec(op: &Op) -> Exec {
    match op {
        Op::Conv(c) if !c.transposed && c.axes <= 2 => Exec::FusableWithPool,
        Op::Conv(_) | Op::Linear(_) => Exec::Fusable,
        Op::BatchNorm(_) => Exec::BatchNorm,
        Op::Activation(_) => Exec::Activation,
        Op::Pool(_) => Exec::Pool,
        Op::LayerNorm(_) | Op::InstanceNorm(_) | Op::Softmax(_) => Exec::InPlace,
        Op::Flatten(_) | Op::Passthrough => Exec::View,
        Op::AdaptivePool(_) | Op::Upsample(_) | Op::Custom(_) => Exec::Normal,
    }
}

/// Where an activation lives.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Slot {
    /// The caller's input (read-only).
    Input,
    /// The caller's output.
    Output,
    /// The start of the scratch buffer.
    Front,
    /// The end of the scratch buffer.
    Back,
}

/// One step of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Runs `layer` from `from` into `to`, with the batch norm, activation and pooling layers
    /// that follow it fused in.
    Run { layer: usize, fused: Fused, from: Slot, to: Slot },
    /// Runs `layer` in place at `at`.
    InPlace { layer: usize, at: Slot },
    /// Copies the input to the output (a network of reshapes only).
    Copy,
}

/// The layers fused into a convolution or linear layer, by index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fused {
    /// A batch norm folded into the layer's output loop.
    pub batch_norm: Option<usize>,
    /// An activation applied in the output loop.
    pub activation: Option<usize>,
    /// A pooling layer applied to each output channel while it is in cache.
    pub pool: Option<usize>,
}

impl Fused {
    /// The index of the last layer this step covers, given its first.
    pub fn last(&self, layer: usize) -> usize {
        self.pool.or(self.activation).or(self.batch_norm).unwrap_or(layer)
    }
}

/// Plans the steps of `layers` (all resolved, in order).
pub fn plan(layers: &[Layer]) -> Vec<Step> {
    let kinds: Vec<Exec> = layers.iter().map(|l| exec(&l.op)).collect();
    plan_for_kinds(&kinds)
}

/// The layers after `layer` (of kind `kind`) that fuse into it: `[BatchNorm] [Activation]
/// [Pool]`, the pool only after a convolution that can feed it channel by channel.
fn fusion(kinds: &[Exec], layer: usize) -> Fused {
    let mut fused = Fused::default();
    let kind = kinds[layer];
    if !matches!(kind, Exec::Fusable | Exec::FusableWithPool) {
        return fused;
    }
    let mut next = layer + 1;
    if kinds.get(next) == Some(&Exec::BatchNorm) {
        fused.batch_norm = Some(next);
        next += 1;
    }
    if kinds.get(next) == Some(&Exec::Activation) {
        fused.activation = Some(next);
        next += 1;
    }
    if kind == Exec::FusableWithPool && kinds.get(next) == Some(&Exec::Pool) {
        fused.pool = Some(next);
    }
    fused
}

/// Plans layers of the given execution kinds. Layers that can work in place do so, except on
/// the caller's read-only input; the other layers alternate between the two ends of the
/// scratch buffer, and the last one that writes a buffer writes the caller's output.
fn plan_for_kinds(kinds: &[Exec]) -> Vec<Step> {
    let in_place = |k: &Exec| matches!(k, Exec::BatchNorm | Exec::Activation | Exec::InPlace);
    let mut steps = Vec::new();
    let mut current = Slot::Input;
    let mut i = 0;
    while i < kinds.len() {
        let kind = kinds[i];
        if kind == Exec::View {
            i += 1;
            continue;
        }
        if in_place(&kind) && current != Slot::Input {
            steps.push(Step::InPlace { layer: i, at: current });
            i += 1;
            continue;
        }
        let fused = fusion(kinds, i);
        let last = fused.last(i);
        // The output is the last buffer written: after it only views and in-place layers.
        let is_last_write = kinds[last + 1..].iter().all(|k| *k == Exec::View || in_place(k));
        let to = if is_last_write {
            Slot::Output
        } else if current == Slot::Front {
            Slot::Back
        } else {
            Slot::Front
        };
        steps.push(Step::Run { layer: i, fused, from: current, to });
        current = to;
        i = last + 1;
    }
    if current == Slot::Input {
        steps.push(Step::Copy);
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::{Exec, Fused, Slot, Step};

    /// Plans a list of execution kinds directly (the planner reads only the kinds).
    fn plan_kinds(kinds: &[Exec]) -> Vec<Step> {
        super::plan_for_kinds(kinds)
    }

    fn fused(batch_norm: Option<usize>, activation: Option<usize>, pool: Option<usize>) -> Fused {
        Fused { batch_norm, activation, pool }
    }

    #[test]
    fn conv_relu_pool_flatten_linear() {
        use Exec::*;
        let steps =
            plan_kinds(&[FusableWithPool, Activation, Pool, View, Fusable, Activation, Fusable]);
        assert_eq!(
            steps,
            vec![
                Step::Run {
                    layer: 0,
                    fused: fused(None, Some(1), Some(2)),
                    from: Slot::Input,
                    to: Slot::Front
                },
                Step::Run {
                    layer: 4,
                    fused: fused(None, Some(5), None),
                    from: Slot::Front,
                    to: Slot::Back
                },
                Step::Run { layer: 6, fused: Fused::default(), from: Slot::Back, to: Slot::Output },
            ]
        );
    }

    #[test]
    fn batch_norm_folds_after_conv_and_runs_in_place_elsewhere() {
        use Exec::*;
        let steps = plan_kinds(&[FusableWithPool, BatchNorm, Activation, Normal, BatchNorm]);
        assert_eq!(
            steps,
            vec![
                Step::Run {
                    layer: 0,
                    fused: fused(Some(1), Some(2), None),
                    from: Slot::Input,
                    to: Slot::Front
                },
                Step::Run {
                    layer: 3,
                    fused: Fused::default(),
                    from: Slot::Front,
                    to: Slot::Output
                },
                Step::InPlace { layer: 4, at: Slot::Output },
            ]
        );
    }

    #[test]
    fn trailing_activation_runs_in_place_on_the_output() {
        use Exec::*;
        let steps = plan_kinds(&[Normal, Activation]);
        assert_eq!(
            steps,
            vec![
                Step::Run {
                    layer: 0,
                    fused: Fused::default(),
                    from: Slot::Input,
                    to: Slot::Output
                },
                Step::InPlace { layer: 1, at: Slot::Output },
            ]
        );
        assert_eq!(plan_kinds(&[View]), vec![Step::Copy]);
        assert_eq!(
            plan_kinds(&[Activation]),
            vec![Step::Run {
                layer: 0,
                fused: Fused::default(),
                from: Slot::Input,
                to: Slot::Output
            }]
        );
    }
}
