//! Evaluation: one step ([`Schedule::value`]) or a range of steps into a slice
//! ([`Schedule::fill`]), segment by segment so that a faster kernel can replace a segment's loop
//! without touching the API. Formulas follow torch's closed forms operation for operation, so
//! that values agree to the last bit wherever torch computes them the same way.

use std::f64::consts::PI;

use super::kernels::{self, pow};
use super::{Anneal, CyclicMode, DecayMode, Schedule, WarmupShape, WsdDecay};
use crate::search::{math, rng};
use crate::simd::vectorized;

/// `a × b`, except that a zero factor gives 0 even where the other one overflowed to ±inf
/// (`0 × inf = 0`, the rule of the module documentation).
#[inline(always)]
fn times(a: f64, b: f64) -> f64 {
    if a == 0.0 || b == 0.0 {
        0.0
    } else {
        a * b
    }
}

/// `start · gamma^n` (`exp_decay`, `step_decay`, `multistep`): torch's closed form.
#[inline(always)]
fn geometric(start: f64, gamma: f64, n: f64) -> f64 {
    times(start, kernels::geometric(gamma, n, 1.0))
}

/// torch OneCycleLR's `_annealing_cos` / `_annealing_linear`, in torch's operation order.
fn anneal(kind: Anneal, start: f64, end: f64, pct: f64) -> f64 {
    match kind {
        // torch's operation order, the crate's cosine (within 5e-16 of torch's math.cos).
        Anneal::Cos => end + (start - end) / 2.0 * (kernels::cos_0_pi(PI * pct) + 1.0),
        Anneal::Linear => (end - start) * pct + start,
    }
}

/// A warm-up of `steps` steps from `start` to `target`.
#[inline(always)]
fn warmup_value(t: f64, start: f64, target: f64, steps: u64, shape: WarmupShape) -> f64 {
    let w = steps as f64;
    match shape {
        WarmupShape::Linear => start + (target - start) * (t / w),
        WarmupShape::Cosine => {
            start + (target - start) * ((1.0 - kernels::cos_0_pi(PI * t / w)) / 2.0)
        }
        WarmupShape::Exponential => start * (target / start).powf(t / w),
    }
}

/// One-cycle phases as torch builds them: two phases `p0 → p1 → p2`, or three
/// `p0 → p1 → p0 → p2`, ending at steps `pct·T − 1`, (`2·pct·T − 2`,) `T − 1`; each as
/// `(start, end, from, to)`, a phase starting where the one before ends. Step `t` lies in the
/// first phase whose end is `>= t`, or the last. Past `T − 1` the final value holds (torch
/// extrapolates one step, then raises).
struct OneCycle {
    phases: [(f64, f64, f64, f64); 3],
    len: usize,
    kind: Anneal,
    last: f64,
}

impl OneCycle {
    fn new(
        total_steps: u64,
        pct_start: f64,
        kind: Anneal,
        three_phase: bool,
        [p0, p1, p2]: [f64; 3],
    ) -> Self {
        let total = total_steps as f64;
        let first_end = pct_start * total - 1.0;
        let last = total - 1.0;
        let (phases, len) = if three_phase {
            let second_end = 2.0 * pct_start * total - 2.0;
            (
                [
                    (0.0, first_end, p0, p1),
                    (first_end, second_end, p1, p0),
                    (second_end, last, p0, p2),
                ],
                3,
            )
        } else {
            let unused = (0.0, 0.0, 0.0, 0.0);
            (
                [(0.0, first_end, p0, p1), (first_end, last, p1, p2), unused],
                2,
            )
        };
        Self {
            phases,
            len,
            kind,
            last,
        }
    }

    /// Phase `i`'s value at step `t`: torch's `_annealing_*` over the phase's fraction.
    #[inline(always)]
    fn phase_value(&self, i: usize, t: f64) -> f64 {
        let (start, end, from, to) = self.phases[i];
        anneal(
            self.kind,
            from,
            to,
            (t.min(self.last) - start) / (end - start),
        )
    }

    fn value(&self, t: f64) -> f64 {
        let t = t.min(self.last);
        let i = self.phases[..self.len - 1]
            .iter()
            .position(|p| t <= p.1)
            .unwrap_or(self.len - 1);
        self.phase_value(i, t)
    }

    /// [`OneCycle::value`] at the steps `start, start + 1, …`, phase by phase: phase `i ≥ 1`
    /// holds the whole steps above every earlier phase's end.
    fn fill(&self, start: u64, out: &mut [f64]) {
        let mut high = f64::NEG_INFINITY;
        let bounds: Vec<u64> = self.phases[..self.len - 1]
            .iter()
            .map(|p| {
                high = high.max(p.1);
                (high.floor() + 1.0).max(0.0) as u64
            })
            .collect();
        fill_segments(start, out, &bounds, |i, piece, t| {
            kernels::for_steps(t, piece, |x| self.phase_value(i, x));
        });
    }
}

/// timm's TanhLRScheduler, one cycle: with `r = t / steps` and `x = lb·(1 − r) + ub·r`,
/// `end + (start − end) / 2 · (1 − tanh x)`, then `end` from `steps` on. Computed as
/// `end + (start − end) / (1 + e^(2x))` (the same number: `1 − tanh x = 2 / (1 + e^(2x))`),
/// `e^(2x) = e^(2·lb) · R^r` with `R = e^(2·(ub − lb))`, so that it is the geometric piece.
fn tanh_value(t: f64, span: (f64, f64), steps: f64, bounds: (f64, f64)) -> f64 {
    if t >= steps {
        return span.1;
    }
    let (rate, tanh_of) = tanh_piece(span, bounds);
    tanh_of(kernels::geometric(rate, t, steps))
}

