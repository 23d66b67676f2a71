"""The Python face of schedules: calls, arrays, batches, values, the text/JSON/dict/pickle forms,
equality and hashing, operators, plotting, and the bad-input table of SPEC section 6."""

from __future__ import annotations

import copy
import inspect
import json
import math
import pickle
import subprocess
import sys
from typing import Any

import lrcore as lr
import numpy as np
import pytest
from lrcore import _core

EXAMPLES = [
    lr.warmup(1000, lr.cosine(1e-3, 1e-5, 99_000)),
    lr.one_cycle(0.1, 1000, pct_start=0.25, anneal="linear", three_phase=True),
    lr.one_cycle_momentum(500, base=0.8, max=0.9),
    lr.cyclic(1e-3, 0.1, 200, 300, mode="exp_range", gamma=0.999),
    lr.wsd(1e-3, 1000, 100, 200, final=1e-5, decay="cosine"),
    lr.restarts(lr.cosine(1.0, 0.0, 10), mul=2, decay=0.5, limit=4),
    lr.join([lr.linear(0.0, 1.0, 10), lr.exp_decay(1.0, 0.9)], [10]),
    lr.noise(lr.step_decay(0.1, 30), pct=0.2, seed=3, end=100),
    lr.multistep(0.1, [30, 60, 60], gamma=0.5).clip(lo=1e-4).shift(10).per_epoch(5),
    lr.piecewise_constant([10, 20], [1.0, 0.5, 0.25]) * 2 + lr.constant(0.1),
    lr.piecewise_linear([(0, 0.0), (10, 1.0), (30, 0.1)]),
    lr.polynomial(1.0, 0.1, 100, power=2.0) * lr.exponential(1.0, 0.5, 50),
    lr.inverse_sqrt(1e-3, 4000),
    lr.stack([lr.cosine(1.0, 0.0, 10), lr.constant(0.5)]),
    lr.cosine(np.array([1e-3, 1e-2, 1e-1]), 0.0, [10, 20, 30]),
]


@pytest.mark.parametrize("s", EXAMPLES, ids=repr)
def test_text_json_dict_pickle_and_copy_round_trip(s: lr.Schedule) -> None:
    assert lr.parse(repr(s)) == s
    assert repr(lr.parse(repr(s))) == repr(s)
    assert lr.from_json(s.to_json()) == s
    assert lr.from_dict(s.to_dict()) == s
    assert json.loads(json.dumps(s.to_dict())) == s.to_dict()
    assert pickle.loads(pickle.dumps(s)) == s
    assert copy.copy(s) is s and copy.deepcopy(s) is s
    assert hash(lr.parse(repr(s))) == hash(s)
    np.testing.assert_array_equal(lr.parse(repr(s)).values(50, start=7), s.values(50, start=7))


def test_equality_and_hash_are_structural() -> None:
    a, b = lr.cosine(1.0, 0.0, 10), lr.cosine(1, 0, 10.0)
    assert a == b and hash(a) == hash(b)
    assert a != lr.cosine(1.0, 0.0, 11)
    assert a != "cosine(1.0, 0.0, 10)"
    assert lr.constant(-0.0) == lr.constant(0.0) and hash(lr.constant(-0.0)) == hash(
        lr.constant(0.0)
    )
    assert len({a, b, lr.linear(1.0, 0.0, 10)}) == 2


def test_schedules_are_immutable() -> None:
    s = lr.cosine(1.0, 0.0, 10)
    with pytest.raises(AttributeError):
        s.total_steps = 5  # type: ignore[misc]
    with pytest.raises(AttributeError):
        s.anything = 1  # type: ignore[attr-defined]


def test_scalar_calls_return_python_floats() -> None:
    s = lr.warmup(1000, lr.cosine(1e-3, 1e-5, 99_000))
    assert type(s(0)) is float and s(0) == 0.0
    assert s(500) == 5e-4
    assert s(1000) == 1e-3
    assert s(100_000) == 1e-5 and s(10**30) == 1e-5
    assert s(np.int64(1000)) == 1e-3 and s(np.float32(1000.0)) == 1e-3
    assert s.total_steps == 100_000 and type(s.total_steps) is int
    assert lr.exp_decay(1.0, 0.5).total_steps is None
    assert s.batch_size is None


