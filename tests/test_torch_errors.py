"""Bad input for the ``lrcore.torch`` drop-ins: exception types and exact messages.

Where torch validates an argument, lrcore must raise torch's exception type with torch's
message (each such row also runs torch's class and compares). Where torch accepts nonsense and
fails later or silently, lrcore raises ValueError at construction naming the parameter (the
messages below are the ones lrcore/torch.py produces).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import lrcore as lr
import lrcore.torch as lt
import pytest
import torch
from torch.optim import lr_scheduler as ts


def sgd(groups: int = 1, lr_value: float = 0.1) -> torch.optim.Optimizer:
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(groups)]
    return torch.optim.SGD(params, lr=lr_value, momentum=0.9)


def adagrad() -> torch.optim.Optimizer:
    return torch.optim.Adagrad([torch.nn.Parameter(torch.zeros(1))], lr=0.1)


def negative_lr() -> torch.optim.Optimizer:
    opt = sgd()
    opt.param_groups[0]["lr"] = -0.1  # torch's optimizers reject it, but a group can hold it
    return opt


# (id, builder(module), exception type, exact message) — torch validates these: same for both.
M = Any
SAME_AS_TORCH: list[tuple[str, Callable[[M], Any], type[Exception], str]] = [
    (
        "OneCycleLR no length",
        lambda m: m.OneCycleLR(sgd(), 0.1),
        ValueError,
        "You must define either total_steps OR (epochs AND steps_per_epoch)",
    ),
    (
        "OneCycleLR total_steps=0",
        lambda m: m.OneCycleLR(sgd(), 0.1, total_steps=0),
        ValueError,
        "Expected positive integer total_steps, but got 0",
    ),
    (
        "OneCycleLR total_steps=10.0",
        lambda m: m.OneCycleLR(sgd(), 0.1, total_steps=10.0),
        ValueError,
        "Expected positive integer total_steps, but got 10.0",
    ),
    (
        "OneCycleLR epochs=0",
        lambda m: m.OneCycleLR(sgd(), 0.1, epochs=0, steps_per_epoch=5),
        ValueError,
        "Expected positive integer epochs, but got 0",
    ),
    (
        "OneCycleLR steps_per_epoch=-1",
        lambda m: m.OneCycleLR(sgd(), 0.1, epochs=2, steps_per_epoch=-1),
        ValueError,
        "Expected positive integer steps_per_epoch, but got -1",
    ),
    (
        "OneCycleLR pct_start=1.5",
        lambda m: m.OneCycleLR(sgd(), 0.1, total_steps=10, pct_start=1.5),
        ValueError,
        "Expected float between 0 and 1 pct_start, but got 1.5",
    ),
    (
        "OneCycleLR pct_start=1 (int)",
        lambda m: m.OneCycleLR(sgd(), 0.1, total_steps=10, pct_start=1),
        ValueError,
        "Expected float between 0 and 1 pct_start, but got 1",
    ),
    (
        "OneCycleLR anneal_strategy",
        lambda m: m.OneCycleLR(sgd(), 0.1, total_steps=10, anneal_strategy="exp"),
        ValueError,
        "anneal_strategy must be one of 'cos' or 'linear', instead got exp",
    ),
    (
        "OneCycleLR no momentum",
        lambda m: m.OneCycleLR(adagrad(), 0.1, total_steps=10),
        ValueError,
        "optimizer must support momentum or beta1 with `cycle_momentum` option enabled",
    ),
    (
        "OneCycleLR max_lr length",
        lambda m: m.OneCycleLR(sgd(), [0.1, 0.2], total_steps=10),
        ValueError,
        "max_lr must have the same length as optimizer.param_groups. max_lr has 2 values, "
        "param_groups has 1.",
    ),
    (
        "CyclicLR mode",
        lambda m: m.CyclicLR(sgd(), 0.01, 0.1, mode="square"),
        ValueError,
        "mode is invalid and scale_fn is None",
    ),
    (
        "CyclicLR base_lr length",
        lambda m: m.CyclicLR(sgd(), [0.01, 0.02], 0.1),
        ValueError,
        "base_lr must have the same length as optimizer.param_groups. base_lr has 2 values, "
        "param_groups has 1.",
    ),
    (
        "CyclicLR max_lr length",
        lambda m: m.CyclicLR(sgd(3), 0.01, [0.1, 0.2]),
        ValueError,
        "max_lr must have the same length as optimizer.param_groups. max_lr has 2 values, "
        "param_groups has 3.",
    ),
    (
        "CyclicLR base_momentum length",
        lambda m: m.CyclicLR(sgd(), 0.01, 0.1, base_momentum=[0.8, 0.8]),
        ValueError,
        "base_momentum must have the same length as optimizer.param_groups. base_momentum has "
        "2 values, param_groups has 1.",
    ),
    (
        "CyclicLR max_momentum length",
        lambda m: m.CyclicLR(sgd(2), 0.01, 0.1, max_momentum=[0.9]),
        ValueError,
        "max_momentum must have the same length as optimizer.param_groups. max_momentum has "
        "1 values, param_groups has 2.",
    ),
    (
        "CyclicLR no momentum",
        lambda m: m.CyclicLR(adagrad(), 0.01, 0.1),
        ValueError,
        "optimizer must support momentum or beta1 with `cycle_momentum` option enabled",
    ),
    (
        "ConstantLR factor>1",
        lambda m: m.ConstantLR(sgd(), factor=1.5),
        ValueError,
        "Constant multiplicative factor expected to be between 0 and 1.",
    ),
    (
        "ConstantLR factor<0",
        lambda m: m.ConstantLR(sgd(), factor=-0.1),
        ValueError,
        "Constant multiplicative factor expected to be between 0 and 1.",
    ),
    (
        "LinearLR start_factor=0",
        lambda m: m.LinearLR(sgd(), start_factor=0),
        ValueError,
        "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.",
    ),
    (
        "LinearLR start_factor>1",
        lambda m: m.LinearLR(sgd(), start_factor=1.5),
        ValueError,
        "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.",
    ),
    (
        "LinearLR end_factor>1",
        lambda m: m.LinearLR(sgd(), end_factor=1.5),
        ValueError,
        "Ending multiplicative factor expected to be between 0 and 1.",
    ),
    (
        "LinearLR end_factor<0",
        lambda m: m.LinearLR(sgd(), end_factor=-0.5),
        ValueError,
        "Ending multiplicative factor expected to be between 0 and 1.",
    ),
    (
        "CAWR T_0=0",
        lambda m: m.CosineAnnealingWarmRestarts(sgd(), T_0=0),
        ValueError,
        "Expected positive integer T_0, but got 0",
    ),
    (
        "CAWR T_0=2.0",
        lambda m: m.CosineAnnealingWarmRestarts(sgd(), T_0=2.0),
        ValueError,
        "Expected positive integer T_0, but got 2.0",
    ),
    (
        "CAWR T_mult=0",
        lambda m: m.CosineAnnealingWarmRestarts(sgd(), T_0=2, T_mult=0),
        ValueError,
        "Expected integer T_mult >= 1, but got 0",
    ),
    (
        "CAWR T_mult=1.5",
        lambda m: m.CosineAnnealingWarmRestarts(sgd(), T_0=2, T_mult=1.5),
        ValueError,
        "Expected integer T_mult >= 1, but got 1.5",
    ),
    (
        "CAWR eta_min tensor",
        lambda m: m.CosineAnnealingWarmRestarts(sgd(), T_0=2, eta_min=torch.tensor(0.0)),
        ValueError,
        "Expected float or int eta_min, but got 0.0 of type <class 'torch.Tensor'>",
    ),
    (
        "CAWR negative epoch",
        lambda m: m.CosineAnnealingWarmRestarts(sgd(), T_0=2).step(-1),
        ValueError,
        "Expected non-negative epoch, but got -1",
    ),
    (
        "LambdaLR list length",
        lambda m: m.LambdaLR(sgd(2), [lambda t: 1.0]),
        ValueError,
        "Expected 2 lr_lambdas, but got 1",
    ),
    (
        "MultiplicativeLR list length",
        lambda m: m.MultiplicativeLR(sgd(1), [lambda t: 1.0, lambda t: 1.0]),
        ValueError,
        "Expected 1 lr_lambdas, but got 2",
    ),
    (
        "MultiplicativeLR not callable",
        lambda m: m.MultiplicativeLR(sgd(), 5),
        TypeError,
        "lr_lambda should be a function, but got int",
    ),
    (
        "SequentialLR milestone count",
        lambda m: (lambda o: m.SequentialLR(o, [m.StepLR(o, 2), m.StepLR(o, 3)], [2, 4]))(sgd()),
        ValueError,
        "Sequential Schedulers expects number of schedulers provided to be one more than the "
        "number of milestone points, but got number of schedulers 2 and the number of "
        "milestones to be equal to 2",
    ),
    (
        "SequentialLR empty",
        lambda m: m.SequentialLR(sgd(), [], []),
        ValueError,
        "SequentialLR expects at least one scheduler, but got no scheduler.",
    ),
    (
        "SequentialLR child without optimizer",
        lambda m: m.SequentialLR(sgd(), [object()], []),
        TypeError,
        "SequentialLR at index 0 should have `optimizer` as its attribute.",
    ),
    (
        "ChainedScheduler empty",
        lambda m: m.ChainedScheduler([]),
        ValueError,
        "ChainedScheduler expects at least one scheduler to be chained, but got no scheduler.",
    ),
    (
        "ReduceLROnPlateau factor=1",
        lambda m: m.ReduceLROnPlateau(sgd(), factor=1.0),
        ValueError,
        "Factor should be < 1.0.",
    ),
    (
        "ReduceLROnPlateau mode",
        lambda m: m.ReduceLROnPlateau(sgd(), mode="middle"),
        ValueError,
        "mode middle is unknown!",
    ),
    (
        "ReduceLROnPlateau threshold_mode",
        lambda m: m.ReduceLROnPlateau(sgd(), threshold_mode="log"),
        ValueError,
        "threshold mode log is unknown!",
    ),
    (
        "ReduceLROnPlateau min_lr length",
        lambda m: m.ReduceLROnPlateau(sgd(), min_lr=[0.1, 0.2]),
        ValueError,
        "expected 1 min_lrs, got 2",
    ),
    (
        "ReduceLROnPlateau step()",
        lambda m: m.ReduceLROnPlateau(sgd()).step(),
        TypeError,
        "ReduceLROnPlateau.step() missing 1 required positional argument: 'metrics'",
    ),
    (
        "ReduceLROnPlateau step('abc')",
        lambda m: m.ReduceLROnPlateau(sgd()).step("abc"),
        ValueError,
        "could not convert string to float: 'abc'",
    ),
]

NOT_AN_OPTIMIZER: list[tuple[str, Callable[[M, Any], Any]]] = [
    ("StepLR", lambda m, o: m.StepLR(o, 2)),
    ("MultiStepLR", lambda m, o: m.MultiStepLR(o, [2])),
    ("ConstantLR", lambda m, o: m.ConstantLR(o)),
    ("LinearLR", lambda m, o: m.LinearLR(o)),
    ("ExponentialLR", lambda m, o: m.ExponentialLR(o, 0.9)),
    ("PolynomialLR", lambda m, o: m.PolynomialLR(o)),
    ("CosineAnnealingLR", lambda m, o: m.CosineAnnealingLR(o, 10)),
    ("CosineAnnealingWarmRestarts", lambda m, o: m.CosineAnnealingWarmRestarts(o, 10)),
    ("CyclicLR", lambda m, o: m.CyclicLR(o, 0.01, 0.1)),
    ("OneCycleLR", lambda m, o: m.OneCycleLR(o, 0.1, total_steps=10)),
    ("ReduceLROnPlateau", lambda m, o: m.ReduceLROnPlateau(o)),
]


def _raised(build: Callable[[], Any]) -> BaseException:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's order warning on the step() rows
        try:
            build()
        except Exception as error:  # the exception is the result
            return error
    raise AssertionError("no exception raised")


@pytest.mark.parametrize(
    ("label", "build", "kind", "message"),
    SAME_AS_TORCH,
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_torch_validation_kept(label: str, build: Any, kind: type[Exception], message: str) -> None:
    theirs = _raised(lambda: build(ts))
    assert type(theirs) is kind and str(theirs) == message, f"torch changed: {theirs!r}"
    with pytest.raises(kind) as ours:
        build(lt)
    assert type(ours.value) is kind
    assert str(ours.value) == message


@pytest.mark.parametrize(("name", "build"), NOT_AN_OPTIMIZER, ids=[n for n, _ in NOT_AN_OPTIMIZER])
def test_not_an_optimizer(name: str, build: Any) -> None:
    theirs = _raised(lambda: build(ts, object()))
    with pytest.raises(TypeError) as ours:
        build(lt, object())
    assert str(ours.value) == str(theirs) == "object is not an Optimizer"


def test_not_an_optimizer_param_scheduler() -> None:
    with pytest.raises(TypeError, match=r"^object is not an Optimizer$"):
        lt.ParamScheduler(object(), lr=lr.constant(0.1))


@pytest.mark.parametrize("cls", [lt.LambdaLR, lt.MultiplicativeLR])
def test_not_an_optimizer_lambdas(cls: Any) -> None:
    """torch's LambdaLR / MultiplicativeLR read ``param_groups`` before the base class checks
    the type, so torch raises AttributeError; lrcore keeps torch's exception type."""
    theirs = _raised(lambda: getattr(ts, cls.__name__)(object(), lambda t: 1.0))
    with pytest.raises(type(theirs)):
        cls(object(), lambda t: 1.0)


