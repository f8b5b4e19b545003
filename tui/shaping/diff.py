"""Side-by-side diff of runs: rows in sections, what differs, deltas and which run is best.

Plain functions over `store.RunDetail`s, shared by the diff screen, `tracktui diff` and its
exports. The first run is the reference that deltas are measured against. Whether a lower or
a higher metric is better is guessed from the metric's name and can be overridden per metric.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .direction import Direction as Direction
from .direction import effective_direction as effective_direction
from .direction import flip_direction as flip_direction
from .direction import infer_direction as infer_direction
from .formatting import format_duration
from .formatting import format_exact as format_exact
from .formatting import format_number as format_number
from .formatting import format_value as _format_value
from .inputs_view import input_key, input_value
from .sanitize import csv_cell, printable_text

if TYPE_CHECKING:
    from store import RunDetail

SECTIONS: tuple[str, ...] = ("params", "metrics", "tags", "inputs", "facts")
SECTION_TITLES: dict[str, str] = {
    "params": "params",
    "metrics": "metrics",
    "tags": "tags",
    "inputs": "inputs",
    "facts": "run",
}
ONLY_DIFF_THRESHOLD = 20
"""Above this many rows the diff opens showing only the rows that differ."""

MISSING = "—"
"""How a field the run does not have is shown."""

SHOWN_CHARS = 500
"""A value longer than this is shown cut, with its full size (the screen, `tracktui diff`,
the Markdown export and the clipboard): a 20 MB tag must not take a minute to draw. Whether
values differ is still decided on the whole values; CSV and JSON keep them whole."""


@dataclass
class DiffRun:
    run_id: str
    name: str
    experiment: str


@dataclass
class DiffRow:
    """One field across the runs. `values[i]` is run i's value, `MISSING_VALUE` if it has none."""

    section: str
    field: str
    key: str
    values: list[Any]
    differs: bool
    metric: str | None = None
    stat: str | None = None
    direction: Direction | None = None
    deltas: list[float | None] = dataclasses.field(default_factory=list)
    """value - reference value, for numeric metric rows; None for the reference and non-numbers."""
    pct: list[float | None] = dataclasses.field(default_factory=list)
    """The delta as a percentage of |reference|; None when the reference is 0 or not a number."""
    better: list[bool | None] = dataclasses.field(default_factory=list)
    """Whether each run beats the reference (None: same, reference itself, or direction unknown)."""
    best: list[bool] = dataclasses.field(default_factory=list)
    _texts: dict[int, str] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    def text(self, index: int) -> str:
        """Run `index`'s value as shown: at most `SHOWN_CHARS` characters, then its size.
        Not yet made safe for a terminal (see `printable_text`)."""
        text = self._texts.get(index)
        if text is None:
            value = self.values[index]
            text = self._texts[index] = bounded(revealing_text(value) if self.looks_same else format_value(value))
        return text

    @functools.cached_property
    def looks_same(self) -> bool:
        """Values differ but two of them look the same (`2s` and `2s`, `32` and `32`): the row
        then shows every value by `revealing_text`, so one sees why it is marked."""
        if not self.differs:
            return False
        texts = [format_value(v) for v in self.values]
        return any(
            texts[i] == texts[j] and not _same(self.values[i], self.values[j])
            for i in range(len(texts))
            for j in range(i + 1, len(texts))
        )


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING_VALUE: Any = _Missing()


@dataclass
class Diff:
    runs: list[DiffRun]
    rows: list[DiffRow]

    @property
    def differing(self) -> list[DiffRow]:
        return [r for r in self.rows if r.differs]

    def visible(self, only_diff: bool) -> list[DiffRow]:
        return self.differing if only_diff else list(self.rows)

    def row(self, key: str) -> DiffRow:
        for r in self.rows:
            if r.key == key:
                return r
        raise KeyError(key)


# -- building ---------------------------------------------------------------------------


def build_diff(details: Sequence[RunDetail], overrides: Mapping[str, Direction | None] | None = None) -> Diff:
    """The diff of `details` (the first is the reference), with metric directions from
    `overrides` where given and from the metric names otherwise."""
    if not details:
        raise ValueError("a diff needs at least one run")
    runs = [DiffRun(d.run_id, d.name, d.experiment) for d in details]
    rows: list[DiffRow] = []

    params = [d.flat_params for d in details]
    for key in _union_keys(params):
        rows.append(_plain_row("params", key, f"params.{key}", [p.get(key, MISSING_VALUE) for p in params]))

    metrics = [d.metrics for d in details]
    for metric in _union_keys(metrics):
        summaries = [m.get(metric) or {} for m in metrics]
        direction = effective_direction(metric, overrides)
        lasts = [s.get("last", MISSING_VALUE) if s else MISSING_VALUE for s in summaries]
        rows.append(_metric_row(metric, "last", metric, lasts, direction))
        for stat in ("min", "max"):
            vals = [s.get(stat, MISSING_VALUE) if s else MISSING_VALUE for s in summaries]
            if any(not _same(v, last) for v, last in zip(vals, lasts) if v is not MISSING_VALUE):
                rows.append(_metric_row(metric, stat, f"{metric} ({stat})", vals, direction))

    tags = [d.tags for d in details]
    for key in _union_keys(tags):
        rows.append(_plain_row("tags", key, f"tags.{key}", [t.get(key, MISSING_VALUE) for t in tags]))

    # The data each run used: a row per input, differing when the digests do.
    inputs = [{input_key(e): input_value(e) for e in d.inputs} for d in details]
    for key in _union_keys(inputs):
        rows.append(_plain_row("inputs", key, f"inputs.{key}", [i.get(key, MISSING_VALUE) for i in inputs]))

    for name, get in _FACTS:
        values = [get(d) for d in details]
        if name == "source" and all(v is MISSING_VALUE for v in values):
            continue  # one store: nothing to tell apart
        rows.append(_plain_row("facts", name, f"facts.{name}", values))
    return Diff(runs, rows)


