"""What the user chose per store (columns, their order), kept in the user's config dir.

Never inside the store: MLflow stores are read-only to us, and a store shared by a team
should not carry one person's column picks.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from store.format import atomic_write_json


def settings_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "tracktui" / "views.json"


def load_view(store_root: Path) -> dict[str, Any]:
    try:
        data = json.loads(settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    view = data.get(str(store_root.resolve()), {}) if isinstance(data, dict) else {}
    return view if isinstance(view, dict) else {}


def save_view(store_root: Path, view: dict[str, Any]) -> None:
    path = settings_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            data = {}
    except (OSError, ValueError):
        data = {}
    data[str(store_root.resolve())] = view
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(path, data, fsync=False)
    except OSError:
        pass  # a read-only home: the choice lasts for this session only
