"""One TensorBoard run (a folder of `events.out.tfevents.*` files), read through the `tensorboard` package.

Records are framed here (`EventFileTail`: TFRecord's framing with TensorBoard's CRC-32C), which
keeps its place in the file between calls, stops before a record that is not complete yet (a
live writer's torn last record), reading it whole on the next call, and skips a damaged record
where TensorBoard's own `RawEventFileLoader` stops reading the file; `event_pb2.Event` decodes
each record. So a refresh reads only the bytes appended since the last one. What this module
adds is what TensorBoard's scalar and hparams plugins make of the events:

- scalars: a legacy `simple_value` (TF1, PyTorch's SummaryWriter), or a TF2 rank-0 tensor
  whose tag was first written with the `scalars` plugin's metadata (TF2 writers send the
  metadata with a tag's first value only, so it is remembered per run);
- images: a legacy `Summary.Image` (PyTorch's `add_image`) or a string tensor `[width, height,
  png, ...]` under the `images` plugin (TF2's `tf.summary.image`) is noted by tag, step and where
  its record is; the bytes are read again only when the image is shown (`TbRun.image_bytes`);
- hparams: the `hparams` plugin's session-start info (`hp.hparams`, Keras' callback,
  PyTorch's `add_hparams`) becomes params, its session-end status the run's status;
- the writer's host and pid, from the event file's name (`events.out.tfevents.<time>.<host>.<pid>.<n>`).

The `tensorboard` package is imported only when a run is read (it takes most of a second).
"""

from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass, field
from typing import Any

from store.formats.crc32c import masked_crc32c, masked_crc32c_many
from store.formats.series import PendingPoints, SeriesSet, a_time
from store.formats.wire import tb_scalars

EVENTS_MARK = "tfevents"
"""TensorBoard takes any file whose name holds this for an event file (`io_wrapper.IsSummaryEventsFile`)."""
TB_MODULE = "tensorboard.backend.event_processing.event_file_loader"
_DT_FLOAT, _DT_DOUBLE = 1, 2
_SESSION_STATUS = {1: "finished", 2: "failed", 3: "killed", 4: "running"}
"""hparams `Status`: SUCCESS, FAILURE, ABORTED, RUNNING (0, UNKNOWN, says nothing)."""
_NAME = re.compile(r"^events\.out\.tfevents\.(\d+)\.(.*)$")
_HEAD = struct.Struct("<QI")
_CRC = struct.Struct("<I")
IMAGE_RECORD_CAP = 64 * 1024 * 1024
"""An event holding an image is read again only up to this size (a damaged length must not cost memory)."""
IMAGES_PLUGIN = "images"

ImageRef = tuple[str, int, int, int]
"""Where an image is: (event file name, record offset, index of the summary value, index of the image in it)."""


def is_event_file(name: str) -> bool:
    return EVENTS_MARK in name and not name.startswith(".")


def writer_of(name: str) -> tuple[float | None, str | None, int | None]:
    """(created, host, pid) from an event file's name; a host may hold dots, TF1 names have no pid."""
    match = _NAME.match(name)
    if match is None:
        return None, None, None
    parts = match.group(2).split(".")
    for i in range(len(parts) - 2, 0, -1):
        if parts[i].isdigit() and parts[i + 1].isdigit():
            return float(match.group(1)), ".".join(parts[:i]) or None, int(parts[i])
    host = ".".join(p for p in parts if p not in ("v2", "")) or None
    return float(match.group(1)), host, None


