"""The index file of a `ColumnTable` (store/ours/column_index.py): saved as one `.npz`, loaded within bounds, checked.

On disk (`.tracktui-index.npz`, an uncompressed `np.savez` of a few 2-D blocks, read with `allow_pickle=False`):
a base file holding every run, and a small journal (`.tracktui-index.journal.npz`) of the
runs changed or removed since, so a live store appends to the journal and rewrites the base
only when the journal has grown to an eighth of it. Both are written to a temporary and
renamed, and neither is trusted: every array's shape, dtype and codes are checked on load,
and anything wrong discards that file (its runs are then read from their folders again).
Deleting either never changes an answer.
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Callable, Iterable
from typing import IO, Any

from store import safe_read
from store.ours.column_index import FLOAT_FIELDS, INDEX_STATS, INT_FIELDS, PRESENT, STRING_FIELDS, ColumnTable
from store.ours.column_values import BIG, BOOL, FLOAT, INT, NONE, STR, ValueColumn

__all__ = ["COLUMN_INDEX_VERSION", "load_table", "save_table", "saved_meta", "unsound_rows"]

COLUMN_INDEX_VERSION = 4
"""3: columns packed into a few 2-D arrays (`kinds`, `f`, `i`, `s`, `floats`, `stats`, `present`);
4: a run's `last_logged`, `log_interval` and `nonfinite` (`store.frame.log_facts`)."""


def save_table(table: ColumnTable, path: str, kind: str, removed: Iterable[str] = (), mode: int = 0o666) -> None:
    """Write the table (and, for a journal, the units it removes) as one `.npz`, atomically; `mode`
    before the umask (0o600 for a copy of someone else's data)."""
    tmp = f"{os.path.dirname(path)}/.{os.path.basename(path)}.{os.getpid()}.tmp"
    try:
        with open(tmp, "wb", opener=lambda name, flags: os.open(name, flags, mode)) as fh:
            if mode != 0o666:
                os.fchmod(fh.fileno(), mode)  # a temporary a killed save left keeps its own mode
            write_table(table, fh, kind, removed)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_table(table: ColumnTable, fh: IO[bytes], kind: str, removed: Iterable[str] = ()) -> None:
    """`save_table` into an open file (a journal child writes its table into a file its parent reads:
    store/ours/journal_half.py)."""
    import numpy as np

    n = len(table)
    columns: list[dict[str, Any]] = []
    blocks: dict[str, list[Any]] = {"f": [], "i": [], "s": []}
    for name, whole in table.values.items():
        col = whole.compacted()
        spec: dict[str, Any] = {"name": name, "vocab": col.vocab}
        for part, block in blocks.items():
            array = getattr(col, part)
            spec[part] = None if array is None else len(block)
            if array is not None:
                block.append(array)
        columns.append(spec)
    metrics = list(table.stats)
    # A few 2-D blocks, not an array a column: loading an npz member costs ~1 ms of zip and header work.
    # Each block is made as it is written (`_write_npz`): at 100,000 runs they are ~25 MB together.
    arrays: dict[str, Callable[[], Any]] = {
        "sig": lambda: table.sig,
        "read_at": lambda: table.read_at,
        "kinds": lambda: _stack([c.kind for c in table.values.values()], np.int8, n),
        "f": lambda: _stack(blocks["f"], np.float64, n),
        "i": lambda: _stack(blocks["i"], np.int64, n),
        "s": lambda: _stack(blocks["s"], np.int32, n),
        "floats": lambda: _stack([table.floats.get(f, np.full(n, np.nan)) for f in FLOAT_FIELDS], np.float64, n),
        "stats": lambda: _stack([table.stats[k][s] for k in metrics for s in INDEX_STATS], np.float64, n),
        "present": lambda: _stack([table.stats[k][PRESENT] for k in metrics], bool, n),
    }
    head = {
        "version": COLUMN_INDEX_VERSION,
        "kind": kind,
        "units": table.units,
        "values": columns,
        "metrics": metrics,
        "removed": sorted(removed),
        "meta": table.meta,
    }
    text = _head_text(head)
    arrays["head"] = lambda: np.frombuffer(text, dtype=np.uint8)
    _write_npz(fh, arrays)


def _write_npz(fh: IO[bytes], arrays: dict[str, Callable[[], Any]]) -> None:
    """The file `np.savez(fh, **arrays)` writes (each member stored, as `name.npy`), each array made only when
    it is written and dropped after: `np.savez` holds them all at once. Each array's bytes are written from
    the array itself (`np.save` into a zip member writes a copy of them: the signatures, 11 MB at 100,000 runs)."""
    import numpy as np

    fmt = np.lib.format
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, make in arrays.items():
            array = np.ascontiguousarray(make())
            with zf.open(f"{name}.npy", "w", force_zip64=True) as member:
                fmt.write_array_header_1_0(member, fmt.header_data_from_array_1_0(array))
                member.write(array.reshape(-1).view(np.uint8).data)


