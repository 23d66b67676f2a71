//! The counter-based generator behind every random choice of the search module.
//!
//! `mix64` is SplitMix64's output function (Steele, Lea and Flood 2014; the finaliser of
//! Java's `SplittableRandom`). A stream is keyed by (seed, purpose, a, b) and value `i` of a
//! stream is `mix64(key + (i + 1) * GAMMA)`: SplitMix64's i-th output from state `key`. So any
//! value is computed directly from its index (row k of a sweep without rows 0..k-1), with
//! integer arithmetic only: the same bits on every platform.

/// SplitMix64's increment (the odd integer nearest 2^64 / φ).
pub const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// What a stream is for; part of its key, so streams for different purposes never coincide.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub enum Purpose {
    Random = 1,
    SobolMatrix = 2,
    SobolShift = 3,
    HaltonPermutation = 4,
    LhsPermutation = 5,
    LhsJitter = 6,
}

/// SplitMix64's output function: a bijection of u64 with full avalanche.
#[inline(always)]
pub fn mix64(z: u64) -> u64 {
    let z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The key of stream (seed, purpose, a, b): `mix64(mix64(mix64(seed ^ purpose·GAMMA) ^ a) + b·GAMMA)`.
pub fn key(seed: u64, purpose: Purpose, a: u64, b: u64) -> u64 {
    let k = mix64(seed ^ (purpose as u64).wrapping_mul(GAMMA));
    mix64(mix64(k ^ a).wrapping_add(b.wrapping_mul(GAMMA)))
}

/// Value `i` of the stream with key `key`.
#[inline(always)]
pub fn at(key: u64, i: u64) -> u64 {
    mix64(key.wrapping_add(i.wrapping_add(1).wrapping_mul(GAMMA)))
}

/// Values `start, start + 1, …` of the stream with key `key` into `out`: [`at`] for each, the
/// counter `key + (i + 1)·GAMMA` advanced by one addition a value (a vectorized loop otherwise
/// multiplies it out, a third of the work on CPUs without a 64-bit vector multiply).
#[inline(always)]
pub fn fill_at(key: u64, start: u64, out: &mut [u64]) {
    let mut z = key.wrapping_add(start.wrapping_mul(GAMMA));
    for o in out.iter_mut() {
        z = z.wrapping_add(GAMMA);
        *o = mix64(z);
    }
}

/// An exactly uniform integer in `0..k` (k ≥ 1) from the 64-bit draws `draw(0)`, `draw(1)`, …:
/// Lemire's multiply-shift with rejection (a draw whose low product word is below 2^64 mod k is
/// rejected, probability below k / 2^64; the modulo is computed only when it can matter).
#[inline(always)]
pub fn bounded(k: u64, mut draw: impl FnMut(u64) -> u64) -> u64 {
    let mut attempt = 0;
    loop {
        let m = u128::from(draw(attempt)) * u128::from(k);
        let low = m as u64;
        if low >= k || low >= threshold(k) {
            return (m >> 64) as u64;
        }
        attempt += 1;
    }
}

/// `2^64 mod k`: draws whose low product word falls below it are rejected by [`bounded`].
pub fn threshold(k: u64) -> u64 {
    k.wrapping_neg() % k
}

/// A 64-bit fixed-point fraction x / 2^64 as an f64 strictly inside (0, 1): the top 52 bits
/// plus half a unit of the last of them, (⌊x / 2^12⌋ + ½) / 2^52, so 0 and 1 never occur.
/// Computed as (1 + ⌊x / 2^12⌋ / 2^52) − 1 + 2^-53 (the top bits as the mantissa of a number
/// in [1, 2)): every step is exact, so the value is the same, and it vectorizes (a u64 → f64
/// conversion does not, before AVX-512).
#[inline(always)]
pub fn unit(x: u64) -> f64 {
    (f64::from_bits(0x3ff0_0000_0000_0000 | (x >> 12)) - 1.0) + 0.5 / (1u64 << 52) as f64
}

/// The level in `0..k` of the fixed-point fraction x: ⌊x·k / 2^64⌋ (equal-width bins); for
/// k < 2^32, [`level32`].
#[inline(always)]
pub fn level(x: u64, k: u64) -> u64 {
    match u32::try_from(k) {
        Ok(k) => level32(x, k),
        Err(_) => ((u128::from(x) * u128::from(k)) >> 64) as u64,
    }
}

/// [`level`] for k < 2^32, the product formed from 32-bit halves of x, which vectorizes (a
/// 128-bit product does not): ⌊(⌊x / 2^32⌋·k + ⌊(x mod 2^32)·k / 2^32⌋) / 2^32⌋, the same
/// integer.
#[inline(always)]
pub fn level32(x: u64, k: u32) -> u64 {
    let k = u64::from(k);
    ((x >> 32) * k + (((x & 0xffff_ffff) * k) >> 32)) >> 32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_reference_values() {
        // SplitMix64 seeded with 0 (Vigna's reference `splitmix64.c`): the first outputs.
        assert_eq!(at(0, 0), 0xE220_A839_7B1D_CDAF);
        assert_eq!(at(0, 1), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(at(0, 2), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn fill_at_is_at() {
        for start in [0, 1, 77, u64::MAX - 40] {
            let mut out = [0u64; 37];
            fill_at(0x1234_5678_9abc_def0, start, &mut out);
            for (i, &x) in out.iter().enumerate() {
                assert_eq!(x, at(0x1234_5678_9abc_def0, start.wrapping_add(i as u64)));
            }
        }
    }

    #[test]
    fn bounded_is_exact_and_rejects() {
        let t = threshold(3);
        assert_eq!(u128::from(t), (1u128 << 64) % 3);
        // A first draw of 0 has low word 0 < t, so it is rejected and the second is used.
        let got = bounded(3, |a| if a == 0 { 0 } else { u64::MAX });
        assert_eq!(got, 2);
        assert_eq!(bounded(1, |_| 12345), 0);
    }

    #[test]
    fn level_is_the_high_word_of_the_product() {
        for i in 0..200_000u64 {
            let x = at(6, i);
            for k in [1, 2, 3, 5001, (1 << 32) - 1, 1 << 32, at(7, i) >> (i % 64)] {
                let k = k.max(1);
                assert_eq!(level(x, k), ((u128::from(x) * u128::from(k)) >> 64) as u64);
            }
        }
        assert_eq!(level(u64::MAX, (1 << 32) - 1), (1 << 32) - 2);
    }

    #[test]
    fn unit_is_open() {
        assert!(unit(0) > 0.0);
        assert!(unit(u64::MAX) < 1.0);
        assert_eq!(unit(1 << 63), 0.5 + 0.5 / (1u64 << 52) as f64);
        assert_eq!(unit(u64::MAX), 1.0 - 0.5 / (1u64 << 52) as f64);
        for i in 0..200_000 {
            let x = at(5, i) >> (i % 64);
            let direct = ((x >> 12) as f64 + 0.5) * (1.0 / (1u64 << 52) as f64);
            assert_eq!(unit(x).to_bits(), direct.to_bits());
        }
    }
}
