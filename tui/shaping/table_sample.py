"""The first rows of a CSV/TSV (or Parquet) file, column types guessed from them, and a streaming row count."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TextIO

SAMPLE_ROWS = 200
MAX_FIELD_CHARS = 200
COUNT_PROGRESS_EVERY = 200_000


@dataclass
class TableSample:
    columns: list[str]
    rows: list[list[str]]
    types: list[str]
    more_rows: bool
    """The file has rows after the sample."""
    row_count: int | None = None
    """Known up front (Parquet metadata); CSV rows are counted separately."""
    problems: list[str] = field(default_factory=list)


def _is_int(value: str) -> bool:
    try:
        int(value.replace("_", "x"))
        return True
    except ValueError:
        return False


def _is_float(value: str) -> bool:
    try:
        float(value.replace("_", "x"))
        return True
    except ValueError:
        return False


def _is_datetime(value: str) -> str | None:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            date.fromisoformat(value)
            return "date"
        except ValueError:
            return None
    return "date" if len(value) <= 10 and parsed.time() == datetime.min.time() else "datetime"


def infer_column_type(values: list[str]) -> str:
    """`int`, `float`, `bool`, `date`, `datetime`, `str`, or `empty` from a column's sample values."""
    present = [v.strip() for v in values if v.strip() != ""]
    if not present:
        return "empty"
    if all(_is_int(v) for v in present):
        return "int"
    if all(_is_float(v) for v in present):
        return "float"
    if all(v.lower() in ("true", "false") for v in present):
        return "bool"
    kinds = {_is_datetime(v) for v in present}
    if kinds == {"date"}:
        return "date"
    if kinds <= {"date", "datetime"}:
        return "datetime"
    return "str"


def _clip(value: str) -> str:
    return value if len(value) <= MAX_FIELD_CHARS else value[: MAX_FIELD_CHARS - 1] + "\N{HORIZONTAL ELLIPSIS}"


def sample_delimited(fh: TextIO, delimiter: str, *, max_rows: int = SAMPLE_ROWS) -> TableSample:
    """Read the header and up to `max_rows` rows of a delimited file opened with `newline=""`.

    Rows shorter than the header are padded, longer ones get extra `column N` headers;
    a malformed file yields what was read plus a problem.
    """
    reader = csv.reader(fh, delimiter=delimiter)
    problems: list[str] = []
    rows: list[list[str]] = []
    header: list[str] = []
    more = False
    try:
        header = next(reader, [])
        for row in reader:
            if len(rows) >= max_rows:
                more = True
                break
            rows.append([_clip(v) for v in row])
    except csv.Error as exc:
        problems.append(f"stopped at line {reader.line_num}: {exc}")
    width = max([len(header), *(len(r) for r in rows)]) if (header or rows) else 0
    columns = [_clip(h) for h in header] + [f"column {i + 1}" for i in range(len(header), width)]
    rows = [r + [""] * (width - len(r)) for r in rows]
    types = [infer_column_type([r[i] for r in rows]) for i in range(width)]
    return TableSample(columns, rows, types, more, problems=problems)


def count_delimited_rows(
    fh: TextIO, delimiter: str, *, cancelled: Callable[[], bool] = lambda: False
) -> Iterator[tuple[int, bool]]:
    """Count data rows (header excluded), streaming; yields (rows so far, finished) now and then.

    Quoted fields may span lines, so this parses rather than counting newlines. A
    malformed row ends the count with what was counted (the sample reports the problem).
    """
    csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))
    reader = csv.reader(fh, delimiter=delimiter)
    count = -1
    try:
        for count, _ in enumerate(reader):
            if count % COUNT_PROGRESS_EVERY == 0:
                if cancelled():
                    return
                yield max(count, 0), False
    except csv.Error:
        pass
    yield max(count, 0), True


def sample_parquet(path: str | os.PathLike[str], *, max_rows: int = SAMPLE_ROWS) -> TableSample:
    """The schema, row count (from metadata) and first rows of a Parquet file.

    Raises ImportError when pyarrow is not installed; pyarrow reads only the first row group's
    batch, not the file.
    """
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    columns = list(pf.schema_arrow.names)
    types = [str(t) for t in pf.schema_arrow.types]
    rows: list[list[str]] = []
    for batch in pf.iter_batches(batch_size=max_rows):
        for record in batch.to_pylist()[:max_rows]:
            rows.append([_clip("" if record[c] is None else str(record[c])) for c in columns])
        break
    total = pf.metadata.num_rows
    return TableSample(columns, rows, types, total > len(rows), row_count=total)
