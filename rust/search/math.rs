//! `exp`, `ln` and the inverse normal CDF written with IEEE-754 basic operations only, so every
//! platform computes the same bits (the platform libm may differ in the last place; these do not).
//! `exp` and `ln` are ports of FreeBSD msun's `e_exp.c` / `e_log.c` (fdlibm, error < 1 ulp);
//! the normal quantile is Wichura's AS 241 (PPND16, relative error about 1e-16).

#![allow(
    clippy::excessive_precision,
    clippy::unreadable_literal,
    clippy::approx_constant
)]

fn high(x: f64) -> i32 {
    (x.to_bits() >> 32) as i32
}

fn with_high(x: f64, hi: u32) -> f64 {
    f64::from_bits((u64::from(hi) << 32) | (x.to_bits() & 0xffff_ffff))
}

/// ln 2 split in two: LN2_HI has its low 32 bits zero, so k·LN2_HI is exact for |k| < 2^20.
const LN2_HI: f64 = 6.93147180369123816490e-01;
const LN2_LO: f64 = 1.90821492927058770002e-10;

/// e^x (fdlibm `__ieee754_exp`): the branch-free [`exp_reduced`] scaled by 2^k where the
/// result is a normal number, fdlibm's special cases elsewhere.
pub fn exp(x: f64) -> f64 {
    const O_THRESHOLD: f64 = 7.09782712893383973096e+02;
    const U_THRESHOLD: f64 = -7.45133219101941108420e+02;
    if exp_is_plain(x) {
        return exp_plain(x);
    }
    if x.is_nan() {
        return x + x;
    }
    if x.abs() < TINY {
        return 1.0 + x;
    }
    if x > O_THRESHOLD {
        return f64::INFINITY;
    }
    if x < U_THRESHOLD {
        return 0.0;
    }
    let (y, t) = exp_reduced(x);
    let k = t as i32;
    if k == 1024 {
        y * 2.0 * f64::from_bits(0x7fe0_0000_0000_0000)
    } else if k >= -1021 {
        y * pow2(t)
    } else {
        y * f64::from_bits(((0x3ff + k as i64 + 1000) as u64) << 52)
            * f64::from_bits(0x0170_0000_0000_0000)
    }
}

/// Below this magnitude fdlibm returns 1 + x.
const TINY: f64 = 3.725_290_298_461_914e-9; // 2^-28

/// Where [`exp_plain`] is [`exp`]: 2^-28 ≤ |x| < 707 (so 2^k stays a normal number).
#[inline(always)]
fn exp_is_plain(x: f64) -> bool {
    let a = x.abs();
    (TINY..707.0).contains(&a)
}

/// 2^k for an integral k (given as an f64) in the normal exponent range: the exponent field
/// read off the low bits of k + 1023 + 1.5·2^52 (float → int conversions do not vectorize).
#[inline(always)]
fn pow2(k: f64) -> f64 {
    const SHIFTER: f64 = 6_755_399_441_055_744.0; // 1.5·2^52
    f64::from_bits((k + (SHIFTER + 1023.0)).to_bits() << 52)
}

/// [`exp`] on its plain range (see [`exp_is_plain`]): branch-free, so loops over it vectorize.
#[inline(always)]
fn exp_plain(x: f64) -> f64 {
    let (y, t) = exp_reduced(x);
    y * pow2(t)
}

const INV_LN2: f64 = 1.44269504088896338700e+00;
const P1: f64 = 1.66666666666666019037e-01;
const P2: f64 = -2.77777777770155933842e-03;
const P3: f64 = 6.61375632143793436117e-05;
const P4: f64 = -1.65339022054652515390e-06;
const P5: f64 = 4.13813679705723846039e-08;

/// fdlibm's argument reduction and polynomial for |x| ≥ 2^-28: (y, k) with e^x = y·2^k, k an
/// integral f64 ([`exp_k`], [`exp_c`], [`exp_y`] in turn).
#[inline(always)]
fn exp_reduced(x: f64) -> (f64, f64) {
    let k = exp_k(x);
    (exp_y(x, k, exp_c(x, k)), k)
}

