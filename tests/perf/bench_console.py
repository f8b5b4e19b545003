"""Opening and searching a big console in the run detail, through the real app (headless Pilot).

    python tests/perf/bench_console.py [--mb 1024] [--keep DIR]

Writes a run whose console.log holds `--mb` MB of 100-byte training-log lines (the last
one says "last words"), opens the detail's Console tab, and prints a table of: time until
the last lines are on screen, until the line index is complete, the process's resident
memory growth (a console read whole would grow by its size), and a search for a term on
the last line (scanned in a worker, chunk by chunk). The console is paged by the same
`LazyText.open_file` as a big artifact, so the figures are the artifact viewer's too.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

import store  # noqa: E402
from store.writing.console import CONSOLE  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_console(root: Path, mb: int) -> str:
    with store.start_run("bench", name="big-console", root=root, system_metrics_interval=0) as run:
        pass
    block = b"".join(
        f"epoch {i // 1000:>4} step {i:>8} loss {1 / (i + 1):.6f} lr 0.001 grad_norm 1.234 "
        f"throughput 1234.5/s\n".encode().ljust(100)[:99]
        + b"\n"
        for i in range(100_000)
    )
    with open(run.path / CONSOLE, "wb") as fh:
        for _ in range(mb * 1024 * 1024 // len(block)):
            fh.write(block)
        fh.write(b"last words: CUDA out of memory\n")
    return run.id


async def measure(root: Path, run_id: str) -> list[tuple[str, str]]:
    from tui.app import make_app
    from tui.screens.detail import DetailScreen
    from tui.widgets.console_view import ConsoleView

    app = make_app(root, poll_seconds=0)
    rows: list[tuple[str, str]] = []
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        before = rss_mb()
        t0 = time.perf_counter()
        app.push_screen(DetailScreen(app.store, run_id))
        while not app.screen.query("#console-view"):
            await pilot.pause(0.01)
        await pilot.press("5")
        view = app.screen.query_one(ConsoleView)
        while not any("last words" in line for line in view.visible_text()):
            await pilot.pause(0.01)
        first = time.perf_counter() - t0
        rows.append(("last lines on screen", f"{first:.2f} s"))
        while not view.source.complete:
            await pilot.pause(0.05)
        rows.append(("line index complete", f"{time.perf_counter() - t0:.2f} s ({view.line_count:,} lines)"))
        rows.append(("memory growth", f"{rss_mb() - before:.0f} MB"))
        t1 = time.perf_counter()
        await pilot.press("slash", *"cuda", "enter")
        while view.matches is None or not view.matches.complete:
            await pilot.pause(0.05)
        rows.append(("search 'cuda' (whole file)", f"{time.perf_counter() - t1:.2f} s, {view.matches.count} match"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=1024)
    parser.add_argument("--keep", type=Path, help="write the store here (default: a temporary folder)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-console-"))
    t = time.perf_counter()
    run_id = write_console(root, args.mb)
    print(f"console of {args.mb} MB written in {time.perf_counter() - t:.1f} s")
    rows = asyncio.run(measure(root, run_id))
    print(f"| {'what':<28} | {'figure':<32} |")
    print(f"|{'-' * 30}|{'-' * 34}|")
    for what, figure in rows:
        print(f"| {what:<28} | {figure:<32} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
