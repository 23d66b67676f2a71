"""Differential and resume tests: ``lrcore.torch`` drop-ins against the real
``torch.optim.lr_scheduler`` classes.

Every case is a class name plus its arguments; the same arguments build torch's class (on one
optimizer) and lrcore's (on an identical one), and both are driven with ``optimizer.step();
scheduler.step()``. At every step the learning rate, momentum and Adam ``betas[0]`` of every
param group, ``get_last_lr()``, ``last_epoch``, ``base_lrs`` and ``initial_lr`` must agree.
SequentialLR / ChainedScheduler get torch children on the torch side and lrcore children with the
same arguments on ours. Deliberate deviations (documented in lrcore/torch.py) are avoided in the
random arguments and tested where they are declared.

Resume tests run N steps uninterrupted and compare, with ``==``, a run interrupted after k steps
and continued from its state dicts (loaded in either order, the scheduler's alone, or through
the ``last_epoch`` constructor argument), and a run continued from torch's own state dicts.
"""

from __future__ import annotations

import copy
import io
import math
import pickle
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

import lrcore as lr
import lrcore.torch as lt
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as ts

# Tolerances (SPEC 3: closed form within 1e-12 relative; 1e-15 x peak absolute near 0).
REL, ABS = 1e-12, 1e-15

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))

ORDER_WARNING = r"Detected call of `lr_scheduler\.step\(\)` before `optimizer\.step\(\)`"
EPOCH_WARNING = r"The epoch parameter in `scheduler\.step\(\)` was not necessary"

# ------------------------------------------------------------------------------------------
# Functions given to LambdaLR / MultiplicativeLR / CyclicLR(scale_fn), by name so that a
# hypothesis example prints readably.

LAMBDAS: dict[str, Callable[[int], float]] = {
    "exp": lambda t: 0.97**t,
    "inv": lambda t: 1.0 / (1.0 + 0.1 * t),
    "warm": lambda t: min(1.0, (t + 1) / 8) * 0.99 ** max(0, t - 8),
}
FACTORS: dict[str, Callable[[int], float]] = {
    "const": lambda t: 0.95,
    "saw": lambda t: 1.0 - 0.02 * (t % 4),
    "grow": lambda t: 1.01,
}
SCALE_FNS: dict[str, Callable[[float], float]] = {
    "halving": lambda x: 1 / (2.0 ** (x - 1)),
    "inv": lambda x: 1 / (1 + 0.05 * x),
    "one": lambda x: 1.0,
}
SCHEDULES: dict[str, lr.Schedule] = {
    "warm_cos": lr.warmup(5, lr.cosine(1.0, 0.1, 40)),
    "exp": lr.exp_decay(1.0, 0.97),
    "linear": lr.linear(0.2, 1.0, 10),
}


@dataclass(frozen=True)
class Fn:
    """A named callable argument: ``kind`` is lambda/factor/scale/schedule."""

    kind: str
    name: str

    def for_torch(self) -> Any:
        if self.kind == "schedule":
            s = SCHEDULES[self.name]
            return lambda t: s(t)
        return {"lambda": LAMBDAS, "factor": FACTORS, "scale": SCALE_FNS}[self.kind][self.name]

    def for_ours(self) -> Any:
        if self.kind == "schedule":
            return SCHEDULES[self.name]
        return self.for_torch()


@dataclass(frozen=True)
class Child:
    name: str
    args: tuple[tuple[str, Any], ...]


@dataclass
class Case:
    """A scheduler class and its arguments (children for the composites)."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)
    children: list[Child] = field(default_factory=list)
    n: int = 40
    metrics: list[float] | None = None

    def peak(self, lrs: list[float]) -> float:
        keys = ("max_lr", "base_lr")
        values = [abs(x) for x in lrs]
        for key in keys:
            v = self.args.get(key)
            if v is not None:
                values += [abs(x) for x in (v if isinstance(v, list) else [v])]
        return max(values)


def _resolve(value: Any, side: str) -> Any:
    if isinstance(value, Fn):
        return value.for_torch() if side == "torch" else value.for_ours()
    if isinstance(value, list) and value and isinstance(value[0], Fn):
        return [_resolve(v, side) for v in value]
    return value


def _build_one(module: Any, name: str, opt: torch.optim.Optimizer, args: dict[str, Any], side: str):
    kwargs = {k: _resolve(v, side) for k, v in args.items()}
    return getattr(module, name)(opt, **kwargs)


def build(case: Case, opt: torch.optim.Optimizer, side: str, last_epoch: int | None = None) -> Any:
    """torch's (``side="torch"``) or lrcore's scheduler for ``case`` on ``opt``."""
    module = ts if side == "torch" else lt
    args = dict(case.args)
    if last_epoch is not None:
        args["last_epoch"] = last_epoch
    if case.name in ("SequentialLR", "ChainedScheduler"):
        kids = [_build_one(module, c.name, opt, dict(c.args), side) for c in case.children]
        if case.name == "ChainedScheduler":
            return module.ChainedScheduler(kids)
        if side == "ours" and case.args.get("plateau"):
            kids.append(lt.ReduceLROnPlateau(opt, **case.args["plateau"]))
        args = {k: v for k, v in args.items() if k != "plateau"}
        return module.SequentialLR(opt, kids, **args)
    return _build_one(module, case.name, opt, args, side)


# ------------------------------------------------------------------------------------------
# Optimizers


@dataclass(frozen=True)
class Setup:
    lrs: tuple[float, ...]
    opt: str  # "sgd" (momentum) or "adam" (betas[0])
    tensor: bool


def make_opt(setup: Setup, dtype: torch.dtype = torch.float64) -> torch.optim.Optimizer:
    torch.manual_seed(0)
    groups: list[dict[str, Any]] = []
    for i, value in enumerate(setup.lrs):
        lr_value: Any = torch.tensor(value, dtype=dtype) if setup.tensor else value
        groups.append({"params": [torch.nn.Parameter(torch.randn(2 + i))], "lr": lr_value})
    first = groups[0]["lr"]
    if setup.opt == "sgd":
        return torch.optim.SGD(groups, lr=first, momentum=0.9)
    if setup.opt == "adam":
        return torch.optim.Adam(groups, lr=first, betas=(0.9, 0.999), foreach=False)
    if setup.opt == "adagrad":
        return torch.optim.Adagrad(groups, lr=first)
    raise ValueError(setup.opt)


@contextmanager
def quiet_torch() -> Iterator[None]:
    """torch's own warnings are not under test (pytest turns warnings into errors)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _momentum(group: dict[str, Any]) -> float | None:
    if "momentum" in group:
        return float(group["momentum"])
    if "betas" in group:
        return float(group["betas"][0])
    return None


