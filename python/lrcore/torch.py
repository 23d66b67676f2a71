"""Drop-in replacements for ``torch.optim.lr_scheduler`` whose values lrcore schedules compute.

Change one import line and nothing else: each class is a subclass of torch's class of the same
name and keeps its semantics in full. Several schedulers stepping one optimizer compose (a
chainable scheduler scales the rate it finds in the param group, as torch's do);
``ChainedScheduler`` and ``SequentialLR`` advance their children; a rate or a public attribute
(``gamma``, ``T_max``, ``base_lrs``, ``T_cur`` …) changed by hand carries on; ``step(epoch)``
uses the closed form; Tensor-valued arguments are copied; state dicts are torch's (older layouts
included) and torch's warnings and private attributes (``_last_lr``, ``_step_count``,
``_get_lr_called_within_step``, ``_scale_fn_ref``, ``_anneal_func_type`` …) are kept.

Where the numbers come from: each schedule-driven class has a *unit* lrcore schedule ``u`` of
its arguments (base rate 1), evaluated in Rust once per step for every group. A step of a
chainable class scales each group's rate by ``u(t) / u(t - 1)`` (1 where the two are equal),
which is torch's chainable rule; ``step(epoch)`` writes ``base * u(epoch)``. ``CyclicLR`` and
``CosineAnnealingWarmRestarts`` scale their unit cycle between their bounds, ``OneCycleLR``
anneals between the param groups' own entries (``initial_lr``, ``max_lr``, ``min_lr``) with
the unit cosine. A unit schedule is built once per set of arguments (a cache keyed on them,
shared between instances, and each instance's last one in a slot, out of its ``__dict__``: an
attribute changed by hand is picked up at the next step and state dicts hold only torch's
entries). ``LambdaLR`` and ``MultiplicativeLR`` call the user's functions, as torch's do.
``step()`` is a lean equivalent of torch's (same warnings, counters and writes, without its
per-call context managers); ``ReduceLROnPlateau``, ``SequentialLR`` and ``ChainedScheduler``
step as torch's, in fewer Python frames.

What lrcore adds, where torch's semantics leave room for it (each stated in the class):

* Arguments torch accepts and then fails on later, or silently turns into nonsense
  (``step_size=0``, ``T_max=0``, ``total_iters=0``, ``factor=0``, ``gamma <= 0`` …), raise
  ``ValueError`` at construction, naming the parameter.
* ``load_state_dict`` also writes the loaded rates into the param groups, so a scheduler that
  drives its optimizer alone resumes exactly whichever order the optimizer and the scheduler
  are built and loaded in (torch leaves the rates the constructor wrote).
* ``LambdaLR`` and ``MultiplicativeLR`` take lrcore schedules as ``lr_lambda`` (they are
  callables) and save them in the state dict by their dict form.
"""

from __future__ import annotations

import bisect
import functools
import math
import types
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, SupportsFloat, Union, cast

import numpy as np

from lrcore._optional import missing

try:
    from torch import Tensor
    from torch.optim import Optimizer
    from torch.optim import lr_scheduler as _torch
    from torch.optim import swa_utils as _swa
except ModuleNotFoundError as err:
    raise missing(__name__, err) from None

import lrcore as lr
from lrcore._core import Schedule
from lrcore.lr_find import lr_find

__all__ = [
    "SWALR",
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "OneCycleLR",
    "ParamScheduler",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
    "lr_find",
]

LRScheduler = _torch.LRScheduler


def _fail(cls: str, name: str, rule: str, value: object) -> ValueError:
    return ValueError(f"{cls}(): {name} must be {rule}, got {value!r}")


def _number(value: object) -> object:
    """A 0-d Tensor's value, for the checks (torch keeps or copies the Tensor itself)."""
    return value.item() if isinstance(value, Tensor) and value.dim() == 0 else value


def _positive_int(cls: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _fail(cls, name, "a positive integer", value)
    return value


def _positive(cls: str, name: str, value: object) -> None:
    number = _number(value)
    if isinstance(number, bool) or not isinstance(number, (int, float)) or not number > 0:
        raise _fail(cls, name, "a positive number", value)
    if not math.isfinite(number):
        raise _fail(cls, name, "finite", value)


def _non_negative(cls: str, name: str, value: object) -> None:
    number = _number(value)
    if isinstance(number, bool) or not isinstance(number, (int, float)) or not number >= 0:
        raise _fail(cls, name, "a non-negative number", value)
    if not math.isfinite(number):
        raise _fail(cls, name, "finite", value)


def _each(value: object) -> list[object]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _per_group(optimizer: Optimizer, name: str, value: Any) -> list[Any]:
    """torch's ``_format_param``: one value per param group, from a scalar or a list."""
    groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(value)} values, param_groups has {groups}."
            )
        return list(value)
    return [value] * groups


def _set(group: dict[str, Any], key: str, value: float) -> None:
    """Writes ``group[key]``; a Tensor is filled in place so compiled steps keep their guards."""
    current = group[key]
    if isinstance(current, Tensor):
        current.fill_(value)
    else:
        group[key] = value


def _warn_out_of_order(optimizer: Optimizer) -> None:
    """torch's warnings for a first ``scheduler.step()`` that is not after ``optimizer.step()``."""
    if not hasattr(optimizer.step, "_wrapped_by_lr_sched"):
        warnings.warn(
            "Seems like `optimizer.step()` has been overridden after learning rate scheduler "
            "initialization. Please, make sure to call `optimizer.step()` before "
            "`lr_scheduler.step()`. See more details at "
            "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate",
            UserWarning,
            stacklevel=3,
        )
    elif not getattr(optimizer, "_opt_called", False):
        warnings.warn(
            "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
            "In PyTorch 1.1.0 and later, you should call them in the opposite order: "
            "`optimizer.step()` before `lr_scheduler.step()`.  Failure to do this "
            "will result in PyTorch skipping the first value of the learning rate schedule. "
            "See more details at "
            "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate",
            UserWarning,
            stacklevel=3,
        )


def _write_lrs(
    scheduler: Any, values: Sequence[Any] | None, factor: float = 1.0, floor: float = 0.0
) -> None:
    """torch's write of a step's rates (``values``, or ``floor + (lr - floor) * factor`` from
    each group's rate): a Tensor rate is filled in place (its identity kept for compiled
    optimizer steps), ``_last_lr`` holds copies. A plain number is tested first:
    ``isinstance(x, Tensor)`` runs Python code in torch's metaclass."""
    groups = scheduler.optimizer.param_groups
    if values is not None and len(groups) != len(values):  # torch's zip(strict=True)
        which = "longer" if len(values) > len(groups) else "shorter"
        raise ValueError(f"zip() argument 2 is {which} than argument 1")
    last: list[Any] = []
    for i, group in enumerate(groups):
        current = group["lr"]
        if values is not None:
            value = values[i]
        elif floor:
            value = factor * (current - floor) + floor
        else:
            value = current * factor
        if current.__class__ is float or not isinstance(current, Tensor):
            group["lr"] = value
            last.append(value)
        else:
            current.fill_(value)
            last.append(current.clone())
    scheduler._last_lr = last


def _rates_now(optimizer: Optimizer) -> list[Any]:
    """Every group's ``lr`` (Tensor rates copied): torch's ``_param_groups_val_list`` in one
    frame, a plain number tested first (``isinstance(x, Tensor)`` runs Python code in torch's
    metaclass)."""
    last: list[Any] = []
    for group in optimizer.param_groups:
        value = group["lr"]
        plain = value.__class__ is float or not isinstance(value, Tensor)
        last.append(value if plain else value.clone())
    return last


def _restore_rates(scheduler: Any) -> None:
    """lrcore's addition to ``load_state_dict``: the loaded ``_last_lr`` goes into the groups."""
    for group, value in zip(scheduler.optimizer.param_groups, scheduler._last_lr):
        _torch._update_param_group_val(group, "lr", value)


@functools.lru_cache(maxsize=512)
def _units(build: Callable[..., Schedule], args: tuple[Any, ...]) -> tuple[Schedule, Schedule]:
    """The unit schedule ``u = build(*args)`` and the batch ``[u(t), u(t - 1)]`` (``shift(1)``),
    so that a step's factor is one Rust call."""
    unit = build(*args)
    return unit, lr.stack([unit, unit.shift(1)])


