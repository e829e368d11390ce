//! The layers, named and parameterised as in `torch.nn`.
//!
//! Hyper-parameters are types (`typenum` numbers, pairs of them, or markers such as
//! [`Same`](crate::window::Same)), so each layer type knows its output shape for every input
//! shape it accepts. Layers with parameters hold them in PyTorch's layout.

mod activation;
mod chain;
pub mod combine;
mod conv;
mod linear;
mod norm;
pub(crate) mod pool;
pub mod quantized;
mod shape_ops;
mod softmax;
mod upsample;

pub use activation::{
    ELU, GELU, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU, ReLU, ReLU6, SiLU, Sigmoid, Softplus,
    Tanh,
};
pub use chain::Chain;
pub use conv::{
    Conv, Conv1d, Conv1dSpec, Conv2d, Conv2dSpec, Conv3d, Conv3dSpec, ConvGeom, ConvSpec,
    ConvTranspose2d, ConvTranspose2dSpec,
};
pub use linear::Linear;
pub use norm::{
    Batch, BatchNorm, BatchNorm1d, BatchNorm2d, BatchNormEpilogue, ChannelNorm, Instance,
    InstanceNorm2d, LayerNorm, Norm, NormSpec,
};
pub use pool::{
    AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d, PlanePool,
    PoolGeom, PoolKind, PoolWindow,
};
pub use shape_ops::{Dropout, Flatten, Identity, Reshape};
pub use softmax::{LogSoftmax, Softmax};
pub use upsample::Upsample;
