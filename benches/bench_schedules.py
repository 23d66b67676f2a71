"""Whole-schedule evaluation: lrcore's values() against a numpy expression, a pure-Python loop
over lrcore.reference, and ndarray.fill (the cost of merely writing the array).

Run: pytest benches/bench_schedules.py --benchmark-enable --benchmark-group-by=group
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from lrcore import reference
from lrcore.bench import PEAK, gallery, numpy_warmup_cosine, warmup_cosine

N = 10**6
SCHEDULE = warmup_cosine(N)


@pytest.mark.benchmark(group="values(10**6)")
def test_lrcore_values(benchmark: Any) -> None:
    out = benchmark(SCHEDULE.values, N)
    np.testing.assert_allclose(out, numpy_warmup_cosine(N), rtol=1e-12, atol=1e-18)


@pytest.mark.benchmark(group="values(10**6)")
def test_numpy_expression(benchmark: Any) -> None:
    benchmark(numpy_warmup_cosine, N)


@pytest.mark.benchmark(group="values(10**6)")
def test_ndarray_fill(benchmark: Any) -> None:
    out = np.empty(N)
    benchmark(out.fill, PEAK)


@pytest.mark.benchmark(group="values(10**6)")
def test_pure_python_reference(benchmark: Any) -> None:
    spec = SCHEDULE.to_dict()
    steps = range(0, N, 100)  # a 1% sample: the full loop takes seconds per round
    benchmark(lambda: [reference.evaluate(spec, t) for t in steps])


N_SHAPES = 10**7
GALLERY = gallery(N_SHAPES)


@pytest.mark.parametrize(("name", "schedule"), GALLERY, ids=[name for name, _ in GALLERY])
@pytest.mark.benchmark(group="values(10**7) of every gallery shape")
def test_gallery_shape_values(benchmark: Any, name: str, schedule: Any) -> None:
    out = benchmark(schedule.values, N_SHAPES)
    assert out.shape == (N_SHAPES,), name


@pytest.mark.benchmark(group="values(10**7) of every gallery shape")
def test_gallery_ndarray_fill(benchmark: Any) -> None:
    out = np.empty(N_SHAPES)
    benchmark(out.fill, PEAK)
