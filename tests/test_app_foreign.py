"""W&B run folders and TensorBoard logs open in the app like any store: table, detail, charts' data, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("wandb", reason="the [wandb] extra is not installed")
pytest.importorskip("tensorboard", reason="the [tensorboard] extra is not installed")

from tests.app_helpers import demo_app, screen_text, settle, shown_names
from tests.foreign_children import run_wandb
from tests.mlflow_fixtures import tree_snapshot
from tests.test_tensorboard_reader import in_child
from tui.screens.detail import DetailScreen


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


async def test_a_wandb_offline_run_in_the_app(tmp_path: Path, config_home: None) -> None:
    root = tmp_path / "project"
    root.mkdir()
    run_wandb({"dir": str(root), "project": "mnist", "name": "lr-sweep-3", "steps": 12,
               "config": {"lr": 0.003, "batch": 64}, "tags": ["sweep"], "notes": "third try"})
    before = tree_snapshot(root)
    app = demo_app(root)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert shown_names(app) == ["lr-sweep-3"]
        text = screen_text(app)
        assert "wandb" in text and "mnist" in text
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        text = screen_text(app)
        assert "finished" in text and "0.003" in text and "loss" in text
    assert tree_snapshot(root) == before  # read-only: nothing written into the W&B folder


async def test_a_tensorboard_log_folder_in_the_app(tmp_path: Path, config_home: None) -> None:
    root = tmp_path / "tb"
    in_child(f"write_legacy(Path({str(root / 'lightning_logs' / 'version_0')!r}), 8, {{'lr': 0.5}})\n"
             f"write_tf2(Path({str(root / 'lightning_logs' / 'version_1')!r}), 8)")
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
