"""W&B run folders as a read-only store: `wandb/run-*/` and `wandb/offline-run-*/`, never written.

Accepted roots: a folder holding `wandb/` (where the script ran), the `wandb/` folder itself,
or one run folder. A run's id is W&B's (the folder name's last part; a resumed run has
several folders with one id, and all but the newest get the folder's time added), its
experiment the W&B project, its name the display name.

The record log is parsed with the `wandb` package's protobuf schema (store/formats/wandb_run.py)
when `wandb` is installed (`tracktui[wandb]`); without it the listing comes from the
folder's plain files and each run says what to install for its history. Console output is
the run's `files/output.log` (W&B writes it offline too), media are under `files/media/`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store import extras, nested_dicts, safe_read
from store.base import MediaIndex, MediaStep, RunDetail, RunRecord
from store.formats.series import SeriesSet
from store.formats.tailed import PooledFirstRead, TailCache, TailedLiveness
from store.formats.wandb_console import output_lines
from store.formats.wandb_run import RUN_FOLDER, WANDB_MODULE, WandbRun, folder_facts, folder_id, log_file
from store.ours.index import UnitIndex
from store.ours.reader import _cell as cell
from store.safe_names import UnsafePathError, inside

if TYPE_CHECKING:
    import pandas as pd

EXTRA = "wandb"
RECORD_VERSION = 3
"""Part of the listing cache's name: bump it when what a record holds changes, so old caches are not trusted."""
ROOT_UNIT = "."
SIGNED_FILES = ("files/config.yaml", "files/wandb-summary.json", "files/wandb-metadata.json")
NO_LIBRARY = f"history and run state need the wandb package: {extras.install_hint(EXTRA)}"
NO_LOG = "no run-<id>.wandb record log"
NO_LOG_SUMMARY = (
    "no run-<id>.wandb record log (not synced here, or git-ignored): metrics, times and status "
    "are files/wandb-summary.json's; it does not say whether the run failed"
)
CONSOLE = "files/output.log"


LATEST = "latest-run"
"""W&B's link to the newest run folder; a copy that lost the link (`cp -rL`, a zip) is a real folder."""


def run_folders(root: Path) -> list[str]:
    """Units (paths below `root`) of the W&B run folders of a project folder, a `wandb/` folder or one run.

    `latest-run` is listed only when it is a real folder whose run is not also beside it: a link
    (or a copy) of a run folder listed already would be the same run twice.
    """
    if is_run_folder(root):
        return [ROOT_UNIT]  # one run folder (or `wandb/latest-run`)
    for prefix, folder in (("", root), ("wandb/", root / "wandb")):
        try:
            names = sorted(
                e.name for e in os.scandir(folder) if RUN_FOLDER.match(e.name) and e.is_dir(follow_symlinks=False)
            )
        except OSError:
            continue
        latest = folder / LATEST
        if is_run_folder(latest) and _log_id(latest) not in {folder_id(name) for name in names}:
            names.append(LATEST)
        if names:
            return [prefix + name for name in names]
    return []


def _log_id(folder: Path) -> str | None:
    """The run id in the name of a folder's record log, `run-<id>.wandb`."""
    log = log_file(str(folder))
    return Path(log).stem.removeprefix("run-") if log else None


def is_run_folder(path: Path) -> bool:
    """One W&B run folder: `[offline-]run-<time>-<id>/`, or a `latest-run` (a link to one, or a copy)."""
    if RUN_FOLDER.match(path.name) or (path.is_symlink() and RUN_FOLDER.match(path.resolve().name)):
        return path.is_dir()
    return path.name == LATEST and path.is_dir() and _log_id(path) is not None


