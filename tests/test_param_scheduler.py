"""``lrcore.torch.ParamScheduler``: what it says (torch's out-of-order warning, a warning past
the end of an lr schedule that holds 0, errors for out-of-range schedules), exact resume and
Tensor-valued param-group entries. Its values, keys and per-group forms are tested in
test_torch_integration.py.
"""

from __future__ import annotations

import io
import json
import pickle
import types
import warnings
from typing import Any

import lrcore as lr
import lrcore.torch as lt
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as ts

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))


def _sgd(groups: int = 1, **kwargs: Any) -> torch.optim.Optimizer:
    params = [{"params": [torch.nn.Parameter(torch.zeros(2))]} for _ in range(groups)]
    return torch.optim.SGD(params, lr=0.1, momentum=0.9, **kwargs)


def _messages(caught: list[warnings.WarningMessage]) -> list[tuple[type[Warning], str]]:
    return [(w.category, str(w.message)) for w in caught]


def _pattern_warnings(build: Any, pattern: str) -> list[tuple[type[Warning], str]]:
    """The warnings of five steps in ``pattern``: "new" (optimizer first), "old" (scheduler
    first) or "overridden" (new order, ``optimizer.step`` replaced after construction)."""
    opt = _sgd()
    sched = build(opt)
    if pattern == "overridden":
        old_step = opt.step
        opt.step = types.MethodType(lambda self: old_step(), opt)  # type: ignore[method-assign]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(5):
            if pattern == "old":
                sched.step()
                opt.step()
            else:
                opt.step()
                sched.step()
    return _messages(caught)


@pytest.mark.parametrize("pattern", ["new", "old", "overridden"])
def test_step_order_warnings_are_torchs(pattern: str) -> None:
    """Same text, category and detection as torch's schedulers (StepLR stands for them)."""
    ours = _pattern_warnings(lambda opt: lt.ParamScheduler(opt, lr=lr.constant(0.1)), pattern)
    theirs = _pattern_warnings(lambda opt: ts.StepLR(opt, 3), pattern)
    assert ours == theirs
    assert bool(ours) == (pattern != "new")
    if pattern == "old":
        assert ours[0][1].startswith("Detected call of `lr_scheduler.step()` before")


def test_step_epoch_gives_torchs_deprecation_warning() -> None:
    opt = _sgd()
    sched = lt.ParamScheduler(opt, lr=lr.linear(0.1, 0.01, 10))
    opt.step()
    with pytest.warns(UserWarning) as caught:
        sched.step(4)
    assert [str(w.message) for w in caught] == [ts.EPOCH_DEPRECATION_WARNING]
    assert sched.last_epoch == 4
    assert opt.param_groups[0]["lr"] == lr.linear(0.1, 0.01, 10)(4)


def _run(sched: Any, opt: torch.optim.Optimizer, steps: int) -> list[tuple[int, str]]:
    """Steps in the right order; the warnings each step gave."""
    out = []
    for _ in range(steps):
        opt.step()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sched.step()
        out += [(sched.last_epoch, str(w.message)) for w in caught]
    return out


def test_warns_once_past_the_end_of_an_lr_schedule_holding_zero() -> None:
    opt = _sgd(3)
    sched = lt.ParamScheduler(
        opt,
        lr=[lr.linear(0.1, 0.0, 5), lr.cosine(0.1, 0.0, 8), lr.linear(0.1, 0.01, 5)],
        momentum=lr.linear(0.9, 0.0, 3),  # a momentum ending at 0 is a normal end state
    )
    assert _run(sched, opt, 20) == [
        (
            6,
            "ParamScheduler: step 6 is past the end of the lr schedule of param_groups[0] "
            "(total_steps=5), which holds lr 0 from there on: those parameters no longer train",
        ),
        (
            9,
            "ParamScheduler: step 9 is past the end of the lr schedule of param_groups[1] "
            "(total_steps=8), which holds lr 0 from there on: those parameters no longer train",
        ),
    ]


def test_no_end_warning_for_endless_or_nonzero_schedules() -> None:
    opt = _sgd(2)
    sched = lt.ParamScheduler(opt, lr=[lr.exp_decay(0.1, 0.5), lr.linear(0.1, 1e-9, 3)])
    assert _run(sched, opt, 12) == []


