"""PyTorch Lightning: `Trainer(logger=TrackTUILogger("my-experiment"))` logs the run into a tracktui store.

Hyperparameters (`save_hyperparameters()`, the datamodule's) become params, everything
`self.log(...)` sends becomes metrics at the trainer's global step, and the run ends
`finished` after `fit`, or `failed` (`killed` on Ctrl-C) with the traceback when training
raises. A later `trainer.test()` continues the same run. Only rank zero writes.

`name` is the experiment, `version` the run id; `save_dir` is None (Lightning then puts
checkpoints under `default_root_dir/<experiment>/<run id>/checkpoints`, as with W&B's logger)
unless you pass one.
"""

from __future__ import annotations

import os
from argparse import Namespace
from typing import Any

from lightning.pytorch.loggers.logger import Logger, rank_zero_experiment
from lightning.pytorch.utilities.rank_zero import rank_zero_only

from store.integrations.run_handle import RunHandle
from store.writing.writer import Run

__all__ = ["TrackTUILogger"]


class TrackTUILogger(Logger):
    def __init__(
        self,
        experiment: str = "lightning",
        name: str | None = None,
        root: str | os.PathLike[str] | None = None,
        *,
        run: Run | None = None,
        save_dir: str | os.PathLike[str] | None = None,
        **start_kwargs: Any,
    ) -> None:
        """`experiment`, `name`, `root` and the keyword arguments go to `store.start_run`; or pass `run=`."""
        super().__init__()
        self._handle = RunHandle(experiment, name, root, run, **start_kwargs)
        self._save_dir = None if save_dir is None else os.fspath(save_dir)

    @property
    @rank_zero_experiment
    def experiment(self) -> Run:
        """The tracktui run (started at first use)."""
        return self._handle.run

    @property
    def name(self) -> str:
        return self._handle.run.experiment if self._handle.started else self._handle.experiment

    @property
    def version(self) -> str:
        """The run id; other ranks never start a run, and answer "rank-N"."""
        if rank_zero_only.rank > 0:
            return f"rank-{rank_zero_only.rank}"
        return self._handle.run.id

    @property
    def save_dir(self) -> str | None:
        return self._save_dir

    @rank_zero_only
    def log_hyperparams(self, params: dict[str, Any] | Namespace, *args: Any, **kwargs: Any) -> None:
        self._handle.log_params(vars(params) if isinstance(params, Namespace) else dict(params))

    @rank_zero_only
    def log_metrics(self, metrics: dict[str, Any], step: int | None = None) -> None:
        self._handle.log_metrics(metrics, step)

    @rank_zero_only
    def save(self) -> None:
        self._handle.flush()

    @rank_zero_only
    def finalize(self, status: str) -> None:
        """Lightning says `success` after each of fit/validate/test, `failed` inside its exception handler."""
        if self._handle.started:
            self._handle.close(failed=status == "failed")
