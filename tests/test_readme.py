"""The README's logging example is code a user will paste: it must run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.children import REPO


def test_the_logging_example_runs(tmp_path: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    example = re.findall(r"```python\n(.*?)```", readme, re.S)[0]
    (tmp_path / "example.py").write_text(example)
    result = subprocess.run(
        [sys.executable, "example.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    import store

    frame = store.open_store(tmp_path / "tracktui-store").runs_frame()
    assert {"degree-2", "rf-baseline"} <= set(frame["name"])
