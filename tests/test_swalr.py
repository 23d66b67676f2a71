"""``lrcore.torch.SWALR`` against ``torch.optim.swa_utils.SWALR``.

Both sides run the same program on identical models: a first scheduler, then stochastic weight
averaging (``AveragedModel``) with SWALR from ``swa_start``. At every step every group's rate
must agree within 1e-9 relative; the averaged weights must agree at the end. Then what torch's
SWALR does beyond a plain run: hand edits, Tensor rates, a hand-set ``anneal_func``, another
scheduler stepping the same optimizer, state dicts in both directions, and its errors.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Callable
from typing import Any

import lrcore.torch as lt
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from torch.optim import lr_scheduler as ts
from torch.optim import swa_utils

REL = 1e-9
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))

Side = Callable[..., Any]


def _close(a: Any, b: Any) -> bool:
    a, b = float(a), float(b)
    return a == b or abs(a - b) <= REL * max(abs(a), abs(b))


def _model(lrs: list[float]) -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 1))
    groups = [{"params": layer.parameters(), "lr": v} for layer, v in zip(model, lrs)]
    return model, torch.optim.SGD(groups[: len(lrs)], lr=lrs[0], momentum=0.5)


def _rates(opt: torch.optim.Optimizer) -> list[float]:
    return [float(g["lr"]) for g in opt.param_groups]


def _swa_run(
    swalr: Side,
    cosine: Side,
    lrs: list[float],
    swa_lr: Any,
    kwargs: dict[str, Any],
    start: int,
    upfront: bool,
) -> tuple[list[list[float]], list[torch.Tensor]]:
    """torch's SWA recipe: ``cosine`` until ``start``, then SWALR and weight averaging. SWALR
    is built with the first scheduler (``upfront``, as torch's docs do) or at ``start``."""
    model, opt = _model(lrs)
    swa_model = swa_utils.AveragedModel(model)
    first = cosine(opt, T_max=start + 5)
    swa = swalr(opt, swa_lr=swa_lr, **kwargs) if upfront else None
    x = torch.linspace(-1, 1, 24).reshape(8, 3)
    y = x.sum(dim=1, keepdim=True)
    seen = [_rates(opt)]
    for epoch in range(start + 15):
        opt.zero_grad()
        torch.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
        if epoch >= start:
            swa_model.update_parameters(model)
            if swa is None:
                swa = swalr(opt, swa_lr=swa_lr, **kwargs)
            swa.step()
        else:
            first.step()
        seen.append(_rates(opt))
    return seen, [p.detach().clone() for p in swa_model.parameters()]


@SETTINGS
@given(
    lrs=st.lists(st.floats(1e-3, 0.1), min_size=1, max_size=2),
    swa=st.lists(st.floats(0.0, 0.05), min_size=2, max_size=2),
    per_group=st.booleans(),
    anneal_epochs=st.integers(0, 12),
    strategy=st.sampled_from(["cos", "linear"]),
    start=st.integers(0, 6),
    upfront=st.booleans(),
)
def test_matches_torch_in_swa_training_loop(
    lrs: list[float],
    swa: list[float],
    per_group: bool,
    anneal_epochs: int,
    strategy: str,
    start: int,
    upfront: bool,
) -> None:
    # With anneal_epochs=0 torch's SWALR writes swa_lr when it is built, and the first
    # scheduler then runs on from that rate: a composition of two schedulers stepping
    # together, tested with the other drop-ins, not here.
    assume(anneal_epochs > 0 or not upfront)
    swa_lr: Any = swa[: len(lrs)] if per_group else swa[0]
    kwargs = {"anneal_epochs": anneal_epochs, "anneal_strategy": strategy}
    args = (lrs, swa_lr, kwargs, start, upfront)
    ours, our_avg = _swa_run(lt.SWALR, lt.CosineAnnealingLR, *args)
    theirs, their_avg = _swa_run(swa_utils.SWALR, ts.CosineAnnealingLR, *args)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        assert all(map(_close, a, b)), (step, a, b)
    for a, b in zip(our_avg, their_avg):
        torch.testing.assert_close(a, b, rtol=1e-7, atol=1e-9)


def _drive(
    swalr: Side,
    steps: int,
    *,
    edit: Callable[[int, Any, torch.optim.Optimizer], None] | None = None,
    tensor_lr: bool = False,
    **kwargs: Any,
) -> list[list[float]]:
    lr0: Any = torch.tensor(0.2, dtype=torch.float64) if tensor_lr else 0.2
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=lr0)
    sched = swalr(opt, **kwargs)
    seen = []
    for i in range(steps):
        opt.step()
        sched.step()
        if edit is not None:
            edit(i, sched, opt)
        seen.append(_rates(opt) + [float(v) for v in sched.get_last_lr()])
    return seen