class _Lean(LRScheduler):
    """torch's ``LRScheduler.step`` without its per-call context managers: the same order
    warnings, ``_step_count``, ``last_epoch``, epoch deprecation warning, closed form for
    ``step(epoch)`` and writes. A step's rates come from ``_next_lrs``: the drop-ins compute
    them there directly; by default (and in a subclass that overrides ``get_lr``) it is
    ``get_lr`` with ``_get_lr_called_within_step`` set, as in torch. ``load_state_dict`` also
    writes the loaded rates into the param groups, and the base rates must be non-negative."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__module__ == __name__:
            cls._own_lrs = cls._next_lrs
        elif "get_lr" in cls.__dict__:
            cls._next_lrs = _Lean._next_lrs  # type: ignore[method-assign]
            cls._fused = False

    #: Whether a plain step may be the one-frame ``_Chainable`` factor step (a class that
    #: computes its rates otherwise sets it False).
    _fused = False

    #: The rate the factor scales towards: a fused step writes ``floor + (lr - floor) * f``.
    _floor = 0.0

    # ``(args, u, [u(t), u(t - 1)])`` of the arguments last seen: a per-instance cache is a
    # tuple comparison where ``_units`` hashes, and a slot keeps it out of ``__dict__``
    # (torch's ``state_dict`` and attribute-by-attribute comparisons).
    __slots__ = ("_unit_cache",)
    _unit_cache: tuple[Any, Any, Any]

    def _unit(self) -> tuple[Any, Schedule, Schedule]:
        """``(args, u, [u(t), u(t - 1)])`` of the current ``_args()``."""
        args = self._args()
        cache = self._unit_cache
        if cache[0] != args:
            cache = self._unit_cache = (args, *_units(self._build, args))
        return cache

    def _next_lrs(self) -> list[Any]:
        self._get_lr_called_within_step = True
        try:
            return self.get_lr()
        finally:
            self._get_lr_called_within_step = False

    #: The drop-in's own ``_next_lrs``, which its ``get_lr`` returns: a user's subclass that
    #: overrides ``get_lr`` and calls ``super().get_lr()`` gets it (its steps call its own
    #: ``get_lr``).
    _own_lrs = _next_lrs

    @staticmethod
    def _build(*args: Any) -> Schedule:
        """The unit schedule of a ``_fused`` class's arguments."""
        raise NotImplementedError

    def _args(self) -> tuple[Any, ...]:
        """The arguments of ``_build``, read at each step so that hand edits take effect."""
        raise NotImplementedError

    def step(self, epoch: int | None = None) -> None:
        if epoch is None and self._fused and self._step_count > 1 and self.last_epoch >= 0:
            # A plain step of a started scheduler whose step is a factor: one frame (the
            # factor ``u(t) / u(t - 1)`` of ``_Chainable._step_factor`` inline, a frame being
            # a tenth of such a step's time). From a zero (a cosine's bottom) the class's
            # own rule applies.
            t = self.last_epoch + 1
            now, before = self._unit()[2].values_at(t)
            if before != 0.0 or now == 0.0:
                self._step_count += 1
                self.last_epoch = t
                _write_lrs(self, None, 1.0 if now == before else now / before, self._floor)
                return
        if self._step_count == 1:
            _warn_out_of_order(self.optimizer)
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            values = self._next_lrs()
        else:
            warnings.warn(_torch.EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            self.last_epoch = epoch
            closed = getattr(self, "_get_closed_form_lr", None)
            values = self._next_lrs() if closed is None else closed()
        _write_lrs(self, values)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        _restore_rates(self)

    def _initial_step(self) -> None:
        """lrcore's check, before torch's first step: the base rates are non-negative."""
        for i, base in enumerate(self.base_lrs):
            _non_negative(type(self).__name__, f"the learning rate of param_groups[{i}]", base)
        self._get_lr_called_within_step = False  # torch's step leaves it in the state
        self._unit_cache = (None, None, None)
        super()._initial_step()


class _Direct(_Lean):
    """A drop-in that computes a step's rates itself, in ``_next_lrs``."""

    def get_lr(self) -> list[float | Tensor]:
        """This step's rates (torch warns when called outside ``step``)."""
        _torch._warn_get_lr_called_within_step(self)
        return self._own_lrs()


class _Chainable(_Direct):
    """A scheduler whose step scales each group's rate by ``u(t) / u(t - 1)`` of its unit
    schedule (``u(0)`` at step 0) and whose ``step(epoch)`` writes ``base * u(epoch)``."""

    #: Whether the constructor's step of a resumed scheduler (``last_epoch >= 0``) keeps the
    #: group's rate, as torch's class does (its ``_is_initial`` check).
    _holds_initial = True

    _fused = True

    def _first_factor(self) -> float:
        """The factor of a step to ``t = 0``: ``u(0)``, torch's step-0 branch."""
        return float(self._unit()[1](0))

    def _step_factor(self, t: int) -> float:
        """``u(t) / u(t - 1)``, 1 where the two are equal (a 0/0 past a schedule's end)."""
        now, before = self._unit()[2].values_at(t)
        return 1.0 if now == before else now / before

    def _next_lrs(self) -> list[Any]:
        """torch's chainable rule: the rates in the param groups times this step's factor."""
        t = self.last_epoch
        if t == 0:
            factor = self._first_factor()
        elif self._is_initial and self._holds_initial:
            factor = 1.0
        else:
            factor = self._step_factor(t)
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self) -> list[float | Tensor]:
        factor = self._unit()[1](self.last_epoch)
        return [base * factor for base in self.base_lrs]


class StepLR(_Chainable, _torch.StepLR):
    """torch StepLR: ``lr = base * gamma ** (t // step_size)``; the unit schedule is
    :func:`lrcore.step_decay`.

    Args:
        optimizer: the optimizer whose ``lr`` entries are driven.
        step_size: steps between two decays; unlike torch, a positive integer.
        gamma: the factor of each decay; unlike torch, positive.
        last_epoch: the last step taken, to resume (``-1``: a fresh start).

    >>> import torch
    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> rates = []
    >>> for _ in range(6):
    ...     rates.append(round(sched.get_last_lr()[0], 4))
    ...     opt.step()
    ...     sched.step()
    >>> rates
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    _holds_initial = False

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        _positive_int("StepLR", "step_size", step_size)
        _positive("StepLR", "gamma", gamma)
        super().__init__(optimizer, step_size, gamma, last_epoch)

    @staticmethod
    def _build(step_size: int, gamma: float) -> Schedule:
        return lr.step_decay(1.0, step_size, gamma)

    def _args(self) -> tuple[Any, ...]:
        return (self.step_size, self.gamma)


class MultiStepLR(_Chainable, _torch.MultiStepLR):
    """torch MultiStepLR: ``lr = base * gamma ** (number of milestones <= t)``; the unit
    schedule is :func:`lrcore.multistep`. Milestones may be unsorted or repeated (each copy
    multiplies by ``gamma``) as in torch.

    Args:
        optimizer: the optimizer whose ``lr`` entries are driven.
        milestones: the steps at which the rate is multiplied by ``gamma``; unlike torch,
            non-negative integers.
        gamma: the factor at each milestone; unlike torch, positive.
        last_epoch: the last step taken, to resume (``-1``: a fresh start).

    >>> import torch
    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = MultiStepLR(opt, milestones=[2, 4], gamma=0.5)
    >>> rates = []
    >>> for _ in range(6):
    ...     rates.append(round(sched.get_last_lr()[0], 4))
    ...     opt.step()
    ...     sched.step()
    >>> rates
    [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    _holds_initial = False

    # The milestones as last seen and their hashable form: a slot, so that it stays out of
    # ``__dict__`` (torch's ``state_dict`` and attribute comparisons); a frozenset caches
    # its hash, which a step's cache lookup needs.
    __slots__ = ("_milestone_key",)

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        milestones = list(milestones)
        for m in milestones:
            if isinstance(m, bool) or not isinstance(m, int) or m < 0:
                raise _fail("MultiStepLR", "milestones", "non-negative integers", milestones)
        _positive("MultiStepLR", "gamma", gamma)
        self._milestone_key: tuple[dict[int, int], frozenset[tuple[int, int]]] = ({}, frozenset())
        super().__init__(optimizer, milestones, gamma, last_epoch)

    @staticmethod
    def _build(milestones: frozenset[tuple[int, int]], gamma: float) -> Schedule:
        steps = sorted(m for m, count in milestones for _ in range(count))
        return lr.multistep(1.0, steps, gamma)

    def _args(self) -> tuple[Any, ...]:
        seen, key = self._milestone_key
        # dict's comparison: Counter's own is Python code.
        if not dict.__eq__(self.milestones, seen):
            key = frozenset(self.milestones.items())
            self._milestone_key = (dict(self.milestones), key)
        return (key, self.gamma)


class ConstantLR(_Chainable, _torch.ConstantLR):
    """torch ConstantLR: ``base * factor`` until ``total_iters``, then ``base``; the unit
    schedule is :func:`lrcore.piecewise_constant`.

    Args:
        optimizer: the optimizer whose ``lr`` entries are driven.
        factor: the multiplier before ``total_iters``; torch's check (within [0, 1]) is kept
            and, unlike torch, 0 (a division by zero at ``total_iters``) raises ValueError.
        total_iters: the step at which the rate returns to ``base``; unlike torch, a
            positive integer.
        last_epoch: the last step taken, to resume (``-1``: a fresh start).

    >>> import torch
    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = ConstantLR(opt, factor=0.5, total_iters=2)
    >>> rates = []
    >>> for _ in range(4):
    ...     rates.append(round(sched.get_last_lr()[0], 4))
    ...     opt.step()
    ...     sched.step()
    >>> rates
    [0.5, 0.5, 1.0, 1.0]
    """

    _holds_initial = False

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if factor > 1.0 or factor < 0:
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
        _positive("ConstantLR", "factor", factor)
        _positive_int("ConstantLR", "total_iters", total_iters)
        super().__init__(optimizer, factor, total_iters, last_epoch)

    @staticmethod
    def _build(factor: float, total_iters: int) -> Schedule:
        return lr.piecewise_constant([total_iters], [factor, 1.0])

    def _args(self) -> tuple[Any, ...]:
        return (self.factor, self.total_iters)


class LinearLR(_Chainable, _torch.LinearLR):
    """torch LinearLR: ``base * (start + (end - start) * min(t, total_iters) / total_iters)``;
    the unit schedule is :func:`lrcore.linear`. To warm up from exactly 0, which torch forbids,
    use ``lrcore.warmup`` with :class:`ParamScheduler`.

    Args:
        optimizer: the optimizer whose ``lr`` entries are driven.
        start_factor: the multiplier at step 0, in (0, 1] (torch's check).
        end_factor: the multiplier from ``total_iters`` on, in [0, 1] (torch's check).
        total_iters: the length of the ramp; unlike torch, a positive integer.
        last_epoch: the last step taken, to resume (``-1``: a fresh start).

    >>> import torch
    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = LinearLR(opt, start_factor=0.25, total_iters=3)
    >>> rates = []
    >>> for _ in range(5):
    ...     rates.append(round(sched.get_last_lr()[0], 4))
    ...     opt.step()
    ...     sched.step()
    >>> rates
    [0.25, 0.5, 0.75, 1.0, 1.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        _positive_int("LinearLR", "total_iters", total_iters)
        super().__init__(optimizer, start_factor, end_factor, total_iters, last_epoch)

    @staticmethod
    def _build(start: float, end: float, total_iters: int) -> Schedule:
        return lr.linear(start, end, total_iters)

    def _args(self) -> tuple[Any, ...]:
        return (self.start_factor, self.end_factor, self.total_iters)


class ExponentialLR(_Chainable, _torch.ExponentialLR):
    """torch ExponentialLR: ``base * gamma ** t``; the unit schedule is
    :func:`lrcore.exp_decay`.

    Args:
        optimizer: the optimizer whose ``lr`` entries are driven.
        gamma: the factor of each step; unlike torch (which gives zero or sign-flipping
            rates), positive.
        last_epoch: the last step taken, to resume (``-1``: a fresh start).

    >>> import torch
    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = ExponentialLR(opt, gamma=0.5)
    >>> rates = []
    >>> for _ in range(4):
    ...     rates.append(round(sched.get_last_lr()[0], 4))
    ...     opt.step()
    ...     sched.step()
    >>> rates
    [1.0, 0.5, 0.25, 0.125]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        _positive("ExponentialLR", "gamma", gamma)
        super().__init__(optimizer, gamma, last_epoch)

    @staticmethod
    def _build(gamma: float) -> Schedule:
        return lr.exp_decay(1.0, gamma)

    def _first_factor(self) -> float:
        """torch keeps the rate in the constructor's step and multiplies by ``gamma`` at any
        other step to 0 (a SequentialLR phase restarted): ``u(1) / u(0)``."""
        if self._is_initial:
            return 1.0
        now, before = self._unit()[2].values_at(1)
        return now / before

    def _args(self) -> tuple[Any, ...]:
        return (self.gamma,)


class PolynomialLR(_Chainable, _torch.PolynomialLR):
    """torch PolynomialLR: ``base * (1 - min(t, T) / T) ** power``; the unit schedule is
    :func:`lrcore.polynomial`.

    Args:
        optimizer: the optimizer whose ``lr`` entries are driven.
        total_iters: ``T``, the step at which the rate reaches 0; unlike torch, a positive
            integer.
        power: the exponent; unlike torch (whose rates then grow), positive.
        last_epoch: the last step taken, to resume (``-1``: a fresh start).

    >>> import torch
    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = PolynomialLR(opt, total_iters=4, power=2.0)
    >>> rates = []
    >>> for _ in range(6):
    ...     rates.append(round(sched.get_last_lr()[0], 4))
    ...     opt.step()
    ...     sched.step()
    >>> rates
    [1.0, 0.5625, 0.25, 0.0625, 0.0, 0.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        total_iters: int = 5,
        power: float = 1.0,
        last_epoch: int = -1,
    ) -> None:
        _positive_int("PolynomialLR", "total_iters", total_iters)
        _positive("PolynomialLR", "power", power)
        super().__init__(optimizer, total_iters, power, last_epoch)

    @staticmethod
    def _build(total_iters: int, power: float) -> Schedule:
        return lr.polynomial(1.0, 0.0, total_iters, power)

    def _first_factor(self) -> float:
        """torch keeps the rate in the constructor's step; at any other step to 0 (a
        SequentialLR phase restarted) its ratio extends the polynomial to ``t = -1``."""
        if self._is_initial:
            return 1.0
        return float((self.total_iters / (self.total_iters + 1.0)) ** self.power)

    def _args(self) -> tuple[Any, ...]:
        return (self.total_iters, self.power)


class CosineAnnealingLR(_Chainable, _torch.CosineAnnealingLR):
    """torch CosineAnnealingLR: ``eta_min + (base - eta_min) * c(t)`` with the unit cosine
    ``c(t) = (1 + cos(pi * t / T_max)) / 2``, periodic with period ``2 * T_max`` as torch's is.
    A step is torch's chainable rule: ``eta_min + (lr - eta_min) * c(t) / c(t - 1)``, and at
    the bottom of a period (where ``c(t - 1) = 0``) ``lr + (base - eta_min) * c(t)``.

    Args:
        optimizer: the optimizer whose ``lr`` entries are driven.
        T_max: half the period; unlike torch, a positive integer.
        eta_min: the lowest rate; unlike torch, non-negative.
        last_epoch: the last step taken, to resume (``-1``: a fresh start).

    >>> import torch
    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = CosineAnnealingLR(opt, T_max=4)
    >>> rates = []
    >>> for _ in range(6):
    ...     rates.append(round(sched.get_last_lr()[0], 4))
    ...     opt.step()
    ...     sched.step()
    >>> rates
    [1.0, 0.8536, 0.5, 0.1464, 0.0, 0.1464]
    """

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        _positive_int("CosineAnnealingLR", "T_max", T_max)
        _non_negative("CosineAnnealingLR", "eta_min", eta_min)
        super().__init__(optimizer, T_max, eta_min, last_epoch)

    @staticmethod
    def _build(t_max: int) -> Schedule:
        down_and_up = [lr.cosine(1.0, 0.0, t_max), lr.cosine(0.0, 1.0, t_max)]
        return lr.restarts(lr.join(down_and_up, [t_max]))

    def _args(self) -> tuple[Any, ...]:
        return (self.T_max,)

    @property
    def _floor(self) -> float:  # type: ignore[override]  # torch's eta_min, editable
        return float(self.eta_min)

    def _next_lrs(self) -> list[Any]:
        """torch's rule: the constructor's step keeps the rates, the first step of a resumed
        scheduler is the closed form, the others scale ``lr - eta_min``."""
        groups = self.optimizer.param_groups
        if self._is_initial:
            return _torch._param_groups_val_list(self.optimizer, "lr")
        t, eta = self.last_epoch, self.eta_min
        _, unit, pair = self._unit()
        if self._step_count == 1 and t > 0:
            return [eta + (base - eta) * unit(t) for base in self.base_lrs]
        if (t - 1 - self.T_max) % (2 * self.T_max) == 0:
            rise = unit(t)
            return [g["lr"] + (base - eta) * rise for base, g in zip(self.base_lrs, groups)]
        now, before = pair.values_at(t)
        if t == 0:  # a SequentialLR phase restarted: torch's ratio reads c(-1) = c(1)
            before = unit(1)
        ratio = now / before
        rates = []
        for g in groups:  # a loop: a comprehension is one more frame in 3.11
            rates.append(ratio * (g["lr"] - eta) + eta)
        return rates

    def _get_closed_form_lr(self) -> list[float | Tensor]:
        c = self._unit()[1](self.last_epoch)
        return [self.eta_min + (base - self.eta_min) * c for base in self.base_lrs]


_Lambda = Union[Callable[[int], float], Schedule]


def _lambdas_state(lambdas: list[_Lambda]) -> list[Any]:
    """torch's rule: functions are not saved, callable objects save their ``__dict__``;
    lrcore schedules save their dict form."""
    state: list[Any] = []
    for fn in lambdas:
        if isinstance(fn, Schedule):
            state.append(fn.to_dict())
        elif isinstance(fn, types.FunctionType):
            state.append(None)
        else:
            state.append(fn.__dict__.copy())
    return state


class _FunctionRates(_Lean):
    """LambdaLR and MultiplicativeLR: torch's formulas over the user's functions, which may be
    lrcore schedules (saved in the state dict by their dict form)."""

    lr_lambdas: list[_Lambda]

    def state_dict(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = _lambdas_state(self.lr_lambdas)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update((k, v) for k, v in state_dict.items() if k != "lr_lambdas")
        for i, entry in enumerate(state_dict["lr_lambdas"]):
            if isinstance(self.lr_lambdas[i], Schedule) and entry is not None:
                self.lr_lambdas[i] = lr.from_dict(entry)
            elif entry is not None:
                self.lr_lambdas[i].__dict__.update(entry)
        _restore_rates(self)


class LambdaLR(_FunctionRates, _torch.LambdaLR):
    """torch LambdaLR: ``base * lr_lambda(t)``. ``lr_lambda`` may be an lrcore schedule (or a
    list, one per group): a schedule is a callable evaluated in Rust.

    Args:
        optimizer: the optimizer whose ``lr`` entries are driven.
        lr_lambda: a function of the step (or an lrcore schedule), or a list of them, one per
            param group; unlike torch (which fails in its first step), one that is not
            callable raises TypeError at once.
        last_epoch: the last step taken, to resume (``-1``: a fresh start).

    >>> import torch
    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = LambdaLR(opt, lambda epoch: 1 / (epoch + 1))
    >>> rates = []
    >>> for _ in range(4):
    ...     rates.append(round(sched.get_last_lr()[0], 4))
    ...     opt.step()
    ...     sched.step()
    >>> rates
    [1.0, 0.5, 0.3333, 0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: _Lambda | list[_Lambda],
        last_epoch: int = -1,
    ) -> None:
        for fn in lr_lambda if isinstance(lr_lambda, (list, tuple)) else [lr_lambda]:
            if not callable(fn):
                raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
        super().__init__(optimizer, lr_lambda, last_epoch)

    def _next_lrs(self) -> list[Any]:
        """torch's ``get_lr`` without its warning check: ``base * lr_lambda(t)``."""
        t = self.last_epoch
        rates = []
        for fn, base in zip(self.lr_lambdas, self.base_lrs, strict=True):  # not a frame
            rates.append(base * fn(t))
        return rates


