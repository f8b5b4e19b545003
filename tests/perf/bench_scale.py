"""Scale benchmark (issue 17): the issue's table, this checkout beside a git ref and beside the limit, in one run.

    python tests/perf/bench_scale.py [--small 10000] [--large 100000] [--baseline main]
                                     [--limit-python /path/to/python-with-pyarrow] [--repeat 3] [--no-app]

Stores are made by `make_big_store.make_store` (the writer's layout written directly, summaries
of 10 metrics but no history files: a listing never reads them) under the temporary folder
and reused. Every figure is a median over fresh processes (`--repeat`), after one warm-up
process per side that builds that side's listing index, as any first start does.

- open: interpreter start to `open_store(root).runs_frame()` returned, and the peak RSS.
- the limit: `import pandas` + `pd.read_feather` of the same table (the runs frame saved as
  one Feather file; mixed-type object columns as text, which Arrow needs), in an interpreter
  that has pyarrow (`--limit-python`; this one when it has pyarrow).
- npz vs Feather: loading our index file (`np.load`, `allow_pickle=False`) against reading the
  same table from Feather, each after `import pandas`: the measure behind choosing numpy.
- app: `bench_app.py`'s child (real app, headless 120x40): first paint, sort, filter, and the
  UI-thread time of a live refresh.
- start_run + one metric + finish: `bench_run_creation.py`'s worker, in a git work tree.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from bench_app import CHILD as APP_CHILD  # noqa: E402
from bench_run_creation import measure as measure_creation  # noqa: E402
from bench_run_creation import summary as creation_summary  # noqa: E402
from bench_store import OPEN_SNIPPET as OPEN  # noqa: E402
from make_big_store import make_store  # noqa: E402

SAVE_FEATHER = """
import sys
import pandas as pd
import store
frame = store.open_store(sys.argv[1]).runs_frame()
for name in frame.columns:
    if frame[name].dtype == object:
        kinds = set(frame[name].dropna().map(type))
        if len(kinds) > 1:
            frame[name] = frame[name].map(lambda v: None if v is None else str(v))
