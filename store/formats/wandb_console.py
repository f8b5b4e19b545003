"""The console of a W&B run as W&B captured it: the `output_raw` records of its record log, with times.

Read only when shown, and only from a record log of bounded size; without the `wandb` package
or those records, the run's `files/output.log` is shown instead.
"""

from __future__ import annotations

import os
from typing import Any

from store.formats.wandb_log import RecordLog, WandbLogError
from store.formats.wandb_run import WANDB_MODULE, log_file

__all__ = ["MAX_CONSOLE_LOG", "output_lines"]

MAX_CONSOLE_LOG = 256 * 1024 * 1024
"""A record log bigger than this is not read for its console's times (its output.log still shows)."""


def output_lines(path: str) -> list[tuple[float | None, str, str]] | None:
    """The console as W&B captured it (`output_raw` records): `(time, stream, line)` a line, the time
    of the line's first chunk, `o`/`e` for stdout/stderr; `\\r` left in. None without the `wandb`
    package, a record log, or output records (console capture was off): `files/output.log` then."""
    log = log_file(path)
    try:
        if log is None or os.stat(log).st_size > MAX_CONSOLE_LOG:
            return None
        import importlib

        from google.protobuf.message import DecodeError

        pb: Any = importlib.import_module(WANDB_MODULE)
        payloads = RecordLog(log).read_new()
    except (ImportError, OSError, WandbLogError):
        return None
    lines: list[tuple[float | None, str, str]] = []
    pending: dict[str, tuple[float, str]] = {}
    for payload in payloads:
        try:
            record = pb.Record.FromString(payload)
        except DecodeError:
            continue
        if record.WhichOneof("record_type") != "output_raw":
            continue
        out = record.output_raw
        stream = "e" if out.output_type == pb.OutputRawRecord.OutputType.STDERR else "o"
        when = out.timestamp.seconds + out.timestamp.nanos / 1e9
        started, text = pending.get(stream, (when, ""))
        *done, rest = (text + out.line).split("\n")
        for line in done:
            lines.append((started if text else when, stream, line))
            text = ""
        pending[stream] = (started if text else when, rest)
    lines += [(when, stream, rest) for stream, (when, rest) in pending.items() if rest]
    return lines or None
