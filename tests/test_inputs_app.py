"""Inputs in the app: the detail lists them, the diff has an inputs section that marks a changed digest."""

from __future__ import annotations

from pathlib import Path

import pytest

import store
from tests.app_helpers import demo_app, screen_text, settle
from tui.screens.detail import DetailScreen
from tui.screens.diff import DiffScreen
from tui.shaping.diff import build_diff


@pytest.fixture
def two_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, list[str]]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data = tmp_path / "data"
    data.mkdir()
    root = tmp_path / "s"
    ids = []
    for i, text in enumerate(["a,b\n1,2\n", "a,b\n1,2\n9,9\n"]):
        (data / "train.csv").write_text(text)
        with store.start_run("e", name=f"run{i}", root=root, system_metrics_interval=0) as run:
            run.log_input(data / "train.csv")
            run.log_input("labels-v3", digest="md5:feedbeef00112233", kind="labels", context="eval")
            run.log_metric("loss", 1.0 / (i + 1))
        ids.append(run.id)
    return root, ids


def test_diff_has_an_inputs_section_that_differs_only_where_the_digest_does(two_runs) -> None:
    root, ids = two_runs
    st = store.open_store(root)
    diff = build_diff([st.run(i) for i in ids])
    rows = {row.key: row for row in diff.rows if row.section == "inputs"}
    assert set(rows) == {"inputs.train.csv", "inputs.labels-v3 (eval)"}
    assert rows["inputs.train.csv"].differs and not rows["inputs.labels-v3 (eval)"].differs
    assert rows["inputs.labels-v3 (eval)"].values == ["md5:feedbeef0011"] * 2
    assert rows["inputs.train.csv"].values[0].startswith("sha256:")


async def test_detail_lists_inputs_and_the_diff_shows_them(two_runs) -> None:
    root, ids = two_runs
    st = store.open_store(root)
    digest = st.run(ids[0]).inputs[0]["digest"]
    app = demo_app(root)
    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot)
        app.push_screen(DetailScreen(app.store, ids[0]))
        await settle(pilot)
        text = screen_text(app)
        assert "inputs (2)" in text and "train.csv" in text and "labels-v3" in text
        assert digest[:19] in text and digest[:20] not in text  # `sha256:` and 12 hex characters
        assert "md5:feedbeef0011" in text and "8 B" in text
        await pilot.press("escape")
        await settle(pilot)
        app.push_screen(DiffScreen(app.store, ids))
        await settle(pilot)
        text = screen_text(app)
        assert "inputs" in text and "labels-v3 (eval)" in text and "train.csv" in text
