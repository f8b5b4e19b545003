"""Sorting and "which columns vary" on per-frame codes (issue 17) answer as the pandas versions did."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tui.shaping.columns import SHORT_FRAME, FrameFacts, holds_numbers, sort_positions, varying


def old_sort_positions(frame: pd.DataFrame, key: str, descending: bool) -> np.ndarray:
    """The sort before per-frame codes (a Python test per value), kept here as the reference."""
    col = frame[key]
    if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
        numeric = pd.to_numeric(col, errors="coerce")
        present = col.notna()
        if present.any() and numeric[present].notna().all() and not col[present].map(lambda v: type(v) is bool).all():
            col = numeric
        else:
            col = col.where(~present, col.astype(str).str.lower())
    ordered = col.reset_index(drop=True).sort_values(ascending=not descending, kind="stable", na_position="last")
    return ordered.index.to_numpy()


def tall_frame(n: int = SHORT_FRAME + 500) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    ints = rng.integers(0, 5, n).astype(object)
    ints[::7] = None
    mixed = np.empty(n, dtype=object)
    mixed[:] = [("Adam" if i % 3 else "sgd") if i % 2 else (i % 4) for i in range(n)]
    flags = np.empty(n, dtype=object)
    flags[:] = [bool(i % 2) for i in range(n)]
    same = np.empty(n, dtype=object)
    same[:] = ["x"] * n
    one = np.empty(n, dtype=object)
    one[:] = [None] * n
    one[5] = 3
    loss = rng.random(n).round(2)
    loss[::11] = np.nan
    return pd.DataFrame(
        {
            "run_id": [f"r{i}" for i in range(n)],
            "name": [f"Run-{i % 50}" for i in range(n)],
            "experiment": ["e"] * n,
            "params.ints": ints,
            "params.mixed": mixed,
            "params.flag": flags,
            "params.same": same,
            "params.one": one,
            "metrics.loss": loss,
            "metrics.const": np.full(n, 2.0),
            "tags.text": pd.array([f"t{i % 3}" for i in range(n)], dtype="str"),
        }
    )


@pytest.mark.parametrize("key", ["params.ints", "params.mixed", "params.flag", "metrics.loss", "name", "tags.text"])
@pytest.mark.parametrize("descending", [False, True])
def test_sorting_on_codes_is_the_old_sort(key: str, descending: bool) -> None:
    frame = tall_frame()
    expected = old_sort_positions(frame, key, descending)
    assert (sort_positions(frame, key, descending) == expected).all()
    rows = np.arange(0, len(frame), 3)
    facts = FrameFacts(frame)
    assert (facts.sort_positions(rows, key, descending) == old_sort_positions(frame.iloc[rows], key, descending)).all()


def test_varying_on_codes_is_the_old_varying() -> None:
    frame = tall_frame()
    keys = [c for c in frame.columns if c != "run_id"]
    facts = FrameFacts(frame)
    assert facts.varying(None, keys) == varying(frame, keys)
    assert "params.same" not in facts.varying(None, keys) and "params.one" in facts.varying(None, keys)
    for rows in (np.arange(0, len(frame), 2), np.array([5]), np.array([0, 1]), np.array([], dtype=np.int64)):
        assert facts.varying(rows, keys) == varying(frame.iloc[rows], keys), rows


def test_numbers_are_told_from_flags_and_text_without_a_loop_in_python() -> None:
    assert holds_numbers(np.array([1, 2.5, None, float("nan")], dtype=object))
    assert not holds_numbers(np.array([True, 1], dtype=object))
    assert not holds_numbers(np.array(["1", 2], dtype=object))
    assert not holds_numbers(np.array([None], dtype=object))
