"""The ``lrcore`` command line (also ``python -m lrcore``).

Each subcommand is one function ``_cmd_<name>(args) -> int`` plus one ``_add_<name>(sub)`` that
declares its arguments; :data:`COMMANDS` lists them. Bad input prints one line to stderr
(``lrcore <command>: error: ...``) and exits with status 1; usage errors (an unknown option, a
value of the wrong type, a format not among the choices) print one line too and exit with 2.
Expressions are read by :func:`lrcore.parse`, a restricted parser: never ``eval``.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, Callable, NoReturn

import numpy as np

__all__ = ["COMMANDS", "main"]

#: Steps drawn by ``lrcore plot`` when every schedule is endless (or constant) and no --steps.
DEFAULT_PLOT_STEPS = 1000

#: Most points drawn per line; longer ranges are drawn at evenly spaced steps.
MAX_PLOT_POINTS = 20_000

#: Most lines ``lrcore plot`` draws (a batch draws one per schedule): more are unreadable
#: overlaid, and matplotlib would take minutes over them.
MAX_PLOT_LINES = 256


class _Fail(ValueError):
    """A user error to report in one line."""


class _Parser(argparse.ArgumentParser):
    """argparse, with usage errors in one line (``lrcore values: error: ... (see --help)``)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _count(option: str, value: int | None, minimum: int = 0) -> None:
    """Fails unless ``value`` is None or an integer >= ``minimum``."""
    if value is not None and value < minimum:
        rule = {0: "a non-negative integer", 1: "a positive integer"}.get(
            minimum, f"an integer >= {minimum}"
        )
        raise _Fail(f"{option} must be {rule}, got {value}")


def _parse(text: str) -> Any:
    """``lr.parse(text)``, its error prefixed with the expression."""
    import lrcore as lr

    try:
        return lr.parse(text)
    except (ValueError, TypeError) as e:
        raise _Fail(f"bad expression {text!r}: {e}") from None


def _same_file(a: str, b: str) -> bool:
    """Whether paths ``a`` and ``b`` name one file (``b`` may not exist yet)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _write_text(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    except OSError as e:
        raise _Fail(f"cannot write {path}: {e.strerror or e}") from None


# ---- sample -------------------------------------------------------------------------------------


def _add_sample(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "sample",
        help="draw configurations from a search space stored as JSON",
        description="Draw rows start .. start+n-1 of the stream (space, seed, method); "
        "write JSON lines (.jsonl, default) or CSV (.csv).",
    )
    p.add_argument(
        "space", help="a JSON file as written by lrcore.search.Space.to_json(), or - for stdin"
    )
    p.add_argument("-n", type=int, required=True, help="number of configurations")
    p.add_argument(
        "--method", default="random", help="random, sobol, halton or lhs (default random)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    p.add_argument("--start", type=int, default=0, help="first row of the stream (default 0)")
    p.add_argument("-o", "--output", default="-", help="output file (.jsonl or .csv); - for stdout")
    p.add_argument(
        "--format", choices=("jsonl", "csv"), help="output format (default: from the file name)"
    )


def _cmd_sample(args: argparse.Namespace) -> int:
    from lrcore import search

    try:
        if args.space == "-":
            text = sys.stdin.read()
        else:
            with open(args.space, encoding="utf-8") as f:
                text = f.read()
    except OSError as e:
        raise _Fail(f"cannot read {args.space}: {e.strerror}") from None
    if args.output != "-" and args.space != "-" and _same_file(args.space, args.output):
        raise _Fail(f"-o must not be the input file (it would overwrite it), got {args.output}")
    space = search.Space.from_json(text)
    trials = space.sample(args.n, seed=args.seed, method=args.method, start=args.start)
    fmt = args.format or ("csv" if str(args.output).endswith(".csv") else "jsonl")
    out = trials.to_csv() if fmt == "csv" else trials.to_jsonl()
    if args.output == "-":
        sys.stdout.write(out)
    else:
        _write_text(args.output, out)
    return 0


# ---- plot ---------------------------------------------------------------------------------------


def _add_plot(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "plot",
        help="draw schedules (overlaid) to a PNG",
        description="Draw one or more schedules, overlaid, to an image file. EXPR is the "
        "expression language of lrcore.parse (what repr() of a schedule prints), e.g. "
        "'warmup(100, cosine(0.1, 0.0, 900))'; a batch draws one line per schedule. "
        "Needs matplotlib (pip install 'lrcore[plot]').",
        epilog="example: lrcore plot 'one_cycle(0.1, 1000)' --momentum "
        "'one_cycle_momentum(1000)' -o one_cycle.png",
    )
    p.add_argument("expr", nargs="+", metavar="EXPR", help="a schedule expression")
    p.add_argument(
        "-o", "--output", required=True, help="image file; the format follows the suffix (.png)"
    )
    p.add_argument(
        "--steps",
        type=int,
        help="steps drawn (default: the longest total_steps, or "
        f"{DEFAULT_PLOT_STEPS} when every schedule is endless)",
    )
    p.add_argument(
        "--momentum", metavar="EXPR", help="a momentum schedule, drawn on a second y axis"
    )
    p.add_argument("--log", action="store_true", help="logarithmic y axis")
    p.add_argument(
        "--label",
        action="append",
        metavar="TEXT",
        help="legend text for the EXPRs in order (repeat it; default: the expressions)",
    )
    p.add_argument(
        "--momentum-label",
        metavar="TEXT",
        help="legend text of --momentum (default: its expression)",
    )
    p.add_argument("--no-legend", action="store_true", help="draw no legend")
    p.add_argument("--title", help="title above the plot")
    p.add_argument(
        "--size", default="800x400", metavar="WxH", help="image size in pixels (default 800x400)"
    )


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise _Fail(f"--size must be WIDTHxHEIGHT in pixels, e.g. 800x400, got {text!r}") from None
    if not (16 <= w <= 10_000 and 16 <= h <= 10_000):
        raise _Fail(f"--size must be between 16 and 10000 pixels each way, got {text!r}")
    return w, h


def _curve(schedule: Any, n: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(steps, values) to draw: every step, or MAX_PLOT_POINTS evenly spaced ones."""
    if n <= MAX_PLOT_POINTS:
        steps = np.arange(n, dtype=np.int64)
        return steps, np.asarray(schedule.values(n))
    steps = np.unique(np.linspace(0, n - 1, MAX_PLOT_POINTS).round().astype(np.int64))
    return steps, np.asarray(schedule(steps))


