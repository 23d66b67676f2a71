"""The schedule language's ``-``, unary ``-``, ``/`` and negative ``shift`` (issue 13 item 3), the
bounded cycle search of ``restarts`` (issue 16 item 2) and the non-finite rules (issue 16 item 5)."""

from __future__ import annotations

import json
import math
import pickle
import subprocess
import sys
import textwrap
from typing import Any, Callable

import lrcore as lr
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lrcore import reference as ref

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
N = 40

Tree = tuple[Any, Callable[[], np.ndarray]]


def _leaf(draw: st.DrawFn) -> Tree:
    """A schedule whose values stay in [0.1, 2] (never a zero denominator), or a number."""
    kind = draw(st.sampled_from(["cosine", "linear", "number", "restarts"]))
    steps = draw(st.integers(1, 60))
    if kind == "number":
        # Eighths print and read back exactly whatever the float reader (issue 16 item 4).
        x = draw(st.integers(2, 16)) / 8
        return x, lambda: np.full(N, x)
    s = {
        "cosine": lambda: lr.cosine(1.0, 0.1, steps),
        "linear": lambda: lr.linear(0.5, 2.0, steps),
        "restarts": lambda: lr.restarts(lr.cosine(1.0, 0.1, steps), mul=1.5, decay=0.7),
    }[kind]()
    return s, lambda: s.values(N)


@st.composite
def trees(draw: st.DrawFn, depth: int = 3) -> Tree:
    """A random tree of ``+ - * /``, unary minus and shifts, with its numpy counterpart."""
    if depth == 0 or draw(st.booleans()):
        return _leaf(draw)
    op = draw(st.sampled_from(["+", "-", "*", "/", "neg", "shift"]))
    a, fa = draw(trees(depth - 1))
    if op == "neg":
        if not isinstance(a, lr.Schedule):
            a = lr.constant(a)
        return -a, lambda: -fa()
    if op == "shift":
        if not isinstance(a, lr.Schedule):
            a = lr.constant(a)
        n = draw(st.integers(-30, 30))
        shifted = a.shift(n)

        def shifted_values() -> np.ndarray:
            steps = np.maximum(np.arange(N) - n, 0)
            return np.array([a(int(k)) for k in steps])

        return shifted, shifted_values
    b, fb = draw(trees(depth - 1))
    if not isinstance(a, lr.Schedule) and not isinstance(b, lr.Schedule):
        a = lr.constant(a)
    if op == "/":
        # A denominator that stays away from 0: its square plus one.
        b = b * b + 1.0
        fb_old = fb
        fb = lambda: fb_old() * fb_old() + 1.0  # noqa: E731
    fns = {
        "+": lambda x, y: x + y,
        "-": lambda x, y: x - y,
        "*": lambda x, y: x * y,
        "/": lambda x, y: x / y,
    }
    f = fns[op]
    return f(a, b), lambda: f(fa(), fb())


@FAST
@given(trees())
def test_algebra_matches_numpy_reference_and_round_trips(tree: Tree) -> None:
    s, numpy_values = tree
    if not isinstance(s, lr.Schedule):
        s = lr.constant(s)
    got = s.values(N)
    want = numpy_values()
    peak = max(1.0, float(np.max(np.abs(want))))
    assert np.allclose(got, want, rtol=1e-12, atol=1e-15 * peak)
    spec = s.to_dict()
    for t in (0, 7, 39):
        assert math.isclose(ref.evaluate(spec, t), got[t], rel_tol=1e-12, abs_tol=1e-15 * peak)
    assert lr.parse(repr(s)) == s
    assert lr.from_dict(spec) == s
    assert pickle.loads(pickle.dumps(s)) == s


def test_operators_with_numbers_on_either_side() -> None:
    c = lr.cosine(1.0, 0.1, 10)
    for t in (0, 3, 4.5, 12):
        v = c(t)
        assert (1.0 - c)(t) == 1.0 - v
        assert (c - 0.25)(t) == v - 0.25
        assert (c / 4)(t) == v / 4
        assert (2 / c)(t) == 2 / v
        assert (-c)(t) == -v
        assert c.shift(-3)(t) == c(t + 3)
    assert repr(1.0 - c) == "1.0 - cosine(1.0, 0.1, 10)"
    assert repr(-c) == "-1.0 * cosine(1.0, 0.1, 10)"
    assert repr((c - 1) / 3) == "(cosine(1.0, 0.1, 10) - 1.0) / 3.0"
    assert repr(c.shift(-3)) == "cosine(1.0, 0.1, 10).shift(-3)"
    assert c.shift(-3).total_steps == 7
    assert lr.parse("8 - 2 - 1")(0) == 5.0 and lr.parse("8 / 2 / 2")(0) == 2.0


