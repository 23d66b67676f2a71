"""Distributed Optuna sweeps lose no rows: worker processes on one sqlite RDB storage or journal
file, with enqueued trials, a worker killed with SIGKILL, mismatched workers, simultaneous
starts, and pruning. Each scenario asserts which rows were completed once, twice and never."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from lrcore import search

optuna = pytest.importorskip("optuna")
from lrcore.search.optuna import ROW_ATTR, Sampler, rows_study_name, suggest  # noqa: E402
from optuna.trial import TrialState  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.WARNING)


def retry(study: Any, number: int) -> None:
    """The README's recovery step for a trial left RUNNING: fail it and queue its retry."""
    study.tell(number, state=TrialState.FAIL)
    with warnings.catch_warnings():  # experimental; renamed in Optuna 4.9 (the old name warns)
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        callback = getattr(optuna.storages, "RetryHeartbeatStaleTrialCallback", None)
        callback = (callback or optuna.storages.RetryFailedTrialCallback)()
    callback(study, study.trials[number])


def space() -> search.Space:
    return search.Space(
        lr=search.loguniform(1e-5, 1.0),
        wd=search.uniform(0.0, 0.1),
        opt=search.choice(["sgd", "adam"]),
        momentum=search.uniform(0.8, 0.99).when(opt="sgd"),
    )


WORKER = textwrap.dedent(
    """
    import json, sqlite3, sys, time
    import optuna
    from lrcore import search
    from lrcore.search.optuna import Sampler, suggest

    cfg = json.loads(sys.argv[1])
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = search.Space.from_json(cfg["space"])
    if cfg["url"].startswith("sqlite"):
        kw = {}
        if cfg.get("heartbeat"):
            retry = getattr(optuna.storages, "RetryHeartbeatStaleTrialCallback", None)
            kw = dict(heartbeat_interval=1, grace_period=2,
                      failed_trial_callback=(retry or optuna.storages.RetryFailedTrialCallback)())
        storage = optuna.storages.RDBStorage(cfg["url"], **kw)
    else:
        from optuna.storages.journal import JournalFileBackend
        storage = optuna.storages.JournalStorage(JournalFileBackend(cfg["url"]))
    study = optuna.load_study(study_name="sweep", storage=storage,
                              sampler=Sampler(space, seed=0, method="sobol"))
    done = 0

    def on_record(trial):
        # a trial is failed for a stale heartbeat only once one was recorded
        deadline = time.time() + 60
        while cfg.get("heartbeat") and time.time() < deadline:
            with sqlite3.connect(cfg["url"][len("sqlite:///"):]) as db:
                sql = "SELECT count(*) FROM trial_heartbeats WHERE trial_id = ?"
                if db.execute(sql, (trial._trial_id,)).fetchone()[0]:
                    return
            time.sleep(0.05)

    def objective(trial):
        global done
        if cfg.get("hang_before") == done + 1:
            on_record(trial)
            open(cfg["marker"], "w").write(str(trial.number))
            time.sleep(600)
        params = suggest(trial, space)
        done += 1
        if done == cfg.get("enqueue_at"):
            trial.study.enqueue_trial(cfg["enqueue"])
        if done == cfg.get("hang_after"):
            on_record(trial)
            open(cfg["marker"], "w").write(str(trial.number))
            time.sleep(600)
        time.sleep(0.02)
        return params["lr"]

    study.optimize(objective, n_trials=cfg["n"])
    """
)


def start(url: str, n: int, **cfg: Any) -> subprocess.Popen[str]:
    cfg = {"url": url, "n": n, "space": space().to_json(), **cfg}
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, json.dumps(cfg)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(*procs: subprocess.Popen[str]) -> None:
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, f"worker {p.args[-1]}: {err}"


def kill_when_hung(proc: subprocess.Popen[str], marker: Path) -> int:
    """SIGKILLs ``proc`` once it is inside a trial; returns that trial's number."""
    while not marker.exists() or not marker.read_text():
        assert proc.poll() is None, proc.communicate()[1]
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    return int(marker.read_text())


def tally(study: Any) -> tuple[list[int], list[int], list[int]]:
    """The rows 0..m-1 taken in ``study`` (m tickets) that COMPLETE trials evaluated once, more
    than once, and never."""
    storage = study._storage
    m = len(storage.get_all_trials(storage.get_study_id_from_name(rows_study_name(study))))
    done = Counter(
        t.system_attrs[ROW_ATTR]
        for t in study.get_trials(states=(TrialState.COMPLETE,))
        if ROW_ATTR in t.system_attrs
    )
    assert set(done) <= set(range(m))
    return (
        [k for k in range(m) if done[k] == 1],
        [k for k in range(m) if done[k] > 1],
        [k for k in range(m) if done[k] == 0],
    )