def plot_schedules(
    exprs: Sequence[str],
    output: str,
    *,
    steps: int | None = None,
    momentum: str | None = None,
    log: bool = False,
    labels: Sequence[str] | None = None,
    momentum_label: str | None = None,
    legend: bool = True,
    title: str | None = None,
    size: tuple[int, int] = (800, 400),
) -> None:
    """What ``lrcore plot`` does: parses the expressions, draws them overlaid (and ``momentum``
    on a second y axis) with matplotlib's Agg backend, and writes ``output``.
    Raises ValueError, its message one line, for bad input (an unparsable expression, a bad
    count, no positive value for a log axis) and for a file that cannot be written."""
    if labels is not None and len(labels) > len(exprs):
        raise _Fail(f"got {len(labels)} --label for {len(exprs)} expressions")
    schedules = [_parse(e) for e in exprs]
    mom = _parse(momentum) if momentum is not None else None
    count = sum(s.batch_size or 1 for s in [*schedules, *([mom] if mom is not None else [])])
    if count > MAX_PLOT_LINES:
        raise _Fail(
            f"at most {MAX_PLOT_LINES} lines can be drawn (one per schedule of a batch), "
            f"got {count}: plot fewer schedules"
        )
    _count("--steps", steps, 1)
    if steps is None:
        ends = [s.total_steps or 0 for s in [*schedules, *([mom] if mom is not None else [])]]
        steps = max(ends) if max(ends) > 0 else DEFAULT_PLOT_STEPS
    if importlib.util.find_spec("matplotlib") is None:
        raise _Fail("plotting needs matplotlib: pip install 'lrcore[plot]'")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = [*(labels or []), *exprs[len(labels or []) :]]
    dpi = 100
    fig = Figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    color = 0
    lines: list[Any] = []
    for name, schedule in zip(names, schedules):
        x, y = _curve(schedule, steps)
        rows = np.atleast_2d(y)
        if log and not np.any(rows > 0):
            raise _Fail(f"--log needs positive values; {name} has none in {steps} steps")
        for i, row in enumerate(rows):
            label = name if len(rows) == 1 else f"{name} [{i}]"
            lines += ax.plot(x, row, color=f"C{color % 10}", label=label, linewidth=1.5)
            color += 1
    ax.set_xlabel("step")
    ax.set_ylabel("value")
    if log:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)
    ax.set_xlim(0, max(steps - 1, 1))
    ax2: Any = None
    if mom is not None:
        ax2 = ax.twinx()
        x, y = _curve(mom, steps)
        for i, row in enumerate(np.atleast_2d(y)):
            label = momentum_label or f"momentum: {momentum}"
            label += "" if np.ndim(y) == 1 else f" [{i}]"
            lines += ax2.plot(
                x, row, color=f"C{color % 10}", linestyle="--", label=label, linewidth=1.5
            )
            color += 1
        ax2.set_ylabel("momentum")
    if legend:
        top = ax2 if mom is not None else ax  # the legend above every line
        top.legend(lines, [str(line.get_label()) for line in lines], fontsize="small", loc="best")
    if title:
        ax.set_title(title)
    try:
        fig.savefig(output)
    except OSError as e:
        raise _Fail(f"cannot write {output}: {e.strerror or e}") from None


