"""Differential tests: lrcore.torch's drop-ins against torch's own classes, same programs.

Every test runs one program twice, once with ``torch.optim.lr_scheduler`` and once with
``lrcore.torch``, and compares what a user can see (each group's rate and momentum, each
scheduler's ``get_last_lr()``, ``last_epoch`` and state) to 1e-9 relative: several schedulers
stepping one optimizer in random orders, chains and sequences of random children, hand edits
between steps, ``step(epoch)``, Tensor-valued arguments, and checkpoints through
``torch.save``/``torch.load`` in either order.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import lrcore as lr
import lrcore.torch as lt
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as ts

REL = 1e-9
ABS = 1e-15  # rates are about 0.1: a value torch computes as exactly 0 may be 1e-17 here
SETTINGS = settings(max_examples=25, deadline=None)

Spec = tuple[str, dict[str, Any]]

_unit = st.floats(0.05, 1.0)
_gamma = st.floats(0.1, 0.99)

CHAINABLE: st.SearchStrategy[Spec] = st.one_of(
    st.builds(lambda s, g: ("StepLR", {"step_size": s, "gamma": g}), st.integers(1, 6), _gamma),
    st.builds(
        lambda ms, g: ("MultiStepLR", {"milestones": ms, "gamma": g}),
        st.lists(st.integers(0, 20), max_size=4),
        _gamma,
    ),
    st.builds(
        lambda f, n: ("ConstantLR", {"factor": f, "total_iters": n}), _unit, st.integers(1, 8)
    ),
    st.builds(
        lambda a, b, n: ("LinearLR", {"start_factor": a, "end_factor": b, "total_iters": n}),
        _unit,
        st.floats(0.0, 1.0),
        st.integers(1, 8),
    ),
    st.builds(lambda g: ("ExponentialLR", {"gamma": g}), st.floats(0.5, 1.0)),
    st.builds(
        lambda n, p: ("PolynomialLR", {"total_iters": n, "power": p}),
        st.integers(1, 10),
        st.floats(0.5, 3.0),
    ),
    st.builds(
        lambda t, e: ("CosineAnnealingLR", {"T_max": t, "eta_min": e}),
        st.integers(1, 8),
        st.floats(0.0, 0.01),
    ),
    st.builds(lambda f: ("MultiplicativeLR", {"factor": f}), st.floats(0.8, 1.0)),
)

CLOSED: st.SearchStrategy[Spec] = st.one_of(
    st.builds(
        lambda b, m, up, down, mode: (
            "CyclicLR",
            {"base_lr": b, "max_lr": m, "step_size_up": up, "step_size_down": down, "mode": mode},
        ),
        st.floats(0.001, 0.05),
        st.floats(0.06, 0.5),
        st.integers(1, 5),
        st.integers(1, 5),
        st.sampled_from(["triangular", "triangular2", "exp_range"]),
    ),
    st.builds(
        lambda m, n, pct, anneal, three: (
            "OneCycleLR",
            {
                "max_lr": m,
                "total_steps": n,
                "pct_start": pct,
                "anneal_strategy": anneal,
                "three_phase": three,
            },
        ),
        st.floats(0.05, 1.0),
        st.integers(40, 60),
        st.sampled_from([0.0, 0.005, 0.25, 0.3, 0.45]),
        st.sampled_from(["cos", "linear"]),
        st.booleans(),
    ),
    st.builds(
        lambda t0, mult, eta: (
            "CosineAnnealingWarmRestarts",
            {"T_0": t0, "T_mult": mult, "eta_min": eta},
        ),
        st.integers(1, 6),
        st.integers(1, 3),
        st.floats(0.0, 0.01),
    ),
    st.builds(lambda: ("LambdaLR", {"schedule": lr.warmup(5, lr.cosine(1.0, 0.1, 30))})),
)

#: Attributes of each class a user may change by hand between steps, and their new values
#: (``milestones`` is edited in place: its Counter is what torch reads).
EDITS: dict[str, list[tuple[str, st.SearchStrategy[Any]]]] = {
    "StepLR": [("gamma", _gamma), ("step_size", st.integers(1, 6))],
    "MultiStepLR": [
        ("gamma", _gamma),
        ("milestones", st.lists(st.integers(0, 20), max_size=4)),
    ],
    "ConstantLR": [("factor", _unit)],
    "LinearLR": [("end_factor", st.floats(0.0, 1.0))],
    "ExponentialLR": [("gamma", st.floats(0.5, 1.0))],
    "PolynomialLR": [("power", st.floats(0.5, 3.0))],
    "CosineAnnealingLR": [("T_max", st.integers(1, 8)), ("eta_min", st.floats(0.0, 0.02))],
    "CosineAnnealingWarmRestarts": [("T_cur", st.integers(0, 5))],
    "CyclicLR": [
        ("max_lrs", st.floats(0.06, 0.5).map(lambda m: [m, m])),
        ("total_size", st.integers(2, 9).map(float)),
        ("step_ratio", st.sampled_from([0.25, 0.5, 0.75, 1.0])),
        ("gamma", st.floats(0.5, 0.99)),  # torch's scale function keeps the built one
        ("mode", st.sampled_from(["triangular", "triangular2", "exp_range"])),
        ("scale_mode", st.sampled_from(["cycle", "iterations"])),
    ],
    "MultiplicativeLR": [("base_lrs", st.floats(0.01, 0.2).map(lambda b: [b, b]))],
}


def edit(scheduler: Any, attr: str, value: Any) -> None:
    if attr == "milestones":
        scheduler.milestones.clear()
        scheduler.milestones.update(value)
    else:
        setattr(scheduler, attr, value)


@contextmanager
def quiet() -> Iterator[None]:
    """Both sides warn alike (order, deprecation); the values are under test here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def optimizer(lrs: tuple[float, ...] = (0.1, 0.04), tensor: bool = False) -> torch.optim.SGD:
    torch.manual_seed(0)
    groups = [
        {
            "params": [torch.nn.Parameter(torch.randn(2))],
            "lr": torch.tensor(v, dtype=torch.float64) if tensor else v,
        }
        for v in lrs
    ]
    return torch.optim.SGD(groups, lr=lrs[0], momentum=0.9)