class MultiplicativeLR(_FunctionRates, _torch.MultiplicativeLR):
    """torch MultiplicativeLR: ``lr_t = lr_(t-1) * lr_lambda(t)``, from the rate in the param
    group (so it composes and carries hand edits on, as torch's does). ``lr_lambda`` may be an
    lrcore schedule.

    Args:
        optimizer: the optimizer whose ``lr`` entries are driven.
        lr_lambda: a function of the step giving the step's factor (or an lrcore schedule),
            or a list of them, one per param group.
        last_epoch: the last step taken, to resume (``-1``: a fresh start).

    >>> import torch
    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = MultiplicativeLR(opt, lambda epoch: 0.5)
    >>> rates = []
    >>> for _ in range(4):
    ...     rates.append(round(sched.get_last_lr()[0], 4))
    ...     opt.step()
    ...     sched.step()
    >>> rates
    [1.0, 0.5, 0.25, 0.125]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: _Lambda | list[_Lambda],
        last_epoch: int = -1,
    ) -> None:
        super().__init__(optimizer, lr_lambda, last_epoch)

    def _next_lrs(self) -> list[Any]:
        """torch's ``get_lr`` without its warning check: the constructor's step keeps the
        rates, the others are ``lr * lr_lambda(t)``."""
        groups = self.optimizer.param_groups
        if self._is_initial:
            return _torch._param_groups_val_list(self.optimizer, "lr")
        t = self.last_epoch
        rates = []
        for fn, group in zip(self.lr_lambdas, groups, strict=True):  # not a frame
            rates.append(group["lr"] * fn(t))
        return rates


class CyclicLR(_Direct, _torch.CyclicLR):
    """torch CyclicLR: ``base + (max_lr - base) * h(t)`` for the learning rate and
    ``max_momentum - (max_momentum - base_momentum) * h(t)`` for momentum (``betas[0]`` for
    Adam-like optimizers), where ``h`` is :func:`lrcore.cyclic` from 0 to 1 with the mode's
    decay, times ``scale_fn`` where one is given.

    Args:
        optimizer: the optimizer whose ``lr`` (and momentum) entries are driven.
        base_lr: the lowest rate, one for every group or a list (Tensors are copied); unlike
            torch, non-negative.
        max_lr: the highest rate, likewise.
        step_size_up: steps from ``base_lr`` to ``max_lr``; unlike torch, a positive integer.
        step_size_down: steps back down (default ``step_size_up``); unlike torch, a positive
            integer.
        mode: ``triangular``, ``triangular2`` (the height halves each cycle) or ``exp_range``
            (the height is scaled by ``gamma ** t``); ignored when ``scale_fn`` is given.
        gamma: the ``exp_range`` base; unlike torch, positive.
        scale_fn: a custom height scale, a function of the cycle or the step.
        scale_mode: what ``scale_fn`` takes: ``cycle`` (1, 2, …) or ``iterations`` (t).
        cycle_momentum: whether momentum cycles inversely to the rate.
        base_momentum: the lowest momentum, one for every group or a list.
        max_momentum: the highest momentum, likewise.
        last_epoch: the last step taken, to resume (``-1``: a fresh start).

    >>> import torch
    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0, momentum=0.9)
    >>> sched = CyclicLR(opt, base_lr=0.0, max_lr=1.0, step_size_up=2)
    >>> rates = []
    >>> for _ in range(6):
    ...     rates.append(round(sched.get_last_lr()[0], 4))
    ...     opt.step()
    ...     sched.step()
    >>> rates
    [0.0, 0.5, 1.0, 0.5, 0.0, 0.5]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: Literal["triangular", "triangular2", "exp_range"] = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: Literal["cycle", "iterations"] = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float = 0.8,
        max_momentum: float = 0.9,
        last_epoch: int = -1,
    ) -> None:
        for value in _each(max_lr):
            _non_negative("CyclicLR", "max_lr", value)
        _positive_int("CyclicLR", "step_size_up", step_size_up)
        if step_size_down is not None:
            _positive_int("CyclicLR", "step_size_down", step_size_down)
        _positive("CyclicLR", "gamma", gamma)
        super().__init__(
            optimizer,
            base_lr,
            max_lr,
            step_size_up,
            step_size_down,
            mode,
            gamma,
            scale_fn,
            scale_mode,
            cycle_momentum,
            base_momentum,
            max_momentum,
            last_epoch,
        )

    # The mode and gamma of torch's scale function, taken where torch builds that function
    # (construction and ``load_state_dict``; a hand edit of ``mode`` or ``gamma`` does not
    # reach it): a slot, out of ``__dict__`` and the state dict.
    __slots__ = ("_scale",)

    def _init_scale_fn(self) -> None:
        super()._init_scale_fn()
        self._scale = (self.mode, float(self.gamma))

    @staticmethod
    def _build(total: float, ratio: float, mode: str, gamma: float, scaled: bool) -> Schedule:
        """The cycle's steps up and down from torch's attributes (whole numbers where
        ``total * ratio`` is one to 1e-12, as torch's ratio of whole step sizes is; real
        numbers after a hand edit), with the mode's scale where torch's scale function is
        the mode's own, on its own clock (else a plain triangle that ``_height`` scales)."""
        if not 0 < ratio <= 1:  # torch divides by zero at the next cycle's start
            raise _fail("CyclicLR", "step_ratio", "in (0, 1]", ratio)
        up: float = total * ratio
        if math.isclose(up, round(up), rel_tol=1e-12):
            up = round(up)
        down: float = total - up
        if down == round(down):
            down = round(down)
        if down == 0 and isinstance(up, int):  # step_ratio 1 by hand: a rising sawtooth
            return lr.restarts(lr.linear(0.0, 1.0, up))
        if not scaled:
            mode, gamma = "triangular", 1.0
        return lr.cyclic(0.0, 1.0, up, down, mode, float(gamma))  # type: ignore[arg-type]

    def _args(self) -> tuple[Any, ...]:
        mode, gamma = self._scale
        clock = "iterations" if mode == "exp_range" else "cycle"
        scaled = self._scale_fn_custom is None and self.scale_mode == clock
        scaled = scaled and self.step_ratio < 1  # else a sawtooth that torch's scale_fn scales
        return (self.total_size, self.step_ratio, mode, gamma, scaled)

    def _height(self, t: int) -> float:
        """``h(t)``: the cycle's position times the mode's scale, or torch's ``scale_fn`` (a
        custom one, or the mode's on a hand-edited ``scale_mode``) at the cycle or step."""
        args, unit, _ = self._unit()
        height: float = unit(t)
        if args[4]:
            return height
        at = math.floor(1 + t / self.total_size) if self.scale_mode == "cycle" else t
        return float(height * self.scale_fn(at))

    def _next_lrs(self) -> list[Any]:
        """This step's rates from ``base_lrs`` and ``max_lrs``; writes momentum, as torch's."""
        height = self._height(self.last_epoch)
        if self.cycle_momentum:
            self._write_momentum(height)
        rates = []
        for b, m in zip(self.base_lrs, self.max_lrs):  # a comprehension is a frame in 3.11
            rates.append(b + (m - b) * height)
        return rates

    def _write_momentum(self, height: float) -> None:
        for group, bottom, top in zip(
            self.optimizer.param_groups, self.base_momentums, self.max_momentums
        ):
            momentum = top - (top - bottom) * height
            if self.use_beta1:
                group["betas"] = (momentum, *group["betas"][1:])
            else:
                group["momentum"] = momentum

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """torch's, then the loaded step's rates and momenta go into the param groups."""
        super().load_state_dict(state_dict)
        if self.cycle_momentum:
            self._write_momentum(self._height(self.last_epoch))


