"""The reader interface every kind of store sits behind: `RunStore`, `RunRecord`, `RunDetail`.

The app, `tracktui ls` and `tracktui diff` only ever talk to `RunStore`. A store kind keeps
its runs' listing *records* (`RunRecord`, small JSON-able dicts) up to date in `_sync`, and
reads one run whole in `run` and its metric points in `history`. The parts a kind may use
live beside this module: `store/ours/index.py` (a listing cache validated against stat
signatures, so a cold start reads only what changed) and `store/frame.py` (records to frames).
"""

from __future__ import annotations

import abc
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from store import nested_dicts
from store.errors import RunNotFoundError
from store.frame import (
    BASE_COLUMNS,
    EXTRA_COLUMNS,
    METRIC_STATS,
    build_runs_frame,
    history_frame,
    natural_key,
    record_facts,
)
from store.media_index import MediaIndex, MediaStep, media_bytes
from store.model_entities import LoggedModel, ModelVersion, RegisteredModel, made_from
from store.record_checks import damaged_record, infer_running_status, valid_record
from store.safe_names import inside

if TYPE_CHECKING:
    import pandas as pd

    from store.ours.index import CacheFile
    from store.remote.artifacts import RemoteArtifacts

__all__ = [
    "BASE_COLUMNS",
    "EXTRA_COLUMNS",
    "METRIC_STATS",
    "MediaIndex",
    "MediaStep",
    "RunDetail",
    "RunRecord",
    "RunStore",
    "damaged_record",
    "history_frame",
    "infer_running_status",
    "media_bytes",
    "natural_key",
    "valid_record",
]


class _RunRecordFields(TypedDict):
    run_id: str
    experiment: str
    name: str
    status: str
    """One of `store.ours.layout.STATUSES` as the files say; `crashed` and `deleted` are inferred by
    `RunStore.status_of`."""
    reason: str | None
    """Why a run is damaged, or what of it could not be read."""
    created: float | None
    ended: float | None
    host: str | None
    user: str | None
    pid: int | None
    pid_start: int | None
    heartbeat: float | None
    params: dict[str, Any]
    """Flattened (`model.type`), one table cell each: str, int, float, bool or None."""
    tags: dict[str, str]
    metrics: dict[str, dict[str, Any]]
    """Per key: `last`, `min`, `max` and what else the store knows (`last_step`, `count`, ...)."""


class RunRecord(_RunRecordFields, total=False):
    """What a listing holds of one run; stored as is in the listing cache, so plain JSON.

    MLflow's readers add the fields below (see `store/mlflow_common.build_record`).
    """

    parent: str | None
    """The run this one was started under (`tracktui run`), if any."""
    source: str
    """Which store a run comes from, when several are open in one table (`store/opening/multi.py`)."""
    inputs: dict[str, str]
    """Input name -> content digest ("" when none is known), for the `inputs.*` columns (store/ours/inputs.py)."""
    system_tags: dict[str, str]
    experiment_id: str | None
    deleted: bool
    mlflow: dict[str, Any]
    last_logged: float | None
    """When the run last logged a metric other than a machine metric; `log_interval`: its usual seconds
    between logs; `nonfinite`: its metrics holding NaN or ±inf, comma-separated (`store.frame.log_facts`).
    Ours keeps these in its listing; for other kinds `RunStore.log_facts` works them out."""
    log_interval: float | None
    nonfinite: str | None


