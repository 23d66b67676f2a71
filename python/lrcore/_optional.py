"""Optional dependencies: which extra installs each, and the one-line error when one is absent.

A module that needs an optional package imports it like this, so that ``import lrcore.torch``
without torch fails with ``ImportError: lrcore.torch needs torch: pip install 'lrcore[torch]'``
instead of a bare ``ModuleNotFoundError``::

    try:
        import torch
    except ModuleNotFoundError as err:
        raise missing(__name__, err) from None

Only the absence of a package listed in :data:`EXTRAS` is translated; any other import error
(a broken install, a missing shared library) passes through unchanged.
"""

from __future__ import annotations

#: Top-level import name -> the extra of ``pyproject.toml`` that installs it. The ``test``
#: extra holds the packages only the test suite and the benchmarks use.
EXTRAS = {
    "torch": "torch",
    "matplotlib": "plot",
    "sklearn": "demo",
    "jax": "jax",
    "optax": "jax",
    "keras": "keras",
    "optuna": "optuna",
    "ray": "ray",
    "scipy": "test",
    "transformers": "test",
    "lightning": "test",
    "timm": "test",
    "pandas": "pandas",
    "hypothesis": "test",
    "pytest_benchmark": "test",
}


def hint(package: str) -> str:
    """``pip install 'lrcore[extra]'`` for an optional top-level package of :data:`EXTRAS`."""
    return f"pip install 'lrcore[{EXTRAS[package]}]'"


def absent(err: ModuleNotFoundError) -> str | None:
    """The optional package (top-level name) whose absence raised ``err``, or None when
    ``err`` is about a module outside :data:`EXTRAS`."""
    package = (err.name or "").partition(".")[0]
    return package if package in EXTRAS else None


def missing(importer: str, err: ModuleNotFoundError) -> ModuleNotFoundError:
    """The error to raise when ``importer`` (a module name, or ``"Schedule.plot()"``) could
    not import an optional package: one line naming the package and the extra (still a
    ModuleNotFoundError, an ImportError, whose ``name`` is the package), or ``err`` itself when
    it is not about an absent optional package."""
    package = absent(err)
    if package is None:
        return err
    return ModuleNotFoundError(f"{importer} needs {package}: {hint(package)}", name=package)
