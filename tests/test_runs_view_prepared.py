"""RunsView's work done ahead in a worker (`prepare`, `fork`) is reused, not done again on the UI thread."""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tui.shaping import columns as columns_module
from tui.shaping.columns import FrameFacts, sort_codes, text_ranks
from tui.shaping.filter_eval import columns_of
from tui.shaping.filter_expr import parse_filter
from tui.shaping.runs_view import RunsView
from tui.shaping.view_settings import ViewSettings


def frame(n: int = 6) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "run_id": [f"r{i}" for i in range(n)],
            "experiment": ["e"] * n,
            "name": [f"Run-{(i * 7) % n}" for i in range(n)],
            "status": ["running" if i % 3 == 0 else "finished" for i in range(n)],
            "created": [float(i) for i in range(n)],
            "duration": [1.0] * n,
            "params.lr": [0.1 * (i + 1) for i in range(n)],
            "tags.stage": ["a", "b"] * (n // 2),
        }
    )


def test_a_view_from_the_worker_has_name_codes_and_free_text_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    """Failed before: the first sort by name and the first free-text filter encoded whole columns
    on the UI thread. Now nothing is encoded after `prepare`: both only use what it made."""
    view = RunsView.from_settings(ViewSettings(), frame(), now=0.0)
    view.prepare()  # as the poll worker does once it has handed the view over
    prepared = view.filter_columns()
    for _ in range(4):  # other frames filtered meanwhile (more than `columns_of` keeps) do not evict it
        columns_of(frame(), 0.0)

    def no_more(*args: object) -> None:
        raise AssertionError("a column was encoded again")

    monkeypatch.setattr(columns_module, "sort_codes", no_more)
    assert {"name", "run_id", "experiment", "tags.stage"} <= set(prepared._lower)
    view.set_sort("name")
    assert [view.frame.at[int(p), "name"] for p in view.positions] == sorted(view.frame["name"], key=str.lower)
    view.set_filter("run-1")
    assert [view.frame.at[int(p), "name"] for p in view.positions] == ["Run-1"]
    assert view.filter_columns() is prepared and view.fork().filter_columns() is prepared


def test_a_fork_shares_the_frames_codes_and_keeps_its_own_settings() -> None:
    view = RunsView.from_settings(ViewSettings(), frame(), now=0.0)
    fork = view.fork()
    fork.set_filter("stage = a")
    fork.set_sort("params.lr")
    fork.choice.hidden.add("params.lr")
    assert fork.facts is view.facts and fork.frame is view.frame
    assert view.filter_text == "" and view.sort_key is None and view.row_count == 6
    assert "params.lr" not in view.choice.hidden
    assert fork.row_count == 3


def test_rows_are_found_by_run_after_sorts_and_groupings() -> None:
    view = RunsView.from_settings(ViewSettings(), frame(), now=0.0)
    ids = list(view.frame["run_id"])
    assert [view.row_of(r) for r in ids] == list(range(6))
    view.set_sort("name")
    assert all(view.run_id_at(view.row_of(r)) == r for r in ids)  # type: ignore[arg-type]
    view.group_keys = ("tags.stage",)
    view.update()
    rows = [view.row_of(r) for r in ids]
    assert None not in rows and len(set(rows)) == 6
    assert all(view.group_at(row) is None for row in rows)  # type: ignore[arg-type]
    assert view.row_of("nope") is None


def test_the_running_count_is_the_frames() -> None:
    view = RunsView(frame=frame())
    assert view.running == 2
    view.set_filter("stage = b")
    assert view.running == 2  # of the frame, as the status bar says `n running` of the store


def test_text_ranks_order_as_python_sorts_them() -> None:
    rng = np.random.default_rng(1)
    words = np.array(
        ["".join(rng.choice(list("abcXYZé☃ "), size=rng.integers(0, 6))) for _ in range(500)], dtype=object
    )
    words[::7] = "x" * 300  # longer than SHORT_TEXT: sorted as objects
    ranks = text_ranks(words)
    assert np.array_equal(ranks, np.unique(words, return_inverse=True)[1].reshape(-1))
    if importlib.util.find_spec("pyarrow") is not None:  # Arrow strings are sorted in their own buffers
        assert np.array_equal(text_ranks(pd.array(words, dtype=pd.StringDtype("pyarrow"))), ranks)


def test_sort_codes_of_arrow_text_make_no_python_string_a_run(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pyarrow")
    given: list[type] = []

    def ranks(text: Any) -> np.ndarray:
        given.append(type(text))
        return text_ranks(text)

    monkeypatch.setattr(columns_module, "text_ranks", ranks)
    names = pd.Series(["run-b", None, "Run-A", "run-c", "run-a"], dtype=pd.StringDtype("pyarrow"))
    assert sort_codes(names).tolist() == [1, -1, 0, 2, 0]
    assert given and given[0] is not np.ndarray  # not 100,000 Python strings made to be sorted


def test_numeric_text_sorts_as_numbers_unless_one_value_is_not() -> None:
    numeric = pd.Series([str(i) for i in range(100, 0, -1)], dtype=object)
    order = np.argsort(sort_codes(numeric), kind="stable")
    assert list(numeric[order][:3]) == ["1", "2", "3"]
    mixed = pd.Series([*[str(i) for i in range(100, 0, -1)], "abc"], dtype=object)  # not within the probe
    order = np.argsort(sort_codes(mixed), kind="stable")
    assert list(mixed[order][:3]) == ["1", "10", "100"]  # as text


def test_number_filters_on_an_object_column_of_python_numbers() -> None:
    data = pd.DataFrame(
        {
            "params.p": pd.Series([1, 2.5, None, 3, "4"], dtype=object),
            "params.q": pd.Series([1, 2.5, None, 3, 0.5], dtype=object),
        }
    )
    assert parse_filter("p >= 2", list(data.columns)).mask(data).tolist() == [False, True, False, True, True]
    assert parse_filter("q >= 1", list(data.columns)).mask(data).tolist() == [True, True, False, True, False]


def test_prepared_sort_codes_equal_the_lazy_ones() -> None:
    data = frame(40)
    facts = FrameFacts(data)
    facts.prepare_sort("name")
    lazy = FrameFacts(data)
    rows = np.arange(40)
    assert np.array_equal(facts.sort_positions(rows, "name", True), lazy.sort_positions(rows, "name", True))


def test_which_columns_vary_over_every_run_agrees_with_pandas() -> None:
    """The whole-column test (each value against the first) tells the same as counting distinct values."""
    n = 2500  # past SHORT_FRAME: the frame-facts path
    data = pd.DataFrame(
        {
            "params.same": pd.Series(["adam"] * n, dtype=object),
            "params.differs": pd.Series(["adam"] * (n - 1) + ["sgd"], dtype=object),
            "params.empty": pd.Series([None] * n, dtype=object),
            "params.once": pd.Series([None] * (n - 1) + ["x"], dtype=object),
            "params.list_same": pd.Series([[1, 2]] * n, dtype=object),
            "params.list_differs": pd.Series([[1, 2]] * (n - 1) + [[3]], dtype=object),
            "params.one_alike": pd.Series([1, 1.0] * (n // 2), dtype=object),
            "params.late_list": pd.Series(["a"] * (n - 1) + [["a"]], dtype=object),
            "params.missing_first": pd.Series([None, *["b"] * (n - 2), "c"], dtype=object),
        }
    )
    keys = list(data.columns)
    assert (
        FrameFacts(data).varying(None, keys)
        == FrameFacts(data).varying(np.arange(n), keys)
        == ["params.differs", "params.once", "params.list_differs", "params.late_list", "params.missing_first"]
    )
