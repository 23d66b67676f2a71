"""Issue 13 items 1-2: cycles of a real number of steps, the tanh decay, peak-scaled cycle decay
and the overlapping warm-up, against ``lrcore.reference`` (hypothesis) and against timm."""

from __future__ import annotations

import math
from typing import Any

import lrcore as lr
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lrcore import reference as ref

FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Dyadic numbers print and read back exactly whatever the float reader (issue 16 item 4).
values = st.integers(-128, 128).map(lambda k: k / 64)
periods = st.integers(2, 1200).map(lambda k: k / 4) | st.integers(1, 300).map(float)


def _inner(data: st.DataObject) -> lr.Schedule:
    """A finite shape whose cycle may last a real number of steps."""
    kind = data.draw(st.sampled_from(["cosine", "tanh", "join", "warmup"]))
    start, end, steps = data.draw(values), data.draw(values), data.draw(periods)
    if kind == "cosine":
        return lr.cosine(start, end, steps, k=data.draw(st.sampled_from([1.0, 2.0, 0.5])))
    if kind == "tanh":
        lb = data.draw(st.integers(-32, 0)) / 4
        return lr.tanh(start, end, steps, lb=lb, ub=lb + data.draw(st.integers(1, 40)) / 4)
    if kind == "join":
        return lr.join([lr.cosine(start, end, steps), lr.linear(end, start, 7)], [steps])
    prefix = data.draw(st.booleans())
    return lr.warmup(data.draw(st.integers(0, 50)), lr.cosine(start, end, steps), prefix=prefix)


def _schedule(data: st.DataObject) -> lr.Schedule:
    inner = _inner(data)
    if data.draw(st.booleans()):
        return inner
    mul = data.draw(st.integers(16, 48)) / 16
    decay = data.draw(st.integers(1, 16)) / 16
    limit = data.draw(st.none() | st.integers(1, 5))
    mode = data.draw(st.sampled_from(["height", "peak"]))
    if data.draw(st.booleans()):
        return lr.restarts(inner, mul, decay, limit, decay_mode=mode)
    return lr.cyclic(data.draw(values), data.draw(values), data.draw(periods), data.draw(periods))


def _peak(s: lr.Schedule, n: int) -> float:
    return max(1.0, float(np.max(np.abs(s.values(n)))))


@FAST
@given(st.data())
def test_real_periods_and_new_shapes_match_reference(data: st.DataObject) -> None:
    s = _schedule(data)
    spec = s.to_dict()
    n = 2000
    vals = s.values(n)
    peak = _peak(s, n)
    steps = data.draw(st.lists(st.integers(0, n - 1), min_size=5, max_size=20))
    for t in steps:
        want = ref.evaluate(spec, t)
        assert abs(vals[t] - want) <= 1e-12 * abs(want) + 1e-15 * peak, (repr(s), t)
        assert s(t) == vals[t]
    t = data.draw(st.floats(0.0, 5000.0))
    want = ref.evaluate(spec, t)
    assert abs(s(t) - want) <= 1e-12 * abs(want) + 1e-15 * peak, (repr(s), t)
    assert ref.total_steps(spec) == s.total_steps
    assert lr.parse(repr(s)) == s and lr.from_dict(spec) == s


def test_whole_numbers_keep_their_integer_forms() -> None:
    s = lr.cosine(1.0, 0.0, 10.0)
    assert repr(s) == "cosine(1.0, 0.0, 10)" and s.to_dict()["steps"] == 10
    assert s == lr.cosine(1.0, 0.0, 10)
    r = lr.cosine(1.0, 0.0, 170.5)
    assert repr(r) == "cosine(1.0, 0.0, 170.5)" and r.total_steps == 171
    assert lr.restarts(r)(341) == 1.0  # cycle 2 starts at 2 * 170.5 exactly


timm_scheduler = pytest.importorskip("timm.scheduler")


def _opt(base: float) -> Any:
    torch = pytest.importorskip("torch")
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base)


