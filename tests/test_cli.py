"""The `tracktui` command itself: which paths open, which fail before the app starts, and what
`tracktui ls` prints (to a terminal, to a pipe, as JSON and CSV)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

import store
import tui.app
from app_helpers import demo_store, screen_text, settle
from tui.cli import main


@pytest.fixture
def headless_app(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make `tracktui STORE` run the real app headless: it settles, the screen's text is
    recorded in the returned list, and it quits. An empty list: the app never started."""
    screens: list[str] = []
    real_make_app = tui.app.make_app

    async def look(pilot: Pilot[None]) -> None:
        await settle(pilot)
        screens.append(screen_text(pilot.app))  # type: ignore[arg-type]
        pilot.app.exit()

    def make_app(*args: Any, **kwargs: Any) -> tui.app.TrackApp:
        app = real_make_app(*args, poll_seconds=0, **kwargs)
        app.run = functools.partial(app.run, headless=True, auto_pilot=look)  # type: ignore[method-assign]
        return app

    monkeypatch.setattr(tui.app, "make_app", make_app)
    return screens


def test_a_mistyped_store_path_fails_before_the_app_starts(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        headless_app: list[str]) -> None:
    """Before: the app opened on "No runs here yet" and exited 0."""
    demo_store(tmp_path / "runs-store")
    monkeypatch.chdir(tmp_path)
    assert main(["runs-stor"]) == 2
    assert headless_app == [], "the app never starts"
    err = capsys.readouterr().err
    assert "runs-stor does not exist" in err
    assert "did you mean runs-store?" in err, "a similar name next to it is suggested"
    assert main(["ls", "runs-stor"]) == 2
    assert "did you mean runs-store?" in capsys.readouterr().err


def test_the_env_store_must_exist_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str], headless_app: list[str]) -> None:
    monkeypatch.setenv("TRACKTUI_STORE", str(tmp_path / "nowhere"))
    assert main([]) == 2
    assert headless_app == []
    assert "nowhere does not exist" in capsys.readouterr().err


def test_plain_tracktui_before_the_first_run_shows_the_welcome(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, headless_app: list[str]) -> None:
    """No path given and no ./tracktui-store yet: the welcome says how to log a first run."""
    monkeypatch.chdir(tmp_path)
    assert main([]) == 0
    assert "No runs here yet" in headless_app[0]


def test_an_existing_empty_folder_is_an_empty_store(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    headless_app: list[str]) -> None:
    """Before: `ls` said "is not a tracktui store" and the app showed the same error."""
    empty = tmp_path / "new-store"
    empty.mkdir()
    assert main(["ls", str(empty)]) == 0
    out, err = capsys.readouterr()
    assert "0 runs" in out and "does not exist" not in err + out and "not a" not in err
    assert main([str(empty)]) == 0
    assert "No runs here yet" in headless_app[0]
    assert "not a tracktui store" not in headless_app[0]
    assert [p.name for p in empty.iterdir() if not p.name.startswith(".")] == [], "only the reader's index"
    with store.start_run(experiment="e", name="first", root=empty):
        pass
    assert main(["ls", str(empty), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["name"] == "first"


def test_a_folder_that_is_not_a_store_still_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    headless_app: list[str]) -> None:
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    assert main([str(tmp_path / "src")]) == 2
    assert headless_app == []
    assert "is not a tracktui store" in capsys.readouterr().err
