"""`tracktui gc|rm|restore|rename` never reach outside the store through a symbolic link.

The user's folders outside the store are sacred: a link in `.trash` (the trash itself, an
experiment, a run) is refused or skipped, never followed; only run folders are removed; no
folder above the trash's experiment folders is ever removed; moves and edits refuse a run or
destination reached through a link.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import store
from tui.cli import main


def _store_with_runs(root: Path, names: tuple[str, ...] = ("a", "b")) -> list[str]:
    ids = []
    for name in names:
        with store.start_run(experiment="exp", name=name, root=root, system_metrics_interval=0) as run:
            run.log_metrics({"loss": 1.0})
            ids.append(run.id)
    return ids


def _precious(folder: Path) -> Path:
    """A user's folder shaped like a trash (experiment / run-like folder with meta.json)."""
    run = folder / "exp" / "20200101-000000000-aaaaaaaa"
    run.mkdir(parents=True)
    (run / "meta.json").write_text(json.dumps({"run_id": run.name}))
    (run / "thesis.tex").write_text("years of work")
    return run


def _gc(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["gc", str(root), "--older-than", "0s"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_gc_refuses_a_trash_that_is_a_symlink(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "store"
    _store_with_runs(root)
    kept = _precious(tmp_path / "home")
    (root / ".trash").symlink_to(tmp_path / "home")
    code, _, err = _gc(root, capsys)
    assert code == 2 and len(err.splitlines()) == 1 and "symbolic link" in err, err
    assert (kept / "thesis.tex").read_text() == "years of work"
    assert (tmp_path / "home" / "exp").is_dir(), "its emptied parent is not removed either"


def test_gc_skips_links_and_folders_that_are_not_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "store"
    gone, stays = _store_with_runs(root)
    assert main(["rm", str(root), gone]) == 0
    trashed = root / ".trash" / "exp" / gone
    outside_dir = tmp_path / "outside-dir"
    outside_dir.mkdir()
    (outside_dir / "keep.txt").write_text("keep")
    (trashed / "artifacts" / "link").symlink_to(outside_dir)  # inside a run being purged
    kept_exp = _precious(tmp_path / "home-exp")
    (root / ".trash" / "linked-exp").symlink_to(kept_exp.parent)
    kept_run = _precious(tmp_path / "home-run")
    (root / ".trash" / "exp" / "20200101-000000000-bbbbbbbb").symlink_to(kept_run)
    not_a_run = root / ".trash" / "exp" / "notes"
    not_a_run.mkdir()
    (not_a_run / "todo.txt").write_text("mine")
    capsys.readouterr()
    code, out, _ = _gc(root, capsys)
    assert code == 0 and gone in out and out.startswith("purged 1 run"), out
    assert out.splitlines()[1] == (
        "left in the trash, being symbolic links or not runs: exp/20200101-000000000-bbbbbbbb exp/notes linked-exp"
    ), out
    assert not trashed.exists()
    assert (outside_dir / "keep.txt").read_text() == "keep"
    assert (kept_exp / "thesis.tex").exists() and (kept_run / "thesis.tex").exists()
    assert (not_a_run / "todo.txt").read_text() == "mine", "a folder that is not a run is not removed"
    assert (root / "exp" / stays / "meta.json").is_file()


def test_rm_restore_and_rename_refuse_paths_through_links(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "store"
    first, second = _store_with_runs(root)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (root / ".trash").symlink_to(outside)
    assert main(["rm", str(root), first]) == 2
    assert "symbolic link" in capsys.readouterr().err
    assert (root / "exp" / first / "meta.json").is_file() and not any(outside.iterdir()), "nothing moved out"

    (root / ".trash").unlink()
    assert main(["rm", str(root), first]) == 0
    os.rename(root / "exp", tmp_path / "exp-real")
    (root / "exp").symlink_to(tmp_path / "exp-real")  # the experiment folder now leads out of the store
    capsys.readouterr()
    assert main(["restore", str(root), first]) == 2
    assert "symbolic link" in capsys.readouterr().err
    assert (root / ".trash" / "exp" / first / "meta.json").is_file() and not (tmp_path / "exp-real" / first).exists()
    assert main(["rename", str(root), second, "new-name"]) == 2
    err = capsys.readouterr().err  # a run behind a link out of the store is not even listed (store/FORMAT.md)
    assert "symbolic link" in err or f"no run with id, id prefix or name {second!r}" in err
    assert not list((tmp_path / "exp-real" / second).glob("edit.*")), "no edit written through the link"


def test_a_failed_move_is_one_plain_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "store"
    run_id, _ = _store_with_runs(root)
    (root / ".trash").write_text("not a folder")
    assert main(["rm", str(root), run_id]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "not a directory" in err and "Errno" not in err, err
    assert (root / "exp" / run_id / "meta.json").is_file() and not (root / "exp" / run_id / "lock").exists()
