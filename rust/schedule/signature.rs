//! The one front door for building schedules: a table of every function's parameters and
//! [`build`], which binds arguments to it, checks each against its kind, broadcasts batches
//! and validates the relations between parameters. The Python functions, the expression
//! parser and the JSON loader all come through here, so they accept and reject the same inputs.

use serde_json::{Map, Value};

use super::repr::describe_num;
use super::{Batch, Schedule, WarmupShape, WsdDecay};
use crate::error::{Error, Result};

/// Deepest nesting of schedules accepted: far beyond real use, and shallow enough that
/// evaluation, JSON and the parser never run out of stack.
pub const MAX_DEPTH: usize = 32;

/// Counts (steps, milestones, seeds) are integers below 2**53, where every integer is exact in
/// f64: a larger Python int would arrive already rounded.
const MAX_COUNT: f64 = 9_007_199_254_740_992.0;

/// An argument, as the Python layer, the parser or the JSON loader hands it over.
#[derive(Clone, Debug)]
pub enum Arg {
    None,
    Bool(bool),
    Num(f64),
    Str(String),
    List(Vec<Arg>),
    Schedule(Batch),
    /// Anything else, by type name, so the error can say what was given.
    Unsupported(String),
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Rule {
    Any,
    Positive,
    Unit,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    /// A finite number; a list of numbers makes a batch.
    Num(Rule),
    /// An integer `>= min`; a list makes a batch.
    Count(u64),
    /// An integer of either sign; a list makes a batch.
    Int,
    /// A length in steps: a positive real number below 2**53; a list makes a batch.
    Period,
    OptPeriod,
    /// A list of lengths in steps (non-negative real numbers below 2**53).
    Periods,
    OptNum(Rule),
    OptCount(u64),
    Bool,
    Choice(&'static [&'static str]),
    /// A schedule, or a number standing for `constant(number)`.
    Sched,
    Scheds,
    Counts,
    Nums,
    Points,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum DefaultValue {
    Required,
    Num(f64),
    Str(&'static str),
    Bool(bool),
    None,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Param {
    pub name: &'static str,
    pub kind: Kind,
    pub default: DefaultValue,
}

const fn p(name: &'static str, kind: Kind, default: DefaultValue) -> Param {
    Param {
        name,
        kind,
        default,
    }
}

use DefaultValue::Required as R;
use Kind::*;
use Rule::*;

const ANNEAL: Kind = Choice(&["cos", "linear"]);

/// Every function of the schedule language, its parameters in positional order.
pub(crate) const SIGNATURES: &[(&str, &[Param])] = &[
    ("constant", &[p("value", Num(Any), R)]),
    (
        "linear",
        &[
            p("start", Num(Any), R),
            p("end", Num(Any), R),
            p("steps", Count(1), R),
        ],
    ),
    (
        "cosine",
        &[
            p("start", Num(Any), R),
            p("end", Num(Any), R),
            p("steps", Period, R),
            p("k", Num(Positive), DefaultValue::Num(1.0)),
        ],
    ),
    (
        "exponential",
        &[
            p("start", Num(Positive), R),
            p("end", Num(Positive), R),
            p("steps", Count(1), R),
        ],
    ),
    (
        "tanh",
        &[
            p("start", Num(Any), R),
            p("end", Num(Any), R),
            p("steps", Period, R),
            p("lb", Num(Any), DefaultValue::Num(-7.0)),
            p("ub", Num(Any), DefaultValue::Num(3.0)),
        ],
    ),
    (
        "exp_decay",
        &[
            p("start", Num(Any), R),
            p("gamma", Num(Positive), R),
            p("every", Count(1), DefaultValue::Num(1.0)),
        ],
    ),
    (
        "polynomial",
        &[
            p("start", Num(Any), R),
            p("end", Num(Any), R),
            p("steps", Count(1), R),
            p("power", Num(Positive), DefaultValue::Num(1.0)),
            p("k", Num(Positive), DefaultValue::Num(1.0)),
        ],
    ),
    (
        "step_decay",
        &[
            p("start", Num(Any), R),
            p("step_size", Count(1), R),
            p("gamma", Num(Positive), DefaultValue::Num(0.1)),
        ],
    ),
    (
        "multistep",
        &[
            p("start", Num(Any), R),
            p("milestones", Counts, R),
            p("gamma", Num(Positive), DefaultValue::Num(0.1)),
        ],
    ),
    (
        "piecewise_constant",
        &[p("boundaries", Counts, R), p("values", Nums, R)],
    ),
    ("piecewise_linear", &[p("points", Points, R)]),
    (
        "inverse_sqrt",
        &[
            p("peak", Num(Any), R),
            p("warmup_steps", Count(0), R),
            p("timescale", OptPeriod, DefaultValue::None),
        ],
    ),
    (
        "cyclic",
        &[
            p("low", Num(Any), R),
            p("high", Num(Any), R),
            p("step_size_up", Period, R),
            p("step_size_down", OptPeriod, DefaultValue::None),
            p(
                "mode",
                Choice(&["triangular", "triangular2", "exp_range"]),
                DefaultValue::Str("triangular"),
            ),
            p("gamma", Num(Positive), DefaultValue::Num(1.0)),
        ],
    ),
    (
        "one_cycle",
        &[
            p("max_lr", Num(Positive), R),
            p("total_steps", Count(2), R),
            p("pct_start", Num(Unit), DefaultValue::Num(0.3)),
            p("anneal", ANNEAL, DefaultValue::Str("cos")),
            p("div_factor", Num(Positive), DefaultValue::Num(25.0)),
            p("final_div_factor", Num(Positive), DefaultValue::Num(1e4)),
            p("three_phase", Bool, DefaultValue::Bool(false)),
        ],
    ),
    (
        "one_cycle_momentum",
        &[
            p("total_steps", Count(2), R),
            p("base", Num(Any), DefaultValue::Num(0.85)),
            p("max", Num(Any), DefaultValue::Num(0.95)),
            p("pct_start", Num(Unit), DefaultValue::Num(0.3)),
            p("anneal", ANNEAL, DefaultValue::Str("cos")),
            p("three_phase", Bool, DefaultValue::Bool(false)),
        ],
    ),
    (
        "wsd",
        &[
            p("peak", Num(Any), R),
            p("total_steps", Count(1), R),
            p("warmup_steps", Count(0), R),
            p("decay_steps", Count(0), R),
            p("final", Num(Any), DefaultValue::Num(0.0)),
            p(
                "decay",
                Choice(&["1-sqrt", "linear", "cosine", "power", "exp"]),
                DefaultValue::Str("1-sqrt"),
            ),
            p("power", Num(Positive), DefaultValue::Num(1.0)),
        ],
    ),
    (
        "warmup",
        &[
            p("steps", Count(0), R),
            p("then", Sched, R),
            p("start", Num(Any), DefaultValue::Num(0.0)),
            p(
                "shape",
                Choice(&["linear", "cosine", "exponential"]),
                DefaultValue::Str("linear"),
            ),
            p("prefix", Bool, DefaultValue::Bool(true)),
        ],
    ),
    (
        "join",
        &[p("schedules", Scheds, R), p("boundaries", Periods, R)],
    ),
    (
        "restarts",
        &[
            p("schedule", Sched, R),
            p("mul", Num(Positive), DefaultValue::Num(1.0)),
            p("decay", Num(Positive), DefaultValue::Num(1.0)),
            p("limit", OptCount(1), DefaultValue::None),
            p(
                "decay_mode",
                Choice(&["height", "peak"]),
                DefaultValue::Str("height"),
            ),
        ],
    ),
    (
        "noise",
        &[
            p("schedule", Sched, R),
            p("pct", Num(Positive), DefaultValue::Num(0.67)),
            p("std", Num(Positive), DefaultValue::Num(1.0)),
            p("seed", Count(0), DefaultValue::Num(42.0)),
            p("start", Count(0), DefaultValue::Num(0.0)),
            p("end", OptCount(0), DefaultValue::None),
        ],
    ),
    ("add", &[p("left", Sched, R), p("right", Sched, R)]),
    ("mul", &[p("left", Sched, R), p("right", Sched, R)]),
    ("sub", &[p("left", Sched, R), p("right", Sched, R)]),
    ("div", &[p("left", Sched, R), p("right", Sched, R)]),
    (
        "clip",
        &[
            p("schedule", Sched, R),
            p("lo", OptNum(Any), DefaultValue::None),
            p("hi", OptNum(Any), DefaultValue::None),
        ],
    ),
    ("shift", &[p("schedule", Sched, R), p("n", Int, R)]),
    (
        "per_epoch",
        &[p("schedule", Sched, R), p("steps_per_epoch", Count(1), R)],
    ),
    ("stack", &[p("schedules", Scheds, R)]),
];

pub(crate) fn params(func: &str) -> Option<&'static [Param]> {
    SIGNATURES
        .iter()
        .find(|(name, _)| *name == func)
        .map(|(_, params)| *params)
}

/// `(name, default)` for each parameter of `func`, the default as JSON (`None` if required):
/// lets the Python layer check that its signatures match the core's.
pub fn signature(func: &str) -> Option<Vec<(&'static str, Option<Value>)>> {
    let params = params(func)?;
    Some(
        params
            .iter()
            .map(|p| (p.name, default_json(p.default)))
            .collect(),
    )
}

pub(crate) fn default_json(default: DefaultValue) -> Option<Value> {
    match default {
        DefaultValue::Required => None,
        DefaultValue::Num(x) => Some(Value::from(x)),
        DefaultValue::Str(s) => Some(Value::from(s)),
        DefaultValue::Bool(b) => Some(Value::from(b)),
        DefaultValue::None => Some(Value::Null),
    }
}

fn default_arg(default: DefaultValue) -> Arg {
    match default {
        DefaultValue::Required | DefaultValue::None => Arg::None,
        DefaultValue::Num(x) => Arg::Num(x),
        DefaultValue::Str(s) => Arg::Str(s.to_owned()),
        DefaultValue::Bool(b) => Arg::Bool(b),
    }
}

/// Builds `func(*positional, **named)`: binds, checks, broadcasts batches, validates.
pub fn build(func: &str, positional: Vec<Arg>, named: Vec<(String, Arg)>) -> Result<Batch> {
    let params =
        params(func).ok_or_else(|| Error::type_(func, "is not a schedule function of lrcore"))?;
    let args = bind(func, params, positional, named)?;
    if func == "stack" {
        return stack(func, &args[0]);
    }
    let size = batch_size(func, params, &args)?;
    let n = size.unwrap_or(1);
    // A batch's length comes from the caller: its storage is checked, never an abort.
    let mut items = Vec::new();
    items
        .try_reserve_exact(n)
        .map_err(|_| Error::memory(func, format!("a batch of {n} schedules")))?;
    for i in 0..n {
        items.push(build_one(func, params, &args, size.map(|_| i))?);
    }
    Ok(match size {
        Some(_) => Batch::many(items),
        None => Batch::single(
            items
                .into_iter()
                .next()
                .ok_or_else(|| Error::type_(func, "built no schedule"))?,
        ),
    })
}

fn bind(
    func: &str,
    params: &[Param],
    positional: Vec<Arg>,
    named: Vec<(String, Arg)>,
) -> Result<Vec<Arg>> {
    if positional.len() > params.len() {
        return Err(Error::type_(
            func,
            format!(
                "takes at most {} arguments ({} given)",
                params.len(),
                positional.len()
            ),
        ));
    }
    let mut slots: Vec<Option<Arg>> = positional.into_iter().map(Some).collect();
    slots.resize(params.len(), None);
    for (name, arg) in named {
        let i = params.iter().position(|p| p.name == name).ok_or_else(|| {
            Error::type_(func, format!("got an unexpected keyword argument '{name}'"))
        })?;
        if slots[i].is_some() {
            return Err(Error::type_(
                func,
                format!("got multiple values for argument '{name}'"),
            ));
        }
        slots[i] = Some(arg);
    }
    params
        .iter()
        .zip(slots)
        .map(|(param, slot)| match (slot, param.default) {
            (Some(arg), _) => Ok(arg),
            (None, DefaultValue::Required) => Err(Error::type_(
                func,
                format!("missing required argument '{}'", param.name),
            )),
            (None, default) => Ok(default_arg(default)),
        })
        .collect()
}

/// The length of the batch axis of one argument, if it has one.
fn arg_batch(kind: Kind, arg: &Arg) -> Option<usize> {
    match (kind, arg) {
        (
            Num(_) | Count(_) | Int | Period | OptPeriod | OptNum(_) | OptCount(_) | Sched,
            Arg::List(items),
        ) => Some(items.len()),
        (Sched, Arg::Schedule(b)) => b.batch_size(),
        (Scheds, Arg::List(items)) => items.iter().find_map(|a| arg_batch(Sched, a)),
        _ => None,
    }
}

fn batch_size(func: &str, params: &[Param], args: &[Arg]) -> Result<Option<usize>> {
    let mut size: Option<(usize, &str)> = None;
    for (param, arg) in params.iter().zip(args) {
        let mut note = |n: usize| match size {
            Some((m, first)) if m != n => Err(Error::value(
                func,
                param.name,
                format!("a batch of the same length as {first} ({m})"),
                format!("length {n}"),
            )),
            _ => {
                size = Some((n, param.name));
                Ok(())
            }
        };
        if let (Scheds, Arg::List(items)) = (param.kind, arg) {
            for n in items.iter().filter_map(|a| arg_batch(Sched, a)) {
                note(n)?;
            }
        } else if let Some(n) = arg_batch(param.kind, arg) {
            note(n)?;
        }
    }
    match size {
        Some((0, first)) => Err(Error::value(func, first, "a non-empty batch", "length 0")),
        other => Ok(other.map(|(n, _)| n)),
    }
}

/// Element `i` of a batched argument (scalars and single schedules broadcast).
fn element(arg: &Arg, kind: Kind, i: Option<usize>) -> Arg {
    let Some(i) = i else { return arg.clone() };
    match (kind, arg) {
        (
            Num(_) | Count(_) | Int | Period | OptPeriod | OptNum(_) | OptCount(_) | Sched,
            Arg::List(items),
        ) => items[i].clone(),
        (Sched, Arg::Schedule(b)) if b.batch_size().is_some() => {
            Arg::Schedule(Batch::single(b.items()[i].clone()))
        }
        (Scheds, Arg::List(items)) => {
            Arg::List(items.iter().map(|a| element(a, Sched, Some(i))).collect())
        }
        _ => arg.clone(),
    }
}

/// `stack(schedules)`: single schedules gathered into one batch.
fn stack(func: &str, schedules: &Arg) -> Result<Batch> {
    let items = list(func, "schedules", "a list of schedules", schedules)?
        .iter()
        .map(|a| schedule_arg(func, "schedules", a))
        .collect::<Result<Vec<_>>>()?;
    if items.is_empty() {
        return Err(Error::value(func, "schedules", "a non-empty list", "[]"));
    }
    Ok(Batch::many(items))
}

fn build_one(func: &str, params: &[Param], args: &[Arg], i: Option<usize>) -> Result<Schedule> {
    let mut map = Map::new();
    map.insert("kind".into(), Value::from(func));
    for (param, arg) in params.iter().zip(args) {
        let value = check(func, param, &element(arg, param.kind, i))?;
        map.insert(param.name.into(), value);
    }
    let schedule: Schedule = serde_json::from_value(Value::Object(map))
        .map_err(|e| Error::type_(func, format!("cannot build: {e}")))?;
    validate(func, &schedule)?;
    Ok(schedule)
}

fn type_error(func: &str, param: &str, expected: &str, got: &Arg) -> Error {
    Error::type_(
        func,
        format!("{param} must be {expected}, got {}", describe(got)),
    )
}

/// How an argument is shown in an error message.
pub(crate) fn describe(arg: &Arg) -> String {
    match arg {
        Arg::None => "None".into(),
        Arg::Bool(b) => if *b { "True" } else { "False" }.into(),
        Arg::Num(x) => describe_num(*x),
        Arg::Str(s) => format!("'{s}'"),
        Arg::List(_) => "a list".into(),
        Arg::Schedule(_) => "a schedule".into(),
        Arg::Unsupported(t) => format!("an object of type '{t}'"),
    }
}

fn rule_text(rule: Rule) -> &'static str {
    match rule {
        Any => "a finite number",
        Positive => "a positive number",
        Unit => "a number between 0 and 1",
    }
}

fn number(func: &str, param: &str, rule: Rule, arg: &Arg) -> Result<f64> {
    let Arg::Num(x) = *arg else {
        return Err(type_error(func, param, "a number", arg));
    };
    let ok = x.is_finite()
        && match rule {
            Any => true,
            Positive => x > 0.0,
            Unit => (0.0..=1.0).contains(&x),
        };
    if ok {
        Ok(x + 0.0) // folds -0.0 into 0.0, so equal schedules serialize (and hash) equally
    } else {
        Err(Error::value(func, param, rule_text(rule), describe_num(x)))
    }
}

/// Checks that `x` is an integer in `[min, 2**53]` and returns it.
pub fn count(func: &str, param: &str, x: f64, min: u64) -> Result<u64> {
    if x.is_finite() && x.fract() == 0.0 && x >= min as f64 && x < MAX_COUNT {
        return Ok(x as u64);
    }
    let rule = match min {
        _ if x.is_finite() && x >= MAX_COUNT => "an integer below 2**53".to_owned(),
        0 => "a non-negative integer".to_owned(),
        1 => "a positive integer".to_owned(),
        m => format!("an integer >= {m}"),
    };
    Err(Error::value(func, param, rule, describe_num(x)))
}

fn count_arg(func: &str, param: &str, min: u64, arg: &Arg) -> Result<u64> {
    match arg {
        Arg::Num(x) => count(func, param, *x, min),
        other => Err(type_error(func, param, "an integer", other)),
    }
}

/// A length in steps: a real number, positive (or, for a boundary, non-negative) and below
/// 2**53, where the step count it spans is exact.
fn period(func: &str, param: &str, zero: bool, arg: &Arg) -> Result<f64> {
    match *arg {
        Arg::Num(x) if x.is_finite() && (x > 0.0 || (zero && x == 0.0)) && x < MAX_COUNT => {
            Ok(x + 0.0)
        }
        Arg::Num(x) => {
            let rule = if x.is_finite() && x >= MAX_COUNT {
                "a number below 2**53"
            } else if zero {
                "a non-negative number"
            } else {
                "a positive number"
            };
            Err(Error::value(func, param, rule, describe_num(x)))
        }
        ref other => Err(type_error(func, param, "a number", other)),
    }
}

/// An integer of either sign below 2**53 in magnitude.
fn int_arg(func: &str, param: &str, arg: &Arg) -> Result<i64> {
    match *arg {
        Arg::Num(x) if x.is_finite() && x.fract() == 0.0 && x.abs() < MAX_COUNT => Ok(x as i64),
        Arg::Num(x) => Err(Error::value(
            func,
            param,
            "an integer below 2**53 in magnitude",
            describe_num(x),
        )),
        ref other => Err(type_error(func, param, "an integer", other)),
    }
}

fn list<'a>(func: &str, param: &str, what: &str, arg: &'a Arg) -> Result<&'a [Arg]> {
    match arg {
        Arg::List(items) => Ok(items),
        other => Err(type_error(func, param, what, other)),
    }
}

