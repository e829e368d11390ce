//! The execution plan of one inference: which layers run as one step (an activation fused into
//! the convolution or linear layer before it), which run in place, which are free reshapes,
//! and where each activation lives (the caller's input and output, or the front or back of
//! the scratch buffer).

use crate::layers::{Layer, Op};

/// How a layer executes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Exec {
    /// A convolution or linear layer: a following activation can be fused into it.
    Fusable,
    /// An element-wise activation: fusable into the layer before, or run in place.
    Activation,
    /// Only changes how the elements are indexed: no code runs.
    View,
    /// Reads one buffer and writes another.
    Normal,
}

/// How `op` executes.
pub fn exec(op: &Op) -> Exec {
    match op {
        Op::Conv(_) | Op::Linear(_) => Exec::Fusable,
        Op::Activation(_) => Exec::Activation,
        Op::Flatten(_) => Exec::View,
        Op::Pool(_) | Op::Custom(_) => Exec::Normal,
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
    /// Runs `layer` (and the activation `fused` into it) from `from` into `to`.
    Run { layer: usize, fused: Option<usize>, from: Slot, to: Slot },
    /// Runs the activation `layer` in place at `at`.
    InPlace { layer: usize, at: Slot },
    /// Copies the input to the output (a network of reshapes only).
    Copy,
}

/// Plans the steps of `layers` (all resolved, in order).
pub fn plan(layers: &[Layer]) -> Vec<Step> {
    let kinds: Vec<Exec> = layers.iter().map(|l| exec(&l.op)).collect();
    plan_for_kinds(&kinds)
}

/// Plans layers of the given execution kinds. Activations run in place except on the
/// caller's read-only input; the other layers alternate between the two ends of the scratch
/// buffer, and the last one that writes a buffer writes the caller's output.
fn plan_for_kinds(kinds: &[Exec]) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut current = Slot::Input;
    let mut i = 0;
    while i < kinds.len() {
        let kind = kinds[i];
        match kind {
            Exec::View => {
                i += 1;
                continue;
            }
            Exec::Activation if current != Slot::Input => {
                steps.push(Step::InPlace { layer: i, at: current });
                i += 1;
                continue;
            }
            _ => {}
        }
        let fused =
            (kind == Exec::Fusable && kinds.get(i + 1) == Some(&Exec::Activation)).then_some(i + 1);
        let last = fused.unwrap_or(i);
        // The output is the last buffer written: after it only views and in-place layers.
        let is_last_write =
            kinds[last + 1..].iter().all(|k| matches!(k, Exec::View | Exec::Activation));
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
    use super::{Exec, Slot, Step};

    /// Plans a list of execution kinds directly (the planner reads only the kinds).
    fn plan_kinds(kinds: &[Exec]) -> Vec<Step> {
        super::plan_for_kinds(kinds)
    }

    #[test]
    fn conv_relu_pool_flatten_linear() {
        use Exec::*;
        let steps = plan_kinds(&[Fusable, Activation, Normal, View, Fusable, Activation, Fusable]);
        assert_eq!(
            steps,
            vec![
                Step::Run { layer: 0, fused: Some(1), from: Slot::Input, to: Slot::Front },
                Step::Run { layer: 2, fused: None, from: Slot::Front, to: Slot::Back },
                Step::Run { layer: 4, fused: Some(5), from: Slot::Back, to: Slot::Front },
                Step::Run { layer: 6, fused: None, from: Slot::Front, to: Slot::Output },
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
                Step::Run { layer: 0, fused: None, from: Slot::Input, to: Slot::Output },
                Step::InPlace { layer: 1, at: Slot::Output },
            ]
        );
        assert_eq!(plan_kinds(&[View]), vec![Step::Copy]);
        assert_eq!(
            plan_kinds(&[Activation]),
            vec![Step::Run { layer: 0, fused: None, from: Slot::Input, to: Slot::Output }]
        );
    }
}
