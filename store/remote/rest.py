"""Reading an MLflow tracking server (`http://` / `https://`) through its REST API, read-only.

Listing a big server through `runs/search` is slow (the server's ORM and JSON: half a minute
and more for 10,000 runs), so the listing lives in a persistent cache in the user's cache
folder (`ServerCache`, never in anyone's store) and is kept current by an incremental poll:
runs still running, runs ended since the last poll, and every run made since the last poll
whatever its start time (store/remote/poll.py: clients such as `tracktui push` backdate runs). A
full re-sync happens when asked (`resync()`), after FULL_SYNC_SECONDS, when an experiment was
renamed, deleted or restored, or when runs were removed; edits of params or tags on old
finished runs are only seen then.

Runs come from the JSON into records through `mlflow_common.build_record` (the mapping the file
and SQL readers use), and from those into the cache's `ColumnTable` (store/remote/server_cache.py);
the listing, the runs frame and every later open read the table, and a record is made again only
for the runs a caller asks about. Of a cold listing the server costs nearly all: at 10,000 runs
about 20-40 s of its time against about 3 s of ours (`mlflow.search_runs` spends 11-13 s of its
own on the same answer; tests/perf/bench_server.py).

Histories come through `get-history-bulk` (falling back to paged `get-history`; store/remote/
histories.py); artifacts are
listed with `artifacts/list` and downloaded into the cache, which the artifact screens read (see
`store/remote/artifacts.py`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from store.base import RunDetail, RunRecord
from store.formats.mlflow import common as common
from store.frame import history_frame
from store.model_entities import LoggedModel, ModelVersion, RegisteredModel
from store.ours.column_index import TableRecords, table_frame
from store.ours.layout import cache_root
from store.remote import registry as registry_rest
from store.remote.answers import MAX_ID, dataset_inputs_from_json, record_from_json
from store.remote.histories import ServerHistories, bulk_jobs
from store.remote.http import ServerClient, ServerError
from store.remote.poll import count_differs, unknown_filters
from store.remote.server_cache import (
    ServerCache,
    deleted_rows,
    private_folder,
    runs_table,
    server_key,
    server_record,
    with_statuses,
)
from store.safe_names import safe_name

__all__ = ["MlflowServerStore", "ServerCache", "cache_root", "record_from_json", "server_key"]

if TYPE_CHECKING:
    import pandas as pd

    from store.remote.artifacts import RemoteArtifacts

PAGE = 10_000
"""Runs per `runs/search` page, as `mlflow.search_runs` asks (the server allows 50,000): the server's cost
is per run whatever the page size, so fewer pages only save round trips, and a page must come back
well within the timeout."""
PARALLEL = 4
"""Experiments (and history keys) fetched at once: enough to hide latency, not enough to load the server."""
FULL_SYNC_SECONDS = 3600.0
"""A full re-sync this often catches what the incremental poll cannot see (edits of old runs, deletions)."""
MIN_POLL_SECONDS = 4.0
"""The app polls every 2 s; the server is asked at most this often."""
BACKOFF_SECONDS = 20.0
"""After a failed poll the server is left alone this long (one notice, not one every poll)."""
SLACK_MS = 120_000
"""Clocks of client, server and the runs' writers disagree: the incremental windows overlap by this much."""
STATUS_NAMES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")