@pytest.mark.parametrize(
    ("t_initial", "lb", "ub", "lr_min", "cycle_mul", "cycle_decay", "cycle_limit"),
    [
        (100, -7.0, 3.0, 0.0, 1.0, 1.0, 1),
        (100, -6.0, 2.0, 1e-4, 1.0, 0.5, 3),
        (40, -7.0, 3.0, 1e-3, 1.5, 0.7, 4),
    ],
)
def test_tanh_matches_timm(
    t_initial: int,
    lb: float,
    ub: float,
    lr_min: float,
    cycle_mul: float,
    cycle_decay: float,
    cycle_limit: int,
) -> None:
    base = 0.1
    theirs = timm_scheduler.TanhLRScheduler(
        _opt(base),
        t_initial,
        lb=lb,
        ub=ub,
        lr_min=lr_min,
        cycle_mul=cycle_mul,
        cycle_decay=cycle_decay,
        cycle_limit=cycle_limit,
    )
    ours = lr.restarts(
        lr.tanh(base, lr_min, t_initial, lb=lb, ub=ub),
        mul=cycle_mul,
        decay=cycle_decay,
        limit=cycle_limit,
        decay_mode="peak",
    )
    for t in range(int(t_initial * (1 + cycle_mul + cycle_mul**2) * 1.3)):
        assert math.isclose(ours(t), theirs._get_lr(t)[0], rel_tol=1e-12, abs_tol=1e-16), t


@pytest.mark.parametrize(
    ("cycle_mul", "cycle_decay", "lr_min", "k", "warmup_t", "warmup_prefix"),
    [
        (1.0, 0.5, 1e-4, 1.0, 0, True),
        (2.0, 0.5, 1e-3, 1.0, 0, True),
        (1.3, 0.8, 1e-3, 1.0, 5, True),  # cycles of 100 * 1.3**i steps: real numbers
        (1.0, 1.0, 0.0, 1.0, 10, False),  # timm's default: the warm-up overlaps the decay
        (1.5, 0.6, 5e-4, 2.0, 7, False),
    ],
)
def test_cosine_restarts_match_timm(
    cycle_mul: float,
    cycle_decay: float,
    lr_min: float,
    k: float,
    warmup_t: int,
    warmup_prefix: bool,
) -> None:
    base, t_initial, limit = 0.1, 100, 3
    theirs = timm_scheduler.CosineLRScheduler(
        _opt(base),
        t_initial,
        lr_min=lr_min,
        cycle_mul=cycle_mul,
        cycle_decay=cycle_decay,
        cycle_limit=limit,
        k_decay=k,
        warmup_t=warmup_t,
        warmup_prefix=warmup_prefix,
    )
    decay = lr.restarts(
        lr.cosine(base, lr_min, t_initial, k=k),
        mul=cycle_mul,
        decay=cycle_decay,
        limit=limit,
        decay_mode="peak",
    )
    ours = lr.warmup(warmup_t, decay, prefix=warmup_prefix) if warmup_t else decay
    for t in range(int(t_initial * (1 + cycle_mul + cycle_mul**2) * 1.3)):
        assert math.isclose(ours(t), theirs._get_lr(t)[0], rel_tol=1e-12, abs_tol=1e-16), t


def test_peak_and_height_scaled_decay_differ_where_timm_says() -> None:
    """With an end value above 0 the two scalings part: cycle 2 peaks at 0.25e-2 (timm) or at
    1e-3 + 0.25 * 0.9e-2 (height)."""
    inner = lr.cosine(1e-2, 1e-3, 200)
    height = lr.restarts(inner, decay=0.5)
    peak = lr.restarts(inner, decay=0.5, decay_mode="peak")
    assert height(0) == peak(0) == inner(0)
    assert math.isclose(peak(400), 1e-3 + (0.25e-2 - 1e-3), rel_tol=1e-12)
    assert math.isclose(height(400), 1e-3 + 0.25 * (1e-2 - 1e-3), rel_tol=1e-12)
    assert abs(peak(550) - height(550)) > 1e-4


def test_new_shapes_reject_bad_parameters() -> None:
    with pytest.raises(ValueError, match=r"tanh\(\): lb must be below ub \(3\), got 3"):
        lr.tanh(1.0, 0.0, 10, lb=3.0)
    with pytest.raises(
        ValueError, match=r"restarts\(\): decay_mode must be one of 'height', 'peak'"
    ):
        lr.restarts(lr.cosine(1.0, 0.0, 10), decay_mode="top")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"warmup\(\): prefix must be True or False"):
        lr.warmup(5, 1.0, prefix=1)  # type: ignore[arg-type]
