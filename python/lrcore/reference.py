"""A deliberately independent, pure-Python reference of every lrcore schedule.

Each shape and combinator is one plain function of the step ``t``, written from the formulas in
the docstrings of :mod:`lrcore.schedules` (and torch's closed forms where those name torch), not
from the Rust code. :func:`evaluate` walks the dict form that :meth:`lrcore.Schedule.to_dict`
returns. Only :mod:`math` is used, so this is also the scalar-loop baseline of the benchmarks.

Combinators take their inner schedules as callables ``t -> value``.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import Any, Callable

__all__ = [
    "add",
    "clip",
    "constant",
    "cosine",
    "cyclic",
    "div",
    "evaluate",
    "exp_decay",
    "exponential",
    "inverse_sqrt",
    "join",
    "linear",
    "mul",
    "multistep",
    "noise",
    "noise_factor",
    "one_cycle",
    "one_cycle_momentum",
    "per_epoch",
    "period",
    "piecewise_constant",
    "piecewise_linear",
    "polynomial",
    "restarts",
    "shift",
    "step_decay",
    "sub",
    "tanh",
    "total_steps",
    "uniform",
    "warmup",
    "wsd",
]

Fn = Callable[[float], float]

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_NOISE_TRIES = 2048


def _pow(base: float, exponent: float) -> float:
    """``base ** exponent`` as a float, ``inf`` where it overflows (as IEEE ``pow`` does)."""
    try:
        return math.pow(base, exponent)
    except OverflowError:
        return math.inf


def _times(a: float, b: float) -> float:
    """``a * b``, but 0 where either factor is 0 (``0 * inf`` is 0, not NaN)."""
    return 0.0 if a == 0.0 or b == 0.0 else a * b


def _frac(t: float, steps: int) -> float:
    """Fraction of a segment of ``steps`` steps covered at ``t``, capped at 1."""
    return min(t, steps) / steps


# --------------------------------------------------------------------------------------- shapes


def constant(t: float, value: float) -> float:
    """``value`` at every step.

    >>> constant(5, 0.1)
    0.1
    """
    return value


def linear(t: float, start: float, end: float, steps: int) -> float:
    """``start + (end - start) * min(t, steps) / steps``.

    >>> linear(1, 1.0, 0.0, 4)
    0.75
    >>> linear(9, 1.0, 0.0, 4)
    0.0
    """
    return start + (end - start) * _frac(t, steps)


def cosine(t: float, start: float, end: float, steps: float, k: float = 1.0) -> float:
    """``end + (start - end) * (1 + cos(pi * t**k / steps**k)) / 2``, ``end`` from ``steps``
    (any positive real number); ``(t / steps) ** k`` where ``steps ** k`` overflows.

    >>> cosine(2, 1.0, 0.0, 4)
    0.5
    """
    if t >= steps:
        return end
    ratio = _pow(t, k) / _pow(steps, k) if math.isfinite(_pow(steps, k)) else _pow(t / steps, k)
    return end + (start - end) * ((1.0 + math.cos(math.pi * ratio)) / 2.0)


def exponential(t: float, start: float, end: float, steps: int) -> float:
    """``start * (end / start) ** (min(t, steps) / steps)``.

    >>> exponential(1, 1.0, 0.01, 2)
    0.1
    """
    return start * _pow(end / start, _frac(t, steps))


def tanh(
    t: float, start: float, end: float, steps: float, lb: float = -7.0, ub: float = 3.0
) -> float:
    """timm's TanhLRScheduler: ``end + (start - end) / 2 * (1 - tanh(lb (1 - r) + ub r))``,
    ``r = t / steps``; ``end`` from ``steps``.

    >>> round(tanh(2, 1.0, 0.0, 4), 4), tanh(4, 1.0, 0.0, 4)
    (0.982, 0.0)
    """
    if t >= steps:
        return end
    r = t / steps
    return end + 0.5 * (start - end) * (1.0 - math.tanh(lb * (1.0 - r) + ub * r))


def exp_decay(t: float, start: float, gamma: float, every: int = 1) -> float:
    """``start * gamma ** floor(t / every)``.

    >>> exp_decay(5, 1.0, 0.5, every=2)
    0.25
    """
    return _times(start, _pow(gamma, math.floor(t / every)))


def polynomial(
    t: float, start: float, end: float, steps: int, power: float = 1.0, k: float = 1.0
) -> float:
    """``(start - end) * (1 - u**k / steps**k) ** power + end``, ``u = min(t, steps)``;
    ``(u / steps) ** k`` where ``steps ** k`` overflows.

    >>> polynomial(1, 1.0, 0.0, 4, power=2.0)
    0.5625
    >>> polynomial(2, 1.0, 0.0, 4, k=2.0)
    0.75
    """
    u = min(t, steps)
    ratio = _pow(u, k) / _pow(steps, k) if math.isfinite(_pow(steps, k)) else _pow(u / steps, k)
    return (start - end) * _pow(1.0 - ratio, power) + end


def step_decay(t: float, start: float, step_size: int, gamma: float = 0.1) -> float:
    """``start * gamma ** floor(t / step_size)`` (torch StepLR).

    >>> step_decay(5, 1.0, 2, 0.5)
    0.25
    """
    return _times(start, _pow(gamma, math.floor(t / step_size)))


def multistep(t: float, start: float, milestones: Sequence[int], gamma: float = 0.1) -> float:
    """``start * gamma ** (number of milestones <= t)`` (torch MultiStepLR).

    >>> multistep(4, 1.0, [2, 4], 0.5)
    0.25
    """
    return _times(start, _pow(gamma, bisect_right(milestones, t)))


def piecewise_constant(t: float, boundaries: Sequence[int], values: Sequence[float]) -> float:
    """``values[number of boundaries <= t]``.

    >>> piecewise_constant(3, [2, 4], [1.0, 0.5, 0.25])
    0.5
    """
    return values[bisect_right(boundaries, t)]


def piecewise_linear(t: float, points: Sequence[Sequence[float]]) -> float:
    """Linear interpolation through ``(step, value)`` points, end values held (np.interp).

    >>> piecewise_linear(3, [(0, 0.0), (2, 1.0), (4, 0.5)])
    0.75
    """
    if t <= points[0][0]:
        return float(points[0][1])
    for (s0, v0), (s1, v1) in zip(points, points[1:]):
        if t < s1:
            return float(v0 + (v1 - v0) * (t - s0) / (s1 - s0))
    return float(points[-1][1])


def inverse_sqrt(t: float, peak: float, warmup_steps: int, timescale: float | None = None) -> float:
    """``peak * t / W`` below ``W``, then ``peak / sqrt((t + s - W) / s)``, s = timescale or W.

    >>> inverse_sqrt(16, 1.0, 4)
    0.5
    """
    if t < warmup_steps:
        return peak * (t / warmup_steps)
    scale = warmup_steps if timescale is None else timescale
    return peak * (1.0 / math.sqrt((t + scale - warmup_steps) / scale))


def cyclic(
    t: float,
    low: float,
    high: float,
    step_size_up: float,
    step_size_down: float | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
) -> float:
    """torch CyclicLR: ``low + (high - low) * scale_factor(x) * scale(cycle or t)``.

    >>> cyclic(3, 0.0, 1.0, 2)
    0.5
    """
    down = step_size_up if step_size_down is None else step_size_down
    total = float(step_size_up + down)
    ratio = step_size_up / total
    cycle = math.floor(1.0 + t / total)
    x = 1.0 + t / total - cycle
    factor = x / ratio if x <= ratio else (x - 1.0) / (ratio - 1.0)
    if mode == "triangular":
        scale = 1.0
    elif mode == "triangular2":
        scale = 1.0 / _pow(2.0, cycle - 1)
    elif mode == "exp_range":
        scale = _pow(gamma, t)
    else:
        raise ValueError(f"cyclic(): unknown mode {mode!r}")
    return low + _times((high - low) * factor, scale)


def _anneal(anneal: str, start: float, end: float, pct: float) -> float:
    """torch OneCycleLR's cosine or linear annealing from ``start`` to ``end`` at ``pct``."""
    if anneal == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1.0)
    if anneal == "linear":
        return (end - start) * pct + start
    raise ValueError(f"one_cycle(): unknown anneal {anneal!r}")


