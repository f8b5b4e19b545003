"""Several stores in one table: `tracktui A B ...`, and what `tracktui FOLDER` finds in a folder.

`MultiStore` is a `RunStore` over other `RunStore`s (any kinds, paths and URLs mixed). Each
source gets a short label (`source_labels`), shown in a `source` column; run ids become
`<label>:<id>` so two stores' ids can never collide. A source that cannot be opened or read
is one `damaged` row saying why, retried now and then, while the others keep working.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from store.base import METRIC_STATS, RunDetail, RunRecord, RunStore, damaged_record
from store.errors import RunNotFoundError, StoreError
from store.model_entities import LoggedModel, ModelVersion, RegisteredModel

if TYPE_CHECKING:
    import pandas as pd

    from store.remote.artifacts import RemoteArtifacts

SEP = ":"
RETRY_SECONDS = 30.0
"""A source that failed is tried again this long after (a server that was down, a disk remounted)."""
FAILED_ID = "(source)"
"""The run id (after the label) of the row that stands for a source that failed."""


@dataclass
class Source:
    """One store in the table: where it is, its label, and the reader or why there is none."""

    spec: str
    label: str
    kind: str | None = None
    """The kind a folder search found it as (one folder can be a source of two kinds), else None."""
    store: RunStore | None = None
    error: str | None = None
    failed_at: float = 0.0
    records: list[RunRecord] = field(default_factory=list)


def source_labels(specs: Sequence[str]) -> list[str]:
    """Short, unique labels: a path's last part (more parts while two are alike), a URL's host."""
    parts: list[list[str]] = []
    for spec in specs:
        if "://" in spec and not spec.startswith(("file:", "sqlite:")):
            url = urlparse(spec)
            parts.append([p for p in (url.netloc or spec, *url.path.strip("/").split("/")) if p][::-1])
        else:
            path = Path(spec.split(":///", 1)[-1]).expanduser()
            parts.append(list(reversed([p for p in path.absolute().parts if p not in ("/", "")])) or [spec])
    depth = [1] * len(specs)

    def label(i: int) -> str:
        return "/".join(reversed(parts[i][: depth[i]]))

    for _ in range(8):
        labels = [label(i) for i in range(len(specs))]
        clashes = [i for i, text in enumerate(labels) if labels.count(text) > 1 and depth[i] < len(parts[i])]
        if not clashes:
            break
        for i in clashes:
            depth[i] += 1
    labels = [label(i) for i in range(len(specs))]
    seen: dict[str, int] = {}
    for i, text in enumerate(labels):
        seen[text] = seen.get(text, 0) + 1
        if seen[text] > 1:
            labels[i] = f"{text}#{seen[text]}"
    return labels


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


class MultiStore(RunStore):
    """The runs of several stores, each labelled with its source; read-only as a whole."""

    kind = "multi"

    def __init__(
        self,
        specs: Sequence[str],
        opener: Callable[[str, str | None], RunStore],
        root: Path | None = None,
        stores: dict[str, RunStore] | None = None,
        kinds: Sequence[str | None] | None = None,
        notice: str | None = None,
    ) -> None:
        """`opener(spec, kind)` opens one source (in the worker that first refreshes); `stores` are ones already
        open; `kinds` (one a spec, or None) say what a folder search found each as; `notice` what it left out."""
        super().__init__(root if root is not None else _common_root(specs))
        self._opener = opener
        self.notice = notice
        """What the folder search left out (too deep, out of time, unreadable), shown with the table."""
        kinds = list(kinds) if kinds is not None else [None] * len(specs)
        unique = list(dict.fromkeys(specs))
        label_of = dict(zip(unique, source_labels(unique)))
        labels = [label_of[spec] for spec in specs]
        for i, (spec, kind) in enumerate(zip(specs, kinds)):
            if kind is not None and list(specs).count(spec) > 1:
                labels[i] = f"{labels[i]}[{kind}]"  # one folder, two kinds: say which is which
        self.sources = [Source(spec, label, kind) for spec, label, kind in zip(specs, labels, kinds)]
        for src in self.sources:
            src.store = (stores or {}).get(src.spec)
        self._records: list[RunRecord] = []
        self._where: dict[str, tuple[Source, str]] = {}
        self._sync_lock = threading.Lock()

    # -- listing ---------------------------------------------------------------------------

    def _sync(self, now: float) -> set[str]:
        changed: set[str] = set()
        with self._sync_lock:
            for src in self.sources:
                changed |= self._sync_source(src, now)
            if changed or not self._records:
                self._records = [rec for src in self.sources for rec in src.records]
                self._where = {
                    rec["run_id"]: (src, rid)
                    for src in self.sources
                    for rec, rid in zip(src.records, self._original_ids(src))
                }
        return changed

    def _sync_source(self, src: Source, now: float) -> set[str]:
        before = {rec["run_id"] for rec in src.records}
        had_error = src.error
        if src.store is None:
            if src.error is not None and now - src.failed_at < RETRY_SECONDS:
                return set()
            try:
                src.store = self._opener(src.spec, src.kind)
                src.error = None
            except Exception as exc:  # noqa: BLE001 - any one source may fail in any way: it is a row, not a crash
                return self._fail(src, exc, now, before)
        try:
            sub_changed = src.store.refresh()
            records = src.store.records()
        except Exception as exc:  # noqa: BLE001 - a store that broke while open (disk gone, server down)
            return self._fail(src, exc, now, before)
        src.error = None
        if not sub_changed and not had_error and len(records) == len(src.records):
            return set()  # nothing new: keep the labelled copies (a poll every 2 s over 10,000 runs)
        src.records = [self._labelled(src, rec) for rec in records]
        after = {rec["run_id"] for rec in src.records}
        changed = {self._id(src, rid) for rid in sub_changed} | (before ^ after)
        if had_error:
            changed |= before | after
        return changed

    def _fail(self, src: Source, exc: BaseException, now: float, before: set[str]) -> set[str]:
        message = one_line(exc)
        changed = before if src.error != message else set()
        src.error, src.failed_at = message, now
        row = damaged_record(self._id(src, FAILED_ID), "", f"{src.spec}: {message}")
        row["name"] = src.label
        row["source"] = src.label
        src.records = [row]
        return changed | {row["run_id"]}

    def _labelled(self, src: Source, rec: RunRecord) -> RunRecord:
        copy: RunRecord = {**rec}
        copy["run_id"] = self._id(src, rec["run_id"])
        copy["source"] = src.label
        if copy.get("parent"):
            copy["parent"] = self._id(src, str(copy["parent"]))
        return copy

    def _id(self, src: Source, run_id: str) -> str:
        return f"{src.label}{SEP}{run_id}"

    def _original_ids(self, src: Source) -> list[str]:
        cut = len(src.label) + len(SEP)
        return [rec["run_id"][cut:] for rec in src.records]

    def _all_records(self) -> Iterable[RunRecord]:
        return self._records

    def _update_statuses(self, now: float) -> set[str]:
        return set()  # each source infers its own (see status_of)

    def status_of(self, record: RunRecord) -> str:
        where = self._where.get(record["run_id"])
        if where is None or where[0].store is None or where[0].error is not None:
            return record.get("status") or "damaged"
        src, rid = where
        assert src.store is not None
        return src.store.status_of({**record, "run_id": rid})

    @property
    def metric_stats(self) -> tuple[str, ...]:  # type: ignore[override]
        """Every statistic some source knows (a source without one shows blanks there)."""
        known = {stat for src in self.sources if src.store is not None for stat in src.store.metric_stats}
        return tuple(stat for stat in METRIC_STATS if stat in known) or METRIC_STATS

    def failed_sources(self) -> list[Source]:
        return [src for src in self.sources if src.error is not None]

    # -- one run -----------------------------------------------------------------------------

    def _source_of(self, run_id: str) -> tuple[Source, str]:
        self._listed(run_id)
        src, rid = self._where[run_id]
        if src.store is None or src.error is not None:
            raise RunNotFoundError(f"{src.label} could not be read: {src.error}")
        return src, rid

    def kind_of(self, run_id: str) -> str:
        where = self._where.get(run_id)
        return where[0].store.kind_of(where[1]) if where and where[0].store is not None else self.kind

    def run(self, run_id: str) -> RunDetail:
        src, rid = self._source_of(run_id)
        assert src.store is not None
        detail = src.store.run(rid)
        detail.run_id = run_id
        detail.store = self
        detail.facts = {"source": src.label, "source_path": src.spec, **detail.facts}
        return detail

    def history(self, run_id: str, keys: Iterable[str] | None = None) -> pd.DataFrame:
        src, rid = self._source_of(run_id)
        assert src.store is not None
        return src.store.history(rid, keys)

    def resync(self) -> bool:
        """Every source that can read all its runs again does so at the next refresh; False when none can."""
        return any([src.store.resync() for src in self.sources if src.store is not None and src.error is None])

    def prefetch_histories(self, run_ids: Sequence[str], keys: Iterable[str]) -> None:
        """Each source fetches its own runs' histories at once (a tracking server's in bulk)."""
        keys = list(keys)
        mine: dict[int, tuple[Source, list[str]]] = {}
        for run_id in run_ids:
            where = self._where.get(run_id)
            if where is not None and where[0].store is not None:
                mine.setdefault(id(where[0]), (where[0], []))[1].append(where[1])
        for src, ids in mine.values():
            assert src.store is not None
            src.store.prefetch_histories(ids, keys)

    def console_lines(self, run_id: str) -> list[tuple[float | None, str, str]] | None:
        src, rid = self._source_of(run_id)
        assert src.store is not None
        return src.store.console_lines(rid)

    def remote_artifacts(self, run_id: str) -> RemoteArtifacts | None:
        src, rid = self._source_of(run_id)
        assert src.store is not None
        return src.store.remote_artifacts(rid)

    # -- the model registry: each source's, its run ids labelled as in the listing ------------

    def models(self) -> list[RegisteredModel]:
        """Every source's registered models; a source that fails is one damaged entry named after it."""
        found = []
        for src in self.sources:
            try:
                models = [] if src.store is None or src.error is not None else src.store.models()
            except (StoreError, OSError) as exc:
                models = [RegisteredModel(f"({src.label})", reason=one_line(exc))]
            for model in models:
                for version in model.versions:
                    version.run_id = version.run_id and self._id(src, version.run_id)
            found += models
        return found

    def logged_models(self) -> list[LoggedModel]:
        found = []
        for src in self.sources:
            try:
                logged = [] if src.store is None or src.error is not None else src.store.logged_models()
            except (StoreError, OSError):
                logged = []  # its models() says why
            for model in logged:
                model.run_id = model.run_id and self._id(src, model.run_id)
            found += logged
        return found

    def model_files(self, version: ModelVersion) -> str | None:
        where = self._where.get(version.run_id or "")
        if where is None or where[0].store is None:
            return version.location
        return where[0].store.model_files(replace(version, run_id=where[1]))

    def close(self) -> None:
        for src in self.sources:
            if src.store is not None:
                src.store.close()

    def save_index(self) -> None:
        for src in self.sources:
            if src.store is not None:
                try:
                    src.store.save_index()
                except OSError:
                    continue


def _common_root(specs: Sequence[str]) -> Path:
    local = [os.path.abspath(os.path.expanduser(s)) for s in specs if "://" not in s]
    if not local:
        return Path(specs[0]) if specs else Path.cwd()
    try:
        return Path(os.path.commonpath(local))
    except ValueError:
        return Path(local[0])
