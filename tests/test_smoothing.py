"""EMA smoothing matches TensorBoard's loop, skips NaN/inf, and steps through strengths."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tui.shaping.smoothing import SMOOTHING_STEPS, ema, step_strength


def tensorboard_ema(values: list[float], weight: float) -> list[float]:
    """TensorBoard's own loop: zero start, debiased, non-finite points skipped."""
    out, last, n = [], 0.0, 0
    for v in values:
        if not math.isfinite(v):
            out.append(math.nan)
            continue
        last = last * weight + (1 - weight) * v
        n += 1
        out.append(last / (1 - weight**n))
    return out


@pytest.mark.parametrize("weight", [0.6, 0.9, 0.99, 0.999])
def test_matches_the_reference_loop(weight: float) -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(size=20_000).cumsum()
    values[[5, 500, 9_000]] = [np.nan, np.inf, -np.inf]
    got = ema(values, weight)
    want = np.array(tensorboard_ema(values.tolist(), weight))
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.nanmax(np.abs(got - want) / (1 + np.abs(want))) < 1e-9


def test_debiased_start_is_the_first_value() -> None:
    assert ema([10.0, 10.0, 10.0], 0.9).tolist() == pytest.approx([10.0, 10.0, 10.0])
    assert ema([4.0, 8.0], 0.5)[0] == pytest.approx(4.0)


def test_zero_weight_is_identity_with_gaps() -> None:
    out = ema([1.0, np.inf, 3.0], 0.0)
    assert out[0] == 1.0 and np.isnan(out[1]) and out[2] == 3.0


def test_all_nan_and_empty() -> None:
    assert np.isnan(ema([np.nan, np.nan], 0.9)).all()
    assert ema([], 0.9).size == 0


def test_rejects_weight_one() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        ema([1.0], 1.0)


def test_smooths_noise() -> None:
    rng = np.random.default_rng(0)
    noisy = 5 + rng.normal(size=5_000)
    assert np.std(ema(noisy, 0.95)[500:]) < np.std(noisy) / 3


def test_step_strength_walks_the_steps_and_clamps() -> None:
    assert SMOOTHING_STEPS[0] == 0.0
    s = 0.0
    seen = []
    for _ in range(len(SMOOTHING_STEPS) + 1):
        s = step_strength(s, +1)
        seen.append(s)
    assert seen == [*SMOOTHING_STEPS[1:], SMOOTHING_STEPS[-1], SMOOTHING_STEPS[-1]]
    assert step_strength(0.9, -1) == 0.8
    assert step_strength(0.0, -1) == 0.0
    assert step_strength(0.85, -1) == 0.8 and step_strength(0.85, +1) == 0.9