def make(
    module: Any,
    spec: Spec,
    opt: torch.optim.Optimizer,
    wrap: Callable[[type], type] = lambda cls: cls,
    **extra: Any,
) -> Any:
    """``spec``'s scheduler from ``module`` (the class passed through ``wrap``, a subclass)."""
    name, args = spec
    args = {**args, **extra}
    cls = wrap(getattr(module, name))
    if name == "MultiplicativeLR":
        factor = args.pop("factor")
        return cls(opt, lambda t: factor, **args)
    if name == "LambdaLR":
        schedule = args.pop("schedule")
        return cls(opt, (lambda t: schedule(t)) if module is ts else schedule, **args)
    return cls(opt, **args)


def seen(opt: torch.optim.Optimizer, scheds: list[Any]) -> list[float]:
    """What a user can read: rates, momenta, each scheduler's last rates and step."""
    out = [float(g["lr"]) for g in opt.param_groups]
    out += [float(g["momentum"]) for g in opt.param_groups]
    for s in scheds:
        out += [float(v) for v in s.get_last_lr()] + [float(getattr(s, "last_epoch", -1))]
    return out


def flat(values: Any) -> list[float]:
    if isinstance(values, (list, tuple)):
        return [x for v in values for x in flat(v)]
    return [float(values)]


def same(ours: Any, theirs: Any) -> None:
    assert flat(ours) == pytest.approx(flat(theirs), rel=REL, abs=ABS)