def test_end_warning_after_resume() -> None:
    """Resumed before the end, the step past it warns; resumed past it, nothing more does."""
    schedule = lr.linear(0.1, 0.0, 5)
    for resume_at, expected in ((3, [6]), (5, [6]), (6, []), (9, [])):
        opt = _sgd()
        sched = lt.ParamScheduler(opt, lr=schedule)
        sched.load_state_dict({**sched.state_dict(), "last_epoch": resume_at})
        assert [step for step, _ in _run(sched, opt, 8)] == expected, resume_at


BAD: list[tuple[str, Any, str]] = [
    (
        "negative constant",
        lambda: lt.ParamScheduler(_sgd(), lr=-0.1),
        "ParamScheduler(): lr of param_groups[0] must be finite and non-negative at every "
        "step, got -0.1 at step 0",
    ),
    (
        "linear below zero",
        lambda: lt.ParamScheduler(_sgd(), lr=lr.linear(0.1, -0.1, 10)),
        "ParamScheduler(): lr of param_groups[0] must be finite and non-negative at every "
        f"step, got {lr.linear(0.1, -0.1, 10)(6)!r} at step 6",
    ),
    (
        "endless schedule shifted below zero",
        lambda: lt.ParamScheduler(_sgd(), lr=lr.exp_decay(1.0, 0.9) + (-0.5)),
        "ParamScheduler(): lr of param_groups[0] must be finite and non-negative at every "
        f"step, got {lr.exp_decay(1.0, 0.9)(7) - 0.5!r} at step 7",
    ),
    (
        "second group only",
        lambda: lt.ParamScheduler(_sgd(2), momentum={1: lr.linear(0.9, -0.9, 2)}),
        "ParamScheduler(): momentum of param_groups[1] must be finite and non-negative at "
        "every step, got -0.9 at step 2",
    ),
    (
        "weight decay",
        lambda: lt.ParamScheduler(_sgd(), weight_decay=[lr.constant(-1e-4)]),
        "ParamScheduler(): weight_decay of param_groups[0] must be finite and non-negative "
        "at every step, got -0.0001 at step 0",
    ),
    (
        "growing to infinity",
        lambda: lt.ParamScheduler(_sgd(), lr=lr.exp_decay(1.0, 2.0)),
        "ParamScheduler(): lr of param_groups[0] must be finite and non-negative at every "
        f"step, got inf at step {next(t for t in range(2000) if lr.exp_decay(1.0, 2.0)(t) > 1e308)}",
    ),
    (
        "beta1 reaching 1",
        lambda: lt.ParamScheduler(
            torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))]), beta1=lr.linear(0.9, 1.0, 4)
        ),
        "ParamScheduler(): beta1 of param_groups[0] must be in [0, 1) at every step, got 1.0 "
        "at step 4",
    ),
    (
        "momentum of Adam is betas[0]",
        lambda: lt.ParamScheduler(
            torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))]), momentum=-0.5
        ),
        "ParamScheduler(): momentum of param_groups[0] must be in [0, 1) at every step, got "
        "-0.5 at step 0",
    ),
    (
        "long schedule, sampled",
        lambda: lt.ParamScheduler(_sgd(), lr=lr.linear(0.1, -0.1, 10**7)),
        "ParamScheduler(): lr of param_groups[0] must be finite and non-negative at every "
        f"step, got {lr.linear(0.1, -0.1, 10**7)(5000076)!r} at step 5000076",
    ),
]


@pytest.mark.parametrize(("label", "build", "message"), BAD, ids=[b[0] for b in BAD])
def test_out_of_range_schedule_raises(label: str, build: Any, message: str) -> None:
    with pytest.raises(ValueError) as error:
        build()
    assert str(error.value) == message


@pytest.mark.parametrize(
    ("spec", "kind", "message"),
    [
        (
            "abc",
            TypeError,
            "ParamScheduler(): lr of param_groups[0]: constant(): value must be a number, "
            "got 'abc'",
        ),
        (
            lr.stack([lr.constant(0.1), lr.constant(0.2)]),
            TypeError,
            "ParamScheduler(): lr of param_groups[0] must be a single schedule, got a batch of 2",
        ),
    ],
)
def test_spec_that_is_no_schedule(spec: Any, kind: type[Exception], message: str) -> None:
    with pytest.raises(kind) as error:
        lt.ParamScheduler(_sgd(), lr=spec)
    assert type(error.value) is kind
    assert str(error.value) == message


