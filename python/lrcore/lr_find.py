"""The learning-rate range test: a short run whose rate grows from ``start_lr`` to ``end_lr``
while the loss is recorded, stopped when the loss diverges, from which a rate is suggested.

It is fastai's ``Learner.lr_find``, Lightning's ``Tuner.lr_find`` and torch-lr-finder's
``LRFinder.range_test``, for any model, optimizer and data loader. Names follow fastai where the
three differ (``start_lr``, ``end_lr``; Lightning says ``min_lr``, ``max_lr``,
``num_training``, ``early_stop_threshold``); ``num_steps``, ``mode`` ("exp" or "linear", as
torch-lr-finder's ``step_mode``) and ``diverge`` are lrcore's.

Decisions:

* The sweep is an lrcore schedule, ``exponential(start_lr, end_lr, num_steps - 1)`` or
  ``linear(...)``: step ``k`` runs at ``schedule(k)``, so the first step is at ``start_lr`` and
  the last at ``end_lr``. The param group with the largest learning rate follows it; every other
  group keeps its ratio to that one (discriminative rates scale together; a group at 0 stays 0).
* Smoothed loss: the bias-corrected exponential average ``a_k = smooth * a_(k-1) +
  (1 - smooth) * raw_k``, ``smoothed_k = a_k / (1 - smooth ** (k + 1))`` (fastai, Lightning).
  The sweep stops after the step whose smoothed loss is non-finite or above ``diverge`` times
  the lowest so far, ``best + (diverge - 1) * |best|`` (the same for a positive loss; fastai's
  and Lightning's ``> 4 * best`` would stop a negative loss, a log-likelihood, at its first
  step); that step is kept in the record.
* Everything the sweep touches is put back bit for bit, even when it raises: the model's and
  the optimizer's parameters and their gradients, the model's buffers and train/eval modes,
  the optimizer's state and every param group's values (a Tensor learning rate is written in
  place, so the same Tensor object holds the same value afterwards). The loader is only
  iterated: a loader shorter than the sweep is started again, as many times as needed.
* The random number generators are not restored (as in fastai and Lightning): dropout and
  shuffling during the sweep advance them.
"""

from __future__ import annotations

import copy
import functools
import inspect
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

import lrcore as lr

__all__ = ["DEFAULT", "HEURISTICS", "LRFindResult", "lr_find"]

FloatArray = npt.NDArray[np.float64]

_NAME = "lr_find"


def _fail(name: str, rule: str, value: object) -> ValueError:
    return ValueError(f"{_NAME}(): {name} must be {rule}, got {value!r}")


# ---- suggestions ---------------------------------------------------------------------------------


def _finite_prefix(losses: FloatArray) -> int:
    """The number of leading finite losses (a diverged sweep ends in inf/NaN)."""
    bad = np.flatnonzero(~np.isfinite(losses))
    return int(bad[0]) if len(bad) else len(losses)


def _steepest(lrs: FloatArray, losses: FloatArray) -> int:
    """Index of the steepest descent of the smoothed loss against log(lr), from a tenth of
    the sweep on (fastai's ``steep``; Lightning's default takes the slope against the rate
    itself, after the first 10 steps)."""
    start = len(losses) // 10
    slope = np.diff(losses[start:]) / np.diff(np.log(lrs[start:]))
    return start + int(np.argmin(slope))


