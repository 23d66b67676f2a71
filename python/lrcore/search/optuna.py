"""lrcore search streams as an Optuna sampler (imported only when used; needs ``optuna>=3``).

>>> import optuna
>>> from lrcore import search
>>> from lrcore.search.optuna import Sampler, suggest
>>> space = search.Space(lr=search.loguniform(1e-5, 1.0), opt=search.choice(["sgd", "adam"]),
...                      momentum=search.uniform(0.8, 0.99).when(opt="sgd"))
>>> study = optuna.create_study(sampler=Sampler(space, seed=0, method="sobol"))
>>> study.optimize(lambda trial: train(**suggest(trial, space)), n_trials=64)  # doctest: +SKIP

**Which trial gets which row.** Rows of the stream ``space.sample(..., seed=seed, method=method)``
go to the trials the sampler samples, in the order they first ask it for a value, gap-free and
duplicate-free however many worker processes share the study. The counter is a second study in
the same storage, :func:`rows_study_name` (``"<study name>.lrcore-rows.<study id>"``): a trial
takes a row by creating a trial there (a "ticket", holding the trial's number), and the ticket's
number is the row. Optuna's storages number a study's trials atomically (an RDB storage inside
its write transaction, under a lock on the study; a journal in log order), so two workers
sampling at once never get the same row, and a row is taken only by a trial that samples, so
none is skipped. The row is also written to the trial's system attribute :data:`ROW_ATTR`.
With one worker and nothing enqueued, trial k gets row k; with several workers, trial numbers and
rows need not be in the same order.

Trials that take no row: one with fixed parameters (``study.enqueue_trial``, ``study.add_trial``)
draws any parameter it does not fix from ``independent_sampler``. A trial that carries a row
takes no new one: the retry that ``RetryFailedTrialCallback`` makes of a failed trial copies its
system attributes, :data:`ROW_ATTR` included, and takes its parameters from that row (the failed
trial's row, found among the tickets if the trial died between taking it and writing
:data:`ROW_ATTR`); a trial that suggests nothing from the sampler takes no row either.

**Workers must agree.** The first ticket (row 0) holds the sampler's signature: the space with
its parameters in order, each distribution and condition, the seed and the method. A ticket's
content is written with its number, so whichever worker takes row 0 decides the signature, once.
Every other worker compares its own before its first trial; one that differs raises ValueError
and marks that trial FAIL (a trial it had taken from the queue is queued again, unchanged), so it
leaves no RUNNING trial and takes no row. If two workers start at the same instant, both may find
no row 0 yet: both take a ticket, the one holding row 0 goes on, the other hands its row to a
WAITING trial in the study (system attribute :data:`ROW_ATTR`, no parameters; the next worker to
ask runs it) and raises. The signature is also copied to the study's user attribute
:data:`USER_ATTR`, for people reading the study.

The cost of a trial does not grow with the study: a ticket is one trial written to the storage
(and the row written to the trial), and rows are drawn in blocks of :data:`BLOCK` by counter. No
past trial is read, except the tickets, once, by a retry of a trial that died before recording
a row.

A stepped float whose top level lo + i*step lands an ulp above Optuna's top (``uniform(0, 0.35,
step=0.1)``: 0.30000000000000004 against Optuna's 0.3) is handed to Optuna clamped to its top.
"""

from __future__ import annotations

import dataclasses
import decimal
import json
import multiprocessing
import os
import tempfile
import zlib
from collections.abc import Callable
from typing import Any, Literal, NamedTuple

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

from lrcore.search import Distribution, Method, Space, _same

__all__ = [
    "BLOCK",
    "RESULT_ATTR",
    "ROW_ATTR",
    "USER_ATTR",
    "Sampler",
    "distributions",
    "map_rows",
    "rows_study_name",
    "storage",
    "suggest",
]

#: Rows drawn at a time (one block is cached per sampler).
BLOCK = 32

