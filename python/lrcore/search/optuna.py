"""lrcore search streams as an Optuna sampler (imported only when used; needs ``optuna>=3``).

>>> import optuna
>>> from lrcore import search
>>> from lrcore.search.optuna import Sampler, suggest
>>> space = search.Space(lr=search.loguniform(1e-5, 1.0), opt=search.choice(["sgd", "adam"]),
...                      momentum=search.uniform(0.8, 0.99).when(opt="sgd"))
>>> study = optuna.create_study(sampler=Sampler(space, seed=0, method="sobol"))
>>> study.optimize(lambda trial: train(**suggest(trial, space)), n_trials=64)  # doctest: +SKIP

Trial number k gets row k of the stream ``space.sample(..., seed=seed, method=method)``, whatever
worker process runs it: trial numbers are unique within a study, so workers sharing a storage take
disjoint rows, and the rows of trials 0..n-1 are ``space.sample(n, seed=seed, method=method)``.
The cost of a trial does not grow with the study (rows are drawn in blocks of
:data:`BLOCK` by counter; no past trial is read).

A stepped float whose top level lo + i*step lands an ulp above Optuna's top (``uniform(0, 0.35,
step=0.1)``: 0.30000000000000004 against Optuna's 0.3) is handed to Optuna clamped to its top.
"""

from __future__ import annotations

import decimal
import json
import multiprocessing
import os
import tempfile
import threading
import zlib
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np

from lrcore._optional import missing

try:
    import optuna
    from optuna.distributions import (
        BaseDistribution,
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )
    from optuna.samplers import BaseSampler, RandomSampler
    from optuna.study import Study
    from optuna.trial import FrozenTrial
except ModuleNotFoundError as err:
    raise missing(__name__, err) from None

from lrcore.search import Distribution, Space, _same

__all__ = [
    "BLOCK",
    "RESULT_ATTR",
    "USER_ATTR",
    "Sampler",
    "distributions",
    "map_rows",
    "storage",
    "suggest",
]

#: Rows drawn at a time (one block is cached per sampler).
BLOCK = 32

#: The study user attribute holding the space, seed and method of the first worker.
USER_ATTR = "lrcore.search"

_CATEGORICAL_TYPES = (type(None), bool, int, float, str)


