//! Type-level arithmetic of sliding windows: PyTorch's output-size formulas as traits.
//!
//! Every size is a [`typenum`] number, so the compiler evaluates the formulas and a window that
//! does not fit is a type error reported through [`WindowFits`].

use core::marker::PhantomData;
use core::ops::{Add, Div, Mul, Sub};
use typenum::{
    B1, Bit, Diff, GrEq, IsGreaterOrEqual, Max, Maximum, Prod, Quot, Sub1, Sum, U0, U1, U2, UInt,
    UTerm, Unsigned,
};

use crate::layer::{NonZero, WindowFits};

/// A hyper-parameter given for two axes: one number for both (`U3`) or a tuple `(U3, U5)`,
/// like PyTorch's `kernel_size=3` and `kernel_size=(3, 5)`.
pub trait Pair {
    /// The value along the height axis.
    type H: Unsigned;
    /// The value along the width axis.
    type W: Unsigned;
}

impl Pair for UTerm {
    type H = UTerm;
    type W = UTerm;
}

impl<U: Unsigned, B: Bit> Pair for UInt<U, B> {
    type H = Self;
    type W = Self;
}

impl<A: Unsigned, B: Unsigned> Pair for (A, B) {
    type H = A;
    type W = B;
}

/// A hyper-parameter given for three axes: one number for all or a tuple `(D, H, W)`.
pub trait Triple {
    /// The value along the depth axis.
    type D: Unsigned;
    /// The value along the height axis.
    type H: Unsigned;
    /// The value along the width axis.
    type W: Unsigned;
}

impl Triple for UTerm {
    type D = UTerm;
    type H = UTerm;
    type W = UTerm;
}

impl<U: Unsigned, B: Bit> Triple for UInt<U, B> {
    type D = Self;
    type H = Self;
    type W = Self;
}

impl<A: Unsigned, B: Unsigned, C: Unsigned> Triple for (A, B, C) {
    type D = A;
    type H = B;
    type W = C;
}

/// The zero padding added before and after one axis.
pub trait AxisPadding<K, D> {
    /// Padding before the first element (top or left).
    type Before: Unsigned;
    /// Padding after the last element (bottom or right).
    type After: Unsigned;
}

/// PyTorch's `padding="same"`: the output has the input's length (stride 1 only). The total
/// `dilation * (kernel_size - 1)` is split with the smaller half before, as torch does.
pub struct Same;

/// PyTorch's `padding="valid"`: no padding.
pub struct Valid;

/// Symmetric padding of `P` on both sides of one axis (an integer `padding` in PyTorch).
pub struct Symmetric<P>(PhantomData<P>);

/// Explicit padding: `B` before and `A` after (what `"same"` resolves to).
pub struct Explicit<B, A>(PhantomData<(B, A)>);

impl<P: Unsigned, K, D> AxisPadding<K, D> for Symmetric<P> {
    type Before = P;
    type After = P;
}

impl<B: Unsigned, A: Unsigned, K, D> AxisPadding<K, D> for Explicit<B, A> {
    type Before = B;
    type After = A;
}

impl<K, D> AxisPadding<K, D> for Valid {
    type Before = U0;
    type After = U0;
}

impl<K, D> AxisPadding<K, D> for Same
where
    K: Sub<B1>,
    D: Mul<Sub1<K>>,
    Prod<D, Sub1<K>>: Div<U2> + Sub<Quot<Prod<D, Sub1<K>>, U2>>,
    Quot<Prod<D, Sub1<K>>, U2>: Unsigned,
    Diff<Prod<D, Sub1<K>>, Quot<Prod<D, Sub1<K>>, U2>>: Unsigned,
{
    type Before = Quot<Prod<D, Sub1<K>>, U2>;
    type After = Diff<Prod<D, Sub1<K>>, Quot<Prod<D, Sub1<K>>, U2>>;
}

