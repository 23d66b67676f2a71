//! The distributions of a search space, their validation and their map from the unit interval.

use super::math::{exp, ln, norm_ppf};
use crate::error::{Error, Result};
use crate::schedule::py_float;

/// The largest magnitude of an integer bound: integers stay exact in float64 columns.
pub const MAX_INT: i64 = 1 << 53;

/// What the options of a `choice` are, as far as the core needs to know: numbers it writes into
/// the column itself, or anything else (the column then holds option indices).
#[derive(Clone, Debug, PartialEq)]
pub enum ChoiceValues {
    Ints(Vec<i64>),
    Floats(Vec<f64>),
    Other,
}

/// One distribution. Build it with the checked constructors ([`Dist::uniform`], …).
#[derive(Clone, Debug, PartialEq)]
pub enum Dist {
    /// Uniform on [lo, hi]; with a step, the levels lo, lo + step, … (the last one ≤ hi), equally likely.
    Uniform { lo: f64, hi: f64, step: Option<f64> },
    /// Log-uniform on [lo, hi], 0 < lo.
    LogUniform { lo: f64, hi: f64 },
    /// Integers lo, lo + step, … ≤ hi, equally likely; with `log`, log-uniform on
    /// [lo − ½, hi + ½] rounded to the nearest integer (Optuna's rule).
    Integer {
        lo: i64,
        hi: i64,
        log: bool,
        step: i64,
    },
    /// One of `n` options, equally likely or in proportion to `weights`.
    Choice {
        n: usize,
        weights: Option<Vec<f64>>,
        values: ChoiceValues,
    },
    /// Normal with mean `mu` and standard deviation `sigma`.
    Normal { mu: f64, sigma: f64 },
    /// exp of a normal with mean `mu` and standard deviation `sigma` (numpy's convention).
    LogNormal { mu: f64, sigma: f64 },
}

fn finite(func: &str, param: &str, x: f64) -> Result<f64> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(Error::value(func, param, "a finite number", py_float(x)))
    }
}

fn ordered(func: &str, lo: f64, hi: f64) -> Result<()> {
    if hi >= lo {
        Ok(())
    } else {
        Err(Error::value(
            func,
            "hi",
            format!("at least lo = {}", py_float(lo)),
            py_float(hi),
        ))
    }
}

fn list(xs: &[f64]) -> String {
    let items: Vec<String> = xs.iter().map(|&x| py_float(x)).collect();
    format!("[{}]", items.join(", "))
}

impl Dist {
    pub fn uniform(lo: f64, hi: f64, step: Option<f64>) -> Result<Dist> {
        finite("uniform", "lo", lo)?;
        finite("uniform", "hi", hi)?;
        ordered("uniform", lo, hi)?;
        if let Some(s) = step {
            if !(s.is_finite() && s > 0.0) {
                return Err(Error::value(
                    "uniform",
                    "step",
                    "a positive finite number or None",
                    py_float(s),
                ));
            }
            if (hi - lo) / s >= MAX_INT as f64 {
                return Err(Error::value(
                    "uniform",
                    "step",
                    "large enough for at most 2**53 levels",
                    py_float(s),
                ));
            }
        }
        Ok(Dist::Uniform { lo, hi, step })
    }

    pub fn loguniform(lo: f64, hi: f64) -> Result<Dist> {
        finite("loguniform", "lo", lo)?;
        finite("loguniform", "hi", hi)?;
        if lo <= 0.0 {
            return Err(Error::value("loguniform", "lo", "positive", py_float(lo)));
        }
        ordered("loguniform", lo, hi)?;
        Ok(Dist::LogUniform { lo, hi })
    }

    pub fn integer(lo: i64, hi: i64, log: bool, step: i64) -> Result<Dist> {
        for (name, x) in [("lo", lo), ("hi", hi)] {
            if x.unsigned_abs() > MAX_INT as u64 {
                return Err(Error::value(
                    "integer",
                    name,
                    "an integer with |value| <= 2**53",
                    x.to_string(),
                ));
            }
        }
        if hi < lo {
            return Err(Error::value(
                "integer",
                "hi",
                format!("at least lo = {lo}"),
                hi.to_string(),
            ));
        }
        if step < 1 {
            return Err(Error::value(
                "integer",
                "step",
                "a positive integer",
                step.to_string(),
            ));
        }
        if log {
            if lo < 1 {
                return Err(Error::value(
                    "integer",
                    "lo",
                    "at least 1 when log=True",
                    lo.to_string(),
                ));
            }
            if step != 1 {
                return Err(Error::value(
                    "integer",
                    "step",
                    "1 when log=True",
                    step.to_string(),
                ));
            }
        }
        Ok(Dist::Integer { lo, hi, log, step })
    }