def test_zero_denominators_are_rejected_at_build() -> None:
    c = lr.cosine(1.0, 0.1, 10)
    with pytest.raises(ValueError, match=r"div\(\): right must be a denominator other than"):
        c / 0
    with pytest.raises(ValueError, match="denominator"):
        lr.parse("cosine(1.0, 0.1, 10) / 0.0")
    with pytest.raises(ValueError, match="denominator"):
        lr.from_json(
            json.dumps({"kind": "div", "left": c.to_dict(), "right": lr.constant(0.0).to_dict()})
        )
    with pytest.raises(TypeError):
        c - "a"  # type: ignore[operator]


def test_zero_times_overflow_is_zero() -> None:
    assert lr.step_decay(0.0, 2, gamma=2.0)(10**6) == 0.0
    assert lr.exp_decay(0.0, 10.5)(10**6) == 0.0
    assert lr.multistep(0.0, [1, 2], gamma=1e300)(5) == 0.0
    assert (lr.constant(0.0) * lr.exp_decay(1.0, 10.5))(10**6) == 0.0
    assert np.all(lr.exp_decay(0.0, 10.5).values(1000, start=10**6) == 0.0)


@pytest.mark.parametrize(
    "build",
    [
        lambda: lr.cosine(1e308, -1e308, 10),
        lambda: lr.linear(-1e308, 1e308, 10),
        lambda: lr.polynomial(1e308, -1e308, 10),
        lambda: lr.exponential(1e-300, 1e300, 10),
        lambda: lr.cyclic(-1e308, 1e308, 10),
        lambda: lr.warmup(5, 1e308, start=-1e308),
        lambda: lr.wsd(1e308, 10, 2, 2, final=-1e308),
        lambda: lr.one_cycle(1e300, 10, div_factor=1e-10),
        lambda: lr.one_cycle_momentum(10, base=-1e308, max=1e308),
        lambda: lr.piecewise_linear([(0, -1e308), (5, 1e308)]),
        lambda: lr.restarts(lr.cosine(1.0, 0.0, 10), decay=1e10, limit=40),
    ],
)
def test_what_would_overflow_is_rejected_at_build(build: Callable[[], lr.Schedule]) -> None:
    with pytest.raises(ValueError, match="finite"):
        build()


def test_wide_but_finite_spans_stay_finite() -> None:
    for s in [
        lr.cosine(0.1, -1e308, 700),
        lr.cosine(1.0, 0.0, 1000, k=200.0),
        lr.warmup(10, lr.cosine(1e308, 0.0, 10)),
        lr.restarts(lr.cosine(1.0, 0.0, 10), decay=2.0, limit=3),
    ]:
        assert np.all(np.isfinite(s.values(2000))), s


EXTREME = textwrap.dedent(
    """
    import json, pickle, sys
    import lrcore as lr
    for mul in [1e308, 1.7976931348623157e308, 1 + 1e-15, 1 + 1e-12, 1.0000001, 3.7, 1e10]:
        for length in [1, 10, 12345]:
            s = lr.restarts(lr.cosine(1.0, 0.0, length), mul=mul, decay=0.5)
            for t in [5, 10, 11, 1e5, 1e12, 1e15, 9e15, 1e300, 1.7e308]:
                v = s(t)
                assert 0.0 <= v <= 1.0, (mul, t, v)
            s.values(10_000, start=10**15)
            s.values(1_000, start=2**53 - 500)
            assert lr.parse(repr(s)) == s and lr.from_json(s.to_json()) == s
            pickle.loads(pickle.dumps(s))(1e15)
    assert lr.restarts(lr.cosine(1.0, 0.0, 10), mul=1e308)(5) == 0.5
    assert lr.restarts(lr.cosine(1.0, 0.0, 10), mul=1e308)(10) == 1.0
    print("ok")
    """
)


def test_restarts_return_promptly_for_extreme_mul_and_steps() -> None:
    """Issue 16 item 2: these hung for ever (the cycle search never settled)."""
    done = subprocess.run(
        [sys.executable, "-c", EXTREME], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "lrcore",
            "values",
            "restarts(cosine(1.0, 0.0, 10), mul=1e308)",
            "--steps",
            "20",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr
