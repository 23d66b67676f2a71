"""Random and quasi-random hyper-parameter search, drawn whole sweeps at a time in Rust.

>>> from lrcore import search
>>> space = search.Space(lr=search.loguniform(1e-5, 1.0), momentum=search.uniform(0.8, 0.99),
...                      warmup=search.integer(0, 5000), batch=search.choice([32, 64, 128, 256]))
>>> trials = space.sample(1024, seed=0, method="sobol")
>>> trials["lr"].shape
(1024,)

Semantics (each a decision where the tools disagree):

* ``uniform(lo, hi)`` draws from (lo, hi); with ``step`` the levels lo, lo+step, ... up to hi
  (the last level is hi when hi - lo is a multiple of step, otherwise the largest level below
  hi), all equally likely: no half-weight ends, never outside [lo, hi].
* ``integer(lo, hi, step=1)``: lo, lo+step, ... <= hi, both ends included and equally likely.
  ``integer(lo, hi, log=True)`` is log-uniform on [lo - 1/2, hi + 1/2] rounded to the nearest
  integer (Optuna's rule; needs lo >= 1 and step 1).
* ``choice(options, weights=None)`` returns the option itself; weights need not sum to 1.
* ``normal(mu, sigma)``; ``lognormal(mu, sigma)`` is exp(normal(mu, sigma)) (numpy's convention).
* ``dist.when(opt="sgd")`` / ``.when(opt=["sgd", "nesterov"], layers=2)``: active only where every
  named parameter (a choice or an integer, itself active) takes one of the values. Where
  inactive, a float column holds NaN, an object column None, and ``to_dicts`` leaves the key out.

Columns: float64 for float parameters; int64 for integer parameters and integer-valued choices
(float64 with NaN when conditional); choices of other options give an object array (a bool
array for all-bool options of an unconditional parameter). The float64 and int64 columns of a
sample are the rows of one 2-D array per dtype (C-contiguous views; the block lives as long as
any of its columns).

Methods (``Space.sample(n, seed=0, method="random", start=0)``): ``random`` (a counter-based
SplitMix64 stream, so row k is drawn without rows 0..k-1), ``sobol`` (Joe-Kuo directions, linear
matrix scramble + digital shift from the seed; at most 1024 parameters), ``halton`` (random digit
permutations from the seed; at most 1024 parameters), ``lhs`` (one Latin hypercube of n rows, so
``start`` must be 0). ``sample(n, seed, start=k)`` equals rows k..k+n-1 of a longer draw, on
every platform and thread count; a change of these streams is a breaking change.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import math
import numbers
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from lrcore import _optional
from lrcore._core import SearchSpace, check_distribution, max_qmc_dims

__all__ = [
    "METHODS",
    "Distribution",
    "Space",
    "Trials",
    "choice",
    "integer",
    "lognormal",
    "loguniform",
    "normal",
    "uniform",
]

#: The sampling methods of :meth:`Space.sample`.
METHODS = ("random", "sobol", "halton", "lhs")
#: Their type, for the ``method`` parameters here and in the engines.
Method = Literal["random", "sobol", "halton", "lhs"]

#: The most parameters ``sobol`` and ``halton`` can sample (Joe-Kuo directions tabulated).
MAX_QMC_DIMS: int = max_qmc_dims()

_FIELDS: dict[str, tuple[str, ...]] = {
    "uniform": ("lo", "hi", "step"),
    "loguniform": ("lo", "hi"),
    "integer": ("lo", "hi", "log", "step"),
    "choice": ("options", "weights"),
    "normal": ("mu", "sigma"),
    "lognormal": ("mu", "sigma"),
}
_DEFAULTS: dict[str, dict[str, Any]] = {
    "uniform": {"step": None},
    "integer": {"log": False, "step": 1},
    "choice": {"weights": None},
}


def _type_name(x: object) -> str:
    return type(x).__name__


def _number(func: str, name: str, x: object) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{func}(): {name} must be a number, got {x!r} of type '{_type_name(x)}'")
    return float(x)


def _integer(func: str, name: str, x: object) -> int:
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise TypeError(f"{func}(): {name} must be an integer, got {x!r} of type '{_type_name(x)}'")
    return int(x)


def _int64(func: str, name: str, x: object) -> int:
    """An integer that an int64 column holds."""
    v = _integer(func, name, x)
    if not -(2**63) <= v < 2**63:
        raise ValueError(f"{func}(): {name} must be an integer in [-2**63, 2**63), got {v}")
    return v


def _plain(x: object) -> Any:
    """numpy scalars to the Python values they stand for."""
    if isinstance(x, np.generic):
        return x.item()
    return x


def _option_values(options: Sequence[Any]) -> tuple[list[int] | None, list[float] | None]:
    """(ints, floats): the options as numbers when all are ints (or all numbers), else None."""
    if all(isinstance(o, int) and not isinstance(o, bool) for o in options):
        if all(-(2**63) <= o < 2**63 for o in options):
            return list(options), None
        return None, None
    if all(isinstance(o, (int, float)) and not isinstance(o, bool) for o in options):
        return None, [float(o) for o in options]
    return None, None


def _same(a: object, b: object) -> bool:
    """Option equality that tells True from 1 and 1.0 from 1 apart."""
    return type(a) is type(b) and bool(a == b)


class Distribution:
    """One distribution of a search space; build it with :func:`uniform`, :func:`choice`, ...

    Immutable; ``.when(**conditions)`` returns a conditional copy.

    >>> d = uniform(0.8, 0.99).when(opt="sgd")
    >>> d
    uniform(0.8, 0.99).when(opt='sgd')
    >>> d.kind, d.conditions
    ('uniform', {'opt': ('sgd',)})
    >>> Distribution.from_dict(d.to_dict()) == d
    True
    """

    __slots__ = ("_args", "_kind", "_when")

    _kind: str
    _args: dict[str, Any]
    _when: dict[str, tuple[Any, ...]]

    def __init__(self, kind: str, args: Mapping[str, Any], when: Mapping[str, Any] | None = None):
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_args", dict(args))
        object.__setattr__(self, "_when", dict(when or {}))
        check_distribution(kind, self._fields())

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    @property
    def kind(self) -> str:
        """The builder's name: ``"uniform"``, ``"loguniform"``, ``"integer"``, ``"choice"``, ...."""
        return self._kind

    @property
    def args(self) -> dict[str, Any]:
        """The arguments it was built with (a copy)."""
        return dict(self._args)

    @property
    def conditions(self) -> dict[str, tuple[Any, ...]]:
        """``{parameter: values}``: active only where each parameter takes one of its values."""
        return dict(self._when)

    def _fields(self) -> dict[str, Any]:
        """The typed fields the Rust core checks."""
        if self._kind != "choice":
            return dict(self._args)
        options = self._args["options"]
        ints, floats = _option_values(options)
        return {"n": len(options), "weights": self._args["weights"], "ints": ints, "floats": floats}

    def when(self, **conditions: Any) -> Distribution:
        """A copy active only where each named parameter takes the value (or one of the list of
        values) given: ``uniform(0.8, 0.99).when(opt="sgd")``. Conditions add up (all must hold)."""
        merged = dict(self._when)
        for name, value in conditions.items():
            values = tuple(value) if isinstance(value, (list, tuple)) else (value,)
            merged[name] = tuple(_plain(v) for v in values)
        return Distribution(self._kind, self._args, merged)

    def to_dict(self) -> dict[str, Any]:
        """``{"kind": ..., <arguments>, "when": {...}}`` (``when`` only if conditional)."""
        d: dict[str, Any] = {"kind": self._kind}
        d.update(self._args)
        if self._kind == "choice":
            d["options"] = list(self._args["options"])
            if d["weights"] is not None:
                d["weights"] = list(d["weights"])
        if self._when:
            d["when"] = {k: list(v) for k, v in self._when.items()}
        return d

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> Distribution:
        """Reads what :meth:`to_dict` writes."""
        if not isinstance(d, Mapping) or "kind" not in d:
            raise TypeError(f"a distribution must be a mapping with a 'kind', got {d!r}")
        kind = d["kind"]
        if kind not in _FIELDS:
            raise ValueError(
                f"kind must be one of {', '.join(repr(k) for k in _FIELDS)}, got {kind!r}"
            )
        unknown = set(d) - set(_FIELDS[kind]) - {"kind", "when"}
        if unknown:
            raise TypeError(f"{kind}() got unexpected fields {sorted(unknown)}")
        args = {k: d[k] for k in _FIELDS[kind] if k in d}
        dist: Distribution = _BUILDERS[kind](**args)
        when = d.get("when")
        if when:
            if not isinstance(when, Mapping):
                raise TypeError(f"when must be a mapping of parameter to values, got {when!r}")
            dist = dist.when(**dict(when))
        return dist

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Distribution):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_dict(), sort_keys=True, default=repr))

    def __repr__(self) -> str:
        defaults = _DEFAULTS.get(self._kind, {})
        parts = []
        for name in _FIELDS[self._kind]:
            value = self._args[name]
            if name in defaults and value == defaults[name] and type(value) is type(defaults[name]):
                continue
            if name in ("lo", "hi", "mu", "sigma", "options"):
                parts.append(repr(value))
            else:
                parts.append(f"{name}={value!r}")
        text = f"{self._kind}({', '.join(parts)})"
        if self._when:
            conds = ", ".join(
                f"{k}={v[0]!r}" if len(v) == 1 else f"{k}={list(v)!r}"
                for k, v in self._when.items()
            )
            text += f".when({conds})"
        return text