def same_state(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    """Two state dicts: the same keys, values equal to 1e-9 (lists and nested dicts too).
    An lrcore schedule given as ``lr_lambda`` is saved by its dict form where torch, given a
    function, saves None."""
    assert sorted(ours) == sorted(theirs)
    for key, value in theirs.items():
        mine = ours[key]
        if key == "lr_lambdas":
            assert [m for m, v in zip(mine, value, strict=True) if v is not None] == [
                v for v in value if v is not None
            ]
        elif isinstance(value, dict):
            same_state(mine, value)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for a, b in zip(mine, value, strict=True):
                same_state(a, b)
        elif isinstance(value, (int, float, list)) and not isinstance(value, bool):
            same(mine, value)
        else:
            assert mine == value, key


def run(build: Callable[[Any, torch.optim.Optimizer], list[Any]], n: int, **kw: Any) -> list[Any]:
    """Both sides' observations of ``n`` steps of the schedulers ``build`` makes."""
    results = []
    for module in (ts, lt):
        opt = optimizer(**kw)
        with quiet():
            scheds = build(module, opt)
            trace = [seen(opt, scheds)]
            for _ in range(n):
                opt.step()
                for s in scheds:
                    s.step()
                trace.append(seen(opt, scheds))
        results.append(trace)
    return results


@SETTINGS
@given(specs=st.lists(CHAINABLE, min_size=2, max_size=3), n=st.integers(5, 30))
def test_schedulers_sharing_an_optimizer(specs: list[Spec], n: int) -> None:
    """Two or three schedulers step one optimizer, each scaling the rate the others left."""
    theirs, ours = run(lambda m, o: [make(m, s, o) for s in specs], n)
    same(ours, theirs)


@SETTINGS
@given(specs=st.lists(CHAINABLE, min_size=1, max_size=3), n=st.integers(5, 30))
def test_chained_scheduler_and_its_children(specs: list[Spec], n: int) -> None:
    """ChainedScheduler steps its children: their rates, steps and states are torch's."""
    kids: dict[Any, list[Any]] = {}

    def build(m: Any, o: torch.optim.Optimizer) -> list[Any]:
        kids[m] = [make(m, s, o) for s in specs]
        return [m.ChainedScheduler(kids[m])]

    theirs, ours = run(build, n)
    same(ours, theirs)
    for mine, torch_child in zip(kids[lt], kids[ts], strict=True):
        same(seen(mine.optimizer, [mine]), seen(torch_child.optimizer, [torch_child]))
        same_state(mine.state_dict(), torch_child.state_dict())


@SETTINGS
@given(
    specs=st.lists(st.one_of(CHAINABLE, CLOSED), min_size=2, max_size=3),
    gaps=st.lists(st.integers(1, 6), min_size=2, max_size=2),
    chain_first=st.booleans(),
    n=st.integers(5, 30),
)
def test_sequential_and_its_children(
    specs: list[Spec], gaps: list[int], chain_first: bool, n: int
) -> None:
    """SequentialLR restarts each phase at its milestone and steps it: the children's rates,
    steps and states are torch's (a first phase may itself be a ChainedScheduler)."""
    milestones = [sum(gaps[: i + 1]) for i in range(len(specs) - 1)]
    kids: dict[Any, list[Any]] = {}

    def build(m: Any, o: torch.optim.Optimizer) -> list[Any]:
        kids[m] = [make(m, s, o) for s in specs]
        phases = list(kids[m])
        if chain_first:
            phases[0] = m.ChainedScheduler(
                [phases[0], make(m, ("ExponentialLR", {"gamma": 0.9}), o)]
            )
        return [m.SequentialLR(o, phases, milestones)]

    theirs, ours = run(build, n)
    same(ours, theirs)
    for mine, torch_child in zip(kids[lt], kids[ts], strict=True):
        assert mine.last_epoch == torch_child.last_epoch
        same(mine.get_last_lr(), torch_child.get_last_lr())
        same_state(mine.state_dict(), torch_child.state_dict())


@SETTINGS
@given(
    spec=st.one_of(CHAINABLE, CLOSED),
    edits=st.lists(
        st.tuples(st.integers(0, 19), st.booleans(), st.floats(0.3, 3.0), st.data()), max_size=4
    ),
)
def test_hand_edits_carry_on(spec: Spec, edits: list[tuple[int, bool, float, Any]]) -> None:
    """A group's rate, or a public attribute, changed by hand between steps."""
    name = spec[0]
    plan: dict[int, list[tuple[str, Any]]] = {}
    for step, on_rate, factor, data in edits:
        if on_rate or name not in EDITS:
            plan.setdefault(step, []).append(("lr", factor))
        else:
            attr, values = data.draw(st.sampled_from(EDITS[name]))
            plan.setdefault(step, []).append((attr, data.draw(values)))
    traces = []
    for module in (ts, lt):
        opt = optimizer()
        trace = []
        with quiet():
            sched = make(module, spec, opt)
            for t in range(20):
                for what, value in plan.get(t, []):
                    if what == "lr":
                        for g in opt.param_groups:
                            g["lr"] *= value
                    else:
                        edit(sched, what, value)
                opt.step()
                sched.step()
                trace.append(seen(opt, [sched]))
        traces.append(trace)
    same(traces[1], traces[0])


@SETTINGS
@given(
    spec=st.one_of(CHAINABLE, CLOSED),
    calls=st.lists(st.one_of(st.none(), st.integers(0, 30)), min_size=1, max_size=12),
)
def test_step_with_epoch(spec: Spec, calls: list[int | None]) -> None:
    """``step(epoch)`` (closed form where torch has one) mixed with plain steps."""
    if spec[0] == "OneCycleLR":  # torch raises past total_steps; stay before it
        calls = [None if c is None else min(c, spec[1]["total_steps"] - 15) for c in calls]
    traces = []
    for module in (ts, lt):
        opt = optimizer()
        trace = []
        with quiet():
            sched = make(module, spec, opt)
            for epoch in calls:
                opt.step()
                sched.step() if epoch is None else sched.step(epoch)
                trace.append(seen(opt, [sched]))
        traces.append(trace)
    same(traces[1], traces[0])


@SETTINGS
@given(
    base=st.floats(0.001, 0.05),
    top=st.floats(0.06, 0.5),
    scale=st.floats(0.2, 3.0),
    tensor_lr=st.booleans(),
)
def test_tensor_arguments_are_copied(
    base: float, top: float, scale: float, tensor_lr: bool
) -> None:
    """Tensor ``base_lr``/``max_lr``/momenta are copied as torch copies them: changing the
    user's Tensors in place afterwards changes nothing; group rates are Tensors where torch's
    are."""
    traces = []
    for module in (ts, lt):
        opt = optimizer(tensor=tensor_lr)
        args = [torch.tensor(x, dtype=torch.float64) for x in (base, top, 0.8, 0.9)]
        with quiet():
            scheds = [
                module.CyclicLR(
                    opt, args[0], args[1], 3, base_momentum=args[2], max_momentum=args[3]
                ),
            ]
            one_cycle_opt = optimizer(tensor=tensor_lr)
            peak = torch.tensor(top, dtype=torch.float64)
            scheds.append(module.OneCycleLR(one_cycle_opt, peak, total_steps=20))
            for a in [*args, peak]:
                a.mul_(scale)
            trace = []
            for _ in range(15):
                for s in scheds:
                    s.optimizer.step()
                    s.step()
                trace.append(seen(opt, scheds[:1]) + seen(one_cycle_opt, scheds[1:]))
                trace.append([float(isinstance(g["lr"], Tensor)) for g in opt.param_groups])
        traces.append(trace)
    same(traces[1], traces[0])


Tensor = torch.Tensor


def _checkpoint(obj: Any) -> Any:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


@SETTINGS
@given(
    specs=st.lists(st.one_of(CHAINABLE, CLOSED), min_size=1, max_size=2),
    k=st.integers(1, 15),
    scheduler_first=st.booleans(),
)
def test_checkpoint_mid_run(specs: list[Spec], k: int, scheduler_first: bool) -> None:
    """Saved at step ``k`` through torch.save/torch.load and resumed in a fresh optimizer and
    schedulers, loading the schedulers' states before or after the optimizer's: torch's
    values. Loading the optimizer first, torch keeps the rates its constructors wrote; lrcore's
    ``load_state_dict`` writes the loaded ones, so there it continues the uninterrupted run."""
    n = 20
    traces = []
    for module in (ts, lt):
        with quiet():
            opt = optimizer()
            scheds = [make(module, s, opt) for s in specs]
            for _ in range(k):
                opt.step()
                for s in scheds:
                    s.step()
            saved = _checkpoint(([s.state_dict() for s in scheds], opt.state_dict()))
            uninterrupted = [seen(opt, scheds)]
            for _ in range(k, n):
                opt.step()
                for s in scheds:
                    s.step()
                uninterrupted.append(seen(opt, scheds))
            opt2 = optimizer()
            if not scheduler_first:
                opt2.load_state_dict(saved[1])
            scheds2 = [make(module, s, opt2) for s in specs]
            for s, state in zip(scheds2, saved[0], strict=True):
                s.load_state_dict(state)
            if scheduler_first:
                opt2.load_state_dict(saved[1])
            resumed = [seen(opt2, scheds2)]
            for _ in range(k, n):
                opt2.step()
                for s in scheds2:
                    s.step()
                resumed.append(seen(opt2, scheds2))
        traces.append((uninterrupted, resumed))
    (torch_full, torch_resumed), (ours_full, ours_resumed) = traces
    same(ours_full, torch_full)
    same(ours_resumed, torch_resumed if scheduler_first else torch_full)


def test_state_dicts_are_torchs() -> None:
    """The same keys and values as torch's class after a few steps, so either loads the
    other's; no lrcore object is in them (``torch.load(weights_only=True)`` takes them)."""
    for spec in [
        ("StepLR", {"step_size": 2}),
        ("CosineAnnealingLR", {"T_max": 5}),
        ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1}),
        ("OneCycleLR", {"max_lr": 0.1, "total_steps": 20}),
        ("CosineAnnealingWarmRestarts", {"T_0": 3}),
    ]:
        states = []
        for module in (ts, lt):
            opt = optimizer()
            with quiet():
                sched = make(module, spec, opt)
                for _ in range(4):
                    opt.step()
                    sched.step()
            states.append(sched.state_dict())
        same_state(_checkpoint(states[1]), states[0])


