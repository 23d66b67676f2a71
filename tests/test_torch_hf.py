"""``lrcore.hf.get_scheduler`` against ``transformers.get_scheduler``: every scheduler name,
several argument sets, two param groups with different rates, run to 1.2 x
``num_training_steps`` so that transformers' past-the-end behaviour is compared too.
"""

from __future__ import annotations

import warnings
from typing import Any

import lrcore.hf
import lrcore.torch as lt
import pytest
import torch
import transformers

PEAK = 0.1  # the largest group rate: the absolute tolerance is 1e-15 x PEAK


def make_opt() -> torch.optim.Optimizer:
    torch.manual_seed(0)
    groups = [
        {"params": [torch.nn.Parameter(torch.randn(2))]},
        {"params": [torch.nn.Parameter(torch.randn(3))], "lr": 0.03},
    ]
    return torch.optim.AdamW(groups, lr=PEAK, foreach=False)


# (name, num_warmup_steps, num_training_steps, scheduler_specific_kwargs)
CASES: list[tuple[str, int | None, int | None, dict[str, Any] | None]] = [
    ("linear", 0, 50, None),
    ("linear", 10, 50, None),
    ("linear", 7, 40, None),
    ("linear", 10, 10, None),
    ("cosine", 5, 45, None),
    ("cosine", 0, 40, {"num_cycles": 1.0}),
    ("cosine", 5, 45, {"num_cycles": 2.5}),
    ("cosine_with_restarts", 5, 45, None),
    ("cosine_with_restarts", 5, 45, {"num_cycles": 2}),
    ("cosine_with_restarts", 0, 40, {"num_cycles": 4}),
    ("polynomial", 5, 45, None),
    ("polynomial", 0, 40, {"lr_end": 1e-3, "power": 2.0}),
    ("polynomial", 10, 50, {"lr_end": 1e-4, "power": 0.5}),
    ("constant", None, None, None),
    ("constant_with_warmup", 10, None, None),
    ("constant_with_warmup", 0, None, None),
    ("inverse_sqrt", 10, 100, None),
    ("inverse_sqrt", 10, 100, {"timescale": 5}),
    ("inverse_sqrt", 0, 100, None),
    ("cosine_with_min_lr", 5, 45, {"min_lr_rate": 0.1}),
    ("cosine_with_min_lr", 5, 45, {"min_lr": 0.01, "num_cycles": 1.0}),
    ("cosine_with_min_lr", 0, 40, {"min_lr_rate": 0.05, "num_cycles": 2.5}),
    ("cosine_warmup_with_min_lr", 10, 50, {"min_lr_rate": 0.1}),
    ("cosine_warmup_with_min_lr", 10, 50, {"min_lr": 0.005, "warmup_lr_rate": 0.1}),
    ("cosine_warmup_with_min_lr", 1, 41, {"min_lr_rate": 0.05}),
    ("cosine_warmup_with_min_lr", 5, 45, {"min_lr_rate": 0.0, "num_cycles": 1.0}),
    ("warmup_stable_decay", 10, 50, {"num_decay_steps": 20}),
    (
        "warmup_stable_decay",
        10,
        50,
        {
            "num_decay_steps": 20,
            "warmup_type": "cosine",
            "decay_type": "linear",
            "min_lr_ratio": 0.1,
        },
    ),
    (
        "warmup_stable_decay",
        8,
        40,
        {
            "num_decay_steps": 16,
            "warmup_type": "1-sqrt",
            "decay_type": "1-sqrt",
            "min_lr_ratio": 0.05,
        },
    ),
    (
        "warmup_stable_decay",
        0,
        40,
        {"num_decay_steps": 20, "decay_type": "cosine", "num_cycles": 1.0, "min_lr_ratio": 0.2},
    ),
    (
        "warmup_stable_decay",
        10,
        None,
        {"num_decay_steps": 20, "num_stable_steps": 15, "warmup_type": "linear"},
    ),
    ("reduce_lr_on_plateau", None, None, {"factor": 0.5, "patience": 1, "min_lr": 0.002}),
]

METRICS = [1.0, 0.9, 0.9, 0.9, 0.9, 0.8, 0.85, 0.85, 0.85, 0.7] * 6


def _run(
    get_scheduler: Any, name: str, warmup: int | None, total: int | None, kwargs: Any, n: int
) -> list[list[float]]:
    opt = make_opt()
    sched = get_scheduler(name, opt, warmup, total, kwargs)
    out = [[float(g["lr"]) for g in opt.param_groups]]
    for t in range(n):
        opt.step()
        if name == "reduce_lr_on_plateau":
            sched.step(METRICS[t])
        else:
            sched.step()
        out.append([float(g["lr"]) for g in opt.param_groups])
    return out


def test_every_name_covered() -> None:
    # greedy (transformers' own GreedyLR) is tested in tests/test_hf_presets.py
    assert {c[0] for c in CASES} == set(lrcore.hf.SCHEDULER_NAMES) - {"greedy"}
    names = {s.value for s in transformers.SchedulerType}
    assert set(lrcore.hf.SCHEDULER_NAMES) == names


