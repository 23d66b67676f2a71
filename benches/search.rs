//! `cargo bench --bench search`: configurations per second of the 8-parameter space of
//! anchors/search_anchors.md, per method, in the Rust core alone (no Python). A plain timing
//! loop (best of 7) so the bench needs no extra crate. Method names as arguments
//! (`cargo bench --bench search -- sobol`) run only those (handy under `perf` or callgrind);
//! `LRCORE_BENCH_ROUNDS` sets the rounds.

use std::time::Instant;

use lrcore::search::{sample, ChoiceValues, Dist, Method, Param, Space};

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

fn main() {
    let s = space();
    let n = 1u64 << 20;
    let picked: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let rounds: usize = std::env::var("LRCORE_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(7);
    for m in [Method::Random, Method::Sobol, Method::Halton, Method::Lhs] {
        if !picked.is_empty() && !picked.iter().any(|p| p == m.name()) {
            continue;
        }
        let mut best = f64::INFINITY;
        for _ in 0..rounds {
            let t = Instant::now();
            let cols = sample(&s, n, 0, m, 0).unwrap();
            best = best.min(t.elapsed().as_secs_f64());
            assert_eq!(cols.len(), 8);
        }
        println!(
            "{:>7}: {:7.1} M configs/s ({:.2} ms for 2^20)",
            m.name(),
            n as f64 / best / 1e6,
            best * 1e3
        );
    }
}
