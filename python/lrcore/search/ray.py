"""lrcore search streams as a Ray Tune search algorithm (imported only when used; needs
``ray[tune]>=2.9``).

>>> from ray import tune
>>> from lrcore import search
>>> from lrcore.search.ray import Searcher
>>> space = search.Space(lr=search.loguniform(1e-5, 1.0), opt=search.choice(["sgd", "adam"]))
>>> tuner = tune.Tuner(train, tune_config=tune.TuneConfig(  # doctest: +SKIP
...     search_alg=Searcher(space, seed=0, method="sobol"), num_samples=64))

The driver hands out the rows of the stream (``space``, ``seed``, ``method``) in trial order:
the i-th suggestion is row ``start + i``; inactive parameters are left out of the config, as in
``Trials.to_dicts()``. Constants in the Tuner's ``param_space`` are merged into every config.
"""

from __future__ import annotations

import math
import pickle
import tempfile
from collections.abc import Callable
from typing import Any, Literal

from lrcore._optional import missing

try:
    from ray import tune
    from ray.tune.search import Searcher as _TuneSearcher
except ModuleNotFoundError as err:
    raise missing(__name__, err) from None

from lrcore.search import Distribution, Method, Space

__all__ = ["MAX_LEVELS", "Searcher", "map_rows", "param_space"]

#: The most levels a stepped parameter may have to be written as ``tune.choice`` of its levels.
MAX_LEVELS = 10_000


def _float_levels(lo: float, hi: float, step: float) -> list[float]:
    """The levels of ``uniform(lo, hi, step)``, computed as the sampler computes them."""
    r = (hi - lo) / step
    nearest = float(round(r))
    if abs(r - nearest) <= 1e-9 * max(nearest, 1.0):
        k, top = int(nearest) + 1, hi
    else:
        k = math.floor(r) + 1
        top = min(lo + (k - 1) * step, hi)
    if k > MAX_LEVELS:
        raise _TooMany(k)
    return [top if i == k - 1 else min(lo + i * step, top) for i in range(k)]


class _TooMany(Exception):
    pass