/// A convolution's `padding` for two axes: a number or pair (symmetric), [`Same`] or [`Valid`].
pub trait Padding2<K: Pair, D: Pair> {
    /// The padding of the height axis.
    type H: AxisPadding<K::H, D::H>;
    /// The padding of the width axis.
    type W: AxisPadding<K::W, D::W>;
}

impl<P: Pair, K: Pair, D: Pair> Padding2<K, D> for P {
    type H = Symmetric<P::H>;
    type W = Symmetric<P::W>;
}

impl<K: Pair, D: Pair> Padding2<K, D> for Valid {
    type H = Valid;
    type W = Valid;
}

impl<K: Pair, D: Pair> Padding2<K, D> for Same
where
    Same: AxisPadding<K::H, D::H> + AxisPadding<K::W, D::W>,
{
    type H = Same;
    type W = Same;
}

/// A convolution's `padding` for three axes: a number or triple (symmetric), [`Same`] or
/// [`Valid`].
pub trait Padding3<K: Triple, D: Triple> {
    /// The padding of the depth axis.
    type D: AxisPadding<K::D, D::D>;
    /// The padding of the height axis.
    type H: AxisPadding<K::H, D::H>;
    /// The padding of the width axis.
    type W: AxisPadding<K::W, D::W>;
}

impl<P: Triple, K: Triple, D: Triple> Padding3<K, D> for P {
    type D = Symmetric<P::D>;
    type H = Symmetric<P::H>;
    type W = Symmetric<P::W>;
}

impl<K: Triple, D: Triple> Padding3<K, D> for Valid {
    type D = Valid;
    type H = Valid;
    type W = Valid;
}

impl<K: Triple, D: Triple> Padding3<K, D> for Same
where
    Same: AxisPadding<K::D, D::D> + AxisPadding<K::H, D::H> + AxisPadding<K::W, D::W>,
{
    type D = Same;
    type H = Same;
    type W = Same;
}

/// A convolution's `padding` for one axis: a number (symmetric), [`Same`] or [`Valid`].
pub trait Padding1<K, D> {
    /// The padding of the only axis.
    type L: AxisPadding<K, D>;
}

impl<P: Unsigned, K, D> Padding1<K, D> for P {
    type L = Symmetric<P>;
}

impl<K, D> Padding1<K, D> for Valid {
    type L = Valid;
}

impl<K, D> Padding1<K, D> for Same
where
    Same: AxisPadding<K, D>,
{
    type L = Same;
}

/// Padding before the input along one axis.
pub type Before<A, K, D> = <A as AxisPadding<K, D>>::Before;
/// Padding after the input along one axis.
pub type After<A, K, D> = <A as AxisPadding<K, D>>::After;

/// The dilated extent of a window: `dilation * (kernel_size - 1) + 1`.
pub type Span<K, D> = Sum<Prod<D, Sub1<K>>, U1>;

/// The input length with padding on both sides.
pub type Padded<L, Before, After> = Sum<Sum<L, Before>, After>;

/// Output length of a sliding window along one axis:
/// `floor((L + before + after - dilation * (kernel_size - 1) - 1) / stride) + 1`.
///
/// Implemented for the input length `L`. The window must fit in the padded input, reported
/// as [`WindowFits`] when it does not.
pub trait SlidingOut<Before, After, K, S, D> {
    /// The output length.
    type Output: Unsigned;
}

