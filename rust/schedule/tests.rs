//! Boundary values of every shape, composition, the validation rules and the text forms.

use super::{parse, py_float, Batch, Schedule};

fn s(text: &str) -> Schedule {
    match parse(text) {
        Ok(batch) => batch.as_single().cloned().expect("a single schedule"),
        Err(e) => panic!("{text}: {e}"),
    }
}

fn err(text: &str) -> String {
    match parse(text) {
        Ok(b) => panic!("{text} parsed as {b}"),
        Err(e) => e.to_string(),
    }
}

/// Values at `steps`, compared exactly.
fn at(text: &str, steps: &[f64]) -> Vec<f64> {
    let schedule = s(text);
    steps.iter().map(|&t| schedule.value(t)).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1e-300)
}

/// Equal within 1e-15 of the schedule's scale `peak` (rounding of `(a − b)·x + b`).
fn all_near(got: &[f64], want: &[f64], peak: f64) -> bool {
    got.len() == want.len()
        && got
            .iter()
            .zip(want)
            .all(|(g, w)| (g - w).abs() <= 1e-15 * peak)
}

#[test]
fn shapes_at_first_last_one_past_and_far_past() {
    let far = 1e12;
    assert_eq!(at("constant(0.5)", &[0.0, far]), [0.5, 0.5]);
    assert_eq!(
        at("linear(1.0, 0.0, 4)", &[0.0, 2.0, 4.0, 5.0, far]),
        [1.0, 0.5, 0.0, 0.0, 0.0]
    );
    assert_eq!(
        at("cosine(1.0, 0.0, 10)", &[0.0, 5.0, 10.0, 11.0, far]),
        [1.0, 0.5, 0.0, 0.0, 0.0]
    );
    let k2 = at("cosine(1.0, 0.0, 100, k=2.0)", &[50.0])[0];
    assert!(close(k2, 0.5 * (1.0 + (std::f64::consts::PI / 4.0).cos())));
    assert_eq!(
        at("exponential(1.0, 0.01, 2)", &[0.0, 1.0, 2.0, far]),
        [1.0, 0.1, 0.01, 0.01]
    );
    assert_eq!(
        at("exp_decay(1.0, 0.5)", &[0.0, 1.0, 3.0]),
        [1.0, 0.5, 0.125]
    );
    assert_eq!(
        at("exp_decay(1.0, 0.5, every=2)", &[1.0, 2.0, 5.0]),
        [1.0, 0.5, 0.25]
    );
    assert_eq!(
        at("polynomial(1.0, 0.0, 4, power=2.0)", &[0.0, 2.0, 4.0, far]),
        [1.0, 0.25, 0.0, 0.0]
    );
    assert_eq!(
        at("step_decay(1.0, 10, gamma=0.5)", &[9.0, 10.0, 29.9, 30.0]),
        [1.0, 0.5, 0.25, 0.125]
    );
    assert_eq!(
        at(
            "multistep(1.0, [2, 4, 4], gamma=0.5)",
            &[1.0, 2.0, 4.0, far]
        ),
        [1.0, 0.5, 0.125, 0.125]
    );
    assert_eq!(
        at(
            "piecewise_constant([10, 20], [3.0, 2.0, 1.0])",
            &[0.0, 9.0, 10.0, 20.0, far]
        ),
        [3.0, 3.0, 2.0, 1.0, 1.0]
    );
    assert_eq!(
        at(
            "piecewise_linear([(10, 0.0), (20, 1.0)])",
            &[0.0, 10.0, 15.0, 20.0, far]
        ),
        [0.0, 0.0, 0.5, 1.0, 1.0]
    );
    assert_eq!(
        at("inverse_sqrt(1.0, 4)", &[0.0, 2.0, 4.0, 16.0]),
        [0.0, 0.5, 1.0, 0.5]
    );
    assert_eq!(
        at("cyclic(0.0, 1.0, 2)", &[0.0, 1.0, 2.0, 3.0, 4.0, 6.0]),
        [0.0, 0.5, 1.0, 0.5, 0.0, 1.0]
    );
    assert_eq!(
        at("cyclic(0.0, 1.0, 2, mode='triangular2')", &[2.0, 6.0, 10.0]),
        [1.0, 0.5, 0.25]
    );
    assert_eq!(
        at(
            "cyclic(0.0, 1.0, 2, mode='exp_range', gamma=0.5)",
            &[2.0, 6.0]
        ),
        [0.25, 1.0 / 64.0]
    );
}

#[test]
fn one_cycle_matches_torch_measurements() {
    // torch OneCycleLR(max_lr=1, total_steps=100): lr[0] = 0.04, peak at 29, lr[99] = 4e-6.
    let lr = at("one_cycle(1.0, 100)", &[0.0, 29.0, 99.0, 100.0, 1e9]);
    assert!(close(lr[0], 0.04));
    assert_eq!(lr[1], 1.0);
    assert!(close(lr[2], 4e-6));
    assert_eq!(lr[3], lr[2]);
    assert_eq!(lr[4], lr[2]);
    let three = at("one_cycle(1.0, 100, three_phase=True)", &[29.0, 58.0, 99.0]);
    assert_eq!(three[0], 1.0);
    assert!(close(three[1], 0.04));
    assert!(close(three[2], 4e-6));
    let momentum = at("one_cycle_momentum(100)", &[0.0, 29.0, 99.0, 500.0]);
    assert_eq!(momentum, [0.95, 0.85, 0.95, 0.95]);
    let linear = at("one_cycle(1.0, 100, anneal='linear')", &[0.0, 29.0, 99.0]);
    assert!(all_near(&linear, &[0.04, 1.0, 4e-6], 1.0));
}

