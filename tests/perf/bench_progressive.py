"""Progressive first paint: app start to the first rows and to the filled table, on a store with no index.

    python tests/perf/bench_progressive.py [--runs 100000] [--store PATH] [--repeat 3] [--code DIR]

The first open after a sweep: the store's listing index is removed before each fresh app process
(the listing journal the writers appended stays, as after a real sweep). The real app runs headless
at 120x40; reported, from interpreter start: `first_rows` (the first listing message on screen,
the newest runs, while the rest is read), `all_rows` (the complete listing on screen), how many
partial listings were painted, the process's CPU time and its peak RSS when all rows are shown
and after the refresh that follows a first listing (it stats every file: `served_from_cache`).
`--code` measures another checkout (e.g. `git archive main store tui | tar -x -C DIR`): before
progressive paint both times are the same.
Stores are made by `make_big_store.make_store` (summaries, no history files) and reused.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench_app import REPO, medians
from bench_app import run_child as run_app
from make_big_store import make_store

CHILD = r"""
import time
T0 = time.perf_counter()
import asyncio, json, resource, sys
from tui.app import make_app
from tui.screens.runs_listings import RunsListings

shown = []
original, first = RunsListings.loaded, RunsListings.first_listed
def timed(self, message):
    original(self, message)
    shown.append((time.perf_counter() - T0, getattr(message, "reading", None) is not None, len(message.frame)))
def first_timed(self, message):  # the newest runs laid out before pandas is imported
    first(self, message)
    shown.append((time.perf_counter() - T0, getattr(message, "reading", None) is not None, message.listing.row_count))
RunsListings.loaded, RunsListings.first_listed = timed, first_timed

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

async def main():
    app = make_app(sys.argv[1], poll_seconds=0)
    async with app.run_test(size=(120, 40)) as pilot:
        while not shown or shown[-1][1]:
            await asyncio.sleep(0.01)
        await pilot.pause()
        at_all_rows = peak_mb()
        await asyncio.sleep(1.0)  # the refresh that checks every file after a first listing (`served_from_cache`)
        await app.workers.wait_for_complete()
        await pilot.pause()
    print(json.dumps({"first_rows": shown[0][0], "first_rows_count": shown[0][2], "all_rows": shown[-1][0],
                      "rows": shown[-1][2], "partial_paints": sum(p for _, p, _ in shown),
                      "cpu_s": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
                      "peak_mb_all_rows": at_all_rows, "peak_mb": peak_mb()}))

asyncio.run(main())
"""


def run_child(store: Path, code: Path = REPO) -> dict[str, float]:
    """One fresh app process on `store` with no index, importing `store/` and `tui/` from `code`."""
    for index in store.glob(".tracktui-index*"):
        index.unlink()
    return run_app(store, code, CHILD)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100_000, help="store size (default 100000)")
    parser.add_argument("--store", type=Path, help="an existing store of ours instead (its index is removed!)")
    parser.add_argument("--repeat", type=int, default=3, help="fresh app starts")
    parser.add_argument("--code", type=Path, default=REPO, help="a folder with the store/ and tui/ to measure")
    args = parser.parse_args()
    store = args.store or make_store(
        Path(tempfile.gettempdir()) / f"tracktui-bench-store-{args.runs}-nohist", args.runs, history=False
    )
    med = medians(lambda: run_child(store, args.code), args.repeat)
    print(
        f"| app start to first rows / all rows, {int(med['rows']):,} runs, no index | "
        f"{med['first_rows']:.2f} s ({int(med['first_rows_count'])} runs) / {med['all_rows']:.2f} s, "
        f"{int(med['partial_paints'])} partial paints, {med['cpu_s']:.1f} s CPU, {med['peak_mb_all_rows']:.0f} MB peak "
        f"at all rows, {med['peak_mb']:.0f} MB with the check of every file after |"
    )


if __name__ == "__main__":
    main()