impl<L, Before, After, K, S, D> SlidingOut<Before, After, K, S, D> for L
where
    L: Add<Before>,
    Sum<L, Before>: Add<After>,
    K: Sub<B1>,
    D: Mul<Sub1<K>>,
    Prod<D, Sub1<K>>: Add<U1>,
    Padded<L, Before, After>: IsGreaterOrEqual<Span<K, D>> + Max<Span<K, D>>,
    GrEq<Padded<L, Before, After>, Span<K, D>>: WindowFits,
    Maximum<Padded<L, Before, After>, Span<K, D>>: Sub<Span<K, D>>,
    Diff<Maximum<Padded<L, Before, After>, Span<K, D>>, Span<K, D>>: Div<S>,
    Quot<Diff<Maximum<Padded<L, Before, After>, Span<K, D>>, Span<K, D>>, S>: Add<U1>,
    Sum<Quot<Diff<Maximum<Padded<L, Before, After>, Span<K, D>>, Span<K, D>>, S>, U1>:
        Unsigned + NonZero,
{
    // `Maximum` keeps the subtraction from underflowing, so a window that does not fit is
    // reported once, by `WindowFits`, instead of as an unimplemented `Sub`.
    type Output = Sum<Quot<Diff<Maximum<Padded<L, Before, After>, Span<K, D>>, Span<K, D>>, S>, U1>;
}

/// Output length of a pooling window with `ceil_mode=True`:
/// `ceil((L + 2p - dilation * (k - 1) - 1) / stride) + 1`, minus one when the last window would
/// start in the right padding (PyTorch's rule: it must start inside the input or left padding).
/// As in PyTorch, the window may overhang the padded input by up to `stride - 1` (it is
/// clipped), so only `L + 2p + stride - 1 >= dilation * (k - 1) + 1` is required.
pub trait SlidingOutCeil<P, K, S, D> {
    /// The output length.
    type Output: Unsigned;
}

/// The padded length plus `stride - 1`: how far PyTorch lets the last window reach in ceil mode.
type Reach<L, P, S> = Sum<Padded<L, P, P>, Sub1<S>>;

/// `ceil((padded - span) / stride) + 1`, before PyTorch's last-window correction.
type CeilCount<L, P, K, S, D> =
    Sum<Quot<Diff<Maximum<Reach<L, P, S>, Span<K, D>>, Span<K, D>>, S>, U1>;

impl<L, P, K, S, D> SlidingOutCeil<P, K, S, D> for L
where
    L: Add<P>,
    Sum<L, P>: Add<P>,
    S: Sub<B1>,
    Padded<L, P, P>: Add<Sub1<S>>,
    K: Sub<B1>,
    D: Mul<Sub1<K>>,
    Prod<D, Sub1<K>>: Add<U1>,
    Reach<L, P, S>: IsGreaterOrEqual<Span<K, D>> + Max<Span<K, D>>,
    GrEq<Reach<L, P, S>, Span<K, D>>: WindowFits,
    Maximum<Reach<L, P, S>, Span<K, D>>: Sub<Span<K, D>>,
    Diff<Maximum<Reach<L, P, S>, Span<K, D>>, Span<K, D>>: Div<S>,
    Quot<Diff<Maximum<Reach<L, P, S>, Span<K, D>>, Span<K, D>>, S>: Add<U1>,
    CeilCount<L, P, K, S, D>: Sub<B1>,
    Sub1<CeilCount<L, P, K, S, D>>: Mul<S>,
    Prod<Sub1<CeilCount<L, P, K, S, D>>, S>: IsGreaterOrEqual<Sum<L, P>>,
    CeilCount<L, P, K, S, D>: Sub<GrEq<Prod<Sub1<CeilCount<L, P, K, S, D>>, S>, Sum<L, P>>>,
    Diff<CeilCount<L, P, K, S, D>, GrEq<Prod<Sub1<CeilCount<L, P, K, S, D>>, S>, Sum<L, P>>>:
        Unsigned + NonZero,
{
    type Output =
        Diff<CeilCount<L, P, K, S, D>, GrEq<Prod<Sub1<CeilCount<L, P, K, S, D>>, S>, Sum<L, P>>>;
}

/// Output length of a pooling window along one axis, with symmetric padding `P`: the floor
/// formula for `Ceil = B0`, the ceil formula (with its last-window rule) for `Ceil = B1`.
pub trait PoolOut<P, K, S, D, Ceil> {
    /// The output length.
    type Output: Unsigned;
}

impl<L, P, K, S, D> PoolOut<P, K, S, D, typenum::B0> for L
where
    L: SlidingOut<P, P, K, S, D>,
{
    type Output = <L as SlidingOut<P, P, K, S, D>>::Output;
}

