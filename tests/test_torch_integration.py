"""``lrcore.torch`` in real use: a training loop with torch's scheduler swapped for lrcore's,
``ParamScheduler`` (any param-group key, exact JSON-able resume, Tensor lr under
``torch.compile``), ``SequentialLR`` ending in ``ReduceLROnPlateau``, and PyTorch Lightning.
"""

from __future__ import annotations

import copy
import json
import pickle
import warnings
from typing import Any

import lrcore as lr
import lrcore.torch as lt
import pytest
import torch
from torch.optim import lr_scheduler as ts

# ------------------------------------------------------------------------------------------
# A real training loop: only the import differs.


def _train(module: Any, kind: str, steps: int = 200) -> tuple[list[float], list[float]]:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model: threads only add contention (and nondeterminism)
    try:
        return _train_loop(module, kind, steps)
    finally:
        torch.set_num_threads(threads)


def _train_loop(module: Any, kind: str, steps: int) -> tuple[list[float], list[float]]:
    torch.manual_seed(0)
    x = torch.randn(256, 8)
    y = (x @ torch.randn(8, 1)).tanh() + 0.1 * torch.randn(256, 1)
    model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    if kind == "one_cycle":
        opt: torch.optim.Optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        sched = module.OneCycleLR(opt, max_lr=0.05, total_steps=steps)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        sched = module.CosineAnnealingLR(opt, T_max=50, eta_min=1e-3)
    lrs, losses = [], []
    for i in range(steps):
        start = i * 32 % 256
        loss = torch.nn.functional.mse_loss(model(x[start : start + 32]), y[start : start + 32])
        opt.zero_grad()
        loss.backward()
        lrs.append(opt.param_groups[0]["lr"])  # the rate this step trains with
        opt.step()
        sched.step()
        losses.append(loss.item())
    return lrs, losses


def test_training_loop_one_cycle_identical() -> None:
    """Adam + OneCycleLR: the same rates (the anneal's cosine comes from Rust: to an ulp),
    the same losses, with betas[0] cycled alike."""
    theirs, ours = _train(ts, "one_cycle"), _train(lt, "one_cycle")
    assert ours[0] == pytest.approx(theirs[0], rel=1e-12)
    assert ours[1] == pytest.approx(theirs[1], rel=1e-9)
    assert ours[1][-1] < ours[1][0]


def test_training_loop_cosine_identical_losses() -> None:
    """SGD + CosineAnnealingLR over 4 periods: torch's rate is a chainable recursion that differs
    from the closed form by a few ulps (measured here: at most 1.1e-14 relative), which the
    float32 parameter update cannot see, so the losses are identical."""
    theirs, ours = _train(ts, "cosine"), _train(lt, "cosine")
    assert ours[0] == pytest.approx(theirs[0], rel=1e-12, abs=1e-16)
    assert [torch.tensor(v, dtype=torch.float32) for v in ours[0]] == [
        torch.tensor(v, dtype=torch.float32) for v in theirs[0]
    ]
    assert ours[1] == theirs[1]


# ------------------------------------------------------------------------------------------
# ParamScheduler


