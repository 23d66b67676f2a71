"""``lrcore demo``: the lecture's recipe for training a network, end to end, on real data.

1. *Become one with the data*: scikit-learn's bundled 8x8 digits (1797 images, 10 classes, no
   download), one fixed stratified split: 1437 train / 360 validation.
2. *A dumb baseline*: a small MLP trained with AdamW at torch's default constant learning rate.
3. *Find a learning rate*: the range test (:func:`lrcore.torch.lr_find`) on the same MLP and
   optimizer, from the same initial weights; its suggestion is printed and drawn.
4. *Tune*: a Sobol search (:mod:`lrcore.search`) over one-cycle ``max_lr`` (within one decade
   either side of the suggestion), ``pct_start`` and ``weight_decay``, each trial trained with
   :class:`lrcore.torch.OneCycleLR` (so AdamW's ``betas[0]`` cycles against the learning rate).

Then a table sorted by validation accuracy (baseline included), the suggestion beside the best
trial's ``max_lr``, ``results.csv`` and four PNGs: the range test, the schedules tried (learning
rate and beta1, one line per trial), validation accuracy against ``max_lr`` (the suggestion
marked), and the grid-against-Sobol coverage of the two most important parameters.

Decisions: every trial starts from the same initial weights and sees the batches in the same
order (both from ``seed``), so trials differ only by their hyper-parameters; torch runs on one
CPU thread (faster than several for a network this small, and reproducible): the same seed gives
the same table on the same machine. A parameter's importance is how much of the trials' accuracy
ranking a quadratic in that parameter alone explains (see :func:`importance`).
"""

from __future__ import annotations

import csv
import functools
import importlib
import importlib.util
import math
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO

import numpy as np
import numpy.typing as npt

import lrcore as lr
from lrcore import search
from lrcore.lr_find import LRFindResult

__all__ = ["DEFAULT_EPOCHS", "DEFAULT_TRIALS", "Result", "run", "search_space"]


def search_space(suggestion: float) -> search.Space:
    """The search space of the demo, ``max_lr`` centred (on log axes) on the range test's
    suggestion: one decade either side.

    >>> space = search_space(1e-2)
    >>> space.names, space.params["max_lr"]
    (['max_lr', 'pct_start', 'weight_decay'], loguniform(0.001, 0.1))
    """
    return search.Space(
        max_lr=search.loguniform(suggestion / 10.0, suggestion * 10.0),
        pct_start=search.uniform(0.1, 0.5),
        weight_decay=search.loguniform(1e-6, 1e-2),
    )


DEFAULT_TRIALS = 16
DEFAULT_EPOCHS = 15
BATCH_SIZE = 32
HIDDEN = 128
VAL_FRACTION = 0.2
#: The baseline: AdamW's defaults, a constant learning rate.
BASELINE_LR = 1e-3
BASELINE_WEIGHT_DECAY = 1e-2

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Result:
    """One row of the results table.

    >>> r = Result("baseline", "constant", 1e-3, float("nan"), 1e-2, 0.95, 0.2, 0.1)
    >>> r.schedule, r.val_acc
    ('constant', 0.95)
    """

    trial: str  # "baseline" or the search trial's index
    schedule: str  # "constant" or "one_cycle"
    max_lr: float
    pct_start: float  # NaN for the baseline
    weight_decay: float
    val_acc: float
    val_loss: float
    train_loss: float


@dataclass(frozen=True)
class _Data:
    x_train: Any
    y_train: Any
    x_val: Any
    y_val: Any


def _digits() -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    """(images scaled to [0, 1] as (1797, 64), labels): ``sklearn.datasets.load_digits()``.

    Reads the file ``load_digits`` reads, scikit-learn's bundled ``digits.csv.gz`` (64 pixels
    and the label per row), without importing scikit-learn (seconds on a small machine);
    falls back to ``load_digits`` if the file is not where it has always been."""
    spec = importlib.util.find_spec("sklearn")
    for root in (spec.submodule_search_locations or []) if spec else []:
        path = Path(root) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            table = np.loadtxt(path, delimiter=",", dtype=np.float64)
            if table.shape == (1797, 65):
                return (table[:, :64] / 16.0).astype(np.float32), table[:, 64].astype(np.int64)
    digits = importlib.import_module("sklearn.datasets").load_digits()
    return (
        np.asarray(digits.data, dtype=np.float32) / np.float32(16.0),
        np.asarray(digits.target, dtype=np.int64),
    )


