"""Drop-in replacements for ``torch.optim.lr_scheduler``, computed from lrcore schedules.

Change one import line and nothing else: every class takes torch's exact arguments and
defaults, is an instance of torch's ``LRScheduler`` (``ReduceLROnPlateau`` of torch's
``ReduceLROnPlateau``), writes the same values into the optimizer's param groups (closed
form, so torch's float recursions agree to ~1e-12 relative) and keeps ``last_epoch``,
``base_lrs``, ``get_last_lr()``, ``initial_lr`` and torch's warnings. Each class maps its
arguments onto one lrcore schedule per param group; a ``step()`` is one Rust call that computes
the values, writes them into the param groups and advances ``last_epoch``. Three things differ,
all on purpose:

* Arguments torch accepts and then fails on later, or silently turns into nonsense
  (``step_size=0``, ``T_max=0``, ``factor=0``, ``step_size_up=0``, negative learning rates,
  ``gamma <= 0`` …) raise ``ValueError`` at construction, naming the parameter.
* A step's values depend only on the arguments and ``last_epoch``, never on the optimizer's
  current learning rate, so resuming at any step — whichever order the optimizer and the
  scheduler are built and loaded in, or from a state dict saved by torch's class of the same
  name — continues exactly as an uninterrupted run. ``load_state_dict`` writes the loaded
  step's values into the param groups.
* ``SequentialLR`` accepts ``ReduceLROnPlateau`` as its last phase, and ``LambdaLR`` takes an
  lrcore schedule as well as a function.
"""

from __future__ import annotations

import copy
import math
import types
import warnings
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, Union, cast

from lrcore._optional import missing

try:
    import torch
    from torch import Tensor
    from torch.optim import Optimizer
    from torch.optim import lr_scheduler as _torch
except ModuleNotFoundError as err:
    raise missing(__name__, err) from None

import lrcore as lr
from lrcore import _core
from lrcore._core import Schedule, Stepper

__all__ = [
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
]

LRScheduler = _torch.LRScheduler

#: Attributes rebuilt from the others: never saved in a state dict.
_DERIVED = frozenset(
    {
        "optimizer",
        "_lr_batch",
        "_momentum_batch",
        "_stepper",
        "_rust_step",
        "_tensor_writer",
    }
)


def _fail(cls: str, name: str, rule: str, value: object) -> ValueError:
    return ValueError(f"{cls}(): {name} must be {rule}, got {value!r}")