def check_rows(study: Any, m: int) -> None:
    """Rows 0..m-1 each completed exactly once, each by a trial with that row's parameters; no
    trial left RUNNING."""
    assert tally(study) == (list(range(m)), [], [])
    rows = space().sample(m, seed=0, method="sobol").to_dicts()
    for t in study.get_trials(states=(TrialState.COMPLETE,)):
        if ROW_ATTR in t.system_attrs:
            assert t.params == rows[t.system_attrs[ROW_ATTR]]
    assert study.get_trials(states=(TrialState.RUNNING,)) == []


def sqlite(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'sweep.db'}"


def journal(path: str) -> Any:
    from optuna.storages.journal import JournalFileBackend

    return optuna.storages.JournalStorage(JournalFileBackend(path))


# -- enqueued and retried trials -----------------------------------------------------------------

FIXED = [
    {"lr": 0.001, "wd": 0.0, "opt": "adam"},
    {"lr": 0.01, "wd": 0.05, "opt": "sgd", "momentum": 0.9},
    {"lr": 0.1, "wd": 0.1, "opt": "adam"},
]


def test_enqueued_trials_take_no_row(tmp_path: Path) -> None:
    # a journal file: on SQLite, Optuna lets two workers take one queued trial at once (the
    # second fails when it reports it; optuna/optuna#4002), which has nothing to do with rows
    path = str(tmp_path / "sweep.log")
    study = optuna.create_study(study_name="sweep", storage=journal(path), direction="maximize")
    study.enqueue_trial(FIXED[0])
    study.enqueue_trial(FIXED[1])
    # two workers; one enqueues a third trial during the run
    finish(start(path, 6, enqueue_at=3, enqueue=FIXED[2]), start(path, 6))
    trials = study.trials
    assert len(trials) == 12 and all(t.state == TrialState.COMPLETE for t in trials)
    fixed = [t for t in trials if "fixed_params" in t.system_attrs]
    assert sorted(json.dumps(t.params, sort_keys=True) for t in fixed) == sorted(
        json.dumps(p, sort_keys=True) for p in FIXED
    )
    assert all(ROW_ATTR not in t.system_attrs for t in fixed)
    check_rows(study, 9)


def test_killed_worker_is_retried_with_its_row(tmp_path: Path) -> None:
    url = sqlite(tmp_path)
    study = optuna.create_study(study_name="sweep", storage=url)
    marker = tmp_path / "hung"
    a = start(url, 4, heartbeat=True, hang_after=2, marker=str(marker))
    b = start(url, 4, heartbeat=True)
    killed = kill_when_hung(a, marker)
    finish(b)
    time.sleep(3)  # the killed trial's heartbeat is now older than grace_period (2 s)
    finish(start(url, 3, heartbeat=True))  # the restarted worker fails and retries it
    trials = study.trials
    assert trials[killed].state == TrialState.FAIL
    (retry,) = [t for t in trials if t.system_attrs.get("failed_trial") == killed]
    assert retry.state == TrialState.COMPLETE
    assert retry.system_attrs[ROW_ATTR] == trials[killed].system_attrs[ROW_ATTR]
    assert retry.params == trials[killed].params
    check_rows(study, 8)  # 1 + 1 (killed) + 4 + 2 new rows


def test_worker_killed_before_sampling_takes_no_row(tmp_path: Path) -> None:
    url = sqlite(tmp_path)
    study = optuna.create_study(study_name="sweep", storage=url)
    marker = tmp_path / "hung"
    a = start(url, 3, heartbeat=True, hang_before=2, marker=str(marker))
    killed = kill_when_hung(a, marker)
    time.sleep(3)
    finish(start(url, 3, heartbeat=True))
    trials = study.trials
    assert trials[killed].state == TrialState.FAIL and trials[killed].params == {}
    assert ROW_ATTR not in trials[killed].system_attrs
    check_rows(study, 4)  # 1 before the kill; the retry takes a new row, and 2 more


def test_journal_keeps_a_killed_trial_running_until_recovered(tmp_path: Path) -> None:
    path = str(tmp_path / "sweep.log")
    study = optuna.create_study(study_name="sweep", storage=journal(path))
    marker = tmp_path / "hung"
    killed = kill_when_hung(start(path, 3, hang_after=2, marker=str(marker)), marker)
    assert [t.number for t in study.get_trials(states=(TrialState.RUNNING,))] == [killed]
    # the README's recipe, once no worker is running: fail it and queue its retry
    for t in study.get_trials(states=(TrialState.RUNNING,)):
        retry(study, t.number)
    finish(start(path, 2))
    check_rows(study, 3)


