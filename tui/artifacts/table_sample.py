"""The first rows of a CSV/TSV (or Parquet) file, column types guessed from them, and a streaming row count."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TextIO

SAMPLE_ROWS = 200
MAX_FIELD_CHARS = 200
COUNT_PROGRESS_EVERY = 200_000
SAMPLE_CHARS = 2 * 1024 * 1024
"""The sample is parsed from at most this much text: a 100 MB first line costs no more than this."""
MAX_COLUMNS = 200
"""Columns shown; a table preview measures every cell on the UI thread."""
MAX_CELLS = 20_000
"""Rows shown are cut so rows times columns stays under this."""
COUNT_CHUNK = 1024 * 1024


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


def sample_delimited(
    fh: TextIO,
    delimiter: str,
    *,
    max_rows: int = SAMPLE_ROWS,
    max_chars: int = SAMPLE_CHARS,
    max_columns: int = MAX_COLUMNS,
) -> TableSample:
    """Read the header and up to `max_rows` rows of a delimited file opened with `newline=""`.

    Bounded in time and memory whatever the file: at most `max_chars` are read, at most
    `max_columns` columns kept, and rows cut so rows times columns stays under `MAX_CELLS`.
    Rows shorter than the header are padded, longer ones get extra `column N` headers;
    a malformed file yields what was read plus a problem.
    """
    text = fh.read(max_chars + 1)
    cut = len(text) > max_chars
    if cut:
        text = text[:max_chars]
        last_newline = text.rfind("\n")
        if last_newline >= 0:
            text = text[: last_newline + 1]  # drop the partial row at the cut
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, max_chars + 1))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    problems: list[str] = []
    rows: list[list[str]] = []
    header: list[str] = []
    total_columns = 0
    more = cut
    try:
        first = next(reader, [])
        total_columns = len(first)
        header = [_clip(h) for h in first[:max_columns]]
        del first
        row_limit = max(1, min(max_rows, MAX_CELLS // max(1, min(total_columns, max_columns))))
        for row in reader:
            if len(rows) >= row_limit:
                more = True
                break
            total_columns = max(total_columns, len(row))
            rows.append([_clip(v) for v in row[:max_columns]])
    except csv.Error as exc:
        problems.append(f"stopped at line {reader.line_num}: {exc}")
    if cut and not rows and "\n" not in text:
        problems.append(f"the first line is longer than {max_chars // (1024 * 1024)} MB: only its start is shown")
    if total_columns > max_columns:
        problems.append(f"{total_columns:,}{'+' if cut and not rows else ''} columns: the first {max_columns} shown")
    width = max([len(header), *(len(r) for r in rows)]) if (header or rows) else 0
    columns = header + [f"column {i + 1}" for i in range(len(header), width)]
    rows = [r + [""] * (width - len(r)) for r in rows]
    types = [infer_column_type([r[i] for r in rows]) for i in range(width)]
    return TableSample(columns, rows, types, more, problems=problems)


def count_delimited_rows(
    fh: TextIO, delimiter: str, *, cancelled: Callable[[], bool] = lambda: False
) -> Iterator[tuple[int, bool]]:
    """Count data rows (header excluded), streaming; yields (rows so far, finished) now and then.

    Quoted fields may span lines, so newlines inside double quotes do not count (a doubled
    quote inside a field toggles twice and changes nothing). Reads fixed-size chunks, so a
    100 MB line costs no more memory than a short one. `delimiter` does not matter here.
    """
    del delimiter
    lines = 0
    inside = False
    last = ""
    next_report = COUNT_PROGRESS_EVERY
    yield 0, False
    while chunk := fh.read(COUNT_CHUNK):
        if cancelled():
            return
        if '"' not in chunk and not inside:
            lines += chunk.count("\n")
        else:
            parts = chunk.split('"')
            for i, part in enumerate(parts):
                if i:
                    inside = not inside
                if not inside:
                    lines += part.count("\n")
        last = chunk[-1]
        if lines >= next_report:
            next_report = lines + COUNT_PROGRESS_EVERY
            yield max(lines - 1, 0), False
    if last and last != "\n":
        lines += 1  # a last row without a newline
    yield max(lines - 1, 0), True


def sample_parquet(path: str | os.PathLike[str], *, max_rows: int = SAMPLE_ROWS) -> TableSample:
    """The schema, row count (from metadata) and first rows of a Parquet file.

    Raises ImportError when pyarrow is not installed; pyarrow reads only the first row group's
    batch, not the file.
    """
    import pyarrow.parquet as pq  # type: ignore[import-not-found,unused-ignore]

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
