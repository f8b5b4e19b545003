"""What the incremental poll of a tracking server asks to find every run made since the last poll,
whatever its start time (clients such as `tracktui push` backdate runs to when they really ran).

Measured on a real `mlflow server` (SQLite, 40,000 runs; tests/test_server_poll.py tests each path):
- an experiment's `last_update_time`: one cheap request, but not exact: creating a run leaves it as
  it is (MLflow 3 changes it on rename, delete and restore only);
- the run counts: MLflow has no count, but the page at an offset is one: `runs/search` with the
  offset page token of MLflow's SQL and file stores costs the server 0.2 s there (8 ms at 2,000);
- a listing of the unknown runs, `run_id NOT IN (<known ids>)`: exact, but the server parses each
  id (about 75 µs one: 3.7 s at 40,000 runs, 0.07 s at 2,000).
So each poll counts (`count_differs`), and only when the server holds more runs are the unknown
ones listed (`unknown_filters`). A server that refuses the token is listed by `NOT IN` at every
poll. Runs added and as many purged (`mlflow gc`) between two polls show at the hourly re-sync.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence

from store.ours.column_index import ColumnTable
from store.remote.http import ServerClient, ServerError
from store.remote.server_cache import run_ids
from store.safe_names import plain_name

ID_WINDOW = 2400
"""Known run ids in one `run_id NOT IN (...)` filter, twice as many at most (runs started in one millisecond
stay together): the server parses a filter with sqlparse, which refuses more than 10,000 tokens, two an id."""


def count_differs(client: ServerClient, experiment_ids: Sequence[str], known: int) -> str | None:
    """Whether the server holds another number of runs than the `known` of the cache in these experiments
    (deleted runs counted): "" (the same), "more" or "fewer"; None when it refuses the offset token."""
    if not known:
        return "more"
    token = base64.b64encode(json.dumps({"offset": known - 1}).encode()).decode()
    body = {"experiment_ids": list(experiment_ids), "run_view_type": "ALL", "max_results": 2, "page_token": token}
    try:
        runs = client.post("runs/search", body).get("runs") or []
    except ServerError as exc:
        if exc.status != 400:
            raise
        return None
    if not isinstance(runs, list):  # not what an MLflow server answers: count no more, list by ids
        return None
    found = len(runs)
    return "" if found == 1 else "more" if found > 1 else "fewer"


def unknown_filters(table: ColumnTable) -> list[str] | None:
    """`runs/search` filters that together return every run `table` does not hold, whatever its start time;
    None when the known ids do not fit them (so many runs started in one millisecond: list everything).

    The known ids go ID_WINDOW at a time, each group with the range of start times it covers (a run
    started in that range that is not in the group is new). A run without a start time matches no
    range, so past ID_WINDOW known runs such a run is found only by a full re-sync.
    """
    import numpy as np

    if len(table) <= ID_WINDOW:
        return [not_in(run_ids(table))]
    starts = np.round(table.floats["created"] * 1000)
    ids = np.asarray(run_ids(table), dtype=object)
    known = ~np.isnan(starts)
    order = np.argsort(starts[known], kind="stable")
    starts, ids = starts[known][order].astype(np.int64), ids[known][order]
    lows = np.unique(starts[::ID_WINDOW])
    edges = [*np.searchsorted(starts, lows).tolist(), len(starts)]
    filters = []
    for i in range(len(lows)):
        group = ids[edges[i] : edges[i + 1]].tolist()
        if len(group) > 2 * ID_WINDOW:
            return None
        bounds = [
            f"attributes.start_time >= {lows[i]}" if i else "",
            f"attributes.start_time < {lows[i + 1]}" if i + 1 < len(lows) else "",
        ]
        filters.append(" AND ".join(filter(None, [*bounds, not_in(group)])))
    return filters


def not_in(ids: Sequence[str]) -> str:
    """A filter leaving out `ids` (an id that is not plain is left in: it is fetched again, harmlessly)."""
    plain = [f"'{rid}'" for rid in ids if plain_name(rid)]
    return f"attributes.run_id NOT IN ({','.join(plain)})" if plain else ""