@pytest.mark.parametrize(
    "args",
    [
        {"total_steps": 2},
        {"total_steps": 3},
        {"total_steps": 100, "pct_start": 0.0},
        {"total_steps": 100, "pct_start": 0.005},
        {"total_steps": 3, "three_phase": True, "anneal_strategy": "linear"},
    ],
)
def test_one_cycle_inputs_torch_accepts(args: dict[str, Any]) -> None:
    """Short cycles and empty or sub-step phases run to the end as torch's do."""
    spec = ("OneCycleLR", {"max_lr": 0.1, **args})
    theirs, ours = run(lambda m, o: [make(m, spec, o)], args["total_steps"])
    same(ours, theirs)


def test_older_state_layouts_load() -> None:
    """State dicts of older torch versions: OneCycleLR's ``anneal_func`` instead of
    ``_anneal_func_type``, CyclicLR's with its scale function saved in it."""
    runs = []
    for module in (ts, lt):
        opt = optimizer()
        with quiet():
            one_cycle = make(module, ("OneCycleLR", {"max_lr": 0.1, "total_steps": 30}), opt)
            cyclic_opt = optimizer()
            cyclic = make(module, ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1}), cyclic_opt)
            for _ in range(5):
                for o, s in ((opt, one_cycle), (cyclic_opt, cyclic)):
                    o.step()
                    s.step()
            old = one_cycle.state_dict()
            del old["_anneal_func_type"]
            old["anneal_func"] = ts.OneCycleLR._annealing_cos
            old_cyclic = {**cyclic.state_dict(), "_scale_fn_ref": ts.CyclicLR._triangular_scale_fn}
            opt2, cyclic_opt2 = optimizer(), optimizer()
            one_cycle2 = make(module, ("OneCycleLR", {"max_lr": 0.1, "total_steps": 30}), opt2)
            cyclic2 = make(module, ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1}), cyclic_opt2)
            one_cycle2.load_state_dict(old)
            cyclic2.load_state_dict(old_cyclic)
            opt2.load_state_dict(opt.state_dict())
            cyclic_opt2.load_state_dict(cyclic_opt.state_dict())
            trace = []
            for _ in range(10):
                for o, s in ((opt2, one_cycle2), (cyclic_opt2, cyclic2)):
                    o.step()
                    s.step()
                trace.append(seen(opt2, [one_cycle2]) + seen(cyclic_opt2, [cyclic2]))
        runs.append(trace)
    same(runs[1], runs[0])


