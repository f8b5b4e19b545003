"""Reading files a store holds without trusting them: regular files only, bounded, never blocking.

A store is written by other programs and copied around by people, so anything can sit where
a run file should be: a FIFO (opening it for reading waits for a writer forever), a symlink
to `/dev/zero` (reading it never ends), a folder, a 10 GB file, JSON nested ten thousand
levels deep, YAML whose aliases expand to gigabytes. Every reader goes through here, and
each of those comes back as an `UnsafeFileError` (an `OSError`, so callers that already
turn `OSError` into "this run is damaged" need nothing new) or a `ValueError`.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    import zipfile

SMALL_FILE_CAP = 16 * 1024 * 1024
"""meta/params/tags/summary: a large config is a few hundred kB; past this it is not ours."""
YAML_CAP = 1024 * 1024
"""An MLflow meta.yaml is under 1 kB."""
MAX_DEPTH = 100
"""Nesting a reader accepts in JSON or YAML; deeper is damage (and would exhaust the stack)."""
NPY_HEADER_BYTES = 65536
"""Room for a `.npy` member's header beside its data (numpy's own limit is 10,000 bytes)."""
READ_CHUNK = 1 << 20
MAX_EXPANDED_NODES = 100_000
"""Values a YAML document may expand to through its aliases."""

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)


class UnsafeFileError(OSError):
    """Something other than a readable regular file of a sane size."""


def kind_of_mode(mode: int) -> str:
    """What a file that is not a regular one is, for a message (`a FIFO`, `a device`, ...)."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def open_regular(path: str | os.PathLike[str]) -> int:
    """A file descriptor of `path` if it is a regular file (symlinks to one are fine), else UnsafeFileError.

    The file is stat'ed before it is opened, so a device or FIFO is never opened at all, and
    fstat'ed after (O_NONBLOCK: were it swapped for a FIFO in between, the open does not wait).
    """
    st = os.stat(path)
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeFileError(f"{os.path.basename(path)} is {kind_of_mode(st.st_mode)}, not a regular file")
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFileError(f"{os.path.basename(path)} is {kind_of_mode(st.st_mode)}, not a regular file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bytes(path: str | os.PathLike[str], cap: int | None = SMALL_FILE_CAP) -> bytes:
    """The whole of a regular file, at most `cap` bytes (None: no cap, for metric histories)."""
    fd = open_regular(path)
    with os.fdopen(fd, "rb") as fh:
        if cap is None:
            return fh.read()
        if os.fstat(fd).st_size > cap:  # refused unread (a 1 GB sparse file costs nothing)
            raise UnsafeFileError(f"{os.path.basename(path)} is larger than {cap // 1024} kB")
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise UnsafeFileError(f"{os.path.basename(path)} is larger than {cap // 1024} kB")
    return data


def read_listed(path: str, cap: int = SMALL_FILE_CAP) -> tuple[bytes, os.stat_result]:
    """`read_bytes` of a file that a directory listing just showed as a regular file (not a symlink),
    with its `fstat`.

    The stat before opening is left out (a cold listing reads 40,000 such files; each syscall
    counts): the listing already said what the file is, O_NONBLOCK keeps an open of a FIFO
    swapped in meanwhile from waiting, and the fstat after opening refuses anything but a
    regular file, as `open_regular` does.
    """
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFileError(f"{os.path.basename(path)} is {kind_of_mode(st.st_mode)}, not a regular file")
        if st.st_size > cap:
            raise UnsafeFileError(f"{os.path.basename(path)} is larger than {cap // 1024} kB")
        parts = [os.read(fd, st.st_size + 1)]
        total = len(parts[0])
        while parts[-1] and total != st.st_size:  # a short read, or a file grown since the fstat: to its end
            parts.append(os.read(fd, READ_CHUNK))
            total += len(parts[-1])
            if total > cap:
                raise UnsafeFileError(f"{os.path.basename(path)} is larger than {cap // 1024} kB")
    finally:
        os.close(fd)
    return parts[0] if len(parts) == 1 else b"".join(parts), st


def read_text(path: str | os.PathLike[str], cap: int | None = SMALL_FILE_CAP, errors: str = "strict") -> str:
    return read_bytes(path, cap).decode("utf-8", errors=errors)


def describe(exc: BaseException) -> str:
    """Why a file could not be read, in one line of plain words for a run's reason: no Python type
    names or reprs, no path (the caller names the file), no control characters, at most 120 characters."""
    if isinstance(exc, UnsafeFileError):  # "<name> is a FIFO, ...": the caller names the file
        _name, sep, rest = str(exc).partition(" is ")
        text = f"it is {rest}" if sep else str(exc)
    elif not isinstance(exc, (OSError, UnicodeDecodeError, json.JSONDecodeError)):
        text = str(exc).splitlines()[0] if str(exc).strip() else "it could not be read"
    elif isinstance(exc, OSError):
        text = (exc.strerror or "it could not be read").lower()
    elif isinstance(exc, UnicodeDecodeError):
        text = f"not UTF-8 text (byte {exc.start})"
    else:
        text = f"not valid JSON ({exc.msg}, line {exc.lineno} column {exc.colno})"
    if isinstance(exc, RecursionError):
        text = f"nested deeper than {MAX_DEPTH} levels"
    return "".join(c if c.isprintable() else "?" for c in text)[:120]


def check_depth(value: Any, limit: int = MAX_DEPTH) -> None:
    """ValueError when `value` nests lists/dicts deeper than `limit` (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth > limit:
            raise ValueError(f"nested deeper than {limit} levels")
        for child in children:
            if isinstance(child, (dict, list, tuple)):
                stack.append((child, depth + 1))


def loads_json(text: str | bytes, depth: int | None = MAX_DEPTH) -> Any:
    """`json.loads` that turns too-deep nesting into ValueError instead of RecursionError.

    `depth=None` skips the depth walk (the caller checks the shape itself, as the index does).
    """
    try:
        data = json.loads(text)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    if depth is not None and isinstance(data, (dict, list)) and _brackets(text) > depth:
        check_depth(data, depth)  # fewer brackets than `depth` cannot nest deeper: no walk needed
    return data


def _brackets(text: str | bytes) -> int:
    """How many `{` and `[` a document holds (inside strings too): a bound on its nesting, counted in C."""
    if isinstance(text, str):
        return text.count("{") + text.count("[")
    return text.count(b"{") + text.count(b"[")


def read_json(path: str | os.PathLike[str], cap: int | None = SMALL_FILE_CAP, depth: int | None = MAX_DEPTH) -> Any:
    return loads_json(read_bytes(path, cap), depth)


def load_yaml(text: str, loader: Any) -> Any:
    """YAML with bounded work: bounded size (the caller's cap), depth, and alias expansion.

    A safe loader shares aliased nodes instead of copying them, but anything that walks the
    result afterwards (str(), comparing, JSON) expands them: 9 levels of 9 aliases is 387
    million leaves. So a document with aliases is measured as if expanded, without expanding.
    """
    import yaml

    try:
        data = yaml.load(text, Loader=loader)
    except RecursionError:
        raise ValueError(f"nested deeper than {MAX_DEPTH} levels") from None
    if isinstance(data, (dict, list)):
        size, depth = expanded_size(data)
        if depth > MAX_DEPTH:
            raise ValueError(f"nested deeper than {MAX_DEPTH} levels")
        if size > MAX_EXPANDED_NODES:
            raise ValueError(f"expands to over {MAX_EXPANDED_NODES} values (YAML aliases); MLflow writes none")
    return data


def expanded_size(value: Any) -> tuple[int, int]:
    """(values counted as if every alias were copied, nesting depth), in time linear in the distinct nodes."""
    memo: dict[int, tuple[int, int]] = {}
    visiting: set[int] = set()
    stack: list[tuple[Any, bool]] = [(value, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in memo or (not done and id(node) in visiting):
            continue
        visiting.add(id(node))
        children = list(node.values()) + list(node.keys()) if isinstance(node, dict) else list(node)
        inner = [c for c in children if isinstance(c, (dict, list))]
        if not done:
            stack.append((node, True))
            stack.extend((c, False) for c in inner if id(c) not in memo)
            if len(stack) > 10 * MAX_EXPANDED_NODES:
                return MAX_EXPANDED_NODES + 1, 0
            continue
        size = len(children) + 1 - len(inner)
        depth = 1
        for c in inner:
            c_size, c_depth = memo.get(id(c), (1, 1))  # a cycle: counted once
            size += c_size
            depth = max(depth, c_depth + 1)
        memo[id(node)] = (min(size, 2**62), depth)
    return memo[id(value)]


def stored_members(zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The members of a zip by name, if none is compressed (else ValueError).

    `np.savez` stores; a compressed member of 2 MB can inflate to gigabytes, and a stored one
    costs no more to read than the file's own size on disk.
    """
    from zipfile import ZIP_STORED  # imported when an index is read, not with every store module

    infos = {info.filename: info for info in zf.infolist()}
    for info in infos.values():
        if info.compress_type != ZIP_STORED or info.file_size != info.compress_size:
            raise ValueError(f"{info.filename} is compressed; tracktui never writes that")
    return infos


def read_npy(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> Any:
    """One `.npy` member, refused (ValueError) when it declares more than `cap` bytes of data or a
    dtype that is not plain numbers; read into an array of exactly its declared size."""
    import numpy as np

    if info.file_size > cap + NPY_HEADER_BYTES:
        raise ValueError(f"{info.filename} is larger than {cap // 1024} kB")
    with zf.open(info) as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise ValueError(f"{info.filename}: .npy version {version}")
        count = 1
        for dim in shape:
            count *= int(dim)
        if dtype.hasobject or dtype.kind not in "biuf" or fortran or count * dtype.itemsize > cap:
            raise ValueError(f"{info.filename} is not an array of plain numbers within the cap")
        data = np.empty(count * dtype.itemsize, dtype=np.uint8)
        view, done = data.data, 0
        while done < len(data):  # in chunks: one read of the whole member costs a second copy of it
            chunk = fh.read(min(READ_CHUNK, len(data) - done))
            if not chunk:
                raise ValueError(f"{info.filename} is cut short")
            view[done : done + len(chunk)] = chunk
            done += len(chunk)
    return data.view(dtype).reshape(shape)


def is_regular(path: str | os.PathLike[str]) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


APPEND_CHUNK = 4 * 1024 * 1024
"""The first read of a tailed record log (W&B, TensorBoard); doubled while one record is larger."""


def take_appended(fh: BinaryIO, size: int, offset: Callable[[], int], take: Callable[[bytes], None]) -> None:
    """Feed `take` the bytes of `fh` from `offset()` (which `take` moves past the complete records it
    took) until `size`: a torn last record waits for the next call, and one record larger than a
    read doubles the read (a record log's reader, not a tail of lines)."""
    chunk = APPEND_CHUNK
    while (before := offset()) < size:
        fh.seek(before)
        data = fh.read(min(chunk, size - before))  # not `chunk`: a read allocates all it may be given
        take(data)
        if offset() == before:
            if len(data) < chunk:
                break  # a record still being written: complete it next time
            chunk *= 2
