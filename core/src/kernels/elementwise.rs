//! Element-wise operations between tensors: the residual `Add`, the broadcasting `Mul` of a
//! squeeze-and-excitation gate, and `Cat`'s copies into a channel range.

use crate::kernels::isa;

/// `y[i] += x[i]` over the shorter of the two, vectorised for the active instruction-set
/// level (`kernels::isa`).
#[inline]
pub fn add_assign(y: &mut [f32], x: &[f32]) {
    isa::dispatch!(_I => {
        for (y, x) in y.iter_mut().zip(x) {
            *y += *x;
        }
    });
}

/// `y[i] = a[i] + b[i]` over the shortest of the three, vectorised for the active
/// instruction-set level.
#[inline]
pub fn add(a: &[f32], b: &[f32], y: &mut [f32]) {
    isa::dispatch!(_I => {
        for ((y, a), b) in y.iter_mut().zip(a).zip(b) {
            *y = *a + *b;
        }
    });
}

/// Up to four dimensions, outermost first, padded with leading 1s.
fn dims4(dims: &[usize]) -> [usize; 4] {
    let mut out = [1; 4];
    let skip = 4usize.saturating_sub(dims.len());
    for (o, d) in out[skip..].iter_mut().zip(dims) {
        *o = *d;
    }
    out
}

/// Row-major strides of `dims` (four of them), 0 along an axis of size 1 that `to` is longer
/// in (NumPy's broadcasting).
fn broadcast_strides(dims: [usize; 4], to: [usize; 4]) -> [usize; 4] {
    let mut strides = [0; 4];
    let mut step = 1;
    for axis in (0..4).rev() {
        strides[axis] = if dims[axis] == 1 && to[axis] != 1 { 0 } else { step };
        step *= dims[axis];
    }
    strides
}

/// `y = a * b` element-wise, `a` (of `a_dims`) and `b` (of `b_dims`) broadcast to `y_dims`
/// (at most four dimensions; each operand's size along an axis is `y`'s or 1). Elements
/// outside the slices are not touched.
pub fn mul_broadcast(
    a: &[f32],
    a_dims: &[usize],
    b: &[f32],
    b_dims: &[usize],
    y: &mut [f32],
    y_dims: &[usize],
) {
    let yd = dims4(y_dims);
    let sa = broadcast_strides(dims4(a_dims), yd);
    let sb = broadcast_strides(dims4(b_dims), yd);
    let inner = yd[3];
    let mut rows = y.chunks_exact_mut(inner.max(1));
    for i0 in 0..yd[0] {
        for i1 in 0..yd[1] {
            for i2 in 0..yd[2] {
                let Some(row) = rows.next() else { return };
                let base_a = i0 * sa[0] + i1 * sa[1] + i2 * sa[2];
                let base_b = i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
                mul_row(row, a, base_a, sa[3], b, base_b, sb[3]);
            }
        }
    }
}

/// One innermost row of [`mul_broadcast`]: a scaled row when one operand is constant along it.
#[inline]
fn mul_row(
    row: &mut [f32],
    a: &[f32],
    at_a: usize,
    step_a: usize,
    b: &[f32],
    at_b: usize,
    step_b: usize,
) {
    match (step_a, step_b) {
        (1, 0) => {
            let scale = b.get(at_b).copied().unwrap_or(0.0);
            let src = a.get(at_a..).unwrap_or(&[]);
            for (y, x) in row.iter_mut().zip(src) {
                *y = *x * scale;
            }
        }
        (0, 1) => {
            let scale = a.get(at_a).copied().unwrap_or(0.0);
            let src = b.get(at_b..).unwrap_or(&[]);
            for (y, x) in row.iter_mut().zip(src) {
                *y = scale * *x;
            }
        }
        _ => {
            for (k, y) in row.iter_mut().enumerate() {
                let x = a.get(at_a + k * step_a).copied().unwrap_or(0.0);
                let z = b.get(at_b + k * step_b).copied().unwrap_or(0.0);
                *y = x * z;
            }
        }
    }
}

/// `y *= b` element-wise, `b` (of `b_dims`) broadcast to `y_dims` (see [`mul_broadcast`]).
pub fn mul_assign_broadcast(y: &mut [f32], y_dims: &[usize], b: &[f32], b_dims: &[usize]) {
    let yd = dims4(y_dims);
    let sb = broadcast_strides(dims4(b_dims), yd);
    let inner = yd[3];
    let mut rows = y.chunks_exact_mut(inner.max(1));
    for i0 in 0..yd[0] {
        for i1 in 0..yd[1] {
            for i2 in 0..yd[2] {
                let Some(row) = rows.next() else { return };
                let base = i0 * sb[0] + i1 * sb[1] + i2 * sb[2];
                if sb[3] == 0 {
                    let scale = b.get(base).copied().unwrap_or(0.0);
                    for v in row {
                        *v *= scale;
                    }
                } else {
                    for (k, v) in row.iter_mut().enumerate() {
                        *v *= b.get(base + k * sb[3]).copied().unwrap_or(0.0);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{add, add_assign, mul_assign_broadcast, mul_broadcast};

    #[test]
    fn add_and_add_assign() {
        let mut y = [1.0, 2.0, 3.0];
        add_assign(&mut y, &[10.0, 20.0, 30.0]);
        assert_eq!(y, [11.0, 22.0, 33.0]);
        let mut z = [0.0; 3];
        add(&[1.0, 1.0, 1.0], &y, &mut z);
        assert_eq!(z, [12.0, 23.0, 34.0]);
    }

    #[test]
    fn a_channel_gate_scales_each_plane() {
        // [2, 2, 2] * [2, 1, 1]
        let x: [f32; 8] = core::array::from_fn(|i| i as f32);
        let gate = [2.0, 10.0];
        let mut y = [0.0; 8];
        mul_broadcast(&x, &[2, 2, 2], &gate, &[2, 1, 1], &mut y, &[2, 2, 2]);
        assert_eq!(y, [0.0, 2.0, 4.0, 6.0, 40.0, 50.0, 60.0, 70.0]);
        let mut z = [0.0; 8];
        mul_broadcast(&gate, &[2, 1, 1], &x, &[2, 2, 2], &mut z, &[2, 2, 2]);
        assert_eq!(z, y);
        let mut w = x;
        mul_assign_broadcast(&mut w, &[2, 2, 2], &gate, &[2, 1, 1]);
        assert_eq!(w, y);
    }

    #[test]
    fn broadcast_along_the_last_axis_and_across_rows() {
        // [1, 3] * [2, 1] -> [2, 3]
        let mut y = [0.0; 6];
        mul_broadcast(&[1.0, 2.0, 3.0], &[1, 3], &[10.0, 100.0], &[2, 1], &mut y, &[2, 3]);
        assert_eq!(y, [10.0, 20.0, 30.0, 100.0, 200.0, 300.0]);
    }
}
