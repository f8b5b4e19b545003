"""Sparklines for the runs table's metric cells, read off the UI thread for the rows on screen."""

from __future__ import annotations

from collections.abc import Mapping

from store import RunStore, StoreError

from .sparkline import sparkline


def spark_cells(
    store: RunStore, wanted: Mapping[tuple[str, str], str], width: int
) -> dict[tuple[str, str], tuple[str, str]]:
    """(run id, `metrics.<key>` column) -> (the cell's value it was asked for, sparkline of the history).

    One history read per run, whatever the number of its metric columns asked for. A run that
    cannot be read (deleted meanwhile, damaged) gets empty sparklines rather than an error: the
    table still shows its values.
    """
    by_run: dict[str, list[tuple[str, str]]] = {}
    for (run_id, column), text in wanted.items():
        by_run.setdefault(run_id, []).append((column, text))
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for run_id, columns in by_run.items():
        try:
            history = store.run(run_id).history()
        except (StoreError, OSError, ValueError, KeyError, NotImplementedError):
            history = None
        groups = {}
        if history is not None and len(history):
            groups = {str(k): g for k, g in history.groupby("key", observed=True, sort=False)}
        for column, text in columns:
            group = groups.get(column[len("metrics.") :])
            values = None if group is None else group.sort_values("step", kind="stable")["value"].to_numpy()
            spark = "" if values is None or len(values) < 2 else sparkline(values, width)  # one point: no line
            out[(run_id, column)] = (text, spark)
    return out