class WandbStore(TailedLiveness, PooledFirstRead):
    """Read-only W&B runs; the record log is read only with the `wandb` package installed."""

    kind = "wandb"
    stale_seconds = 120.0
    """wandb-core writes system stats every 15 s (and more while logging): two minutes of silence is a dead run."""
    dead_status = "crashed"

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.decodes = extras.has_module(WANDB_MODULE)
        if not self.decodes:
            self.dead_status = "finished"  # without the records, a quiet run's end cannot be told
        self._cache = UnitIndex(root, f"{self.kind}-{RECORD_VERSION}{'' if self.decodes else '-files'}", in_store=False)
        self._tails: TailCache[WandbRun] = TailCache()
        self._ids: dict[str, str] = {}

    def _path(self, unit: str) -> Path:
        return self.root if unit == ROOT_UNIT else self.root / unit

    def _folder_name(self, unit: str) -> str:
        """The run folder's own name (`wandb/latest-run` is a symlink to it)."""
        return self.root.resolve().name if unit == ROOT_UNIT else unit.rsplit("/", 1)[-1]

    def _scan(self) -> dict[str, list[int]]:
        units: dict[str, list[int]] = {}
        by_id: dict[str, list[str]] = {}
        root = str(self.root)
        for unit in run_folders(self.root):  # paths as text: 1,000 folders of pathlib cost 0.03 s
            folder = root if unit == ROOT_UNIT else os.path.join(root, unit)
            sig = [0, 0, 0, 0]
            log = log_file(folder)
            for file in ([log] if log else []) + [os.path.join(folder, name) for name in SIGNED_FILES]:
                try:
                    st = os.stat(file)
                except OSError:
                    continue
                sig = [max(sig[0], st.st_mtime_ns), max(sig[1], st.st_ctime_ns), sig[2] + st.st_size, sig[3] + 1]
            units[unit] = sig
            name = self._folder_name(unit)
            run_id = folder_id(name) or _log_id(Path(folder)) or name
            by_id.setdefault(run_id, []).append(unit)
        self._ids = {}
        for run_id, found in by_id.items():
            for unit in found[:-1]:  # a resumed run: its older folders (names sort by start time)
                self._ids[unit] = f"{run_id}-{self._folder_name(unit).split('-')[-2]}"
                units[unit].append(1)  # so a folder that becomes an older one is read again
            self._ids[found[-1]] = run_id
        return units

    def _pool_state(self) -> dict[str, Any]:
        return {"_ids": self._ids}

    def _state(self, unit: str) -> WandbRun:
        with self._lock:
            state = self._tails.get(unit, lambda: WandbRun(str(self._path(unit))))
            state.update(self.decodes)
            return state

    def _read_record(self, unit: str) -> RunRecord:
        path = self._path(unit)
        state = self._state(unit)
        name_id, folder_started = folder_facts(self._folder_name(unit))
        run_id = self._ids.get(unit) or state.run_id or name_id or self._folder_name(unit)
        problems = list(state.problems)
        log = state.log.path if state.decoded and state.log is not None else log_file(str(path))  # found by `_state`
        if state.decoded:
            status = "running" if state.exit_code is None else "finished" if state.exit_code == 0 else "failed"
        elif state.damaged is not None:
            status = "damaged"  # its reason says why; what files/ hold is listed
        elif log and not self.decodes:
            status = "running"
            problems.append(NO_LIBRARY)
        elif state.summary_files:
            status = "finished"
            problems.append(NO_LOG_SUMMARY)
        else:
            status = "running"
            problems.append(NO_LOG)
        created = state.started or folder_started
        last_seen = state.last_seen()
        heartbeat = last_seen
        if heartbeat is None and status == "running":  # no time in its records yet: how fresh its files are
            for file in ([log] if log else []) + [str(path / name) for name in SIGNED_FILES]:
                try:
                    heartbeat = max(heartbeat or 0.0, os.stat(file).st_mtime)
                except OSError:
                    continue
        ended = None if status == "running" else last_seen
        metrics = state.series.summaries()
        for key, value in state.summary_only().items():  # without the log, all the summary has
            metrics[key] = {"last": value, "min": value, "max": value, "count": 1}
        return {
            "run_id": run_id,
            "experiment": state.project or (self.root.name if unit != ROOT_UNIT else path.parent.name),
            "name": state.name or run_id,
            "status": status,
            "reason": "; ".join(problems) or None,
            "created": created,
            "ended": ended,
            "host": state.facts.get("host"),
            "user": state.facts.get("username"),
            "pid": None,
            "pid_start": None,
            "heartbeat": heartbeat,
            "params": {k: cell(v) for k, v in nested_dicts.flatten(state.params()).items()},
            "tags": {key: value for key, value in (("tags", ", ".join(state.tags)), ("notes", state.notes)) if value},
            "metrics": metrics,
        }

    def run(self, run_id: str) -> RunDetail:
        record = self._listed(run_id)
        unit = self._unit_of(run_id)
        path = self._path(unit)
        state = self._state(unit)
        facts: dict[str, Any] = {
            **state.facts,
            "path": str(path),
            "source": "wandb",
            "wandb_id": state.run_id or folder_id(self._folder_name(unit)),
        }
        if (path / CONSOLE).is_file():
            facts["console"] = str(path / CONSOLE)
        summary = state.summary()
        if summary:
            facts["summary"] = summary
        if state.exit_code is not None:
            facts["exit_code"] = state.exit_code
        status = self.status_of(record)
        files = path / "files"
        return RunDetail(
            run_id=record["run_id"],
            experiment=record["experiment"],
            name=record["name"],
            status=status,
            created=record["created"],
            ended=record["ended"],
            params=state.params(),
            tags=dict(record["tags"]),
            metrics=dict(record["metrics"]),
            facts=facts,
            error=record.get("reason"),
            last_seen=record.get("heartbeat"),
            artifacts_dir=files if files.is_dir() else path,
            store=self,
            media_reader=lambda: self._media(unit),
        )

    def _media(self, unit: str) -> MediaIndex:
        """The run's `wandb.Image`s by key, steps ascending, with captions. A path from the record that is
        absolute, holds `..` or leads out of `files/` by a symlink is left out (the log is not trusted)."""
        files = self._path(unit) / "files"
        media: MediaIndex = {}
        for key, steps in sorted(self._state(unit).images.items()):
            found: list[tuple[int, Path]] = []
            for step, (path, caption) in sorted(steps.items()):
                try:
                    found.append(MediaStep(step, inside(files, path), caption))
                except UnsafePathError:
                    continue
            if found:
                media[key] = found
        return media

    def history(self, run_id: str, keys: Iterable[str] | None = None) -> pd.DataFrame:
        """The history's points, and one point (at the last step) of each summary number no history row holds."""
        state = self._state(self._unit_of(run_id))
        only = state.summary_only()
        if not only:
            return state.series.frame(keys)
        points = SeriesSet()
        points.by_key = dict(state.series.by_key)
        last = max((s.steps[-1] for s in points.by_key.values() if s.steps), default=0)
        when = state.last_seen()
        for key, value in only.items():
            points.add(key, last, float("nan") if when is None else when, value)
        return points.frame(keys)

    def console_lines(self, run_id: str) -> list[tuple[float | None, str, str]] | None:
        return output_lines(str(self._path(self._unit_of(run_id))))

    def console(self, run_id: str) -> str | None:
        """What the run printed (`files/output.log`, as W&B captured stdout and stderr); None when it kept none."""
        path = self._path(self._unit_of(run_id)) / CONSOLE
        try:
            return safe_read.read_text(path, cap=None, errors="replace")
        except FileNotFoundError:
            return None
