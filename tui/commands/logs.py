"""`tracktui logs STORE RUN [--follow] [--tail N]`: print a run's console, sanitized.

Each line is shown as a terminal left it (the final state of a `\\r` progress bar), and
escape codes are shown as visible symbols (`␛[31m`), never sent to the terminal.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from store import RunStore, open_store, safe_read
from store.writing.console import CONSOLE, TAIL_PATTERN, console_parts, final_lines, read_console, tail_name

from ..shaping.sanitize import printable

FOLLOW_POLL = 0.3


def logs_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tracktui logs", description="Print what a run printed.")
    parser.add_argument("store")
    parser.add_argument("run", help="id, unique id prefix, or unique name")
    parser.add_argument("--follow", "-f", action="store_true", help="keep printing while the run goes on")
    parser.add_argument("--tail", "-n", type=int, metavar="N", help="only the last N lines")
    args = parser.parse_args(argv)
    reader = open_store(args.store)
    run_id = reader.resolve(args.run)
    facts = reader.run(run_id).facts
    path = Path(str(facts.get("path") or ""))
    other = facts.get("console")  # another tool's console file (W&B's files/output.log)
    head_name = (
        CONSOLE if reader.kind_of(run_id) == "tracktui" else (os.path.relpath(str(other), path) if other else None)
    )
    if head_name is None or not (path / head_name).is_file():
        print(
            f"tracktui logs: run {printable(run_id)} has no console (run it with `tracktui run` or "
            f"start_run(capture_console=True))",
            file=sys.stderr,
        )
        return 1
    out = sys.stdout
    if not args.follow:
        lines = final_lines(read_console(path, head_name).decode("utf-8", "replace"))
        for line in lines[-args.tail :] if args.tail is not None else lines:
            out.write(printable(line) + "\n")
        return 0
    for line in follow(path, args.tail, lambda: _running(reader, run_id), head_name=head_name):
        out.write(printable(line) + "\n")
        out.flush()
    return 0


def _running(reader: RunStore, run_id: str) -> bool:
    reader.refresh()
    return reader.run(run_id).status == "running"


def follow(
    path: Path, tail: int | None, running: Callable[[], bool], poll: float = FOLLOW_POLL, head_name: str = CONSOLE
) -> Iterator[str]:
    """Lines of a live console as they complete, starting with the last `tail` (all when None).

    Reads the head file, then each tail segment in turn (see store/writing/console.py); a segment
    that was dropped before we got to it is skipped with a note. Ends when the run is no
    longer running and everything written was shown.
    """
    parts = console_parts(path, head_name)
    sizes = [_size(part) for part in parts]
    chunks = [_read_from(part, 0)[:size] for part, size in zip(parts, sizes)]
    if len(chunks) == 3:  # the older tail segment starts mid-line
        chunks[1] = chunks[1][chunks[1].find(b"\n") + 1 :] if b"\n" in chunks[1] else b""
    *done, pending = b"".join(chunks).split(b"\n")
    lines = final_lines(b"\n".join(done).decode("utf-8", "replace") + "\n") if done else []
    yield from lines[-tail:] if tail is not None else lines
    source, offset = (parts[-1], sizes[-1]) if parts else (path / head_name, 0)
    while True:
        alive = running()
        data = _read_from(source, offset)
        offset += len(data)
        if not data:
            next_source = _next_part(path, source)
            if next_source is not None:
                if not next_source.exists():
                    yield "[tracktui: part of the output was dropped before it could be shown]"
                source, offset = _oldest_from(path, next_source), 0
                continue
        pending += data
        *done, pending = pending.split(b"\n")
        for raw in done:
            yield from final_lines(raw.decode("utf-8", "replace")) or [""]
        if data:
            continue
        if not alive:
            if pending:
                yield from final_lines(pending.decode("utf-8", "replace"))
            return
        time.sleep(poll)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _read_from(path: Path, offset: int) -> bytes:
    try:
        with os.fdopen(safe_read.open_regular(path), "rb") as fh:  # never a FIFO or device
            fh.seek(offset)
            return fh.read(1 << 20)
    except OSError:  # gone, or not a regular file
        return b""


def _next_part(run_path: Path, current: Path) -> Path | None:
    """The file written after `current` (the head is followed by tail segment 0), if it was started."""
    match = TAIL_PATTERN.match(current.name)
    following = run_path / tail_name(int(match.group(1)) + 1 if match else 0)
    if following.exists():
        return following
    newer = [int(m.group(1)) for name in os.listdir(run_path) if (m := TAIL_PATTERN.match(name))]
    if newer and (match is None or max(newer) > int(match.group(1)) + 1):
        return following  # ours was skipped past: it does not exist any more
    return None


def _oldest_from(run_path: Path, wanted: Path) -> Path:
    if wanted.exists():
        return wanted
    kept = sorted(int(m.group(1)) for name in os.listdir(run_path) if (m := TAIL_PATTERN.match(name)))
    return run_path / tail_name(kept[0]) if kept else wanted
