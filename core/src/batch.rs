//! Running a network on a batch: every layer works per sample at inference, so sample `n` of
//! the output depends only on sample `n` of the input.
//!
//! Without the `parallel` feature (and on `no_std` targets) the samples run one after the
//! other with the caller's scratch buffer. With it (on by default in the `staticnn` crate), a
//! network that is `Sync` splits the batch into one run of consecutive samples per core of
//! [rayon](https://docs.rs/rayon)'s thread pool: the first run uses the caller's scratch
//! buffer, every other run a zeroed one of its own on the heap. Each sample is computed by the
//! same `forward_into` as in the sequential loop, and `forward_into` reads nothing of the
//! scratch buffer that it has not written in the same call, so the outputs are identical bit
//! for bit. A network with a layer of the user's own that is not `Sync` keeps the sequential
//! loop (`network!` chooses at compile time).

use crate::network::Network;
use crate::tensor::Tensor;

/// Runs `net` on `inputs[n]`, writing `outputs[n]`, one sample after the other with one
/// scratch buffer; extra inputs or outputs beyond the shorter slice are left alone.
pub fn sequential<N: Network>(
    net: &N,
    inputs: &[Tensor<N::Input>],
    outputs: &mut [Tensor<N::Output>],
    scratch: &mut N::Scratch,
) {
    for (input, output) in inputs.iter().zip(outputs.iter_mut()) {
        net.forward_into(input, output, scratch);
    }
}

/// Runs `net` on `inputs[n]`, writing `outputs[n]`, split across rayon's threads: one run of
/// consecutive samples per thread, the first with `scratch`, the others each with a zeroed
/// scratch buffer of their own on the heap. Outputs are identical to [`sequential`]'s.
#[cfg(feature = "parallel")]
pub fn parallel<N, const LEN: usize>(
    net: &N,
    inputs: &[Tensor<N::Input>],
    outputs: &mut [Tensor<N::Output>],
    scratch: &mut crate::scratch::Scratch<LEN>,
) where
    N: Network<Scratch = crate::scratch::Scratch<LEN>> + Sync,
    Tensor<N::Input>: Sync,
    Tensor<N::Output>: Send,
{
    use rayon::prelude::*;

    let len = inputs.len().min(outputs.len());
    let (Some(inputs), Some(outputs)) = (inputs.get(..len), outputs.get_mut(..len)) else {
        return;
    };
    let workers = rayon::current_num_threads().min(len);
    if workers < 2 {
        sequential(net, inputs, outputs, scratch);
        return;
    }
    let run = len.div_ceil(workers);
    // The kernels' instruction-set level is per thread (`kernels::isa::with_level`) and every
    // run below may go to one of rayon's threads (even the first, when the caller is not one):
    // each runs at the caller's level, so a batch gives what the caller's `forward` gives. The
    // caller's level is available on this CPU, so `with_level` always runs its closure.
    let level = crate::kernels::isa::active();
    let (first_inputs, other_inputs) = inputs.split_at(run);
    let (first_outputs, other_outputs) = outputs.split_at_mut(run);
    rayon::join(
        || {
            crate::kernels::isa::with_level(level, || {
                sequential(net, first_inputs, first_outputs, scratch);
            })
        },
        || {
            other_inputs.par_chunks(run).zip(other_outputs.par_chunks_mut(run)).for_each(
                |(inputs, outputs)| {
                    let mut own = crate::scratch::Scratch::<LEN>::boxed();
                    crate::kernels::isa::with_level(level, || {
                        sequential(net, inputs, outputs, &mut own);
                    });
                },
            );
        },
    );
}

/// The choice between `parallel` and [`sequential`] for the code `network!` generates, by
/// auto-ref specialisation: `(&&Batch(net)).forward_batch_into(..)` finds `ParallelBatch`
/// first when the network is `Sync` (and the `parallel` feature is on), and falls back to
/// [`SequentialBatch`](dispatch::SequentialBatch) otherwise. Not a stable API.
#[doc(hidden)]
pub mod dispatch {
    use super::{Network, Tensor};

    /// A network to run on a batch.
    pub struct Batch<'a, N>(pub &'a N);

    /// Runs the batch one sample after the other.
    pub trait SequentialBatch {
        /// The network.
        type Net: Network;
        /// See [`super::sequential`].
        fn forward_batch_into(
            &self,
            inputs: &[Tensor<<Self::Net as Network>::Input>],
            outputs: &mut [Tensor<<Self::Net as Network>::Output>],
            scratch: &mut <Self::Net as Network>::Scratch,
        );
    }

    impl<N: Network> SequentialBatch for Batch<'_, N> {
        type Net = N;
        #[inline]
        fn forward_batch_into(
            &self,
            inputs: &[Tensor<N::Input>],
            outputs: &mut [Tensor<N::Output>],
            scratch: &mut N::Scratch,
        ) {
            super::sequential(self.0, inputs, outputs, scratch);
        }
    }

    /// Runs the batch across rayon's threads.
    #[cfg(feature = "parallel")]
    pub trait ParallelBatch {
        /// The network.
        type Net: Network;
        /// See [`super::parallel`].
        fn forward_batch_into(
            &self,
            inputs: &[Tensor<<Self::Net as Network>::Input>],
            outputs: &mut [Tensor<<Self::Net as Network>::Output>],
            scratch: &mut <Self::Net as Network>::Scratch,
        );
    }

    #[cfg(feature = "parallel")]
    impl<N, const LEN: usize> ParallelBatch for &Batch<'_, N>
    where
        N: Network<Scratch = crate::scratch::Scratch<LEN>> + Sync,
        Tensor<N::Input>: Sync,
        Tensor<N::Output>: Send,
    {
        type Net = N;
        #[inline]
        fn forward_batch_into(
            &self,
            inputs: &[Tensor<N::Input>],
            outputs: &mut [Tensor<N::Output>],
            scratch: &mut crate::scratch::Scratch<LEN>,
        ) {
            super::parallel(self.0, inputs, outputs, scratch);
        }
    }
}

/// `forward_batch_into` for `network!`: [`parallel`] when the `parallel` feature is on and the
/// network is `Sync`, else [`sequential`].
#[cfg(feature = "parallel")]
#[doc(hidden)]
#[macro_export]
macro_rules! __staticnn_forward_batch_into {
    ($net:expr, $inputs:expr, $outputs:expr, $scratch:expr $(,)?) => {{
        #[allow(unused_imports)]
        use $crate::batch::dispatch::{ParallelBatch as _, SequentialBatch as _};
        (&&$crate::batch::dispatch::Batch($net)).forward_batch_into($inputs, $outputs, $scratch)
    }};
}

/// `forward_batch_into` for `network!`: [`sequential`] (the `parallel` feature is off).
#[cfg(not(feature = "parallel"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __staticnn_forward_batch_into {
    ($net:expr, $inputs:expr, $outputs:expr, $scratch:expr $(,)?) => {
        $crate::batch::sequential($net, $inputs, $outputs, $scratch)
    };
}
