"""Which runs need a look: NaN or ±inf in a metric, a running run gone quiet, one that just failed.

The listing's facts come from real runs written by the public API; the rules are plain code
(`tui/shaping/attention.py`) checked on frames made here.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

import store
from tui.shaping.attention import QUIET_FLOOR, AttentionWatch, next_needing_look, quiet_reason


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


NOW = 1_795_000_000.0


def frame(*runs: tuple[str, str, float, float]) -> pd.DataFrame:
    """Runs as the listing gives them: (run id, status, created, ended or NaN); `duration` as the store makes it
    (a crashed run's runs to its last heartbeat, given here as `ended` with `ended` left NaN)."""
    rows = [
        {
            "run_id": r,
            "status": s,
            "created": c,
            "ended": math.nan if s == "crashed" else e,
            "duration": (e if e == e else NOW) - c,
        }
        for r, s, c, e in runs
    ]
    return pd.DataFrame(rows, columns=["run_id", "status", "created", "ended", "duration"])


def test_nan_or_inf_in_a_metric_flags_a_run_whatever_its_status() -> None:
    runs = frame(("a", "finished", NOW - 3600, NOW - 3000), ("b", "running", NOW - 60, math.nan))
    facts = {"a": (NOW - 3000, 1.0, "loss, val/loss"), "b": (NOW - 1, 1.0, "")}
    assert AttentionWatch().check(runs, facts, NOW) == {"a": "NaN/inf in loss, val/loss"}


def test_a_running_run_is_quiet_once_silent_far_longer_than_it_usually_is() -> None:
    runs = frame(
        ("fast", "running", NOW - 600, math.nan),
        ("slow", "running", NOW - 600, math.nan),
        ("new", "running", NOW - 600, math.nan),
        ("done", "finished", NOW - 600, NOW - 300),
    )
    facts = {
        "fast": (NOW - 30, 2.0, ""),  # logs every 2 s, silent for 30 s: quiet
        "slow": (NOW - 30, 60.0, ""),  # logs once a minute: 30 s of silence is normal
        "new": (math.nan, math.nan, ""),  # nothing logged yet: may be loading data
        "done": (NOW - 300, 2.0, ""),
    }  # not running: never quiet
    assert AttentionWatch().check(runs, facts, NOW) == {"fast": "quiet for 30s (logs every 2s)"}
    assert AttentionWatch().check(runs, facts, NOW - 20) == {}  # 10 s silent: within the floor
    assert AttentionWatch().check(runs, facts, NOW + 600)["slow"].startswith("quiet for 10m30s")


def test_quiet_needs_more_than_the_floor_even_for_a_run_logging_many_times_a_second() -> None:
    assert quiet_reason(NOW - 5, 0.01, NOW) is None
    assert quiet_reason(NOW - QUIET_FLOOR - 1, 0.01, NOW) == "quiet for 16s (logs every 0.01s)"


def test_a_run_that_fails_while_the_app_is_open_needs_a_look_an_old_failure_does_not() -> None:
    watch = AttentionWatch()
    before = frame(
        ("old", "failed", NOW - 7200, NOW - 3600),
        ("recent", "failed", NOW - 900, NOW - 120),
        ("live", "running", NOW - 900, math.nan),
        ("gone", "running", NOW - 900, math.nan),
    )
    assert watch.check(before, {}, NOW) == {"recent": "failed 2m ago"}
    after = frame(
        ("old", "failed", NOW - 7200, NOW - 3600),
        ("recent", "failed", NOW - 900, NOW - 120),
        ("live", "failed", NOW - 900, NOW - 5),
        ("gone", "crashed", NOW - 900, NOW - 40),
    )
    assert watch.check(after, {}, NOW) == {
        "recent": "failed 2m ago",
        "live": "failed just now",
        "gone": "crashed 40s ago",
    }
    # An hour on, the old news is gone but what failed in this session still shows.
    assert watch.check(after, {}, NOW + 3600) == {"live": "failed 1h ago", "gone": "crashed 1h ago"}


def test_reasons_join_and_runs_not_listed_are_left_out() -> None:
    runs = frame(("a", "running", NOW - 600, math.nan))
    facts = {"a": (NOW - 100, 1.0, "loss"), "deleted": (NOW, 1.0, "loss")}
    assert AttentionWatch().check(runs, facts, NOW) == {"a": "NaN/inf in loss; quiet for 1m40s (logs every 1s)"}


def test_the_next_run_needing_a_look_wraps_and_none_says_so() -> None:
    assert next_needing_look([7, None, 2], 2) == (7, False)
    assert next_needing_look([7, None, 2], 7) == (2, True)
    assert next_needing_look([None], 0) is None
    assert next_needing_look([], 0) is None


def test_several_stores_in_one_table_list_the_facts_and_see_a_nan_logged_after_a_refresh(tmp_path: Path) -> None:
    """The facts other kinds work out from their records (here two of our stores opened together)."""
    one, two = tmp_path / "one", tmp_path / "two"
    with store.start_run(experiment="e", name="fine", root=one) as fine:
        fine.log_metric("loss", 1.0)
    with store.start_run(experiment="e", name="later", root=two) as later:
        later.log_metric("loss", 1.0)
    multi = store.open_store([one, two])
    assert multi.log_facts() == {}
    with store.start_run(experiment="e", name="diverged", root=two) as diverged:
        diverged.log_metric("loss", math.inf)
    multi.refresh()
    (run_id,) = [r for r in multi.run_ids() if r.endswith(diverged.id)]
    facts = multi.log_facts()
    assert list(facts) == [run_id] and facts[run_id][2] == "loss"
    assert diverged.created <= facts[run_id][0] <= diverged.created + 60
