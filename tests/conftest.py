"""Fixtures every test gets: its own cache dir and no store chosen by the environment."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep index caches of read-only stores out of the user's real cache dir."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("TRACKTUI_STORE", raising=False)


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the demo store at `./demo`, with its own config folder (views, keymap)."""
    from tests.app_helpers import demo_store  # the app's modules load only for tests that ask

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return demo_store(tmp_path / "demo")
