"""Drawing schedules; matplotlib is imported only when a plot is asked for."""

from __future__ import annotations

from typing import Any

import numpy as np

from lrcore._core import Schedule
from lrcore._optional import missing

#: Steps drawn for an endless schedule when the caller gives none.
ENDLESS_STEPS = 1000


def plot(schedule: Schedule, n: int | None = None, ax: Any = None, **kwargs: Any) -> Any:
    """Draws ``schedule`` over ``n`` steps (default: its total_steps, or 1000 if endless) on
    ``ax`` (default: a new figure); a batch draws one line per schedule. Returns the Axes.

    Each line is labelled ``repr(schedule)`` (``repr(schedule)[i]`` for row ``i`` of a batch),
    ready for ``ax.legend()``, unless ``label=`` is given.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import lrcore as lr
    >>> ax = lr.cosine(1.0, 0.0, 100).plot()
    >>> ax.get_lines()[0].get_label()
    'cosine(1.0, 0.0, 100)'
    """
    try:
        import matplotlib.pyplot as plt
    except ModuleNotFoundError as err:
        raise missing("Schedule.plot()", err) from None
    if n is None:
        n = max(schedule.total_steps or ENDLESS_STEPS, 1)
    if ax is None:
        _, ax = plt.subplots()
    values = schedule.values(n)
    steps = np.arange(n)
    for i, row in enumerate(np.atleast_2d(values)):
        label = repr(schedule) if values.ndim == 1 else f"{schedule!r}[{i}]"
        ax.plot(steps, row, **{"label": label, **kwargs})
    ax.set_xlabel("step")
    ax.set_ylabel("value")
    return ax
