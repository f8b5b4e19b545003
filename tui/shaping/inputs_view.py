"""A run's inputs (the data it used) as the detail and the diff show them: short digests, sizes.

`RunDetail.inputs` entries come from `run.log_input` (store/ours/inputs.py) or an MLflow store's
dataset inputs, all with the same keys: name, path, kind, context, size, mtime, digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..artifacts.kinds import human_size
from .sanitize import printable

SHORT_DIGEST = 12
"""Hex characters of a digest shown: enough to tell datasets apart, short enough for a column."""
INPUT_COLUMNS = ("name", "kind", "context", "path", "size", "digest")


def short_digest(digest: Any) -> str:
    """`sha256:0123456789abcdef…` -> `sha256:0123456789ab`; "" for none."""
    if not digest:
        return ""
    label, _, rest = str(digest).rpartition(":")
    return printable(f"{label}:{rest[:SHORT_DIGEST]}" if label else rest[:SHORT_DIGEST])


def human_bytes(n: Any) -> str:
    """`512 B`, `1.5 KB`, `12.0 MB`; "" when unknown (a dataset name, a folder)."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        return ""
    return human_size(n)


def input_rows(inputs: Sequence[dict[str, Any]]) -> list[tuple[str, ...]]:
    """One row of INPUT_COLUMNS per input, every cell sanitized text."""
    return [
        (
            printable(str(e.get("name") or "")),
            printable(str(e.get("kind") or "")),
            printable(str(e.get("context") or "")),
            printable(str(e.get("path") or "")),
            human_bytes(e.get("size")),
            short_digest(e.get("digest")),
        )
        for e in inputs
    ]


def input_key(entry: dict[str, Any]) -> str:
    """How the diff lines up one input across runs: its name, and its context unless `train`."""
    name = str(entry.get("name") or entry.get("path") or "?")
    context = entry.get("context")
    return name if not context or context == "train" else f"{name} ({context})"


def input_value(entry: dict[str, Any]) -> str:
    """What the diff compares: the digest (short), else the size, else that nothing is known."""
    return short_digest(entry.get("digest")) or human_bytes(entry.get("size")) or "no digest"
