//! `cargo bench --bench search`: configurations per second of the 8-parameter space of
//! anchors/search_anchors.md, per method, in the Rust core alone (no Python). One iteration
//! draws 2^20 configurations with `sample` (the timed region is the call alone: the columns are
//! dropped outside it); criterion reports the time of one draw and the throughput in elements
//! (configurations) per second.
//!
//! A method name after `--` runs only that method (criterion's filter, a regex), handy under
//! `perf` or callgrind: `cargo bench --bench search -- sobol`. Ten samples after 1 s of warm-up,
//! 4 s of measurement a method; `-- --sample-size 50 --measurement-time 20` measures longer.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use lrcore::search::{sample, ChoiceValues, Dist, Method, Param, Space};

const CONFIGS: u64 = 1 << 20;

fn space() -> Space {
    let p = |name: &str, dist: Dist| Param {
        name: name.into(),
        dist,
        when: Vec::new(),
    };
    Space::new(vec![
        p("lr", Dist::loguniform(1e-5, 1.0).unwrap()),
        p("momentum", Dist::uniform(0.8, 0.99, None).unwrap()),
        p("weight_decay", Dist::loguniform(1e-6, 1e-2).unwrap()),
        p("dropout", Dist::uniform(0.0, 0.5, None).unwrap()),
        p("warmup", Dist::integer(0, 5000, false, 1).unwrap()),
        p("layers", Dist::integer(1, 8, false, 1).unwrap()),
        p(
            "batch",
            Dist::choice(4, None, ChoiceValues::Ints(vec![32, 64, 128, 256])).unwrap(),
        ),
        p(
            "optimizer",
            Dist::choice(3, None, ChoiceValues::Other).unwrap(),
        ),
    ])
    .unwrap()
}

fn search(c: &mut Criterion) {
    let s = space();
    let mut group = c.benchmark_group("sample");
    group
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(CONFIGS));
    for m in [Method::Random, Method::Sobol, Method::Halton, Method::Lhs] {
        group.bench_function(m.name(), |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let t = Instant::now();
                    let cols = sample(&s, CONFIGS, 0, m, 0).unwrap();
                    total += t.elapsed();
                    assert_eq!(cols.len(), 8);
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = search
}
criterion_main!(benches);
