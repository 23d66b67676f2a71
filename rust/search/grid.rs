//! `Space.grid(k)`: the cartesian product of k points per float axis (both ends included,
//! geometric on log axes), the distinct rounded values on integer axes and every option of a
//! choice. A conditional parameter is enumerated only where it is active.

use super::dist::{Dist, Mapper, Out};
use super::math::{exp, ln};
use super::sample::{kinds, Column, Kind};
use super::space::Space;
use crate::error::{Error, Result};

/// The most points a grid may have.
pub const MAX_GRID: u64 = 1 << 31;

/// Storage for `n` items of a grid, checked: a grid too large for memory is a MemoryError
/// naming its size, never an abort.
fn storage<T>(n: u64, what: &str) -> Result<Vec<T>> {
    let too_large = || Error::memory("Space.grid", format!("{n} {what}"));
    let n = usize::try_from(n).map_err(|_| too_large())?;
    let mut v = Vec::new();
    v.try_reserve_exact(n).map_err(|_| too_large())?;
    Ok(v)
}

/// Point i of k evenly spaced points from a to b, with both ends exact.
fn spaced(a: f64, b: f64, k: u64, i: u64) -> f64 {
    if i == 0 {
        a
    } else if i + 1 == k {
        b
    } else {
        a + (b - a) * (i as f64 / (k - 1) as f64)
    }
}

/// The distinct levels among k evenly spaced points over `levels` levels, rounded: every
/// level when k >= levels (the points are then less than one level apart), else k distinct
/// ones (at least one level apart). Computed without the k points.
fn spread_levels(levels: u64, k: u64) -> impl Iterator<Item = u64> {
    let every = k >= levels;
    (0..k.min(levels)).map(move |i| {
        if every {
            i
        } else {
            spaced(0.0, (levels - 1) as f64, k, i).round() as u64
        }
    })
}

/// Whether k geometrically spaced points from lo to hi lie under half apart everywhere
/// (k − 1 > ln(hi/lo) / ln(1 + 0.5/hi)), so that rounded they give every integer of [lo, hi].
fn log_ints_cover(lo: i64, hi: i64, k: u64) -> bool {
    (k - 1) as f64 > (ln(hi as f64) - ln(lo as f64)) / (0.5 / hi as f64).ln_1p()
}

/// The distinct values of k geometrically spaced points from lo to hi rounded half up,
/// ascending, generated one at a time (never the k points at once).
fn log_ints(lo: i64, hi: i64, k: u64) -> Box<dyn Iterator<Item = i64>> {
    if log_ints_cover(lo, hi, k) {
        return Box::new(lo..=hi);
    }
    let (a, b) = (ln(lo as f64), ln(hi as f64));
    let mut last = None;
    Box::new((0..k).filter_map(move |i| {
        let v = if i == 0 {
            lo
        } else if i + 1 == k {
            hi
        } else {
            ((exp(spaced(a, b, k, i)) + 0.5).floor() as i64).clamp(lo, hi)
        };
        (last != Some(v)).then(|| {
            last = Some(v);
            v
        })
    }))
}

/// The number of points of one axis, at most `cap + 1` (counting stops past the cap).
fn axis_len(dist: &Dist, k: u64, cap: u64) -> u64 {
    match *dist {
        Dist::Uniform { step: None, .. }
        | Dist::LogUniform { .. }
        | Dist::Normal { .. }
        | Dist::LogNormal { .. } => k,
        Dist::Uniform { .. } | Dist::Integer { log: false, .. } => {
            k.min(Mapper::new(dist).levels().unwrap_or(1))
        }
        Dist::Integer {
            lo, hi, log: true, ..
        } if log_ints_cover(lo, hi, k) => hi.abs_diff(lo) + 1,
        Dist::Integer {
            lo, hi, log: true, ..
        } => log_ints(lo, hi, k)
            .take(usize::try_from(cap).map_or(usize::MAX, |c| c.saturating_add(1)))
            .count() as u64,
        Dist::Choice { n, .. } => n as u64,
    }
}

/// The (value, level) points of one axis (`len` of them, from [`axis_len`]).
fn axis(dist: &Dist, k: u64, len: u64) -> Result<Vec<(Out, i64)>> {
    let mut points = storage(len, "grid points of one axis")?;
    let m = Mapper::new(dist);
    match *dist {
        Dist::Uniform { lo, hi, step: None } => {
            points.extend((0..k).map(|i| (Out::F(spaced(lo, hi, k, i)), 0)))
        }
        Dist::Uniform { .. } | Dist::Integer { log: false, .. } => {
            points.extend(spread_levels(m.levels().unwrap_or(1), k).map(|level| m.at_level(level)))
        }
        Dist::LogUniform { lo, hi } => {
            let (a, b) = (ln(lo), ln(hi));
            points.extend((0..k).map(|i| {
                let v = if i == 0 {
                    lo
                } else if i + 1 == k {
                    hi
                } else {
                    exp(spaced(a, b, k, i)).clamp(lo, hi)
                };
                (Out::F(v), 0)
            }))
        }
        Dist::Integer {
            lo, hi, log: true, ..
        } => points.extend(log_ints(lo, hi, k).map(|v| (Out::I(v), v))),
        Dist::Choice { n, ref values, .. } => {
            let plain = Mapper::Choice {
                k: n as u64,
                values: values.clone(),
            };
            points.extend((0..n as u64).map(|i| plain.at_level(i)))
        }
        Dist::Normal { .. } | Dist::LogNormal { .. } => {
            points.extend((0..k).map(|i| m.at_unit((i as f64 + 0.5) / k as f64)))
        }
    }
    Ok(points)
}