def test_retry_finds_the_row_of_a_trial_that_died_before_recording_it() -> None:
    study = optuna.create_study(sampler=Sampler(space(), seed=0, method="sobol"))
    study.optimize(lambda t: suggest(t, space())["lr"], n_trials=2)
    storage = study._storage
    record = storage.set_trial_system_attr

    def die(trial_id: int, key: str, value: Any) -> None:
        if key == ROW_ATTR:
            raise KeyboardInterrupt  # the worker dies between its ticket and the record
        record(trial_id, key, value)

    trial = study.ask()
    storage.set_trial_system_attr = die
    with pytest.raises(KeyboardInterrupt):
        suggest(trial, space())
    storage.set_trial_system_attr = record
    retry(study, trial.number)
    study.optimize(lambda t: suggest(t, space())["lr"], n_trials=2)
    assert study.trials[3].system_attrs["failed_trial"] == 2
    assert study.trials[3].system_attrs[ROW_ATTR] == 2
    check_rows(study, 4)


# -- workers that disagree -----------------------------------------------------------------------

REFUSED = textwrap.dedent(
    """
    import json, sys
    import optuna
    from lrcore import search
    from lrcore.search.optuna import Sampler, suggest

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url, cases = sys.argv[1], json.loads(sys.argv[2])
    out = {}
    for name, (space_json, seed, method) in cases.items():
        space = search.Space.from_json(space_json)
        study = optuna.load_study(study_name=name, storage=url,
                                  sampler=Sampler(space, seed=seed, method=method))
        try:
            study.optimize(lambda t: suggest(t, space)["lr"], n_trials=1)
            out[name] = None
        except ValueError as e:
            out[name] = str(e)
    print(json.dumps(out))
    """
)

AGREE = "; every worker sharing a study must use the same space, seed and method"


