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

/// k evenly spaced points from a to b, with both ends exact.
fn spaced(a: f64, b: f64, k: u64) -> Vec<f64> {
    (0..k)
        .map(|i| {
            if i == 0 {
                a
            } else if i + 1 == k {
                b
            } else {
                a + (b - a) * (i as f64 / (k - 1) as f64)
            }
        })
        .collect()
}

fn dedup_levels(m: &Mapper, xs: impl Iterator<Item = u64>) -> Vec<(Out, i64)> {
    let mut ls: Vec<u64> = xs.collect();
    ls.sort_unstable();
    ls.dedup();
    ls.into_iter().map(|i| m.at_level(i)).collect()
}

/// The (value, level) points of one axis.
fn axis(dist: &Dist, k: u64) -> Vec<(Out, i64)> {
    let m = Mapper::new(dist);
    match *dist {
        Dist::Uniform { lo, hi, step: None } => spaced(lo, hi, k)
            .into_iter()
            .map(|x| (Out::F(x), 0))
            .collect(),
        Dist::Uniform { .. } => {
            let levels = m.levels().unwrap_or(1);
            dedup_levels(
                &m,
                spaced(0.0, (levels - 1) as f64, k)
                    .into_iter()
                    .map(|x| x.round() as u64),
            )
        }
        Dist::LogUniform { lo, hi } => {
            let (a, b) = (ln(lo), ln(hi));
            spaced(a, b, k)
                .into_iter()
                .enumerate()
                .map(|(i, x)| {
                    let v = if i == 0 {
                        lo
                    } else if i as u64 + 1 == k {
                        hi
                    } else {
                        exp(x).clamp(lo, hi)
                    };
                    (Out::F(v), 0)
                })
                .collect()
        }
        Dist::Integer {
            lo,
            hi,
            log: false,
            step,
        } => {
            let levels = ((hi - lo) / step) as u64 + 1;
            dedup_levels(
                &m,
                spaced(0.0, (levels - 1) as f64, k)
                    .into_iter()
                    .map(|x| x.round() as u64),
            )
        }
        Dist::Integer {
            lo, hi, log: true, ..
        } => {
            let mut vs: Vec<i64> = spaced(ln(lo as f64), ln(hi as f64), k)
                .into_iter()
                .enumerate()
                .map(|(i, x)| {
                    if i == 0 {
                        lo
                    } else if i as u64 + 1 == k {
                        hi
                    } else {
                        ((exp(x) + 0.5).floor() as i64).clamp(lo, hi)
                    }
                })
                .collect();
            vs.dedup();
            vs.into_iter().map(|v| (Out::I(v), v)).collect()
        }
        Dist::Choice { n, ref values, .. } => {
            let plain = Mapper::Choice {
                k: n as u64,
                values: values.clone(),
            };
            (0..n as u64).map(|i| plain.at_level(i)).collect()
        }
        Dist::Normal { .. } | Dist::LogNormal { .. } => (0..k)
            .map(|i| m.at_unit((i as f64 + 0.5) / k as f64))
            .collect(),
    }
}

/// The grid of `k` points per float axis, one column per parameter (as [`super::sample`]).
pub fn grid(space: &Space, k: u64) -> Result<Vec<Column>> {
    if k < 2 {
        return Err(Error::value(
            "Space.grid",
            "k",
            "an integer >= 2",
            k.to_string(),
        ));
    }
    let axes: Vec<Vec<(Out, i64)>> = space.params.iter().map(|p| axis(&p.dist, k)).collect();
    let bound = axes
        .iter()
        .try_fold(1u64, |acc, a| acc.checked_mul(a.len() as u64));
    if bound.is_none_or(|b| b > MAX_GRID) {
        return Err(Error::value(
            "Space.grid",
            "k",
            "small enough for at most 2**31 points",
            format!(
                "{k} (a grid of {} points)",
                axes.iter()
                    .map(|a| a.len().to_string())
                    .collect::<Vec<_>>()
                    .join(" x ")
            ),
        ));
    }
    let d = space.len();
    let kinds = kinds(space);
    let mut cols: Vec<Vec<Option<(Out, i64)>>> = vec![Vec::new(); d];
    let mut current: Vec<Option<(Out, i64)>> = vec![None; d];
    enumerate(space, &axes, 0, &mut current, &mut cols);
    Ok(cols
        .into_iter()
        .zip(kinds)
        .map(|(c, kind)| match kind {
            Kind::Float => Column::Float(
                c.into_iter()
                    .map(|v| match v {
                        Some((Out::F(f), _)) => f,
                        Some((Out::I(i), _)) => i as f64,
                        None => f64::NAN,
                    })
                    .collect(),
            ),
            Kind::Int | Kind::Index => {
                let col = c
                    .into_iter()
                    .map(|v| match v {
                        Some((Out::I(i), _)) => i,
                        Some((Out::F(f), _)) => f as i64,
                        None => -1,
                    })
                    .collect();
                if kind == Kind::Int {
                    Column::Int(col)
                } else {
                    Column::Index(col)
                }
            }
        })
        .collect())
}

fn enumerate(
    space: &Space,
    axes: &[Vec<(Out, i64)>],
    depth: usize,
    current: &mut Vec<Option<(Out, i64)>>,
    cols: &mut [Vec<Option<(Out, i64)>>],
) {
    if depth == space.order.len() {
        for (col, v) in cols.iter_mut().zip(current.iter()) {
            col.push(*v);
        }
        return;
    }
    let p = space.order[depth];
    let on = space.conds[p]
        .iter()
        .all(|(j, allowed)| current[*j].is_some_and(|(_, l)| allowed.contains(&l)));
    if on {
        for &v in &axes[p] {
            current[p] = Some(v);
            enumerate(space, axes, depth + 1, current, cols);
        }
    } else {
        current[p] = None;
        enumerate(space, axes, depth + 1, current, cols);
    }
    current[p] = None;
}
