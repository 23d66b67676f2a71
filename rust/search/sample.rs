//! Drawing rows of a space: per chunk of rows, per parameter (parents first), the method's
//! 64-bit coordinates are mapped to values. Every value is a function of (space, seed, method,
//! row) alone, so results do not depend on chunking, thread count or `start`.

use std::ops::Range;

use rayon::prelude::*;

use super::dist::{int_level, log_arg, log_int, uniform_at, ChoiceValues, Mapper};
use super::halton::{primes, HaltonDim};
use super::lhs::LhsDim;
use super::math::exp_in_place;
use super::rng::{at, bounded, fill_at, key, level, level32, unit, Purpose};
use super::sobol::{SobolDim, MAX_DIMS};
use super::space::Space;
use crate::error::{Error, Result};
use crate::simd::vectorized;

/// Rows are numbered below 2^48 (`start + n`).
pub const MAX_ROWS: u64 = 1 << 48;

/// Rows per parallel task.
const CHUNK: usize = 1 << 13;

/// Rows drawn and mapped together, column by column (their coordinates stay in L1).
const BLOCK: usize = 1024;

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

    /// Rows `rows` of the column.
    #[inline(always)]
    fn rows(&mut self, rows: Range<usize>) -> ColumnMut<'_> {
        match self {
            ColumnMut::Float(s) => ColumnMut::Float(&mut s[rows]),
            ColumnMut::Int(s) => ColumnMut::Int(&mut s[rows]),
        }
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
    probe
        .try_reserve_exact(n)
        .map_err(|_| Error::memory("Space.sample", format!("{n} rows")))?;
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
            Source::Random { key } => fill_at(*key, start, out),
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
    let rows =
        usize::try_from(n).map_err(|_| Error::memory("Space.sample", format!("{n} rows")))?;
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
    sample_some(
        space,
        seed,
        method,
        start,
        rows,
        cols.into_iter().map(Some).collect(),
    )
}

/// [`sample_into`] the columns given (`Some`, n = `rows` values each); the others are left
/// alone, so a caller can fill the columns of one draw in several passes (each value is a
/// function of its row alone). Parents of conditions are drawn in every pass, written or not.
pub fn sample_some(
    space: &Space,
    seed: u64,
    method: Method,
    start: u64,
    rows: usize,
    cols: Vec<Option<ColumnMut<'_>>>,
) -> Result<()> {
    check(space, rows as u64, method, start)?;
    let kinds = kinds(space);
    assert_eq!(cols.len(), kinds.len(), "one column per parameter");
    for (c, k) in cols.iter().zip(&kinds) {
        if let Some(c) = c {
            assert_eq!(c.len(), rows, "columns of n rows");
            assert_eq!(
                matches!(c, ColumnMut::Float(_)),
                *k == Kind::Float,
                "columns of the space's kinds"
            );
        }
    }
    let d = space.len();
    let drawn: Vec<bool> = cols
        .iter()
        .zip(&space.is_parent)
        .map(|(c, &parent)| c.is_some() || parent)
        .collect();
    let sources: Vec<Option<Source>> = {
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
        (0..d)
            .into_par_iter()
            .map(|i| drawn[i].then(|| make(i, ps[i])))
            .collect()
    };
    let chunks = Chunks {
        space,
        seed,
        random: method == Method::Random,
        sources,
        mappers: space.params.iter().map(|p| Mapper::new(&p.dist)).collect(),
        kinds,
    };

    // Chunk c of every column, in parameter order (None for a column not written).
    let mut jobs: Vec<Vec<Option<ColumnMut<'_>>>> = (0..rows.div_ceil(CHUNK))
        .map(|_| Vec::with_capacity(d))
        .collect();
    for col in cols {
        let mut rest = col;
        for job in &mut jobs {
            let (head, tail) = match rest {
                Some(r) => {
                    let mid = CHUNK.min(r.len());
                    let (h, t) = r.split_at(mid);
                    (Some(h), Some(t))
                }
                None => (None, None),
            };
            job.push(head);
            rest = tail;
        }
    }
    jobs.into_par_iter().enumerate().for_each(|(c, mut job)| {
        let first = c * CHUNK;
        let len = CHUNK.min(rows - first);
        // The whole chunk is inlined into the AVX2 build (closures are separate functions
        // otherwise, compiled for the baseline CPU).
        vectorized(
            #[inline(always)]
            || chunks.fill(start + first as u64, len, &mut job),
        );
    });
    Ok(())
}

/// What every chunk of a draw shares.
struct Chunks<'s> {
    space: &'s Space,
    seed: u64,
    random: bool,
    /// None for a parameter this pass does not draw.
    sources: Vec<Option<Source>>,
    mappers: Vec<Mapper>,
    kinds: Vec<Kind>,
}