@dataclass
class Record:
    lrs: list[float]
    momenta: list[float | None]
    last_lr: list[float]
    last_epoch: int | None


def snapshot(opt: torch.optim.Optimizer, sched: Any) -> Record:
    return Record(
        [float(g["lr"]) for g in opt.param_groups],
        [_momentum(g) for g in opt.param_groups],
        [float(v) for v in sched.get_last_lr()],
        getattr(sched, "last_epoch", None),
    )


def advance(opt: torch.optim.Optimizer, sched: Any, case: Case, t: int) -> None:
    """One training step: ``optimizer.step()`` then ``scheduler.step()`` (with step t+1's
    metric for ReduceLROnPlateau and a plateau-ending SequentialLR)."""
    opt.step()
    if case.metrics is not None:
        sched.step(case.metrics[t])
    else:
        sched.step()


def drive(
    case: Case, opt: torch.optim.Optimizer, sched: Any, start: int, stop: int
) -> list[Record]:
    out = [snapshot(opt, sched)]
    for t in range(start, stop):
        advance(opt, sched, case, t)
        out.append(snapshot(opt, sched))
    return out


def close(a: float, b: float, peak: float) -> bool:
    return abs(a - b) <= REL * max(abs(a), abs(b)) + ABS * peak


def assert_close_lists(ours: list[float], theirs: list[float], peak: float, what: str) -> None:
    assert len(ours) == len(theirs), what
    for g, (a, b) in enumerate(zip(ours, theirs)):
        assert close(a, b, peak), f"{what}, group {g}: lrcore {a!r} vs torch {b!r}"


def compare_runs(case: Case, setup: Setup) -> None:
    """The differential check: both schedulers, every step, every observable."""
    opt_t, opt_o = make_opt(setup), make_opt(setup)
    with quiet_torch():
        sched_t = build(case, opt_t, "torch")
    sched_o = build(case, opt_o, "ours")
    originals = [g["lr"] for g in opt_o.param_groups]
    assert isinstance(sched_o, ts.LRScheduler)
    peak = case.peak(list(setup.lrs))
    for t in range(case.n + 1):
        if t:
            with quiet_torch():
                advance(opt_t, sched_t, case, t - 1)
            advance(opt_o, sched_o, case, t - 1)
        rt, ro = snapshot(opt_t, sched_t), snapshot(opt_o, sched_o)
        assert_close_lists(ro.lrs, rt.lrs, peak, f"lr at step {t}")
        assert_close_lists(ro.last_lr, rt.last_lr, peak, f"get_last_lr() at step {t}")
        for g, (a, b) in enumerate(zip(ro.momenta, rt.momenta)):
            assert (a is None) == (b is None)
            if a is not None and b is not None:
                assert close(a, b, 1.0), f"momentum at step {t}, group {g}: {a!r} vs {b!r}"
        if hasattr(sched_t, "last_epoch"):
            assert ro.last_epoch == rt.last_epoch, f"last_epoch at step {t}"
    if hasattr(sched_t, "base_lrs"):
        assert_close_lists(
            [float(b) for b in sched_o.base_lrs],
            [float(b) for b in sched_t.base_lrs],
            peak,
            "base_lrs",
        )
    for g, (go, gt) in enumerate(zip(opt_o.param_groups, opt_t.param_groups)):
        assert ("initial_lr" in go) == ("initial_lr" in gt), f"initial_lr in group {g}"
        if "initial_lr" in gt:
            assert close(float(go["initial_lr"]), float(gt["initial_lr"]), peak)
        if "betas" in gt:
            assert go["betas"][1:] == gt["betas"][1:]
    if setup.tensor:
        for g, original in zip(opt_o.param_groups, originals):
            assert g["lr"] is original, "a Tensor lr must be updated in place"
        assert all(isinstance(v, torch.Tensor) for v in sched_o.get_last_lr())


# ------------------------------------------------------------------------------------------
# Strategies

positive_lr = st.floats(min_value=1e-3, max_value=1.0)
setups = st.builds(
    Setup,
    lrs=st.lists(positive_lr, min_size=1, max_size=3).map(tuple),
    opt=st.sampled_from(["sgd", "adam"]),
    tensor=st.booleans(),
)


def _per_group(draw: Any, n_groups: int, values: st.SearchStrategy[float]) -> Any:
    """A scalar, or a list with one value per group."""
    if draw(st.booleans()):
        return draw(values)
    return [draw(values) for _ in range(n_groups)]


