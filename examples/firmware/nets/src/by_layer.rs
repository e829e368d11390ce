//! Runs a network one step at a time, with a hook between steps: the firmware reads its
//! instruction counter there to time each layer.
//!
//! A run repeats what `network!` plans for `forward_into`: the first step reads the input, the
//! following ones alternate between the front and the back of the network's own scratch
//! buffer, an activation after a convolution or linear layer is fused into it, `Flatten` is a
//! free view, and the last step writes the output. The output is the same as
//! `forward_into`'s (the host test checks it). Each step is compiled as a function of its own,
//! while `forward_into` lets the optimiser inline all layers into one function, so the sum of
//! the steps' instruction counts is close to, not equal to, the count of `forward_into`.
//!
//! ```ignore
//! Run::first(scratch, probe, input, &Fused(&net.layer0, &net.layer1))
//!     .then(&Plain(&net.layer2))
//!     .flatten()
//!     .last(&Plain(&net.layer4), output)
//! ```

use core::marker::PhantomData;
use core::ops::Mul;

use staticnn::generic_array::ArrayLength;
use staticnn::layer::{Activation, Fusable, Layer};
use staticnn::layers::{Conv, ConvSpec, Linear, MaxPool2d};
use staticnn::params::BiasFlag;
use staticnn::scratch::Scratch;
use staticnn::shape::{Shape, Vector};
use staticnn::tensor::Tensor;
use staticnn::typenum::{Prod, Unsigned};

/// One step of a run: layers `first..=last` of the network (two when an activation is fused).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Step {
    /// Index of the step's first layer (`layer0` is 0).
    pub first: usize,
    /// Index of its last layer.
    pub last: usize,
    /// Multiply-accumulates of the step (convolution: output elements x `in_channels / groups` x
    /// kernel taps; linear: in x out; others 0).
    pub macs: usize,
}

/// Told about each step of a run: `before` just before it starts, `after` just after it ends.
pub trait Probe {
    /// A step is about to run.
    fn before(&mut self);
    /// `step` has run.
    fn after(&mut self, step: Step);
}

/// A probe that does nothing.
impl Probe for () {
    fn before(&mut self) {}
    fn after(&mut self, _: Step) {}
}

/// Multiply-accumulates of a layer on input shape `In`.
pub trait Macs<In: Shape>: Layer<In> {
    /// The count.
    const MACS: usize;
}

impl<S: ConvSpec, In: Shape> Macs<In> for Conv<S>
where
    Self: Layer<In>,
{
    // Every output element takes in_channels / groups x taps weights: the weights of one
    // output channel.
    const MACS: usize = <<Self as Layer<In>>::Output as Shape>::NUMEL
        / <S::OutChannels as Unsigned>::USIZE
        * Self::WEIGHT_LEN;
}

impl<I, O, B, N> Macs<Vector<N>> for Linear<I, O, B>
where
    O: Mul<I> + Mul<B::PerOutput>,
    B: BiasFlag,
    Prod<O, I>: ArrayLength,
    Prod<O, B::PerOutput>: ArrayLength,
    Vector<N>: Shape,
    Self: Layer<Vector<N>>,
{
    // One weight per multiply-accumulate: in_features x out_features.
    const MACS: usize = <Prod<O, I> as Unsigned>::USIZE;
}

impl<K, S, P, D, C, In: Shape> Macs<In> for MaxPool2d<K, S, P, D, C>
where
    Self: Layer<In>,
{
    const MACS: usize = 0;
}

/// What one step computes from an input of shape `In`.
pub trait Op<In: Shape> {
    /// The output shape.
    type Output: Shape;
    /// How many of the network's layers the step covers.
    const LAYERS: usize;
    /// Its multiply-accumulates.
    const MACS: usize;
    /// Computes the step.
    fn run(&self, input: &Tensor<In>, output: &mut Tensor<Self::Output>);
}

/// A layer on its own.
pub struct Plain<'a, L>(pub &'a L);

/// A convolution or linear layer with the activation that follows it applied as it writes.
pub struct Fused<'a, L, A>(pub &'a L, pub &'a A);

impl<In: Shape, L: Macs<In>> Op<In> for Plain<'_, L> {
    type Output = L::Output;
    const LAYERS: usize = 1;
    const MACS: usize = L::MACS;
    #[inline(always)]
    fn run(&self, input: &Tensor<In>, output: &mut Tensor<Self::Output>) {
        self.0.forward(input, output);
    }
}

impl<In: Shape, L: Fusable<In> + Macs<In>, A: Activation> Op<In> for Fused<'_, L, A> {
    type Output = L::Output;
    const LAYERS: usize = 2;
    const MACS: usize = L::MACS;
    #[inline(always)]
    fn run(&self, input: &Tensor<In>, output: &mut Tensor<Self::Output>) {
        self.0.forward_fused(input, output, self.1);
    }
}

