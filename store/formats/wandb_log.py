"""Tailing a W&B run's record log (`run-<id>.wandb`): the record framing, read-only and resumable.

The `.wandb` file is LevelDB's log format with W&B's own header, as W&B's `wandb-core` writes
it (core/pkg/leveldb in the wandb repository) and as the Python SDK's former
`wandb/sdk/internal/datastore.py` read it:

    header := ":W&B" magic:uint16 (0xBEE1) version:uint8 (0)          7 bytes, part of block 0
    block  := chunk* zero-trailer?                                     32 KiB; the file's tail may be short
    chunk  := crc:uint32 length:uint16 type:uint8 payload[length]      little-endian
              crc = CRC-32 (IEEE, zlib's) of the type byte and the payload
              type: 1 FULL, 2 FIRST, 3 MIDDLE, 4 LAST (a record split across blocks)

Each record is one serialized `wandb.proto.wandb_internal_pb2.Record`; decoding those is
left to the protobuf schema the `wandb` package ships (store/formats/wandb_run.py). The wandb SDK
0.31 no longer has a Python reader of this framing (its reader is Go, inside `wandb-core`),
so the framing is read here with `struct` and `zlib`.

A live writer's last record may be torn (header or payload not all written yet): reading
stops before it without complaint and picks it up whole next time, from the offset kept.
A complete chunk whose CRC is wrong is damage: like LevelDB, reading resumes at the next
block, and the number of chunks skipped is counted.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import struct
import sys
import threading
import types
import zlib
from pathlib import Path
from typing import Any

from store import safe_read

IDENT = b":W&B"
MAGIC = 0xBEE1
VERSION = 0
FILE_HEADER = struct.Struct("<4sHB")
CHUNK_HEADER = struct.Struct("<IHB")
BLOCK = 32 * 1024
HEAD = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
_TYPE_CRC = [zlib.crc32(bytes([t])) for t in range(256)]


class WandbLogError(ValueError):
    """Not a W&B record log (wrong header), or one of a version this reader does not know."""


class RecordLog:
    """One `.wandb` file read from where the last call stopped; `read_new` returns the complete records appended.

    `offset` is where the next unread record starts (0 before the header was read).
    `skipped` counts the damaged chunks passed over. A file that shrank was replaced: reading
    starts over and `restarted` is set, so the caller can drop what it parsed before.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.offset = 0
        self.restarted = False
        self.size = 0
        self._damaged: set[int] = set()

    @property
    def skipped(self) -> int:
        return len(self._damaged)

    def read_new(self) -> list[bytes]:
        fd = safe_read.open_regular(self.path)
        with os.fdopen(fd, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size < self.offset:
                self.offset, self.restarted = 0, True
                self._damaged.clear()
            self.size = size
            records: list[bytes] = []
            safe_read.take_appended(fh, size, lambda: self.offset, lambda data: self._parse(data, records))
            return records

    def _parse(self, data: bytes, records: list[bytes]) -> None:
        """Take the complete records of `data` (the file from `self.offset`), moving `offset` past them."""
        start = self.offset
        end = start + len(data)
        pos = start
        if start == 0:
            if len(data) < HEAD:
                return
            ident, magic, version = FILE_HEADER.unpack_from(data, 0)
            if ident != IDENT or magic != MAGIC:
                raise WandbLogError(
                    f"{os.path.basename(self.path)} is damaged: no :W&B header (or not a W&B record log)"
                )
            if version != VERSION:
                raise WandbLogError(
                    f"{os.path.basename(self.path)} is a W&B record log of version {version}, "
                    f"which this reader does not know (it reads version {VERSION})"
                )
            pos = self.offset = HEAD
        pending: list[bytes] | None = None
        unpack, crc32, full_crc, take = CHUNK_HEADER.unpack_from, zlib.crc32, _TYPE_CRC[FULL], records.append
        while True:
            at, taken = pos - start, pos
            limit = min(end, pos + BLOCK - pos % BLOCK) - start  # the block's end, or the data's, in `data`
            while at + HEAD <= limit:  # most chunks: a whole record inside its block, here, its CRC right
                crc, length, kind = unpack(data, at)
                stop = at + HEAD + length
                if kind != FULL or stop > limit:
                    break
                payload = data[at + HEAD : stop]
                if crc32(payload, full_crc) != crc:
                    break
                take(payload)
                at = stop
            pos = start + at
            if pos != taken:
                pending = None
                self.offset = pos
            left = BLOCK - pos % BLOCK
            at = pos - start
            crc = length = kind = 0
            if left >= HEAD:
                if end - pos < HEAD:
                    return
                crc, length, kind = CHUNK_HEADER.unpack_from(data, at)
            if left < HEAD or crc == length == kind == 0:  # a block's zero trailer, or zeros to its end
                if end - pos < left:
                    return
                pos += left
                if pending is None:
                    self.offset = pos
                continue
            if length > left - HEAD or kind not in (FULL, FIRST, MIDDLE, LAST):
                pos = self._skip(pos, end)
                pending = None
                if pos < 0:
                    return
                continue
            if end - pos < HEAD + length:
                return  # torn: the payload is not all there yet
            payload = data[at + HEAD : at + HEAD + length]
            if zlib.crc32(payload, _TYPE_CRC[kind]) != crc:
                if end - pos == HEAD + length:
                    return  # the last bytes of the file: a write still landing, or a torn tail
                pos = self._skip(pos, end)
                pending = None
                if pos < 0:
                    return
                continue
            pos += HEAD + length
            if kind == FULL:
                records.append(payload)
                pending = None
                self.offset = pos
            elif kind == FIRST:
                pending = [payload]
            elif pending is not None:
                pending.append(payload)
                if kind == LAST:
                    records.append(b"".join(pending))
                    pending = None
                    self.offset = pos
            else:  # a MIDDLE or LAST without its FIRST (after a skip): not a record
                self.offset = pos

    def _skip(self, pos: int, end: int) -> int:
        """Count a damaged chunk and move to the next block, LevelDB's recovery; -1 when that is past `end`."""
        self._damaged.add(pos)
        nxt = pos + (BLOCK - pos % BLOCK)
        if nxt > end:
            return -1
        self.offset = nxt
        return nxt


RECORD_MODULE = "wandb.proto.wandb_internal_pb2"
_schema: list[Any] = []
_schema_lock = threading.Lock()


def record_schema() -> Any:
    """The `wandb_internal_pb2` module (the `Record` message), loaded once without running `wandb/__init__.py`.

    Importing `wandb` imports its whole SDK (pydantic, numpy, ...): 0.4 s on a quiet machine, more
    than the rest of tracktui's start, for a schema of a few generated modules (0.03 s). Unless the
    SDK is already imported, `wandb` and `wandb.proto` stand in as bare packages while those modules
    load, and every module loaded under them is taken out of `sys.modules` again, so a later
    `import wandb` (a script's, a test's) loads the real SDK as if this never ran; protobuf gives it
    the message classes registered here. (Another thread importing `wandb` during those 0.03 s would
    get a stand-in: the app's threads load the schema only through here.) ImportError when `wandb`
    is not installed.
    """
    with _schema_lock:
        if not _schema:
            _schema.append(_load_schema())
        return _schema[0]


def _load_schema() -> Any:
    root = None if "wandb" in sys.modules else _installed_at()
    if root is None:
        return importlib.import_module(RECORD_MODULE)
    before = set(sys.modules)
    for name, path in (("wandb", root), ("wandb.proto", root / "proto")):
        stand_in = types.ModuleType(name)
        stand_in.__path__ = [str(path)]
        sys.modules[name] = stand_in
    try:
        return importlib.import_module(RECORD_MODULE)
    finally:
        for name in [n for n in sys.modules if n not in before and n.split(".")[0] == "wandb"]:
            del sys.modules[name]


def _installed_at() -> Path | None:
    """The folder of the installed `wandb` package (found, not imported), or None."""
    try:
        spec = importlib.util.find_spec("wandb")
    except (ImportError, ValueError):
        return None
    return Path(spec.origin).parent if spec is not None and spec.origin else None
