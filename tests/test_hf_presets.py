"""``lrcore.hf.get_scheduler`` against ``transformers.get_scheduler`` (issue 17 item 1): every
name of transformers' ``SchedulerType``, random argument sets (hypothesis) including
non-integral cycles, a negative stable phase and no warm-up, two param groups, and the rate of
every step within 1e-12 relative to the larger of the value and the peak rate: values well
below the peak keep the peak's rounding, and cycles shorter than a step, hundreds of times
over (``num_training_steps`` at or below ``num_warmup_steps``), lose a few ulps of phase per
cycle (``t - i * period``, against transformers' ``2 pi num_cycles t / length``)."""

from __future__ import annotations

import warnings
from typing import Any

import lrcore.hf
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

transformers = pytest.importorskip("transformers")

PEAK = 0.1
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

warmups = st.integers(0, 30)
totals = st.integers(1, 90)
cycles = st.one_of(st.floats(0.05, 6.0), st.integers(1, 6))
ratios = st.floats(0.0, 0.95)


def _opt() -> torch.optim.Optimizer:
    groups = [
        {"params": [torch.nn.Parameter(torch.zeros(1))]},
        {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.03},
    ]
    return torch.optim.SGD(groups, lr=PEAK)


def _lrs(get_scheduler: Any, name: str, args: tuple[Any, ...], metrics: list[float]) -> Any:
    opt = _opt()
    sched = get_scheduler(name, opt, *args)
    out = []
    for m in metrics:
        out.append([float(g["lr"]) for g in opt.param_groups])
        opt.step()
        sched.step(m) if name in ("reduce_lr_on_plateau", "greedy") else sched.step()
    return out, sched


def _check(name: str, warmup: int | None, total: int | None, kwargs: Any, n: int) -> Any:
    metrics = [1.0 / (1 + (t % 7)) + 0.01 * t for t in range(n)]
    args = (warmup, total, kwargs)
    theirs, _ = _lrs(transformers.get_scheduler, name, args, metrics)
    ours, sched = _lrs(lrcore.hf.get_scheduler, name, args, metrics)
    for t, (a, b) in enumerate(zip(ours, theirs)):
        for g, (x, y) in enumerate(zip(a, b)):
            assert abs(x - y) <= 1e-12 * max(abs(y), PEAK), f"{name} step {t} group {g}"
    return sched


def test_every_scheduler_type_is_a_name() -> None:
    names = {s.value for s in transformers.SchedulerType}
    assert set(lrcore.hf.SCHEDULER_NAMES) == names


@SETTINGS
@given(warmup=warmups, total=totals)
def test_linear(warmup: int, total: int) -> None:
    _check("linear", warmup, total, None, warmup + total + 10)


def _training_steps(warmup: int, total: int, short: bool) -> int:
    """``warmup + total``, or (``short``) fewer steps than the warm-up."""
    return warmup - 1 - total % warmup if short and warmup else warmup + total


@SETTINGS
@given(warmup=warmups, total=totals, num_cycles=cycles, short=st.booleans())
def test_cosine(warmup: int, total: int, num_cycles: float, short: bool) -> None:
    t = _training_steps(warmup, total, short)
    _check("cosine", warmup, t, {"num_cycles": num_cycles}, warmup + total + 20)


@SETTINGS
@given(warmup=warmups, total=totals, num_cycles=cycles, short=st.booleans())
def test_cosine_with_restarts(warmup: int, total: int, num_cycles: float, short: bool) -> None:
    t = _training_steps(warmup, total, short)
    _check("cosine_with_restarts", warmup, t, {"num_cycles": num_cycles}, warmup + total + 20)


@SETTINGS
@given(
    warmup=warmups,
    total=totals,
    lr_end=st.floats(0.0, 0.09),
    power=st.floats(0.1, 4.0),
    short=st.booleans(),
)
def test_polynomial(warmup: int, total: int, lr_end: float, power: float, short: bool) -> None:
    kwargs = {"lr_end": lr_end, "power": power}
    t = _training_steps(warmup, total, short)
    _check("polynomial", warmup, t, kwargs, warmup + total + 10)


@SETTINGS
@given(warmup=warmups)
def test_constant_and_constant_with_warmup(warmup: int) -> None:
    _check("constant", None, None, None, 20)
    _check("constant_with_warmup", warmup, None, None, warmup + 20)


@SETTINGS
@given(
    warmup=warmups,
    timescale=st.one_of(st.none(), st.integers(1, 60), st.floats(0.05, 60.0)),
)
def test_inverse_sqrt(warmup: int, timescale: float | None) -> None:
    kwargs = None if timescale is None else {"timescale": timescale}
    _check("inverse_sqrt", warmup, None, kwargs, warmup + 60)


