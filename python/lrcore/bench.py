"""``lrcore bench``: lrcore against its baselines, measured side by side in one run.

Each row times lrcore and its baseline on the same machine moments apart (best of several
repeats, which is what a noisy shared machine can measure) and reports their ratio against the
target of SPEC section 7. Peers that are not installed (torch, scipy) drop their rows, and
:func:`left_out` says which and why.
The pytest-benchmark files in ``benches/`` import the same workloads from here.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
import subprocess
import sys
import timeit
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

import lrcore as lr
from lrcore import reference
from lrcore._optional import hint

T = TypeVar("T")

#: Each optional peer and the rows that need it.
PEER_ROWS = {
    "torch": "every drop-in's step() against torch's",
    "scipy": "sample() sobol vs scipy",
}


def _installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def left_out() -> list[str]:
    """One line per peer that is not installed: the rows :func:`run` leaves out, and why."""
    return [
        f"{rows}: {peer} is not installed ({hint(peer)})"
        for peer, rows in PEER_ROWS.items()
        if not _installed(peer)
    ]


#: The schedule of SPEC section 7: ``warmup(10_000, cosine(1e-3, 1e-5, N))``.
WARMUP, PEAK, FLOOR = 10_000, 1e-3, 1e-5


def warmup_cosine(n: int) -> lr.Schedule:
    return lr.warmup(WARMUP, lr.cosine(PEAK, FLOOR, n))


def numpy_warmup_cosine(n: int) -> npt.NDArray[np.float64]:
    """The same schedule as a hand-written numpy expression (the baseline)."""
    t = np.arange(n, dtype=np.float64)
    decay = FLOOR + (PEAK - FLOOR) * (1 + np.cos(np.pi * np.minimum(t - WARMUP, n) / n)) / 2
    return np.where(t < WARMUP, PEAK * t / WARMUP, decay)


def math_warmup_cosine(t: int, n: int) -> float:
    """The schedule at one step with ``math.cos``: the accuracy reference."""
    if t < WARMUP:
        return PEAK * t / WARMUP
    return FLOOR + (PEAK - FLOOR) * (1 + math.cos(math.pi * min(t - WARMUP, n) / n)) / 2


@dataclass(frozen=True)
class Row:
    """One comparison: ``ratio`` is the figure the target is stated in (a speed-up, a fraction
    of the baseline's time, an error, milliseconds); ``met`` compares it with the target."""

    work: str
    lrcore: str
    baseline: str
    ratio: float
    target: str
    met: bool


def best_times(fns: list[Callable[[], object]], number: int = 1, repeat: int = 5) -> list[float]:
    """Seconds per call of each function, the best of ``repeat`` rounds of ``number`` calls.
    The rounds take turns (a, b, a, b, …), so a burst of load on a shared machine slows
    both sides of a comparison rather than one."""
    best = [math.inf] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            best[i] = min(best[i], timeit.timeit(fn, number=number) / number)
    return best


def _progress(items: list[T], label: str) -> Iterator[T]:
    try:
        tqdm = importlib.import_module("tqdm").tqdm
    except ImportError:
        for i, item in enumerate(items):
            sys.stderr.write(f"\r{label} {i + 1}/{len(items)}")
            sys.stderr.flush()
            yield item
        sys.stderr.write("\n")
        return
    yield from tqdm(items, desc=label, leave=False)


def schedule_rows(n: int) -> list[Row]:
    """``values(n)`` against the numpy expression, ``ndarray.fill`` and the Python reference."""
    schedule = warmup_cosine(n)
    out = np.empty(n)
    spec, sample = schedule.to_dict(), range(0, n, max(n // 20_000, 1))
    ours, numpy_time, fill, python = best_times(
        [
            lambda: schedule.values(n),
            lambda: numpy_warmup_cosine(n),
            lambda: out.fill(PEAK),
            lambda: [reference.evaluate(spec, t) for t in sample],
        ]
    )
    python *= n / len(sample)
    values = schedule.values(n)
    picks = np.random.default_rng(0).integers(0, n, 20_000)
    error = max(abs(values[t] - math_warmup_cosine(int(t), n)) for t in picks) / PEAK
    per = f"values({n:.0e})".replace("+0", "")

    def ns(seconds: float) -> str:
        return f"{seconds / n * 1e9:.2f} ns/step"

    return [
        Row(
            f"{per} vs numpy",
            ns(ours),
            ns(numpy_time),
            numpy_time / ours,
            ">= 20x faster",
            numpy_time / ours >= 20,
        ),
        Row(
            f"{per} vs ndarray.fill",
            ns(ours),
            ns(fill),
            ours / fill,
            "<= 4x fill's time",
            ours / fill <= 4,
        ),
        Row(f"{per} vs pure Python", ns(ours), ns(python), python / ours, "(reference)", True),
        Row(
            f"{per} max error / peak", f"{error:.1e}", "math.cos", error, "<= 1e-15", error <= 1e-15
        ),
    ]


#: Every shape and combinator of the README gallery (docs/gallery.py), its lengths scaled to a
#: run of ``n`` steps (``{n}``; ``{c}`` is a cycle, ``n / 10``).
GALLERY = [
    ("constant", "constant(0.1)"),
    ("linear", "linear(0.1, 0.001, {n})"),
    ("cosine", "cosine(0.1, 0.001, {n})"),
    ("cosine k=2", "cosine(0.1, 0.001, {n}, k=2.0)"),
    ("exponential", "exponential(0.1, 0.001, {n})"),
    ("exp_decay", "exp_decay(0.1, 0.9, every={c})"),
    ("polynomial power=2", "polynomial(0.1, 0.0, {n}, power=2.0)"),
    ("step_decay", "step_decay(0.1, {c}, gamma=0.5)"),
    ("multistep", "multistep(0.1, [{c}, {c2}, {c3}])"),
    ("piecewise_constant", "piecewise_constant([{c}, {c2}], [0.1, 0.05, 0.01])"),
    ("piecewise_linear", "piecewise_linear([(0, 0.0), ({c}, 0.1), ({c3}, 0.02), ({n}, 0.0)])"),
    ("inverse_sqrt", "inverse_sqrt(0.1, {c})"),
    ("tanh", "tanh(0.1, 0.001, {n})"),
    ("cyclic", "cyclic(0.01, 0.1, {c})"),
    ("cyclic exp_range", "cyclic(0.01, 0.1, {c}, mode='exp_range', gamma=0.9999999)"),
    ("one_cycle", "one_cycle(0.1, {n})"),
    ("one_cycle_momentum", "one_cycle_momentum({n})"),
    ("wsd", "wsd(0.1, {n}, {c}, {c3})"),
    ("warmup + cosine", "warmup({c}, cosine(0.1, 0.0, {n}))"),
    ("warmup exponential", "warmup({c}, cosine(0.1, 0.0, {n}), start=0.001, shape='exponential')"),
    (
        "join",
        "join([constant(0.1), linear(0.1, 0.01, {c3}), exp_decay(0.01, 0.9999)], [{c}, {c2}])",
    ),
    ("restarts mul=2", "restarts(cosine(0.1, 0.001, {c}), mul=2.0)"),
    ("restarts mul=1.3", "restarts(cosine(0.1, 0.001, {c}), mul=1.3)"),
    ("restarts decay", "restarts(cosine(0.1, 0.001, {c}), decay=0.6, limit=4)"),
    ("noise", "noise(cosine(0.1, 0.001, {n}), pct=0.5, std=1.0, start={c})"),
    ("clip", "cosine(0.1, 0.0, {n}).clip(lo=0.02, hi=0.08)"),
    ("shift", "cosine(0.1, 0.0, {n}).shift({c})"),
    ("per_epoch", "cosine(0.1, 0.0, {c}).per_epoch(10)"),
    ("arithmetic", "0.5 * cosine(0.1, 0.0, {n}) + 0.01"),
    ("product", "cyclic(0.5, 1.0, {c}) * cosine(0.1, 0.0, {n})"),
    ("difference", "0.2 - cosine(0.1, 0.0, {n})"),
    ("quotient", "cosine(0.1, 0.0, {n}) / linear(1.0, 2.0, {n})"),
]


def gallery(n: int) -> list[tuple[str, lr.Schedule]]:
    """:data:`GALLERY` for a run of ``n`` steps."""
    c = max(n // 10, 1)
    lengths = {"n": n, "c": c, "c2": 2 * c, "c3": 3 * c}
    return [(name, lr.parse(text.format(**lengths))) for name, text in GALLERY]


def shape_rows(n: int) -> list[Row]:
    """``values(n)`` of every gallery shape against ``ndarray.fill`` in the same run (target:
    within 10x), and its largest distance from :mod:`lrcore.reference` over 2,000 steps spread
    over the run, as a fraction of the peak (target: 1e-15)."""
    out = np.empty(n)
    picks = np.linspace(0, n - 1, 2000).astype(np.int64)
    rows = []
    for name, schedule in _progress(gallery(n), "shapes"):
        ours, fill = best_times([partial(schedule.values, n), partial(out.fill, 0.1)], repeat=3)
        values = schedule.values(n)
        spec = schedule.to_dict()
        peak = float(np.max(np.abs(values)))
        error = max(abs(values[t] - reference.evaluate(spec, int(t))) for t in picks) / peak
        rows.append(
            Row(
                f"values({n:.0e}) {name}".replace("+0", ""),
                f"{ours / n * 1e9:.2f} ns/step, error {error:.0e}",
                f"fill {fill / n * 1e9:.2f} ns/step",
                ours / fill,
                "<= 10x fill, error <= 1e-15",
                ours / fill <= 10 and error <= 1e-15,
            )
        )
    return rows


def _scheduler_cases() -> list[tuple[str, Callable[[Any, Any], Any]]]:
    """(class, build(module, optimizer)) for every drop-in, with typical arguments."""
    return [
        ("StepLR", lambda m, o: m.StepLR(o, 1000)),
        ("MultiStepLR", lambda m, o: m.MultiStepLR(o, [30_000, 60_000, 90_000])),
        ("ConstantLR", lambda m, o: m.ConstantLR(o, 0.5, 1000)),
        ("LinearLR", lambda m, o: m.LinearLR(o, 0.1, total_iters=100_000)),
        ("ExponentialLR", lambda m, o: m.ExponentialLR(o, 0.99999)),
        ("PolynomialLR", lambda m, o: m.PolynomialLR(o, total_iters=100_000, power=2.0)),
        ("CosineAnnealingLR", lambda m, o: m.CosineAnnealingLR(o, 100_000)),
        ("CosineAnnealingWarmRestarts", lambda m, o: m.CosineAnnealingWarmRestarts(o, 1000, 2)),
        ("CyclicLR", lambda m, o: m.CyclicLR(o, 0.01, 0.1, 2000)),
        ("OneCycleLR", lambda m, o: m.OneCycleLR(o, 0.1, total_steps=10**7)),
        ("LambdaLR", lambda m, o: m.LambdaLR(o, lambda t: 0.99 ** (t / 1000))),
        ("MultiplicativeLR", lambda m, o: m.MultiplicativeLR(o, lambda t: 0.9999)),
        (
            "SequentialLR",
            lambda m, o: m.SequentialLR(
                o, [m.LinearLR(o, 0.1, total_iters=1000), m.CosineAnnealingLR(o, 100_000)], [1000]
            ),
        ),
        (
            "ChainedScheduler",
            lambda m, o: m.ChainedScheduler(
                [m.ConstantLR(o, 0.5, 1000), m.ExponentialLR(o, 0.99999)]
            ),
        ),
        ("ReduceLROnPlateau", lambda m, o: m.ReduceLROnPlateau(o)),
    ]


def step_rows(groups: Iterable[int] = (1, 10), number: int = 2000) -> list[Row]:
    """One ``step()`` of each drop-in against torch's class, same arguments and groups."""
    import warnings

    import torch
    from torch.optim import lr_scheduler as torch_schedulers

    import lrcore.torch as ours

    torch.set_num_threads(1)

    def stepper(module: Any, build: Callable[[Any, Any], Any], n_groups: int) -> Callable[[], None]:
        params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(n_groups)]
        optimizer = torch.optim.SGD([{"params": [p]} for p in params], lr=0.1, momentum=0.9)
        scheduler = build(module, optimizer)
        plateau = isinstance(scheduler, torch_schedulers.ReduceLROnPlateau)
        step: Callable[[], None] = (lambda: scheduler.step(1.0)) if plateau else scheduler.step
        optimizer.step()
        step()
        return step

    rows = []
    cases = [(name, build, g) for name, build in _scheduler_cases() for g in groups]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, build, n_groups in _progress(cases, "step()"):
            mine, theirs = best_times(
                [stepper(ours, build, n_groups), stepper(torch_schedulers, build, n_groups)],
                number=number,
                repeat=7,
            )
            # Schedule-driven classes: a lean step and values from Rust; ReduceLROnPlateau is
            # torch's logic with fewer frames.
            target = 1.0 if name == "ReduceLROnPlateau" else 0.5
            rows.append(
                Row(
                    f"{name}.step(), {n_groups} group{'s' * (n_groups > 1)}",
                    f"{mine * 1e6:.2f} us",
                    f"{theirs * 1e6:.2f} us",
                    mine / theirs,
                    f"<= {target:g}x torch's time",
                    mine / theirs <= target,
                )
            )
    return rows


def search_space() -> Any:
    """The 8-parameter space of anchors/search_anchors.md."""
    from lrcore import search

    return search.Space(
        lr=search.loguniform(1e-5, 1.0),
        momentum=search.uniform(0.8, 0.99),
        weight_decay=search.loguniform(1e-6, 1e-2),
        dropout=search.uniform(0.0, 0.5),
        warmup=search.integer(0, 5000),
        layers=search.integer(1, 8),
        batch=search.choice([32, 64, 128, 256]),
        optimizer=search.choice(["sgd", "adam", "adamw"]),
    )


_BATCH = np.array([32, 64, 128, 256])
_OPTIMIZERS = np.array(["sgd", "adam", "adamw"], dtype=object)


def numpy_sample(n: int, seed: int = 0) -> dict[str, Any]:
    """The 8-parameter space drawn with hand-written numpy (the baseline for ``random``)."""
    g = np.random.default_rng(seed)
    return {
        "lr": np.exp(g.uniform(np.log(1e-5), 0.0, n)),
        "momentum": g.uniform(0.8, 0.99, n),
        "weight_decay": np.exp(g.uniform(np.log(1e-6), np.log(1e-2), n)),
        "dropout": g.uniform(0.0, 0.5, n),
        "warmup": g.integers(0, 5001, n),
        "layers": g.integers(1, 9, n),
        "batch": _BATCH[g.integers(0, 4, n)],
        "optimizer": _OPTIMIZERS[g.integers(0, 3, n)],
    }


def map_unit(u: npt.NDArray[np.float64]) -> dict[str, Any]:
    """Unit-cube points mapped onto the 8-parameter space (scipy's Sobol has no mapping)."""

    def index(col: int, k: int) -> npt.NDArray[np.int64]:
        return np.floor(u[:, col] * k).astype(np.int64)

    return {
        "lr": np.exp(np.log(1e-5) * (1.0 - u[:, 0])),
        "momentum": 0.8 + 0.19 * u[:, 1],
        "weight_decay": np.exp(np.log(1e-6) + u[:, 2] * (np.log(1e-2) - np.log(1e-6))),
        "dropout": 0.5 * u[:, 3],
        "warmup": index(4, 5001),
        "layers": 1 + index(5, 8),
        "batch": _BATCH[index(6, 4)],
        "optimizer": _OPTIMIZERS[index(7, 3)],
    }


def search_rows(log2_n: int = 20) -> list[Row]:
    """``space.sample(2**log2_n)``: random against numpy, sobol against scipy + mapping."""
    n = 1 << log2_n
    space = search_space()

    def rate(seconds: float) -> str:
        return f"{n / seconds / 1e6:.1f} M/s"

    # A draw takes tens of milliseconds, so a round is one call: more rounds than elsewhere
    # for a stable best on a shared machine.
    ours, numpy_time = best_times(
        [lambda: space.sample(n, seed=0, method="random"), lambda: numpy_sample(n)], repeat=11
    )
    rows = [
        Row(
            f"sample(2**{log2_n}) random vs numpy",
            rate(ours),
            rate(numpy_time),
            numpy_time / ours,
            ">= 3x faster",
            numpy_time / ours >= 3,
        )
    ]
    if not _installed("scipy"):
        return rows
    qmc = importlib.import_module("scipy.stats.qmc")
    sobol, scipy_time = best_times(
        [
            lambda: space.sample(n, seed=0, method="sobol"),
            lambda: map_unit(qmc.Sobol(8, seed=0).random_base2(log2_n)),
        ],
        repeat=11,
    )
    rows.append(
        Row(
            f"sample(2**{log2_n}) sobol vs scipy",
            rate(sobol),
            rate(scipy_time),
            scipy_time / sobol,
            ">= 3x faster",
            scipy_time / sobol >= 3,
        )
    )
    return rows


def import_row(repeat: int = 7) -> Row:
    """``import lrcore`` in fresh interpreters that have already imported numpy (its only
    dependency), and whether it pulled in torch."""
    probe = (
        "import sys, time, numpy; start = time.perf_counter(); import lrcore; "
        "print(time.perf_counter() - start, int('torch' in sys.modules))"
    )
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        ).stdout.split()
        runs.append((float(out[0]), out[1] == "1"))
    seconds = min(r[0] for r in runs)
    torch_loaded = any(r[1] for r in runs)
    return Row(
        "import lrcore (beyond numpy)",
        f"{seconds * 1e3:.1f} ms",
        "torch imported" if torch_loaded else "torch not imported",
        seconds * 1e3,
        "<= 30 ms",
        seconds <= 0.030 and not torch_loaded,
    )


def run(quick: bool = False) -> list[Row]:
    """Every comparison; ``quick`` shrinks the workloads (for tests, not for figures)."""
    sections: list[Callable[[], list[Row]]] = [
        lambda: schedule_rows(10**5 if quick else 10**7),
        lambda: shape_rows(10**5 if quick else 10**7),
        lambda: search_rows(12 if quick else 20),
        lambda: [import_row(2 if quick else 7)],
    ]
    if _installed("torch"):
        sections.insert(1, lambda: step_rows((1,) if quick else (1, 10), 50 if quick else 2000))
    rows: list[Row] = []
    for section in sections:
        rows.extend(section())
    return rows


def table(rows: list[Row]) -> str:
    """The rows as a Markdown table (what the README shows)."""
    lines = [
        "| work | lrcore | baseline | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        mark = "yes" if r.met else "**no**"
        lines.append(
            f"| {r.work} | {r.lrcore} | {r.baseline} | {r.ratio:.3g} | {r.target} | {mark} |"
        )
    return "\n".join(lines)


def machine() -> str:
    """One line naming the machine the figures come from."""
    import os
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next(
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, numpy {np.__version__}"
    )