frame.to_feather(sys.argv[2])
"""

READ_FEATHER = """
import json, resource, sys, time
t = time.perf_counter()
import pandas as pd
frame = pd.read_feather(sys.argv[1])
print(json.dumps({"seconds": time.perf_counter() - t, "rows": len(frame),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

READ_NPZ = """
import json, resource, sys, time
t = time.perf_counter()
import pandas as pd
from store.ours.column_file import load_table
from store.ours.column_index import table_frame
table, _ = load_table(sys.argv[1], "tracktui", 15)
frame = table_frame(table, {}, "last")
print(json.dumps({"seconds": time.perf_counter() - t, "rows": len(frame),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def child(code: str, args: list[str], python: str = sys.executable, path: Path = REPO) -> dict[str, Any]:
    proc = subprocess.run(
        [python, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=path,
        env={"PYTHONPATH": str(path), "PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
    )
    if proc.returncode != 0:
        raise SystemExit(f"{code.strip().splitlines()[0]} ... failed:\n{proc.stderr[-2000:]}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def medians(code: str, args: list[str], repeat: int, **kw: Any) -> dict[str, float]:
    results = [child(code, args, **kw) for _ in range(repeat)]
    return {k: statistics.median(r[k] for r in results) for k in results[0]}


def export(ref: str, dest: Path) -> Path:
    """`store/` and `tui/` as they are at `ref`, unpacked under `dest`."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", ref, "store", "tui"], capture_output=True, check=True
    ).stdout
    (dest / "old.tar").write_bytes(archive)
    with tarfile.open(dest / "old.tar") as tf:
        tf.extractall(dest / "old", filter="data")
    return dest / "old"


def has_pyarrow(python: str) -> bool:
    return subprocess.run([python, "-c", "import pyarrow"], capture_output=True).returncode == 0


def creation(code: Path, tmp: Path, label: str) -> float:
    work = tmp / "project"
    if not work.exists():
        work.mkdir()
        for cmd in (
            ["init", "-q"],
            ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-q", "--allow-empty", "-m", "x"],
        ):
            subprocess.run(["git", *cmd], cwd=work, check=True, capture_output=True)
    measure_creation(code, work, tmp / f"warm-{label}", 3)
    return creation_summary(measure_creation(code, work, tmp / f"create-{label}", 200))["median"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--baseline", default="main", help="git ref to compare with ('' for none)")
    parser.add_argument("--limit-python", default=sys.executable, help="an interpreter with pandas and pyarrow")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-app", action="store_true", help="skip the app rows (the slowest)")
    parser.add_argument("--no-create", action="store_true", help="skip the run-creation row")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="tracktui-bench-scale-"))
    sides = {"this checkout": REPO}
    if args.baseline:
        sides[args.baseline] = export(args.baseline, tmp)
    limit = args.limit_python if has_pyarrow(args.limit_python) else None
    rows: list[tuple[str, dict[str, str], str, str]] = []

    def note(row: tuple[str, dict[str, str], str, str]) -> None:
        """Keep a row for the table, and say it at once (a 100k run takes many minutes)."""
        rows.append(row)
        print(
            "measured:",
            " · ".join([row[0], *(f"{k}: {v}" for k, v in row[1].items()), row[2]]),
            file=sys.stderr,
            flush=True,
        )

    for n in (args.small, args.large):
        root = make_store(Path(tempfile.gettempdir()) / f"tracktui-scale-{n}", n, history=False)
        opened = {}
        for label, code in sides.items():
            child(OPEN, [str(root)], path=code)  # builds this side's index
            r = medians(OPEN, [str(root)], args.repeat, path=code)
            opened[label] = f"{r['seconds']:.2f} s, {r['peak_mb']:.0f} MB"
        lim = "needs --limit-python with pyarrow"
        npz = f"{tmp}/npz-{n}"
        if limit is not None:
            feather = tmp / f"runs-{n}.feather"
            subprocess.run(
                [limit, "-c", SAVE_FEATHER, str(root), str(feather)],
                cwd=REPO,
                check=True,
                env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
            )
            r = medians(READ_FEATHER, [str(feather)], args.repeat, python=limit)
            lim = f"{r['seconds']:.2f} s, {r['peak_mb']:.0f} MB"
            r = medians(READ_NPZ, [str(root / ".tracktui-index.npz")], args.repeat)
            npz = f"{r['seconds']:.2f} s, {r['peak_mb']:.0f} MB (npz) vs {lim} (Feather)"
            note((f"read the table only, {n:,} runs", {"this checkout": npz}, "", "choose"))
        target = "≤ 1.5× the limit" if n == args.small else "≤ 2.5 s, ≤ 500 MB"
        note((f"open {n:,} runs into runs_frame()", opened, lim, target))
        if n == args.large and not args.no_app:
            app: dict[str, dict[str, float]] = {}
            for label, code in sides.items():
                child(APP_CHILD, [str(root)], path=code)
                app[label] = medians(APP_CHILD, [str(root)], max(1, args.repeat - 1), path=code)
            for key, what, tgt, unit in (
                ("first_paint", "app start to a filled table", "≤ 3.5 s", "s"),
                ("sort_numeric", "sort by a metric", "≤ 300 ms", "ms"),
                ("sort_text", "sort by name", "≤ 300 ms", "ms"),
                ("filter_expr", "filter `m3 > 0.5 and p1 < 0.2`", "≤ 200 ms", "ms"),
                ("filter_text", "filter free text", "≤ 200 ms", "ms"),
                ("live_update_ui", "UI-thread time of a live refresh", "≤ 30 ms", "ms"),
                ("peak_mb", "app peak memory", "", "MB"),
            ):
                cells = {}
                for label, r in app.items():
                    v = r[key]
                    cells[label] = (
                        f"{v:.2f} s" if unit == "s" else f"{v * 1000:.0f} ms" if unit == "ms" else f"{v:.0f} MB"
                    )
                note((f"{what}, {n:,} runs", cells, "", tgt))
    created = (
        {}
        if args.no_create
        else {label: f"{creation(code, tmp, str(i)):.2f} ms" for i, (label, code) in enumerate(sides.items())}
    )
    note(("start_run + one metric + finish, per run", created, "", "≤ 5 ms"))
    header = ["workload", *sides, "the limit", "target"]
    table = [[what, *(cells.get(s, "") for s in sides), lim, tgt] for what, cells, lim, tgt in rows]
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in table:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")


if __name__ == "__main__":
    main()
