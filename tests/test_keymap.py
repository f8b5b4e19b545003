"""The user's keymap file: binding ids to keys; a broken file is one clear line, never a crash."""

from __future__ import annotations

from pathlib import Path

from tui.keymap import load_keymap


def test_missing_file_is_no_keymap(tmp_path: Path) -> None:
    assert load_keymap(tmp_path / "keymap.yaml") == ({}, None)


def test_ids_to_keys(tmp_path: Path) -> None:
    path = tmp_path / "keymap.yaml"
    path.write_text("runs.charts: g\nvim.down: [j, n]\nvim.up: 'k, up'\n")
    assert load_keymap(path) == ({"runs.charts": "g", "vim.down": "j,n", "vim.up": "k,up"}, None)


def test_broken_files_say_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "keymap.yaml"
    for text in ("runs.charts: [g\n", "- just a list\n", "runs.charts: 3\n", "runs.charts: ''\n"):
        path.write_text(text)
        keymap, error = load_keymap(path)
        assert keymap == {}
        assert error and str(path) in error and "\n" not in error
