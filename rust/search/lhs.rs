//! Latin hypercube: per dimension a random permutation of the n strata (Fisher–Yates driven by
//! the counter-based generator) and a random position inside each stratum.

use super::rng::{at, bounded, key, Purpose};

/// One dimension of an n-row design.
#[derive(Clone, Debug)]
pub(crate) struct LhsDim {
    perm: Vec<u32>,
    width: u64,
    jitter: u64,
}

impl LhsDim {
    pub(crate) fn new(seed: u64, dim: usize, n: usize) -> LhsDim {
        let k = key(seed, Purpose::LhsPermutation, dim as u64, 0);
        let mut perm: Vec<u32> = (0..n as u32).collect();
        for i in (1..n).rev() {
            let m = i as u64 + 1;
            let r = bounded(m, |a| at(k, (i as u64) << 8 | a));
            perm.swap(i, r as usize);
        }
        let width = ((1u128 << 64) / n.max(1) as u128).min(u128::from(u64::MAX)) as u64;
        LhsDim {
            perm,
            width,
            jitter: key(seed, Purpose::LhsJitter, dim as u64, 0),
        }
    }

    /// Rows `start`, `start + 1`, … : stratum·width plus a uniform offset inside the stratum.
    #[inline(always)]
    pub(crate) fn fill(&self, start: u64, out: &mut [u64]) {
        for (i, o) in out.iter_mut().enumerate() {
            let row = start + i as u64;
            let inside = ((u128::from(at(self.jitter, row)) * u128::from(self.width)) >> 64) as u64;
            *o = u64::from(self.perm[row as usize]) * self.width + inside;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_point_per_stratum() {
        let n = 1000;
        let d = LhsDim::new(1, 0, n);
        let mut a = vec![0u64; n];
        d.fill(0, &mut a);
        let mut bins: Vec<u64> = a
            .iter()
            .map(|&x| ((u128::from(x) * n as u128) >> 64) as u64)
            .collect();
        bins.sort_unstable();
        assert_eq!(bins, (0..n as u64).collect::<Vec<u64>>());
    }
}
