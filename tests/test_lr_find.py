"""``lrcore.torch.lr_find``: the learning-rate range test.

Restoration bit for bit, the sweep's rates against the schedule formula, early stopping, every
suggestion heuristic on least squares (where SGD's divergence point is known), models that
compute their own loss, short loaders, LBFGS, gradient accumulation and bad input.
"""

from __future__ import annotations

import copy
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import lrcore as lr
import numpy as np
import pytest
import torch
from lrcore.lr_find import DEFAULT, HEURISTICS, LRFindResult, _to
from lrcore.torch import lr_find
from torch import nn
from torch.nn import functional

torch.set_num_threads(1)


def half_mse(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return 0.5 * functional.mse_loss(out, y)


def regression_batches(n: int, seed: int = 0, d: int = 4, b: int = 8) -> list[Any]:
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(d, 1, generator=g)
    out = []
    for _ in range(n):
        x = torch.randn(b, d, generator=g)
        out.append((x, x @ w + 0.1 * torch.randn(b, 1, generator=g)))
    return out


# ---- restoration ----------------------------------------------------------------------------------


def bn_model() -> nn.Module:
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 1))


def sgd(model: nn.Module) -> torch.optim.Optimizer:
    head = list(model.parameters())
    return torch.optim.SGD(
        [{"params": head[:-2]}, {"params": head[-2:], "lr": 0.05, "nesterov": True}],
        lr=0.01,
        momentum=0.9,
    )


def adamw_tensor_lr(model: nn.Module) -> torch.optim.Optimizer:
    params = list(model.parameters())
    return torch.optim.AdamW(
        [{"params": params[:2], "lr": torch.tensor(3e-3)}, {"params": params[2:]}],
        lr=torch.tensor(1e-3),
        foreach=False,
    )


def flat(value: Any) -> Any:
    """A state dict's values as comparable Python objects (tensors as bytes, dtype, shape)."""
    if isinstance(value, torch.Tensor):
        return ("tensor", value.dtype, tuple(value.shape), value.detach().cpu().numpy().tobytes())
    if isinstance(value, dict):
        return {k: flat(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [flat(v) for v in value]
    return value


@pytest.mark.parametrize(
    ("make_model", "make_opt"),
    [
        (lambda: nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)), sgd),
        (lambda: nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)), adamw_tensor_lr),
        (bn_model, sgd),
        (bn_model, adamw_tensor_lr),
    ],
    ids=["sgd-momentum", "adamw-tensor-lr", "batchnorm-sgd", "batchnorm-adamw"],
)
def test_everything_is_restored_bit_for_bit(
    make_model: Callable[[], nn.Module],
    make_opt: Callable[[nn.Module], torch.optim.Optimizer],
) -> None:
    torch.manual_seed(0)
    model = make_model()
    opt = make_opt(model)
    batches = regression_batches(6)
    for x, y in batches[:3]:  # some optimizer state and moved BatchNorm statistics first
        opt.zero_grad()
        half_mse(model(x), y).backward()
        opt.step()
    model.eval()  # the sweep trains: the mode must come back too
    grads = [None if p.grad is None else p.grad.clone() for p in model.parameters()]
    before = flat(model.state_dict())
    tensors = [t.clone() for t in (*model.parameters(), *model.buffers())]
    state = flat(opt.state_dict())
    group_objects = [dict(g) for g in opt.param_groups]
    lr_tensors = [g["lr"] for g in opt.param_groups if isinstance(g["lr"], torch.Tensor)]
    lr_values = [t.item() for t in lr_tensors]

    seen: list[float] = []

    def loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        seen.append(float(opt.param_groups[0]["lr"]))
        return half_mse(out, y)

    result = lr_find(model, opt, batches, loss, start_lr=1e-4, end_lr=10.0, num_steps=30)
    assert len(result.lrs) >= 10 and seen[-1] > 1e-3  # the sweep did change the rates

    assert flat(model.state_dict()) == before
    for t, saved in zip((*model.parameters(), *model.buffers()), tensors):
        assert t.dtype == saved.dtype and torch.equal(t, saved)
    for p, g in zip(model.parameters(), grads):
        assert (p.grad is None and g is None) or torch.equal(p.grad, g)  # type: ignore[arg-type]
    assert all(not m.training for m in model.modules())
    assert flat(opt.state_dict()) == state
    assert len(opt.param_groups) == len(group_objects)
    for group, saved in zip(opt.param_groups, group_objects):
        assert group.keys() == saved.keys()
        for key, value in saved.items():
            assert group[key] is value or group[key] == value  # a Tensor rate: the same object
    assert [t.item() for t in lr_tensors] == lr_values