def _positive_int(cls: str, name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _fail(cls, name, "a positive integer", value)
    return value


def _positive(cls: str, name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise _fail(cls, name, "a positive number", value)
    if not math.isfinite(value):
        raise _fail(cls, name, "finite", value)
    return float(value)


def _non_negative(cls: str, name: str, value: object) -> float:
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise _fail(cls, name, "a non-negative number", value)
    if not math.isfinite(value):
        raise _fail(cls, name, "finite", value)
    return float(value)


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


class _Writer:
    """Writes param-group values at the least cost that keeps torch's semantics.

    A float is assigned. A Tensor is updated in place (its identity kept, so a compiled
    optimizer step is not recompiled): a 0-d CPU float Tensor through a cached numpy view of
    its storage, about fifteen times cheaper than ``fill_``, any other with ``fill_``. The
    cache holds the Tensor itself, so a param group given a new Tensor gets a new view.
    """

    def __init__(self) -> None:
        self._views: dict[tuple[int, str], tuple[Tensor, Any]] = {}

    def __reduce__(self) -> tuple[type[_Writer], tuple[()]]:
        """A copy starts with no views: a view of a copied Tensor's storage is not a view of
        the copy's."""
        return (_Writer, ())

    def __call__(self, group: dict[str, Any], index: int, key: str, value: float) -> None:
        current = group[key]
        view = self._view(index, key, current) if isinstance(current, Tensor) else None
        if view is None:
            _set(group, key, value)
        else:
            view[()] = value

    def _view(self, index: int, key: str, tensor: Tensor) -> Any:
        cached = self._views.get((index, key))
        if cached is None or cached[0] is not tensor:
            cached = (tensor, _numpy_view(tensor))
            self._views[index, key] = cached
        return cached[1]


def _numpy_view(tensor: Tensor) -> Any:
    """A writable numpy view of a 0-d CPU float Tensor's storage, or None."""
    usable = (
        tensor.device.type == "cpu"
        and tensor.dim() == 0
        and not tensor.requires_grad
        and tensor.dtype in (torch.float32, torch.float64)
    )
    return tensor.numpy() if usable else None


def _set_momentum(group: dict[str, Any], use_beta1: bool, value: float) -> None:
    if use_beta1:
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


def _momentum_key(optimizer: Optimizer) -> bool:
    """True when momentum is Adam's ``betas[0]``; torch's check and message otherwise."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(
            "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
        )
    return "betas" in optimizer.defaults


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


class _Scheduler(LRScheduler):
    """Base of the drop-ins: values of step ``last_epoch`` from one schedule per param group.

    Subclasses set their hyper-parameters (under torch's attribute names, so that torch's state
    dicts load), then call ``super().__init__``; they define ``_lr_schedules`` (and
    ``_momentum_schedules`` when they cycle momentum) from ``self.base_lrs`` and those
    attributes.
    """

    cycle_momentum: bool = False
    use_beta1: bool = False
    _lr_batch: Schedule | None = None
    _momentum_batch: Schedule | None = None
    #: Computes and writes a step's values in Rust; None where the rates are computed in
    #: Python (a CyclicLR with a custom ``scale_fn``).
    _stepper: Stepper | None = None
    #: The stepper where a whole ``step()`` is its ``advance`` (no Python-side extras).
    _rust_step: Stepper | None = None
    #: Whether ``step()`` counts ``_step_count`` (torch's CosineAnnealingWarmRestarts does not).
    _counts_steps = True

    def _lr_schedules(self) -> list[Schedule] | None:
        """One rate schedule per param group; None where a subclass computes its rates in
        Python (``_lrs_at``), from callables."""
        return None

    def _momentum_schedules(self) -> list[Schedule] | None:
        return None

    def _init_momentum(
        self, optimizer: Optimizer, base_momentum: Any, max_momentum: Any, last_epoch: int
    ) -> None:
        """torch's momentum set-up for CyclicLR and OneCycleLR: ``betas[0]`` when the optimizer
        has betas, the cycle's top value and the ``max_momentum`` / ``base_momentum`` keys
        written into each group on a fresh start."""
        self.use_beta1 = _momentum_key(optimizer)
        self.base_momentums = _per_group(optimizer, "base_momentum", base_momentum)
        self.max_momentums = _per_group(optimizer, "max_momentum", max_momentum)
        if last_epoch == -1:
            for top, bottom, group in zip(
                self.max_momentums, self.base_momentums, optimizer.param_groups
            ):
                _set_momentum(group, self.use_beta1, top)
                group["max_momentum"] = top
                group["base_momentum"] = bottom

    def _composable(self) -> bool:
        """Whether ``_lr_batch`` holds the whole learning rate, so composites can use it."""
        return self._lr_batch is not None

    def _bases(self) -> list[float]:
        """The base rates as floats (torch keeps Tensors for Tensor-valued rates)."""
        return [float(b) for b in self.base_lrs]

    def _validate_base_lrs(self) -> None:
        for i, base in enumerate(self.base_lrs):
            _non_negative(type(self).__name__, f"the learning rate of param_groups[{i}]", base)

    def _build(self) -> None:
        self._validate_base_lrs()
        rates = self._lr_schedules()
        momenta = (self._momentum_schedules() if self.cycle_momentum else None) or []
        self._lr_batch = None if rates is None else lr.stack(rates)
        self._momentum_batch = lr.stack(momenta) if momenta else None
        self._stepper = self._make_stepper(rates, momenta)
        self._arm()

    def _arm(self) -> None:
        """Lets ``step()`` be taken in Rust where it is only the stepper's writes."""
        self._rust_step = self._stepper if self._steps_in_rust() else None

    def _make_stepper(
        self, rates: list[Schedule] | None, momenta: list[Schedule]
    ) -> Stepper | None:
        """What one step writes, in one Rust call: every group's rate, then its momentum."""
        if rates is None or not self._composable():
            return None
        keys = ("lr", "betas" if self.use_beta1 else "momentum")[: 1 + bool(momenta)]
        return Stepper.schedules(
            lr.stack(rates + momenta), keys, self._last_step(), self._counts_steps
        )

    def _last_step(self) -> int | None:
        """The last step ``step()`` may take in Rust; past it the Python path raises."""
        return None

    def _steps_in_rust(self) -> bool:
        """Whether a ``step()`` is only the stepper's writes (no Python-side extras)."""
        return True

    def _initial_step(self) -> None:
        self._build()
        super()._initial_step()

    @property
    def _writer(self) -> _Writer:
        writer: _Writer | None = self.__dict__.get("_tensor_writer")
        if writer is None:
            writer = self.__dict__["_tensor_writer"] = _Writer()
        return writer

    def _lrs_at(self, t: float) -> list[float]:
        assert self._stepper is not None, "a subclass without a stepper defines _lrs_at"
        return self._stepper.values_at(t)[: len(self.base_lrs)]

    def _rates(self) -> Schedule:
        """The batch of per-group rate schedules (composable schedulers have one)."""
        if self._lr_batch is None:
            raise TypeError(f"{type(self).__name__}'s rates are not an lrcore schedule")
        return self._lr_batch

    def _write(self, t: float) -> None:
        """Puts step ``t``'s values into the param groups: one Rust call writes every float
        entry; a Tensor learning rate is then filled in place here."""
        groups = self.optimizer.param_groups
        if self._stepper is None:
            values = self._lrs_at(t)
            for i, group in enumerate(groups):
                self._writer(group, i, "lr", values[i])
            self._last_lr: list[float | Tensor] = values  # type: ignore[assignment]
            return
        values, written = self._stepper.write(t, self.__dict__)
        n = len(self.base_lrs)
        self._last_lr = values[:n]  # type: ignore[assignment]
        if not written:  # a Tensor rate (filled in place), or a momentum that is not a float
            for i, group in enumerate(groups[:n]):
                if group["lr"].__class__ is not float:
                    self._writer(group, i, "lr", values[i])
                if self._momentum_batch is not None:
                    _set_momentum(group, self.use_beta1, values[n + i])

    #: ``step()`` is taken by ``_rust_step.advance`` in one Rust call, without a Python
    #: frame; any other call, or one the stepper declines, by ``_step``.
    step = _core.step

    def _step(self, epoch: int | None = None) -> None:
        """torch's step: the order warnings, ``step(epoch)``, Tensor rates, …"""
        if self._step_count == 1:
            _warn_out_of_order(self.optimizer)
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
        else:
            warnings.warn(_torch.EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            self.last_epoch = epoch
        self._write(self.last_epoch)

    def get_lr(self) -> list[float | Tensor]:
        """The values of step ``last_epoch`` (torch warns when called outside ``step``)."""
        _torch._warn_get_lr_called_within_step(self)
        return list(self._lrs_at(self.last_epoch))

    def _get_closed_form_lr(self) -> list[float | Tensor]:
        return list(self._lrs_at(self.last_epoch))

    def get_last_lr(self) -> list[float | Tensor]:
        """The values last written, with each group's type (a Tensor ``lr`` gives Tensors)."""
        groups = self.optimizer.param_groups
        if not any(isinstance(g["lr"], Tensor) for g in groups):
            return self._last_lr
        return [
            g["lr"].clone() if isinstance(g["lr"], Tensor) else v
            for g, v in zip(groups, self._last_lr)
        ]

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in _DERIVED}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Loads a state saved by this class or by torch's class of the same name, and writes
        the loaded step's values into the param groups."""
        self.__dict__.update(state_dict)
        self.base_lrs = [float(b) for b in self.base_lrs]
        self._build()
        if self.last_epoch >= 0:  # torch saves -1 for a SequentialLR phase not yet started
            self._write(self.last_epoch)


class StepLR(_Scheduler):
    """torch StepLR: ``lr = base * gamma ** (t // step_size)`` — :func:`lrcore.step_decay`.

    Unlike torch, ``step_size`` must be a positive integer and ``gamma`` positive.
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        self.step_size = _positive_int("StepLR", "step_size", step_size)
        self.gamma = _positive("StepLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def _lr_schedules(self) -> list[Schedule]:
        return [lr.step_decay(b, self.step_size, self.gamma) for b in self._bases()]


class MultiStepLR(_Scheduler):
    """torch MultiStepLR: ``lr = base * gamma ** (milestones <= t)`` — :func:`lrcore.multistep`.

    Milestones may be unsorted or repeated (each copy multiplies by ``gamma``) as in torch;
    unlike torch, they must be non-negative integers and ``gamma`` positive.
    """

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
        self.milestones = Counter(milestones)
        self.gamma = _positive("MultiStepLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def _lr_schedules(self) -> list[Schedule]:
        milestones = sorted(self.milestones.elements())
        return [lr.multistep(b, milestones, self.gamma) for b in self._bases()]


class ConstantLR(_Scheduler):
    """torch ConstantLR: ``base * factor`` until ``total_iters``, then ``base``.

    torch's check of ``factor`` (ValueError above 1 or below 0) is kept; ``factor=0`` and
    ``total_iters <= 0``, which torch accepts and then divides by zero or never ends, raise
    ValueError.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if factor > 1.0 or factor < 0:
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
        self.factor = _positive("ConstantLR", "factor", factor)
        self.total_iters = _positive_int("ConstantLR", "total_iters", total_iters)
        super().__init__(optimizer, last_epoch)

    def _lr_schedules(self) -> list[Schedule]:
        factors = lr.piecewise_constant([self.total_iters], [self.factor, 1.0])
        return [b * factors for b in self._bases()]


class LinearLR(_Scheduler):
    """torch LinearLR: ``base * (start + (end - start) * min(t, total_iters) / total_iters)``.

    torch's factor checks are kept; ``total_iters <= 0`` raises ValueError. To warm up from
    exactly 0, which torch forbids, use ``lrcore.warmup`` with :class:`ParamScheduler`.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(
                "Starting multiplicative factor expected to be greater than 0 and less or "
                "equal to 1."
            )
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self.start_factor = float(start_factor)
        self.end_factor = float(end_factor)
        self.total_iters = _positive_int("LinearLR", "total_iters", total_iters)
        super().__init__(optimizer, last_epoch)

    def _lr_schedules(self) -> list[Schedule]:
        factors = lr.linear(self.start_factor, self.end_factor, self.total_iters)
        return [b * factors for b in self._bases()]


class ExponentialLR(_Scheduler):
    """torch ExponentialLR: ``base * gamma ** t`` — :func:`lrcore.exp_decay`. ``gamma`` must
    be positive (torch accepts 0 and negative values, giving zero or sign-flipping rates)."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _positive("ExponentialLR", "gamma", gamma)
        super().__init__(optimizer, last_epoch)

    def _lr_schedules(self) -> list[Schedule]:
        return [lr.exp_decay(b, self.gamma) for b in self._bases()]


class PolynomialLR(_Scheduler):
    """torch PolynomialLR: ``base * (1 - min(t, T) / T) ** power`` — :func:`lrcore.polynomial`.
    ``total_iters`` and ``power`` must be positive (torch divides by zero, or grows)."""

    def __init__(
        self,
        optimizer: Optimizer,
        total_iters: int = 5,
        power: float = 1.0,
        last_epoch: int = -1,
    ) -> None:
        self.total_iters = _positive_int("PolynomialLR", "total_iters", total_iters)
        self.power = _positive("PolynomialLR", "power", power)
        super().__init__(optimizer, last_epoch)

    def _lr_schedules(self) -> list[Schedule]:
        return [lr.polynomial(b, 0.0, self.total_iters, self.power) for b in self._bases()]


class CosineAnnealingLR(_Scheduler):
    """torch CosineAnnealingLR: ``eta_min + (base - eta_min) * (1 + cos(pi * t / T_max)) / 2``,
    periodic with period ``2 * T_max`` as torch's is (it rises again after ``T_max``).
    ``T_max`` must be a positive integer and ``eta_min`` non-negative."""

    def __init__(
        self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1
    ) -> None:
        self.T_max = _positive_int("CosineAnnealingLR", "T_max", T_max)
        self.eta_min = _non_negative("CosineAnnealingLR", "eta_min", eta_min)
        super().__init__(optimizer, last_epoch)

    def _lr_schedules(self) -> list[Schedule]:
        t, eta = self.T_max, self.eta_min
        return [
            lr.restarts(lr.join([lr.cosine(b, eta, t), lr.cosine(eta, b, t)], [t]))
            for b in self._bases()
        ]


_Lambda = Union[Callable[[int], float], Schedule]


def _lambdas(cls: str, optimizer: Optimizer, lr_lambda: Any) -> list[_Lambda]:
    groups = len(optimizer.param_groups)
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != groups:
            raise ValueError(f"Expected {groups} lr_lambdas, but got {len(lr_lambda)}")
        lambdas = list(lr_lambda)
    else:
        lambdas = [lr_lambda] * groups
    for fn in lambdas:
        if not callable(fn):
            raise TypeError(f"lr_lambda should be a function, but got {type(fn).__name__}")
    return lambdas


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


def _load_lambdas(lambdas: list[_Lambda], saved: list[Any]) -> list[_Lambda]:
    loaded = list(lambdas)
    for i, entry in enumerate(saved):
        if isinstance(loaded[i], Schedule) and entry is not None:
            loaded[i] = lr.from_dict(entry)
        elif entry is not None:
            loaded[i].__dict__.update(entry)
    return loaded


class _FunctionRates(_Scheduler):
    """LambdaLR and MultiplicativeLR: rates from the user's functions (or lrcore schedules),
    one per group, saved in the state dict by torch's rule."""

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: _Lambda | list[_Lambda],
        last_epoch: int = -1,
    ) -> None:
        self.optimizer = optimizer
        self.lr_lambdas = _lambdas(type(self).__name__, optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict[str, Any]:
        state = {k: v for k, v in super().state_dict().items() if k != "lr_lambdas"}
        state["lr_lambdas"] = _lambdas_state(self.lr_lambdas)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        self.lr_lambdas = _load_lambdas(self.lr_lambdas, state.pop("lr_lambdas"))
        super().load_state_dict(state)


class LambdaLR(_FunctionRates):
    """torch LambdaLR: ``base * lr_lambda(t)``. ``lr_lambda`` may also be an lrcore schedule
    (or a list, one per group), which is then evaluated in Rust, composes in SequentialLR and
    ChainedScheduler, and is saved in the state dict. A function given for several groups is
    called once per step (torch calls it once per group), so it should not count its calls."""

    def _lr_schedules(self) -> list[Schedule] | None:
        schedules = [fn for fn in self.lr_lambdas if isinstance(fn, Schedule)]
        if len(schedules) < len(self.lr_lambdas):
            return None  # Python functions: called from the stepper
        return [b * fn for b, fn in zip(self._bases(), schedules)]

    def _make_stepper(
        self, rates: list[Schedule] | None, momenta: list[Schedule]
    ) -> Stepper | None:
        if rates is not None:
            return super()._make_stepper(rates, momenta)
        return Stepper.lambdas(self._bases(), self.lr_lambdas)


class MultiplicativeLR(_FunctionRates):
    """torch MultiplicativeLR: ``lr_t = lr_(t-1) * lr_lambda(t)``, i.e.
    ``base * prod(lr_lambda(k) for k in 1..t)``. The running product is part of the state, so
    a resumed run continues exactly without reading the optimizer's current rate. A function
    given for several groups is called once per step (torch calls it once per group)."""

    def _make_stepper(
        self, rates: list[Schedule] | None, momenta: list[Schedule]
    ) -> Stepper | None:
        # The stepper keeps the running product; a loaded state's seeds it.
        epoch = self.__dict__.pop("_product_epoch", 0)
        products = self.__dict__.pop("_products", None)
        return Stepper.products(self._bases(), self.lr_lambdas, epoch, products)

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        assert self._stepper is not None and self._stepper.running_product is not None
        state["_product_epoch"], state["_products"] = self._stepper.running_product
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        if "_products" not in state:  # torch's state: recompute the product from the start
            state["_products"], state["_product_epoch"] = [1.0] * len(self._bases()), 0
        super().load_state_dict(state)


class CyclicLR(_Scheduler):
    """torch CyclicLR — :func:`lrcore.cyclic` for the learning rate and, inverted, for
    momentum (``betas[0]`` for Adam-like optimizers). A custom ``scale_fn`` multiplies lrcore's
    triangle in Python. ``step_size_up`` / ``step_size_down`` must be positive integers and the
    learning rates non-negative (torch divides by zero at 0)."""

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
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        base_lrs = _per_group(optimizer, "base_lr", base_lr)
        self.max_lrs = [
            _non_negative("CyclicLR", "max_lr", m) for m in _per_group(optimizer, "max_lr", max_lr)
        ]
        if last_epoch == -1:
            for value, group in zip(base_lrs, optimizer.param_groups):
                _set(group, "lr", value)
        up = _positive_int("CyclicLR", "step_size_up", step_size_up)
        down = up if step_size_down is None else step_size_down
        down = _positive_int("CyclicLR", "step_size_down", down)
        self.total_size = float(up + down)
        self.step_ratio = up / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        self.mode = mode
        self.gamma = _positive("CyclicLR", "gamma", gamma)
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self._init_momentum(optimizer, base_momentum, max_momentum, last_epoch)
        self._cyclic_base_lrs = [float(b) for b in base_lrs]
        super().__init__(optimizer, last_epoch)

    def _initial_step(self) -> None:
        # torch sets base_lrs from base_lr only after its initial step, which therefore uses a
        # param group's older initial_lr when one exists; lrcore uses base_lr from the start.
        self.base_lrs = list(self._cyclic_base_lrs)
        super()._initial_step()

    def _composable(self) -> bool:
        return super()._composable() and self._scale_fn_custom is None

    def _steps_up_down(self) -> tuple[int, int]:
        up = round(self.step_ratio * self.total_size)
        return up, round(self.total_size) - up

    def _triangle(self, low: float, high: float) -> Schedule:
        up, down = self._steps_up_down()
        if self._scale_fn_custom is not None:
            return lr.cyclic(0.0, 1.0, up, down)
        return lr.cyclic(low, high, up, down, self.mode, self.gamma)

    def _lr_schedules(self) -> list[Schedule]:
        return [self._triangle(b, m) for b, m in zip(self._bases(), self.max_lrs)]

    def _momentum_schedules(self) -> list[Schedule] | None:
        return [self._triangle(m, b) for b, m in zip(self.base_momentums, self.max_momentums)]

    def _custom_scale(self, t: float) -> float:
        assert self._scale_fn_custom is not None
        if self.scale_mode == "cycle":
            return self._scale_fn_custom(math.floor(1 + t / self.total_size))
        return self._scale_fn_custom(t)

    def _lrs_at(self, t: float) -> list[float]:
        if self._scale_fn_custom is None:
            return super()._lrs_at(t)
        scale = self._custom_scale(t)
        return [
            b + (m - b) * x * scale
            for b, m, x in zip(self._bases(), self.max_lrs, self._rates().values_at(t))
        ]

    def _write(self, t: float) -> None:
        super()._write(t)
        if self._scale_fn_custom is None or not self.cycle_momentum:
            return  # the stepper wrote the momenta, if any
        scale = self._custom_scale(t)
        for group, bottom, top, x in zip(
            self.optimizer.param_groups,
            self.base_momentums,
            self.max_momentums,
            self._rates().values_at(t),
        ):
            _set_momentum(group, self.use_beta1, top - (top - bottom) * x * scale)

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = (
            None if fn is None or isinstance(fn, types.FunctionType) else fn.__dict__.copy()
        )
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved_fn = state.pop("_scale_fn_custom", None)
        state.pop("_scale_fn_ref", None)
        if saved_fn is not None and self._scale_fn_custom is not None:
            self._scale_fn_custom.__dict__.update(saved_fn)
        super().load_state_dict(state)


class OneCycleLR(_Scheduler):
    """torch OneCycleLR — :func:`lrcore.one_cycle` for the learning rate and
    :func:`lrcore.one_cycle_momentum` for momentum (``betas[0]`` for Adam-like optimizers).

    torch's checks and messages are kept, including ``ValueError: Tried to step N times`` past
    ``total_steps``. Step ``total_steps`` itself, which torch extrapolates beyond the final rate
    (negative with ``anneal_strategy='linear'``, pytorch#91765), holds the final value; phases
    of zero width and ``div_factor``/``final_div_factor`` of 0 (ZeroDivisionError in torch) and
    ``three_phase`` with ``pct_start > 0.5`` (a third phase torch never reaches) raise ValueError.
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
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if total_steps is not None:
            if not isinstance(total_steps, int) or total_steps <= 0:
                raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            if not isinstance(epochs, int) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {epochs}")
            if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
                raise ValueError(
                    f"Expected positive integer steps_per_epoch, but got {steps_per_epoch}"
                )
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        if pct_start < 0 or pct_start > 1 or not isinstance(pct_start, float):
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self.pct_start = pct_start
        self._anneal_func_type = anneal_strategy
        self.three_phase = bool(three_phase)
        self.div_factor = _positive("OneCycleLR", "div_factor", div_factor)
        self.final_div_factor = _positive("OneCycleLR", "final_div_factor", final_div_factor)
        self.max_lrs = [
            _positive("OneCycleLR", "max_lr", m) for m in _per_group(optimizer, "max_lr", max_lr)
        ]
        # Fails now, with lrcore's message, where torch would divide by zero mid-run.
        lr.one_cycle(1.0, self.total_steps, pct_start, anneal_strategy, three_phase=three_phase)
        if last_epoch == -1:
            for top, group in zip(self.max_lrs, optimizer.param_groups):
                group["initial_lr"] = top / self.div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / self.final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self._init_momentum(optimizer, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)

    def _validate_base_lrs(self) -> None:
        """The rates come from ``max_lr``, checked at construction."""

    def _lr_schedules(self) -> list[Schedule]:
        return [
            lr.one_cycle(
                m,
                self.total_steps,
                self.pct_start,
                self._anneal_func_type,
                self.div_factor,
                self.final_div_factor,
                self.three_phase,
            )
            for m in self.max_lrs
        ]

    def _momentum_schedules(self) -> list[Schedule] | None:
        return [
            lr.one_cycle_momentum(
                self.total_steps,
                b,
                m,
                self.pct_start,
                self._anneal_func_type,
                self.three_phase,
            )
            for b, m in zip(self.base_momentums, self.max_momentums)
        ]

    def _last_step(self) -> int:
        return self.total_steps

    def _write(self, t: float) -> None:
        if t > self.total_steps:
            raise ValueError(
                f"Tried to step {t} times. The specified number of total steps is "
                f"{self.total_steps}"
            )
        super()._write(t)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        if "max_lrs" not in state:  # torch's state: the rates live in the param groups
            groups = self.optimizer.param_groups
            state["max_lrs"] = [float(g["max_lr"]) for g in groups]
            state["div_factor"] = float(groups[0]["max_lr"] / groups[0]["initial_lr"])
            state["final_div_factor"] = float(groups[0]["initial_lr"] / groups[0]["min_lr"])
            phases = state["_schedule_phases"]
            state["three_phase"] = len(phases) == 3
            state["pct_start"] = (phases[0]["end_step"] + 1) / state["total_steps"]
            if state.get("cycle_momentum"):
                state["max_momentums"] = [g["max_momentum"] for g in groups]
                state["base_momentums"] = [g["base_momentum"] for g in groups]
        state.pop("_schedule_phases", None)
        super().load_state_dict(state)


class CosineAnnealingWarmRestarts(_Scheduler):
    """torch CosineAnnealingWarmRestarts — ``restarts(cosine(base, eta_min, T_0), mul=T_mult)``.

    ``step(epoch)`` accepts fractional epochs (``epoch + i / iters``) without a warning, as in
    torch, and a plain ``step()`` after one keeps the fraction (torch's ``T_cur + 1``): the
    schedule's clock is ``last_epoch + _fraction``. torch's checks and messages for ``T_0``,
    ``T_mult`` and ``eta_min`` are kept; ``eta_min`` must also be non-negative.
    """

    _counts_steps = False

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        if T_0 <= 0 or not isinstance(T_0, int):
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if T_mult < 1 or not isinstance(T_mult, int):
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(
                f"Expected float or int eta_min, but got {eta_min} of type {type(eta_min)}"
            )
        self.T_0, self.T_mult = T_0, T_mult
        self.eta_min = _non_negative("CosineAnnealingWarmRestarts", "eta_min", eta_min)
        self._fraction = 0.0
        super().__init__(optimizer, last_epoch)

    def _lr_schedules(self) -> list[Schedule]:
        return [
            lr.restarts(lr.cosine(b, self.eta_min, self.T_0), mul=self.T_mult)
            for b in self._bases()
        ]

    def _steps_in_rust(self) -> bool:
        return not self._fraction  # the stepper's clock is last_epoch

    def _step(self, epoch: float | None = None) -> None:
        """One step, or a jump to ``epoch`` (fractional epochs allowed, no warning)."""
        if epoch is None:  # torch's own step(): no order warning, _step_count untouched
            self.last_epoch += 1
        else:
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
            self.last_epoch = math.floor(epoch)
            self._fraction = float(epoch) - self.last_epoch  # exact: the low bits of epoch
            self._arm()
        self._write(self.last_epoch + self._fraction)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        if "_epoch" in state:  # an earlier lrcore's state: the clock itself
            state["_fraction"] = float(state.pop("_epoch")) - state["last_epoch"]
        if "_fraction" not in state:  # torch's state: where the current cycle started + T_cur
            t0, mult, t_i = state["T_0"], state["T_mult"], state["T_i"]
            if mult == 1:
                start = t0 * math.floor((state["last_epoch"] - state["T_cur"] + 0.5) / t0)
            else:
                start = t0 * (t_i // t0 - 1) // (mult - 1)
            state["_fraction"] = float(start + state["T_cur"] - state["last_epoch"])
        for key in ("T_i", "T_cur"):
            state.pop(key, None)
        self.__dict__.update(state)
        self.base_lrs = [float(b) for b in self.base_lrs]
        self._build()
        self._write(self.last_epoch + self._fraction)


#: What torch's ReduceLROnPlateau.step is and calls: a subclass that overrides one steps in
#: Python, so that its override runs.
_STEP_HOOKS = ("step", "_is_better", "_reduce_lr", "in_cooldown")


def _held_in_rust(name: str) -> Any:
    """torch's attribute ``name`` of ReduceLROnPlateau, held by the scheduler's ``Plateau``."""
    return property(
        lambda self: self._plateau.get(name),
        lambda self, value: self._plateau.set(name, value),
        doc=f"torch's ``{name}`` (held in Rust).",
    )


class ReduceLROnPlateau(_torch.ReduceLROnPlateau):
    """torch ReduceLROnPlateau (a subclass of it, with its logic and messages).

    Unlike torch it checks up front that ``factor`` is positive (a negative factor clamps to
    ``min_lr`` in torch), that ``min_lr``, ``patience``, ``cooldown``, ``threshold`` and ``eps``
    are non-negative, and ``load_state_dict`` writes the saved rates into the param groups, so
    a resumed run continues exactly even if the optimizer's state is loaded before, after, or
    not at all.

    The attributes a step reads or writes (``optimizer``, ``last_epoch``, ``best``,
    ``num_bad_epochs``, ``cooldown_counter``, ``patience``, ``cooldown``, ``threshold``,
    ``factor``, ``eps``, ``mode``, ``threshold_mode``, ``min_lrs``, ``default_min_lr``,
    ``_last_lr``) live in a Rust ``Plateau``, behind properties of torch's names, and
    ``scheduler.step`` is that object's bound method: ``step(metrics)`` is one Rust call, cuts
    included. A step with a Tensor rate, an ``epoch``, keywords, or values that are not plain
    ints and floats is torch's own, and so is every step of a subclass that overrides ``step``
    or a method torch's step calls.
    ``state_dict()`` has torch's keys and types; set these attributes as attributes (writing
    them into ``__dict__`` does not reach the Plateau).
    """

    optimizer = _held_in_rust("optimizer")
    last_epoch = _held_in_rust("last_epoch")
    best = _held_in_rust("best")
    num_bad_epochs = _held_in_rust("num_bad_epochs")
    cooldown_counter = _held_in_rust("cooldown_counter")
    patience = _held_in_rust("patience")
    cooldown = _held_in_rust("cooldown")
    threshold = _held_in_rust("threshold")
    factor = _held_in_rust("factor")
    eps = _held_in_rust("eps")
    mode = _held_in_rust("mode")
    threshold_mode = _held_in_rust("threshold_mode")
    min_lrs = _held_in_rust("min_lrs")
    default_min_lr = _held_in_rust("default_min_lr")
    _last_lr = _held_in_rust("_last_lr")
    #: torch's step, for the steps the Plateau declines: called from Rust, so that its
    #: warnings point at the caller.
    _step = _torch.ReduceLROnPlateau.step

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
        for m in min_lr if isinstance(min_lr, (list, tuple)) else [min_lr]:
            _non_negative("ReduceLROnPlateau", "min_lr", m)
        self._plateau = _core.Plateau()
        super().__init__(
            optimizer, mode, factor, patience, threshold, threshold_mode, cooldown, min_lr, eps
        )
        self._bind()

    def _bind(self) -> None:
        """``step`` becomes the Plateau's bound method (no Python frame), which falls back on
        ``_step`` of this class."""
        cls = type(self)
        if all(getattr(cls, name) is getattr(ReduceLROnPlateau, name) for name in _STEP_HOOKS):
            self._plateau.bind(cls)
            self.__dict__["step"] = self._plateau.step

    def __getstate__(self) -> dict[str, Any]:
        """Pickles and copies without the bound ``step``, with a Plateau of their own: a
        shallow copy's counters are its own, as torch's (ints and floats) are."""
        state = {k: v for k, v in self.__dict__.items() if k != "step"}
        state["_plateau"] = copy.copy(self._plateau)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._bind()

    def state_dict(self) -> dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items() if k not in ("step", "_plateau")}
        state.update((name, getattr(self, name)) for name in _core.Plateau.fields())
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        for key, value in state_dict.items():
            setattr(self, key, value)
        self._init_is_better(
            mode=self.mode, threshold=self.threshold, threshold_mode=self.threshold_mode
        )
        for group, value in zip(self.optimizer.param_groups, self._last_lr):
            _set(group, "lr", float(value))


def _check_children(cls: str, optimizer: Optimizer, schedulers: Sequence[Any]) -> None:
    """torch's checks and messages for SequentialLR / ChainedScheduler children, and lrcore's
    own: a child must be an lrcore.torch scheduler whose rates are a schedule."""
    if len(schedulers) < 1:
        what = "at least one scheduler" + ("" if cls == "SequentialLR" else " to be chained")
        raise ValueError(f"{cls} expects {what}, but got no scheduler.")
    for i, child in enumerate(schedulers):
        if not hasattr(child, "optimizer"):
            raise TypeError(f"{cls} at index {i} should have `optimizer` as its attribute.")
        last = i == len(schedulers) - 1
        plateau = isinstance(child, _torch.ReduceLROnPlateau)
        if plateau and not (cls == "SequentialLR" and last):
            raise ValueError(
                f"{cls} does not support `ReduceLROnPlateau` scheduler as it requires additional "
                "kwargs to be specified when calling `step`, but got one at index "
                f"{i} in the given schedulers sequence."
            )
        if child.optimizer != optimizer:
            raise ValueError(
                f"{cls} expects all schedulers to belong to the same optimizer, but got "
                f"scheduler {child.__class__.__name__} at index {i} has {child.optimizer}, "
                f"which is different from {optimizer.__class__.__name__}."
            )
        if not plateau and (not isinstance(child, _Scheduler) or not child._composable()):
            raise TypeError(
                f"{cls} at index {i} must be an lrcore.torch scheduler whose rates are an "
                f"lrcore schedule, got {type(child).__module__}.{type(child).__name__} (a "
                "LambdaLR composes when its lr_lambda is an lrcore schedule)"
            )


def _row(batch: Schedule, g: int) -> Schedule:
    """Param group ``g``'s schedule out of a batch built with one schedule per group."""
    return lr.from_dict(batch.to_dict()["schedules"][g])


class _Composite(_Scheduler):
    """State of a scheduler made of child schedulers: its own plus each child's."""

    _schedulers: list[Any]

    def state_dict(self) -> dict[str, Any]:
        state = {k: v for k, v in super().state_dict().items() if k != "_schedulers"}
        state["_schedulers"] = [child.state_dict() for child in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        for child, saved in zip(self._schedulers, state.pop("_schedulers")):
            child.load_state_dict(saved)
        super().load_state_dict(state)


class SequentialLR(_Composite):
    """torch SequentialLR: scheduler ``i`` runs from ``milestones[i-1]`` with its own clock
    from 0 — :func:`lrcore.join`. Children must be lrcore.torch schedulers; the last may be
    :class:`ReduceLROnPlateau`, which takes over at its milestone from the base rates (pass the
    metric to ``step(metrics)``). Milestones must be strictly increasing and positive. Unlike
    torch (pytorch#162591, #196243), resuming with ``last_epoch`` or nesting changes nothing.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: list[Any],
        milestones: list[int],
        last_epoch: int = -1,
    ) -> None:
        _check_children("SequentialLR", optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more "
                f"than the number of milestone points, but got number of schedulers "
                f"{len(schedulers)} and the number of milestones to be equal to {len(milestones)}"
            )
        for m in milestones:
            _positive_int("SequentialLR", "milestones", m)
        if any(a >= b for a, b in zip(milestones, milestones[1:])):
            raise _fail("SequentialLR", "milestones", "strictly increasing", milestones)
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self._plateau = isinstance(schedulers[-1], _torch.ReduceLROnPlateau)
        self._phase_momentum = any(
            getattr(child, "_momentum_batch", None) is not None for child in schedulers
        )
        for group in optimizer.param_groups:
            _set(group, "lr", float(group.get("initial_lr", group["lr"])))
        super().__init__(optimizer, last_epoch)

    def _lr_schedules(self) -> list[Schedule]:
        phases = [c._rates() for c in self._schedulers if isinstance(c, _Scheduler)]
        if self._plateau:  # the plateau phase starts from the base rates
            phases.append(lr.stack(list(self._bases())))
        return [
            lr.join([_row(batch, g) for batch in phases], self._milestones)
            for g in range(len(self._bases()))
        ]

    def _steps_in_rust(self) -> bool:
        return not (self._phase_momentum or self._plateau)

    def _phase(self, t: float) -> int:
        return bisect_right(self._milestones, t)

    def _in_plateau(self, t: float) -> bool:
        return self._plateau and self._phase(t) == len(self._schedulers) - 1

    def _write(self, t: float) -> None:
        if not self._phase_momentum and not self._plateau:
            super()._write(t)
            return
        if self._in_plateau(t):
            return  # ReduceLROnPlateau owns the rates now
        super()._write(t)
        index = self._phase(t)
        child = self._schedulers[index]
        if child._momentum_batch is not None:
            local = t - (self._milestones[index - 1] if index else 0)
            momenta = child._momentum_batch.values_at(local)
            for group, m in zip(self.optimizer.param_groups, momenta):
                _set_momentum(group, child.use_beta1, m)

    def _step(self, metrics: Any = None) -> None:
        """Advances one step; in a final ReduceLROnPlateau phase ``metrics`` goes to it."""
        super()._step(None)
        if not self._in_plateau(self.last_epoch):
            return
        if metrics is None:
            raise TypeError("SequentialLR.step() needs metrics in its ReduceLROnPlateau phase")
        if self.last_epoch == self._milestones[-1]:  # entering the phase: the base rates
            _Scheduler._write(self, self.last_epoch)
        plateau = self._schedulers[-1]
        plateau.step(metrics)
        self._last_lr = list(plateau.get_last_lr())


class ChainedScheduler(_Composite):
    """torch ChainedScheduler: every child's factor at once, ``base * prod(child(t) / base)``
    — lrcore's ``s * s2``. Children must be lrcore.torch schedulers (torch's own composition is
    exact only for multiplicative children; this one is exact for all)."""

    def __init__(self, schedulers: Sequence[Any], optimizer: Optimizer | None = None) -> None:
        if optimizer is None and schedulers:
            optimizer = schedulers[0].optimizer
        if optimizer is None:
            raise ValueError(
                "ChainedScheduler expects at least one scheduler to be chained, but got no "
                "scheduler."
            )
        _check_children("ChainedScheduler", optimizer, schedulers)
        self._schedulers = list(schedulers)
        super().__init__(optimizer, -1)

    def _lr_schedules(self) -> list[Schedule]:
        rows = []
        for g, base in enumerate(self._bases()):
            if base == 0:
                rows.append(lr.constant(0.0))
                continue
            product = lr.constant(base)
            for child in self._schedulers:
                product = product * (_row(child._rates(), g) * (1.0 / base))
            rows.append(product)
        return rows

    def step(self, epoch: int | None = None) -> None:
        for child in self._schedulers:
            child.last_epoch += 1
            child._step_count += 1
        super().step(epoch)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        if "last_epoch" not in state:  # torch's state: the children carry the step
            state["last_epoch"] = max(child["last_epoch"] for child in state["_schedulers"])
        super().load_state_dict(state)


def _target(key: str, group: dict[str, Any]) -> str:
    """The param-group entry a ParamScheduler key drives: ``beta1``, and ``momentum`` in a
    group without one, are ``betas[0]``."""
    if key == "beta1" or (key == "momentum" and "momentum" not in group and "betas" in group):
        return "betas"
    return key


_Spec = Union[Schedule, float, Sequence[Union[Schedule, float]], dict[int, Union[Schedule, float]]]


class ParamScheduler(LRScheduler):
    """Drives any param-group key from lrcore schedules: ``lr``, ``momentum`` (``betas[0]``
    when the group has no ``momentum``), ``beta1`` (``betas[0]``), ``weight_decay`` or any other
    key given by name. Each takes one schedule for every group, a list (one per group) or a
    dict ``{group index: schedule}``. Tensor-valued entries are filled in place, so a
    ``torch.compile``d optimizer step is not recompiled. The state dict is the step and the
    schedules' dict forms: picklable and JSON-able.
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
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [float(g["initial_lr"]) for g in optimizer.param_groups]
        self.last_epoch = -1
        self._step_count = 0
        self._tensor_writer = _Writer()
        self._compile()
        self.step()

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
            if not isinstance(s, Schedule):
                s = lr.constant(s)
            target = _target(key, groups[i])
            if target not in groups[i]:
                raise ValueError(f"ParamScheduler(): param_groups[{i}] has no key '{target}'")
            out[i] = s
        return out

    def _compile(self) -> None:
        """One stepper for every scheduled entry, so a step is one Rust call."""
        groups = self.optimizer.param_groups
        self._entries = [
            (i, _target(key, groups[i]))
            for key, per_group in self._schedules.items()
            for i in per_group
        ]
        keys = list(dict.fromkeys(target for _, target in self._entries))
        schedules = [s for per_group in self._schedules.values() for s in per_group.values()]
        targets = [(i, keys.index(target)) for i, target in self._entries]
        self._stepper = Stepper.schedules(lr.stack(schedules), keys, targets=targets)

    def step(self, epoch: int | None = None) -> None:
        """Advances one step (or jumps to ``epoch``) and writes every scheduled key."""
        self._step_count += 1
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        self._write()

    def _write(self) -> None:
        groups = self.optimizer.param_groups
        values, written = self._stepper.write(self.last_epoch, self.__dict__)
        if not written:  # Tensor entries, filled in place; betas given as a list
            for (i, key), value in zip(self._entries, values):
                if key == "betas":
                    groups[i]["betas"] = (value, *groups[i]["betas"][1:])
                elif groups[i][key].__class__ is not float:
                    self._tensor_writer(groups[i], i, key, value)
        self._last_lr = [float(g["lr"]) for g in groups]

    def get_last_lr(self) -> list[float | Tensor]:
        return list(self._last_lr)

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