def _cmd_plot(args: argparse.Namespace) -> int:
    plot_schedules(
        args.expr,
        args.output,
        steps=args.steps,
        momentum=args.momentum,
        log=args.log,
        labels=args.label,
        momentum_label=args.momentum_label,
        legend=not args.no_legend,
        title=args.title,
        size=_size(args.size),
    )
    return 0


# ---- values -------------------------------------------------------------------------------------

_VALUE_FORMATS = ("csv", "npy", "json")


def _add_values(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "values",
        help="print a schedule's values (csv, npy or json)",
        description="Write the values of EXPR (the expression language of lrcore.parse) at "
        "steps start .. start+steps-1: csv (header 'step,value'; a batch of B schedules gives "
        "columns value_0 .. value_{B-1}), npy (the float64 array of Schedule.values: shape (n,) "
        "or (B, n)) or json (a list of numbers, a list of lists for a batch). Numbers are "
        "written exactly (shortest round-trip form).",
        epilog="example: lrcore values 'cosine(0.1, 0.0, 1000)' --steps 1000 -o cosine.csv",
    )
    p.add_argument("expr", metavar="EXPR", help="a schedule expression")
    p.add_argument("--steps", type=int, required=True, help="number of steps")
    p.add_argument("--start", type=int, default=0, help="first step (default 0)")
    p.add_argument(
        "--format",
        choices=_VALUE_FORMATS,
        help="output format (default: from the -o suffix, else csv)",
    )
    p.add_argument("-o", "--output", default="-", help="output file; - for stdout (default)")


def _values_format(fmt: str | None, output: str) -> str:
    if fmt is not None:
        return fmt
    suffix = os.path.splitext(output)[1].lower().lstrip(".")
    return suffix if suffix in _VALUE_FORMATS else "csv"


def _cmd_values(args: argparse.Namespace) -> int:
    schedule = _parse(args.expr)
    _count("--steps", args.steps, 0)
    _count("--start", args.start, 0)
    fmt = _values_format(args.format, args.output)
    values = schedule.values(args.steps, start=args.start)
    if fmt == "npy":
        buf = io.BytesIO()
        np.save(buf, values, allow_pickle=False)
        if args.output == "-":
            if sys.stdout.isatty():
                raise _Fail("npy is binary: give -o FILE, or redirect stdout")
            sys.stdout.flush()
            sys.stdout.buffer.write(buf.getvalue())
            sys.stdout.buffer.flush()
            return 0
        try:
            with open(args.output, "wb") as f:
                f.write(buf.getvalue())
        except OSError as e:
            raise _Fail(f"cannot write {args.output}: {e.strerror or e}") from None
        return 0
    if fmt == "json":
        text = json.dumps(values.tolist()) + "\n"
    else:
        rows = np.atleast_2d(values)
        columns = ["value"] if values.ndim == 1 else [f"value_{i}" for i in range(len(rows))]
        lines = [",".join(["step", *columns])]
        cells = [list(map(repr, row)) for row in rows.tolist()]
        for i in range(values.shape[-1]):
            lines.append(",".join([str(args.start + i), *(c[i] for c in cells)]))
        text = "\n".join(lines) + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        _write_text(args.output, text)
    return 0


# ---- demo ---------------------------------------------------------------------------------------


