"""trackio's SQLite databases, read-only and never in its writer's way.

What trackio writes (0.2x-0.4x, `sqlite_storage.py`): one database a project,
`$TRACKIO_DIR/<project>.db` (default `~/.cache/huggingface/trackio/`), in WAL mode, with

    configs(run_id, run_name, config, created_at)      the run's config as JSON, with `_Username`,
                                                       `_Created` (ISO time) and `_Group` added
    metrics(id, run_id, timestamp, run_name, step, metrics)   a JSON object a `log` call
    system_metrics(id, run_id, timestamp, run_name, metrics)  CPU/GPU samples, no step

Databases written before trackio 0.24 have no `run_id` column: a run is its name there. JSON
values may be `"Infinity"`, `"-Infinity"` or `"NaN"` (trackio's `serialize_values`).

The database is opened with `mode=ro` and a short busy timeout, read in one transaction and
closed at once: a WAL reader never blocks the writer, and a long-held read would only keep the
WAL from being checkpointed. trackio writes no run status: a run is running while it logs.
"""

from __future__ import annotations

import math
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from store.base import RunDetail, RunRecord, damaged_record
from store.errors import RunNotFoundError
from store.formats.files import ParsedRun, StaleStatus, record_of
from store.formats.mlflow.sqlite_read import sql_text
from store.formats.series import SeriesSet, utc_seconds, whole
from store.frame import history_frame

if TYPE_CHECKING:
    import pandas as pd

KIND = "trackio"
DB_SUFFIX = ".db"
SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT = 2.0
SCHEMA_SNIFF_BYTES = 1024 * 1024
DB_ERRORS = (sqlite3.Error, UnicodeDecodeError)
"""What reading a damaged database raises: sqlite3 turns SQLite's message about a damaged
schema into UnicodeDecodeError when the message quotes its bad bytes."""
SYSTEM_PREFIX = "system/"
_CONFIG_EXTRAS = {"_Username": "user", "_Created": "created", "_Group": "group"}


def default_dir() -> Path:
    """Where trackio keeps its databases: `$TRACKIO_DIR`, else `$HF_HOME/trackio`."""
    if os.environ.get("TRACKIO_DIR"):
        return Path(os.environ["TRACKIO_DIR"]).expanduser()
    hf_home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "huggingface"
    )
    return Path(hf_home).expanduser() / "trackio"


def connect(path: Path) -> sqlite3.Connection:
    """A read-only connection that waits at most BUSY_TIMEOUT for a lock and never writes.

    Text that is not UTF-8 (a damaged page) is read with U+FFFD in place of the bad bytes, so
    it damages one row's JSON (counted and said), not the listing. A damaged schema still fails
    the query, with an error message sqlite3 cannot decode: callers catch `DB_ERRORS`.
    """
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT, check_same_thread=False)
    conn.text_factory = sql_text
    conn.execute("PRAGMA query_only = 1")
    return conn


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def is_trackio_db(path: Path) -> bool:
    """An SQLite file with trackio's `metrics` and `configs` tables (and not MLflow's `runs`)."""
    return _trackio_tables(path) is True


def _trackio_tables(path: Path) -> bool | None:
    """Whether an SQLite file has trackio's tables; None when it is SQLite but cannot be read (cut off)."""
    try:
        with open(path, "rb") as fh:
            if fh.read(16) != SQLITE_MAGIC:
                return False
        conn = connect(path)
        try:
            tables = _tables(conn)
        finally:
            conn.close()
    except DB_ERRORS as exc:
        return _schema_text_is_trackios(path) if _locked(exc) else None
    except OSError:
        return False
    return {"metrics", "configs"} <= tables and "runs" not in tables


def _databases(path: Path) -> list[Path]:
    """The databases of a trackio folder, a damaged one included (it lists as damaged) when others are trackio's."""
    if path.is_file():
        return [path]
    try:
        found = {p: _trackio_tables(p) for p in sorted(path.iterdir()) if p.suffix == DB_SUFFIX and p.is_file()}
    except OSError:
        return []
    return [p for p, ours in found.items() if ours is not False] if any(found.values()) else []


def _json(raw: Any) -> Any:
    from store import safe_read

    try:
        return safe_read.loads_json(raw if isinstance(raw, (str, bytes)) else b"null")
    except (ValueError, RecursionError):
        return None