class MlflowServerStore(common.MlflowRunStore):
    """An MLflow tracking server, listed from a local cache kept current by incremental polls.

    `cache_first`: the first refresh shows the cache without asking the server (the app
    opens at once; its next poll fetches what changed). Scripts (`tracktui ls`) leave it off
    and get a current listing.
    """

    kind = "mlflow-server"
    metric_stats = ("last",)
    """`runs/search` gives each metric's latest value only."""

    def __init__(
        self, url: str, include_deleted: bool = False, env: Mapping[str, str] | None = None, cache_first: bool = False
    ) -> None:
        self.client = ServerClient(url, env)
        self.url = self.client.url
        super().__init__(Path(self.url), include_deleted)
        self._cache: ServerCache = ServerCache(self.url)
        self.cache_first = cache_first
        self.served_from_cache = False
        self._asked_at = 0.0
        self._backoff_until = 0.0
        self._resync = False
        self.stale = ""
        """Why the listing (and what `run` and `history` return) may be out of date: the last error the server
        gave; "" once it answers again."""
        self._count_probe = True
        """False once the server refused the counting page token (store/remote/poll.py)."""
        self._histories = ServerHistories(self.client, self._pages)
        self._inputs: dict[str, list[dict[str, Any]]] = {}
        """Each run's dataset inputs as `runs/get` last gave them (the listing does not carry them)."""
        self._cache_read = False
        self._shown = self._cache.table
        """The listed rows: the cache's table without deleted runs (or with them as `deleted`)."""

    def __str__(self) -> str:
        return self.url

    # -- the listing ---------------------------------------------------------------------

    def _load(self) -> None:
        if not self._cache_read:
            self._cache_read = True
            self._cache.load()
            self._shown = self._cache.table

    def cache_age(self, now: float | None = None) -> float | None:
        """Seconds since the cache was last brought up to date (reading it, once), None without a cache."""
        with self._lock:
            self._load()
        if not self._cache.polled_at:
            return None
        return (time.time() if now is None else now) - self._cache.polled_at

    def _offline(self) -> str:
        """Why the server is not asked now (it failed less than BACKOFF_SECONDS ago); "" when it may be."""
        return self.stale if time.time() < self._backoff_until else ""

    def _gave_up(self, exc: ServerError) -> str:
        """Note a failed request: the listing is stale for this reason, and the server is left alone a while."""
        self.stale = str(exc)
        self._backoff_until = time.time() + BACKOFF_SECONDS
        return self.stale

    def resync(self) -> bool:
        """Fetch every run again on the next refresh (params or tags edited on old runs show only this way)."""
        self._resync = True
        self._asked_at = 0.0
        self._backoff_until = 0.0
        return True

    def check(self) -> None:
        """One cheap request that fails with the reason (down, refused, not MLflow) when the server cannot be read."""
        self.client.post("experiments/search", {"max_results": 1})

    # -- the listing, from the cache's columns ------------------------------------------

    def _all_records(self) -> Iterator[RunRecord]:
        table = self._cache.table
        return (server_record(table, row) for row in range(len(table)))

    def _listing(self) -> Mapping[str, RunRecord]:
        """The listed runs over the shown table (deleted runs left out, or shown as `deleted`)."""
        import numpy as np

        table = self._cache.table
        deleted = deleted_rows(table)
        if not deleted.any():
            self._shown = table
        elif not self.include_deleted:
            self._shown = table.take(np.flatnonzero(~deleted))
        else:
            status = table.values["status"].objects()
            status[deleted & (status != "damaged")] = "deleted"
            self._shown = with_statuses(table, status.tolist())
        return ServerRecords(self._shown)

    def _running_records(self) -> Iterator[RunRecord]:
        table = self._cache.table
        if not len(table):
            return iter(())
        rows = (table.values["status"].objects() == "running").nonzero()[0].tolist()
        return (server_record(table, row) for row in rows)

    def _build_frame(self, metric_stat: str) -> pd.DataFrame:
        if not len(self._shown):
            return super()._build_frame(metric_stat)
        return table_frame(self._shown, self._statuses, metric_stat)

    def _ids_named(self, name: str) -> list[str]:
        table = self._shown
        if not len(table):
            return []
        return cast("list[str]", table.values["run_id"].objects()[table.values["name"].objects() == name].tolist())

    def experiments(self) -> dict[str, int]:
        import numpy as np

        with self._lock:
            self._ensure_loaded()
            table = self._shown
            if not len(table):
                return {}
            names, counts = np.unique(table.values["experiment"].objects().astype(str), return_counts=True)
            return dict(sorted(zip(names.tolist(), counts.tolist())))

    # -- keeping the cache current -------------------------------------------------------

    def _sync(self, now: float) -> set[str]:
        cache = self._cache
        if self.cache_first and not self.served_from_cache and len(cache.table):
            self.served_from_cache = True
            self._asked_at = now
            return set(cache.table.units)
        if now < self._backoff_until or now - self._asked_at < MIN_POLL_SECONDS:
            return set()
        self._asked_at = now
        try:
            experiments = self._experiments()
            full = (
                self._resync
                or not cache.full_at
                or now - cache.full_at > FULL_SYNC_SECONDS
                or any(
                    cache.experiments.get(eid) != value
                    for eid, value in experiments.items()
                    if eid in cache.experiments
                )
                or any(eid not in experiments for eid in cache.experiments)
            )
            fetched = None if full else self._fetch_changes(experiments, now)
            if fetched is None:
                changed = cache.replace(runs_table(self._fetch_all(experiments), now))
                cache.full_at = now
                self._resync = False
            else:
                changed = fetched
        except ServerError as exc:
            self._gave_up(exc)
            raise
        self.stale = ""
        cache.experiments = experiments
        cache.polled_at = now
        cache.dirty = True
        self._histories.forget(changed)  # a changed run's points may have grown
        return changed

    def _experiments(self) -> dict[str, list[str]]:
        """Experiment id -> [name, lifecycle stage]; an entry that is not an experiment is left out."""
        body = {"max_results": 1000, "view_type": "ALL"}
        return {
            str(exp.get("experiment_id"))[:MAX_ID]: [str(exp.get("name", "")), str(exp.get("lifecycle_stage", ""))]
            for exp in self._pages("POST", "experiments/search", body, "experiments")
            if exp.get("experiment_id") not in (None, "")
        }

    def _search(self, experiment_ids: Sequence[str], filter_text: str = "") -> Iterator[dict[str, Any]]:
        body = {
            "experiment_ids": list(experiment_ids),
            "run_view_type": "ALL",
            "max_results": PAGE,
            "filter": filter_text,
        }
        return self._pages("POST", "runs/search", body, "runs")

    def _pages(self, method: str, endpoint: str, args: Mapping[str, Any], items: str) -> Iterator[dict[str, Any]]:
        """Every object of a paged MLflow answer, following `next_page_token` (a token seen before ends it,
        so a server cannot keep us paging forever); what is not an object is left out."""
        token = None
        seen: set[str] = set()
        while True:
            page = {**args, "page_token": token} if token else dict(args)
            data = self.client.post(endpoint, page) if method == "POST" else self.client.get(endpoint, page)
            found = data.get(items)
            yield from (item for item in found if isinstance(item, dict)) if isinstance(found, list) else ()
            token = data.get("next_page_token")
            if not isinstance(token, str) or not token or token in seen:
                return
            seen.add(token)

    def _records(self, runs: Iterable[Mapping[str, Any]], experiments: Mapping[str, list[str]]) -> list[RunRecord]:
        return [rec for rec in (record_from_json(run, experiments) for run in runs) if rec is not None]

    def _search_records(
        self, ids: Sequence[str], filter_text: str, experiments: Mapping[str, list[str]]
    ) -> list[RunRecord]:
        return self._records(self._search(ids, filter_text), experiments)

    def _parallel(self, jobs: Sequence[Callable[[], list[RunRecord]]]) -> list[RunRecord]:
        """The records of every job, each run once (the last job that returned it wins)."""
        if len(jobs) == 1:
            parts = [jobs[0]()]
        else:
            with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
                parts = list(pool.map(lambda job: job(), jobs))
        return list({rec["run_id"]: rec for part in parts for rec in part}.values())

    def _fetch_all(self, experiments: Mapping[str, list[str]]) -> list[RunRecord]:
        ids = list(experiments)
        if not ids:
            return []
        return self._parallel([partial(self._search_records, [eid], "", experiments) for eid in ids])

    def _fetch_changes(self, experiments: Mapping[str, list[str]], now: float) -> set[str] | None:
        """Running runs, runs ended since the last poll, runs the cache does not hold; None when runs were
        removed from the server (only a full listing shows which)."""
        cache = self._cache
        ids = list(experiments)
        if not ids:
            return set()
        since_end = int(min(cache.polled_at, now) * 1000) - SLACK_MS
        filters = ["attributes.status = 'RUNNING'", f"attributes.end_time > {since_end}"]
        count = count_differs(self.client, ids, len(cache.table)) if self._count_probe else None
        self._count_probe = count is not None
        if count == "fewer":
            return None
        if count != "":
            unknown = unknown_filters(cache.table)
            if unknown is None:
                return None
            filters += unknown
        fresh = self._parallel([partial(self._search_records, ids, f, experiments) for f in filters])
        # A run we saw running that none of the queries returned (killed without an end time): ask for it.
        seen = {rec["run_id"] for rec in fresh}
        missing = [rec["run_id"] for rec in self._running_records() if rec["run_id"] not in seen]
        if missing:
            fresh += self._parallel([partial(self._get_run_records, rid, experiments) for rid in missing[:200]])
        return cache.update(runs_table(fresh, now))

    def _get_run_records(self, run_id: str, experiments: Mapping[str, list[str]]) -> list[RunRecord]:
        return list(self._get_run(run_id, experiments).values())

    def _get_run(self, run_id: str, experiments: Mapping[str, list[str]]) -> dict[str, RunRecord]:
        try:
            data = self.client.get("runs/get", {"run_id": run_id})
        except ServerError as exc:
            if exc.status == 404:
                return {}
            raise
        run = data.get("run") or {}
        records = {rec["run_id"]: rec for rec in self._records([run], experiments)}
        if run_id in records:
            self._inputs[run_id] = dataset_inputs_from_json(run)
        return records

    # -- one run -------------------------------------------------------------------------

    def run(self, run_id: str) -> RunDetail:
        """The run as the server has it now; when the server cannot be read, as the cache has it (the listed
        fields, the histories read this session, the artifacts downloaded before), with a `stale` fact."""
        listed = self._listed(run_id)
        record, stale = listed, self._offline()
        if not stale:
            try:
                record = self._get_run(run_id, self._cache.experiments).get(run_id, listed)
            except ServerError as exc:
                stale = self._gave_up(exc)
        metrics = dict(record["metrics"])
        if 0 < len(metrics) <= 50:  # min, max and count from the histories, which the charts want next anyway
            frame = self.history(run_id, list(metrics))
            for key, points in frame.groupby("key", observed=True)["value"]:
                metrics[str(key)] = {
                    **metrics[str(key)],
                    "min": _finite(points.min()),
                    "max": _finite(points.max()),
                    "count": len(points),
                }
        from store.remote.artifacts import sync_artifacts

        target = self._artifacts_folder(run_id)
        artifacts, skipped = (
            ((target if target.is_dir() else None), []) if stale else sync_artifacts(self.client, run_id, target)
        )
        detail = self._detail(record, metrics, Path(self.url), artifacts, {})
        detail.inputs = list(self._inputs.get(run_id, []))
        detail.facts["server"] = self.url
        if stale:
            detail.facts["stale"] = f"showing what was cached: {stale}"
        if skipped:
            detail.facts["artifacts_not_downloaded"] = skipped
        return detail

    def remote_artifacts(self, run_id: str) -> RemoteArtifacts:
        """The run's artifacts on the server, with `run`'s cache folder for them (big ones are fetched on demand)."""
        from store.remote.artifacts import RemoteArtifacts

        return RemoteArtifacts(self.client, run_id, self._artifacts_folder(run_id))

    def _artifacts_folder(self, run_id: str) -> Path:
        """The cache folder of a run's artifacts: its id is the server's, so it goes through `safe_name`;
        the server's folder is made owner-only (0700) if missing."""
        private_folder(self._cache.folder)
        return self._cache.folder / "artifacts" / safe_name(run_id)

    def models(self) -> list[RegisteredModel]:
        return registry_rest.server_models(self)

    def logged_models(self) -> list[LoggedModel]:
        return registry_rest.server_logged_models(self)

    def model_files(self, version: ModelVersion) -> str | None:
        return registry_rest.server_model_files(self, version)

    def close(self) -> None:
        """End every request under way at once (the app quits without waiting on the network)."""
        self.client.close()

    # -- histories -----------------------------------------------------------------------

    def history(self, run_id: str, keys: Iterable[str] | None = None) -> pd.DataFrame:
        """Long frame `key, step, time, value`; each key's points by step, in the server's order within a step."""
        record = self._listed(run_id)
        wanted = list(dict.fromkeys(record["metrics"] if keys is None else keys))
        missing = [k for k in wanted if not self._histories.has(run_id, k)]
        if missing:
            self.prefetch_histories([run_id], missing)
        return history_frame(self._histories.parts(run_id, wanted))

    def prefetch_histories(self, run_ids: Sequence[str], keys: Iterable[str]) -> None:
        """Fetch the histories of `keys` for many runs at once (`get-history-bulk`, 100 runs a call) into memory.

        A server that cannot be read leaves the histories read before (`history` returns those; the
        charts show them, marked stale) and is not asked again for BACKOFF_SECONDS.
        """
        jobs = bulk_jobs(run_ids, keys)
        if not jobs or self._offline():
            return
        try:
            if len(jobs) == 1:
                self._histories.fetch(*jobs[0])
                return
            with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
                list(pool.map(lambda job: self._histories.fetch(*job), jobs))
        except ServerError as exc:
            self._gave_up(exc)


class ServerRecords(TableRecords):
    """The listed runs by id over the shown table, each record made (with its MLflow fields) when asked for."""

    def __getitem__(self, run_id: str) -> RunRecord:
        return server_record(self._table, self._rows[run_id])


def _finite(value: Any) -> float | None:
    """A numpy min or max as a float, None for NaN (an all-NaN series); the values came through
    `common.as_float` already, so this is no other rule for a foreign value."""
    number = float(value)
    return None if number != number else number
