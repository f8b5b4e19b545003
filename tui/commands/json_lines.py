"""`tracktui ls --json`: one JSON object per run, written column-wise, with no pandas in the way.

A listing of our own store gives its columns straight from its index (`RunStore.runs_columns`),
so `ls --json` of such a store neither imports pandas nor builds the runs frame (a third of
its time at 100,000 runs); any other listing goes through the frame (`ls.write_json_lines`).
Both write through `write_columns`, so the bytes are the same either way.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from itertools import repeat
from typing import IO, Any

import msgspec

from store import RunStore, StoreError
from store.process import cores

JSON_CHUNK = 2_000
"""Rows encoded at a time by `write_columns`: their texts are held, not the whole listing's."""


def print_runs_json(reader: RunStore, out: IO[str] | None = None) -> bool:
    """`ls --json` of every run from the store's columns; False (nothing written) when the store has
    none to give without pandas (then `ls.ls_command` writes from the frame)."""
    columns = reader.runs_columns()
    if columns is None:
        return False
    write_in_two(columns, sys.stdout if out is None else out, params_reader(reader))
    return True


SPLIT_FROM = 20_000
"""Rows from which `write_in_two` has a forked child write the second half meanwhile."""


def write_in_two(
    columns: Mapping[str, Sequence[Any]], out: IO[str], raw_params: Callable[[str], dict[str, Any]] | None = None
) -> None:
    """`write_columns`, the second half of the rows written by a forked child into an unnamed file meanwhile
    and copied out after the first: a third of a warm `ls --json` at 100,000 runs is writing its JSON
    (0.3 s), which two cores halve. A fork, not a new process: the child has the columns already.

    Only where a fork is safe: on Linux, with this the one thread (no lock can be held by another), and
    two cores. A child that fails leaves its half to be written here; one still writing when this
    fails (`| head` closed the pipe) is killed.
    """
    n = len(next(iter(columns.values()))) if columns else 0
    if n < SPLIT_FROM or sys.platform != "linux" or threading.active_count() > 1 or cores() < 2:
        write_columns(columns, out, raw_params)
        return
    half = n // 2
    try:
        tmp = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the `with` below: its making may fail
    except OSError:  # no temporary folder to write in: all here
        write_columns(columns, out, raw_params)
        return
    with tmp:
        pid = _child_writing(columns, tmp, raw_params, range(half, n))
        if pid is None:
            write_columns(columns, out, raw_params)
            return
        reaped = False
        try:
            write_columns(columns, out, raw_params, range(half))
            status = os.waitpid(pid, 0)[1]
            reaped = True
        finally:
            if not reaped:
                _kill(pid)
        if os.waitstatus_to_exitcode(status) != 0:
            write_columns(columns, out, raw_params, range(half, n))
            return
        tmp.seek(0)
        while chunk := tmp.read(1024 * 1024):
            out.write(chunk.decode("ascii"))


