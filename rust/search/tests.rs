//! Whole-space tests: continuation, bounds, conditions, grids.

use super::*;

fn space() -> Space {
    let p = |name: &str, dist: Dist| Param {
        name: name.into(),
        dist,
        when: Vec::new(),
    };
    Space::new(vec![
        p("lr", Dist::loguniform(1e-5, 1.0).unwrap()),
        p("momentum", Dist::uniform(0.8, 0.99, None).unwrap()),
        p("warmup", Dist::integer(0, 5000, false, 1).unwrap()),
        p(
            "batch",
            Dist::choice(4, None, ChoiceValues::Ints(vec![32, 64, 128, 256])).unwrap(),
        ),
        p(
            "opt",
            Dist::choice(2, Some(vec![3.0, 1.0]), ChoiceValues::Other).unwrap(),
        ),
        Param {
            name: "nesterov".into(),
            dist: Dist::choice(2, None, ChoiceValues::Other).unwrap(),
            when: vec![Condition {
                parent: "opt".into(),
                levels: vec![0],
            }],
        },
        p("layers", Dist::integer(1, 9, true, 1).unwrap()),
        p("noise", Dist::normal(0.0, 2.0).unwrap()),
    ])
    .unwrap()
}

const METHODS: [Method; 3] = [Method::Random, Method::Sobol, Method::Halton];

#[test]
fn start_continues_the_stream_across_chunks() {
    let s = space();
    for m in METHODS {
        let long = sample(&s, 20_000, 9, m, 0).unwrap();
        let tail = sample(&s, 11_000, 9, m, 9_000).unwrap();
        for (a, b) in long.iter().zip(&tail) {
            match (a, b) {
                (Column::Float(a), Column::Float(b)) => {
                    for (x, y) in a[9_000..].iter().zip(b) {
                        assert!(x.to_bits() == y.to_bits(), "{m:?}");
                    }
                }
                (Column::Int(a), Column::Int(b)) | (Column::Index(a), Column::Index(b)) => {
                    assert_eq!(&a[9_000..], &b[..], "{m:?}")
                }
                _ => panic!("column kinds differ"),
            }
        }
    }
}

#[test]
fn values_in_bounds_and_conditions_respected() {
    let s = space();
    for m in [Method::Random, Method::Sobol, Method::Halton, Method::Lhs] {
        let cols = sample(&s, 4096, 1, m, 0).unwrap();
        let Column::Float(lr) = &cols[0] else {
            panic!()
        };
        assert!(lr.iter().all(|&x| (1e-5..=1.0).contains(&x)));
        let Column::Int(w) = &cols[2] else { panic!() };
        assert!(w.iter().all(|&x| (0..=5000).contains(&x)));
        let Column::Int(b) = &cols[3] else { panic!() };
        assert!(b.iter().all(|x| [32, 64, 128, 256].contains(x)));
        let (Column::Index(opt), Column::Index(nest)) = (&cols[4], &cols[5]) else {
            panic!()
        };
        for (o, n) in opt.iter().zip(nest) {
            assert!(*o == 0 || *o == 1);
            assert_eq!(*n == -1, *o != 0, "{m:?}");
        }
        let Column::Int(layers) = &cols[6] else {
            panic!()
        };
        assert!(layers.iter().all(|&x| (1..=9).contains(&x)));
        assert!(layers.contains(&1) && layers.contains(&9));
    }
}

#[test]
fn sobol_balances_power_of_two_levels() {
    let s = space();
    let cols = sample(&s, 1024, 5, Method::Sobol, 2048).unwrap();
    let Column::Int(b) = &cols[3] else { panic!() };
    for v in [32, 64, 128, 256] {
        assert_eq!(b.iter().filter(|&&x| x == v).count(), 256);
    }
}

#[test]
fn errors_name_the_rule() {
    let s = space();
    let err = |r: Result<Vec<Column>, crate::Error>| r.unwrap_err().to_string();
    assert_eq!(
        err(sample(&s, 10, 0, Method::Lhs, 5)),
        "Space.sample(): start must be 0 with method 'lhs' (a Latin hypercube is one design of n rows, not a stream), got 5"
    );
    assert_eq!(
        Method::parse("grid").unwrap_err().to_string(),
        "Space.sample(): method must be one of 'random', 'sobol', 'halton', 'lhs', got 'grid'"
    );
    assert_eq!(
        err(grid(&s, 1, &mut || false)),
        "Space.grid(): k must be an integer >= 2, got 1"
    );
}

