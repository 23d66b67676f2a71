"""The Rust core against the independent pure-Python reference (``lrcore.reference``).

Property tests over random valid parameters and random steps: every shape, every combinator and
random nested trees agree with ``reference.evaluate(s.to_dict(), t)`` to 1e-12 relative; the fast
paths (``values``, array input, batches) agree bit for bit with scalar calls.
"""

from __future__ import annotations

import math
import pickle
import re
from collections.abc import Callable
from typing import Any

import lrcore as lr
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lrcore import reference as ref

Draw = Callable[[st.SearchStrategy[Any]], Any]

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------------------ value drawing

positive = st.floats(min_value=1e-4, max_value=10.0)
signed = st.floats(min_value=-10.0, max_value=10.0)
lengths = st.integers(min_value=1, max_value=300)
exponents = st.floats(min_value=0.2, max_value=4.0)
gammas = st.floats(min_value=0.3, max_value=1.05)


def _sorted_unique(draw: Draw, lo: int, hi: int, min_size: int, max_size: int) -> list[int]:
    return sorted(draw(st.sets(st.integers(lo, hi), min_size=min_size, max_size=max_size)))


def _one_cycle_pct(draw: Draw, total: int, three_phase: bool) -> float:
    """A pct_start whose phases all have positive width (else lrcore raises ValueError)."""
    pct: float = draw(st.floats(min_value=0.01, max_value=0.5 if three_phase else 0.99))
    ends = [pct * total - 1, 2 * pct * total - 2, total - 1.0]
    ends = ends if three_phase else [ends[0], ends[2]]
    widths = [b - a for a, b in zip([0.0, *ends], ends)]
    assume(all(w > 0 for w in widths))
    return pct


# ---------------------------------------------------------------------------------- shapes


def _constant(draw: Draw) -> lr.Schedule:
    return lr.constant(draw(signed))


def _linear(draw: Draw) -> lr.Schedule:
    return lr.linear(draw(signed), draw(signed), draw(lengths))


def _cosine(draw: Draw) -> lr.Schedule:
    k = draw(st.one_of(st.just(1.0), exponents))
    return lr.cosine(draw(signed), draw(signed), draw(lengths), k)


def _exponential(draw: Draw) -> lr.Schedule:
    return lr.exponential(draw(positive), draw(positive), draw(lengths))


def _exp_decay(draw: Draw) -> lr.Schedule:
    return lr.exp_decay(draw(signed), draw(gammas), draw(st.integers(1, 50)))


def _polynomial(draw: Draw) -> lr.Schedule:
    k = draw(st.one_of(st.just(1.0), exponents))
    return lr.polynomial(draw(signed), draw(signed), draw(lengths), draw(exponents), k)


def _step_decay(draw: Draw) -> lr.Schedule:
    return lr.step_decay(draw(signed), draw(st.integers(1, 100)), draw(gammas))


def _multistep(draw: Draw) -> lr.Schedule:
    milestones = sorted(draw(st.lists(st.integers(0, 300), max_size=5)))  # repeats allowed
    return lr.multistep(draw(signed), milestones, draw(gammas))


def _piecewise_constant(draw: Draw) -> lr.Schedule:
    boundaries = _sorted_unique(draw, 1, 300, 0, 5)
    values = draw(st.lists(signed, min_size=len(boundaries) + 1, max_size=len(boundaries) + 1))
    return lr.piecewise_constant(boundaries, values)


def _piecewise_linear(draw: Draw) -> lr.Schedule:
    steps = _sorted_unique(draw, 0, 300, 1, 6)
    return lr.piecewise_linear([(s, draw(signed)) for s in steps])


def _inverse_sqrt(draw: Draw) -> lr.Schedule:
    timescale = draw(st.none() | st.integers(1, 500) | st.floats(0.01, 500.0))
    warm = draw(st.integers(1 if timescale is None else 0, 200))
    return lr.inverse_sqrt(draw(positive), warm, timescale)