def test_restored_when_the_loss_raises() -> None:
    torch.manual_seed(0)
    model = nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    before = flat(model.state_dict())
    calls = []

    def loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("boom")
        return half_mse(out, y)

    with pytest.raises(RuntimeError, match="boom"):
        lr_find(model, opt, regression_batches(8), loss, start_lr=0.01, end_lr=1.0, num_steps=10)
    assert flat(model.state_dict()) == before
    assert len(opt.state) == 0 and opt.param_groups[0]["lr"] == 0.1


# ---- the sweep ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["exp", "linear"])
def test_rates_follow_the_schedule_and_every_group_keeps_its_ratio(mode: str) -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 1))
    opt = torch.optim.SGD(
        [
            {"params": model[0].parameters(), "lr": 0.02},
            {"params": model[1].parameters(), "lr": 0.08},
            {"params": [], "lr": 0.0},
        ],
        lr=0.1,
    )
    seen: list[list[float]] = []

    def loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        seen.append([float(g["lr"]) for g in opt.param_groups])
        return half_mse(out, y)

    start, end, n = 1e-5, 0.5, 25
    r = lr_find(
        model,
        opt,
        regression_batches(n),
        loss,
        start_lr=start,
        end_lr=end,
        num_steps=n,
        mode=mode,
        diverge=math.inf,
    )
    k = np.arange(n)
    formula = (
        start * (end / start) ** (k / (n - 1))
        if mode == "exp"
        else start + (end - start) * k / (n - 1)
    )
    np.testing.assert_allclose(r.lrs, formula, rtol=1e-13, atol=0)
    schedule = (lr.exponential if mode == "exp" else lr.linear)(start, end, n - 1)
    assert r.lrs.tolist() == schedule.values(n).tolist()
    assert r.lrs[0] == start and r.lrs[-1] == pytest.approx(end, rel=1e-15)
    groups = np.asarray(seen)
    np.testing.assert_array_equal(groups[:, 1], r.lrs)  # the largest group follows the sweep
    np.testing.assert_allclose(groups[:, 0], r.lrs * 0.25, rtol=1e-15)
    assert (groups[:, 2] == 0.0).all()
    assert [g["lr"] for g in opt.param_groups] == [0.02, 0.08, 0.0]
    assert not r.stopped_early and r.mode == mode


def test_smoothed_losses_are_the_bias_corrected_average() -> None:
    torch.manual_seed(0)
    model = nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    r = lr_find(
        model,
        opt,
        regression_batches(20),
        half_mse,
        start_lr=1e-3,
        end_lr=0.1,
        num_steps=20,
        smooth=0.9,
    )
    average, expected = 0.0, []
    for k, raw in enumerate(r.raw_losses):
        average = 0.9 * average + 0.1 * raw
        expected.append(average / (1 - 0.9 ** (k + 1)))
    np.testing.assert_allclose(r.losses, expected, rtol=1e-14)
    assert r.losses[0] == pytest.approx(r.raw_losses[0], rel=1e-15)
    for arr in (r.lrs, r.losses, r.raw_losses):
        assert isinstance(arr, np.ndarray) and arr.dtype == np.float64 and arr.shape == (20,)


def test_stops_early_on_a_problem_built_to_diverge() -> None:
    # loss = 0.5 * w^2: SGD multiplies w by (1 - lr) each step, so it diverges above lr = 2.
    w = nn.Parameter(torch.ones(1, dtype=torch.float64))
    opt = torch.optim.SGD([w], lr=0.1)

    def loss(model: Any, batch: Any) -> torch.Tensor:
        return 0.5 * (w * w).sum()

    r = lr_find(nn.Module(), opt, [None], loss, start_lr=1e-3, end_lr=1e3, num_steps=100)
    assert r.stopped_early and len(r.lrs) < 100
    assert r.lrs[-1] > 2.0
    last, before = r.losses[-1], r.losses[:-1]
    assert not math.isfinite(last) or last > 4.0 * before.min()
    # no earlier step met the stopping rule
    assert all(before[k] <= 4.0 * before[: k + 1].min() for k in range(len(before)))
    assert w.item() == 1.0  # restored

    # a negative loss (a log-likelihood) stops where it diverges too, not at its first step
    shifted = lr_find(
        nn.Module(), opt, [None], lambda m, b: loss(m, b) - 10.0, start_lr=1e-3, end_lr=1e3
    )
    assert shifted.stopped_early and 2.0 < shifted.lrs[-1] < 1e3
    assert shifted.losses[-1] > shifted.losses.min() + 3.0 * abs(shifted.losses.min())


