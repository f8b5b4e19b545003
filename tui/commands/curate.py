"""`tracktui tag|note|rename|rm|restore|gc`: curating a store from scripts, through `store.curate`
(the same functions the app's editing keys call).

Every failure is one line on stderr and exit status 2: a live run, an ambiguous or unknown
run, a read-only MLflow store, a bad tag. Text from the store is printed through `printable`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from store import RunStore, StoreError, curate

from ..shaping.filter_expr import parse_duration
from ..shaping.sanitize import printable

COMMANDS = ("tag", "note", "rename", "rm", "restore", "gc")

Opener = Callable[[str, bool], RunStore]


def _parser(prog: str, description: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog=prog, description=description)


def curate_command(command: str, argv: list[str], open_store: Opener) -> int:
    """Run one curation command; `open_store(path, include_deleted)` is the CLI's store opener."""
    try:
        return _COMMANDS[command](argv, open_store)
    except (StoreError, ValueError, OSError) as exc:
        print(
            f"tracktui {command}: {printable(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)}",
            file=sys.stderr,
        )
        return 2


def _who(reader: RunStore, run_id: str) -> str:
    names = {r["run_id"]: r.get("name") for r in reader.records()}
    name = names.get(run_id)
    return printable(f"{run_id} ({name})" if name and name != run_id else run_id)


def tag(argv: list[str], open_store: Opener) -> int:
    parser = _parser("tracktui tag", "Add, change or remove tags of a run (also while it runs).")
    parser.add_argument("store")
    parser.add_argument("run", help="id, unique id prefix or unique name")
    parser.add_argument("tags", nargs="*", metavar="KEY=VALUE")
    parser.add_argument("--rm", action="append", default=[], metavar="KEY", help="remove a tag (repeatable)")
    args = parser.parse_args(argv)
    tags: dict[str, str] = {}
    for item in args.tags:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"{item!r} is not KEY=VALUE")
        tags[key] = value
    if not tags and not args.rm:
        parser.error("give KEY=VALUE tags to set or --rm KEY")
    reader = open_store(args.store, False)
    run_id = reader.resolve(args.run)
    curate.set_tags(reader, run_id, tags, remove=args.rm)
    done = [f"{k}={v}" for k, v in tags.items()] + [f"-{k}" for k in args.rm]
    print(printable(f"{_who(reader, run_id)}: {' '.join(done)}"))
    return 0


def note(argv: list[str], open_store: Opener) -> int:
    parser = _parser("tracktui note", "Write a run's note (Markdown; '-' reads it from stdin; '' clears it).")
    parser.add_argument("store")
    parser.add_argument("run")
    parser.add_argument("text", help="the note, or - to read it from stdin")
    args = parser.parse_args(argv)
    text = sys.stdin.read() if args.text == "-" else args.text
    reader = open_store(args.store, False)
    run_id = reader.resolve(args.run)
    curate.set_note(reader, run_id, text)
    lines = len(text.splitlines())
    print(f"{_who(reader, run_id)}: note {'cleared' if not text else f'of {lines} line' + ('s' if lines != 1 else '')}")
    return 0


def rename(argv: list[str], open_store: Opener) -> int:
    parser = _parser("tracktui rename", "Give a finished run a new name.")
    parser.add_argument("store")
    parser.add_argument("run")
    parser.add_argument("name")
    args = parser.parse_args(argv)
    reader = open_store(args.store, False)
    run_id = reader.resolve(args.run)
    old = _who(reader, run_id)
    curate.rename(reader, run_id, args.name)
    print(f"{old} -> {printable(args.name)}")
    return 0


def rm(argv: list[str], open_store: Opener) -> int:
    parser = _parser("tracktui rm", "Move runs to the store's trash (`tracktui restore` brings them back).")
    parser.add_argument("store")
    parser.add_argument("runs", nargs="+")
    args = parser.parse_args(argv)
    reader = open_store(args.store, False)
    run_ids = list(dict.fromkeys(reader.resolve(ref) for ref in args.runs))  # all resolve before any moves
    for run_id in run_ids:
        who = _who(reader, run_id)
        curate.delete(reader, run_id)
        print(f"deleted {who}")
    return 0


def restore(argv: list[str], open_store: Opener) -> int:
    parser = _parser("tracktui restore", "Bring deleted runs back from the store's trash.")
    parser.add_argument("store")
    parser.add_argument("runs", nargs="+")
    args = parser.parse_args(argv)
    reader = open_store(args.store, True)
    run_ids = list(dict.fromkeys(reader.resolve(ref) for ref in args.runs))
    statuses = {r["run_id"]: r.get("status") for r in reader.records()}
    for run_id in run_ids:
        if statuses.get(run_id) != "deleted":
            raise StoreError(f"run {run_id} is not deleted")
    for run_id in run_ids:
        who = _who(reader, run_id)
        curate.restore(reader, run_id)
        print(f"restored {who}")
    return 0


def gc(argv: list[str], open_store: Opener) -> int:
    parser = _parser("tracktui gc", "Remove for good the runs deleted longer ago than an age.")
    parser.add_argument("store")
    parser.add_argument("--older-than", required=True, metavar="AGE", help="e.g. 30d, 12h, 0s for all")
    args = parser.parse_args(argv)
    age = parse_duration(args.older_than)
    if age is None:
        raise ValueError(f"--older-than {args.older_than!r} is not an age like 30d, 12h or 90m")
    reader = open_store(args.store, True)
    kept: list[str] = []
    purged = curate.purge(reader, age, kept=kept)
    listed = f": {printable(' '.join(purged))}" if purged else ""
    print(f"purged {len(purged)} run{'s' if len(purged) != 1 else ''}{listed}")
    if kept:
        print(printable(f"left in the trash, being symbolic links or not runs: {' '.join(sorted(kept))}"))
    return 0


_COMMANDS: dict[str, Callable[[list[str], Opener], int]] = {
    "tag": tag,
    "note": note,
    "rename": rename,
    "rm": rm,
    "restore": restore,
    "gc": gc,
}