def _fact(name: str) -> Any:
    def get(d: RunDetail) -> Any:
        value = d.facts.get(name)
        return MISSING_VALUE if value is None else value

    return get


def _duration(d: RunDetail) -> Any:
    value = d.duration
    return MISSING_VALUE if value is None else Duration(value)


_FACTS: tuple[tuple[str, Any], ...] = (
    ("source", _fact("source")),  # several stores in one table (`tracktui A B`)
    ("status", lambda d: d.status),
    ("experiment", lambda d: d.experiment),
    ("duration", _duration),
    ("git commit", _fact("git_commit")),
    ("git branch", _fact("git_branch")),
    ("git dirty", _fact("git_dirty")),
    ("host", _fact("host")),
    ("user", _fact("user")),
    ("python", _fact("python")),
    ("command", _fact("command")),
)


class Duration(float):
    """Seconds, shown as the runs table shows durations (`12s`, `2m30s`); exports keep the seconds."""


def _union_keys(dicts: Sequence[Mapping[str, Any]]) -> list[str]:
    keys: set[str] = set()
    for d in dicts:
        keys.update(d)
    return sorted(keys)


def _plain_row(section: str, name: str, key: str, values: list[Any]) -> DiffRow:
    n = len(values)
    return DiffRow(
        section,
        name,
        key,
        values,
        _differs(values),
        deltas=[None] * n,
        pct=[None] * n,
        better=[None] * n,
        best=[False] * n,
    )


def _metric_row(metric: str, stat: str, name: str, values: list[Any], direction: Direction | None) -> DiffRow:
    row = _plain_row("metrics", name, f"metrics.{metric}.{stat}", values)
    row.metric, row.stat, row.direction = metric, stat, direction
    ref = _number(values[0])
    nums = [_number(v) for v in values]
    for i, v in enumerate(nums):
        if i == 0 or ref is None or v is None or not (math.isfinite(ref) and math.isfinite(v)):
            continue
        row.deltas[i] = v - ref
        row.pct[i] = (v - ref) / abs(ref) * 100.0 if ref != 0 else None
        if direction is not None and v != ref:
            row.better[i] = (v < ref) if direction == "lower" else (v > ref)
    finite = [v for v in nums if v is not None and math.isfinite(v)]
    if direction is not None and len(finite) > 1 and len(set(finite)) > 1:
        target = min(finite) if direction == "lower" else max(finite)
        row.best = [v is not None and v == target for v in nums]
    return row


def _number(value: Any) -> float | None:
    """A value the diff may compare as a number. Not `series.number`: values here are already
    read, and text stays text (a param "0.10" and a param 0.1 differ)."""
    if isinstance(value, bool) or value is MISSING_VALUE:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    return None


def _same(a: Any, b: Any) -> bool:
    if a is MISSING_VALUE or b is MISSING_VALUE:
        return a is b
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return na == nb or (math.isnan(na) and math.isnan(nb))
    if type(a) is not type(b):
        return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def _differs(values: Sequence[Any]) -> bool:
    return any(not _same(values[0], v) for v in values[1:])


# -- formatting -------------------------------------------------------------------------


def format_value(value: Any, exact: bool = False) -> str:
    """A cell's text: the value itself, never its markup; a field the run lacks is `—`, a
    value logged as None is `null`. Text is not yet made safe (see `printable_text`), so line
    breaks survive to wrap; everything else looks as in the runs table (`formatting.format_value`)."""
    if value is MISSING_VALUE:
        return MISSING
    if value is None:
        return "null"
    if isinstance(value, Duration):
        return format_duration(float(value))
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return _format_value(value, exact=exact)


def revealing_text(value: Any) -> str:
    """A value with what tells it apart from one that looks the same: every digit of a number
    and its type (`32` vs `32.0`), a duration's exact seconds (`2.25s`), text in quotes (`"32"`,
    as MLflow keeps every param, vs the number `32`)."""
    if isinstance(value, Duration):
        return f"{format_exact(float(value))}s"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return format_value(value, exact=True)


