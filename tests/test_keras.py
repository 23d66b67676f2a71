"""lrcore.keras.Schedule: a Keras LearningRateSchedule with lrcore's values that saves and
reloads with its model (on the jax backend unless KERAS_BACKEND names another)."""

from __future__ import annotations

import os
from pathlib import Path

import lrcore as lr
import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")
keras = pytest.importorskip("keras")
import lrcore.keras  # noqa: E402


def rates(schedule: object, n: int) -> np.ndarray:
    return np.array([float(schedule(t)) for t in range(n)])  # type: ignore[operator]


def test_values_are_lrcores_and_hold_past_the_end() -> None:
    s = lr.warmup(5, lr.cosine(1e-2, 1e-4, 20))
    sched = lrcore.keras.Schedule(s)
    assert isinstance(sched, keras.optimizers.schedules.LearningRateSchedule)
    np.testing.assert_array_equal(rates(sched, 40), s.values(40).astype(np.float32))
    assert float(sched(10**9)) == np.float32(1e-4)


def test_endless_schedule_needs_total_steps() -> None:
    with pytest.raises(
        ValueError,
        match=r"^lrcore\.keras\.Schedule\(\): total_steps must be given for an endless schedule \(step_decay\(1\.0, 10\)\), got None$",
    ):
        lrcore.keras.Schedule(lr.step_decay(1.0, 10))
    sched = lrcore.keras.Schedule(lr.step_decay(1.0, 10, 0.5), total_steps=20)
    assert [float(sched(t)) for t in (0, 10, 20, 35)] == [1.0, 0.5, 0.25, 0.25]


def test_config_round_trip() -> None:
    s = lr.one_cycle(0.1, 50)
    sched = lrcore.keras.Schedule(s, total_steps=60)
    config = keras.optimizers.schedules.serialize(sched)
    assert config["registered_name"] == "lrcore>Schedule"
    back = keras.optimizers.schedules.deserialize(config)
    assert isinstance(back, lrcore.keras.Schedule)
    assert back.schedule == s and back.total_steps == 60
    np.testing.assert_array_equal(rates(back, 70), rates(sched, 70))


# Keras 3's Variable.__array__ predates numpy 2's copy keyword; saving a model trips numpy's
# warning about it, which the suite's filterwarnings=error would turn into a failure.
@pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)
def test_model_saves_and_reloads_with_the_schedule(tmp_path: Path) -> None:
    s = lr.warmup(4, lr.cosine(0.05, 0.001, 16))
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(lrcore.keras.Schedule(s)), loss="mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3)).astype("float32")
    y = x @ np.array([[1.0], [-1.0], [0.5]], dtype="float32")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)  # 8 optimizer steps
    assert int(model.optimizer.iterations) == 8
    assert float(model.optimizer.learning_rate) == np.float32(s(8))

    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    sched = loaded.optimizer._learning_rate  # Keras keeps the schedule there, no public name
    assert isinstance(sched, lrcore.keras.Schedule)
    assert sched.schedule == s
    np.testing.assert_array_equal(rates(sched, 30), rates(model.optimizer._learning_rate, 30))
    assert int(loaded.optimizer.iterations) == 8
    assert float(loaded.optimizer.learning_rate) == np.float32(s(8))
    loaded.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert float(loaded.optimizer.learning_rate) == np.float32(s(12))
