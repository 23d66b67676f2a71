"""The ``lrcore`` command line (also ``python -m lrcore``).

Each subcommand is one function ``_cmd_<name>(args) -> int`` plus one ``_add_<name>(sub)`` that
declares its arguments; :data:`COMMANDS` lists them. Bad input prints one line to stderr
(``lrcore <command>: error: ...``) and exits with status 1; usage errors exit with 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Callable

__all__ = ["COMMANDS", "main"]


class _Fail(Exception):
    """A user error to report in one line."""


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
    space = search.Space.from_json(text)
    trials = space.sample(args.n, seed=args.seed, method=args.method, start=args.start)
    fmt = args.format or ("csv" if str(args.output).endswith(".csv") else "jsonl")
    out = trials.to_csv() if fmt == "csv" else trials.to_jsonl()
    if args.output == "-":
        sys.stdout.write(out)
    else:
        try:
            with open(args.output, "w", encoding="utf-8", newline="") as f:
                f.write(out)
        except OSError as e:
            raise _Fail(f"cannot write {args.output}: {e.strerror}") from None
    return 0


#: name → (declare arguments, run).
COMMANDS: dict[
    str,
    tuple[
        Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None],
        Callable[[argparse.Namespace], int],
    ],
] = {
    "sample": (_add_sample, _cmd_sample),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lrcore", description="Learning-rate schedules and hyper-parameter search."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for add, _ in COMMANDS.values():
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    _, run = COMMANDS[args.command]
    try:
        return run(args)
    except (_Fail, ValueError, TypeError, MemoryError, json.JSONDecodeError) as e:
        message = str(e).splitlines()[0] if str(e) else type(e).__name__
        print(f"lrcore {args.command}: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
