"""The one rule for a value read from a foreign file to a float (`store.formats.series.number`)."""

from __future__ import annotations

import math

from store.formats.mlflow.common import as_float
from store.formats.series import number


def test_a_number_too_big_for_a_float_is_no_number_not_an_error() -> None:
    """A JSON file (dvclive, HF trainer state, W&B summary) may hold an int of 400 digits:
    it is no metric value, and reading it must not raise OverflowError out of the reader."""
    assert number(10**400) is None and number(-(10**400)) is None
    assert as_float(10**400) is None


def test_number_and_mlflow_as_float_differ_only_where_their_docstrings_say() -> None:
    for value in (3, 0.5, "0.5", "NaN", "Infinity", "", "x", None, [1], {"a": 1}):
        a, b = number(value), as_float(value)
        assert a == b or (a is not None and b is not None and math.isnan(a) and math.isnan(b)), value
    assert number(True) is None and as_float(True) == 1.0


def test_a_series_extended_in_one_go_keeps_min_and_max_of_its_numbers_only() -> None:
    """`Series.extend` skips the NaN filter when the values' sum says there is none: the same figures."""
    from store.formats.series import Series

    cases = {
        (1.0, math.nan, 3.0): (1.0, 3.0),
        (math.inf, -math.inf, 2.0): (-math.inf, math.inf),
        (1e308, 1e308, -5.0): (-5.0, 1e308),
        (math.nan,): (None, None),
        (2, 5, 1): (1, 5),
    }
    for values, (low, high) in cases.items():
        series = Series()
        series.extend(list(range(len(values))), [0.0] * len(values), list(values))
        assert (series.minimum, series.maximum) == (low, high), values
