//! Drawing rows of a space: per chunk of rows, per parameter (parents first), the method's
//! 64-bit coordinates are mapped to values. Every value is a function of (space, seed, method,
//! row) alone, so results do not depend on chunking, thread count or `start`.

use rayon::prelude::*;

use super::dist::{int_level, log_arg, log_int, uniform_at, ChoiceValues, Mapper};
use super::halton::{primes, HaltonDim};
use super::lhs::LhsDim;
use super::math::exp_in_place;
use super::rng::{at, bounded, key, level, unit, Purpose};
use super::sobol::{SobolDim, MAX_DIMS};
use super::space::Space;
use crate::error::{Error, Result};
use crate::simd::vectorized;

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

    /// The column as rows to fill.
    pub fn as_mut(&mut self) -> ColumnMut<'_> {
        match self {
            Column::Float(v) => ColumnMut::Float(v),
            Column::Int(v) | Column::Index(v) => ColumnMut::Int(v),
        }
    }
}

/// Rows of a column to fill: floats, or integers (values, or option indices for an
/// [`Kind::Index`] column).
#[derive(Debug)]
pub enum ColumnMut<'a> {
    Float(&'a mut [f64]),
    Int(&'a mut [i64]),
}

impl<'a> ColumnMut<'a> {
    pub fn len(&self) -> usize {
        match self {
            ColumnMut::Float(s) => s.len(),
            ColumnMut::Int(s) => s.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The first `mid` rows and the rest.
    fn split_at(self, mid: usize) -> (ColumnMut<'a>, ColumnMut<'a>) {
        match self {
            ColumnMut::Float(s) => {
                let (a, b) = s.split_at_mut(mid);
                (ColumnMut::Float(a), ColumnMut::Float(b))
            }
            ColumnMut::Int(s) => {
                let (a, b) = s.split_at_mut(mid);
                (ColumnMut::Int(a), ColumnMut::Int(b))
            }
        }
    }
}

/// Output column kinds of a space, in parameter order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// float64 (NaN where inactive).
    Float,
    /// int64 values of an always-active integer parameter or numeric-integer choice.
    Int,
    /// int64 option indices of a choice with non-numeric options (−1 where inactive).
    Index,
}

impl Kind {
    /// The name the Python layer uses: `"float"`, `"int"` or `"index"`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Float => "float",
            Kind::Int => "int",
            Kind::Index => "index",
        }
    }
}

