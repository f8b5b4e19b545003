"""TFRecord's masked CRC-32C of many payloads at once, in numpy: a TensorBoard event file's check.

TensorBoard checks each record with a pure-Python CRC-32C (a byte at a time), which costs more
than decoding the event; tensorflow's C one is not installed with tensorboard. Here the payloads
of a file go through the table together, one numpy operation for a column of all of them, two
bytes a step (a 65,536-entry table made from the byte table).

Payloads of nearby lengths share their columns: a shorter one is led by zero bytes and starts
from the register state that those zeros turn into CRC-32C's usual start (a zero byte's step is
invertible: the top bytes of the table's entries are all different), so its CRC is unchanged.
A group of a few payloads is cheaper a byte at a time in Python.
"""

from __future__ import annotations

from typing import Any

MASK_DELTA = 0xA282EAD8
"""What TFRecord adds to a rotated CRC-32C to mask it."""
START = 0xFFFFFFFF
SPREAD = 1.25
"""A group's longest payload is at most this times its shortest (plus `SLACK` bytes): the zeros it adds are bounded."""
SLACK = 8
FEW = 16
"""Groups of fewer payloads are checked a byte at a time (numpy's cost per step is the same for 1 or 1,000)."""

_tables: tuple[Any, Any, list[int]] | None = None
_starts: list[int] = [START]
"""`_starts[k]`: the register state that `k` zero bytes turn into `START`."""


def _crc_tables() -> tuple[Any, Any, list[int]]:
    """(byte table as numpy, two-byte table, byte table as a list), made once."""
    global _tables
    if _tables is None:
        import numpy as np

        table = []
        for byte in range(256):
            crc = byte
            for _ in range(8):
                crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
            table.append(crc)
        assert len({entry >> 24 for entry in table}) == 256, "a zero byte's step is not invertible"
        one = np.array(table, dtype=np.uint32)
        pairs = np.arange(65536, dtype=np.uint32)
        low = one[pairs & 0xFF] ^ (pairs >> np.uint32(8))
        two = one[low & 0xFF] ^ (low >> np.uint32(8))
        _tables = (one, two, table)
    return _tables


def _start(zeros: int, table: list[int]) -> int:
    """The register state that `zeros` zero bytes turn into `START`, by undoing their steps from it."""
    if len(_starts) <= zeros:
        by_top = {entry >> 24: byte for byte, entry in enumerate(table)}
        state = _starts[-1]
        for _ in range(zeros + 1 - len(_starts)):
            byte = by_top[state >> 24]
            state = (((state ^ table[byte]) << 8) | byte) & 0xFFFFFFFF
            _starts.append(state)
    return _starts[zeros]


def _mask(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + MASK_DELTA) & 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC-32C of one payload, a byte at a time (a record's 8-byte length, or a few records)."""
    table = _crc_tables()[2]
    crc = START
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return _mask(crc ^ START)


def masked_crc32c_many(payloads: list[bytes]) -> list[int]:
    """TFRecord's masked CRC-32C of each payload, equal to TensorBoard's `masked_crc32c`."""
    out = [0] * len(payloads)
    order = sorted(range(len(payloads)), key=lambda i: len(payloads[i]))
    group: list[int] = []
    for i in order:
        if group and len(payloads[i]) > len(payloads[group[0]]) * SPREAD + SLACK:
            _group(payloads, group, out)
            group = []
        group.append(i)
    if group:
        _group(payloads, group, out)
    return out


def _group(payloads: list[bytes], group: list[int], out: list[int]) -> None:
    if len(group) < FEW:
        for i in group:
            out[i] = masked_crc32c(payloads[i])
        return
    _, two, table = _crc_tables()
    import numpy as np

    width = len(payloads[group[-1]])
    width += width & 1  # whole two-byte steps
    rows = np.frombuffer(
        b"".join(bytes(width - len(payloads[i])) + payloads[i] for i in group), dtype=np.uint8
    ).reshape(len(group), width)
    crc = np.array([_start(width - len(payloads[i]), table) for i in group], dtype=np.uint32)
    for column in rows.view("<u2").T:
        crc = two[(crc ^ column) & np.uint32(0xFFFF)] ^ (crc >> np.uint32(16))
    crc ^= np.uint32(START)
    masked = ((crc >> np.uint32(15)) | (crc << np.uint32(17))) + np.uint32(MASK_DELTA)
    for i, value in zip(group, masked.tolist()):
        out[i] = value