def _groups(*lrs: Any, extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    torch.manual_seed(0)
    return [{"params": [torch.nn.Parameter(torch.randn(3))], "lr": v, **(extra or {})} for v in lrs]


LR = lr.warmup(4, lr.cosine(0.1, 0.001, 20))
MOM = lr.linear(0.95, 0.85, 10)
WD = lr.piecewise_constant([5, 12], [0.0, 1e-4, 1e-3])


def test_param_scheduler_lr_every_group() -> None:
    opt = torch.optim.SGD(_groups(0.3, 0.2), lr=0.3)
    sched = lt.ParamScheduler(opt, lr=LR)
    assert isinstance(sched, ts.LRScheduler)
    for t in range(30):
        assert sched.last_epoch == t
        assert [g["lr"] for g in opt.param_groups] == [LR(t), LR(t)]
        assert sched.get_last_lr() == [LR(t), LR(t)]
        opt.step()
        sched.step()
    assert [g["initial_lr"] for g in opt.param_groups] == [0.3, 0.2]


def test_param_scheduler_momentum_weight_decay_custom_key() -> None:
    opt = torch.optim.SGD(_groups(0.1, 0.1, extra={"my_key": 0.0}), lr=0.1, momentum=0.9)
    custom = lr.exp_decay(2.0, 0.5)
    sched = lt.ParamScheduler(opt, lr=LR, momentum=MOM, weight_decay=WD, my_key=custom)
    for t in range(25):
        for g in opt.param_groups:
            assert (g["lr"], g["momentum"], g["weight_decay"], g["my_key"]) == (
                LR(t),
                MOM(t),
                WD(t),
                custom(t),
            )
        opt.step()
        sched.step()


def test_param_scheduler_adam_beta1_and_momentum_alias() -> None:
    for key in ("beta1", "momentum"):
        opt = torch.optim.Adam(_groups(0.1, 0.05), lr=0.1, betas=(0.9, 0.98), foreach=False)
        sched = lt.ParamScheduler(opt, **{key: MOM})
        for t in range(15):
            for g in opt.param_groups:
                assert g["betas"] == (MOM(t), 0.98)
            assert [g["lr"] for g in opt.param_groups] == [0.1, 0.05]  # not scheduled
            opt.step()
            sched.step()


def test_param_scheduler_list_and_dict_per_group() -> None:
    other = lr.linear(0.01, 0.0, 10)
    opt = torch.optim.SGD(_groups(0.1, 0.2, 0.3), lr=0.1, momentum=0.9)
    sched = lt.ParamScheduler(opt, lr=[LR, other, 0.05], momentum={1: MOM})
    for t in range(20):
        assert [g["lr"] for g in opt.param_groups] == [LR(t), other(t), 0.05]
        assert [g["momentum"] for g in opt.param_groups] == [0.9, MOM(t), 0.9]
        opt.step()
        sched.step()


def test_param_scheduler_tensor_lr_in_place() -> None:
    opt = torch.optim.Adam(_groups(torch.tensor(0.1)), lr=torch.tensor(0.1), foreach=False)
    tensor = opt.param_groups[0]["lr"]
    sched = lt.ParamScheduler(opt, lr=LR)
    for t in range(20):
        assert opt.param_groups[0]["lr"] is tensor
        assert float(tensor) == float(torch.tensor(LR(t), dtype=torch.float32))
        opt.step()
        sched.step()


def _param_run(sched_state: dict[str, Any] | None = None, opt_state: Any = None, order: str = ""):
    opt = torch.optim.SGD(_groups(0.1, 0.2, extra={"my_key": 0.0}), lr=0.1, momentum=0.9)
    if order == "optimizer first":
        opt.load_state_dict(opt_state)
    sched = lt.ParamScheduler(
        opt, lr=[LR, LR * 0.5], momentum=MOM, weight_decay={1: WD}, my_key=lr.exp_decay(1.0, 0.9)
    )
    if sched_state is not None:
        sched.load_state_dict(sched_state)
    if order == "scheduler first":
        opt.load_state_dict(opt_state)
    return opt, sched


def _param_values(opt: torch.optim.Optimizer, sched: Any) -> Any:
    return [
        (g["lr"], g["momentum"], g["weight_decay"], g["my_key"]) for g in opt.param_groups
    ], sched.get_last_lr()


def test_param_scheduler_exact_resume_json() -> None:
    n = 30
    opt, sched = _param_run()
    full = [_param_values(opt, sched)]
    for _ in range(n):
        opt.step()
        sched.step()
        full.append(_param_values(opt, sched))
    for k in (0, 3, 4, 11, 25):
        opt, sched = _param_run()
        for _ in range(k):
            opt.step()
            sched.step()
        state = json.loads(json.dumps(sched.state_dict()))
        assert pickle.loads(pickle.dumps(state)) == state
        opt_state = opt.state_dict()
        for order in ("scheduler first", "optimizer first", ""):
            opt2, sched2 = _param_run(copy.deepcopy(state), copy.deepcopy(opt_state), order)
            assert sched2.last_epoch == k
            got = [_param_values(opt2, sched2)]
            for _ in range(k, n):
                opt2.step()
                sched2.step()
                got.append(_param_values(opt2, sched2))
            assert got == full[k:], (k, order)


def test_param_scheduler_compiled_step_no_recompile() -> None:
    """A Tensor lr filled in place: the compiled optimizer step is traced once."""
    from torch._dynamo.testing import CompileCounter

    torch._dynamo.reset()
    try:
        param = torch.nn.Parameter(torch.randn(4))
        opt = torch.optim.Adam([param], lr=torch.tensor(0.01), foreach=False)
        tensor = opt.param_groups[0]["lr"]
        counter = CompileCounter()
        sched = lt.ParamScheduler(opt, lr=lr.warmup(3, lr.cosine(0.01, 0.001, 10)))

        @torch.compile(backend=counter)
        def step() -> None:
            opt.step()

        seen = []
        for _ in range(10):
            param.grad = torch.ones(4)
            step()
            sched.step()
            seen.append(float(opt.param_groups[0]["lr"]))
        assert counter.frame_count == 1
        assert opt.param_groups[0]["lr"] is tensor
        assert len(set(seen)) == 10  # the rate really changed between the compiled steps
    finally:
        torch._dynamo.reset()


# ------------------------------------------------------------------------------------------
# SequentialLR: a warm-up, then ReduceLROnPlateau

PLATEAU = {"factor": 0.5, "patience": 1, "cooldown": 1, "min_lr": 0.004}
METRICS = [5.0, 4.0, 3.0, 3.5, 2.0, 1.0, 1.0, 1.0, 1.0, 0.9, 0.95, 0.95, 0.95, 0.5] * 2
MILESTONE = 5


def _warmup_then_plateau() -> tuple[torch.optim.Optimizer, Any]:
    opt = torch.optim.SGD(_groups(0.1, 0.02), lr=0.1, momentum=0.9)
    warm = lt.LinearLR(opt, start_factor=0.1, total_iters=MILESTONE)
    plateau = lt.ReduceLROnPlateau(opt, **PLATEAU)
    return opt, lt.SequentialLR(opt, [warm, plateau], milestones=[MILESTONE])


def test_sequential_warmup_then_plateau() -> None:
    """Steps before the milestone: LinearLR's values. From the milestone: the base rates,
    driven by ReduceLROnPlateau fed the metrics from then on, as a standalone torch
    ReduceLROnPlateau on an optimizer at the base rates."""
    opt, seq = _warmup_then_plateau()
    ref_opt = torch.optim.SGD(_groups(0.1, 0.02), lr=0.1, momentum=0.9)
    ref = ts.ReduceLROnPlateau(ref_opt, **PLATEAU)
    for s in range(len(METRICS) + 1):
        got = [g["lr"] for g in opt.param_groups]
        if s < MILESTONE:
            factor = 0.1 + 0.9 * s / MILESTONE
            assert got == pytest.approx([0.1 * factor, 0.02 * factor], rel=1e-12)
        else:
            ref.step(METRICS[s - 1])
            assert got == [g["lr"] for g in ref_opt.param_groups], s
            assert seq.get_last_lr() == got
        assert seq.last_epoch == s
        if s < len(METRICS):
            opt.step()
            seq.step(METRICS[s])
    # The plateau reduced the rates at least twice and clamps at min_lr.
    assert opt.param_groups[0]["lr"] < 0.1 / 2
    assert opt.param_groups[1]["lr"] == 0.004


def test_sequential_plateau_needs_metrics() -> None:
    opt, seq = _warmup_then_plateau()
    for _ in range(MILESTONE - 1):
        opt.step()
        seq.step()  # no metric needed during the warm-up
    with pytest.raises(TypeError, match="needs metrics"):
        seq.step()


@pytest.mark.parametrize("k", [2, MILESTONE - 1, MILESTONE, MILESTONE + 3, 15])
def test_sequential_plateau_resume(k: int) -> None:
    def run(opt: Any, seq: Any, start: int) -> list[Any]:
        out = [[g["lr"] for g in opt.param_groups]]
        for s in range(start, len(METRICS)):
            opt.step()
            seq.step(METRICS[s])
            out.append([g["lr"] for g in opt.param_groups])
        return out

    full = run(*_warmup_then_plateau(), 0)
    opt, seq = _warmup_then_plateau()
    for s in range(k):
        opt.step()
        seq.step(METRICS[s])
    state = pickle.loads(pickle.dumps(seq.state_dict()))
    opt_state = copy.deepcopy(opt.state_dict())
    for with_optimizer in (True, False):
        opt2, seq2 = _warmup_then_plateau()
        seq2.load_state_dict(copy.deepcopy(state))
        if with_optimizer:
            opt2.load_state_dict(copy.deepcopy(opt_state))
        assert run(opt2, seq2, k) == full[k:], with_optimizer


# ------------------------------------------------------------------------------------------
# PyTorch Lightning


def test_lightning_fit_applies_schedule() -> None:
    import lightning as pl
    from lightning.pytorch.utilities.warnings import PossibleUserWarning

    total, max_steps = 30, 20

    class Module(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.layer = torch.nn.Linear(4, 1)

        def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
            x, y = batch
            return torch.nn.functional.mse_loss(self.layer(x), y)

        def configure_optimizers(self) -> Any:
            opt = torch.optim.SGD(self.parameters(), lr=0.1, momentum=0.9)
            sched = lt.OneCycleLR(opt, max_lr=0.1, total_steps=total)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    torch.manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(64, 4), torch.randn(64, 1))
    loader = torch.utils.data.DataLoader(data, batch_size=8)
    trainer = pl.Trainer(
        max_steps=max_steps,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    with warnings.catch_warnings():
        # Lightning's own notices (its pytree FutureWarning, num_workers hints) are not ours.
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"lightning\.")
        warnings.filterwarnings("ignore", category=PossibleUserWarning)
        trainer.fit(Module(), loader)
    sched = trainer.lr_scheduler_configs[0].scheduler
    opt = trainer.optimizers[0]
    assert isinstance(sched, lt.OneCycleLR)
    assert sched.last_epoch == max_steps
    expected = lr.one_cycle(0.1, total)(max_steps)
    assert opt.param_groups[0]["lr"] == expected
    assert opt.param_groups[0]["momentum"] == lr.one_cycle_momentum(total)(max_steps)
    # and torch's class agrees at that step
    ref_opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    ref = ts.OneCycleLR(ref_opt, max_lr=0.1, total_steps=total)
    for _ in range(max_steps):
        ref_opt.step()
        ref.step()
    assert expected == pytest.approx(ref_opt.param_groups[0]["lr"], rel=1e-12)