@pytest.mark.parametrize(
    "dtype", [np.int8, np.uint16, np.int32, np.int64, np.uint64, np.float16, np.float32, np.float64]
)
def test_arrays_of_any_dtype_and_shape(dtype: Any) -> None:
    s = lr.one_cycle(0.1, 100)
    steps = np.arange(24).reshape(2, 3, 4).astype(dtype)
    out = s(steps)
    assert out.dtype == np.float64 and out.shape == (2, 3, 4)
    expected = [s(float(t)) for t in steps.ravel()]
    assert out.ravel().tolist() == expected
    assert s(np.array(7, dtype=dtype)).shape == ()


def test_values_equal_scalar_calls_and_start_continues() -> None:
    s = lr.join([lr.warmup(50, lr.cosine(1.0, 0.1, 100)), lr.cyclic(0.1, 1.0, 7)], [150])
    values = s.values(400)
    assert values.dtype == np.float64 and values.shape == (400,)
    assert values.tolist() == [s(t) for t in range(400)]
    assert s.values(100, start=250).tolist() == values[250:350].tolist()
    assert s.values(0).shape == (0,)
    assert s.values(3, start=10**15).tolist() == [s(10**15 + i) for i in range(3)]


def test_large_values_are_parallel_and_exact() -> None:
    s = lr.warmup(10_000, lr.cosine(1e-3, 1e-5, 10**6))
    values = s.values(3 * 10**6)
    picks = [0, 9_999, 10_000, 500_000, 1_010_000, 2_999_999]
    assert [values[i] for i in picks] == [s(i) for i in picks]
    assert values.flags["C_CONTIGUOUS"] and values.flags["WRITEABLE"]


def test_batches_give_leading_batch_axis() -> None:
    b = lr.warmup([10, 20], lr.cosine(np.array([1.0, 2.0]), 0.0, 100))
    assert b.batch_size == 2
    assert b(5).shape == (2,)
    assert b(np.zeros((3, 4))).shape == (2, 3, 4)
    assert b.values(7).shape == (2, 7)
    rows = [lr.warmup(10, lr.cosine(1.0, 0.0, 100)), lr.warmup(20, lr.cosine(2.0, 0.0, 100))]
    for row, single in zip(b.values(150, start=3), rows):
        assert row.tolist() == single.values(150, start=3).tolist()
    assert b.total_steps == 120


