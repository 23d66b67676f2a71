//! Random and quasi-random hyper-parameter search: a [`Space`] of named distributions, sampled
//! whole sweeps at a time into columns.
//!
//! # The stream contract
//!
//! A sweep is a function of (space, seed, method) and the row number: rows `start … start+n−1`
//! are the same whatever `start`, `n`, the platform or the number of threads, so a sweep can
//! resume and workers can split it without talking to each other. Parameter `i` (declaration
//! order) is dimension `i` of the method; an inactive conditional parameter still owns its
//! dimension, so adding a condition never moves the other columns.
//!
//! Each method yields per row and dimension a 64-bit fixed-point coordinate x (x / 2^64 in [0, 1)):
//! - `random`: value `row` of the [`rng`] stream keyed (seed, dimension): SplitMix64 outputs,
//!   addressable by row.
//! - `sobol`: Joe–Kuo direction numbers (dimensions below [`MAX_QMC_DIMS`] = 1024), 64-bit, in
//!   Gray-code order (scipy's order), with a random lower-triangular linear matrix scramble and a
//!   digital shift drawn from the seed (scipy's kind of scrambling, from a different generator).
//! - `halton`: base = the d-th prime (the 1024th is 8161), a random permutation of the digits
//!   for each digit position drawn from the seed.
//! - `lhs`: one Latin hypercube of exactly n rows (so `start` must be 0).
//!
//! Coordinates become values without platform maths: u = (⌊x / 2^12⌋ + ½) / 2^52 ∈ (0, 1), then
//! `lo + u·(hi−lo)`, `exp(ln lo + u·(ln hi − ln lo))`, `mu + sigma·Φ⁻¹(u)` with the [`math`]
//! functions written with IEEE basic operations only. Discrete distributions with k equally likely
//! levels take level ⌊x·k / 2^64⌋ under the quasi-random methods (equal-width bins, so Sobol
//! blocks of 2^m rows balance k = 2^j levels exactly) and Lemire's unbiased bounded integer under
//! `random` (exactly uniform: a rejected draw is replaced by the stream keyed (seed, dimension,
//! attempt)). Weighted choices and log-integers go through u and the cumulative distribution.

mod dist;
mod grid;
mod halton;
mod lhs;
pub mod math;
pub mod rng;
mod sample;
mod sobol;
mod sobol_data;
mod space;

pub use dist::{ChoiceValues, Dist, MAX_INT};
pub use grid::{grid, MAX_GRID};
pub use sample::{
    check, kinds, sample, sample_into, sample_some, Column, ColumnMut, Kind, Method, MAX_ROWS,
};
pub use sobol::MAX_DIMS as MAX_QMC_DIMS;
pub use space::{Condition, Param, Space};

#[cfg(test)]
mod tests;
