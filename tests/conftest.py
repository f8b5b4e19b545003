"""Fixtures every test gets: its own cache dir and no store chosen by the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.children import stat_child_always

SLOW_MODULES = frozenset(
    {
        # a real `mlflow server` per module (seconds to start, each)
        "test_mlflow_server",
        "test_push_faults",
        "test_registry_mlflow",
        "test_server_hostile",
        "test_server_ux",
        "test_push_round_trip",
        "test_server_offline",
        "test_server_poll",
        # real child processes: wrapped commands, signals, SIGKILLed writers, the real TensorBoard and W&B writers
        "test_run_command",
        "test_run_signals",
        "test_store_faults",
        "test_console_capture",
        "test_wandb_reader",
        "test_tensorboard_reader",
        "test_guards_files",
        "test_first_open",
        # the real Lightning, Transformers and Keras (skipped where they are not installed)
        "test_integration_lightning",
        "test_integration_huggingface",
        "test_integration_keras",
    }
)
"""Modules marked `slow`: `pytest -m "not slow"` leaves them out while you change one module (CI runs all)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.stem in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep index caches of read-only stores out of the user's real cache dir, and settings (views,
    marks, the workspace) out of the user's config: each test starts with none, as a new user does."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.delenv("TRACKTUI_STORE", raising=False)


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the demo store at `./demo`, with its own config folder (views, keymap)."""
    from tests.app_helpers import demo_store  # the app's modules load only for tests that ask

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return demo_store(tmp_path / "demo")


@pytest.fixture(params=["here", "in a child"])
def first_listing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A listing of our store two ways: its files stat'ed here, or by the child process a large store gets
    on a machine of two cores (`TrackStore._take_numbers`: a first listing's stats, half a quick scan's),
    here for any size."""
    if request.param == "in a child":
        stat_child_always(monkeypatch)
    return str(request.param)
