"""Per-trial sampling cost in an Optuna study as it grows: lrcore's Sampler (Sobol stream, the
next row per sampled trial) against Optuna's QMCSampler (Sobol) and RandomSampler,
InMemoryStorage, ask + suggest + tell on the 8-parameter space of anchors/search_anchors.md.

Reported: the median milliseconds per trial in a window at the start (trials 0..WINDOW-1) and at the
end (the last WINDOW of TRIALS). A flat cost has end/start near 1.

Run: ``python benches/bench_engines.py [--trials 2000] [--window 200] [--repeat 3]`` prints the
table (the best of the repeats per window);
``pytest benches/bench_engines.py --benchmark-enable`` times the same runs (the per-window
figures go to each benchmark's ``extra_info``). Needs optuna (``lrcore[engines]``).
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from typing import Any, Callable

import pytest
from lrcore.bench import search_space

optuna = pytest.importorskip("optuna")

from lrcore.search.optuna import Sampler, suggest  # noqa: E402

TRIALS = 2_000
WINDOW = 200

SPACE = search_space()


def _lrcore() -> Any:
    return Sampler(SPACE, seed=0, method="sobol")


def _qmc() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.QMCSampler(qmc_type="sobol", scramble=True, seed=0)


def _random() -> Any:
    return optuna.samplers.RandomSampler(seed=0)


SAMPLERS: dict[str, Callable[[], Any]] = {
    "lrcore Sampler (sobol)": _lrcore,
    "optuna QMCSampler (sobol)": _qmc,
    "optuna RandomSampler": _random,
}


def per_trial_ms(make_sampler: Callable[[], Any], trials: int = TRIALS) -> list[float]:
    """Milliseconds of ask + suggest + tell for each trial of a fresh in-memory study."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():
        # QMCSampler warns (ExperimentalWarning) on construction and about its first trial
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study = optuna.create_study(
            sampler=make_sampler(), storage=optuna.storages.InMemoryStorage()
        )
        out = []
        clock = time.perf_counter
        for _ in range(trials):
            t0 = clock()
            trial = study.ask()
            params = suggest(trial, SPACE)
            study.tell(trial, params["lr"])
            out.append((clock() - t0) * 1e3)
    return out


def windows(ms: list[float], window: int = WINDOW) -> tuple[float, float]:
    """(median ms per trial over the first window, over the last window): the median, since the
    first QMCSampler trial imports scipy.stats.qmc."""
    return statistics.median(ms[:window]), statistics.median(ms[-window:])


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_per_trial_cost(benchmark: Any, name: str) -> None:
    result: dict[str, list[float]] = {}

    def run() -> None:
        result["ms"] = per_trial_ms(SAMPLERS[name])

    benchmark.pedantic(run, rounds=1, iterations=1)
    start, end = windows(result["ms"])
    benchmark.extra_info.update(
        {"trials": TRIALS, "window": WINDOW, "start_ms_per_trial": start, "end_ms_per_trial": end}
    )
    assert len(result["ms"]) == TRIALS


def main() -> None:  # pragma: no cover - a script: python benches/bench_engines.py
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--trials", type=int, default=TRIALS)
    p.add_argument("--window", type=int, default=WINDOW)
    p.add_argument("--repeat", type=int, default=3, help="runs per sampler; the best is shown")
    args = p.parse_args()
    print(f"ms per trial (ask + suggest + tell), median over {args.window}-trial windows")
    print(f"{'sampler':28} {'trials 0..':>12} {'last window':>12} {'end/start':>10}")
    for name, make in SAMPLERS.items():
        runs = [windows(per_trial_ms(make, args.trials), args.window) for _ in range(args.repeat)]
        start, end = min(r[0] for r in runs), min(r[1] for r in runs)
        print(f"{name:28} {start:12.3f} {end:12.3f} {end / start:10.2f}")


if __name__ == "__main__":
    main()
