"""Reading MLflow's SQLite store (`mlflow.db`), read-only and without the mlflow package.

Every read goes through `reading` (store/formats/mlflow/sqlite_read.py): a short-lived read-only
connection, one set-based statement per table (each its own short implicit transaction, fetched
whole), so a training script's commit never waits on this reader for long.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from store.base import RunDetail, RunRecord
from store.errors import StoreError
from store.formats.mlflow import common as common
from store.formats.mlflow.sqlite_read import _rows, is_sqlite_file, reading, sql_text
from store.frame import history_frame
from store.model_entities import LoggedModel, RegisteredModel, link
from store.ours.index import RACY_SECONDS, SnapshotIndex

if TYPE_CHECKING:
    import pandas as pd

REQUIRED_TABLES = ("experiments", "runs")


def mlflow_tables(path: Path) -> set[str]:
    """The names of the tables in an SQLite file; StoreError when it cannot be read (locked, damaged)."""
    with reading(path) as con:
        return {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def is_mlflow_db(path: Path) -> bool:
    """Whether `path` is an SQLite file with MLflow's tables; StoreError when it is SQLite but unreadable."""
    return is_sqlite_file(path) and all(t in mlflow_tables(path) for t in REQUIRED_TABLES)


class MlflowSqlStore(common.MlflowRunStore):
    """An MLflow SQLite database, listed from `runs`, `params`, `tags` and `latest_metrics`.

    The listing takes each metric's latest value from `latest_metrics` (MLflow keeps it
    there, by the largest (step, timestamp, value)), so `min`, `max` and `count` are None
    in the listing: computing them would scan every logged point while holding the
    database's read lock. `run()` computes them for the one run it reads.

    `refresh()` re-queries only when the database changed: its (mtime, size), the change
    counter in its header (bumped by every commit in rollback-journal mode) and, for a
    database switched to WAL, the `-wal` file's (mtime, size).
    """

    kind = "mlflow-sql"
    metric_stats = ("last", "min", "max")
    """`last` from `latest_metrics`; min and max only when a frame of them is asked for (`_extremes`)."""
    EXTREMES_CHUNK = 200_000
    """Metric points aggregated per read transaction: a writer waits for at most one chunk (~0.1 s)."""

    def __init__(self, root: Path, include_deleted: bool = False) -> None:
        super().__init__(root, include_deleted)
        self._cache: SnapshotIndex = SnapshotIndex(root, self.kind, in_store=False)
        self._tables: set[str] | None = None
        self._extremes_cache: tuple[list[int], pd.DataFrame] | None = None

    # -- change detection ------------------------------------------------------------------

    def _db_signature(self) -> list[int]:
        try:
            st = os.stat(self.root)
        except FileNotFoundError:
            raise StoreError(f"{self.root} no longer exists") from None
        try:
            with open(self.root, "rb") as fh:
                header = fh.read(28)
            counter = int.from_bytes(header[24:28], "big") if len(header) == 28 else -1
        except OSError:
            counter = -1
        sig = [st.st_mtime_ns, st.st_size, counter]
        try:
            wal = os.stat(f"{self.root}-wal")
            sig += [wal.st_mtime_ns, wal.st_size]
        except FileNotFoundError:
            pass
        return sig

    def _unchanged(self, sig: list[int]) -> bool:
        """True when the last query is known to be current. Only WAL mode needs the racy rule:
        there a commit changes the `-wal` file, whose mtime may not move within one tick."""
        cache = self._cache
        if cache.sig != sig:
            return False
        return not (len(sig) > 3 and cache.read_at - max(sig[0], sig[3]) / 1e9 <= RACY_SECONDS)

    def _sync(self, now: float) -> set[str]:
        """Re-query everything in bulk, only when the database changed since the last query."""
        sig = self._db_signature()
        if self._unchanged(sig):
            return set()
        try:
            records = self._query_records()
        except StoreError:
            if not self._by_id:
                raise
            return set()  # a writer held the lock past our timeout: keep what we have
        return self._cache.replace(sig, records, now)

    def _all_records(self) -> Iterable[RunRecord]:
        return self._cache.records.values()

    def _build_frame(self, metric_stat: str) -> pd.DataFrame:
        """The listing's frame; for `min` and `max`, its metric columns come from `_extremes`."""
        import numpy as np

        frame = super()._build_frame("last")
        if metric_stat == "last" or not len(frame):
            return frame
        extremes = self._extremes()
        wanted = extremes[extremes["key"].isin([c[8:] for c in frame.columns if c.startswith("metrics.")])]
        table = wanted.pivot_table(index="run", columns="key", values=metric_stat, aggfunc="first", dropna=False)
        table = table.reindex(frame["run_id"])
        for column in (c for c in frame.columns if c.startswith("metrics.")):
            key = column[8:]
            frame[column] = table[key].to_numpy(dtype=float) if key in table.columns else np.nan
        return frame

    def _extremes(self) -> pd.DataFrame:
        """Min and max of every (run, metric) over all its points: columns `run, key, min, max`.

        What it costs: one pass over the `metrics` table, every point logged, each time the
        database changed since the last pass (~1 s per million points here); nothing while it
        has not. The pass goes by rowid in chunks of EXTREMES_CHUNK rows, one short read
        transaction each, so in rollback-journal mode a writer waits for one chunk, never for
        the whole pass; chunks are combined here (min of mins, max of maxes).
        """
        import pandas as pd

        sig = self._db_signature()
        if self._extremes_cache is not None and self._extremes_cache[0] == sig:
            return self._extremes_cache[1]
        parts: list[Any] = []
        with reading(self.root) as con:
            if "metrics" in self._table_names(con):
                top = con.execute("SELECT MAX(rowid) FROM metrics").fetchone()[0] or 0
                for low in range(0, int(top) + 1, self.EXTREMES_CHUNK):
                    parts += con.execute(
                        'SELECT run_uuid, "key", MIN(CASE WHEN is_nan THEN NULL ELSE value END),'
                        " MAX(CASE WHEN is_nan THEN NULL ELSE value END) FROM metrics"
                        ' WHERE rowid > ? AND rowid <= ? GROUP BY run_uuid, "key"',
                        (low, low + self.EXTREMES_CHUNK),
                    ).fetchall()
        rows = pd.DataFrame(parts, columns=["run", "key", "min", "max"])
        for name in ("min", "max"):
            rows[name] = pd.to_numeric(rows[name], errors="coerce")
        rows = rows.groupby(["run", "key"], as_index=False).agg({"min": "min", "max": "max"})
        self._extremes_cache = (sig, rows)
        return cast(pd.DataFrame, rows)

    def _read_record(self, run_id: str) -> RunRecord:
        """One run's record queried now (not from the listing)."""
        records = self._query_records(run_id=run_id)
        if run_id not in records:
            return common.build_record(run_id, "", {}, {}, {}, {}, [f"run {run_id} is no longer in {self.root.name}"])
        return records[run_id]

    # -- queries -------------------------------------------------------------------------

    def _query_records(self, run_id: str | None = None) -> dict[str, RunRecord]:
        """Records of all runs (or of one), one statement per table on one short-lived connection."""
        where = " WHERE run_uuid = ?" if run_id else ""
        args = (run_id,) if run_id else ()
        with reading(self.root) as con:
            tables = self._table_names(con)
            missing = [t for t in REQUIRED_TABLES if t not in tables]
            if missing:
                raise StoreError(f"{self.root} has no {' or '.join(missing)} table: it is not an MLflow database")
            experiments = {str(row["experiment_id"]): row for row in _rows(con, "SELECT * FROM experiments")}
            runs = _rows(con, "SELECT * FROM runs" + where, args)
            params = (
                con.execute('SELECT run_uuid, "key", value FROM params' + where, args).fetchall()
                if "params" in tables
                else []
            )
            tags = (
                con.execute('SELECT run_uuid, "key", value FROM tags' + where, args).fetchall()
                if "tags" in tables
                else []
            )
            if "latest_metrics" in tables:
                latest = con.execute(
                    'SELECT run_uuid, "key", value, timestamp, step, is_nan FROM latest_metrics' + where, args
                ).fetchall()
            else:  # before MLflow 1.9: derive the latest point from the full history
                # fetchall() first: the statement (and with it the read lock a writer waits on)
                # ends before the Python pass over the rows, not after it.
                history = con.execute(
                    'SELECT run_uuid, "key", value, timestamp, step, is_nan FROM metrics' + where, args
                ).fetchall()
                latest = _latest_from_history(history)

        by_run_params: dict[str, dict[str, str]] = {}
        for rid, key, value in params:
            by_run_params.setdefault(rid, {})[str(key)] = sql_text(value)
        by_run_tags: dict[str, dict[str, str]] = {}
        for rid, key, value in tags:
            by_run_tags.setdefault(rid, {})[str(key)] = sql_text(value)
        by_run_metrics: dict[str, dict[str, dict[str, Any]]] = {}
        odd_metrics: dict[str, list[str]] = {}
        for rid, key, value, timestamp, step, is_nan in latest:
            summary = common.latest_only(value, timestamp, step, is_nan)
            if summary is None:
                odd_metrics.setdefault(rid, []).append(f"metric {str(key)[:40]} has an unreadable latest value")
            else:
                by_run_metrics.setdefault(rid, {})[str(key)] = summary

        records: dict[str, RunRecord] = {}
        for run in runs:
            rid = run["run_uuid"]
            if not isinstance(rid, str):
                continue  # a NULL or blob primary key: nothing MLflow could show either
            exp = experiments.get(str(run.get("experiment_id")), {})
            info = dict(run)
            if exp.get("lifecycle_stage") == "deleted":
                info["lifecycle_stage"] = "deleted"
            experiment = str(exp.get("name") or run.get("experiment_id") or "")
            record = common.build_record(
                rid,
                experiment,
                info,
                by_run_params.get(rid, {}),
                by_run_tags.get(rid, {}),
                dict(sorted(by_run_metrics.get(rid, {}).items())),
            )
            if rid in odd_metrics:  # the run is fine: say what was skipped, keep its status
                record["reason"] = "; ".join(filter(None, [record["reason"], *odd_metrics[rid]]))
            records[rid] = record
        return records

    def _table_names(self, con: sqlite3.Connection) -> set[str]:
        if self._tables is None:
            self._tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return self._tables

    # -- one run -------------------------------------------------------------------------

    def run(self, run_id: str) -> RunDetail:
        self._listed(run_id)
        record = self._read_record(run_id)
        stats, models = self._run_extras(run_id)
        metrics = {key: {**summary, **stats.get(key, {})} for key, summary in record["metrics"].items()}
        anchors = [self.root.parent]
        artifacts = common.resolve_location(record["mlflow"].get("artifact_uri"), anchors, must_contain=run_id)
        extra: dict[str, Path] = {}
        for model_id, name, location in models:
            where = common.resolve_location(location, anchors, must_contain=model_id)
            if where is not None:
                extra[common.model_label(name, model_id, extra)] = where
        detail = self._detail(record, metrics, self.root, artifacts, extra)
        detail.inputs = self._dataset_inputs(run_id)
        return detail

    def models(self) -> list[RegisteredModel]:
        from store.formats.mlflow.registry import sql_models  # it reads with this module's helpers

        return link(sql_models(self.root, [self.root.parent]), self.logged_models())

    def logged_models(self) -> list[LoggedModel]:
        from store.formats.mlflow.registry import sql_logged_models

        return sql_logged_models(self.root, [self.root.parent], self.include_deleted)

    def _dataset_inputs(self, run_id: str) -> list[dict[str, Any]]:
        """The run's dataset inputs (MLflow 2.4+): `inputs` rows from a DATASET to this RUN, the
        `datasets` row each names, and the context from `input_tags`."""
        with reading(self.root) as con:
            tables = self._table_names(con)
            if not {"inputs", "datasets"} <= set(tables):
                return []
            rows = con.execute(
                "SELECT i.input_uuid, d.name, d.digest, d.dataset_source_type, d.dataset_source, d.dataset_profile"
                " FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id"
                " WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN' AND i.destination_id = ?"
                " ORDER BY d.name",
                (run_id,),
            ).fetchall()
            tags: dict[str, dict[str, Any]] = {}
            if rows and "input_tags" in tables:
                marks = ",".join("?" * len(rows))
                for uuid, name, value in con.execute(
                    f"SELECT input_uuid, name, value FROM input_tags WHERE input_uuid IN ({marks})",
                    [r[0] for r in rows],
                ).fetchall():
                    tags.setdefault(str(uuid), {})[str(name)] = value
        return [
            common.dataset_input(
                {"name": name, "digest": digest, "source_type": kind, "source": source, "profile": profile},
                tags.get(str(uuid), {}),
            )
            for uuid, name, digest, kind, source, profile in rows
        ]

    def _run_extras(self, run_id: str) -> tuple[dict[str, dict[str, Any]], list[tuple[str, str, str]]]:
        """Min, max and count of each of the run's metrics, and its logged models (id, name, location)."""
        with reading(self.root) as con:
            tables = self._table_names(con)
            stats = (
                {
                    str(key): {"min": common.as_float(lo), "max": common.as_float(hi), "count": n}
                    for key, lo, hi, n in con.execute(
                        'SELECT "key", MIN(CASE WHEN is_nan THEN NULL ELSE value END),'
                        " MAX(CASE WHEN is_nan THEN NULL ELSE value END), COUNT(*)"
                        ' FROM metrics WHERE run_uuid = ? GROUP BY "key"',
                        (run_id,),
                    ).fetchall()
                }
                if "metrics" in tables
                else {}
            )
            models = (
                con.execute(
                    "SELECT model_id, name, artifact_location FROM logged_models WHERE source_run_id = ?"
                    + ("" if self.include_deleted else " AND (lifecycle_stage IS NULL OR lifecycle_stage != 'deleted')")
                    + " ORDER BY creation_timestamp_ms",
                    (run_id,),
                ).fetchall()
                if "logged_models" in tables
                else []
            )
        models = [(str(m), str(n) if n is not None else None, a if isinstance(a, str) else None) for m, n, a in models]
        return stats, models

    def history(self, run_id: str, keys: Iterable[str] | None = None) -> pd.DataFrame:
        """Long frame `key, step, time, value`; each key's points by step, and points of one step in
        the order they were logged (rowid), as the file store keeps them. NaN points, stored by
        MLflow as 0 with is_nan=1, come back as NaN. A row MLflow could not have written (text or a
        blob as value or step, a time out of range) is left out."""
        self._listed(run_id)
        sql = 'SELECT "key", step, timestamp, value, is_nan FROM metrics WHERE run_uuid = ?'
        args: list[Any] = [run_id]
        if keys is not None:
            wanted = list(dict.fromkeys(keys))
            if not wanted:
                return history_frame([])
            sql += f' AND "key" IN ({", ".join("?" * len(wanted))})'
            args += wanted
        with reading(self.root) as con:
            rows = con.execute(sql + ' ORDER BY "key", step, rowid', args).fetchall()
        parts: list[tuple[str, list[int], list[float], list[float]]] = []
        for key, step, timestamp, value, is_nan in rows:
            step_number = common.as_int(step)
            seconds = common.ms_to_seconds(timestamp) if timestamp else 0.0
            number = float("nan") if is_nan else common.as_float(value)
            if step_number is None or seconds is None or number is None:
                continue
            if not parts or parts[-1][0] != key:
                parts.append((str(key), [], [], []))
            parts[-1][1].append(step_number)
            parts[-1][2].append(seconds)
            parts[-1][3].append(number)
        return history_frame(parts)


def _latest_from_history(rows: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    best: dict[tuple[str, str], tuple[Any, ...]] = {}
    orders: dict[tuple[str, str], tuple[int, int, float]] = {}
    for row in rows:
        rid, key, value, timestamp, step, is_nan = row
        number = 0.0 if is_nan else common.as_float(value)
        order = common.latest_order(
            common.as_int(step) or 0, common.as_int(timestamp) or 0, 0.0 if number is None else number
        )
        current = orders.get((rid, key))
        if current is None or order > current:
            best[(rid, key)] = row
            orders[(rid, key)] = order
    return list(best.values())