def _phases(
    t: float, total_steps: int, anneal: str, ends: Sequence[float], points: Sequence[float]
) -> float:
    """Walk torch OneCycleLR's phases ``points[i] -> points[i+1]`` ending at ``ends[i]``."""
    t = min(t, total_steps - 1.0)
    prev = 0.0
    for i, end in enumerate(ends):
        if t <= end or i == len(ends) - 1:
            return _anneal(anneal, points[i], points[i + 1], (t - prev) / (end - prev))
        prev = end
    raise AssertionError("unreachable")


def _phase_ends(total_steps: int, pct_start: float, three_phase: bool) -> list[float]:
    """torch OneCycleLR's phase end steps, as floats."""
    total = float(total_steps)
    if three_phase:
        return [pct_start * total - 1.0, 2.0 * pct_start * total - 2.0, total - 1.0]
    return [pct_start * total - 1.0, total - 1.0]


def one_cycle(
    t: float,
    max_lr: float,
    total_steps: int,
    pct_start: float = 0.3,
    anneal: str = "cos",
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> float:
    """torch OneCycleLR's learning rate, final value held from ``T - 1`` on.

    >>> one_cycle(2, 1.0, 10)
    1.0
    """
    initial = max_lr / div_factor
    lowest = initial / final_div_factor
    points = [initial, max_lr, initial, lowest] if three_phase else [initial, max_lr, lowest]
    ends = _phase_ends(total_steps, pct_start, three_phase)
    return _phases(t, total_steps, anneal, ends, points)


def one_cycle_momentum(
    t: float,
    total_steps: int,
    base: float = 0.85,
    max_value: float = 0.95,
    pct_start: float = 0.3,
    anneal: str = "cos",
    three_phase: bool = False,
) -> float:
    """torch OneCycleLR's momentum: ``max -> base -> max`` (three phases: ``-> max`` again).

    >>> one_cycle_momentum(2, 10)
    0.85
    """
    points = (
        [max_value, base, max_value, max_value] if three_phase else [max_value, base, max_value]
    )
    ends = _phase_ends(total_steps, pct_start, three_phase)
    return _phases(t, total_steps, anneal, ends, points)


def wsd(
    t: float,
    peak: float,
    total_steps: int,
    warmup_steps: int,
    decay_steps: int,
    final: float = 0.0,
    decay: str = "1-sqrt",
    power: float = 1.0,
) -> float:
    """Warmup-stable-decay: linear ``0 -> peak`` on ``[0, W)``, ``peak``, decay on ``[T-D, T)``.

    >>> wsd(8, 1.0, 10, 2, 4, decay="linear")
    0.5
    """
    decay_start = total_steps - decay_steps
    if t < warmup_steps:
        return peak * t / warmup_steps
    if t < decay_start:
        return peak
    if t >= total_steps:
        return final
    f = (t - decay_start) / decay_steps
    if decay == "exp":
        return peak * _pow(final / peak, f)
    if decay == "1-sqrt":
        g = 1.0 - math.sqrt(f)
    elif decay == "linear":
        g = 1.0 - f
    elif decay == "cosine":
        g = (1.0 + math.cos(math.pi * f)) / 2.0
    elif decay == "power":
        g = _pow(1.0 - f, power)
    else:
        raise ValueError(f"wsd(): unknown decay {decay!r}")
    return final + (peak - final) * g


# ------------------------------------------------------------------------------------ the noise


def _mix(z: int) -> int:
    """splitmix64's output function on a 64-bit integer."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def _draw(seed: int, step: int, j: int) -> int:
    """Draw ``j`` (64 bits) of step ``step``'s counter-based stream."""
    key = _mix((seed + step * _GOLDEN) & _MASK64)
    return _mix((key + (j + 1) * _GOLDEN) & _MASK64)


def uniform(seed: int, step: int, j: int) -> float:
    """Draw ``j`` of step ``step``'s stream as a uniform on (0, 1): ``(m + 1/2) / 2**52`` with
    ``m`` its top 52 bits.

    >>> 0.0 < uniform(42, 7, 0) < 1.0
    True
    """
    return ((_draw(seed, step, j) >> 12) + 0.5) * 2.0**-52


def noise_factor(seed: int, step: int, pct: float, std: float) -> float:
    """timm's noise: a normal draw with deviation ``std`` redrawn until ``|n| < pct`` (else 0).
    Try ``k`` takes draws ``2k`` and ``2k + 1``: Box-Muller's ``std * r * cos(theta)``, then
    ``std * r * sign * sin(theta)``, with ``r = sqrt(-2 ln u1)``, ``theta = pi u2`` and the sign
    from the second draw's lowest bit. The platform's ``log``/``cos``/``sin``: the core's
    IEEE-only ones agree within an ulp or two, not bit for bit.

    >>> abs(noise_factor(42, 7, 0.67, 1.0)) < 0.67
    True
    """
    for k in range(_NOISE_TRIES):
        b2 = _draw(seed, step, 2 * k + 1)
        r = std * math.sqrt(-2.0 * math.log(uniform(seed, step, 2 * k)))
        theta = math.pi * uniform(seed, step, 2 * k + 1)
        sign = -1.0 if b2 & 1 else 1.0
        for n in (r * math.cos(theta), sign * r * math.sin(theta)):
            if abs(n) < pct:
                return n
    return 0.0


# ---------------------------------------------------------------------------------- combinators


def warmup(
    t: float,
    steps: int,
    then: Fn,
    start: float = 0.0,
    shape: str = "linear",
    prefix: bool = True,
) -> float:
    """From ``start`` to ``v = then(0)`` over ``steps`` steps, then ``then(t - steps)``, or
    ``then(t)`` with ``prefix=False`` (timm's overlapping warm-up).

    >>> warmup(1, 2, lambda t: 1.0)
    0.5
    """
    if t >= steps:
        return then(t - steps if prefix else t)
    v = then(0.0)
    if shape == "linear":
        return start + (v - start) * t / steps
    if shape == "cosine":
        return start + (v - start) * (1.0 - math.cos(math.pi * t / steps)) / 2.0
    if shape == "exponential":
        return start * _pow(v / start, t / steps)
    raise ValueError(f"warmup(): unknown shape {shape!r}")


def join(t: float, schedules: Sequence[Fn], boundaries: Sequence[float]) -> float:
    """Schedule ``i`` (``i`` = number of boundaries <= t) at ``t - boundaries[i-1]``.

    >>> join(3, [lambda t: 1.0, lambda t: 0.5 ** t], [2])
    0.5
    """
    i = bisect_right(boundaries, t)
    return schedules[i](t - boundaries[i - 1] if i > 0 else t)


def _cycle_start(i: int, length: float, factor: float) -> float:
    """Start of restart cycle ``i``: ``L * (mul**i - 1) / (mul - 1)``, ``i * L`` for mul 1
    (the division first where the product overflows)."""
    if factor == 1.0:
        return i * length
    grown = _pow(factor, i) - 1.0
    if math.isfinite(length * grown):
        return length * grown / (factor - 1.0)
    return length * (grown / (factor - 1.0))


def restarts(
    t: float,
    schedule: Fn,
    length: float,
    factor: float = 1.0,
    decay: float = 1.0,
    limit: int | None = None,
    decay_mode: str = "height",
    peak: float | None = None,
) -> float:
    """SGDR: cycle ``i`` lasts ``length * factor**i``: ``e + decay**i * (s(tau / factor**i) - e)``;
    with ``decay_mode="peak"`` (timm)
    ``e + (decay**i * p - e) * (s(tau / factor**i) - e) / (p - e)``, ``p = s(0)`` unless
    ``peak`` is given (a tanh's ``start``). ``e`` after ``limit`` cycles, and (``factor < 1``)
    from the cycles' geometric limit ``length / (1 - factor)`` on.

    ``length`` is the inner schedule's :func:`period` and ``factor`` is ``restarts``' ``mul``.

    >>> restarts(3, lambda t: linear(t, 1.0, 0.0, 2), 2)
    0.5
    >>> restarts(2.5, lambda t: linear(t, 1.0, 0.0, 2), 2, factor=0.5)
    0.5
    """
    e = schedule(float(length))
    if factor < 1.0 and t >= length / (1.0 - factor):
        return e
    if factor == 1.0:
        i = int(t // length)  # exact, as timm's: math.floor(t / length) can round up
    else:
        # Geometric series, solved for the cycle; the loops settle rounding at a boundary (and
        # near the limit of shrinking cycles, where the log's argument may round to <= 0).
        arg = 1.0 + t * (factor - 1.0) / length
        i = max(0, math.floor(math.log(arg) / math.log(factor))) if arg > 0 else 0
        while i > 0 and _cycle_start(i, length, factor) > t:
            i -= 1
        while _cycle_start(i + 1, length, factor) <= t:
            i += 1
    if limit is not None and i >= limit:
        return e
    inner = schedule((t - _cycle_start(i, length, factor)) / _pow(factor, i))
    height = _pow(decay, i)
    if height == 1.0:
        return inner
    if decay_mode == "peak":
        p = schedule(0.0) if peak is None else peak
        if p == e:
            return inner
        lr_max = _times(height, p)
        return e + (lr_max - e) * (inner - e) / (p - e)
    return e + _times(height, inner - e)


def noise(
    t: float,
    schedule: Fn,
    pct: float = 0.67,
    std: float = 1.0,
    seed: int = 42,
    start: int = 0,
    end: int | None = None,
) -> float:
    """``v + v * n`` with ``n = noise_factor(seed, floor(t))`` on steps ``start <= t < end``.

    >>> abs(noise(5, lambda t: 1.0, 42) - 1.0) < 0.67
    True
    """
    v = schedule(t)
    k = math.floor(t)
    if k < start or (end is not None and k >= end):
        return v
    return v + v * noise_factor(seed, k, pct, std)


def add(t: float, left: Fn, right: Fn) -> float:
    """``left(t) + right(t)``.

    >>> add(1, lambda t: 1.0, lambda t: t)
    2.0
    """
    return left(t) + right(t)


def mul(t: float, left: Fn, right: Fn) -> float:
    """``left(t) * right(t)`` (0 where either is 0).

    >>> mul(3, lambda t: 2.0, lambda t: t)
    6.0
    """
    return _times(left(t), right(t))


def sub(t: float, left: Fn, right: Fn) -> float:
    """``left(t) - right(t)``.

    >>> sub(1, lambda t: 1.0, lambda t: t / 4)
    0.75
    """
    return left(t) - right(t)


def div(t: float, left: Fn, right: Fn) -> float:
    """``left(t) / right(t)`` (IEEE: ``±inf`` or NaN where the denominator is 0).

    >>> div(2, lambda t: 1.0, lambda t: t), div(0, lambda t: 1.0, lambda t: t)
    (0.5, inf)
    """
    num, den = left(t), right(t)
    if den == 0.0:
        if num == 0.0 or math.isnan(num):
            return math.nan
        return math.inf if (num > 0) == (math.copysign(1.0, den) > 0) else -math.inf
    return num / den


def clip(t: float, schedule: Fn, lo: float | None = None, hi: float | None = None) -> float:
    """``min(max(s(t), lo), hi)``, a ``None`` bound meaning none.

    >>> clip(3, lambda t: t, lo=0.5, hi=2.0)
    2.0
    """
    v = schedule(t)
    if lo is not None:
        v = max(v, lo)
    if hi is not None:
        v = min(v, hi)
    return v


def shift(t: float, schedule: Fn, n: int) -> float:
    """``s(max(t - n, 0))``; a negative ``n`` advances the schedule.

    >>> shift(3.0, lambda t: t, 2)
    1.0
    >>> shift(1, lambda t: t, 2)
    0.0
    """
    return schedule(max(t - n, 0.0))


def per_epoch(t: float, schedule: Fn, steps_per_epoch: int) -> float:
    """``s(floor(t / steps_per_epoch))``: a schedule in epochs evaluated at steps.

    >>> per_epoch(7, lambda t: t, 3)
    2.0
    """
    return schedule(float(math.floor(t / steps_per_epoch)))


# ------------------------------------------------------------------------------ the dict form


def period(spec: Mapping[str, Any]) -> float | None:
    """The length of ``spec`` in steps (a real number where a cycle or boundary is), ``None``
    if endless: what ``restarts`` repeats.

    >>> period({"kind": "cosine", "start": 1.0, "end": 0.0, "steps": 2.5, "k": 1.0})
    2.5
    >>> period({"kind": "exp_decay", "start": 1.0, "gamma": 0.5, "every": 1}) is None
    True
    """
    kind = spec["kind"]
    if kind == "constant":
        return 0.0
    if kind in ("linear", "cosine", "exponential", "polynomial", "tanh"):
        return float(spec["steps"])
    if kind in ("exp_decay", "step_decay", "inverse_sqrt", "cyclic"):
        return None
    if kind == "multistep":
        return float(spec["milestones"][-1]) if spec["milestones"] else 0.0
    if kind == "piecewise_constant":
        return float(spec["boundaries"][-1]) if spec["boundaries"] else 0.0
    if kind == "piecewise_linear":
        return float(spec["points"][-1][0])
    if kind in ("one_cycle", "one_cycle_momentum", "wsd"):
        return float(spec["total_steps"])
    if kind == "warmup":
        inner = period(spec["then"])
        if inner is None:
            return None
        return inner + spec["steps"] if spec["prefix"] else max(inner, float(spec["steps"]))
    if kind == "join":
        inner = period(spec["schedules"][-1])
        last = float(spec["boundaries"][-1]) if spec["boundaries"] else 0.0
        return None if inner is None else inner + last
    if kind == "restarts":
        inner, mul = period(spec["schedule"]), float(spec["mul"])
        if inner is None or (spec["limit"] is None and mul >= 1.0):
            return None
        if spec["limit"] is None:  # shrinking cycles, all over by their geometric limit
            return inner / (1.0 - mul)
        return _cycle_start(int(spec["limit"]), inner, mul)
    if kind == "noise":
        inner = period(spec["schedule"])
        if inner is None or spec["end"] is None:
            return None
        return max(inner, float(spec["end"]))
    if kind in ("add", "mul", "sub", "div"):
        left, right = period(spec["left"]), period(spec["right"])
        return None if left is None or right is None else max(left, right)
    if kind == "clip":
        return period(spec["schedule"])
    if kind == "shift":
        inner = period(spec["schedule"])
        return None if inner is None else max(0.0, inner + spec["n"])
    if kind == "per_epoch":
        inner = period(spec["schedule"])
        return None if inner is None else math.ceil(inner) * float(spec["steps_per_epoch"])
    if kind == "stack":
        raise ValueError("period(): a stack is a batch; take its schedules one by one")
    raise ValueError(f"period(): unknown kind {kind!r}")


def total_steps(spec: Mapping[str, Any]) -> int | None:
    """The step from which ``spec`` holds its value for ever (the first whole step at or after
    its :func:`period`), ``None`` if endless.

    >>> import lrcore as lr
    >>> total_steps(lr.warmup(10, lr.cosine(1.0, 0.0, 90)).to_dict())
    100
    """
    length = period(spec)
    if length is None:
        return None
    return math.ceil(length) if math.isfinite(length) else 2**64 - 1


def _child(spec: Mapping[str, Any]) -> Fn:
    """The schedule ``spec`` as a function of the step."""
    return lambda t: evaluate(spec, t)


def evaluate(spec: Mapping[str, Any], t: float) -> float:
    """The value at step ``t`` of the schedule whose :meth:`Schedule.to_dict` is ``spec``.

    >>> import lrcore as lr
    >>> evaluate(lr.warmup(2, lr.cosine(1.0, 0.0, 4)).to_dict(), 4)
    0.5
    """
    kind = spec["kind"]
    t = float(t)
    if kind == "constant":
        return float(spec["value"])
    if kind == "linear":
        return linear(t, spec["start"], spec["end"], spec["steps"])
    if kind == "cosine":
        return cosine(t, spec["start"], spec["end"], spec["steps"], spec["k"])
    if kind == "exponential":
        return exponential(t, spec["start"], spec["end"], spec["steps"])
    if kind == "tanh":
        return tanh(t, spec["start"], spec["end"], spec["steps"], spec["lb"], spec["ub"])
    if kind == "exp_decay":
        return exp_decay(t, spec["start"], spec["gamma"], spec["every"])
    if kind == "polynomial":
        return polynomial(t, spec["start"], spec["end"], spec["steps"], spec["power"], spec["k"])
    if kind == "step_decay":
        return step_decay(t, spec["start"], spec["step_size"], spec["gamma"])
    if kind == "multistep":
        return multistep(t, spec["start"], spec["milestones"], spec["gamma"])
    if kind == "piecewise_constant":
        return piecewise_constant(t, spec["boundaries"], spec["values"])
    if kind == "piecewise_linear":
        return piecewise_linear(t, spec["points"])
    if kind == "inverse_sqrt":
        return inverse_sqrt(t, spec["peak"], spec["warmup_steps"], spec.get("timescale"))
    if kind == "cyclic":
        return cyclic(
            t,
            spec["low"],
            spec["high"],
            spec["step_size_up"],
            spec["step_size_down"],
            spec["mode"],
            spec["gamma"],
        )
    if kind == "one_cycle":
        return one_cycle(
            t,
            spec["max_lr"],
            spec["total_steps"],
            spec["pct_start"],
            spec["anneal"],
            spec["div_factor"],
            spec["final_div_factor"],
            spec["three_phase"],
        )
    if kind == "one_cycle_momentum":
        return one_cycle_momentum(
            t,
            spec["total_steps"],
            spec["base"],
            spec["max"],
            spec["pct_start"],
            spec["anneal"],
            spec["three_phase"],
        )
    if kind == "wsd":
        return wsd(
            t,
            spec["peak"],
            spec["total_steps"],
            spec["warmup_steps"],
            spec["decay_steps"],
            spec["final"],
            spec["decay"],
            spec["power"],
        )
    if kind == "warmup":
        return warmup(
            t, spec["steps"], _child(spec["then"]), spec["start"], spec["shape"], spec["prefix"]
        )
    if kind == "join":
        return join(t, [_child(s) for s in spec["schedules"]], spec["boundaries"])
    if kind == "restarts":
        length = period(spec["schedule"])
        if length is None or length <= 0:
            raise ValueError("restarts(): the schedule must be finite, of at least one step")
        return restarts(
            t,
            _child(spec["schedule"]),
            length,
            spec["mul"],
            spec["decay"],
            spec["limit"],
            spec["decay_mode"],
            spec["schedule"]["start"] if spec["schedule"]["kind"] == "tanh" else None,
        )
    if kind == "noise":
        return noise(
            t,
            _child(spec["schedule"]),
            spec["pct"],
            spec["std"],
            spec["seed"],
            spec["start"],
            spec["end"],
        )
    if kind == "add":
        return add(t, _child(spec["left"]), _child(spec["right"]))
    if kind == "mul":
        return mul(t, _child(spec["left"]), _child(spec["right"]))
    if kind == "sub":
        return sub(t, _child(spec["left"]), _child(spec["right"]))
    if kind == "div":
        return div(t, _child(spec["left"]), _child(spec["right"]))
    if kind == "clip":
        return clip(t, _child(spec["schedule"]), spec["lo"], spec["hi"])
    if kind == "shift":
        return shift(t, _child(spec["schedule"]), spec["n"])
    if kind == "per_epoch":
        return per_epoch(t, _child(spec["schedule"]), spec["steps_per_epoch"])
    if kind == "stack":
        raise ValueError("evaluate(): a stack is a batch; evaluate its schedules one by one")
    raise ValueError(f"evaluate(): unknown kind {kind!r}")
