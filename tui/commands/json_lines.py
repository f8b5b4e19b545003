"""`tracktui ls --json`: one JSON object per run, written column-wise, with no pandas in the way.

A listing of our own store gives its columns straight from its index (`RunStore.runs_columns`),
so `ls --json` of such a store neither imports pandas nor builds the runs frame (a third of
its time at 100,000 runs); any other listing goes through the frame (`ls.write_json_lines`).
Both write through `write_columns`, so the bytes are the same either way.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any

from store import RunStore, StoreError

JSON_CHUNK = 2_000
"""Rows encoded at a time by `write_columns`: their texts are held, not the whole listing's."""


def print_runs_json(reader: RunStore, out: IO[str] | None = None) -> bool:
    """`ls --json` of every run from the store's columns; False (nothing written) when the store has
    none to give without pandas (then `ls.ls_command` writes from the frame)."""
    columns = reader.runs_columns()
    if columns is None:
        return False
    write_columns(columns, sys.stdout if out is None else out, params_reader(reader))
    return True


def params_reader(reader: RunStore) -> Callable[[str], dict[str, Any]] | None:
    """Run id -> its flat params read back whole, for the rows whose list and dict params the listing
    holds as JSON text; None for a kind whose params are always text (MLflow's: only ours hold lists)."""
    if reader.kind != "tracktui":
        return None

    def raw_params(run_id: str) -> dict[str, Any]:
        try:
            return reader.run(run_id).flat_params
        except (StoreError, OSError):
            return {}

    return raw_params


def write_columns(
    columns: Mapping[str, Sequence[Any]],
    out: IO[str],
    raw_params: Callable[[str], dict[str, Any]] | None = None,
) -> None:
    """One JSON object per row of `columns` (name -> a list or 1-D numpy array of Python values, missing
    as None or NaN); NaN and infinities are null; JSON escapes every control character.

    Column by column: each value is encoded to its JSON text by its type (C functions:
    `float.__repr__`, the encoder's string escaper), and a row is one `%` of its columns'
    texts. A row with a value of another type, or (with `raw_params`, run id -> its flat
    params) a param cell holding a list or dict as JSON text, is written by `json.dumps` of
    the row (`_row_text`), which gives the same bytes for the plain types: `json.dumps` a row
    cost most of `ls --json` at 100,000 runs.
    """
    names = [str(c) for c in columns]
    lists: list[Any] = [c.tolist() if hasattr(c, "tolist") else c for c in columns.values()]
    restore = json_text_rows(dict(zip(names, lists))) if raw_params is not None else set()
    run_ids = lists[names.index("run_id")] if restore else []
    keys = [_encode_text(name).replace("%", "%%") for name in names]
    for at in range(0, len(lists[0]) if names else 0, JSON_CHUNK):  # the texts of a chunk of rows at a time
        slow = {i - at for i in restore if at <= i < at + JSON_CHUNK}
        cells = [_cells(values[at : at + JSON_CHUNK], slow) for values in lists]
        row = "{" + ", ".join(f"{key}: {form}" for key, (form, _) in zip(keys, cells)) + "}\n"
        lines = [row % values for values in zip(*(column for _, column in cells))]
        for i in slow:
            record = dict(zip(names, (values[at + i] for values in lists)))
            if at + i in restore and raw_params is not None:
                for key, value in raw_params(str(run_ids[at + i])).items():
                    if isinstance(value, (list, dict)) and f"params.{key}" in record:
                        record[f"params.{key}"] = value
            lines[i] = _row_text(record) + "\n"
        out.write("".join(lines))


def json_text_rows(columns: Mapping[str, Sequence[Any]]) -> set[int]:
    """The rows with a param cell of text that starts like a JSON list or object (a list or dict
    logged as a param, which the listing holds as its JSON text)."""
    rows: set[int] = set()
    for name, values in columns.items():
        if not name.startswith("params.") or str not in set(map(type, values)):
            continue
        try:
            distinct: Any = set(values)  # a param has few distinct texts
        except TypeError:  # an unhashable value
            distinct = values
        texts = {v for v in distinct if isinstance(v, str) and v.startswith(("[", "{"))}
        if texts:
            rows.update(i for i, v in enumerate(values) if isinstance(v, str) and v in texts)
    return rows


def json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return json_value(value.item())
    return value


def _row_text(record: dict[str, Any]) -> str:
    """One row as `json.dumps` writes it; infinities (and NaN inside a list) as null, as JSON has neither."""
    try:
        return json.dumps(record, default=str, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(record), default=str)


def _float_text(value: float) -> str:
    return float.__repr__(value) if math.isfinite(value) else "null"


_encode_text: Callable[[str], str] = json.encoder.encode_basestring_ascii  # the C one where there is one
_ENCODERS: dict[type, Callable[[Any], str]] = {
    str: _encode_text,
    float: _float_text,
    int: int.__repr__,
    bool: lambda v: "true" if v else "false",
    type(None): lambda v: "null",
}
"""The JSON text of a value of exactly these types, as `json.dumps` writes it (ensure_ascii, NaN as null)."""


def _cells(values: list[Any], slow: set[int]) -> tuple[str, list[Any]]:
    """How a row writes this column (its `%` conversion) and its cells: finite floats as they are, for
    `%r` (`float.__repr__`, the text `json.dumps` writes: a list of texts first cost a fifth more), any
    other column as its JSON texts (`_encoded`) for `%s`."""
    if _FLOAT.issuperset(map(type, values)) and all(map(math.isfinite, values)):
        return "%r", values
    return "%s", _encoded(values, slow)


_FLOAT = frozenset({float})


def _encoded(values: list[Any], slow: set[int]) -> list[str]:
    """The JSON text of each value; a value of another type gives "" and its row joins `slow`."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        return list(map(_encode_text, values))
    if kinds <= {float, type(None)}:  # a metric, a time: NaN, infinities and None are all null
        texts = list(
            map(float.__repr__, values if kinds == {float} else [math.nan if v is None else v for v in values])
        )
        if "n" in "".join(texts):  # `nan`, `inf`, `-inf`: a finite float's text has no n
            texts = ["null" if t[-1] in "nf" else t for t in texts]
        return texts
    if kinds == {int}:
        return list(map(int.__repr__, values))
    if kinds <= _ENCODERS.keys():
        encoders = _ENCODERS
        return [encoders[type(v)](v) for v in values]
    texts = []
    for i, value in enumerate(values):
        encode = _ENCODERS.get(type(value))
        if encode is None:
            slow.add(i)
            texts.append("")
        else:
            texts.append(encode(value))
    return texts


def _finite(value: Any) -> Any:
    """`value` with every NaN and infinity (in lists and dicts too) as None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    return json_value(value)