def test_mismatched_workers_are_refused_without_a_trace(tmp_path: Path) -> None:
    url = sqlite(tmp_path)
    good = space()
    swapped = search.Space({n: good.params[n] for n in ("wd", "lr", "opt", "momentum")})
    narrower = search.Space({**good.params, "lr": search.loguniform(1e-4, 1.0)})
    cases = {
        "order": ((swapped.to_json(), 0, "sobol"), "a different space (parameter order: "
                  "lr, wd, opt, momentum; this sampler: wd, lr, opt, momentum)"),
        "seed": ((good.to_json(), 1, "sobol"), "seed=0 (this sampler: seed=1)"),
        "method": ((good.to_json(), 0, "halton"), "method='sobol' (this sampler: method='halton')"),
        "dist": ((narrower.to_json(), 0, "sobol"), "a different space (parameters differing: lr)"),
    }  # fmt: skip
    studies = {}
    for i, name in enumerate(cases):
        study = optuna.create_study(
            study_name=name, storage=url, sampler=Sampler(good, seed=0, method="sobol")
        )
        study.optimize(lambda t: suggest(t, good)["lr"], n_trials=2)
        if i % 2:
            study.enqueue_trial(FIXED[0])  # the refused worker takes it from the queue
        studies[name] = study
    out = subprocess.run(
        [sys.executable, "-c", REFUSED, url, json.dumps({n: c for n, (c, _) in cases.items()})],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    messages = json.loads(out.stdout)
    for i, (name, (_, why)) in enumerate(cases.items()):
        assert (
            messages[name]
            == f"lrcore.search.optuna.Sampler: study '{name}' was started with {why}{AGREE}"
        )
        study = studies[name]
        (refused,) = [t for t in study.trials if t.state == TrialState.FAIL]
        assert refused.number == 2 and ROW_ATTR not in refused.system_attrs
        assert study.get_trials(states=(TrialState.RUNNING,)) == []
        assert len(study.get_trials(states=(TrialState.WAITING,))) == i % 2  # queued again
        study.optimize(lambda t: suggest(t, good)["lr"], n_trials=3)
        check_rows(study, 5 - i % 2)
        if i % 2:
            queued = [t for t in study.trials if "fixed_params" in t.system_attrs]
            assert [(t.state, t.params) for t in queued] == [
                (TrialState.FAIL, {}),  # taken by the refused worker, and queued again
                (TrialState.COMPLETE, FIXED[0]),
            ]


def mismatched(kind: int) -> tuple[search.Space, int, str]:
    good = space()
    return [
        (search.Space({n: good.params[n] for n in ("wd", "lr", "opt", "momentum")}), 0, "sobol"),
        (good, 1, "sobol"),
        (good, 0, "halton"),
        (search.Space({**good.params, "wd": search.uniform(0.0, 0.2)}), 0, "sobol"),
    ][kind]


def race(url: str, name: str, samplers: list[tuple[search.Space, int, str]]) -> list[Any]:
    """Starts a worker per sampler at once on study ``name`` (each its own connection), one
    trial each; returns the studies of those accepted."""
    optuna.create_study(study_name=name, storage=url)
    barrier = threading.Barrier(len(samplers))
    accepted: list[Any] = []

    def work(sp: search.Space, seed: int, method: str) -> None:
        study = optuna.load_study(
            study_name=name,
            storage=optuna.storages.RDBStorage(url),
            sampler=Sampler(sp, seed=seed, method=method),
        )
        barrier.wait()
        try:
            study.optimize(lambda t: suggest(t, sp)["lr"], n_trials=1)
            accepted.append(study)
        except ValueError:
            pass

    threads = [threading.Thread(target=work, args=s) for s in samplers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return accepted


def drain(study: Any, n: int) -> None:
    space_ = study.sampler.space
    study.optimize(lambda t: suggest(t, space_)["lr"], n_trials=n)


def test_simultaneous_mismatched_workers_are_never_both_accepted(tmp_path: Path) -> None:
    url = sqlite(tmp_path)
    for r in range(8):
        (study,) = race(url, f"sweep{r}", [(space(), 0, "sobol"), mismatched(r % 4)])
        # a refused worker that had taken a row handed it to a WAITING trial: run it
        waiting = len(study.get_trials(states=(TrialState.WAITING,)))
        drain(study, waiting)
        assert study.get_trials(states=(TrialState.RUNNING,)) == []
        assert tally(study) == ([0, 1] if waiting else [0], [], [])


def test_a_refused_worker_hands_its_row_over() -> None:
    """The race, in order: A finds no row 0, B takes row 0, A takes row 1 and is refused."""
    storage = optuna.storages.InMemoryStorage()
    optuna.create_study(study_name="sweep", storage=storage)
    good, (other, seed, method) = space(), mismatched(1)
    b = optuna.load_study(study_name="sweep", storage=storage, sampler=Sampler(good))
    a = optuna.load_study(
        study_name="sweep", storage=storage, sampler=Sampler(other, seed=seed, method=method)
    )

    def objective_a(trial: Any) -> float:
        b.optimize(lambda t: suggest(t, good)["lr"], n_trials=1)
        return float(suggest(trial, other)["lr"])

    with pytest.raises(ValueError, match="seed=0 \\(this sampler: seed=1\\)"):
        a.optimize(objective_a, n_trials=1)
    (handed,) = b.get_trials(states=(TrialState.WAITING,))
    assert handed.system_attrs == {ROW_ATTR: 1} and handed.params == {}
    b.optimize(lambda t: suggest(t, good)["lr"], n_trials=2)
    assert [(t.state, t.system_attrs.get(ROW_ATTR)) for t in b.trials] == [
        (TrialState.FAIL, None),  # A's trial
        (TrialState.COMPLETE, 0),  # B's
        (TrialState.COMPLETE, 1),  # the handed-over row
        (TrialState.COMPLETE, 2),
    ]
    check_rows(b, 3)


# -- pruning --------------------------------------------------------------------------------------


def test_median_pruner_prunes_as_without_the_sampler() -> None:
    rows = space().sample(16, seed=0, method="sobol").to_dicts()

    def objective(trial: Any) -> float:
        p = suggest(trial, space())
        for step in range(4):
            value = p["lr"] * (step + 1) + p["wd"]
            trial.report(value, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return value

    def run(sampler: Any, enqueue: bool) -> Any:
        study = optuna.create_study(
            sampler=sampler, pruner=optuna.pruners.MedianPruner(n_startup_trials=2)
        )
        for row in rows if enqueue else []:
            study.enqueue_trial(row)
        study.optimize(objective, n_trials=16)
        return study

    ours = run(Sampler(space()), enqueue=False)
    given = run(optuna.samplers.RandomSampler(seed=0), enqueue=True)  # the rows, fixed
    assert [t.state for t in ours.trials] == [t.state for t in given.trials]
    assert [t.params for t in ours.trials] == [t.params for t in given.trials] == rows
    assert 0 < sum(t.state == TrialState.PRUNED for t in ours.trials) < 14
    assert [t.system_attrs[ROW_ATTR] for t in ours.trials] == list(range(16))