def load_data() -> _Data:
    """The digits, scaled to [0, 1], split 80/20 per class with a fixed generator."""
    import torch

    x, y = _digits()
    rng = np.random.default_rng(0)
    val: list[int] = []
    for label in range(10):
        idx = np.flatnonzero(y == label)
        val.extend(rng.permutation(idx)[: round(len(idx) * VAL_FRACTION)].tolist())
    is_val = np.zeros(len(y), dtype=bool)
    is_val[val] = True
    return _Data(
        torch.from_numpy(x[~is_val]),
        torch.from_numpy(y[~is_val]),
        torch.from_numpy(x[is_val]),
        torch.from_numpy(y[is_val]),
    )


def _steps_per_epoch(data: _Data) -> int:
    return math.ceil(len(data.x_train) / BATCH_SIZE)


def _mlp(seed: int, rate: float, weight_decay: float) -> tuple[Any, Any]:
    """The MLP with its initial weights from ``seed``, and its AdamW optimizer."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 10))
    return model, torch.optim.AdamW(model.parameters(), lr=rate, weight_decay=weight_decay)


def _epoch(data: _Data, order: Any) -> list[tuple[Any, Any]]:
    """One epoch's (x, y) batches of the training set, shuffled by the generator ``order``."""
    import torch

    perm = torch.randperm(len(data.x_train), generator=order)
    return [
        (data.x_train[idx], data.y_train[idx])
        for idx in (perm[i : i + BATCH_SIZE] for i in range(0, len(perm), BATCH_SIZE))
    ]


def find_lr(data: _Data, seed: int) -> LRFindResult:
    """The range test (lrcore.torch.lr_find, its defaults: 1e-7 to 10 over 100 steps) on the
    MLP the trials train, from the same initial weights, with the baseline's AdamW; the
    batches of one shuffled epoch, cycled."""
    import torch
    from torch.nn import functional

    from lrcore.torch import lr_find

    model, optimizer = _mlp(seed, BASELINE_LR, BASELINE_WEIGHT_DECAY)
    batches = _epoch(data, torch.Generator().manual_seed(seed))
    return lr_find(model, optimizer, batches, functional.cross_entropy)


def train(
    data: _Data,
    *,
    epochs: int,
    seed: int,
    max_lr: float,
    weight_decay: float,
    pct_start: float | None,
) -> tuple[float, float, float]:
    """Trains the MLP; ``pct_start=None`` is the constant-rate baseline, otherwise
    :class:`lrcore.torch.OneCycleLR`. Returns (validation accuracy, validation loss, mean
    training loss of the last epoch)."""
    import torch
    from torch.nn import functional

    from lrcore.torch import OneCycleLR

    order = torch.Generator().manual_seed(seed)
    model, optimizer = _mlp(seed, max_lr, weight_decay)
    per_epoch = _steps_per_epoch(data)
    scheduler = None
    if pct_start is not None:
        scheduler = OneCycleLR(
            optimizer, max_lr=max_lr, total_steps=epochs * per_epoch, pct_start=float(pct_start)
        )
    n = len(data.x_train)
    last = 0.0
    for _ in range(epochs):
        model.train()
        total = 0.0
        for x, y in _epoch(data, order):
            loss = functional.cross_entropy(model(x), y)
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            total += float(loss.item()) * len(y)
        last = total / n
    model.eval()
    with torch.no_grad():
        logits = model(data.x_val)
        val_loss = float(functional.cross_entropy(logits, data.y_val).item())
        acc = float((logits.argmax(1) == data.y_val).double().mean().item())
    return (
        acc,
        (val_loss if math.isfinite(val_loss) else math.inf),
        (last if math.isfinite(last) else math.inf),
    )


# ---- progress -----------------------------------------------------------------------------------


def _progress(items: Sequence[Any], desc: str, enabled: bool) -> Iterator[Any]:
    """On a terminal, tqdm when installed, else a plain bar on stderr; elsewhere (a log file, a
    pipe) one line per finished trial, since a bar's carriage-return frames garble a log."""
    if not enabled:
        yield from items
        return
    if not sys.stderr.isatty():
        start = time.perf_counter()
        for i, item in enumerate(items):
            yield item
            elapsed = time.perf_counter() - start
            sys.stderr.write(f"{desc}: trial {i + 1}/{len(items)} done, {elapsed:.1f} s\n")
            sys.stderr.flush()
        return
    try:
        tqdm = importlib.import_module("tqdm").tqdm
    except ImportError:
        tqdm = None
    if tqdm is not None:
        yield from tqdm(items, desc=desc, unit="trial", file=sys.stderr, leave=True)
        return
    width = 30
    start = time.perf_counter()
    for i, item in enumerate(items):
        _bar(desc, i, len(items), width, start)
        yield item
    _bar(desc, len(items), len(items), width, start)
    sys.stderr.write("\n")
    sys.stderr.flush()


