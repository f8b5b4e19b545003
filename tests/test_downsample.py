"""Min/max downsampling: every bucket keeps its extremes, gaps stay gaps, and it is vectorised."""

from __future__ import annotations

import numpy as np
import pytest

from tui.shaping.downsample import minmax_downsample, split_segments


def test_short_input_comes_back_whole_with_inf_as_nan() -> None:
    x = np.arange(5.0)
    y = np.array([1.0, np.inf, 3.0, -np.inf, 5.0])
    ox, oy = minmax_downsample(x, y, buckets=10)
    assert ox.tolist() == x.tolist()
    assert np.isnan(oy[[1, 3]]).all() and oy[[0, 2, 4]].tolist() == [1.0, 3.0, 5.0]


def test_keeps_min_and_max_of_every_bucket() -> None:
    rng = np.random.default_rng(7)
    n, buckets = 100_003, 97
    x = np.arange(n, dtype=float)
    y = rng.normal(size=n)
    y[12_345] = 50.0  # a spike that must survive
    y[99_999] = -50.0
    ox, oy = minmax_downsample(x, y, buckets)
    assert ox.size <= 2 * buckets
    size = -(-n // buckets)
    kept = set(ox.astype(int).tolist())
    for start in range(0, n, size):
        chunk = y[start : start + size]
        assert start + int(np.argmin(chunk)) in kept
        assert start + int(np.argmax(chunk)) in kept
    assert oy.max() == 50.0 and oy.min() == -50.0
    assert np.all(np.diff(ox) > 0), "points stay in their original order"
    assert np.array_equal(oy, y[ox.astype(int)])


def test_nan_and_inf_leave_gap_markers() -> None:
    n = 10_000
    x = np.arange(n, dtype=float)
    y = np.sin(x / 100)
    y[2_000:2_500] = np.nan
    y[7_000] = np.inf
    ox, oy = minmax_downsample(x, y, buckets=100)
    gaps = ox[np.isnan(oy)]
    assert gaps.size >= 2
    assert any(2_000 <= g < 2_500 for g in gaps)
    assert 7_000 in gaps
    assert not np.isinf(oy).any()
    finite = oy[np.isfinite(oy)]
    assert finite.max() <= 1.0 and finite.min() >= -1.0
    segments = split_segments(ox, oy)
    assert len(segments) >= 3
    assert all(np.isfinite(sy).all() for _, sy in segments)


def test_all_nan_bucket_gives_only_a_gap() -> None:
    y = np.full(1_000, np.nan)
    y[:10] = 1.0
    ox, oy = minmax_downsample(np.arange(1_000.0), y, buckets=10)
    assert np.isnan(oy[1:]).all() and oy[0] == 1.0
    assert ox.size == 11  # bucket 0: one value (min == max) and one gap; the nine others a gap each


def test_constant_bucket_keeps_one_point() -> None:
    ox, oy = minmax_downsample(np.arange(100.0), np.ones(100), buckets=10)
    assert ox.size == 10 and (oy == 1.0).all()


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="same length"):
        minmax_downsample(np.arange(3.0), np.arange(4.0), 2)
    with pytest.raises(ValueError, match="at least 1"):
        minmax_downsample(np.arange(3.0), np.arange(3.0), 0)


def test_million_points_come_down_to_twice_the_buckets() -> None:
    x = np.arange(1_000_000, dtype=float)
    y = np.cos(x / 1000)
    ox, oy = minmax_downsample(x, y, buckets=150)
    assert ox.size <= 300 and oy.size == ox.size


def test_split_segments_without_gaps_is_one_segment() -> None:
    x = np.arange(4.0)
    assert len(split_segments(x, x)) == 1
    assert split_segments(np.empty(0), np.empty(0)) == []
