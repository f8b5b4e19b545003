"""The old name of the store's layout, value rules, atomic writes, summaries and dict helpers.

`store/ours/format.py` was split into `layout`, `stored_values`, `atomic`, `metric_summary` and
`store/nested_dicts`. A few modules that were being changed on other branches at the time still
say `fmt.X` (writer, reader, index, the W&B and TensorBoard stores); this forwards each name to
its home at every lookup, so a test that patches the home (`store.ours.atomic.atomic_write_text`)
patches their calls too. Import the homes instead; this module goes once nothing imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from store import nested_dicts
from store.ours import atomic, layout, metric_summary, stored_values

if TYPE_CHECKING:  # the names those modules use, for mypy
    from store.nested_dicts import deep_merge, flatten
    from store.ours.atomic import append_records, atomic_write_json, atomic_write_text, remove_stale_temporaries
    from store.ours.layout import (
        ARTIFACTS_DIR,
        DELETED_STATUS,
        FORMAT_VERSION,
        HEARTBEAT_INTERVAL,
        HISTORY_FIELDS,
        HISTORY_RECORD_SIZE,
        HISTORY_SUFFIX,
        META,
        METRICS_DIR,
        PARAMS,
        SUMMARY,
        TAGS,
        TRASH_DIR,
        WRITTEN_STATUSES,
        cache_root,
        check_key,
        experiment_dirname,
        metric_filename,
        metric_key,
        new_run_id,
    )
    from store.ours.metric_summary import merge_summary, summarise_histories
    from store.ours.stored_values import as_float, as_step, dumps, json_value, same_value, text_value, too_long_int

__all__ = ["ARTIFACTS_DIR", "DELETED_STATUS", "FORMAT_VERSION", "HEARTBEAT_INTERVAL", "HISTORY_FIELDS",
           "HISTORY_RECORD_SIZE", "HISTORY_SUFFIX", "META", "METRICS_DIR", "PARAMS", "SUMMARY", "TAGS", "TRASH_DIR",
           "WRITTEN_STATUSES", "append_records", "as_float", "as_step", "atomic_write_json", "atomic_write_text",
           "cache_root", "check_key", "deep_merge", "dumps", "experiment_dirname", "flatten", "json_value",
           "merge_summary", "metric_filename", "metric_key", "new_run_id", "remove_stale_temporaries", "same_value",
           "summarise_histories", "text_value", "too_long_int"]

_HOMES = (layout, stored_values, atomic, metric_summary, nested_dicts)


def __getattr__(name: str) -> Any:
    """The name as its home holds it now (looked up at each use, so a patched home is seen)."""
    for home in _HOMES:
        if name in vars(home):
            return vars(home)[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
