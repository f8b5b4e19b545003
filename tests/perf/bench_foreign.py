"""Benchmark: opening a folder of 1,000 TensorBoard runs and one of 1,000 W&B offline runs.

    python tests/perf/bench_foreign.py [--runs 1000] [--steps 200] [--keep DIR]

Needs the `tensorboard` and `wandb` extras. One TensorBoard run (3 scalar tags, `--steps`
points each, `simple_value` events as PyTorch's SummaryWriter writes them, through the
`tensorboard` package's EventFileWriter) and one W&B offline run (`wandb.init/log/finish` in
a child process with WANDB_MODE=offline, 3 keys a step) are written by the real libraries,
then copied `--runs` times each (W&B folders renamed with new ids); writing 1,000 W&B runs
through wandb takes about 5 s a run on this machine.

Every figure is from a fresh process (`python -c`), as a user starting `tracktui` gets:
- detect: `open_store(PATH)` (recognising the folder; no run read)
- first data: the listing's first run, i.e. detect plus reading one run's record and history
- full listing: `open_store(PATH).runs_frame()` with every run read
each cold (no listing cache: what a first `tracktui PATH` does) and warm (the cache the
previous open saved), then one refresh of an unchanged folder in the same process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

DETECT = """
import json, sys, time
t = time.perf_counter()
import store
s = store.open_store(sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - t, "kind": s.kind}))
"""

FIRST = """
import json, os, sys, time
t = time.perf_counter()
import store
s = store.open_store(sys.argv[1])
units = s._scan()
unit = sorted(units)[0]
record = s._read_record(unit)
history = s._run_state(unit).series.frame() if hasattr(s, "_run_state") else s._state(unit).series.frame()
print(json.dumps({"seconds": time.perf_counter() - t, "points": len(history), "name": record["name"]}))
"""

FULL = """
import json, sys, time
t = time.perf_counter()
import store
s = store.open_store(sys.argv[1])
frame = s.runs_frame()
seconds = time.perf_counter() - t
s.save_index()
t = time.perf_counter(); changed = s.refresh(); idle = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "rows": len(frame), "columns": frame.shape[1], "idle_refresh": idle,
                  "changed": len(changed)}))
"""

WANDB_TEMPLATE = """
import sys, wandb
run = wandb.init(project="bench", name="template", dir=sys.argv[1], config={"lr": 0.01, "batch": 64, "layers": 4})
for step in range(int(sys.argv[2])):
    run.log({"loss": 1.0 / (step + 1), "acc": step / 1000, "lr": 0.01})
run.finish()
"""


def write_tb_template(folder: Path, steps: int) -> None:
    import time as clock

    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(folder))
    for step in range(steps):
        values = [summary_pb2.Summary.Value(tag=tag, simple_value=value)
                  for tag, value in (("loss", 1.0 / (step + 1)), ("acc", step / 1000), ("lr", 0.01))]
        writer.add_event(event_pb2.Event(step=step, wall_time=clock.time(), summary=summary_pb2.Summary(value=values)))
    writer.close()


def build(root: Path, runs: int, steps: int) -> tuple[Path, Path]:
    tb, wb = root / "tensorboard", root / "project"
    template = root / "template-tb" / "run"
    write_tb_template(template, steps)
    (event,) = template.iterdir()
    for i in range(runs):
        folder = tb / f"exp{i // 100}" / f"run_{i:04d}"
        folder.mkdir(parents=True)
        shutil.copy2(event, folder / event.name)
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_DISABLE_GIT": "true"}
    (root / "template-wb").mkdir()
    subprocess.run([sys.executable, "-c", WANDB_TEMPLATE, str(root / "template-wb"), str(steps)], env=env, check=True)
    (source,) = (root / "template-wb" / "wandb").glob("offline-run-*")
    stamp, run_id = source.name.split("-")[2:4]
    (wb / "wandb").mkdir(parents=True)
    for i in range(runs):
        new_id = f"b{i:07d}"
        target = wb / "wandb" / f"offline-run-{stamp}-{new_id}"
        shutil.copytree(source, target, symlinks=True)
        (target / f"run-{run_id}.wandb").rename(target / f"run-{new_id}.wandb")
    return tb, wb


def fresh(code: str, path: Path, cache: Path) -> dict:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env, cwd=REPO)
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the folders here")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="tracktui-foreign-"))
    t = time.perf_counter()
    if not (root / "tensorboard").exists():
        root.mkdir(parents=True, exist_ok=True)
        tb, wb = build(root, args.runs, args.steps)
        print(f"built {args.runs} TensorBoard and {args.runs} W&B runs of {args.steps} steps in "
              f"{time.perf_counter() - t:.1f} s under {root}")
    else:
        tb, wb = root / "tensorboard", root / "project"
    rows = []
    for label, path in (("TensorBoard", tb), ("W&B offline", wb)):
        detect, first, cold, warm, idle = [], [], [], [], []
        for _ in range(args.repeat):
            cache = Path(tempfile.mkdtemp(prefix="tracktui-cache-"))
            detect.append(fresh(DETECT, path, cache)["seconds"])
            first.append(fresh(FIRST, path, cache)["seconds"])
            result = fresh(FULL, path, cache)
            cold.append(result["seconds"])
            assert result["rows"] == args.runs, result
            again = fresh(FULL, path, cache)
            warm.append(again["seconds"])
            idle.append(again["idle_refresh"])
            shutil.rmtree(cache, ignore_errors=True)
        rows.append((label, median(detect), median(first), median(cold), median(warm), median(idle)))
    print(f"\n{args.runs} runs of {args.steps} steps x 3 metrics each; medians of {args.repeat} fresh processes\n")
    print(f"{'folder':<14}{'detect':>10}{'first data':>12}{'full cold':>12}{'full warm':>12}{'idle refresh':>14}")
    for label, *figures in rows:
        print(f"{label:<14}" + "".join(f"{value:>{w}.2f}s" for value, w in zip(figures, (9, 11, 11, 11, 13))))
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