@SETTINGS
@given(
    mode=st.sampled_from(["min", "max"]),
    factor=st.floats(0.05, 0.9),
    patience=st.integers(0, 4),
    cooldown=st.integers(0, 3),
    min_lr=st.sampled_from([0.0, 0.01]),
)
def test_reduce_lr_on_plateau(
    mode: str, factor: float, patience: int, cooldown: int, min_lr: float
) -> None:
    kwargs = {
        "mode": mode,
        "factor": factor,
        "patience": patience,
        "cooldown": cooldown,
        "min_lr": min_lr,
    }
    _check("reduce_lr_on_plateau", None, None, kwargs, 60)


@SETTINGS
@given(
    warmup=warmups,
    total=totals,
    num_cycles=cycles,
    rate=ratios,
    absolute=st.booleans(),
    short=st.booleans(),
)
def test_cosine_with_min_lr(
    warmup: int, total: int, num_cycles: float, rate: float, absolute: bool, short: bool
) -> None:
    kwargs: dict[str, Any] = {"num_cycles": num_cycles}
    kwargs.update({"min_lr": rate * PEAK} if absolute else {"min_lr_rate": rate})
    # short: num_training_steps below num_warmup_steps (transformers' max(1, T - W))
    t = max(warmup - total, 0) if short else warmup + total
    _check("cosine_with_min_lr", warmup, t, kwargs, warmup + total + 20)


@SETTINGS
@given(
    warmup=warmups,
    total=totals,
    num_cycles=cycles,
    rate=ratios,
    warmup_lr_rate=st.one_of(st.none(), st.floats(0.0, 0.9)),
)
def test_cosine_warmup_with_min_lr(
    warmup: int, total: int, num_cycles: float, rate: float, warmup_lr_rate: float | None
) -> None:
    kwargs: dict[str, Any] = {"num_cycles": num_cycles, "min_lr_rate": rate}
    if warmup_lr_rate is not None:
        kwargs["warmup_lr_rate"] = warmup_lr_rate
    _check("cosine_warmup_with_min_lr", warmup, warmup + total, kwargs, warmup + total + 20)


@SETTINGS
@given(
    warmup=warmups,
    decay=st.integers(0, 40),
    stable=st.integers(-20, 40),
    by_total=st.booleans(),
    warmup_type=st.sampled_from(["linear", "cosine", "1-sqrt"]),
    decay_type=st.sampled_from(["linear", "cosine", "1-sqrt"]),
    ratio=ratios,
    num_cycles=cycles,
)
def test_warmup_stable_decay(
    warmup: int,
    decay: int,
    stable: int,
    by_total: bool,
    warmup_type: str,
    decay_type: str,
    ratio: float,
    num_cycles: float,
) -> None:
    kwargs: dict[str, Any] = {
        "num_decay_steps": decay,
        "warmup_type": warmup_type,
        "decay_type": decay_type,
        "min_lr_ratio": ratio,
        "num_cycles": num_cycles,
    }
    total = None
    if by_total:
        total = warmup + stable + decay
    else:
        kwargs["num_stable_steps"] = stable
    _check("warmup_stable_decay", warmup, total, kwargs, warmup + max(stable, 0) + decay + 10)


def test_negative_min_lr_is_clipped_where_transformers_clips() -> None:
    _check("cosine_with_min_lr", 3, 40, {"min_lr_rate": -0.5, "num_cycles": 1.5}, 50)
    wsd = {"num_decay_steps": 10, "min_lr_ratio": -0.3, "decay_type": "linear"}
    _check("warmup_stable_decay", 5, 30, wsd, 40)


def test_greedy_is_transformers_own() -> None:
    sched = _check("greedy", None, None, {"patience": 2, "smooth": True}, 60)
    assert isinstance(sched, transformers.optimization.GreedyLR)


def _layerwise_lrs(get_scheduler: Any, n: int) -> tuple[list[list[float]], Any]:
    from transformers.trainer_pt_utils import LayerWiseDummyOptimizer

    # one parameter: with two, transformers' LayerWiseDummyScheduler returns two rates for its
    # dummy optimizer's one group, which torch's strict zip refuses (torch 2.15)
    params = [torch.nn.Parameter(torch.ones(2))]
    inner = {p: torch.optim.SGD([p], lr=PEAK) for p in params}
    sched = get_scheduler("cosine", LayerWiseDummyOptimizer(inner, lr=PEAK), 3, 20)
    out = []
    for _ in range(n):
        out.append([float(o.param_groups[0]["lr"]) for o in inner.values()])
        sum((p * p).sum() for p in params).backward()  # each gradient's hook steps its scheduler
    return out, sched


def test_layerwise_optimizer_as_transformers() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: a scheduler stepped with no optimizer step
        theirs, _ = _layerwise_lrs(transformers.get_scheduler, 25)
        ours, sched = _layerwise_lrs(lrcore.hf.get_scheduler, 25)
    assert isinstance(sched, transformers.trainer_pt_utils.LayerWiseDummyScheduler)
    for a, b in zip(ours, theirs, strict=True):
        assert all(abs(x - y) <= 1e-12 * PEAK for x, y in zip(a, b)), (a, b)
    assert ours[5] != ours[4]
