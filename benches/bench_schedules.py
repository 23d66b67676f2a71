"""Whole-schedule evaluation: lrcore's values() against a numpy expression, a pure-Python loop
over lrcore.reference, and ndarray.fill (the cost of merely writing the array).

Run: pytest benches/bench_schedules.py --benchmark-enable --benchmark-group-by=group
"""

from __future__ import annotations

from typing import Any

import lrcore as lr
import numpy as np
import numpy.typing as npt
import pytest
from lrcore import reference

N = 10**6
WARMUP, PEAK, FLOOR = 10_000, 1e-3, 1e-5
SCHEDULE = lr.warmup(WARMUP, lr.cosine(PEAK, FLOOR, N))


def numpy_expression(n: int) -> npt.NDArray[np.float64]:
    t = np.arange(n, dtype=np.float64)
    decay = FLOOR + (PEAK - FLOOR) * (1 + np.cos(np.pi * np.minimum(t - WARMUP, N) / N)) / 2
    return np.where(t < WARMUP, PEAK * t / WARMUP, decay)


@pytest.mark.benchmark(group="values(10**6)")
def test_lrcore_values(benchmark: Any) -> None:
    out = benchmark(SCHEDULE.values, N)
    np.testing.assert_allclose(out, numpy_expression(N), rtol=1e-12, atol=1e-18)


@pytest.mark.benchmark(group="values(10**6)")
def test_numpy_expression(benchmark: Any) -> None:
    benchmark(numpy_expression, N)


@pytest.mark.benchmark(group="values(10**6)")
def test_ndarray_fill(benchmark: Any) -> None:
    out = np.empty(N)
    benchmark(out.fill, PEAK)


@pytest.mark.benchmark(group="values(10**6)")
def test_pure_python_reference(benchmark: Any) -> None:
    spec = SCHEDULE.to_dict()
    steps = range(0, N, 100)  # a 1% sample: the full loop takes seconds per round
    benchmark(lambda: [reference.evaluate(spec, t) for t in steps])