/// Output column kinds of a space, in parameter order.
pub fn kinds(space: &Space) -> Vec<Kind> {
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

/// Where a parameter's coordinates come from.
enum Source {
    Random { key: u64 },
    Sobol(Box<SobolDim>),
    Halton(HaltonDim),
    Lhs(LhsDim),
}

impl Source {
    #[inline(always)]
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

/// Checks the arguments of a draw of rows `start … start + n − 1`.
pub fn check(space: &Space, n: u64, method: Method, start: u64) -> Result<()> {
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
    Ok(())
}

/// Rows `start … start + n − 1` of the stream (space, seed, method), one column per parameter.
pub fn sample(space: &Space, n: u64, seed: u64, method: Method, start: u64) -> Result<Vec<Column>> {
    check(space, n, method, start)?;
    let rows = usize::try_from(n).map_err(|_| Error::Memory {
        requested: format!("{n} rows"),
    })?;
    let mut cols = kinds(space)
        .into_iter()
        .map(|k| {
            Ok(match k {
                Kind::Float => Column::Float(alloc(rows)?),
                Kind::Int => Column::Int(alloc(rows)?),
                Kind::Index => Column::Index(alloc(rows)?),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    sample_into(
        space,
        seed,
        method,
        start,
        cols.iter_mut().map(Column::as_mut).collect(),
    )?;
    Ok(cols)
}

/// [`sample`] into columns the caller allocated: one per parameter, of the [`kinds`] of the
/// space (float or int), all of the same length n. Every element is written.
pub fn sample_into(
    space: &Space,
    seed: u64,
    method: Method,
    start: u64,
    cols: Vec<ColumnMut<'_>>,
) -> Result<()> {
    let rows = cols.first().map_or(0, ColumnMut::len);
    check(space, rows as u64, method, start)?;
    let kinds = kinds(space);
    assert_eq!(cols.len(), kinds.len(), "one column per parameter");
    for (c, k) in cols.iter().zip(&kinds) {
        assert_eq!(c.len(), rows, "columns of one length");
        assert_eq!(
            matches!(c, ColumnMut::Float(_)),
            *k == Kind::Float,
            "columns of the space's kinds"
        );
    }
    let d = space.len();
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
    let chunks = Chunks {
        space,
        seed,
        random: method == Method::Random,
        sources,
        mappers: space.params.iter().map(|p| Mapper::new(&p.dist)).collect(),
        kinds,
    };

    // Chunk c of every column, in parameter order.
    let mut jobs: Vec<Vec<ColumnMut<'_>>> = (0..rows.div_ceil(CHUNK))
        .map(|_| Vec::with_capacity(d))
        .collect();
    for col in cols {
        let mut rest = col;
        for job in &mut jobs {
            let mid = CHUNK.min(rest.len());
            let (head, tail) = rest.split_at(mid);
            job.push(head);
            rest = tail;
        }
    }
    jobs.into_par_iter().enumerate().for_each(|(c, mut job)| {
        let first = start + (c * CHUNK) as u64;
        // The whole chunk is inlined into the AVX2 build (closures are separate functions
        // otherwise, compiled for the baseline CPU).
        vectorized(
            #[inline(always)]
            || chunks.fill(first, &mut job),
        );
    });
    Ok(())
}

/// What every chunk of a draw shares.
struct Chunks<'s> {
    space: &'s Space,
    seed: u64,
    random: bool,
    sources: Vec<Source>,
    mappers: Vec<Mapper>,
    kinds: Vec<Kind>,
}

impl Chunks<'_> {
    /// Rows `first …` of every column (`job`, in parameter order), parents before children.
    #[inline(always)]
    fn fill(&self, first: u64, job: &mut [ColumnMut<'_>]) {
        let space = self.space;
        let len = job.first().map_or(0, ColumnMut::len);
        let d = space.len();
        let mut xs = vec![0u64; len];
        let mut levels: Vec<Vec<i64>> = vec![Vec::new(); d];
        let mut active: Vec<Option<Vec<bool>>> = vec![None; d];
        for &p in &space.order {
            let m = &self.mappers[p];
            self.sources[p].fill(first, &mut xs);
            match m.levels() {
                Some(k) => {
                    if self.random {
                        self.bounded_levels(p, first, k, &mut xs);
                    } else {
                        xs.iter_mut().for_each(|x| *x = level(*x, k));
                    }
                    if space.is_parent[p] {
                        levels[p] = xs.iter().map(|&i| m.at_level(i).1).collect();
                    }
                    write_levels(m, &xs, &mut job[p]);
                }
                None => {
                    if space.is_parent[p] {
                        levels[p] = xs.iter().map(|&x| m.at_unit(unit(x)).1).collect();
                    }
                    write_units(m, &xs, &mut job[p]);
                }
            }
            if !space.conds[p].is_empty() {
                let act: Vec<bool> = (0..len)
                    .map(|r| {
                        space.conds[p].iter().all(|(j, allowed)| {
                            active[*j].as_ref().is_none_or(|a| a[r])
                                && allowed.contains(&levels[*j][r])
                        })
                    })
                    .collect();
                match &mut job[p] {
                    ColumnMut::Float(col) => col
                        .iter_mut()
                        .zip(&act)
                        .filter(|(_, on)| !**on)
                        .for_each(|(o, _)| *o = f64::NAN),
                    ColumnMut::Int(col) if self.kinds[p] == Kind::Index => col
                        .iter_mut()
                        .zip(&act)
                        .filter(|(_, on)| !**on)
                        .for_each(|(o, _)| *o = -1),
                    ColumnMut::Int(_) => {}
                }
                active[p] = Some(act);
            }
        }
    }

    /// Each row's draw replaced by Lemire's exact bounded level in `0..k`. A first draw is
    /// accepted unless its low product word is below k (probability below k / 2^64 a row);
    /// only a chunk with such a row draws again and takes the exact rule, whose redraws come
    /// from the streams keyed (seed, dimension, attempt).
    #[inline(always)]
    fn bounded_levels(&self, p: usize, first: u64, k: u64, xs: &mut [u64]) {
        let mut doubtful = false;
        for x in xs.iter_mut() {
            doubtful |= x.wrapping_mul(k) < k;
            *x = level(*x, k);
        }
        if doubtful {
            self.sources[p].fill(first, xs);
            for (r, x) in xs.iter_mut().enumerate() {
                let draw = *x;
                *x = bounded(k, |a| {
                    if a == 0 {
                        draw
                    } else {
                        at(
                            key(self.seed, Purpose::Random, p as u64, a),
                            first + r as u64,
                        )
                    }
                });
            }
        }
    }
}

/// `out[r] = f(xs[r])`: the loop every column kernel is, free of branches where `f` is.
#[inline(always)]
fn fill<T>(out: &mut [T], xs: &[u64], f: impl Fn(u64) -> T) {
    for (o, &x) in out.iter_mut().zip(xs) {
        *o = f(x);
    }
}

/// `post(exp(arg(x)))` for each coordinate, the exp taken on blocks in place (vectorized,
/// bit for bit the scalar [`super::math::exp`]).
#[inline(always)]
fn fill_exp<T>(out: &mut [T], xs: &[u64], arg: impl Fn(u64) -> f64, post: impl Fn(f64) -> T) {
    let mut buf = [0.0f64; 256];
    for (out, xs) in out.chunks_mut(buf.len()).zip(xs.chunks(buf.len())) {
        let buf = &mut buf[..xs.len()];
        for (b, &x) in buf.iter_mut().zip(xs) {
            *b = arg(x);
        }
        exp_in_place(buf);
        for (o, &b) in out.iter_mut().zip(buf.iter()) {
            *o = post(b);
        }
    }
}

/// The values of a distribution drawn as levels, from each row's level.
#[inline(always)]
fn write_levels(m: &Mapper, levels: &[u64], out: &mut ColumnMut<'_>) {
    match (m, out) {
        (&Mapper::IntLevels { lo, step, .. }, ColumnMut::Int(col)) => {
            fill(col, levels, |i| int_level(lo, step, i))
        }
        (
            Mapper::Choice {
                values: ChoiceValues::Ints(v),
                ..
            },
            ColumnMut::Int(col),
        ) => fill(col, levels, |i| v[i as usize]),
        (
            Mapper::Choice {
                values: ChoiceValues::Floats(v),
                ..
            },
            ColumnMut::Float(col),
        ) => fill(col, levels, |i| v[i as usize]),
        (
            Mapper::Choice {
                values: ChoiceValues::Other,
                ..
            },
            ColumnMut::Int(col),
        ) => fill(col, levels, |i| i as i64),
        (m, ColumnMut::Float(col)) => fill(col, levels, |i| m.at_level(i).0.float()),
        (m, ColumnMut::Int(col)) => fill(col, levels, |i| m.at_level(i).0.int()),
    }
}

/// The values of a distribution drawn through u in (0, 1), from each row's coordinate.
#[inline(always)]
fn write_units(m: &Mapper, xs: &[u64], out: &mut ColumnMut<'_>) {
    match (m, out) {
        (&Mapper::Uniform { lo, width, hi }, ColumnMut::Float(col)) => {
            fill(col, xs, |x| uniform_at(lo, width, hi, unit(x)))
        }
        (&Mapper::LogUniform { a, b, lo, hi }, ColumnMut::Float(col)) => {
            fill_exp(col, xs, |x| log_arg(a, b, unit(x)), |v| v.clamp(lo, hi))
        }
        (&Mapper::LogInt { a, b, lo, hi }, ColumnMut::Int(col)) => {
            fill_exp(col, xs, |x| log_arg(a, b, unit(x)), |v| log_int(v, lo, hi))
        }
        (m, ColumnMut::Float(col)) => fill(col, xs, |x| m.at_unit(unit(x)).0.float()),
        (m, ColumnMut::Int(col)) => fill(col, xs, |x| m.at_unit(unit(x)).0.int()),
    }
}
