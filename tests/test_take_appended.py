"""`safe_read.take_appended`, the reader of a growing record log (W&B, TensorBoard) from where it stopped."""

from __future__ import annotations

import io
from pathlib import Path

from store import safe_read


class RecordingFile(io.FileIO):
    """A file that notes the size of each read asked of it."""

    asked: list[int]

    def read(self, size: int | None = -1) -> bytes:
        self.asked.append(-1 if size is None else size)
        return super().read(size)


def test_a_read_asks_for_what_the_file_holds_not_a_whole_chunk(tmp_path: Path) -> None:
    """A 4 MiB read of a 70 KB log allocated 4 MiB: 1,000 first reads cost a tenth of a second."""
    path = tmp_path / "run.log"
    path.write_bytes(b"r" * 1000)
    taken: list[bytes] = []
    offset = [0]

    def take(data: bytes) -> None:
        keep = len(data) - len(data) % 300  # records of 300 bytes: the last 100 are a torn one
        taken.append(data[:keep])
        offset[0] += keep

    with RecordingFile(path) as fh:
        fh.asked = []
        safe_read.take_appended(fh, 1000, lambda: offset[0], take)
    assert fh.asked == [1000, 100] and b"".join(taken) == b"r" * 900 and offset[0] == 900