def _bar(desc: str, done: int, total: int, width: int, start: float) -> None:
    filled = width * done // max(total, 1)
    elapsed = time.perf_counter() - start
    sys.stderr.write(
        f"\r{desc}: [{'#' * filled}{'.' * (width - filled)}] {done}/{total} trials {elapsed:5.1f} s"
    )
    sys.stderr.flush()


# ---- table --------------------------------------------------------------------------------------

_COLUMNS = (
    "rank",
    "trial",
    "schedule",
    "max_lr",
    "pct_start",
    "weight_decay",
    "val_acc",
    "val_loss",
    "train_loss",
)


def _sorted(results: Iterable[Result]) -> list[Result]:
    """Best first: validation accuracy, then validation loss, then the trial order."""
    ordered = list(results)
    key = {id(r): i for i, r in enumerate(ordered)}
    return sorted(ordered, key=lambda r: (-r.val_acc, r.val_loss, key[id(r)]))


def _cells(rank: int, r: Result) -> list[str]:
    pct = "-" if math.isnan(r.pct_start) else f"{r.pct_start:.3f}"
    return [
        str(rank),
        r.trial,
        r.schedule,
        f"{r.max_lr:.3g}",
        pct,
        f"{r.weight_decay:.2g}",
        f"{r.val_acc:.4f}",
        f"{r.val_loss:.4f}",
        f"{r.train_loss:.4f}",
    ]


