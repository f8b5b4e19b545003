"""A run's files: where an artifact name leads, and copying or writing one in whole.

Names are checked here so that no name (`..`, an absolute path, a symlink inside the
artifacts folder) can lead a write outside the run's artifacts.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from store.ours import atomic, stored_values


def artifact_path(artifacts_dir: Path, name: str) -> Path:
    """Where artifact `name` lives; refuses names that would leave the artifacts folder."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("artifact name must be a non-empty relative path")
    rel = Path(name)
    if rel.is_absolute() or ".." in rel.parts or name.startswith(("/", "\\")):
        raise ValueError(f"artifact name {name!r} must be a relative path inside the run's artifacts")
    base = artifacts_dir.resolve()
    target = (base / rel).resolve()
    if target != base and base not in target.parents:
        raise ValueError(f"artifact name {name!r} leaves the artifacts folder (through a symlink)")
    if target == base:
        raise ValueError("artifact name must name a file or folder, not the artifacts folder itself")
    return base / rel


def copy_in(artifacts_dir: Path, src: Path, name: str | None) -> Path:
    """Copy a file or folder in as `name` (default: its own name), each file through a temporary."""
    if not src.exists():
        raise FileNotFoundError(f"artifact source {src} does not exist")
    dest = artifact_path(artifacts_dir, name or src.name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if src.is_dir():
        shutil.copytree(src, dest, dirs_exist_ok=True, copy_function=atomic.copy_file_atomic)
    else:
        atomic.copy_file_atomic(src, dest)
    return dest


def write_text(artifacts_dir: Path, name: str, text: str) -> Path:
    dest = artifact_path(artifacts_dir, name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    atomic.atomic_write_text(dest, text, fsync=False)
    return dest


def dict_text(name: str, data: dict[str, Any]) -> str:
    """YAML for .yaml/.yml names, JSON otherwise."""
    if name.endswith((".yaml", ".yml")):
        import yaml

        return yaml.safe_dump(data, sort_keys=False)
    return stored_values.dumps(data)
