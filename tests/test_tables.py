"""`tui/commands/tables.py`: the plain-text writers `tracktui ls` prints with."""

from __future__ import annotations

import pandas as pd
import pytest


def test_tsv_cells_are_the_same_column_wise_as_one_at_a_time() -> None:
    """`write_tsv` formats columns as arrays (issue 17: `ls` at 100,000 runs); each cell must read as `plain_value`
    and `format_timestamp` make it, whatever the column mixes."""
    import io
    import math

    from tui.commands.tables import plain_value, write_tsv
    from tui.shaping.formatting import format_timestamp
    from tui.shaping.sanitize import printable

    frame = pd.DataFrame(
        {
            "created": [1.7e9, float("nan"), 1.7e9 + 0.9, 1e12, 1.7e9 + 86400 * 180],
            "metrics.m": [0.1, float("nan"), 3.0, float("inf"), -1e17],
            "params.mixed": [1, 2.5, True, "a\tb", None],
            "params.ints": pd.Series([1, 2, 3, 4, 5], dtype="int64"),
            "params.same": [1, 1.0, True, "1", float("nan")],
        }
    )
    out = io.StringIO()
    write_tsv(frame, list(frame.columns), out)
    rows = [line.split("\t") for line in out.getvalue().splitlines()[1:]]

    def expected(key: str, value: object) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return ""
        if key == "created":
            return format_timestamp(float(value))  # type: ignore[arg-type]
        return printable(plain_value(value))

    for r, row in enumerate(rows):
        assert row == [expected(k, frame[k].tolist()[r]) for k in frame.columns], r


def test_tsv_times_follow_a_dst_change_that_is_not_on_a_utc_hour(monkeypatch: pytest.MonkeyPatch) -> None:
    """Newfoundland (UTC-3:30) starts DST at 05:30 UTC: an offset looked up per UTC hour is wrong for half of it."""
    import time

    import numpy as np

    from tui.commands.tables import _tsv_times
    from tui.shaping.formatting import format_timestamp

    monkeypatch.setenv("TZ", "America/St_Johns")
    time.tzset()
    try:
        times = np.arange(1741500000 - 86400, 1741500000 + 86400, 61.7)  # 2025-03-09, the day DST began
        assert _tsv_times(times) == [format_timestamp(float(t)) for t in times]
    finally:
        monkeypatch.undo()
        time.tzset()
