"""Throughput of `Space.sample` on the 8-parameter space of anchors/search_anchors.md, against
hand-written numpy, scipy.stats.qmc Sobol + mapping, sklearn ParameterSampler and Optuna's
RandomSampler ask loop (small n, extrapolated: labelled so in the benchmark name).

Run: ``pytest benches/bench_search.py --benchmark-enable`` (release build:
``maturin develop --release``). Optional peers are skipped when not installed (``lrcore[bench]``).

The space (the anchor's "8-D mixed space"): lr loguniform(1e-5, 1), momentum uniform(0.8, 0.99),
weight_decay loguniform(1e-6, 1e-2), dropout uniform(0, 0.5), warmup integer 0..5000,
layers integer 1..8, batch choice of 4 ints, optimizer choice of 3 strings.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import pytest
from lrcore.bench import map_unit, numpy_sample, search_space

N = 1 << 20
SMALL = 2_000  # per-trial Python APIs: timed at this n, reported per config

SPACE = search_space()


@pytest.mark.parametrize("method", ["random", "sobol", "halton", "lhs"])
def test_lrcore(benchmark: Any, method: str) -> None:
    t = benchmark(SPACE.sample, N, 0, method)
    assert len(t) == N


def test_numpy_handwritten(benchmark: Any) -> None:
    assert len(benchmark(numpy_sample, N)["lr"]) == N


def test_scipy_sobol_mapped(benchmark: Any) -> None:
    qmc = pytest.importorskip("scipy.stats.qmc")
    assert len(benchmark(lambda: map_unit(qmc.Sobol(8, seed=0).random_base2(20)))["lr"]) == N


def test_scipy_halton_mapped(benchmark: Any) -> None:
    qmc = pytest.importorskip("scipy.stats.qmc")
    assert len(benchmark(lambda: map_unit(qmc.Halton(8, seed=0).random(N)))["lr"]) == N


def per_config(benchmark: Any, run: Callable[[int], object]) -> None:
    """Times `run(SMALL)`; the stats are per SMALL configs (extrapolate xN/SMALL for 2^20)."""
    benchmark.extra_info["configs_per_round"] = SMALL
    benchmark.extra_info["extrapolated_to_2^20_s"] = "mean x 2^20 / configs_per_round"
    benchmark.pedantic(run, args=(SMALL,), rounds=3, iterations=1)


def test_optuna_random_ask_extrapolated(benchmark: Any) -> None:
    optuna = pytest.importorskip("optuna")
    from optuna.distributions import CategoricalDistribution as C
    from optuna.distributions import FloatDistribution as F
    from optuna.distributions import IntDistribution as I

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = {
        "lr": F(1e-5, 1.0, log=True),
        "momentum": F(0.8, 0.99),
        "weight_decay": F(1e-6, 1e-2, log=True),
        "dropout": F(0.0, 0.5),
        "warmup": I(0, 5000),
        "layers": I(1, 8),
        "batch": C([32, 64, 128, 256]),
        "optimizer": C(["sgd", "adam", "adamw"]),
    }

    def run(n: int) -> None:
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
        for _ in range(n):
            study.ask(dists)

    per_config(benchmark, run)


def test_sklearn_parameter_sampler_extrapolated(benchmark: Any) -> None:
    pytest.importorskip("sklearn")
    from scipy import stats
    from sklearn.model_selection import ParameterSampler

    grid = {
        "lr": stats.loguniform(1e-5, 1.0),
        "momentum": stats.uniform(0.8, 0.19),
        "weight_decay": stats.loguniform(1e-6, 1e-2),
        "dropout": stats.uniform(0.0, 0.5),
        "warmup": stats.randint(0, 5001),
        "layers": stats.randint(1, 9),
        "batch": [32, 64, 128, 256],
        "optimizer": ["sgd", "adam", "adamw"],
    }
    per_config(benchmark, lambda n: list(ParameterSampler(grid, n, random_state=0)))


def ratios() -> None:  # pragma: no cover - a script helper: python benches/bench_search.py
    """Each method against its peer, timed side by side (best of 7): random against the
    hand-written numpy draw, sobol / halton / lhs against scipy.stats.qmc's engine + mapping."""
    qmc = pytest.importorskip("scipy.stats.qmc")

    def best(f: Callable[[], object]) -> float:
        ts = []
        for _ in range(7):
            t = time.perf_counter()
            f()
            ts.append(time.perf_counter() - t)
        return min(ts)

    peers: dict[str, tuple[str, Callable[[], object]]] = {
        "random": ("numpy", lambda: numpy_sample(N)),
        "sobol": ("scipy Sobol+map", lambda: map_unit(qmc.Sobol(8, seed=0).random_base2(20))),
        "halton": ("scipy Halton+map", lambda: map_unit(qmc.Halton(8, seed=0).random(N))),
        "lhs": ("scipy LHS+map", lambda: map_unit(qmc.LatinHypercube(8, seed=0).random(N))),
    }
    for m, (peer, run) in peers.items():
        t_peer = best(run)
        t = best(lambda m=m: SPACE.sample(N, 0, m))
        print(
            f"{m:>7}: {N / t / 1e6:6.1f} M/s  {peer:>16} {N / t_peer / 1e6:6.1f} M/s  "
            f"ratio {t_peer / t:5.2f}x"
        )


if __name__ == "__main__":
    ratios()
