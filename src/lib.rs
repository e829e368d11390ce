#![doc = include_str!("../README.md")]
#![no_std]

pub use staticnn_core::*;
pub use staticnn_macros::network;
