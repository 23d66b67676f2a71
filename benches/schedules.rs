//! `cargo bench --bench schedules`: nanoseconds per step of `Batch::values` for the schedules
//! of SPEC section 7, in the Rust core alone (no Python, no allocation in the timed loop: the
//! output buffer is reused, so page faults are left out). A plain timing loop (best of 7) so
//! the bench needs no extra crate; schedule expressions as arguments run only those.

use std::time::Instant;

const DEFAULT: [&str; 5] = [
    "warmup(10000, cosine(0.001, 1e-05, 10000000))",
    "cosine(0.001, 1e-05, 10000000, k=2.0)",
    "one_cycle(0.1, 10000000)",
    "restarts(cosine(0.1, 0.0001, 1000), mul=2.0)",
    "wsd(0.001, 10000000, 100000, 2000000)",
];

fn main() {
    let n = 10_000_000usize;
    let picked: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let texts: Vec<String> = if picked.is_empty() {
        DEFAULT.iter().map(|s| s.to_string()).collect()
    } else {
        picked
    };
    let mut out = vec![0.0; n];
    for text in texts {
        let batch = match lrcore::parse(&text) {
            Ok(batch) => batch,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        };
        let mut best = f64::MAX;
        for _ in 0..7 {
            let start = Instant::now();
            batch.values_into(0, &mut out);
            best = best.min(start.elapsed().as_secs_f64());
            std::hint::black_box(&out);
        }
        println!("{:>7.3} ns/step  {text}", best / n as f64 * 1e9);
    }
}