    pub fn choice(n: usize, weights: Option<Vec<f64>>, values: ChoiceValues) -> Result<Dist> {
        if n == 0 {
            return Err(Error::value("choice", "options", "a non-empty list", "[]"));
        }
        if let Some(w) = &weights {
            if w.len() != n {
                return Err(Error::value(
                    "choice",
                    "weights",
                    format!("a list of one weight per option ({n})"),
                    format!("{} weights", w.len()),
                ));
            }
            let total: f64 = w.iter().sum();
            if w.iter().any(|&x| !(x.is_finite() && x >= 0.0))
                || !(total > 0.0 && total.is_finite())
            {
                return Err(Error::value(
                    "choice",
                    "weights",
                    "non-negative finite numbers with a positive sum",
                    list(w),
                ));
            }
        }
        match &values {
            ChoiceValues::Ints(v) if v.len() != n => {
                return Err(Error::type_(
                    "choice",
                    "the option values do not match the options",
                ))
            }
            ChoiceValues::Floats(v) if v.len() != n => {
                return Err(Error::type_(
                    "choice",
                    "the option values do not match the options",
                ))
            }
            _ => {}
        }
        Ok(Dist::Choice { n, weights, values })
    }

    pub fn normal(mu: f64, sigma: f64) -> Result<Dist> {
        Self::check_normal("normal", mu, sigma)?;
        Ok(Dist::Normal { mu, sigma })
    }

    pub fn lognormal(mu: f64, sigma: f64) -> Result<Dist> {
        Self::check_normal("lognormal", mu, sigma)?;
        Ok(Dist::LogNormal { mu, sigma })
    }

    fn check_normal(func: &str, mu: f64, sigma: f64) -> Result<()> {
        finite(func, "mu", mu)?;
        if !(sigma.is_finite() && sigma > 0.0) {
            return Err(Error::value(
                func,
                "sigma",
                "a positive finite number",
                py_float(sigma),
            ));
        }
        Ok(())
    }

    /// The function name users call to build it.
    pub fn kind(&self) -> &'static str {
        match self {
            Dist::Uniform { .. } => "uniform",
            Dist::LogUniform { .. } => "loguniform",
            Dist::Integer { .. } => "integer",
            Dist::Choice { .. } => "choice",
            Dist::Normal { .. } => "normal",
            Dist::LogNormal { .. } => "lognormal",
        }
    }

    /// Whether a condition of another parameter may refer to this one.
    pub fn is_discrete(&self) -> bool {
        matches!(self, Dist::Integer { .. } | Dist::Choice { .. })
    }

    /// Whether a condition level (an option index for a choice, a value for an integer) can occur.
    pub fn has_level(&self, level: i64) -> bool {
        match *self {
            Dist::Choice { n, .. } => level >= 0 && (level as u64) < n as u64,
            Dist::Integer { lo, hi, step, .. } => {
                level >= lo && level <= hi && (level - lo) % step == 0
            }
            _ => false,
        }
    }

    /// Whether the column holds integers (i64) when the parameter is always active.
    pub fn int_column(&self) -> bool {
        matches!(
            self,
            Dist::Integer { .. }
                | Dist::Choice {
                    values: ChoiceValues::Ints(_),
                    ..
                }
        )
    }

    /// Whether the column holds option indices (−1 where inactive).
    pub fn index_column(&self) -> bool {
        matches!(
            self,
            Dist::Choice {
                values: ChoiceValues::Other,
                ..
            }
        )
    }
}

/// How a [`Dist`] turns a 64-bit fixed-point coordinate into a value, with everything that does
/// not depend on the row computed once.
#[derive(Clone, Debug)]
pub(crate) enum Mapper {
    Uniform {
        lo: f64,
        width: f64,
        hi: f64,
    },
    LogUniform {
        a: f64,
        b: f64,
        lo: f64,
        hi: f64,
    },
    /// `k` equally likely levels, level i having value `lo + i·step` (the last is `top`).
    FloatLevels {
        k: u64,
        lo: f64,
        step: f64,
        top: f64,
    },
    IntLevels {
        k: u64,
        lo: i64,
        step: i64,
    },
    LogInt {
        a: f64,
        b: f64,
        lo: i64,
        hi: i64,
    },
    Choice {
        k: u64,
        values: ChoiceValues,
    },
    Weighted {
        cum: Vec<f64>,
        last: u64,
        values: ChoiceValues,
    },
    Normal {
        mu: f64,
        sigma: f64,
        log: bool,
    },
}

