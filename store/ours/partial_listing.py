"""The runs a first listing with no index has read so far, for the app to paint before the rest.

`TrackStore` fills it as it reads (the newest runs first, then the rest in batches) and hands
`table()` to `partial_frame`; the table is made only when asked for, adding just the rows read
since the last call, so a progressive paint costs no more than the listing itself.
"""

from __future__ import annotations

from typing import Any

from store.base import RunRecord


class PartialListing:
    """The runs of a first listing read so far, as a column table made only when asked for."""

    def __init__(self, units: list[str], sig: Any, now: float) -> None:
        from store.ours.column_index import ColumnTable

        self.units, self.sig, self.now = units, sig, now
        self.read = 0
        self._new: list[tuple[int, RunRecord]] = []
        """Rows read since `table` was last made, with their records."""
        self._table = ColumnTable.empty(sig.shape[1])

    def add(self, row: int, record: RunRecord) -> None:
        self._new.append((row, record))
        self.read += 1

    def table(self) -> Any:
        """The runs read so far, newest first; each call adds only the rows read since the last."""
        from store.ours.column_index import ColumnTable

        if self._new:
            rows = [row for row, _ in self._new]
            fresh = ColumnTable.from_records(
                [self.units[row] for row in rows],
                self.sig[rows],
                self.now,
                [record for _, record in self._new],
                self.sig.shape[1],
            )
            self._table = self._table.append(fresh).newest_first()
            self._new = []
        return self._table
