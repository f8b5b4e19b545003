"""Child processes that write TensorBoard and W&B logs with the real libraries, for the foreign readers' tests.

Each script is run as `python -c SCRIPT ARGS...` in its own process (tests/children.py's
way); the live ones print `ready <n>` after each batch and read a line from stdin before
the next, so a test steps the writer and can SIGKILL it mid-run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TB_LIVE = r"""
import sys, time
from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter
writer = EventFileWriter(sys.argv[1], flush_secs=3600)
step = 0
for line in sys.stdin:
    for _ in range(int(line)):
        value = summary_pb2.Summary.Value(tag="loss", simple_value=1.0 / (step + 1))
        writer.add_event(event_pb2.Event(step=step, wall_time=time.time(), summary=summary_pb2.Summary(value=[value])))
        step += 1
    writer.flush()
    print("ready", step, flush=True)
"""

WANDB_RUN = r"""
import json, sys, wandb
spec = json.loads(sys.argv[1])
run = wandb.init(project=spec.get("project", "proj"), name=spec.get("name"), config=spec.get("config"),
                 tags=spec.get("tags"), notes=spec.get("notes"), dir=spec["dir"],
                 settings=wandb.Settings(x_stats_sampling_interval=spec.get("stats", 15.0)))
for step in range(spec.get("steps", 0)):
    run.log({"loss": 1.0 / (step + 1), "acc": step / 100, "nested": {"x": step}})
for text in spec.get("prints", []):
    print(text, flush=True)
if spec.get("summary"):
    run.summary.update(spec["summary"])
if spec.get("live"):
    step = spec.get("steps", 0)
    print("ready", step, flush=True)
    for line in sys.stdin:
        for _ in range(int(line)):
            run.log({"loss": 1.0 / (step + 1)})
            step += 1
        print("ready", step, flush=True)
run.finish(exit_code=spec.get("exit_code", 0))
"""


def wandb_env() -> dict[str, str]:
    """Offline, quiet, and no W&B state written outside the test's folders."""
    env = dict(os.environ)
    env.update(
        {
            "WANDB_MODE": "offline",
            "WANDB_SILENT": "true",
            "WANDB_DISABLE_GIT": "true",
            "WANDB_CONSOLE": "wrap",
            "WANDB_CONFIG_DIR": env.get("WANDB_CONFIG_DIR", "/tmp/tracktui-wandb-config"),
            "WANDB_CACHE_DIR": "/tmp/tracktui-wandb-cache",
            "WANDB_DATA_DIR": "/tmp/tracktui-wandb-data",
        }
    )
    return env


def run_wandb(spec: dict[str, object], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    import json

    return subprocess.run(
        [sys.executable, "-c", WANDB_RUN, json.dumps(spec)],
        env=wandb_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )


def start(script: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    )


def step(child: subprocess.Popen[str], n: int) -> int:
    """Ask a live writer for `n` more points; return its total once it says they are written."""
    assert child.stdin is not None and child.stdout is not None
    if n:
        child.stdin.write(f"{n}\n")
        child.stdin.flush()
    line = child.stdout.readline()
    assert line.startswith("ready"), line
    return int(line.split()[1])


def only_run_folder(root: Path) -> Path:
    folders = sorted((root / "wandb").glob("*run-*"))
    assert len(folders) == 1, folders
    return folders[0]


FOREIGN_DATA = Path(__file__).parent / "data" / "foreign"


def copy_data(name: str, tmp_path: Path, mtime: float) -> Path:
    """A copy of a folder of tests/data/foreign with every file's times set to `mtime`: an old one is a
    run that stopped; any one says whether a reader takes times from the files (a copy resets them)."""
    import shutil

    dest = tmp_path / name
    shutil.copytree(FOREIGN_DATA / name, dest)
    for path in dest.rglob("*"):
        os.utime(path, (mtime, mtime))
    return dest