def _add_demo(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # The defaults are the demo's own (it imports numpy and lrcore only; torch when it runs).
    from lrcore.demo import DEFAULT_EPOCHS, DEFAULT_TRIALS

    p = sub.add_parser(
        "demo",
        help="the lecture's recipe end to end: baseline, range test, Sobol search over one-cycle",
        description="Train a small MLP (torch, CPU) on scikit-learn's bundled 8x8 digits: "
        "first a constant learning rate (the dumb baseline), then the learning-rate range test "
        "(lrcore.torch.lr_find), then a Sobol search over one-cycle max_lr (a decade either "
        "side of the range test's suggestion), pct_start and weight decay with "
        "lrcore.torch.OneCycleLR (AdamW, beta1 cycling). Prints a results table sorted by "
        "validation accuracy and writes results.csv and PNGs (range test, schedules tried, "
        "accuracy against max_lr, grid-vs-Sobol coverage) to --out. The same seed gives the "
        "same table. Needs pip install 'lrcore[demo]'.",
    )
    p.add_argument(
        "--out",
        default="lrcore-demo",
        help="folder for results.csv and the PNGs (default ./lrcore-demo)",
    )
    p.add_argument(
        "--trials", type=int, default=DEFAULT_TRIALS, help="search trials (default %(default)s)"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the search and the training")
    p.add_argument(
        "--epochs", type=int, default=DEFAULT_EPOCHS, help="epochs per trial (default %(default)s)"
    )
    p.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress report (a bar on a terminal, else one line per trial)",
    )
    p.add_argument(
        "--engine",
        choices=("local", "optuna", "ray"),
        default="local",
        help="run the search trials here, as an Optuna study of --workers processes sharing a "
        "journal file, or on Ray Tune (pip install 'lrcore[engines]'); same table either way",
    )
    p.add_argument("--workers", type=int, default=2, help="engine workers (default 2)")


def _cmd_demo(args: argparse.Namespace) -> int:
    _count("--trials", args.trials, 1)
    _count("--epochs", args.epochs, 1)
    _count("--seed", args.seed, 0)
    _count("--workers", args.workers, 1)
    missing = [
        pkg for pkg in ("torch", "sklearn", "matplotlib") if importlib.util.find_spec(pkg) is None
    ]
    if missing:
        raise _Fail(f"the demo needs {', '.join(missing)}: pip install 'lrcore[demo]'")
    from lrcore import demo

    demo.run(
        out=args.out,
        trials=args.trials,
        epochs=args.epochs,
        seed=args.seed,
        progress=not args.no_progress,
        engine=args.engine,
        workers=args.workers,
    )
    return 0


# ---- bench --------------------------------------------------------------------------------------


def _add_bench(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "bench",
        help="lrcore against numpy, torch, scipy and pure Python, side by side",
        description="Times each workload of SPEC section 7 and its baseline moments apart and "
        "prints one Markdown table of ratios against the targets (values(10**7) against numpy "
        "and ndarray.fill, every torch drop-in's step() against torch's, sample(2**20) against "
        "numpy and scipy's Sobol, import time). Rows whose peer is not installed are left out, "
        "and a line below the table says which and why.",
    )
    p.add_argument("--quick", action="store_true", help="small workloads (a smoke test)")
    p.add_argument("-o", "--output", default=None, help="also write the table to this file")


def _cmd_bench(args: argparse.Namespace) -> int:
    from lrcore import bench

    text = f"{bench.table(bench.run(quick=args.quick))}\n\nMeasured on {bench.machine()}.\n"
    text += "".join(f"Left out: {line}.\n" for line in bench.left_out())
    sys.stdout.write(text)
    if args.output:
        _write_text(args.output, text)
    return 0


#: name → (declare arguments, run).
COMMANDS: dict[
    str,
    tuple[
        Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None],
        Callable[[argparse.Namespace], int],
    ],
] = {
    "plot": (_add_plot, _cmd_plot),
    "values": (_add_values, _cmd_values),
    "sample": (_add_sample, _cmd_sample),
    "demo": (_add_demo, _cmd_demo),
    "bench": (_add_bench, _cmd_bench),
}


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lrcore", description="Learning-rate schedules and hyper-parameter search."
    )
    sub: Any = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for add, _ in COMMANDS.values():
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status.

    >>> main(["values", "linear(1.0, 0.0, 4)", "--steps", "5"])
    step,value
    0,1.0
    1,0.75
    2,0.5
    3,0.25
    4,0.0
    0
    """
    args = _parser().parse_args(argv)
    _, run = COMMANDS[args.command]
    try:
        return run(args)
    except KeyboardInterrupt:
        print(f"lrcore {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (``lrcore values ... | head``): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as e:
        # Every failure is one line, never a traceback; an unforeseen one says what it was.
        if isinstance(e, OSError) and e.strerror and e.filename:
            message = f"{e.filename}: {e.strerror}"
        else:
            message = str(e).splitlines()[0] if str(e) else ""
            expected = (ValueError, TypeError, OSError, ImportError, MemoryError)
            if not message or not isinstance(e, expected):
                message = f"{type(e).__name__}: {message}".rstrip(": ")
        print(f"lrcore {args.command}: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