@pytest.mark.parametrize(("name", "warmup", "total", "kwargs"), CASES)
def test_matches_transformers(
    name: str, warmup: int | None, total: int | None, kwargs: Any
) -> None:
    horizon = total if total is not None else 50
    if kwargs and "num_stable_steps" in kwargs:
        horizon = warmup + kwargs["num_stable_steps"] + kwargs["num_decay_steps"]
    n = int(1.2 * horizon)
    theirs = _run(transformers.get_scheduler, name, warmup, total, kwargs, n)
    ours = _run(lrcore.hf.get_scheduler, name, warmup, total, kwargs, n)
    for t, (a, b) in enumerate(zip(ours, theirs)):
        for g, (x, y) in enumerate(zip(a, b)):
            assert abs(x - y) <= 1e-15 * PEAK, f"step {t}, group {g}: lrcore {x!r} vs {y!r}"


@pytest.mark.parametrize(("name", "warmup", "total", "kwargs"), CASES[:-1])
def test_returns_lrcore_lambda_with_schedule(
    name: str, warmup: int | None, total: int | None, kwargs: Any
) -> None:
    sched = lrcore.hf.get_scheduler(name, make_opt(), warmup, total, kwargs)
    assert isinstance(sched, lt.LambdaLR)
    assert all(isinstance(fn, lrcore.Schedule) for fn in sched.lr_lambdas)


def test_plateau_is_lrcore() -> None:
    sched = lrcore.hf.get_scheduler("reduce_lr_on_plateau", make_opt())
    assert isinstance(sched, lt.ReduceLROnPlateau)


def test_scheduler_type_enum_accepted() -> None:
    enum = transformers.SchedulerType.COSINE
    ours = _run(lrcore.hf.get_scheduler, enum, 5, 45, None, 10)
    assert ours == _run(lrcore.hf.get_scheduler, "cosine", 5, 45, None, 10)


ERRORS: list[tuple[str, str, int | None, int | None, dict[str, Any] | None]] = [
    ("unknown name", "cosine_annealing", 5, 50, None),
    ("missing num_warmup_steps", "linear", None, 50, None),
    ("missing num_warmup_steps (inverse_sqrt)", "inverse_sqrt", None, None, None),
    ("missing num_warmup_steps (wsd)", "warmup_stable_decay", None, 50, {"num_decay_steps": 5}),
    ("missing num_training_steps", "cosine", 5, None, None),
    ("missing num_training_steps (polynomial)", "polynomial", 5, None, None),
    ("wsd without a length", "warmup_stable_decay", 5, None, {"num_decay_steps": 5}),
    (
        "wsd bad warmup_type",
        "warmup_stable_decay",
        5,
        50,
        {"num_decay_steps": 5, "warmup_type": "x"},
    ),
    ("wsd bad decay_type", "warmup_stable_decay", 5, 50, {"num_decay_steps": 5, "decay_type": "x"}),
    ("min_lr and min_lr_rate", "cosine_with_min_lr", 5, 45, {"min_lr": 0.01, "min_lr_rate": 0.1}),
    ("neither min_lr nor rate", "cosine_warmup_with_min_lr", 5, 45, {}),
    ("polynomial lr_end >= lr", "polynomial", 5, 45, {"lr_end": 0.5}),
    ("unexpected kwarg", "linear", 5, 45, {"num_cycles": 2}),
    ("unexpected kwarg (cosine)", "cosine", 5, 45, {"power": 2.0}),
    ("plateau bad factor", "reduce_lr_on_plateau", None, None, {"factor": 2.0}),
]


@pytest.mark.parametrize(
    ("label", "name", "warmup", "total", "kwargs"), ERRORS, ids=[e[0] for e in ERRORS]
)
def test_errors_as_transformers(
    label: str, name: str, warmup: int | None, total: int | None, kwargs: Any
) -> None:
    with pytest.raises(Exception) as theirs:
        transformers.get_scheduler(name, make_opt(), warmup, total, kwargs)
    with pytest.raises(Exception) as ours:
        lrcore.hf.get_scheduler(name, make_opt(), warmup, total, kwargs)
    assert type(ours.value) is type(theirs.value), (ours.value, theirs.value)
    if "missing" in label:  # transformers prints the enum (SchedulerType.LINEAR), lrcore the name
        assert str(ours.value) == str(theirs.value).replace(f"SchedulerType.{name.upper()}", name)
    if label in ("min_lr and min_lr_rate", "neither min_lr nor rate", "polynomial lr_end >= lr"):
        assert str(ours.value) == str(theirs.value)


def test_wsd_both_lengths_warns_like_transformers() -> None:
    kwargs = {"num_decay_steps": 10, "num_stable_steps": 5}
    with warnings.catch_warnings(record=True) as theirs:
        warnings.simplefilter("always")
        transformers.get_scheduler("warmup_stable_decay", make_opt(), 5, 40, kwargs)
    with pytest.warns(UserWarning, match="num_stable_steps will be used") as ours:
        lrcore.hf.get_scheduler("warmup_stable_decay", make_opt(), 5, 40, kwargs)
    assert {str(w.message) for w in ours} == {str(w.message) for w in theirs}