def _domain(name: str, dist: Distribution) -> Any:
    kind, a = dist.kind, dist.args

    def cannot(why: str) -> ValueError:
        return ValueError(f"Ray Tune cannot express parameter '{name}': {dist!r} ({why})")

    if dist.conditions:
        raise cannot(
            "a param_space has no conditions; use lrcore.search.ray.Searcher, which honours them"
        )
    try:
        if kind == "uniform":
            if a["step"] is None:
                return tune.uniform(a["lo"], a["hi"])
            return tune.choice(_float_levels(a["lo"], a["hi"], a["step"]))
        if kind == "loguniform":
            return tune.loguniform(a["lo"], a["hi"])
        if kind == "integer":
            lo, hi, step = a["lo"], a["hi"], a["step"]
            if a["log"]:
                raise cannot(
                    "tune.lograndint floors a log-uniform draw; lrcore rounds one on "
                    "[lo - 1/2, hi + 1/2]"
                )
            if step == 1:
                return tune.randint(lo, hi + 1)
            top = lo + (hi - lo) // step * step
            if lo % step == 0:
                return tune.qrandint(lo, top, step)  # the multiples of step in [lo, top]
            if (top - lo) // step + 1 > MAX_LEVELS:
                raise _TooMany((top - lo) // step + 1)
            return tune.choice(list(range(lo, top + 1, step)))
        if kind == "choice":
            if a["weights"] is not None:
                raise cannot("tune.choice has no weights")
            return tune.choice(list(a["options"]))
        if kind == "normal":
            return tune.randn(a["mu"], a["sigma"])
        raise cannot("Tune has no lognormal distribution")
    except _TooMany as e:
        raise cannot(f"{e.args[0]} levels, more than {MAX_LEVELS} for a tune.choice") from None


def param_space(space: Space) -> dict[str, Any]:
    """A Ray Tune ``param_space`` with the same distribution per parameter (what
    :meth:`lrcore.search.Space.to_tune` returns).

    ``uniform`` → ``tune.uniform`` (with ``step``: ``tune.choice`` of its levels, since
    ``tune.quniform`` gives its ends half weight), ``loguniform`` → ``tune.loguniform``,
    ``integer`` → ``tune.randint(lo, hi + 1)`` (``tune.qrandint`` when ``lo`` is a multiple of
    ``step``, else ``tune.choice`` of the levels), ``choice`` → ``tune.choice``, ``normal`` →
    ``tune.randn``. A log integer, a lognormal, a weighted choice or a conditional parameter is a
    ValueError naming the parameter: :class:`Searcher` samples those.

    >>> from lrcore.search import Space, choice, integer, loguniform
    >>> tune_space = param_space(Space(lr=loguniform(1e-4, 1.0), opt=choice(["sgd", "adam"])))
    >>> {name: type(domain).__name__ for name, domain in tune_space.items()}
    {'lr': 'Float', 'opt': 'Categorical'}
    >>> tune_space["lr"].lower, tune_space["lr"].upper
    (0.0001, 1.0)
    """
    if not isinstance(space, Space):
        raise TypeError(f"param_space(): expected an lrcore.search.Space, got {space!r}")
    return {name: _domain(name, dist) for name, dist in space.params.items()}


class Searcher(_TuneSearcher):
    """A Ray Tune search algorithm: suggestion i is row ``start + i`` of the stream
    (``space``, ``seed``, ``method``), for ``tune.TuneConfig(search_alg=Searcher(space, ...))``.

    With ``index_key``, each config also holds its row number under that key. Not adaptive
    (``metric`` and ``mode`` are accepted and ignored). ``save``/``restore`` (and
    ``get_state``/``set_state``) keep the next index, so a restored run continues the stream.

    >>> from lrcore.search import Space, choice, loguniform
    >>> space = Space(lr=loguniform(1e-4, 1.0), opt=choice(["sgd", "adam"]))
    >>> searcher = Searcher(space, seed=0, index_key="row")
    >>> first, second = searcher.suggest("trial-a"), searcher.suggest("trial-b")
    >>> second.pop("row"), searcher.row_of("trial-b")
    (1, 1)
    >>> second == space.sample(2, seed=0, method="sobol").to_dicts()[1]
    True
    """

    def __init__(
        self,
        space: Space,
        seed: int = 0,
        method: Method = "sobol",
        *,
        start: int = 0,
        index_key: str | None = None,
        metric: str | None = None,
        mode: Literal["min", "max"] | None = None,
    ) -> None:
        if not isinstance(space, Space):
            raise TypeError(
                f"Searcher(): space must be an lrcore.search.Space, got {type(space).__name__!r}"
            )
        if method == "lhs":
            raise ValueError(
                "Searcher(): method 'lhs' draws one hypercube of n rows, so the stream cannot be "
                "handed out row by row; use 'sobol', 'halton' or 'random'"
            )
        space.sample(1, seed=seed, method=method, start=start)  # validates seed, method, start
        super().__init__(metric=metric, mode=mode)
        self._space = space
        self._seed = int(seed)
        self._method = method
        self._index = int(start)
        self._rows: dict[str, int] = {}
        self._index_key = index_key

    @property
    def space(self) -> Space:
        return self._space

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_space"] = self._space.to_dict()  # a Space holds a Rust object: pickle its dict
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        state["_space"] = Space.from_dict(state["_space"])
        self.__dict__.update(state)

    @property
    def index(self) -> int:
        """The row the next suggestion gets."""
        return self._index

    def row(self, k: int) -> dict[str, Any]:
        """Row ``k`` of the stream (inactive parameters left out)."""
        row: dict[str, Any] = self._space.sample(
            1, seed=self._seed, method=self._method, start=k
        ).to_dicts()[0]
        return row

    def row_of(self, trial_id: str) -> int:
        """The stream row that trial ``trial_id`` got."""
        return self._rows[trial_id]

    def set_search_properties(
        self, metric: str | None, mode: str | None, config: dict[str, Any], **spec: Any
    ) -> bool:
        if metric:
            self._metric = metric
        if mode:
            self._mode = mode
        return False  # the space is ours; Tune rejects a param_space with unresolved domains

    def suggest(self, trial_id: str) -> dict[str, Any] | None:
        k = self._index
        self._index += 1
        self._rows[trial_id] = k
        row = self.row(k)
        if self._index_key is not None:
            row[self._index_key] = k
        return row

    def on_trial_complete(
        self, trial_id: str, result: dict[str, Any] | None = None, error: bool = False
    ) -> None:
        pass

    def get_state(self) -> dict[str, Any]:
        return {
            "space": self._space.to_json(),
            "seed": self._seed,
            "method": self._method,
            "index": self._index,
            "rows": dict(self._rows),
        }

    def set_state(self, state: dict[str, Any]) -> None:
        mine = self.get_state()
        diffs = [f for f in ("space", "seed", "method") if state.get(f) != mine[f]]
        if diffs:
            raise ValueError(
                f"Searcher.restore(): the saved searcher has a different {' and '.join(diffs)}; "
                "restore into a Searcher with the same space, seed and method"
            )
        self._index = int(state["index"])
        self._rows = dict(state["rows"])

    def save(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "wb") as f:
            pickle.dump(self.get_state(), f)

    def restore(self, checkpoint_path: str) -> None:
        with open(checkpoint_path, "rb") as f:
            self.set_state(pickle.load(f))


_ROW_KEY = "_lrcore_row"


def map_rows(
    fn: Callable[[dict[str, Any]], Any],
    space: Space,
    n: int,
    *,
    seed: int = 0,
    method: Method = "sobol",
    address: str | None = None,
    max_concurrent_trials: int | None = None,
    resources_per_trial: dict[str, float] | None = None,
    storage_path: str | None = None,
) -> list[Any]:
    """``[fn(row) for row in space.sample(n, seed=seed, method=method).to_dicts()]``, evaluated
    as the trials of a ``ray.tune.Tuner`` driven by :class:`Searcher`; returns the results in row
    order (each a JSON-serializable value, passed back through Tune's result).

    Starts a local Ray (or joins ``address``, e.g. ``"auto"`` or ``"ray://head:10001"``) unless
    Ray is already initialized, and shuts down only what it started. ``resources_per_trial``
    defaults to one CPU; ``storage_path`` (Tune's results) to a temporary folder.

    >>> from lrcore import search
    >>> space = search.Space(lr=search.loguniform(1e-4, 1e-1))
    >>> map_rows(lambda row: row["lr"], space, 0)  # n=0: nothing to run, Ray is not started
    []

    With ``n=16`` the same call runs 16 Tune trials and returns their 16 results, row 0 first.
    """
    import ray

    if n < 0:
        raise ValueError(f"map_rows(): n must be >= 0, got {n}")
    searcher = Searcher(space, seed=seed, method=method, index_key=_ROW_KEY)
    if n == 0:
        return []

    def trainable(config: dict[str, Any]) -> dict[str, Any]:
        params = {k: v for k, v in config.items() if k != _ROW_KEY}
        return {"lrcore_result": fn(params), "lrcore_row": config[_ROW_KEY]}

    started = not ray.is_initialized()
    if started:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    try:
        with tempfile.TemporaryDirectory(prefix="lrcore-ray-") as tmp:
            tuner = tune.Tuner(
                tune.with_resources(trainable, resources_per_trial or {"cpu": 1}),
                tune_config=tune.TuneConfig(
                    search_alg=searcher,
                    num_samples=n,
                    max_concurrent_trials=max_concurrent_trials,
                    reuse_actors=True,
                ),
                run_config=tune.RunConfig(
                    storage_path=storage_path or tmp, name="lrcore", verbose=0
                ),
            )
            grid = tuner.fit()
            if grid.num_errors:
                raise RuntimeError(f"map_rows(): {grid.num_errors} of {n} trials failed")
            out: dict[int, Any] = {}
            for i in range(len(grid)):
                metrics = grid[i].metrics or {}
                out[int(metrics["lrcore_row"])] = metrics["lrcore_result"]
    finally:
        if started:
            ray.shutdown()
    return [out[k] for k in range(n)]
