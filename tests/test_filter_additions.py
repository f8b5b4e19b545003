"""Filter language additions of issue 13: `in (...)`, dates and ages, durations, `has:`, the status hint."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from tui.shaping.filter_expr import FilterError, parse_duration, parse_filter, resolve_field, status_hint

NOW = time.mktime((2026, 11, 30, 12, 0, 0, 0, 0, -1))
DAY = 86400.0


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": ["a", "b", "c", "d"],
            "name": ["rf-1", "rf-2", "lin", "big"],
            "status": ["finished", "failed", "finished", "running"],
            "created": [NOW - 3600, NOW - 3 * DAY, time.mktime((2026, 11, 1, 9, 0, 0, 0, 0, -1)), np.nan],
            "duration": [30.0, 900.0, 7200.0, np.nan],
            "params.opt": np.array(["adam", "sgd", "Adam", None], dtype=object),
            "params.degree": np.array([1, 2, "3", None], dtype=object),
            "params.dropout": np.array([0.1, None, None, 0.3], dtype=object),
            "metrics.mse": [1.0, 2.0, np.nan, 4.0],
        }
    )


def _ids(text: str, now: float = NOW) -> list[str]:
    frame = _frame()
    return list(frame.run_id[parse_filter(text, list(frame.columns)).mask(frame, now=now)])


def test_in_lists_match_any_value_and_not_in_is_the_rest() -> None:
    assert _ids("opt in (adam, sgd)") == ["a", "b", "c"], "text compares case-insensitively"
    assert _ids("params.opt in ('sgd')") == ["b"]
    assert _ids("degree in (1,3)") == ["a", "c"], "numbers compare numerically, also with text cells"
    assert _ids("degree not in (1, 3)") == ["b", "d"], "not in keeps missing cells, as != does"
    assert _ids("status in (failed, running) and mse > 1") == ["b", "d"]
    assert _ids("not status in (finished)") == ["b", "d"]


@pytest.mark.parametrize(
    "text, message",
    [
        ("opt in (adam", "no .* closes the list"),
        ("opt in ()", "empty list"),
        ("opt in (a = b)", "unexpected '='"),
        ("mse in (x)", "holds numbers"),
    ],
)
def test_bad_in_lists_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse_filter(text, list(_frame().columns))


def test_ages_count_back_from_now_and_dates_are_local_midnights() -> None:
    assert _ids("created > 2d") == ["a"], "created in the last two days"
    assert _ids("created < 2d") == ["b", "c"], "older than two days; a run without a time never matches"
    assert _ids("created > 2d", now=NOW + 2 * DAY) == [], "the age is taken when the mask is computed"
    assert _ids("created < 2026-11-02") == ["c"]
    assert _ids("created >= 2026-11-27T00:00") == ["a", "b"]
    assert _ids("created = 2026-11-01") == ["c"], "a date alone is that whole day"
    assert _ids("created != 2026-11-01") == ["a", "b", "d"]


def test_durations_take_units() -> None:
    assert _ids("duration > 10m") == ["b", "c"]
    assert _ids("duration <= 1h30m") == ["a", "b"]
    assert _ids("duration < 45") == ["a"], "a plain number is still seconds"
    assert parse_duration("1w") == 7 * DAY and parse_duration("90s") == 90 and parse_duration("2x") is None


@pytest.mark.parametrize(
    "text, message",
    [
        ("created = 2d", "is an age; compare it with < or >"),
        ("created > yesterday", "takes a date .* or an age"),
        ("created < 2026-13-01", "neither"),
        ("duration > ten", "holds numbers"),
    ],
)
def test_bad_times_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(FilterError, match=message):
        parse_filter(text, list(_frame().columns))


def test_has_keeps_runs_with_a_value() -> None:
    assert _ids("has:params.dropout") == ["a", "d"]
    assert _ids("has:dropout and not has:mse") == []
    assert _ids("not has:mse") == ["c"]
    with pytest.raises(FilterError, match=r"unknown field 'dropot' — did you mean params\.dropout"):
        parse_filter("has:dropot", list(_frame().columns))
    flt = parse_filter("has:dropout", list(_frame().columns))
    assert not flt.is_free_text, "has: is a condition, not a search word"


def test_status_hint_lists_the_statuses_there_are() -> None:
    frame = _frame()
    columns = list(frame.columns)
    hint = status_hint(parse_filter("status = finised", columns), frame)
    assert hint is not None and "did you mean finished?" in hint
    assert "finished (2), failed (1), running (1)" in hint
    hint = status_hint(parse_filter("status in (failed, deleted)", columns), frame)
    assert hint is not None and "--deleted" in hint
    assert status_hint(parse_filter("status = failed", columns), frame) is None
    assert status_hint(parse_filter("status != bogus", columns), frame) is None, "only equalities"
    assert status_hint(parse_filter("mse > 100", columns), frame) is None


def test_resolve_field_is_the_filters_name_resolution() -> None:
    columns = list(_frame().columns)
    assert resolve_field("mse", columns) == "metrics.mse"
    assert resolve_field("params.opt", columns) == "params.opt"
    with pytest.raises(FilterError, match="unknown field"):
        resolve_field("nothing", columns)
