"""TensorBoard logs open in the app like any store: table, detail, nothing written (W&B's app test is in
tests/test_wandb_reader.py, on its module's run)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("tensorboard", reason="the [tensorboard] extra is not installed")

from tests.app_helpers import demo_app, screen_text, settle, shown_names
from tests.mlflow_fixtures import tree_snapshot
from tests.test_tensorboard_reader import in_child
from tui.screens.detail import DetailScreen


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


async def test_a_tensorboard_log_folder_in_the_app(tmp_path: Path, config_home: None) -> None:
    root = tmp_path / "tb"
    in_child(
        f"write_legacy(Path({str(root / 'lightning_logs' / 'version_0')!r}), 8, {{'lr': 0.5}})\n"
        f"write_tf2(Path({str(root / 'lightning_logs' / 'version_1')!r}), 8)"
    )
    before = tree_snapshot(root)
    app = demo_app(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert sorted(shown_names(app)) == ["version_0", "version_1"]
        assert "tensorboard" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert "finished" in screen_text(app)
    assert tree_snapshot(root) == before