#[test]
fn wsd_matches_timm_figures() {
    // timm 1-sqrt T=100, D=20, W=10: 1.0 at 89, 0.5 at 95 (its clock is ours shifted by W).
    let v = at(
        "wsd(1.0, 110, 10, 20)",
        &[0.0, 5.0, 10.0, 89.0, 95.0, 110.0, 1e6],
    );
    assert_eq!(v, [0.0, 0.5, 1.0, 1.0, 0.5, 0.0, 0.0]);
    let exp = at(
        "wsd(1.0, 10, 0, 2, final=0.01, decay='exp')",
        &[8.0, 9.0, 10.0],
    );
    assert_eq!(exp, [1.0, 0.1, 0.01]);
}

#[test]
fn warmup_join_restarts_and_arithmetic_compose() {
    assert_eq!(
        at("warmup(4, constant(1.0))", &[0.0, 1.0, 4.0, 9.0]),
        [0.0, 0.25, 1.0, 1.0]
    );
    assert_eq!(
        at(
            "warmup(2, linear(1.0, 0.0, 2), start=0.5)",
            &[1.0, 2.0, 3.0, 4.0]
        ),
        [0.75, 1.0, 0.5, 0.0]
    );
    assert_eq!(
        at(
            "warmup(2, constant(4.0), start=1.0, shape='exponential')",
            &[1.0]
        ),
        [2.0]
    );
    assert_eq!(
        at("warmup(2, constant(1.0), shape='cosine')", &[1.0]),
        [0.49999999999999994]
    );
    let joined = "join([constant(1.0), linear(1.0, 0.0, 10)], [5])";
    assert_eq!(
        at(joined, &[4.0, 5.0, 10.0, 15.0, 99.0]),
        [1.0, 1.0, 0.5, 0.0, 0.0]
    );
    assert_eq!(s(joined).total_steps(), Some(15));
    let sgdr = "restarts(linear(1.0, 0.0, 10), mul=2.0, decay=0.5, limit=2)";
    let want = [1.0, 0.1, 0.5, 0.25, 0.025, 0.0, 0.0];
    assert!(all_near(
        &at(sgdr, &[0.0, 9.0, 10.0, 20.0, 29.0, 30.0, 1e9]),
        &want,
        1.0
    ));
    assert_eq!(s(sgdr).total_steps(), Some(30));
    assert_eq!(s("restarts(linear(1.0, 0.0, 10))").total_steps(), None);
    assert_eq!(
        at(
            "restarts(linear(1.0, 0.0, 10), mul=3.0)",
            &[10.0, 40.0, 129.0]
        ),
        [1.0, 1.0, 1.0 - 89.0 / 90.0]
    );
    assert_eq!(
        at("linear(1.0, 0.0, 10) * 0.5 + 1.0", &[0.0, 10.0]),
        [1.5, 1.0]
    );
    assert_eq!(at("constant(2.0) * linear(1.0, 0.0, 2)", &[1.0]), [1.0]);
    assert_eq!(
        at(
            "linear(1.0, 0.0, 10).clip(lo=0.2, hi=0.9)",
            &[0.0, 5.0, 10.0]
        ),
        [0.9, 0.5, 0.2]
    );
    assert_eq!(
        at("linear(1.0, 0.0, 10).shift(5)", &[0.0, 5.0, 10.0]),
        [1.0, 1.0, 0.5]
    );
    assert_eq!(
        at(
            "linear(1.0, 0.0, 2).per_epoch(10)",
            &[9.0, 10.0, 19.0, 20.0]
        ),
        [1.0, 0.5, 0.5, 0.0]
    );
    assert_eq!(
        s("linear(1.0, 0.0, 2).per_epoch(10)").total_steps(),
        Some(20)
    );
}

#[test]
fn noise_is_deterministic_bounded_and_local() {
    let noisy = s("noise(constant(1.0), pct=0.1, seed=7, start=2, end=5)");
    let values: Vec<f64> = (0..7).map(|t| noisy.value(t as f64)).collect();
    assert_eq!(values[..2], [1.0, 1.0]);
    assert_eq!(values[5..], [1.0, 1.0]);
    assert!(values[2..5]
        .iter()
        .all(|v| (v - 1.0).abs() < 0.1 && *v != 1.0));
    assert_eq!(noisy.value(3.0), noisy.value(3.7));
    assert_ne!(
        noisy.value(3.0),
        s("noise(constant(1.0), pct=0.1, seed=8)").value(3.0)
    );
}

#[test]
fn noise_blocks_equal_single_steps_through_rejections() {
    // pct / std = 0.05: about 25 tries a step, so the passes of the block kernel run long.
    let noisy = s("noise(cosine(1.0, 0.1, 5000), pct=0.05, std=1.0, seed=11, start=3, end=4000)");
    for (start, n) in [(0u64, 5000usize), (1, 1030), (2999, 1500)] {
        let mut out = vec![0.0; n];
        noisy.fill(start, &mut out);
        for (i, v) in out.iter().enumerate() {
            assert_eq!(
                v.to_bits(),
                noisy.value((start + i as u64) as f64).to_bits()
            );
        }
    }
}

#[test]
fn fill_equals_value_across_joins_and_past_the_end() {
    let cases = [
        "warmup(7, cosine(1.0, 0.1, 20))",
        "join([constant(1.0), linear(1.0, 0.0, 10), cyclic(0.0, 1.0, 3)], [5, 12])",
        "restarts(cosine(1.0, 0.0, 6), mul=2.0, limit=3).shift(4)",
        "restarts(cosine(1.0, 0.0, 6))",
        "restarts(warmup(2, cosine(1.0, 0.1, 5)), decay=0.5)",
        "restarts(linear(1.0, 0.0, 3), mul=1.5, decay=0.9)",
        "restarts(cosine(1.0, 0.0, 1), mul=3.0)",
        "restarts(cosine(1.0, 0.0, 6), mul=0.7)",
        "restarts(cosine(1.0, 0.0, 3.5), mul=0.5, decay=0.9, limit=4)",
        "one_cycle(0.1, 30, three_phase=True) * cosine(1.0, 0.5, 50)",
        // Phases ending between steps, the first just over one step long.
        "one_cycle(0.1, 7, pct_start=0.15, three_phase=True)",
        "one_cycle_momentum(9, pct_start=0.12, anneal='linear')",
        "noise(step_decay(1.0, 3), end=20).per_epoch(2)",
    ];
    for text in cases {
        let schedule = s(text);
        for start in [0u64, 3, 11, 60] {
            let mut out = vec![0.0; 70];
            schedule.fill(start, &mut out);
            for (i, v) in out.iter().enumerate() {
                assert_eq!(
                    *v,
                    schedule.value((start + i as u64) as f64),
                    "{text} at {}",
                    start + i as u64
                );
            }
        }
    }
}