def test_lambda_not_callable() -> None:
    """torch fails with TypeError inside its initial step; lrcore with TypeError up front."""
    assert isinstance(_raised(lambda: ts.LambdaLR(sgd(), 5)), TypeError)
    with pytest.raises(TypeError, match=r"^lr_lambda should be a function, but got int$"):
        lt.LambdaLR(sgd(), 5)


def test_composites_reject_plateau_child_with_torch_type() -> None:
    """torch validates ReduceLROnPlateau children with ValueError. lrcore allows one as the last
    phase of a SequentialLR only; anywhere else it must keep torch's exception type."""
    opt = sgd()
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        lt.SequentialLR(opt, [lt.ReduceLROnPlateau(opt), lt.StepLR(opt, 2)], [3])
    opt = sgd()
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        lt.ChainedScheduler([lt.StepLR(opt, 2), lt.ReduceLROnPlateau(opt)])


def test_composite_optimizer_mismatch_message() -> None:
    for module in (ts, lt):
        opt, other = sgd(), sgd()
        child = module.StepLR(other, 2)
        with pytest.raises(ValueError) as error:
            module.SequentialLR(opt, [child], [])
        assert str(error.value) == (
            "SequentialLR expects all schedulers to belong to the same optimizer, but got "
            f"scheduler StepLR at index 0 has {other}, which is different from SGD."
        )


