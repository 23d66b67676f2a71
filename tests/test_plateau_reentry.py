"""ReduceLROnPlateau.step while the optimizer's ``param_groups`` reads the scheduler back.

A logging wrapper whose ``param_groups`` property reads the scheduler's state re-enters the
scheduler in the middle of ``step``: that must neither deadlock nor fail (issue 16, item 6).
The step runs in a daemon thread so that a deadlock fails the test instead of hanging it.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from lrcore.torch import ReduceLROnPlateau  # noqa: E402


class _LoggingSGD(torch.optim.SGD):  # type: ignore[misc]
    """SGD whose ``param_groups`` records the scheduler's state at every read."""

    def __init__(self, params: Any, lr: float) -> None:
        self.scheduler: Any = None
        self.seen: list[tuple[float, int]] = []
        super().__init__(params, lr=lr)

    @property
    def param_groups(self) -> list[dict[str, Any]]:
        if self.scheduler is not None:
            self.seen.append((float(self.scheduler.best), int(self.scheduler.num_bad_epochs)))
        return self.__dict__["_groups"]

    @param_groups.setter
    def param_groups(self, groups: list[dict[str, Any]]) -> None:
        self.__dict__["_groups"] = groups


def test_step_reading_the_scheduler_from_param_groups_finishes() -> None:
    opt = _LoggingSGD([torch.nn.Parameter(torch.zeros(2))], lr=1.0)
    sched = ReduceLROnPlateau(opt, factor=0.5, patience=1)
    opt.scheduler = sched
    done: list[str] = []

    def run() -> None:
        for metric in [1.0, 2.0, 2.0, 2.0]:
            sched.step(metric)
        done.append("ok")

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive(), "ReduceLROnPlateau.step deadlocked reading param_groups"
    assert done == ["ok"]
    # Patience 1: the third epoch without improvement halves the rate once.
    assert [g["lr"] for g in opt.param_groups] == [0.5]
    assert sched.best == 1.0
    assert opt.seen, "param_groups was read during step"
