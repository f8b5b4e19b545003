"""What the user chose (per store: columns and their order; overall: the theme), in the user's config dir.

Never inside the store: MLflow stores are read-only to us, and a store shared by a team
should not carry one person's column picks.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from store.ours.atomic import atomic_write_json


def settings_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "tracktui" / "views.json"


def _load() -> dict[str, Any]:
    try:
        data = json.loads(settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save(key: str, value: Any) -> None:
    data = _load()
    data[key] = value
    path = settings_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_json(path, data, fsync=False)
    except OSError:
        pass  # a read-only home: the choice lasts for this session only


def load_view(store_root: Path) -> dict[str, Any]:
    view = _load().get(str(store_root.resolve()), {})
    return view if isinstance(view, dict) else {}


def save_view(store_root: Path, view: dict[str, Any]) -> None:
    _save(str(store_root.resolve()), view)


COLUMNS_KEY = "columns_by_experiment"
"""Per store: experiment selection ("" for all runs) → what the user changed in the column picker.

Views saved before this key existed held every column not shown at the time as hidden;
they are ignored, since honouring them is what hid later columns for good.
"""


def load_column_views(store_root: Path) -> dict[str, Any]:
    views = load_view(store_root).get(COLUMNS_KEY, {})
    return views if isinstance(views, dict) else {}


def save_column_views(store_root: Path, views: dict[str, Any]) -> None:
    view = {k: v for k, v in load_view(store_root).items() if k not in ("columns", "hidden")}
    view[COLUMNS_KEY] = views
    save_view(store_root, view)


def load_setting(name: str) -> Any:
    """An app-wide choice; stored under a key no store path can take."""
    return _load().get(f":{name}")


def save_setting(name: str, value: Any) -> None:
    _save(f":{name}", value)


LAST_VIEW_KEY = "last_view"
NAMED_VIEWS_KEY = "views"
"""Per store: the view the user left (restored on the next start) and the views they named."""


def load_views(store_root: Path) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The last view (None if never saved) and the named views of this store."""
    view = load_view(store_root)
    last = view.get(LAST_VIEW_KEY)
    named = view.get(NAMED_VIEWS_KEY)
    return (last if isinstance(last, dict) else None), (named if isinstance(named, dict) else {})


def _update_view(store_root: Path, key: str, value: Any) -> None:
    view = load_view(store_root)
    view[key] = value
    save_view(store_root, view)


def save_last_view(store_root: Path, data: dict[str, Any]) -> None:
    _update_view(store_root, LAST_VIEW_KEY, data)


def save_named_view(store_root: Path, name: str, data: dict[str, Any] | None) -> None:
    """Save `data` under `name`, or forget that name when `data` is None."""
    named = load_views(store_root)[1]
    if data is None:
        named.pop(name, None)
    else:
        named[name] = data
    _update_view(store_root, NAMED_VIEWS_KEY, named)


WORKSPACE_KEY = "workspace"
"""Per store: whether the runs screen shows the workspace, and which of its panes (`{"shown": bool,
"panes": {"console": bool, …}}`), so a store watched in the workspace opens in it again."""


def load_workspace(store_root: Path) -> dict[str, Any]:
    data = load_view(store_root).get(WORKSPACE_KEY)
    return data if isinstance(data, dict) else {}


def save_workspace(store_root: Path, data: dict[str, Any]) -> None:
    _update_view(store_root, WORKSPACE_KEY, data)


MARKS_KEY = "marks"
"""Per store: the marked run ids, in the order they were marked (the runs screen restores those still listed)."""


def load_marks(store_root: Path) -> list[str]:
    marks = load_view(store_root).get(MARKS_KEY)
    return [m for m in marks if isinstance(m, str)] if isinstance(marks, list) else []


def save_marks(store_root: Path, run_ids: list[str]) -> None:
    _update_view(store_root, MARKS_KEY, run_ids)