class OneCycleLR(_Lean, _torch.OneCycleLR):
    """torch OneCycleLR: its rates follow the param groups' own ``initial_lr``, ``max_lr`` and
    ``min_lr`` entries (which a hand edit may change) through torch's phases, so the schedule
    in Rust is the anneal's unit cosine, not the whole curve. torch's checks and messages are
    kept, including ``ValueError: Tried to step N times`` past ``total_steps``, and so are the
    inputs torch accepts (``total_steps`` of 2 or 3, ``pct_start=0.0``; step ``total_steps``
    extrapolates the last phase as torch's does). ``max_lr``, ``div_factor`` and
    ``final_div_factor`` must be positive (torch divides by the factors). For the same curve
    as a value, see :func:`lrcore.one_cycle` and :func:`lrcore.one_cycle_momentum`.

    Args:
        optimizer: the optimizer whose ``lr`` (and momentum) entries are driven.
        max_lr: the peak rate, one for every group or a list (Tensors are copied); unlike
            torch, positive.
        total_steps: the cycle's length; or give ``epochs`` and ``steps_per_epoch``.
        epochs: with ``steps_per_epoch``, ``total_steps = epochs * steps_per_epoch``.
        steps_per_epoch: see ``epochs``.
        pct_start: the share of the cycle spent rising, in [0, 1].
        anneal_strategy: ``cos`` or ``linear``.
        cycle_momentum: whether momentum cycles inversely to the rate.
        base_momentum: the lowest momentum, one for every group or a list.
        max_momentum: the highest momentum, likewise.
        div_factor: ``initial_lr = max_lr / div_factor``.
        final_div_factor: ``min_lr = initial_lr / final_div_factor``.
        three_phase: whether the rate comes back down to ``initial_lr`` before annealing to
            ``min_lr``.
        last_epoch: the last step taken, to resume (``-1``: a fresh start).

    >>> import torch
    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0, momentum=0.9)
    >>> sched = OneCycleLR(opt, max_lr=1.0, total_steps=6)
    >>> rates = []
    >>> for _ in range(6):
    ...     rates.append(round(sched.get_last_lr()[0], 4))
    ...     opt.step()
    ...     sched.step()
    >>> rates
    [0.04, 0.9944, 0.8117, 0.4626, 0.1335, 0.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | list[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: Literal["cos", "linear"] = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | list[float] = 0.85,
        max_momentum: float | list[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        for value in _each(max_lr):
            _positive("OneCycleLR", "max_lr", value)
        _positive("OneCycleLR", "div_factor", div_factor)
        _positive("OneCycleLR", "final_div_factor", final_div_factor)
        super().__init__(
            optimizer,
            max_lr,
            total_steps,
            epochs,
            steps_per_epoch,
            pct_start,
            anneal_strategy,
            cycle_momentum,
            base_momentum,
            max_momentum,
            div_factor,
            final_div_factor,
            three_phase,
            last_epoch,
        )

    def _next_lrs(self) -> list[Any]:
        """torch's phases and anneal (``end + (start - end) * c(pct)`` with the unit cosine
        ``c``, evaluated once in Rust for every group, or torch's linear one) over each
        group's own entries; writes momentum, as torch's ``get_lr`` does."""
        if not hasattr(self, "_anneal_func_type"):  # an older torch's state: its anneal_func
            return super()._next_lrs()
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"Tried to step {step} times. The specified number of total steps is "
                f"{self.total_steps}"
            )
        phases = self._schedule_phases
        start = 0.0
        for i, phase in enumerate(phases):
            end = phase["end_step"]
            if step <= end or i == len(phases) - 1:
                pct = (step - start) / (end - start)
                break
            start = end
        cos = self._anneal_func_type == "cos"
        c = _units(CosineAnnealingLR._build, (1,))[0](pct) if cos else 0.0
        # The anneal from a to b is written out for the rate and for momentum: as a function,
        # its two calls were a sixth of a step's time.
        rates = []
        for group in self.optimizer.param_groups:
            a, b = group[phase["start_lr"]], group[phase["end_lr"]]
            rates.append(b + (a - b) * c if cos else (b - a) * pct + a)
            if self.cycle_momentum:
                a, b = group[phase["start_momentum"]], group[phase["end_momentum"]]
                momentum = b + (a - b) * c if cos else (b - a) * pct + a
                if self.use_beta1:
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum
        return rates

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """torch's (older layouts included), then the loaded step's rates and momenta go into
        the param groups (torch's ``get_lr`` writes the momenta)."""
        super().load_state_dict(state_dict)
        if self.cycle_momentum and 0 <= self.last_epoch <= self.total_steps:
            self._next_lrs()


class CosineAnnealingWarmRestarts(_Direct, _torch.CosineAnnealingWarmRestarts):
    """torch CosineAnnealingWarmRestarts: ``eta_min + (base - eta_min) * c(T_cur)`` with the
    unit cosine ``c`` of the current cycle's length ``T_i`` (:func:`lrcore.cosine` from 1 to 0
    over ``T_i``, evaluated in Rust at the possibly fractional ``T_cur``). A step advances
    ``T_cur`` and ``T_i`` by torch's rule (``step(epoch)`` is torch's own, fractional epochs
    included), so hand edits of ``T_cur`` carry on as in torch; ``load_state_dict`` also writes
    the loaded rates.

    Args:
        optimizer: the optimizer whose ``lr`` entries are driven.
        T_0: the first cycle's length, a positive integer (torch's check).
        T_mult: the factor by which each cycle is longer than the last, an integer >= 1.
        eta_min: the lowest rate; unlike torch, non-negative.
        last_epoch: the last step taken, to resume (``-1``: a fresh start).

    >>> import torch
    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    >>> rates = []
    >>> for _ in range(7):
    ...     rates.append(round(sched.get_last_lr()[0], 4))
    ...     opt.step()
    ...     sched.step()
    >>> rates
    [1.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 1.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        if isinstance(eta_min, (int, float)):
            _non_negative("CosineAnnealingWarmRestarts", "eta_min", eta_min)
        super().__init__(optimizer, T_0, T_mult, eta_min, last_epoch)

    @staticmethod
    def _build(t_i: int) -> Schedule:
        return lr.cosine(1.0, 0.0, t_i)

    #: torch's own step (bound here: the name in torch's module may be replaced by this class).
    _torch_step = _torch.CosineAnnealingWarmRestarts.step

    def _next_lrs(self) -> list[Any]:
        c = _units(self._build, (self.T_i,))[0](self.T_cur)
        eta = self.eta_min
        rates = []
        for base in self.base_lrs:  # a loop: a comprehension is one more frame in 3.11
            rates.append(eta + (base - eta) * c)
        return rates

    def step(self, epoch: float | None = None) -> None:
        """torch's step: no order warning and no ``_step_count``, as in torch's class."""
        if epoch is not None or self.last_epoch < 0:
            self._torch_step(epoch)
            return
        self.last_epoch += 1
        self.T_cur = self.T_cur + 1
        if self.T_cur >= self.T_i:  # a restart
            self.T_cur = self.T_cur % self.T_i
            self.T_i = self.T_i * self.T_mult
        _write_lrs(self, self._next_lrs())


class ReduceLROnPlateau(_torch.ReduceLROnPlateau):
    """torch ReduceLROnPlateau (a subclass of it: its logic, messages and state).

    Unlike torch it checks up front that ``factor`` is positive (a negative factor clamps to
    ``min_lr`` in torch) and that ``min_lr``, ``patience``, ``cooldown``, ``threshold`` and
    ``eps`` are non-negative; ``load_state_dict`` also writes the saved rates into the param
    groups.

    Args:
        optimizer: the optimizer whose ``lr`` entries are driven.
        mode: ``min`` (the metric should fall) or ``max``.
        factor: the rate's multiplier at a plateau, in (0, 1).
        patience: steps without improvement tolerated before a cut.
        threshold: the least improvement that counts.
        threshold_mode: ``rel`` (relative to the best) or ``abs``.
        cooldown: steps after a cut before counting resumes.
        min_lr: the floor of the rate, one for every group or a list.
        eps: cuts smaller than this are skipped.

    >>> import torch
    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    >>> sched = ReduceLROnPlateau(opt, factor=0.5, patience=1)
    >>> rates = []
    >>> for loss in [1.0, 0.9, 0.9, 0.9, 0.9, 0.9]:
    ...     opt.step()
    ...     sched.step(loss)
    ...     rates.append(opt.param_groups[0]["lr"])
    >>> rates
    [1.0, 1.0, 1.0, 0.5, 0.5, 0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: Literal["min", "max"] = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: Literal["rel", "abs"] = "rel",
        cooldown: int = 0,
        min_lr: list[float] | float = 0,
        eps: float = 1e-8,
    ) -> None:
        if not factor < 1.0:
            raise ValueError("Factor should be < 1.0.")
        _positive("ReduceLROnPlateau", "factor", factor)
        for name, value in (
            ("patience", patience),
            ("cooldown", cooldown),
            ("threshold", threshold),
            ("eps", eps),
        ):
            _non_negative("ReduceLROnPlateau", name, value)
        for m in _each(min_lr):
            _non_negative("ReduceLROnPlateau", "min_lr", m)
        super().__init__(
            optimizer, mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps
        )

    def step(self, metrics: SupportsFloat, epoch: int | None = None) -> None:  # type: ignore[override]
        """torch's step: the same counters, cool-down, reductions (torch's ``_is_better``,
        ``in_cooldown`` and ``_reduce_lr``) and warnings, with the rates copied in one frame
        where torch's helper takes two and tests ``isinstance(x, Tensor)`` (torch's
        metaclass: Python code) first."""
        current = float(metrics)  # a zero-dim Tensor too
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(_torch.EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self._is_better(current, self.best):  # type: ignore[no-untyped-call]
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr(epoch)
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = _rates_now(self.optimizer)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        _restore_rates(self)


class SequentialLR(_torch.SequentialLR):
    """torch SequentialLR: scheduler ``i`` runs from ``milestones[i - 1]``, restarted there
    from its closed form at step 0, each child advanced by torch's ``step`` (so the children's
    ``get_last_lr()``, ``last_epoch`` and state are torch's).

    lrcore's additions: the last phase may be a ``ReduceLROnPlateau`` (torch refuses one
    anywhere), which takes over at its milestone from the base rates (``initial_lr``) and is
    fed ``step(metrics)``; milestones must be positive and strictly increasing;
    ``load_state_dict`` also writes the loaded rates.

    Args:
        optimizer: the optimizer all children drive.
        schedulers: the phases, in order.
        milestones: the steps at which each phase after the first starts.
        last_epoch: the last step taken, to resume (``-1``: a fresh start).

    >>> import torch
    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    >>> warm = ConstantLR(opt, factor=0.5, total_iters=2)
    >>> sched = SequentialLR(opt, [warm, ExponentialLR(opt, gamma=0.5)], milestones=[2])
    >>> rates = []
    >>> for _ in range(5):
    ...     rates.append(round(sched.get_last_lr()[0], 4))
    ...     opt.step()
    ...     sched.step()
    >>> rates
    [0.5, 0.5, 1.0, 0.5, 0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: list[LRScheduler],
        milestones: list[int],
        last_epoch: int = -1,
    ) -> None:
        for m in milestones:
            _positive_int("SequentialLR", "milestones", m)
        if any(a >= b for a, b in zip(milestones, milestones[1:])):
            raise _fail("SequentialLR", "milestones", "strictly increasing", milestones)
        plateau = len(schedulers) > 1 and isinstance(schedulers[-1], _torch.ReduceLROnPlateau)
        if not plateau:
            super().__init__(optimizer, schedulers, milestones, last_epoch)
            return
        # torch's constructor over the other phases, then the plateau phase appended.
        super().__init__(optimizer, schedulers[:-1], milestones[:-1], last_epoch)
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)

    def step(self, metrics: Any = None) -> None:
        """Advances one step: torch's (in one frame; a step is a few frames, so a frame is a
        tenth of its time); in a final ReduceLROnPlateau phase ``metrics`` goes to it."""
        t = self.last_epoch + 1
        milestones = self._milestones
        idx = bisect.bisect_right(milestones, t)
        scheduler = self._schedulers[idx]
        if isinstance(scheduler, _torch.ReduceLROnPlateau):
            if metrics is None:
                raise TypeError("SequentialLR.step() needs metrics in its ReduceLROnPlateau phase")
            self.last_epoch = t
            if t == milestones[-1]:  # entering the phase: the base rates
                for group in self.optimizer.param_groups:
                    _torch._update_param_group_val(group, "lr", group["initial_lr"])
            scheduler.step(metrics)
        else:
            self.last_epoch = t
            if idx > 0 and milestones[idx - 1] == t:
                scheduler._update_lr(0)
            else:
                scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        _restore_rates(self)  # after the children's, which wrote their own last rates


class ChainedScheduler(_torch.ChainedScheduler):
    """torch ChainedScheduler: each ``step()`` steps every child in order, each scaling the
    rate the previous one left (torch's chainable composition); ``load_state_dict`` also writes
    the loaded rates.

    Args:
        schedulers: the children, stepped in this order.
        optimizer: the optimizer they drive (default: the first child's).

    >>> import torch
    >>> opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    >>> warm = ConstantLR(opt, factor=0.5, total_iters=2)
    >>> sched = ChainedScheduler([warm, ExponentialLR(opt, gamma=0.5)])
    >>> rates = []
    >>> for _ in range(5):
    ...     rates.append(round(sched.get_last_lr()[0], 4))
    ...     opt.step()
    ...     sched.step()
    >>> rates
    [0.5, 0.25, 0.25, 0.125, 0.0625]
    """

    def step(self) -> None:  # type: ignore[override]  # torch's signature
        """torch's: every child steps, then ``_last_lr`` holds the rates (copies of Tensor
        rates), read in one frame where torch's helper takes two (a fifth of a step's time)."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = _rates_now(self._schedulers[-1].optimizer)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        _restore_rates(self)


def _target(key: str, group: dict[str, Any]) -> str:
    """The param-group entry a ParamScheduler key drives: ``beta1``, and ``momentum`` in a
    group without one, are ``betas[0]``."""
    if key == "beta1" or (key == "momentum" and "momentum" not in group and "betas" in group):
        return "betas"
    return key


_Spec = Union[Schedule, float, Sequence[Union[Schedule, float]], dict[int, Union[Schedule, float]]]

#: Where ParamScheduler's construction check looks: every step of a schedule up to this many,
#: else this many evenly spaced steps from 0 to ``total_steps``.
_CHECKED_STEPS = 1 << 16

#: The range each checked param-group entry must stay in: torch's optimizers refuse a negative
#: rate, momentum or weight decay at construction, and Adam's ``betas[0]`` outside [0, 1).
_RANGES = {
    "lr": (0.0, math.inf, "finite and non-negative"),
    "momentum": (0.0, math.inf, "finite and non-negative"),
    "weight_decay": (0.0, math.inf, "finite and non-negative"),
    "betas": (0.0, 1.0, "in [0, 1)"),
}


def _checked_steps(schedule: Schedule) -> Any:
    """The steps ParamScheduler's range check evaluates ``schedule`` at (see its docstring)."""
    end = schedule.total_steps
    if end is None:
        return np.arange(_CHECKED_STEPS, dtype=np.float64)
    if end < _CHECKED_STEPS:
        return np.arange(end + 1, dtype=np.float64)
    return np.unique(np.round(np.linspace(0.0, float(end), _CHECKED_STEPS)))


def _check_range(key: str, group: int, target: str, schedule: Schedule) -> None:
    """ParamScheduler's construction check: ``ValueError`` naming the first checked step whose
    value is out of the target entry's range (NaN included)."""
    low, high, rule = _RANGES[target]
    steps = _checked_steps(schedule)
    values = schedule(steps)
    bad = ~((values >= low) & (values < high))
    if bad.any():
        first = int(bad.argmax())
        raise ValueError(
            f"ParamScheduler(): {key} of param_groups[{group}] must be {rule} at every step, "
            f"got {float(values[first])!r} at step {int(steps[first])}"
        )


def _write_entry(group: dict[str, Any], target: str, value: float) -> None:
    """Writes one scheduled entry: ``betas[0]`` by a new tuple (or in place when a Tensor),
    any other key as torch's schedulers write ``lr`` (a Tensor is filled in place)."""
    if target != "betas":
        _set(group, target, value)
    elif isinstance(group["betas"][0], Tensor):
        group["betas"][0].fill_(value)
    else:
        group["betas"] = (value, *group["betas"][1:])


class ParamScheduler(LRScheduler):
    """Drives any param-group key from lrcore schedules: ``lr``, ``momentum`` (``betas[0]``
    when the group has no ``momentum``), ``beta1`` (``betas[0]``), ``weight_decay`` or any other
    key given by name. Each takes one schedule for every group, a list (one per group) or a
    dict ``{group index: schedule}``; a number is a constant schedule.

    Parameters: ``optimizer`` (a torch ``Optimizer``), ``lr``, ``momentum``, ``weight_decay``,
    ``beta1`` and ``**other_keys`` (each a schedule spec as above, or None to leave the key
    alone; at least one must be given).

    A step evaluates every scheduled entry of every group in one Rust call (a stack of the
    schedules, at step ``last_epoch``); Python writes the values into the param groups.
    Tensor-valued entries (``lr``, ``betas[0]``, …) are filled in place, so a
    ``torch.compile``d optimizer step is not recompiled. The state dict is the step and the
    schedules' dict forms: picklable and JSON-able, and loading it (before or after the
    optimizer's) resumes bit-exactly.

    It speaks up as torch's schedulers do:

    * torch's ``UserWarning`` "Detected call of `lr_scheduler.step()` before
      `optimizer.step()`" (or "Seems like `optimizer.step()` has been overridden"), detected
      as torch does: the optimizer's ``step`` is wrapped to record that it ran, and the first
      ``step()`` after construction checks it. ``step(epoch)`` gives torch's deprecation warning.
    * A ``UserWarning`` when a step takes it past a finite ``lr`` schedule's ``total_steps``
      (from ``last_epoch <= total_steps`` to beyond: once in a run, and once after resuming
      before the end) while the value it holds from there is 0: that group no longer trains.
      Only ``lr`` warns — a momentum or weight decay ending at 0 is a normal end state.
    * ``ValueError`` at construction (and in ``load_state_dict``) for a schedule that would
      write a negative, infinite or NaN ``lr``, ``momentum`` or ``weight_decay``, or a
      ``betas[0]`` (``beta1``, or ``momentum`` of Adam-like optimizers) outside [0, 1), which
      torch's optimizers refuse at construction. The rule: a finite schedule is evaluated at every
      step from 0 to ``total_steps`` when that is under 65,536 steps, else at 65,536 evenly
      spaced steps from 0 to ``total_steps`` (an lrcore schedule holds its value past its end);
      an endless one (``total_steps`` None) at steps 0 to 65,535. A schedule that leaves the
      range only between sampled steps, or after 65,535 steps of an endless schedule, is not
      caught. Other keys are not checked.

    >>> import torch
    >>> import lrcore as lr
    >>> model = torch.nn.Linear(2, 1)
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> sched = ParamScheduler(
    ...     opt, lr=lr.warmup(2, lr.cosine(0.1, 0.0, 8)), momentum=lr.linear(0.95, 0.85, 10)
    ... )
    >>> opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]
    (0.0, 0.95)
    >>> opt.step(); sched.step()
    >>> opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]
    (0.05, 0.94)
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr: _Spec | None = None,
        momentum: _Spec | None = None,
        weight_decay: _Spec | None = None,
        beta1: _Spec | None = None,
        **other_keys: _Spec,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        given = {"lr": lr, "momentum": momentum, "weight_decay": weight_decay, "beta1": beta1}
        given.update(other_keys)
        self._schedules: dict[str, dict[int, Schedule]] = {
            key: self._per_group(key, spec) for key, spec in given.items() if spec is not None
        }
        if not self._schedules:
            raise ValueError("ParamScheduler(): give at least one key to schedule")
        self._compile()
        super().__init__(optimizer)

    def _per_group(self, key: str, spec: _Spec) -> dict[int, Schedule]:
        groups = self.optimizer.param_groups
        chosen: dict[int, Schedule | float]
        if isinstance(spec, dict):
            chosen = dict(spec)
        elif isinstance(spec, (list, tuple)):
            if len(spec) != len(groups):
                raise ValueError(
                    f"ParamScheduler(): {key} must have one schedule per param group "
                    f"({len(groups)}), got {len(spec)}"
                )
            chosen = dict(enumerate(spec))
        else:
            chosen = dict.fromkeys(range(len(groups)), cast(Union[Schedule, float], spec))
        out = {}
        for i, s in chosen.items():
            if not isinstance(i, int) or not 0 <= i < len(groups):
                raise _fail("ParamScheduler", f"{key} group index", f"in [0, {len(groups)})", i)
            s = self._schedule(key, i, s)
            target = _target(key, groups[i])
            if target not in groups[i]:
                raise ValueError(f"ParamScheduler(): param_groups[{i}] has no key '{target}'")
            out[i] = s
        return out

    @staticmethod
    def _schedule(key: str, group: int, spec: Schedule | float) -> Schedule:
        """One group's schedule: a single schedule, or a number made a constant one."""
        where = f"ParamScheduler(): {key} of param_groups[{group}]"
        if not isinstance(spec, Schedule):
            try:
                return lr.constant(spec)
            except (TypeError, ValueError) as error:
                raise type(error)(f"{where}: {error}") from None
        if spec.batch_size is not None:
            raise TypeError(f"{where} must be a single schedule, got a batch of {spec.batch_size}")
        return spec

    def _compile(self) -> None:
        """Checks the schedules' ranges and stacks them, so that a step is one Rust call."""
        groups = self.optimizer.param_groups
        scheduled = [
            (key, i, _target(key, groups[i]), s)
            for key, per_group in self._schedules.items()
            for i, s in per_group.items()
        ]
        checked = set()
        for key, i, target, s in scheduled:
            if target in _RANGES and (target, s) not in checked:
                _check_range(key, i, target, s)
                checked.add((target, s))
        self._entries = [(i, target) for _, i, target, _ in scheduled]
        self._batch = lr.stack([s for *_, s in scheduled])
        self._zero_ends = [
            (i, s.total_steps)
            for key, i, _, s in scheduled
            if key == "lr" and s.total_steps is not None and s(s.total_steps) == 0.0
        ]

    def step(self, epoch: int | None = None) -> None:
        """Advances one step (or jumps to ``epoch``, with torch's deprecation warning) and
        writes every scheduled entry."""
        if self._step_count == 1:
            _warn_out_of_order(self.optimizer)
        self._step_count += 1
        before = self.last_epoch
        if epoch is None:
            self.last_epoch += 1
        else:
            warnings.warn(_torch.EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            self.last_epoch = epoch
        self._write()
        ended = [(i, end) for i, end in self._zero_ends if before <= end < self.last_epoch]
        if ended:
            warnings.warn(
                f"ParamScheduler: step {self.last_epoch} is past the end of the lr schedule of "
                + ", ".join(f"param_groups[{i}] (total_steps={end})" for i, end in ended)
                + ", which holds lr 0 from there on: those parameters no longer train",
                UserWarning,
                stacklevel=2,
            )

    def _write(self) -> None:
        groups = self.optimizer.param_groups
        for (i, target), value in zip(self._entries, self._batch.values_at(self.last_epoch)):
            group = groups[i]
            if group.get(target).__class__ is float:  # the common case, assigned inline
                group[target] = value
            else:
                _write_entry(group, target, value)
        self._last_lr = [
            g["lr"].clone() if isinstance(g["lr"], Tensor) else g["lr"] for g in groups
        ]

    def state_dict(self) -> dict[str, Any]:
        return {
            "last_epoch": self.last_epoch,
            "_step_count": self._step_count,
            "schedules": {
                key: {str(i): s.to_dict() for i, s in per_group.items()}
                for key, per_group in self._schedules.items()
            },
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._schedules = {
            key: {int(i): lr.from_dict(d) for i, d in per_group.items()}
            for key, per_group in state_dict["schedules"].items()
        }
        self._compile()
        self._step_count = state_dict["_step_count"]
        self.last_epoch = state_dict["last_epoch"]
        self._write()


@functools.lru_cache(maxsize=64)
def _anneal_factors(strategy: str, epochs: int) -> Schedule:
    """SWALR's anneal factors at steps ``s`` and ``max(s - 1, 0)``, as one batch: torch's
    ``alpha(min(s / epochs, 1))`` with ``alpha(x) = (1 - cos(pi x)) / 2`` ("cos", lrcore's
    cosine warm-up from 0 to 1) or ``alpha(x) = x`` ("linear", its linear warm-up)."""
    alpha = lr.warmup(epochs, lr.constant(1.0), shape="cosine" if strategy == "cos" else "linear")
    return lr.stack([alpha, alpha.shift(1)])


class SWALR(_swa.SWALR):
    """torch ``optim.swa_utils.SWALR``: anneals each group's rate to ``swa_lr`` over
    ``anneal_epochs`` steps, for stochastic weight averaging with ``AveragedModel``.

    Parameters (torch's): ``optimizer``; ``swa_lr``, the final rate — a number or 0-d Tensor
    for every group, or a list with one per group; ``anneal_epochs`` (int >= 0, default 10);
    ``anneal_strategy``, ``"cos"`` (default) or ``"linear"``; ``last_epoch`` (default -1).

    An instance of torch's ``SWALR`` with its semantics, state dict and private attributes:
    at the ``n``-th step (``s = _step_count - 1``, at least 1 when ``anneal_epochs`` is 0,
    ``E = max(1, anneal_epochs)``) it reads each group's current rate ``lr``, recovers the rate
    the annealing started from, ``lr0 = (lr - a' * swa_lr) / (1 - a')`` (``swa_lr`` when
    ``a' == 1``), and writes ``swa_lr * a + lr0 * (1 - a)``, with ``a = alpha(min(s / E, 1))``
    and ``a' = alpha(max(s - 1, 0) / E)``. Reading the current rate makes it compose as
    torch's does with a scheduler that ran before it or changes the rate between its steps.
    The two anneal factors of a step come from one Rust call (lrcore's cosine or linear warm-up
    from 0 to 1 over ``E`` steps, evaluated at ``s`` and ``s - 1``). The linear factor is
    torch's to the bit, and so are the rates. The cosine factor is within an ulp or two of
    torch's (lrcore computes ``cos(pi * s / E)``, torch ``cos(pi * (s / E))``; about a third
    of the rates differ in the last bits): measured, within 1.5e-14 relative for ``E`` up to
    ``10**5`` with ``swa_lr > 0``; annealing to ``swa_lr = 0``, where the steps just before 0
    magnify the factor's last bit, within 2e-13 for ``E = 10**4`` and 3.3e-10 for
    ``E = 10**5``. An ``anneal_func`` or a
    non-integer ``anneal_epochs`` set by hand runs torch's Python formula, as torch would.

    Unlike torch, ``swa_lr`` must be a finite non-negative number (or a one-element Tensor
    holding one): torch accepts a negative or NaN rate and trains with it, and a string or
    a Tensor of several elements only fails inside a step.

    >>> import torch
    >>> model = torch.nn.Linear(2, 1)
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> swa = SWALR(opt, swa_lr=0.05, anneal_epochs=2, anneal_strategy="linear")
    >>> for _ in range(2):
    ...     opt.step(); swa.step()
    ...     print(swa.get_last_lr())
    [0.07500000000000001]
    [0.05]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        swa_lr: float | Tensor | Sequence[float | Tensor],
        anneal_epochs: int = 10,
        anneal_strategy: Literal["cos", "linear"] = "cos",
        last_epoch: int = -1,
    ) -> None:
        if isinstance(optimizer, Optimizer):
            for i, value in enumerate(_per_group(optimizer, "swa_lr", swa_lr)):
                if isinstance(value, Tensor) and value.numel() != 1:
                    raise _fail("SWALR", f"swa_lr[{i}]", "a number or one-element Tensor", value)
                _non_negative("SWALR", f"swa_lr[{i}]", value)
        # torch annotates swa_lr as a float; it takes every form above
        super().__init__(optimizer, cast(Any, swa_lr), anneal_epochs, anneal_strategy, last_epoch)

    def get_lr(self) -> list[float | Tensor]:
        """torch's ``SWALR.get_lr``, its two anneal factors computed in Rust."""
        strategy = {self._cosine_anneal: "cos", self._linear_anneal: "linear"}.get(self.anneal_func)
        epochs = self.anneal_epochs
        if strategy is None or type(epochs) is not int:
            return cast(list[Union[float, Tensor]], cast(Any, super()).get_lr())
        _torch._warn_get_lr_called_within_step(self)
        step = self._step_count - 1
        if epochs == 0:
            step = max(1, step)
        alpha, prev_alpha = _anneal_factors(strategy, max(1, epochs)).values_at(step)
        start = cast(Any, self)._get_initial_lr  # torch's, unannotated
        return [
            g["swa_lr"] * alpha + start(g["lr"], g["swa_lr"], prev_alpha) * (1 - alpha)
            for g in self.optimizer.param_groups
        ]