def format_table(results: Iterable[Result]) -> str:
    """The results as an aligned text table, best first."""
    rows = [list(_COLUMNS)] + [_cells(i + 1, r) for i, r in enumerate(_sorted(results))]
    widths = [max(len(row[c]) for row in rows) for c in range(len(_COLUMNS))]
    text_cols = {1, 2}
    lines = []
    for row in rows:
        cells = [
            cell.ljust(w) if c in text_cols else cell.rjust(w)
            for c, (cell, w) in enumerate(zip(row, widths))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def write_csv(results: Iterable[Result], path: Path) -> None:
    """The results, best first, values at full precision (empty pct_start for the baseline)."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(_COLUMNS)
        for i, r in enumerate(_sorted(results)):
            pct = "" if math.isnan(r.pct_start) else repr(r.pct_start)
            writer.writerow(
                [
                    i + 1,
                    r.trial,
                    r.schedule,
                    repr(r.max_lr),
                    pct,
                    repr(r.weight_decay),
                    repr(r.val_acc),
                    repr(r.val_loss),
                    repr(r.train_loss),
                ]
            )


# ---- importance ---------------------------------------------------------------------------------


def _ranks(x: FloatArray) -> FloatArray:
    """Ranks from 0, ties given their mean rank."""
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = np.arange(len(x), dtype=np.float64)
    for value in np.unique(x):
        tied = x == value
        ranks[tied] = ranks[tied].mean()
    return ranks


def importance(
    space: search.Space, trials: search.Trials, accuracy: Sequence[float]
) -> dict[str, float]:
    """How much of the accuracy's ranking each parameter explains on its own: the R^2 of a
    quadratic least-squares fit of the accuracy ranks on the parameter (its logarithm on log
    axes), so a peak in the middle (too small and too large both bad) counts as much as a trend.
    0 where undefined (fewer than 4 trials, or a constant column)."""
    acc = _ranks(np.asarray(accuracy, dtype=np.float64))
    out: dict[str, float] = {}
    for name in space.names:
        x = np.asarray(trials[name], dtype=np.float64)
        if space[name].kind == "loguniform":
            x = np.log(x)
        r2 = 0.0
        spread = float(np.sum((acc - acc.mean()) ** 2))
        if len(x) >= 4 and float(x.std()) > 0 and spread > 0:
            z = (x - x.mean()) / x.std()
            design = np.stack([np.ones_like(z), z, z * z], axis=1)
            coef = np.linalg.lstsq(design, acc, rcond=None)[0]
            residual = float(np.sum((acc - design @ coef) ** 2))
            r2 = max(0.0, 1.0 - residual / spread)
        out[name] = r2
    return out


# ---- figures ------------------------------------------------------------------------------------


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def plot_schedules(
    trials: search.Trials, accuracy: Sequence[float], total_steps: int, path: Path
) -> None:
    """The learning rates and beta1 of every trial (lr.one_cycle / lr.one_cycle_momentum as a
    batch), coloured by validation accuracy; the baseline dashed."""
    from matplotlib import cm, colors

    sched = lr.one_cycle(np.asarray(trials["max_lr"]), total_steps, np.asarray(trials["pct_start"]))
    mom = lr.one_cycle_momentum(total_steps, pct_start=np.asarray(trials["pct_start"]))
    lrs = np.atleast_2d(sched.values(total_steps))
    moms = np.atleast_2d(mom.values(total_steps))
    steps = np.arange(total_steps)
    fig = _figure(8, 6)
    ax_lr, ax_mom = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    acc = np.asarray(accuracy, dtype=np.float64)
    # The quartile as the floor of the colour scale: one diverged trial would wash out the rest.
    low = float(np.quantile(acc, 0.25))
    norm = colors.Normalize(vmin=low, vmax=max(float(acc.max()), low + 1e-3))
    cmap = cm.viridis
    best = int(np.argmax(acc))
    for i in np.argsort(acc, kind="stable"):
        width = 2.5 if i == best else 1.0
        ax_lr.plot(steps, lrs[i], color=cmap(norm(acc[i])), linewidth=width)
        ax_mom.plot(steps, moms[i], color=cmap(norm(acc[i])), linewidth=width)
    ax_lr.axhline(BASELINE_LR, color="0.4", linestyle="--", label="baseline: constant 1e-3")
    ax_mom.axhline(0.9, color="0.4", linestyle="--", label="baseline: AdamW beta1 0.9")
    ax_lr.set_yscale("log")
    ax_lr.set_ylabel("learning rate")
    ax_mom.set_ylabel("beta1 (momentum)")
    ax_mom.set_xlabel("step")
    ax_lr.set_title(f"Schedules tried: {len(acc)} one-cycle trials (best bold)")
    for ax in (ax_lr, ax_mom):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small", loc="upper right")
    fig.colorbar(
        cm.ScalarMappable(norm=norm, cmap=cmap),
        ax=[ax_lr, ax_mom],
        label="val accuracy",
        extend="min",
    )
    fig.savefig(path)


def plot_accuracy(results: Sequence[Result], suggestion: float, path: Path) -> None:
    """Validation accuracy against max_lr (log x), coloured by pct_start; the baseline dashed,
    the range test's suggestion dotted."""
    from matplotlib import cm

    found = [r for r in results if r.schedule == "one_cycle"]
    base = [r for r in results if r.schedule == "constant"]
    fig = _figure(7, 4.2)
    ax = fig.add_subplot()
    points = ax.scatter(
        [r.max_lr for r in found],
        [r.val_acc for r in found],
        c=[r.pct_start for r in found],
        cmap=cm.plasma,
        vmin=0.1,
        vmax=0.5,
        edgecolors="k",
        linewidths=0.5,
        zorder=3,
        label="one-cycle trial",
    )
    for r in base:
        ax.axhline(
            r.val_acc,
            color="0.4",
            linestyle="--",
            label=f"constant lr {r.max_lr:g} baseline ({r.val_acc:.3f})",
        )
    ax.axvline(suggestion, color="C3", linestyle=":", label=f"range test: {suggestion:.3g}")
    ax.set_xscale("log")
    ax.set_xlabel("max_lr (one-cycle peak learning rate)")
    ax.set_ylabel("validation accuracy")
    ax.set_title("Validation accuracy against max_lr")
    ax.grid(True, alpha=0.3, which="both")
    ax.legend(fontsize="small", loc="lower left")
    fig.colorbar(points, ax=ax, label="pct_start")
    fig.savefig(path)


def _padded(lo: float, hi: float, log: bool) -> tuple[float, float]:
    """[lo, hi] widened by 5% each side (of the logarithm on log axes)."""
    if log:
        pad = (math.log(hi) - math.log(lo)) * 0.05
        return lo * math.exp(-pad), hi * math.exp(pad)
    pad = (hi - lo) * 0.05
    return lo - pad, hi + pad


def plot_coverage(
    space: search.Space,
    names: tuple[str, str],
    trials: search.Trials,
    accuracy: Sequence[float],
    seed: int,
    path: Path,
) -> None:
    """The lecture's figure: 9 grid points against 9 Sobol points over the two most important
    parameters, each projected on both axes; above, the accuracy the search measured along the
    most important one, with the values each layout would have tried."""
    first, second = names
    plane = search.Space({first: space[first], second: space[second]})
    layouts = [
        ("Grid", plane.grid(3)),
        ("Sobol", plane.sample(9, seed=seed, method="sobol")),
    ]
    fig = _figure(10, 5.5)
    axes = fig.subplots(2, 2, height_ratios=[1, 2.4], sharex=True)
    for col, (title, pts) in enumerate(layouts):
        top, ax = axes[0][col], axes[1][col]
        x = np.asarray(pts[first], dtype=np.float64)
        yv = np.asarray(pts[second], dtype=np.float64)
        top.scatter(trials[first], accuracy, s=12, color="0.5", label="search trials")
        for v in np.unique(x):
            top.axvline(v, color="C0", linewidth=1, alpha=0.7)
        top.set_ylabel("val acc")
        top.set_title(f"{title}: 9 points try {len(np.unique(x))} values of {first}")
        ax.scatter(x, yv, s=40, color="C0", zorder=3)
        # Projections on both axes: the values of each parameter the layout tries.
        ax.plot(
            x,
            np.zeros_like(x),
            "|",
            color="C3",
            markersize=16,
            clip_on=False,
            transform=ax.get_xaxis_transform(),
        )
        ax.plot(
            np.zeros_like(yv),
            yv,
            "_",
            color="C3",
            markersize=16,
            clip_on=False,
            transform=ax.get_yaxis_transform(),
        )
        for axis, name in (("x", first), ("y", second)):
            log = space[name].kind == "loguniform"
            lo, hi = _padded(space[name].args["lo"], space[name].args["hi"], log)
            if axis == "x":
                ax.set_xscale("log" if log else "linear")
                ax.set_xlim(lo, hi)
            else:
                ax.set_yscale("log" if log else "linear")
                ax.set_ylim(lo, hi)
        ax.set_xlabel(f"{first} (important)")
        ax.set_ylabel(f"{second} (less important)")
        ax.grid(True, alpha=0.3)
    axes[0][0].legend(fontsize="small", loc="lower left")
    fig.savefig(path)


# ---- the recipe ---------------------------------------------------------------------------------


def train_config(
    data: _Data, config: dict[str, Any], *, epochs: int, seed: int
) -> tuple[float, float, float]:
    """One search trial from its row of the stream (module level, so that the processes of an
    engine can import it)."""
    import torch

    torch.set_num_threads(1)
    return train(
        data,
        epochs=epochs,
        seed=seed,
        max_lr=float(config["max_lr"]),
        weight_decay=float(config["weight_decay"]),
        pct_start=float(config["pct_start"]),
    )


def _search(
    data: _Data,
    space: search.Space,
    configs: search.Trials,
    *,
    epochs: int,
    seed: int,
    engine: Literal["local", "optuna", "ray"],
    workers: int,
    progress: bool,
) -> list[tuple[float, float, float]]:
    """The search trials' results in row order: here, one after the other, or as the trials
    of an Optuna study (``workers`` processes on one journal file) or a Ray Tune run."""
    fn = functools.partial(train_config, data, epochs=epochs, seed=seed)
    n = len(configs)
    if engine == "optuna":
        from lrcore.search.optuna import map_rows

        outs = map_rows(fn, space, n, workers=workers, seed=seed)
    elif engine == "ray":
        from lrcore.search.ray import map_rows as ray_map_rows

        outs = ray_map_rows(fn, space, n, seed=seed, max_concurrent_trials=workers)
    elif engine == "local":
        outs = [fn(c) for c in _progress(configs.to_dicts(), "lrcore demo", progress)]
    else:
        raise ValueError(f"demo: engine must be 'local', 'optuna' or 'ray', got {engine!r}")
    return [(float(a), float(b), float(c)) for a, b, c in outs]


def run(
    out: str | Path = "lrcore-demo",
    trials: int = DEFAULT_TRIALS,
    seed: int = 0,
    epochs: int = DEFAULT_EPOCHS,
    progress: bool = True,
    stdout: TextIO | None = None,
    engine: Literal["local", "optuna", "ray"] = "local",
    workers: int = 2,
) -> list[Result]:
    """Runs the demo; prints the table to ``stdout`` (default sys.stdout), writes results.csv,
    lr_find.png, schedules.png, accuracy_vs_max_lr.png and coverage.png into ``out``; returns
    the results, best first. ``engine`` runs the search trials here (``"local"``), as an
    Optuna study of ``workers`` processes, or on Ray Tune; the rows, and so the table, are the
    same.

    >>> import io, os, tempfile
    >>> with tempfile.TemporaryDirectory() as out:
    ...     results = run(out, trials=1, epochs=1, progress=False, stdout=io.StringIO())
    ...     sorted(os.listdir(out))
    ['accuracy_vs_max_lr.png', 'coverage.png', 'lr_find.png', 'results.csv', 'schedules.png']
    >>> sorted(r.trial for r in results)
    ['0', 'baseline']
    """
    import torch

    stream = stdout if stdout is not None else sys.stdout
    if trials < 1 or epochs < 1 or seed < 0:
        raise ValueError(
            f"demo: trials and epochs must be >= 1 and seed >= 0, got {trials}, {epochs}, {seed}"
        )
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        data = load_data()
        per_epoch = _steps_per_epoch(data)
        total_steps = epochs * per_epoch
        print(
            f"lrcore demo: digits 8x8, {len(data.x_train)} train / {len(data.x_val)} val; "
            f"MLP 64-{HIDDEN}-10, AdamW, batch {BATCH_SIZE}, {epochs} epochs "
            f"({total_steps} steps) per trial, seed {seed}",
            file=stream,
        )
        baseline = train(
            data,
            epochs=epochs,
            seed=seed,
            max_lr=BASELINE_LR,
            weight_decay=BASELINE_WEIGHT_DECAY,
            pct_start=None,
        )
        results = [
            Result("baseline", "constant", BASELINE_LR, math.nan, BASELINE_WEIGHT_DECAY, *baseline)
        ]
        finder = find_lr(data, seed)
        print(
            f"range test (lr_find, {len(finder.lrs)} steps): suggested learning rate "
            f"{finder.suggestion:.3g} ({finder.default}); searching max_lr in "
            f"[{finder.suggestion / 10:.3g}, {finder.suggestion * 10:.3g}]",
            file=stream,
        )
        space = search_space(finder.suggestion)
        configs = space.sample(trials, seed=seed, method="sobol")
        outs = _search(
            data,
            space,
            configs,
            epochs=epochs,
            seed=seed,
            engine=engine,
            workers=workers,
            progress=progress,
        )
        for i, (c, (acc, loss, train_loss)) in enumerate(zip(configs.to_dicts(), outs)):
            results.append(
                Result(
                    trial=str(i),
                    schedule="one_cycle",
                    max_lr=float(c["max_lr"]),
                    pct_start=float(c["pct_start"]),
                    weight_decay=float(c["weight_decay"]),
                    val_acc=acc,
                    val_loss=loss,
                    train_loss=train_loss,
                )
            )
    finally:
        torch.set_num_threads(threads)
    found = [r for r in results if r.schedule == "one_cycle"]
    accuracy = [r.val_acc for r in found]
    weights = importance(space, configs, accuracy)
    ranked = sorted(space.names, key=lambda n: -weights[n])  # stable: ties keep space order
    pair = (ranked[0], ranked[1])

    print("", file=stream)
    print(format_table(results), file=stream)
    print("", file=stream)
    if len(found) >= 4:
        print(
            "importance (R^2 of a quadratic fit of val-acc rank): "
            + ", ".join(f"{n} {weights[n]:.2f}" for n in ranked),
            file=stream,
        )
    else:
        print("importance: needs 4 trials or more", file=stream)
    best = _sorted(found)[0].max_lr
    print(
        f"range test suggested {finder.suggestion:.3g}; the best trial's max_lr is {best:.3g} "
        f"({best / finder.suggestion:.2g} x the suggestion)",
        file=stream,
    )
    write_csv(results, folder / "results.csv")
    finder.plot(str(folder / "lr_find.png"))
    plot_schedules(configs, accuracy, total_steps, folder / "schedules.png")
    plot_accuracy(results, finder.suggestion, folder / "accuracy_vs_max_lr.png")
    plot_coverage(space, pair, configs, accuracy, seed, folder / "coverage.png")
    print(
        f"wrote {folder / 'results.csv'}, lr_find.png, schedules.png, accuracy_vs_max_lr.png, "
        "coverage.png",
        file=stream,
    )
    print(f"lrcore demo: done in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    return _sorted(results)