def _same(ours: list[list[float]], theirs: list[list[float]]) -> None:
    assert len(ours) == len(theirs)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        assert all(map(_close, a, b)), (step, a, b)


def test_large_anneal_epochs_within_tolerance() -> None:
    """The cosine factor is lrcore's warm-up, a few ulp from torch's; over a long anneal to a
    rate of 0 (where rounding matters most) the rates still agree within 1e-9."""
    kwargs = {"swa_lr": 0.0, "anneal_epochs": 3000}
    _same(_drive(lt.SWALR, 3003, **kwargs), _drive(swa_utils.SWALR, 3003, **kwargs))


def test_hand_edits_carry_on_as_torch() -> None:
    """A rate set by hand, a new ``anneal_epochs`` and a new ``swa_lr`` between steps."""

    def edit(i: int, sched: Any, opt: torch.optim.Optimizer) -> None:
        if i == 2:
            opt.param_groups[0]["lr"] = 0.5
        if i == 4:
            sched.anneal_epochs = 9
        if i == 6:
            opt.param_groups[0]["swa_lr"] = 0.03

    kwargs = {"swa_lr": 0.01, "anneal_epochs": 5, "edit": edit}
    _same(_drive(lt.SWALR, 14, **kwargs), _drive(swa_utils.SWALR, 14, **kwargs))


def test_hand_set_anneal_func_and_float_epochs_use_torchs_formula() -> None:
    def edit(i: int, sched: Any, opt: torch.optim.Optimizer) -> None:
        if i == 1:
            sched.anneal_func = lambda t: t**2
        if i == 4:
            sched.anneal_epochs = 7.5

    kwargs = {"swa_lr": 0.02, "anneal_epochs": 6, "edit": edit}
    _same(_drive(lt.SWALR, 12, **kwargs), _drive(swa_utils.SWALR, 12, **kwargs))


@pytest.mark.parametrize("strategy", ["cos", "linear"])
def test_tensor_lr_and_tensor_swa_lr(strategy: str) -> None:
    """A Tensor rate is filled in place (its identity kept) with torch's values; a Tensor
    ``swa_lr`` is copied, as torch copies it."""
    kwargs = {"anneal_epochs": 4, "anneal_strategy": strategy, "tensor_lr": True}
    swa = torch.tensor(0.05, dtype=torch.float64)
    ours = _drive(lt.SWALR, 8, swa_lr=swa, **kwargs)
    swa.mul_(0.5)  # later changes to the caller's Tensor move neither scheduler
    theirs = _drive(swa_utils.SWALR, 8, swa_lr=torch.tensor(0.05, dtype=torch.float64), **kwargs)
    _same(ours, theirs)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=torch.tensor(0.1))
    tensor = opt.param_groups[0]["lr"]
    sched = lt.SWALR(opt, swa_lr=0.01, anneal_epochs=3)
    for _ in range(3):
        opt.step()
        sched.step()
    assert opt.param_groups[0]["lr"] is tensor
    assert float(tensor) == pytest.approx(0.01, rel=1e-6)


def test_steps_with_another_scheduler_as_torch() -> None:
    """torch lets another scheduler step the same optimizer: SWALR reads the rate it left."""

    def run(swalr: Side) -> list[list[float]]:
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.3)
        other = ts.ExponentialLR(opt, gamma=0.8)
        swa = swalr(opt, swa_lr=0.05, anneal_epochs=6, anneal_strategy="cos")
        seen = []
        for _ in range(12):
            opt.step()
            other.step()
            swa.step()
            seen.append(_rates(opt))
        return seen

    _same(run(lt.SWALR), run(swa_utils.SWALR))


