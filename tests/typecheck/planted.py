"""Planted type errors, read by mypy in tests/test_docs.py and never run.

A line ending ``# E: code text`` must be reported with that error code and a message holding
``text``, and no other line may be; a ``reveal_type`` line ending ``# R: type`` must reveal
that type.
"""

from typing import reveal_type

import lrcore as lr
import numpy as np
from lrcore import search
from lrcore.lr_find import lr_find

s = lr.cosine(1.0, 0.0, 10)
reveal_type(s(3))  # R: float
reveal_type(s(2.5))  # R: float
reveal_type(s(np.arange(3)))  # R: numpy.ndarray[tuple[Any, ...], numpy.dtype[numpy.float64]]
reveal_type(s.values(3))  # R: numpy.ndarray[tuple[Any, ...], numpy.dtype[numpy.float64]]
name: str = s(3)  # E: assignment
lr.cyclic(0.1, 1.0, 10, mode="sine")  # E: arg-type "mode"
lr.one_cycle(0.1, 100, anneal="cosine")  # E: arg-type "anneal"
lr.one_cycle_momentum(100, anneal="exp")  # E: arg-type "anneal"
lr.warmup(10, s, shape="quadratic")  # E: arg-type "shape"
lr.wsd(1.0, 100, 10, 10, decay="sqrt")  # E: arg-type "decay"
search.Space(x=search.uniform(0.0, 1.0)).sample(8, method="sobel")  # E: arg-type "method"
lr_find(None, None, [], len, mode="log")  # E: arg-type "mode"
lr.cosine(1.0, 0.0, "10")  # E: arg-type