/// One value of a parameter: its number for the column and the level conditions look at.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Out {
    F(f64),
    I(i64),
}

impl Out {
    /// As a float column holds it.
    #[inline(always)]
    pub(crate) fn float(self) -> f64 {
        match self {
            Out::F(f) => f,
            Out::I(i) => i as f64,
        }
    }

    /// As an integer column holds it.
    #[inline(always)]
    pub(crate) fn int(self) -> i64 {
        match self {
            Out::I(i) => i,
            Out::F(f) => f as i64,
        }
    }
}

// The formulas of the mappers, shared by the per-value methods below and the column kernels
// of `sample`.

/// Uniform: lo + u·(hi − lo), never above hi.
#[inline(always)]
pub(crate) fn uniform_at(lo: f64, width: f64, hi: f64, u: f64) -> f64 {
    (lo + u * width).min(hi)
}

/// Log scales: the exponent a + u·(b − a) of the value at u.
#[inline(always)]
pub(crate) fn log_arg(a: f64, b: f64, u: f64) -> f64 {
    a + u * (b - a)
}

/// Log-integers: e^(log_arg) rounded half up, within [lo, hi].
#[inline(always)]
pub(crate) fn log_int(x: f64, lo: i64, hi: i64) -> i64 {
    ((x + 0.5).floor() as i64).clamp(lo, hi)
}

/// Integer levels: the value of level i.
#[inline(always)]
pub(crate) fn int_level(lo: i64, step: i64, i: u64) -> i64 {
    lo + i as i64 * step
}

impl Mapper {
    pub(crate) fn new(dist: &Dist) -> Mapper {
        match dist {
            &Dist::Uniform { lo, hi, step: None } => Mapper::Uniform {
                lo,
                width: hi - lo,
                hi,
            },
            &Dist::Uniform {
                lo,
                hi,
                step: Some(step),
            } => {
                let r = (hi - lo) / step;
                let nearest = r.round();
                let (k, top) = if (r - nearest).abs() <= 1e-9 * nearest.max(1.0) {
                    (nearest as u64 + 1, hi)
                } else {
                    let k = r.floor() as u64 + 1;
                    (k, (lo + (k - 1) as f64 * step).min(hi))
                };
                Mapper::FloatLevels { k, lo, step, top }
            }
            &Dist::LogUniform { lo, hi } => Mapper::LogUniform {
                a: ln(lo),
                b: ln(hi),
                lo,
                hi,
            },
            &Dist::Integer {
                lo,
                hi,
                log: false,
                step,
            } => Mapper::IntLevels {
                k: ((hi - lo) / step) as u64 + 1,
                lo,
                step,
            },
            &Dist::Integer {
                lo, hi, log: true, ..
            } => Mapper::LogInt {
                a: ln(lo as f64 - 0.5),
                b: ln(hi as f64 + 0.5),
                lo,
                hi,
            },
            Dist::Choice {
                n,
                weights: None,
                values,
            } => Mapper::Choice {
                k: *n as u64,
                values: values.clone(),
            },
            Dist::Choice {
                weights: Some(w),
                values,
                ..
            } => {
                let total: f64 = w.iter().sum();
                let mut acc = 0.0;
                let cum = w
                    .iter()
                    .map(|x| {
                        acc += x;
                        acc / total
                    })
                    .collect();
                let last = w.iter().rposition(|&x| x > 0.0).unwrap_or(0) as u64;
                Mapper::Weighted {
                    cum,
                    last,
                    values: values.clone(),
                }
            }
            &Dist::Normal { mu, sigma } => Mapper::Normal {
                mu,
                sigma,
                log: false,
            },
            &Dist::LogNormal { mu, sigma } => Mapper::Normal {
                mu,
                sigma,
                log: true,
            },
        }
    }

    /// The number of equally likely levels, for distributions drawn as a level index.
    pub(crate) fn levels(&self) -> Option<u64> {
        match self {
            Mapper::FloatLevels { k, .. }
            | Mapper::IntLevels { k, .. }
            | Mapper::Choice { k, .. } => Some(*k),
            _ => None,
        }
    }

