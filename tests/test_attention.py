"""Which runs need a look: NaN or ±inf in a metric, a running run gone quiet, one that just failed.

The listing's facts come from real runs written by the public API; the rules are plain code
(`tui/shaping/attention.py`) checked on frames made here.
"""

from __future__ import annotations

import math
from pathlib import Path

import store


def test_a_nan_logged_mid_history_is_named_by_the_listing_after_finite_values_follow(tmp_path: Path) -> None:
    with store.start_run(experiment="e", name="nan", root=tmp_path) as bad:
        for step, value in enumerate([1.0, math.nan, 0.5, 0.25]):
            bad.log_metric("loss", value, step=step)
            bad.log_metric("acc", 0.5, step=step)
    with store.start_run(experiment="e", name="inf", root=tmp_path) as worse:
        worse.log_metric("grad", math.inf)
        worse.log_metric("grad", 2.0)
    with store.start_run(experiment="e", name="fine", root=tmp_path) as fine:
        fine.log_metric("loss", 1.0)
    for _ in range(2):  # read from the folders, then from the listing index the first open saved
        reader = store.open_store(tmp_path)
        facts = reader.log_facts()
        reader.save_index()
        assert facts[bad.id][2] == "loss"
        assert facts[worse.id][2] == "grad"
        assert fine.id not in facts


def test_a_live_runs_last_log_and_usual_interval_are_listed(tmp_path: Path) -> None:
    with store.start_run(experiment="e", root=tmp_path) as run:
        for step in range(5):
            run.log_metric("loss", 1.0 / (step + 1))
        run.flush()
        last_logged, interval, nonfinite = store.open_store(tmp_path).log_facts()[run.id]
        assert nonfinite == ""
        assert run.created <= last_logged
        assert 0 < interval <= last_logged - run.created
