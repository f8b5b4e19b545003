"""The run an integration logs into: started at first use, closed when training ends, resumed if logging goes on.

Frameworks call "training ended" more than once (Lightning's `finalize` after `fit` and again
after `test`; Hugging Face's `on_train_end` before a later `evaluate`), so a run closed by one
is continued (`start_run(resume=...)`) when more comes, rather than refusing the points.
A run the caller passed in is theirs: it is never finished here.

Frameworks also log what is not a number (strings, None) and log hyperparameters again with
other values (a second `fit`): those are skipped, with one warning for a changed param,
because an integration must never stop training.
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

import store
from store.ours import stored_values
from store.writing.lifecycle import outcome
from store.writing.writer import Run


class RunHandle:
    def __init__(
        self,
        experiment: str,
        name: str | None = None,
        root: str | os.PathLike[str] | None = None,
        run: Run | None = None,
        **start_kwargs: Any,
    ) -> None:
        self.experiment = experiment
        self.name = name
        self.root = root
        self.start_kwargs = start_kwargs
        self._run = run
        self._owned = run is None
        self._warned: set[str] = set()

    @property
    def started(self) -> bool:
        return self._run is not None

    @property
    def current(self) -> Run | None:
        """The run as it is (None before training starts), without starting or continuing it."""
        return self._run

    @property
    def run(self) -> Run:
        """The run, started now if needed, or continued if a framework closed it and logs on."""
        if self._run is None:
            self._run = store.start_run(self.experiment, self.name, root=self.root, **self.start_kwargs)
        elif self._run.status != "running" and self._owned:
            self._run = store.start_run(self.experiment, root=self._run.root, resume=self._run.id, **self.start_kwargs)
        return self._run

    def log_params(self, params: dict[str, Any]) -> None:
        """Log params; a key already logged with another value is skipped with one warning."""
        run = self.run
        try:
            run.log_params(params)
            return
        except ValueError:
            pass
        for key, value in params.items():
            try:
                run.log_params({key: value})
            except ValueError as exc:
                if key not in self._warned:
                    self._warned.add(key)
                    warnings.warn(f"tracktui: param {key!r} not logged: {exc}", stacklevel=3)

    def log_metrics(self, metrics: dict[str, Any], step: int | None) -> None:
        """Log the numbers among `metrics` (tensors and numpy scalars included) at `step`; skip the rest."""
        numbers: dict[str, float] = {}
        for key, value in metrics.items():
            try:
                numbers[key] = value if type(value) is float else stored_values.as_float(key, value)
            except TypeError:
                continue
        if numbers:
            self.run.log_metrics(numbers, step=step)

    def flush(self) -> None:
        if self._run is not None and self._run.status == "running":
            self._run.flush()

    def close(self, failed: bool = False) -> None:
        """Finish a run this handle started: `finished`, or as the exception being handled says when `failed`."""
        if self._run is None or not self._owned:
            self.flush()
            return
        if not failed:
            self._run.finish()
            return
        exc_type, exc, tb = sys.exc_info()
        status, error = outcome(exc_type, exc, tb) if exc_type is not None else ("failed", "training failed")
        self._run.finish(status, error)