def uniform(lo: float, hi: float, step: float | None = None) -> Distribution:
    """Uniform on [lo, hi]; with ``step``, the equally likely levels lo, lo+step, ... <= hi.

    >>> Space(x=uniform(0.0, 1.0, step=0.25)).sample(6, seed=0)["x"].tolist()
    [0.0, 0.5, 0.75, 0.0, 1.0, 1.0]
    """
    s = None if step is None else _number("uniform", "step", step)
    return Distribution(
        "uniform",
        {"lo": _number("uniform", "lo", lo), "hi": _number("uniform", "hi", hi), "step": s},
    )


def loguniform(lo: float, hi: float) -> Distribution:
    """Log-uniform on [lo, hi], 0 < lo <= hi.

    >>> x = Space(x=loguniform(1e-4, 1e-1)).sample(1000, seed=0)["x"]
    >>> bool(x.min() >= 1e-4 and x.max() <= 1e-1)
    True
    """
    return Distribution(
        "loguniform", {"lo": _number("loguniform", "lo", lo), "hi": _number("loguniform", "hi", hi)}
    )


def integer(lo: int, hi: int, log: bool = False, step: int = 1) -> Distribution:
    """Integers lo, lo+step, ... <= hi, both ends included and equally likely; with ``log``,
    log-uniform on [lo - 1/2, hi + 1/2] rounded (lo >= 1, step 1).

    >>> Space(x=integer(1, 6)).sample(8, seed=0)["x"].tolist()
    [2, 3, 4, 1, 6, 6, 5, 5]
    >>> Space(x=integer(1, 1000, log=True)).sample(5, seed=0)["x"].tolist()
    [2, 18, 72, 1, 474]
    """
    if not isinstance(log, (bool, np.bool_)):
        raise TypeError(f"integer(): log must be a bool, got {log!r} of type '{_type_name(log)}'")
    return Distribution(
        "integer",
        {
            "lo": _int64("integer", "lo", lo),
            "hi": _int64("integer", "hi", hi),
            "log": bool(log),
            "step": _int64("integer", "step", step),
        },
    )


