"""Curation edits of a run: tags, a note, a new name, kept as an edit log in the run folder.

A run's own files (`meta.json`, `tags.json`) belong to its writer, which keeps them in
memory and rewrites them whole: an edit written into them while the writer lives (or
while a later `start_run(resume=...)` has them in memory) would be overwritten. So an
edit is its own small file, `edit.<time_ns>-<random>.json`, created whole (written to a
temporary, then renamed into a name nobody else uses): two editors never touch the same
file, so neither edit is lost, and no lock is needed. Readers fold the edits over the
writer's files in name order (oldest first; the later edit of a key wins). A writer that
resumes the run folds them into its own files and removes the ones it folded (see
`fold_into`), so the log does not grow forever. See "Curation" in FORMAT.md.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path
from typing import Any

from store import safe_read
from store.ours import atomic

EDIT_PREFIX = "edit."
EDIT_SUFFIX = ".json"
NOTE_FACT = "note"
"""RunDetail.facts key of the note, the same as MLflow's `mlflow.note.content` gets."""


def edit_files(run_path: Path) -> list[Path]:
    """The run's edit files, oldest first (their names start with the time in nanoseconds)."""
    try:
        names = [
            e.name for e in os.scandir(run_path) if e.name.startswith(EDIT_PREFIX) and e.name.endswith(EDIT_SUFFIX)
        ]
    except OSError:
        return []
    return [run_path / name for name in sorted(names)]


def read_edits(run_path: Path, skipped: list[str] | None = None) -> list[tuple[Path, dict[str, Any]]]:
    """Every readable edit, oldest first. A damaged edit file is skipped (one bad edit must not cost
    the run) and, when `skipped` is given, named there in one line; a vanished one is just gone."""
    edits = []
    for path in edit_files(run_path):
        try:
            data = atomic.read_json(path)
        except FileNotFoundError:
            continue  # folded into the run by a resuming writer meanwhile
        except (OSError, ValueError) as exc:
            if skipped is not None:
                skipped.append(f"{path.name} skipped: {safe_read.describe(exc)}")
            continue
        if isinstance(data, dict):
            edits.append((path, data))
        elif skipped is not None:
            skipped.append(f"{path.name} skipped: it holds a {type(data).__name__}, not an object")
    return edits


def apply_edits(
    name: str, tags: dict[str, str], edits: list[tuple[Path, dict[str, Any]]]
) -> tuple[str, dict[str, str], str | None]:
    """(name, tags, note) after the edits, applied in order; note None when never written."""
    tags = dict(tags)
    note: str | None = None
    for _, edit in edits:
        set_tags = edit.get("tags")
        if isinstance(set_tags, dict):
            tags.update((str(k), str(v)) for k, v in set_tags.items())
        removed = edit.get("remove_tags")
        if isinstance(removed, list):
            for key in removed:
                tags.pop(str(key), None)
        if isinstance(edit.get("name"), str) and edit["name"]:
            name = edit["name"]
        if isinstance(edit.get("note"), str):
            note = edit["note"]
    return name, tags, note


def write_edit(run_path: Path, edit: dict[str, Any]) -> Path:
    """Add one edit to the run's log, whole and under a name no other editor uses."""
    now_ns = time.time_ns()
    path = run_path / f"{EDIT_PREFIX}{now_ns:020d}-{secrets.token_hex(4)}{EDIT_SUFFIX}"
    atomic.atomic_write_json(path, {"time": now_ns / 1e9, **edit})
    return path


def fold_into(run_path: Path, meta: dict[str, Any], tags: dict[str, Any]) -> list[Path]:
    """For a writer that resumes the run (holding its lock): apply the edit log to its own
    `meta` (name, note) and `tags` in place; return the edit files it folded.

    The caller writes `meta.json` and `tags.json` and only then removes the returned files,
    so a crash in between leaves edits that apply again, to the same effect. Edits created
    after the log was read here are not returned, so they stay.
    """
    edits = read_edits(run_path)
    if not edits:
        return []
    name, new_tags, note = apply_edits(str(meta.get("name") or ""), {str(k): str(v) for k, v in tags.items()}, edits)
    if name:
        meta["name"] = name
    if note is not None:
        meta[NOTE_FACT] = note
    tags.clear()
    tags.update(new_tags)
    return [path for path, _ in edits]