@st.composite
def cases(draw: Any, name: str, n_groups: int) -> Case:
    ints = st.integers
    if name == "StepLR":
        args = {"step_size": draw(ints(1, 15)), "gamma": draw(st.floats(0.05, 1.5))}
        return Case(name, args, n=60)
    if name == "MultiStepLR":
        milestones = draw(st.lists(ints(0, 40), max_size=5))
        return Case(name, {"milestones": milestones, "gamma": draw(st.floats(0.05, 1.5))}, n=50)
    if name == "ConstantLR":
        args = {"factor": draw(st.floats(0.01, 1.0)), "total_iters": draw(ints(1, 20))}
        return Case(name, args, n=30)
    if name == "LinearLR":
        args = {
            "start_factor": draw(st.floats(0.01, 1.0)),
            "end_factor": draw(st.floats(0.0, 1.0)),
            "total_iters": draw(ints(1, 30)),
        }
        return Case(name, args, n=40)
    if name == "ExponentialLR":
        return Case(name, {"gamma": draw(st.floats(0.8, 1.05))}, n=60)
    if name == "PolynomialLR":
        args = {"total_iters": draw(ints(1, 30)), "power": draw(st.floats(0.1, 3.0))}
        return Case(name, args, n=40)
    if name == "CosineAnnealingLR":
        t_max = draw(ints(1, 25))
        eta = draw(st.sampled_from([0.0, 1e-4]) | st.floats(0.0, 0.05))
        # 4.5 periods: torch's schedule is periodic (period 2 T_max) past T_max.
        return Case(name, {"T_max": t_max, "eta_min": eta}, n=int(4.5 * t_max) + 3)
    if name == "CosineAnnealingWarmRestarts":
        args = {
            "T_0": draw(ints(1, 12)),
            "T_mult": draw(ints(1, 3)),
            "eta_min": draw(st.sampled_from([0.0, 1e-4])),
        }
        return Case(name, args, n=80)
    if name == "CyclicLR":
        base = _per_group(draw, n_groups, st.floats(1e-4, 0.05))
        top = _per_group(draw, n_groups, st.floats(0.06, 1.0))
        mode = draw(st.sampled_from(["triangular", "triangular2", "exp_range"]))
        args: dict[str, Any] = {
            "base_lr": base,
            "max_lr": top,
            "step_size_up": draw(ints(1, 10)),
            "step_size_down": draw(st.none() | ints(1, 10)),
            "mode": mode,
            "gamma": draw(st.floats(0.8, 1.0)),
            "cycle_momentum": draw(st.booleans()),
            "base_momentum": _per_group(draw, n_groups, st.floats(0.5, 0.85)),
            "max_momentum": _per_group(draw, n_groups, st.floats(0.86, 0.99)),
        }
        if draw(st.booleans()):
            args["scale_fn"] = Fn("scale", draw(st.sampled_from(sorted(SCALE_FNS))))
            args["scale_mode"] = draw(st.sampled_from(["cycle", "iterations"]))
        return Case(name, args, n=60)
    if name == "OneCycleLR":
        args = {
            "max_lr": _per_group(draw, n_groups, st.floats(1e-3, 1.0)),
            "pct_start": draw(st.floats(0.05, 0.95)),
            "anneal_strategy": draw(st.sampled_from(["cos", "linear"])),
            "three_phase": draw(st.booleans()),
            "cycle_momentum": draw(st.booleans()),
            "base_momentum": _per_group(draw, n_groups, st.floats(0.5, 0.85)),
            "max_momentum": _per_group(draw, n_groups, st.floats(0.86, 0.99)),
            "div_factor": draw(st.floats(2.0, 50.0)),
            "final_div_factor": draw(st.floats(10.0, 1e4)),
        }
        if draw(st.booleans()):
            total = draw(ints(5, 150))
            args["total_steps"] = total
        else:
            args["epochs"], args["steps_per_epoch"] = draw(ints(1, 5)), draw(ints(2, 30))
            total = args["epochs"] * args["steps_per_epoch"]
        pct = args["pct_start"]
        # Phases of non-zero width only (torch divides by zero otherwise, lrcore raises).
        assume(pct * total - 1 > 0 and total * (1 - pct) > 0)
        if args["three_phase"]:
            assume(pct <= 0.5 and total + 1 - 2 * pct * total > 0)
        # Step total_steps is a declared deviation (lrcore holds the final value).
        return Case(name, args, n=total - 1)
    if name == "LambdaLR":
        kind = draw(st.sampled_from(["function", "schedule", "list"]))
        if kind == "function":
            fn: Any = Fn("lambda", draw(st.sampled_from(sorted(LAMBDAS))))
        elif kind == "schedule":
            fn = Fn("schedule", draw(st.sampled_from(sorted(SCHEDULES))))
        else:
            pool = [Fn("lambda", k) for k in LAMBDAS] + [Fn("schedule", k) for k in SCHEDULES]
            fn = [draw(st.sampled_from(pool)) for _ in range(n_groups)]
        return Case(name, {"lr_lambda": fn}, n=50)
    if name == "MultiplicativeLR":
        if draw(st.booleans()):
            fn = Fn("factor", draw(st.sampled_from(sorted(FACTORS))))
        else:
            fn = [Fn("factor", draw(st.sampled_from(sorted(FACTORS)))) for _ in range(n_groups)]
        return Case(name, {"lr_lambda": fn}, n=40)
    if name == "SequentialLR":
        k = draw(ints(2, 3))
        kids = [draw(children(sequential=True)) for _ in range(k)]
        milestones = sorted(draw(st.sets(ints(1, 30), min_size=k - 1, max_size=k - 1)))
        return Case(name, {"milestones": milestones}, kids, n=milestones[-1] + 25)
    if name == "ChainedScheduler":
        kids = [draw(children(sequential=False)) for _ in range(draw(ints(2, 3)))]
        return Case(name, {}, kids, n=40)
    if name == "ReduceLROnPlateau":
        mode = draw(st.sampled_from(["min", "max"]))
        args = {
            "mode": mode,
            "factor": draw(st.floats(0.1, 0.9)),
            "patience": draw(ints(0, 4)),
            "threshold": draw(st.sampled_from([0.0, 1e-4, 0.05])),
            "threshold_mode": draw(st.sampled_from(["rel", "abs"])),
            "cooldown": draw(ints(0, 3)),
            "min_lr": _per_group(draw, n_groups, st.sampled_from([0.0, 1e-3, 0.02])),
            "eps": draw(st.sampled_from([1e-8, 1e-3])),
        }
        metrics = draw(
            st.lists(st.sampled_from([1.0, 0.9, 0.95, 0.5, 2.0]), min_size=40, max_size=40)
        )
        return Case(name, args, n=40, metrics=metrics)
    raise ValueError(name)


@st.composite
def children(draw: Any, sequential: bool) -> Child:
    """A child for SequentialLR (any composable scheduler) or ChainedScheduler (the
    multiplicative ones, the only ones torch itself composes exactly)."""
    pool = ["StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR"]
    if sequential:
        pool += ["CosineAnnealingLR", "CosineAnnealingWarmRestarts", "LambdaLR"]
    name = draw(st.sampled_from(pool))
    if name == "LambdaLR":
        args: dict[str, Any] = {
            "lr_lambda": Fn("schedule", draw(st.sampled_from(sorted(SCHEDULES))))
        }
    else:
        args = dict(draw(cases(name, 1)).args)
    if name == "CosineAnnealingLR" and not sequential:
        args["T_max"] = 100  # torch's own chain is exact only before T_max (anchor section 1)
    return Child(name, tuple(args.items()))


CLASSES = [
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "OneCycleLR",
    "LambdaLR",
    "MultiplicativeLR",
    "SequentialLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
]


@st.composite
def setup_and_case(draw: Any, name: str) -> tuple[Setup, Case]:
    setup = draw(setups)
    if name == "CyclicLR" or name == "OneCycleLR":  # they cycle momentum: both optimizers
        setup = Setup(setup.lrs, draw(st.sampled_from(["sgd", "adam"])), setup.tensor)
    return setup, draw(cases(name, len(setup.lrs)))


# ------------------------------------------------------------------------------------------
# 1. Differential tests


@pytest.mark.parametrize("name", CLASSES)
@SETTINGS
@given(data=st.data())
def test_matches_torch(name: str, data: Any) -> None:
    setup, case = data.draw(setup_and_case(name), label="setup, case")
    compare_runs(case, setup)


def test_cosine_annealing_long_run_is_periodic() -> None:
    """Past T_max torch's CosineAnnealingLR rises again (period 2 T_max); 30 periods."""
    case = Case("CosineAnnealingLR", {"T_max": 7, "eta_min": 1e-3}, n=420)
    compare_runs(case, Setup((0.1, 0.5), "sgd", False))