def _head_text(head: dict[str, Any]) -> bytes:
    """The head as compact JSON bytes, by msgspec (one copy of ~8 MB at 100,000 runs, where `json.dumps(...).encode()`
    held a text and its bytes); by json where msgspec refuses (a lone surrogate in a name)."""
    import msgspec

    try:
        return msgspec.json.encode(head)
    except (TypeError, ValueError, OverflowError):
        return json.dumps(head, separators=(",", ":")).encode()


def load_table(path: str, kind: str, width: int) -> tuple[ColumnTable, list[str]] | None:
    """The table in `path` and the units it removes; None when missing, of another version, or not sound.

    The file is a cache anyone could have replaced, so it is read within bounds before anything is
    decoded: members stored, not compressed (`np.savez` never compresses, and a 2 MB compressed
    member can expand to gigabytes), and each no larger than the run count it claims allows
    (see `_read_arrays`). Anything else is refused, and the caller rebuilds the index.
    """
    try:
        with os.fdopen(safe_read.open_regular(path), "rb") as fh:
            return read_table(fh, kind, width)
    except OSError:
        return None  # UnsafeFileError is an OSError


def read_table(fh: IO[bytes], kind: str, width: int) -> tuple[ColumnTable, list[str]] | None:
    """`load_table` from an open file (what `write_table` wrote)."""
    try:
        with zipfile.ZipFile(fh) as zf:
            head, arrays = _read_arrays(zf, width)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError, MemoryError):
        return None  # a deeply nested head is a ValueError
    try:
        if head.get("version") != COLUMN_INDEX_VERSION or head.get("kind") != kind:
            return None
        table = _checked(arrays, head, width)
        meta = head.get("meta")
        table.meta = meta if isinstance(meta, dict) else {}
        return table, head["removed"]
    except (KeyError, TypeError, ValueError, AttributeError, IndexError):
        return None


def _checked(arrays: dict[str, Any], head: dict[str, Any], width: int) -> ColumnTable:  # noqa: C901 - one check a part of the file, in the order they are read
    """The table the arrays hold; ValueError when anything is not as `save_table` wrote it."""
    import numpy as np

    units = head["units"]
    n = len(units)
    if not set(map(type, units)) <= _STR or len(set(units)) != n:
        raise ValueError("units")
    if not set(map(type, head["removed"])) <= _STR:
        raise ValueError("removed")

    def array(name: str, dtype: Any, shape: tuple[int, ...] = (n,)) -> Any:
        a = arrays[name]
        if a.dtype != np.dtype(dtype) or a.shape != shape:
            raise ValueError(name)
        return a

    sig, read_at = array("sig", np.int64, (n, width)), array("read_at", np.float64)
    specs, metrics = head["values"], head["metrics"]
    kinds = array("kinds", np.int8, (len(specs), n))
    if kinds.size and (kinds.min() < NONE or kinds.max() > BIG):
        raise ValueError("kind")
    blocks = {p: arrays[p] for p in ("f", "i", "s")}
    for p, dtype in (("f", np.float64), ("i", np.int64), ("s", np.int32)):
        used = sorted(spec[p] for spec in specs if spec[p] is not None)
        if not all(type(u) is int for u in used):
            raise ValueError(f"{p} rows")
        array(p, dtype, (len(used), n))
        if used != list(range(len(used))):
            raise ValueError(f"{p} rows")
    values: dict[str, ValueColumn] = {}
    for j, spec in enumerate(specs):
        name, vocab = spec["name"], spec["vocab"]
        if type(name) is not str or name in values:
            raise ValueError("column name")
        got = {p: blocks[p][spec[p]] for p in ("f", "i", "s") if spec[p] is not None}
        kind = kinds[j]
        if "s" in got:
            if not isinstance(vocab, list) or not set(map(type, vocab)) <= _STR:
                raise ValueError("vocab")
            used = got["s"][(kind == STR) | (kind == BIG)]
            if len(used) and (used.min() < 0 or used.max() >= len(vocab)):
                raise ValueError("codes")
            if any(not vocab[c].lstrip("-").isdigit() for c in set(got["s"][kind == BIG].tolist())):
                raise ValueError("big int")
        for p, k in (("s", (STR, BIG)), ("f", (FLOAT,)), ("i", (INT, BOOL))):
            if p not in got and np.isin(kind, k).any():
                raise ValueError("missing part")
        values[name] = ValueColumn(kind, got.get("f"), got.get("i"), got.get("s"), vocab if "s" in got else None)
    if any(f not in values for f in (*STRING_FIELDS, *INT_FIELDS)):
        raise ValueError("fields")
    packed = array("floats", np.float64, (len(FLOAT_FIELDS), n))
    floats = dict(zip(FLOAT_FIELDS, packed))
    if not all(type(k) is str for k in metrics) or len(set(metrics)) != len(metrics):
        raise ValueError("metrics")
    figures = array("stats", np.float64, (len(INDEX_STATS) * len(metrics), n))
    present = array("present", bool, (len(metrics), n))
    stats = {
        k: {**{s: figures[len(INDEX_STATS) * j + i] for i, s in enumerate(INDEX_STATS)}, PRESENT: present[j]}
        for j, k in enumerate(metrics)
    }
    table = ColumnTable(units, sig, read_at, values, floats, stats)
    bad = unsound_rows(table)
    return table.take(np.flatnonzero(~bad)) if bad.any() else table


