"""lrcore.search on real engines: an Optuna sampler (trial k gets stream row k, also across worker
processes sharing a journal file) and a Ray Tune searcher (stream rows in trial order)."""

from __future__ import annotations

import json
import math
import operator
import os
import pickle
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import optuna
import pytest
from lrcore import search
from lrcore.search.optuna import Sampler, suggest
from optuna.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

optuna.logging.set_verbosity(optuna.logging.WARNING)


def mixed_space() -> search.Space:
    return search.Space(
        lr=search.loguniform(1e-5, 1.0),
        opt=search.choice(["sgd", "adam", "adamw"]),
        momentum=search.uniform(0.8, 0.99).when(opt="sgd"),
        warmup=search.integer(0, 5000),
        batch=search.choice([32, 64, 128, 256]),
        dropout=search.uniform(0.0, 0.5, step=0.1),
        depth=search.integer(2, 10, step=2).when(opt=["adam", "adamw"]),
        layers=search.integer(1, 9, log=True),
    )


def key(row: dict[str, Any]) -> str:
    return json.dumps(row, sort_keys=True)


def journal(path: Path) -> Any:
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    return JournalStorage(JournalFileBackend(str(path)))


# -- Optuna: distributions ---------------------------------------------------------------------


def test_to_optuna_distributions() -> None:
    space = search.Space(
        a=search.uniform(0.0, 1.0),
        b=search.uniform(0.0, 0.35, step=0.1),
        c=search.loguniform(1e-5, 1.0),
        d=search.integer(0, 10),
        e=search.integer(3, 50, step=7),
        f=search.integer(1, 9, log=True),
        g=search.choice(["x", 1, 2.5, True, None]),
        h=search.uniform(0.0, 1.0).when(g="x"),
    )
    assert space.to_optuna() == {
        "a": FloatDistribution(0.0, 1.0),
        "b": FloatDistribution(0.0, 0.3, step=0.1),
        "c": FloatDistribution(1e-5, 1.0, log=True),
        "d": IntDistribution(0, 10),
        "e": IntDistribution(3, 45, step=7),
        "f": IntDistribution(1, 9, log=True),
        "g": CategoricalDistribution(["x", 1, 2.5, True, None]),
        "h": FloatDistribution(0.0, 1.0),
    }


@pytest.mark.parametrize(
    ("dist", "message"),
    [
        (
            search.normal(0.0, 1.0),
            "Optuna cannot express parameter 'p': normal(0.0, 1.0) (Optuna has no normal or lognormal distribution)",
        ),
        (
            search.lognormal(0.0, 0.5),
            "Optuna cannot express parameter 'p': lognormal(0.0, 0.5) (Optuna has no normal or lognormal distribution)",
        ),
        (
            search.choice(["a", "b"], weights=[2, 1]),
            "Optuna cannot express parameter 'p': choice(['a', 'b'], weights=[2.0, 1.0]) is a weighted choice (Optuna's categorical distribution is uniform)",
        ),
        (
            search.choice([(1, 2), (3, 4)]),
            "Optuna cannot express parameter 'p': option (1, 2) is of type 'tuple' (Optuna's choices must be None, bool, int, float or str)",
        ),
    ],
)
def test_inexpressible_in_optuna(dist: search.Distribution, message: str) -> None:
    space = search.Space(lr=search.loguniform(1e-5, 1.0), p=dist)
    with pytest.raises(ValueError, match=re.escape(message) + "$"):
        space.to_optuna()
    with pytest.raises(ValueError, match=re.escape(message) + "$"):
        Sampler(space)


def test_sampler_rejects_bad_arguments() -> None:
    space = mixed_space()
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Sampler(): method 'lhs' draws one hypercube of n rows, so trial k has no row of its own; use 'sobol', 'halton' or 'random'"
        ),
    ):
        Sampler(space, method="lhs")
    with pytest.raises(ValueError, match="seed must be an integer in"):
        Sampler(space, seed=-1)
    with pytest.raises(
        TypeError, match=re.escape("Sampler(): space must be an lrcore.search.Space, got 'dict'")
    ):
        Sampler({"lr": search.uniform(0, 1)})  # type: ignore[arg-type]


# -- Optuna: one process -----------------------------------------------------------------------


@pytest.mark.parametrize("method", ["sobol", "halton", "random"])
def test_trial_k_gets_row_k(method: str) -> None:
    space = mixed_space()

    def objective(trial: Any) -> float:
        params = suggest(trial, space)
        trial.suggest_float("extra", 0.0, 1.0)  # define-by-run, outside the space
        return float(params["lr"])

    study = optuna.create_study(sampler=Sampler(space, seed=3, method=method))
    study.optimize(objective, n_trials=70)  # crosses two row blocks
    rows = space.sample(70, seed=3, method=method).to_dicts()
    for trial in study.trials:
        params = dict(trial.params)
        extra = params.pop("extra")
        assert params == rows[trial.number]
        assert 0.0 <= extra <= 1.0
    # the fallback draws depend on (seed, trial number, name) only: the same in a second study
    again = optuna.create_study(sampler=Sampler(space, seed=3, method=method))
    again.optimize(objective, n_trials=5)
    assert [t.params for t in again.trials] == [t.params for t in study.trials[:5]]