impl<L, P, K, S, D> PoolOut<P, K, S, D, B1> for L
where
    L: SlidingOutCeil<P, K, S, D>,
{
    type Output = <L as SlidingOutCeil<P, K, S, D>>::Output;
}

/// Output length of a transposed convolution along one axis:
/// `(L - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1`.
pub trait TransposedOut<P, K, S, D, OP> {
    /// The output length.
    type Output: Unsigned;
}

impl<L, P, K, S, D, OP> TransposedOut<P, K, S, D, OP> for L
where
    L: Sub<B1>,
    Sub1<L>: Mul<S>,
    K: Sub<B1>,
    D: Mul<Sub1<K>>,
    Prod<D, Sub1<K>>: Add<U1>,
    Prod<Sub1<L>, S>: Add<Span<K, D>>,
    Sum<Prod<Sub1<L>, S>, Span<K, D>>: Add<OP>,
    P: Mul<U2>,
    Sum<Sum<Prod<Sub1<L>, S>, Span<K, D>>, OP>: Sub<Prod<P, U2>>,
    Diff<Sum<Sum<Prod<Sub1<L>, S>, Span<K, D>>, OP>, Prod<P, U2>>: Unsigned + NonZero,
{
    type Output = Diff<Sum<Sum<Prod<Sub1<L>, S>, Span<K, D>>, OP>, Prod<P, U2>>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use typenum::{U3, U5, U6, U7, U10, U14, U28, U32};

    type Out<L, P, K, S, D> = <L as SlidingOut<P, P, K, S, D>>::Output;
    type OutCeil<L, P, K, S, D> = <L as SlidingOutCeil<P, K, S, D>>::Output;

    #[test]
    fn floor_formula_matches_pytorch() {
        assert_eq!(Out::<U32, U0, U5, U1, U1>::USIZE, 28);
        assert_eq!(Out::<U32, U2, U5, U1, U1>::USIZE, 32);
        assert_eq!(Out::<U28, U0, U2, U2, U1>::USIZE, 14);
        assert_eq!(Out::<U10, U1, U3, U2, U2>::USIZE, 4); // (10 + 2 - 4 - 1) / 2 + 1
        assert_eq!(Out::<U7, U0, U7, U1, U1>::USIZE, 1);
    }

    #[test]
    fn ceil_mode_and_its_last_window_rule() {
        assert_eq!(OutCeil::<U5, U0, U2, U2, U1>::USIZE, 3); // floor would give 2
        assert_eq!(OutCeil::<U14, U0, U2, U2, U1>::USIZE, 7);
        // L=6, k=3, s=3, p=1: ceil((8-3)/3)+1 = 3, the third window starts at 6 >= 6+1? no: stays 3
        assert_eq!(OutCeil::<U6, U1, U3, U3, U1>::USIZE, 3);
        // L=5, k=2, s=2, p=1: ceil(5/2)+1 = 4, last start (3*2=6) >= 5+1 -> 3
        assert_eq!(OutCeil::<U5, U1, U2, U2, U1>::USIZE, 3);
        // The window may overhang by stride - 1: L=3, k=4, s=4 gives one (clipped) window.
        assert_eq!(OutCeil::<U3, U0, typenum::U4, typenum::U4, U1>::USIZE, 1);
    }

    #[test]
    fn same_padding_splits_like_pytorch() {
        type P = Same;
        assert_eq!(<P as AxisPadding<U5, U1>>::Before::USIZE, 2);
        assert_eq!(<P as AxisPadding<U5, U1>>::After::USIZE, 2);
        assert_eq!(<P as AxisPadding<typenum::U4, U1>>::Before::USIZE, 1);
        assert_eq!(<P as AxisPadding<typenum::U4, U1>>::After::USIZE, 2);
        assert_eq!(<P as AxisPadding<U3, U3>>::Before::USIZE, 3);
    }
}