@pytest.mark.parametrize("t_mult", [1, 2, 3])
def test_warm_restarts_fractional_epochs(t_mult: int) -> None:
    """``step(epoch + i / iters)``, the documented CosineAnnealingWarmRestarts usage."""
    iters = 7
    setup = Setup((0.1, 0.02), "sgd", False)
    opt_t, opt_o = make_opt(setup), make_opt(setup)
    sched_t = ts.CosineAnnealingWarmRestarts(opt_t, T_0=3, T_mult=t_mult, eta_min=1e-3)
    sched_o = lt.CosineAnnealingWarmRestarts(opt_o, T_0=3, T_mult=t_mult, eta_min=1e-3)
    for epoch in range(20):
        for i in range(iters):
            opt_t.step()
            opt_o.step()
            sched_t.step(epoch + i / iters)
            sched_o.step(epoch + i / iters)
            ours = [g["lr"] for g in opt_o.param_groups]
            assert_close_lists(ours, [g["lr"] for g in opt_t.param_groups], 0.1, f"{epoch}+{i}")
            assert sched_o.last_epoch == sched_t.last_epoch
            assert_close_lists(sched_o.get_last_lr(), sched_t.get_last_lr(), 0.1, "last_lr")
    for k in range(3 * 3**t_mult):  # plain steps after a fractional one keep the fraction
        sched_t.step()
        sched_o.step()
        ours = [g["lr"] for g in opt_o.param_groups]
        assert_close_lists(ours, [g["lr"] for g in opt_t.param_groups], 0.1, f"plain step {k}")
        assert sched_o.last_epoch == sched_t.last_epoch