/// fdlibm's k for |x| ≥ 2^-28, as an f64. The branches of fdlibm are selects here: |x| ≤ ½ln2
/// takes k = 0 (then hi = x, lo = 0 and the formulas below are fdlibm's k = 0 formula, bit for
/// bit), |x| < 1.5·ln2 takes k = ±1, larger |x| the truncation of x/ln2 ± ½. fdlibm tests the
/// high word of |x|; comparing |x| with the first doubles those tests exclude is the same test
/// for every x but NaN (which never gets here), and cheaper in vector lanes.
#[inline(always)]
fn exp_k(x: f64) -> f64 {
    let a = x.abs();
    if a < f64::from_bits(0x3fd6_2e43_0000_0000) {
        0.0
    } else if a < f64::from_bits(0x3ff0_a2b2_0000_0000) {
        1.0f64.copysign(x)
    } else {
        (INV_LN2 * x + 0.5f64.copysign(x)).trunc()
    }
}

/// The reduced argument r = x − k·ln2 as fdlibm splits it: (hi, lo) with r = hi − lo.
#[inline(always)]
fn exp_split(x: f64, k: f64) -> (f64, f64) {
    (x - k * LN2_HI, k * LN2_LO)
}

/// fdlibm's polynomial c(r) = r − r²·P(r²).
#[inline(always)]
fn exp_c(x: f64, k: f64) -> f64 {
    let (hi, lo) = exp_split(x, k);
    let r = hi - lo;
    let rr = r * r;
    r - rr * (P1 + rr * (P2 + rr * (P3 + rr * (P4 + rr * P5))))
}

/// e^x / 2^k from fdlibm's c(r).
#[inline(always)]
fn exp_y(x: f64, k: f64, c: f64) -> f64 {
    let (hi, lo) = exp_split(x, k);
    let r = hi - lo;
    1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
}

/// [`exp`] of every element, in place and bit for bit. A block in the plain range (every block,
/// for log-scale parameters of sane bounds) takes the vectorizing formula in three passes: k,
/// then c, then the rest (r is recomputed, three cheap operations). One loop over the whole
/// formula runs about 1.5 times slower: each iteration is a long chain of dependent
/// operations (the division among them), and the CPU cannot hold enough iterations in flight to
/// hide it; the shorter loops it can.
#[inline(always)]
pub fn exp_in_place(v: &mut [f64]) {
    const BLOCK: usize = 256;
    let mut ks = [0.0; BLOCK];
    let mut cs = [0.0; BLOCK];
    for block in v.chunks_mut(BLOCK) {
        let ks = &mut ks[..block.len()];
        let cs = &mut cs[..block.len()];
        // k for every element (harmless where it is not plain) and whether all are plain.
        let mut plain = true;
        for (k, &x) in ks.iter_mut().zip(block.iter()) {
            plain &= exp_is_plain(x);
            *k = exp_k(x);
        }
        if !plain {
            block.iter_mut().for_each(|x| *x = exp(*x));
            continue;
        }
        for ((c, &x), &k) in cs.iter_mut().zip(block.iter()).zip(ks.iter()) {
            *c = exp_c(x, k);
        }
        for ((x, &c), &k) in block.iter_mut().zip(cs.iter()).zip(ks.iter()) {
            *x = exp_y(*x, k, c) * pow2(k);
        }
    }
}

/// ln x (fdlibm `__ieee754_log`): its special cases here, the rest in [`ln_normal`].
pub fn ln(x: f64) -> f64 {
    const TWO54: f64 = 1.80143985094819840000e+16;
    let hx = high(x);
    if hx < 0x0010_0000 {
        if ((hx & 0x7fff_ffff) as u32 | x.to_bits() as u32) == 0 {
            return f64::NEG_INFINITY;
        }
        if hx < 0 {
            return f64::NAN;
        }
        return ln_normal(x * TWO54, -54);
    }
    if hx >= 0x7ff0_0000 {
        return x + x;
    }
    ln_normal(x, 0)
}