# ---- least squares: where SGD diverges is known -----------------------------------------------------


def least_squares(seed: int, sigma: float) -> tuple[nn.Module, list[Any], float]:
    """Least squares whose every minibatch has the same Hessian H (eigenvalues 1e-2 .. 1):
    x_b = sqrt(b) U_b diag(sqrt(lam)) V^T with orthonormal U_b, so the minibatch gradient is
    H (w - w*) plus label noise and SGD diverges exactly above 2 / lam_max = 2. ``sigma``:
    the label noise, against a starting loss of about 1 above the noise floor."""
    d, b, n = 10, 16, 40
    g = np.random.default_rng(seed)
    lam = np.geomspace(1e-2, 1.0, d)
    v = np.linalg.qr(g.standard_normal((d, d)))[0]
    w_star = v @ (g.standard_normal(d) / np.sqrt(lam) / np.sqrt(d)) * 1.4
    batches = []
    for _ in range(n):
        u = np.linalg.qr(g.standard_normal((b, d)))[0]
        x = np.sqrt(b) * u @ np.diag(np.sqrt(lam)) @ v.T
        y = x @ w_star + sigma * g.standard_normal(b)
        batches.append(
            (torch.tensor(x, dtype=torch.float32), torch.tensor(y[:, None], dtype=torch.float32))
        )
    model = nn.Linear(d, 1, bias=False)
    nn.init.zeros_(model.weight)
    return model, batches, 2.0 / lam.max()


def test_least_squares_diverges_where_predicted() -> None:
    model, batches, divergence = least_squares(0, 1.0)

    def final_loss(rate: float) -> float:
        m = copy.deepcopy(model)
        opt = torch.optim.SGD(m.parameters(), lr=rate)
        for x, y in batches * 3:
            opt.zero_grad()
            half_mse(m(x), y).backward()
            opt.step()
        return float(half_mse(m(batches[0][0]), batches[0][1]).detach())

    assert final_loss(0.95 * divergence) < 10.0
    assert final_loss(1.05 * divergence) > 1e3


def land(sigma: float, seeds: range) -> dict[str, list[bool]]:
    """Per heuristic, per seed: does the rate lie in [divergence / 100, divergence)?"""
    out: dict[str, list[bool]] = {name: [] for name in HEURISTICS}
    for seed in seeds:
        model, batches, divergence = least_squares(seed, sigma)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        r = lr_find(model, opt, batches, half_mse)
        assert r.stopped_early and r.lrs[-1] > divergence  # the sweep saw the divergence
        assert r.suggestion == r.suggestions[DEFAULT]
        for name, rate in r.suggestions.items():
            out[name].append(divergence / 100 <= rate < divergence)
    return out


def test_every_heuristic_on_least_squares_with_little_noise() -> None:
    landed = land(0.1, range(4))
    assert all(landed["valley"]) and all(landed["min/10"])
    assert DEFAULT == "valley"


def test_only_the_default_lands_on_least_squares_with_minibatch_noise() -> None:
    # Label noise as large as the loss's decrease: the low end of the sweep is noise.
    landed = land(1.0, range(6))
    assert all(landed["valley"])  # the default
    assert not any(landed["steepest"])  # picks a noise dip near start_lr
    assert 0 < sum(landed["min/10"]) < 6  # lands when the noise's lowest point is higher


# ---- loss forms, loaders, optimizers --------------------------------------------------------------


@dataclass
class Output:
    loss: torch.Tensor
    logits: torch.Tensor