class EventFileTail:
    """One event file read from where the last call stopped: `read_new` returns the records appended since.

    The framing is TFRecord's, as TensorBoard's `PyRecordReader` reads it:

        record := length:uint64 masked-crc32c(length):uint32 data[length] masked-crc32c(data):uint32

    A record cut off at the end of the file is a write still landing: reading stops before it
    and takes it whole next time. A complete record whose data CRC is wrong is skipped and
    counted; TensorBoard's own loader stops at it for good, dropping every later event without
    a word. A length whose CRC is wrong cannot be trusted, so reading resumes at the next
    offset where a length and its CRC agree (counted once).
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.offset = 0
        self.bad_records = 0
        self._lost = False
        """Searching for the next record after a damaged length (so that damage is counted once)."""
        self._heads: dict[int, int] = {}
        """The masked CRC of each record length met: a file's records share a few lengths."""

    def event_at(self, offset: int) -> Any:
        """The event whose record starts at `offset` (one `read_new` gave), read again: how an image's
        bytes are fetched when shown, so a listing never keeps them. ValueError when the record there is
        not whole, is damaged or is larger than IMAGE_RECORD_CAP."""
        from google.protobuf.message import DecodeError
        from tensorboard.compat.proto import event_pb2

        from store import safe_read

        with os.fdopen(safe_read.open_regular(self.path), "rb") as fh:
            fh.seek(offset)
            head = fh.read(_HEAD.size)
            if len(head) < _HEAD.size or masked_crc32c(head[:8]) != _HEAD.unpack(head)[1]:
                raise ValueError(f"no event record at offset {offset} of {os.path.basename(self.path)}")
            length = _HEAD.unpack(head)[0]
            if length > IMAGE_RECORD_CAP:
                raise ValueError(f"the event at offset {offset} is {length} bytes, more than {IMAGE_RECORD_CAP}")
            data = fh.read(length + _CRC.size)
        if len(data) < length + _CRC.size or masked_crc32c(data[:length]) != _CRC.unpack_from(data, length)[0]:
            raise ValueError(f"the event at offset {offset} of {os.path.basename(self.path)} is damaged")
        try:
            return event_pb2.Event.FromString(data[:length])
        except DecodeError:
            raise ValueError(f"the event at offset {offset} of {os.path.basename(self.path)} is damaged") from None

    def read_new(self) -> list[tuple[int, bytes]]:
        """The records appended since the last call, each with its offset in the file (its data CRC checked)."""
        from store import safe_read

        records: list[tuple[int, bytes]] = []
        with os.fdopen(safe_read.open_regular(self.path), "rb") as fh:
            safe_read.take_appended(
                fh, os.fstat(fh.fileno()).st_size, lambda: self.offset, lambda data: self._parse(data, records)
            )
        return records

    def _parse(self, data: bytes, records: list[tuple[int, bytes]]) -> None:
        """Take the complete records of `data` (the file from `self.offset`), moving `offset` past them.

        Each length's CRC is checked as it is met (most records of a file share a few lengths, so
        those CRCs are remembered); the data CRCs of all the records found are checked together
        at the end (`masked_crc32c_many`), as CRC-32C in pure Python costs more than decoding."""
        base, pos, end = self.offset, 0, len(data)
        found: list[tuple[int, bytes]] = []
        stored: list[int] = []
        heads = self._heads
        while end - pos >= _HEAD.size:
            length, length_crc = _HEAD.unpack_from(data, pos)
            good = heads.get(length)
            if good is None:
                good = masked_crc32c(data[pos : pos + 8])
                if good == length_crc:  # only true lengths: garbage would add one entry a byte, kept for good
                    heads[length] = good
            if good != length_crc:
                if not self._lost:
                    self.bad_records += 1
                    self._lost = True
                pos += 1
                continue
            self._lost = False
            stop = pos + _HEAD.size + length + 4
            if stop > end:
                break
            found.append((base + pos, data[pos + _HEAD.size : stop - 4]))
            stored.append(_CRC.unpack_from(data, stop - 4)[0])
            pos = stop
        self.offset = base + pos
        for record, crc, expected in zip(found, masked_crc32c_many([raw for _, raw in found]), stored):
            if crc == expected:
                records.append(record)
            else:
                self.bad_records += 1


