"""Reading MLflow's file store (`mlruns/`), read-only and without the mlflow package (its metric
files are parsed by store/formats/mlflow/metric_files.py).

Layout (MLflow 1.x to 3.x):

    mlruns/<experiment_id>/meta.yaml                 name, lifecycle_stage, artifact_location
    mlruns/<experiment_id>/<run_id>/meta.yaml        status (an int), times (ms), user_id, ...
    mlruns/<experiment_id>/<run_id>/params/<key>     the value, whole file; `a/b` keys are folders
    mlruns/<experiment_id>/<run_id>/tags/<key>       likewise
    mlruns/<experiment_id>/<run_id>/metrics/<key>    lines `timestamp_ms value [step]`
    mlruns/<experiment_id>/<run_id>/outputs/m-<id>/  links to logged models (MLflow 3)
    mlruns/<experiment_id>/models/m-<id>/            logged models, `artifacts/` holds MLmodel
    mlruns/.trash/<experiment_id>/                   deleted experiments
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from store import safe_read
from store.base import RunDetail, RunRecord
from store.formats.mlflow import common as common
from store.formats.mlflow.metric_files import read_point_arrays, read_points
from store.frame import history_frame
from store.model_entities import LoggedModel, RegisteredModel, link
from store.ours.index import FolderRunStore, UnitIndex
from store.safe_names import plain_name

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

META = "meta.yaml"
MAX_KEY_DEPTH = 32
"""Folder levels followed under params/, tags/ and metrics/ (a key is at most 250 characters)."""
TRASH = ".trash"
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""The C loader when PyYAML has it: a 10,000-run store is 10,000 meta.yaml files."""


def read_yaml(path: Path) -> Any:
    """A small YAML file: a regular file of at most YAML_CAP bytes, loaded with bounded depth and aliases."""
    return safe_read.load_yaml(safe_read.read_text(path, cap=safe_read.YAML_CAP), _LOADER)


def load_mapping(path: Path, label: str) -> tuple[dict[str, Any], str | None]:
    """A meta.yaml as a dict, or {} and what is wrong with it (missing, unreadable, not YAML, no mapping)."""
    try:
        data = read_yaml(path)
    except FileNotFoundError:
        return {}, f"{label} is missing"
    except (OSError, UnicodeDecodeError) as exc:
        return {}, f"{label} is unreadable ({type(exc).__name__}: {str(exc)[:80]})"
    except yaml.YAMLError as exc:
        return {}, f"{label} is not valid YAML ({str(exc).splitlines()[0][:80]})"
    except ValueError as exc:  # nested too deep, or aliases that expand too far
        return {}, f"{label} is refused ({str(exc)[:80]})"
    if not isinstance(data, dict):
        return {}, f"{label} holds {type(data).__name__}, not a mapping"
    return data, None


def _walk_files(folder: Path, prefix: str = "", depth: int = 0) -> Iterable[tuple[str, os.DirEntry[str]]]:
    """(key, entry) for every file under `folder`; a key with `/` is a nested folder on disk.

    Folders nested deeper than MAX_KEY_DEPTH are not followed (MLflow keys are at most 250
    characters, so they never nest that deep); a symlink to a folder is a file here, and
    reading it is refused.
    """
    if depth > MAX_KEY_DEPTH:
        return
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if is_dir:
            yield from _walk_files(Path(entry.path), f"{prefix}{entry.name}/", depth + 1)
        else:
            yield f"{prefix}{entry.name}", entry


