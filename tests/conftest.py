"""Skips tests whose optional dependency is absent, naming the extra that installs it.

Nothing to write in a test file: a module that imports an optional package at its top
(``import torch``, ``from scipy import stats``, ``from lrcore.torch import ...``) is reported as
one skipped module, and a test whose body imports one that is absent is skipped, both with the
reason ``needs torch: pip install 'lrcore[torch]'``. A test that uses a package only through a
subprocess or the command line says so: ``@pytest.mark.needs("matplotlib")``. The table of
optional packages and their extras is ``lrcore._optional.EXTRAS``; the lrcore modules that need
one are listed below. With every extra installed (``pip install 'lrcore[test]'``) nothing is
skipped.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
from lrcore._optional import EXTRAS, absent, hint

#: lrcore's modules that need an optional package, and which.
NEEDS = {
    "lrcore.torch": "torch",
    "lrcore.hf": "torch",
    "lrcore.lr_find": "torch",
    "lrcore.search.optuna": "optuna",
    "lrcore.search.ray": "ray",
}


def _reason(package: str) -> str:
    return f"needs {package}: {hint(package)}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "needs(*packages): skip unless these optional packages are installed; for a test that "
        "uses them only through a subprocess or the command line, where no import error reaches "
        "pytest",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        not_installed = [
            package
            for mark in item.iter_markers("needs")
            for package in mark.args
            if importlib.util.find_spec(package) is None
        ]
        if not_installed:
            item.add_marker(pytest.mark.skip(reason=_reason(not_installed[0])))


def _top_level_imports(path: Path) -> list[str]:
    """The modules a test file imports at its top level (not inside functions)."""
    names: list[str] = []
    for node in ast.parse(path.read_bytes(), filename=str(path)).body:
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _missing_package(path: Path) -> str | None:
    for name in _top_level_imports(path):
        package = NEEDS.get(name, name.partition(".")[0])
        if package in EXTRAS and importlib.util.find_spec(package) is None:
            return package
    return None


class _SkippedModule(pytest.Module):
    """A test module that is not imported, reported as skipped."""

    reason = ""

    def collect(self) -> Any:
        pytest.skip(self.reason, allow_module_level=True)


def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> Any:
    package = _missing_package(module_path)
    if package is None:
        return None
    module = _SkippedModule.from_parent(parent, path=module_path)
    # pytest reports a collection skip at the line that raised it (here), so the reason names
    # the module
    module.reason = f"{module_path.name} {_reason(package)}"
    return module


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    try:
        return (yield)
    except ModuleNotFoundError as err:
        package = absent(err)
        if package is not None and importlib.util.find_spec(package) is None:
            pytest.skip(_reason(package))
        raise


# A fixture that imports an absent optional package skips its tests the same way.
pytest_runtest_setup = pytest_runtest_call


def pytest_report_header() -> str:
    import lrcore

    return f"lrcore {lrcore.__version__} from {Path(lrcore.__file__).parent}"
