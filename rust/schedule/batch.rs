//! A schedule or a batch of schedules of equal standing: what a call with array-valued
//! parameters builds (`cosine([1e-3, 1e-2], 0, 100)` is a batch of two).

use rayon::prelude::*;

use super::Schedule;
use crate::error::{Error, Result};

/// Steps per parallel task: large enough that scheduling costs nothing, small enough to
/// spread a 10**7-step range over every core.
const CHUNK: usize = 1 << 17;

/// Fewest values worth spreading over threads.
const PARALLEL_MIN: usize = 1 << 17;

/// One schedule (`batched == false`, exactly one item) or a batch of `items.len()` schedules.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    items: Vec<Schedule>,
    batched: bool,
}

impl Batch {
    pub fn single(schedule: Schedule) -> Self {
        Batch {
            items: vec![schedule],
            batched: false,
        }
    }

    pub fn many(items: Vec<Schedule>) -> Self {
        Batch {
            items,
            batched: true,
        }
    }

    pub fn items(&self) -> &[Schedule] {
        &self.items
    }

    /// `None` for a single schedule, the number of schedules for a batch.
    pub fn batch_size(&self) -> Option<usize> {
        self.batched.then_some(self.items.len())
    }

    /// The single schedule, if this is not a batch.
    pub fn as_single(&self) -> Option<&Schedule> {
        match self.items.as_slice() {
            [one] if !self.batched => Some(one),
            _ => None,
        }
    }

    /// The JSON form: the schedule's own, or `{"kind": "stack", "schedules": [...]}`.
    pub fn to_json(&self) -> String {
        match self.as_single() {
            Some(one) => one.to_json(),
            None => {
                let items: Vec<String> = self.items.iter().map(Schedule::to_json).collect();
                format!(r#"{{"kind":"stack","schedules":[{}]}}"#, items.join(","))
            }
        }
    }

    /// The latest step from which every schedule holds its value; `None` if any is endless.
    pub fn total_steps(&self) -> Option<u64> {
        self.items
            .iter()
            .map(Schedule::total_steps)
            .try_fold(0, |acc, t| t.map(|t| acc.max(t)))
    }

    /// Whether evaluating `n` steps of every schedule is worth other threads (and, in the
    /// binding, releasing the GIL): below [`PARALLEL_MIN`] values waking them costs more.
    pub fn is_heavy(&self, n: usize) -> bool {
        n.saturating_mul(self.items.len()) >= PARALLEL_MIN
    }

    /// Values at each step in `steps`, schedule-major: `items.len() × steps.len()`.
    pub fn eval_many(&self, steps: &[f64]) -> Result<Vec<f64>> {
        let mut out = allocate(self.items.len(), steps.len())?;
        self.eval_into(steps, &mut out);
        Ok(out)
    }

    /// Writes the values at each step in `steps` into `out`, schedule-major: `out` holds
    /// `items.len()` rows of `steps.len()` (the binding supplies a numpy array).
    pub fn eval_into(&self, steps: &[f64], out: &mut [f64]) {
        let parallel = steps.len() >= PARALLEL_MIN;
        for (schedule, row) in self.items.iter().zip(out.chunks_mut(steps.len().max(1))) {
            let eval = |(slots, ts): (&mut [f64], &[f64])| {
                for (slot, &t) in slots.iter_mut().zip(ts) {
                    *slot = schedule.value(t);
                }
            };
            if parallel {
                row.par_chunks_mut(CHUNK)
                    .zip(steps.par_chunks(CHUNK))
                    .for_each(eval);
            } else {
                eval((row, steps));
            }
        }
    }

    /// Values of steps `start … start + n − 1`, schedule-major: `items.len() × n`.
    pub fn values(&self, n: usize, start: u64) -> Result<Vec<f64>> {
        let mut out = allocate(self.items.len(), n)?;
        self.values_into(start, &mut out);
        Ok(out)
    }

    /// Writes the values of steps `start, start + 1, …` into `out`, schedule-major: `out` holds
    /// `items.len()` rows of equal length. Lets a caller supply the memory (the binding hands
    /// over a fresh numpy array, which the kernel touches first).
    pub fn values_into(&self, start: u64, out: &mut [f64]) {
        let n = out.len() / self.items.len().max(1);
        if n == 0 {
            return;
        }
        for (schedule, row) in self.items.iter().zip(out.chunks_mut(n)) {
            if n >= PARALLEL_MIN {
                row.par_chunks_mut(CHUNK)
                    .enumerate()
                    .for_each(|(i, chunk)| schedule.fill(start + (i * CHUNK) as u64, chunk));
            } else {
                schedule.fill(start, row);
            }
        }
    }
}

/// A zeroed buffer of `rows × cols` f64, or [`Error::Memory`] when it cannot be had.
fn allocate(rows: usize, cols: usize) -> Result<Vec<f64>> {
    let too_large = || Error::memory("Schedule", format!("{rows} x {cols} float64 values"));
    let len = rows.checked_mul(cols).ok_or_else(too_large)?;
    let mut out = Vec::new();
    out.try_reserve_exact(len).map_err(|_| too_large())?;
    out.resize(len, 0.0);
    Ok(out)
}
