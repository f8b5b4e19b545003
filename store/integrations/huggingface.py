"""Hugging Face: `Trainer(..., callbacks=[TrackTUICallback("my-experiment")])` logs the run into a tracktui store.

At the start of training the `TrainingArguments` become params (`learning_rate`, ...) and the
model's config params under `model.` (`model.hidden_size`); every `on_log` (loss, learning
rate, grad norm, eval metrics, the final train_runtime) becomes metrics at `state.global_step`,
under the names Hugging Face gives them (the same as in `trainer_state.json`). The run is named
after `args.run_name` unless `name` is given, finishes at `on_train_end`, and a later
`trainer.evaluate()` continues it (then it stays open until `callback.run.finish()`, the next
`on_train_end` or the interpreter's exit). A training that raises is recorded `failed` by tracktui's
exit hook. Only the main process writes.
"""

from __future__ import annotations

import os
from typing import Any

from transformers import TrainerCallback

from store.integrations.run_handle import RunHandle
from store.writing.writer import Run

__all__ = ["TrackTUICallback"]


class TrackTUICallback(TrainerCallback):
    def __init__(
        self,
        experiment: str = "huggingface",
        name: str | None = None,
        root: str | os.PathLike[str] | None = None,
        *,
        run: Run | None = None,
        **start_kwargs: Any,
    ) -> None:
        """`experiment`, `name`, `root` and the keyword arguments go to `store.start_run`; or pass `run=`."""
        self._handle = RunHandle(experiment, name, root, run, **start_kwargs)

    @property
    def run(self) -> Run | None:
        """The tracktui run, once training has started (finished after it ends, until more is logged)."""
        return self._handle.current

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None, **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        if not self._handle.started and self._handle.name is None and getattr(args, "run_name", None):
            self._handle.name = str(args.run_name)
        params: dict[str, Any] = dict(args.to_dict())
        config = getattr(model, "config", None)
        if config is not None:
            params["model"] = config if isinstance(config, dict) else config.to_dict()
        self._handle.log_params(params)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if state.is_world_process_zero and logs:
            self._handle.log_metrics(logs, state.global_step)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if state.is_world_process_zero and self._handle.started:
            self._handle.close()