def test_tensor_lr_float32_in_place() -> None:
    """The ``torch.tensor(0.1)`` (float32) form: the same Tensor, filled in place, and the
    values torch writes into it (both round the float64 value to float32)."""
    for case in [
        Case("OneCycleLR", {"max_lr": 0.1, "total_steps": 50}, n=49),
        Case("LambdaLR", {"lr_lambda": Fn("schedule", "warm_cos")}, n=60),
        Case("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 5}, n=30),
    ]:
        setup = Setup((0.1,), "adam", True)
        opt_t, opt_o = make_opt(setup, torch.float32), make_opt(setup, torch.float32)
        tensor = opt_o.param_groups[0]["lr"]
        sched_t, sched_o = build(case, opt_t, "torch"), build(case, opt_o, "ours")
        for t in range(case.n):
            assert opt_o.param_groups[0]["lr"] is tensor
            assert opt_o.param_groups[0]["lr"].dtype == torch.float32
            # One float32 ulp: the float64 values may straddle a rounding boundary.
            a, b = float(opt_o.param_groups[0]["lr"]), float(opt_t.param_groups[0]["lr"])
            assert a == pytest.approx(b, rel=1.2e-7), (case.name, t)
            advance(opt_t, sched_t, case, t)
            advance(opt_o, sched_o, case, t)


def test_one_cycle_end_of_schedule() -> None:
    """torch's end: step total_steps extrapolates the last phase (negatively with 'linear'),
    step total_steps + 1 raises torch's ValueError."""
    for strategy in ("cos", "linear"):
        setup = Setup((0.1,), "sgd", False)
        opt_t, opt_o = make_opt(setup), make_opt(setup)
        args = {"max_lr": 1.0, "total_steps": 100, "anneal_strategy": strategy}
        sched_t, sched_o = ts.OneCycleLR(opt_t, **args), lt.OneCycleLR(opt_o, **args)
        for _ in range(100):
            opt_t.step(), opt_o.step(), sched_t.step(), sched_o.step()
            for key in ("lr", "momentum"):
                theirs = opt_t.param_groups[0][key]
                assert opt_o.param_groups[0][key] == pytest.approx(theirs, rel=1e-12)
        assert sched_o.last_epoch == 100
        with pytest.raises(ValueError) as theirs:
            sched_t.step()
        with pytest.raises(ValueError) as ours:
            sched_o.step()
        assert str(ours.value) == str(theirs.value)
        assert (
            str(ours.value) == "Tried to step 101 times. The specified number of total steps is 100"
        )


def _warning_messages(record: Any) -> set[str]:
    return {str(w.message) for w in record if issubclass(w.category, UserWarning)}


@pytest.mark.parametrize("name", [c for c in CLASSES if c != "ReduceLROnPlateau"])
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_order_warning_as_torch(name: str, data: Any) -> None:
    """``scheduler.step()`` before any ``optimizer.step()``: torch's warning, and only when torch
    gives it; none when the optimizer stepped first."""
    setup = Setup((0.1, 0.05), "sgd", False)
    case = data.draw(cases(name, 2))
    if name == "SequentialLR":
        # torch's SequentialLR does not step (so does not check) a child at milestone 1.
        assume(case.args["milestones"][0] > 1)
        # A first CosineAnnealingWarmRestarts child: its own case below.
        assume(case.children[0].name != "CosineAnnealingWarmRestarts")
    opt_t, opt_o = make_opt(setup), make_opt(setup)
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        sched_t = build(case, opt_t, "torch")
        sched_t.step()
    sched_o = build(case, opt_o, "ours")
    with warnings.catch_warnings(record=True) as ours:
        warnings.simplefilter("always")
        sched_o.step()
    order = {m for m in _warning_messages(theirs) if "Detected call" in m}
    # torch's CosineAnnealingWarmRestarts has its own step() without the check.
    assert bool(order) == (name != "CosineAnnealingWarmRestarts")
    assert _warning_messages(ours) == order
    if order:
        assert any(re.search(ORDER_WARNING, m) for m in order)
    # Optimizer first: no warning at all (pytest's filterwarnings=error would raise).
    opt_o2 = make_opt(setup)
    sched_o2 = build(case, opt_o2, "ours")
    opt_o2.step()
    sched_o2.step()


def test_warnings_point_at_the_caller() -> None:
    """``step`` has no Python frame of its own: the order and epoch warnings name the line
    that called ``scheduler.step``."""
    opt = make_opt(SETUP2)
    sched = lt.StepLR(opt, 2)
    with pytest.warns(UserWarning, match=ORDER_WARNING) as order:
        sched.step()
    with pytest.warns(UserWarning, match=EPOCH_WARNING) as epoch:
        sched.step(5)
    assert [w.filename for w in (*order, *epoch)] == [__file__, __file__]


STEP_CALLS: dict[str, Callable[[Any], None]] = {
    "step()": lambda s: s.step(),
    "step(None)": lambda s: s.step(None),
    "step(epoch=None)": lambda s: s.step(epoch=None),
}


@pytest.mark.parametrize("call", STEP_CALLS)
def test_default_arguments_take_the_same_step(call: str) -> None:
    """``step(None)`` and ``step(epoch=None)`` are ``step()``, in Rust and in torch."""
    opts = [make_opt(SETUP2) for _ in range(2)]
    scheds = [m.CosineAnnealingLR(o, 10, 1e-3) for m, o in zip((ts, lt), opts)]
    for _ in range(4):
        for opt, sched in zip(opts, scheds):
            opt.step()
            STEP_CALLS[call](sched)
    assert scheds[1].last_epoch == scheds[0].last_epoch == 4
    assert scheds[1]._step_count == scheds[0]._step_count == 5
    assert scheds[1].get_last_lr() == pytest.approx(scheds[0].get_last_lr(), rel=1e-12)


def test_step_raises_errors_of_the_step() -> None:
    """``step()`` raises OneCycleLR's error past the end and a TypeError for a bad keyword."""
    sched = lt.OneCycleLR(make_opt(SETUP2), 0.1, total_steps=10)
    opt = sched.optimizer
    for _ in range(10):
        opt.step()
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        sched.step()
    with pytest.raises(TypeError, match="unexpected keyword argument 'foo'"):
        sched.step(foo=1)  # type: ignore[call-arg]


def test_no_order_warning_for_plateau() -> None:
    opt = make_opt(Setup((0.1,), "sgd", False))
    lt.ReduceLROnPlateau(opt).step(1.0)


EPOCH_CASES = [
    Case("StepLR", {"step_size": 3, "gamma": 0.5}),
    Case("MultiStepLR", {"milestones": [2, 5, 5], "gamma": 0.5}),
    Case("ConstantLR", {"factor": 0.5, "total_iters": 4}),
    Case("LinearLR", {"start_factor": 0.2, "end_factor": 0.9, "total_iters": 6}),
    Case("ExponentialLR", {"gamma": 0.9}),
    Case("PolynomialLR", {"total_iters": 8, "power": 2.0}),
    Case("CosineAnnealingLR", {"T_max": 6, "eta_min": 1e-3}),
    Case("LambdaLR", {"lr_lambda": Fn("lambda", "warm")}),
    Case("LambdaLR", {"lr_lambda": Fn("schedule", "warm_cos")}),
    Case("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3}),
    Case("OneCycleLR", {"max_lr": 0.1, "total_steps": 30}),
]


@pytest.mark.parametrize("case", EPOCH_CASES, ids=lambda c: c.name)
def test_step_epoch_deprecated_closed_form(case: Case) -> None:
    """``step(epoch)``: torch's deprecation warning and its closed-form value at ``epoch``."""
    setup = Setup((0.1, 0.03), "adam", False)
    opt_t, opt_o = make_opt(setup), make_opt(setup)
    sched_t, sched_o = build(case, opt_t, "torch"), build(case, opt_o, "ours")
    opt_t.step(), opt_o.step()
    for epoch in [3, 9, 1, 17, 17, 0, 25]:
        with pytest.warns(UserWarning, match=EPOCH_WARNING):
            sched_t.step(epoch)
        with pytest.warns(UserWarning, match=EPOCH_WARNING) as record:
            sched_o.step(epoch)
        assert _warning_messages(record) == {ts.EPOCH_DEPRECATION_WARNING}
        assert sched_o.last_epoch == sched_t.last_epoch == epoch
        theirs = [g["lr"] for g in opt_t.param_groups]
        assert_close_lists([g["lr"] for g in opt_o.param_groups], theirs, 0.1, f"epoch {epoch}")
        assert_close_lists(sched_o.get_last_lr(), sched_t.get_last_lr(), 0.1, "get_last_lr")
        assert [_momentum(g) for g in opt_o.param_groups] == pytest.approx(
            [_momentum(g) for g in opt_t.param_groups], rel=1e-12
        )


def test_step_epoch_deprecated_plateau_and_multiplicative() -> None:
    opt = make_opt(Setup((0.1,), "sgd", False))
    plateau = lt.ReduceLROnPlateau(opt)
    with pytest.warns(UserWarning, match=EPOCH_WARNING):
        plateau.step(1.0, 3)
    opt = make_opt(Setup((0.1,), "sgd", False))
    sched = lt.MultiplicativeLR(opt, lambda t: 0.9)
    opt.step()
    with pytest.warns(UserWarning, match=EPOCH_WARNING):
        sched.step(3)
    assert sched.last_epoch == 3


def test_warm_restarts_epoch_no_warning_and_negative() -> None:
    opt = make_opt(Setup((0.1,), "sgd", False))
    sched = lt.CosineAnnealingWarmRestarts(opt, T_0=4)
    opt.step()
    sched.step(2.5)  # no warning (filterwarnings=error)
    assert sched.last_epoch == 2
    with pytest.raises(ValueError, match=r"^Expected non-negative epoch, but got -1$"):
        sched.step(-1)


def test_get_last_lr_and_get_lr_warning() -> None:
    opt = make_opt(Setup((0.1, 0.2), "sgd", False))
    sched = lt.StepLR(opt, 2, 0.5)
    opt.step()
    sched.step()
    sched.step()
    assert sched.get_last_lr() == [0.05, 0.1]
    with pytest.warns(UserWarning, match=r"please use `get_last_lr\(\)`"):
        sched.get_lr()


def test_second_scheduler_keeps_original_initial_lr() -> None:
    """``initial_lr`` is set with setdefault, as in torch: a second scheduler on the same
    optimizer bases itself on the original rate."""
    for module in (ts, lt):
        opt = make_opt(Setup((0.1,), "sgd", False))
        module.LinearLR(opt, start_factor=0.25)
        second = module.ExponentialLR(opt, gamma=0.9)
        assert [float(b) for b in second.base_lrs] == [0.1]
        assert opt.param_groups[0]["initial_lr"] == 0.1


# ------------------------------------------------------------------------------------------
# 2. Resume

RESUME_CASES = [
    Case("StepLR", {"step_size": 3, "gamma": 0.7}, n=30),
    Case("MultiStepLR", {"milestones": [4, 9, 9, 15], "gamma": 0.5}, n=30),
    Case("ConstantLR", {"factor": 0.4, "total_iters": 7}, n=30),
    Case("LinearLR", {"start_factor": 0.1, "end_factor": 0.8, "total_iters": 12}, n=30),
    Case("ExponentialLR", {"gamma": 0.93}, n=30),
    Case("PolynomialLR", {"total_iters": 17, "power": 1.7}, n=30),
    Case("CosineAnnealingLR", {"T_max": 9, "eta_min": 1e-3}, n=40),
    Case("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 1, "eta_min": 1e-3}, n=40),
    Case("CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 2}, n=40),
    Case(
        "CyclicLR",
        {"base_lr": [0.01, 0.02], "max_lr": 0.1, "step_size_up": 4, "step_size_down": 3},
        n=40,
    ),
    Case(
        "CyclicLR",
        {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3, "mode": "exp_range", "gamma": 0.95},
        n=40,
    ),
    Case(
        "CyclicLR",
        {
            "base_lr": 0.01,
            "max_lr": 0.1,
            "step_size_up": 3,
            "scale_fn": Fn("scale", "halving"),
            "scale_mode": "cycle",
        },
        n=40,
    ),
    Case("OneCycleLR", {"max_lr": [0.1, 0.3], "total_steps": 40}, n=39),
    Case(
        "OneCycleLR",
        {"max_lr": 0.1, "epochs": 4, "steps_per_epoch": 10, "three_phase": True},
        n=39,
    ),
    Case("OneCycleLR", {"max_lr": 0.1, "total_steps": 40, "anneal_strategy": "linear"}, n=39),
    Case("LambdaLR", {"lr_lambda": Fn("lambda", "warm")}, n=30),
    Case("LambdaLR", {"lr_lambda": Fn("schedule", "warm_cos")}, n=30),
    Case("MultiplicativeLR", {"lr_lambda": Fn("factor", "saw")}, n=30),
    Case(
        "SequentialLR",
        {"milestones": [5]},
        [
            Child("LinearLR", (("start_factor", 0.1), ("total_iters", 5))),
            Child("CosineAnnealingLR", (("T_max", 20),)),
        ],
        n=30,
    ),
    Case(
        "SequentialLR",
        {"milestones": [3, 8]},
        [
            Child("ConstantLR", (("factor", 0.5), ("total_iters", 10))),
            Child("ExponentialLR", (("gamma", 0.9),)),
            Child("StepLR", (("step_size", 4), ("gamma", 0.5))),
        ],
        n=30,
    ),
    Case(
        "ChainedScheduler",
        {},
        [
            Child("ConstantLR", (("factor", 0.5), ("total_iters", 6))),
            Child("ExponentialLR", (("gamma", 0.9),)),
        ],
        n=30,
    ),
    Case(
        "ReduceLROnPlateau",
        {"factor": 0.5, "patience": 1, "cooldown": 1, "min_lr": 1e-3},
        n=30,
        metrics=[1.0, 0.9, 0.9, 0.9, 0.95, 0.8, 0.8, 0.8, 0.8, 0.7] * 3,
    ),
]
# Chosen to fall before, on and after milestones / cycle boundaries / phase ends.
RESUME_AT = [1, 4, 9, 20]

NO_LAST_EPOCH = {"ReduceLROnPlateau", "ChainedScheduler"}


def _roundtrip(state: dict[str, Any]) -> dict[str, Any]:
    """A state dict through ``torch.save``/``torch.load(weights_only=True)`` and pickle."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=True)
    restored: dict[str, Any] = pickle.loads(pickle.dumps(loaded))
    return restored


def _values(rec: Record) -> tuple[list[float], list[float | None], list[float]]:
    return rec.lrs, rec.momenta, rec.last_lr


SETUP2 = Setup((0.1, 0.04), "sgd", False)


def _continue(case: Case, opt: Any, sched: Any, k: int) -> list[Any]:
    return [_values(r) for r in drive(case, opt, sched, k, case.n)]


# SGD everywhere; Adam too where the scheduler writes betas[0].
RESUME_WITH_OPT = [(c, "sgd") for c in RESUME_CASES] + [
    (c, "adam") for c in RESUME_CASES if c.name in ("CyclicLR", "OneCycleLR")
]


@pytest.mark.parametrize(("case", "opt_kind"), RESUME_WITH_OPT, ids=lambda c: getattr(c, "name", c))
def test_resume_is_exact(case: Case, opt_kind: str) -> None:
    setup = Setup(SETUP2.lrs, opt_kind, False)
    opt = make_opt(setup)
    sched = build(case, opt, "ours")
    full = [_values(r) for r in drive(case, opt, sched, 0, case.n)]
    for k in RESUME_AT:
        opt = make_opt(setup)
        sched = build(case, opt, "ours")
        drive(case, opt, sched, 0, k)
        s_state, o_state = sched.state_dict(), opt.state_dict()
        s_state, o_state = _roundtrip(s_state), _roundtrip(o_state)
        expected = full[k:]

        # (a) scheduler state, then optimizer state
        opt2 = make_opt(setup)
        sched2 = build(case, opt2, "ours")
        sched2.load_state_dict(copy.deepcopy(s_state))
        opt2.load_state_dict(copy.deepcopy(o_state))
        assert _continue(case, opt2, sched2, k) == expected, f"sched then opt, k={k}"

        # (b) optimizer state, then a new scheduler and its state
        opt2 = make_opt(setup)
        opt2.load_state_dict(copy.deepcopy(o_state))
        sched2 = build(case, opt2, "ours")
        sched2.load_state_dict(copy.deepcopy(s_state))
        assert _continue(case, opt2, sched2, k) == expected, f"opt then sched, k={k}"

        # (c) the scheduler's state alone
        opt2 = make_opt(setup)
        sched2 = build(case, opt2, "ours")
        sched2.load_state_dict(copy.deepcopy(s_state))
        assert _continue(case, opt2, sched2, k) == expected, f"sched state only, k={k}"

        # (d) the optimizer's state, then last_epoch=k: torch's convention (the constructor's
        # initial step advances to step k + 1, some classes keeping the group's rate there)
        if case.name not in NO_LAST_EPOCH:
            runs = []
            for side in ("ours", "torch"):
                opt2 = make_opt(setup)
                opt2.load_state_dict(copy.deepcopy(o_state))
                with quiet_torch():
                    sched2 = build(case, opt2, side, last_epoch=k)
                    assert sched2.last_epoch == k + 1
                    runs.append(_continue(case, opt2, sched2, k + 1))
            ours, theirs = ([x for rec in run for part in rec for x in part] for run in runs)
            assert ours == pytest.approx(theirs, rel=1e-9), f"last_epoch={k}"


@pytest.mark.parametrize("case", RESUME_CASES, ids=lambda c: c.name)
def test_resume_from_torch_state(case: Case) -> None:
    """A state dict saved by torch's class (and torch's optimizer state) loads into ours, in
    either order, and continues with torch's values."""
    setup = Setup(SETUP2.lrs, "adam", False)
    peak = case.peak(list(setup.lrs))
    for k in RESUME_AT:
        opt_t = make_opt(setup)
        with quiet_torch():
            sched_t = build(case, opt_t, "torch")
            drive(case, opt_t, sched_t, 0, k)
        s_state, o_state = _roundtrip(sched_t.state_dict()), _roundtrip(opt_t.state_dict())
        with quiet_torch():
            theirs = drive(case, opt_t, sched_t, k, case.n)
        for order in ("optimizer first", "scheduler first"):
            opt_o = make_opt(setup)
            if order == "optimizer first":
                opt_o.load_state_dict(copy.deepcopy(o_state))
                sched_o = build(case, opt_o, "ours")
                sched_o.load_state_dict(copy.deepcopy(s_state))
            else:
                sched_o = build(case, opt_o, "ours")
                sched_o.load_state_dict(copy.deepcopy(s_state))
                opt_o.load_state_dict(copy.deepcopy(o_state))
            ours = drive(case, opt_o, sched_o, k, case.n)
            for t, (ro, rt) in enumerate(zip(ours, theirs), start=k):
                what = f"{order}, resumed at {k}, step {t}"
                assert_close_lists(ro.lrs, rt.lrs, peak, what)
                assert_close_lists(ro.last_lr, rt.last_lr, peak, what + " get_last_lr")
                assert ro.momenta == pytest.approx(rt.momenta, rel=1e-12), what
                if rt.last_epoch is not None:
                    assert ro.last_epoch == rt.last_epoch, what


@pytest.mark.parametrize("case", RESUME_CASES, ids=lambda c: c.name)
def test_state_dict_round_trip_types(case: Case) -> None:
    """State dicts load with ``torch.load(weights_only=True)`` and pickle, unchanged."""
    opt = make_opt(SETUP2)
    sched = build(case, opt, "ours")
    drive(case, opt, sched, 0, 7)
    state = sched.state_dict()
    assert _roundtrip(state) == state
    assert pickle.loads(pickle.dumps(state)) == state


@pytest.mark.parametrize("case", RESUME_CASES, ids=lambda c: c.name)
def test_deepcopy_continues_exactly(case: Case) -> None:
    """A deep copy of optimizer and scheduler together (an in-memory checkpoint) continues
    exactly as the original, on its own optimizer."""
    opt = make_opt(SETUP2)
    sched = build(case, opt, "ours")
    drive(case, opt, sched, 0, 7)
    opt2, sched2 = copy.deepcopy((opt, sched))
    assert sched2.optimizer is opt2
    # A copied optimizer loses torch's step wrapper, so a child first stepped after the copy
    # warns as torch's own does; the values are under test here.
    with quiet_torch():
        assert _continue(case, opt2, sched2, 7) == _continue(case, opt, sched, 7)


class _Scaled:
    """A callable object with state, as torch's state dicts save them."""

    def __init__(self) -> None:
        self.k = 1.0

    def __call__(self, t: int) -> float:
        return self.k * 0.9**t


def test_deepcopy_uses_its_own_functions_and_tensors() -> None:
    """A copy steps its own optimizer's Tensor rates and calls its own callable objects."""
    opt = make_opt(Setup((0.1, 0.04), "sgd", True))
    sched = lt.LambdaLR(opt, _Scaled())
    for _ in range(3):
        opt.step()
        sched.step()
    opt2, sched2 = copy.deepcopy((opt, sched))
    sched2.lr_lambdas[0].k = 2.0
    opt2.step()
    sched2.step()
    assert [float(g["lr"]) for g in opt2.param_groups] == [b * 2.0 * 0.9**4 for b in (0.1, 0.04)]
    assert [float(g["lr"]) for g in opt.param_groups] == [b * 0.9**3 for b in (0.1, 0.04)]


def test_fractional_last_epoch_then_plain_step() -> None:
    """After the deprecated ``step(2.5)``, a plain step continues from 3.5 as torch's does."""
    opts = [make_opt(SETUP2) for _ in range(2)]
    scheds = [m.StepLR(o, 2, 0.5) for m, o in zip((ts, lt), opts)]
    with quiet_torch():
        for sched in scheds:
            sched.step(2.5)
            sched.step()
    assert scheds[1].last_epoch == scheds[0].last_epoch == 3.5
    ours, theirs = (o.param_groups[0]["lr"] for o in reversed(opts))
    assert ours == pytest.approx(theirs, rel=1e-12)


@pytest.mark.parametrize("settings", [{"patience": 1.5}, {"cooldown": 0.5, "patience": 0}])
def test_plateau_non_integer_settings_match_torch(settings: dict[str, float]) -> None:
    """Non-integer patience and cooldown, which torch accepts, behave as in torch."""
    metrics = [1.0, 0.9, 0.9, 0.9, 0.95, 0.8, 0.8, 0.8, 0.8, 0.7] * 2
    case = Case("ReduceLROnPlateau", {"factor": 0.5, **settings}, n=20, metrics=metrics)
    compare_runs(case, SETUP2)


def _typed(state: dict[str, Any]) -> dict[str, Any]:
    """A state dict with each value's type beside it (1 == 1.0, but torch keeps which)."""
    return {k: (type(v).__name__, v) for k, v in state.items()}


@pytest.mark.parametrize(
    ("settings", "lrs"),
    [
        ({"mode": "max", "threshold_mode": "abs", "cooldown": 2, "patience": 1}, (0.1, 0.04)),
        ({"factor": 0.5, "patience": 0, "min_lr": [1, 0.01], "eps": 1e-3}, (3.0, 0.04)),
        ({"factor": 0.2, "patience": 1.5, "cooldown": 0.5, "threshold": 0}, (0.1,)),
    ],
)
def test_plateau_state_matches_torch_at_every_step(
    settings: dict[str, Any], lrs: tuple[float, ...]
) -> None:
    """Counters, settings and rates read back as torch's, with torch's types, at
    every step: cuts, cool-downs, an int floor that becomes the rate, and steps on torch's
    own path (after the int rate, and ``step(metrics, epoch)``)."""
    opts = [make_opt(Setup(lrs, "sgd", False)) for _ in range(2)]
    scheds = [m.ReduceLROnPlateau(o, **settings) for m, o in zip((ts, lt), opts)]
    metrics = [1.0, 0.9, 0.9, 0.95, 2.0, 2.0, 0.5, 0.5, 0.5, 3, 3.0, 0.1, 0.1, 0.1]
    for t, metric in enumerate(metrics):
        for opt, sched in zip(opts, scheds):
            opt.step()
            if t == len(metrics) - 1:
                with quiet_torch():
                    sched.step(metric, 20)
            else:
                sched.step(metric)
        theirs, ours = (s.state_dict() for s in scheds)
        assert _typed(ours) == _typed(theirs), f"step {t}"
        assert [g["lr"] for g in opts[1].param_groups] == [g["lr"] for g in opts[0].param_groups]
        assert scheds[1].get_last_lr() == scheds[0].get_last_lr()
    restored = lt.ReduceLROnPlateau(make_opt(Setup(lrs, "sgd", False)))
    restored.load_state_dict(pickle.loads(pickle.dumps(scheds[1].state_dict())))
    assert _typed(restored.state_dict()) == _typed(scheds[0].state_dict())


def test_plateau_copies_step_their_own_state_and_are_freed() -> None:
    """``step`` is bound to the scheduler's own Rust state: a copy (deep or shallow) or an
    unpickled scheduler steps itself, and a dropped scheduler is freed at once, without the
    cyclic GC, as torch's is."""
    import gc
    import weakref

    opt = make_opt(SETUP2)
    sched = lt.ReduceLROnPlateau(opt, patience=0, factor=0.5)
    sched.step(1.0)
    twin = copy.deepcopy(sched)
    thawed = pickle.loads(pickle.dumps(sched))
    for other in (twin, thawed):
        other.step(2.0)  # a bad step: the copy cuts its own optimizer's rates
        assert [g["lr"] for g in other.optimizer.param_groups] == [0.05, 0.02]
        assert other.num_bad_epochs == 0 and other.last_epoch == 2
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.04]
    assert sched.last_epoch == 1
    shallow = copy.copy(sched)  # torch's shallow copy: counters of its own, one optimizer
    shallow.step(0.5)
    assert (shallow.last_epoch, sched.last_epoch, shallow.best, sched.best) == (2, 1, 0.5, 1.0)
    alive = weakref.ref(sched)
    gc.disable()
    try:
        del sched, twin, thawed, shallow
        assert alive() is None
    finally:
        gc.enable()


def test_plateau_subclass_overrides_and_reentrant_metrics() -> None:
    """A subclass's overrides of what torch's step calls run; a metric whose ``__float__``
    steps or reads the scheduler works as with torch (no borrow error, no panic), and runs
    once; warnings of ``step(metrics, epoch)`` point at the caller."""
    for m in (ts, lt):

        class Logged(m.ReduceLROnPlateau):  # type: ignore[name-defined,misc]
            cuts: ClassVar[list[int]] = []

            def _reduce_lr(self, epoch: int) -> None:
                self.cuts.append(epoch)
                super()._reduce_lr(epoch)

        sched = Logged(make_opt(SETUP2), patience=0)
        sched.step(1.0)
        sched.step(2.0)
        assert Logged.cuts == [2], m

    sched = lt.ReduceLROnPlateau(make_opt(SETUP2), patience=0)

    class Metric:
        calls = 0

        def __float__(self) -> float:
            Metric.calls += 1
            if Metric.calls == 1:
                sched.step(5.0)
            return float(sched.best)

    sched.step(Metric())
    assert (sched.last_epoch, sched.best, Metric.calls) == (2, 5.0, 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sched.step(1.0, 7)
    assert [w.filename for w in caught] == [__file__]
    assert sched.last_epoch == 7


def test_plateau_reads_from_another_thread_while_stepping() -> None:
    """A thread reading the scheduler while another steps it with Tensor metrics (whose
    conversion releases the GIL) never meets the state mid-step: reads wait, nothing
    raises."""
    import threading
    import time

    sched = lt.ReduceLROnPlateau(make_opt(SETUP2), patience=3)
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            try:
                assert sched.best in (math.inf, 1.0) and len(sched.get_last_lr()) == 2
            except BaseException as e:
                errors.append(e)
                return

    reader = threading.Thread(target=read)
    reader.start()
    metric, steps, stop = torch.tensor(1.0), 0, time.monotonic() + 0.5
    while time.monotonic() < stop:
        sched.step(metric)
        steps += 1
    done.set()
    reader.join()
    assert errors == []
    assert sched.last_epoch == steps


def test_step_rejects_unknown_arguments() -> None:
    """``step`` arguments that torch's signature rejects are rejected on the Rust path too."""
    opt = make_opt(SETUP2)
    sched = lt.StepLR(opt, 2)
    opt.step()
    sched.step()
    with pytest.raises(TypeError, match="unexpected keyword argument 'foo'"):
        sched.step(foo=None)
    with pytest.raises(TypeError, match="positional arguments"):
        sched.step(None, None)
    plateau = lt.ReduceLROnPlateau(opt)
    with pytest.raises(TypeError, match="unexpected keyword argument 'foo'"):
        plateau.step(1.0, foo=None)


@SETTINGS
@given(data=st.data())
def test_resume_random_cases(data: Any) -> None:
    """Resume at a random step of a random case of any class (scheduler state, then optimizer
    state): exactly the uninterrupted values."""
    name = data.draw(st.sampled_from(CLASSES), label="class")
    setup, case = data.draw(setup_and_case(name), label="setup, case")
    k = data.draw(st.integers(0, case.n), label="k")
    opt = make_opt(setup)
    sched = build(case, opt, "ours")
    full = [_values(r) for r in drive(case, opt, sched, 0, case.n)]
    opt = make_opt(setup)
    sched = build(case, opt, "ours")
    drive(case, opt, sched, 0, k)
    s_state, o_state = _roundtrip(sched.state_dict()), _roundtrip(opt.state_dict())
    opt2 = make_opt(setup)
    sched2 = build(case, opt2, "ours")
    sched2.load_state_dict(s_state)
    opt2.load_state_dict(o_state)
    assert _continue(case, opt2, sched2, k) == full[k:]


def test_math_sanity() -> None:
    """The helpers themselves: ``close`` accepts 1e-12 relative and rejects 1e-9."""
    assert close(1.0, 1.0 + 1e-13, 1.0)
    assert not close(1.0, 1.0 + 1e-9, 1.0)
    assert close(0.0, 1e-16, 0.1)
    assert math.isclose(SCHEDULES["exp"](2), 0.97**2)


def test_nested_sequential_and_chain_past_t_max_as_torch() -> None:
    """A SequentialLR nested in another (torch shifts it by a step, pytorch#196243) and a
    chain with CosineAnnealingLR past T_max give torch's rates, not a closed form."""
    runs = []
    for m in (ts, lt):
        opt = make_opt(Setup((0.1, 0.04), "sgd", False))
        opt2 = make_opt(Setup((0.1,), "sgd", False))
        with quiet_torch():
            inner = m.SequentialLR(
                opt, [m.LinearLR(opt, 0.2, total_iters=3), m.ConstantLR(opt, 0.5, 4)], [3]
            )
            nested = m.SequentialLR(opt, [inner, m.ExponentialLR(opt, 0.9)], [8])
            chained = m.ChainedScheduler(
                [m.CosineAnnealingLR(opt2, 10), m.ExponentialLR(opt2, 0.9)]
            )
            rates = []
            for _ in range(31):
                for o, sched in ((opt, nested), (opt2, chained)):
                    o.step()
                    sched.step()
                rates += [g["lr"] for g in opt.param_groups + opt2.param_groups]
        runs.append(rates)
    assert runs[1] == pytest.approx(runs[0], rel=1e-9, abs=1e-18)