/// Which end of the scratch buffer holds the current activation: [`Front`] or [`Back`]. A
/// type, not a value, so each step compiles to the same straight code as in `forward_into`.
pub trait End {
    /// The other end, where the next step writes.
    type Other: End;
    /// The activation `A` at this end (read) and `B` at the other (written).
    fn split<A: Shape, B: Shape, const LEN: usize>(
        scratch: &mut Scratch<LEN>,
    ) -> (&Tensor<A>, &mut Tensor<B>);
    /// The activation `A` at this end.
    fn get<A: Shape, const LEN: usize>(scratch: &mut Scratch<LEN>) -> &Tensor<A>;
}

/// The front of the scratch buffer.
pub struct Front;
/// The back of the scratch buffer.
pub struct Back;

impl End for Front {
    type Other = Back;
    #[inline(always)]
    fn split<A: Shape, B: Shape, const LEN: usize>(
        scratch: &mut Scratch<LEN>,
    ) -> (&Tensor<A>, &mut Tensor<B>) {
        scratch.front_to_back::<A, B>()
    }
    #[inline(always)]
    fn get<A: Shape, const LEN: usize>(scratch: &mut Scratch<LEN>) -> &Tensor<A> {
        scratch.front::<A>()
    }
}

impl End for Back {
    type Other = Front;
    #[inline(always)]
    fn split<A: Shape, B: Shape, const LEN: usize>(
        scratch: &mut Scratch<LEN>,
    ) -> (&Tensor<A>, &mut Tensor<B>) {
        scratch.back_to_front::<A, B>()
    }
    #[inline(always)]
    fn get<A: Shape, const LEN: usize>(scratch: &mut Scratch<LEN>) -> &Tensor<A> {
        scratch.back::<A>()
    }
}

/// A run in progress: the current activation, of shape `S`, is at the end `E` of `scratch`.
pub struct Run<'a, S: Shape, E: End, const LEN: usize, P: Probe> {
    scratch: &'a mut Scratch<LEN>,
    probe: &'a mut P,
    next_layer: usize,
    state: PhantomData<(S, E)>,
}

impl<'a, S: Shape, const LEN: usize, P: Probe> Run<'a, S, Front, LEN, P> {
    /// The first step: from the caller's input to the front of the scratch buffer.
    #[inline(always)]
    pub fn first<In: Shape, O: Op<In, Output = S>>(
        scratch: &'a mut Scratch<LEN>,
        probe: &'a mut P,
        input: &Tensor<In>,
        op: &O,
    ) -> Self {
        probe.before();
        run_step(op, input, scratch.front::<S>());
        probe.after(step::<In, O>(0));
        Run { scratch, probe, next_layer: O::LAYERS, state: PhantomData }
    }
}

impl<'a, S: Shape, E: End, const LEN: usize, P: Probe> Run<'a, S, E, LEN, P> {
    /// A middle step: from this end of the scratch buffer to the other.
    #[inline(always)]
    pub fn then<O: Op<S>>(self, op: &O) -> Run<'a, O::Output, E::Other, LEN, P> {
        let Run { scratch, probe, next_layer, .. } = self;
        probe.before();
        let (x, y) = E::split::<S, O::Output, LEN>(scratch);
        run_step(op, x, y);
        probe.after(step::<S, O>(next_layer));
        Run { scratch, probe, next_layer: next_layer + O::LAYERS, state: PhantomData }
    }

    /// `Flatten`: the same memory seen as a vector; no code runs, as in `forward_into`.
    #[inline(always)]
    #[must_use]
    pub fn flatten(self) -> Run<'a, Vector<S::Len>, E, LEN, P>
    where
        Vector<S::Len>: Shape,
    {
        let Run { scratch, probe, next_layer, .. } = self;
        Run { scratch, probe, next_layer: next_layer + 1, state: PhantomData }
    }

    /// The last step: from the scratch buffer to the caller's output. Returns the number of
    /// layers the run went through.
    #[inline(always)]
    pub fn last<O: Op<S>>(self, op: &O, output: &mut Tensor<O::Output>) -> usize {
        let Run { scratch, probe, next_layer, .. } = self;
        probe.before();
        run_step(op, E::get::<S, LEN>(scratch), output);
        probe.after(step::<S, O>(next_layer));
        next_layer + O::LAYERS
    }
}

/// Runs one step as a function of its own: its instruction count depends on the step alone,
/// not on the code the optimiser would otherwise merge it with.
#[inline(never)]
fn run_step<In: Shape, O: Op<In>>(op: &O, input: &Tensor<In>, output: &mut Tensor<O::Output>) {
    op.run(input, output);
}

fn step<S: Shape, O: Op<S>>(first: usize) -> Step {
    Step { first, last: first + O::LAYERS - 1, macs: O::MACS }
}