def _signature(path: Path) -> list[int]:
    sig: list[int] = []
    for file in (path, Path(f"{path}-wal")):
        try:
            st = file.stat()
            sig += [st.st_mtime_ns, st.st_size]
        except OSError:
            sig += [0, 0]
    return sig


def _locked(exc: BaseException) -> bool:
    text = str(exc)
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def _schema_text_is_trackios(path: Path) -> bool | None:
    """For a database a writer keeps locked past BUSY_TIMEOUT (an exclusive lock: a rollback-journal
    commit, or `locking_mode=EXCLUSIVE`): whether its schema's text, near the start of the file,
    creates trackio's tables. True lists it as one row that says it is locked; None when unsure."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(SCHEMA_SNIFF_BYTES)
    except OSError:
        return None
    ours = b"CREATE TABLE metrics" in head and b"CREATE TABLE configs" in head and b"CREATE TABLE runs" not in head
    return True if ours else None


class TrackioStore(StaleStatus):
    """The runs of one trackio database, or of every database in a folder (one experiment a project)."""

    kind = KIND

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self._sigs: dict[Path, list[int]] = {}
        self._records: dict[Path, dict[str, RunRecord]] = {}
        self._where: dict[str, tuple[Path, str, str | None]] = {}
        """Our run id -> (database, run name, trackio's run id or None in an old database)."""
        self._configs: dict[str, dict[str, Any]] = {}

    def _sync(self, now: float) -> set[str]:
        changed: set[str] = set()
        dbs = _databases(self.root)
        for gone in set(self._records) - set(dbs):
            changed |= set(self._records.pop(gone))
            self._sigs.pop(gone, None)
        for db in dbs:
            sig = _signature(db)
            if self._sigs.get(db) == sig:
                continue
            old = self._records.get(db, {})
            try:
                fresh = self._read_db(db, now)
            except (*DB_ERRORS, OSError) as exc:
                project = db.stem
                why = f"{db.name} unreadable ({exc})"[:200]
                if _locked(exc):
                    why = f"{db.name} stayed locked by a writer for {BUSY_TIMEOUT:g} s; it lists on a later refresh"
                    sig = [0]  # read again on the next refresh, changed or not
                fresh = {project: damaged_record(project, project, why)}
            self._sigs[db] = sig
            self._records[db] = fresh
            changed |= {rid for rid in set(old) | set(fresh) if old.get(rid) != fresh.get(rid)}
        return changed

    def _all_records(self) -> Iterable[RunRecord]:
        for records in self._records.values():
            yield from records.values()

    def _read_db(self, db: Path, now: float) -> dict[str, RunRecord]:
        """Every run of one database, read in one short read transaction."""
        conn = connect(db)
        try:
            has_ids = "run_id" in {row[1] for row in conn.execute("PRAGMA table_info(metrics)")}
            rid = "run_id" if has_ids else "NULL"
            configs = conn.execute(f"SELECT {rid}, run_name, config, created_at FROM configs").fetchall()
            rows = conn.execute(f"SELECT {rid}, run_name, timestamp, step, metrics FROM metrics ORDER BY id").fetchall()
            system = (
                conn.execute(f"SELECT {rid}, run_name, timestamp, metrics FROM system_metrics ORDER BY id").fetchall()
                if "system_metrics" in _tables(conn)
                else []
            )
        finally:
            conn.close()
        project = db.stem
        runs: dict[tuple[str | None, str], ParsedRun] = {}
        logged: dict[tuple[str | None, str], list[tuple[Any, Any, Any]]] = {}
        sampled: dict[tuple[str | None, str], list[tuple[Any, Any]]] = {}
        for trackio_id, name, raw, created_at in configs:
            parsed = runs.setdefault((trackio_id, str(name)), ParsedRun(name=str(name), experiment=project))
            config = _json(raw)
            if isinstance(config, dict):
                for extra, label in _CONFIG_EXTRAS.items():
                    value = config.pop(extra, None)
                    if value is not None:
                        parsed.facts[label] = value
                parsed.params = config
            parsed.created = utc_seconds(parsed.facts.get("created")) or utc_seconds(created_at)
            if parsed.facts.get("group"):
                parsed.tags["group"] = str(parsed.facts["group"])
        for trackio_id, name, stamp, step, raw in rows:
            logged.setdefault((trackio_id, str(name)), []).append((stamp, step, raw))
        for trackio_id, name, stamp, raw in system:
            sampled.setdefault((trackio_id, str(name)), []).append((stamp, raw))
        for seen in {*logged, *sampled}:
            runs.setdefault(seen, ParsedRun(name=seen[1], experiment=project))
        records: dict[str, RunRecord] = {}
        for key, parsed in runs.items():
            builder, bad, newest = _series(logged.get(key, []), sampled.get(key, []))
            parsed.series = builder.by_key
            if bad:
                parsed.problems.append(f"{bad} metric rows were not JSON objects with a step")
            our_id = key[0] or f"{project}/{key[1]}"
            self._where[our_id] = (db, key[1], key[0])
            self._configs[our_id] = parsed.facts | {"params": parsed.params}
            parsed.last_change = newest or parsed.created
            records[our_id] = record_of(our_id, parsed, now)
            records[our_id]["user"] = parsed.facts.get("user")
        return records

    def _located(self, run_id: str) -> tuple[Path, str, str | None]:
        self._listed(run_id)
        try:
            return self._where[run_id]
        except KeyError:
            raise RunNotFoundError(f"no run {run_id!r} in {self.root}") from None

    def run(self, run_id: str) -> RunDetail:
        record = self._listed(run_id)
        db, name, _ = self._located(run_id)
        facts = dict(self._configs.get(run_id, {}))
        params = facts.pop("params", {})
        return RunDetail(
            run_id=run_id,
            experiment=record["experiment"],
            name=name,
            status=self.status_of(record),
            created=record["created"],
            ended=record["ended"],
            params=params,
            tags=dict(record["tags"]),
            metrics=dict(record["metrics"]),
            facts={"format": KIND, "database": str(db), **facts},
            error=record["reason"],
            last_seen=record["heartbeat"],
            store=self,
        )

    def history(self, run_id: str, keys: Iterable[str] | None = None) -> pd.DataFrame:
        db, name, trackio_id = self._located(run_id)
        where, arg = ("run_id = ?", trackio_id) if trackio_id is not None else ("run_name = ?", name)
        conn = connect(db)
        try:
            rows = conn.execute(
                f"SELECT timestamp, step, metrics FROM metrics WHERE {where} ORDER BY id", (arg,)
            ).fetchall()
            system = (
                conn.execute(
                    f"SELECT timestamp, metrics FROM system_metrics WHERE {where} ORDER BY id", (arg,)
                ).fetchall()
                if "system_metrics" in _tables(conn)
                else []
            )
        finally:
            conn.close()
        builder = _series(rows, system)[0]
        wanted = None if keys is None else set(keys)
        return history_frame(
            [(k, s.steps, s.times, s.values) for k, s in builder.by_key.items() if wanted is None or k in wanted]
        )


def _series(
    rows: Iterable[tuple[Any, Any, Any]], system: Iterable[tuple[Any, Any]]
) -> tuple[SeriesSet, int, float | None]:
    """One run's history from its `metrics` rows (timestamp, step, JSON) and `system_metrics`
    rows (timestamp, JSON): the builder, how many rows were unusable, and the newest time."""
    builder = SeriesSet()
    bad = 0
    newest: float | None = None
    for stamp, step, raw in rows:
        values, when = _json(raw), utc_seconds(stamp)
        if not isinstance(values, dict) or whole(step) is None:
            bad += 1
            continue
        builder.add_row(values, int(step), math.nan if when is None else when)
        newest = when if newest is None or (when is not None and when > newest) else newest
    for stamp, raw in system:
        values, when = _json(raw), utc_seconds(stamp)
        if isinstance(values, dict):
            builder.add_row(
                {f"{SYSTEM_PREFIX}{k}": v for k, v in values.items()},
                _sample_index(builder),
                math.nan if when is None else when,
            )
            newest = when if newest is None or (when is not None and when > newest) else newest
    return builder, bad, newest


def _sample_index(builder: SeriesSet) -> int:
    """System samples have no step: the n-th sample of a run is step n."""
    return max((s.count for k, s in builder.by_key.items() if k.startswith(SYSTEM_PREFIX)), default=0)
