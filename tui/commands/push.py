"""`tracktui push STORE URL [--filter EXPR] [--experiment E]`: the command line of store/remote/push/.

The runs are picked with the app's filter language, through the same `select_runs` that
`tracktui ls --filter` uses. Progress goes to stderr: a bar (runs done of all, the run being
sent, its points) when stderr is a terminal, else a plain line now and then; the summary
(new, updated, unchanged, failed, points, artifact files and bytes) goes to stdout.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from store import RunStore

from ..artifacts.kinds import human_size
from ..shaping.sanitize import printable, printable_line

if TYPE_CHECKING:
    from store.remote.push import PushProgress, PushSummary

PLAIN_EVERY = 5.0
"""Seconds between plain progress lines (a log or CI output gets a pulse, not a line per batch)."""


def push_main(argv: list[str], open_store: Callable[[str], RunStore]) -> int:
    parser = argparse.ArgumentParser(
        prog="tracktui push",
        description="Upload runs (params, tags, metrics with steps and times, artifacts, "
        "dataset inputs, console, images, parent, source, git, note, error, status and times) and their registered "
        "model versions (with aliases, tags, descriptions) of any store tracktui "
        "reads to an MLflow tracking server, under MLflow's own tag names; what MLflow cannot hold is listed. "
        "Pushing again sends only what is new; a killed push resumes without sending a point twice; "
        "one push of a store runs at a time; symlinks are not followed.",
    )
    parser.add_argument(
        "store",
        help="the store to push from: any store tracktui reads (ours, mlruns/, mlflow.db, "
        "another server's URL, wandb/, a TensorBoard logdir, DVCLive, Lightning CSV, HF, trackio)",
    )
    parser.add_argument("url", help="the tracking server, e.g. http://localhost:5000")
    parser.add_argument("--filter", default="", metavar="EXPR", help="only the runs this matches (as in `ls`)")
    parser.add_argument("--experiment", metavar="E", help="put every run in this experiment (default: the run's own)")
    args = parser.parse_args(argv)
    if not args.url.startswith(("http://", "https://")):
        print(f"tracktui push: {printable(args.url)} is not a tracking server URL (http://host:port)", file=sys.stderr)
        return 2
    reader = open_store(args.store)
    frame = reader.runs_frame()
    if args.filter:
        from ..shaping.filter_expr import FilterError
        from .ls import select_runs

        try:
            frame = select_runs(frame, args.filter).frame
        except FilterError as exc:
            print(f"tracktui push: {printable(exc.message)}", file=sys.stderr)
            return 2
    run_ids = [str(r) for r in frame.sort_values("created", kind="stable")["run_id"]]
    from store.remote.push import Pusher

    with progress_reporter(sys.stderr.isatty()) as progress:
        pusher = Pusher(reader, args.url, args.experiment, progress)
        pusher.push(run_ids)
    print(summary_text(pusher.summary))
    return 1 if pusher.summary.failed else 0


def summary_text(summary: PushSummary) -> str:
    """`pushed: 2 new, 0 updated, 0 unchanged, 0 failed, 1,501 metric points, 1 artifact file (14 B)`, then a
    line per run skipped or failed."""
    files = f"{summary.artifacts} artifact file{'' if summary.artifacts == 1 else 's'}"
    parts = [
        f"{summary.new} new",
        f"{summary.updated} updated",
        f"{summary.unchanged} unchanged",
        f"{len(summary.failed)} failed",
        f"{summary.points:,} metric points",
        f"{files} ({human_size(summary.artifact_bytes)})",
    ]
    lines = ["pushed: " + ", ".join(parts)]
    if summary.models or summary.model_versions:
        lines.append(f"models: {summary.models} new, {summary.model_versions} new versions")
    lines += [f"skipped {s}" for s in summary.skipped] + [f"failed {f}" for f in summary.failed]
    lines += [f"not carried: {line}" for line in summary.left_behind]
    return "\n".join(printable(line) for line in lines)


@contextmanager
def progress_reporter(terminal: bool) -> Iterator[Callable[[PushProgress], None]]:
    """The `progress` callback for a Pusher: a Rich bar on a terminal, plain lines otherwise."""
    if not terminal:
        yield PlainProgress(sys.stderr.write)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("pushing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[detail]}"),
        console=Console(stderr=True, highlight=False),
        transient=True,
    )
    task = bar.add_task("push", total=None, detail="")

    def update(event: PushProgress) -> None:
        bar.update(task, total=event.runs_total, completed=event.runs_done, detail=_detail(event))

    with bar:
        yield update


class PlainProgress:
    """One line on the first event, on every failed run, on the last run, and at most every PLAIN_EVERY s between."""

    def __init__(self, write: Callable[[str], object], clock: Callable[[], float] = time.monotonic) -> None:
        self.write = write
        self.clock = clock
        self.last: float | None = None

    def __call__(self, event: PushProgress) -> None:
        now = self.clock()
        last_run = event.outcome is not None and event.runs_done == event.runs_total
        if self.last is None or now - self.last >= PLAIN_EVERY or event.outcome == "failed" or last_run:
            self.last = now
            self.write(f"[{event.runs_done}/{event.runs_total} runs] {_detail(event)}\n")


def _detail(event: PushProgress) -> str:
    """The run being sent (or just done) and the totals so far."""
    name = printable_line(event.run_name)[:40]
    if event.outcome is not None:
        now = f"{name}: {event.outcome}"
    elif event.run_points:
        now = f"{name}: {event.points:,}/{event.run_points:,} points"
    else:
        now = name
    summary = event.summary
    return f"{now} · {summary.points:,} points, {summary.artifacts} files ({human_size(summary.artifact_bytes)}) sent"