    /// The value of level `i` (for distributions with [`Mapper::levels`]), and the level a
    /// condition compares (option index, or integer value).
    #[inline(always)]
    pub(crate) fn at_level(&self, i: u64) -> (Out, i64) {
        match self {
            &Mapper::FloatLevels { k, lo, step, top } => {
                let v = if i + 1 == k {
                    top
                } else {
                    (lo + i as f64 * step).min(top)
                };
                (Out::F(v), i as i64)
            }
            &Mapper::IntLevels { lo, step, .. } => {
                let v = int_level(lo, step, i);
                (Out::I(v), v)
            }
            Mapper::Choice { values, .. } => (choice_out(values, i), i as i64),
            _ => unreachable!("at_level on a continuous mapper"),
        }
    }

    /// The value at u in (0, 1) (for distributions without [`Mapper::levels`]).
    #[inline(always)]
    pub(crate) fn at_unit(&self, u: f64) -> (Out, i64) {
        match self {
            &Mapper::Uniform { lo, width, hi } => (Out::F(uniform_at(lo, width, hi, u)), 0),
            &Mapper::LogUniform { a, b, lo, hi } => {
                (Out::F(exp(log_arg(a, b, u)).clamp(lo, hi)), 0)
            }
            &Mapper::LogInt { a, b, lo, hi } => {
                let v = log_int(exp(log_arg(a, b, u)), lo, hi);
                (Out::I(v), v)
            }
            Mapper::Weighted { cum, last, values } => {
                let i = cum.iter().position(|&c| u < c).map_or(*last, |i| i as u64);
                (choice_out(values, i), i as i64)
            }
            &Mapper::Normal { mu, sigma, log } => {
                let z = mu + sigma * norm_ppf(u);
                (Out::F(if log { exp(z) } else { z }), 0)
            }
            _ => unreachable!("at_unit on a level mapper"),
        }
    }
}

#[inline(always)]
fn choice_out(values: &ChoiceValues, i: u64) -> Out {
    match values {
        ChoiceValues::Ints(v) => Out::I(v[i as usize]),
        ChoiceValues::Floats(v) => Out::F(v[i as usize]),
        ChoiceValues::Other => Out::I(i as i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_function_parameter_rule_and_value() {
        let msg = |r: Result<Dist>| r.unwrap_err().to_string();
        assert_eq!(
            msg(Dist::uniform(1.0, 0.5, None)),
            "uniform(): hi must be at least lo = 1.0, got 0.5"
        );
        assert_eq!(
            msg(Dist::uniform(f64::NAN, 1.0, None)),
            "uniform(): lo must be a finite number, got nan"
        );
        assert_eq!(
            msg(Dist::loguniform(0.0, 1.0)),
            "loguniform(): lo must be positive, got 0.0"
        );
        assert_eq!(
            msg(Dist::integer(0, 10, true, 1)),
            "integer(): lo must be at least 1 when log=True, got 0"
        );
        assert_eq!(
            msg(Dist::choice(0, None, ChoiceValues::Other)),
            "choice(): options must be a non-empty list, got []"
        );
        assert_eq!(
            msg(Dist::choice(2, Some(vec![1.0, -1.0]), ChoiceValues::Other)),
            "choice(): weights must be non-negative finite numbers with a positive sum, got [1.0, -1.0]"
        );
        assert_eq!(
            msg(Dist::normal(0.0, 0.0)),
            "normal(): sigma must be a positive finite number, got 0.0"
        );
    }

    #[test]
    fn step_levels_end_exactly_at_hi() {
        let m = Mapper::new(&Dist::uniform(0.0, 1.0, Some(0.1)).unwrap());
        assert_eq!(m.levels(), Some(11));
        assert_eq!(m.at_level(10).0, Out::F(1.0));
        assert_eq!(m.at_level(3).0, Out::F(0.30000000000000004));
        let m = Mapper::new(&Dist::uniform(0.0, 1.0, Some(0.3)).unwrap());
        assert_eq!(m.levels(), Some(4));
        assert_eq!(m.at_level(3).0, Out::F(0.8999999999999999));
    }

    #[test]
    fn log_integer_stays_in_bounds() {
        let m = Mapper::new(&Dist::integer(1, 9, true, 1).unwrap());
        assert_eq!(m.at_unit(1e-16).0, Out::I(1));
        assert_eq!(m.at_unit(1.0 - 1e-16).0, Out::I(9));
    }

    #[test]
    fn weighted_choice_skips_zero_weights() {
        let d = Dist::choice(3, Some(vec![1.0, 0.0, 0.0]), ChoiceValues::Other).unwrap();
        let m = Mapper::new(&d);
        assert_eq!(m.at_unit(0.999_999_999).0, Out::I(0));
    }
}