def _cyclic(draw: Draw) -> lr.Schedule:
    mode = draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
    down = draw(st.none() | st.integers(1, 60))
    gamma = draw(st.floats(0.9, 1.0)) if mode == "exp_range" else 1.0
    return lr.cyclic(draw(signed), draw(signed), draw(st.integers(1, 60)), down, mode, gamma)


def _one_cycle(draw: Draw) -> lr.Schedule:
    total = draw(st.integers(2, 400))
    three = draw(st.booleans())
    pct = _one_cycle_pct(draw, total, three)
    anneal = draw(st.sampled_from(["cos", "linear"]))
    div = draw(st.floats(1.0, 100.0))
    final_div = draw(st.floats(1.0, 1e5))
    return lr.one_cycle(draw(positive), total, pct, anneal, div, final_div, three)


def _one_cycle_momentum(draw: Draw) -> lr.Schedule:
    total = draw(st.integers(2, 400))
    three = draw(st.booleans())
    pct = _one_cycle_pct(draw, total, three)
    anneal = draw(st.sampled_from(["cos", "linear"]))
    base, high = draw(st.floats(0.5, 0.9)), draw(st.floats(0.85, 0.999))
    return lr.one_cycle_momentum(total, base, high, pct, anneal, three)


def _wsd(draw: Draw) -> lr.Schedule:
    total = draw(st.integers(1, 400))
    warm = draw(st.integers(0, total))
    dec = draw(st.integers(0, total - warm))
    decay = draw(st.sampled_from(["1-sqrt", "linear", "cosine", "power", "exp"]))
    peak = draw(positive)
    final = draw(positive) if decay == "exp" else draw(st.just(0.0) | positive)
    return lr.wsd(peak, total, warm, dec, final, decay, draw(exponents))


SHAPES: dict[str, Callable[[Draw], lr.Schedule]] = {
    "constant": _constant,
    "linear": _linear,
    "cosine": _cosine,
    "exponential": _exponential,
    "exp_decay": _exp_decay,
    "polynomial": _polynomial,
    "step_decay": _step_decay,
    "multistep": _multistep,
    "piecewise_constant": _piecewise_constant,
    "piecewise_linear": _piecewise_linear,
    "inverse_sqrt": _inverse_sqrt,
    "cyclic": _cyclic,
    "one_cycle": _one_cycle,
    "one_cycle_momentum": _one_cycle_momentum,
    "wsd": _wsd,
}

# ----------------------------------------------------------------------------- combinators


def _finite(draw: Draw, depth: int) -> lr.Schedule:
    """A schedule of at least one step that reaches its end (what ``restarts`` repeats)."""
    s = _schedule(draw, depth)
    if s.total_steps is None or s.total_steps < 1:
        s = _cosine(draw)
    return s


def _warmup(draw: Draw, depth: int) -> lr.Schedule:
    shape = draw(st.sampled_from(["linear", "cosine", "exponential"]))
    then = _schedule(draw, depth)
    if shape == "exponential" and not then(0) > 0:
        then = _exponential(draw)
    start = draw(positive) if shape == "exponential" else draw(st.just(0.0) | signed)
    return lr.warmup(draw(st.integers(0, 200)), then, start, shape)


def _join(draw: Draw, depth: int) -> lr.Schedule:
    boundaries = _sorted_unique(draw, 1, 300, 0, 3)
    parts = [_schedule(draw, depth) for _ in range(len(boundaries) + 1)]
    return lr.join(parts, boundaries)


def _restarts(draw: Draw, depth: int) -> lr.Schedule:
    inner = _finite(draw, depth)
    mul = draw(st.sampled_from([1.0, 2.0, 3.0, 0.5]) | st.floats(1.0, 3.0) | st.floats(0.05, 0.99))
    decay = draw(st.just(1.0) | st.floats(0.1, 1.5))
    limit = draw(st.none() | st.integers(1, 6))
    return lr.restarts(inner, mul, decay, limit)


