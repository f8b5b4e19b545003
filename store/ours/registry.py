"""Our store's model registry: named models whose numbered versions point at a run's artifacts.

    store.register_model("churn", run=run, path="model", alias="prod")   # -> 3
    store.set_model_alias("churn", "champion", 3)

Kept in files that merge with `rsync` or `cp -r` as runs do (see "Models" in FORMAT.md):

    <store>/.models/<model-folder>/          the name made safe (store/safe_names.py); the exact name is inside
      model.json                             {"name", "created"}: created once, never rewritten
      versions/<n>-<time_ns>-<random>.json   one file per version, created whole and never rewritten
      edit.<time_ns>-<random>.json           tags, descriptions and aliases, one change a file (store/ours/edits.py)

No file is ever rewritten in place, so two writers (on one machine or two) never lose each
other's work. A writer takes the model's lock (the run lock of store/ours/lock.py: a dead holder's
is taken over) while it picks the next number, so numbers on one machine are unique; versions
from two machines merged later that claimed the same number are ordered by creation time and
the later ones move up (`_number`). An alias names a version by its file (`version_id`), so it
stays on the same files when numbers move.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from store import safe_read
from store.errors import RunLockedError, RunNotFoundError, StoreError
from store.model_entities import ModelNotFoundError, ModelVersion, RegisteredModel, link
from store.ours import atomic, edits, layout, stored_values
from store.ours.lock import create_exclusive, release_lock, take_lock
from store.ours.run_folder import find_run
from store.process import hostname, user
from store.safe_names import UnsafePathError, inside, safe_name

if TYPE_CHECKING:
    from store.writing.writer import Run

MODELS_DIR = ".models"
"""A dot folder: readers of runs skip it, as they skip `.trash`."""
MODEL_FILE = "model.json"
VERSIONS_DIR = "versions"
LOCK_WAIT = 10.0
"""Seconds `register_model` waits for another registering process before giving up."""
_VERSION_FILE = re.compile(r"(\d{1,12})-(\d{1,20})-([0-9a-f]{1,32})\.json\Z")


def model_dir(root: Path, name: str) -> Path:
    return root / MODELS_DIR / safe_name(name)


def _check_name(name: object, what: str) -> str:
    layout.check_key(name, what)
    if len(str(name)) > layout.MAX_KEY_LENGTH:
        raise ValueError(f"{what} is longer than {layout.MAX_KEY_LENGTH} characters")
    return str(name)


def _run_folder(root: Path, run: Run | str | None) -> tuple[Path, str, Path]:
    """(store root, run id, run folder) of a run object, a run id, id prefix or name, or the active run."""
    from store.writing.lifecycle import active_run

    if run is None:
        run = active_run()
        if run is None:
            raise RunNotFoundError("no active run: pass run=RUN_ID, or call register_model inside store.start_run(...)")
    if not isinstance(run, str):
        return run.root, run.id, run.path
    try:
        return root, run, find_run(root, run)  # an id: no need to list the store
    except FileNotFoundError:
        from store.ours.reader import TrackStore

        run_id = TrackStore(root).resolve(run)
        return root, run_id, find_run(root, run_id)


def _locked(folder: Path, name: str) -> None:
    """Take the model's lock, waiting up to LOCK_WAIT for a live holder (another registering process)."""
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            take_lock(folder, f"model {name}")
            return
        except RunLockedError:
            if time.monotonic() > deadline:
                raise RunLockedError(f"model {name!r} is being registered by another process; try again") from None
            time.sleep(0.01)  # another process holds the lock for milliseconds