def test_is_torchs_class() -> None:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = lt.SWALR(opt, swa_lr=0.01)
    assert isinstance(sched, swa_utils.SWALR)
    assert isinstance(sched, ts.LRScheduler)
    assert "SWALR" in lt.__all__
    assert opt.param_groups[0]["swa_lr"] == 0.01


def _save_load(state: dict[str, Any]) -> dict[str, Any]:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    loaded: dict[str, Any] = torch.load(buffer, weights_only=True)
    return loaded


@pytest.mark.parametrize(
    ("saver", "loader"),
    [
        (lt.SWALR, lt.SWALR),
        (swa_utils.SWALR, lt.SWALR),
        (lt.SWALR, swa_utils.SWALR),
    ],
)
@pytest.mark.parametrize("k", [0, 2, 5, 9])
def test_state_dict_round_trip(saver: Side, loader: Side, k: int) -> None:
    """Interrupted after ``k`` steps and resumed from ``torch.save``d states (optimizer and
    scheduler, in either class), the run continues exactly as an uninterrupted one."""
    kwargs = {"swa_lr": 0.02, "anneal_epochs": 6}
    full = _drive(loader, 12, **kwargs)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.2)
    sched = saver(opt, **kwargs)
    for _ in range(k):
        opt.step()
        sched.step()
    sched_state = _save_load(sched.state_dict())
    opt_state = _save_load(opt.state_dict())
    opt2 = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.2)
    sched2 = loader(opt2, swa_lr=0.5, anneal_epochs=2, anneal_strategy="linear")
    sched2.load_state_dict(sched_state)
    opt2.load_state_dict(opt_state)
    assert sched2.state_dict() == sched_state
    seen = []
    for _ in range(k, 12):
        opt2.step()
        sched2.step()
        seen.append(_rates(opt2) + [float(v) for v in sched2.get_last_lr()])
    assert seen == full[k:]


def test_get_lr_outside_step_warns_as_torch() -> None:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = lt.SWALR(opt, swa_lr=0.01)
    with pytest.warns(UserWarning, match=r"^To get the last learning rate computed by the sched"):
        sched.get_lr()


def test_step_before_optimizer_step_warns_as_torch() -> None:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = lt.SWALR(opt, swa_lr=0.01)
    with pytest.warns(UserWarning, match=r"^Detected call of `lr_scheduler.step\(\)` before"):
        sched.step()


def _sgd(groups: int = 1) -> torch.optim.Optimizer:
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(groups)]
    return torch.optim.SGD(params, lr=0.1)


BAD = [
    ({"swa_lr": -0.01}, "SWALR(): swa_lr[0] must be a non-negative number, got -0.01"),
    ({"swa_lr": math.nan}, "SWALR(): swa_lr[0] must be a non-negative number, got nan"),
    ({"swa_lr": math.inf}, "SWALR(): swa_lr[0] must be finite, got inf"),
    ({"swa_lr": "0.1"}, "SWALR(): swa_lr[0] must be a non-negative number, got '0.1'"),
    ({"swa_lr": True}, "SWALR(): swa_lr[0] must be a non-negative number, got True"),
    ({"swa_lr": [0.1, -1.0]}, "SWALR(): swa_lr[1] must be a non-negative number, got -1.0"),
    (
        {"swa_lr": torch.tensor([0.1, 0.2])},
        "SWALR(): swa_lr[0] must be a number or one-element Tensor, got tensor([0.1000, 0.2000])",
    ),
    (
        {"swa_lr": torch.tensor(-0.5)},
        "SWALR(): swa_lr[0] must be a non-negative number, got tensor(-0.5000)",
    ),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD)
def test_bad_swa_lr_raises_early(kwargs: dict[str, Any], message: str) -> None:
    """torch accepts each of these and trains with a negative or NaN rate, or fails inside a
    step; lrcore refuses them at construction, before touching the param groups."""
    opt = _sgd(2)
    with pytest.raises(ValueError) as error:
        lt.SWALR(opt, **kwargs)
    assert str(error.value) == message
    assert all("swa_lr" not in g for g in opt.param_groups)


