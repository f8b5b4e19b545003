"""`tracktui demo [DIR]`: write the demo folder (our store and other tools' runs beside it)."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from ..demo import demo_dir, make_demo
from ..demo_foreign import make_foreign_demo

DEMO_MARK = ".tracktui-demo"
DEMO_STORE = "tracktui-store"
"""Where `tracktui demo` writes its own store, beside the other tools' runs (tui/demo_foreign.py)."""


def write_demo_folder(given: str | None) -> Path | None:
    """Write the demo folder and say where; None (after one line on stderr) when `given` holds
    something that is not an earlier demo, which is never deleted."""
    root = demo_dir(given)
    if root.exists() and any(root.iterdir()):
        if not (root / DEMO_MARK).exists():
            print(f"tracktui: {root} is not empty and not a demo store; pass an empty or new folder", file=sys.stderr)
            return None
        shutil.rmtree(root)
    now = time.time()
    make_demo(root / DEMO_STORE, now=now)
    make_foreign_demo(root, now=now)
    (root / DEMO_MARK).write_text("written by `tracktui demo`; safe to delete\n")
    # It opens on our store: the sweep's story (four metrics, filled in most rows) fits 80x24. Opened
    # on the whole folder, five tools' differently named metrics left one column, mostly blank.
    print(
        f"demo written to {root}: our store in {DEMO_STORE}/, other tools' runs beside it;\n"
        f"all of them in one table: tracktui {root}"
    )
    return root