/// ln(x · 2^scale) for a positive normal finite `x`: fdlibm's `__ieee754_log` past its special
/// cases, every branch computed and the result selected, so that a loop over it vectorizes and
/// gives the bits of the branching code (`noise` takes it over blocks of uniforms).
#[inline(always)]
pub fn ln_normal(x: f64, scale: i32) -> f64 {
    const LG1: f64 = 6.666666666666735130e-01;
    const LG2: f64 = 3.999999999940941908e-01;
    const LG3: f64 = 2.857142874366239149e-01;
    const LG4: f64 = 2.222219843214978396e-01;
    const LG5: f64 = 1.818357216161805012e-01;
    const LG6: f64 = 1.531383769920937332e-01;
    const LG7: f64 = 1.479819860511658591e-01;

    let hx = high(x);
    let mut k = scale + (hx >> 20) - 1023;
    let hx = hx & 0x000f_ffff;
    let i = (hx + 0x95f64) & 0x10_0000;
    let x = with_high(x, (hx | (i ^ 0x3ff0_0000)) as u32);
    k += i >> 20;
    let f = x - 1.0;
    let dk = f64::from(k);
    let whole = k == 0;

    // |f| < 2^-20: two terms of the series.
    let r = f * f * (0.5 - 0.33333333333333333 * f);
    let near_one = if f == 0.0 {
        if whole {
            0.0
        } else {
            dk * LN2_HI + dk * LN2_LO
        }
    } else if whole {
        f - r
    } else {
        dk * LN2_HI - ((r - dk * LN2_LO) - f)
    };

    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * (LG2 + w * (LG4 + w * LG6));
    let t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
    let r = t2 + t1;
    let hfsq = 0.5 * f * f;
    let general = if ((hx - 0x6147a) | (0x6b851 - hx)) > 0 {
        if whole {
            f - (hfsq - s * (hfsq + r))
        } else {
            dk * LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f)
        }
    } else if whole {
        f - s * (f - r)
    } else {
        dk * LN2_HI - ((s * (f - r) - dk * LN2_LO) - f)
    };
    if (0x000f_ffff & (2 + hx)) < 3 {
        near_one
    } else {
        general
    }
}

