//! Lengths in steps that may be any positive real number (a cosine's `steps`, `cyclic`'s step
//! sizes, `join`'s boundaries, `inverse_sqrt`'s timescale), as transformers' `num_cycles` and timm's `cycle_mul` make them.
//! A whole number is written as an integer (`10`, not `10.0`) in JSON and in `repr`, so the
//! text forms of whole-step schedules are what they always were.

use serde::Serializer;

/// Whether `x` is written as an integer: whole and below 2**53, where every integer is exact.
fn whole(x: f64) -> bool {
    x.fract() == 0.0 && x.abs() < 9_007_199_254_740_992.0
}

pub(super) fn one<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if whole(*x) {
        s.serialize_i64(*x as i64)
    } else {
        s.serialize_f64(*x)
    }
}

pub(super) fn optional<S: Serializer>(x: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
    match x {
        Some(x) => one(x, s),
        None => s.serialize_none(),
    }
}

pub(super) fn many<S: Serializer>(xs: &[f64], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(xs.len()))?;
    for x in xs {
        if whole(*x) {
            seq.serialize_element(&(*x as i64))?;
        } else {
            seq.serialize_element(x)?;
        }
    }
    seq.end()
}
