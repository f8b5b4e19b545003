"""`tracktui push STORE URL [--filter EXPR] [--experiment E]`: the command line of store/push.py.

The runs are picked with the app's filter language, through the same `select_runs` that
`tracktui ls --filter` uses; the progress goes to stderr, the summary to stdout.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from store import RunStore

from .shaping.sanitize import printable


def push_main(argv: list[str], open_store: Callable[[str], RunStore]) -> int:
    parser = argparse.ArgumentParser(
        prog="tracktui push", description="Upload runs (params, tags, metrics with steps and times, artifacts, "
        "status and times) to an MLflow tracking server. Pushing again sends only what is new.")
    parser.add_argument("store", help="the store to push from (a tracktui store, mlruns/ or mlflow.db)")
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
        from .ls_query import select_runs
        from .shaping.filter_expr import FilterError

        try:
            frame = select_runs(frame, args.filter).frame
        except FilterError as exc:
            print(f"tracktui push: {printable(exc.message)}", file=sys.stderr)
            return 2
    run_ids = [str(r) for r in frame.sort_values("created", kind="stable")["run_id"]]
    from store.push import Pusher

    done = 0

    def progress(name: str, points: int, total: int) -> None:
        if sys.stderr.isatty():
            print(f"\r[{done + 1}/{len(run_ids)}] {printable(name)[:40]}: {points:,}/{total:,} points\033[K",
                  end="", file=sys.stderr, flush=True)

    pusher = Pusher(reader, args.url, args.experiment, progress)
    for run_id in run_ids:
        pusher.push([run_id])
        done += 1
        if sys.stderr.isatty():
            print(f"\r[{done}/{len(run_ids)}] runs pushed\033[K", end="", file=sys.stderr, flush=True)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    print(printable(pusher.summary.text()))
    return 1 if pusher.summary.failed else 0