@dataclass
class RunDetail:
    """Everything about one run that the detail, diff and artifact screens show."""

    run_id: str
    experiment: str
    name: str
    status: str
    created: float | None
    ended: float | None
    params: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    """host, user, pid, command, python, git commit/branch/dirty, source, ... as the store has them."""
    error: str | None = None
    """The traceback of a failed run, or why a damaged run is damaged."""
    last_seen: float | None = None
    """When the writer last gave a sign of life (heartbeat): the best end time a crashed run has."""
    artifacts_dir: Path | None = None
    extra_artifacts: dict[str, Path] = field(default_factory=dict)
    """Other folders that belong with the run's files, by label (MLflow logged models)."""
    inputs: list[dict[str, Any]] = field(default_factory=list)
    """Data the run used: name, path, kind, context, size, mtime, digest (see store/ours/inputs.py)."""
    store: RunStore | None = field(default=None, repr=False, compare=False)
    media_reader: Callable[[], MediaIndex] | None = field(default=None, repr=False, compare=False)
    """How a kind that keeps images its own way (W&B's history, TensorBoard's event files) lists them."""

    @property
    def flat_params(self) -> dict[str, Any]:
        return nested_dicts.flatten(self.params)

    @property
    def duration(self) -> float | None:
        if self.created is None:
            return None
        end = self.ended if self.ended is not None else (time.time() if self.status == "running" else self.last_seen)
        return None if end is None else max(0.0, end - self.created)

    def media(self) -> MediaIndex:
        """Images logged per step: `{key: [(step, path), ...]}`, steps ascending (read from disk on each call,
        so call it off the UI thread).

        A tracktui run's `media/` folder; for MLflow runs, the images `mlflow.log_image(..., key=, step=)` wrote;
        for other kinds what their `media_reader` finds (W&B's `wandb.Image`s, TensorBoard's image summaries).
        """
        from store.ours.media import read_media, read_mlflow_images

        if self.media_reader is not None:
            return self.media_reader()
        if self.store is not None and self.store.kind_of(self.run_id) == "tracktui" and self.artifacts_dir is not None:
            return read_media(self.artifacts_dir.parent)
        return read_mlflow_images(self.artifacts_dir) if self.artifacts_dir is not None else {}

    def history(self, keys: Iterable[str] | None = None) -> pd.DataFrame:
        if self.store is None:
            raise RuntimeError("this RunDetail is not attached to a store")
        return self.store.history(self.run_id, keys)


