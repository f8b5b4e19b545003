"""Protobuf's wire format read by hand, for the record shapes a first listing meets by the hundred thousand.

A first open of 1,000 W&B runs decodes 600,000 records. The protobuf runtime parses each in C,
but reading their fields back through its Python objects costs about half a microsecond a
field, most of the listing's CPU. A W&B history or summary record is a list of `(key,
value_json)` items, which `wandb_items` reads straight from the bytes; a TensorBoard scalar
event is a time, a step and `(tag, simple_value)` pairs, which `tb_scalars` reads.

`wandb_records` reads a log's records so, taking a summary record that repeats the next history
row (as wandb-core writes every row) from that row's items, once the bytes show they are the same.

Each reads only the plain shape (the fields named below, each once where the schema has it
once, text that is UTF-8) and returns None for anything else: an unknown field, a length
that runs past its message, a field of another wire type, the typed values of an old
`HistoryItem`. The caller then decodes that record with the real schema, so the fast path
is either exactly what the schema gives or not taken (tests/test_wire.py compares the two
on every record of the real tools' logs).

    Record        num = 1 (varint); history = 2, summary = 3 (one of them); anything else: None
    HistoryRecord item = 1 (repeated HistoryItem); step = 2 (HistoryStep: num = 1, varint)
    SummaryRecord update = 1 (repeated SummaryItem)
    *Item         key = 1; nested_key = 2 (repeated); value_json = 16   (all strings)

    Event         wall_time = 1 (double); step = 2 (varint); summary = 5; anything else: None
    Summary       value = 1 (repeated Value)
    Value         tag = 1 (string); simple_value = 2 (float)   (only these two, both there)
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

HISTORY = 2
SUMMARY = 3
"""`Record` field numbers (wandb/proto/wandb_internal.proto)."""

WandbItems = tuple[int, list[str], int]
REPEATS = 256
"""Summary records up to this size (from their field) are looked up in `seen` before they are parsed."""
_UINT64 = (1 << 64) - 1
_DOUBLE = struct.Struct("<d")
_FLOAT = struct.Struct("<f")


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """(value, next position) of the varint at `pos`; ValueError past the data or past 10 bytes."""
    value = shift = 0
    while True:
        byte = data[pos]  # IndexError past the end: turned into None by the callers
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value & _UINT64, pos  # a tenth byte past 1 overflows: the schema drops the bits, as here
        shift += 7
        if shift >= 70:
            raise ValueError("varint longer than 10 bytes")


def wandb_items(
    payload: bytes, seen: dict[bytes, WandbItems] | None = None, fields: list[int] | None = None
) -> WandbItems | None:
    """(HISTORY or SUMMARY, keys and values alternating `[key, value_json, key, value_json, ...]` in
    the record's order, the history step: 0 when the record holds none, as the schema reads it) of a
    record in the plain shape; None for any other record (see the module's text).

    A key is W&B's: the item's `key`, else its `nested_key` parts joined with dots (`_key` in
    wandb_run.py). The text of a whole record is decoded in one call: parts joined by a NUL, which
    cannot end a UTF-8 sequence, so the joined bytes are UTF-8 exactly when every part is.

    `seen` (the caller's, for one batch of records) keeps what short summary records gave by their
    bytes after `num`: wandb-core writes `_wandb.runtime` (whole seconds) with every row, the same
    record many times a second. The lists it returns are shared: not to be changed. `fields` (a history's
    reader's) gets where each field of the record's body starts, its items' and its step's."""
    try:
        pos = 0  # where the record's body field starts
        if payload[0] == 0x08:  # num
            pos = 1
            while payload[pos] & 0x80:
                pos += 1
            if pos > 10:
                return None  # a varint longer than 10 bytes, which the schema refuses
            pos += 1
        kind = payload[pos]
        if kind != 0x12 and kind != 0x1A:  # field 2 or 3, length-delimited
            return None
        if seen is None or kind != 0x1A or len(payload) - pos > REPEATS:
            return _items(payload, pos, [] if fields is None else fields)
        body = payload[pos:]
        found = seen.get(body)
        if found is None:
            found = _items(payload, pos, [])
            if found is not None:
                seen[body] = found
        return found
    except (IndexError, ValueError):  # UnicodeDecodeError is a ValueError: text that is not UTF-8
        return None


def wandb_records(payloads: list[bytes]) -> Iterator[WandbItems | None]:
    """`wandb_items` of each record in turn (one `seen` for them all), a summary record that repeats the
    next record's history row read from that row.

    wandb-core writes each `wandb.log` row twice: as a summary record, then as the history record,
    the same items in the order of a Go map walked from another start (the history's items, rotated).
    Such a summary's items are taken from the history's when its bytes are those of the history's
    items rotated at an item's start (`_rotation`): the same bytes, so what the schema reads in them
    is the same. Anything else is read by `wandb_items`. One record at a time: what a log of a
    million records reads is not all held at once."""
    seen: dict[bytes, WandbItems] = {}
    ahead: tuple[WandbItems | None] | None = None  # the next record's, read already
    last = len(payloads) - 1
    for index, payload in enumerate(payloads):
        if ahead is not None:
            yield ahead[0]
            ahead = None
            continue
        start = _summary_start(payload) if index < last and _field_at(payloads[index + 1]) == 0x12 else None
        if start is not None:
            fields: list[int] = []
            history = wandb_items(payloads[index + 1], seen, fields)
            ahead = (history,)
            if history is not None and history[0] == HISTORY:
                text = _rotation(payload, start, payloads[index + 1], history[1], fields)
                if text is not None:
                    yield SUMMARY, text, 0
                    continue
        yield wandb_items(payload, seen)


def _field_at(payload: bytes) -> int:
    """The tag of the field after `num` (a summary's 0x1A, a history's 0x12); 0 when there is none."""
    try:
        if payload[0] != 0x08:
            return payload[0]
        pos = 1
        while payload[pos] & 0x80:
            pos += 1
        return payload[pos + 1]
    except IndexError:
        return 0


def _summary_start(payload: bytes) -> int | None:
    """Where the items of a summary record start (its `summary` field running to its end); None for
    any other record."""
    try:
        pos = 0
        if payload[0] == 0x08:  # num
            pos = 1
            while payload[pos] & 0x80:
                pos += 1
            if pos > 10:
                return None
            pos += 1
        if payload[pos] != 0x1A:
            return None
        length = payload[pos + 1]
        if length < 0x80:
            pos += 2
        elif payload[pos + 2] < 0x80:
            length, pos = (length & 0x7F) | (payload[pos + 2] << 7), pos + 3
        else:
            return None
        return pos if pos + length == len(payload) else None
    except IndexError:
        return None


def _rotation(summary: bytes, start: int, history: bytes, text: list[str], fields: list[int]) -> list[str] | None:
    """The keys and values of the summary record whose items start at `start`, when its items are the
    history record's (whose `wandb_items` text is `text`, `fields` where its body's fields start) rotated:
    None otherwise.

    The history's step must be its last field (as wandb-core writes it), so its items are the bytes
    from its first field to its step. The summary's bytes must be those bytes rotated at the start of
    one of its items, which the history's own reading found: then the summary holds the history's items,
    each the same bytes read the same way, in turn from that one."""
    if not fields:
        return None
    end = fields[-1]
    if history[end] != 0x12 or len(summary) - start != end - fields[0]:  # 0x12: the step (an item's tag: 0x0A)
        return None
    items = history[fields[0] : end]
    body = summary[start:]
    if body == items:
        return text[:]
    at = (items + items).find(body)
    try:
        turned = 2 * fields.index(fields[0] + at, 1, -1)  # the history's items before the summary's first
    except ValueError:
        return None
    return text[turned:] + text[:turned]


def _items(payload: bytes, pos: int, fields: list[int]) -> WandbItems | None:
    """`wandb_items` of the record whose history or summary field starts at `pos`; where each field of its
    body starts is appended to `fields`.

    Raises IndexError or ValueError (for the caller to turn into None) on a varint past the data."""
    kind = payload[pos]
    length = payload[pos + 1]
    if length < 0x80:
        pos += 2
    elif payload[pos + 2] < 0x80:
        length = (length & 0x7F) | (payload[pos + 2] << 7)
        pos += 3
    else:
        length, pos = _varint(payload, pos + 1)
    end = len(payload)
    if pos + length != end:
        return None  # a field after the record's body (`control`, `uuid`, ...), or a short payload
    parts: list[bytes] = []
    append, mark = parts.append, fields.append
    checked: list[bytes] = []
    step, stepped = 0, False
    while pos < end:
        mark(pos)
        tag = payload[pos]
        if tag == 0x0A:  # an item: most are one key, then value_json, every length below 128
            length = payload[pos + 1]
            size = payload[pos + 3]
            stop = pos + 4 + size
            if (
                length < 0x80
                and size < 0x80
                and (payload[pos + 2] == 0x12 or payload[pos + 2] == 0x0A)  # nested_key (2) or key (1)
                and payload[stop] == 0x82  # then value_json (16), its tag two bytes
                and payload[stop + 1] == 0x01
                and payload[stop + 2] == length - size - 5
            ):  # an item past the end fails the check after the loop
                done = pos + 2 + length
                append(payload[pos + 4 : stop])
                append(payload[stop + 3 : done])
                pos = done
                continue
            length, pos = _field(payload, pos)
            done = pos + length
            if done > end or not _item(payload, pos, done, parts, checked):
                return None
            pos = done
        elif tag == 0x12 and kind == 0x12 and not stepped:  # a history's step
            if payload[pos + 1] == 2 and payload[pos + 2] == 0x08 and payload[pos + 3] < 0x80:
                step, pos = payload[pos + 3], pos + 4  # num below 128
            elif payload[pos + 1] == 3 and payload[pos + 2] == 0x08 and payload[pos + 3] > 0x7F > payload[pos + 4]:
                step, pos = (payload[pos + 3] & 0x7F) | (payload[pos + 4] << 7), pos + 5  # below 16,384
            else:
                step, pos = _history_step(payload, pos + 1)
            stepped = True
        else:
            return None
    if pos != end:
        return None
    text = b"\0".join(parts).decode().split("\0") if parts else []
    if checked:
        b"\0".join(checked).decode()  # the nested parts a `key` hides must be UTF-8 all the same
    if len(text) != len(parts):
        return None  # a NUL inside a key or value: the split cannot tell the parts
    return (HISTORY if kind == 0x12 else SUMMARY), text, step


def _field(data: bytes, pos: int) -> tuple[int, int]:
    """(length, where the content starts) of the length-delimited field whose one-byte tag is at `pos`."""
    size = data[pos + 1]
    if size < 0x80:
        return size, pos + 2
    return _varint(data, pos + 1)


def _history_step(data: bytes, pos: int) -> tuple[int, int]:
    """(num, next position) of the `HistoryStep` whose length is at `pos`: 0 when it holds none, signed as
    int64; ValueError when it holds another field."""
    length, pos = _varint(data, pos)
    done = pos + length
    num = 0
    while pos < done:
        if data[pos] != 0x08:
            raise ValueError("a HistoryStep field other than num")
        num, pos = _varint(data, pos + 1)
    if pos != done:
        raise ValueError("a HistoryStep longer than its length")
    return (num - (1 << 64) if num >= 1 << 63 else num), pos


def _item(data: bytes, pos: int, end: int, parts: list[bytes], checked: list[bytes]) -> bool:
    """Append the key and value of the item in `data[pos:end]` to `parts` (nested keys joined with dots;
    the parts a `key` hides to `checked`, which must be UTF-8 all the same); False when not plain.

    Raises IndexError or ValueError (for the caller to turn into None) on a varint past the data."""
    key = b""
    nested: list[bytes] = []
    value = b""
    while pos < end:
        tag = data[pos]
        if tag == 0x82 and data[pos + 1] == 0x01:  # value_json = 16
            pos += 2
        elif tag == 0x12 or tag == 0x0A:
            pos += 1
        else:
            return False
        length, pos = _varint(data, pos)
        stop = pos + length
        if stop > end:
            return False
        if tag == 0x12:
            nested.append(data[pos:stop])
        elif tag == 0x0A:
            key = data[pos:stop]
        else:
            value = data[pos:stop]
        pos = stop
    if key:
        checked.extend(nested)
    parts.append(key or b".".join(nested))
    parts.append(value)
    return True


def tb_scalars(record: bytes) -> tuple[float, int, list[tuple[str, float]]] | None:
    """(wall_time, step, `(tag, simple_value)` in order) of a TensorBoard `Event` that holds only a
    summary of simple values (PyTorch's SummaryWriter, TF1's scalars); None for any other event."""
    try:
        pos, end = 0, len(record)
        wall, step = 0.0, 0
        if record[0] == 0x09:
            wall = _DOUBLE.unpack_from(record, 1)[0]
            pos = 9
        if record[pos] == 0x10:
            step, pos = _varint(record, pos + 1)
            if step >= 1 << 63:
                step -= 1 << 64
        if record[pos] != 0x2A:
            return None
        length, pos = _varint(record, pos + 1)
        if pos + length != end:
            return None
        values: list[tuple[str, float]] = []
        while pos < end:
            if record[pos] != 0x0A:
                return None
            size, pos = _field(record, pos)
            done, at = pos + size, pos
            if record[pos] == 0x0A:  # the tag (absent when empty)
                size, pos = _field(record, pos)
                at = pos + size
            if record[at] != 0x15 or at + 5 != done:
                return None
            values.append((record[pos:at].decode(), _FLOAT.unpack_from(record, at + 1)[0]))
            pos = done
        return wall, step, values
    except (IndexError, ValueError, struct.error):
        return None