# (id, builder, exact message): lrcore's own ValueErrors, where torch accepts the argument.
def _fail(cls: str, name: str, rule: str, value: object) -> str:
    return f"{cls}(): {name} must be {rule}, got {value!r}"


LRCORE_ONLY: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    (
        "StepLR step_size=0",
        lambda: lt.StepLR(sgd(), 0),
        ValueError,
        _fail("StepLR", "step_size", "a positive integer", 0),
    ),
    (
        "StepLR step_size=2.5",
        lambda: lt.StepLR(sgd(), 2.5),
        ValueError,
        _fail("StepLR", "step_size", "a positive integer", 2.5),
    ),
    (
        "StepLR step_size=-1",
        lambda: lt.StepLR(sgd(), -1),
        ValueError,
        _fail("StepLR", "step_size", "a positive integer", -1),
    ),
    (
        "StepLR gamma=0",
        lambda: lt.StepLR(sgd(), 2, gamma=0),
        ValueError,
        _fail("StepLR", "gamma", "a positive number", 0),
    ),
    (
        "StepLR gamma=-1",
        lambda: lt.StepLR(sgd(), 2, gamma=-1.0),
        ValueError,
        _fail("StepLR", "gamma", "a positive number", -1.0),
    ),
    (
        "MultiStepLR negative milestone",
        lambda: lt.MultiStepLR(sgd(), [3, -1]),
        ValueError,
        _fail("MultiStepLR", "milestones", "non-negative integers", [3, -1]),
    ),
    (
        "MultiStepLR gamma=0",
        lambda: lt.MultiStepLR(sgd(), [3], gamma=0.0),
        ValueError,
        _fail("MultiStepLR", "gamma", "a positive number", 0.0),
    ),
    (
        "ConstantLR factor=0",
        lambda: lt.ConstantLR(sgd(), factor=0),
        ValueError,
        _fail("ConstantLR", "factor", "a positive number", 0),
    ),
    (
        "ConstantLR total_iters=0",
        lambda: lt.ConstantLR(sgd(), total_iters=0),
        ValueError,
        _fail("ConstantLR", "total_iters", "a positive integer", 0),
    ),
    (
        "LinearLR total_iters=0",
        lambda: lt.LinearLR(sgd(), total_iters=0),
        ValueError,
        _fail("LinearLR", "total_iters", "a positive integer", 0),
    ),
    (
        "ExponentialLR gamma=0",
        lambda: lt.ExponentialLR(sgd(), 0.0),
        ValueError,
        _fail("ExponentialLR", "gamma", "a positive number", 0.0),
    ),
    (
        "ExponentialLR gamma<0",
        lambda: lt.ExponentialLR(sgd(), -0.5),
        ValueError,
        _fail("ExponentialLR", "gamma", "a positive number", -0.5),
    ),
    (
        "PolynomialLR total_iters=0",
        lambda: lt.PolynomialLR(sgd(), total_iters=0),
        ValueError,
        _fail("PolynomialLR", "total_iters", "a positive integer", 0),
    ),
    (
        "PolynomialLR power=-1",
        lambda: lt.PolynomialLR(sgd(), power=-1.0),
        ValueError,
        _fail("PolynomialLR", "power", "a positive number", -1.0),
    ),
    (
        "CosineAnnealingLR T_max=0",
        lambda: lt.CosineAnnealingLR(sgd(), 0),
        ValueError,
        _fail("CosineAnnealingLR", "T_max", "a positive integer", 0),
    ),
    (
        "CosineAnnealingLR eta_min<0",
        lambda: lt.CosineAnnealingLR(sgd(), 10, eta_min=-0.1),
        ValueError,
        _fail("CosineAnnealingLR", "eta_min", "a non-negative number", -0.1),
    ),
    (
        "CAWR eta_min<0",
        lambda: lt.CosineAnnealingWarmRestarts(sgd(), 10, eta_min=-1),
        ValueError,
        _fail("CosineAnnealingWarmRestarts", "eta_min", "a non-negative number", -1),
    ),
    (
        "CyclicLR step_size_up=0",
        lambda: lt.CyclicLR(sgd(), 0.01, 0.1, step_size_up=0),
        ValueError,
        _fail("CyclicLR", "step_size_up", "a positive integer", 0),
    ),
    (
        "CyclicLR step_size_down=0",
        lambda: lt.CyclicLR(sgd(), 0.01, 0.1, step_size_up=3, step_size_down=0),
        ValueError,
        _fail("CyclicLR", "step_size_down", "a positive integer", 0),
    ),
    (
        "CyclicLR gamma=0",
        lambda: lt.CyclicLR(sgd(), 0.01, 0.1, mode="exp_range", gamma=0.0),
        ValueError,
        _fail("CyclicLR", "gamma", "a positive number", 0.0),
    ),
    (
        "CyclicLR max_lr<0",
        lambda: lt.CyclicLR(sgd(), 0.01, -1),
        ValueError,
        _fail("CyclicLR", "max_lr", "a non-negative number", -1),
    ),
    (
        "CyclicLR base_lr<0",
        lambda: lt.CyclicLR(sgd(), -0.01, 0.1),
        ValueError,
        _fail("CyclicLR", "the learning rate of param_groups[0]", "a non-negative number", -0.01),
    ),
    (
        "OneCycleLR div_factor=0",
        lambda: lt.OneCycleLR(sgd(), 0.1, total_steps=100, div_factor=0),
        ValueError,
        _fail("OneCycleLR", "div_factor", "a positive number", 0),
    ),
    (
        "OneCycleLR final_div_factor=0",
        lambda: lt.OneCycleLR(sgd(), 0.1, total_steps=100, final_div_factor=0),
        ValueError,
        _fail("OneCycleLR", "final_div_factor", "a positive number", 0),
    ),
    (
        "OneCycleLR max_lr<0",
        lambda: lt.OneCycleLR(sgd(), -1, total_steps=100),
        ValueError,
        _fail("OneCycleLR", "max_lr", "a positive number", -1),
    ),
    (
        "negative lr in a param group",
        lambda: lt.StepLR(negative_lr(), 2),
        ValueError,
        _fail("StepLR", "the learning rate of param_groups[0]", "a non-negative number", -0.1),
    ),
    (
        "negative lr, CosineAnnealingLR",
        lambda: lt.CosineAnnealingLR(negative_lr(), 5),
        ValueError,
        _fail(
            "CosineAnnealingLR",
            "the learning rate of param_groups[0]",
            "a non-negative number",
            -0.1,
        ),
    ),
    (
        "ReduceLROnPlateau factor=-1",
        lambda: lt.ReduceLROnPlateau(sgd(), factor=-1),
        ValueError,
        _fail("ReduceLROnPlateau", "factor", "a positive number", -1),
    ),
    (
        "ReduceLROnPlateau factor=0",
        lambda: lt.ReduceLROnPlateau(sgd(), factor=0),
        ValueError,
        _fail("ReduceLROnPlateau", "factor", "a positive number", 0),
    ),
    (
        "ReduceLROnPlateau patience=-1",
        lambda: lt.ReduceLROnPlateau(sgd(), patience=-1),
        ValueError,
        _fail("ReduceLROnPlateau", "patience", "a non-negative number", -1),
    ),
    (
        "ReduceLROnPlateau cooldown=-1",
        lambda: lt.ReduceLROnPlateau(sgd(), cooldown=-1),
        ValueError,
        _fail("ReduceLROnPlateau", "cooldown", "a non-negative number", -1),
    ),
    (
        "ReduceLROnPlateau min_lr<0",
        lambda: lt.ReduceLROnPlateau(sgd(), min_lr=-0.1),
        ValueError,
        _fail("ReduceLROnPlateau", "min_lr", "a non-negative number", -0.1),
    ),
    (
        "ReduceLROnPlateau eps<0",
        lambda: lt.ReduceLROnPlateau(sgd(), eps=-1e-8),
        ValueError,
        _fail("ReduceLROnPlateau", "eps", "a non-negative number", -1e-8),
    ),
    (
        "SequentialLR milestone 0",
        lambda: (lambda o: lt.SequentialLR(o, [lt.StepLR(o, 2), lt.StepLR(o, 3)], [0]))(sgd()),
        ValueError,
        _fail("SequentialLR", "milestones", "a positive integer", 0),
    ),
    (
        "SequentialLR unsorted milestones",
        lambda: (
            lambda o: lt.SequentialLR(
                o, [lt.StepLR(o, 2), lt.StepLR(o, 3), lt.StepLR(o, 4)], [5, 2]
            )
        )(sgd()),
        ValueError,
        _fail("SequentialLR", "milestones", "strictly increasing", [5, 2]),
    ),
    (
        "ParamScheduler unknown key",
        lambda: lt.ParamScheduler(sgd(), foo=lr.constant(1.0)),
        ValueError,
        "ParamScheduler(): param_groups[0] has no key 'foo'",
    ),
    (
        "ParamScheduler beta1 on SGD",
        lambda: lt.ParamScheduler(sgd(), beta1=lr.constant(0.9)),
        ValueError,
        "ParamScheduler(): param_groups[0] has no key 'betas'",
    ),
    (
        "ParamScheduler list length",
        lambda: lt.ParamScheduler(sgd(), lr=[lr.constant(0.1), lr.constant(0.2)]),
        ValueError,
        "ParamScheduler(): lr must have one schedule per param group (1), got 2",
    ),
    (
        "ParamScheduler group index",
        lambda: lt.ParamScheduler(sgd(2), lr={2: lr.constant(0.1)}),
        ValueError,
        _fail("ParamScheduler", "lr group index", "in [0, 2)", 2),
    ),
    (
        "ParamScheduler nothing",
        lambda: lt.ParamScheduler(sgd()),
        ValueError,
        "ParamScheduler(): give at least one key to schedule",
    ),
]


