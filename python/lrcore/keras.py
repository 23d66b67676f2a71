"""lrcore schedules for Keras 3: ``keras.optimizers.Adam(lrcore.keras.Schedule(s))``.

>>> import keras
>>> import numpy as np
>>> import lrcore as lr
>>> import lrcore.keras
>>> s = lr.warmup(100, lr.cosine(1e-3, 1e-5, 900))
>>> opt = keras.optimizers.SGD(learning_rate=lrcore.keras.Schedule(s))
>>> float(opt.learning_rate) == float(np.float32(s(0)))
True

:class:`Schedule` is a ``keras.optimizers.schedules.LearningRateSchedule``, registered as
``"lrcore>Schedule"``, so a model compiled with it saves (``model.save("m.keras")``) and
reloads (``keras.saving.load_model``) with the schedule inside: its config is the schedule's
dict form (:meth:`lrcore.Schedule.to_dict`) and ``total_steps``. Like :mod:`lrcore.jax` it
looks the optimizer's step up in a table of the schedule's values at steps
``0 … total_steps`` (``keras.config.floatx()``, float32 by default), valid on every backend
and inside compiled train functions; past the table's end the last value holds.

Needs ``pip install 'lrcore[keras]'`` and a Keras backend (``KERAS_BACKEND`` = jax, torch or
tensorflow); ``import lrcore`` never imports keras.
"""

from __future__ import annotations

from typing import Any

import lrcore as lr
from lrcore import _table
from lrcore._optional import missing

# Keras also needs one of its backends (jax, torch or tensorflow, chosen by KERAS_BACKEND); a
# missing backend's own ModuleNotFoundError passes through unchanged.
try:
    import keras
    from keras import ops
except ModuleNotFoundError as err:
    raise missing(__name__, err) from None

__all__ = ["Schedule"]


@keras.saving.register_keras_serializable(package="lrcore")
class Schedule(keras.optimizers.schedules.LearningRateSchedule):  # type: ignore[misc]
    """A Keras learning-rate schedule with the values of the lrcore schedule ``s``.

    ``schedule(step)`` is ``s(step)`` for steps ``0 … total_steps`` (rounded to
    ``keras.config.floatx()``) and ``s(total_steps)`` past them; ``total_steps`` defaults to
    ``s.total_steps`` and must be given for an endless schedule (see :func:`lrcore.jax.schedule`
    for the same rule). ``get_config()`` is ``{"schedule": s.to_dict(), "total_steps": ...}``.

    >>> import lrcore as lr
    >>> sched = Schedule(lr.step_decay(1.0, 10, 0.5), total_steps=30)
    >>> [float(sched(t)) for t in (0, 10, 25, 1000)]
    [1.0, 0.5, 0.25, 0.125]
    >>> Schedule.from_config(sched.get_config()).schedule == sched.schedule
    True
    """

    def __init__(self, s: lr.Schedule, total_steps: int | None = None) -> None:
        super().__init__()
        values = _table.table("lrcore.keras.Schedule", s, total_steps)
        #: The lrcore schedule.
        self.schedule = s
        #: ``total_steps`` as given (None: the schedule's own).
        self.total_steps = total_steps
        self._values = ops.convert_to_tensor(values, dtype=keras.config.floatx())
        self._last = values.shape[-1] - 1

    def __call__(self, step: Any) -> Any:
        # Clamping before the cast keeps huge steps from overflowing int32; the cast then
        # truncates a float step, which equals flooring it once it is clamped to >= 0.
        index = ops.cast(ops.clip(step, 0, self._last), "int32")
        return ops.take(self._values, index, axis=-1)

    def get_config(self) -> dict[str, Any]:
        return {"schedule": self.schedule.to_dict(), "total_steps": self.total_steps}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Schedule:
        return cls(lr.from_dict(config["schedule"]), config["total_steps"])

    def __repr__(self) -> str:
        return f"lrcore.keras.Schedule({self.schedule!r}, total_steps={self.total_steps!r})"
