"""Keras 3: `model.fit(..., callbacks=[TrackTUICallback("my-experiment")])` logs the run into a tracktui store.

Every backend works (TensorFlow, JAX, PyTorch). At `on_train_begin`, `fit`'s own params
(`epochs`, `steps`, `verbose`) and the optimizer's config (under `optimizer.`) become params,
with `config` if you pass one; each epoch's logs (`loss`, `val_loss`, metrics) become
`epoch/<name>` metrics at step = epoch, and every `log_every_batches`-th batch's running logs
`batch/<name>` metrics at step = batches seen (0 turns batch logging off), as W&B's
`WandbMetricsLogger` names them. The run finishes at `on_train_end`; a second `fit`
continues it. A `fit` that raises is recorded `failed` by tracktui's exit hook.
"""

from __future__ import annotations

import os
from typing import Any

import keras

from store.integrations.run_handle import RunHandle
from store.writing.writer import Run

__all__ = ["TrackTUICallback"]


class TrackTUICallback(keras.callbacks.Callback):
    def __init__(
        self,
        experiment: str = "keras",
        name: str | None = None,
        root: str | os.PathLike[str] | None = None,
        *,
        run: Run | None = None,
        config: dict[str, Any] | None = None,
        log_every_batches: int = 1,
        **start_kwargs: Any,
    ) -> None:
        """`experiment`, `name`, `root` and the keyword arguments go to `store.start_run`; or pass `run=`."""
        super().__init__()
        self._handle = RunHandle(experiment, name, root, run, **start_kwargs)
        self._config = dict(config or {})
        self.log_every_batches = log_every_batches
        self._batches = 0

    @property
    def run(self) -> Run | None:
        """The tracktui run, once training has started (finished after it ends, until more is logged)."""
        return self._handle.current

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        params: dict[str, Any] = {**self._config, **dict(self.params or {})}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None:
            try:
                params["optimizer"] = {**optimizer.get_config(), "class": type(optimizer).__name__}
            except (NotImplementedError, TypeError, ValueError):
                params["optimizer"] = {"class": type(optimizer).__name__}
        self._handle.log_params(params)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        step, self._batches = self._batches, self._batches + 1
        if logs and self.log_every_batches and step % self.log_every_batches == 0:
            self._handle.log_metrics({f"batch/{k}": v for k, v in logs.items()}, step)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if logs:
            self._handle.log_metrics({f"epoch/{k}": v for k, v in logs.items()}, epoch)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        self._handle.close()
