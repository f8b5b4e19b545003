"""Benchmark: opening a folder of 1,000 TensorBoard runs and one of 1,000 W&B offline runs.

    python tests/perf/bench_foreign.py [--runs 1000] [--steps 200] [--keep DIR] [--before main] [--workers N]

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
Each figure is wall time with the CPU time of the process and its children beside it (a
first open reads in child processes); the load average is printed before and after, as the
machine may be shared; at a load average of 2 or more on 2 cores a cold listing is read in one
process (`tailed.workers()`), unless `--workers N` says how many readers to use. `--before REF`
measures the code of a git ref too (`git archive REF` into a temporary folder, run with
PYTHONPATH pointing there), alternating old and new.
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
WORKERS = 0
"""`--workers`: the readers of a first read, whatever the load (0: as `tailed.workers()` decides)."""
sys.path.insert(0, str(REPO))

DETECT = """
import json, os, sys, time
t = time.perf_counter()
import store
s = store.open_store(sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - t, "cpu": sum(os.times()[:4]), "kind": s.kind}))
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
print(json.dumps({"seconds": time.perf_counter() - t, "cpu": sum(os.times()[:4]), "points": len(history),
                  "name": record["name"]}))
"""

FULL = """
import json, os, sys, time
t = time.perf_counter()
if os.environ.get("BENCH_WORKERS"):
    import store.formats.tailed
    store.formats.tailed.workers = lambda: int(os.environ["BENCH_WORKERS"])
import store
s = store.open_store(sys.argv[1])
frame = s.runs_frame()
seconds = time.perf_counter() - t
cpu = sum(os.times()[:4])
s.save_index()
t = time.perf_counter(); changed = s.refresh(); idle = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "cpu": cpu, "rows": len(frame), "columns": frame.shape[1],
                  "idle_refresh": idle, "changed": len(changed)}))
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
        values = [
            summary_pb2.Summary.Value(tag=tag, simple_value=value)
            for tag, value in (("loss", 1.0 / (step + 1)), ("acc", step / 1000), ("lr", 0.01))
        ]
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


def fresh(code: str, path: Path, cache: Path, code_root: Path = REPO) -> dict:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "PYTHONPATH": str(code_root)}
    if WORKERS:
        env["BENCH_WORKERS"] = str(WORKERS)
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, env=env, cwd=code_root
    )
    if out.returncode:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def median(values: list[float]) -> float:
    return statistics.median(values)


def checkout(ref: str, into: Path) -> Path:
    """The code of `ref` (`git archive`), to measure against."""
    archive = subprocess.run(["git", "archive", ref], cwd=REPO, capture_output=True, check=True).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def measure(path: Path, runs: int, code_root: Path) -> dict[str, tuple[float, float]]:
    """One round of every figure for one folder and one version of the code: name -> (wall, cpu)."""
    cache = Path(tempfile.mkdtemp(prefix="tracktui-cache-"))
    try:
        detect = fresh(DETECT, path, cache, code_root)
        first = fresh(FIRST, path, cache, code_root)
        cold = fresh(FULL, path, cache, code_root)
        assert cold["rows"] == runs, cold
        warm = fresh(FULL, path, cache, code_root)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return {
        "detect": (detect["seconds"], detect["cpu"]),
        "first data": (first["seconds"], first["cpu"]),
        "full cold": (cold["seconds"], cold["cpu"]),
        "full warm": (warm["seconds"], warm["cpu"]),
        "idle refresh": (warm["idle_refresh"], float("nan")),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the folders here")
    parser.add_argument("--before", metavar="REF", help="also measure the code of this git ref (e.g. main)")
    parser.add_argument(
        "--workers", type=int, default=0, help="readers of a cold listing whatever the load (a busy machine: 1)"
    )
    args = parser.parse_args()
    global WORKERS
    WORKERS = args.workers
    root = args.keep or Path(tempfile.mkdtemp(prefix="tracktui-foreign-"))
    t = time.perf_counter()
    if not (root / "tensorboard").exists():
        root.mkdir(parents=True, exist_ok=True)
        tb, wb = build(root, args.runs, args.steps)
        print(
            f"built {args.runs} TensorBoard and {args.runs} W&B runs of {args.steps} steps in "
            f"{time.perf_counter() - t:.1f} s under {root}"
        )
    else:
        tb, wb = root / "tensorboard", root / "project"
    scratch = Path(tempfile.mkdtemp(prefix="tracktui-before-"))
    versions = [("now", REPO)] + ([(args.before, checkout(args.before, scratch / "code"))] if args.before else [])
    load_before = os.getloadavg()
    rows = []
    for label, path in (("TensorBoard", tb), ("W&B offline", wb)):
        rounds: dict[str, list[dict[str, tuple[float, float]]]] = {name: [] for name, _ in versions}
        for _ in range(args.repeat):
            for name, code_root in reversed(versions):  # alternating, so a busy spell hits both
                rounds[name].append(measure(path, args.runs, code_root))
        for name, _ in versions:
            figures = {key: tuple(median([r[key][i] for r in rounds[name]]) for i in (0, 1)) for key in rounds[name][0]}
            rows.append((label, name, figures))
    load_after = os.getloadavg()
    shutil.rmtree(scratch, ignore_errors=True)
    print(
        f"\n{args.runs} runs of {args.steps} steps x 3 metrics each; medians of {args.repeat} fresh processes; "
        f"wall s (CPU s of the process and its children); {os.cpu_count()} cores, load average "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after\n"
    )
    names = list(rows[0][2])
    print(f"{'folder':<13}{'code':<7}" + "".join(f"{name:>16}" for name in names))
    for label, name, figures in rows:
        cells = [f"{wall:.2f}" + ("" if cpu != cpu else f" ({cpu:.2f})") for wall, cpu in figures.values()]
        print(f"{label:<13}{name[:6]:<7}" + "".join(f"{cell:>16}" for cell in cells))
    if not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
