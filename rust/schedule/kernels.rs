//! The inner loops of [`super::Schedule::fill`]: branch-free formulas that the compiler turns
//! into vector instructions, and a cosine that vectorizes (libm's `cos` does not).
//! [`super::Schedule::value`] calls the same functions, so one step and a range of steps
//! agree bit for bit.

use std::f64::consts::{FRAC_PI_2, PI};

use crate::simd::vectorized;

/// The parts of π/2 and π that `FRAC_PI_2` and `PI` round away, added back when reducing.
const FRAC_PI_2_LO: f64 = 6.123_233_995_736_766e-17;
const PI_LO: f64 = 1.224_646_799_147_353_2e-16;

/// Taylor coefficients of sin(y)/y in y², highest first: (−1)^k / (2k+1)! for k = 10 … 1.
/// On |y| ≤ π/2 the first omitted term is below 2e-18.
const SIN_COEFFS: [f64; 10] = [
    1.0 / 51_090_942_171_709_440_000.0,
    -1.0 / 121_645_100_408_832_000.0,
    1.0 / 355_687_428_096_000.0,
    -1.0 / 1_307_674_368_000.0,
    1.0 / 6_227_020_800.0,
    -1.0 / 39_916_800.0,
    1.0 / 362_880.0,
    -1.0 / 5_040.0,
    1.0 / 120.0,
    -1.0 / 6.0,
];

/// sin(y) for |y| ≤ π/2. Plain arithmetic only (no FMA contraction), so it gives the same
/// bits on every CPU, vectorized or not.
#[inline(always)]
fn sin_reduced(y: f64) -> f64 {
    let z = y * y;
    let mut p = SIN_COEFFS[0];
    for c in &SIN_COEFFS[1..] {
        p = p * z + c;
    }
    y + y * (z * p)
}

/// cos(x) for x in [0, π], within 5e-16 of libm's: sin(π/2 − x).
#[inline(always)]
pub(crate) fn cos_0_pi(x: f64) -> f64 {
    sin_reduced((FRAC_PI_2 - x) + FRAC_PI_2_LO)
}

/// sin(x) for x in [0, π]: sin(min(x, π − x)).
#[inline(always)]
pub(crate) fn sin_0_pi(x: f64) -> f64 {
    sin_reduced(x.min((PI - x) + PI_LO))
}

/// Steps per block of the cosine kernel (see [`cos_step`]).
const BLOCK: u64 = 256;

/// (cos, sin) of `π · u / steps`.
#[inline(always)]
fn angle(u: f64, steps: f64) -> (f64, f64) {
    let x = PI * u / steps;
    (cos_0_pi(x), sin_0_pi(x))
}

/// cos(π·t/steps) for an integer step `0 <= t < steps`, as the kernel computes it:
/// with `q` the start of t's block of [`BLOCK`] steps and `j = t − q`,
/// cos(a + b) = cos a · cos b − sin a · sin b, a = π·q/steps, b = π·j/steps. The kernel
/// evaluates the polynomials once per block and once per offset, then two products per step;
/// the result stays within 1e-15 of cos(π·t/steps).
#[inline(always)]
pub(crate) fn cos_step(t: f64, steps: f64) -> f64 {
    let q = (t / BLOCK as f64).floor() * BLOCK as f64;
    let (ca, sa) = angle(q, steps);
    let (cb, sb) = angle(t - q, steps);
    ca * cb - sa * sb
}

/// Writes `f(t)` for `t = start, start + 1, …`. Each step is formed in f64 as a base plus a
/// 32-bit index, which converts in one vector instruction; both are exact below 2**53, so
/// `t` equals `(start + i) as f64`.
#[inline(always)]
pub(crate) fn for_steps(start: u64, out: &mut [f64], f: impl Fn(f64) -> f64) {
    const SPAN: usize = 1 << 30;
    vectorized(
        #[inline(always)]
        || {
            for (c, chunk) in out.chunks_mut(SPAN).enumerate() {
                let base = (start + (c * SPAN) as u64) as f64;
                for (j, slot) in chunk.iter_mut().enumerate() {
                    *slot = f(base + (j as i32) as f64);
                }
            }
        },
    );
}

