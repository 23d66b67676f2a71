"""lrcore: learning-rate schedules as immutable values, computed in Rust.

>>> import lrcore as lr
>>> s = lr.warmup(1000, lr.cosine(1e-3, 1e-5, 99_000))
>>> s(1000)
0.001
"""

from lrcore._core import Schedule, __version__, from_json, parse
from lrcore.schedules import (
    constant,
    cosine,
    cyclic,
    exp_decay,
    exponential,
    from_dict,
    inverse_sqrt,
    join,
    linear,
    multistep,
    noise,
    one_cycle,
    one_cycle_momentum,
    piecewise_constant,
    piecewise_linear,
    polynomial,
    restarts,
    stack,
    step_decay,
    tanh,
    warmup,
    wsd,
)

__all__ = [
    "Schedule",
    "__version__",
    "constant",
    "cosine",
    "cyclic",
    "exp_decay",
    "exponential",
    "from_dict",
    "from_json",
    "inverse_sqrt",
    "join",
    "linear",
    "multistep",
    "noise",
    "one_cycle",
    "one_cycle_momentum",
    "parse",
    "piecewise_constant",
    "piecewise_linear",
    "polynomial",
    "restarts",
    "stack",
    "step_decay",
    "tanh",
    "warmup",
    "wsd",
]
