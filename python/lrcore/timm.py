"""timm's ``create_scheduler_v2`` with lrcore schedules: the same arguments, defaults, loop
protocol and values.

:func:`create_scheduler_v2` takes timm's signature and returns ``(scheduler, num_epochs)`` as
timm does. The scheduler follows timm's protocol: call ``step(epoch)`` at the end of each epoch
and ``step_update(num_updates)`` after each optimizer update; the one matching
``step_on_epochs`` writes the rate of that step into every param group (times the group's
``lr_scale`` where it has one, from the group's ``initial_lr``, which is set as timm sets it).
Each group's curve is an lrcore :class:`~lrcore.Schedule`, built once from timm's arguments
and that group's base rate, so ``scheduler.schedule`` (the first group's) can be plotted,
saved with ``to_json`` and reused anywhere a schedule goes; ``scheduler.schedules`` has them
all. ``state_dict()`` holds the schedules themselves, so ``load_state_dict`` resumes exactly.

How timm's shapes are built (``v`` a group's base rate, ``W`` warm-up steps):

- warm-up: ``linear(warmup_lr, v, W)`` for ``t < W``, then the decay with its clock starting
  at ``W`` (``warmup_prefix=True``) or at 0 (``False``, timm's default: the warm-up overlaps
  the decay's first ``W`` steps; ``tanh`` then aims its warm-up at the decay's value at ``W``,
  as timm's TanhLRScheduler does);
- ``cosine`` / ``tanh`` / ``poly``: ``restarts(cosine(v, min_lr, num_epochs, k=k_decay) | tanh(v,
  min_lr, num_epochs) | polynomial(v, min_lr, num_epochs, power=decay_rate, k=k_decay),
  mul=cycle_mul, decay=cycle_decay, limit=cycle_limit, decay_mode="peak")`` (cycle ``i`` peaks
  at ``v * cycle_decay ** i`` and ends at ``min_lr``; ``min_lr`` holds after the last cycle).
  With ``cycle_mul < 1`` the cycles shrink towards ``T / (1 - cycle_mul)`` (``T``: the
  ``num_epochs`` in steps), from which ``min_lr`` holds: timm's cycle search takes the
  logarithm of a number <= 0 there and raises ``ValueError: math domain error`` from ``step``
  (it does for every step past that limit, ``cycle_limit`` or not, and ``tanh`` on
  construction where an overlapping warm-up ends past it; here that warm-up rises to
  ``min_lr``). With ``cycle_mul != 1`` timm finds a step's cycle as ``floor(log(1 + t *
  (cycle_mul - 1) / T, cycle_mul))``, whose logarithm can round below a whole number at a
  cycle's first step (``log(243, 3)`` is 4.999…) and keep that step at the end of the
  previous cycle, where lrcore's cycle search restarts: at each cycle start on a whole step
  the schedule holds timm's value (a constant step of a ``join``);
- ``step``: ``step_decay(v, decay_epochs, decay_rate)``; a period that is not a whole number of
  steps (timm's ``t // decay_t`` with ``decay_epochs=2.4``) is ``restarts`` of a ``join``
  holding ``v`` for that real length, scaled by ``decay_rate`` each cycle; ``constant`` is
  ``step`` with ``decay_rate=1``;
- ``multistep``: ``multistep(v, [m - 1 for m in decay_milestones], decay_rate)`` (timm decays
  one step before each milestone);
- ``wsd`` / ``rsqrt``: ``min_lr + (stable - min_lr) * g``, where ``stable`` is ``max(v, min_lr)``
  (``wsd``) or ``max(inverse_sqrt(v, 0, timescale), min_lr)`` (``rsqrt``; ``timescale`` in
  steps, any positive real number) and ``g`` is 1 until
  the decay and then timm's decay function (``1-sqrt``, ``linear``, ``cosine``, ``power``
  (``1 - f ** 0.5``, that is ``1-sqrt``) or ``exp`` (``(0.1 ** f - 0.1) / 0.9``)), after the
  warm-up, which is always a prefix;
- ``plateau``: :class:`PlateauLRScheduler`, timm's logic around
  :class:`lrcore.torch.ReduceLROnPlateau`; ``none``: ``None``.

Noise (``noise=...``) follows timm's parameters (range as fractions of ``num_epochs``,
``noise_pct``, ``noise_std``, ``noise_seed``; one relative draw per step shared by all groups)
through :func:`lrcore.noise`, whose draws come from lrcore's own generator: they differ from
timm's ``torch.Generator`` draws.

Where timm asserts (``updates_per_epoch`` missing, ``plateau`` stepped per update) this module
raises ValueError. Importing it needs neither timm nor torch; ``plateau`` needs torch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

import lrcore as lr
from lrcore._core import Schedule
from lrcore.schedules import _with_steps

if TYPE_CHECKING:
    from torch.optim import Optimizer

__all__ = ["PlateauLRScheduler", "Scheduler", "create_scheduler_v2"]

_WSD_DECAYS = ("linear", "1-sqrt", "cosine", "power", "exp")
_EXP_RATIO = 0.1  # timm's WSDLRScheduler decay_ratio, which create_scheduler_v2 leaves default


def _base_values(optimizer: Optimizer) -> list[float]:
    """timm's ``initial_lr``: set from ``lr`` where absent, then read back."""
    for i, group in enumerate(optimizer.param_groups):
        if "lr" not in group:
            raise KeyError(f"lr missing from param_groups[{i}]")
        group.setdefault("initial_lr", group["lr"])
    return [float(group["initial_lr"]) for group in optimizer.param_groups]


