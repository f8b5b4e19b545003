"""Inputs: the data a run used, with a digest that is computed once and DVC's when DVC tracks it."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

import store
from store.ours import inputs as inputs_mod


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file actually read to hash it."""
    seen: list[Path] = []
    real = inputs_mod._sha256

    def counting(path: Path) -> str:
        seen.append(path)
        return real(path)

    monkeypatch.setattr(inputs_mod, "_sha256", counting)
    return seen


def read_back(root: Path, run_id: str) -> list[dict]:
    return store.open_store(root).run(run_id).inputs


def test_a_file_is_recorded_with_size_mtime_and_sha256(tmp_path: Path, hashes: list[Path]) -> None:
    data = tmp_path / "train.csv"
    data.write_bytes(b"a,b\n1,2\n")
    with store.start_run(root=tmp_path / "s", system_metrics_interval=0) as run:
        entry = run.log_input(data)
        store.log_input("imagenet-1k", digest="sha256:feed", kind="dataset", context="eval")
    assert entry["digest"] == "sha256:" + hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    found = read_back(tmp_path / "s", run.id)
    assert [(e["name"], e["context"]) for e in found] == [("train.csv", "train"), ("imagenet-1k", "eval")]
    first, named = found
    assert first["path"] == str(data.resolve()) and first["size"] == 8 and first["kind"] == "dataset"
    assert first["mtime"] == pytest.approx(data.stat().st_mtime) and first["digest"] == entry["digest"]
    assert named["path"] is None and named["digest"] == "sha256:feed" and named["digest_source"] == "given"
    assert hashes == [data.resolve()]


def test_digests_are_cached_by_path_size_and_mtime(tmp_path: Path, hashes: list[Path]) -> None:
    data = tmp_path / "big.bin"
    data.write_bytes(b"x" * 1000)
    for _ in range(2):
        with store.start_run(root=tmp_path / "s", system_metrics_interval=0) as run:
            run.log_input(data)
    assert len(hashes) == 1  # the second run took it from the cache
    cache = json.loads((Path(os.environ["XDG_CACHE_HOME"]) / "tracktui" / "digests.json").read_text())
    assert str(data.resolve()) in cache
    data.write_bytes(b"y" * 1000)
    os.utime(data, ns=(1, 1))  # same size, another mtime: hashed again
    with store.start_run(root=tmp_path / "s", system_metrics_interval=0) as run:
        entry = run.log_input(data)
    assert len(hashes) == 2 and entry["digest"] == "sha256:" + hashlib.sha256(b"y" * 1000).hexdigest()


def test_a_folder_digest_is_made_of_its_files_digests(tmp_path: Path) -> None:
    for name in ("a", "b"):
        folder = tmp_path / name
        (folder / "sub").mkdir(parents=True)
        (folder / "x.txt").write_text("x")
        (folder / "sub" / "y.txt").write_text("yy")
    with store.start_run(root=tmp_path / "s", system_metrics_interval=0) as run:
        a, b = run.log_input(tmp_path / "a"), run.log_input(tmp_path / "b")
        assert a["digest"] == b["digest"] and a["files"] == 2 and a["size"] == 3
        (tmp_path / "b" / "sub" / "y.txt").write_text("yz")
        assert run.log_input(tmp_path / "b")["digest"] != a["digest"]
        (tmp_path / "a" / "sub" / "y.txt").rename(tmp_path / "a" / "y.txt")
        assert run.log_input(tmp_path / "a")["digest"] != b["digest"]  # paths count, not only contents
    assert len(read_back(tmp_path / "s", run.id)) == 2  # the same path logged again replaces its entry


def test_a_dvc_file_gives_dvcs_md5_without_hashing(tmp_path: Path, hashes: list[Path]) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "part-0").write_text("rows")
    (tmp_path / "data.dvc").write_text(
        "outs:\n- md5: 0123456789abcdef0123456789abcdef.dir\n  size: 4\n  nfiles: 1\n  path: data\n"
    )
    with store.start_run(root=tmp_path / "s", system_metrics_interval=0) as run:
        entry = run.log_input(tmp_path / "data", context="eval")
    assert entry["digest"] == "md5:0123456789abcdef0123456789abcdef.dir" and entry["digest_source"] == "dvc"
    assert hashes == []


def test_a_dvc_lock_above_the_path_gives_its_md5(tmp_path: Path, hashes: list[Path]) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "data").mkdir()
    (repo / "data" / "clean.csv").write_text("a\n")
    (repo / "dvc.lock").write_text(
        "schema: '2.0'\nstages:\n  prepare:\n    cmd: python prep.py\n    deps:\n    - path: raw.csv\n"
        "      md5: aaaa\n    outs:\n    - path: data/clean.csv\n      hash: md5\n      md5: bbbb\n      size: 2\n"
    )
    with store.start_run(root=tmp_path / "s", system_metrics_interval=0) as run:
        entry = run.log_input(repo / "data" / "clean.csv")
        other = run.log_input(repo / "data")  # not in the lock: hashed
    assert entry["digest"] == "md5:bbbb" and entry["size"] == 2
    assert other["digest"].startswith("sha256:") and hashes == [(repo / "data" / "clean.csv").resolve()]


def test_inputs_refuse_bad_calls_and_finished_runs(tmp_path: Path) -> None:
    with store.start_run(root=tmp_path / "s", system_metrics_interval=0) as run:
        with pytest.raises(ValueError, match="input"):
            run.log_input("")
        with pytest.raises(ValueError, match="control"):
            run.log_input("x", context="a\nb")
    with pytest.raises(store.RunFinishedError):
        run.log_input("x")


def test_a_damaged_inputs_file_reads_as_none(tmp_path: Path) -> None:
    with store.start_run(root=tmp_path / "s", system_metrics_interval=0) as run:
        run.log_input("x", digest="d")
    (run.path / "inputs.json").write_text("{not json")
    assert read_back(tmp_path / "s", run.id) == []
