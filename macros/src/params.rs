//! The `state_dict` tensors each layer declares, in PyTorch's order, with their shapes: what a
//! weights file must contain.

use crate::layers::{Layer, Op};

/// One tensor a layer declares: its name inside the layer (`weight`) and PyTorch shape.
pub struct Declared {
    /// The name inside the layer.
    pub name: &'static str,
    /// The shape.
    pub dims: Vec<usize>,
}

fn tensor(name: &'static str, dims: Vec<usize>) -> Declared {
    Declared { name, dims }
}

/// The tensors of `layer`'s `state_dict`, in order. BatchNorm's `num_batches_tracked` is not
/// listed: staticnn does not need it and ignores it in files.
pub fn declared(layer: &Layer) -> Vec<Declared> {
    let mut out = Vec::new();
    match &layer.op {
        Op::Conv(c) => {
            let mut dims = if c.transposed {
                vec![c.in_channels, c.out_channels / c.groups]
            } else {
                vec![c.out_channels, c.in_channels / c.groups]
            };
            dims.extend(&c.kernel);
            out.push(tensor("weight", dims));
            if c.bias {
                out.push(tensor("bias", vec![c.out_channels]));
            }
        }
        Op::Linear(l) => {
            out.push(tensor("weight", vec![l.out_features, l.in_features]));
            if l.bias {
                out.push(tensor("bias", vec![l.out_features]));
            }
        }
        Op::BatchNorm(bn) => {
            let c = vec![bn.num_features];
            if bn.affine {
                out.push(tensor("weight", c.clone()));
            }
            if bn.affine && bn.bias {
                out.push(tensor("bias", c.clone()));
            }
            out.push(tensor("running_mean", c.clone()));
            out.push(tensor("running_var", c));
        }
        Op::LayerNorm(ln) => {
            if ln.elementwise_affine {
                out.push(tensor("weight", ln.normalized_shape.clone()));
                if ln.bias {
                    out.push(tensor("bias", ln.normalized_shape.clone()));
                }
            }
        }
        Op::InstanceNorm(n) => {
            let c = vec![n.num_features];
            if n.affine {
                out.push(tensor("weight", c.clone()));
            }
            if n.affine && n.bias {
                out.push(tensor("bias", c.clone()));
            }
            if n.track_running_stats {
                out.push(tensor("running_mean", c.clone()));
                out.push(tensor("running_var", c));
            }
        }
        Op::Pool(_)
        | Op::AdaptivePool(_)
        | Op::Flatten(_)
        | Op::Passthrough
        | Op::Activation(_)
        | Op::Softmax(_)
        | Op::Upsample(_)
        | Op::Custom(_) => {}
    }
    out
}