def _update_groups(optimizer: Optimizer, values: Sequence[float]) -> None:
    for group, value in zip(optimizer.param_groups, values):
        group["lr"] = value * group["lr_scale"] if "lr_scale" in group else value


class Scheduler:
    """timm's scheduler protocol over one lrcore schedule per param group.

    ``step(epoch)`` (when ``t_in_epochs``) or ``step_update(num_updates)`` (otherwise) writes
    ``schedules[i](t)`` into group ``i``; the other call does nothing, as in timm. On
    construction each group gets ``initial`` (timm writes the warm-up's start, or the base rate
    without a warm-up).

    >>> import torch
    >>> import lrcore as lr
    >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    >>> sched = Scheduler(opt, [lr.cosine(0.1, 0.0, 10)], t_in_epochs=True, initial=[0.1])
    >>> sched.step(5)
    >>> opt.param_groups[0]["lr"]
    0.05
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedules: Sequence[Schedule],
        t_in_epochs: bool,
        initial: Sequence[float],
    ) -> None:
        self.optimizer = optimizer
        self.schedules = list(schedules)
        self._all = lr.stack(self.schedules)  # every group's rate in one call
        self.t_in_epochs = t_in_epochs
        self.metric: float | None = None
        _update_groups(optimizer, initial)

    @property
    def schedule(self) -> Schedule:
        """The first param group's schedule."""
        return self.schedules[0]

    def step(self, epoch: int, metric: float | None = None) -> None:
        self.metric = metric
        if self.t_in_epochs:
            self._write(epoch)

    def step_update(self, num_updates: int, metric: float | None = None) -> None:
        self.metric = metric
        if not self.t_in_epochs:
            self._write(num_updates)

    def _write(self, t: int) -> None:
        _update_groups(self.optimizer, self._all.values_at(t))

    def state_dict(self) -> dict[str, Any]:
        return {
            "schedules": [s.to_dict() for s in self.schedules],
            "t_in_epochs": self.t_in_epochs,
            "metric": self.metric,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.schedules = [lr.from_dict(d) for d in state_dict["schedules"]]
        self._all = lr.stack(self.schedules)
        self.t_in_epochs = bool(state_dict["t_in_epochs"])
        self.metric = state_dict.get("metric")


class PlateauLRScheduler:
    """timm's PlateauLRScheduler: a linear warm-up over epochs ``0..warmup_t`` (epoch 0 at
    ``warmup_lr_init`` even without a warm-up, as in timm), then
    :class:`lrcore.torch.ReduceLROnPlateau` stepped with each epoch's metric (threshold 1e-4,
    no cooldown), with timm's noise laid over the rate and taken off again before the next
    step. ``step_update`` does nothing. Unlike timm's, ``state_dict`` holds the whole plateau
    state and the rates reached, so ``load_state_dict`` resumes exactly (timm keeps only
    ``best`` and ``last_epoch``, and a resumed run starts again from the base rate; a timm
    state dict loads here too).

    >>> import torch
    >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    >>> sched, _ = create_scheduler_v2(
    ...     opt, sched="plateau", num_epochs=10, patience_epochs=0, decay_rate=0.5
    ... )
    >>> for epoch, accuracy in [(1, 0.9), (2, 0.8)]:  # plateau_mode "max": 0.8 is worse
    ...     sched.step(epoch, accuracy)
    ...     print(opt.param_groups[0]["lr"])
    0.1
    0.05
    """

    def __init__(
        self,
        optimizer: Optimizer,
        decay_rate: float,
        patience_t: int,
        warmup_t: int,
        warmup_lr_init: float,
        lr_min: float,
        mode: Literal["min", "max"],
        noise: Callable[[float, int], float] | None,
    ) -> None:
        try:
            from lrcore.torch import ReduceLROnPlateau
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise ImportError(
                "create_scheduler_v2(): sched='plateau' needs torch: pip install 'lrcore[torch]'"
            ) from err
        self.optimizer = optimizer
        base = _base_values(optimizer)
        _update_groups(optimizer, base)
        self.lr_scheduler = ReduceLROnPlateau(
            optimizer,
            patience=patience_t,
            factor=decay_rate,
            threshold=1e-4,
            cooldown=0,
            mode=mode,
            min_lr=lr_min,
        )
        self.warmup_t = warmup_t
        self.warmups = [
            lr.linear(warmup_lr_init, v, warmup_t) if warmup_t else lr.constant(warmup_lr_init)
            for v in base
        ]
        if warmup_t:
            _update_groups(optimizer, [warmup_lr_init] * len(base))
        self._noise = noise
        self.restore_lr: list[float] | None = None
        self.metric: float | None = None

    def step(self, epoch: int, metric: float | None = None) -> None:
        self.metric = metric
        if epoch <= self.warmup_t:
            _update_groups(self.optimizer, [s(epoch) for s in self.warmups])
            return
        if self.restore_lr is not None:
            for group, value in zip(self.optimizer.param_groups, self.restore_lr):
                group["lr"] = value
            self.restore_lr = None
        if metric is not None:
            self.lr_scheduler.step(metric)
        if self._noise is not None:
            noisy = [self._noise(float(g["lr"]), epoch) for g in self.optimizer.param_groups]
            if noisy != [g["lr"] for g in self.optimizer.param_groups]:
                self.restore_lr = [float(g["lr"]) for g in self.optimizer.param_groups]
                for group, value in zip(self.optimizer.param_groups, noisy):
                    group["lr"] = value

    def step_update(self, num_updates: int, metric: float | None = None) -> None:
        return None

    def state_dict(self) -> dict[str, Any]:
        inner = self.lr_scheduler
        return {
            "best": inner.best,
            "last_epoch": inner.last_epoch,
            "num_bad_epochs": inner.num_bad_epochs,
            "cooldown_counter": inner.cooldown_counter,
            "restore_lr": self.restore_lr,
            "lrs": [float(g["lr"]) for g in self.optimizer.param_groups],
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        inner = self.lr_scheduler
        inner.best = state_dict["best"]
        if "last_epoch" in state_dict:
            inner.last_epoch = state_dict["last_epoch"]
        for key in ("num_bad_epochs", "cooldown_counter"):
            if key in state_dict:
                setattr(inner, key, state_dict[key])
        self.restore_lr = state_dict.get("restore_lr")
        if "lrs" in state_dict:  # the rates the plateau reached, which construction reset
            for group, value in zip(self.optimizer.param_groups, state_dict["lrs"]):
                group["lr"] = value


def _whole(value: float, name: str) -> int | None:
    """``value`` as an int where it is a whole number, else None."""
    if not math.isfinite(value):
        raise ValueError(f"create_scheduler_v2(): {name} must be finite, got {value!r}")
    return int(value) if float(value).is_integer() else None


def _warmed(after: Schedule, warmup_t: int, start: float, target: float, prefix: bool) -> Schedule:
    """``linear(start, target, W)`` for ``t < W``, then ``after`` from its step 0
    (``prefix``) or from its step ``W``."""
    if not warmup_t:
        return after
    rest = after if prefix else after.shift(-warmup_t)
    return lr.join([lr.linear(start, target, warmup_t), rest], [warmup_t])


#: Cycle starts examined by :func:`_timm_cycles` (a bound for cycles of length near 1).
_MAX_CYCLE_STARTS = 100_000


def _timm_cycles(
    cycles: Schedule,
    cycle: Callable[[int, float], float],
    t_initial: float,
    mul: float,
    limit: int,
) -> Schedule:
    """``cycles`` (lrcore's ``restarts``) with timm's cycle at each whole step where a cycle of
    growing or shrinking length starts (``mul != 1``; the first 100,000 starts). timm finds a
    step's cycle as ``floor(log(1 - t / T * (1 - mul), mul))``, whose logarithm can round
    below a whole number there (``log(243, 3)`` is 4.999…) and keep the step at the end of the
    previous cycle: where lrcore's value differs, such a step takes the value of timm's cycle
    ``j`` at timm's place in it (``cycle(j, phase)``, phase 1 its end)."""
    if mul == 1.0:
        return cycles
    values: dict[int, float] = {}
    start, previous = t_initial, 0.0
    for i in range(1, min(limit, _MAX_CYCLE_STARTS) + 1):
        if start == previous or not start < 2.0**53:
            break  # the shrinking cycles' limit, or no whole steps apart
        u = round(start)
        arg = 1 - u / t_initial * (1 - mul)
        if u > 0 and abs(u - start) <= 1e-9 * u and arg > 0:
            # timm's cycle at step u, and the step's place in it (timm's arithmetic)
            j = math.floor(math.log(arg, mul))
            phase = (u - (1 - mul**j) / (1 - mul) * t_initial) / (mul**j * t_initial)
            value = cycle(j, min(max(phase, 0.0), 1.0))
            if abs(value - cycles(u)) > 1e-12 * abs(value):  # the two cycles differ
                values[u] = value
        previous, start = start, t_initial * (1 - mul ** (i + 1)) / (1 - mul)
    return _with_steps(cycles, values)


def _step(v: float, decay_t: float, rate: float) -> Schedule:
    """``v * rate ** (t // decay_t)``, ``decay_t`` any positive real."""
    if not decay_t > 0:
        raise ValueError(f"create_scheduler_v2(): decay_epochs must be > 0, got {decay_t!r}")
    whole = _whole(decay_t, "decay_epochs")
    if whole is not None:
        return lr.step_decay(v, whole, rate)
    return lr.restarts(lr.join([lr.constant(v), lr.constant(0.0)], [decay_t]), decay=rate)


def _multistep(v: float, milestones: Sequence[float], rate: float) -> Schedule:
    """timm's ``v * rate ** bisect_right(milestones, t + 1)``: a milestone ``m`` counts from
    step ``ceil(m - 1)``."""
    if list(milestones) != sorted(milestones):
        raise ValueError(
            f"create_scheduler_v2(): decay_milestones must be sorted, got {list(milestones)}"
        )
    starts = [max(0, math.ceil(m - 1)) for m in milestones]
    return lr.multistep(v, starts, rate) if starts else lr.constant(v)


def _wsd(
    v: float,
    t_sched: int,
    decay_t: int,
    lr_min: float,
    timescale: float | None,
    decay_fn: str,
) -> Schedule:
    """timm's WSDLRScheduler after its warm-up, on the clock ``t_s`` from the warm-up's end."""
    if timescale is None:
        stable = lr.constant(max(v, lr_min))
    else:
        stable = lr.inverse_sqrt(v, 0, timescale).clip(lr_min)
    g = {
        "linear": lr.linear(1.0, 0.0, decay_t),
        "cosine": lr.cosine(1.0, 0.0, decay_t),
        # timm's power decay is 1 - f ** decay_power, and create_scheduler_v2 keeps 0.5
        "1-sqrt": lr.wsd(1.0, decay_t, 0, decay_t, decay="1-sqrt"),
        "power": lr.wsd(1.0, decay_t, 0, decay_t, decay="1-sqrt"),
        "exp": (lr.exponential(1.0, _EXP_RATIO, decay_t) - _EXP_RATIO) / (1.0 - _EXP_RATIO),
    }[decay_fn]
    hold = t_sched - decay_t
    factor = lr.join([lr.constant(1.0), g], [hold]) if hold > 0 else g
    return lr_min + (stable - lr_min) * factor


def _noise_range(
    noise: float | Sequence[float] | None, t_initial: float
) -> tuple[int, int | None] | None:
    """timm's noise range (fractions of ``t_initial``: from one point on, or ``[lo, hi)``) as
    whole steps ``[start, end)``, or None for no noise."""
    if noise is None:
        return None
    if isinstance(noise, (list, tuple)):
        points = [n * t_initial for n in noise]
        if len(points) > 1:
            start, end = max(0, math.ceil(points[0])), max(0, math.ceil(points[1]))
            return (start, end) if end > start else None
        noise = noise[0]
    return max(0, math.ceil(float(noise) * t_initial)), None  # type: ignore[arg-type]


def create_scheduler_v2(
    optimizer: Optimizer,
    sched: str = "cosine",
    num_epochs: int = 300,
    decay_epochs: float | None = None,
    decay_milestones: Sequence[int] = (90, 180, 270),
    cooldown_epochs: int = 0,
    patience_epochs: int = 10,
    decay_rate: float = 0.1,
    min_lr: float = 0.0,
    warmup_lr: float = 1e-5,
    warmup_epochs: int = 0,
    warmup_prefix: bool = False,
    noise: float | Sequence[float] | None = None,
    noise_pct: float = 0.67,
    noise_std: float = 1.0,
    noise_seed: int = 42,
    cycle_mul: float = 1.0,
    cycle_decay: float = 0.1,
    cycle_limit: int = 1,
    k_decay: float = 1.0,
    decay_fn: str | None = None,
    stable_timescale: float | None = None,
    plateau_mode: Literal["min", "max"] = "max",
    step_on_epochs: bool = True,
    updates_per_epoch: int = 0,
) -> tuple[Scheduler | PlateauLRScheduler | None, int]:
    """timm's ``create_scheduler_v2``: ``(scheduler, num_epochs)``, ``num_epochs`` the epochs to
    train including a warm-up prefix, the extra cycles and ``cooldown_epochs`` (see the module
    docstring for each ``sched``).

    >>> import torch
    >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    >>> sched, num_epochs = create_scheduler_v2(
    ...     opt, sched="cosine", num_epochs=10, warmup_epochs=2, min_lr=1e-3
    ... )
    >>> num_epochs, opt.param_groups[0]["lr"]
    (10, 1e-05)
    >>> sched.step(5)
    >>> opt.param_groups[0]["lr"]
    0.0505
    """
    if decay_epochs is None:
        decay_epochs = 0.2 if sched in ("wsd", "rsqrt") else 90
    t_initial, warmup_t, decay_t = num_epochs, warmup_epochs, float(decay_epochs)
    cooldown_t, timescale_t = cooldown_epochs, stable_timescale
    milestones: Sequence[float] = decay_milestones
    if not step_on_epochs:
        if not updates_per_epoch > 0:
            raise ValueError(
                "create_scheduler_v2(): updates_per_epoch must be set to the number of "
                f"dataloader batches when step_on_epochs=False, got {updates_per_epoch!r}"
            )
        t_initial, warmup_t = t_initial * updates_per_epoch, warmup_t * updates_per_epoch
        decay_t *= updates_per_epoch
        milestones = [d * updates_per_epoch for d in decay_milestones]
        cooldown_t *= updates_per_epoch
        if timescale_t is not None:
            timescale_t *= updates_per_epoch
    if warmup_t < 0:
        raise ValueError(f"create_scheduler_v2(): warmup_epochs must be >= 0, got {warmup_epochs}")
    noise_range = _noise_range(noise, t_initial)

    def noisy(s: Schedule) -> Schedule:
        if noise_range is None:
            return s
        start, end = noise_range
        return lr.noise(s, pct=noise_pct, std=noise_std, seed=noise_seed, start=start, end=end)

    if sched == "none":
        return None, num_epochs + (warmup_epochs if warmup_prefix else 0)
    if sched == "plateau":
        if not step_on_epochs:
            raise ValueError("create_scheduler_v2(): sched='plateau' only steps per epoch")
        plateau = PlateauLRScheduler(
            optimizer,
            decay_rate=decay_rate,
            patience_t=patience_epochs,
            warmup_t=warmup_t,
            warmup_lr_init=warmup_lr,
            lr_min=min_lr,
            mode=plateau_mode,
            noise=None if noise_range is None else lambda v, t: noisy(lr.constant(v))(t),
        )
        return plateau, num_epochs + (warmup_epochs if warmup_prefix else 0)

    base = _base_values(optimizer)
    cyclic = sched in ("cosine", "tanh", "poly")
    if cyclic:
        if not cycle_mul > 0:
            raise ValueError(f"create_scheduler_v2(): cycle_mul must be > 0, got {cycle_mul!r}")
        if not t_initial > 0:
            raise ValueError(f"create_scheduler_v2(): num_epochs must be > 0, got {num_epochs!r}")
        if min_lr < 0:
            raise ValueError(f"create_scheduler_v2(): min_lr must be >= 0, got {min_lr!r}")
        one: Callable[[float], Schedule] = {
            "cosine": lambda v: lr.cosine(v, min_lr, t_initial, k=k_decay),
            "tanh": lambda v: lr.tanh(v, min_lr, t_initial),
            "poly": lambda v: lr.polynomial(v, min_lr, t_initial, power=decay_rate, k=k_decay),
        }[sched]

        def decay(v: float) -> Schedule:
            if cycle_limit < 1:
                return lr.constant(min_lr)
            cycles = lr.restarts(
                one(v), mul=cycle_mul, decay=cycle_decay, limit=cycle_limit, decay_mode="peak"
            )

            def cycle(j: int, phase: float) -> float:
                """Cycle j's value at a phase in [0, 1] (unstretched), its end the curve's
                value as timm's formula gives it (lrcore's tanh holds min_lr from there);
                min_lr past the last cycle, as timm's."""
                if j >= cycle_limit:
                    return min_lr
                end = math.nextafter(t_initial, 0.0) if sched == "tanh" else t_initial
                return float(one(v * cycle_decay**j)(min(phase * t_initial, end)))

            return _timm_cycles(cycles, cycle, t_initial, cycle_mul, cycle_limit)

        def build(v: float) -> Schedule:
            after = decay(v)
            aim = after(warmup_t) if sched == "tanh" and not warmup_prefix and warmup_t else v
            return _warmed(after, warmup_t, warmup_lr, aim, warmup_prefix)

        cycles = max(1, cycle_limit)
        if cycle_mul == 1.0:
            length = t_initial * cycles
        else:
            length = math.floor(-t_initial * (cycle_mul**cycles - 1) / (1 - cycle_mul))
        length += warmup_t if warmup_prefix else 0
    elif sched in ("wsd", "rsqrt"):
        t_sched = t_initial if warmup_prefix else t_initial - warmup_t
        if 0 < decay_epochs < 1:
            decay_t = decay_epochs * t_sched
        decay_steps = round(decay_t)
        if not 0 < decay_steps <= t_sched:
            raise ValueError(
                f"{sched} schedule requires 0 < decay_epochs <= epochs"
                f"{'' if warmup_prefix else ' - warmup_epochs'}, got decay {decay_steps} and "
                f"stable + decay length {t_sched}."
            )
        if min_lr < 0:
            raise ValueError(f"create_scheduler_v2(): min_lr must be >= 0, got {min_lr!r}")
        fn = decay_fn or ("linear" if sched == "rsqrt" else "1-sqrt")
        if fn not in _WSD_DECAYS:
            raise ValueError(
                f"create_scheduler_v2(): decay_fn must be one of {_WSD_DECAYS}, got {fn!r}"
            )
        timescale = None
        if sched == "rsqrt":
            timescale = warmup_t if timescale_t is None else timescale_t
            if not 0 < timescale < math.inf:
                raise ValueError(
                    "create_scheduler_v2(): sched='rsqrt' needs a finite positive "
                    f"stable_timescale, it defaults to the warm-up ({warmup_t}), got {timescale!r}"
                )

        def build(v: float) -> Schedule:
            after = _wsd(v, t_sched, decay_steps, min_lr, timescale, fn)
            return _warmed(after, warmup_t, warmup_lr, v, True)

        length = warmup_t + t_sched
    elif sched in ("step", "constant", "multistep"):

        def build(v: float) -> Schedule:
            if sched == "multistep":
                after = _multistep(v, milestones, decay_rate)
            elif sched == "constant":  # timm's step schedule that never decays
                after = _step(v, 1, 1.0)
            else:
                after = _step(v, decay_t, decay_rate)
            return _warmed(after, warmup_t, warmup_lr, v, warmup_prefix)

        length = None
    else:
        raise ValueError(f"Unknown scheduler '{sched}'.")

    scheduler = Scheduler(
        optimizer,
        [noisy(build(v)) for v in base],
        t_in_epochs=step_on_epochs,
        initial=[warmup_lr] * len(base) if warmup_t else base,
    )
    if length is None:
        return scheduler, num_epochs + (warmup_epochs if warmup_prefix else 0)
    length += cooldown_t
    return scheduler, length if step_on_epochs else length // updates_per_epoch