def test_other_keys_are_not_range_checked() -> None:
    opt = _sgd()
    opt.param_groups[0]["my_key"] = 0.0
    lt.ParamScheduler(opt, my_key=lr.linear(1.0, -1.0, 4))
    assert opt.param_groups[0]["my_key"] == 1.0


def test_load_state_dict_checks_the_loaded_schedules() -> None:
    opt = _sgd()
    sched = lt.ParamScheduler(opt, lr=lr.constant(0.1))
    state = sched.state_dict()
    state["schedules"]["lr"]["0"] = lr.constant(-0.2).to_dict()
    with pytest.raises(ValueError, match=r"got -0\.2 at step 0$"):
        sched.load_state_dict(state)


def _build(opt: torch.optim.Optimizer) -> Any:
    return lt.ParamScheduler(
        opt,
        lr=[lr.warmup(3, lr.cosine(0.1, 0.0, 9)), lr.linear(0.05, 0.01, 6)],
        momentum={1: lr.one_cycle_momentum(12)},
        weight_decay=lr.piecewise_constant([4], [0.0, 1e-4]),
    )


def _state(opt: torch.optim.Optimizer, sched: Any) -> Any:
    entries = [(g["lr"], g["momentum"], g["weight_decay"]) for g in opt.param_groups]
    return entries, sched.get_last_lr(), sched.last_epoch


def _through_torch_save(state: dict[str, Any]) -> dict[str, Any]:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    loaded: dict[str, Any] = torch.load(buffer, weights_only=True)
    return loaded


@SETTINGS
@given(k=st.integers(0, 16), how=st.sampled_from(["json", "pickle", "torch"]), first=st.booleans())
def test_exact_resume(k: int, how: str, first: bool) -> None:
    """Interrupted after ``k`` steps, resumed from a state dict sent through JSON, pickle or
    ``torch.save`` and loaded before or after the optimizer's: bit-exact continuation."""
    n = 18
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the first group's lr ends at 0: the end warning
        opt = _sgd(2)
        sched = _build(opt)
        full = [_state(opt, sched)]
        for _ in range(n):
            opt.step()
            sched.step()
            full.append(_state(opt, sched))
        opt = _sgd(2)
        sched = _build(opt)
        for _ in range(k):
            opt.step()
            sched.step()
        state = sched.state_dict()
        send = {
            "json": lambda s: json.loads(json.dumps(s)),
            "pickle": lambda s: pickle.loads(pickle.dumps(s)),
            "torch": _through_torch_save,
        }[how]
        saved, opt_saved = send(state), opt.state_dict()
        opt2 = _sgd(2)
        if first:
            opt2.load_state_dict(opt_saved)
        sched2 = _build(opt2)
        sched2.load_state_dict(saved)
        if not first:
            opt2.load_state_dict(opt_saved)
        got = [_state(opt2, sched2)]
        for _ in range(k, n):
            opt2.step()
            sched2.step()
            got.append(_state(opt2, sched2))
    assert got == full[k:]


def test_tensor_entries_filled_in_place() -> None:
    """Tensor ``lr`` and ``betas`` entries keep their identity (no recompile of a compiled
    step); ``get_last_lr`` gives copies, as torch's schedulers do."""
    lr0 = torch.tensor(0.01, dtype=torch.float64)
    betas = (torch.tensor(0.95, dtype=torch.float64), torch.tensor(0.999, dtype=torch.float64))
    opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))], lr=lr0, betas=betas)
    group = opt.param_groups[0]
    lr_tensor, beta_tensor = group["lr"], group["betas"][0]
    rate, beta1 = lr.cosine(0.01, 0.001, 6), lr.linear(0.95, 0.85, 6)
    sched = lt.ParamScheduler(opt, lr=rate, beta1=beta1)
    for t in range(9):
        assert group["lr"] is lr_tensor and group["betas"][0] is beta_tensor
        assert float(lr_tensor) == rate(t)
        assert float(beta_tensor) == beta1(t)
        last = sched.get_last_lr()
        assert isinstance(last[0], torch.Tensor) and last[0] is not lr_tensor
        assert float(last[0]) == rate(t)
        opt.step()
        sched.step()
    assert group["initial_lr"] is not lr_tensor and float(group["initial_lr"]) == 0.01
    assert [float(b) for b in sched.base_lrs] == [0.01]