@SETTINGS
@given(
    settings_=st.fixed_dictionaries(
        {
            "mode": st.sampled_from(["min", "max"]),
            "threshold_mode": st.sampled_from(["rel", "abs"]),
            "factor": st.floats(0.1, 0.9),
            "patience": st.integers(0, 3),
            "cooldown": st.integers(0, 3),
            "threshold": st.sampled_from([0.0, 1e-4, 0.1]),
            "min_lr": st.sampled_from([0.0, 0.005]),
        }
    ),
    metrics=st.lists(st.sampled_from([1.0, 0.9, 0.5, 2.0, 0.95]), min_size=1, max_size=25),
    tensor=st.booleans(),
    epoch_at=st.none() | st.integers(0, 24),
)
def test_plateau_steps_as_torch(
    settings_: dict[str, Any], metrics: list[float], tensor: bool, epoch_at: int | None
) -> None:
    """ReduceLROnPlateau's lean step: the same rates, counters and state as torch's at every
    step, with Tensor rates and metrics, and one ``step(metrics, epoch)``."""
    opts = [optimizer(tensor=tensor) for _ in range(2)]
    scheds = [m.ReduceLROnPlateau(o, **settings_) for m, o in zip((ts, lt), opts)]
    for t, metric in enumerate(metrics):
        value: Any = torch.tensor(metric) if tensor else metric
        with quiet():
            for opt, sched in zip(opts, scheds):
                opt.step()
                sched.step(value, 30 + t) if t == epoch_at else sched.step(value)
        same(seen(opts[1], [scheds[1]]), seen(opts[0], [scheds[0]]))
        same_state(scheds[1].state_dict(), scheds[0].state_dict())


