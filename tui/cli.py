"""The `tracktui` command: open the app, write the demo, list or diff runs for scripts."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

from store import NotAStoreError, RunStore, StoreError, open_store, resolve_root

DEMO_MARK = ".tracktui-demo"

USAGE = """\
tracktui [STORE]                         open the app on a store (default: $TRACKTUI_STORE or ./tracktui-store)
tracktui demo [DIR]                      write a demo store and open it
tracktui ls [STORE] [--json|--csv]       print the runs table
tracktui diff STORE RUN RUN [...]        print a diff of runs (by id, id prefix or name)
tracktui run [OPTIONS] -- CMD [ARGS...]  run a command as a run (exit code, console, system metrics)
tracktui logs STORE RUN [--follow] [--tail N]  print what a run printed
"""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv and argv[0] in ("demo", "ls", "diff", "run", "logs") else "open"
    if command == "run":  # its own errors and Ctrl-C belong to the wrapped command
        from .run_cli import run_main

        return run_main(argv[1:])
    try:
        if command == "demo":
            return demo(argv[1:])
        if command == "ls":
            return ls(argv[1:])
        if command == "diff":
            return diff(argv[1:])
        if command == "logs":
            from .logs_cli import logs_main

            return logs_main(argv[1:])
        return open_app(argv)
    except (NotAStoreError, StoreError) as exc:
        print(f"tracktui: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `tracktui ls --json | head`: the reader left; that is not an error.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _parser(prog: str, description: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog=prog, description=description,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def open_app(argv: list[str]) -> int:
    parser = _parser("tracktui", "A terminal browser for ML runs.\n\n" + USAGE)
    parser.add_argument("store", nargs="?", help="a tracktui store, an MLflow mlruns/ folder or mlflow.db")
    parser.add_argument("--deleted", action="store_true", help="show deleted MLflow runs and experiments")
    args = parser.parse_args(argv)
    path = resolve_root(args.store) if args.store is None or "://" not in args.store else args.store
    reader = None
    if Path(str(path)).exists() or "://" in str(path):
        reader = _open(str(path), args.deleted)  # a path that is not a store fails here, before the UI starts
    from .app import make_app

    app = make_app(str(path), store=reader, include_deleted=args.deleted)
    app.run()
    return app.return_code or 0


def _open(path: str, include_deleted: bool = False) -> RunStore:
    return open_store(path, include_deleted=include_deleted)


def demo(argv: list[str]) -> int:
    parser = _parser("tracktui demo", "Write a demo store (a sweep, curves, a failed and a crashed run) and open it.")
    parser.add_argument("dir", nargs="?", help="where to write it (default: a folder in your cache dir)")
    parser.add_argument("--no-open", action="store_true", help="only write the store")
    args = parser.parse_args(argv)
    from .demo import demo_dir, make_demo

    root = demo_dir(args.dir)
    if root.exists() and any(root.iterdir()):
        if not (root / DEMO_MARK).exists():
            print(f"tracktui: {root} is not empty and not a demo store; pass an empty or new folder",
                  file=sys.stderr)
            return 2
        shutil.rmtree(root)
    make_demo(root, now=time.time())
    (root / DEMO_MARK).write_text("written by `tracktui demo`; safe to delete\n")
    print(f"demo store written to {root}")
    if args.no_open:
        return 0
    from .app import make_app

    app = make_app(root)
    app.run()
    return app.return_code or 0


def ls(argv: list[str]) -> int:
    parser = _parser("tracktui ls", "Print the runs of a store.")
    parser.add_argument("store", nargs="?")
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON object per run (JSON lines)")
    fmt.add_argument("--csv", action="store_true", help="CSV with a header row")
    parser.add_argument("--deleted", action="store_true", help="include deleted MLflow runs")
    args = parser.parse_args(argv)
    reader = _open(str(resolve_root(args.store) if args.store is None or "://" not in args.store else args.store),
                   args.deleted)
    frame = reader.runs_frame()
    if args.csv:
        frame.to_csv(sys.stdout, index=False)
        return 0
    if args.json:
        for record in frame.to_dict(orient="records"):
            print(json.dumps({k: _json_value(v) for k, v in record.items()}, default=str))
        return 0
    from rich.console import Console

    from rich.text import Text

    from .shaping.formatting import printable
    from .shaping.runs_view import RunsView
    from .tables import runs_rich_table

    view = RunsView(frame=frame, now=time.time())
    table = runs_rich_table(view, title=Text(f"{printable(str(reader.root))} — {len(frame)} run{'s' if len(frame) != 1 else ''}"))
    console = Console()
    width = console.measure(table).maximum
    # Wide tables print wide (a pager or `less -S` scrolls them); squeezing would drop columns.
    Console(width=max(console.width, width)).print(table)
    return 0


def diff(argv: list[str]) -> int:
    parser = _parser("tracktui diff", "Print what differs between runs.")
    parser.add_argument("store")
    parser.add_argument("runs", nargs="+", help="two or more runs: id, unique id prefix, or unique name")
    parser.add_argument("--only-diff", action="store_true", help="only rows whose values differ")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    args = parser.parse_args(argv)
    if len(args.runs) < 2:
        parser.error("give two or more runs")
    from .diff_cli import diff_command

    return diff_command(_open(args.store), args.runs, only_diff=args.only_diff, as_json=args.json)


def _json_value(value: object) -> object:
    if isinstance(value, float) and value != value:
        return None
    return value


if __name__ == "__main__":
    raise SystemExit(main())
