"""The stream contract of lrcore.search: golden values, `start=` continuation, reproducibility.

The golden file pins every method's stream; a change of stream is a breaking change. To
regenerate it deliberately: ``LRCORE_REGEN_GOLDEN=1 pytest tests/test_search_streams.py``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from lrcore import search

GOLDEN = Path(__file__).parent / "golden" / "search_streams.json"
METHODS = ["random", "sobol", "halton", "lhs"]


def golden_space() -> search.Space:
    return search.Space(
        lr=search.loguniform(1e-5, 1.0),
        momentum=search.uniform(0.8, 0.99).when(opt="sgd"),
        opt=search.choice(["sgd", "adam", "adamw"], weights=[2, 1, 1]),
        warmup=search.integer(0, 5000),
        layers=search.integer(1, 9, log=True),
        batch=search.choice([32, 64, 128, 256]),
        dropout=search.uniform(0.0, 0.5, step=0.1),
        noise=search.normal(0.0, 1.0),
        scale=search.lognormal(0.0, 0.5),
        depth=search.integer(2, 10, step=2).when(opt=["adam", "adamw"]),
    )


def draw(method: str) -> dict[str, Any]:
    space = golden_space()
    out: dict[str, Any] = {"head": space.sample(8, seed=2024, method=method).to_dicts()}
    if method != "lhs":
        out["far"] = space.sample(4, seed=7, method=method, start=123_456).to_dicts()
    return out


def test_golden_streams() -> None:
    current = {"space": golden_space().to_dict(), "streams": {m: draw(m) for m in METHODS}}
    if os.environ.get("LRCORE_REGEN_GOLDEN"):
        GOLDEN.write_text(json.dumps(current, indent=1) + "\n")
    expected = json.loads(GOLDEN.read_text())
    assert expected["space"] == current["space"]
    for method in METHODS:
        assert current["streams"][method] == expected["streams"][method], method


@pytest.mark.parametrize("method", ["random", "sobol", "halton"])
def test_start_continues_the_stream(method: str) -> None:
    space = golden_space()
    whole = space.sample(30_000, seed=5, method=method)
    part = space.sample(12_345, seed=5, method=method, start=17_000)
    for name in space.names:
        np.testing.assert_array_equal(part[name], whole[name][17_000:29_345])


def test_same_seed_same_rows_other_seed_other_rows() -> None:
    space = golden_space()
    for method in METHODS:
        a = space.sample(100, seed=1, method=method)
        b = space.sample(100, seed=1, method=method)
        c = space.sample(100, seed=2, method=method)
        assert a.to_dicts() == b.to_dicts()
        assert not np.array_equal(a["lr"], c["lr"])


def test_a_condition_does_not_move_other_columns() -> None:
    plain = search.Space(opt=search.choice(["sgd", "adam"]), m=search.uniform(0, 1))
    cond = search.Space(opt=search.choice(["sgd", "adam"]), m=search.uniform(0, 1).when(opt="sgd"))
    a = plain.sample(1000, seed=3)
    b = cond.sample(1000, seed=3)
    np.testing.assert_array_equal(a["opt"], b["opt"])
    on = a["opt"] == "sgd"
    np.testing.assert_array_equal(a["m"][on], b["m"][on])
    assert np.isnan(b["m"][~on]).all()


def test_golden_values_are_plain_python() -> None:
    row = golden_space().sample(1, seed=0).to_dicts()[0]
    assert type(row["warmup"]) is int
    assert type(row["batch"]) is int
    assert type(row["lr"]) is float
    assert isinstance(row["opt"], str)
    assert math.isfinite(row["noise"])
