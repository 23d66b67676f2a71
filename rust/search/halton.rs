//! Scrambled Halton points: dimension d uses the d-th prime; every digit position has its own
//! random permutation of the digits (drawn from the seed), applied to all digits including the
//! leading zeros, so the first point is random too.

use super::rng::{at, bounded, key, Purpose};

/// The first `n` primes.
pub(crate) fn primes(n: usize) -> Vec<u64> {
    let mut out = Vec::with_capacity(n);
    let mut c = 2u64;
    while out.len() < n {
        if out.iter().take_while(|&&p| p * p <= c).all(|&p| c % p != 0) {
            out.push(c);
        }
        c += 1;
    }
    out
}

/// One scrambled dimension of base `p`: digit position j is worth w_j = ⌊2^64 / p^(j+1)⌋
/// and its digit d contributes perm_j(d)·w_j to the 64-bit fixed-point coordinate.
#[derive(Clone, Debug)]
pub(crate) struct HaltonDim {
    p: u64,
    w: Vec<u64>,
    perm: Vec<Vec<u16>>,
}

impl HaltonDim {
    pub(crate) fn new(seed: u64, dim: usize, p: u64) -> HaltonDim {
        let mut w = Vec::new();
        let mut pj = u128::from(p);
        while pj <= 1u128 << 64 {
            w.push(((1u128 << 64) / pj) as u64);
            pj *= u128::from(p);
        }
        let perm = (0..w.len())
            .map(|j| {
                let k = key(seed, Purpose::HaltonPermutation, dim as u64, j as u64);
                let mut perm: Vec<u16> = (0..p as u16).collect();
                for i in (1..perm.len()).rev() {
                    let n = i as u64 + 1;
                    let r = bounded(n, |a| at(k, (i as u64) << 8 | a));
                    perm.swap(i, r as usize);
                }
                perm
            })
            .collect();
        HaltonDim { p, w, perm }
    }

    fn digits(&self, mut k: u64) -> Vec<u64> {
        self.w
            .iter()
            .map(|_| {
                let d = k % self.p;
                k /= self.p;
                d
            })
            .collect()
    }

    /// Point `k` (k below 2^48, which is below p^(number of digit positions) for every base).
    pub(crate) fn point(&self, k: u64) -> u64 {
        self.digits(k)
            .iter()
            .enumerate()
            .map(|(j, &d)| u64::from(self.perm[j][d as usize]) * self.w[j])
            .sum()
    }

    /// Points `start`, `start + 1`, … into `out`, updating only the digits that change.
    pub(crate) fn fill(&self, start: u64, out: &mut [u64]) {
        let mut digits = self.digits(start);
        let mut x = self.point(start);
        for o in out.iter_mut() {
            *o = x;
            for (j, d) in digits.iter_mut().enumerate() {
                let old = u64::from(self.perm[j][*d as usize]) * self.w[j];
                *d += 1;
                let wrapped = *d == self.p;
                if wrapped {
                    *d = 0;
                }
                x = x - old + u64::from(self.perm[j][*d as usize]) * self.w[j];
                if !wrapped {
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primes_start_right() {
        assert_eq!(primes(6), vec![2, 3, 5, 7, 11, 13]);
        assert_eq!(primes(1024)[1023], 8161);
    }

    #[test]
    fn fill_equals_direct_points() {
        let d = HaltonDim::new(11, 1, 3);
        let mut a = vec![0u64; 500];
        d.fill(77, &mut a);
        for (i, &x) in a.iter().enumerate() {
            assert_eq!(x, d.point(77 + i as u64));
        }
    }

    #[test]
    fn blocks_of_p_to_the_m_are_stratified() {
        // p^m consecutive aligned points put one point in each interval of width p^-m.
        let d = HaltonDim::new(5, 2, 5);
        let mut a = vec![0u64; 125];
        d.fill(250, &mut a);
        let mut bins: Vec<u64> = a
            .iter()
            .map(|&x| ((u128::from(x) * 125) >> 64) as u64)
            .collect();
        bins.sort_unstable();
        assert_eq!(bins, (0..125).collect::<Vec<u64>>());
    }
}
