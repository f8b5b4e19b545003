"""The user's keymap: binding ids mapped to keys, read from the config folder.

Every binding in the app has an id (`runs.sort`, `vim.down`, …); `?` shows the keys. A user
who wants other keys writes `~/.config/tracktui/keymap.yaml`:

    runs.charts: P          # charts on P
    vim.down: j,n           # several keys, comma-separated

and the app applies it on mount with Textual's `App.set_keymap`, on every screen. A broken file
is reported in one line and ignored; it never stops the app.

The vim motions are bound once, here (`VIM_BINDINGS`), under one set of ids: the app binds
them, and so do the modal screens that do not see the app's bindings, so `vim.down: n`
moves every list, tree and table.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
import pkgutil
from pathlib import Path

from textual.binding import Binding

KEYMAP_FILE = "keymap.yaml"


def keymap_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "tracktui" / KEYMAP_FILE


def load_keymap(path: Path | None = None) -> tuple[dict[str, str], str | None]:
    """The keymap and, when the file is unusable, a one-line reason (the keymap is then empty)."""
    path = path or keymap_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, None
    except (OSError, UnicodeDecodeError) as exc:
        return {}, f"could not read {path}: {exc}"
    import yaml  # only when there is a keymap file

    try:
        data = yaml.safe_load(text) if len(text) < 100_000 else None
    except yaml.YAMLError as exc:
        return {}, f"{path} is not valid YAML ({str(exc).splitlines()[0]}); fix or delete it"
    if data is None:
        return {}, None
    if not isinstance(data, dict):
        return {}, f"{path} must map binding ids to keys (like `runs.charts: g`)"
    keymap: dict[str, str] = {}
    for binding_id, keys in data.items():
        if isinstance(keys, list):
            keys = ",".join(str(k) for k in keys)
        if not isinstance(binding_id, str) or not isinstance(keys, str) or not keys.strip():
            return {}, f"{path}: {binding_id!r} must map to keys like `g` or `j,down`"
        keymap[binding_id] = keys.replace(" ", "")
    return keymap, None


def known_binding_ids(app: type) -> set[str]:
    """Every binding id of `app` and of each screen and widget class, so a keymap's typo can be named."""
    from textual.dom import DOMNode

    from . import screens, widgets

    owners: list[type] = [app]
    for package in (screens, widgets):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            owners += [
                cls
                for _, cls in inspect.getmembers(module, inspect.isclass)
                if cls.__module__ == module.__name__ and issubclass(cls, DOMNode)
            ]
    return {
        binding.id
        for owner in owners
        for binding in owner.__dict__.get("BINDINGS", [])
        if isinstance(binding, Binding) and binding.id
    }


def unknown_ids_notice(keymap: dict[str, str], known: set[str], path: Path | None = None) -> str | None:
    """One line naming the keymap's ids no binding has, each with the closest real id; None when all are known.

    Textual ignores an id it does not know, so `runs.chartz: P` would leave P doing nothing, silently.
    """
    unknown = sorted(set(keymap) - known)
    if not unknown:
        return None
    named = []
    for binding_id in unknown:
        close = difflib.get_close_matches(binding_id, sorted(known), n=1)
        named.append(f"{binding_id!r} (did you mean {close[0]!r}?)" if close else repr(binding_id))
    where = path or keymap_path()
    return f"{where}: no binding has the id {', '.join(named)}; the ids are listed in ? (help)"


VIM_BINDINGS = [
    Binding("j", "app.vim('down')", "Down", show=False, id="vim.down", tooltip="Move down"),
    Binding("k", "app.vim('up')", "Up", show=False, id="vim.up", tooltip="Move up"),
    Binding("g", "app.vim('first')", "Top", show=False, id="vim.top", tooltip="Go to the first line"),
    Binding("G", "app.vim('last')", "Bottom", show=False, id="vim.bottom", tooltip="Go to the last line"),
]
"""j/k/g/G in every list, tree and table: each calls the focused widget's own motion (see `TrackApp.action_vim`)."""

RESYNC_BINDING = Binding(
    "ctrl+r",
    "app.resync",
    "Re-sync",
    show=False,
    id="app.resync",
    tooltip="Read every run again: a tracking server's poll only fetches what changed, "
    "so edits of params or tags on old runs show after this",
)
"""On every screen; `tracktui URL --resync` does the same as the app starts."""
