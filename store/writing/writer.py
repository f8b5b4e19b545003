"""The logging side: `Run` and its buffers (their flush is in flushing.py, the flusher and exit
hooks in lifecycle.py, the lock in lock.py, the run folder's creation in run_folder.py,
artifacts in artifacts.py).

A training loop calls `log_metric` millions of times, so that call only validates and
appends to a list under a lock; a single daemon thread per process turns buffers into
file appends once a second. What a crash can lose is at most that last second.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from store import nested_dicts
from store.errors import RunFinishedError
from store.ours import atomic, edits, journal, layout, metric_summary, stored_values
from store.ours.lock import release_lock, take_lock
from store.ours.run_folder import create_run_folder, find_run, read_back
from store.process import hostname, process_start, writer_facts
from store.writing import artifacts, lifecycle
from store.writing.flushing import Flushing
from store.writing.lifecycle import FLUSH_INTERVAL, active_run, install_exit_hooks, open_runs, push_active
from store.writing.wandb_style import WandbStyle

_merge_summary = metric_summary.merge_summary  # the old name, used by tests/perf/make_big_store.py

__all__ = ["Run", "active_run", "install_exit_hooks", "open_runs", "push_active"]


class Run(WandbStyle, Flushing):
    """One run being written. Create it with `store.start_run` (or `store.init`), not directly.

    The W&B-style `log`, `config` and `summary` come from `WandbStyle` (store/writing/wandb_style.py),
    `flush` and the writes of the run's files from `Flushing` (store/writing/flushing.py)."""

    def __init__(
        self,
        root: Path,
        experiment: str,
        name: str | None,
        run_id: str | None = None,
        resume: bool = False,
        flush_interval: float = FLUSH_INTERVAL,
        attach: bool = False,
        experiment_asked: str | None = None,
    ) -> None:
        self.root = root
        self.experiment = experiment
        self.id = run_id or layout.new_run_id()
        self.name = name or self.id
        self.flush_interval = flush_interval
        self._lock = threading.Lock()
        self._io_lock = threading.Lock()
        self._buf: list[tuple[str, int, float, float]] = []
        self._next_step: dict[str, int] = {}
        self._known_keys: set[str] = set()
        self._params: dict[str, Any] = {}
        self._flat_params: dict[str, Any] = {}
        self._tags: dict[str, str] = {}
        self._summary: dict[str, dict[str, Any]] = {}
        self._params_dirty = self._tags_dirty = False
        self._last_summary_write = 0.0
        self._finished = False
        self.status = "running"
        self._pid = os.getpid()
        self._io_warned = False
        self._hist_size: dict[str, int] = {}
        self._paused = False
        """While True, flush() writes nothing: the lock is handed to a wrapped script (store/writing/handoff.py)."""
        self._handed_by: dict[str, Any] | None = None
        """The wrapper's lock body, when this run is attached to the run of a `tracktui run` wrapper."""
        self._media: Any = None
        """The image writer (store/ours/media.py), made at the first `log_image`."""
        self.on_finish: list[Callable[[], None]] = []
        """Called at the start of finish(), before the final flush (system metrics, console capture)."""
        if attach:
            from store.writing import handoff

            self.path = find_run(root, self.id)
            self._handed_by, self.path = handoff.attach(self.path, self.id, experiment=experiment_asked)
            self._load_existing("attach" if self._handed_by is not None else "resume")
        elif resume:
            self.path = find_run(root, self.id)
            take_lock(self.path, self.id)
            self._load_existing()
            folded = edits.fold_into(self.path, self._meta, self._tags)  # curation edits (store/ours/edits.py)
            self.name = self._meta.get("name", self.id)
            if folded:
                atomic.atomic_write_json(self.path / layout.TAGS, self._tags)
            self._write_meta()
            self._write_summary()
            for path in folded:
                path.unlink(missing_ok=True)
        else:
            self.path = root / layout.experiment_dirname(experiment) / self.id
            self._create()
        lifecycle.register(self)

    # -- creation ---------------------------------------------------------------------

    def _create(self) -> None:
        """Write only what a reader cannot derive, and wait for no disk (see store/ours/run_folder.py).

        No summary yet: a reader takes a run without one as having no metrics, and its
        `created` as its last sign of life.
        """
        self.created = time.time()
        self._meta: dict[str, Any] = {
            "version": layout.FORMAT_VERSION,
            "run_id": self.id,
            "name": self.name,
            "experiment": self.experiment,
            "status": "running",
            "created": self.created,
            "ended": None,
            **writer_facts(),
            "error": None,
        }
        create_run_folder(self.root, self.path, self.id, self._meta)
        journal.note_run(self.root, self.path)

    def _load_existing(self, role: str = "resume") -> None:
        """Read the run back from disk: to `resume` it, to `attach` to a wrapper's run, or to
        `reclaim` it (the wrapper, after the attached script handed it back); only `resume`
        makes this process the owner in meta.json."""
        self._meta, self._params, self._tags = read_back(self.path)
        self.name = self._meta.get("name", self.id)
        self.experiment = self._meta.get("experiment", self.experiment)
        self.created = self._meta.get("created", time.time())
        self._flat_params = nested_dicts.flatten(self._params)
        self._summary, self._hist_size = metric_summary.summarise_histories(self.path / layout.METRICS_DIR)
        self._known_keys = set(self._summary)
        self._next_step = {k: int(s["last_step"]) + 1 for k, s in self._summary.items()}
        if role == "attach":
            self._meta.setdefault("attached", []).append({"pid": os.getpid(), "time": time.time()})
        if role != "resume":
            return
        self._meta.pop("incomplete", None)
        self._meta.update(
            status="running",
            ended=None,
            error=None,
            host=hostname(),
            pid=os.getpid(),
            pid_start=process_start(os.getpid()),
        )
        self._meta.setdefault("resumed", []).append(time.time())
        atomic.remove_stale_temporaries(self.path, recursive=True)

    # -- logging ----------------------------------------------------------------------

    def log_metric(self, key: str, value: Any, step: int | None = None, timestamp: float | None = None) -> None:
        if key not in self._known_keys:
            self._new_key(key)
        if type(value) is not float:
            value = stored_values.as_float(key, value)
        with self._lock:
            if self._finished:
                raise RunFinishedError(f"run {self.id} is {self.status}; start or resume a run to log more")
            if step is None:
                step = self._next_step.get(key, 0)
            elif type(step) is not int:
                step = stored_values.as_step(key, step)
            self._next_step[key] = step + 1
            self._buf.append((key, step, timestamp or time.time(), value))

    def log_metrics(self, metrics: dict[str, Any], step: int | None = None, timestamp: float | None = None) -> None:
        now = timestamp or time.time()
        for key, value in metrics.items():
            self.log_metric(key, value, step=step, timestamp=now)

    def _new_key(self, key: str) -> None:
        layout.check_key(key, "metric key")
        layout.metric_filename(key)
        self._known_keys.add(key)

    def log_param(self, key: str, value: Any) -> None:
        self.log_params({key: value})

    def log_params(self, params: dict[str, Any]) -> None:
        """Params are the run's inputs: logging one again with another value is an error.

        Values are converted to plain JSON here (see `stored_values.json_value`), so one that cannot
        be stored fails at this call, naming its key, and never blocks a later flush. The
        same value again is fine, also as a tuple for a stored list, NaN for NaN, after a
        resume.
        """
        if not isinstance(params, dict):
            raise TypeError(f"log_params takes a dict, got {type(params).__name__}")
        plain = stored_values.json_value(params, "param")
        flat = nested_dicts.flatten(plain)
        for key, value in flat.items():
            layout.check_key(key, "param key")
            if key in self._flat_params and not stored_values.same_value(self._flat_params[key], value):
                raise ValueError(
                    f"param {key!r} is already {self._flat_params[key]!r}; params are a run's inputs and "
                    f"cannot change to {value!r}. Log the new value as a metric or tag, or start a new run"
                )
        with self._lock:
            self._check_open()
            nested_dicts.deep_merge(self._params, plain)
            self._flat_params.update(flat)
            self._params_dirty = True

    def set_tag(self, key: str, value: Any) -> None:
        self.set_tags({key: value})

    def set_tags(self, tags: dict[str, Any]) -> None:
        """Tags are text: each value is stored as `str(value)`, checked here to be writable."""
        plain: dict[str, str] = {}
        for key, value in tags.items():
            stored_values.text_value(layout.check_key(key, "tag key"), "tag key")
            try:
                text = str(value)
            except ValueError:
                raise stored_values.too_long_int(f"tag {key!r}", "log a shorter text") from None
            except Exception as exc:  # noqa: BLE001 - str() of any object may raise anything; said as a TypeError
                raise TypeError(f"tag {key!r}: str() of a {type(value).__name__} failed ({exc!s:.80})") from None
            plain[key] = stored_values.text_value(text, f"tag {key!r}")
        with self._lock:
            self._check_open()
            self._tags.update(plain)
            self._tags_dirty = True

    def log_input(
        self,
        path_or_name: str | os.PathLike[str],
        *,
        digest: str | None = None,
        kind: str = "dataset",
        context: str = "train",
    ) -> dict[str, Any]:
        """Record data the run used: path, size, mtime and a content digest (see store/ours/inputs.py)."""
        from store.ours.inputs import log_input

        return log_input(self, path_or_name, digest=digest, kind=kind, context=context)

    def log_image(self, key: str, image: Any, step: int | None = None) -> int:
        """Save an image (PIL image, numpy HxW/HxWx3/HxWx4 uint8 or float in [0, 1], or a path) as PNG at `step`.

        `step` defaults to one past the key's last image, like metrics. The caller pays for
        the checks and a copy; the PNG is written on a background thread (store/ours/media.py),
        and everything logged is written by `finish()`. Returns the step used.
        """
        from store.ours.media import log_image

        return log_image(self, key, image, step)

    # -- artifacts --------------------------------------------------------------------

    @property
    def artifacts_dir(self) -> Path:
        return self.path / layout.ARTIFACTS_DIR

    def artifact_path(self, name: str) -> Path:
        """Where artifact `name` lives; refuses names that would leave the artifacts folder."""
        return artifacts.artifact_path(self.artifacts_dir, name)

    def log_artifact(self, local_path: str | os.PathLike[str], name: str | None = None) -> Path:
        """Copy a file or a folder into the run's artifacts, as `name` (default: its own name).

        Each file is copied to a temporary name in its destination folder and renamed into
        place, so a kill mid-copy never leaves a truncated artifact under its final name.
        Modes follow the umask (executables stay executable), not the source's private bits.
        """
        self._check_open()
        return artifacts.copy_in(self.artifacts_dir, Path(local_path), name)

    def log_text(self, name: str, text: str) -> Path:
        self._check_open()
        return artifacts.write_text(self.artifacts_dir, name, text)

    def log_dict(self, name: str, data: dict[str, Any]) -> Path:
        """Written as YAML for .yaml/.yml names, JSON otherwise."""
        return self.log_text(name, artifacts.dict_text(name, data))

    # -- flushing and finishing ---------------------------------------------------------

    def _check_open(self) -> None:
        if self._finished:
            raise RunFinishedError(f"run {self.id} is {self.status}; start or resume a run to log more")

    def finish(self, status: str = "finished", error: str | None = None, *, exit_code: int | None = None) -> None:
        """Flush, record the final status, release the lock. Calling it again does nothing.

        `exit_code` is W&B's spelling: anything but 0 (or None) records the run `failed`.

        Never raises for an I/O failure: a full disk at the end of training must not kill
        the rest of the script. The flush is retried (`FINISH_RETRY_DELAYS`); what still
        cannot be written is reported once on stderr and recorded in `meta.json` (`error`
        and `incomplete`) when that file can still be written. A SIGTERM that arrives while
        this runs is held until the end, then the run is recorded `killed` and the process
        exits (see `lifecycle.finishing`). A process forked from the writer (a DataLoader
        worker) shares the Run object but not the run: there it does nothing.
        """
        if os.getpid() != self._pid:
            return
        status = layout.final_status(status)
        if exit_code:
            status, error = "failed", error or f"exit code {exit_code}"
        with lifecycle.finishing():
            with self._lock:
                if self._finished:
                    return
                self._finished = True
            lifecycle.stop_flushing(self)
            for hook in self.on_finish:
                try:
                    hook()
                except Exception as exc:  # noqa: BLE001 - a sampler or a capture must not keep the run from closing
                    print(f"tracktui: run {self.id}: {exc}", file=sys.stderr)
            handed_back = False
            started = time.time()
            try:
                lost = self._flush_for_finish()
                if lifecycle.sigterm_while_finishing():
                    status, error = "killed", "SIGTERM"
                if lost:
                    self._meta["incomplete"] = lost
                    error = f"{error}\n\n{lost}" if error else lost
                if self._handed_by is not None:
                    handed_back = self._hand_back(status, error)
                if not handed_back:
                    self.status = status
                    self._meta["ended"] = time.time()
                    self._meta["error"] = error
                    try:
                        if lost or self._last_summary_write < started:  # else the flush just wrote it
                            self._write_summary()
                        self._write_meta()
                    except OSError as exc:
                        self._warn_once(exc, "its final status could not be recorded (it will show as crashed)")
            finally:
                if not handed_back:
                    release_lock(self.path)
                    journal.note_run(self.root, self.path)  # after the lock's removal changed the folder
                lifecycle.unregister(self)

    def _hand_back(self, status: str, error: str | None) -> bool:
        """Attached to a wrapper's run: keep it `running` and give the lock back; False if the wrapper is gone.

        The wrapper records the final status from the command's exit code; a traceback
        recorded here stays in `error` for it to keep.
        """
        from store.writing import handoff

        if error:
            self._meta["error"] = error
        self.status = status
        try:
            self._write_summary()
            atomic.atomic_write_json(self.path / layout.META, self._meta)
            assert self._handed_by is not None
            return handoff.hand_back(self.path, self._handed_by)
        except OSError as exc:
            self._warn_once(exc, "its last points could not be recorded")
            return False

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.finish(*lifecycle.outcome(exc_type, exc, tb))

    def __repr__(self) -> str:
        return f"<Run {self.id} {self.name!r} {self.status} at {self.path}>"
