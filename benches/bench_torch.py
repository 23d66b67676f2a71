"""Per-step cost of the ``lrcore.torch`` drop-ins against torch's own classes.

Each benchmark times ``scheduler.step()`` on a freshly built scheduler (after one warm-up
``optimizer.step(); scheduler.step()``), for 1 and 10 param groups and a float or a Tensor
learning rate; torch's class and lrcore's share a benchmark group, so the table shows the ratio.
No assertions on time.

Run: pytest benches/bench_torch.py --benchmark-enable --benchmark-group-by=group
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import lrcore as lr
import lrcore.torch as lt
import pytest
import torch
from torch.optim import lr_scheduler as ts

Make = Callable[[Any, torch.optim.Optimizer], Any]

torch.set_num_threads(1)  # as in the anchor's measurements


def _lambda(module: Any, opt: torch.optim.Optimizer) -> Any:
    schedule = lr.warmup(1000, lr.cosine(1.0, 0.0, 100_000))
    if module is ts:
        return ts.LambdaLR(opt, lambda t: schedule(t))
    return lt.LambdaLR(opt, schedule)


SCHEDULERS: dict[str, Make] = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=1000),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, [30_000, 60_000, 90_000]),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=100_000),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.01, total_iters=100_000),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.99999),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=100_000, power=2.0),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=100_000),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, 1000, 2),
    "CyclicLR": lambda m, o: m.CyclicLR(o, 0.001, 0.1, step_size_up=2000),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=0.1, total_steps=10**9),
    "LambdaLR": _lambda,
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda t: 0.99999),
    "SequentialLR": lambda m, o: m.SequentialLR(
        o,
        [m.LinearLR(o, start_factor=0.01, total_iters=1000), m.CosineAnnealingLR(o, 100_000)],
        milestones=[1000],
    ),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.5, total_iters=1000), m.ExponentialLR(o, gamma=0.99999)]
    ),
    "ReduceLROnPlateau": lambda m, o: m.ReduceLROnPlateau(o, patience=10**9),
}


def _optimizer(groups: int, tensor_lr: bool) -> torch.optim.Optimizer:
    params = [
        {
            "params": [torch.nn.Parameter(torch.zeros(10))],
            "lr": torch.tensor(0.1) if tensor_lr else 0.1,
        }
        for _ in range(groups)
    ]
    return torch.optim.SGD(params, lr=0.1, momentum=0.9)


@pytest.mark.parametrize("impl", ["torch", "lrcore"])
@pytest.mark.parametrize("lr_kind", ["float", "tensor"])
@pytest.mark.parametrize("groups", [1, 10])
@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_step(benchmark: Any, name: str, groups: int, lr_kind: str, impl: str) -> None:
    benchmark.group = f"{name} groups={groups} lr={lr_kind}"
    opt = _optimizer(groups, lr_kind == "tensor")
    module = ts if impl == "torch" else lt
    sched = SCHEDULERS[name](module, opt)
    step: Callable[[], None]
    if name == "ReduceLROnPlateau":

        def step() -> None:
            sched.step(1.0)

    else:
        step = sched.step
    opt.step()  # warm-up: torch's order check, first-call paths
    step()
    benchmark(step)