@dataclass
class TbRun:
    """What has been read of one run folder so far; `update` reads what its event files gained."""

    path: str
    series: SeriesSet = field(default_factory=SeriesSet)
    params: dict[str, Any] = field(default_factory=dict)
    session_status: str | None = None
    first_time: float | None = None
    last_time: float | None = None
    host: str | None = None
    pid: int | None = None
    files: dict[str, EventFileTail] = field(default_factory=dict)
    plugins: dict[str, str] = field(default_factory=dict)
    images: dict[str, dict[int, ImageRef]] = field(default_factory=dict)
    """Image summaries by tag and step: where each is, its bytes left in the event file."""
    problems: list[str] = field(default_factory=list)

    def update(self) -> None:
        """Read the new events of every event file in the folder, in name (that is, creation) order."""
        from google.protobuf.message import DecodeError
        from tensorboard.compat.proto import event_pb2

        names = sorted(e.name for e in os.scandir(self.path) if is_event_file(e.name) and e.is_file())
        for name in names:
            tail = self.files.get(name)
            if tail is None:
                tail = self.files[name] = EventFileTail(os.path.join(self.path, name))
                created, host, pid = writer_of(name)
                if host is not None:
                    self.host, self.pid = host, pid  # the newest file's writer is the one that may be alive
                if a_time(created) and self.first_time is None:
                    self.first_time = created
            try:
                records = tail.read_new()
            except OSError as exc:
                self.problems.append(f"{name} is unreadable ({str(exc)[:80]})")
                continue
            points = PendingPoints()
            for offset, raw in records:
                scalars = tb_scalars(raw)
                if scalars is None:
                    try:
                        event = event_pb2.Event.FromString(raw)
                    except DecodeError:
                        tail.bad_records += 1
                        continue
                    self._take(event, points, name, offset)
                    continue
                wall, step, values = scalars  # what `_take` makes of such an event, read without the schema
                self._note_time(wall)
                for tag, value in values:
                    points.add(tag, step, wall, value)
            points.flush(self.series)
        bad = sum(t.bad_records for t in self.files.values())
        if bad:
            self.problems = [p for p in self.problems if "damaged event record" not in p]
            self.problems.append(
                f"{bad} damaged event record{'s' if bad > 1 else ''} skipped (the events after "
                f"{'them' if bad > 1 else 'it'} are read)"
            )

    def _take(self, event: Any, points: PendingPoints, name: str = "", offset: int = 0) -> None:
        """Note one event; its scalars go into `points` by tag (added to the series by the caller, in one go)."""
        wall = float(event.wall_time)
        self._note_time(wall)
        if not event.HasField("summary"):
            return
        step = int(event.step)
        for index, value in enumerate(event.summary.value):
            tag = value.tag
            plugin = value.metadata.plugin_data.plugin_name if value.HasField("metadata") else ""
            if plugin:
                self.plugins[tag] = plugin
            else:
                plugin = self.plugins.get(tag, "")
            kind = value.WhichOneof("value")
            if kind == "simple_value" or (kind == "tensor" and plugin == "scalars"):
                number = float(value.simple_value) if kind == "simple_value" else _scalar_of(value.tensor)
                if number is not None:
                    points.add(tag, step, wall, number)
            elif plugin == "hparams":
                self._take_hparams(value.metadata.plugin_data.content)
            elif kind == "image":
                self.images.setdefault(tag, {})[step] = (name, offset, index, 0)
            elif kind == "tensor" and plugin == IMAGES_PLUGIN:
                for sample in range(len(value.tensor.string_val) - 2):  # [width, height, image, ...]
                    key = tag if sample == 0 else f"{tag}/{sample}"
                    self.images.setdefault(key, {})[step] = (name, offset, index, sample)

    def _note_time(self, wall: float) -> None:
        if a_time(wall):
            if self.first_time is None or wall < self.first_time:
                self.first_time = wall
            if self.last_time is None or wall > self.last_time:
                self.last_time = wall

    def image_bytes(self, ref: ImageRef) -> bytes:
        """The encoded image (PNG, as TensorBoard's writers make it) an `images` entry points at; ValueError
        when its record is not what it was (the file was rewritten or damaged since it was read)."""
        name, offset, index, sample = ref
        tail = self.files.get(name) or EventFileTail(os.path.join(self.path, name))
        try:
            value = tail.event_at(offset).summary.value[index]
            if value.WhichOneof("value") == "image":
                return bytes(value.image.encoded_image_string)
            return bytes(value.tensor.string_val[2 + sample])
        except IndexError:
            raise ValueError(f"no image at offset {offset} of {name}") from None

    def _take_hparams(self, content: bytes) -> None:
        from google.protobuf.message import DecodeError
        from tensorboard.plugins.hparams import plugin_data_pb2

        try:
            data = plugin_data_pb2.HParamsPluginData.FromString(content)
        except DecodeError:
            self.problems.append("undecodable hparams record skipped")
            return
        which = data.WhichOneof("data")
        if which == "session_start_info":
            for key, hp in data.session_start_info.hparams.items():
                self.params[key] = _hparam_value(hp)
        elif which == "session_end_info":
            self.session_status = _SESSION_STATUS.get(int(data.session_end_info.status))


def _scalar_of(tensor: Any) -> float | None:
    """The number in a rank-0 tensor proto (TF2's scalar summaries), None for anything else."""
    if tensor.tensor_shape.dim:
        return None
    if tensor.dtype == _DT_FLOAT and len(tensor.float_val) == 1:
        return float(tensor.float_val[0])
    if tensor.dtype == _DT_DOUBLE and len(tensor.double_val) == 1:
        return float(tensor.double_val[0])
    from tensorboard.util import tensor_util

    try:
        array = tensor_util.make_ndarray(tensor)
    except (TypeError, ValueError):
        return None
    if array.size != 1 or array.dtype.kind not in "fiu":
        return None
    return float(array.reshape(()))


def _hparam_value(value: Any) -> Any:
    """A `google.protobuf.Value` of an hparam as a table cell."""
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        number = float(value.number_value)
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind == "string_value":
        return str(value.string_value)
    if kind == "bool_value":
        return bool(value.bool_value)
    return None