fn schedule_arg(func: &str, param: &str, arg: &Arg) -> Result<Schedule> {
    match arg {
        Arg::Schedule(b) => b.as_single().cloned().ok_or_else(|| {
            Error::type_(
                func,
                format!("{param} must be a single schedule, got a batch"),
            )
        }),
        Arg::Num(_) => Ok(Schedule::Constant {
            value: number(func, param, Any, arg)?,
        }),
        other => Err(type_error(func, param, "a schedule or a number", other)),
    }
}

/// Checks one argument against its parameter and returns its JSON form.
fn check(func: &str, param: &Param, arg: &Arg) -> Result<Value> {
    let name = param.name;
    Ok(match param.kind {
        Num(rule) => Value::from(number(func, name, rule, arg)?),
        Count(min) => Value::from(count_arg(func, name, min, arg)?),
        Int => Value::from(int_arg(func, name, arg)?),
        OptPeriod if matches!(arg, Arg::None) => Value::Null,
        Period | OptPeriod => Value::from(period(func, name, false, arg)?),
        Periods => Value::Array(
            list(func, name, "a list of numbers of steps", arg)?
                .iter()
                .map(|a| period(func, name, true, a).map(Value::from))
                .collect::<Result<_>>()?,
        ),
        OptNum(_) | OptCount(_) if matches!(arg, Arg::None) => Value::Null,
        OptNum(rule) => Value::from(number(func, name, rule, arg)?),
        OptCount(min) => Value::from(count_arg(func, name, min, arg)?),
        Bool => match arg {
            Arg::Bool(b) => Value::from(*b),
            other => return Err(type_error(func, name, "True or False", other)),
        },
        Choice(options) => match arg {
            Arg::Str(s) if options.contains(&s.as_str()) => Value::from(s.as_str()),
            Arg::Str(s) => {
                let quoted: Vec<String> = options.iter().map(|o| format!("'{o}'")).collect();
                return Err(Error::value(
                    func,
                    name,
                    format!("one of {}", quoted.join(", ")),
                    format!("'{s}'"),
                ));
            }
            other => return Err(type_error(func, name, "a string", other)),
        },
        Sched => to_json(schedule_arg(func, name, arg)?),
        Scheds => Value::Array(
            list(func, name, "a list of schedules", arg)?
                .iter()
                .map(|a| schedule_arg(func, name, a).map(to_json))
                .collect::<Result<_>>()?,
        ),
        Counts => Value::Array(
            list(func, name, "a list of integers", arg)?
                .iter()
                .map(|a| count_arg(func, name, 0, a).map(Value::from))
                .collect::<Result<_>>()?,
        ),
        Nums => Value::Array(
            list(func, name, "a list of numbers", arg)?
                .iter()
                .map(|a| number(func, name, Any, a).map(Value::from))
                .collect::<Result<_>>()?,
        ),
        Points => Value::Array(
            list(func, name, "a list of (step, value) pairs", arg)?
                .iter()
                .map(|pair| match pair {
                    Arg::List(sv) if sv.len() == 2 => Ok(Value::Array(vec![
                        Value::from(count_arg(func, name, 0, &sv[0])?),
                        Value::from(number(func, name, Any, &sv[1])?),
                    ])),
                    other => Err(type_error(
                        func,
                        name,
                        "a list of (step, value) pairs",
                        other,
                    )),
                })
                .collect::<Result<_>>()?,
        ),
    })
}

