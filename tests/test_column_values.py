"""`ValueColumn.objects` gives back each cell's Python value and type, whichever kinds a column holds."""

from __future__ import annotations

from typing import Any

import pytest

from store.ours.column_values import ValueColumn


@pytest.mark.parametrize(
    "values",
    [
        [],
        [None, None],
        ["a", "b", "a"],
        [1.5, float("inf"), -0.0],
        [3, -(2**63), 2**63 - 1],
        [True, False],
        [2**70, 2**70],
        [2**70, 1, "x", None, 2.5, False],
        ["x", None, "y"],
    ],
    ids=["empty", "none", "text", "floats", "ints", "bools", "big ints", "every kind", "text and none"],
)
def test_objects_keep_each_cells_value_and_type(values: list[Any]) -> None:
    got = ValueColumn.from_values(values).objects().tolist()
    assert got == values and [type(v) for v in got] == [type(v) for v in values]
    assert str(got) == str(values)  # -0.0 stays -0.0


def test_holds_text_finds_the_rows_of_one_text_by_its_codes() -> None:
    column = ValueColumn.from_values(["running", None, "finished", "running", 3, "running"])
    assert column.holds_text("running").tolist() == [True, False, False, True, False, True]
    assert not column.holds_text("crashed").any()
    assert not ValueColumn.from_values([1.0, 2.0]).holds_text("running").any()
    twice = ValueColumn(column.kind, column.f, column.i, column.s, ["running", "finished", "running"])
    twice.s = column.s.copy()
    twice.s[5] = 2  # the same word under a second code, as a file read in may hold it
    assert twice.holds_text("running").tolist() == [True, False, False, True, False, True]


def test_a_concat_keeps_the_first_vocabulary_as_it_is_unless_it_repeats_a_text() -> None:
    """The first part's codes are kept as they are (an index's base, 200,000 texts, not walked), unless its
    vocabulary repeats a text (read from a file anyone could write): then they are remapped."""
    import numpy as np

    from store.ours.column_values import STR

    first = ValueColumn.from_values(["a", "b", None, "c"])
    second = ValueColumn.from_values(["c", "d"])
    both = ValueColumn.concat([first, second], [4, 2])
    assert both.vocab is not None and both.vocab[:3] == first.vocab and both.s is not None
    assert both.objects().tolist() == ["a", "b", None, "c", "c", "d"]
    repeated = ValueColumn(
        np.array([STR, STR, STR], dtype=np.int8), s=np.array([0, 1, 2], dtype=np.int32), vocab=["a", "a", "b"]
    )
    got = ValueColumn.concat([repeated, second], [3, 2])
    assert got.objects().tolist() == ["a", "a", "b", "c", "d"] and got.vocab == ["a", "b", "c", "d"]
