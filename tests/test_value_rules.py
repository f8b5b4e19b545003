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