def test_torch_accepts_what_lrcore_rejects() -> None:
    """The premise of the rows above: torch builds these, writing a negative or NaN rate, or
    fails with an error that names neither SWALR nor swa_lr."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = _sgd()
        swa_utils.SWALR(opt, swa_lr=-0.01, anneal_epochs=0)
        assert opt.param_groups[0]["lr"] == -0.01
        opt = _sgd()
        swa_utils.SWALR(opt, swa_lr=math.nan, anneal_epochs=0)
        assert math.isnan(opt.param_groups[0]["lr"])
        with pytest.raises(TypeError):
            swa_utils.SWALR(_sgd(), swa_lr="0.1")


TORCH_ERRORS: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"swa_lr": 0.1, "anneal_strategy": "exp"}, ValueError, "anneal_strategy must be one of"),
    ({"swa_lr": 0.1, "anneal_epochs": -1}, ValueError, "anneal_epochs must be equal or greater"),
    ({"swa_lr": 0.1, "anneal_epochs": 1.5}, ValueError, "anneal_epochs must be equal or greater"),
    ({"swa_lr": [0.1, 0.2, 0.3]}, ValueError, "swa_lr must have the same length"),
    ({"swa_lr": 0.1, "last_epoch": 3}, KeyError, "param 'initial_lr' is not specified"),
]


@pytest.mark.parametrize(("kwargs", "kind", "start"), TORCH_ERRORS)
def test_torch_errors_kept(kwargs: dict[str, Any], kind: type[Exception], start: str) -> None:
    """Errors torch raises itself keep torch's type and message."""
    with pytest.raises(kind) as ours:
        lt.SWALR(_sgd(2), **kwargs)
    with pytest.raises(kind) as theirs:
        swa_utils.SWALR(_sgd(2), **kwargs)
    assert str(ours.value) == str(theirs.value)
    assert start in str(ours.value)


def _sequence_run(
    module: Any, swalr: Side, milestone: int, kwargs: dict[str, Any], resume_at: int | None
) -> list[list[float]]:
    """A cosine phase, then SWALR as ``SequentialLR``'s last phase, for 14 steps; with
    ``resume_at`` the sequence is rebuilt there from ``torch.save``d states."""

    def build() -> tuple[torch.optim.Optimizer, Any]:
        opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.2, momentum=0.9)
        phases = [module.CosineAnnealingLR(opt, 8, eta_min=0.01), swalr(opt, **kwargs)]
        return opt, module.SequentialLR(opt, phases, [milestone])

    opt, sched = build()
    seen = []
    for step in range(14):
        if step == resume_at:
            states = _save_load(opt.state_dict()), _save_load(sched.state_dict())
            opt, sched = build()
            opt.load_state_dict(states[0])
            sched.load_state_dict(states[1])
        opt.step()
        sched.step()
        children = [float(v) for child in sched._schedulers for v in child.get_last_lr()]
        seen.append(_rates(opt) + [float(v) for v in sched.get_last_lr()] + children)
    return seen


@SETTINGS
@given(
    milestone=st.integers(1, 10),
    swa_lr=st.floats(0.0, 0.1),
    anneal_epochs=st.integers(0, 6),
    strategy=st.sampled_from(["cos", "linear"]),
    resume_at=st.none() | st.integers(1, 13),
)
def test_is_sequential_lrs_last_phase_as_torch(
    milestone: int, swa_lr: float, anneal_epochs: int, strategy: str, resume_at: int | None
) -> None:
    """lrcore's SWALR after a cosine phase in lrcore's ``SequentialLR`` gives torch's rates,
    its own and the children's last rates, resumed or not."""
    kwargs = {"swa_lr": swa_lr, "anneal_epochs": anneal_epochs, "anneal_strategy": strategy}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = _sequence_run(lt, lt.SWALR, milestone, kwargs, resume_at)
        theirs = _sequence_run(ts, swa_utils.SWALR, milestone, kwargs, resume_at)
    _same(ours, theirs)
