"""The lookup table behind the framework exports (:mod:`lrcore.jax`, :mod:`lrcore.keras`).

A compiled training step cannot call back into Rust, so the exports carry a schedule's values
for steps ``0 … total_steps`` as an array and look a step up in it, clamping the index: past the
table's end its last value holds, exactly as a finite lrcore schedule holds its final value.
"""

from __future__ import annotations

import numbers

import numpy as np
import numpy.typing as npt

from lrcore._core import Schedule


def table(func: str, schedule: Schedule, total_steps: int | None) -> npt.NDArray[np.float64]:
    """``schedule.values(total_steps + 1)``: (n,) for a schedule, (B, n) for a batch.

    ``total_steps`` defaults to ``schedule.total_steps``; an endless schedule needs it, and its
    value at ``total_steps`` then holds. A finite schedule given a shorter ``total_steps`` is
    cut there the same way.
    """
    if not isinstance(schedule, Schedule):
        raise TypeError(
            f"{func}(): schedule must be an lrcore Schedule, got {type(schedule).__name__}"
        )
    if total_steps is None:
        total_steps = schedule.total_steps
        if total_steps is None:
            raise ValueError(
                f"{func}(): total_steps must be given for an endless schedule "
                f"({schedule!r}), got None"
            )
    elif isinstance(total_steps, bool) or not isinstance(total_steps, numbers.Integral):
        raise TypeError(
            f"{func}(): total_steps must be an integer, got {type(total_steps).__name__}"
        )
    elif total_steps < 0:
        raise ValueError(f"{func}(): total_steps must be >= 0, got {total_steps}")
    return schedule.values(int(total_steps) + 1)
