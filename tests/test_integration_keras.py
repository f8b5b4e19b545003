"""The Keras callback, on a real `fit` of a tiny model with the torch backend (needs the `integrations` extra)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import store

os.environ.setdefault("KERAS_BACKEND", "torch")  # no TensorFlow needed; read when keras is first imported
pytest.importorskip("torch", reason="the Keras test uses the torch backend: pip install torch==2.13.0")
keras = pytest.importorskip("keras", reason="the Keras integration needs the `integrations` extra")
np = pytest.importorskip("numpy")


def test_fit_logs_epochs_batches_and_params(tmp_path: Path) -> None:
    from store.integrations.keras import TrackTUICallback

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse", metrics=["mae"])
    x = np.random.default_rng(0).standard_normal((32, 2)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    callback = TrackTUICallback("tiny-keras", name="dense", root=tmp_path / "s", config={"units": 4})
    model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0, callbacks=[callback])
    s = store.open_store(tmp_path / "s")
    row = s.runs_frame().iloc[0]
    assert row["status"] == "finished" and row["name"] == "dense"
    assert row["params.epochs"] == 3 and row["params.units"] == 4
    assert row["params.optimizer.class"] == "SGD" and row["params.optimizer.learning_rate"] == pytest.approx(0.05)
    detail = s.run(row["run_id"])
    assert detail.history(["epoch/loss"])["step"].tolist() == [0, 1, 2]
    assert {"epoch/val_loss", "epoch/mae", "batch/loss"} <= set(detail.metrics)
    assert detail.metrics["batch/loss"]["count"] == 9  # 24 training rows / 8 a batch x 3 epochs
