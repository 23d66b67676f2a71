//! `cargo bench --bench schedules`: time per step of `Batch::values_into` over 10_000_000 steps
//! for the schedules of SPEC section 7, in the Rust core alone (no Python, no allocation in the
//! timed loop: the output buffer is reused, so page faults are left out). Criterion reports the
//! time of one 10^7-step call and the throughput in elements (steps) per second.
//!
//! A word after `--` runs only the benchmarks whose name (the schedule expression) matches it,
//! as a regex: `cargo bench --bench schedules -- one_cycle`. `LRCORE_BENCH_SCHEDULES` replaces
//! the default schedules with its own, separated by `;`, for example
//! `LRCORE_BENCH_SCHEDULES='linear(0.1, 0.001, 1000); exponential(0.1, 0.001, 1000)'`.
//! Ten samples of whole calls after 1 s of warm-up and 5 s of measurement; a schedule slower
//! than 0.5 s a call takes one call a sample, and criterion warns that it needed longer than
//! 5 s (`cargo bench --bench schedules -- --measurement-time 30` gives it that).

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};

const STEPS: usize = 10_000_000;

const DEFAULT: [&str; 5] = [
    "warmup(10000, cosine(0.001, 1e-05, 10000000))",
    "cosine(0.001, 1e-05, 10000000, k=2.0)",
    "one_cycle(0.1, 10000000)",
    "restarts(cosine(0.1, 0.0001, 1000), mul=2.0)",
    "wsd(0.001, 10000000, 100000, 2000000)",
];

fn schedules(c: &mut Criterion) {
    let texts: Vec<String> = match std::env::var("LRCORE_BENCH_SCHEDULES") {
        Ok(list) => list
            .split(';')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect(),
        Err(_) => DEFAULT.iter().map(|s| s.to_string()).collect(),
    };
    let mut out = vec![0.0; STEPS];
    let mut group = c.benchmark_group("values_into");
    group
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(STEPS as u64));
    for text in &texts {
        let batch = lrcore::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        group.bench_function(text.as_str(), |b| {
            b.iter(|| {
                batch.values_into(0, &mut out);
                black_box(&mut out);
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
        .measurement_time(Duration::from_secs(5));
    targets = schedules
}
criterion_main!(benches);
