"""``transformers.get_scheduler`` with lrcore schedules: same names, arguments and values.

Every transformers schedule is a ``LambdaLR`` multiplying each group's initial rate by a factor
of the step; here that factor is an lrcore schedule, so :func:`get_scheduler` returns an
``lrcore.torch.LambdaLR`` whose steps run in Rust and whose state dict carries the schedule.
transformers' quirks are kept: ``cosine`` and ``cosine_with_min_lr`` rise again after
``num_training_steps``, ``polynomial`` scales by ``optimizer.defaults["lr"]``,
``cosine_warmup_with_min_lr`` starts its warm-up at ``1 / num_warmup_steps`` and its decay one
step early, ``warmup_stable_decay`` warms up from ``min_lr_ratio``.

A cycle may last any real number of steps (``num_cycles`` need not divide the decay length):
lrcore's cosine and ``join`` take real lengths. Where a degenerate length makes transformers
divide by zero lrcore raises ValueError. A negative ``min_lr`` / ``min_lr_ratio`` is clipped at
0 where transformers clips (``max(0, factor)``) and nowhere else.

``greedy`` is transformers' own ``GreedyLR``: a metric-driven scheduler whose state is its
history, with no schedule for lrcore to compute, so :func:`get_scheduler` returns
``transformers.optimization.GreedyLR`` (transformers is imported only for that name).
"""

from __future__ import annotations

import math
import sys
import warnings
from typing import Any

from lrcore._optional import missing

try:
    from torch.optim import Optimizer
except ModuleNotFoundError as err:
    raise missing(__name__, err) from None

import lrcore as lr
from lrcore._core import Schedule
from lrcore.schedules import _with_steps
from lrcore.torch import LambdaLR, ReduceLROnPlateau

__all__ = ["SCHEDULER_NAMES", "get_scheduler"]

SCHEDULER_NAMES = (
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
    "reduce_lr_on_plateau",
    "cosine_with_min_lr",
    "cosine_warmup_with_min_lr",
    "warmup_stable_decay",
    "greedy",
)


def _with_warmup(warmup_steps: int, after: Schedule) -> Schedule:
    """transformers' warm-up, ``t / max(1, W)`` for ``t < W``, then ``after(t - W)``."""
    if warmup_steps == 0:
        return after
    return lr.join([lr.linear(0.0, 1.0, warmup_steps), after], [warmup_steps])


def _floored(s: Schedule, ratio: float) -> Schedule:
    """transformers' ``max(0, factor)``, which only bites where the floor ratio is negative."""
    return s.clip(0.0) if ratio < 0 else s


def _wave(top: float, bottom: float, length: int, num_cycles: float) -> Schedule:
    """``max(0, bottom + (top - bottom) * (1 + cos(2 pi num_cycles t / length)) / 2)`` for
    ever: a cosine down over half a period and back up, repeated."""
    half = length / (2 * num_cycles)
    down, up = lr.cosine(top, bottom, half), lr.cosine(bottom, top, half)
    return _floored(lr.restarts(lr.join([down, up], [half])), bottom)


def _decay_length(num_warmup_steps: int, num_training_steps: int) -> int:
    return max(1, num_training_steps - num_warmup_steps)


def _linear(num_warmup_steps: int, num_training_steps: int) -> Schedule:
    decay = num_training_steps - num_warmup_steps
    after = lr.linear(1.0, 0.0, decay) if decay > 0 else lr.constant(0.0)
    return _with_warmup(num_warmup_steps, after)


def _cosine(num_warmup_steps: int, num_training_steps: int, num_cycles: float = 0.5) -> Schedule:
    length = _decay_length(num_warmup_steps, num_training_steps)
    return _with_warmup(num_warmup_steps, _wave(1.0, 0.0, length, num_cycles))


