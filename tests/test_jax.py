"""lrcore.jax: parity with optax's schedule constructors, and the exported schedule inside jit,
vmap, scan and an optax training step.

Each optax constructor is drawn with random arguments and compared, at every step from 0 to
past its end, with the lrcore expression that means the same thing, exported through
``lrcore.jax.schedule``; under ``jax_enable_x64`` the export carries lrcore's float64 values,
so agreement is to rounding (1e-12 relative to the largest value). optax's ``cosine_decay``
``exponent`` (a power of the cosine factor) has no lrcore counterpart and is left at 1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import lrcore as lr
import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402
import lrcore.jax  # noqa: E402

CASES = 12  # random argument sets per optax constructor


@pytest.fixture
def x64() -> Iterator[None]:
    previous = jnp.asarray(0.0).dtype == jnp.float64
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", previous)


def _rate(rng: np.random.Generator) -> float:
    return float(10 ** rng.uniform(-5, 0))


def _steps(rng: np.random.Generator, lo: int = 1, hi: int = 200) -> int:
    return int(rng.integers(lo, hi))


def _warmup_cosine(rng: np.random.Generator) -> tuple[dict[str, Any], lr.Schedule]:
    init, peak, end = rng.uniform(0, 1e-3), _rate(rng), rng.uniform(0, 1e-4)
    w = _steps(rng)
    d = w + _steps(rng)
    kwargs = {
        "init_value": init,
        "peak_value": peak,
        "warmup_steps": w,
        "decay_steps": d,
        "end_value": end,
    }
    return kwargs, lr.warmup(w, lr.cosine(peak, end, d - w), start=init)


def constant(rng: np.random.Generator) -> tuple[Any, lr.Schedule]:
    v = _rate(rng)
    return optax.constant_schedule(v), lr.constant(v)


def linear(rng: np.random.Generator) -> tuple[Any, lr.Schedule]:
    a, b, n, begin = _rate(rng), _rate(rng), _steps(rng), _steps(rng, 0)
    return optax.linear_schedule(a, b, n, begin), lr.linear(a, b, n).shift(begin)


def cosine_decay(rng: np.random.Generator) -> tuple[Any, lr.Schedule]:
    v, n, alpha = _rate(rng), _steps(rng), rng.uniform(0, 0.5)
    return optax.cosine_decay_schedule(v, n, alpha), lr.cosine(v, v * alpha, n)


def warmup_cosine_decay(rng: np.random.Generator) -> tuple[Any, lr.Schedule]:
    kwargs, s = _warmup_cosine(rng)
    return optax.warmup_cosine_decay_schedule(**kwargs), s


def exponential_decay(rng: np.random.Generator) -> tuple[Any, lr.Schedule]:
    v, n, begin = _rate(rng), _steps(rng, 1, 50), _steps(rng, 0, 50)
    rate = float(rng.choice([rng.uniform(0.5, 0.999), rng.uniform(1.001, 1.05)]))
    staircase = bool(rng.integers(2))
    end = v * rate ** float(rng.uniform(1, 5)) if rng.integers(2) else None
    horizon = 400  # the lrcore side of the continuous decay is finite; compared up to here
    if staircase:
        s = lr.exp_decay(v, rate, every=n)
    else:
        s = lr.exponential(v, v * rate ** (horizon / n), horizon)
    if end is not None:
        s = s.clip(lo=end) if rate < 1 else s.clip(hi=end)
    sched = optax.exponential_decay(v, n, rate, begin, staircase, end)
    return sched, s.shift(begin)


def polynomial(rng: np.random.Generator) -> tuple[Any, lr.Schedule]:
    a, b, p = _rate(rng), _rate(rng) * 1e-2, rng.uniform(0.3, 3)
    n, begin = _steps(rng), _steps(rng, 0)
    return optax.polynomial_schedule(a, b, p, n, begin), lr.polynomial(a, b, n, p).shift(begin)


def _boundaries(rng: np.random.Generator, k: int) -> list[int]:
    return sorted(int(b) for b in rng.choice(np.arange(1, 300), size=k, replace=False))


def piecewise_constant(rng: np.random.Generator) -> tuple[Any, lr.Schedule]:
    v, k = _rate(rng), int(rng.integers(1, 5))
    bounds = _boundaries(rng, k)
    scales = [float(x) for x in rng.uniform(0.1, 2, k)]
    values = [v]
    for scale in scales:  # optax multiplies the scales in, one boundary after another
        values.append(values[-1] * scale)
    sched = optax.piecewise_constant_schedule(v, dict(zip(bounds, scales)))
    return sched, lr.piecewise_constant(bounds, values)


def join_schedules(rng: np.random.Generator) -> tuple[Any, lr.Schedule]:
    parts = [rng.choice([constant, linear, cosine_decay, polynomial])(rng) for _ in range(3)]
    bounds = _boundaries(rng, 2)
    sched = optax.join_schedules([p[0] for p in parts], bounds)
    return sched, lr.join([p[1] for p in parts], bounds)


def sgdr(rng: np.random.Generator) -> tuple[Any, lr.Schedule]:
    cycles = [_warmup_cosine(rng) for _ in range(int(rng.integers(1, 4)))]
    ends = np.cumsum([kwargs["decay_steps"] for kwargs, _ in cycles])
    sched = optax.sgdr_schedule([kwargs for kwargs, _ in cycles])
    return sched, lr.join([s for _, s in cycles], [int(b) for b in ends[:-1]])


def warmup_constant(rng: np.random.Generator) -> tuple[Any, lr.Schedule]:
    init, peak, w = rng.uniform(0, 1e-3), _rate(rng), _steps(rng)
    return optax.warmup_constant_schedule(init, peak, w), lr.warmup(w, peak, start=init)


def _onecycle(rng: np.random.Generator) -> tuple[int, float, float, float, float]:
    n, peak = _steps(rng, 20, 400), _rate(rng)
    return n, peak, rng.uniform(0.1, 0.5), rng.uniform(5, 50), rng.uniform(1e2, 1e4)


def cosine_onecycle(rng: np.random.Generator) -> tuple[Any, lr.Schedule]:
    n, peak, pct, div, final_div = _onecycle(rng)
    b = int(pct * n)
    init = peak / div
    top = init * div
    low = top * (1.0 / (div * final_div))  # optax's cumulative product of its scales
    sched = optax.cosine_onecycle_schedule(n, peak, pct, div, final_div)
    return sched, lr.join([lr.cosine(init, top, b), lr.cosine(top, low, n - b)], [b])


def linear_onecycle(rng: np.random.Generator) -> tuple[Any, lr.Schedule]:
    n, peak, pct, div, final_div = _onecycle(rng)
    final_pct = pct + rng.uniform(0.1, 0.4)
    b1, b2 = int(pct * n), int(final_pct * n)
    init = peak / div
    top = init * div
    back = top * (1.0 / div)
    low = back * (1.0 / final_div)
    sched = optax.linear_onecycle_schedule(n, peak, pct, final_pct, div, final_div)
    return sched, lr.piecewise_linear([(0, init), (b1, top), (b2, back), (n, low)])


CONSTRUCTORS: list[Callable[[np.random.Generator], tuple[Any, lr.Schedule]]] = [
    constant,
    linear,
    cosine_decay,
    warmup_cosine_decay,
    exponential_decay,
    polynomial,
    piecewise_constant,
    join_schedules,
    sgdr,
    warmup_constant,
    cosine_onecycle,
    linear_onecycle,
]

HORIZON = 400


@pytest.mark.parametrize("make", CONSTRUCTORS, ids=lambda f: f.__name__)
def test_optax_parity(make: Callable[..., tuple[Any, lr.Schedule]], x64: None) -> None:
    rng = np.random.default_rng(sum(map(ord, make.__name__)))
    steps = jnp.arange(HORIZON)
    for case in range(CASES):
        theirs, ours = make(rng)
        exported = lrcore.jax.schedule(ours, total_steps=HORIZON)
        want = np.asarray(jax.vmap(theirs)(steps), dtype=np.float64)
        got = np.asarray(jax.jit(jax.vmap(exported))(steps))
        assert got.dtype == np.float64
        # the export carries lrcore's values exactly ...
        np.testing.assert_array_equal(got, ours.values(HORIZON))
        # ... which are optax's, to rounding
        np.testing.assert_allclose(
            got, want, rtol=1e-12, atol=1e-12 * np.abs(want).max(), err_msg=f"{case}: {ours!r}"
        )


def test_finite_schedule_holds_its_final_value() -> None:
    s = lr.warmup(3, lr.linear(1.0, 0.25, 5))
    f = lrcore.jax.schedule(s)
    steps = np.array([0, 1, 2, 3, 5, 8, 9, 100, 10**9])
    np.testing.assert_array_equal(np.asarray(f(steps)), s(steps).astype(np.float32))
    assert float(f(10**9)) == 0.25


def test_endless_schedule_holds_its_value_at_total_steps() -> None:
    s = lr.exp_decay(1.0, 0.5)
    f = lrcore.jax.schedule(s, total_steps=4)
    assert [float(f(t)) for t in (0, 3, 4, 5, 100)] == [1.0, 0.125, 0.0625, 0.0625, 0.0625]


def test_shorter_total_steps_cuts_a_finite_schedule() -> None:
    f = lrcore.jax.schedule(lr.linear(1.0, 0.0, 8), total_steps=2)
    assert [float(f(t)) for t in (1, 2, 7)] == [0.875, 0.75, 0.75]


def test_negative_and_float_steps() -> None:
    f = lrcore.jax.schedule(lr.linear(1.0, 0.0, 4))
    assert [float(f(t)) for t in (-3, -0.5, 0.99, 2.5, 3.999, 1e30)] == [
        1.0,
        1.0,
        1.0,
        0.5,
        0.25,
        0.0,
    ]


def test_batch_of_schedules() -> None:
    s = lr.stack([lr.linear(1.0, 0.0, 4), lr.constant(2.0)])
    f = lrcore.jax.schedule(s)
    np.testing.assert_array_equal(np.asarray(f(2)), [0.5, 2.0])
    np.testing.assert_array_equal(np.asarray(f(jnp.arange(3))), [[1.0, 0.75, 0.5], [2.0] * 3])


def test_vmap_and_scan(x64: None) -> None:
    s = lr.warmup(10, lr.cosine(1e-2, 1e-4, 90))
    f = lrcore.jax.schedule(s)
    steps = jnp.arange(0, 130)
    np.testing.assert_array_equal(np.asarray(jax.vmap(f)(steps)), s.values(130))
    np.testing.assert_array_equal(np.asarray(jax.jit(jax.vmap(f))(steps)), s.values(130))

    def body(count: Any, _: None) -> tuple[Any, Any]:
        return count + 1, f(count)

    _, rates = jax.lax.scan(body, jnp.asarray(0), None, length=130)
    np.testing.assert_array_equal(np.asarray(rates), s.values(130))
    # a grad through a schedule-scaled loss sees the rate as a constant
    g = jax.grad(lambda w, t: f(t) * w**2)(3.0, 50)
    assert float(g) == pytest.approx(6 * s(50), rel=1e-15)


def test_jitted_optax_training_step_matches_optax_schedule(x64: None) -> None:
    """The same small regression trained twice with optax.adam under jit: once with lrcore's
    warm-up cosine exported, once with optax's own warmup_cosine_decay_schedule. Each step's
    rate is lrcore's, exactly."""
    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.normal(size=(64, 3)))
    y = x @ jnp.asarray([1.0, -2.0, 0.5]) + 0.1

    def train(schedule: Any) -> tuple[Any, Any]:
        opt = optax.inject_hyperparams(optax.adam, hyperparam_dtype=jnp.float64)(
            learning_rate=schedule
        )
        params = {"w": jnp.zeros(3), "b": jnp.zeros(())}
        state = opt.init(params)

        @jax.jit
        def step(params: Any, state: Any) -> tuple[Any, Any, Any]:
            grads = jax.grad(lambda p: jnp.mean((x @ p["w"] + p["b"] - y) ** 2))(params)
            updates, state = opt.update(grads, state, params)
            return optax.apply_updates(params, updates), state, state.hyperparams["learning_rate"]

        rates = []
        for _ in range(60):
            params, state, rate = step(params, state)
            rates.append(float(rate))
        return params, np.array(rates)

    ours = lr.warmup(10, lr.cosine(0.1, 1e-3, 40))
    p1, r1 = train(lrcore.jax.schedule(ours))
    p2, r2 = train(optax.warmup_cosine_decay_schedule(0.0, 0.1, 10, 50, 1e-3))
    # inject_hyperparams records the rate of the step just taken, for counts 0 … 59
    np.testing.assert_array_equal(r1, ours.values(60))
    # optax divides its int32 step count in float32, even under x64
    np.testing.assert_allclose(r2, r1, rtol=1e-6)
    for k in p1:
        np.testing.assert_allclose(np.asarray(p1[k]), np.asarray(p2[k]), rtol=1e-5)
    assert float(jnp.abs(p1["w"] - jnp.asarray([1.0, -2.0, 0.5])).max()) < 0.1


def test_bad_arguments() -> None:
    with pytest.raises(
        ValueError,
        match=r"^lrcore\.jax\.schedule\(\): total_steps must be given for an endless schedule \(exp_decay\(1\.0, 0\.5\)\), got None$",
    ):
        lrcore.jax.schedule(lr.exp_decay(1.0, 0.5))
    with pytest.raises(
        ValueError, match=r"^lrcore\.jax\.schedule\(\): total_steps must be >= 0, got -1$"
    ):
        lrcore.jax.schedule(lr.constant(1.0), total_steps=-1)
    with pytest.raises(
        TypeError, match=r"^lrcore\.jax\.schedule\(\): total_steps must be an integer, got float$"
    ):
        lrcore.jax.schedule(lr.constant(1.0), total_steps=3.0)  # type: ignore[arg-type]
    with pytest.raises(
        TypeError,
        match=r"^lrcore\.jax\.schedule\(\): schedule must be an lrcore Schedule, got function$",
    ):
        lrcore.jax.schedule(optax.constant_schedule(1.0))


def test_import_lrcore_does_not_import_jax_or_keras() -> None:
    import subprocess
    import sys

    code = "import sys, lrcore; print(sorted({'jax', 'optax', 'keras'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