def bounded(text: str, limit: int = SHOWN_CHARS) -> str:
    """`text`, or its first `limit` characters and how long it is: `abc… (20,000,000 characters)`.
    A text already cut is left as it is (the slack holds the size note)."""
    if len(text) <= limit + 40:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def format_delta(row: DiffRow, index: int, compact: bool = False, exact: bool = False) -> str:
    """`+0.012 (+4.1%)`, or '' when the cell has no delta (reference, non-number, equal).

    `compact` gives only the percentage (`+4.1%`), or only the difference when the reference
    is 0, for tables that must fit three runs in 80 columns. `exact` (exports, whose values
    keep every digit) gives the difference with the digits the values have: the exact
    difference of the two values as written (0.8123456789 - 0.76381442915732 = +0.04853124974268),
    without binary float noise.
    """
    delta = row.deltas[index] if row.deltas else None
    if delta is None or delta == 0:
        return ""
    pct = row.pct[index]
    if compact and pct is not None:
        return f"{pct:+.1f}%" if abs(pct) < 1e4 else f"{pct:+.2e}%"
    text = _exact_delta(row.values[index], row.values[0]) if exact else f"{delta:+.3g}"
    if pct is not None:
        text += f" ({pct:+.1f}%)" if abs(pct) < 1e4 else f" ({pct:+.2e}%)"
    return text


def _exact_delta(value: Any, ref: Any) -> str:
    """value - ref, computed on their shortest decimal texts (what the exports print)."""
    from decimal import Decimal, InvalidOperation

    try:
        diff = Decimal(format_exact(value)) - Decimal(format_exact(ref))
    except (InvalidOperation, TypeError, ValueError):
        return f"{float(value) - float(ref):+.17g}"
    diff = diff.normalize()
    text = format(diff, "f") if -7 <= diff.adjusted() < 16 else repr(float(diff))
    return text if text.startswith("-") else "+" + text


def cell_text(row: DiffRow, index: int, exact: bool = False) -> str:
    """The value with its delta and best mark; `exact` keeps every digit of the value and of
    its delta (exports)."""
    value = row.values[index]
    text = revealing_text(value) if row.looks_same else format_value(value, exact=exact)
    delta = format_delta(row, index, exact=exact)
    if delta:
        text += f" {delta}"
    if row.best and row.best[index]:
        text += " ✓"
    return text


# -- exports ----------------------------------------------------------------------------


def to_markdown(diff: Diff, only_diff: bool = False) -> str:
    """A GitHub-flavoured Markdown table; section headings are bold rows. Every value is made
    safe (`printable_text`: the file is `cat` to terminals and copied over OSC 52) and long ones are
    cut (`bounded`)."""
    header = ["field", *(_md_cell(r.name) for r in diff.runs)]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(["---"] * len(header)) + "|"]
    section = None
    for row in diff.visible(only_diff):
        if row.section != section:
            section = row.section
            lines.append(f"| **{SECTION_TITLES[section]}** |" + " |" * len(diff.runs))
        cells = [
            _md_cell(row.field),
            *(_md_cell(bounded(cell_text(row, i, exact=True))) for i in range(len(diff.runs))),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    legend = "First run is the reference; deltas are against it; ✓ marks the best value of a metric."
    return "\n".join(lines) + f"\n\n{legend}\n"


def _md_cell(text: str) -> str:
    return printable_text(text).replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", "<br>")


def to_csv(diff: Diff, only_diff: bool = False) -> str:
    """One line per field: section, field, differs, then each run's plain value with every digit
    (durations in seconds), whole however long, made safe by `printable_text` (line breaks kept)
    and `csv_cell` (no cell runs as a spreadsheet formula)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["section", "field", "differs", *(csv_cell(printable_text(r.name)) for r in diff.runs)])
    for row in diff.visible(only_diff):
        values = ["" if v is MISSING_VALUE else csv_cell(printable_text(_csv_value(v))) for v in row.values]
        writer.writerow([row.section, csv_cell(printable_text(row.field)), "yes" if row.differs else "no", *values])
    return buf.getvalue()


def _csv_value(value: Any) -> str:
    if isinstance(value, Duration):
        return format_exact(float(value))
    return format_value(value, exact=True)


def to_dict(diff: Diff, only_diff: bool = False) -> dict[str, Any]:
    """A JSON-able form (NaN and inf become null); missing values are null with `present` false."""
    rows = []
    for row in diff.visible(only_diff):
        item: dict[str, Any] = {
            "section": row.section,
            "field": row.field,
            "key": row.key,
            "differs": row.differs,
            "values": [_json_value(v) for v in row.values],
            "present": [v is not MISSING_VALUE for v in row.values],
        }
        if row.metric is not None:
            item.update(
                metric=row.metric,
                stat=row.stat,
                direction=row.direction,
                deltas=[_json_value(d) for d in row.deltas],
                pct=[_json_value(p) for p in row.pct],
                better=row.better,
                best=row.best,
            )
        rows.append(item)
    return {
        "reference": diff.runs[0].run_id,
        "runs": [{"run_id": r.run_id, "name": r.name, "experiment": r.experiment} for r in diff.runs],
        "rows": rows,
    }


def _json_value(value: Any) -> Any:
    if value is MISSING_VALUE or value is None:
        return None
    if isinstance(value, Duration):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)
