//! The layers, named and parameterised as in `torch.nn`.
//!
//! Hyper-parameters are types (`typenum` numbers, pairs of them, or markers such as
//! [`Same`](crate::window::Same)), so each layer type knows its output shape for every input
//! shape it accepts. Layers with parameters hold them in PyTorch's layout.

mod activation;
mod chain;
mod conv;
mod linear;
mod pool;
mod shape_ops;

pub use activation::ReLU;
pub use chain::Chain;
pub use conv::{
    Conv, Conv1d, Conv1dSpec, Conv2d, Conv2dSpec, Conv3d, Conv3dSpec, ConvGeom, ConvSpec,
};
pub use linear::Linear;
pub use pool::{AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d, PoolGeom, PoolWindow};
pub use shape_ops::{Flatten, Reshape};