def _noise(draw: Draw, depth: int) -> lr.Schedule:
    std = draw(st.floats(0.01, 2.0))
    pct = draw(st.floats(max(0.0101 * std, 1e-3), 1.0))  # pct / std >= 0.01
    start = draw(st.integers(0, 100))
    end = draw(st.none() | st.integers(start + 1, 400))
    seed = draw(st.integers(0, 2**53 - 1))
    return lr.noise(_schedule(draw, depth), pct, std, seed, start, end)


def _add(draw: Draw, depth: int) -> lr.Schedule:
    left = _schedule(draw, depth)
    if draw(st.booleans()):
        return left + _schedule(draw, depth)
    x = draw(signed)
    return left + x if draw(st.booleans()) else x + left


def _mul(draw: Draw, depth: int) -> lr.Schedule:
    left = _schedule(draw, depth)
    if draw(st.booleans()):
        return left * _schedule(draw, depth)
    x = draw(signed)
    return left * x if draw(st.booleans()) else x * left


def _clip(draw: Draw, depth: int) -> lr.Schedule:
    lo: float | None = draw(st.none() | signed)
    hi: float | None = draw(st.none() | signed)
    if lo is None and hi is None:
        lo = draw(signed)  # clip() needs at least one bound
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    return _schedule(draw, depth).clip(lo, hi)


def _shift(draw: Draw, depth: int) -> lr.Schedule:
    return _schedule(draw, depth).shift(draw(st.integers(0, 300)))


def _per_epoch(draw: Draw, depth: int) -> lr.Schedule:
    return _schedule(draw, depth).per_epoch(draw(st.integers(1, 50)))


COMBINATORS: dict[str, Callable[[Draw, int], lr.Schedule]] = {
    "warmup": _warmup,
    "join": _join,
    "restarts": _restarts,
    "noise": _noise,
    "add": _add,
    "mul": _mul,
    "clip": _clip,
    "shift": _shift,
    "per_epoch": _per_epoch,
}


def _schedule(draw: Draw, depth: int) -> lr.Schedule:
    """A random schedule: a shape, or (while ``depth > 0``) a combinator of smaller ones."""
    if depth > 0 and draw(st.booleans()):
        return COMBINATORS[draw(st.sampled_from(sorted(COMBINATORS)))](draw, depth - 1)
    return SHAPES[draw(st.sampled_from(sorted(SHAPES)))](draw)


def _of_kind(draw: Draw, kind: str) -> lr.Schedule:
    if kind in SHAPES:
        return SHAPES[kind](draw)
    return COMBINATORS[kind](draw, 1)


# --------------------------------------------------------------------------------- helpers

VALUE_KEYS = ("value", "start", "end", "low", "high", "peak", "final", "max_lr", "base", "max")


def _scale(spec: dict[str, Any]) -> float:
    """Magnitude of a schedule's values, for the absolute tolerance near 0."""
    kind = spec["kind"]
    if kind == "add":
        return _scale(spec["left"]) + _scale(spec["right"])
    if kind == "mul":
        return _scale(spec["left"]) * _scale(spec["right"])
    parts = [abs(float(spec[k])) for k in VALUE_KEYS if isinstance(spec.get(k), (int, float))]
    parts += [abs(v) for v in spec.get("values", [])]
    parts += [abs(p[1]) for p in spec.get("points", [])]
    if kind == "one_cycle":
        parts.append(spec["max_lr"] / spec["div_factor"])
    for key in ("then", "schedule"):
        if key in spec:
            parts.append(_scale(spec[key]) * (1.0 + spec.get("pct", 0.0)))
    for child in spec.get("schedules", []):
        parts.append(_scale(child))
    for key in ("lo", "hi"):
        if spec.get(key) is not None:
            parts.append(abs(spec[key]))
    return max(parts, default=1.0)


def _close(a: float, b: float, scale: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15 * scale)