@pytest.mark.parametrize(
    ("label", "build", "kind", "message"),
    LRCORE_ONLY,
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_lrcore_validation(label: str, build: Any, kind: type[Exception], message: str) -> None:
    with pytest.raises(kind) as error:
        build()
    assert type(error.value) is kind
    assert str(error.value) == message


def test_torch_accepts_what_lrcore_rejects() -> None:
    """The premise of the rows above: torch builds these and fails (or goes wrong) later."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = sgd()
        sched = ts.StepLR(opt, 0)
        with pytest.raises(ZeroDivisionError):
            sched.step()
        opt = sgd()
        sched = ts.CosineAnnealingLR(opt, 0)
        with pytest.raises(ZeroDivisionError):
            sched.step()
        opt = sgd()
        sched = ts.ConstantLR(opt, factor=0, total_iters=1)
        with pytest.raises(ZeroDivisionError):
            sched.step()
        with pytest.raises(ZeroDivisionError):
            ts.CyclicLR(sgd(), 0.01, 0.1, step_size_up=0)
        opt = sgd()
        ts.ReduceLROnPlateau(opt, factor=-1)  # accepted: clamps to min_lr
        opt = sgd()
        sched = ts.ExponentialLR(opt, -0.5)
        sched.step()
        assert opt.param_groups[0]["lr"] < 0