fn to_json(schedule: Schedule) -> Value {
    serde_json::to_value(schedule).unwrap_or(Value::Null)
}

fn increasing<T: PartialOrd + Copy + std::fmt::Debug>(
    func: &str,
    param: &str,
    xs: &[T],
    strict: bool,
) -> Result<()> {
    let bad = xs
        .windows(2)
        .any(|w| if strict { w[0] >= w[1] } else { w[0] > w[1] });
    if bad {
        let rule = if strict {
            "strictly increasing"
        } else {
            "sorted"
        };
        return Err(Error::value(func, param, rule, format!("{xs:?}")));
    }
    Ok(())
}

/// Relations between parameters, and what a combinator needs of its schedules.
fn validate(func: &str, schedule: &Schedule) -> Result<()> {
    use Schedule::*;
    let depth = schedule.depth();
    if depth > MAX_DEPTH {
        return Err(Error::value(
            func,
            "nesting",
            format!("at most {MAX_DEPTH} schedules deep"),
            depth.to_string(),
        ));
    }
    match schedule {
        Constant { .. }
        | ExpDecay { .. }
        | StepDecay { .. }
        | Add { .. }
        | Mul { .. }
        | Sub { .. }
        | Shift { .. }
        | PerEpoch { .. } => Ok(()),
        Linear { start, end, .. } | Cosine { start, end, .. } | Polynomial { start, end, .. } => {
            span(func, ("start", *start), ("end", *end))
        }
        Exponential { start, end, .. } => {
            if (end / start).is_finite() {
                return Ok(());
            }
            Err(Error::value(
                func,
                "end / start",
                "a finite number (the values are start * (end / start) ** f)",
                describe_num(end / start),
            ))
        }
        Cyclic { low, high, .. } => span(func, ("low", *low), ("high", *high)),
        Tanh {
            start, end, lb, ub, ..
        } => {
            if lb >= ub {
                return Err(Error::value(
                    func,
                    "lb",
                    format!("below ub ({})", describe_num(*ub)),
                    describe_num(*lb),
                ));
            }
            // e^(2·lb) and e^(2·(ub − lb)) stay normal numbers; tanh is ±1 to the last bit
            // from |x| = 20 on, so nothing is lost.
            if lb.abs().max(ub.abs()).max(ub - lb) > 350.0 {
                return Err(Error::value(
                    func,
                    "lb and ub",
                    "within [-350, 350] and ub - lb <= 350",
                    format!("lb={}, ub={}", describe_num(*lb), describe_num(*ub)),
                ));
            }
            span(func, ("start", *start), ("end", *end))
        }
        Div { right, .. } => match **right {
            Constant { value: 0.0 } => Err(Error::value(
                func,
                "right",
                "a denominator other than the constant 0",
                "0",
            )),
            _ => Ok(()),
        },
        Multistep { milestones, .. } => increasing(func, "milestones", milestones, false),
        PiecewiseConstant { boundaries, values } => {
            if values.len() != boundaries.len() + 1 {
                return Err(Error::value(
                    func,
                    "values",
                    format!("one more than boundaries ({})", boundaries.len() + 1),
                    format!("{} values", values.len()),
                ));
            }
            increasing(func, "boundaries", boundaries, true)?;
            first_positive(func, "boundaries", boundaries)
        }
        PiecewiseLinear { points } => {
            if points.is_empty() {
                return Err(Error::value(func, "points", "a non-empty list", "[]"));
            }
            let steps: Vec<u64> = points.iter().map(|p| p.0).collect();
            increasing(func, "points", &steps, true)?;
            points
                .windows(2)
                .try_for_each(|w| span(func, ("a value", w[0].1), ("the next", w[1].1)))
        }
        OneCycle {
            max_lr,
            total_steps,
            pct_start,
            div_factor,
            final_div_factor,
            three_phase,
            ..
        } => {
            one_cycle_phases(func, *total_steps, *pct_start, *three_phase)?;
            let last = max_lr / div_factor / final_div_factor;
            if (max_lr / div_factor).is_finite() && last.is_finite() {
                return Ok(());
            }
            Err(Error::value(
                func,
                "max_lr / div_factor / final_div_factor",
                "finite at every phase",
                describe_num(last),
            ))
        }
        OneCycleMomentum {
            total_steps,
            base,
            max,
            pct_start,
            three_phase,
            ..
        } => {
            one_cycle_phases(func, *total_steps, *pct_start, *three_phase)?;
            span(func, ("base", *base), ("max", *max))
        }
        Wsd {
            peak,
            total_steps,
            warmup_steps,
            decay_steps,
            r#final,
            decay,
            ..
        } => {
            if warmup_steps.saturating_add(*decay_steps) > *total_steps {
                return Err(Error::value(
                    func,
                    "warmup_steps + decay_steps",
                    format!("at most total_steps ({total_steps})"),
                    (warmup_steps + decay_steps).to_string(),
                ));
            }
            if *decay == WsdDecay::Exp && !(*peak > 0.0 && *r#final > 0.0) {
                return Err(Error::value(
                    func,
                    "peak and final",
                    "positive with decay='exp'",
                    format!(
                        "peak={}, final={}",
                        describe_num(*peak),
                        describe_num(*r#final)
                    ),
                ));
            }
            span(func, ("peak", *peak), ("final", *r#final))
        }
        Warmup {
            then, start, shape, ..
        } => {
            let target = then.value(0.0);
            if *shape == WarmupShape::Exponential && !(*start > 0.0 && target > 0.0) {
                return Err(Error::value(
                    func,
                    "start",
                    "positive, and so must be then(0), with shape='exponential'",
                    format!(
                        "start={}, then(0)={}",
                        describe_num(*start),
                        describe_num(target)
                    ),
                ));
            }
            span(func, ("start", *start), ("then(0)", target))
        }
        Join {
            schedules,
            boundaries,
        } => {
            if schedules.is_empty() {
                return Err(Error::value(func, "schedules", "a non-empty list", "[]"));
            }
            if boundaries.len() + 1 != schedules.len() {
                return Err(Error::value(
                    func,
                    "boundaries",
                    format!("one fewer than schedules ({})", schedules.len() - 1),
                    format!("{} boundaries", boundaries.len()),
                ));
            }
            increasing(func, "boundaries", boundaries, true)?;
            first_positive(func, "boundaries", boundaries)
        }
        InverseSqrt {
            warmup_steps: 0,
            timescale: None,
            ..
        } => Err(Error::value(
            func,
            "timescale",
            "given when warmup_steps is 0",
            "None",
        )),
        InverseSqrt { .. } => Ok(()),
        Restarts {
            schedule,
            decay,
            limit,
            ..
        } => {
            if let Some(n) = schedule.total_steps().filter(|&n| n == 0) {
                return Err(Error::value(
                    func,
                    "schedule",
                    "a finite schedule of at least one step",
                    format!("total_steps={n}"),
                ));
            }
            if schedule.total_steps().is_none() {
                return Err(Error::value(
                    func,
                    "schedule",
                    "a finite schedule of at least one step",
                    "an endless schedule",
                ));
            }
            // The last cycle's height is decay^(limit - 1); unlimited, decay > 1 is an endless
            // geometric growth, which may overflow (the rule of the module documentation).
            let overflows =
                *decay > 1.0 && limit.is_some_and(|l| !decay.powf((l - 1) as f64).is_finite());
            if overflows {
                return Err(Error::value(
                    func,
                    "decay",
                    "such that decay ** (limit - 1) is finite (the cycles' heights grow as decay ** i)",
                    describe_num(*decay),
                ));
            }
            Ok(())
        }
        Noise {
            pct,
            std,
            start,
            end,
            ..
        } => {
            if pct / std < 0.01 {
                return Err(Error::value(
                    func,
                    "pct / std",
                    "at least 0.01 (noise is redrawn until |n| < pct)",
                    describe_num(pct / std),
                ));
            }
            match end {
                Some(e) if e <= start => Err(Error::value(
                    func,
                    "end",
                    format!("greater than start ({start})"),
                    e.to_string(),
                )),
                _ => Ok(()),
            }
        }
        Clip { lo, hi, .. } => match (lo, hi) {
            (None, None) => Err(Error::value(func, "lo or hi", "given", "neither")),
            (Some(l), Some(h)) if l > h => Err(Error::value(
                func,
                "lo",
                format!("at most hi ({})", describe_num(*h)),
                describe_num(*l),
            )),
            _ => Ok(()),
        },
    }
}

/// The values between two end values `a` and `b` are computed from `b − a`, which must be
/// finite for them to be.
fn span(func: &str, (a_name, a): (&str, f64), (b_name, b): (&str, f64)) -> Result<()> {
    if (b - a).is_finite() {
        return Ok(());
    }
    Err(Error::value(
        func,
        &format!("{b_name} - {a_name}"),
        "a finite number (the values in between are computed from it)",
        format!("{a_name}={}, {b_name}={}", describe_num(a), describe_num(b)),
    ))
}

fn first_positive<T: Default + PartialEq>(func: &str, param: &str, xs: &[T]) -> Result<()> {
    match xs.first() {
        Some(x) if *x == T::default() => Err(Error::value(
            func,
            param,
            "positive (a boundary at 0 skips a schedule)",
            "0",
        )),
        _ => Ok(()),
    }
}

/// Every one-cycle phase must span more than zero steps (torch divides by each width).
/// The first phase ends at `pct_start·T − 1`, so it needs `pct_start·T > 1`; the last ends at
/// `T − 1`, so a two-phase cycle needs `pct_start < 1`; with three phases the middle one is as
/// long as the first and the last is never shorter once `pct_start <= 0.5`.
fn one_cycle_phases(func: &str, total_steps: u64, pct_start: f64, three_phase: bool) -> Result<()> {
    let total = total_steps as f64;
    if three_phase && pct_start > 0.5 {
        return Err(Error::value(
            func,
            "pct_start",
            "at most 0.5 with three_phase=True (the third phase would never start)",
            describe_num(pct_start),
        ));
    }
    if pct_start * total - 1.0 <= 0.0 {
        return Err(Error::value(
            func,
            "pct_start * total_steps",
            "greater than 1 so that the rising phase spans a step",
            format!(
                "{} (pct_start={}, total_steps={total_steps})",
                describe_num(pct_start * total),
                describe_num(pct_start)
            ),
        ));
    }
    if !three_phase && pct_start >= 1.0 {
        return Err(Error::value(
            func,
            "pct_start",
            "below 1 so that the falling phase spans a step",
            describe_num(pct_start),
        ));
    }
    Ok(())
}

/// Converts JSON (a loaded `to_json` / `to_dict` form) into an argument, building nested
/// schedules through [`build`] so that they are checked like any other call.
fn json_arg(value: &Value, depth: usize) -> Result<Arg> {
    if depth > 4 * MAX_DEPTH {
        return Err(Error::value(
            "from_json",
            "nesting",
            format!("at most {MAX_DEPTH} schedules deep"),
            "deeper",
        ));
    }
    Ok(match value {
        Value::Null => Arg::None,
        Value::Bool(b) => Arg::Bool(*b),
        Value::Number(n) => Arg::Num(n.as_f64().unwrap_or(f64::NAN)),
        Value::String(s) => Arg::Str(s.clone()),
        Value::Array(items) => Arg::List(
            items
                .iter()
                .map(|v| json_arg(v, depth + 1))
                .collect::<Result<_>>()?,
        ),
        Value::Object(map) => Arg::Schedule(json_schedule(map, depth + 1)?),
    })
}

fn json_schedule(map: &Map<String, Value>, depth: usize) -> Result<Batch> {
    let Some(Value::String(kind)) = map.get("kind") else {
        return Err(Error::type_(
            "from_json",
            "every schedule object needs a string 'kind'",
        ));
    };
    if params(kind).is_none() {
        return Err(Error::type_(
            "from_json",
            format!("kind must be the name of one of lrcore's schedule functions, got {kind:?}"),
        ));
    }
    let named = map
        .iter()
        .filter(|(k, _)| k.as_str() != "kind")
        .map(|(k, v)| Ok((k.clone(), json_arg(v, depth)?)))
        .collect::<Result<Vec<_>>>()?;
    build(kind, Vec::new(), named)
}

pub(crate) fn from_json(text: &str) -> Result<Batch> {
    let value: Value = serde_json::from_str(text).map_err(|e| Error::Parse {
        position: e.column(),
        message: format!("invalid JSON ({e})"),
    })?;
    match value {
        Value::Object(map) => json_schedule(&map, 0),
        _ => Err(Error::type_(
            "from_json",
            "expected a JSON object with a 'kind'",
        )),
    }
}