/// The grid of `k` points per float axis, one column per parameter (as [`super::sample`]).
/// Its size is known (and checked against [`MAX_GRID`]) before anything is allocated, and
/// every allocation is checked. `stop` is asked every few milliseconds of work whether to
/// give up ([`Error::Interrupted`]): the binding checks for Ctrl-C there.
pub fn grid(space: &Space, k: u64, stop: &mut dyn FnMut() -> bool) -> Result<Vec<Column>> {
    if k < 2 {
        return Err(Error::value(
            "Space.grid",
            "k",
            "an integer >= 2",
            k.to_string(),
        ));
    }
    let lens: Vec<u64> = space
        .params
        .iter()
        .map(|p| axis_len(&p.dist, k, MAX_GRID))
        .collect();
    let bound = lens.iter().try_fold(1u64, |acc, &n| acc.checked_mul(n));
    let Some(bound) = bound.filter(|&b| b <= MAX_GRID) else {
        return Err(Error::value(
            "Space.grid",
            "k",
            "small enough for at most 2**31 points",
            format!(
                "{k} (a grid of {} points)",
                lens.iter()
                    .map(|&n| if n > MAX_GRID {
                        "more than 2**31".to_owned()
                    } else {
                        n.to_string()
                    })
                    .collect::<Vec<_>>()
                    .join(" x ")
            ),
        ));
    };
    let axes = space
        .params
        .iter()
        .zip(&lens)
        .map(|(p, &len)| axis(&p.dist, k, len))
        .collect::<Result<Vec<_>>>()?;
    let d = space.len();
    let kinds = kinds(space);
    let cols = (0..d)
        .map(|_| storage(bound, "grid points"))
        .collect::<Result<Vec<Vec<Option<(Out, i64)>>>>>()?;
    let mut walk = Walk {
        space,
        axes: &axes,
        current: vec![None; d],
        cols,
        rows: 0,
        stop,
    };
    walk.enumerate(0)?;
    walk.cols
        .into_iter()
        .zip(kinds)
        .map(|(c, kind)| {
            let n = c.len() as u64;
            Ok(match kind {
                Kind::Float => {
                    let mut col = storage(n, "grid points")?;
                    col.extend(c.into_iter().map(|v| match v {
                        Some((Out::F(f), _)) => f,
                        Some((Out::I(i), _)) => i as f64,
                        None => f64::NAN,
                    }));
                    Column::Float(col)
                }
                Kind::Int | Kind::Index => {
                    let mut col = storage(n, "grid points")?;
                    col.extend(c.into_iter().map(|v| match v {
                        Some((Out::I(i), _)) => i,
                        Some((Out::F(f), _)) => f as i64,
                        None => -1,
                    }));
                    if kind == Kind::Int {
                        Column::Int(col)
                    } else {
                        Column::Index(col)
                    }
                }
            })
        })
        .collect()
}

/// Rows between two calls of a grid's `stop` (a few milliseconds of work).
const ROWS_PER_CHECK: u64 = 1 << 18;

/// The walk over the grid: the point being built and the columns it is appended to.
struct Walk<'a> {
    space: &'a Space,
    axes: &'a [Vec<(Out, i64)>],
    current: Vec<Option<(Out, i64)>>,
    cols: Vec<Vec<Option<(Out, i64)>>>,
    rows: u64,
    stop: &'a mut dyn FnMut() -> bool,
}

impl Walk<'_> {
    fn enumerate(&mut self, depth: usize) -> Result<()> {
        if depth == self.space.order.len() {
            for (col, v) in self.cols.iter_mut().zip(self.current.iter()) {
                col.push(*v);
            }
            self.rows += 1;
            if self.rows % ROWS_PER_CHECK == 0 && (self.stop)() {
                return Err(Error::Interrupted {
                    func: "Space.grid".into(),
                });
            }
            return Ok(());
        }
        let p = self.space.order[depth];
        let on = self.space.conds[p]
            .iter()
            .all(|(j, allowed)| self.current[*j].is_some_and(|(_, l)| allowed.contains(&l)));
        if on {
            for &v in &self.axes[p] {
                self.current[p] = Some(v);
                self.enumerate(depth + 1)?;
            }
        } else {
            self.current[p] = None;
            self.enumerate(depth + 1)?;
        }
        self.current[p] = None;
        Ok(())
    }
}