impl Chunks<'_> {
    /// Rows `first … first + len − 1` of every column (`job`, in parameter order): block by
    /// block of [`BLOCK`] rows, each column's coordinates drawn and mapped while they are in L1.
    #[inline(always)]
    fn fill(&self, first: u64, len: usize, job: &mut [Option<ColumnMut<'_>>]) {
        let d = self.space.len();
        let mut scratch = Scratch {
            xs: [0; BLOCK],
            args: [0.0; BLOCK],
            levels: vec![Vec::new(); d],
            active: vec![Vec::new(); d],
        };
        let mut lo = 0;
        while lo < len {
            let hi = (lo + BLOCK).min(len);
            self.fill_block(first + lo as u64, lo..hi, job, &mut scratch);
            lo = hi;
        }
    }

    /// Rows `rows` (numbered from `first`) of every column, parents before children.
    #[inline(always)]
    fn fill_block(
        &self,
        first: u64,
        rows: Range<usize>,
        job: &mut [Option<ColumnMut<'_>>],
        scratch: &mut Scratch,
    ) {
        let space = self.space;
        let len = rows.len();
        let Scratch {
            xs,
            args,
            levels,
            active,
        } = scratch;
        let xs = &mut xs[..len];
        for &p in &space.order {
            let Some(source) = &self.sources[p] else {
                continue;
            };
            let m = &self.mappers[p];
            let mut out = job[p].as_mut().map(|c| c.rows(rows.clone()));
            source.fill(first, xs);
            match m.levels() {
                Some(k) => {
                    if self.random {
                        self.bounded_levels(source, p, first, k, xs);
                    } else {
                        levels_in_place(xs, k);
                    }
                    if space.is_parent[p] {
                        levels[p].clear();
                        levels[p].extend(xs.iter().map(|&i| m.at_level(i).1));
                    }
                    if let Some(out) = &mut out {
                        write_levels(m, xs, out);
                    }
                }
                None => {
                    if space.is_parent[p] {
                        levels[p].clear();
                        levels[p].extend(xs.iter().map(|&x| m.at_unit(unit(x)).1));
                    }
                    if let Some(out) = &mut out {
                        write_units(m, xs, args, out);
                    }
                }
            }
            // A parameter without conditions is active everywhere (its `active` stays empty).
            if !space.conds[p].is_empty() {
                let act: Vec<bool> = (0..len)
                    .map(|r| {
                        space.conds[p].iter().all(|(j, allowed)| {
                            (space.conds[*j].is_empty() || active[*j][r])
                                && allowed.contains(&levels[*j][r])
                        })
                    })
                    .collect();
                match &mut out {
                    None => {}
                    Some(ColumnMut::Float(col)) => col
                        .iter_mut()
                        .zip(&act)
                        .filter(|(_, on)| !**on)
                        .for_each(|(o, _)| *o = f64::NAN),
                    Some(ColumnMut::Int(col)) if self.kinds[p] == Kind::Index => col
                        .iter_mut()
                        .zip(&act)
                        .filter(|(_, on)| !**on)
                        .for_each(|(o, _)| *o = -1),
                    Some(ColumnMut::Int(_)) => {}
                }
                active[p] = act;
            }
        }
    }

    /// Each row's draw replaced by Lemire's exact bounded level in `0..k`. A first draw is
    /// accepted unless its low product word is below k (probability below k / 2^64 a row);
    /// only a block with such a row draws again and takes the exact rule, whose redraws come
    /// from the streams keyed (seed, dimension, attempt).
    #[inline(always)]
    fn bounded_levels(&self, source: &Source, p: usize, first: u64, k: u64, xs: &mut [u64]) {
        let doubtful = if let Ok(k32) = u32::try_from(k) {
            // x·k from 32-bit halves (vectorizes): x·k = hi·2^32 + lo, its low word
            // lo + hi·2^32 mod 2^64, its high word ⌊(hi + ⌊lo / 2^32⌋) / 2^32⌋ (= `level`).
            // k from a u32 the compiler cannot see through (see `levels_in_place`).
            let k = u64::from(std::hint::black_box(k32));
            let mut doubtful = 0u64;
            for x in xs.iter_mut() {
                let hi = (*x >> 32) * k;
                let lo = (*x & 0xffff_ffff) * k;
                doubtful |= u64::from(lo.wrapping_add(hi << 32) < k);
                *x = (hi + (lo >> 32)) >> 32;
            }
            doubtful != 0
        } else {
            let mut doubtful = false;
            for x in xs.iter_mut() {
                doubtful |= x.wrapping_mul(k) < k;
                *x = level(*x, k);
            }
            doubtful
        };
        if doubtful {
            source.fill(first, xs);
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

/// Each coordinate replaced by its [`level`] in `0..k`. For k < 2^32 the products are u32 × u32
/// (one vector multiply each, where a u64 k costs two); knowing k < 2^32 from the test, the
/// compiler would fold the u32 back into the u64 k and lose that its high half is zero, which
/// `black_box` prevents.
#[inline(always)]
fn levels_in_place(xs: &mut [u64], k: u64) {
    match u32::try_from(k) {
        Ok(k) => {
            let k = std::hint::black_box(k);
            xs.iter_mut().for_each(|x| *x = level32(*x, k));
        }
        Err(_) => xs.iter_mut().for_each(|x| *x = level(*x, k)),
    }
}

/// Per-thread buffers of [`Chunks::fill`]: one block's coordinates and exponents (log scales),
/// and per parameter the block's condition levels (parents) and activity (conditional
/// parameters).
struct Scratch {
    xs: [u64; BLOCK],
    args: [f64; BLOCK],
    levels: Vec<Vec<i64>>,
    active: Vec<Vec<bool>>,
}

/// `out[r] = f(xs[r])`: the loop every column kernel is, free of branches where `f` is.
#[inline(always)]
fn fill<X: Copy, T>(out: &mut [T], xs: &[X], f: impl Fn(X) -> T) {
    for (o, &x) in out.iter_mut().zip(xs) {
        *o = f(x);
    }
}

/// `post(exp(arg(x)))` for each coordinate, the exp taken on the arguments in place in `buf`
/// (vectorized, bit for bit the scalar [`super::math::exp`]).
#[inline(always)]
fn fill_exp<T>(
    out: &mut [T],
    xs: &[u64],
    buf: &mut [f64],
    arg: impl Fn(u64) -> f64,
    post: impl Fn(f64) -> T,
) {
    let buf = &mut buf[..xs.len()];
    fill(buf, xs, arg);
    exp_in_place(buf);
    fill(out, buf, post);
}

/// `out[r]` = option `levels[r]` of a choice (levels are below the number of options). Up to 8
/// options, each row selects from a table in registers (compares and blends, which vectorize:
/// the compiler will not vectorize a gather); more options are read by index.
#[inline(always)]
fn fill_pick<T: Copy>(out: &mut [T], levels: &[u64], values: &[T]) {
    match values.len() {
        0 => unreachable!("a choice has options"),
        1..=4 => fill_select::<T, 4>(out, levels, values),
        5..=8 => fill_select::<T, 8>(out, levels, values),
        len => fill(out, levels, |i| values[(i as usize).min(len - 1)]),
    }
}

/// [`fill_pick`] from at most N options: the row's option found by comparing its level with
/// each of 0..N (the table is padded with the first option, for levels that never occur).
#[inline(always)]
fn fill_select<T: Copy, const N: usize>(out: &mut [T], levels: &[u64], values: &[T]) {
    let mut table = [values[0]; N];
    table[..values.len()].copy_from_slice(values);
    fill(out, levels, |i| {
        table
            .iter()
            .enumerate()
            .fold(table[0], |v, (j, &t)| if i == j as u64 { t } else { v })
    });
}

/// The values of a distribution drawn as levels, from each row's level.
#[inline(always)]
fn write_levels(m: &Mapper, levels: &[u64], out: &mut ColumnMut<'_>) {
    match (m, out) {
        // Step 1 (the usual case) spares the 64-bit multiply (three vector multiplies in AVX2).
        (&Mapper::IntLevels { lo, step: 1, .. }, ColumnMut::Int(col)) => {
            fill(col, levels, |i| lo + i as i64)
        }
        (&Mapper::IntLevels { lo, step, .. }, ColumnMut::Int(col)) => {
            fill(col, levels, |i| int_level(lo, step, i))
        }
        (
            Mapper::Choice {
                values: ChoiceValues::Ints(v),
                ..
            },
            ColumnMut::Int(col),
        ) => fill_pick(col, levels, v),
        (
            Mapper::Choice {
                values: ChoiceValues::Floats(v),
                ..
            },
            ColumnMut::Float(col),
        ) => fill_pick(col, levels, v),
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

/// The values of a distribution drawn through u in (0, 1), from each row's coordinate (`buf`
/// for the exponents of log scales).
#[inline(always)]
fn write_units(m: &Mapper, xs: &[u64], buf: &mut [f64], out: &mut ColumnMut<'_>) {
    match (m, out) {
        (&Mapper::Uniform { lo, width, hi }, ColumnMut::Float(col)) => {
            fill(col, xs, |x| uniform_at(lo, width, hi, unit(x)))
        }
        (&Mapper::LogUniform { a, b, lo, hi }, ColumnMut::Float(col)) => fill_exp(
            col,
            xs,
            buf,
            |x| log_arg(a, b, unit(x)),
            |v| v.clamp(lo, hi),
        ),
        (&Mapper::LogInt { a, b, lo, hi }, ColumnMut::Int(col)) => fill_exp(
            col,
            xs,
            buf,
            |x| log_arg(a, b, unit(x)),
            |v| log_int(v, lo, hi),
        ),
        (m, ColumnMut::Float(col)) => fill(col, xs, |x| m.at_unit(unit(x)).0.float()),
        (m, ColumnMut::Int(col)) => fill(col, xs, |x| m.at_unit(unit(x)).0.int()),
    }
}