def register_model(
    name: str,
    run: Run | str | None = None,
    path: str = "model",
    *,
    root: Path,
    alias: str | None = None,
    tags: dict[str, Any] | None = None,
    description: str | None = None,
) -> int:
    """Register `path` (an artifact path of the run) as the next version of model `name`; its number."""
    name = _check_name(name, "model name")
    if alias is not None:
        _check_name(alias, "alias")
    root, run_id, run_path = _run_folder(root, run)
    try:
        files = inside(run_path / layout.ARTIFACTS_DIR, path)
    except UnsafePathError as exc:
        raise ValueError(f"path must be an artifact path of the run: {exc}") from None
    if not files.exists():
        raise StoreError(f"run {run_id} has no artifact {path!r}; log it first (run.log_artifact) or give path=")
    folder = model_dir(root, name)
    (folder / VERSIONS_DIR).mkdir(parents=True, exist_ok=True)
    now_ns = time.time_ns()
    create_exclusive(folder / MODEL_FILE, stored_values.dumps({"name": name, "created": now_ns / 1e9}))
    body = {
        "name": name,
        "run_id": run_id,
        "path": path,
        "source": f"runs:/{run_id}/{path}",
        "created": now_ns / 1e9,
        "host": hostname(),
        "user": user(),
        "tags": {str(k): str(v) for k, v in (tags or {}).items()},
        "description": description,
    }
    _locked(folder, name)
    try:
        atomic.remove_stale_temporaries(folder / VERSIONS_DIR)  # what a writer killed mid-write left (an hour old)
        number = max((n for n, _ in _version_files(folder)), default=0) + 1
        version_id = f"{number}-{now_ns}-{secrets.token_hex(4)}"
        create_exclusive(folder / VERSIONS_DIR / f"{version_id}.json", stored_values.dumps({"version": number, **body}))
    finally:
        release_lock(folder)
    if alias is not None:
        edits.write_edit(folder, {"alias": alias, "version_id": version_id})
    return _number_of(folder, version_id)


def _version_files(folder: Path) -> list[tuple[int, str]]:
    """(claimed number, version id) of every version file, in order (temporaries and strays are skipped)."""
    try:
        names = os.listdir(folder / VERSIONS_DIR)
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for file in names:
        match = _VERSION_FILE.match(file)
        if match:
            found.append((int(match.group(1)), int(match.group(2)), file[:-5]))
    return [(n, vid) for n, _, vid in sorted(found)]


def _numbers(folder: Path) -> dict[str, int]:
    """Version id -> number: the claimed number, or one more than the previous when two claimed the same."""
    numbers: dict[str, int] = {}
    last = 0
    for claimed, version_id in _version_files(folder):
        last = max(claimed, last + 1)
        numbers[version_id] = last
    return numbers


def _number_of(folder: Path, version_id: str) -> int:
    return _numbers(folder)[version_id]


def _model_named(root: Path, name: str) -> Path:
    folder = model_dir(root, _check_name(name, "model name"))
    if not (folder / MODEL_FILE).is_file() and not (folder / VERSIONS_DIR).is_dir():
        raise ModelNotFoundError(f"no registered model {name!r} in {root}; register one with store.register_model")
    return folder


def _version_id(folder: Path, name: str, version: int) -> str:
    for version_id, number in _numbers(folder).items():
        if number == version:
            return version_id
    raise ModelNotFoundError(f"model {name!r} has no version {version}")


def set_model_alias(name: str, alias: str, version: int, *, root: Path) -> None:
    """Point `alias` (e.g. `prod`) at a version of the model, moving it from where it was."""
    folder = _model_named(root, name)
    edits.write_edit(folder, {"alias": _check_name(alias, "alias"), "version_id": _version_id(folder, name, version)})


def delete_model_alias(name: str, alias: str, *, root: Path) -> None:
    folder = _model_named(root, name)
    edits.write_edit(folder, {"alias": _check_name(alias, "alias"), "delete": True})


def set_model_tags(name: str, tags: dict[str, Any], version: int | None = None, *, root: Path) -> None:
    """Set tags of the model, or of one of its versions."""
    folder = _model_named(root, name)
    target = {} if version is None else {"version_id": _version_id(folder, name, version)}
    edits.write_edit(folder, {**target, "tags": {str(k): str(v) for k, v in tags.items()}})