def _disputed_steps(length: int, num_cycles: float, period: float) -> list[tuple[int, int]]:
    """The steps ``u < length`` whose cycle in transformers, ``floor(num_cycles * (u /
    length))``, is not lrcore's ``u // period`` (both roundings of the same real number, on
    opposite sides of a whole number at a cycle's first step), with transformers' cycle."""
    if 3 * num_cycles >= length:
        candidates: Any = range(length)
    else:  # only steps next to a cycle's start can differ
        starts = (math.ceil(k * period) for k in range(1, math.ceil(num_cycles) + 1))
        candidates = sorted({u for n in starts for u in (n - 1, n, n + 1) if 0 <= u < length})
    disputed = []
    for u in candidates:
        cycle = math.floor(num_cycles * (u / length))
        if cycle != u // period:
            disputed.append((u, cycle))
    return disputed


def _cosine_with_restarts(
    num_warmup_steps: int, num_training_steps: int, num_cycles: float = 1
) -> Schedule:
    """Cycles of ``length / num_cycles`` steps (``num_cycles`` may be any positive real: the
    last cycle is then cut short), then 0 from ``length`` on. Where a cycle starts on a whole
    step (``num_cycles`` divides ``k * length``) the rounding of ``length / num_cycles`` may
    put that step at the end of the previous cycle in lrcore and at the start of the next in
    transformers (or the reverse): such a step is a constant of transformers' cycle (with
    cycles a few steps long over a long run, a ``join`` of many parts: 10**6 steps in 3 * 10**5
    cycles hold about 10**5 such steps)."""
    length = _decay_length(num_warmup_steps, num_training_steps)
    period = length / num_cycles
    unit = lr.cosine(1.0, 0.0, period)
    disputed = _disputed_steps(length, num_cycles, period)
    cycles = _with_steps(
        lr.restarts(unit), {u: unit(max(0.0, u - cycle * period)) for u, cycle in disputed}
    )
    return _with_warmup(num_warmup_steps, lr.join([cycles, lr.constant(0.0)], [length]))


def _polynomial(
    num_warmup_steps: int,
    num_training_steps: int,
    lr_init: float,
    lr_end: float = 1e-7,
    power: float = 1.0,
) -> Schedule:
    if not lr_init > lr_end:
        raise ValueError(f"lr_end ({lr_end}) must be smaller than initial lr ({lr_init})")
    decay = num_training_steps - num_warmup_steps
    if decay == 0:
        raise ValueError(
            "get_scheduler(): polynomial needs num_training_steps != num_warmup_steps "
            f"(transformers divides by zero), got {num_training_steps} and {num_warmup_steps}"
        )
    if decay < 0:  # the warm-up outlasts training: lr_end from its end on
        after = lr.constant(lr_end / lr_init)
    else:
        after = lr.polynomial(lr_init, lr_end, decay, power) * (1.0 / lr_init)
    return _with_warmup(num_warmup_steps, after)


def _min_lr_rate(optimizer: Optimizer, min_lr: float | None, min_lr_rate: float | None) -> float:
    if min_lr is not None and min_lr_rate is not None:
        raise ValueError("Only one of min_lr or min_lr_rate should be set")
    if min_lr is not None:
        return float(min_lr / optimizer.defaults["lr"])
    if min_lr_rate is None:
        raise ValueError(
            "One of min_lr or min_lr_rate should be set through the `lr_scheduler_kwargs`"
        )
    return float(min_lr_rate)


def _cosine_with_min_lr(
    optimizer: Optimizer,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    min_lr: float | None = None,
    min_lr_rate: float | None = None,
) -> Schedule:
    floor = _min_lr_rate(optimizer, min_lr, min_lr_rate)
    length = _decay_length(num_warmup_steps, num_training_steps)
    return _with_warmup(num_warmup_steps, _wave(1.0, floor, length, num_cycles))