/// `R` and the value as a function of `R^r` for [`tanh_value`].
#[inline(always)]
fn tanh_piece((start, end): (f64, f64), (lb, ub): (f64, f64)) -> (f64, impl Fn(f64) -> f64) {
    let low = (2.0 * lb).exp();
    ((2.0 * (ub - lb)).exp(), move |p: f64| {
        end + (start - end) / (1.0 + low * p)
    })
}

/// torch CyclicLR, operation for operation; `exp_range` is `gamma^t` (used in that mode only).
fn cyclic_value(
    t: f64,
    low: f64,
    high: f64,
    up: f64,
    down: Option<f64>,
    mode: CyclicMode,
    exp_range: f64,
) -> f64 {
    let total_size = up + down.unwrap_or(up);
    let step_ratio = up / total_size;
    let cycle = (1.0 + t / total_size).floor();
    let x = 1.0 + t / total_size - cycle;
    let scale_factor = if x <= step_ratio {
        x / step_ratio
    } else {
        (x - 1.0) / (step_ratio - 1.0)
    };
    let base_height = (high - low) * scale_factor;
    let scale = match mode {
        CyclicMode::Triangular => 1.0,
        CyclicMode::Triangular2 => 1.0 / 2f64.powf(cycle - 1.0),
        CyclicMode::ExpRange => exp_range,
    };
    low + times(base_height, scale)
}

/// `[warmup, stable, decay]` lengths come as `(total_steps, warmup_steps, decay_steps)`.
fn wsd_value(
    t: f64,
    peak: f64,
    (total_steps, warmup_steps, decay_steps): (u64, u64, u64),
    end: f64,
    decay: WsdDecay,
    power: f64,
) -> f64 {
    let (total, warmup, decay_len) = (total_steps as f64, warmup_steps as f64, decay_steps as f64);
    let decay_start = total - decay_len;
    if t < warmup {
        peak * (t / warmup)
    } else if t < decay_start {
        peak
    } else if t < total {
        let f = (t - decay_start) / decay_len;
        match decay {
            WsdDecay::OneMinusSqrt => end + (peak - end) * (1.0 - f.sqrt()),
            WsdDecay::Linear => end + (peak - end) * (1.0 - f),
            WsdDecay::Cosine => kernels::cosine_at(f, peak, end),
            WsdDecay::Power => end + (peak - end) * pow(1.0 - f, power),
            WsdDecay::Exp => peak * (end / peak).powf(f),
        }
    } else {
        end
    }
}