def delete_model_tag(name: str, key: str, version: int | None = None, *, root: Path) -> None:
    """Remove a tag of the model, or of one of its versions (an edit file: it merges like the others)."""
    folder = _model_named(root, name)
    target = {} if version is None else {"version_id": _version_id(folder, name, version)}
    edits.write_edit(folder, {**target, "delete_tag": str(key)})


def set_model_description(name: str, description: str, version: int | None = None, *, root: Path) -> None:
    """Set the description of the model, or of one of its versions."""
    folder = _model_named(root, name)
    target = {} if version is None else {"version_id": _version_id(folder, name, version)}
    edits.write_edit(folder, {**target, "description": str(description)})


# -- reading ---------------------------------------------------------------------------------------------------


def read_models(root: Path) -> list[RegisteredModel]:
    """Every registered model of our store, by name; a damaged file is one entry with a reason."""
    try:
        folders = sorted(e.path for e in os.scandir(root / MODELS_DIR) if e.is_dir(follow_symlinks=False))
    except (FileNotFoundError, NotADirectoryError):
        return []
    return link(sorted((_read_model(Path(f)) for f in folders), key=lambda m: m.name), [])


def _read_json(path: Path) -> tuple[dict[str, Any], str | None]:
    try:
        data = safe_read.read_json(path)
    except FileNotFoundError:
        return {}, f"{path.name} is missing"
    except (OSError, ValueError) as exc:
        return {}, f"{path.name} is unreadable ({str(exc)[:80]})"
    return (data, None) if isinstance(data, dict) else ({}, f"{path.name} holds no object")


def _read_model(folder: Path) -> RegisteredModel:
    meta, problem = _read_json(folder / MODEL_FILE)
    versions: dict[str, ModelVersion] = {}
    for version_id, number in _numbers(folder).items():
        body, bad = _read_json(folder / VERSIONS_DIR / f"{version_id}.json")
        meta = meta or {"name": body.get("name")}
        versions[version_id] = ModelVersion(
            name="",
            version=number,
            run_id=_str(body.get("run_id")),
            source=_str(body.get("source")),
            status="READY" if not bad else None,
            description=_str(body.get("description")),
            tags={str(k): str(v) for k, v in body["tags"].items()} if isinstance(body.get("tags"), dict) else {},
            created=body.get("created") if isinstance(body.get("created"), (int, float)) else None,
            reason=bad,
            version_id=version_id,
        )
    name = _str(meta.get("name")) or folder.name
    model = RegisteredModel(
        name=name,
        created=meta.get("created") if isinstance(meta.get("created"), float) else None,
        reason=problem if not versions else None,
    )
    aliases: dict[str, str] = {}
    for _, edit in edits.read_edits(folder):
        target = versions.get(str(edit.get("version_id"))) if "version_id" in edit else None
        if isinstance(edit.get("alias"), str):
            if edit.get("delete"):
                aliases.pop(edit["alias"], None)
            elif target is not None:
                aliases[edit["alias"]] = str(edit["version_id"])
            continue
        if "version_id" in edit and target is None:
            continue  # an edit of a version this copy of the store does not have (yet)
        holder: Any = target if target is not None else model
        if isinstance(edit.get("tags"), dict):
            holder.tags.update((str(k), str(v)) for k, v in edit["tags"].items())
        if isinstance(edit.get("delete_tag"), str):
            holder.tags.pop(edit["delete_tag"], None)
        if isinstance(edit.get("description"), str):
            holder.description = edit["description"]
    for version in versions.values():
        version.name = name
    model.versions = sorted(versions.values(), key=lambda v: v.version or 0)
    model.aliases = {alias: versions[vid].version or 0 for alias, vid in sorted(aliases.items())}
    model.updated = max((v.created or 0 for v in model.versions), default=None)
    return model


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
