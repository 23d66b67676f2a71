//! lrcore: learning-rate schedules as immutable values, evaluated at one step or over whole ranges.
//!
//! The core is plain Rust (no Python); `rust/python/` adapts it to PyO3 behind the `python` feature.

pub mod error;
pub mod schedule;
pub mod search;
mod simd;

#[cfg(feature = "python")]
mod python;

pub use error::Error;
pub use schedule::{parse, Batch, Schedule};
