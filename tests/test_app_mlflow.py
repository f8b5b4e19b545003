"""MLflow stores open in the app exactly like our own: table, detail, artifacts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app_helpers import demo_app, screen_text, settle, shown_names
from tests.mlflow_fixtures import tree_snapshot, unpack
from tui.screens.detail import DetailScreen
from tui.widgets.runs_table import RunsTable

POLY = {"poly-degree-1", "poly-degree-2", "poly-degree-3", "poly-degree-10"}


@pytest.fixture
def fixtures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return unpack(tmp_path / "fx")


@pytest.mark.parametrize("kind", ["filestore/mlruns", "sqlite/mlflow.db"])
async def test_mlflow_store_in_the_app(fixtures: Path, kind: str) -> None:
    path = fixtures / kind
    before = tree_snapshot(path.parent)
    app = demo_app(path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        names = set(shown_names(app))
        assert POLY | {"rf-baseline", "rf-shallow", "rf-wide", "rf-broken"} == names  # rf-deleted hidden
        assert ("mlflow-file" if "filestore" in kind else "mlflow-sql") in screen_text(app)
        table = app.screen.query_one(RunsTable)
        row = table.view.row_of(table.view.frame.loc[table.view.frame["name"] == "rf-broken", "run_id"].iloc[0])
        assert row is not None
        table.cursor_row = row
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        assert "failed" in screen_text(app)
        await pilot.press("escape", "slash", *"mse < 1")
        await pilot.pause()
        assert set(shown_names(app)) == {"poly-degree-2", "poly-degree-3"}
    assert tree_snapshot(path.parent) == before  # nothing written into the MLflow store


async def test_deleted_runs_shown_on_request(fixtures: Path) -> None:
    app = demo_app(fixtures / "filestore/mlruns", include_deleted=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "rf-deleted" in shown_names(app)


async def test_logged_model_shows_with_its_run_in_artifacts(fixtures: Path) -> None:
    from tui.screens.artifacts import ArtifactsScreen

    app = demo_app(fixtures / "sqlite/mlflow.db")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = app.screen.query_one(RunsTable)
        frame = table.view.frame
        row = table.view.row_of(frame.loc[frame["name"] == "poly-degree-2", "run_id"].iloc[0])
        assert row is not None
        table.cursor_row = row
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ArtifactsScreen)
        assert "model: model" in screen_text(app)
