//! Scrambled Sobol points: Joe–Kuo direction numbers, 64-bit, Gray-code order (as scipy), with
//! a random linear matrix scramble (LMS) and a digital shift drawn from the seed.

use super::rng::{at, key, Purpose};
use super::sobol_data::DIRECTIONS;

pub use super::sobol_data::DIMS as MAX_DIMS;

/// The 64 direction numbers v_1 … v_64 of dimension `dim` (v_k has its top bit at position k).
pub(crate) fn directions(dim: usize) -> [u64; 64] {
    let (poly, m) = DIRECTIONS[dim];
    let mut v = [0u64; 64];
    if m.is_empty() {
        for (k, vk) in v.iter_mut().enumerate() {
            *vk = 1u64 << (63 - k);
        }
        return v;
    }
    let s = m.len();
    for k in 0..64 {
        v[k] = if k < s {
            u64::from(m[k]) << (63 - k)
        } else {
            let mut x = v[k - s] ^ (v[k - s] >> s);
            for i in 1..s {
                if (poly >> (s - i)) & 1 == 1 {
                    x ^= v[k - i];
                }
            }
            x
        };
    }
    v
}

/// One scrambled dimension: the direction numbers with the LMS applied, and the shift.
#[derive(Clone, Debug)]
pub(crate) struct SobolDim {
    v: [u64; 64],
    shift: u64,
}

impl SobolDim {
    pub(crate) fn new(seed: u64, dim: usize) -> SobolDim {
        let raw = directions(dim);
        let mkey = key(seed, Purpose::SobolMatrix, dim as u64, 0);
        // Row i of the lower-triangular matrix (bit 63 − i is the diagonal): random bits left of it.
        let rows: Vec<u64> = (0..64u32)
            .map(|i| {
                let above = if i == 0 { 0 } else { !0u64 << (64 - i) };
                (at(mkey, u64::from(i)) & above) | (1u64 << (63 - i))
            })
            .collect();
        let mut v = [0u64; 64];
        for (out, &x) in v.iter_mut().zip(raw.iter()) {
            *out = rows.iter().enumerate().fold(0u64, |acc, (i, &r)| {
                acc | (u64::from((r & x).count_ones() & 1) << (63 - i))
            });
        }
        let shift = at(key(seed, Purpose::SobolShift, dim as u64, 0), 0);
        SobolDim { v, shift }
    }

    /// Point `k` (Gray-code order).
    pub(crate) fn point(&self, k: u64) -> u64 {
        let g = k ^ (k >> 1);
        (0..64)
            .filter(|b| (g >> b) & 1 == 1)
            .fold(self.shift, |x, b| x ^ self.v[b])
    }

    /// Points `start`, `start + 1`, … into `out`.
    pub(crate) fn fill(&self, start: u64, out: &mut [u64]) {
        let mut x = self.point(start);
        let mut k = start;
        for o in out.iter_mut() {
            *o = x;
            k += 1;
            x ^= self.v[k.trailing_zeros() as usize];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// First 32 unscrambled points, ×32, from `scipy.stats.qmc.Sobol(1024, scramble=False, bits=64)`.
    #[test]
    fn unscrambled_points_match_scipy() {
        let expected: [(usize, [u64; 32]); 4] = [
            (
                0,
                [
                    0, 16, 24, 8, 12, 28, 20, 4, 6, 22, 30, 14, 10, 26, 18, 2, 3, 19, 27, 11, 15,
                    31, 23, 7, 5, 21, 29, 13, 9, 25, 17, 1,
                ],
            ),
            (
                2,
                [
                    0, 16, 8, 24, 20, 4, 28, 12, 30, 14, 22, 6, 10, 26, 2, 18, 15, 31, 7, 23, 27,
                    11, 19, 3, 17, 1, 25, 9, 5, 21, 13, 29,
                ],
            ),
            (
                100,
                [
                    0, 16, 8, 24, 20, 4, 28, 12, 2, 18, 10, 26, 22, 6, 30, 14, 19, 3, 27, 11, 7,
                    23, 15, 31, 17, 1, 25, 9, 5, 21, 13, 29,
                ],
            ),
            (
                1023,
                [
                    0, 16, 24, 8, 28, 12, 4, 20, 2, 18, 26, 10, 30, 14, 6, 22, 29, 13, 5, 21, 1,
                    17, 25, 9, 31, 15, 7, 23, 3, 19, 27, 11,
                ],
            ),
        ];
        for (dim, pts) in expected {
            let plain = SobolDim {
                v: directions(dim),
                shift: 0,
            };
            let mut got = [0u64; 32];
            plain.fill(0, &mut got);
            let got: Vec<u64> = got.iter().map(|x| x >> 59).collect();
            assert_eq!(got, pts.to_vec(), "dimension {dim}");
        }
    }

    #[test]
    fn fill_from_any_start_equals_direct_points() {
        let d = SobolDim::new(7, 5);
        let mut a = vec![0u64; 300];
        d.fill(1000, &mut a);
        for (i, &x) in a.iter().enumerate() {
            assert_eq!(x, d.point(1000 + i as u64));
        }
    }

    #[test]
    fn scrambled_blocks_are_balanced() {
        // Any 2^m consecutive aligned points put one point in each interval of width 2^-m.
        let d = SobolDim::new(3, 9);
        let mut a = vec![0u64; 256];
        d.fill(256, &mut a);
        let mut bins: Vec<u64> = a.iter().map(|x| x >> 56).collect();
        bins.sort_unstable();
        assert_eq!(bins, (0..256).collect::<Vec<u64>>());
    }
}
