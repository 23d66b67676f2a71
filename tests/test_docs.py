"""Docs and types: every docstring example runs (each with its module's globals only, so it
runs as written in ``help()``), every public name has one, the plot is labelled, and mypy
catches the planted type errors of tests/typecheck/planted.py."""

from __future__ import annotations

import doctest
import importlib
import inspect
import os
import pkgutil
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import lrcore
import pytest
from lrcore._optional import absent, hint

os.environ.setdefault("KERAS_BACKEND", "jax")  # lrcore.keras's examples; tensorflow is not needed

ROOT = Path(__file__).resolve().parent.parent
#: Every module of the package but ``__main__`` (which runs the command line on import).
MODULES = [
    "lrcore",
    *sorted(
        m.name
        for m in pkgutil.walk_packages(lrcore.__path__, "lrcore.")
        if not m.name.endswith("__main__")
    ),
]
PUBLIC = [m for m in MODULES if not any(part.startswith("_") for part in m.split("."))]
#: The Rust class's public methods and properties (their docstrings are written in Rust).
#: ``__call__`` is not among them: PyO3 keeps no docstring for it, so the class docstring
#: shows calls.
SCHEDULE_MEMBERS = [
    "values",
    "values_at",
    "total_steps",
    "batch_size",
    "clip",
    "shift",
    "per_epoch",
    "to_json",
    "to_dict",
    "plot",
]


def _module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:  # an optional dependency (torch, jax, ...) is absent
        if err.name is None or err.name.split(".")[0] == "lrcore":
            raise
        pytest.skip(f"{name} needs {err.name}")


class _Runner(doctest.DocTestRunner):
    """Records the optional packages (of ``lrcore._optional.EXTRAS``) an example missed, so
    that a run without an extra skips, naming it, instead of failing."""

    absent: set[str]

    def report_unexpected_exception(self, out: Any, test: Any, example: Any, exc_info: Any) -> None:
        err = exc_info[1]
        if isinstance(err, ModuleNotFoundError):
            package = absent(err)
            if package is not None:
                self.absent.add(package)
        super().report_unexpected_exception(out, test, example, exc_info)


def _run(tests: list[doctest.DocTest]) -> None:
    runner = _Runner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.absent = set()
    report: list[str] = []
    for test in tests:
        runner.run(test, out=report.append)
    if runner.absent:
        pytest.skip(", ".join(f"needs {p}: {hint(p)}" for p in sorted(runner.absent)))
    assert runner.failures == 0, "".join(report)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = _module(name)
    tests = doctest.DocTestFinder().find(module)
    _run(tests)


def test_schedule_property_doctests() -> None:
    """DocTestFinder skips the Rust class's properties (getset descriptors)."""
    parser = doctest.DocTestParser()
    tests = []
    for member in ("total_steps", "batch_size"):
        doc = inspect.getdoc(getattr(lrcore.Schedule, member)) or ""
        tests.append(parser.get_doctest(doc, {}, member, None, 0))
    _run(tests)


def _has_example(obj: Any) -> bool:
    return ">>>" in (obj.__doc__ or "")


def _public_objects() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name in PUBLIC:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as err:
            if err.name is None or err.name.split(".")[0] == "lrcore":
                raise
            continue  # optional dependency absent: test_doctests says so
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            is_code = inspect.isclass(obj) or inspect.isroutine(obj)
            if is_code and getattr(obj, "__module__", "").startswith("lrcore"):
                found.setdefault(f"{obj.__module__}.{obj.__qualname__}", obj)
    for member in SCHEDULE_MEMBERS:
        found[f"lrcore.Schedule.{member}"] = getattr(lrcore.Schedule, member)
    return found


def test_every_public_function_and_class_has_an_example() -> None:
    missing = {name for name, obj in _public_objects().items() if not _has_example(obj)}
    assert not missing, f"public names without a >>> example: {sorted(missing)}"


def test_plot_labels_its_lines_with_the_repr() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = lrcore.warmup(10, lrcore.cosine(1.0, 0.1, 90))
    ax = s.plot()
    assert [line.get_label() for line in ax.get_lines()] == [repr(s)]
    ax = s.plot(label="lr", ax=ax)
    assert ax.get_lines()[-1].get_label() == "lr"
    batch = lrcore.stack([lrcore.constant(1.0), lrcore.linear(1.0, 0.0, 5)])
    ax = batch.plot(n=10)
    assert [line.get_label() for line in ax.get_lines()] == [f"{batch!r}[0]", f"{batch!r}[1]"]
    plt.close("all")


def test_mypy_catches_planted_type_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    api = pytest.importorskip("mypy.api")
    path = ROOT / "tests" / "typecheck" / "planted.py"
    monkeypatch.setenv("MYPYPATH", str(ROOT / "python"))  # the stub and sources of this tree
    stdout, stderr, _ = api.run(["--strict", "--no-error-summary", str(path)])
    assert stderr == ""
    expected_errors: dict[int, tuple[str, str]] = {}
    expected_types: dict[int, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if m := re.search(r"  # E: ([\w-]+) ?(.*)$", line):
            expected_errors[number] = (m[1], m[2])
        elif m := re.search(r"  # R: (.*)$", line):
            expected_types[number] = m[1]
    errors: dict[int, list[tuple[str, str]]] = {}
    types: dict[int, str] = {}
    for line in stdout.splitlines():
        if m := re.match(r".*planted\.py:(\d+): error: (.*)  \[([\w-]+)\]$", line):
            errors.setdefault(int(m[1]), []).append((m[3], m[2]))
        elif m := re.match(r'.*planted\.py:(\d+): note: Revealed type is "(.*)"$', line):
            types[int(m[1])] = m[2]
    assert types == expected_types, stdout
    assert set(errors) == set(expected_errors), stdout
    for number, (code, text) in expected_errors.items():
        assert [(c, msg) for c, msg in errors[number] if c == code and text in msg], stdout
