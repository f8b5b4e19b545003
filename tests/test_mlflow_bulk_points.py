"""MLflow metric files parsed in bulk (issue 17) give the points the line-by-line reader gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from store.formats.mlflow.metric_files import read_point_arrays, read_points

CASES = {
    "plain": "1700000000000 0.5 0\n1700000000001 nan 1\n1700000000002 inf 2\n1700000000003 -inf 3\n1 1e-05 4",
    "old two-field lines": "1700000000000 0.5\n1700000000001 0.25 1\n",
    "dataset fields": "1 0.5 0 ds abc\n2 0.25 1 ds abc\n",
    "damage": "1 x 0\n\n2 0.5 1\n1 2 3 4\n99999999999999999999999 1 1\n",
    "a word pandas would call missing": "1 NA 0\n2 0.5 1\n",
    "other whitespace": "1  0.5 0\n2\t0.5 1\n",
    "a longer first line": "1 2 3 4\n5 6 7\n",
    "no last newline": "1 0.5 0\n2 0.75 1",
    "empty": "",
}


@pytest.mark.parametrize("name", list(CASES))
def test_bulk_points_are_the_line_by_line_points(tmp_path: Path, name: str) -> None:
    path = tmp_path / "m"
    path.write_text(CASES[name])
    points, _bad = read_points(path)
    steps, times, values = read_point_arrays(path)
    assert steps.dtype == np.int64 and steps.tolist() == [p[2] for p in points]
    assert times.tolist() == [p[0] / 1000.0 for p in points]
    assert np.array_equal(values, np.array([p[1] for p in points], dtype=float), equal_nan=True)
