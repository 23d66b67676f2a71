//! Property tests of the core (issue 16): no text makes the parser or the JSON loader panic,
//! what parses prints back to itself, and no schedule that builds panics or fails to return
//! when evaluated, at ordinary or extreme steps. A few hundred cases each, to stay fast.

use lrcore::schedule::{build, Arg};
use lrcore::{parse, Batch, Schedule};
use proptest::prelude::*;

/// Pieces of the expression language, glued at random into mostly malformed text.
const FRAGMENTS: &[&str] = &[
    "cosine",
    "linear",
    "constant",
    "warmup",
    "join",
    "restarts",
    "noise",
    "one_cycle",
    "wsd",
    "cyclic",
    "stack",
    "piecewise_linear",
    "clip",
    "shift",
    "per_epoch",
    "(",
    ")",
    "[",
    "]",
    ",",
    "=",
    "+",
    "*",
    "-",
    ".",
    "0",
    "1",
    "1e308",
    "1e-320",
    "1_000",
    "1__0",
    "1_",
    "0.5",
    "2.",
    ".5",
    "nan",
    "inf",
    "None",
    "True",
    "'cos'",
    "\"linear\"",
    "start",
    "steps",
    "lo",
    "hi",
    "mode",
    " ",
    "'",
    "é",
    "\\",
    "9007199254740993",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(prop::sample::select(FRAGMENTS), 0..40).prop_map(|v| v.concat()),
        any::<String>(),
    ]
}

/// Steps to evaluate at: small, large, fractional and extreme.
fn step() -> impl Strategy<Value = f64> {
    prop_oneof![
        0.0..1e4f64,
        (0u64..1 << 53).prop_map(|n| n as f64),
        Just(9_007_199_254_740_992.0),
        Just(1e300),
        Just(f64::MAX),
    ]
}

/// Numbers for parameters: ordinary and extreme magnitudes, both signs.
fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        -10.0..10.0f64,
        Just(0.0),
        Just(1e-300),
        Just(1e300),
        Just(-1e300),
        Just(f64::MAX),
        (1u64..1 << 20).prop_map(|n| n as f64),
    ]
}

fn count() -> impl Strategy<Value = f64> {
    prop_oneof![1u64..5000, Just(1u64 << 40)].prop_map(|n| n as f64)
}

/// A call of a shape or a combinator with random arguments; most do not build.
fn call() -> impl Strategy<Value = (String, Vec<Arg>)> {
    let shape = (
        prop::sample::select(
            &[
                "constant",
                "linear",
                "cosine",
                "exponential",
                "polynomial",
                "step_decay",
                "exp_decay",
                "inverse_sqrt",
                "cyclic",
                "one_cycle",
                "wsd",
                "tanh",
            ][..],
        ),
        prop::collection::vec(prop_oneof![number(), count()], 1..4),
    )
        .prop_map(|(f, xs)| (f.to_owned(), xs.into_iter().map(Arg::Num).collect()));
    shape.prop_recursive(3, 12, 2, |inner| {
        (
            prop::sample::select(
                &[
                    "warmup", "noise", "add", "mul", "sub", "div", "shift", "restarts",
                ][..],
            ),
            inner.clone(),
            inner,
            count(),
        )
            .prop_filter_map("arguments that build", |(f, a, b, n)| {
                let built = |(g, args): (String, Vec<Arg>)| build(&g, args, Vec::new()).ok();
                let (a, b) = (built(a)?, built(b)?);
                let args = match f {
                    "warmup" => vec![Arg::Num(n), Arg::Schedule(a)],
                    "noise" => vec![Arg::Schedule(a)],
                    // Growing cycles, and (odd n) shrinking ones.
                    "restarts" => {
                        let mul = 1.0 + n / 1000.0;
                        vec![
                            Arg::Schedule(a),
                            Arg::Num(if n % 2.0 == 1.0 { 1.0 / mul } else { mul }),
                        ]
                    }
                    "shift" => return Some(("shift".into(), vec![Arg::Schedule(a), Arg::Num(n)])),
                    _ => vec![Arg::Schedule(a), Arg::Schedule(b)],
                };
                Some((f.to_owned(), args))
            })
    })
}

fn check_evaluates(batch: &Batch, steps: &[f64]) {
    let values = batch.eval_many(steps).expect("a few values fit in memory");
    assert_eq!(values.len(), steps.len() * batch.items().len());
    let mut row = vec![0.0; 64];
    for s in batch.items() {
        s.fill(0, &mut row);
        s.fill(1 << 40, &mut row);
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 300,
        // Most random calls do not build; the filter may reject a few hundred per case.
        max_local_rejects: 1 << 20,
        ..ProptestConfig::default()
    })]

    #[test]
    fn parser_and_loader_never_panic(text in text(), steps in prop::collection::vec(step(), 1..6)) {
        if let Ok(batch) = parse(&text) {
            let again = parse(&batch.to_string()).expect("what parses prints back to itself");
            prop_assert_eq!(&again, &batch);
            check_evaluates(&batch, &steps);
        }
        let _ = Schedule::from_json(&text);
    }

    #[test]
    fn schedules_that_build_evaluate_and_round_trip(
        (func, args) in call(),
        steps in prop::collection::vec(step(), 1..6),
    ) {
        if let Ok(batch) = build(&func, args, Vec::new()) {
            check_evaluates(&batch, &steps);
            prop_assert_eq!(&parse(&batch.to_string()).expect("repr parses"), &batch);
            prop_assert_eq!(&Schedule::from_json(&batch.to_json()).expect("JSON loads"), &batch);
        }
    }

    #[test]
    fn floats_round_trip_bit_exact(bits in any::<u64>()) {
        let x = f64::from_bits(bits);
        prop_assume!(x.is_finite());
        let built = build("constant", vec![Arg::Num(x)], Vec::new()).expect("finite builds");
        for back in [parse(&built.to_string()), Schedule::from_json(&built.to_json())] {
            let back = back.expect("reads back");
            prop_assert_eq!(back.items()[0].value(0.0).to_bits(), built.items()[0].value(0.0).to_bits());
        }
    }
}
