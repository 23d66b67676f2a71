"""Reliability (issue 16): exact round trips, checked allocations, Ctrl-C, clear errors, the CLI.

Round trips are property-based: random floats and random schedule trees go through every form
(repr / parse, JSON, dict, pickle) and come back bit-exact. Allocation failures run in a
subprocess under an address-space cap a little above what the interpreter already uses, so
each user-sized allocation fails there and must raise MemoryError, not abort. Ctrl-C is a
SIGINT sent to a subprocess one second into a long call.
"""

from __future__ import annotations

import json
import math
import pickle
import signal
import struct
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Callable

import lrcore as lr
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lrcore import search
from lrcore.cli import main

# ---- exact values: every form round-trips bit-exact ---------------------------------------------


def _bits(x: float) -> int:
    return int(struct.unpack("<q", struct.pack("<d", x))[0])


FORMS: dict[str, Callable[[lr.Schedule], lr.Schedule]] = {
    "repr": lambda s: lr.parse(repr(s)),
    "json": lambda s: lr.from_json(s.to_json()),
    "dict": lambda s: lr.from_dict(s.to_dict()),
    "dict via json text": lambda s: lr.from_dict(json.loads(json.dumps(s.to_dict()))),
    "pickle": lambda s: pickle.loads(pickle.dumps(s)),
}

PROBE_STEPS = np.array([0, 1, 2, 7, 50, 333, 1000, 12_345, 10**6], dtype=np.float64)


def _assert_same(s: lr.Schedule, back: lr.Schedule) -> None:
    assert back == s
    assert back.to_json() == s.to_json()
    assert repr(back) == repr(s)
    assert s(PROBE_STEPS).view(np.int64).tolist() == back(PROBE_STEPS).view(np.int64).tolist()


finite = st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(x=finite)
def test_random_floats_round_trip_bit_exact_through_every_form(x: float) -> None:
    s = lr.constant(x)
    assert s(0) == x  # -0.0 builds as 0.0
    for form in FORMS.values():
        back = form(s)
        assert _bits(back(0)) == _bits(s(0))
        assert back.to_json() == s.to_json()
    assert repr(s) == f"constant({s(0)!r})"  # Python's digits, even where two are as short


@settings(max_examples=200, deadline=None)
@given(bits=st.integers(0, 2**64 - 1))
def test_random_bit_patterns_round_trip(bits: int) -> None:
    (x,) = struct.unpack("<d", struct.pack("<Q", bits))
    assume(math.isfinite(x))
    s = lr.constant(x)
    for form in FORMS.values():
        assert _bits(form(s)(0)) == _bits(s(0))


@pytest.mark.parametrize(
    "x",
    [
        0.9127564497219489,
        9007199254740991.0,
        562949953421312.25,
        5e-324,
        2.0**-1022,
        1.7976931348623157e308,
        -0.1,
    ],
)
def test_known_hard_floats(x: float) -> None:
    s = lr.constant(x)
    assert repr(s) == f"constant({x!r})"
    for name, form in FORMS.items():
        assert _bits(form(s)(0)) == _bits(x), name


def test_what_builds_loads() -> None:
    s = lr.noise(lr.constant(1.0), pct=1e-300, std=1e-298)
    for form in FORMS.values():
        _assert_same(s, form(s))


