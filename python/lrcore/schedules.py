"""Schedule shapes and combinators.

Every function returns an immutable :class:`Schedule`. Steps count optimizer updates from 0;
``steps`` is the length of a segment, after which its end value holds. Any numeric parameter
may be a 1-D array of length B, which builds a batch of B schedules (``s(t)`` is then a (B,)
array and ``s.values(n)`` a (B, n) array). Bad arguments raise ValueError / TypeError naming
the function, the parameter, the rule and the value.

Schedules combine with ``+``, ``-``, ``*``, ``/`` (with numbers and with each other), unary
``-`` and the methods ``clip``, ``shift`` (negative ``n`` advances) and ``per_epoch``; ``repr``
writes that language and :func:`lrcore.parse` reads it.

Non-finite values: every parameter is finite and so is every value computed from them, with
two exceptions. A product with a zero factor is 0 even where the other factor overflowed
(``0 * inf`` is 0: ``step_decay(0.0, 2, gamma=2.0)`` is 0 at every step); an endless geometric
growth (``exp_decay``, ``step_decay``, ``multistep``, ``cyclic(mode="exp_range")`` with
``gamma > 1``, as torch allows, and unlimited ``restarts`` with ``decay > 1``) reaches ``inf``
at the step where ``gamma ** n`` leaves the float range, as in torch. Whatever else would
overflow is rejected when the schedule is built (ValueError): a span between two end values
that is not finite (``cosine(0.1, -1e308, 700)`` is accepted, ``cosine(1e308, -1e308, 10)`` is
not), an ``exponential`` ratio that is not, a zero constant denominator, a ``restarts`` limit at
which ``decay ** (limit - 1)`` overflows. A schedule divided by another that reaches 0 follows
IEEE division there.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any, Literal, Union

import numpy as np
import numpy.typing as npt

from lrcore._core import Schedule, build, from_json

__all__ = [
    "Schedule",
    "constant",
    "cosine",
    "cyclic",
    "exp_decay",
    "exponential",
    "from_dict",
    "inverse_sqrt",
    "join",
    "linear",
    "multistep",
    "noise",
    "one_cycle",
    "one_cycle_momentum",
    "piecewise_constant",
    "piecewise_linear",
    "polynomial",
    "restarts",
    "stack",
    "step_decay",
    "tanh",
    "warmup",
    "wsd",
]

#: A number, or a 1-D array of numbers for a batch.
Num = Union[float, Sequence[float], npt.NDArray[np.floating[Any]], npt.NDArray[np.integer[Any]]]
#: A step count, or a 1-D array of them for a batch.
Count = Union[int, Sequence[int], npt.NDArray[np.integer[Any]]]
#: A schedule, or a number standing for ``constant(number)``.
ScheduleLike = Union[Schedule, float]


def constant(value: Num) -> Schedule:
    """``value`` at every step.

    >>> constant(0.1)(1000)
    0.1
    """
    return build("constant", value)


def linear(start: Num, end: Num, steps: Count) -> Schedule:
    """Linear from ``start`` to ``end``: ``start + (end - start) * min(t, steps) / steps``.

    torch LinearLR is ``linear(base * start_factor, base * end_factor, total_iters)``.

    >>> linear(1.0, 0.0, 4).values(6).tolist()
    [1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    """
    return build("linear", start, end, steps)


def cosine(start: Num, end: Num, steps: Num, k: Num = 1.0) -> Schedule:
    """Cosine decay: ``end + (start - end) * (1 + cos(pi * t**k / steps**k)) / 2``, then ``end``.

    ``steps`` may be any positive real number (transformers' cycles of
    ``(num_training_steps - num_warmup_steps) / num_cycles`` steps); the end value holds from
    the first whole step at or after it (``total_steps = ceil(steps)``), and ``restarts``
    repeats it every ``steps`` steps exactly.

    ``k`` is timm's k-decay (k=1 is plain cosine). Unlike torch's CosineAnnealingLR, which
    rises again past ``T_max``, the end value holds; use :func:`restarts` to repeat.

    >>> cosine(1.0, 0.0, 4).values(6).round(4).tolist()
    [1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    """
    return build("cosine", start, end, steps, k)


def exponential(start: Num, end: Num, steps: Count) -> Schedule:
    """Geometric from ``start`` to ``end`` (both > 0):
    ``start * (end / start) ** (min(t, steps) / steps)``.

    >>> exponential(1.0, 0.01, 2).values(4).tolist()
    [1.0, 0.1, 0.01, 0.01]
    """
    return build("exponential", start, end, steps)


def tanh(start: Num, end: Num, steps: Num, lb: Num = -7.0, ub: Num = 3.0) -> Schedule:
    """timm's TanhLRScheduler (one cycle; :func:`restarts` repeats it): with ``r = t / steps``,
    ``end + (start - end) / 2 * (1 - tanh(lb * (1 - r) + ub * r))``, then ``end`` from ``steps``
    on (``lb < ub``, both within [-350, 350] and ``ub - lb <= 350``; the curve starts just below
    ``start`` and ends just above ``end``, as in timm, where ``start`` is the base rate and
    ``end`` is ``lr_min``). ``steps`` may be any positive real number.

    >>> tanh(1.0, 0.0, 4).values(5).round(4).tolist()
    [1.0, 0.9999, 0.982, 0.2689, 0.0]
    """
    return build("tanh", start, end, steps, lb, ub)


def exp_decay(start: Num, gamma: Num, every: Count = 1) -> Schedule:
    """``start * gamma ** (t // every)``, endless. torch ExponentialLR is ``every=1``.

    >>> exp_decay(1.0, 0.5, every=2).values(6).tolist()
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """
    return build("exp_decay", start, gamma, every)


def polynomial(start: Num, end: Num, steps: Count, power: Num = 1.0, k: Num = 1.0) -> Schedule:
    """``(start - end) * (1 - u**k / steps**k) ** power + end`` with ``u = min(t, steps)``
    (``(u / steps) ** k`` where ``steps**k`` overflows).

    torch PolynomialLR is ``polynomial(base, 0, total_iters, power)``; keras PolynomialDecay
    (without ``cycle``) is the same formula. ``k`` is timm's k-decay (its PolyLRScheduler's
    ``lr_min + (lr_max - lr_min) * (1 - t**k / t_i**k) ** power``); k=1 is the plain
    polynomial.

    >>> polynomial(1.0, 0.0, 4, power=2.0).values(6).tolist()
    [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    >>> polynomial(1.0, 0.0, 4, k=2.0).values(5).tolist()
    [1.0, 0.9375, 0.75, 0.4375, 0.0]
    """
    return build("polynomial", start, end, steps, power, k)


def step_decay(start: Num, step_size: Count, gamma: Num = 0.1) -> Schedule:
    """``start * gamma ** (t // step_size)``, endless (torch StepLR).

    >>> step_decay(1.0, 2, 0.5).values(6).tolist()
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """
    return build("step_decay", start, step_size, gamma)


def multistep(start: Num, milestones: Sequence[int], gamma: Num = 0.1) -> Schedule:
    """``start * gamma ** (number of milestones <= t)`` (torch MultiStepLR).

    ``milestones`` must be sorted; a repeated milestone multiplies by ``gamma`` once per copy,
    as in torch. The value after the last milestone holds.

    >>> multistep(1.0, [2, 4], 0.5).values(6).tolist()
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """
    return build("multistep", start, milestones, gamma)


def piecewise_constant(boundaries: Sequence[int], values: Sequence[float]) -> Schedule:
    """``values[i]`` on ``[boundaries[i-1], boundaries[i])``: one more value than boundaries,
    boundaries strictly increasing and positive.

    >>> piecewise_constant([2, 4], [1.0, 0.5, 0.25]).values(6).tolist()
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """
    return build("piecewise_constant", boundaries, values)


def piecewise_linear(points: Sequence[tuple[int, float]]) -> Schedule:
    """Linear interpolation through ``(step, value)`` points (steps strictly increasing);
    the first value holds before the first point and the last one after the last point.

    >>> piecewise_linear([(0, 0.0), (2, 1.0), (4, 0.5)]).values(6).tolist()
    [0.0, 0.5, 1.0, 0.75, 0.5, 0.5]
    """
    return build("piecewise_linear", points)


def inverse_sqrt(peak: Num, warmup_steps: Count, timescale: Num | None = None) -> Schedule:
    """transformers' inverse_sqrt: ``peak * t / W`` for ``t < W``, then
    ``peak / sqrt((t + timescale - W) / timescale)``; ``timescale`` defaults to ``W``, giving
    ``peak / sqrt(t / W)``, and must be given when ``W`` is 0. ``timescale`` may be any
    positive real number of steps (timm's ``stable_timescale`` in epochs times the updates per
    epoch); a whole number prints as an integer.

    >>> inverse_sqrt(1.0, 4).values(9).round(4).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0, 0.8944, 0.8165, 0.7559, 0.7071]
    >>> inverse_sqrt(1.0, 0, timescale=2.5)(7.5)
    0.5
    """
    return build("inverse_sqrt", peak, warmup_steps, timescale)


def cyclic(
    low: Num,
    high: Num,
    step_size_up: Num,
    step_size_down: Num | None = None,
    mode: Literal["triangular", "triangular2", "exp_range"] = "triangular",
    gamma: Num = 1.0,
) -> Schedule:
    """torch CyclicLR: a triangle from ``low`` up to ``high`` in ``step_size_up`` steps and back
    in ``step_size_down`` (default: ``step_size_up``), repeating for ever. Step sizes may be
    any positive real numbers.

    With ``x`` the position in the cycle, ``low + (high - low) * scale_factor(x) * scale``;
    ``scale`` is 1 (triangular), ``1 / 2 ** (cycle - 1)`` (triangular2) or ``gamma ** t``
    (exp_range). ``high < low`` gives the inverse cycle that torch uses for momentum.

    >>> cyclic(0.0, 1.0, 2).values(6).tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0, 0.5]
    >>> cyclic(0.0, 1.0, 2, mode="triangular2").values(9).tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0, 0.25, 0.5, 0.25, 0.0]
    """
    return build("cyclic", low, high, step_size_up, step_size_down, mode, gamma)


def one_cycle(
    max_lr: Num,
    total_steps: Count,
    pct_start: Num = 0.3,
    anneal: Literal["cos", "linear"] = "cos",
    div_factor: Num = 25.0,
    final_div_factor: Num = 1e4,
    three_phase: bool = False,
) -> Schedule:
    """torch OneCycleLR's learning rate. With ``initial = max_lr / div_factor`` and
    ``min = initial / final_div_factor``: ``initial -> max_lr`` until step ``pct_start * T - 1``,
    then ``max_lr -> min`` until ``T - 1`` (three phases: ``initial -> max_lr -> initial -> min``,
    the second ending at ``2 * pct_start * T - 2``). Each phase anneals by cosine,
    ``end + (start - end) / 2 * (cos(pi * pct) + 1)``, or linearly.

    Past ``T - 1`` the final value holds (torch extrapolates one step, then raises). Every phase
    must span at least one step and ``three_phase`` needs ``pct_start <= 0.5``: ValueError
    otherwise, where torch divides by zero or silently skips its third phase.

    >>> one_cycle(1.0, 10).values(10).round(4).tolist()
    [0.04, 0.52, 1.0, 0.9505, 0.8117, 0.6113, 0.3887, 0.1883, 0.0495, 0.0]
    """
    return build(
        "one_cycle",
        max_lr,
        total_steps,
        pct_start,
        anneal,
        div_factor,
        final_div_factor,
        three_phase,
    )


def one_cycle_momentum(
    total_steps: Count,
    base: Num = 0.85,
    max: Num = 0.95,
    pct_start: Num = 0.3,
    anneal: Literal["cos", "linear"] = "cos",
    three_phase: bool = False,
) -> Schedule:
    """The momentum cycle of torch OneCycleLR, inverse to :func:`one_cycle`'s learning rate:
    ``max -> base -> max`` (three phases: ``max -> base -> max -> max``), same phase ends and
    annealing.

    >>> one_cycle_momentum(10).values(10).round(4).tolist()
    [0.95, 0.9, 0.85, 0.855, 0.8688, 0.8889, 0.9111, 0.9312, 0.945, 0.95]
    """
    return build("one_cycle_momentum", total_steps, base, max, pct_start, anneal, three_phase)


def wsd(
    peak: Num,
    total_steps: Count,
    warmup_steps: Count,
    decay_steps: Count,
    final: Num = 0.0,
    decay: Literal["1-sqrt", "linear", "cosine", "power", "exp"] = "1-sqrt",
    power: Num = 1.0,
) -> Schedule:
    """Warmup-stable-decay, ``total_steps`` including the warm-up (transformers' convention):
    ``[0, W)`` linear from 0 to ``peak``; ``[W, T - D)`` ``peak``; ``[T - D, T)`` decay with
    ``f = (t - T + D) / D``: ``final + (peak - final) * g(f)`` where ``g`` is ``1 - sqrt(f)``,
    ``1 - f``, ``(1 + cos(pi f)) / 2`` or ``(1 - f) ** power``; ``exp`` is geometric,
    ``peak * (final / peak) ** f`` (both > 0). ``final`` from ``T`` on.

    >>> wsd(1.0, 10, 2, 4, decay="linear").values(11).tolist()
    [0.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0]
    >>> wsd(1.0, 10, 2, 4).values(11).round(4).tolist()
    [0.0, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.2929, 0.134, 0.0]
    """
    return build("wsd", peak, total_steps, warmup_steps, decay_steps, final, decay, power)


def warmup(
    steps: Count,
    then: ScheduleLike,
    start: Num = 0.0,
    shape: Literal["linear", "cosine", "exponential"] = "linear",
    prefix: bool = True,
) -> Schedule:
    """A warm-up of ``steps`` steps from ``start`` to ``v = then(0)``, then ``then`` with its
    clock starting at 0: ``then(t - steps)``. With ``prefix=False`` the warm-up overlaps
    ``then`` instead (timm's ``warmup_prefix=False``, its default for cosine, poly and tanh):
    ``then(t)`` from ``steps`` on, so ``then``'s first ``steps`` steps are replaced by the
    warm-up and the value jumps from ``v`` to ``then(steps)`` (timm's TanhLRScheduler aims its
    warm-up at ``then(steps)`` instead).

    linear: ``start + (v - start) * t / steps``; cosine:
    ``start + (v - start) * (1 - cos(pi * t / steps)) / 2``; exponential:
    ``start * (v / start) ** (t / steps)`` (needs ``start > 0``). Unlike torch's LinearLR, a
    warm-up may start at exactly 0.

    >>> warmup(2, constant(1.0)).values(4).tolist()
    [0.0, 0.5, 1.0, 1.0]
    >>> warmup(2, linear(1.0, 0.0, 2), start=0.5).values(5).tolist()
    [0.5, 0.75, 1.0, 0.5, 0.0]
    """
    return build("warmup", steps, then, start, shape, prefix)


def join(schedules: Sequence[ScheduleLike], boundaries: Sequence[float]) -> Schedule:
    """Schedule ``i`` runs on ``[boundaries[i-1], boundaries[i])`` with its own clock from 0
    (torch SequentialLR, optax join_schedules): at step ``t`` it is evaluated at
    ``t - boundaries[i-1]``. Boundaries strictly increasing and positive; they may be real
    numbers (a cycle of a real number of steps ends between two steps).

    >>> join([constant(1.0), linear(1.0, 0.0, 2)], [2]).values(5).tolist()
    [1.0, 1.0, 1.0, 0.5, 0.0]
    """
    return build("join", list(schedules), boundaries)


def restarts(
    schedule: ScheduleLike,
    mul: Num = 1.0,
    decay: Num = 1.0,
    limit: int | None = None,
    decay_mode: Literal["height", "peak"] = "height",
) -> Schedule:
    """Repeats a finite schedule (SGDR). Cycle ``i`` is stretched to ``L * mul ** i`` steps
    (``L`` the schedule's length, a real number where its cycle is, ``mul > 0``) and its
    height above the end value ``e`` is scaled by ``decay ** i``:
    ``e + decay**i * (schedule(tau / mul**i) - e)``. After ``limit`` cycles ``e`` holds.

    With ``mul < 1`` (timm's ``cycle_mul < 1``) the cycles shrink: cycle ``i`` starts at
    ``L * (1 - mul**i) / (1 - mul)``, and infinitely many of them end by the geometric limit
    ``L / (1 - mul)``. From there ``e`` holds, limit or not (where timm's cycle search takes
    the logarithm of a number <= 0 and raises), so such a schedule is finite even without a
    ``limit``: ``total_steps`` is ``ceil(L / (1 - mul))``.

    ``decay_mode="peak"`` scales the peak ``p = schedule(0)`` instead (``p = start`` for a
    :func:`tanh`, whose curve begins just below it), the end value fixed:
    ``e + (decay**i * p - e) / (p - e) * (schedule(tau / mul**i) - e)`` — timm's
    ``cycle_decay`` (``lr_max = base * cycle_decay**i``, ``lr_min`` unchanged). The two agree
    where ``e`` is 0.

    torch CosineAnnealingWarmRestarts is ``restarts(cosine(base, eta_min, T_0), mul=T_mult)``;
    timm's CosineLRScheduler is ``restarts(cosine(base, lr_min, t_initial, k), mul=cycle_mul,
    decay=cycle_decay, limit=cycle_limit, decay_mode="peak")`` (cycles of a real number of
    steps where ``cycle_mul`` makes them), but for a whole step where a cycle starts and
    timm's log-based cycle search rounds to the previous cycle (``lrcore.timm`` holds timm's
    value there). Finding the cycle of a step takes a bounded number of
    operations for every ``mul`` (up to the largest float) and step.

    >>> restarts(linear(1.0, 0.0, 2)).values(6).tolist()
    [1.0, 0.5, 1.0, 0.5, 1.0, 0.5]
    >>> restarts(linear(1.0, 0.0, 2), mul=2.0, decay=0.5).values(8).tolist()
    [1.0, 0.5, 0.5, 0.375, 0.25, 0.125, 0.25, 0.21875]
    >>> shrinking = restarts(linear(1.0, 0.0, 4), mul=0.5)
    >>> shrinking.total_steps, shrinking.values(10).tolist()
    (8, [1.0, 0.75, 0.5, 0.25, 1.0, 0.5, 1.0, 1.0, 0.0, 0.0])
    """
    return build("restarts", schedule, mul, decay, limit, decay_mode)


def noise(
    schedule: ScheduleLike,
    pct: Num = 0.67,
    std: Num = 1.0,
    seed: int = 42,
    start: int = 0,
    end: int | None = None,
) -> Schedule:
    """timm's deterministic LR noise: ``v + v * n`` on steps ``start <= t < end``, where ``n`` is
    a normal draw with deviation ``std`` redrawn until ``|n| < pct``.

    ``n`` depends only on ``(seed, floor(t))`` — any step can be evaluated alone, and values
    repeat across runs and machines (IEEE-only ``ln``, ``cos`` and ``sin``, no platform maths)
    — but it comes from lrcore's own counter-based generator (splitmix64 with Box-Muller, both
    of a pair's normals used in turn), not torch's, so the draws differ from timm's.
    ``pct / std`` must be at least 0.01 so that a draw is always found quickly.

    >>> s = noise(constant(1.0), pct=0.5, seed=0)
    >>> v = s.values(1000)
    >>> bool(abs(v - 1.0).max() < 0.5), bool((v != 1.0).all())
    (True, True)
    >>> s(7) == noise(constant(1.0), pct=0.5, seed=0)(7)
    True
    """
    return build("noise", schedule, pct, std, seed, start, end)


def stack(schedules: Sequence[ScheduleLike]) -> Schedule:
    """A batch of the given schedules: ``s(t)`` is a (B,) array, ``s.values(n)`` (B, n).

    >>> stack([constant(1.0), linear(1.0, 0.0, 2)])(1).tolist()
    [1.0, 0.5]
    >>> stack([constant(1.0), linear(1.0, 0.0, 2)]).values(3).tolist()
    [[1.0, 1.0, 1.0], [1.0, 0.5, 0.0]]
    """
    return build("stack", list(schedules))


def from_dict(data: dict[str, Any]) -> Schedule:
    """Rebuilds a schedule from :meth:`Schedule.to_dict`, checking it like any call.

    numpy scalars and arrays count as the numbers they hold; NaN and infinities are refused,
    as the JSON form has none.

    >>> d = cosine(1.0, 0.0, 10).to_dict()
    >>> d
    {'kind': 'cosine', 'start': 1.0, 'end': 0.0, 'steps': 10, 'k': 1.0}
    >>> from_dict(d)
    cosine(1.0, 0.0, 10)
    """
    if not isinstance(data, dict):
        raise TypeError(
            f"from_dict(): data must be a dict (as Schedule.to_dict() gives), "
            f"got an object of type '{type(data).__name__}'"
        )
    return from_json(json.dumps(_json_value(data, "data", 0), allow_nan=False))


_MAX_DICT_DEPTH = 256
"""Deepest nesting ``from_dict`` follows; the loader's own limit is far below it."""


def _json_value(x: object, key: str, depth: int) -> Any:
    """``x`` as plain JSON values for :func:`from_dict`; ``key`` names it in errors."""
    if depth > _MAX_DICT_DEPTH:
        raise ValueError(
            f"from_dict(): data must be at most {_MAX_DICT_DEPTH} levels deep, got deeper"
        )
    if isinstance(x, (np.generic, np.ndarray)):
        x = x.tolist()
    if isinstance(x, dict):
        return {k: _json_value(v, str(k), depth + 1) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_value(v, key, depth + 1) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        raise ValueError(f"from_dict(): {key} must be a finite number, got {x!r}")
    if x is None or isinstance(x, (str, int, float)):
        return x
    raise TypeError(
        f"from_dict(): {key} must be a number, string, bool, None, list or dict, "
        f"got an object of type '{type(x).__name__}'"
    )


def _with_steps(schedule: Schedule, values: dict[int, float]) -> Schedule:
    """``schedule`` with the value at each whole step ``u`` of ``values`` replaced: a ``join``
    of ``schedule``, a constant for each such step and ``schedule`` again after it (the presets'
    way to take a peer's side where its rounding and lrcore's fall on opposite sides of a
    cycle's start)."""
    after: dict[float, Schedule] = {}  # what runs from each boundary on; later entries win
    for u in sorted(values):
        after[u] = constant(values[u])
        after[u + 1] = schedule.shift(-(u + 1))
    if not after:
        return schedule
    boundaries = sorted(after)
    return join([schedule, *(after[b] for b in boundaries)], boundaries)
