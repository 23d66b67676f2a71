//! The expression form of a schedule: `warmup(1000, cosine(0.001, 1e-05, 99000))`.
//! It reads back through [`super::parse`], prints numbers as Python's `repr` does, puts
//! required parameters positionally and only non-default optional ones by keyword.

use std::fmt;

use serde_json::{Map, Value};

use super::signature::{default_json, params, Kind, Param};
use super::{Batch, Schedule};

/// A float as Python's `repr` prints it: shortest round-trip digits, positional notation for
/// decimal exponents in [-4, 16), scientific (`1e-05`, `1e+16`) outside.
pub fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (-4..16).contains(&exp) {
        if exp < 0 {
            format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
        } else {
            let point = exp as usize + 1;
            let padded = format!("{digits:0<point$}");
            let (int, frac) = padded.split_at(point);
            let frac = if frac.is_empty() { "0" } else { frac };
            format!("{sign}{int}.{frac}")
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{rest}e{exp_sign}{:02}", exp.abs())
    }
}

/// A number in an error message: integral values without a fraction (`0`, not `0.0`).
pub fn describe_num(x: f64) -> String {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e16 {
        format!("{x:.0}")
    } else {
        py_float(x)
    }
}

/// Binding strength: `+` binds looser than `*`, which binds looser than `.method()`.
const SUM: u8 = 1;
const PRODUCT: u8 = 2;
const POSTFIX: u8 = 3;

fn write_value(out: &mut String, kind: Kind, value: &Value) {
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(b) => out.push_str(if *b { "True" } else { "False" }),
        Value::Number(n) => match (kind, n.as_i64()) {
            (Kind::Num(_) | Kind::OptNum(_) | Kind::Nums, _) | (_, None) => {
                out.push_str(&py_float(n.as_f64().unwrap_or(f64::NAN)))
            }
            (_, Some(i)) => out.push_str(&i.to_string()),
        },
        Value::String(s) => {
            out.push('\'');
            out.push_str(s);
            out.push('\'');
        }
        Value::Array(items) if matches!(kind, Kind::Points) => {
            write_list(out, items, |out, pair| {
                if let Value::Array(sv) = pair {
                    out.push('(');
                    write_value(out, Kind::Count(0), &sv[0]);
                    out.push_str(", ");
                    write_value(out, Kind::Nums, &sv[1]);
                    out.push(')');
                }
            })
        }
        Value::Array(items) => write_list(out, items, |out, v| write_value(out, kind, v)),
        Value::Object(map) => write_schedule(out, map, 0),
    }
}

fn write_list(out: &mut String, items: &[Value], mut each: impl FnMut(&mut String, &Value)) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        each(out, item);
    }
    out.push(']');
}

/// `name=value` pairs (or bare positional values) for the parameters in `params`.
fn write_args(out: &mut String, map: &Map<String, Value>, params: &[Param]) {
    let mut first = true;
    for param in params {
        let value = map.get(param.name).unwrap_or(&Value::Null);
        let default = default_json(param.default);
        if default.as_ref().is_some_and(|d| same(d, value)) {
            continue;
        }
        if !first {
            out.push_str(", ");
        }
        first = false;
        if default.is_some() {
            out.push_str(param.name);
            out.push('=');
        }
        write_value(out, param.kind, value);
    }
}

/// JSON equality that treats `1` and `1.0` alike.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn write_schedule(out: &mut String, map: &Map<String, Value>, context: u8) {
    let kind = map.get("kind").and_then(Value::as_str).unwrap_or("");
    let Some(params) = params(kind) else { return };
    // An operand `constant(x)` prints as the bare number `x`, which parses back to it.
    let operand = |out: &mut String, key: &str, prec: u8| match map.get(key) {
        Some(Value::Object(m)) if m.get("kind") == Some(&Value::from("constant")) => {
            write_value(out, Kind::Nums, m.get("value").unwrap_or(&Value::Null))
        }
        Some(Value::Object(m)) => write_schedule(out, m, prec),
        _ => {}
    };
    match kind {
        "add" | "mul" | "sub" | "div" => {
            let (prec, op) = match kind {
                "add" => (SUM, " + "),
                "sub" => (SUM, " - "),
                "mul" => (PRODUCT, " * "),
                _ => (PRODUCT, " / "),
            };
            let parens = context > prec;
            if parens {
                out.push('(');
            }
            operand(out, "left", prec);
            out.push_str(op);
            operand(out, "right", prec + 1);
            if parens {
                out.push(')');
            }
        }
        "clip" | "shift" | "per_epoch" => {
            if let Some(Value::Object(m)) = map.get("schedule") {
                write_schedule(out, m, POSTFIX);
            }
            out.push('.');
            out.push_str(kind);
            out.push('(');
            write_args(out, map, &params[1..]);
            out.push(')');
        }
        _ => {
            out.push_str(kind);
            out.push('(');
            write_args(out, map, params);
            out.push(')');
        }
    }
}

fn expression(json: &str) -> String {
    let mut out = String::new();
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(json) {
        write_schedule(&mut out, &map, 0);
    }
    out
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&expression(&self.to_json()))
    }
}

impl fmt::Display for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&expression(&self.to_json()))
    }
}
