"""What `tracktui run` recorded of the computer a run ran on, read back for the run's facts.

The writer (store/writing/environment.machine) keeps it under `"machine"` in
`artifacts/tracktui/environment.json` (see FORMAT.md); here it is read bounded, only inside
the run folder, and only the known keys with plain values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from store import safe_read
from store.safe_names import UnsafePathError, inside

ENV_FILE = "tracktui/environment.json"
"""Path of the environment file under the run's `artifacts/`."""
MACHINE_KEY = "machine"
MACHINE_FACTS = ("cpu_model", "cpu_count", "memory_total", "gpu", "gpu_count", "disk_total", "os")


def read_machine(run_path: Path) -> dict[str, Any]:
    """The recorded machine facts; {} when nothing was recorded (or it is unreadable)."""
    try:
        data = safe_read.read_json(inside(run_path / "artifacts", ENV_FILE), cap=safe_read.SMALL_FILE_CAP)
    except (OSError, ValueError, UnsafePathError):
        return {}
    found = data.get(MACHINE_KEY) if isinstance(data, dict) else None
    if not isinstance(found, dict):
        return {}
    return {k: found[k] for k in MACHINE_FACTS if isinstance(found.get(k), (str, int, float))}
