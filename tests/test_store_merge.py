"""The README's promise "stores from several machines merge with `rsync -a` or `cp -r`".

Two real processes each write their own store (two machines), one of them still logging;
the stores are merged with `cp -r` — index files included, so one machine's listing cache
lands beside the other's runs — and the merged store lists every run with every point.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import store
from tests.children import run_python


def write_store(root: Path, host: str, runs: int) -> None:
    child = run_python(f"""
        import store
        for i in range({runs}):
            with store.start_run(experiment="shared", name="{host}-" + str(i), root={str(root)!r},
                                 system_metrics_interval=0) as run:
                run.log_params({{"host": "{host}", "i": i}})
                for step in range(500):
                    run.log_metric("loss", 1.0 / (step + 1))
        store.open_store({str(root)!r}).runs_frame()
        store.open_store({str(root)!r}).save_index()
    """)
    assert child.returncode == 0, child.stderr.read() if child.stderr else ""


def test_stores_from_two_machines_merge_with_cp(tmp_path: Path) -> None:
    a, b, merged = tmp_path / "a", tmp_path / "b", tmp_path / "merged"
    write_store(a, "box-a", 3)
    write_store(b, "box-b", 2)
    shutil.copytree(a, merged)
    subprocess.run(["cp", "-r", f"{b}/.", str(merged)], check=True)  # b's index overwrites a's
    frame = store.open_store(merged).runs_frame()
    assert sorted(frame["name"]) == ["box-a-0", "box-a-1", "box-a-2", "box-b-0", "box-b-1"]
    assert set(frame["status"]) == {"finished"}
    reader = store.open_store(merged)
    for run_id in frame["run_id"]:
        assert reader.run(run_id).metrics["loss"]["count"] == 500
        assert len(reader.history(run_id)) == 500