/// `r^(t / d)` for a whole step `t`, as [`fill_geometric`] computes it: with `q` the start of
/// t's block of [`BLOCK`] steps, `r^(q / d) · r^((t − q) / d)`, within 2 ulps of `r^(t / d)`.
/// The one exponential of the schedules (`exponential`, `exp_decay`, `cyclic`'s exp_range,
/// `tanh`); other steps take `powf` directly.
#[inline(always)]
pub(crate) fn geometric(r: f64, t: f64, d: f64) -> f64 {
    if t.fract() != 0.0 || t >= 9_007_199_254_740_992.0 {
        return r.powf(t / d);
    }
    let q = (t / BLOCK as f64).floor() * BLOCK as f64;
    r.powf(q / d) * r.powf((t - q) / d)
}

/// `f(t, geometric(r, t, d))` for the steps `start, start + 1, …` (below 2**53): `powf` once
/// per block and once per offset, then one product per step.
pub(crate) fn fill_geometric(
    start: u64,
    out: &mut [f64],
    (r, d): (f64, f64),
    f: impl Fn(f64, f64) -> f64,
) {
    let mut offsets = [0.0; BLOCK as usize];
    for (j, p) in offsets.iter_mut().enumerate() {
        *p = r.powf(j as f64 / d);
    }
    let (mut t, mut done) = (start, 0);
    while done < out.len() {
        let q = t - t % BLOCK;
        let j0 = (t - q) as usize;
        let len = (BLOCK as usize - j0).min(out.len() - done);
        let head = r.powf(q as f64 / d);
        let base = t as f64;
        let (slots, tail) = (&mut out[done..done + len], &offsets[j0..j0 + len]);
        vectorized(
            #[inline(always)]
            || {
                for (i, (slot, &p)) in slots.iter_mut().zip(tail).enumerate() {
                    *slot = f(base + (i as i32) as f64, head * p);
                }
            },
        );
        done += len;
        t += len as u64;
    }
}

/// `x^p`: `x · x` for `p = 2` (correctly rounded, and it vectorizes); repeated squaring
/// (`powi`) where `x` and `p` are whole numbers, `p` fitting an `i32` — several times cheaper
/// than `powf` and exact where the result is (torch's integer `T_mult`); `powf` otherwise, whose
/// single rounding keeps a long restart clock within 1e-15 (`powi` of `1.3` drifts by a few
/// ulps). The one power of the schedules (cycle lengths and heights, `polynomial`, the k of
/// `polynomial` and `cosine`, `wsd`'s power decay).
#[inline(always)]
pub(crate) fn pow(x: f64, p: f64) -> f64 {
    if p == 2.0 {
        x * x
    } else if x.fract() == 0.0 && p.fract() == 0.0 && p.abs() <= i32::MAX as f64 {
        x.powi(p as i32)
    } else {
        x.powf(p)
    }
}

/// `(start − end) · (1 − u^k / steps^k)^power + end` with `u = min(t, steps)`; `steps_k =
/// steps^k` given (a loop computes it once). k = 1 is `1 − u / steps` (torch's PolynomialLR).
#[inline(always)]
pub(crate) fn polynomial(
    t: f64,
    (start, end): (f64, f64),
    (steps, steps_k): (f64, f64),
    power: f64,
    k: f64,
) -> f64 {
    let u = t.min(steps);
    let ratio = if k == 1.0 {
        u / steps
    } else {
        k_ratio(u, (steps, steps_k), k)
    };
    (start - end) * pow(1.0 - ratio, power) + end
}

/// timm's k-decay position `t^k / steps^k` (its order of operations), `steps_k = steps^k`
/// given, or `(t / steps)^k` where `steps^k` overflows.
#[inline(always)]
pub(crate) fn k_ratio(t: f64, (steps, steps_k): (f64, f64), k: f64) -> f64 {
    if steps_k.is_finite() {
        pow(t, k) / steps_k
    } else {
        pow(t / steps, k)
    }
}

/// `start + (end − start) · min(t, steps) / steps`.
#[inline(always)]
pub(crate) fn linear(t: f64, start: f64, end: f64, steps: u64) -> f64 {
    start + (end - start) * (t.min(steps as f64) / steps as f64)
}

/// `end + (start − end) · (1 + cos(π · t^k / steps^k)) / 2`, then `end`. Integer steps with
/// k = 1 take [`cos_step`], so that they equal the values of [`fill_cosine`].
#[inline(always)]
pub(crate) fn cosine(t: f64, start: f64, end: f64, steps: f64, k: f64) -> f64 {
    if t >= steps {
        return end;
    }
    if k != 1.0 {
        return cosine_k(t, (start, end), (steps, pow(steps, k)), k);
    }
    let c = if t.fract() == 0.0 {
        cos_step(t, steps)
    } else {
        cos_0_pi(PI * t / steps)
    };
    end + (start - end) * ((1.0 + c) / 2.0)
}

