"""Real child processes for crash and concurrency tests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def run_python(code: str, *, wait: bool = True, **kwargs: object) -> subprocess.Popen[bytes]:
    """Start a child Python process running `code` with the repo importable."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs
    )  # type: ignore[call-overload]
    if wait:
        proc.wait(timeout=60)
    return proc


def stat_child_always(monkeypatch: Any) -> None:
    """Our store's listings use their stat child (`TrackStore._take_numbers`) at any size, as on two cores."""
    from store.ours import reader

    monkeypatch.setattr(reader, "CHILD_FROM", 0)
    monkeypatch.setattr(reader, "cores", lambda: 2)


def stat_child_script(monkeypatch: Any, tmp_path: Path, script: str) -> None:
    """The stat child (`store/ours/file_stats.py`) replaced by `script`: one that fails, hangs, never reads."""
    from store.ours import file_stats

    child = tmp_path / "stat_child.py"
    child.write_text(script)
    monkeypatch.setattr(file_stats, "CHILD", str(child))
