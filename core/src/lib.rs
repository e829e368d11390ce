//! The `no_std` runtime of [staticnn](https://docs.rs/staticnn): type-level shapes, layers and
//! kernels. Most users reach it through the `staticnn` crate and its `network!` macro.
//!
//! - [`shape`]: shapes as types ([`Chw`](shape::Chw), [`Vector`](shape::Vector), ...).
//! - [`tensor`]: [`Tensor<S>`](tensor::Tensor), storage shaped by `S`.
//! - [`layer`]: the [`Layer`](layer::Layer) trait and the named shape constraints.
//! - [`layers`]: `Conv2d`, `MaxPool2d`, `Linear`, ... with PyTorch's parameters.
//! - [`kernels`]: the arithmetic, on slices, with constant sizes.
//! - [`window`]: PyTorch's output-size formulas as type-level arithmetic.
#![no_std]
#![deny(missing_docs)]
#![warn(clippy::pedantic)]
#![allow(
    clippy::module_name_repetitions,
    clippy::similar_names,
    clippy::many_single_char_names,
    clippy::cast_precision_loss,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss,
    clippy::cast_possible_truncation,
    clippy::inline_always,
    clippy::too_many_arguments
)]

pub mod init;
pub mod kernels;
pub mod layer;
pub mod layers;
pub mod params;
pub mod shape;
pub mod tensor;
pub mod window;

pub use generic_array;
pub use typenum;