def test_inactive_or_foreign_suggestions_fall_back() -> None:
    space = mixed_space()
    rows = space.sample(40, seed=0, method="sobol").to_dicts()

    def objective(trial: Any) -> float:
        trial.suggest_categorical("opt", ["sgd", "adam", "adamw"])
        m = trial.suggest_float("momentum", 0.8, 0.99)  # also where the row leaves it inactive
        w = trial.suggest_int("warmup", 0, 10)  # narrower than the space: the row may not fit
        return m + w

    study = optuna.create_study(sampler=Sampler(space))
    study.optimize(objective, n_trials=40)
    fell_back = 0
    for trial, row in zip(study.trials, rows):
        assert trial.params["opt"] == row["opt"]
        if "momentum" in row:
            assert trial.params["momentum"] == row["momentum"]
        else:
            assert 0.8 <= trial.params["momentum"] <= 0.99
        if row["warmup"] <= 10:
            assert trial.params["warmup"] == row["warmup"]
        else:
            fell_back += 1
            assert 0 <= trial.params["warmup"] <= 10
    assert fell_back > 30


def test_sampler_pickles() -> None:
    sampler = Sampler(mixed_space(), seed=5, method="halton")
    clone = pickle.loads(pickle.dumps(sampler))
    assert clone.space == sampler.space
    assert (
        clone.row(123)
        == sampler.row(123)
        == mixed_space().sample(1, seed=5, method="halton", start=123).to_dicts()[0]
    )


# -- Optuna: worker processes sharing a journal file -------------------------------------------

WORKER = textwrap.dedent(
    """
    import sys, time
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend
    from lrcore import search
    from lrcore.search.optuna import Sampler, suggest

    path, space_json, worker, n = sys.argv[1:]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = search.Space.from_json(space_json)
    storage = JournalStorage(JournalFileBackend(path))
    study = optuna.create_study(
        study_name="sweep", storage=storage, load_if_exists=True,
        sampler=Sampler(space, seed=0, method="sobol"),
    )

    def objective(trial):
        trial.set_user_attr("worker", worker)
        params = suggest(trial, space)
        time.sleep(0.02)
        return params["lr"]

    study.optimize(objective, n_trials=int(n))
    """
)