#[test]
fn batches_broadcast_and_evaluate_row_by_row() {
    let batch = parse("cosine([1.0, 2.0], 0.0, [10, 20])").expect("batch");
    assert_eq!(batch.batch_size(), Some(2));
    assert_eq!(batch.total_steps(), Some(20));
    let values = batch.values(3, 5).expect("values");
    let rows = [s("cosine(1.0, 0.0, 10)"), s("cosine(2.0, 0.0, 20)")];
    for (r, row) in rows.iter().enumerate() {
        for i in 0..3 {
            assert_eq!(values[r * 3 + i], row.value((5 + i) as f64));
        }
    }
    let wrapped = parse("warmup(5, cosine([1.0, 2.0], 0.0, 10))").expect("batch");
    assert_eq!(wrapped.batch_size(), Some(2));
    assert_eq!(
        err("cosine([1.0, 2.0], [0.0, 0.1, 0.2], 10)"),
        "cosine(): end must be a batch of the same length as start (2), got length 3"
    );
    assert_eq!(
        parse("stack([constant(1.0), 2.0])")
            .expect("stack")
            .batch_size(),
        Some(2)
    );
}

#[test]
fn every_validation_rule_names_function_parameter_rule_and_value() {
    let cases = [
        ("cosine(1.0, 0.0, 0)", "cosine(): steps must be a positive number, got 0"),
        ("cosine(1.0, 0.0, -3)", "cosine(): steps must be a positive number, got -3"),
        ("linear(1.0, 0.0, 2.5)", "linear(): steps must be a positive integer, got 2.5"),
        ("cosine(1.0, 0.0, 1e300)", "cosine(): steps must be a number below 2**53, got 1e+300"),
        ("linear(1.0, 0.0, 1e300)", "linear(): steps must be an integer below 2**53, got 1e+300"),
        ("join([1.0, 2.0], [-0.5])", "join(): boundaries must be a non-negative number, got -0.5"),
        ("noise(1.0, seed=9007199254740992)", "noise(): seed must be an integer below 2**53, got 9007199254740992"),
        ("cosine(1e999, 0.0, 10)", "cosine(): start must be a finite number, got inf"),
        ("cosine(1.0, 0.0, 10, k=0.0)", "cosine(): k must be a positive number, got 0"),
        ("cosine(1.0, 0.0, 10, k='a')", "cosine(): k must be a number, got 'a'"),
        ("cosine(1.0, 0.0)", "cosine(): missing required argument 'steps'"),
        ("cosine(1.0, 0.0, 10, 1.0, 2.0)", "cosine(): takes at most 4 arguments (5 given)"),
        ("cosine(1.0, 0.0, 10, q=1)", "cosine(): got an unexpected keyword argument 'q'"),
        ("cosine(1.0, 0.0, steps=1, steps=2)", "cosine(): got multiple values for argument 'steps'"),
        ("exponential(0.0, 1.0, 10)", "exponential(): start must be a positive number, got 0"),
        ("exp_decay(1.0, 0.0)", "exp_decay(): gamma must be a positive number, got 0"),
        ("multistep(1.0, [5, 2])", "multistep(): milestones must be sorted, got [5, 2]"),
        ("piecewise_constant([10], [1.0])", "piecewise_constant(): values must be one more than boundaries (2), got 1 values"),
        ("piecewise_constant([10, 10], [1.0, 2.0, 3.0])", "piecewise_constant(): boundaries must be strictly increasing, got [10, 10]"),
        ("piecewise_linear([])", "piecewise_linear(): points must be a non-empty list, got []"),
        ("piecewise_linear([(0, 1.0, 2.0)])", "piecewise_linear(): points must be a list of (step, value) pairs, got a list"),
        ("cyclic(0.0, 1.0, 10, mode='tri')", "cyclic(): mode must be one of 'triangular', 'triangular2', 'exp_range', got 'tri'"),
        ("one_cycle(0.1, 100, pct_start=1.5)", "one_cycle(): pct_start must be a number between 0 and 1, got 1.5"),
        ("one_cycle(0.1, 10, pct_start=0.1)", "one_cycle(): pct_start * total_steps must be greater than 1 so that the rising phase spans a step, got 1 (pct_start=0.1, total_steps=10)"),
        ("one_cycle(0.1, 10, pct_start=1.0)", "one_cycle(): pct_start must be below 1 so that the falling phase spans a step, got 1"),
        ("one_cycle(0.1, 100, pct_start=0.6, three_phase=True)", "one_cycle(): pct_start must be at most 0.5 with three_phase=True (the third phase would never start), got 0.6"),
        ("one_cycle(0.1, 100, three_phase=1)", "one_cycle(): three_phase must be True or False, got 1"),
        ("one_cycle(0.1, 100, anneal='cosine')", "one_cycle(): anneal must be one of 'cos', 'linear', got 'cosine'"),
        ("wsd(1.0, 100, 50, 60)", "wsd(): warmup_steps + decay_steps must be at most total_steps (100), got 110"),
        ("wsd(1.0, 100, 10, 10, decay='exp')", "wsd(): peak and final must be positive with decay='exp', got peak=1, final=0"),
        ("warmup(10, constant(1.0), shape='exponential')", "warmup(): start must be positive, and so must be then(0), with shape='exponential', got start=0, then(0)=1"),
        ("join([], [])", "join(): schedules must be a non-empty list, got []"),
        ("join([1.0, 2.0], [])", "join(): boundaries must be one fewer than schedules (1), got 0 boundaries"),
        ("join([1.0, 2.0], [0])", "join(): boundaries must be positive (a boundary at 0 skips a schedule), got 0"),
        ("inverse_sqrt(1.0, 0)", "inverse_sqrt(): timescale must be given when warmup_steps is 0, got None"),
        ("restarts(exp_decay(1.0, 0.5))", "restarts(): schedule must be a finite schedule of at least one step, got an endless schedule"),
        ("restarts(constant(1.0))", "restarts(): schedule must be a finite schedule of at least one step, got total_steps=0"),
        ("restarts(linear(1.0, 0.0, 5), mul=0.0)", "restarts(): mul must be a positive number, got 0"),
        ("restarts(linear(1.0, 0.0, 5), limit=0)", "restarts(): limit must be a positive integer, got 0"),
        ("noise(constant(1.0), pct=0.001)", "noise(): pct / std must be at least 0.01 (noise is redrawn until |n| < pct), got 0.001"),
        ("noise(constant(1.0), start=5, end=5)", "noise(): end must be greater than start (5), got 5"),
        ("constant(1.0).clip()", "clip(): lo or hi must be given, got neither"),
        ("constant(1.0).clip(lo=2.0, hi=1.0)", "clip(): lo must be at most hi (1), got 2"),
        ("constant(1.0).shift(1.5)", "shift(): n must be an integer below 2**53 in magnitude, got 1.5"),
        ("constant(1.0) / 0", "div(): right must be a denominator other than the constant 0, got 0"),
        ("cosine(1e308, -1e308, 10)", "cosine(): end - start must be a finite number (the values in between are computed from it), got start=1e+308, end=-1e+308"),
        ("restarts(linear(1.0, 0.0, 5), decay=1e10, limit=40)", "restarts(): decay must be such that decay ** (limit - 1) is finite (the cycles' heights grow as decay ** i), got 10000000000"),
        ("constant(1.0).per_epoch(0)", "per_epoch(): steps_per_epoch must be a positive integer, got 0"),
        ("stack([])", "stack(): schedules must be a non-empty list, got []"),
        ("stack([cosine([1.0, 2.0], 0.0, 5)])", "stack(): schedules must be a single schedule, got a batch"),
        ("cosine([], 0.0, 5)", "cosine(): start must be a non-empty batch, got length 0"),
        ("'a' * 2", "mul(): left must be a schedule or a number, got 'a'"),
    ];
    for (text, message) in cases {
        assert_eq!(err(text), message, "{text}");
    }
}

