"""`tracktui run [--experiment E] [--name N] [--tag K=V] [--store S] [--no-capture] -- CMD [ARGS...]`."""

from __future__ import annotations

import argparse
import sys


def run_main(argv: list[str]) -> int:
    if "--" in argv:
        cut = argv.index("--")
        options, command = argv[:cut], argv[cut + 1 :]
    else:
        options, command = argv, []
    parser = argparse.ArgumentParser(
        prog="tracktui run",
        description="Run a command as a run: its exit code, console, machine and context.",
        usage="tracktui run [--experiment E] [--name N] [--tag K=V] [--store S] [--no-capture] -- CMD [ARGS...]",
    )
    parser.add_argument("--experiment", "-e", help="experiment (default: the parent run's, else 'default')")
    parser.add_argument("--name", "-n", help="run name (default: the run id, or what the script names it)")
    parser.add_argument("--tag", "-t", action="append", default=[], metavar="K=V", help="a tag; repeat for more")
    parser.add_argument("--store", "-s", help="store folder (default: $TRACKTUI_STORE or ./tracktui-store)")
    parser.add_argument(
        "--no-capture", action="store_true", help="do not keep the console; the command gets the terminal itself"
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args(options)
    command = command or args.command
    if not command:
        parser.error("give the command after --, e.g. tracktui run -- python train.py")
    tags: dict[str, str] = {}
    for item in args.tag:
        key, sep, value = item.partition("=")
        if not sep or not key:
            parser.error(f"--tag takes KEY=VALUE, got {item!r}")
        tags[key] = value
    from store.writing.wrap import run_command

    try:
        return run_command(
            command, experiment=args.experiment, name=args.name, tags=tags, root=args.store, capture=not args.no_capture
        )
    except ValueError as exc:
        print(f"tracktui run: {exc}", file=sys.stderr)
        return 2