def _cosine_warmup_with_min_lr(
    optimizer: Optimizer,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    min_lr: float | None = None,
    min_lr_rate: float | None = None,
    warmup_lr_rate: float | None = None,
) -> Schedule:
    floor = _min_lr_rate(optimizer, min_lr, min_lr_rate)
    length = _decay_length(num_warmup_steps, num_training_steps)
    decay = _wave(1.0, floor, length, num_cycles)  # its clock starts at step W - 1
    if num_warmup_steps < 1:  # without a warm-up the cosine starts one step ahead
        return decay.shift(-1)
    last_warmup = num_warmup_steps - 1
    start = 1.0 / num_warmup_steps if warmup_lr_rate is None else float(warmup_lr_rate)
    if last_warmup >= 1:
        return lr.join([lr.linear(start, 1.0, last_warmup), decay], [last_warmup])
    # One warm-up step: its value, then the decay on the same clock.
    return decay + lr.piecewise_constant([1], [start - 1.0, 0.0])


def _warmup_stable_decay(
    num_warmup_steps: int,
    num_decay_steps: int,
    num_training_steps: int | None = None,
    num_stable_steps: int | None = None,
    warmup_type: str = "linear",
    decay_type: str = "cosine",
    min_lr_ratio: float = 0.0,
    num_cycles: float = 0.5,
) -> Schedule:
    if num_training_steps is None and num_stable_steps is None:
        raise ValueError("Either num_training_steps or num_stable_steps must be specified.")
    if num_training_steps is not None and num_stable_steps is not None:
        warnings.warn(
            "Both num_training_steps and num_stable_steps are specified. num_stable_steps will "
            "be used.",
            stacklevel=3,
        )
    if warmup_type not in ("linear", "cosine", "1-sqrt"):
        raise ValueError(
            f"Unknown warmup type: {warmup_type}, expected 'linear', 'cosine' or '1-sqrt'"
        )
    if decay_type not in ("linear", "cosine", "1-sqrt"):
        raise ValueError(
            f"Unknown decay type: {decay_type}, expected 'linear', 'cosine' or '1-sqrt'"
        )
    if num_stable_steps is None:
        assert num_training_steps is not None
        num_stable_steps = num_training_steps - num_warmup_steps - num_decay_steps
    m, warm, decay_len = float(min_lr_ratio), num_warmup_steps, num_decay_steps
    pieces: list[tuple[int, Schedule]] = []
    if warm > 0:
        warmup = {
            "linear": lr.linear(m, 1.0, warm),
            "cosine": lr.warmup(warm, lr.constant(1.0), start=m, shape="cosine"),
            # m + (1 - m) * (1 - sqrt(1 - p)) is (m - 1) * (1 - p) ** 0.5 + 1
            "1-sqrt": lr.polynomial(m, 1.0, warm, power=0.5),
        }[warmup_type]
        pieces.append((warm, _floored(warmup, m)))
    if num_stable_steps > 0:
        pieces.append((num_stable_steps, lr.constant(1.0)))
    # A negative stable length (num_training_steps < W + D) starts the decay that far into it.
    ahead = min(num_stable_steps, 0)
    if decay_len + ahead > 0:
        decay = {
            "linear": lr.linear(1.0, m, decay_len),
            "cosine": _wave(1.0, m, decay_len, num_cycles),
            "1-sqrt": lr.wsd(1.0, decay_len, 0, decay_len, final=m, decay="1-sqrt"),
        }[decay_type]
        decay = _floored(decay, m)
        pieces.append((decay_len + ahead, decay.shift(ahead) if ahead else decay))
    pieces.append((0, lr.constant(m)))
    boundaries, at = [], 0
    for length, _ in pieces[:-1]:
        at += length
        boundaries.append(at)
    return lr.join([s for _, s in pieces], boundaries)


def _greedy(optimizer: Optimizer, **kwargs: Any) -> Any:
    try:
        from transformers.optimization import GreedyLR
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "get_scheduler(): 'greedy' is transformers' GreedyLR: pip install transformers"
        ) from err
    return GreedyLR(optimizer, **kwargs)


