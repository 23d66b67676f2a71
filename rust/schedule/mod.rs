//! Schedules: immutable values mapping a step (a count of optimizer updates, from 0) to a number.
//!
//! A [`Schedule`] is a tree of shapes (`cosine`, `one_cycle`, …) and combinators (`warmup`, `join`,
//! `restarts`, …). It is built through one front door, [`build`], shared by the Python functions,
//! the expression parser and the JSON loader, so every path checks arguments the same way.
//! Past its end a finite schedule holds its final value; only `cyclic` and `restarts` repeat.
//!
//! Non-finite values follow one rule, stated in the docstring of `lrcore.schedules` (Python):
//! `0 × inf = 0`, endless geometric growth overflows as in torch, everything else that would
//! overflow is rejected by [`build`].

mod batch;
mod eval;
mod kernels;
mod parse;
mod period;
mod repr;
mod signature;

use serde::{Deserialize, Serialize};

pub use batch::Batch;
pub use parse::parse;
pub use repr::{describe_num, py_float};
pub use signature::{build, count, signature, Arg, MAX_DEPTH};

/// Annealing between two values inside a one-cycle phase (torch's `anneal_strategy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anneal {
    Cos,
    Linear,
}

/// torch CyclicLR's built-in amplitude policies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CyclicMode {
    Triangular,
    Triangular2,
    ExpRange,
}

/// The decay phase of warmup–stable–decay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum WsdDecay {
    #[serde(rename = "1-sqrt")]
    OneMinusSqrt,
    #[serde(rename = "linear")]
    Linear,
    #[serde(rename = "cosine")]
    Cosine,
    #[serde(rename = "power")]
    Power,
    #[serde(rename = "exp")]
    Exp,
}

/// How a warm-up rises from its start value to the value its schedule begins with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarmupShape {
    Linear,
    Cosine,
    Exponential,
}

/// What `restarts`' `decay` scales, cycle by cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecayMode {
    /// The height above the end value: `e + decay^i · (s − e)`.
    Height,
    /// The peak `p = s(0)` (`start` for `tanh`), the end value fixed (timm's `cycle_decay`):
    /// `e + (decay^i · p − e) / (p − e) · (s − e)`.
    Peak,
}

/// A schedule. Field names are the Python parameter names; the serde form (`{"kind": "cosine",
/// "start": …}`) is the JSON / dict form. Build values with [`build`] or [`parse`], which
/// validate them; the variants are public so that Rust code can match on them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Schedule {
    Constant {
        value: f64,
    },
    Linear {
        start: f64,
        end: f64,
        steps: u64,
    },
    Cosine {
        start: f64,
        end: f64,
        #[serde(serialize_with = "period::one")]
        steps: f64,
        k: f64,
    },
    Exponential {
        start: f64,
        end: f64,
        steps: u64,
    },
    Tanh {
        start: f64,
        end: f64,
        #[serde(serialize_with = "period::one")]
        steps: f64,
        lb: f64,
        ub: f64,
    },
    ExpDecay {
        start: f64,
        gamma: f64,
        every: u64,
    },
    Polynomial {
        start: f64,
        end: f64,
        steps: u64,
        power: f64,
        k: f64,
    },
    StepDecay {
        start: f64,
        step_size: u64,
        gamma: f64,
    },
    Multistep {
        start: f64,
        milestones: Vec<u64>,
        gamma: f64,
    },
    PiecewiseConstant {
        boundaries: Vec<u64>,
        values: Vec<f64>,
    },
    PiecewiseLinear {
        points: Vec<(u64, f64)>,
    },
    InverseSqrt {
        peak: f64,
        warmup_steps: u64,
        #[serde(serialize_with = "period::optional")]
        timescale: Option<f64>,
    },
    Cyclic {
        low: f64,
        high: f64,
        #[serde(serialize_with = "period::one")]
        step_size_up: f64,
        #[serde(serialize_with = "period::optional")]
        step_size_down: Option<f64>,
        mode: CyclicMode,
        gamma: f64,
    },
    OneCycle {
        max_lr: f64,
        total_steps: u64,
        pct_start: f64,
        anneal: Anneal,
        div_factor: f64,
        final_div_factor: f64,
        three_phase: bool,
    },
    OneCycleMomentum {
        total_steps: u64,
        base: f64,
        max: f64,
        pct_start: f64,
        anneal: Anneal,
        three_phase: bool,
    },
    Wsd {
        peak: f64,
        total_steps: u64,
        warmup_steps: u64,
        decay_steps: u64,
        r#final: f64,
        decay: WsdDecay,
        power: f64,
    },
    Warmup {
        steps: u64,
        then: Box<Schedule>,
        start: f64,
        shape: WarmupShape,
        prefix: bool,
    },
    Join {
        schedules: Vec<Schedule>,
        #[serde(serialize_with = "period::many")]
        boundaries: Vec<f64>,
    },
    Restarts {
        schedule: Box<Schedule>,
        mul: f64,
        decay: f64,
        limit: Option<u64>,
        decay_mode: DecayMode,
    },
    Noise {
        schedule: Box<Schedule>,
        pct: f64,
        std: f64,
        seed: u64,
        start: u64,
        end: Option<u64>,
    },
    Add {
        left: Box<Schedule>,
        right: Box<Schedule>,
    },
    Mul {
        left: Box<Schedule>,
        right: Box<Schedule>,
    },
    Sub {
        left: Box<Schedule>,
        right: Box<Schedule>,
    },
    Div {
        left: Box<Schedule>,
        right: Box<Schedule>,
    },
    Clip {
        schedule: Box<Schedule>,
        lo: Option<f64>,
        hi: Option<f64>,
    },
    Shift {
        schedule: Box<Schedule>,
        n: i64,
    },
    PerEpoch {
        schedule: Box<Schedule>,
        steps_per_epoch: u64,
    },
}

impl Schedule {
    /// The schedules this one is made of, in field order.
    pub fn children(&self) -> Vec<&Schedule> {
        use Schedule::*;
        match self {
            Warmup { then, .. } => vec![then],
            Join { schedules, .. } => schedules.iter().collect(),
            Restarts { schedule, .. }
            | Noise { schedule, .. }
            | Clip { schedule, .. }
            | Shift { schedule, .. }
            | PerEpoch { schedule, .. } => vec![schedule],
            Add { left, right }
            | Mul { left, right }
            | Sub { left, right }
            | Div { left, right } => vec![left, right],
            _ => Vec::new(),
        }
    }

    /// Nesting depth: 1 for a shape, 1 + the deepest child for a combinator.
    pub fn depth(&self) -> usize {
        1 + self.children().iter().map(|c| c.depth()).max().unwrap_or(0)
    }

    /// The JSON form, `{"kind": …, …}`.
    pub fn to_json(&self) -> String {
        // Serializing plain data (f64, u64, strings, vectors) into a String cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads the JSON form, checking it exactly as [`build`] checks arguments.
    pub fn from_json(text: &str) -> crate::error::Result<Batch> {
        signature::from_json(text)
    }
}

#[cfg(test)]
mod tests;
