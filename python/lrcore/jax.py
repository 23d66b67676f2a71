"""lrcore schedules for JAX and optax: ``optax.sgd(lrcore.jax.schedule(s))``.

>>> import jax, optax
>>> import numpy as np
>>> import lrcore as lr
>>> import lrcore.jax
>>> s = lr.warmup(100, lr.cosine(1e-3, 1e-5, 900))
>>> sched = lrcore.jax.schedule(s)
>>> float(jax.jit(sched)(100)) == float(np.float32(s(100)))
True
>>> opt = optax.adamw(sched)

JAX traces the training step, so a Rust call per step is impossible there. The schedule is
computed once, by lrcore, into a device-resident table of its values at steps
``0 … total_steps``; the returned function looks the step up in it — a clamped gather that is
valid under ``jit``, ``vmap``, ``scan`` and ``grad``. Past the table's end the last value holds.
The table takes JAX's default float dtype: float32, or float64 (lrcore's exact values) under
``jax.config.update("jax_enable_x64", True)``. It costs 8 bytes a step in float64 (80 MB for
10 million steps), and it enters a jitted function as a constant.

Needs ``pip install 'lrcore[jax]'`` (jax, optax); ``import lrcore`` never imports jax.
"""

from __future__ import annotations

from typing import Any, Callable

from lrcore import _table
from lrcore._core import Schedule
from lrcore._optional import missing

try:
    import jax
    import jax.numpy as jnp
except ModuleNotFoundError as err:
    raise missing(__name__, err) from None

__all__ = ["schedule"]


def schedule(s: Schedule, total_steps: int | None = None) -> Callable[[Any], jax.Array]:
    """An optax schedule (a function of the step count) with ``s``'s values.

    Steps ``0 … total_steps`` take ``s``'s values (rounded to JAX's float dtype); a later step
    takes the value at ``total_steps``, a negative one the value at 0, and a float step is
    floored. ``total_steps`` defaults to ``s.total_steps``, from which a finite schedule holds
    its final value anyway, so the function equals ``s`` at every integer step; an endless
    schedule (``exp_decay``, ``cyclic``, …) needs ``total_steps``, the length of the run: past
    it, its value at ``total_steps`` holds. A batch of B schedules gives a (B,) array per step
    (``(B, *step.shape)`` for an array of steps).

    >>> import lrcore as lr
    >>> f = schedule(lr.step_decay(1.0, 10, 0.5), total_steps=30)
    >>> [float(f(t)) for t in (0, 10, 25, 1000)]
    [1.0, 0.5, 0.25, 0.125]
    >>> f(jnp.arange(0, 40, 10)).tolist()
    [1.0, 0.5, 0.25, 0.125]
    """
    values = jnp.asarray(_table.table("lrcore.jax.schedule", s, total_steps))
    last = values.shape[-1] - 1

    def lookup(step: Any) -> jax.Array:
        # Clamping before the cast keeps huge steps from overflowing int32; the cast then
        # truncates a float step, which equals flooring it once it is clamped to >= 0.
        index = jnp.clip(jnp.asarray(step), 0, last).astype(jnp.int32)
        return values[..., index]

    lookup.__doc__ = f"lrcore.jax.schedule({s!r}): the value at an integer step."
    return lookup