/// [`cosine`] with k ≠ 1 below `steps`, `steps_k = steps^k` given (a loop computes it once),
/// at [`k_ratio`].
#[inline(always)]
pub(crate) fn cosine_k(t: f64, (start, end): (f64, f64), steps: (f64, f64), k: f64) -> f64 {
    cosine_at(k_ratio(t, steps, k), start, end)
}

/// `end + (start − end) · (1 + cos(π · ratio)) / 2` for `ratio` in [0, 1].
#[inline(always)]
pub(crate) fn cosine_at(ratio: f64, start: f64, end: f64) -> f64 {
    end + (start - end) * ((1.0 + cos_0_pi(PI * ratio)) / 2.0)
}

/// [`cosine`] with k = 1 over the integer steps `start, start + 1, …`, all below `steps`.
pub(crate) fn fill_cosine(start: u64, out: &mut [f64], from: f64, end: f64, steps: f64) {
    let steps_f = steps;
    let offsets = (BLOCK as f64).min(steps.ceil()) as usize;
    let mut cos_b = [0.0; BLOCK as usize];
    let mut sin_b = [0.0; BLOCK as usize];
    vectorized(
        #[inline(always)]
        || {
            for j in 0..offsets {
                (cos_b[j], sin_b[j]) = angle(j as f64, steps_f);
            }
        },
    );
    let (mut t, mut done) = (start, 0);
    while done < out.len() {
        let q = t - t % BLOCK;
        let j0 = (t - q) as usize;
        let len = (BLOCK as usize - j0).min(out.len() - done);
        let (ca, sa) = angle(q as f64, steps_f);
        let (cb, sb) = (&cos_b[j0..j0 + len], &sin_b[j0..j0 + len]);
        let slots = &mut out[done..done + len];
        vectorized(
            #[inline(always)]
            || {
                for ((slot, &c), &s) in slots.iter_mut().zip(cb).zip(sb) {
                    *slot = end + (from - end) * ((1.0 + (ca * c - sa * s)) / 2.0);
                }
            },
        );
        done += len;
        t += len as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polynomials_agree_with_libm_on_zero_to_pi() {
        let n = 1_000_000;
        let (mut worst_cos, mut worst_sin) = (0.0f64, 0.0f64);
        for i in 0..=n {
            let x = PI * i as f64 / n as f64;
            worst_cos = worst_cos.max((cos_0_pi(x) - x.cos()).abs());
            worst_sin = worst_sin.max((sin_0_pi(x) - x.sin()).abs());
        }
        assert!(
            worst_cos < 5e-16 && worst_sin < 5e-16,
            "{worst_cos:e} {worst_sin:e}"
        );
        assert_eq!((cos_0_pi(0.0), cos_0_pi(PI)), (1.0, -1.0));
    }

    #[test]
    fn block_cosine_stays_within_1e_15() {
        for steps in [1u64, 7, 255, 256, 257, 10_000, 10_000_000] {
            let stride = (steps / 5_000).max(1);
            let worst = (0..steps)
                .step_by(stride as usize)
                .map(|t| {
                    (cos_step(t as f64, steps as f64) - (PI * t as f64 / steps as f64).cos()).abs()
                })
                .fold(0.0, f64::max);
            assert!(worst < 1e-15, "steps {steps}: {worst:e}");
        }
    }

    #[test]
    fn kernel_equals_scalar_bit_for_bit() {
        for (steps, start, n) in [
            (10u64, 0u64, 10usize),
            (1000, 3, 997),
            (100_000, 99_000, 1000),
        ] {
            let mut out = vec![0.0; n];
            fill_cosine(start, &mut out, 1.0, 0.1, steps as f64);
            for (i, v) in out.iter().enumerate() {
                assert_eq!(
                    *v,
                    cosine((start + i as u64) as f64, 1.0, 0.1, steps as f64, 1.0)
                );
            }
        }
    }

    #[test]
    fn steps_are_exact_integers() {
        let mut out = vec![0.0; 5];
        for_steps(9_007_199_254_740_000, &mut out, |t| t);
        let want: Vec<f64> = (0..5)
            .map(|i| (9_007_199_254_740_000u64 + i) as f64)
            .collect();
        assert_eq!(out, want);
    }
}