def _child_writing(
    columns: Mapping[str, Sequence[Any]],
    tmp: IO[bytes],
    raw_params: Callable[[str], dict[str, Any]] | None,
    rows: range,
) -> int | None:
    """The pid of a forked child writing `rows` into `tmp` (None: no process to spare, as under a process limit
    or strict overcommit). Ctrl-C is held across the fork, so that the child never runs the parent's code (its
    handlers, exit flushes) before its own `try`; there it ends the child outright."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pid = os.fork()
    except OSError:
        pid = None
    if pid == 0:
        code = 1
        try:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_SETMASK, held)
            with open(tmp.fileno(), "w", encoding="ascii", closefd=False) as text:  # JSON here is ASCII
                write_columns(columns, text, raw_params, rows)
            code = 0
        finally:
            os._exit(code)
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    except BaseException:  # Ctrl-C pressed meanwhile: the child is not left writing
        if pid is not None:
            _kill(pid)
        raise
    return pid


def _kill(pid: int) -> None:
    """End and reap a forked child (gone already: nothing)."""
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def params_reader(reader: RunStore) -> Callable[[str], dict[str, Any]] | None:
    """Run id -> its flat params read back whole, for the rows whose list and dict params the listing
    holds as JSON text; None for a kind whose params are always text (MLflow's: only ours hold lists)."""
    if reader.kind != "tracktui":
        return None

    def raw_params(run_id: str) -> dict[str, Any]:
        try:
            return reader.run(run_id).flat_params
        except (StoreError, OSError):
            return {}

    return raw_params


def write_columns(
    columns: Mapping[str, Sequence[Any]],
    out: IO[str],
    raw_params: Callable[[str], dict[str, Any]] | None = None,
    rows: range | None = None,
) -> None:
    """One JSON object per row of `columns` (name -> a list or 1-D numpy array of Python values, missing
    as None or NaN), or of its `rows` (a range with step 1); NaN and infinities are null; JSON escapes
    every control character.

    Column by column: each cell's JSON text comes from C calls (`_encoded`), and a row is one
    `str.join` of its keys and cells. A row with a value of another type, or (with `raw_params`,
    run id -> its flat params) a param cell holding a list or dict as JSON text, is written by
    `json.dumps` of the row (`_row_text`), which gives the same bytes for the plain types:
    `json.dumps` a row cost most of `ls --json` at 100,000 runs.
    """
    names = [str(c) for c in columns]
    arrays = list(columns.values())
    types = [_types_of(c) for c in arrays]
    restore = json_text_rows(dict(zip(names, arrays))) if raw_params is not None else set()
    run_ids = arrays[names.index("run_id")] if restore else []
    heads = [f"{', ' if j else '{'}{_encode_text(name)}: " for j, name in enumerate(names)]
    rows = range(len(arrays[0]) if names else 0) if rows is None else rows
    for at in range(rows.start, rows.stop, JSON_CHUNK):  # a chunk of rows at a time: less memory
        end = min(at + JSON_CHUNK, rows.stop)
        chunk = [c[at:end] for c in arrays]
        lists: list[Any] = [c.tolist() if hasattr(c, "tolist") else c for c in chunk]
        slow = {i - at for i in restore if at <= i < end}
        parts: list[Iterable[str]] = []
        after = ""  # what follows the last column's cells: the closing quote of plain text
        for head, values, kinds in zip(heads, lists, types):
            cells, after = _column_parts(after + head, values, slow, kinds)
            parts += cells
        lines = list(map("".join, zip(*parts, repeat(after + "}\n"))))
        for i in slow:
            record = dict(zip(names, (values[i] for values in lists)))
            if at + i in restore and raw_params is not None:
                for key, value in raw_params(str(run_ids[at + i])).items():
                    if isinstance(value, (list, dict)) and f"params.{key}" in record:
                        record[f"params.{key}"] = value
            lines[i] = _row_text(record) + "\n"
        out.write("".join(lines))


def json_text_rows(columns: Mapping[str, Sequence[Any]]) -> set[int]:
    """The rows with a param cell of text that starts like a JSON list or object (a list or dict
    logged as a param, which the listing holds as its JSON text)."""
    rows: set[int] = set()
    for name, values in columns.items():
        if not name.startswith("params.") or str not in set(map(type, values)):
            continue
        try:
            distinct: Any = set(values)  # a param has few distinct texts
        except TypeError:  # an unhashable value
            distinct = values
        texts = {v for v in distinct if isinstance(v, str) and v.startswith(("[", "{"))}
        if texts:
            rows.update(i for i, v in enumerate(values) if isinstance(v, str) and v in texts)
    return rows


def json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return json_value(value.item())
    return value


def _row_text(record: dict[str, Any]) -> str:
    """One row as `json.dumps` writes it; infinities (and NaN inside a list) as null, as JSON has neither."""
    try:
        return json.dumps(record, default=str, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(record), default=str)


def _float_text(value: float) -> str:
    return float.__repr__(value) if math.isfinite(value) else "null"


_encode_text: Callable[[str], str] = json.encoder.encode_basestring_ascii  # the C one where there is one
_ENCODERS: dict[type, Callable[[Any], str]] = {
    str: _encode_text,
    float: _float_text,
    int: int.__repr__,
    bool: lambda v: "true" if v else "false",
    type(None): lambda v: "null",
}
"""The JSON text of a value of exactly these types, as `json.dumps` writes it (ensure_ascii, NaN as null)."""
_NONE = type(None)
_NUMBERS = frozenset({int, float, _NONE})
_ONE_KIND = frozenset(_ENCODERS)
_DTYPE_KINDS = {"f": frozenset({float}), "i": frozenset({int}), "u": frozenset({int}), "b": frozenset({bool})}


def _types_of(column: Any) -> frozenset[type] | None:
    """The types `tolist` gives of a numpy array of numbers (no need to look at each value); None for
    a list, an object array, or a long double (which `tolist` keeps as numpy scalars)."""
    import numpy as np  # imported with the store already

    if not isinstance(column, np.ndarray) or column.dtype.itemsize > 8:
        return None
    return _DTYPE_KINDS.get(column.dtype.kind)


_PLAIN = bytes(sorted(set(range(0x20, 0x7F)) - set(b'"\\')))
"""The characters JSON writes as they are (`json.dumps` escapes the rest, DEL too)."""
SAMPLE = 64
"""Cells looked at to guess whether a column repeats a few values (a param, a tag, a status)."""


def _column_parts(
    head: str, values: list[Any], slow: set[int], kinds: Set[type] | None
) -> tuple[list[Iterable[str]], str]:
    """What a column adds to each row, and the text that must follow it (the next column's head
    takes it): the head (`, "key": `) and the cells' JSON texts; or, for a few distinct values
    (a param, a tag, a status), the two joined, each value encoded once; or, for text that JSON
    writes as it is (printable ASCII, no quote or backslash: run ids, names), the values
    themselves between a head ending in a quote and a closing quote."""
    kinds = set(map(type, values)) if kinds is None else kinds
    if len(kinds - {_NONE}) <= 1 and kinds <= _ONE_KIND and len(set(values[:SAMPLE])) * 2 <= min(len(values), SAMPLE):
        distinct = dict.fromkeys(values)  # one type (and None): no True == 1 == 1.0 to mix up
        if len(distinct) * 4 <= len(values) and not (float in kinds and 0.0 in distinct):  # 0.0 == -0.0
            texts = dict(zip(distinct, [head + t for t in _encoded(list(distinct), slow, kinds)]))
            return [list(map(texts.__getitem__, values))], ""
    if kinds == {str}:
        joined = "".join(values)
        if joined.isascii() and not joined.encode("ascii").translate(None, _PLAIN):  # isprintable() took 6x longer
            return [repeat(head + '"'), values], '"'
    return [repeat(head), _encoded(values, slow, kinds)], ""


def _encoded(values: list[Any], slow: set[int], kinds: Set[type]) -> list[str]:
    """The JSON text of each value (of the `kinds` given); a value of another type gives "" and its row
    joins `slow`. Numbers are encoded by msgspec in one call (`_numbers`), text by the `json` module's
    C escaper."""
    if kinds <= {str}:
        return list(map(_encode_text, values))
    if kinds <= _NUMBERS:
        return _numbers(values)
    if kinds <= _ONE_KIND:
        encoders = _ENCODERS
        return [encoders[type(v)](v) for v in values]
    texts = []
    for i, value in enumerate(values):
        encode = _ENCODERS.get(type(value))
        if encode is None:
            slow.add(i)
            texts.append("")
        else:
            texts.append(encode(value))
    return texts


def _numbers(values: list[int | float | None]) -> list[str]:
    """The JSON texts of ints, floats and None (NaN and infinities as null), as `json.dumps` writes them.

    msgspec writes a list of numbers at a third of the cost of `float.__repr__` a cell, with the
    same shortest digits; it writes exponents differently (`1e16`, `2.5e-7`, `0.00001` where
    `repr` has `1e+16`, `2.5e-07`, `1e-05`), so those few cells are written by `repr`.
    """
    if not values:
        return []
    data = _MSGSPEC.encode(values)
    text = data.decode("ascii")[1:-1]
    texts = text.split(",")
    for mark in ("e", "0.0000"):  # an exponent; below 1e-4, where repr has one
        cell, counted, found = 0, 0, text.find(mark)
        while found >= 0:
            start = text.rfind(",", 0, found) + 1
            if mark == "e" or text[start:found] in ("", "-"):  # not `10.00001`: repr writes it so too
                cell += text.count(",", counted, start)
                counted = start
                texts[cell] = float.__repr__(values[cell])  # a float: no int or null has either mark
            found = text.find(mark, text.find(",", found) + 1 or len(text))
    return texts


_MSGSPEC = msgspec.json.Encoder()


def _finite(value: Any) -> Any:
    """`value` with every NaN and infinity (in lists and dicts too) as None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    return json_value(value)