def _float_step_high(lo: float, hi: float, step: float) -> float:
    """The top level of ``uniform(lo, hi, step)``, computed as Optuna does (so it does not warn)."""
    d_lo, d_hi, d_step = (decimal.Decimal(str(x)) for x in (lo, hi, step))
    d_r = d_hi - d_lo
    if d_r % d_step == 0:
        return hi
    return float((d_r // d_step) * d_step + d_lo)


def _distribution(name: str, dist: Distribution) -> BaseDistribution:
    kind, a = dist.kind, dist.args
    if kind == "uniform":
        if a["step"] is None:
            return FloatDistribution(a["lo"], a["hi"])
        return FloatDistribution(
            a["lo"], _float_step_high(a["lo"], a["hi"], a["step"]), step=a["step"]
        )
    if kind == "loguniform":
        return FloatDistribution(a["lo"], a["hi"], log=True)
    if kind == "integer":
        lo, hi, step = a["lo"], a["hi"], a["step"]
        return IntDistribution(lo, lo + (hi - lo) // step * step, log=a["log"], step=step)
    if kind == "choice":
        if a["weights"] is not None:
            raise ValueError(
                f"Optuna cannot express parameter '{name}': {dist!r} is a weighted choice "
                "(Optuna's categorical distribution is uniform)"
            )
        for option in a["options"]:
            if not isinstance(option, _CATEGORICAL_TYPES):
                raise ValueError(
                    f"Optuna cannot express parameter '{name}': option {option!r} is of type "
                    f"'{type(option).__name__}' (Optuna's choices must be None, bool, int, float "
                    "or str)"
                )
        return CategoricalDistribution(a["options"])
    raise ValueError(
        f"Optuna cannot express parameter '{name}': {dist!r} "
        "(Optuna has no normal or lognormal distribution)"
    )


def distributions(space: Space) -> dict[str, BaseDistribution]:
    """``{name: optuna distribution}`` for every parameter of ``space`` (what
    :meth:`lrcore.search.Space.to_optuna` returns).

    ``uniform`` → ``FloatDistribution`` (with ``step``: its top level as ``high``), ``loguniform``
    → ``FloatDistribution(log=True)``, ``integer`` → ``IntDistribution`` (``high`` the top level),
    ``choice`` → ``CategoricalDistribution``. Conditions are not part of an Optuna distribution:
    :func:`suggest` honours them. A normal or lognormal parameter, a weighted choice, or an option
    Optuna cannot store is a ValueError naming the parameter.
    """
    return {name: _distribution(name, dist) for name, dist in space.params.items()}


def suggest(trial: optuna.trial.BaseTrial, space: Space) -> dict[str, Any]:
    """Suggests the parameters of ``space`` that are active given the values suggested for their
    parents (a conditional parameter only where its conditions hold), in the space's order;
    returns ``{name: value}`` (inactive parameters left out, as in ``Trials.to_dicts()``)."""
    dists = distributions(space)
    params = space.params
    values: dict[str, Any] = {}
    state: dict[str, bool] = {}

    def active(name: str) -> bool:
        if name not in state:
            state[name] = False  # a cycle is reported by Space(); guard anyway
            ok = True
            for parent, allowed in params[name].conditions.items():
                if not active(parent) or not any(_same(values[parent], v) for v in allowed):
                    ok = False
                    break
            if ok:
                values[name] = _suggest_one(trial, name, dists[name])
            state[name] = ok
        return state[name]

    for name in params:
        active(name)
    return {name: values[name] for name in params if name in values}


def _suggest_one(trial: optuna.trial.BaseTrial, name: str, dist: BaseDistribution) -> Any:
    if isinstance(dist, FloatDistribution):
        return trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
    assert isinstance(dist, CategoricalDistribution)
    return trial.suggest_categorical(name, list(dist.choices))


def _signature(space: Space, seed: int, method: str) -> dict[str, Any]:
    """What workers sharing a study must agree on, in its JSON form."""
    sig = {"space": space.to_dict(), "seed": seed, "method": method}
    loaded: dict[str, Any] = json.loads(json.dumps(sig, allow_nan=False))
    return loaded


class Sampler(BaseSampler):
    """An Optuna sampler giving trial number k row k of the stream (``space``, ``seed``,
    ``method``), for the parameters of ``space`` that are active in that row.

    A parameter the objective suggests that is not in ``space`` (define-by-run), or one the row
    leaves inactive, or one suggested with a distribution that does not contain the row's value,
    is drawn by ``independent_sampler`` (default: a ``RandomSampler`` seeded from ``seed``, the
    trial number and the parameter name, so the draw is the same on every worker).

    On its first trial in a study the sampler stores the space, seed and method in the study's
    user attribute :data:`USER_ATTR`; a sampler whose space, seed or method differs from the
    stored ones raises ValueError (workers sharing a study must draw from one stream).
    """

    def __init__(
        self,
        space: Space,
        seed: int = 0,
        method: str = "sobol",
        *,
        independent_sampler: BaseSampler | None = None,
    ) -> None:
        if not isinstance(space, Space):
            raise TypeError(
                f"Sampler(): space must be an lrcore.search.Space, got {type(space).__name__!r}"
            )
        if method == "lhs":
            raise ValueError(
                "Sampler(): method 'lhs' draws one hypercube of n rows, so trial k has no row "
                "of its own; use 'sobol', 'halton' or 'random'"
            )
        space.sample(1, seed=seed, method=method)  # validates seed and method
        self._space = space
        self._seed = int(seed)
        self._method = method
        self._dists = distributions(space)
        self._independent = independent_sampler
        self._signature = _signature(space, self._seed, method)
        self._checked: set[tuple[str, int]] = set()
        self._block: tuple[int, list[dict[str, Any]]] = (-1, [])
        self._lock = threading.Lock()

    @property
    def space(self) -> Space:
        """The space whose stream the trials take."""
        return self._space

    @property
    def seed(self) -> int:
        return self._seed

    @property
    def method(self) -> str:
        return self._method

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_space"] = self._space.to_dict()  # a Space holds a Rust object: pickle its dict
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        state["_space"] = Space.from_dict(state["_space"])
        state["_lock"] = threading.Lock()
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return f"Sampler({self._space!r}, seed={self._seed}, method={self._method!r})"

    def row(self, k: int) -> dict[str, Any]:
        """Row ``k`` of the stream as ``{name: value}`` (inactive parameters left out)."""
        block, rows = self._block
        if k // BLOCK != block:
            block = k // BLOCK
            trials = self._space.sample(
                BLOCK, seed=self._seed, method=self._method, start=block * BLOCK
            )
            rows = trials.to_dicts()
            self._block = (block, rows)  # one assignment: safe for n_jobs > 1 threads
        return dict(rows[k - block * BLOCK])

    # -- the study check -------------------------------------------------------------------------

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._before_independent(study, trial)
        key = (study.study_name, id(getattr(study, "_storage", None)))
        if key in self._checked:
            return
        with self._lock:
            stored = study.user_attrs.get(USER_ATTR)
            if stored is None:
                study.set_user_attr(USER_ATTR, self._signature)
                stored = study.user_attrs.get(USER_ATTR)  # another worker may have raced us
            self._compare(study.study_name, stored)
            self._checked.add(key)

    def _compare(self, study_name: str, stored: Any) -> None:
        mine = self._signature
        if not isinstance(stored, Mapping) or set(stored) != set(mine):
            raise ValueError(
                f"lrcore.search.optuna.Sampler: study '{study_name}' has a user attribute "
                f"'{USER_ATTR}' that lrcore did not write: {stored!r}"
            )
        diffs = [
            f"{field}={stored[field]!r} (this sampler: {field}={mine[field]!r})"
            for field in ("seed", "method")
            if stored[field] != mine[field]
        ]
        if stored["space"] != mine["space"]:
            old, new = stored["space"], mine["space"]
            names = sorted(
                (set(old) ^ set(new)) | {n for n in set(old) & set(new) if old[n] != new[n]}
            )
            diffs.append(f"a different space (parameters differing: {', '.join(names) or 'order'})")
        if diffs:
            raise ValueError(
                f"lrcore.search.optuna.Sampler: study '{study_name}' was started with "
                f"{'; '.join(diffs)}; every worker sharing a study must use the same space, seed "
                "and method"
            )

    # -- BaseSampler -------------------------------------------------------------------------------

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return dict(self._dists)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        row = self.row(trial.number)
        out: dict[str, Any] = {}
        for name, value in row.items():
            if name not in search_space:
                continue
            dist = search_space[name]
            if isinstance(dist, FloatDistribution) and dist.step is not None:
                value = min(max(value, dist.low), dist.high)  # an ulp above the top level
            out[name] = value
        return out

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        if self._independent is not None:
            return self._independent.sample_independent(
                study, trial, param_name, param_distribution
            )
        entropy = [self._seed, trial.number, zlib.crc32(param_name.encode("utf-8"))]
        seed = int(np.random.SeedSequence(entropy).generate_state(1)[0])
        return RandomSampler(seed=seed).sample_independent(
            study, trial, param_name, param_distribution
        )

    def _before_independent(self, study: Study, trial: FrozenTrial) -> None:
        if self._independent is not None:
            self._independent.before_trial(study, trial)

    def reseed_rng(self) -> None:
        if self._independent is not None:
            self._independent.reseed_rng()

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: optuna.trial.TrialState,
        values: Any,
    ) -> None:
        if self._independent is not None:
            self._independent.after_trial(study, trial, state, values)


# -- running a sweep -------------------------------------------------------------------------------


def storage(spec: str) -> optuna.storages.BaseStorage:
    """An Optuna storage from a string: a database URL (``sqlite:///sweep.db``,
    ``postgresql://user@host/db``; anything with ``://``) or else the path of a journal file
    (``JournalStorage(JournalFileBackend(path))``, for processes on one machine or a shared
    file system)."""
    if "://" in spec:
        return optuna.storages.RDBStorage(spec)
    from optuna.storages.journal import JournalFileBackend

    return optuna.storages.JournalStorage(JournalFileBackend(spec))


def _objective_value(result: Any) -> float:
    if isinstance(result, (list, tuple)):
        return float(result[0])
    return float(result)


def _work(
    fn: Callable[[dict[str, Any]], Any],
    space_dict: dict[str, Any],
    seed: int,
    method: str,
    storage_spec: str,
    study_name: str,
    n_trials: int,
) -> None:
    """One worker: runs ``n_trials`` trials of the shared study (also in a child process)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = Space.from_dict(space_dict)
    study = optuna.load_study(
        study_name=study_name,
        storage=storage(storage_spec),
        sampler=Sampler(space, seed=seed, method=method),
    )

    def objective(trial: optuna.trial.Trial) -> float:
        result = fn(suggest(trial, space))
        trial.set_user_attr(RESULT_ATTR, result)
        return _objective_value(result)

    study.optimize(objective, n_trials=n_trials)


#: The trial user attribute where :func:`map_rows` keeps what ``fn`` returned.
RESULT_ATTR = "lrcore.result"


def map_rows(
    fn: Callable[[dict[str, Any]], Any],
    space: Space,
    n: int,
    *,
    workers: int = 1,
    seed: int = 0,
    method: str = "sobol",
    storage_spec: str | None = None,
    study_name: str = "lrcore",
    direction: Literal["minimize", "maximize"] = "maximize",
) -> list[Any]:
    """``[fn(row) for row in space.sample(n, seed=seed, method=method).to_dicts()]``, evaluated
    as the trials of one Optuna study by ``workers`` local processes sharing a storage.

    ``fn`` returns a number or a sequence whose first item is the study's objective value (the
    whole return value must be JSON-serializable: it is kept in the trial's user attribute
    :data:`RESULT_ATTR`); with ``workers > 1`` it must be picklable (a module-level function or a
    ``functools.partial`` of one), as the workers are spawned processes. ``storage_spec`` (see
    :func:`storage`) defaults to a journal file in a temporary folder, removed afterwards; name a
    database URL to let workers on other machines join the same study with
    ``optuna.load_study(study_name=..., storage=..., sampler=Sampler(space, seed, method))``.
    Returns the results in row order.
    """
    if workers < 1 or n < 0:
        raise ValueError(f"map_rows(): workers must be >= 1 and n >= 0, got {workers}, {n}")
    sampler = Sampler(space, seed=seed, method=method)  # validates the space, seed and method
    with tempfile.TemporaryDirectory(prefix="lrcore-optuna-") as tmp:
        spec = storage_spec if storage_spec is not None else os.path.join(tmp, "journal.log")
        study = optuna.create_study(
            study_name=study_name,
            storage=storage(spec),
            sampler=sampler,
            direction=direction,
            load_if_exists=False,
        )
        counts = [n // workers + (i < n % workers) for i in range(workers)]
        args = (fn, space.to_dict(), seed, method, spec, study_name)
        if workers == 1:
            _work(*args, n)
        else:
            ctx = multiprocessing.get_context("spawn")
            procs = [ctx.Process(target=_work, args=(*args, c)) for c in counts if c]
            for p in procs:
                p.start()
            for p in procs:
                p.join()
            failed = [p.exitcode for p in procs if p.exitcode != 0]
            if failed:
                raise RuntimeError(f"map_rows(): worker processes failed (exit codes {failed})")
        trials = sorted(study.get_trials(deepcopy=False), key=lambda t: t.number)
        bad = [t.number for t in trials if t.state != optuna.trial.TrialState.COMPLETE]
        if bad or len(trials) != n:
            raise RuntimeError(f"map_rows(): {len(trials)} trials of {n}, not complete: {bad}")
        return [t.user_attrs[RESULT_ATTR] for t in trials]