/// The standard normal quantile Φ⁻¹(p) for p in (0, 1) (Wichura 1988, AS 241 PPND16).
pub fn norm_ppf(p: f64) -> f64 {
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q
            * (((((((2.5090809287301226727e+3 * r + 3.3430575583588128105e+4) * r
                + 6.7265770927008700853e+4)
                * r
                + 4.5921953931549871457e+4)
                * r
                + 1.3731693765509461125e+4)
                * r
                + 1.9715909503065514427e+3)
                * r
                + 1.3314166789178437745e+2)
                * r
                + 3.3871328727963666080e0)
            / (((((((5.2264952788528545610e+3 * r + 2.8729085735721942674e+4) * r
                + 3.9307895800092710610e+4)
                * r
                + 2.1213794301586595867e+4)
                * r
                + 5.3941960214247511077e+3)
                * r
                + 6.8718700749205790830e+2)
                * r
                + 4.2313330701600911252e+1)
                * r
                + 1.0);
    }
    let r = if q < 0.0 { p } else { 1.0 - p };
    let mut r = (-ln(r)).sqrt();
    let val = if r <= 5.0 {
        r -= 1.6;
        (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r
            + 2.41780725177450611770e-1)
            * r
            + 1.27045825245236838258e0)
            * r
            + 3.64784832476320460504e0)
            * r
            + 5.76949722146069140550e0)
            * r
            + 4.63033784615654529590e0)
            * r
            + 1.42343711074968357734e0)
            / (((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r
                + 1.51986665636164571966e-2)
                * r
                + 1.48103976427480074590e-1)
                * r
                + 6.89767334985100004550e-1)
                * r
                + 1.67638483018380384940e0)
                * r
                + 2.05319162663775882187e0)
                * r
                + 1.0)
    } else {
        r -= 5.0;
        (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
            + 1.24266094738807843860e-3)
            * r
            + 2.65321895265761230930e-2)
            * r
            + 2.96560571828504891230e-1)
            * r
            + 1.78482653991729133580e0)
            * r
            + 5.46378491116411436990e0)
            * r
            + 6.65790464350110377720e0)
            / (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r
                + 1.84631831751005468180e-5)
                * r
                + 7.86869131145613259100e-4)
                * r
                + 1.48753612908506148525e-2)
                * r
                + 1.36929880922735805310e-1)
                * r
                + 5.99832206555887937690e-1)
                * r
                + 1.0)
    };
    if q < 0.0 {
        -val
    } else {
        val
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f64, b: f64) -> u64 {
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    #[test]
    fn exp_matches_std_within_one_ulp() {
        let mut x = -745.0;
        while x < 709.0 {
            assert!(
                ulps(exp(x), x.exp()) <= 1,
                "exp({x}) = {} vs {}",
                exp(x),
                x.exp()
            );
            x += 0.0137;
        }
        for x in [0.0, 1e-300, -1e-20, 0.3, -0.3, 0.5, 1.0, 2.0, -11.5] {
            assert!(ulps(exp(x), x.exp()) <= 1, "exp({x})");
        }
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(1000.0), f64::INFINITY);
        assert_eq!(exp(-1000.0), 0.0);
    }

    /// The straight port of fdlibm's `__ieee754_exp` that `exp` restructured: the bits must
    /// not move (they are part of the search streams).
    fn fdlibm_exp(x: f64) -> f64 {
        const HALF: [f64; 2] = [0.5, -0.5];
        const O_THRESHOLD: f64 = 7.09782712893383973096e+02;
        const U_THRESHOLD: f64 = -7.45133219101941108420e+02;
        const LN2_HI: [f64; 2] = [6.93147180369123816490e-01, -6.93147180369123816490e-01];
        const LN2_LO: [f64; 2] = [1.90821492927058770002e-10, -1.90821492927058770002e-10];
        const INV_LN2: f64 = 1.44269504088896338700e+00;
        const P1: f64 = 1.66666666666666019037e-01;
        const P2: f64 = -2.77777777770155933842e-03;
        const P3: f64 = 6.61375632143793436117e-05;
        const P4: f64 = -1.65339022054652515390e-06;
        const P5: f64 = 4.13813679705723846039e-08;

        let hx_full = high(x);
        let xsb = ((hx_full >> 31) & 1) as usize;
        let hx = (hx_full & 0x7fff_ffff) as u32;
        if hx >= 0x4086_2E42 {
            if hx >= 0x7ff0_0000 {
                if x.is_nan() {
                    return x + x;
                }
                return if xsb == 0 { x } else { 0.0 };
            }
            if x > O_THRESHOLD {
                return f64::INFINITY;
            }
            if x < U_THRESHOLD {
                return 0.0;
            }
        }
        let mut x = x;
        let (mut hi, mut lo, k): (f64, f64, i32) = (0.0, 0.0, 0);
        let k = if hx > 0x3fd6_2e42 {
            let k = if hx < 0x3FF0_A2B2 {
                hi = x - LN2_HI[xsb];
                lo = LN2_LO[xsb];
                1 - 2 * xsb as i32
            } else {
                let k = (INV_LN2 * x + HALF[xsb]) as i32;
                let t = f64::from(k);
                hi = x - t * LN2_HI[0];
                lo = t * LN2_LO[0];
                k
            };
            x = hi - lo;
            k
        } else if hx < 0x3e30_0000 {
            return 1.0 + x;
        } else {
            k
        };
        let t = x * x;
        let c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
        if k == 0 {
            return 1.0 - ((x * c) / (c - 2.0) - x);
        }
        let y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
        if k >= -1021 {
            if k == 1024 {
                return y * 2.0 * f64::from_bits(0x7fe0_0000_0000_0000);
            }
            y * f64::from_bits(((0x3ff + k as i64) as u64) << 52)
        } else {
            y * f64::from_bits(((0x3ff + k as i64 + 1000) as u64) << 52)
                * f64::from_bits(0x0170_0000_0000_0000)
        }
    }

    #[test]
    fn exp_is_bit_identical_to_the_fdlibm_port() {
        let same = |x: f64| {
            let want = fdlibm_exp(x);
            let mut v = [x; 17];
            exp_in_place(&mut v);
            assert!(
                exp(x).to_bits() == want.to_bits() || (want.is_nan() && exp(x).is_nan()),
                "exp({x:e}) = {:e}, fdlibm {want:e}",
                exp(x)
            );
            assert!(v.iter().all(|y| y.to_bits() == exp(x).to_bits()) || want.is_nan());
        };
        // Every branch boundary of fdlibm, a few ulps either side.
        let edges = [
            0.0,
            3.725_290_298_461_914e-9,
            0.5 * std::f64::consts::LN_2,
            f64::from_bits(0x3fd6_2e42_ffff_ffff),
            f64::from_bits(0x3fd6_2e43_0000_0000),
            1.5 * std::f64::consts::LN_2,
            f64::from_bits(0x3ff0_a2b2_0000_0000),
            707.0,
            709.0895,
            709.782712893384,
            745.1332191019411,
            1000.0,
            f64::INFINITY,
            f64::MIN_POSITIVE,
            f64::MAX,
        ];
        for e in edges {
            for s in [1.0, -1.0] {
                let b = (s * e).to_bits();
                for d in 0..40u64 {
                    same(f64::from_bits(b.wrapping_add(d)));
                    same(f64::from_bits(b.wrapping_sub(d)));
                }
            }
        }
        same(f64::NAN);
        // A dense sweep and a random one over the whole range.
        let mut x = -750.0;
        while x < 750.0 {
            same(x);
            x += 0.000_731;
        }
        for i in 0..300_000u64 {
            let u = (crate::search::rng::at(99, i) >> 11) as f64 / (1u64 << 53) as f64;
            same(-760.0 + 1520.0 * u);
            same((u - 0.5) * 4.0);
            same(f64::from_bits(crate::search::rng::at(98, i)));
        }
    }

    #[test]
    fn exp_in_place_is_exp_elementwise() {
        // Slices of every length around the block size, plain arguments with now and then one
        // outside the plain range (tiny, huge, NaN), which sends its block to the scalar path.
        let odd = [1e-12, -2e-9, 708.5, -720.0, f64::NAN, f64::INFINITY];
        for len in [0usize, 1, 5, 255, 256, 257, 700] {
            for spoil in [None, Some(0), Some(len / 2), Some(len.saturating_sub(1))] {
                let mut v: Vec<f64> = (0..len as u64)
                    .map(|i| -20.0 + 30.0 * crate::search::rng::unit(crate::search::rng::at(3, i)))
                    .collect();
                if let Some(j) = spoil.filter(|&j| j < len) {
                    v[j] = odd[j % odd.len()];
                }
                let want: Vec<u64> = v.iter().map(|&x| exp(x).to_bits()).collect();
                exp_in_place(&mut v);
                let got: Vec<u64> = v.iter().map(|x| x.to_bits()).collect();
                assert_eq!(got, want, "len {len}, spoilt at {spoil:?}");
            }
        }
    }

    #[test]
    fn ln_matches_std_within_one_ulp() {
        let mut x = 1e-310;
        while x < 1e300 {
            assert!(
                ulps(ln(x), x.ln()) <= 1,
                "ln({x}) = {} vs {}",
                ln(x),
                x.ln()
            );
            x *= 1.0371;
        }
        for x in [1.0, 1.0 + 1e-12, 0.999_999, 2.0, 10.0, 0.5] {
            assert!(ulps(ln(x), x.ln()) <= 1, "ln({x})");
        }
        assert_eq!(ln(1.0), 0.0);
        assert!(ln(-1.0).is_nan());
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
    }

    #[test]
    fn norm_ppf_known_values() {
        let cases = [
            (0.5, 0.0),
            (0.975, 1.959963984540054),
            (0.025, -1.959963984540054),
            (0.841344746068543, 1.0),
            (1e-10, -6.361340902404056),
            (0.9999, 3.719016485455709),
            (1e-300, -37.0470962993612),
        ];
        for (p, z) in cases {
            let got = norm_ppf(p);
            assert!(
                (got - z).abs() <= 1e-12 * z.abs().max(1.0),
                "ppf({p}) = {got}, want {z}"
            );
        }
    }
}