class _Signature:
    """Folds stat results into the `[max mtime_ns, max ctime_ns, total size, entries]` of a run."""

    __slots__ = ("count", "ctime", "mtime", "size")

    def __init__(self) -> None:
        self.mtime = self.ctime = self.size = self.count = 0

    def add(self, st: os.stat_result | None) -> None:
        self.count += 1
        if st is not None:
            self.mtime = max(self.mtime, st.st_mtime_ns)
            self.ctime = max(self.ctime, st.st_ctime_ns)
            self.size += st.st_size

    def add_tree(self, folder: str, stat_files: bool, depth: int = 0) -> None:
        """Count every entry under `folder`, stat every folder and, if asked, every file."""
        if depth > MAX_KEY_DEPTH:
            return
        try:
            st = os.stat(folder)
            entries = list(os.scandir(folder))
        except OSError:
            return
        self.add(st)
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    self.add_tree(entry.path, stat_files, depth + 1)
                elif stat_files:
                    self.add(entry.stat(follow_symlinks=False))
                else:
                    self.count += 1
            except OSError:
                continue

    def as_list(self) -> list[int]:
        return [self.mtime, self.ctime, self.size, self.count]


def _stat(path: str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


class MlflowFileStore(FolderRunStore, common.MlflowRunStore):
    """An MLflow file store (`mlruns/`), listed through the shared stat-validated index.

    A run's signature is `[max mtime_ns, max ctime_ns, total size, number of entries]` over
    its experiment's `meta.yaml`, its own `meta.yaml`, every folder under `params/`,
    `tags/` and `metrics/`, and every tag and metric *file*. Folders alone are not
    enough: MLflow appends metric points to `metrics/<key>` and rewrites `tags/<key>` in
    place, and neither touches the folder. Param files are only counted, not stat'ed:
    MLflow never changes a logged param, and a new one changes the count and its folder.
    This is two to three dozen stat calls for a typical run, all answered from the
    kernel's inode cache on a warm store, and it needs no file to be opened; `artifacts/`
    and `outputs/` are not part of the listing and are left out. The experiment's
    `meta.yaml` is included so renaming or deleting an experiment re-reads its runs.
    """

    kind = "mlflow-file"

    def __init__(self, root: Path, include_deleted: bool = False) -> None:
        super().__init__(root, include_deleted)
        self._cache = UnitIndex(root, self.kind, in_store=False)
        self._experiment_cache: dict[str, tuple[list[int], dict[str, Any], str | None]] = {}
        self._skipped: set[str] = set()

    # -- experiments ---------------------------------------------------------------------

    def _experiment_dirs(self) -> list[tuple[str, os.DirEntry[str]]]:
        """(unit prefix, entry) of every experiment folder, the deleted ones in `.trash/` last."""
        found: list[tuple[str, os.DirEntry[str]]] = []
        for prefix, folder in (("", self.root), (f"{TRASH}/", self.root / TRASH)):
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except (FileNotFoundError, NotADirectoryError):
                continue
            for entry in entries:
                if entry.name.startswith(".") or not entry.is_dir():
                    continue
                if entry.name.isdigit() or os.path.exists(os.path.join(entry.path, META)):
                    found.append((prefix + entry.name, entry))
        return found

    def _experiment(self, exp_unit: str) -> tuple[dict[str, Any], str | None]:
        """An experiment's meta.yaml (cached by stat) and, if it is unreadable, why."""
        path = self.root / exp_unit / META
        st = _stat(str(path))
        sig = [st.st_mtime_ns, st.st_ctime_ns, st.st_size] if st else []
        cached = self._experiment_cache.get(exp_unit)
        if cached is not None and cached[0] == sig:
            return cached[1], cached[2]
        meta, problem = load_mapping(path, f"experiment {exp_unit}/{META}")
        self._experiment_cache[exp_unit] = (sig, meta, problem)
        return meta, problem

    # -- listing -------------------------------------------------------------------------

    def _scan(self) -> dict[str, list[int]]:
        units: dict[str, list[int]] = {}
        for exp_unit, exp in self._experiment_dirs():
            exp_meta = _stat(os.path.join(exp.path, META))
            try:
                runs = list(os.scandir(exp.path))
            except OSError:
                continue
            for run in runs:
                if run.name.startswith(".") or not run.is_dir():
                    continue
                meta = _stat(os.path.join(run.path, META))
                if meta is None:
                    # models/, tags/, traces/ ... are not runs; nor is a run folder without
                    # meta.yaml (git drops empty folders, a copy was cut short): MLflow skips it too.
                    if _RUN_ID.match(run.name) and run.path not in self._skipped:
                        self._skipped.add(run.path)
                        log.debug("ignoring %s: a run folder without %s (MLflow ignores it too)", run.path, META)
                    continue
                sig = _Signature()
                sig.add(exp_meta)
                sig.add(meta)
                sig.add_tree(os.path.join(run.path, "params"), stat_files=False)
                sig.add_tree(os.path.join(run.path, "tags"), stat_files=True)
                sig.add_tree(os.path.join(run.path, "metrics"), stat_files=True)
                units[f"{exp_unit}/{run.name}"] = sig.as_list()
        return units

    def _read_record(self, unit: str) -> RunRecord:
        return self._read_run(unit)[0]

    def _read_run(self, unit: str) -> tuple[RunRecord, dict[str, Any]]:
        """The record of a run folder and its meta.yaml (empty when unreadable)."""
        exp_unit, run_dir = unit.rsplit("/", 1)
        path = self.root / unit
        meta, problem = load_mapping(path / META, META)
        problems = [problem] if problem else []
        exp_meta, exp_problem = self._experiment(exp_unit)
        exp_id = exp_unit.rsplit("/", 1)[-1]
        info = dict(meta)
        info["name"] = meta.get("run_name")
        info.setdefault("experiment_id", exp_id)
        if exp_unit.startswith(f"{TRASH}/") or exp_meta.get("lifecycle_stage") == "deleted":
            info["lifecycle_stage"] = "deleted"
        notes = [exp_problem] if exp_problem else []
        params = _read_values(path, "params", notes)
        tags = _read_values(path, "tags", notes)
        metrics: dict[str, dict[str, Any]] = {}
        for key, entry in sorted(_walk_files(path / "metrics")):
            dataset: dict[str, str] = {}
            try:
                points, bad = read_points(Path(entry.path), dataset)
            except (OSError, ValueError) as exc:
                notes.append(f"metrics/{key} is unreadable ({str(exc)[:80]})")
                continue
            summary = common.summarize(points)
            if summary is not None:
                if dataset:
                    summary["dataset"] = dataset["name"]
                    summary["dataset_digest"] = dataset["digest"]
                metrics[key] = summary
            if bad:
                notes.append(f"metrics/{key} has {bad} unreadable line{'s' if bad > 1 else ''}")
        record = common.build_record(
            run_dir, str(exp_meta.get("name") or exp_id), info, params, tags, metrics, problems
        )
        if notes:  # the run itself is fine: say what was skipped, keep its status
            record["reason"] = "; ".join(filter(None, [record["reason"], *notes]))
        return record, meta

    # -- one run -------------------------------------------------------------------------

    def run(self, run_id: str) -> RunDetail:
        unit = self._unit_of(run_id)
        record = self._read_record_safely(unit)
        path = self.root / unit
        anchors = self._anchors()
        artifacts = common.resolve_location(
            (record.get("mlflow") or {}).get("artifact_uri"), anchors, must_contain=run_id
        )
        if artifacts is None or not artifacts.exists():
            local = path / "artifacts"
            artifacts = local if local.is_dir() else artifacts
        detail = self._detail(record, record["metrics"], path, artifacts, self._logged_models(unit, anchors))
        detail.inputs = self._dataset_inputs(unit)
        return detail

    def _dataset_inputs(self, unit: str) -> list[dict[str, Any]]:
        """The run's dataset inputs: `<run>/inputs/<id>/meta.yaml` links (source_type DATASET) to
        `<experiment>/datasets/<source_id>/meta.yaml`, as MLflow 2.4+ writes them."""
        run = self.root / unit
        try:
            links = sorted(e.name for e in os.scandir(run / "inputs") if e.is_dir())
        except (FileNotFoundError, NotADirectoryError):
            return []
        found = []
        for link_id in links:
            link = _read_mapping(run / "inputs" / link_id / META)
            if link.get("source_type", "DATASET") != "DATASET" or not link.get("source_id"):
                continue
            source = plain_name(str(link["source_id"]))  # a name from a file: never `..` out of the store
            dataset = _read_mapping(run.parent / "datasets" / source / META) if source else {}
            tags = link.get("tags")
            found.append(
                common.dataset_input(dataset or {"name": link["source_id"]}, tags if isinstance(tags, dict) else {})
            )
        return found

    def _anchors(self) -> list[Path]:
        """Where to look for a copied store's files: beside `mlruns/` (MLflow's working directory), in it,
        in its trash."""
        return [self.root.parent, self.root, self.root / TRASH]

    def _logged_models(self, unit: str, anchors: list[Path]) -> dict[str, Path]:
        """The run's MLflow 3 logged models, found through `<run>/outputs/m-<id>/meta.yaml`."""
        exp_path = (self.root / unit).parent
        models: dict[str, Path] = {}
        try:
            outputs = sorted(e.name for e in os.scandir(self.root / unit / "outputs") if e.is_dir())
        except (FileNotFoundError, NotADirectoryError):
            return models
        for output in outputs:
            link = _read_mapping(self.root / unit / "outputs" / output / META)
            if link.get("destination_type", "MODEL_OUTPUT") != "MODEL_OUTPUT":
                continue
            model_id = plain_name(str(link.get("destination_id") or output)) or output
            model = _read_mapping(exp_path / "models" / model_id / META)
            if model.get("lifecycle_stage") == "deleted" and not self.include_deleted:
                continue
            where = common.resolve_location(model.get("artifact_location"), anchors, must_contain=model_id)
            if where is None or not where.exists():
                local = exp_path / "models" / model_id / "artifacts"
                where = local if local.is_dir() else where
            if where is not None:
                models[common.model_label(model.get("name"), model_id, models)] = where
        return models

    def models(self) -> list[RegisteredModel]:
        from store.formats.mlflow.registry import file_models  # it reads with this module's helpers

        return link(file_models(self.root, self._anchors()), self.logged_models())

    def logged_models(self) -> list[LoggedModel]:
        from store.formats.mlflow.registry import file_logged_models

        return file_logged_models(self.root, self._anchors(), self.include_deleted)

    def history(self, run_id: str, keys: Iterable[str] | None = None) -> pd.DataFrame:
        """Long frame `key, step, time, value`, each key's points in the order they were logged."""
        wanted = None if keys is None else set(keys)
        parts = []
        for key, entry in sorted(_walk_files(self.root / self._unit_of(run_id) / "metrics")):
            if wanted is not None and key not in wanted:
                continue
            try:
                parts.append((key, *read_point_arrays(Path(entry.path))))
            except (OSError, ValueError):
                continue  # a folder, FIFO or device where the metric file should be: no points
        return history_frame(parts)


VALUE_CAP = 1024 * 1024
"""A param or tag file: MLflow caps values at 6,000 (params) and 8,000 (tags) characters."""


def _read_values(run: Path, folder: str, notes: list[str]) -> dict[str, str]:
    """Params or tags of a run folder: each file whole, as MLflow wrote it (spaces and newlines kept).

    A file that cannot be read (a FIFO, a device, too large) is left out and noted.
    """
    values: dict[str, str] = {}
    for key, entry in _walk_files(run / folder):
        try:
            values[key] = safe_read.read_text(entry.path, cap=VALUE_CAP, errors="replace")
        except OSError as exc:
            notes.append(f"{folder}/{key} is unreadable ({str(exc)[:80]})")
    return values


def _read_mapping(path: Path) -> dict[str, Any]:
    """A small meta.yaml that is not worth failing over (logged-model links): {} when unreadable."""
    return load_mapping(path, META)[0]