def test_cli_values_are_exact(capsys: pytest.CaptureFixture[str]) -> None:
    x = 0.9127564497219489
    assert main(["values", f"constant({x!r})", "--steps", "2", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [x, x]


# Random schedule trees: parameters drawn freely, trees the builder refuses are discarded.
lrs = st.floats(1e-8, 10.0) | st.floats(-1e3, 1e3)
counts = st.integers(1, 5000)


@st.composite
def shapes(draw: st.DrawFn) -> lr.Schedule:
    kind = draw(st.sampled_from(["constant", "linear", "cosine", "exponential", "step", "poly"]))
    a, b, n = draw(lrs), draw(lrs), draw(counts)
    if kind == "constant":
        return lr.constant(a)
    if kind == "linear":
        return lr.linear(a, b, n)
    if kind == "cosine":
        return lr.cosine(a, b, n)
    if kind == "exponential":
        return lr.exponential(abs(a) + 1e-9, abs(b) + 1e-9, n)
    if kind == "step":
        return lr.step_decay(a, n, gamma=draw(st.floats(0.01, 1.0)))
    return lr.polynomial(a, b, n, power=draw(st.floats(0.1, 4.0)))


def combine(children: st.SearchStrategy[lr.Schedule]) -> st.SearchStrategy[lr.Schedule]:
    @st.composite
    def one(draw: st.DrawFn) -> lr.Schedule:
        s = draw(children)
        kind = draw(st.sampled_from(["warmup", "join", "add", "mul", "clip", "shift", "noise"]))
        if kind == "warmup":
            return lr.warmup(draw(counts), s, start=draw(st.floats(0.0, 1.0)))
        if kind == "join":
            return lr.join([s, draw(children)], [draw(counts)])
        if kind == "add":
            return s + draw(children)
        if kind == "mul":
            return s * draw(lrs)
        if kind == "clip":
            lo = draw(lrs)
            return s.clip(lo=lo, hi=lo + abs(draw(lrs)))
        if kind == "shift":
            return s.shift(draw(counts))
        std = draw(st.floats(1e-3, 2.0))
        return lr.noise(s, pct=std * draw(st.floats(0.01, 3.0)), std=std, seed=draw(counts))

    return one()


def _buildable(strategy: Callable[[], st.SearchStrategy[lr.Schedule]]) -> Any:
    @st.composite
    def guarded(draw: st.DrawFn) -> lr.Schedule:
        try:
            return draw(strategy())
        except ValueError:
            assume(False)
            raise  # unreachable: assume(False) stops the example

    return guarded()


trees = _buildable(lambda: st.recursive(shapes(), combine, max_leaves=6))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(s=trees)
def test_random_schedule_trees_round_trip_bit_exact(s: lr.Schedule) -> None:
    for form in FORMS.values():
        _assert_same(s, form(s))


def test_the_repr_of_a_large_batch_parses_back() -> None:
    xs = np.random.default_rng(0).random(11_000)
    s = lr.warmup(100, lr.cosine(xs, xs * 1e-3, 10_000), start=1e-7).clip(lo=1e-9)
    assert len(repr(s)) > 1 << 20  # longer than the parser's old limit
    _assert_same(s, lr.parse(repr(s)))


# ---- allocation: MemoryError under an address-space cap, never an abort --------------------------

CAPPED = """
import re, resource
size = int(re.search(r"VmSize:\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))
cap = size * 1024 + (1 << 30)  # one GiB above what the interpreter uses
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
try:
{body}
except MemoryError as e:
    print("MemoryError:", e)
except ValueError as e:
    print("ValueError:", e)
else:
    print("no error")
"""


def _capped(body: str) -> str:
    prelude = "import numpy as np, lrcore as lr\nfrom lrcore import search\n"
    code = prelude + CAPPED.format(body=textwrap.indent(textwrap.dedent(body), "    "))
    env = {"OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env
    )
    assert r.returncode == 0, r.stderr  # an abort is exit status -6 (SIGABRT)
    return r.stdout.strip()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize(
    "body, message",
    [
        (
            "x = np.zeros(10**8)\nlr.cosine(0.1, 0.0, 10)(x)",
            "MemoryError: Schedule(): cannot allocate memory for 100000000 float64 values",
        ),
        (
            "x = np.zeros(10**8)\nlr.cosine(0.1, 0.0, 10)(x[::2])",
            "MemoryError: Schedule(): cannot allocate memory for a copy of 50000000 steps",
        ),
        (
            "lr.cosine(np.full(5 * 10**7, 0.1), 0.0, 10)",
            "MemoryError: Schedule(): cannot allocate memory for a batch of 50000000 schedules",
        ),
        (
            "lr.cosine(np.full(2 * 10**7, 0.1), 0.0, 10)",
            "MemoryError: cosine(): cannot allocate memory for a batch of 20000000 schedules",
        ),
        (
            "lr.cosine(0.1, 0.0, 10).values(10**10)",
            "MemoryError: values(): cannot allocate memory for 10000000000 float64 values",
        ),
        (
            "search.Space(x=search.uniform(0, 1)).grid(2**31)",
            "MemoryError: Space.grid(): cannot allocate memory for 2147483648 grid points of one "
            "axis",
        ),
        (
            "search.Space(x=search.uniform(0, 1), y=search.integer(1, 10)).grid(10**9)",
            "ValueError: Space.grid(): k must be small enough for at most 2**31 points, got "
            "1000000000 (a grid of 1000000000 x 10 points)",
        ),
        (
            "search.Space(x=search.uniform(0, 1)).sample(2**40)",
            "MemoryError: Space.sample(): cannot allocate memory for 1099511627776 rows",
        ),
    ],
)
def test_user_sized_allocations_raise_memory_error(body: str, message: str) -> None:
    assert _capped(body) == message


def test_grids_that_fit_are_unchanged_by_the_size_check() -> None:
    space = search.Space(
        a=search.integer(1, 10, log=True),
        b=search.integer(0, 100, step=7),
        c=search.uniform(0, 1, step=0.25),
        d=search.integer(1, 1000, log=True),
    )
    small = space.grid(3)
    assert len(small) == 3 * 3 * 3 * 3
    # k far beyond every discrete axis: every level of each (10, 15, 5 and 1000 of them).
    assert len(space.grid(10**9)) == 10 * 15 * 5 * 1000


# ---- Ctrl-C: SIGINT during a long call raises KeyboardInterrupt ----------------------------------

LONG_CALL = """
import signal, sys, numpy as np, lrcore as lr
# A job started in the background inherits SIGINT ignored, and Python then leaves it ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)
# 256 noise schedules summed: costly per step (a few microseconds), so the call below runs
# for a minute or more even on a fast machine.
# (Around a constant that is not 0: every step draws.)
parts = [lr.noise(lr.constant(0.1 + i / 1000), pct=0.5, seed=i) for i in range(256)]
while len(parts) > 1:
    parts = [a + b for a, b in zip(parts[::2], parts[1::2])]
s = parts[0]
steps = np.arange(2 * 10**7)
print("ready", flush=True)
if sys.argv[1] == "values":
    s.values(2 * 10**7)
else:
    s(steps)
print("finished", flush=True)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")
@pytest.mark.parametrize("call", ["values", "array"])
def test_sigint_during_a_long_call_raises_keyboard_interrupt(call: str) -> None:
    p = subprocess.Popen(
        [sys.executable, "-c", LONG_CALL, call],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert p.stdout is not None
    assert p.stdout.readline() == "ready\n"
    time.sleep(1)  # well into the call
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)  # a guard against a hang, not a timing
    assert "finished" not in out
    assert err.strip().splitlines()[-1] == "KeyboardInterrupt"
    assert p.returncode == -signal.SIGINT


# ---- clear errors ------------------------------------------------------------------------------

S = lr.cosine(1.0, 0.0, 10)


def _nested(depth: int) -> dict[str, Any]:
    d: dict[str, Any] = {"kind": "constant", "value": 1.0}
    for _ in range(depth):
        d = {"kind": "warmup", "steps": 1, "then": d}
    return d


STEPS_RULE = "Schedule(): steps must be a real number or an array of real numbers (int or float), "

BAD_INPUT: list[tuple[Callable[[], object], type[Exception], str]] = [
    (
        lambda: lr.from_dict({"kind": "constant", "value": math.nan}),
        ValueError,
        "from_dict(): value must be a finite number, got nan",
    ),
    (
        lambda: lr.from_dict({"kind": "constant", "value": -math.inf}),
        ValueError,
        "from_dict(): value must be a finite number, got -inf",
    ),
    (
        lambda: lr.from_dict(_nested(5000)),
        ValueError,
        "from_dict(): data must be at most 256 levels deep, got deeper",
    ),
    (
        lambda: lr.from_dict({"kind": "constant", "value": {1, 2}}),
        TypeError,
        "from_dict(): value must be a number, string, bool, None, list or dict, "
        "got an object of type 'set'",
    ),
    (
        lambda: lr.from_dict({"kind": ""}),
        TypeError,
        'from_json(): kind must be the name of one of lrcore\'s schedule functions, got ""',
    ),
    (
        lambda: lr.from_json('{"kind": "constant", "value": 1e999}'),
        ValueError,
        "parse(): invalid JSON (number out of range at line 1 column 35) at position 35",
    ),
    (
        lambda: search.integer(0, 10**30),
        ValueError,
        "integer(): hi must be an integer in [-2**63, 2**63), got 10**30".replace(
            "10**30", str(10**30)
        ),
    ),
    (
        lambda: search.Space(x=search.uniform(0, 1)).sample(2**64),
        ValueError,
        f"Space.sample(): n must be an integer below 2**64, got {2**64}",
    ),
    (
        lambda: search.Space(x=search.uniform(0, 1)).grid(2**64),
        ValueError,
        f"Space.grid(): k must be an integer below 2**64, got {2**64}",
    ),
    (lambda: S(True), TypeError, STEPS_RULE + "got True of type 'bool'"),
    (
        lambda: S(np.array([True, False])),
        TypeError,
        STEPS_RULE + "got an object of type 'ndarray' with dtype bool",
    ),
    (
        lambda: S(np.array([1 + 2j])),
        TypeError,
        STEPS_RULE + "got an object of type 'ndarray' with dtype complex128",
    ),
    (
        lambda: S(np.array(["2020-01-01"], dtype="datetime64[D]")),
        TypeError,
        STEPS_RULE + "got an object of type 'ndarray' with dtype datetime64[D]",
    ),
    (
        lambda: S(np.array([1], dtype=object)),
        TypeError,
        STEPS_RULE + "got an object of type 'ndarray' with dtype object",
    ),
    (
        lambda: S(3j),
        TypeError,
        STEPS_RULE + "got an object of type 'complex' with dtype complex128",
    ),
    (lambda: S.values(2.0), TypeError, "values(): n must be an integer, got 2.0 of type 'float'"),
    (lambda: S.values(True), TypeError, "values(): n must be an integer, got True of type 'bool'"),
    (
        lambda: S.values(np.float64(2)),
        TypeError,
        "values(): n must be an integer, got np.float64(2.0) of type 'float64'",
    ),
    (lambda: lr.parse("1__0"), ValueError, "parse(): malformed number '1__0' at position 0"),
    (lambda: lr.parse("1_"), ValueError, "parse(): malformed number '1_' at position 0"),
    (
        lambda: lr.parse("constant(1._5)"),
        ValueError,
        "parse(): malformed number '1._5' at position 9",
    ),
]


@pytest.mark.parametrize("call, error, message", BAD_INPUT)
def test_bad_input_raises_clear_errors(
    call: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        call()
    assert str(info.value) == message


def test_numpy_numbers_are_numbers() -> None:
    assert type(S(np.int64(5))) is float and S(np.int64(5)) == S(5)
    assert type(S(np.float32(2.5))) is float and S(np.float32(2.5)) == S(2.5)
    assert type(S(np.uint8(3))) is float
    assert S.values(np.int64(3)).tolist() == S.values(3).tolist()
    assert S.values_at(np.int32(4)) == [S(4)]
    d = {"kind": "cosine", "start": np.float64(1.0), "end": np.float32(0.0), "steps": np.int64(10)}
    assert lr.from_dict(d) == S
    assert lr.from_dict({"kind": "stack", "schedules": [S.to_dict()]}) == lr.stack([S])
    assert lr.parse("1_000.5") == lr.constant(1000.5)


# ---- the command line: one line per error, never a traceback -------------------------------------


def _space_file(tmp_path: Path) -> Path:
    path = tmp_path / "space.json"
    path.write_text(search.Space(x=search.uniform(0, 1)).to_json())
    return path


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.splitlines()) == 1, err
    return err.strip()


def test_cli_sample_with_a_count_beyond_u64(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    space = str(_space_file(tmp_path))
    assert main(["sample", space, "-n", str(2**64)]) == 1
    assert _error_line(capsys) == (
        f"lrcore sample: error: Space.sample(): n must be an integer below 2**64, got {2**64}"
    )


@pytest.mark.parametrize("brackets", ['{"a": ', "["])
def test_cli_sample_of_a_space_nested_5000_deep(
    brackets: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deep.json"
    close = "}" if brackets.startswith("{") else "]"
    path.write_text(brackets * 5000 + "1" + close * 5000)
    assert main(["sample", str(path), "-n", "2"]) == 1
    assert _error_line(capsys) == (
        "lrcore sample: error: Space.from_json(): text must be a space as Space.to_json() "
        "writes it, got JSON nested too deeply to read"
    )


def test_cli_sample_refuses_to_overwrite_its_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    space = _space_file(tmp_path)
    before = space.read_text()
    monkeypatch.chdir(tmp_path)
    for output in [str(space), "space.json", f"../{tmp_path.name}/space.json"]:
        assert main(["sample", str(space), "-n", "2", "-o", output]) == 1
        assert _error_line(capsys) == (
            "lrcore sample: error: -o must not be the input file (it would overwrite it), "
            f"got {output}"
        )
    assert space.read_text() == before


def test_cli_plot_refuses_a_huge_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expr = repr(lr.cosine(np.linspace(0.1, 0.2, 25_000), 0.0, 10))
    assert main(["plot", expr, "-o", str(tmp_path / "x.png")]) == 1
    assert _error_line(capsys) == (
        "lrcore plot: error: at most 256 lines can be drawn (one per schedule of a batch), "
        "got 25000: plot fewer schedules"
    )
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["values", "cosine(1, 0, 10)", "--steps", str(10**14)],
            "lrcore values: error: values(): cannot allocate memory for 100000000000000 float64 "
            "values",
        ),
        (
            ["values", "constant(1__0)", "--steps", "2"],
            "lrcore values: error: bad expression 'constant(1__0)': parse(): malformed number "
            "'1__0' at position 9",
        ),
        (
            ["values", "(" * 5000 + "1" + ")" * 5000, "--steps", "2"],
            "lrcore values: error: bad expression",
        ),
    ],
)
def test_cli_bad_arguments_are_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(args) == 1
    assert _error_line(capsys).startswith(message)


def test_cli_reports_an_unforeseen_error_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(text: str) -> lr.Schedule:
        raise RuntimeError("something unforeseen")

    monkeypatch.setattr(lr, "parse", broken)
    assert main(["values", "constant(1)", "--steps", "2"]) == 1
    assert _error_line(capsys) == "lrcore values: error: RuntimeError: something unforeseen"
