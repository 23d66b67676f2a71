//! Drawing rows of a space: per chunk of rows, per parameter (parents first), the method's
//! 64-bit coordinates are mapped to values. Every value is a function of (space, seed, method,
//! row) alone, so results do not depend on chunking, thread count or `start`.

use rayon::prelude::*;

use super::dist::{ChoiceValues, Mapper, Out};
use super::halton::{primes, HaltonDim};
use super::lhs::LhsDim;
use super::math::exp;
use super::rng::{at, bounded, key, level, unit, Purpose};
use super::sobol::{SobolDim, MAX_DIMS};
use super::space::Space;
use crate::error::{Error, Result};

/// Rows are numbered below 2^48 (`start + n`).
pub const MAX_ROWS: u64 = 1 << 48;

/// Rows per parallel task.
const CHUNK: usize = 1 << 13;

/// How rows are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Independent uniform draws from the counter-based generator.
    Random,
    /// Scrambled Sobol (LMS + digital shift), at most [`MAX_DIMS`] parameters.
    Sobol,
    /// Scrambled Halton (random digit permutations), at most [`MAX_DIMS`] parameters.
    Halton,
    /// Latin hypercube of exactly the rows drawn (`start` must be 0).
    Lhs,
}

impl Method {
    pub fn parse(name: &str) -> Result<Method> {
        match name {
            "random" => Ok(Method::Random),
            "sobol" => Ok(Method::Sobol),
            "halton" => Ok(Method::Halton),
            "lhs" => Ok(Method::Lhs),
            _ => Err(Error::value(
                "Space.sample",
                "method",
                "one of 'random', 'sobol', 'halton', 'lhs'",
                format!("'{name}'"),
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Method::Random => "random",
            Method::Sobol => "sobol",
            Method::Halton => "halton",
            Method::Lhs => "lhs",
        }
    }
}

/// One column of output.
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// Floats; NaN where the parameter is inactive.
    Float(Vec<f64>),
    /// Integers of an always-active integer parameter or numeric-integer choice.
    Int(Vec<i64>),
    /// Option indices of a choice with non-numeric options; −1 where inactive.
    Index(Vec<i64>),
}

impl Column {
    pub fn len(&self) -> usize {
        match self {
            Column::Float(v) => v.len(),
            Column::Int(v) | Column::Index(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Output column kinds of a space, in parameter order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Float,
    Int,
    Index,
}

pub(crate) fn kinds(space: &Space) -> Vec<Kind> {
    space
        .params
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if p.dist.index_column() {
                Kind::Index
            } else if p.dist.int_column() && !space.conditional(i) {
                Kind::Int
            } else {
                Kind::Float
            }
        })
        .collect()
}

/// A zeroed column of n values, or a MemoryError-kind error when it cannot be allocated. The
/// probe reservation is released and the column comes from `vec!` (calloc: pages are zeroed
/// lazily, by the threads that first write them).
pub(crate) fn alloc<T: Clone + Default>(n: usize) -> Result<Vec<T>> {
    let mut probe: Vec<T> = Vec::new();
    probe.try_reserve_exact(n).map_err(|_| Error::Memory {
        requested: format!("{n} rows"),
    })?;
    drop(probe);
    Ok(vec![T::default(); n])
}

enum Slice<'a> {
    F(&'a mut [f64]),
    I(&'a mut [i64]),
}

/// Where a parameter's coordinates come from.
enum Source {
    Random { key: u64 },
    Sobol(Box<SobolDim>),
    Halton(HaltonDim),
    Lhs(LhsDim),
}

impl Source {
    fn fill(&self, start: u64, out: &mut [u64]) {
        match self {
            Source::Random { key } => {
                for (i, o) in out.iter_mut().enumerate() {
                    *o = at(*key, start + i as u64);
                }
            }
            Source::Sobol(d) => d.fill(start, out),
            Source::Halton(d) => d.fill(start, out),
            Source::Lhs(d) => d.fill(start, out),
        }
    }
}

/// Rows `start … start + n − 1` of the stream (space, seed, method), one column per parameter.
pub fn sample(space: &Space, n: u64, seed: u64, method: Method, start: u64) -> Result<Vec<Column>> {
    let func = "Space.sample";
    if method == Method::Lhs && start != 0 {
        return Err(Error::value(
            func,
            "start",
            "0 with method 'lhs' (a Latin hypercube is one design of n rows, not a stream)",
            start.to_string(),
        ));
    }
    if start.checked_add(n).is_none_or(|end| end > MAX_ROWS) {
        return Err(Error::value(
            func,
            "start + n",
            "at most 2**48",
            format!("{start} + {n}"),
        ));
    }
    if method == Method::Lhs && n > u64::from(u32::MAX) {
        return Err(Error::value(
            func,
            "n",
            "at most 2**32 - 1 with method 'lhs'",
            n.to_string(),
        ));
    }
    let d = space.len();
    if matches!(method, Method::Sobol | Method::Halton) && d > MAX_DIMS {
        return Err(Error::value(
            func,
            "the space",
            format!(
                "at most {MAX_DIMS} parameters with method '{}'",
                method.name()
            ),
            format!("{d} parameters"),
        ));
    }
    let rows = usize::try_from(n).map_err(|_| Error::Memory {
        requested: format!("{n} rows"),
    })?;
    let kinds = kinds(space);
    let mut floats: Vec<Vec<f64>> = Vec::new();
    let mut ints: Vec<Vec<i64>> = Vec::new();
    for k in &kinds {
        match k {
            Kind::Float => floats.push(alloc(rows)?),
            Kind::Int | Kind::Index => ints.push(alloc(rows)?),
        }
    }
    let sources: Vec<Source> = {
        let make = |i: usize, p: u64| match method {
            Method::Random => Source::Random {
                key: key(seed, Purpose::Random, i as u64, 0),
            },
            Method::Sobol => Source::Sobol(Box::new(SobolDim::new(seed, i))),
            Method::Halton => Source::Halton(HaltonDim::new(seed, i, p)),
            Method::Lhs => Source::Lhs(LhsDim::new(seed, i, rows)),
        };
        let ps = if method == Method::Halton {
            primes(d)
        } else {
            vec![0; d]
        };
        (0..d).into_par_iter().map(|i| make(i, ps[i])).collect()
    };
    let mappers: Vec<Mapper> = space.params.iter().map(|p| Mapper::new(&p.dist)).collect();

    // Chunk c of every column, in parameter order.
    let mut jobs: Vec<Vec<Slice<'_>>> = (0..rows.div_ceil(CHUNK))
        .map(|_| Vec::with_capacity(d))
        .collect();
    {
        let mut fl = floats.iter_mut();
        let mut it = ints.iter_mut();
        for k in &kinds {
            match k {
                Kind::Float => {
                    let col = fl.next().expect("one float column per float kind");
                    for (job, s) in jobs.iter_mut().zip(col.chunks_mut(CHUNK)) {
                        job.push(Slice::F(s));
                    }
                }
                Kind::Int | Kind::Index => {
                    let col = it.next().expect("one int column per int kind");
                    for (job, s) in jobs.iter_mut().zip(col.chunks_mut(CHUNK)) {
                        job.push(Slice::I(s));
                    }
                }
            }
        }
    }
    jobs.into_par_iter().enumerate().for_each(|(c, mut job)| {
        let first = start + (c * CHUNK) as u64;
        fill_chunk(
            space, method, seed, &sources, &mappers, &kinds, first, &mut job,
        );
    });

    let mut fl = floats.into_iter();
    let mut it = ints.into_iter();
    Ok(kinds
        .iter()
        .map(|k| match k {
            Kind::Float => Column::Float(fl.next().unwrap_or_default()),
            Kind::Int => Column::Int(it.next().unwrap_or_default()),
            Kind::Index => Column::Index(it.next().unwrap_or_default()),
        })
        .collect())
}

#[inline(always)]
fn fill<T>(out: &mut [T], xs: &[u64], f: impl Fn(usize, u64) -> T) {
    for (r, (o, &x)) in out.iter_mut().zip(xs).enumerate() {
        *o = f(r, x);
    }
}

/// Fills `out` with level `i` of each row mapped through `$val`: Lemire's exact bounded integer
/// for `random`, equal-width bins for the quasi-random methods.
macro_rules! by_level {
    ($out:expr, $xs:expr, $k:expr, $redraw:expr, $val:expr) => {{
        let k = $k;
        let val = $val;
        match $redraw {
            Some(redraw) => fill($out, $xs, |r, x| {
                val(bounded(k, |a| if a == 0 { x } else { redraw(a, r) }))
            }),
            None => fill($out, $xs, |_, x| val(level(x, k))),
        }
    }};
}

#[allow(clippy::too_many_arguments)]
fn fill_chunk(
    space: &Space,
    method: Method,
    seed: u64,
    sources: &[Source],
    mappers: &[Mapper],
    kinds: &[Kind],
    first: u64,
    job: &mut [Slice<'_>],
) {
    let len = match &job[0] {
        Slice::F(s) => s.len(),
        Slice::I(s) => s.len(),
    };
    let d = space.len();
    let mut xs = vec![0u64; len];
    let mut levels: Vec<Vec<i64>> = vec![Vec::new(); d];
    let mut active: Vec<Option<Vec<bool>>> = vec![None; d];
    for &p in &space.order {
        sources[p].fill(first, &mut xs);
        let m = &mappers[p];
        let random = method == Method::Random && m.levels().is_some();
        let redraw_fn =
            |a: u64, r: usize| at(key(seed, Purpose::Random, p as u64, a), first + r as u64);
        let redraw = random.then_some(&redraw_fn);
        // The generic path: any mapper, any column (used for the rarer distributions and for levels).
        let value = |r: usize, x: u64| -> (Out, i64) {
            match m.levels() {
                Some(k) => m.at_level(match redraw {
                    Some(f) => bounded(k, |a| if a == 0 { x } else { f(a, r) }),
                    None => level(x, k),
                }),
                None => m.at_unit(unit(x)),
            }
        };
        let as_f = |o: Out| match o {
            Out::F(f) => f,
            Out::I(i) => i as f64,
        };
        let as_i = |o: Out| match o {
            Out::I(i) => i,
            Out::F(f) => f as i64,
        };
        match (m, &mut job[p]) {
            (&Mapper::Uniform { lo, width, hi }, Slice::F(col)) => {
                fill(col, &xs, |_, x| (lo + unit(x) * width).min(hi))
            }
            (&Mapper::LogUniform { a, b, lo, hi }, Slice::F(col)) => {
                fill(col, &xs, |_, x| exp(a + unit(x) * (b - a)).clamp(lo, hi))
            }
            (&Mapper::IntLevels { k, lo, step }, Slice::I(col)) => {
                by_level!(col, &xs, k, redraw, |i: u64| lo + i as i64 * step)
            }
            (&Mapper::IntLevels { k, lo, step }, Slice::F(col)) => {
                by_level!(col, &xs, k, redraw, |i: u64| (lo + i as i64 * step) as f64)
            }
            (
                Mapper::Choice {
                    k,
                    values: ChoiceValues::Ints(v),
                },
                Slice::I(col),
            ) => {
                by_level!(col, &xs, *k, redraw, |i: u64| v[i as usize])
            }
            (
                Mapper::Choice {
                    k,
                    values: ChoiceValues::Other,
                },
                Slice::I(col),
            ) => by_level!(col, &xs, *k, redraw, |i: u64| i as i64),
            (
                Mapper::Choice {
                    k,
                    values: ChoiceValues::Floats(v),
                },
                Slice::F(col),
            ) => {
                by_level!(col, &xs, *k, redraw, |i: u64| v[i as usize])
            }
            (_, Slice::F(col)) => fill(col, &xs, |r, x| as_f(value(r, x).0)),
            (_, Slice::I(col)) => fill(col, &xs, |r, x| as_i(value(r, x).0)),
        }
        if space.is_parent[p] {
            levels[p] = xs.iter().enumerate().map(|(r, &x)| value(r, x).1).collect();
        }
        if !space.conds[p].is_empty() {
            let act: Vec<bool> = (0..len)
                .map(|r| {
                    space.conds[p].iter().all(|(j, allowed)| {
                        active[*j].as_ref().is_none_or(|a| a[r]) && allowed.contains(&levels[*j][r])
                    })
                })
                .collect();
            match &mut job[p] {
                Slice::F(col) => col
                    .iter_mut()
                    .zip(&act)
                    .filter(|(_, on)| !**on)
                    .for_each(|(o, _)| *o = f64::NAN),
                Slice::I(col) if kinds[p] == Kind::Index => col
                    .iter_mut()
                    .zip(&act)
                    .filter(|(_, on)| !**on)
                    .for_each(|(o, _)| *o = -1),
                Slice::I(_) => {}
            }
            active[p] = Some(act);
        }
    }
}