def test_two_workers_share_one_stream(tmp_path: Path) -> None:
    space = mixed_space()
    path = tmp_path / "journal.log"
    optuna.create_study(study_name="sweep", storage=journal(path))  # as a launcher would
    procs = [
        subprocess.Popen(
            [sys.executable, "-W", "error", "-c", WORKER, str(path), space.to_json(), w, "8"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in ("a", "b")
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    study = optuna.load_study(study_name="sweep", storage=journal(path))
    trials = study.trials
    assert sorted(t.number for t in trials) == list(range(16))
    assert sorted(t.user_attrs["worker"] for t in trials) == ["a"] * 8 + ["b"] * 8
    got = [key(t.params) for t in trials]
    assert len(set(got)) == 16  # no duplicate
    rows = space.sample(16, seed=0, method="sobol").to_dicts()
    assert set(got) == {key(r) for r in rows}
    # rows go in the order trials first sample, which two workers may interleave
    assert sorted(t.system_attrs["lrcore.row"] for t in trials) == list(range(16))
    assert all(t.params == rows[t.system_attrs["lrcore.row"]] for t in trials)
    assert study.user_attrs["lrcore.search"] == {
        "space": json.loads(space.to_json()),
        "seed": 0,
        "method": "sobol",
    }


@pytest.mark.parametrize(
    ("kwargs", "other_space", "message"),
    [
        (
            {"seed": 1},
            False,
            "lrcore.search.optuna.Sampler: study 'sweep' was started with seed=0 (this sampler: seed=1); every worker sharing a study must use the same space, seed and method",
        ),
        (
            {"method": "halton"},
            False,
            "lrcore.search.optuna.Sampler: study 'sweep' was started with method='sobol' (this sampler: method='halton'); every worker sharing a study must use the same space, seed and method",
        ),
        (
            {},
            True,
            "lrcore.search.optuna.Sampler: study 'sweep' was started with a different space (parameters differing: lr, warmup); every worker sharing a study must use the same space, seed and method",
        ),
    ],
)
def test_workers_must_agree(
    tmp_path: Path, kwargs: dict[str, Any], other_space: bool, message: str
) -> None:
    space = mixed_space()
    path = tmp_path / "journal.log"
    first = optuna.create_study(
        study_name="sweep", storage=journal(path), sampler=Sampler(space, seed=0, method="sobol")
    )
    first.optimize(lambda t: suggest(t, space)["lr"], n_trials=2)
    if other_space:
        params = space.params
        params["lr"] = search.loguniform(1e-4, 1.0)
        params["warmup"] = search.integer(0, 100)
        space = search.Space(params)
    # a second worker: its own storage object on the same file
    second = optuna.load_study(
        study_name="sweep", storage=journal(path), sampler=Sampler(space, **kwargs)
    )
    with pytest.raises(ValueError, match=re.escape(message) + "$"):
        second.optimize(lambda t: suggest(t, space)["lr"], n_trials=1)


def test_map_rows_with_worker_processes(tmp_path: Path) -> None:
    from lrcore.search.optuna import map_rows

    space = mixed_space()
    rows = space.sample(10, seed=4, method="sobol").to_dicts()
    lr = operator.itemgetter("lr")  # picklable, for spawned workers
    assert map_rows(lr, space, 10, workers=2, seed=4) == [r["lr"] for r in rows]
    db = f"sqlite:///{tmp_path / 'sweep.db'}"
    assert map_rows(lr, space, 3, seed=4, storage_spec=db, study_name="s") == [
        r["lr"] for r in rows[:3]
    ]
    with pytest.raises(
        ValueError, match=re.escape("map_rows(): workers must be >= 1 and n >= 0, got 0, 3")
    ):
        map_rows(lr, space, 3, workers=0)


# -- Ray Tune ----------------------------------------------------------------------------------


def test_to_tune_param_space() -> None:
    pytest.importorskip("ray.tune", reason="pip install 'lrcore[ray]'")
    from ray.tune.search.sample import Categorical, Float, Integer, Normal

    space = search.Space(
        a=search.uniform(0.0, 1.0),
        b=search.uniform(0.0, 0.35, step=0.1),
        c=search.loguniform(1e-5, 1.0),
        d=search.integer(0, 10),
        e=search.integer(3, 50, step=7),
        f=search.integer(10, 50, step=10),
        g=search.choice(["x", 1, (2, 3)]),
        h=search.normal(1.0, 2.0),
    )
    ps = space.to_tune()
    assert (type(ps["a"]), ps["a"].lower, ps["a"].upper) == (Float, 0.0, 1.0)
    assert type(ps["b"]) is Categorical
    levels = sorted(set(space.sample(2000, seed=1)["b"].tolist()))
    assert ps["b"].categories == levels == [0.0, 0.1, 0.2, 0.30000000000000004]
    assert (type(ps["c"]), ps["c"].lower, ps["c"].upper) == (Float, 1e-5, 1.0)
    assert type(ps["c"].get_sampler()).__name__ == "_LogUniform"
    assert (type(ps["d"]), ps["d"].lower, ps["d"].upper) == (Integer, 0, 11)  # upper exclusive
    assert ps["e"].categories == [3, 10, 17, 24, 31, 38, 45]
    assert (type(ps["f"]), ps["f"].lower, ps["f"].upper, ps["f"].get_sampler().q) == (
        Integer,
        10,
        50,
        10,
    )
    assert ps["g"].categories == ["x", 1, (2, 3)]
    assert isinstance(ps["h"].get_sampler(), Normal)
    assert (ps["h"].get_sampler().mean, ps["h"].get_sampler().sd) == (1.0, 2.0)


@pytest.mark.parametrize(
    ("dist", "message"),
    [
        (
            search.integer(1, 9, log=True),
            "Ray Tune cannot express parameter 'p': integer(1, 9, log=True) (tune.lograndint floors a log-uniform draw; lrcore rounds one on [lo - 1/2, hi + 1/2])",
        ),
        (
            search.lognormal(0.0, 0.5),
            "Ray Tune cannot express parameter 'p': lognormal(0.0, 0.5) (Tune has no lognormal distribution)",
        ),
        (
            search.choice(["a", "b"], weights=[2, 1]),
            "Ray Tune cannot express parameter 'p': choice(['a', 'b'], weights=[2.0, 1.0]) (tune.choice has no weights)",
        ),
        (search.uniform(0.0, 1.0).when(lr=[1]), None),
        (
            search.uniform(0.0, 1.0, step=1e-5),
            "Ray Tune cannot express parameter 'p': uniform(0.0, 1.0, step=1e-05) (100001 levels, more than 10000 for a tune.choice)",
        ),
    ],
)
def test_inexpressible_in_tune(dist: search.Distribution, message: str | None) -> None:
    pytest.importorskip("ray.tune", reason="pip install 'lrcore[ray]'")
    if message is None:  # a conditional parameter
        space = search.Space(lr=search.choice([1, 2]), p=dist)
        message = "Ray Tune cannot express parameter 'p': uniform(0.0, 1.0).when(lr=1) (a param_space has no conditions; use lrcore.search.ray.Searcher, which honours them)"
    else:
        space = search.Space(lr=search.loguniform(1e-5, 1.0), p=dist)
    with pytest.raises(ValueError, match=re.escape(message) + "$"):
        space.to_tune()


def test_searcher_state_round_trips(tmp_path: Path) -> None:
    pytest.importorskip("ray.tune", reason="pip install 'lrcore[ray]'")
    from lrcore.search.ray import Searcher

    space = mixed_space()
    rows = space.sample(6, seed=2, method="halton").to_dicts()
    a = Searcher(space, seed=2, method="halton")
    assert [a.suggest(f"t{i}") for i in range(4)] == rows[:4]
    a.save(str(tmp_path / "s.pkl"))
    b = Searcher(space, seed=2, method="halton")
    b.restore(str(tmp_path / "s.pkl"))
    assert (b.index, b.row_of("t3")) == (4, 3)
    assert [b.suggest("t4"), b.suggest("t5")] == rows[4:6]
    c = pickle.loads(pickle.dumps(b))
    assert c.suggest("t6") == space.sample(1, seed=2, method="halton", start=6).to_dicts()[0]
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Searcher.restore(): the saved searcher has a different seed; restore into a Searcher with the same space, seed and method"
        ),
    ):
        Searcher(space, seed=3, method="halton").restore(str(tmp_path / "s.pkl"))
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Searcher(): method 'lhs' draws one hypercube of n rows, so the stream cannot be handed out row by row; use 'sobol', 'halton' or 'random'"
        ),
    ):
        Searcher(space, method="lhs")


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Any]:
    ray = pytest.importorskip("ray", reason="pip install 'lrcore[ray]'")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()


