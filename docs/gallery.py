"""Regenerates the README's gallery: one small PNG per schedule shape and combinator.

    python docs/gallery.py            # writes docs/img/*.png, prints the README table

Every picture is drawn by the ``lrcore plot`` command's own code path (``lrcore.cli.main``), from
the expression printed under it in the README, so what you see is what the command line draws.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NamedTuple

from lrcore.cli import main

IMG = Path(__file__).resolve().parent / "img"
SIZE = "600x300"
COLUMNS = 3


class Entry(NamedTuple):
    name: str  # file name (without .png) and caption title
    exprs: tuple[str, ...]
    labels: tuple[str, ...] = ()
    momentum: str | None = None
    steps: int | None = None
    log: bool = False


ENTRIES = [
    Entry("constant", ("constant(0.1)",), steps=1000),
    Entry("linear", ("linear(0.1, 0.001, 1000)",)),
    Entry(
        "cosine",
        (
            "cosine(0.1, 0.001, 1000)",
            "cosine(0.1, 0.001, 1000, k=0.5)",
            "cosine(0.1, 0.001, 1000, k=2.0)",
        ),
        ("k=1", "k=0.5", "k=2"),
    ),
    Entry("exponential", ("exponential(0.1, 0.001, 1000)",), log=True),
    Entry(
        "tanh",
        ("tanh(0.1, 0.001, 1000)", "tanh(0.1, 0.001, 1000, lb=-4.0, ub=4.0)"),
        ("lb=-7, ub=3", "lb=-4, ub=4"),
    ),
    Entry("exp_decay", ("exp_decay(0.1, 0.9, every=50)",), steps=1000),
    Entry(
        "polynomial",
        (
            "polynomial(0.1, 0.0, 1000, power=0.5)",
            "polynomial(0.1, 0.0, 1000)",
            "polynomial(0.1, 0.0, 1000, power=2.0)",
        ),
        ("power=0.5", "power=1", "power=2"),
    ),
    Entry("step_decay", ("step_decay(0.1, 300, gamma=0.5)",), steps=1000),
    Entry("multistep", ("multistep(0.1, [500, 750, 900])",), steps=1000, log=True),
    Entry("piecewise_constant", ("piecewise_constant([300, 600], [0.1, 0.05, 0.01])",), steps=1000),
    Entry(
        "piecewise_linear",
        ("piecewise_linear([(0, 0.0), (100, 0.1), (600, 0.02), (1000, 0.0)])",),
    ),
    Entry("inverse_sqrt", ("inverse_sqrt(0.1, 100)",), steps=1000),
    Entry("cyclic_triangular", ("cyclic(0.01, 0.1, 100)",), steps=1000),
    Entry("cyclic_triangular2", ("cyclic(0.01, 0.1, 100, mode='triangular2')",), steps=1000),
    Entry(
        "cyclic_exp_range",
        ("cyclic(0.01, 0.1, 100, mode='exp_range', gamma=0.998)",),
        steps=1000,
    ),
    Entry("one_cycle", ("one_cycle(0.1, 1000)",), momentum="one_cycle_momentum(1000)"),
    Entry(
        "one_cycle_three_phase",
        ("one_cycle(0.1, 1000, three_phase=True)",),
        momentum="one_cycle_momentum(1000, three_phase=True)",
    ),
    Entry(
        "one_cycle_linear",
        ("one_cycle(0.1, 1000, pct_start=0.25, anneal='linear')",),
        momentum="one_cycle_momentum(1000, pct_start=0.25, anneal='linear')",
    ),
    Entry(
        "wsd",
        (
            "wsd(0.1, 1000, 100, 300)",
            "wsd(0.1, 1000, 100, 300, decay='linear')",
            "wsd(0.1, 1000, 100, 300, decay='cosine')",
            "wsd(0.1, 1000, 100, 300, decay='power', power=2.0)",
            "wsd(0.1, 1000, 100, 300, final=0.001, decay='exp')",
        ),
        ("1-sqrt", "linear", "cosine", "power=2", "exp"),
    ),
    Entry(
        "warmup",
        (
            "warmup(300, cosine(0.1, 0.0, 700))",
            "warmup(300, cosine(0.1, 0.0, 700), shape='cosine')",
            "warmup(300, cosine(0.1, 0.0, 700), start=0.001, shape='exponential')",
        ),
        ("linear", "cosine", "exponential"),
    ),
    Entry(
        "warmup_overlap",
        ("warmup(200, cosine(0.1, 0.0, 800))", "warmup(200, cosine(0.1, 0.0, 1000), prefix=False)"),
        ("prefix", "prefix=False"),
    ),
    Entry("warmup_step_decay", ("warmup(100, step_decay(0.1, 300))",), steps=1000, log=True),
    Entry(
        "join",
        ("join([constant(0.1), linear(0.1, 0.01, 300), exp_decay(0.01, 0.995)], [400, 700])",),
        steps=1000,
    ),
    Entry("restarts_mul", ("restarts(cosine(0.1, 0.001, 100), mul=2.0)",), steps=1500),
    Entry(
        "restarts_decay",
        ("restarts(cosine(0.1, 0.001, 200), decay=0.6, limit=4)",),
        steps=1000,
    ),
    Entry(
        "restarts_peak",
        (
            "restarts(cosine(0.1, 0.02, 200), decay=0.7, limit=4)",
            "restarts(cosine(0.1, 0.02, 200), decay=0.7, limit=4, decay_mode='peak')",
        ),
        ("height", "peak"),
        steps=1000,
    ),
    Entry("restarts_real", ("restarts(cosine(0.1, 0.001, 133.3), mul=1.2)",), steps=1000),
    Entry("noise", ("noise(cosine(0.1, 0.001, 1000), pct=0.5, std=1.0, start=200)",), steps=1000),
    Entry("clip", ("cosine(0.1, 0.0, 1000).clip(lo=0.02, hi=0.08)",)),
    Entry("shift", ("cosine(0.1, 0.0, 700).shift(300)",)),
    Entry("per_epoch", ("cosine(0.1, 0.0, 10).per_epoch(100)",)),
    Entry(
        "arithmetic",
        ("0.5 * cosine(0.1, 0.0, 1000) + 0.01", "cyclic(0.5, 1.0, 100) * cosine(0.1, 0.0, 1000)"),
    ),
    Entry(
        "algebra",
        ("0.1 - cosine(0.1, 0.0, 1000)", "cosine(0.1, 0.0, 1000) / linear(1.0, 2.0, 1000)"),
    ),
]


def argv(entry: Entry, out: Path) -> list[str]:
    """The ``lrcore plot`` arguments that draw ``entry`` into ``out``."""
    args = ["plot", *entry.exprs, "-o", str(out), "--size", SIZE, "--title", entry.name]
    for label in entry.labels:
        args += ["--label", label]
    if entry.momentum is not None:
        # Both lines need a legend; short names keep it off the curves.
        args += ["--momentum", entry.momentum, "--momentum-label", "momentum"]
        if not entry.labels:
            args += ["--label", "lr"]
    elif len(entry.exprs) == 1:
        args.append("--no-legend")  # the README prints the expression under the picture
    if entry.steps is not None:
        args += ["--steps", str(entry.steps)]
    if entry.log:
        args.append("--log")
    return args


def table(entries: list[Entry]) -> str:
    """The README's gallery: COLUMNS pictures to a row, each with its expressions under it."""
    cells = []
    for e in entries:
        code = "<br>".join(f"`{x}`" for x in e.exprs)
        if e.momentum is not None:
            code += f"<br>momentum: `{e.momentum}`"
        cells.append(f'<img src="docs/img/{e.name}.png" width="280"><br>{code}')
    rows = ["| " + " | ".join([""] * COLUMNS) + " |", "|" + "---|" * COLUMNS]
    for i in range(0, len(cells), COLUMNS):
        chunk = cells[i : i + COLUMNS] + [""] * (COLUMNS - len(cells[i : i + COLUMNS]))
        rows.append("| " + " | ".join(chunk) + " |")
    return "\n".join(rows)


def build() -> int:
    IMG.mkdir(parents=True, exist_ok=True)
    for entry in ENTRIES:
        out = IMG / f"{entry.name}.png"
        code = main(argv(entry, out))
        if code != 0:
            print(f"gallery: lrcore plot failed for {entry.name}", file=sys.stderr)
            return code
        print(
            f"{out.relative_to(IMG.parent.parent)}  {out.stat().st_size // 1024} kB",
            file=sys.stderr,
        )
    print(table(ENTRIES))
    return 0


if __name__ == "__main__":
    raise SystemExit(build())