@pytest.mark.parametrize(
    "spec",
    [
        ("StepLR", {"step_size": 2, "gamma": 0.5}),
        ("MultiStepLR", {"milestones": [2, 5]}),
        ("ExponentialLR", {"gamma": 0.9}),
        ("CosineAnnealingLR", {"T_max": 4, "eta_min": 0.01}),
        ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2}),
        ("CosineAnnealingWarmRestarts", {"T_0": 3}),
        ("OneCycleLR", {"max_lr": 0.5, "total_steps": 12}),
        ("LambdaLR", {"schedule": lr.cosine(1.0, 0.1, 10)}),
    ],
)
def test_subclass_get_lr_calling_super(spec: Spec) -> None:
    """A user's subclass whose ``get_lr`` scales ``super().get_lr()``: its steps use it, as
    torch's do."""

    def halved(cls: type) -> type:
        class Halved(cls):  # type: ignore[valid-type,misc]
            def get_lr(self) -> list[Any]:
                return [0.5 * v for v in super().get_lr()]

        return Halved

    theirs, ours = run(lambda m, o: [make(m, spec, o, wrap=halved)], 12)
    same(ours, theirs)


def test_plateau_subclass_in_cooldown() -> None:
    """ReduceLROnPlateau's step asks ``in_cooldown``, which a subclass may override."""
    rates = []
    for module in (ts, lt):

        class NoCooldown(module.ReduceLROnPlateau):  # type: ignore[name-defined,misc]
            @property
            def in_cooldown(self) -> bool:
                return False

        opt = optimizer()
        sched = NoCooldown(opt, patience=0, factor=0.5, cooldown=3)
        for metric in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0]:
            opt.step()
            sched.step(metric)
        rates.append([g["lr"] for g in opt.param_groups])
    same(rates[1], rates[0])


def test_cyclic_step_ratio_edited_to_zero_raises_at_once() -> None:
    """torch divides by zero at the next cycle's start; lrcore names the attribute at the next
    step."""
    opt = optimizer()
    sched = lt.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=2)
    opt.step()
    sched.step()
    sched.step_ratio = 0.0
    with pytest.raises(
        ValueError, match=r"^CyclicLR\(\): step_ratio must be in \(0, 1\], got 0\.0$"
    ):
        sched.step()