_STR = frozenset({str})


def unsound_rows(table: ColumnTable) -> Any:
    """Rows whose values a reader could not have written (a tampered file): they are read again."""
    import numpy as np

    bad = np.zeros(len(table), dtype=bool)
    for f in ("run_id", "experiment", "name", "status"):
        bad |= table.values[f].kind != STR
    for f in ("reason", "parent"):
        bad |= ~np.isin(table.values[f].kind, (NONE, STR))
    for f in INT_FIELDS:
        bad |= ~np.isin(table.values[f].kind, (NONE, INT))
    for name, col in table.values.items():
        if name.startswith(("tags.", "inputs.")):
            bad |= ~np.isin(col.kind, (NONE, STR))
    for a in table.floats.values():
        bad |= ~(np.isnan(a) | (np.abs(a) < 1e13))
    return bad | ~np.isfinite(table.read_at)


HEAD_BASE_BYTES = 16 * 1024 * 1024
HEAD_BYTES_PER_RUN = 16 * 1024
"""The JSON head holds a run's unit, ids, names and distinct param texts: a few hundred bytes in practice."""
ARRAY_NAMES = ("sig", "read_at", "kinds", "f", "i", "s", "floats", "stats", "present")


def _read_arrays(zf: zipfile.ZipFile, width: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The head and the arrays of an index file, every member's size checked before it is read.

    The run count is first taken from the declared size of `read_at` (one float64 a run); the
    head may hold HEAD_BYTES_PER_RUN a run, and no array more than `n` rows of the widest block
    the head describes. ValueError for anything bigger, compressed or not an array of plain numbers.
    """
    infos = safe_read.stored_members(zf)
    head = _read_head(zf, infos)
    n = len(head["units"])
    rows = max(width, len(head["values"]), 3 * len(head["metrics"]), len(FLOAT_FIELDS), 1)
    cap = rows * max(n, 1) * 8
    return head, {name: safe_read.read_npy(zf, infos[f"{name}.npy"], cap) for name in ARRAY_NAMES}


def _read_head(zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo]) -> dict[str, Any]:
    """The head of an index file, no larger than HEAD_BYTES_PER_RUN a run of the size `read_at` declares."""
    runs = infos["read_at.npy"].file_size // 8
    text = safe_read.read_npy(zf, infos["head.npy"], HEAD_BASE_BYTES + HEAD_BYTES_PER_RUN * runs).tobytes()
    head = _parse_head(text)
    if (
        not isinstance(head, dict)
        or not isinstance(head.get("values"), list)
        or not isinstance(head.get("metrics"), list)
        or not isinstance(head.get("units"), list)
    ):
        raise ValueError("head")
    return head


def _parse_head(text: bytes) -> Any:
    """`json.loads(text)`, by msgspec where it can (a third of the time: the head holds every run's
    unit and vocabulary texts); by json where msgspec refuses (NaN, a lone surrogate, deep nesting),
    which gives ValueError for nesting too deep. `_checked` checks the shape."""
    import msgspec

    try:
        return msgspec.json.decode(text)
    except (msgspec.DecodeError, RecursionError):
        return safe_read.loads_json(text, depth=None)


def saved_meta(path: str) -> dict[str, Any]:
    """The `meta` of the table saved at `path`, its rows left unread (what a cache's state says costs no
    load of the cache); {} when the file cannot be read within `load_table`'s bounds."""
    try:
        with os.fdopen(safe_read.open_regular(path), "rb") as fh, zipfile.ZipFile(fh) as zf:
            meta = _read_head(zf, safe_read.stored_members(zf)).get("meta")
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError, MemoryError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _stack(rows: list[Any], dtype: Any, n: int) -> Any:
    """Equal-length 1-D arrays as the rows of one 2-D array (`(0, n)` for none)."""
    import numpy as np

    return np.stack(rows).astype(dtype, copy=False) if rows else np.zeros((0, n), dtype=dtype)
