"""Selecting runs by the data they used: `inputs.*` columns from `run.log_input`, through the real store."""

from __future__ import annotations

from pathlib import Path

import pytest

import store
from tui.shaping.filter_expr import FilterError, apply_filter


@pytest.fixture
def frame(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.csv").write_text("a,b\n1,2\n")
    (data / "eval.csv").write_text("a,b\n3,4\n")
    root = tmp_path / "s"
    with store.start_run("e", name="both", root=root, system_metrics_interval=0) as run:
        run.log_input(data / "train.csv")
        run.log_input(data / "eval.csv", context="eval")
    with store.start_run("e", name="named", root=root, system_metrics_interval=0) as run:
        run.log_input("imagenet-v2", digest="md5:1234abcd")
    with store.start_run("e", name="none", root=root, system_metrics_interval=0):
        pass
    return store.open_store(root).runs_frame()


def names(frame, text: str) -> set[str]:
    return set(apply_filter(frame, text)["name"])


def test_inputs_columns_hold_digests_and_filter_by_name_digest_and_presence(frame) -> None:
    digest = frame.loc[frame["name"] == "both", "inputs.train.csv"].iloc[0]
    assert digest.startswith("sha256:") and len(digest) == len("sha256:") + 64
    assert names(frame, "inputs.name = train.csv") == {"both"}
    assert names(frame, "inputs.name = IMAGENET-V2") == {"named"}
    assert names(frame, "inputs.name ~ csv$") == {"both"}
    assert names(frame, "inputs.name != train.csv") == {"named", "none"}
    assert names(frame, f"inputs.digest = {digest[7:15]}") == {"both"}  # a prefix, without the label
    assert names(frame, f"inputs.train.csv = {digest[:15].upper()}") == {"both"}  # with it, any case
    assert names(frame, "inputs.digest = 1234") == {"named"}  # digits are text here, not the number
    assert names(frame, "inputs.digest in (1234, ffff)") == {"named"}
    assert names(frame, "has:inputs.train.csv") == {"both"}
    assert names(frame, "has:imagenet-v2") == {"named"}  # the short name, as for params and tags
    assert names(frame, "has:inputs.name") == {"both", "named"}
    assert names(frame, "not has:inputs.digest") == {"none"}
    with pytest.raises(FilterError, match="compare with = or ~"):
        apply_filter(frame, "inputs.digest > ab")
