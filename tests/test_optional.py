"""Optional dependencies: one-line import errors naming the extra, the test suite's skips, and
``lrcore bench`` saying which rows it left out. An absent package is simulated in a fresh
interpreter by ``sys.modules[name] = None``, which makes importing it fail as if uninstalled."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from lrcore import _optional, bench


def run_without(packages: list[str], code: str, cwd: Path | None = None) -> str:
    """stderr + stdout of ``code`` run in a fresh interpreter where ``packages`` are absent."""
    prelude = "".join(f"sys.modules[{p!r}] = None; " for p in packages)
    r = subprocess.run(
        [sys.executable, "-c", f"import sys; {prelude}\n{code}"],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "300"},  # pytest's verbose lines, untruncated
    )
    return r.stderr + r.stdout


@pytest.mark.parametrize(
    ("module", "package", "extra"),
    [
        ("lrcore.torch", "torch", "torch"),
        ("lrcore.hf", "torch", "torch"),
        ("lrcore.search.optuna", "optuna", "optuna"),
        ("lrcore.search.ray", "ray", "ray"),
    ],
)
def test_optional_module_fails_with_one_line_naming_the_extra(
    module: str, package: str, extra: str
) -> None:
    out = run_without([package], f"import {module}")
    assert out.splitlines()[-1] == (
        f"ModuleNotFoundError: {module} needs {package}: pip install 'lrcore[{extra}]'"
    )
    # the original error is not chained onto it
    assert "During handling" not in out and "direct cause" not in out


@pytest.mark.parametrize(
    ("package", "code", "message"),
    [
        (
            "matplotlib",
            "lrcore.cosine(1.0, 0.0, 10).plot()",
            "Schedule.plot() needs matplotlib: pip install 'lrcore[plot]'",
        ),
        (
            "pandas",
            "lrcore.search.Space(x=lrcore.search.uniform(0, 1)).sample(2).to_pandas()",
            "Trials.to_pandas() needs pandas: pip install 'lrcore[pandas]'",
        ),
    ],
)
def test_optional_method_fails_with_one_line_naming_the_extra(
    package: str, code: str, message: str
) -> None:
    out = run_without([package], f"import lrcore, lrcore.search; {code}")
    assert out.splitlines()[-1] == f"ModuleNotFoundError: {message}"


def test_core_import_needs_no_extra() -> None:
    absent = sorted(_optional.EXTRAS)
    out = run_without(absent, "import lrcore, lrcore.search, lrcore.cli; print('ok')")
    assert out == "ok\n"


def test_missing_translates_only_absent_optional_packages() -> None:
    err = ModuleNotFoundError("No module named 'scipy.stats'", name="scipy.stats")
    translated = _optional.missing("lrcore.x", err)
    assert str(translated) == "lrcore.x needs scipy: pip install 'lrcore[test]'"
    assert translated.name == "scipy"
    other = ModuleNotFoundError("No module named 'yaml'", name="yaml")
    assert _optional.missing("lrcore.x", other) is other
    assert _optional.absent(ModuleNotFoundError("no name")) is None


def test_conftest_skips_modules_and_tests_naming_the_extra(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        (Path(__file__).parent / "conftest.py").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "test_top.py").write_text("from scipy import stats\n\ndef test_a():\n    pass\n")
    (tmp_path / "test_lrcore_torch.py").write_text(
        "from lrcore.torch import StepLR\n\ndef test_b():\n    pass\n"
    )
    (tmp_path / "test_inside.py").write_text(
        textwrap.dedent(
            """
            import pytest

            def test_scipy():
                import scipy

            def test_drop_in():
                from lrcore.torch import StepLR

            @pytest.fixture
            def figure():
                import matplotlib

            def test_fixture(figure):
                pass

            def test_plain():
                assert 1 + 1 == 2

            def test_other_missing_module_fails():
                import lrcore_no_such_module

            @pytest.mark.needs("numpy", "matplotlib")
            def test_marked():
                pass
            """
        )
    )
    out = run_without(
        ["scipy", "torch", "matplotlib"],
        "import pytest; sys.exit(pytest.main(['-v', '-rsf', '-p', 'no:cacheprovider']))",
        cwd=tmp_path,
    )
    outcomes = sorted(re.findall(r"^(\S+) (PASSED|FAILED|SKIPPED)(?: \((.*)\))?", out, re.M))
    assert outcomes == [
        ("test_inside.py::test_drop_in", "SKIPPED", "needs torch: pip install 'lrcore[torch]'"),
        ("test_inside.py::test_fixture", "SKIPPED", "needs matplotlib: pip install 'lrcore[plot]'"),
        ("test_inside.py::test_marked", "SKIPPED", "needs matplotlib: pip install 'lrcore[plot]'"),
        ("test_inside.py::test_other_missing_module_fails", "FAILED", ""),
        ("test_inside.py::test_plain", "PASSED", ""),
        ("test_inside.py::test_scipy", "SKIPPED", "needs scipy: pip install 'lrcore[test]'"),
    ]
    # a module whose top imports an absent extra is one skipped module, with the reason
    modules = sorted(re.findall(r"^SKIPPED \[1\] \S+ (test_\S+ needs .*)$", out, re.M))
    assert modules == [
        "test_lrcore_torch.py needs torch: pip install 'lrcore[torch]'",
        "test_top.py needs scipy: pip install 'lrcore[test]'",
    ]
    assert "1 failed, 1 passed, 6 skipped" in out
    assert "FAILED test_inside.py::test_other_missing_module_fails" in out


def test_bench_says_which_rows_it_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "_installed", lambda package: package != "torch")
    assert bench.left_out() == [
        "every drop-in's step() against torch's: torch is not installed "
        "(pip install 'lrcore[torch]')"
    ]
    monkeypatch.setattr(bench, "_installed", lambda package: True)
    assert bench.left_out() == []