#: The study user attribute holding the space, seed and method of the worker that took row 0
#: (a copy for people reading the study; the check uses row 0 itself).
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

    >>> from lrcore.search import Space, choice, loguniform
    >>> distributions(Space(lr=loguniform(1e-4, 1.0), opt=choice(["sgd", "adam"])))["lr"]
    FloatDistribution(high=1.0, log=True, low=0.0001, step=None)
    """
    return {name: _distribution(name, dist) for name, dist in space.params.items()}


def suggest(trial: optuna.trial.BaseTrial, space: Space) -> dict[str, Any]:
    """Suggests the parameters of ``space`` that are active given the values suggested for their
    parents (a conditional parameter only where its conditions hold), in the space's order;
    returns ``{name: value}`` (inactive parameters left out, as in ``Trials.to_dicts()``).

    >>> import optuna
    >>> from lrcore.search import Space, choice, uniform
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> space = Space(opt=choice(["sgd", "adam"]), momentum=uniform(0.8, 0.99).when(opt="sgd"))
    >>> study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    >>> trial = study.ask()
    >>> sorted(suggest(trial, space)) in (["momentum", "opt"], ["opt"])
    True
    """
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


def _signature(space: Space, seed: int, method: Method) -> str:
    """What workers sharing a study must agree on, as JSON text compared exactly: the parameters
    as a list (their order is the stream's column order), each distribution and its conditions
    with sorted keys, the seed and the method."""
    params = [[name, d] for name, d in space.to_dict().items()]
    return json.dumps(
        {"method": method, "params": params, "seed": seed}, sort_keys=True, allow_nan=False
    )


def _parse_signature(text: Any) -> dict[str, Any] | None:
    """A stored signature read back, or None where it is not one lrcore wrote."""
    try:
        sig = json.loads(text)
        ok = (
            set(sig) == {"method", "params", "seed"}
            and isinstance(sig["params"], list)
            and all(isinstance(p, list) and len(p) == 2 for p in sig["params"])
        )
    except (TypeError, ValueError):
        return None
    return sig if ok else None


def _mismatch(study_name: str, rows_study: str, stored: Any, mine: str) -> str | None:
    """The ValueError message for a worker whose signature ``mine`` is not the ``stored`` one of
    row 0, or None where they are equal."""
    if stored == mine:
        return None
    old, new = _parse_signature(stored), _parse_signature(mine)
    assert new is not None
    if old is None:
        return (
            f"lrcore.search.optuna.Sampler: study '{study_name}' has a row study '{rows_study}' "
            f"whose row 0 lrcore did not write (signature {stored!r})"
        )
    diffs = [
        f"{field}={old[field]!r} (this sampler: {field}={new[field]!r})"
        for field in ("seed", "method")
        if old[field] != new[field]
    ]
    if old["params"] != new["params"]:
        a, b = dict(map(tuple, old["params"])), dict(map(tuple, new["params"]))
        names = sorted((set(a) ^ set(b)) | {n for n in set(a) & set(b) if a[n] != b[n]})
        if names:
            diffs.append(f"a different space (parameters differing: {', '.join(names)})")
        else:
            diffs.append(
                f"a different space (parameter order: {', '.join(a)}; this sampler: {', '.join(b)})"
            )
    return (
        f"lrcore.search.optuna.Sampler: study '{study_name}' was started with "
        f"{'; '.join(diffs)}; every worker sharing a study must use the same space, seed "
        "and method"
    )


#: The trial system attribute holding the stream row a trial samples.
ROW_ATTR = "lrcore.row"
# On a ticket (a trial of the rows study): the number of the trial that took it, and the
# signature of a worker that had not yet seen row 0 (so row 0 always holds one).
_TICKET_TRIAL = "lrcore.trial"
_TICKET_SIGNATURE = "lrcore.signature"
# What RetryFailedTrialCallback writes on a retry: the numbers of the failed trials it retries.
_RETRY_HISTORY = "retry_history"


def rows_study_name(study: Study) -> str:
    """The name of the study, in ``study``'s storage, whose trial numbers count ``study``'s
    stream rows (``"<study name>.lrcore-rows.<study id>"``; delete it with the study).

    >>> import optuna
    >>> from lrcore.search import Space, uniform
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> sampler = Sampler(Space(x=uniform(0.0, 1.0)))
    >>> rows_study_name(optuna.create_study(study_name="sweep", sampler=sampler))
    'sweep.lrcore-rows.0'
    """
    return f"{study.study_name}.lrcore-rows.{study._study_id}"


def _rows_study(storage: optuna.storages.BaseStorage, name: str) -> int:
    """The id of the rows study ``name``, created by whichever worker comes first."""
    try:
        return storage.get_study_id_from_name(name)
    except KeyError:
        pass
    try:
        return storage.create_new_study([optuna.study.StudyDirection.MINIMIZE], name)
    except optuna.exceptions.DuplicatedStudyError:
        return storage.get_study_id_from_name(name)


def _first_signature(storage: optuna.storages.BaseStorage, rows_study: int) -> str | None:
    """The signature row 0 holds ("" if none), or None while no row is taken."""
    try:
        ticket = storage.get_trial_id_from_study_id_trial_number(rows_study, 0)
    except KeyError:
        return None
    stored: str = storage.get_trial_system_attrs(ticket).get(_TICKET_SIGNATURE, "")
    return stored


@dataclasses.dataclass
class _Registration:
    """A sampler's standing in one study: its rows study, and whether its signature was found
    equal (``verified``) or not (``refusal``, the message) to row 0's."""

    rows_study: int
    verified: bool = False
    refusal: str | None = None


class _Plan(NamedTuple):
    """Where a trial's row comes from, read from the trial as ``before_trial`` got it (Optuna
    adds suggested parameters to that object later)."""

    row: int | None  # carried (a retry's or a handed-over row)
    retry_of: tuple[int, ...]  # failed trials whose ticket the trial may reuse
    fixed: bool  # enqueued or added with parameters: no new row


class Sampler(BaseSampler):
    """An Optuna sampler giving the trials it samples the rows of the stream (``space``,
    ``seed``, ``method``) in turn, for the parameters of ``space`` active in each row; a trial's
    row is in its system attribute :data:`ROW_ATTR`. See the module docstring for how rows are
    counted across workers, which trials take none, and how workers are checked to agree.

    A parameter the objective suggests that is not in ``space`` (define-by-run), or one the row
    leaves inactive, or one suggested with a distribution that does not contain the row's value,
    or any parameter of a trial that takes no row, is drawn by ``independent_sampler`` (default:
    a ``RandomSampler`` seeded from ``seed``, the trial number and the parameter name, so the
    draw is the same on every worker).

    >>> import optuna
    >>> from lrcore.search import Space, choice, loguniform
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> space = Space(lr=loguniform(1e-4, 1.0), opt=choice(["sgd", "adam"]))
    >>> study = optuna.create_study(sampler=Sampler(space, seed=0))
    >>> study.optimize(lambda trial: suggest(trial, space)["lr"], n_trials=4)
    >>> [t.params for t in study.trials] == space.sample(4, seed=0, method="sobol").to_dicts()
    True
    """

    def __init__(
        self,
        space: Space,
        seed: int = 0,
        method: Method = "sobol",
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
        self._block: tuple[int, list[dict[str, Any]]] = (-1, [])
        # keyed by (id(storage), study id) and (id(storage), trial id); single dict operations
        # only, so threads of one process (n_jobs > 1) need no lock
        self._studies: dict[tuple[int, int], _Registration] = {}
        self._plans: dict[tuple[int, int], _Plan] = {}

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
        state["_studies"], state["_plans"] = {}, {}  # ids of this process's storages
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        state["_space"] = Space.from_dict(state["_space"])
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

    # -- rows and the study check ------------------------------------------------------------

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._plan(study, trial)
        self._before_independent(study, trial)

    def _plan(self, study: Study, trial: FrozenTrial) -> _Plan:
        reg = self._register(study)
        if reg.refusal is not None:
            self._refuse(study, trial, reg.refusal)
        attrs = trial.system_attrs
        carried = attrs.get(ROW_ATTR)
        plan = _Plan(
            row=carried if isinstance(carried, int) else None,
            retry_of=tuple(attrs.get(_RETRY_HISTORY, ())),
            fixed=bool(trial.params or attrs.get("fixed_params")),
        )
        self._plans[(id(study._storage), trial._trial_id)] = plan
        return plan

    def _register(self, study: Study) -> _Registration:
        storage = study._storage
        key = (id(storage), study._study_id)
        reg = self._studies.get(key)
        if reg is None:
            fresh = _Registration(_rows_study(storage, rows_study_name(study)))
            reg = self._studies.setdefault(key, fresh)
        if not reg.verified and reg.refusal is None:
            stored = _first_signature(storage, reg.rows_study)
            if stored is not None:
                self._settle(study, reg, stored)
        return reg

    def _settle(self, study: Study, reg: _Registration, stored: str) -> None:
        reg.refusal = _mismatch(study.study_name, rows_study_name(study), stored, self._signature)
        reg.verified = reg.refusal is None

    def _refuse(self, study: Study, trial: FrozenTrial, message: str) -> None:
        """Fails ``trial`` (queueing it again unchanged if it came from the queue) and raises."""
        storage = study._storage
        if trial.params or trial.system_attrs or trial.user_attrs or trial.intermediate_values:
            queued = optuna.trial.create_trial(
                state=optuna.trial.TrialState.WAITING,
                params=trial.params,
                distributions=trial.distributions,
                user_attrs=trial.user_attrs,
                system_attrs=trial.system_attrs,
                intermediate_values=trial.intermediate_values,
            )
            storage.create_new_trial(study._study_id, template_trial=queued)
        storage.set_trial_state_values(trial._trial_id, optuna.trial.TrialState.FAIL)
        raise ValueError(message)

    def _row_of(self, study: Study, trial: FrozenTrial) -> int | None:
        """The row ``trial`` samples (taking a ticket if it needs a new one), or None."""
        storage = study._storage
        plan = self._plans.get((id(storage), trial._trial_id)) or self._plan(study, trial)
        if plan.row is not None:
            return plan.row
        reg = self._studies[(id(storage), study._study_id)]
        if plan.retry_of:
            wanted = set(plan.retry_of)
            for ticket in storage.get_all_trials(reg.rows_study, deepcopy=False):
                if ticket.system_attrs.get(_TICKET_TRIAL) in wanted:
                    storage.set_trial_system_attr(trial._trial_id, ROW_ATTR, ticket.number)
                    return ticket.number
        if plan.fixed:
            return None
        attrs: dict[str, Any] = {_TICKET_TRIAL: trial.number}
        if not reg.verified:
            attrs[_TICKET_SIGNATURE] = self._signature
        ticket_id = storage.create_new_trial(
            reg.rows_study,
            template_trial=optuna.trial.create_trial(value=0.0, system_attrs=attrs),
        )
        row = storage.get_trial_number_from_id(ticket_id)
        if not reg.verified:
            stored = self._signature if row == 0 else _first_signature(storage, reg.rows_study)
            assert stored is not None  # row 0 exists once any row does
            self._settle(study, reg, stored)
            if reg.refusal is not None:
                handed = optuna.trial.create_trial(
                    state=optuna.trial.TrialState.WAITING, system_attrs={ROW_ATTR: row}
                )
                storage.create_new_trial(study._study_id, template_trial=handed)
                raise ValueError(reg.refusal)
            if row == 0:
                info = {"space": self._space.to_dict(), "seed": self._seed, "method": self._method}
                storage.set_study_user_attr(study._study_id, USER_ATTR, info)
        storage.set_trial_system_attr(trial._trial_id, ROW_ATTR, row)
        return row

    # -- BaseSampler -------------------------------------------------------------------------------

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return dict(self._dists)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        k = self._row_of(study, trial)
        if k is None:
            return {}
        out: dict[str, Any] = {}
        for name, value in self.row(k).items():
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
        self._plans.pop((id(study._storage), trial._trial_id), None)
        if self._independent is not None:
            self._independent.after_trial(study, trial, state, values)


# -- running a sweep -------------------------------------------------------------------------------


def storage(spec: str) -> optuna.storages.BaseStorage:
    """An Optuna storage from a string: a database URL (``sqlite:///sweep.db``,
    ``postgresql://user@host/db``; anything with ``://``) or else the path of a journal file
    (``JournalStorage(JournalFileBackend(path))``, for processes on one machine or a shared
    file system; a journal has no heartbeat, so the trial of a killed worker stays RUNNING).

    >>> import os, tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     type(storage(os.path.join(folder, "journal.log"))).__name__
    'JournalStorage'
    """
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
    method: Method,
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
    method: Method = "sobol",
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

    >>> import optuna
    >>> from lrcore.search import Space, loguniform
    >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
    >>> space = Space(lr=loguniform(1e-4, 1.0))
    >>> lrs = map_rows(lambda row: row["lr"], space, 3)
    >>> lrs == space.sample(3, method="sobol")["lr"].tolist()
    True
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
        trials = study.get_trials(deepcopy=False)
        bad = [t.number for t in trials if t.state != optuna.trial.TrialState.COMPLETE]
        if bad or len(trials) != n:
            raise RuntimeError(f"map_rows(): {len(trials)} trials of {n}, not complete: {bad}")
        trials.sort(key=lambda t: int(t.system_attrs[ROW_ATTR]))
        return [t.user_attrs[RESULT_ATTR] for t in trials]