def _valley(lrs: FloatArray, losses: FloatArray) -> int:
    """fastai's ``valley`` (its default): the longest decreasing subsequence of the smoothed
    loss from a tenth of the sweep on, and the point halfway along it (start + 1/3 + 1/6 of
    its length, as fastai rounds)."""
    del lrs
    start = len(losses) // 10
    loss = losses[start:]
    n = len(loss)
    lds = [1] * n
    max_start = max_end = 0
    for i in range(1, n):
        for j in range(i):
            if loss[i] < loss[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    return start + max_start + int(sections) + int(sections / 2)


def _min_over_10(lrs: FloatArray, losses: FloatArray) -> int:
    """The index of the lowest smoothed loss (the rate is divided by 10 by the caller)."""
    del lrs
    return int(np.argmin(losses))


#: name -> (index picker on (lrs, smoothed losses), factor applied to the picked rate).
HEURISTICS: dict[str, tuple[Callable[[FloatArray, FloatArray], int], float]] = {
    "steepest": (_steepest, 1.0),
    "valley": (_valley, 1.0),
    "min/10": (_min_over_10, 0.1),
}

#: The heuristic of :attr:`LRFindResult.suggestion`.
DEFAULT = "valley"


def _suggest(lrs: FloatArray, losses: FloatArray) -> dict[str, float]:
    """Each heuristic's rate over the finite part of the sweep (NaN with fewer than 4 finite
    steps: too few to pick from)."""
    n = _finite_prefix(losses)
    return {
        name: float(lrs[pick(lrs[:n], losses[:n])]) * factor if n >= 4 else math.nan
        for name, (pick, factor) in HEURISTICS.items()
    }


# ---- the result ----------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class LRFindResult:
    """The record of one range test.

    ``lrs``: the rate of each step (the largest param group's); ``raw_losses``: each step's
    loss (the mean over its ``accumulate`` batches); ``losses``: the smoothed losses;
    ``suggestions``: each heuristic's rate; ``suggestion``: the default heuristic's.

    >>> import torch
    >>> from lrcore.lr_find import lr_find
    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Linear(3, 1)
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> x = torch.randn(64, 3)
    >>> loader = [(x[i : i + 8], x[i : i + 8].sum(1, keepdim=True)) for i in range(0, 64, 8)]
    >>> r = lr_find(model, opt, loader, torch.nn.functional.mse_loss, end_lr=1.0, num_steps=40)
    >>> r.mode, r.default, sorted(r.suggestions)
    ('exp', 'valley', ['min/10', 'steepest', 'valley'])
    >>> len(r.lrs) == len(r.losses) == len(r.raw_losses)
    True
    >>> r.to_dict()["suggestion"] == r.suggestion
    True
    """

    lrs: FloatArray
    losses: FloatArray
    raw_losses: FloatArray
    suggestions: dict[str, float]
    default: str
    stopped_early: bool
    mode: Literal["exp", "linear"]

    @property
    def suggestion(self) -> float:
        """The default heuristic's rate."""
        return self.suggestions[self.default]

    def to_dict(self) -> dict[str, Any]:
        """Plain lists, floats and strings (JSON-ready)."""
        return {
            "lrs": self.lrs.tolist(),
            "losses": self.losses.tolist(),
            "raw_losses": self.raw_losses.tolist(),
            "suggestion": self.suggestion,
            "suggestions": dict(self.suggestions),
            "default": self.default,
            "stopped_early": self.stopped_early,
            "mode": self.mode,
        }

    def plot(self, path: str | os.PathLike[str] | None = None, ax: Any = None) -> Any:
        """The raw (faint) and smoothed losses against the rate on a log axis, the suggestion
        marked; saved to ``path`` when given. Returns the Axes."""
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise ImportError(
                "LRFindResult.plot() needs matplotlib: pip install matplotlib"
            ) from err
        if ax is None:
            fig = Figure(figsize=(7, 4.2), dpi=100, layout="constrained")
            FigureCanvasAgg(fig)
            ax = fig.add_subplot()
        ax.plot(self.lrs, self.raw_losses, color="0.7", linewidth=0.8, label="loss")
        ax.plot(self.lrs, self.losses, color="C0", linewidth=1.8, label="smoothed loss")
        both = np.concatenate([self.losses, self.raw_losses])
        finite = both[np.isfinite(both)]
        if len(finite):
            # From the lowest loss to a little above the first: a diverged tail would squash
            # the part that matters.
            low, top = float(finite.min()), float(self.losses[0])
            pad = max(top - low, 1e-12)
            ax.set_ylim(low - 0.05 * pad, top + 0.3 * pad)
        if math.isfinite(self.suggestion):
            ax.axvline(
                self.suggestion,
                color="C3",
                linestyle="--",
                label=f"suggestion ({self.default}): {self.suggestion:.3g}",
            )
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("training loss")
        ax.set_title("Learning-rate range test")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small", loc="lower left")
        if path is not None:
            ax.figure.savefig(path)
        return ax


# ---- the sweep -----------------------------------------------------------------------------------


def _to(batch: Any, device: Any) -> Any:
    """The batch with everything in it that has a ``.to`` (tensors, transformers'
    ``BatchEncoding``) moved, through tuples (named ones too), lists and mappings (rebuilt as
    plain dicts)."""
    if callable(getattr(batch, "to", None)):
        return batch.to(device)
    if isinstance(batch, Mapping):
        return {k: _to(v, device) for k, v in batch.items()}
    if isinstance(batch, (tuple, list)):
        items = [_to(v, device) for v in batch]
        return type(batch)(*items) if hasattr(batch, "_fields") else type(batch)(items)
    return batch


def _batches(loader: Iterable[Any]) -> Iterator[Any]:
    """The loader's batches, started again each time it runs out."""
    count = 0
    while True:
        fresh = 0
        for batch in loader:
            fresh += 1
            yield batch
        if fresh == 0:
            if count == 0:
                raise _fail("loader", "non-empty", loader)
            raise ValueError(
                f"{_NAME}(): loader gave no batch when started again after {count}; "
                "pass a loader that can be iterated more than once (a DataLoader, a list)"
            )
        count += fresh


def _loss(model: Any, loss_fn: Callable[..., Any], batch: Any) -> Any:
    """``loss_fn(model(x), y)`` for an ``(x, y)`` pair, else ``loss_fn(model, batch)``."""
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return loss_fn(model(batch[0]), batch[1])
    return loss_fn(model, batch)


def _accumulated(
    model: Any, optimizer: Any, loss_fn: Callable[..., Any], batches: list[Any]
) -> Any:
    """The closure of one step: zeroes the gradients, back-propagates each batch's loss divided
    by the number of batches, and returns their mean loss as a 0-d tensor."""
    import torch

    optimizer.zero_grad()
    total = 0.0
    for batch in batches:
        loss = _loss(model, loss_fn, batch)
        (loss / len(batches)).backward()
        total += float(loss.detach()) / len(batches)
    return torch.tensor(total)


class _Snapshot:
    """Copies of everything the sweep changes, written back bit for bit by :meth:`restore`."""

    def __init__(self, model: Any, optimizer: Any) -> None:
        # The optimizer's parameters too: a loss may use tensors the model does not hold.
        params = {
            id(p): p
            for p in (
                *model.parameters(),
                *(p for g in optimizer.param_groups for p in g["params"]),
            )
        }
        tensors = [*params.values(), *model.buffers()]
        self.tensors = [(t, t.detach().clone()) for t in tensors]
        self.grads = [
            (p, None if p.grad is None else p.grad.detach().clone()) for p in params.values()
        ]
        self.modes = [(m, m.training) for m in model.modules()]
        self.state = {p: copy.deepcopy(s) for p, s in optimizer.state.items()}
        # The original objects (a Tensor learning rate is restored in place) and their copies.
        self.groups = [
            {k: (v, copy.deepcopy(v)) for k, v in g.items() if k != "params"}
            for g in optimizer.param_groups
        ]
        self.optimizer = optimizer

    def restore(self) -> None:
        import torch

        with torch.no_grad():
            for tensor, saved in self.tensors:
                tensor.copy_(saved)
        for p, grad in self.grads:
            p.grad = grad
        for module, training in self.modes:
            module.training = training
        self.optimizer.state.clear()
        self.optimizer.state.update(self.state)
        for group, saved_group in zip(self.optimizer.param_groups, self.groups):
            for key in [k for k in group if k != "params" and k not in saved_group]:
                del group[key]
            for key, (original, value) in saved_group.items():
                if isinstance(original, torch.Tensor):
                    original.copy_(value)
                    group[key] = original
                else:
                    group[key] = value


def _set_lr(group: dict[str, Any], value: float) -> None:
    import torch

    if isinstance(group["lr"], torch.Tensor):
        group["lr"].fill_(value)
    else:
        group["lr"] = value


def _positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise _fail(name, "a positive number", value)
    if not math.isfinite(value):
        raise _fail(name, "finite", value)
    return float(value)


def _count(name: str, value: object, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise _fail(name, f"an integer >= {least}", value)
    return value


def _check(
    start_lr: object,
    end_lr: object,
    num_steps: object,
    mode: object,
    smooth: object,
    diverge: object,
    accumulate: object,
    closure: object,
) -> None:
    if _positive("start_lr", start_lr) >= _positive("end_lr", end_lr):
        raise _fail("start_lr", f"< end_lr ({end_lr!r})", start_lr)
    _count("num_steps", num_steps, 2)
    _count("accumulate", accumulate, 1)
    if mode not in ("exp", "linear"):
        raise _fail("mode", "'exp' or 'linear'", mode)
    if isinstance(smooth, bool) or not isinstance(smooth, (int, float)) or not 0 <= smooth < 1:
        raise _fail("smooth", "a number in [0, 1)", smooth)
    if isinstance(diverge, bool) or not isinstance(diverge, (int, float)) or not diverge > 1:
        raise _fail("diverge", "a number > 1 (math.inf never stops)", diverge)
    if closure is not None and not isinstance(closure, bool):
        raise _fail("closure", "None, True or False", closure)


def lr_find(
    model: Any,
    optimizer: Any,
    loader: Iterable[Any],
    loss_fn: Callable[..., Any],
    *,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_steps: int = 100,
    mode: Literal["exp", "linear"] = "exp",
    smooth: float = 0.98,
    diverge: float = 4.0,
    device: Any = None,
    accumulate: int = 1,
    closure: bool | None = None,
) -> LRFindResult:
    """Runs the learning-rate range test and puts the model and the optimizer back as they were.

    ``num_steps`` optimizer steps at rates from ``start_lr`` to ``end_lr`` (geometric for
    ``mode="exp"``, arithmetic for ``"linear"``), each on ``accumulate`` batches of ``loader``
    (their gradients summed, each loss divided by ``accumulate``). The model is put in train
    mode for the sweep.

    The loss of a batch is ``loss_fn(model(x), y)`` when the batch is an ``(x, y)`` pair (a
    tuple or list of two: what a ``DataLoader`` over a ``TensorDataset`` gives; ``loss_fn`` a
    criterion such as ``nn.CrossEntropyLoss()``, as in fastai and torch-lr-finder), and
    ``loss_fn(model, batch)`` for any other batch (a mapping, as transformers' collators give;
    one tensor; three or more items): the form for models that compute their own loss, e.g.
    ``lambda model, batch: model(**batch).loss``.

    ``device``: where batches are moved (every Tensor inside tuples, lists and mappings);
    default the device of the model's first parameter. The model and optimizer are not moved.

    ``closure``: whether ``optimizer.step`` is given a closure that zeroes the gradients,
    recomputes the loss of the step's batches and back-propagates it (LBFGS-style optimizers
    call it several times per step). ``None``: when ``optimizer.step`` takes a ``closure``
    argument (every ``torch.optim`` optimizer), else not. ``False``: ``backward()`` then
    ``step()``.

    The default suggestion is fastai's default, ``"valley"``: the middle of the longest
    decreasing subsequence of the smoothed loss. On least squares, where SGD diverges above
    2 / (the Hessian's largest eigenvalue), it lands below that rate and within two decades
    of it with minibatch noise as large as the loss's decrease, while ``"steepest"`` (a
    steepest slope, as Lightning's default) picks a noise dip near ``start_lr`` and
    ``"min/10"`` does whenever the noise's lowest point is lower than the valley's
    (tests/test_lr_find.py). ``suggestions`` holds all three.

    >>> import torch
    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Linear(3, 1)
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> x = torch.randn(64, 3)
    >>> loader = [(x[i : i + 8], x[i : i + 8].sum(1, keepdim=True)) for i in range(0, 64, 8)]
    >>> before = model.weight.clone()
    >>> r = lr_find(model, opt, loader, torch.nn.functional.mse_loss, end_lr=1.0, num_steps=40)
    >>> float(r.lrs[0]), float(r.lrs[-1]) <= 1.0
    (1e-07, True)
    >>> 1e-7 <= r.suggestion <= 1.0
    True
    >>> bool(torch.equal(model.weight, before)), opt.param_groups[0]["lr"]  # put back
    (True, 0.1)
    """
    import torch

    _check(start_lr, end_lr, num_steps, mode, smooth, diverge, accumulate, closure)
    groups = optimizer.param_groups
    if not groups:
        raise _fail("optimizer", "an optimizer with param groups", optimizer)
    if device is None:
        first = next(iter(model.parameters()), None)
        device = first.device if first is not None else torch.device("cpu")
    if closure is None:
        closure = "closure" in inspect.signature(optimizer.step).parameters
    sweep = (lr.exponential if mode == "exp" else lr.linear)(start_lr, end_lr, num_steps - 1)
    rates = np.asarray(sweep.values(num_steps), dtype=np.float64)
    current = [float(g["lr"]) for g in groups]
    top = max(current)
    ratios = [c / top if top > 0 else 1.0 for c in current]

    raw: list[float] = []
    smoothed: list[float] = []
    stopped = False
    snapshot = _Snapshot(model, optimizer)
    batches = _batches(loader)
    try:
        model.train()
        average, best = 0.0, math.inf
        for k in range(num_steps):
            for group, ratio in zip(groups, ratios):
                _set_lr(group, float(rates[k]) * ratio)

            compute = functools.partial(
                _accumulated,
                model,
                optimizer,
                loss_fn,
                [_to(next(batches), device) for _ in range(accumulate)],
            )
            if closure:
                value = float(optimizer.step(compute))
            else:
                value = float(compute())
                optimizer.step()
            average = smooth * average + (1.0 - smooth) * value
            level = average / (1.0 - smooth ** (k + 1))
            raw.append(value)
            smoothed.append(level)
            best = min(best, level)
            if not math.isfinite(level) or level > best + (diverge - 1.0) * abs(best):
                stopped = k + 1 < num_steps
                break
    finally:
        snapshot.restore()
    lrs = rates[: len(raw)]
    raw_losses = np.asarray(raw, dtype=np.float64)
    losses = np.asarray(smoothed, dtype=np.float64)
    return LRFindResult(
        lrs=lrs,
        losses=losses,
        raw_losses=raw_losses,
        suggestions=_suggest(lrs, losses),
        default=DEFAULT,
        stopped_early=stopped,
        mode=mode,
    )
