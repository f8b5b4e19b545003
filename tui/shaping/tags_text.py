"""Tags as one editable line (`stage=best 'note key'='two words'`): what the tag editor shows and reads back."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .formatting import is_missing

if TYPE_CHECKING:
    import pandas as pd
else:
    from .lazy_modules import pd


def common_tags(frame: pd.DataFrame, run_ids: Sequence[str]) -> dict[str, str]:
    """Tags every one of these runs has with the same value (one run: all its tags), by key."""
    rows = frame[frame["run_id"].isin(list(run_ids))] if "run_id" in frame.columns else frame.iloc[:0]
    tags: dict[str, str] = {}
    if not len(rows):
        return tags
    for column in frame.columns:
        if not str(column).startswith("tags.") or str(column).startswith("tags.mlflow."):
            continue
        values = rows[column].tolist()
        if any(is_missing(v) for v in values) or len({str(v) for v in values}) != 1:
            continue
        tags[str(column)[len("tags.") :]] = str(values[0])
    return tags


def format_tags(tags: dict[str, str]) -> str:
    return " ".join(f"{shlex.quote(k)}={shlex.quote(v)}" for k, v in tags.items())


def parse_tags(text: str) -> dict[str, str]:
    """`a=1 'b c'=two` -> {"a": "1", "b c": "two"}; ValueError (saying what is wrong) otherwise."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise ValueError(f"cannot read the tags: {exc}") from None
    tags: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{word!r} is not key=value")
        tags[key.strip()] = value
    return tags


def tag_changes(before: dict[str, str], text: str) -> tuple[dict[str, str], list[str]]:
    """What an edited `key=value` text changes: (tags added or changed, keys removed); ValueError if unreadable."""
    after = parse_tags(text)
    return {k: v for k, v in after.items() if before.get(k) != v}, [k for k in before if k not in after]