#[test]
fn grid_ends_and_conditions() {
    let s = space();
    let cols = grid(&s, 3, &mut || false).unwrap();
    // lr 3 × momentum 3 × warmup 3 × batch 4 × (opt 0: nesterov 2, opt 1: inactive → 3) × layers 3 × noise 3
    assert_eq!(cols[0].len(), 3 * 3 * 3 * 4 * 3 * 3 * 3);
    let Column::Float(lr) = &cols[0] else {
        panic!()
    };
    assert_eq!(lr[0], 1e-5);
    assert_eq!(*lr.last().unwrap(), 1.0);
    let Column::Int(w) = &cols[2] else { panic!() };
    let mut distinct = w.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct, vec![0, 2500, 5000]);
}

#[test]
fn columns_drawn_in_passes_equal_one_draw() {
    // The conditional column (nesterov, 5) without its parent (opt, 4), then the rest.
    let s = space();
    for m in [Method::Random, Method::Sobol, Method::Halton, Method::Lhs] {
        let whole = sample(&s, 20_000, 3, m, 0).unwrap();
        let mut parts = sample(&s, 20_000, 3, m, 0).unwrap();
        for c in &mut parts {
            match c {
                Column::Float(v) => v.fill(f64::INFINITY),
                Column::Int(v) | Column::Index(v) => v.fill(i64::MIN),
            }
        }
        for pass in [[5].as_slice(), &[0, 1, 2, 3, 4, 6, 7]] {
            let cols = parts
                .iter_mut()
                .enumerate()
                .map(|(i, c)| pass.contains(&i).then(|| c.as_mut()))
                .collect();
            sample_some(&s, 3, m, 0, 20_000, cols).unwrap();
        }
        for (a, b) in whole.iter().zip(&parts) {
            match (a, b) {
                (Column::Float(a), Column::Float(b)) => {
                    assert!(
                        a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()),
                        "{m:?}"
                    )
                }
                _ => assert_eq!(a, b, "{m:?}"),
            }
        }
    }
}

#[test]
fn random_columns_are_the_per_row_definition() {
    // The vectorized column kernels against the scalar definition of each row's value: value
    // `row` of the stream keyed (seed, dimension) through the parameter's mapping, Lemire's
    // bounded level for level distributions. Choices of each size class the kernels treat apart.
    use super::dist::{Mapper, Out};
    use super::rng::{at, bounded, key, unit, Purpose};
    let p = |name: &str, dist: Dist| Param {
        name: name.into(),
        dist,
        when: Vec::new(),
    };
    let ints = |k: i64| ChoiceValues::Ints((0..k).map(|i| 10 * i - 7).collect());
    let s = Space::new(vec![
        p("lr", Dist::loguniform(1e-5, 1.0).unwrap()),
        p("wide", Dist::loguniform(1e-200, 1e250).unwrap()),
        p("momentum", Dist::uniform(0.8, 0.99, None).unwrap()),
        p("stepped", Dist::uniform(0.0, 1.0, Some(0.1)).unwrap()),
        p("warmup", Dist::integer(0, 5000, false, 1).unwrap()),
        p("even", Dist::integer(-6, 40, false, 2).unwrap()),
        p(
            "huge",
            Dist::integer(-(1 << 52), 1 << 52, false, 1).unwrap(),
        ),
        p("layers", Dist::integer(1, 9, true, 1).unwrap()),
        p("c3", Dist::choice(3, None, ints(3)).unwrap()),
        p("c6", Dist::choice(6, None, ints(6)).unwrap()),
        p("c12", Dist::choice(12, None, ints(12)).unwrap()),
        p(
            "f5",
            Dist::choice(
                5,
                None,
                ChoiceValues::Floats(vec![0.5, 1.5, -2.0, 8.0, 1e9]),
            )
            .unwrap(),
        ),
        p("other", Dist::choice(3, None, ChoiceValues::Other).unwrap()),
        p("noise", Dist::lognormal(0.0, 2.0).unwrap()),
    ])
    .unwrap();
    let (seed, start, n) = (11, 5_000, 20_000);
    let cols = sample(&s, n as u64, seed, Method::Random, start).unwrap();
    for (i, (param, col)) in s.params().iter().zip(&cols).enumerate() {
        let m = Mapper::new(&param.dist);
        let stream = key(seed, Purpose::Random, i as u64, 0);
        for r in 0..n {
            let row = start + r as u64;
            let x = at(stream, row);
            let want = match m.levels() {
                Some(k) => {
                    let level = bounded(k, |a| {
                        if a == 0 {
                            x
                        } else {
                            at(key(seed, Purpose::Random, i as u64, a), row)
                        }
                    });
                    m.at_level(level).0
                }
                None => m.at_unit(unit(x)).0,
            };
            let same = match (col, want) {
                (Column::Float(v), Out::F(w)) => v[r].to_bits() == w.to_bits(),
                (Column::Float(v), Out::I(w)) => v[r] == w as f64,
                (Column::Int(v) | Column::Index(v), w) => v[r] == w.int(),
            };
            assert!(same, "{} row {row}: {want:?}", param.name);
        }
    }
}