def test_operators_and_methods() -> None:
    a, c = lr.linear(1.0, 0.0, 10), lr.cosine(1.0, 0.0, 10)
    for t in [0, 3, 10, 20]:
        assert (a * c)(t) == a(t) * c(t)
        assert (a + c)(t) == a(t) + c(t)
        assert (0.5 * a)(t) == 0.5 * a(t) == (a * 0.5)(t)
        assert (1 + a)(t) == a(t) + 1
        assert a.clip(lo=0.2, hi=0.8)(t) == min(max(a(t), 0.2), 0.8)
        assert a.shift(3)(t) == a(max(t - 3, 0))
        assert a.per_epoch(4)(t) == a(t // 4)
    with pytest.raises(TypeError):
        a * "x"  # type: ignore[operator]
    with pytest.raises(TypeError):
        a + None  # type: ignore[operator]


def test_python_signatures_match_the_core() -> None:
    functions = [
        "constant",
        "linear",
        "cosine",
        "exponential",
        "exp_decay",
        "polynomial",
        "step_decay",
        "multistep",
        "piecewise_constant",
        "piecewise_linear",
        "inverse_sqrt",
        "cyclic",
        "one_cycle",
        "one_cycle_momentum",
        "wsd",
        "warmup",
        "join",
        "restarts",
        "noise",
        "stack",
    ]
    for name in functions:
        params = inspect.signature(getattr(lr, name)).parameters
        core = _core.signature(name)
        assert list(params) == [p for p, _ in core], name
        for (param, default), p in zip(core, params.values()):
            expected = inspect.Parameter.empty if default is None else json.loads(default)
            assert p.default == expected, (name, param)
            assert p.__class__ is inspect.Parameter
        assert getattr(lr, name).__doc__


BAD_INPUT = [
    (
        lambda: lr.cosine(1e-3, 0, 0),
        ValueError,
        "cosine(): steps must be a positive number, got 0",
    ),
    (
        lambda: lr.cosine(1e-3, 0, -5),
        ValueError,
        "cosine(): steps must be a positive number, got -5",
    ),
    (
        lambda: lr.linear(1e-3, 0, 2.5),
        ValueError,
        "linear(): steps must be a positive integer, got 2.5",
    ),
    (
        lambda: lr.cosine(1e-3, 0, math.inf),
        ValueError,
        "cosine(): steps must be a positive number, got inf",
    ),
    (
        lambda: lr.cosine(math.nan, 0, 10),
        ValueError,
        "cosine(): start must be a finite number, got nan",
    ),
    (
        lambda: lr.linear(1, 0, 10**400),
        ValueError,
        "linear(): steps must be a positive integer, got inf",
    ),
    (lambda: lr.cosine("a", 0, 10), TypeError, "cosine(): start must be a number, got 'a'"),
    (lambda: lr.cosine(1, 0, True), TypeError, "cosine(): steps must be a number, got True"),
    (
        lambda: lr.cosine(1, 0, {}),
        TypeError,
        "cosine(): steps must be a number, got an object of type 'dict'",
    ),
    (
        lambda: lr.cosine([1.0, 2.0], [0.0, 0.1, 0.2], 10),
        ValueError,
        "cosine(): end must be a batch of the same length as start (2), got length 3",
    ),
    (
        lambda: lr.cosine(np.zeros((2, 2)), 0, 10),
        TypeError,
        "cosine(): start must be a number, got a list",
    ),
    (
        lambda: lr.one_cycle(0.1, 100, anneal="cosine"),
        ValueError,
        "one_cycle(): anneal must be one of 'cos', 'linear', got 'cosine'",
    ),
    (
        lambda: lr.one_cycle(0.1, 100, pct_start=0.7, three_phase=True),
        ValueError,
        "one_cycle(): pct_start must be at most 0.5 with three_phase=True (the third phase would never start), got 0.7",
    ),
    (
        lambda: lr.one_cycle(-0.1, 100),
        ValueError,
        "one_cycle(): max_lr must be a positive number, got -0.1",
    ),
    (
        lambda: lr.warmup(10, lr.constant(1.0), shape="exponential"),
        ValueError,
        "warmup(): start must be positive, and so must be then(0), with shape='exponential', got start=0, then(0)=1",
    ),
    (
        lambda: lr.warmup(10, "x"),
        TypeError,
        "warmup(): then must be a schedule or a number, got 'x'",
    ),
    (
        lambda: lr.join([lr.constant(1.0)], [5]),
        ValueError,
        "join(): boundaries must be one fewer than schedules (0), got 1 boundaries",
    ),
    (
        lambda: lr.restarts(lr.exp_decay(1.0, 0.5)),
        ValueError,
        "restarts(): schedule must be a finite schedule of at least one step, got an endless schedule",
    ),
    (
        lambda: lr.multistep(0.1, [60, 30]),
        ValueError,
        "multistep(): milestones must be sorted, got [60, 30]",
    ),
    (lambda: lr.cosine(1, 0, 10).clip(), ValueError, "clip(): lo or hi must be given, got neither"),
    (
        lambda: lr.cosine(1, 0, 10)(-1),
        ValueError,
        "Schedule(): step must be a non-negative finite number, got -1",
    ),
    (
        lambda: lr.cosine(1, 0, 10)(math.nan),
        ValueError,
        "Schedule(): step must be a non-negative finite number, got nan",
    ),
    (
        lambda: lr.cosine(1, 0, 10)(math.inf),
        ValueError,
        "Schedule(): step must be a non-negative finite number, got inf",
    ),
    (
        lambda: lr.cosine(1, 0, 10)(np.array([1.0, -2.0])),
        ValueError,
        "Schedule(): step must be a non-negative finite number, got -2",
    ),
    (
        lambda: lr.cosine(1, 0, 10)("3"),
        TypeError,
        "Schedule(): steps must be a number or an array of numbers, got an object of type 'str'",
    ),
    (
        lambda: lr.cosine(1, 0, 10).values(-1),
        ValueError,
        "values(): n must be a non-negative integer, got -1",
    ),
    (
        lambda: lr.cosine(1, 0, 10).values(5, start=-1),
        ValueError,
        "values(): start must be a non-negative integer, got -1",
    ),
    (
        lambda: lr.cosine(1, 0, 10).values(1.5),
        ValueError,
        "values(): n must be a non-negative integer, got 1.5",
    ),
    (
        lambda: lr.cosine(1, 0, 10).values("5"),
        TypeError,
        "values(): n must be an integer, got an object of type 'str'",
    ),
    (
        lambda: lr.parse("__import__('os').system('echo hacked')"),
        ValueError,
        "parse(): unknown function '__import__' at position 0",
    ),
    (
        lambda: lr.parse("cosine(1, 0, 10).__class__"),
        ValueError,
        "parse(): unknown method '__class__' at position 17",
    ),
    (
        lambda: lr.parse("exec('print(1)')"),
        ValueError,
        "parse(): unknown function 'exec' at position 0",
    ),
    (
        lambda: lr.parse("cosine(1, 0, 10); print(1)"),
        ValueError,
        "parse(): unexpected character ';' at position 16",
    ),
    (
        lambda: lr.parse("\x00\xff"),
        ValueError,
        "parse(): unexpected character '\x00' at position 0",
    ),
    (
        lambda: lr.parse("[" * 100_000),
        ValueError,
        "parse(): expression nested too deeply (more than 128 levels) at position 128",
    ),
    (
        lambda: lr.from_json("{"),
        ValueError,
        "parse(): invalid JSON (EOF while parsing an object at line 1 column 1) at position 1",
    ),
    (
        lambda: lr.from_dict({"kind": "cosine", "start": 1, "end": 0}),
        TypeError,
        "cosine(): missing required argument 'steps'",
    ),
    (
        lambda: lr.from_dict({"kind": "eval", "x": 1}),
        TypeError,
        "eval(): is not a schedule function of lrcore",
    ),
]


@pytest.mark.parametrize("call, error, message", BAD_INPUT)
def test_bad_input_raises_clear_errors(call: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as info:
        call()
    assert str(info.value) == message


def test_arrays_too_large_to_allocate_raise_memory_error() -> None:
    with pytest.raises(MemoryError, match=r"Unable to allocate 8.00 PiB"):
        lr.cosine(1, 0, 10).values(2**50)
    with pytest.raises(MemoryError, match=r"Unable to allocate"):
        lr.cosine([1.0, 2.0], 0, 10).values(2**52)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    s: lr.Schedule = lr.constant(1.0)
    with pytest.raises(ValueError, match="nesting must be at most 32 schedules deep, got 33"):
        for _ in range(40):
            s = lr.warmup(1, s)


def test_plot_draws_each_schedule(tmp_path: Any) -> None:
    import matplotlib

    matplotlib.use("Agg")
    ax = lr.one_cycle(0.1, 200).plot()
    assert len(ax.lines) == 1 and len(ax.lines[0].get_xdata()) == 200
    ax = lr.stack([lr.cosine(1.0, 0.0, 50), lr.constant(0.5)]).plot(n=80, color="k")
    assert len(ax.lines) == 2 and len(ax.lines[1].get_ydata()) == 80
    ax.figure.savefig(tmp_path / "s.png")
    assert (tmp_path / "s.png").stat().st_size > 1000


def test_import_is_light() -> None:
    code = "import sys, lrcore; print(sorted({'torch', 'matplotlib', 'scipy'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
