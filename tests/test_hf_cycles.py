"""``lrcore.hf.get_scheduler`` with cycles of a real number of steps (issue 13 item 1): the
``num_cycles`` that transformers users pass, which lrcore refused before, against transformers."""

from __future__ import annotations

from typing import Any

import lrcore.hf
import pytest
import torch

transformers = pytest.importorskip("transformers")

PEAK = 0.1
# The phase is formed as t - i * period rather than from (t - W) / L: a few ulps apart.

CASES = [
    ("cosine", 7, 47, {"num_cycles": 1.5}),  # cycles of 40 / 1.5 steps
    ("cosine", 0, 100, {"num_cycles": 0.7}),
    ("cosine", 3, 1000, {"num_cycles": 3.3}),
    ("cosine_with_restarts", 5, 45, {"num_cycles": 3}),  # 40 / 3 steps a cycle
    ("cosine_with_restarts", 0, 100, {"num_cycles": 7}),
    ("cosine_with_min_lr", 3, 50, {"min_lr_rate": 0.1, "num_cycles": 0.7}),
    ("cosine_warmup_with_min_lr", 4, 61, {"min_lr_rate": 0.05, "num_cycles": 1.3}),
    ("warmup_stable_decay", 5, 60, {"num_decay_steps": 21, "num_cycles": 0.8}),
]


def _lrs(get_scheduler: Any, name: str, warmup: int, total: int, kwargs: Any) -> list[float]:
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=PEAK)
    sched = get_scheduler(name, opt, warmup, total, kwargs)
    out = []
    for _ in range(int(1.2 * total)):
        out.append(float(opt.param_groups[0]["lr"]))
        opt.step()
        sched.step()
    return out


@pytest.mark.parametrize(("name", "warmup", "total", "kwargs"), CASES)
def test_real_valued_cycles_match_transformers(
    name: str, warmup: int, total: int, kwargs: Any
) -> None:
    theirs = _lrs(transformers.get_scheduler, name, warmup, total, kwargs)
    ours = _lrs(lrcore.hf.get_scheduler, name, warmup, total, kwargs)
    for t, (x, y) in enumerate(zip(ours, theirs)):
        assert abs(x - y) <= 2e-15 * PEAK, f"step {t}: lrcore {x!r} vs transformers {y!r}"


def _factors(get_scheduler: Any, warmup: int, total: int, num_cycles: float) -> list[float]:
    """The schedule's factor (rate / peak) at every step through ``total + 2``."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=PEAK)
    kwargs = {"num_cycles": num_cycles}
    sched = get_scheduler("cosine_with_restarts", opt, warmup, total, kwargs)
    factor = sched.lr_lambdas[0]
    return [float(factor(t)) for t in range(total + 3)]


@pytest.mark.parametrize("num_cycles", [*range(1, 13), 0.5, 1.5, 2.5, 0.1, 0.3, 3.3])
def test_restarts_on_whole_steps_match_transformers(num_cycles: float) -> None:
    """Cycles that start on a whole step (``num_cycles`` divides ``k * length``), where the
    rounded period puts the step in one cycle and transformers' ``num_cycles * (u / length)``
    in another: every decay length up to 120, with and without warm-up."""
    for length in range(1, 121):
        for warmup in (0, 3):
            total = warmup + length
            theirs = _factors(transformers.get_scheduler, warmup, total, num_cycles)
            ours = _factors(lrcore.hf.get_scheduler, warmup, total, num_cycles)
            for t, (x, y) in enumerate(zip(ours, theirs, strict=True)):
                assert abs(x - y) <= 1e-12, f"length {length} step {t}: {x!r} vs {y!r}"