def _same_bits(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> bool:
    """Bitwise equality of two float64 arrays (any NaN matching any NaN)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return False
    nan = np.isnan(a)
    if not np.array_equal(nan, np.isnan(b)):
        return False
    return bool(np.array_equal(a[~nan].view(np.uint64), b[~nan].view(np.uint64)))


def _steps(draw: Draw, s: lr.Schedule) -> list[float]:
    """Steps to probe: 0, around the end, far past, and random integers and fractions."""
    horizon = s.total_steps if s.total_steps is not None else 500
    fixed: list[float] = [0, 1, max(horizon - 1, 0), horizon, horizon + 1, 10 * horizon + 7]
    fixed += [10**6 + 0.5, 123_456_789]
    ints = draw(st.lists(st.integers(0, 2 * horizon + 5), min_size=1, max_size=12))
    floats = draw(st.lists(st.floats(0.0, 2.0 * horizon + 5.0, allow_subnormal=False), max_size=8))
    return [*fixed, *ints, *floats]


def _check_against_reference(s: lr.Schedule, steps: list[float]) -> None:
    spec = s.to_dict()
    assert ref.total_steps(spec) == s.total_steps, spec
    scale = _scale(spec)
    for t in steps:
        got, want = s(t), ref.evaluate(spec, t)
        assert isinstance(got, float)
        assert _close(got, want, scale), f"{s!r} at t={t!r}: core {got!r}, reference {want!r}"


# ------------------------------------------------------------------------------ core vs ref

ALL_KINDS = sorted(SHAPES) + sorted(COMBINATORS)


@pytest.mark.parametrize("kind", ALL_KINDS)
@FAST
@given(data=st.data())
def test_each_kind_matches_reference(kind: str, data: st.DataObject) -> None:
    s = _of_kind(data.draw, kind)
    assert s.to_dict()["kind"] == kind or kind in ("add", "mul")
    _check_against_reference(s, _steps(data.draw, s))


@SLOW
@given(data=st.data())
def test_nested_trees_match_reference(data: st.DataObject) -> None:
    s = _schedule(data.draw, 3)
    _check_against_reference(s, _steps(data.draw, s))


@pytest.mark.parametrize(
    ("s", "t", "want"),
    [
        # Worked values from the documented formulas and the peers' measured numbers.
        (lr.cosine(1.0, 0.0, 100, 2.0), 50, 0.5 * (1 + math.cos(math.pi / 4))),  # timm k-decay
        (lr.restarts(lr.cosine(1.0, 0.0, 10), 2.0, 0.5, 3), 10, 0.5),  # timm cycles
        (lr.restarts(lr.cosine(1.0, 0.0, 10), 2.0, 0.5, 3), 30, 0.25),
        (lr.restarts(lr.cosine(1.0, 0.0, 10), 2.0, 0.5, 3), 70, 0.0),
        # timm's cycle_mul < 1: cycle 1 is [10, 15), cycle 2 [15, 17.5); 0 from 20 on
        (lr.restarts(lr.cosine(1.0, 0.0, 10), 0.5, 0.5), 12.5, 0.25),
        (lr.restarts(lr.cosine(1.0, 0.0, 10), 0.5, 0.5), 15, 0.25),
        (lr.restarts(lr.cosine(1.0, 0.0, 10), 0.5, 0.5), 20, 0.0),
        (lr.polynomial(1.0, 0.1, 10, 2.0, 2.0), 5, 0.1 + 0.9 * 0.75**2),  # timm poly k-decay
        (lr.inverse_sqrt(1.0, 0, 2.5), 7.5, 0.5),
        (lr.one_cycle(1.0, 100), 99, 4e-6),  # torch: lr[99] = min_lr
        (lr.piecewise_linear([(10, 2.0), (20, 4.0)]), 15, 3.0),
        (lr.warmup(10, lr.constant(2.0), 0.0, "cosine"), 5, 1.0),
    ],
)
def test_worked_values(s: lr.Schedule, t: float, want: float) -> None:
    assert math.isclose(s(t), want, rel_tol=1e-12, abs_tol=1e-15)
    assert math.isclose(ref.evaluate(s.to_dict(), t), want, rel_tol=1e-12, abs_tol=1e-15)


def test_noise_generator_is_the_documented_splitmix() -> None:
    # splitmix64's published first output for state 0 is mix(0x9E3779B97F4A7C15).
    assert ref._mix(0x9E3779B97F4A7C15) == 0xE220A8397B1DCDAF
    s = lr.noise(lr.constant(1.0), 0.5, 1.0, seed=3)
    # The core draws with its IEEE-only ln and cosine, the reference with the platform's: they
    # agree within 1e-15 x peak, not bit for bit (a draw within an ulp of pct could flip, chance
    # about 1e-16 a step).
    for k in range(50):
        assert abs(s(k) - (1.0 + ref.noise_factor(3, k, 0.5, 1.0))) <= 1e-15
        assert abs(s(k) - 1.0) < 0.5
    assert len({s(k) for k in range(50)}) == 50
    assert s(7.9) == s(7)  # one draw per integer step


# ------------------------------------------------------------------------ fast paths, bitwise


@SLOW
@given(data=st.data())
def test_values_equal_scalar_calls(data: st.DataObject) -> None:
    s = _schedule(data.draw, 2)
    horizon = s.total_steps if s.total_steps is not None else 300
    n = data.draw(st.integers(0, 400))
    start = data.draw(
        st.sampled_from([0, max(horizon - 3, 0), horizon, horizon + 5])
        | st.integers(0, 2 * horizon + 5)
    )
    got = s.values(n, start)
    assert got.dtype == np.float64 and got.shape == (n,)
    want = np.array([s(t) for t in range(start, start + n)], dtype=np.float64)
    assert _same_bits(got, want), repr(s)
    if start == 0:
        assert _same_bits(s.values(n), want)


DTYPES = [np.int8, np.int32, np.int64, np.uint16, np.uint64, np.float32, np.float64]


@FAST
@given(data=st.data(), dtype=st.sampled_from(DTYPES))
def test_array_steps_equal_scalar_calls(data: st.DataObject, dtype: Any) -> None:
    s = _schedule(data.draw, 2)
    shape = data.draw(st.sampled_from([(0,), (7,), (3, 4), (2, 1, 3)]))
    hi = 120 if dtype == np.int8 else 1000
    size = int(np.prod(shape))
    if np.issubdtype(dtype, np.integer):
        raw = data.draw(st.lists(st.integers(0, hi), min_size=size, max_size=size))
    else:
        raw = data.draw(
            st.lists(st.floats(0, hi, allow_subnormal=False), min_size=size, max_size=size)
        )
    steps = np.array(raw, dtype=dtype).reshape(shape)
    got = s(steps)
    assert isinstance(got, np.ndarray) and got.dtype == np.float64 and got.shape == shape
    want = np.array([s(float(x)) for x in steps.ravel()], dtype=np.float64).reshape(shape)
    assert _same_bits(got, want), repr(s)


# ------------------------------------------------------------------------------------ batches


def _batch_case(draw: Draw) -> tuple[lr.Schedule, list[lr.Schedule]]:
    """A batch built from array parameters, and the same schedules built one by one."""
    b = draw(st.integers(1, 5))

    def floats(strategy: st.SearchStrategy[float]) -> list[float]:
        return list(draw(st.lists(strategy, min_size=b, max_size=b)))

    def ints(lo: int, hi: int) -> list[int]:
        return list(draw(st.lists(st.integers(lo, hi), min_size=b, max_size=b)))

    case = draw(
        st.sampled_from(
            [
                "cosine",
                "linear",
                "exponential",
                "exp_decay",
                "polynomial",
                "step_decay",
                "multistep",
                "inverse_sqrt",
                "cyclic",
                "one_cycle",
                "one_cycle_momentum",
                "wsd",
                "warmup",
                "restarts",
                "noise",
                "stack",
                "arith",
                "constant",
            ]
        )
    )
    fa, ia = np.array, (lambda xs: np.array(xs, dtype=np.int64))
    if case == "cosine":
        a, n, k = floats(signed), ints(1, 300), floats(exponents)
        return lr.cosine(fa(a), 0.5, ia(n), fa(k)), [
            lr.cosine(a[i], 0.5, n[i], k[i]) for i in range(b)
        ]
    if case == "linear":
        e = floats(signed)
        return lr.linear(1.0, e, 50), [lr.linear(1.0, e[i], 50) for i in range(b)]
    if case == "exponential":
        a = floats(positive)
        return lr.exponential(fa(a), 1e-3, 77), [lr.exponential(x, 1e-3, 77) for x in a]
    if case == "exp_decay":
        g, ev = floats(gammas), ints(1, 20)
        return lr.exp_decay(2.0, fa(g), ia(ev)), [lr.exp_decay(2.0, g[i], ev[i]) for i in range(b)]
    if case == "polynomial":
        p = floats(exponents)
        return lr.polynomial(1.0, 0.1, 90, p), [lr.polynomial(1.0, 0.1, 90, x) for x in p]
    if case == "step_decay":
        a, ss = floats(positive), ints(1, 40)
        return lr.step_decay(fa(a), ia(ss), 0.5), [
            lr.step_decay(a[i], ss[i], 0.5) for i in range(b)
        ]
    if case == "multistep":
        g = floats(gammas)
        return lr.multistep(1.0, [5, 9, 9, 40], fa(g)), [
            lr.multistep(1.0, [5, 9, 9, 40], x) for x in g
        ]
    if case == "inverse_sqrt":
        p, w, ts = floats(positive), ints(0, 100), ints(1, 300)
        return lr.inverse_sqrt(fa(p), ia(w), ia(ts)), [
            lr.inverse_sqrt(p[i], w[i], ts[i]) for i in range(b)
        ]
    if case == "cyclic":
        h, up, g = floats(signed), ints(1, 30), floats(st.floats(0.95, 1.0))
        return lr.cyclic(0.1, fa(h), ia(up), 13, "exp_range", fa(g)), [
            lr.cyclic(0.1, h[i], up[i], 13, "exp_range", g[i]) for i in range(b)
        ]
    if case == "one_cycle":
        m, pct = floats(positive), floats(st.floats(0.1, 0.9))
        return lr.one_cycle(fa(m), 200, fa(pct), "linear"), [
            lr.one_cycle(m[i], 200, pct[i], "linear") for i in range(b)
        ]
    if case == "one_cycle_momentum":
        tot, base = ints(10, 300), floats(st.floats(0.5, 0.9))
        return lr.one_cycle_momentum(ia(tot), fa(base), three_phase=True), [
            lr.one_cycle_momentum(tot[i], base[i], three_phase=True) for i in range(b)
        ]
    if case == "wsd":
        p, w, f = floats(positive), ints(0, 50), floats(positive)
        return lr.wsd(fa(p), 150, ia(w), 60, fa(f), "exp"), [
            lr.wsd(p[i], 150, w[i], 60, f[i], "exp") for i in range(b)
        ]
    if case == "warmup":
        w, s0 = ints(0, 100), floats(signed)
        inner = lr.cosine(1.0, 0.0, 80)
        return lr.warmup(ia(w), inner, fa(s0), "cosine"), [
            lr.warmup(w[i], inner, s0[i], "cosine") for i in range(b)
        ]
    if case == "restarts":
        m, d = floats(st.floats(1.0, 3.0)), floats(st.floats(0.2, 1.0))
        inner = lr.linear(1.0, 0.0, 17)
        return lr.restarts(inner, fa(m), fa(d), 4), [
            lr.restarts(inner, m[i], d[i], 4) for i in range(b)
        ]
    if case == "noise":
        pct = floats(st.floats(0.05, 1.0))
        inner = lr.cosine(1.0, 0.0, 80)
        return lr.noise(inner, fa(pct), 0.5, 11), [lr.noise(inner, x, 0.5, 11) for x in pct]
    if case == "stack":
        items = [_schedule(draw, 1) for _ in range(b)]
        return lr.stack(items), items
    if case == "arith":
        a = floats(positive)
        batch = lr.cosine(fa(a), 0.0, 50)
        other = lr.linear(0.0, 1.0, 30)
        return (batch * 2.0 + other).clip(0.1, None).shift(3), [
            (lr.cosine(x, 0.0, 50) * 2.0 + other).clip(0.1, None).shift(3) for x in a
        ]
    v = floats(signed)
    return lr.constant(v), [lr.constant(x) for x in v]


@SLOW
@given(data=st.data())
def test_batches_equal_their_items(data: st.DataObject) -> None:
    batch, items = _batch_case(data.draw)
    b = len(items)
    assert batch.batch_size == b
    totals = [s.total_steps for s in items]
    assert batch.total_steps == (
        None if None in totals else max(t for t in totals if t is not None)
    )
    spec = batch.to_dict()
    assert spec["kind"] == "stack" and spec["schedules"] == [s.to_dict() for s in items]
    with pytest.raises(ValueError):
        ref.evaluate(spec, 0)

    steps = _steps(data.draw, items[0])
    for t in steps:
        row = batch(t)
        assert isinstance(row, np.ndarray) and row.shape == (b,)
        want = np.array([s(t) for s in items])
        assert _same_bits(row, want), f"{batch!r} at {t}"
        for s, got in zip(items, row):
            spec_i = s.to_dict()
            assert _close(float(got), ref.evaluate(spec_i, t), _scale(spec_i))

    n = data.draw(st.integers(0, 300))
    start = data.draw(st.integers(0, 400))
    vals = batch.values(n, start)
    assert vals.shape == (b, n) and vals.dtype == np.float64
    assert _same_bits(vals, np.stack([s.values(n, start) for s in items]).reshape(b, n))

    grid = np.array(steps[:12], dtype=np.float64).reshape(3, 4) if len(steps) >= 12 else None
    if grid is not None:
        out = batch(grid)
        assert out.shape == (b, 3, 4)
        assert _same_bits(out, np.stack([s(grid) for s in items]))


# ------------------------------------------- issue 17: k-decay, real timescales, shrinking cycles


@pytest.mark.parametrize(
    ("s", "text"),
    [
        (lr.polynomial(1.0, 0.1, 10, 2.0, k=0.5), "polynomial(1.0, 0.1, 10, power=2.0, k=0.5)"),
        (lr.polynomial(1.0, 0.1, 10, k=1.0), "polynomial(1.0, 0.1, 10)"),
        (lr.inverse_sqrt(1.0, 3, timescale=2.5), "inverse_sqrt(1.0, 3, timescale=2.5)"),
        (lr.inverse_sqrt(1.0, 3, timescale=8.0), "inverse_sqrt(1.0, 3, timescale=8)"),
        (lr.restarts(lr.cosine(1.0, 0.0, 10), 0.5), "restarts(cosine(1.0, 0.0, 10), mul=0.5)"),
    ],
)
def test_new_parameters_round_trip(s: lr.Schedule, text: str) -> None:
    """repr, the parser, JSON, dict and pickle carry ``k``, a real timescale and ``mul < 1``."""
    assert repr(s) == text
    for back in (
        lr.parse(text),
        lr.from_json(s.to_json()),
        lr.from_dict(s.to_dict()),
        pickle.loads(pickle.dumps(s)),
    ):
        assert back == s
        assert back.values(40).tolist() == s.values(40).tolist()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda: lr.polynomial(1.0, 0.0, 4, k=0.0),
            "polynomial(): k must be a positive number, got 0",
        ),
        (
            lambda: lr.polynomial(1.0, 0.0, 4, k=math.nan),
            "polynomial(): k must be a positive number, got nan",
        ),
        (
            lambda: lr.polynomial(1.0, 0.0, 4, k=math.inf),
            "polynomial(): k must be a positive number, got inf",
        ),
        (
            lambda: lr.inverse_sqrt(1.0, 4, timescale=-2.5),
            "inverse_sqrt(): timescale must be a positive number, got -2.5",
        ),
        (
            lambda: lr.inverse_sqrt(1.0, 4, timescale=math.inf),
            "inverse_sqrt(): timescale must be a positive number, got inf",
        ),
        (
            lambda: lr.restarts(lr.cosine(1.0, 0.0, 10), mul=-0.5),
            "restarts(): mul must be a positive number, got -0.5",
        ),
    ],
)
def test_new_parameters_are_validated(build: Callable[[], lr.Schedule], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        build()
