"""The PEP 517 build backend of lrcore: maturin's, after checking that cargo is on PATH.

Without cargo, maturin's backend tries to download a Rust toolchain and, offline or behind a
proxy, ends in a long traceback; this one stops at the first hook with one line saying what to
install. The Rust version comes from ``rust-version`` in Cargo.toml.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import maturin


def _need_cargo() -> None:
    if shutil.which("cargo") is None:
        cargo_toml = Path("Cargo.toml").read_text(encoding="utf-8")
        found = re.search(r'^rust-version\s*=\s*"([^"]+)"', cargo_toml, re.MULTILINE)
        version = f" >= {found.group(1)}" if found else ""
        raise SystemExit(
            f"building lrcore from source needs cargo: install Rust{version} (https://rustup.rs)"
        )


def _checked(hook: Any) -> Any:
    def run(*args: Any, **kwargs: Any) -> Any:
        _need_cargo()
        return hook(*args, **kwargs)

    run.__name__ = hook.__name__
    run.__doc__ = hook.__doc__
    return run


build_wheel = _checked(maturin.build_wheel)
build_sdist = _checked(maturin.build_sdist)
build_editable = _checked(maturin.build_editable)
get_requires_for_build_wheel = _checked(maturin.get_requires_for_build_wheel)
get_requires_for_build_sdist = _checked(maturin.get_requires_for_build_sdist)
get_requires_for_build_editable = _checked(maturin.get_requires_for_build_editable)
prepare_metadata_for_build_wheel = _checked(maturin.prepare_metadata_for_build_wheel)
prepare_metadata_for_build_editable = _checked(maturin.prepare_metadata_for_build_editable)