class TinyLM(nn.Module):
    """transformers-style: ``model(input_ids=..., labels=...)`` returns an object with ``.loss``."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(11, 8)
        self.head = nn.Linear(8, 11)

    def forward(self, input_ids: torch.Tensor, labels: torch.Tensor) -> Output:
        logits = self.head(self.embed(input_ids))
        return Output(functional.cross_entropy(logits.flatten(0, 1), labels.flatten()), logits)


def test_a_model_that_computes_its_own_loss() -> None:
    torch.manual_seed(0)
    model = TinyLM()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(1)
    batches = []
    for _ in range(5):
        ids = torch.randint(0, 11, (4, 6), generator=g)
        batches.append({"input_ids": ids, "labels": (ids + 1) % 11})
    before = flat(model.state_dict())
    r = lr_find(
        model,
        opt,
        batches,
        lambda m, batch: m(**batch).loss,
        device="cpu",
        start_lr=1e-4,
        end_lr=10.0,
        num_steps=40,
    )
    assert r.raw_losses[0] == pytest.approx(math.log(11), rel=0.2)
    assert r.losses.min() < r.raw_losses[0] * 0.9  # it learned the shift
    assert 1e-4 <= r.suggestion <= 10.0
    assert flat(model.state_dict()) == before


def test_a_loader_shorter_than_the_sweep_is_cycled_and_left_usable() -> None:
    x = torch.arange(6, dtype=torch.float32)[:, None]
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, 2 * x), batch_size=2)
    model = nn.Linear(1, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    firsts: list[float] = []

    def loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        firsts.append(float(y[0]))
        return half_mse(out, y)

    r = lr_find(model, opt, loader, loss, start_lr=1e-4, end_lr=1e-2, num_steps=8, diverge=math.inf)
    assert len(r.lrs) == 8
    assert firsts == [0.0, 4.0, 8.0] * 2 + [0.0, 4.0]
    assert [float(b[0][0]) for b in loader] == [0.0, 2.0, 4.0]


def test_a_one_shot_iterator_that_runs_out_is_an_error_not_a_hang() -> None:
    model = nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before = flat(model.state_dict())
    with pytest.raises(
        ValueError, match=r"lr_find\(\): loader gave no batch when started again after 3"
    ):
        lr_find(model, opt, iter(regression_batches(3)), half_mse, num_steps=10)
    assert flat(model.state_dict()) == before


def test_lbfgs_with_its_closure() -> None:
    torch.manual_seed(0)
    model = nn.Linear(4, 1)
    opt = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=4)
    batches = regression_batches(4)

    def first_step() -> torch.Tensor:
        opt.zero_grad()
        value = half_mse(model(batches[0][0]), batches[0][1])
        value.backward()
        return value

    opt.step(first_step)  # LBFGS history to restore
    state = flat(opt.state_dict())
    weights = flat(model.state_dict())
    calls: list[int] = []

    def loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        calls.append(1)
        return half_mse(out, y)

    r = lr_find(model, opt, batches[:1], loss, start_lr=1e-3, end_lr=1.0, num_steps=10)
    assert len(r.lrs) == 10 and len(calls) > 10  # LBFGS evaluated the closure more than once
    assert r.raw_losses[-1] < 0.1 * r.raw_losses[0]  # one batch, fitted
    assert flat(opt.state_dict()) == state and flat(model.state_dict()) == weights


def test_a_closure_changes_nothing_for_sgd() -> None:
    results = []
    for closure in (True, False):
        torch.manual_seed(0)
        model = nn.Linear(4, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        results.append(
            lr_find(model, opt, regression_batches(10), half_mse, num_steps=30, closure=closure)
        )
    assert results[0].raw_losses.tolist() == results[1].raw_losses.tolist()


def test_accumulate_two_batches_per_step() -> None:
    torch.manual_seed(0)
    model = nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    batches = regression_batches(4)
    w0, b0 = model.weight.detach().clone(), model.bias.detach().clone()
    # the mean loss of the first two batches, and its gradient, at the starting weights
    probe = copy.deepcopy(model)
    losses = [half_mse(probe(x), y) for x, y in batches[:2]]
    mean = (losses[0] + losses[1]) / 2
    mean.backward()
    seen: list[torch.Tensor] = []

    def loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        seen.append(model.weight.detach().clone())
        return half_mse(out, y)

    r = lr_find(model, opt, batches, loss, start_lr=0.01, end_lr=0.02, num_steps=2, accumulate=2)
    assert len(r.lrs) == 2 and len(seen) == 4
    assert r.raw_losses[0] == pytest.approx(float(mean.detach()), rel=1e-6)
    assert torch.equal(seen[1], w0)  # both batches of step 0 at the starting weights
    torch.testing.assert_close(seen[2], w0 - 0.01 * probe.weight.grad)  # type: ignore[operator]
    assert torch.equal(model.weight, w0) and torch.equal(model.bias, b0)


class Pair(NamedTuple):
    x: torch.Tensor
    y: torch.Tensor


def test_batches_move_to_the_device_inside_containers() -> None:
    batch = {"a": torch.ones(2), "b": [torch.zeros(1), (torch.ones(1), 3)], "c": "text"}
    moved = _to(batch, torch.device("meta"))
    assert moved["a"].is_meta and moved["b"][0].is_meta and moved["b"][1][0].is_meta
    assert moved["b"][1][1] == 3 and moved["c"] == "text"
    assert isinstance(moved["b"], list) and isinstance(moved["b"][1], tuple)
    pair = _to(Pair(torch.ones(1), torch.zeros(1)), "meta")
    assert isinstance(pair, Pair) and pair.x.is_meta and pair.y.is_meta


# ---- the result -----------------------------------------------------------------------------------


def finder_result() -> LRFindResult:
    model, batches, _ = least_squares(0, 0.1)
    return lr_find(model, torch.optim.SGD(model.parameters(), lr=0.1), batches, half_mse)


def test_result_to_dict_and_plot(tmp_path: Path) -> None:
    r = finder_result()
    d = json.loads(json.dumps(r.to_dict()))
    assert d["lrs"] == r.lrs.tolist() and d["losses"] == r.losses.tolist()
    assert d["raw_losses"] == r.raw_losses.tolist()
    assert d["suggestion"] == r.suggestion == r.suggestions["valley"]
    assert set(d["suggestions"]) == {"steepest", "valley", "min/10"}
    assert d["default"] == "valley" and d["stopped_early"] is True and d["mode"] == "exp"
    path = tmp_path / "lr.png"
    ax = r.plot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert ax.get_xscale() == "log" and ax.get_title() and ax.get_xlabel() == "learning rate"
    assert any(
        line.get_xdata()[0] == r.suggestion for line in ax.get_lines() if len(line.get_xdata()) == 2
    )
    import matplotlib.pyplot as plt

    fig, own = plt.subplots()
    assert r.plot(ax=own) is own
    plt.close(fig)


def test_too_few_steps_to_suggest_gives_nan() -> None:
    w = nn.Parameter(torch.ones(1))
    opt = torch.optim.SGD([w], lr=0.1)
    r = lr_find(nn.Module(), opt, [None], lambda m, b: w.sum() * 0 + float("nan"), num_steps=10)
    assert len(r.lrs) == 1 and r.stopped_early
    assert all(math.isnan(v) for v in r.suggestions.values())


# ---- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start_lr": 1.0, "end_lr": 1.0}, "start_lr must be < end_lr (1.0), got 1.0"),
        ({"start_lr": 2.0, "end_lr": 1.0}, "start_lr must be < end_lr (1.0), got 2.0"),
        ({"start_lr": 0.0}, "start_lr must be a positive number, got 0.0"),
        ({"end_lr": math.inf}, "end_lr must be finite, got inf"),
        ({"num_steps": 1}, "num_steps must be an integer >= 2, got 1"),
        ({"num_steps": 10.0}, "num_steps must be an integer >= 2, got 10.0"),
        ({"mode": "cos"}, "mode must be 'exp' or 'linear', got 'cos'"),
        ({"smooth": 1.0}, "smooth must be a number in [0, 1), got 1.0"),
        ({"diverge": 1.0}, "diverge must be a number > 1"),
        ({"accumulate": 0}, "accumulate must be an integer >= 1, got 0"),
        ({"closure": "yes"}, "closure must be None, True or False, got 'yes'"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs: dict[str, Any], message: str) -> None:
    model = nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="^" + re.escape(f"lr_find(): {message}")):
        lr_find(model, opt, regression_batches(2), half_mse, **kwargs)


def test_an_empty_loader_names_the_loader() -> None:
    model = nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before = flat(model.state_dict())

    def empty() -> Iterator[Any]:
        yield from ()

    for loader in ([], empty()):
        with pytest.raises(ValueError, match=r"^lr_find\(\): loader must be non-empty"):
            lr_find(model, opt, loader, half_mse)
    assert flat(model.state_dict()) == before