/// Which cycle of `restarts` holds step `t`, and where that cycle starts.
/// Cycle i lasts `len0·mul^i` steps and starts at `len0·(mul^i − 1)/(mul − 1)`. With
/// `mul < 1`, `t` lies before [`restarts_end`] (the cycles' geometric limit).
///
/// The logarithm gives the cycle up to rounding (exactly, in all but a few steps at a
/// boundary); a search settles it against the cycle starts themselves, so a step's cycle is
/// the one whose computed start is the last at or before it, for every `mul`. The search
/// gallops from the estimate (1, 2, 4, … cycles) and then bisects, so it takes at most about
/// 2·64 evaluations of a cycle start whatever `mul` and `t` are: near 1 (`1 ± 1e-15`, where
/// `ln(mul)` keeps few exact digits), near overflow (`1e308`, where `t·(mul − 1)` is infinite)
/// and near 0 (where the cycles after the first shrink to nothing) alike.
fn restart_cycle(t: f64, len0: f64, mul: f64) -> (f64, f64) {
    let start_of = |i: f64| restart_start(i, len0, mul);
    if mul == 1.0 {
        let i = floor_div(t, len0);
        return (i, start_of(i));
    }
    // ln(1 + t·(mul − 1)/len0) without overflowing the product when mul is huge.
    let x = t / len0;
    let log = if (x * (mul - 1.0)).is_finite() {
        (x * (mul - 1.0)).ln_1p()
    } else {
        x.ln() + (mul - 1.0).ln()
    };
    let guess = (log / mul.ln()).floor().max(0.0);
    let guess = if mul < 1.0 {
        // Close to the limit the log's argument may round to 0 or below: search from 0.
        if guess.is_finite() {
            guess
        } else {
            0.0
        }
    } else if guess.is_finite() {
        // Every cycle lasts at least len0 steps, so no cycle past t / len0 can start by t.
        guess.min(x.floor())
    } else {
        x.floor()
    };
    let (mut lo, mut hi);
    if start_of(guess) <= t {
        // Gallop up until a cycle starts after t.
        lo = guess;
        let mut jump = 1.0;
        loop {
            hi = lo + jump;
            if hi == lo || start_of(hi) > t {
                break;
            }
            lo = hi;
            jump *= 2.0;
        }
    } else {
        // Gallop down until a cycle starts by t (cycle 0 starts at 0 <= t).
        hi = guess;
        let mut jump = 1.0;
        loop {
            lo = (hi - jump).max(0.0);
            if lo == 0.0 || start_of(lo) <= t {
                break;
            }
            hi = lo;
            jump *= 2.0;
        }
    }
    // start_of(lo) <= t < start_of(hi): bisect down to neighbours.
    while hi - lo > 1.0 {
        let mid = (lo + (hi - lo) / 2.0).floor();
        if mid <= lo || mid >= hi {
            break;
        }
        if start_of(mid) <= t {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo, start_of(lo))
}

/// Where `restarts` ends: the start of cycle `limit`, or without a limit, for `mul < 1`, the
/// geometric limit `len0 / (1 − mul)` that its ever shorter cycles approach (cycle ∞'s start,
/// computed as [`restart_start`] computes every start, so that it bounds them all); `None`
/// (endless) otherwise.
fn restarts_end(len0: f64, mul: f64, limit: Option<u64>) -> Option<f64> {
    match limit {
        Some(l) => Some(restart_start(l as f64, len0, mul)),
        None if mul < 1.0 => Some(restart_start(f64::INFINITY, len0, mul)),
        None => None,
    }
}

/// Where cycle `i` of `restarts` starts: torch's `T_0 · (T_mult^i − 1) / (T_mult − 1)`, the
/// division first where the product would overflow (a huge `mul`).
fn restart_start(i: f64, len0: f64, mul: f64) -> f64 {
    if mul == 1.0 {
        return i * len0;
    }
    let grown = pow(mul, i) - 1.0;
    if (len0 * grown).is_finite() {
        len0 * grown / (mul - 1.0)
    } else {
        len0 * (grown / (mul - 1.0))
    }
}

/// Python's `a // b` for a >= 0, b > 0: the floor of the exact quotient (through the exact
/// remainder), where `(a / b).floor()` can round up across a whole number (11 / 1.1 is 10,
/// but 1.1 is a little above 11/10, so 11 // 1.1 is 9).
fn floor_div(a: f64, b: f64) -> f64 {
    let div = (a - a % b) / b;
    let floor = div.floor();
    if div - floor > 0.5 {
        floor + 1.0
    } else {
        floor
    }
}

/// One cycle of `restarts`: the inner schedule's clock runs `scale` times slower and its
/// distance from `end` (the inner schedule's final value) is scaled by `height`.
struct RestartCycle {
    start: f64,
    scale: f64,
    height: f64,
    end: f64,
}

impl RestartCycle {
    fn new(
        schedule: &Schedule,
        len0: f64,
        cycle: f64,
        start: f64,
        mul: f64,
        (decay, mode): (f64, DecayMode),
    ) -> Self {
        let factor = pow(decay, cycle);
        // Only a decaying cycle needs the end value; the per-step path skips the evaluation.
        let end = if factor == 1.0 {
            0.0
        } else {
            schedule.value(len0)
        };
        let height = match mode {
            DecayMode::Height => factor,
            DecayMode::Peak => {
                let peak = schedule.peak();
                if factor == 1.0 || peak == end {
                    1.0
                } else {
                    (times(factor, peak) - end) / (peak - end)
                }
            }
        };
        RestartCycle {
            start,
            scale: pow(mul, cycle),
            height,
            end,
        }
    }

    fn value(&self, schedule: &Schedule, t: f64) -> f64 {
        self.lift(schedule.value(self.clock(t)))
    }

    /// The inner schedule's step at step `t`.
    #[inline(always)]
    fn clock(&self, t: f64) -> f64 {
        (t - self.start) / self.scale
    }

    /// The cycle's value from the inner schedule's.
    #[inline(always)]
    fn lift(&self, inner: f64) -> f64 {
        if self.height == 1.0 {
            inner
        } else {
            self.end + times(self.height, inner - self.end)
        }
    }

    /// [`RestartCycle::value`] at the steps `start, start + 1, …`: the inner clock's steps a
    /// block at a time, evaluated by [`Schedule::eval_into`].
    fn fill(&self, schedule: &Schedule, start: u64, out: &mut [f64]) {
        const BLOCK: usize = 4096;
        let mut clock = [0.0; BLOCK];
        for (i, chunk) in out.chunks_mut(BLOCK).enumerate() {
            let clock = &mut clock[..chunk.len()];
            kernels::for_steps(start + (i * BLOCK) as u64, clock, |t| self.clock(t));
            schedule.eval_into(clock, chunk);
            map_in_place(chunk, |v| self.lift(v));
        }
    }
}

/// The key of step `step`'s stream: `mix64(seed + step·GAMMA)`. Counter-based, so a step's
/// noise never depends on which other steps were evaluated.
#[inline(always)]
fn noise_key(seed: u64, step: u64) -> u64 {
    rng::mix64(seed.wrapping_add(step.wrapping_mul(rng::GAMMA)))
}

/// A 64-bit draw as a uniform on (0, 1): its top 52 bits `m`, `(m + 1/2) / 2^52`, formed as
/// the mantissa of a number in [1, 2) minus one (exact, and bit operations that vectorize where
/// a 64-bit integer conversion does not).
#[inline(always)]
fn unit(bits: u64) -> f64 {
    (f64::from_bits(0x3ff0_0000_0000_0000 | bits >> 12) - 1.0) + 0.5 / (1u64 << 52) as f64
}

/// Try `k` of a noise value: two normal candidates from draws `2k` and `2k + 1` (`b₁`, `b₂`) of
/// the step's stream, Box–Muller's `std · r · (cos θ, ±sin θ)` with `r = √(−2 ln u₁)`,
/// `θ = π u₂`, `uᵢ = unit(bᵢ)` and the sign of the sine from `b₂`'s lowest bit (a half-turn
/// and a sign: an angle uniform on the full turn). IEEE-only arithmetic ([`math::ln_normal`],
/// [`kernels::cos_0_pi`], [`kernels::sin_0_pi`]): the same bits on every machine.
#[inline(always)]
fn noise_pair(key: u64, k: u64, std: f64) -> (f64, f64) {
    let (b1, b2) = (rng::at(key, 2 * k), rng::at(key, 2 * k + 1));
    let r = std * (-2.0 * math::ln_normal(unit(b1), 0)).sqrt();
    let theta = PI * unit(b2);
    let sign = 1.0 - 2.0 * (b2 & 1) as f64;
    (
        r * kernels::cos_0_pi(theta),
        sign * r * kernels::sin_0_pi(theta),
    )
}

/// Most tries a noise value may take (two candidates each): with `pct/std >= 0.01` the chance of
/// needing more is below 1e-14 (0.992^4096), and the cap keeps evaluation bounded whatever
/// happens.
const NOISE_TRIES: u64 = 2048;

/// Whether a noise candidate is kept: `|n| < pct`.
#[inline(always)]
fn accepted(n: f64, pct: f64) -> bool {
    n.abs() < pct
}

/// timm's LR noise: a normal draw with deviation `std`, redrawn until `|n| < pct`: the first
/// candidate of [`noise_pair`]'s tries `0, 1, …` (cosine before sine) below `pct` in
/// magnitude, 0 if all [`NOISE_TRIES`] fail.
pub(crate) fn noise_factor(seed: u64, step: u64, pct: f64, std: f64) -> f64 {
    let key = noise_key(seed, step);
    (0..NOISE_TRIES)
        .flat_map(|k| {
            let (a, b) = noise_pair(key, k, std);
            [a, b]
        })
        .find(|&n| accepted(n, pct))
        .unwrap_or(0.0)
}

/// `v + v · noise_factor(seed, step)` for `out`'s values `v` at the steps `start, start + 1, …`:
/// [`noise_factor`]'s numbers, a block of steps at a time. Each pass computes one try for every
/// step of the block still without a value in one vectorized loop, then keeps the accepted
/// draws and packs the keys of the steps left for the next pass.
fn fill_noise(seed: u64, start: u64, (pct, std): (f64, f64), out: &mut [f64]) {
    const BLOCK: usize = 1024;
    let mut keys = [0u64; BLOCK];
    let mut pending = [0usize; BLOCK];
    let mut draws = [0.0; BLOCK];
    for (b, chunk) in out.chunks_mut(BLOCK).enumerate() {
        let step = start + (b * BLOCK) as u64;
        let mut left = chunk.len();
        let (todo, places) = (&mut keys[..left], &mut pending[..left]);
        vectorized(
            #[inline(always)]
            || {
                for (i, (key, p)) in todo.iter_mut().zip(places).enumerate() {
                    (*key, *p) = (noise_key(seed, step + i as u64), i);
                }
            },
        );
        let mut k = 0;
        while left > 0 && k < NOISE_TRIES {
            let (todo, tries) = (&keys[..left], &mut draws[..left]);
            vectorized(
                #[inline(always)]
                || {
                    for (&key, n) in todo.iter().zip(tries.iter_mut()) {
                        let (a, b) = noise_pair(key, k, std);
                        *n = if accepted(a, pct) { a } else { b };
                    }
                },
            );
            let tries = &draws[..left];
            if k == 0 {
                // The first pass covers the whole block in order: one vector loop.
                vectorized(
                    #[inline(always)]
                    || {
                        for (v, &n) in chunk.iter_mut().zip(tries) {
                            *v = if accepted(n, pct) { *v + *v * n } else { *v };
                        }
                    },
                );
            } else {
                for (&i, &n) in pending.iter().zip(tries) {
                    if accepted(n, pct) {
                        chunk[i] += chunk[i] * n;
                    }
                }
            }
            // Branch-free: a step's acceptance is a coin flip that a branch would mispredict.
            let mut kept = 0;
            for (j, &n) in tries.iter().enumerate() {
                (pending[kept], keys[kept]) = (pending[j], keys[j]);
                kept += usize::from(!accepted(n, pct));
            }
            left = kept;
            k += 1;
        }
        // Steps whose every try failed take noise_factor's 0.
        for &i in &pending[..left] {
            chunk[i] += chunk[i] * 0.0;
        }
    }
}

/// Writes steps `start, start + 1, …` of a function constant over runs of `run` steps:
/// `value(k)` on `[k·run, (k + 1)·run)`.
fn fill_runs(start: u64, out: &mut [f64], run: u64, value: impl Fn(u64) -> f64) {
    let mut done = 0usize;
    while done < out.len() {
        let t = start + done as u64;
        let k = t / run;
        let end = usize::try_from((k + 1) * run - t)
            .map_or(out.len(), |n| done.saturating_add(n))
            .min(out.len());
        out[done..end].fill(value(k));
        done = end;
    }
}

/// Writes steps `start, start + 1, …` segment by segment between sorted `bounds`:
/// `write(i, piece, t)` for the piece starting at step `t` where `i` bounds are `<= t`.
fn fill_segments(
    start: u64,
    out: &mut [f64],
    bounds: &[u64],
    mut write: impl FnMut(usize, &mut [f64], u64),
) {
    let mut done = 0usize;
    while done < out.len() {
        let t = start + done as u64;
        let i = bounds.partition_point(|&b| b <= t);
        let end = bounds.get(i).map_or(out.len(), |&b| {
            usize::try_from(b - t).map_or(out.len(), |n| done.saturating_add(n).min(out.len()))
        });
        write(i, &mut out[done..end], t);
        done = end;
    }
}

/// `out[i] = f(out[i])`, vectorized.
#[inline(always)]
fn map_in_place(out: &mut [f64], f: impl Fn(f64) -> f64) {
    vectorized(
        #[inline(always)]
        || out.iter_mut().for_each(|v| *v = f(*v)),
    );
}

/// `op(left(t), right(t))` for the steps of `out`: both sides filled block by block, so each
/// side runs its own fast path.
fn combine(
    start: u64,
    out: &mut [f64],
    left: &Schedule,
    right: &Schedule,
    op: impl Fn(f64, f64) -> f64,
) {
    const BLOCK: usize = 4096;
    let mut other = [0.0; BLOCK];
    left.fill(start, out);
    for (i, chunk) in out.chunks_mut(BLOCK).enumerate() {
        let other = &mut other[..chunk.len()];
        right.fill(start + (i * BLOCK) as u64, other);
        vectorized(
            #[inline(always)]
            || {
                for (a, &b) in chunk.iter_mut().zip(other.iter()) {
                    *a = op(*a, b);
                }
            },
        );
    }
}

/// A step or boundary of a table: a whole number, or a real one for `join`'s boundaries.
trait Step: Copy {
    fn at(self) -> f64;
}

impl Step for u64 {
    fn at(self) -> f64 {
        self as f64
    }
}

impl Step for f64 {
    fn at(self) -> f64 {
        self
    }
}

/// How many of the sorted steps are `<= t`.
fn count_le<T: Step>(sorted: &[T], t: f64) -> usize {
    sorted.partition_point(|&b| b.at() <= t)
}

impl Schedule {
    /// The value at step `t` (`t >= 0`; fractional steps are allowed).
    pub fn value(&self, t: f64) -> f64 {
        use Schedule::*;
        match self {
            Constant { value } => *value,
            Linear { start, end, steps } => kernels::linear(t, *start, *end, *steps),
            Cosine {
                start,
                end,
                steps,
                k,
            } => kernels::cosine(t, *start, *end, *steps, *k),
            Exponential { start, end, steps } => {
                start * kernels::geometric(end / start, t.min(*steps as f64), *steps as f64)
            }
            Tanh {
                start,
                end,
                steps,
                lb,
                ub,
            } => tanh_value(t, (*start, *end), *steps, (*lb, *ub)),
            ExpDecay {
                start,
                gamma,
                every,
            } => geometric(*start, *gamma, (t / *every as f64).floor()),
            Polynomial {
                start,
                end,
                steps,
                power,
                k,
            } => {
                let steps = *steps as f64;
                kernels::polynomial(t, (*start, *end), (steps, pow(steps, *k)), *power, *k)
            }
            StepDecay {
                start,
                step_size,
                gamma,
            } => geometric(*start, *gamma, (t / *step_size as f64).floor()),
            Multistep {
                start,
                milestones,
                gamma,
            } => geometric(*start, *gamma, count_le(milestones, t) as f64),
            PiecewiseConstant { boundaries, values } => values[count_le(boundaries, t)],
            PiecewiseLinear { points } => {
                let i = points.partition_point(|&(s, _)| s as f64 <= t);
                if i == 0 {
                    points[0].1
                } else if i == points.len() {
                    points[i - 1].1
                } else {
                    let ((s0, v0), (s1, v1)) = (points[i - 1], points[i]);
                    v0 + (v1 - v0) * (t - s0 as f64) / (s1 - s0) as f64
                }
            }
            InverseSqrt {
                peak,
                warmup_steps,
                timescale,
            } => {
                let w = *warmup_steps as f64;
                if t < w {
                    return peak * (t / w);
                }
                // transformers: 1 / sqrt((t + timescale − W) / timescale), timescale W by default.
                let scale = timescale.unwrap_or(w);
                peak * (1.0 / ((t + (scale - w)) / scale).sqrt())
            }
            Cyclic {
                low,
                high,
                step_size_up,
                step_size_down,
                mode,
                gamma,
            } => cyclic_value(
                t,
                *low,
                *high,
                *step_size_up,
                *step_size_down,
                *mode,
                kernels::geometric(*gamma, t, 1.0),
            ),
            OneCycle { .. } | OneCycleMomentum { .. } => self.one_cycle().value(t),
            Wsd {
                peak,
                total_steps,
                warmup_steps,
                decay_steps,
                r#final,
                decay,
                power,
            } => wsd_value(
                t,
                *peak,
                (*total_steps, *warmup_steps, *decay_steps),
                *r#final,
                *decay,
                *power,
            ),
            Warmup {
                steps,
                then,
                start,
                shape,
                prefix,
            } => {
                if t >= *steps as f64 {
                    return then.value(if *prefix { t - *steps as f64 } else { t });
                }
                warmup_value(t, *start, then.value(0.0), *steps, *shape)
            }
            Join {
                schedules,
                boundaries,
            } => {
                let i = count_le(boundaries, t);
                let offset = if i == 0 { 0.0 } else { boundaries[i - 1] };
                schedules[i].value(t - offset)
            }
            Restarts {
                schedule,
                mul,
                decay,
                limit,
                decay_mode,
            } => {
                let len0 = schedule.period().unwrap_or(1.0);
                if restarts_end(len0, *mul, *limit).is_some_and(|end| t >= end) {
                    return schedule.value(len0);
                }
                let (cycle, cycle_start) = restart_cycle(t, len0, *mul);
                RestartCycle::new(
                    schedule,
                    len0,
                    cycle,
                    cycle_start,
                    *mul,
                    (*decay, *decay_mode),
                )
                .value(schedule, t)
            }
            Noise {
                schedule,
                pct,
                std,
                seed,
                start,
                end,
            } => {
                let v = schedule.value(t);
                let step = t.floor();
                let active = step >= *start as f64 && end.is_none_or(|e| step < e as f64);
                if active {
                    v + v * noise_factor(*seed, step as u64, *pct, *std)
                } else {
                    v
                }
            }
            Add { left, right } => left.value(t) + right.value(t),
            Mul { left, right } => times(left.value(t), right.value(t)),
            Sub { left, right } => left.value(t) - right.value(t),
            Div { left, right } => left.value(t) / right.value(t),
            Clip { schedule, lo, hi } => {
                let v = schedule.value(t);
                let v = lo.map_or(v, |lo| v.max(lo));
                hi.map_or(v, |hi| v.min(hi))
            }
            Shift { schedule, n } => schedule.value((t - *n as f64).max(0.0)),
            PerEpoch {
                schedule,
                steps_per_epoch,
            } => schedule.value((t / *steps_per_epoch as f64).floor()),
        }
    }

    /// The value a cycle of `restarts(decay_mode="peak")` scales: `start` for `tanh` (whose
    /// curve begins just below it, as timm's does below its base rate), the value at 0 otherwise.
    fn peak(&self) -> f64 {
        match self {
            Schedule::Tanh { start, .. } => *start,
            _ => self.value(0.0),
        }
    }

    /// The step from which the value holds for ever, or `None` for an endless schedule
    /// (`exp_decay`, `step_decay`, `inverse_sqrt`, `cyclic`, unlimited `restarts`, open noise):
    /// the first whole step at or after [`Schedule::period`].
    pub fn total_steps(&self) -> Option<u64> {
        self.period().map(|p| p.ceil().min(u64::MAX as f64) as u64)
    }

    /// The length of the schedule in steps, a real number where a cycle or boundary is
    /// (`cosine(1.0, 0.0, 170.5)` lasts 170.5 steps): what `restarts` repeats.
    pub fn period(&self) -> Option<f64> {
        use Schedule::*;
        match self {
            Constant { .. } => Some(0.0),
            Cosine { steps, .. } | Tanh { steps, .. } => Some(*steps),
            Linear { steps, .. } | Exponential { steps, .. } | Polynomial { steps, .. } => {
                Some(*steps as f64)
            }
            ExpDecay { .. } | StepDecay { .. } | InverseSqrt { .. } | Cyclic { .. } => None,
            Multistep { milestones, .. } => Some(milestones.last().map_or(0.0, |&m| m as f64)),
            PiecewiseConstant { boundaries, .. } => {
                Some(boundaries.last().map_or(0.0, |&b| b as f64))
            }
            PiecewiseLinear { points } => Some(points.last().map_or(0.0, |p| p.0 as f64)),
            OneCycle { total_steps, .. }
            | OneCycleMomentum { total_steps, .. }
            | Wsd { total_steps, .. } => Some(*total_steps as f64),
            Warmup {
                steps,
                then,
                prefix,
                ..
            } => {
                let then = then.period()?;
                Some(if *prefix {
                    then + *steps as f64
                } else {
                    then.max(*steps as f64)
                })
            }
            Join {
                schedules,
                boundaries,
            } => Some(schedules.last()?.period()? + boundaries.last().copied().unwrap_or(0.0)),
            Restarts {
                schedule,
                mul,
                limit,
                ..
            } => restarts_end(schedule.period()?, *mul, *limit),
            Noise { schedule, end, .. } => Some(schedule.period()?.max((*end)? as f64)),
            Add { left, right }
            | Mul { left, right }
            | Sub { left, right }
            | Div { left, right } => Some(left.period()?.max(right.period()?)),
            Clip { schedule, .. } => schedule.period(),
            Shift { schedule, n } => Some((schedule.period()? + *n as f64).max(0.0)),
            // The inner clock moves in whole epochs: it reaches a length p at epoch ceil(p).
            PerEpoch {
                schedule,
                steps_per_epoch,
            } => Some(schedule.period()?.ceil() * *steps_per_epoch as f64),
        }
    }

    /// Writes the values of steps `start, start + 1, …` into `out`, equal bit for bit to
    /// [`Schedule::value`] at each step. Combinators split the range at their joins and hand
    /// each piece to the child that owns it; past the end the held value is written directly.
    pub fn fill(&self, start: u64, out: &mut [f64]) {
        use Schedule::*;
        if out.is_empty() {
            return;
        }
        if let Some(total) = self.total_steps() {
            if start >= total {
                out.fill(self.value(total as f64));
                return;
            }
            let live = usize::try_from(total - start).unwrap_or(usize::MAX);
            if live < out.len() {
                let (head, tail) = out.split_at_mut(live);
                self.fill(start, head);
                tail.fill(self.value(total as f64));
                return;
            }
        }
        match self {
            Warmup {
                steps,
                then,
                start: from,
                shape,
                prefix,
            } if start < *steps => {
                let split = usize::try_from(steps - start)
                    .unwrap_or(usize::MAX)
                    .min(out.len());
                let (head, tail) = out.split_at_mut(split);
                let (from, target, steps, shape) = (*from, then.value(0.0), *steps, *shape);
                kernels::for_steps(start, head, |t| warmup_value(t, from, target, steps, shape));
                then.fill(if *prefix { 0 } else { steps }, tail);
            }
            Warmup {
                steps,
                then,
                prefix,
                ..
            } => then.fill(if *prefix { start - steps } else { start }, out),
            Join {
                schedules,
                boundaries,
            } => {
                let mut done = 0usize;
                while done < out.len() {
                    let t = start + done as u64;
                    let i = count_le(boundaries, t as f64);
                    let offset = if i == 0 { 0.0 } else { boundaries[i - 1] };
                    // The whole steps below the next boundary b > t: ceil(b − t) of them.
                    let end = boundaries.get(i).map_or(out.len(), |&b| {
                        done + ((b - t as f64).ceil() as usize).min(out.len() - done)
                    });
                    let piece = &mut out[done..end];
                    if offset.fract() == 0.0 {
                        schedules[i].fill(t - offset as u64, piece);
                    } else {
                        let inner = &schedules[i];
                        kernels::for_steps(t, piece, |x| inner.value(x - offset));
                    }
                    done = end;
                }
            }
            // A positive shift holds the first value for `n` steps; a negative one starts the
            // schedule `|n|` steps in.
            Shift { schedule, n } => match start.checked_add_signed(-*n) {
                Some(from) => schedule.fill(from, out),
                None if *n > 0 => {
                    let split = usize::try_from(n.unsigned_abs() - start)
                        .unwrap_or(usize::MAX)
                        .min(out.len());
                    let (head, tail) = out.split_at_mut(split);
                    head.fill(schedule.value(0.0));
                    schedule.fill(0, tail);
                }
                None => self.fill_each(start, out),
            },
            Constant { value } => out.fill(*value),
            Linear {
                start: from,
                end,
                steps,
            } => kernels::for_steps(start, out, |t| kernels::linear(t, *from, *end, *steps)),
            // `fill` has already cut the range at total_steps: every t here is below `steps`.
            Cosine {
                start: from,
                end,
                steps,
                k,
            } if *k == 1.0 => kernels::fill_cosine(start, out, *from, *end, *steps),
            // One cycle at a time, its constants computed once (`fill` has already cut the
            // range where a `limit` ends it). A cycle of the inner clock is the inner fill.
            Restarts {
                schedule,
                mul,
                decay,
                decay_mode,
                ..
            } => {
                let len0 = schedule.period().unwrap_or(1.0);
                let mut done = 0usize;
                while done < out.len() {
                    let t = start + done as u64;
                    let (i, cycle_start) = restart_cycle(t as f64, len0, *mul);
                    let next = restart_start(i + 1.0, len0, *mul).ceil();
                    // Rounding at huge steps can put `next` at or before t: then one step.
                    let stop = if next >= (start + out.len() as u64) as f64 {
                        out.len()
                    } else {
                        ((next as u64).saturating_sub(start) as usize).clamp(done + 1, out.len())
                    };
                    let piece = &mut out[done..stop];
                    let cycle = RestartCycle::new(
                        schedule,
                        len0,
                        i,
                        cycle_start,
                        *mul,
                        (*decay, *decay_mode),
                    );
                    // A cycle starting between steps, or above 2^53 where its start may round
                    // past t, has no shortcut.
                    let local = (cycle_start.fract() == 0.0)
                        .then(|| t.checked_sub(cycle_start as u64))
                        .flatten();
                    match local {
                        Some(local) if cycle.scale == 1.0 && cycle.height == 1.0 => {
                            schedule.fill(local, piece)
                        }
                        _ => cycle.fill(schedule, t, piece),
                    }
                    done += piece.len();
                }
            }
            // The shapes' formulas inlined into one loop, their parameters bound once.
            Polynomial {
                start: from,
                end,
                steps,
                power,
                k,
            } => {
                let (span, power, k) = ((*from, *end), *power, *k);
                let steps = (*steps as f64, pow(*steps as f64, k));
                // k = 1 (torch's and transformers' polynomial) in a loop of its own, so that
                // it vectorizes.
                if k == 1.0 {
                    kernels::for_steps(start, out, |t| {
                        kernels::polynomial(t, span, steps, power, 1.0)
                    });
                } else {
                    kernels::for_steps(start, out, |t| {
                        kernels::polynomial(t, span, steps, power, k)
                    });
                }
            }
            Cosine {
                start: from,
                end,
                steps,
                k,
            } => {
                let (span, k) = ((*from, *end), *k);
                let steps = (*steps, kernels::pow(*steps, k));
                if k == 2.0 && steps.1.is_finite() {
                    // cosine_k's own operations for timm's usual k, without its branches, so
                    // that the loop vectorizes.
                    let (from, end, steps_k) = (span.0, span.1, steps.1);
                    kernels::for_steps(start, out, |t| {
                        kernels::cosine_at(t * t / steps_k, from, end)
                    });
                } else {
                    kernels::for_steps(start, out, |t| kernels::cosine_k(t, span, steps, k));
                }
            }
            Tanh {
                start: from,
                end,
                steps,
                lb,
                ub,
            } => {
                let (rate, tanh_of) = tanh_piece((*from, *end), (*lb, *ub));
                kernels::fill_geometric(start, out, (rate, *steps), |_, p| tanh_of(p));
            }
            Exponential {
                start: from,
                end,
                steps,
            } => {
                let from = *from;
                kernels::fill_geometric(start, out, (end / from, *steps as f64), |_, p| from * p);
            }
            ExpDecay {
                start: from,
                gamma,
                every: 1,
            }
            | StepDecay {
                start: from,
                gamma,
                step_size: 1,
            } => kernels::fill_geometric(start, out, (*gamma, 1.0), |_, p| times(*from, p)),
            Cyclic {
                low,
                high,
                step_size_up,
                step_size_down,
                mode,
                gamma,
            } => {
                let (up, down, mode) = (*step_size_up, *step_size_down, *mode);
                let cycle = |t, scale| cyclic_value(t, *low, *high, up, down, mode, scale);
                if mode == CyclicMode::ExpRange {
                    kernels::fill_geometric(start, out, (*gamma, 1.0), cycle);
                } else {
                    kernels::for_steps(start, out, |t| cycle(t, 1.0));
                }
            }
            OneCycle { .. } | OneCycleMomentum { .. } => self.one_cycle().fill(start, out),
            // Constant between milestones / boundaries: one value a segment.
            Multistep {
                start: from,
                milestones,
                gamma,
            } => fill_segments(start, out, milestones, |i, piece, _| {
                piece.fill(geometric(*from, *gamma, i as f64))
            }),
            PiecewiseConstant { boundaries, values } => {
                fill_segments(start, out, boundaries, |i, piece, _| piece.fill(values[i]))
            }
            // Linear between points: one interpolation loop a segment.
            PiecewiseLinear { points } => {
                let steps: Vec<u64> = points.iter().map(|p| p.0).collect();
                fill_segments(start, out, &steps, |i, piece, t| {
                    if i == 0 || i == points.len() {
                        piece.fill(points[i.saturating_sub(1)].1);
                    } else {
                        let ((s0, v0), (s1, v1)) = (points[i - 1], points[i]);
                        kernels::for_steps(t, piece, |t| {
                            v0 + (v1 - v0) * (t - s0 as f64) / (s1 - s0) as f64
                        });
                    }
                })
            }
            // Constant over runs of `every` steps: one power a run.
            ExpDecay {
                start: from,
                gamma,
                every: run,
            }
            | StepDecay {
                start: from,
                gamma,
                step_size: run,
            } => fill_runs(start, out, *run, |k| geometric(*from, *gamma, k as f64)),
            Add { left, right } => combine(start, out, left, right, |a, b| a + b),
            Sub { left, right } => combine(start, out, left, right, |a, b| a - b),
            Mul { left, right } => combine(start, out, left, right, times),
            Div { left, right } => combine(start, out, left, right, |a, b| a / b),
            Clip { schedule, lo, hi } => {
                schedule.fill(start, out);
                match (*lo, *hi) {
                    (Some(lo), Some(hi)) => map_in_place(out, |v| v.max(lo).min(hi)),
                    (Some(lo), None) => map_in_place(out, |v| v.max(lo)),
                    (None, Some(hi)) => map_in_place(out, |v| v.min(hi)),
                    (None, None) => {}
                }
            }
            // The inner schedule's values, then the noise over the steps in [start, end).
            Noise {
                schedule,
                pct,
                std,
                seed,
                start: from,
                end,
            } => {
                schedule.fill(start, out);
                let steps = |s: u64| {
                    usize::try_from(s.saturating_sub(start)).map_or(out.len(), |n| n.min(out.len()))
                };
                let (lo, hi) = (steps(*from), end.map_or(out.len(), steps));
                if lo < hi {
                    fill_noise(*seed, start + lo as u64, (*pct, *std), &mut out[lo..hi]);
                }
            }
            // The inner schedule over whole epochs, each value written for its epoch's steps.
            PerEpoch {
                schedule,
                steps_per_epoch: run,
            } => {
                let first = start / run;
                let last = (start + out.len() as u64 - 1) / run;
                let mut epochs = vec![0.0; usize::try_from(last - first + 1).unwrap_or(0)];
                schedule.fill(first, &mut epochs);
                fill_runs(start, out, *run, |k| epochs[(k - first) as usize]);
            }
            _ => self.fill_each(start, out),
        }
    }

    /// Values at the steps `ts` (any real numbers) into `out`: one loop over the formula for the
    /// shapes a stretched clock (`restarts`) usually runs, [`Schedule::value`] otherwise.
    fn eval_into(&self, ts: &[f64], out: &mut [f64]) {
        match self {
            Schedule::Cosine {
                start,
                end,
                steps,
                k,
            } if *k == 1.0 => vectorized(
                #[inline(always)]
                || {
                    for (o, &t) in out.iter_mut().zip(ts) {
                        *o = kernels::cosine(t, *start, *end, *steps, 1.0);
                    }
                },
            ),
            _ => out
                .iter_mut()
                .zip(ts)
                .for_each(|(o, &t)| *o = self.value(t)),
        }
    }

    /// The phases of a `one_cycle` or `one_cycle_momentum` (momentum runs `max → base → max`).
    fn one_cycle(&self) -> OneCycle {
        match self {
            Schedule::OneCycle {
                max_lr,
                total_steps,
                pct_start,
                anneal,
                div_factor,
                final_div_factor,
                three_phase,
            } => {
                let initial = max_lr / div_factor;
                let points = [initial, *max_lr, initial / final_div_factor];
                OneCycle::new(*total_steps, *pct_start, *anneal, *three_phase, points)
            }
            Schedule::OneCycleMomentum {
                total_steps,
                base,
                max,
                pct_start,
                anneal,
                three_phase,
            } => OneCycle::new(
                *total_steps,
                *pct_start,
                *anneal,
                *three_phase,
                [*max, *base, *max],
            ),
            _ => unreachable!("one_cycle() of a schedule that is not a one-cycle"),
        }
    }

    /// The loop a fast kernel replaces: one [`Schedule::value`] per step.
    fn fill_each(&self, start: u64, out: &mut [f64]) {
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = self.value((start + i as u64) as f64);
        }
    }
}