def choice(options: Sequence[Any], weights: Sequence[float] | None = None) -> Distribution:
    """One of ``options`` (returned as given), equally likely or in proportion to ``weights``.

    >>> Space(x=choice(["sgd", "adam"], weights=[3, 1])).sample(6, seed=0)["x"].tolist()
    ['sgd', 'sgd', 'sgd', 'sgd', 'adam', 'adam']
    """
    if isinstance(options, (str, bytes)) or not isinstance(options, (Sequence, np.ndarray)):
        raise TypeError(
            f"choice(): options must be a list of options, got {options!r} of type "
            f"'{_type_name(options)}'"
        )
    opts = [_plain(o) for o in options]
    w = None
    if weights is not None:
        if isinstance(weights, (str, bytes)) or not isinstance(weights, (Sequence, np.ndarray)):
            raise TypeError(
                f"choice(): weights must be a list of numbers, got {weights!r} of type "
                f"'{_type_name(weights)}'"
            )
        w = [_number("choice", "weights", x) for x in weights]
    return Distribution("choice", {"options": opts, "weights": w})


def normal(mu: float, sigma: float) -> Distribution:
    """Normal with mean ``mu`` and standard deviation ``sigma`` > 0.

    >>> Space(x=normal(0.0, 1.0)).sample(3, seed=0)["x"].round(4).tolist()
    [-0.933, -0.0672, 0.3962]
    """
    return Distribution(
        "normal", {"mu": _number("normal", "mu", mu), "sigma": _number("normal", "sigma", sigma)}
    )