def test_tuner_configs_are_stream_rows(ray_cluster: Any, tmp_path: Path) -> None:
    from lrcore.search.ray import Searcher
    from ray import tune

    space = mixed_space()

    def train(config: dict[str, Any]) -> dict[str, float]:
        return {"score": math.log(config["lr"])}

    tuner = tune.Tuner(
        train,
        param_space={"epochs": 3},  # constants are merged into every config
        tune_config=tune.TuneConfig(
            search_alg=Searcher(space, seed=0, method="sobol"),
            num_samples=8,
            max_concurrent_trials=2,
            reuse_actors=True,
        ),
        run_config=tune.RunConfig(storage_path=str(tmp_path), name="sweep", verbose=0),
    )
    results = tuner.fit()
    assert results.num_errors == 0
    configs = [dict(r.config) for r in results]
    assert all(c.pop("epochs") == 3 for c in configs)
    rows = space.sample(8, seed=0, method="sobol").to_dicts()
    assert len({key(c) for c in configs}) == 8
    assert sorted(map(key, configs)) == sorted(map(key, rows))
    assert os.path.isdir(tmp_path / "sweep")


def test_tuner_restore_runs_each_row_once(ray_cluster: Any, tmp_path: Path) -> None:
    """The README's recovery recipe: an errored trial reruns on its own row after
    ``Tuner.restore``, and the restored Searcher hands out no row twice."""
    from lrcore.search.ray import Searcher
    from ray import tune

    space = mixed_space()
    flag = str(tmp_path / "failed-once")

    def train(config: dict[str, Any]) -> dict[str, Any]:
        if config["row"] == 2 and not os.path.exists(flag):
            open(flag, "w").close()
            raise RuntimeError("the worker died")
        return {"lr": config["lr"]}

    first = tune.Tuner(
        train,
        tune_config=tune.TuneConfig(
            search_alg=Searcher(space, index_key="row"), num_samples=5, max_concurrent_trials=2
        ),
        run_config=tune.RunConfig(storage_path=str(tmp_path), name="sweep", verbose=0),
    ).fit()
    assert first.num_errors == 1
    restored = tune.Tuner.restore(str(tmp_path / "sweep"), trainable=train, restart_errored=True)
    results = restored.fit()
    assert results.num_errors == 0
    rows = space.sample(5, seed=0, method="sobol").to_dicts()
    got = sorted((r.config["row"], r.metrics["lr"]) for r in results)
    assert got == [(k, rows[k]["lr"]) for k in range(5)]


def test_ray_map_rows(ray_cluster: Any) -> None:
    from lrcore.search.ray import map_rows

    space = mixed_space()
    rows = space.sample(4, seed=1, method="halton").to_dicts()
    got = map_rows(lambda p: [p["lr"], p["opt"]], space, 4, seed=1, method="halton")
    assert got == [[r["lr"], r["opt"]] for r in rows]
