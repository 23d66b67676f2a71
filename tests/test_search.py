"""lrcore.search: distributions, statistics, discrepancy, conditions, grids, Trials, JSON, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from lrcore import search
from lrcore.search import choice, integer, lognormal, loguniform, normal, uniform

METHODS = ["random", "sobol", "halton", "lhs"]
N = 4096


def one(dist: search.Distribution, n: int = N, method: str = "random", seed: int = 0) -> np.ndarray:
    return search.Space(x=dist).sample(n, seed=seed, method=method)["x"]


# ---- statistics (fixed seeds; thresholds at the 1e-3 level of the tests) ---------------------


@pytest.mark.parametrize("method", METHODS)
def test_uniform_ks(method: str) -> None:
    from scipy import stats

    x = one(uniform(-2.0, 3.0), method=method)
    assert x.min() > -2.0 and x.max() < 3.0
    assert stats.kstest(x, stats.uniform(-2.0, 5.0).cdf).pvalue > 1e-3


@pytest.mark.parametrize("method", METHODS)
def test_loguniform_ks_on_log_scale(method: str) -> None:
    from scipy import stats

    x = one(loguniform(1e-5, 1.0), method=method)
    assert x.min() >= 1e-5 and x.max() <= 1.0
    assert stats.kstest(x, stats.loguniform(1e-5, 1.0).cdf).pvalue > 1e-3


@pytest.mark.parametrize("method", METHODS)
def test_normal_and_lognormal_ks(method: str) -> None:
    from scipy import stats

    assert (
        stats.kstest(one(normal(1.0, 2.0), method=method), stats.norm(1.0, 2.0).cdf).pvalue > 1e-3
    )
    y = one(lognormal(0.5, 0.25), method=method)
    assert stats.kstest(y, stats.lognorm(0.25, scale=math.exp(0.5)).cdf).pvalue > 1e-3


@pytest.mark.parametrize("method", METHODS)
def test_integer_chi_square_and_both_ends(method: str) -> None:
    from scipy import stats

    x = one(integer(3, 12), method=method)
    assert x.dtype == np.int64
    counts = np.bincount(x - 3, minlength=10)
    assert counts.sum() == N and x.min() == 3 and x.max() == 12
    assert stats.chisquare(counts).pvalue > 1e-3


def test_integer_step_levels_equally_likely() -> None:
    from scipy import stats

    x = one(integer(0, 10, step=5), n=30_000)
    vals, counts = np.unique(x, return_counts=True)
    assert vals.tolist() == [0, 5, 10]
    assert stats.chisquare(counts).pvalue > 1e-3


def test_uniform_step_levels_ends_exact_and_equal_weight() -> None:
    from scipy import stats

    x = one(uniform(0.0, 1.0, step=0.25), n=30_000)
    vals, counts = np.unique(x, return_counts=True)
    assert vals.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert stats.chisquare(counts).pvalue > 1e-3
    # hi not a multiple of step: the largest level below hi, never above it
    y = one(uniform(0.0, 1.0, step=0.3))
    assert np.unique(y).tolist() == [0.0, 0.3, 0.6, 0.8999999999999999]


def test_log_integer_follows_optuna_rule() -> None:
    from scipy import stats

    x = one(integer(1, 9, log=True), n=60_000)
    edges = np.log(np.arange(0.5, 10.0, 1.0))
    p = np.diff(edges) / (edges[-1] - edges[0])
    counts = np.bincount(x - 1, minlength=9)
    assert stats.chisquare(counts, p * counts.sum()).pvalue > 1e-3
    assert abs(counts[0] / counts.sum() - 0.3731) < 0.01


@pytest.mark.parametrize("method", METHODS)
def test_weighted_choice_chi_square(method: str) -> None:
    from scipy import stats

    x = one(choice(["a", "b", "c", "d"], weights=[1, 2, 3, 0]), method=method)
    assert x.dtype == object
    counts = np.array([np.sum(x == o) for o in "abcd"])
    assert counts[3] == 0
    assert stats.chisquare(counts[:3], np.array([1, 2, 3]) / 6 * N).pvalue > 1e-3


def test_choice_columns_hold_the_options() -> None:
    t = search.Space(
        b=choice([32, 64]), f=choice([0.1, 0.5]), s=choice(["x", "y"]), t=choice([True, False])
    ).sample(100)
    assert t["b"].dtype == np.int64 and set(t["b"].tolist()) == {32, 64}
    assert t["f"].dtype == np.float64 and set(t["f"].tolist()) == {0.1, 0.5}
    assert t["s"].dtype == object and set(t["s"].tolist()) == {"x", "y"}
    assert t["t"].dtype == bool
    row = t.to_dicts()[0]
    assert type(row["b"]) is int and type(row["t"]) is bool and type(row["s"]) is str


def test_sobol_balances_choice_and_integer_levels() -> None:
    t = search.Space(b=choice([1, 2, 3, 4]), w=integer(0, 7)).sample(
        1024, method="sobol", start=1024
    )
    assert np.bincount(t["b"]).tolist() == [0, 256, 256, 256, 256]
    assert np.bincount(t["w"]).tolist() == [128] * 8


def test_lhs_one_point_per_stratum() -> None:
    x = one(uniform(0.0, 1.0), n=1000, method="lhs")
    assert sorted(np.floor(x * 1000).astype(int).tolist()) == list(range(1000))


# ---- discrepancy --------------------------------------------------------------------------


def unit_space(d: int) -> search.Space:
    return search.Space({f"x{i}": uniform(0.0, 1.0) for i in range(d)})


def cd(method: str, seed: int) -> float:
    from scipy.stats import qmc

    t = unit_space(8).sample(1024, seed=seed, method=method)
    return float(qmc.discrepancy(np.column_stack([t[f"x{i}"] for i in range(8)])))


def test_discrepancy_against_random_and_scipy_sobol() -> None:
    from scipy.stats import qmc

    med = {m: float(np.median([cd(m, s) for s in range(5)])) for m in METHODS}
    scipy_sobol = float(
        np.median([qmc.discrepancy(qmc.Sobol(8, seed=s).random_base2(10)) for s in range(5)])
    )
    # anchors/search_anchors.md: random 3.11e-3, scrambled Sobol 2.4e-4, Halton 3.6e-4, LHS 1.59e-3
    assert med["sobol"] < 1.5 * scipy_sobol
    assert med["sobol"] < med["random"] / 5
    assert med["halton"] < med["random"] / 4
    assert med["lhs"] < med["random"]


# ---- conditions ---------------------------------------------------------------------------


def cond_space() -> search.Space:
    return search.Space(
        opt=choice(["sgd", "adam", "rmsprop"]),
        momentum=uniform(0.8, 0.99).when(opt="sgd"),
        beta=choice(["a", "b"]).when(opt=["adam", "rmsprop"]),
        layers=integer(1, 3),
        width=integer(8, 64).when(layers=[2, 3], opt="adam"),
    )


@pytest.mark.parametrize("method", METHODS)
def test_conditional_columns(method: str) -> None:
    t = cond_space().sample(2000, seed=4, method=method)
    opt = t["opt"]
    assert np.isnan(t["momentum"][opt != "sgd"]).all()
    assert not np.isnan(t["momentum"][opt == "sgd"]).any()
    assert all(b is None for b in t["beta"][opt == "sgd"])
    assert all(b in ("a", "b") for b in t["beta"][opt != "sgd"])
    on = (opt == "adam") & (t["layers"] >= 2)
    assert t["width"].dtype == np.float64
    assert np.isnan(t["width"][~on]).all() and (t["width"][on] >= 8).all()
    for row in t.to_dicts():
        assert ("momentum" in row) == (row["opt"] == "sgd")
        assert ("width" in row) == (row["opt"] == "adam" and row["layers"] >= 2)
        if "width" in row:
            assert type(row["width"]) is int


def test_condition_chains_through_inactive_parents() -> None:
    s = search.Space(
        a=choice(["x", "y"]), b=choice(["p", "q"]).when(a="x"), c=uniform(0, 1).when(b="p")
    )
    t = s.sample(500, seed=1)
    on = (t["a"] == "x") & (t["b"] == "p")
    assert np.isnan(t["c"][~on]).all() and not np.isnan(t["c"][on]).any()


# ---- grid ---------------------------------------------------------------------------------


def test_grid_axes() -> None:
    s = search.Space(
        lr=loguniform(1e-4, 1.0), m=uniform(0.0, 1.0), w=integer(0, 10), b=choice(["x", "y"])
    )
    g = s.grid(5)
    assert len(g) == 5 * 5 * 5 * 2
    lr = np.unique(g["lr"])
    assert lr[0] == 1e-4 and lr[-1] == 1.0  # exact ends; geometric inside (to rounding)
    np.testing.assert_allclose(lr, [1e-4, 1e-3, 1e-2, 0.1, 1.0], rtol=1e-15)
    assert np.unique(g["m"]).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert np.unique(g["w"]).tolist() == [0, 3, 5, 8, 10]  # 2.5 and 7.5 round half away from 0
    assert g.to_dicts()[:2] == [
        {"lr": 1e-4, "m": 0.0, "w": 0, "b": "x"},
        {"lr": 1e-4, "m": 0.0, "w": 0, "b": "y"},
    ]
    assert np.unique(search.Space(w=integer(1, 3)).grid(10)["w"]).tolist() == [1, 2, 3]


def test_grid_conditional_only_where_active() -> None:
    g = search.Space(opt=choice(["sgd", "adam"]), m=uniform(0.8, 0.9).when(opt="sgd")).grid(3)
    assert g.to_dicts() == [
        {"opt": "sgd", "m": 0.8},
        {"opt": "sgd", "m": 0.8500000000000001},
        {"opt": "sgd", "m": 0.9},
        {"opt": "adam"},
    ]


# ---- Trials -------------------------------------------------------------------------------


def test_trials_api(tmp_path: object) -> None:
    t = cond_space().sample(5, seed=9)
    assert len(t) == 5 and t.names == cond_space().names
    rows = list(t)
    assert rows == t.to_dicts()
    lines = t.to_jsonl().splitlines()
    assert [json.loads(line) for line in lines] == rows
    csv_text = t.to_csv()
    header, *body = csv_text.splitlines()
    assert header == "opt,momentum,beta,layers,width"
    assert len(body) == 5
    df = t.to_pandas()
    assert list(df.columns) == t.names and len(df) == 5
    assert "Trials: 5 rows" in repr(t)


def test_empty_sample() -> None:
    t = cond_space().sample(0)
    assert len(t) == 0 and t.to_dicts() == [] and t["momentum"].shape == (0,)


# ---- round trips --------------------------------------------------------------------------


def test_space_round_trips() -> None:
    s = cond_space()
    assert search.Space.from_dict(s.to_dict()) == s
    assert search.Space.from_json(s.to_json()) == s
    assert (
        search.Space.from_json(s.to_json()).sample(50, seed=3).to_dicts()
        == s.sample(50, seed=3).to_dicts()
    )
    assert repr(uniform(0.8, 0.99).when(opt="sgd")) == "uniform(0.8, 0.99).when(opt='sgd')"
    assert repr(integer(1, 8, log=True)) == "integer(1, 8, log=True)"


# ---- bad input ----------------------------------------------------------------------------

BAD = [
    (
        lambda: search.Space(),
        ValueError,
        "Space(): the space must be given at least one parameter, got none",
    ),
    (lambda: uniform(1.0, 0.5), ValueError, "uniform(): hi must be at least lo = 1.0, got 0.5"),
    (lambda: integer(5, 2), ValueError, "integer(): hi must be at least lo = 5, got 2"),
    (lambda: loguniform(0.0, 1.0), ValueError, "loguniform(): lo must be positive, got 0.0"),
    (lambda: loguniform(-1.0, 1.0), ValueError, "loguniform(): lo must be positive, got -1.0"),
    (
        lambda: integer(0, 10, log=True),
        ValueError,
        "integer(): lo must be at least 1 when log=True, got 0",
    ),
    (
        lambda: uniform(float("nan"), 1.0),
        ValueError,
        "uniform(): lo must be a finite number, got nan",
    ),
    (
        lambda: loguniform(1e-3, float("inf")),
        ValueError,
        "loguniform(): hi must be a finite number, got inf",
    ),
    (lambda: choice([]), ValueError, "choice(): options must be a non-empty list, got []"),
    (
        lambda: choice(["a", "b"], weights=[1.0, -1.0]),
        ValueError,
        "choice(): weights must be non-negative finite numbers with a positive sum, got [1.0, -1.0]",
    ),
    (
        lambda: choice(["a", "b"], weights=[1.0]),
        ValueError,
        "choice(): weights must be a list of one weight per option (2), got 1 weights",
    ),
    (
        lambda: normal(0.0, 0.0),
        ValueError,
        "normal(): sigma must be a positive finite number, got 0.0",
    ),
    (
        lambda: search.Space(x=uniform(0, 1)).sample(5, method="grid"),
        ValueError,
        "Space.sample(): method must be one of 'random', 'sobol', 'halton', 'lhs', got 'grid'",
    ),
    (
        lambda: search.Space(m=uniform(0, 1).when(opt="sgd")),
        ValueError,
        "Space(): m's condition must be on another parameter of the space, got 'opt'",
    ),
    (
        lambda: search.Space(opt=choice(["sgd"]), m=uniform(0, 1).when(opt="adam")),
        ValueError,
        "Space(): m's condition on 'opt' must be values that 'opt' can take, got 'adam'",
    ),
    (
        lambda: search.Space(a=uniform(0, 1), m=uniform(0, 1).when(a=1)),
        ValueError,
        "Space(): m's condition on 'a' must be on a choice or integer parameter, got a uniform parameter",
    ),
    (
        lambda: search.Space(a=choice([1, 2]).when(b=1), b=choice([1, 2]).when(a=1)),
        ValueError,
        "Space(): conditions must be free of cycles, got a -> b -> a",
    ),
    (
        lambda: search.Space(x=uniform(0, 1)).sample(-1),
        ValueError,
        "Space.sample(): n must be a non-negative integer, got -1",
    ),
    (
        lambda: search.Space(x=uniform(0, 1)).sample(5, method="lhs", start=3),
        ValueError,
        "Space.sample(): start must be 0 with method 'lhs' (a Latin hypercube is one design of n "
        "rows, not a stream), got 3",
    ),
    (
        lambda: search.Space(x=uniform(0, 1)).sample(5, seed=-1),
        ValueError,
        "Space.sample(): seed must be an integer in [0, 2**64), got -1",
    ),
    (
        lambda: search.Space(x=uniform(0, 1)).sample(1, start=2**48),
        ValueError,
        "Space.sample(): start + n must be at most 2**48, got 281474976710656 + 1",
    ),
    (
        lambda: search.Space({f"x{i}": uniform(0, 1) for i in range(1025)}).sample(
            1, method="sobol"
        ),
        ValueError,
        "Space.sample(): the space must be at most 1024 parameters with method 'sobol', got 1025 "
        "parameters",
    ),
    (
        lambda: search.Space(x=uniform(0, 1)).grid(1),
        ValueError,
        "Space.grid(): k must be an integer >= 2, got 1",
    ),
    (lambda: uniform("a", 1.0), TypeError, "uniform(): lo must be a number, got 'a' of type 'str'"),
    (
        lambda: integer(0.5, 3),
        TypeError,
        "integer(): lo must be an integer, got 0.5 of type 'float'",
    ),
    (
        lambda: search.Space(x=1.0),
        TypeError,
        "Space(): x must be a distribution (uniform(), choice(), ...), got 1.0 of type 'float'",
    ),
    (
        lambda: search.Space(x=uniform(0, 1)).sample(2.5),
        TypeError,
        "Space.sample(): n must be an integer, got 2.5 of type 'float'",
    ),
]


@pytest.mark.parametrize(("make", "exc", "message"), BAD)
def test_bad_input_messages(make: object, exc: type, message: str) -> None:
    with pytest.raises(exc) as info:
        make()  # type: ignore[operator]
    assert str(info.value) == message


def test_from_dict_names_the_parameter() -> None:
    with pytest.raises(ValueError) as info:
        search.Space.from_dict({"lr": {"kind": "loguniform", "lo": 0, "hi": 1}})
    assert (
        str(info.value)
        == "Space.from_dict(): parameter 'lr': loguniform(): lo must be positive, got 0.0"
    )


def test_too_large_sample_is_a_memory_error() -> None:
    with pytest.raises(MemoryError):
        unit_space(8).sample(2**47)


def test_import_lrcore_does_not_import_search_deps() -> None:
    import subprocess
    import sys

    code = "import lrcore, sys; print('scipy' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_space_pickles_and_copies() -> None:
    import copy
    import pickle

    space = search.Space(
        lr=search.loguniform(1e-5, 1.0),
        opt=search.choice(["sgd", "adam"]),
        momentum=search.uniform(0.8, 0.99).when(opt="sgd"),
    )
    for clone in (pickle.loads(pickle.dumps(space)), copy.deepcopy(space)):
        assert clone == space
        assert clone.sample(8, seed=3).to_dicts() == space.sample(8, seed=3).to_dicts()