def lognormal(mu: float, sigma: float) -> Distribution:
    """exp(normal(mu, sigma)): ``mu``, ``sigma`` are those of the logarithm (numpy's convention).

    >>> Space(x=lognormal(0.0, 1.0)).sample(3, seed=0)["x"].round(4).tolist()
    [0.3934, 0.935, 1.4861]
    """
    return Distribution(
        "lognormal",
        {"mu": _number("lognormal", "mu", mu), "sigma": _number("lognormal", "sigma", sigma)},
    )


_BUILDERS: dict[str, Any] = {
    "uniform": uniform,
    "loguniform": loguniform,
    "integer": integer,
    "choice": choice,
    "normal": normal,
    "lognormal": lognormal,
}


class Space:
    """Named distributions: ``Space(lr=loguniform(1e-5, 1), opt=choice(["sgd", "adam"]))``, or
    ``Space({"name": dist, ...})`` for names that are not Python identifiers. Parameter i (in the
    order given) is dimension i of every sampling method.

    >>> space = Space(opt=choice(["sgd", "adam"]), momentum=uniform(0.8, 0.99).when(opt="sgd"))
    >>> space
    Space(opt=choice(['sgd', 'adam']), momentum=uniform(0.8, 0.99).when(opt='sgd'))
    >>> space.grid(2).to_dicts()
    [{'opt': 'sgd', 'momentum': 0.8}, {'opt': 'sgd', 'momentum': 0.99}, {'opt': 'adam'}]
    >>> Space.from_json(space.to_json()) == space
    True
    """

    __slots__ = ("_core", "_params", "_tables")

    _params: dict[str, Distribution]
    _core: SearchSpace
    _tables: list[npt.NDArray[Any] | None]

    def __init__(self, params: Mapping[str, Distribution] | None = None, /, **kwargs: Distribution):
        merged: dict[str, Distribution] = {}
        for source in (params or {}), kwargs:
            for name, dist in source.items():
                if not isinstance(name, str):
                    raise TypeError(f"Space(): parameter names must be strings, got {name!r}")
                if not isinstance(dist, Distribution):
                    raise TypeError(
                        f"Space(): {name} must be a distribution (uniform(), choice(), ...), "
                        f"got {dist!r} of type '{_type_name(dist)}'"
                    )
                if name in merged:
                    raise ValueError(f"Space(): parameter names must be unique, got '{name}' twice")
                merged[name] = dist
        specs = []
        for name, dist in merged.items():
            when = [
                (parent, _levels(name, parent, values, merged))
                for parent, values in dist._when.items()
            ]
            specs.append((name, dist._kind, dist._fields(), when))
        object.__setattr__(self, "_params", merged)
        object.__setattr__(self, "_core", SearchSpace(specs))
        tables = [
            _table(dist) if kind == "index" else None
            for dist, kind in zip(merged.values(), self._core.kinds)
        ]
        object.__setattr__(self, "_tables", tables)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Space is immutable")

    @property
    def names(self) -> list[str]:
        """Parameter names, in dimension order."""
        return list(self._params)

    @property
    def params(self) -> dict[str, Distribution]:
        """``{name: distribution}`` (a copy)."""
        return dict(self._params)

    def __getitem__(self, name: str) -> Distribution:
        return self._params[name]

    def __len__(self) -> int:
        return len(self._params)

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Space):
            return NotImplemented
        return list(self._params.items()) == list(other._params.items())

    def __hash__(self) -> int:
        return hash(self.to_json())

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        # The compiled space is not picklable; its dict form rebuilds it.
        return (Space.from_dict, (self.to_dict(),))

    def __repr__(self) -> str:
        if all(n.isidentifier() for n in self._params):
            inner = ", ".join(f"{n}={d!r}" for n, d in self._params.items())
        else:
            inner = "{" + ", ".join(f"{n!r}: {d!r}" for n, d in self._params.items()) + "}"
        return f"Space({inner})"

    def sample(self, n: int, seed: int = 0, method: Method = "random", start: int = 0) -> Trials:
        """Rows ``start .. start + n - 1`` of the stream (space, seed, method) as :class:`Trials`.

        ``method`` is ``"random"``, ``"sobol"``, ``"halton"`` or ``"lhs"``; ``seed`` an integer in
        [0, 2**64); ``start + n`` at most 2**48; ``lhs`` needs ``start=0``.
        """
        n = _count("Space.sample", "n", n)
        start = _count("Space.sample", "start", start)
        seed = _integer("Space.sample", "seed", seed)
        if not 0 <= seed < 2**64:
            raise ValueError(f"Space.sample(): seed must be an integer in [0, 2**64), got {seed}")
        if not isinstance(method, str):
            raise TypeError(
                "Space.sample(): method must be a string, "
                f"got {method!r} of type '{_type_name(method)}'"
            )
        cols, taken = self._core.sample(n, seed, method, start, self._tables)
        return Trials._build(self, cols, taken)

    def grid(self, k: int) -> Trials:
        """The grid: ``k`` points per float axis including both ends (geometric on log axes, exact
        end values; normal axes at the k quantiles (i + 1/2) / k), the distinct rounded values of k
        evenly spaced points on integer axes (rounded half away from zero), every option on
        choice axes; the cartesian product
        (last parameter varying fastest), conditional parameters only where active."""
        k = _count("Space.grid", "k", k)
        return Trials._build(self, self._core.grid(k))

    def to_optuna(self) -> dict[str, Any]:
        """``{name: optuna distribution}`` (imports optuna now); see
        :func:`lrcore.search.optuna.distributions`. A parameter Optuna cannot express (normal,
        lognormal, a weighted choice) is a ValueError naming it."""
        module = importlib.import_module("lrcore.search.optuna")
        dists: dict[str, Any] = module.distributions(self)
        return dists

    def to_tune(self) -> dict[str, Any]:
        """A Ray Tune ``param_space`` (imports ray.tune now); see
        :func:`lrcore.search.ray.param_space`. A parameter Tune cannot express exactly is a
        ValueError naming it."""
        module = importlib.import_module("lrcore.search.ray")
        space: dict[str, Any] = module.param_space(self)
        return space

    def to_dict(self) -> dict[str, Any]:
        """``{name: distribution.to_dict()}``; :meth:`from_dict` reads it back."""
        return {name: dist.to_dict() for name, dist in self._params.items()}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Space:
        """Reads what :meth:`to_dict` writes; errors name the parameter."""
        if not isinstance(d, Mapping):
            raise TypeError(
                f"Space.from_dict(): expected a mapping of name to distribution, got {d!r}"
            )
        params: dict[str, Distribution] = {}
        for name, spec in d.items():
            try:
                params[name] = Distribution.from_dict(spec)
            except (TypeError, ValueError) as e:
                raise type(e)(f"Space.from_dict(): parameter '{name}': {e}") from None
        return cls(params)

    def to_json(self, indent: int | None = None) -> str:
        """The dict form as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> Space:
        """Reads what :meth:`to_json` writes."""
        too_deep = ValueError(
            "Space.from_json(): text must be a space as Space.to_json() writes it, "
            "got JSON nested too deeply to read"
        )
        try:
            d = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"Space.from_json(): not valid JSON: {e}") from None
        except RecursionError:
            raise too_deep from None
        # json's own limit is the interpreter's recursion limit, which imported libraries
        # raise; a space is a few levels deep whatever that limit is.
        if _depth(d) > _MAX_SPACE_DEPTH:
            raise too_deep
        return cls.from_dict(d)


_MAX_SPACE_DEPTH = 64
"""Deepest nesting ``Space.from_json`` reads (a space's own JSON is a few levels deep)."""


def _depth(x: object) -> int:
    """How deeply lists and dicts nest in ``x``, without recursion."""
    deepest, stack = 0, [(x, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


def _count(func: str, name: str, x: object) -> int:
    v = _integer(func, name, x)
    if v < 0:
        raise ValueError(f"{func}(): {name} must be a non-negative integer, got {v}")
    if v >= 2**64:
        raise ValueError(f"{func}(): {name} must be an integer below 2**64, got {v}")
    return v


def _table(dist: Distribution) -> npt.NDArray[Any]:
    """What a choice's option-index column is taken from: its options, then None (index -1,
    inactive); a bool array for all-bool options of an unconditional parameter."""
    options = dist._args["options"]
    if all(isinstance(o, bool) for o in options) and not dist._when:
        return np.array(options, dtype=bool)
    table = np.empty(len(options) + 1, dtype=object)
    for i, option in enumerate(options):  # index -1: table[-1], None
        table[i] = option
    return table


def _levels(
    name: str, parent: str, values: tuple[Any, ...], params: Mapping[str, Distribution]
) -> list[int]:
    """Condition values as the core's levels: option indices of a choice, values of an integer."""
    dist = params.get(parent)
    if dist is None or dist._kind != "choice":
        if dist is not None and dist._kind == "integer":
            return [_integer("Space", f"{name}'s condition on '{parent}'", v) for v in values]
        return [0] * len(values)  # the core reports the unknown parent or its kind
    options = dist._args["options"]
    levels = []
    for v in values:
        hits = [i for i, o in enumerate(options) if _same(o, v)]
        if not hits:
            raise ValueError(
                f"Space(): {name}'s condition on '{parent}' must be values that "
                f"'{parent}' can take, got {v!r}"
            )
        levels.extend(hits)
    return levels


class Trials:
    """The rows of a sample or grid, as numpy columns: ``trials["lr"]``, ``len(trials)``,
    iteration over row dicts, ``to_dicts()``, ``to_jsonl()``, ``to_csv()``, ``to_pandas()``.

    >>> space = Space(opt=choice(["sgd", "adam"]), momentum=uniform(0.8, 0.99).when(opt="sgd"))
    >>> trials = space.sample(4, seed=1)
    >>> len(trials), trials.names
    (4, ['opt', 'momentum'])
    >>> trials["momentum"].round(3).tolist()
    [0.953, 0.858, nan, nan]
    >>> trials.to_dicts()[2]
    {'opt': 'adam'}
    """

    __slots__ = ("_columns", "_index", "_n", "_space")

    _space: Space
    _columns: dict[str, npt.NDArray[Any]]
    _index: dict[str, npt.NDArray[np.int64]]
    _n: int

    def __init__(self) -> None:
        raise TypeError("Trials are made by Space.sample() and Space.grid()")

    @classmethod
    def _build(
        cls,
        space: Space,
        cols: list[npt.NDArray[Any]],
        taken: list[npt.NDArray[Any] | None] | None = None,
    ) -> Trials:
        """Trials of the core's columns; an option-index column becomes its options, from
        ``taken`` (the core's takes) or taken here."""
        self = object.__new__(cls)
        columns: dict[str, npt.NDArray[Any]] = {}
        index: dict[str, npt.NDArray[np.int64]] = {}
        for i, (name, col, table) in enumerate(zip(space._params, cols, space._tables)):
            if table is not None:
                index[name] = col
                options = taken[i] if taken is not None else None
                col = table.take(col) if options is None else options
            columns[name] = col
        object.__setattr__(self, "_space", space)
        object.__setattr__(self, "_columns", columns)
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_n", len(cols[0]) if cols else 0)
        return self

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Trials is immutable")

    @property
    def space(self) -> Space:
        """The space the rows come from."""
        return self._space

    @property
    def names(self) -> list[str]:
        """Column names (the parameter names)."""
        return list(self._columns)

    @property
    def columns(self) -> dict[str, npt.NDArray[Any]]:
        """``{name: column}``."""
        return dict(self._columns)

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        return self._columns[name]

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.to_dicts())

    def __repr__(self) -> str:
        return f"<Trials: {self._n} rows of {', '.join(self._columns)}>"

    def _lists(self) -> list[tuple[str, list[Any], Any]]:
        """Per column: (name, plain values, the marker of an inactive cell)."""
        out: list[tuple[str, list[Any], Any]] = []
        missing = _MISSING
        for name, col in self._columns.items():
            dist = self._space._params[name]
            if name in self._index:
                options = dist._args["options"]
                values = [options[i] if i >= 0 else missing for i in self._index[name].tolist()]
            elif col.dtype == np.float64:
                as_int = dist._kind == "integer" or (
                    dist._kind == "choice" and _option_values(dist._args["options"])[0] is not None
                )
                if as_int:
                    values = [missing if math.isnan(v) else int(v) for v in col.tolist()]
                else:
                    values = [missing if math.isnan(v) else v for v in col.tolist()]
            else:
                values = col.tolist()
            out.append((name, values, missing))
        return out

    def to_dicts(self) -> list[dict[str, Any]]:
        """One dict per row with plain Python values (a choice gives its option); inactive
        parameters are left out."""
        lists = self._lists()
        rows: list[dict[str, Any]] = [{} for _ in range(self._n)]
        for name, values, missing in lists:
            for row, v in zip(rows, values):
                if v is not missing:
                    row[name] = v
        return rows

    def to_jsonl(self, path: str | None = None) -> str:
        """One JSON object per row and line (inactive parameters left out); written to ``path``
        if given. Returns the text."""
        text = "".join(json.dumps(row, allow_nan=False) + "\n" for row in self.to_dicts())
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
        return text

    def to_csv(self, path: str | None = None) -> str:
        """CSV with a header of parameter names; inactive cells are empty. Written to ``path`` if
        given. Returns the text."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        lists = self._lists()
        writer.writerow([name for name, _, _ in lists])
        columns = [[_cell(v, missing) for v in values] for _, values, missing in lists]
        writer.writerows(zip(*columns))
        text = buf.getvalue()
        if path is not None:
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        return text

    def to_pandas(self) -> Any:
        """A pandas DataFrame of the columns (pandas is imported only now)."""
        try:
            pd = importlib.import_module("pandas")
        except ModuleNotFoundError as err:
            raise _optional.missing("Trials.to_pandas()", err) from None
        return pd.DataFrame({name: col for name, col in self._columns.items()})


class _Missing:
    def __repr__(self) -> str:
        return "<inactive>"


_MISSING: Any = _Missing()


def _cell(v: Any, missing: Any) -> str:
    if v is missing:
        return ""
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return v
    return json.dumps(v) if isinstance(v, (list, dict)) or v is None else str(v)