class RunStore(abc.ABC):
    """A readable store of runs.

    A kind implements `_sync` and `_all_records` (the listing), `run` and `history`; it may
    keep a listing cache (`_cache`, see store/ours/index.py), which `_load` reads once before
    the first `_sync` and `refresh` saves now and then.
    """

    kind = "base"
    metric_stats: tuple[str, ...] = METRIC_STATS
    """Which of last/min/max the listing knows (MLflow's SQL store keeps only the latest)."""

    _cache: CacheFile | None = None
    cache_first = False
    """Set by the app: the first refresh may show the listing cache as it was saved, without checking
    the store (a kind whose check is slow honours it: a tracking server, a large store of ours);
    the next refresh checks. Scripts leave it off and get a current listing."""
    served_from_cache = False
    """Whether the first refresh showed the cache unchecked (so the caller should refresh soon)."""
    listing_progress: Callable[[int, int], None] | None = None
    """Set by the app to paint a long first listing as it is read: a kind that reads one in batches (ours
    with no index) calls it after each batch with (runs read, runs in all), on the refreshing thread with
    the store's lock held, and `partial_frame` is then the runs read so far. The other kinds list at once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._by_id: Mapping[str, RunRecord] = {}
        """The listed (visible) runs by id (a kind may make the records only when asked, see `_listing`)."""
        self._frames: dict[str, pd.DataFrame] = {}
        self._facts: dict[str, tuple[float, float, str]] | None = None
        """`log_facts` of the listing, made again after a refresh that changed something."""
        self._statuses: dict[str, str] = {}
        self._loaded = False
        self._lock = threading.RLock()
        """The app refreshes from one worker thread while screens read runs from others."""

    # -- what a store kind provides ------------------------------------------------------

    def _load(self) -> None:
        """Read the listing cache, when the kind keeps one; called once, before the first `_sync`."""
        if self._cache is not None:
            self._cache.load()

    @abc.abstractmethod
    def _sync(self, now: float) -> set[str]:
        """Bring the records up to date with the store; return the ids of runs added, changed or removed."""

    @abc.abstractmethod
    def _all_records(self) -> Iterable[RunRecord]:
        """Every record the store holds, those `_visible` hides included."""

    @abc.abstractmethod
    def run(self, run_id: str) -> RunDetail:
        """One run with everything the detail screens show; RunNotFoundError when it is not listed."""

    @abc.abstractmethod
    def history(self, run_id: str, keys: Iterable[str] | None = None) -> pd.DataFrame:
        """Long frame `key, step, time, value` of the run's metric points (of `keys` only, when given)."""

    def _visible(self, record: RunRecord) -> bool:
        """Whether a record is listed at all (MLflow keeps deleted runs, which are hidden by default)."""
        return True

    # What a kind may do faster than through records (ours keeps its listing as columns).

    def _listing(self) -> Mapping[str, RunRecord]:
        """The listed runs by id, after a sync that changed something."""
        return {rec["run_id"]: rec for rec in self._all_records() if self._visible(rec)}

    def _running_records(self) -> Iterable[RunRecord]:
        """The records whose files say `running` (their writer may be gone)."""
        return (rec for rec in self._all_records() if rec.get("status") == "running")

    def _build_frame(self, metric_stat: str) -> pd.DataFrame:
        """The runs frame before durations of running runs are brought up to now."""
        return build_runs_frame(self.records(), self.status_of, metric_stat)

    def _ids_named(self, name: str) -> list[str]:
        """The listed runs called `name`."""
        return [rec["run_id"] for rec in self.records() if rec.get("name") == name]

    # -- listing -------------------------------------------------------------------------

    def records(self) -> list[RunRecord]:
        with self._lock:
            self._ensure_loaded()
            return [rec for rec in self._all_records() if self._visible(rec)]

    def run_ids(self) -> list[str]:
        self._ensure_loaded()
        return list(self._by_id)

    def runs_frame(self, metric_stat: str = "last") -> pd.DataFrame:
        """One row per run: base columns, then `params.*`, `metrics.*` (`metric_stat` of each), `tags.*`.

        `created`/`ended` are seconds since the epoch (float, NaN when unknown) and `duration`
        is seconds; a run still running has its duration up to now.
        """
        with self._lock:
            if metric_stat not in METRIC_STATS:
                raise ValueError(f"metric_stat must be one of {METRIC_STATS}, got {metric_stat!r}")
            self._ensure_loaded()
            if metric_stat not in self._frames:
                self._frames[metric_stat] = self._build_frame(metric_stat)
            # Shallow: pandas copies a column only when the caller writes to it (copy-on-write), so
            # every caller may change its frame and the app holds one frame's data, not one per refresh.
            frame: pd.DataFrame = self._frames[metric_stat].copy(deep=False)
            running = (frame["status"] == "running").to_numpy()
            if running.any():
                frame.loc[running, "duration"] = time.time() - frame.loc[running, "created"]
            return frame

    def runs_columns(self) -> dict[str, Any] | None:
        """`runs_frame()`'s columns by name in its order, each a list or a 1-D numpy array of Python values
        (missing: None, or NaN in a float column), when this kind makes them without pandas; else None.

        For a caller that writes the listing out as it is (`tracktui ls --json`): at 100,000 runs
        importing pandas and building the frame is a third of the time.
        """
        return None

    def partial_frame(self, metric_stat: str = "last") -> pd.DataFrame:
        """The runs frame of the runs read so far, while `listing_progress` is being called (only then)."""
        return build_runs_frame([], self.status_of, metric_stat)

    def partial_records(self) -> list[RunRecord]:
        """The records of the runs read so far, while `listing_progress` is being called (only then): the
        app lays out the first few without pandas (`tui.shaping.first_listing`), which it is still importing."""
        return []

    def log_facts(self) -> dict[str, tuple[float, float, str]]:
        """(last logged, usual interval, metrics with NaN or ±inf) of the runs that say `running` or hold
        NaN or ±inf, by run id: what the app needs to tell which runs need a look (see `store.frame.log_facts`).
        Made once per change of the listing and shared: callers must not change it."""
        with self._lock:
            self._ensure_loaded()
            if self._facts is not None:
                return self._facts
            facts: dict[str, tuple[float, float, str]] = {}
            for rec in self.records():
                found = record_facts(rec)
                if found[2] or rec.get("status") == "running":
                    facts[rec["run_id"]] = found
            self._facts = facts
            return facts

    def experiments(self) -> dict[str, int]:
        """Experiment names with their run counts, in name order."""
        counts: dict[str, int] = {}
        for rec in self.records():
            counts[rec.get("experiment") or ""] = counts.get(rec.get("experiment") or "", 0) + 1
        return dict(sorted(counts.items()))

    def kind_of(self, run_id: str) -> str:
        """The kind of store a run comes from (several kinds share one table in `store/opening/multi.py`)."""
        return self.kind

    def status_of(self, record: RunRecord) -> str:
        return self._statuses.get(record["run_id"]) or record.get("status") or "damaged"

    # -- finding a run -------------------------------------------------------------------

    def resolve(self, ref: str) -> str:
        """A run id from an id, a unique id prefix or a unique run name."""
        with self._lock:
            self._ensure_loaded()
            if ref in self._by_id:
                return ref
            prefixed = [rid for rid in self._by_id if rid.startswith(ref)]
            if len(prefixed) == 1:
                return prefixed[0]
            named = self._ids_named(ref)
            if len(named) == 1:
                return named[0]
            if len(prefixed) + len(named) > 1:
                raise RunNotFoundError(f"{ref!r} matches {len(prefixed) + len(named)} runs; give more of the id")
            raise RunNotFoundError(f"no run with id, id prefix or name {ref!r} in {self.root}")

    def _listed(self, run_id: str) -> RunRecord:
        """The listing record of a run; RunNotFoundError when it is not listed."""
        with self._lock:
            self._ensure_loaded()
            try:
                return self._by_id[run_id]
            except KeyError:
                raise RunNotFoundError(f"no run {run_id!r} in {self.root}") from None

    # -- keeping up to date ----------------------------------------------------------------

    def _ensure_loaded(self) -> None:
        if not self._loaded:
            self.refresh()

    def refresh(self) -> set[str]:
        """Re-read only the runs whose files changed; return the ids that were added, changed or removed."""
        with self._lock:
            now = time.time()
            first = not self._loaded
            if first:
                self._loaded = True
                self._load()
            changed = self._sync(now)
            changed |= self._update_statuses(now)
            if changed or not self._by_id:
                self._by_id = self._listing()
                self._frames.clear()
                self._facts = None
            if self._cache is not None and self.listing_progress is None:
                # A listing painted as it is read (the app's first open) is not held up by the save (0.2 s at
                # 100,000 runs): the next refresh saves, or closing the app does.
                self._cache.save_if_due(now)
            return set(self._by_id) if first else changed

    def _update_statuses(self, now: float) -> set[str]:
        """Infer 'crashed' for runs that say running but whose writer is gone."""
        changed = set()
        statuses: dict[str, str] = {}
        for rec in self._running_records():
            status = infer_running_status(rec, now)
            statuses[rec["run_id"]] = status
            if self._statuses.get(rec["run_id"], "running") != status:
                changed.add(rec["run_id"])
        self._statuses = statuses
        return changed

    def resync(self) -> bool:
        """Have the next `refresh` read every run again, not only what changed; False when this kind has
        nothing more to read that way (its `refresh` already sees every change, edits of old runs included).

        A kind that lists from a cache kept current by an incremental poll (a tracking server) misses
        edits of params or tags on old runs; this is how a user asks for them.
        """
        return False

    def prefetch_histories(self, run_ids: Sequence[str], keys: Iterable[str]) -> None:
        """Read the histories of `keys` for many runs at once, ahead of the `history` calls that follow.

        A kind whose history reads cost a round trip each (a tracking server) fetches them in bulk;
        for the others reading run by run is as fast, so the default does nothing.
        """
        return None

    def console_lines(self, run_id: str) -> list[tuple[float | None, str, str]] | None:
        """Another tool's console with times, `(time, stream, line)` (stream `o`, `e` or `-`), where its
        records have them (W&B's); None here. Ours: `store.writing.console.timed_lines`."""
        return None

    def remote_artifacts(self, run_id: str) -> RemoteArtifacts | None:
        """The run's artifacts where they are not all on disk (a tracking server's: big files are fetched
        only when opened); None for the kinds whose artifacts are local files."""
        return None

    # -- the model registry (store/model_entities.py) --------------------------------------

    def models(self) -> list[RegisteredModel]:
        """The registered models with their versions (aliases and logged-model metrics filled in);
        none for a kind without a registry. A damaged entry is one entry with a `reason`."""
        return []

    def logged_models(self) -> list[LoggedModel]:
        """MLflow 3's logged models (`mlflow.<flavor>.log_model`), with params, metrics and tags."""
        return []

    def models_of_run(self, run_id: str) -> tuple[list[ModelVersion], list[LoggedModel]]:
        """The versions registered from a run and the logged models it made."""
        return made_from(run_id, self.models(), self.logged_models())

    def model_files(self, version: ModelVersion) -> str | None:
        """Where a version's files are: a local path (a store on disk) or an artifact URI (a server's).

        A version registered from `runs:/<run>/<path>` is found in that run's artifacts; the path
        comes from the store, so it must stay inside them (symlinks resolved): UnsafePathError if not."""
        source = version.source or ""
        if version.location or not source.startswith("runs:/") or not version.run_id:
            return version.location
        path = source.removeprefix(f"runs:/{version.run_id}").strip("/")
        artifacts = self.run(version.run_id).artifacts_dir
        if artifacts is None:
            return None
        return str(inside(artifacts, path)) if path else str(artifacts)

    # -- the listing cache ---------------------------------------------------------------

    def index_path(self) -> Path | None:
        """Where the listing cache is kept (None for a kind without one)."""
        return None if self._cache is None else self._cache.path

    def close(self) -> None:
        """Stop every network request under way (the app calls this on exit; only a server store has any)."""
        return None

    def save_index(self) -> None:
        """Write the listing cache now (the app calls this on exit so the next start is fast)."""
        with self._lock:
            if self._cache is not None:
                self._cache.save()