def _layerwise(
    name: str,
    optimizer: Optimizer,
    num_warmup_steps: int | None,
    num_training_steps: int | None,
    scheduler_specific_kwargs: dict[str, Any] | None,
) -> Any:
    """transformers' layer-wise optimizers (GaLore's ``LayerWiseDummyOptimizer``), as
    transformers handles them: one lrcore scheduler per parameter's optimizer, stepped by a
    hook after that parameter's gradient is accumulated, behind transformers'
    ``LayerWiseDummyScheduler``. None for any other optimizer (one cannot be that class
    unless transformers is imported)."""
    module = sys.modules.get("transformers.trainer_pt_utils")
    if module is None or not isinstance(optimizer, module.LayerWiseDummyOptimizer):
        return None
    optimizers = optimizer.optimizer_dict
    for param, inner in optimizers.items():
        sched = get_scheduler(
            name, inner, num_warmup_steps, num_training_steps, scheduler_specific_kwargs
        )
        if param.requires_grad:
            param.register_post_accumulate_grad_hook(lambda _, sched=sched: sched.step())
    return module.LayerWiseDummyScheduler(optimizer_dict=optimizers, lr=optimizer.defaults["lr"])


def get_scheduler(
    name: str,
    optimizer: Optimizer,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    scheduler_specific_kwargs: dict[str, Any] | None = None,
) -> Any:
    """transformers' ``get_scheduler``: the same names, arguments, errors and values, as an
    ``lrcore.torch.LambdaLR`` whose factor is an lrcore schedule (``reduce_lr_on_plateau``
    gives ``lrcore.torch.ReduceLROnPlateau``, ``greedy`` transformers' own ``GreedyLR``; a
    layer-wise optimizer gets one per parameter, as in transformers).

    >>> import torch
    >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    >>> sched = get_scheduler("cosine", opt, num_warmup_steps=2, num_training_steps=10)
    >>> for _ in range(2):
    ...     opt.step()
    ...     sched.step()
    >>> sched.get_last_lr()
    [0.1]
    """
    name = getattr(name, "value", name)
    if name not in SCHEDULER_NAMES:
        raise ValueError(
            f"{name!r} is not a valid SchedulerType, please select one of {list(SCHEDULER_NAMES)}"
        )
    layerwise = _layerwise(
        name, optimizer, num_warmup_steps, num_training_steps, scheduler_specific_kwargs
    )
    if layerwise is not None:
        return layerwise
    kwargs = dict(scheduler_specific_kwargs or {})
    if name == "constant":
        return LambdaLR(optimizer, lr.constant(1.0))
    if name == "reduce_lr_on_plateau":
        return ReduceLROnPlateau(optimizer, **kwargs)
    if name == "greedy":
        return _greedy(optimizer, **kwargs)
    if num_warmup_steps is None:
        raise ValueError(f"{name} requires `num_warmup_steps`, please provide that argument.")
    factor: Schedule
    if name == "constant_with_warmup":
        factor = _with_warmup(num_warmup_steps, lr.constant(1.0))
    elif name == "inverse_sqrt":
        timescale = kwargs.pop("timescale", None)
        if timescale is None:  # transformers' default; one given may be any positive real
            timescale = num_warmup_steps or 10_000
        if kwargs:
            raise TypeError(f"inverse_sqrt got unexpected arguments {sorted(kwargs)}")
        factor = lr.inverse_sqrt(1.0, num_warmup_steps, timescale=timescale)
    elif name == "warmup_stable_decay":
        factor = _warmup_stable_decay(
            num_warmup_steps, num_training_steps=num_training_steps, **kwargs
        )
    else:
        if num_training_steps is None:
            raise ValueError(f"{name} requires `num_training_steps`, please provide that argument.")
        w, t = num_warmup_steps, num_training_steps
        if name == "linear":
            factor = _linear(w, t, **kwargs)
        elif name == "cosine":
            factor = _cosine(w, t, **kwargs)
        elif name == "cosine_with_restarts":
            factor = _cosine_with_restarts(w, t, **kwargs)
        elif name == "polynomial":
            factor = _polynomial(w, t, lr_init=optimizer.defaults["lr"], **kwargs)
        elif name == "cosine_with_min_lr":
            factor = _cosine_with_min_lr(optimizer, w, t, **kwargs)
        else:
            factor = _cosine_warmup_with_min_lr(optimizer, w, t, **kwargs)
    return LambdaLR(optimizer, factor)