#[test]
fn parser_rejects_code_junk_and_deep_nesting() {
    assert_eq!(
        err("__import__('os')"),
        "parse(): unknown function '__import__' at position 0"
    );
    assert_eq!(
        err("cosine(1.0, 0.0, 10).__class__"),
        "parse(): unknown method '__class__' at position 21"
    );
    assert_eq!(
        err("lambda: 1"),
        "parse(): unexpected character ':' at position 6"
    );
    assert_eq!(
        err("cosine(1.0, 0.0, 10"),
        "parse(): expected ')' at position 19"
    );
    assert_eq!(
        err("cosine(1.0, 0.0, 10) junk"),
        "parse(): unexpected text after the expression at position 21"
    );
    assert_eq!(
        err("'unterminated"),
        "parse(): unterminated string at position 0"
    );
    assert_eq!(
        err("cosine(1.0; 0.0, 10)"),
        "parse(): unexpected character ';' at position 10"
    );
    assert_eq!(
        err(""),
        "parse(): unexpected end of expression at position 0"
    );
    assert_eq!(
        err("[1.0]"),
        "parse(): the expression is not a schedule at position 0"
    );
    let deep = format!("{}1.0{}", "(".repeat(100_000), ")".repeat(100_000));
    assert!(err(&deep).starts_with("parse(): expression nested too deeply"));
    let nested = (0..40).fold("constant(1.0)".to_owned(), |acc, _| {
        format!("warmup(1, {acc})")
    });
    assert_eq!(
        err(&nested),
        "warmup(): nesting must be at most 32 schedules deep, got 33"
    );
}

