"""First paint beside W&B's terminal viewer (issue 27): how long from typing the command until
the screen shows every run of 12 W&B offline runs, `tracktui DIR` against `wandb leet DIR`.

    python tests/perf/bench_leet.py [--dir WANDB_DIR] [--rounds 3] [--sizes 80x24,160x48] [--old CHECKOUT]

Both run in a real terminal (a detached tmux session of the given size) and the screen is read
with `tmux capture-pane` until it lists all 12 runs: for LEET the run list's 12 rows, for
tracktui the table's 12 rows. The contenders alternate (leet, tracktui, leet, ...) so a change
in the machine's load falls on both; the table gives the median, minimum and maximum of each
and ends with the load average. `--old` adds a third contender, another checkout of tracktui
(`git archive main | tar -x -C /tmp/old`), to measure a change against in the same sitting.
Without `--dir` the 12 runs are written once by the real `wandb` (offline mode: 200 steps of
4 metrics each) under the temporary folder and reused.
Needs tmux and wandb>=0.31 (`wandb leet`); without them it says so and exits.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
RUNS = 12
WRITE_RUN = r"""
import sys, wandb
name, folder = sys.argv[1], sys.argv[2]
i = int(name.split("-")[1])
run = wandb.init(project="sweep", name=name, dir=folder,
                 config={"lr": 0.001 * (i + 1), "depth": i % 4, "opt": "adam"})
for step in range(200):
    run.log({"loss": 1.0 / (step + 1 + i), "acc": step / 200, "val/loss": 1.2 / (step + 1 + i), "lr": 0.001})
run.finish()
"""
ROWS = {"leet": re.compile(r"^ [▶○●◉] offline-run-", re.M), "tracktui": re.compile(r"\brun-\d\d\b")}
ROWS["old"] = ROWS["tracktui"]
"""What one listed run looks like on each screen: LEET's run list rows, tracktui's table rows."""


def write_runs(root: Path) -> Path:
    """12 W&B offline runs written by the real `wandb` into `root/wandb` (reused when there)."""
    folder = root / "wandb"
    if len(list(folder.glob("offline-run-*"))) >= RUNS:
        return folder
    root.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, WANDB_MODE="offline", WANDB_SILENT="true", WANDB_DISABLE_GIT="true", WANDB_CONSOLE="off")
    for i in range(RUNS):
        subprocess.run([sys.executable, "-c", WRITE_RUN, f"run-{i:02d}", str(root)], env=env, check=True)
    return folder


TMUX = ["tmux", "-L", f"bench-leet-{os.getpid()}"]
"""A tmux server of this benchmark's own, kept up by an idle session between the measured ones."""


def first_paint(command: str, size: str, rows: re.Pattern[str], timeout: float = 60.0) -> float:
    """Seconds from starting `command` in a fresh terminal of `size` until it shows all the runs."""
    width, height = size.split("x")
    session = f"bench-leet-{os.getpid()}"
    started = time.perf_counter()
    subprocess.run([*TMUX, "new-session", "-d", "-s", session, "-x", width, "-y", height, command], check=True)
    try:
        while time.perf_counter() - started < timeout:
            screen = subprocess.run([*TMUX, "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout
            if len(rows.findall(screen)) >= RUNS:
                return time.perf_counter() - started
            time.sleep(0.005)
        raise SystemExit(f"{command!r} did not show {RUNS} runs in {timeout:.0f} s at {size}:\n{screen}")
    finally:
        subprocess.run([*TMUX, "kill-session", "-t", session], capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, help="a wandb folder with 12 offline runs (default: write them)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sizes", default="80x24,160x48")
    parser.add_argument(
        "--old", type=Path, help="another checkout (say `git archive main`) measured in the same rounds, as 'old'"
    )
    args = parser.parse_args()
    wandb_cli = Path(sys.executable).with_name("wandb")
    if not shutil.which("tmux"):
        raise SystemExit("tmux is not installed: this benchmark reads both screens through tmux")
    if not wandb_cli.exists() or subprocess.run([str(wandb_cli), "leet", "--help"], capture_output=True).returncode:
        raise SystemExit("`wandb leet` is missing (pip install 'wandb>=0.31'): compare with the README's figures")
    folder = args.dir or write_runs(Path(tempfile.gettempdir()) / "tracktui-bench-leet")
    commands = {
        "leet": f"{wandb_cli} leet {folder}",
        "tracktui": f"env -u PYTHONDONTWRITEBYTECODE PYTHONPATH={REPO} {sys.executable} -m tui.cli {folder}",
    }
    if args.old:  # run from the checkout: `python -m` puts the working folder first on the path
        old = args.old.resolve()
        commands["old"] = f"cd {old} && " + commands["tracktui"].replace(f"PYTHONPATH={REPO}", f"PYTHONPATH={old}")
    times: dict[tuple[str, str], list[float]] = {}
    subprocess.run([*TMUX, "new-session", "-d", "-s", "idle", "sleep 86400"], check=True)
    try:
        measure(args, commands, times)
    finally:
        subprocess.run([*TMUX, "kill-server"], capture_output=True)
    report(args, folder, commands, times)


def measure(args: argparse.Namespace, commands: dict[str, str], times: dict[tuple[str, str], list[float]]) -> None:
    """Fill `times` with each contender's first paints at each size, alternating."""
    for size in args.sizes.split(","):
        for name, command in commands.items():  # one unmeasured start each: the page cache warm for both
            first_paint(command, size, ROWS[name])
        for _ in range(args.rounds):
            for name, command in commands.items():
                times.setdefault((name, size), []).append(first_paint(command, size, ROWS[name]))


def report(
    args: argparse.Namespace, folder: Path, commands: dict[str, str], times: dict[tuple[str, str], list[float]]
) -> None:
    print(f"First paint of {RUNS} W&B offline runs ({folder}), {args.rounds} rounds, alternating\n")
    print(f"{'size':<8} {'contender':<10} {'median s':>9} {'min s':>7} {'max s':>7} {'vs leet':>8}")
    for size in args.sizes.split(","):
        leet = statistics.median(times["leet", size])
        for name in commands:
            got = times[name, size]
            print(
                f"{size:<8} {name:<10} {statistics.median(got):>9.2f} {min(got):>7.2f} {max(got):>7.2f} "
                f"{statistics.median(got) / leet:>7.2f}x"
            )
    print(f"\nload average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
