"""The first open after a sweep (issue 24): every store row of the issue's table in one sitting,
this checkout beside older code and beside the limit.

    python tests/perf/bench_first_open.py [--runs 10000] [--large] [--baseline main | --code DIR]
                                          [--repeat 5] [--limit-python /path/to/python-with-pyarrow]

The store is the issue's sweep (6 params, 4 metrics x 20 points, 2 tags a run), written by
`make_big_store.make_store` under the temporary folder and reused, with each run's row in the
listing journal as its writer appends it; `--large` adds 100,000 runs. The rows:

- `tracktui ls --json`, no index (the first open after a sweep): the index removed before each;
- the same with the journal moved aside too (the lean path, what a store written before the
  journal, or copied with new ctimes, costs): this checkout only, the old code reads no journal;
- `tracktui ls --json` warm: the index there (written by a listing of the same side just before);
- the limit: a fresh process doing `import pandas` + `pd.read_feather` of the same table
  (bench_scale.py's), in an interpreter with pyarrow.

Every figure is a median over fresh processes, the sides alternating (old, new, old, ...) so
that a change in the machine's load falls on both. The machine is shared, so beside wall time
each row gives CPU time (user+sys of the child, from wait4) and peak RSS, and the table ends
with the load average. `--code DIR` takes the old side from a folder holding `store/` and
`tui/` (a `git archive` of main, say) instead of exporting `--baseline`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from bench_scale import READ_FEATHER, SAVE_FEATHER, export, has_pyarrow  # noqa: E402
from make_big_store import make_store  # noqa: E402


def timed(argv: list[str], code: Path) -> tuple[float, float, float]:
    """(wall s, user+sys s, peak MB) of one fresh process running `argv` with `code` importable."""
    env = {"PYTHONPATH": str(code), "PATH": "/usr/bin:/bin", "HOME": str(Path.home())}
    started = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=code, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode()[-2000:] if proc.stderr else ""
        raise SystemExit(f"{argv[:4]} failed under {code}: {err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def ls(code: Path, root: Path, index: bool = False, journal: bool = True) -> tuple[float, float, float]:
    """`timed` of one `tracktui ls ROOT --json`: with no index (or `index`: after a listing that wrote one),
    and with the listing journal moved aside unless `journal`."""
    for old in root.glob(".tracktui-index*"):
        old.unlink()
    if index:
        timed([sys.executable, "-m", "tui.cli", "ls", str(root), "--json"], code)
    aside = (
        []
        if journal
        else [
            (p, p.with_name(p.name.replace(".tracktui-journal-", ".aside-"))) for p in root.glob(".tracktui-journal-*")
        ]
    )
    for p, q in aside:
        p.rename(q)
    try:
        return timed([sys.executable, "-m", "tui.cli", "ls", str(root), "--json"], code)
    finally:
        for p, q in aside:
            q.rename(p)


def cell(runs: list[tuple[float, float, float]]) -> str:
    if not runs:
        return "—"
    wall, cpu, peak = (statistics.median(r[i] for r in runs) for i in range(3))
    return f"{wall:.2f} s wall, {cpu:.2f} s CPU, {peak:.0f} MB"


WORKLOADS = {
    "no index": {"index": False, "journal": True},
    "no index, no journal": {"index": False, "journal": False},
    "warm (index there)": {"index": True, "journal": True},
}
"""What each row runs; the old side reads no journal, so it skips the row that differs only in that."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--large", action="store_true", help="also 100,000 runs (minutes to write)")
    parser.add_argument("--baseline", default="main", help="git ref to compare with ('' for none)")
    parser.add_argument("--code", type=Path, help="the old side's code: a folder holding store/ and tui/")
    parser.add_argument("--limit-python", default=sys.executable, help="an interpreter with pandas and pyarrow")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tracktui-bench-first-open-"))
    sides = {"this checkout": REPO}
    if args.code:
        sides = {f"old ({args.code})": args.code.resolve(), **sides}
    elif args.baseline:
        sides = {args.baseline: export(args.baseline, tmp), **sides}
    limit = args.limit_python if has_pyarrow(args.limit_python) else None
    rows = []
    for n in (args.runs, 100_000) if args.large else (args.runs,):
        root = make_store(
            Path(tempfile.gettempdir()) / f"tracktui-first-open-{n}",
            n,
            n_params=6,
            n_metrics=4,
            steps=20,
            history=False,
        )
        lim = "needs --limit-python with pyarrow"
        if limit is not None:
            feather = tmp / f"runs-{n}.feather"
            subprocess.run(
                [limit, "-c", SAVE_FEATHER, str(root), str(feather)],
                cwd=REPO,
                check=True,
                env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
            )
        got: dict[str, dict[str, list[tuple[float, float, float]]]] = {
            w: {label: [] for label in sides} for w in WORKLOADS
        }
        limits: list[tuple[float, float, float]] = []
        for _ in range(args.repeat):
            for workload, how in WORKLOADS.items():
                for label, code in sides.items():
                    if how["journal"] or code == REPO:
                        got[workload][label].append(ls(code, root, **how))
            if limit is not None:
                limits.append(timed([limit, "-c", READ_FEATHER, str(feather)], REPO))
        if limits:
            lim = cell(limits)
        for workload in WORKLOADS:
            target = (
                ("≤ 1.2 s" if n >= 100_000 else "")
                if workload.startswith("warm")
                else ("≤ 4 s, ≤ 400 MB" if n >= 100_000 else "≤ 2× the limit")
            )
            rows.append(
                [
                    f"`tracktui ls --json`, {workload}, {n:,} runs",
                    *(cell(runs) for runs in got[workload].values()),
                    lim,
                    target,
                ]
            )
            print("measured:", " · ".join(rows[-1]), file=sys.stderr, flush=True)
    header = ["workload", *sides, "the limit (Feather)", "target"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average (1, 5, 15 min): {load} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