#[test]
fn repr_reads_back_and_json_round_trips() {
    let texts = [
        "warmup(1000, cosine(0.001, 1e-05, 99000))",
        "one_cycle(0.1, 1000, pct_start=0.25, anneal='linear', three_phase=True)",
        "(linear(1.0, 0.0, 10) + 0.5) * cosine(1.0, 0.0, 10)",
        "linear(1.0, 0.0, 10) * (2.0 * 3.0)",
        "(linear(1.0, 0.0, 10) + 1.0).clip(lo=0.1).shift(5).per_epoch(3)",
        "piecewise_linear([(0, 0.0), (10, 1.0)])",
        "stack([constant(1.0), restarts(cosine(1.0, 0.0, 10), mul=2.0, limit=3)])",
        "noise(cyclic(0.001, 0.1, 2000, mode='exp_range', gamma=0.99994), seed=1, end=100)",
        "wsd(0.001, 1000, 100, 200, final=1e-05, decay='power', power=2.0)",
    ];
    for text in texts {
        let batch = parse(text).expect(text);
        assert_eq!(batch.to_string(), text);
        let back = super::Schedule::from_json(&batch.to_json()).expect("json");
        assert_eq!(back, batch);
    }
    assert_eq!(
        parse("cosine(1, 0, 1_000)").map(|b| b.to_string()),
        Ok("cosine(1.0, 0.0, 1000)".into())
    );
    assert_eq!(
        super::Schedule::from_json(r#"{"kind": "cosine", "start": 1, "end": 0, "steps": 0}"#)
            .map(|b| b.to_string()),
        Err(crate::Error::value(
            "cosine",
            "steps",
            "a positive number",
            "0"
        ))
    );
    assert!(super::Schedule::from_json("[1, 2]").is_err());
    assert!(Batch::single(s("constant(1.0)")).batch_size().is_none());
}

#[test]
fn floats_print_as_python_repr() {
    let cases = [
        (0.001, "0.001"),
        (1e-5, "1e-05"),
        (1e16, "1e+16"),
        (1e15, "1000000000000000.0"),
        (123.456, "123.456"),
        (-0.5, "-0.5"),
        (0.0001, "0.0001"),
        (2.5e-300, "2.5e-300"),
        (1.0, "1.0"),
    ];
    for (x, text) in cases {
        assert_eq!(py_float(x), text);
    }
}

/// One example of every variant; the exhaustive match makes a new variant fail to build here
/// until it has an example, and the example must come through the table and `validate`.
#[test]
fn every_variant_has_a_table_row_and_validation() {
    use super::signature::params;
    let examples = [
        "constant(1.0)",
        "linear(1.0, 0.0, 4)",
        "cosine(1.0, 0.0, 4)",
        "exponential(1.0, 0.5, 4)",
        "tanh(1.0, 0.0, 4)",
        "exp_decay(1.0, 0.5)",
        "polynomial(1.0, 0.0, 4)",
        "step_decay(1.0, 2)",
        "multistep(1.0, [2])",
        "piecewise_constant([2], [1.0, 0.5])",
        "piecewise_linear([(0, 1.0), (4, 0.0)])",
        "inverse_sqrt(1.0, 4)",
        "cyclic(0.1, 1.0, 4)",
        "one_cycle(1.0, 10)",
        "one_cycle_momentum(10)",
        "wsd(1.0, 10, 2, 2)",
        "warmup(2, 1.0)",
        "join([1.0, 0.5], [2])",
        "restarts(linear(1.0, 0.0, 4))",
        "noise(constant(1.0))",
        "constant(1.0) + 1.0",
        "constant(1.0) * 2.0",
        "constant(1.0) - 2.0",
        "constant(1.0) / 2.0",
        "constant(1.0).clip(lo=0.0)",
        "constant(1.0).shift(-2)",
        "constant(1.0).per_epoch(2)",
    ];
    let mut seen = std::collections::BTreeSet::new();
    for text in examples {
        use Schedule::*;
        let name = match s(text) {
            Constant { .. } => "constant",
            Linear { .. } => "linear",
            Cosine { .. } => "cosine",
            Exponential { .. } => "exponential",
            Tanh { .. } => "tanh",
            ExpDecay { .. } => "exp_decay",
            Polynomial { .. } => "polynomial",
            StepDecay { .. } => "step_decay",
            Multistep { .. } => "multistep",
            PiecewiseConstant { .. } => "piecewise_constant",
            PiecewiseLinear { .. } => "piecewise_linear",
            InverseSqrt { .. } => "inverse_sqrt",
            Cyclic { .. } => "cyclic",
            OneCycle { .. } => "one_cycle",
            OneCycleMomentum { .. } => "one_cycle_momentum",
            Wsd { .. } => "wsd",
            Warmup { .. } => "warmup",
            Join { .. } => "join",
            Restarts { .. } => "restarts",
            Noise { .. } => "noise",
            Add { .. } => "add",
            Mul { .. } => "mul",
            Sub { .. } => "sub",
            Div { .. } => "div",
            Clip { .. } => "clip",
            Shift { .. } => "shift",
            PerEpoch { .. } => "per_epoch",
        };
        assert!(params(name).is_some(), "{name} has no table row");
        assert!(s(text).to_json().contains(&format!("\"kind\":\"{name}\"")));
        seen.insert(name);
    }
    assert_eq!(seen.len(), examples.len(), "one example per variant");
}

#[test]
fn subtraction_division_negation_and_negative_shift() {
    let c = "cosine(1.0, 0.1, 10)";
    let base = s(c);
    for t in [0.0, 3.0, 4.5, 12.0] {
        let v = base.value(t);
        assert_eq!(s(&format!("1.0 - {c}")).value(t), 1.0 - v);
        assert_eq!(s(&format!("{c} / 4.0")).value(t), v / 4.0);
        assert_eq!(s(&format!("2.0 / {c}")).value(t), 2.0 / v);
        assert_eq!(s(&format!("-{c}")).value(t), -v);
        assert_eq!(s(&format!("{c}.shift(-3)")).value(t), base.value(t + 3.0));
        assert_eq!(s(&format!("{c} - {c}")).value(t), 0.0);
    }
    // Python's precedence and left associativity.
    assert_eq!(s("8.0 - 2.0 - 1.0").value(0.0), 5.0);
    assert_eq!(s("8.0 / 2.0 / 2.0").value(0.0), 2.0);
    assert_eq!(s("1.0 - -2.0 * 3.0").value(0.0), 7.0);
    assert_eq!(s(&format!("{c}.shift(-3)")).total_steps(), Some(7));
    assert_eq!(s(&format!("{c}.shift(-30)")).total_steps(), Some(0));
    let mut out = vec![0.0; 20];
    s(&format!("{c}.shift(-3)")).fill(2, &mut out);
    for (i, v) in out.iter().enumerate() {
        assert_eq!(*v, base.value(i as f64 + 5.0));
    }
    for text in [
        "1.0 - cosine(1.0, 0.1, 10)",
        "(cosine(1.0, 0.1, 10) - 1.0) / 3.0",
        "-1.0 * (cosine(1.0, 0.1, 10) - 2.0 / linear(1.0, 2.0, 4))",
        "cosine(1.0, 0.1, 10) - (1.0 - 2.0)",
        "cosine(1.0, 0.1, 10).shift(-3)",
    ] {
        assert_eq!(s(text).to_string(), text);
    }
}

/// Issue 16: every call returns after a bounded amount of work, whatever the parameters.
#[test]
fn restarts_settle_their_cycle_for_extreme_mul_and_steps() {
    let steps = [0.0, 5.0, 10.0, 11.0, 1e5, 1e12, 1e15, 9e15, 1e300, f64::MAX];
    for mul in [
        1.0 + 1e-15,
        1.0 + 1e-12,
        1.0000001,
        1.5,
        3.7,
        1e10,
        1e300,
        1e308,
        f64::MAX,
    ] {
        for len in [1, 10, 12_345] {
            let r = s(&format!(
                "restarts(cosine(1.0, 0.0, {len}), mul={mul:e}, decay=0.5)"
            ));
            for t in steps {
                let v = r.value(t);
                assert!(v.is_finite() && (0.0..=1.0).contains(&v), "{mul} {t} {v}");
            }
            let mut out = vec![0.0; 300];
            for start in [0, 1 << 40, (1 << 53) - 100] {
                r.fill(start, &mut out);
                for (i, v) in out.iter().enumerate() {
                    assert_eq!(*v, r.value((start + i as u64) as f64));
                }
            }
        }
    }
    // A huge mul: cycle 1 starts at len0 and never ends.
    let r = s("restarts(cosine(1.0, 0.0, 10), mul=1e308)");
    assert_eq!(
        at("restarts(cosine(1.0, 0.0, 10), mul=1e308)", &[10.0]),
        [1.0]
    );
    assert!(r.value(1e300) > 0.99);
}

/// Issue 16: no NaN from valid input.
#[test]
fn zero_times_overflow_is_zero_and_overflowing_spans_are_rejected() {
    assert_eq!(at("step_decay(0.0, 2, gamma=2.0)", &[1e6]), [0.0]);
    assert_eq!(at("exp_decay(0.0, 10.5)", &[1e6]), [0.0]);
    assert_eq!(at("multistep(0.0, [1, 2], gamma=1e300)", &[5.0]), [0.0]);
    assert_eq!(at("constant(0.0) * exp_decay(1.0, 10.5)", &[1e6]), [0.0]);
    let wide = s("cosine(0.1, -1e308, 700)");
    let mut out = vec![0.0; 800];
    wide.fill(0, &mut out);
    assert!(out.iter().all(|v| v.is_finite()));
    for text in [
        "cosine(1e308, -1e308, 10)",
        "linear(-1e308, 1e308, 10)",
        "exponential(1e-300, 1e300, 10)",
        "warmup(5, 1e308, start=-1e308)",
        "one_cycle(1e300, 10, div_factor=1e-10)",
        "cosine(1.0, 0.0, 10) / 0.0",
    ] {
        err(text);
    }
    assert!(s("cosine(1.0, 0.0, 1000, k=200.0)")
        .value(500.0)
        .is_finite());
}

/// Issue 13 item 1: cycles of any positive real number of steps; whole numbers stay exact.
#[test]
fn real_valued_periods() {
    use std::f64::consts::PI;
    let c = s("cosine(1.0, 0.0, 170.5)");
    assert_eq!(c.total_steps(), Some(171));
    assert_eq!(c.period(), Some(170.5));
    assert!(close(c.value(85.25), 0.5));
    assert_eq!(c.value(170.0), 0.5 * (1.0 + (PI * 170.0 / 170.5).cos()));
    assert_eq!(c.value(171.0), 0.0);
    // restarts repeats it every 170.5 steps exactly: step 341 is 0.0 into cycle 2.
    let r = s("restarts(cosine(1.0, 0.0, 170.5))");
    assert_eq!(r.value(341.0), 1.0);
    assert!(close(r.value(171.0), c.value(0.5)));
    let grown = s("restarts(cosine(1.0, 0.0, 10.5), mul=1.5, limit=3)");
    assert_eq!(grown.period(), Some(10.5 * (1.0 + 1.5 + 2.25)));
    assert_eq!(grown.total_steps(), Some(50));
    let cyc = s("cyclic(0.0, 1.0, 2.5)");
    assert_eq!(
        at("cyclic(0.0, 1.0, 2.5)", &[0.0, 2.5, 5.0]),
        [0.0, 1.0, 0.0]
    );
    let j = s("join([linear(1.0, 0.0, 4), constant(0.5)], [2.5])");
    assert_eq!(
        at(
            "join([linear(1.0, 0.0, 4), constant(0.5)], [2.5])",
            &[2.0, 3.0]
        ),
        [0.5, 0.5]
    );
    for (schedule, text) in [
        (&c, "cosine(1.0, 0.0, 170.5)"),
        (&cyc, "cyclic(0.0, 1.0, 2.5)"),
        (&j, "join([linear(1.0, 0.0, 4), 0.5], [2.5])"),
        (&r, "restarts(cosine(1.0, 0.0, 170.5))"),
    ] {
        let mut out = vec![0.0; 700];
        schedule.fill(3, &mut out);
        for (i, v) in out.iter().enumerate() {
            assert_eq!(*v, schedule.value(3.0 + i as f64), "{text} at {i}");
        }
        assert_eq!(s(text).to_string(), schedule.to_string());
    }
    // Whole numbers keep their integer text forms.
    assert_eq!(
        s("cosine(1.0, 0.0, 10.0)").to_string(),
        "cosine(1.0, 0.0, 10)"
    );
    assert!(s("cosine(1.0, 0.0, 10)")
        .to_json()
        .contains("\"steps\":10,"));
}

/// The fast paths of `fill` (runs, combinators block by block, epochs) equal `value` bit for bit.
#[test]
fn fast_fills_equal_values() {
    for text in [
        "exp_decay(0.1, 0.9, every=7)",
        "exp_decay(0.1, 0.999)",
        "multistep(0.1, [500, 750, 750, 9000])",
        "piecewise_constant([300, 600], [0.1, 0.05, 0.01])",
        "piecewise_linear([(5, 0.0), (100, 0.1), (600, 0.02), (9500, 0.0)])",
        "one_cycle(0.1, 9000, three_phase=True)",
        "one_cycle(0.1, 9999, pct_start=0.25, anneal='linear')",
        "one_cycle_momentum(9000)",
        "cosine(0.1, 0.0, 9000, k=2.0)",
        "polynomial(0.1, 0.001, 9000, power=2.0, k=2.0)",
        "polynomial(0.1, 0.001, 9000, power=0.7, k=0.5)",
        "restarts(cosine(0.1, 0.001, 900), mul=1.3, decay=0.7)",
        "restarts(polynomial(0.1, 0.001, 900, k=3.0), mul=0.999, decay=0.7, limit=12)",
        "restarts(cosine(0.1, 0.001, 900.5), decay=0.6, limit=4, decay_mode='peak')",
        "restarts(tanh(0.1, 0.001, 900), mul=2.0)",
        "cosine(0.1, 0.0, 9000.5, k=0.5)",
        "step_decay(0.0, 1, gamma=1.5)",
        "exponential(0.1, 0.001, 9000)",
        "cyclic(0.01, 0.1, 700, mode='exp_range', gamma=0.9999)",
        "tanh(0.1, 0.001, 9000.5)",
        "tanh(0.1, 0.001, 9000, lb=-300.0, ub=50.0)",
        "step_decay(0.1, 5, gamma=0.5)",
        "0.5 * cosine(0.1, 0.0, 9000) + 0.01",
        "0.2 - cosine(0.1, 0.0, 9000)",
        "cosine(0.1, 0.0, 9000) / linear(1.0, 2.0, 9000)",
        "cyclic(0.5, 1.0, 300) * cosine(0.1, 0.0, 9000)",
        "cosine(0.1, 0.0, 9000).clip(lo=0.02, hi=0.08)",
        "cosine(0.1, 0.0, 9000).clip(hi=0.08)",
        "(cosine(0.1, 0.0, 9000) - 0.05).clip(lo=0.0)",
        "cosine(0.1, 0.0, 90).per_epoch(100)",
        "tanh(0.1, 0.001, 9000).per_epoch(3)",
        "(linear(0.0, 1.0, 5) / linear(0.0, 1.0, 5)).clip(hi=1.0)",
        "linear(0.0, 1.0, 5) / linear(0.0, 1.0, 5)",
    ] {
        let schedule = s(text);
        for start in [0u64, 3, 4095, 8999] {
            let mut out = vec![0.0; 10_000];
            schedule.fill(start, &mut out);
            for (i, v) in out.iter().enumerate() {
                let want = schedule.value((start + i as u64) as f64);
                assert!(
                    v.to_bits() == want.to_bits(),
                    "{text} at {}: {v} vs {want}",
                    start + i as u64
                );
            }
        }
    }
}

/// Issue 17: timm's PolyLRScheduler k-decay, `(1 − t^k / T^k)^power`.
#[test]
fn polynomial_k_decay() {
    let p = s("polynomial(1.0, 0.1, 10, power=2.0, k=2.0)");
    // timm: 0.1 + 0.9 · (1 − 5² / 10²)²
    assert!(close(p.value(5.0), 0.1 + 0.9 * 0.75 * 0.75));
    assert_eq!(
        at(
            "polynomial(1.0, 0.1, 10, power=2.0, k=2.0)",
            &[0.0, 10.0, 1e9]
        ),
        [1.0, 0.1, 0.1]
    );
    let half = s("polynomial(1.0, 0.0, 4, k=0.5)");
    assert!(close(half.value(1.0), 0.5));
    // k = 1 is the polynomial of before, to the bit and in every text form.
    assert_eq!(
        s("polynomial(1.0, 0.0, 7, power=1.5, k=1.0)"),
        s("polynomial(1.0, 0.0, 7, power=1.5)")
    );
    assert_eq!(
        s("polynomial(1.0, 0.0, 7, k=1.0)").to_string(),
        "polynomial(1.0, 0.0, 7)"
    );
    assert_eq!(half.to_string(), "polynomial(1.0, 0.0, 4, k=0.5)");
    let old = r#"{"kind": "polynomial", "start": 1.0, "end": 0.0, "steps": 4, "power": 2.0}"#;
    assert_eq!(
        super::Schedule::from_json(old).map(|b| b.to_string()),
        Ok("polynomial(1.0, 0.0, 4, power=2.0)".into())
    );
    // steps^k overflows: (t / steps)^k instead.
    let steep = s("polynomial(1.0, 0.0, 1000000, k=60.0)");
    assert!(close(steep.value(500_000.0), 1.0 - 0.5f64.powi(60)));
    for (text, want) in [
        (
            "polynomial(1.0, 0.0, 4, k=0.0)",
            "polynomial(): k must be a positive number, got 0",
        ),
        (
            "polynomial(1.0, 0.0, 4, k=-2.0)",
            "polynomial(): k must be a positive number, got -2",
        ),
        (
            "polynomial(1.0, 0.0, 4, k=1e309)",
            "polynomial(): k must be a positive number, got inf",
        ),
    ] {
        assert_eq!(err(text), want);
    }
}

/// Issue 17: an `inverse_sqrt` timescale of any positive real number of steps.
#[test]
fn inverse_sqrt_real_timescale() {
    let r = s("inverse_sqrt(1.0, 0, timescale=2.5)");
    assert_eq!(r.value(7.5), 0.5);
    assert_eq!(r.to_string(), "inverse_sqrt(1.0, 0, timescale=2.5)");
    let w = s("inverse_sqrt(2.0, 3, timescale=0.75)");
    assert_eq!(at("inverse_sqrt(2.0, 3, timescale=0.75)", &[1.5]), [1.0]);
    assert!(close(
        w.value(6.0),
        2.0 / ((6.0 - 3.0 + 0.75) / 0.75f64).sqrt()
    ));
    // Whole numbers keep their integer text forms.
    let whole = s("inverse_sqrt(1.0, 4, timescale=10.0)");
    assert_eq!(whole.to_string(), "inverse_sqrt(1.0, 4, timescale=10)");
    assert!(whole.to_json().contains("\"timescale\":10}"));
    for text in [
        "inverse_sqrt(1.0, 0, timescale=2.5)",
        "inverse_sqrt(1.0, 4)",
    ] {
        let back = super::Schedule::from_json(&s(text).to_json()).expect("json");
        assert_eq!(back.to_string(), text);
    }
    for (text, want) in [
        (
            "inverse_sqrt(1.0, 4, timescale=0.0)",
            "inverse_sqrt(): timescale must be a positive number, got 0",
        ),
        (
            "inverse_sqrt(1.0, 4, timescale=-0.5)",
            "inverse_sqrt(): timescale must be a positive number, got -0.5",
        ),
    ] {
        assert_eq!(err(text), want);
    }
}

/// Issue 17: `restarts` with `0 < mul < 1` (timm's `cycle_mul < 1`): cycles of
/// `L · mul^i` steps that end at the geometric limit `L / (1 − mul)`, where the end value holds.
#[test]
fn restarts_with_shrinking_cycles() {
    let r = s("restarts(linear(1.0, 0.0, 10), mul=0.5)");
    assert_eq!(r.period(), Some(20.0));
    assert_eq!(r.total_steps(), Some(20));
    // Cycles [0, 10), [10, 15), [15, 17.5), [17.5, 18.75), …, exact at each start.
    assert_eq!(
        at(
            "restarts(linear(1.0, 0.0, 10), mul=0.5)",
            &[0.0, 5.0, 10.0, 12.0, 15.0, 16.0, 17.5, 19.999, 20.0, 21.0, 1e300]
        ),
        [
            1.0,
            0.5,
            1.0,
            0.6,
            1.0,
            0.6,
            1.0,
            r.value(19.999),
            0.0,
            0.0,
            0.0
        ]
    );
    let mut start = 0.0;
    for i in 0..50 {
        assert_eq!(r.value(start), 1.0, "cycle {i} starts at {start}");
        start += 10.0 * 0.5f64.powi(i);
    }
    let limited = s("restarts(linear(1.0, 0.0, 10), mul=0.5, decay=0.5, limit=2)");
    assert_eq!(limited.total_steps(), Some(15));
    assert_eq!(
        at(
            "restarts(linear(1.0, 0.0, 10), mul=0.5, decay=0.5, limit=2)",
            &[10.0, 12.0, 15.0, 30.0]
        ),
        [0.5, 0.3, 0.0, 0.0]
    );
    // timm CosineLRScheduler(t_initial=10, cycle_mul=0.5, cycle_decay=0.5, lr_min=0.01) at
    // t = 12: cycle 1 (5 steps from 10), lr_max 0.5, t_curr 2.
    let timm = s("restarts(cosine(1.0, 0.01, 10), mul=0.5, decay=0.5, decay_mode='peak')");
    let want = 0.01 + 0.5 * (0.5 - 0.01) * (1.0 + (std::f64::consts::PI * 0.4).cos());
    assert!(close(timm.value(12.0), want));
    assert_eq!(timm.value(20.0), 0.01);
    // Finite now, so it may itself be repeated.
    let nested = s("restarts(restarts(linear(1.0, 0.0, 10), mul=0.5), limit=2)");
    assert_eq!(nested.total_steps(), Some(40));
    assert_eq!(nested.value(30.0), 1.0);
    for text in [
        "restarts(linear(1.0, 0.0, 10), mul=0.5)",
        "restarts(cosine(1.0, 0.0, 10.5), mul=0.3, decay=0.7, limit=4, decay_mode='peak')",
    ] {
        let schedule = s(text);
        assert_eq!(schedule.to_string(), text);
        let back = super::Schedule::from_json(&schedule.to_json()).expect("json");
        assert_eq!(back.as_single(), Some(&schedule));
    }
}

/// Issue 17: shrinking cycles settle their cycle in bounded work for every `mul` below 1 and
/// every step, up to and past the geometric limit, and `fill` equals `value` there.
#[test]
fn shrinking_restarts_settle_their_cycle_for_extreme_mul_and_steps() {
    for mul in [
        1.0 - 1e-15,
        1.0 - 1e-9,
        0.9,
        0.5,
        0.1,
        1e-10,
        1e-300,
        f64::MIN_POSITIVE,
        5e-324,
    ] {
        for len in [1u64, 10, 12_345] {
            let text = format!("restarts(cosine(1.0, 0.0, {len}), mul={mul:e}, decay=0.5)");
            let r = s(&text);
            let end = r.period().expect("finite");
            assert!(end >= len as f64 && end.is_finite(), "{text}: {end}");
            let below = end - end * f64::EPSILON;
            for t in [0.0, 1.0, len as f64, below, end, end + 1.0, 1e300, f64::MAX] {
                let v = r.value(t);
                assert!(v.is_finite() && (0.0..=1.0).contains(&v), "{text} {t} {v}");
            }
            assert_eq!(r.value(end), 0.0);
            let mut out = vec![0.0; 300];
            let near = r.total_steps().expect("finite").saturating_sub(150);
            for start in [0, near, 1 << 40] {
                r.fill(start, &mut out);
                for (i, v) in out.iter().enumerate() {
                    assert_eq!(*v, r.value((start + i as u64) as f64), "{text}");
                }
            }
        }
    }
}
