"""Real child processes for crash and concurrency tests."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

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
