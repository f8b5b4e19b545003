"""A first open of many TensorBoard or W&B runs: read in child processes, listing exactly what a read here gives.

The folders are copies of the runs the real tools wrote (tests/data/foreign, see its README):
the TensorBoard scalar, hparams-less and image runs, and the W&B finished, crashed, short,
media and synced runs, one copy a resumed run (two folders, one W&B id).
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
import threading
from collections import deque
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest

pytest.importorskip("tensorboard")
pytest.importorskip("wandb")

from store.base import RunRecord, valid_record
from store.formats import tailed
from store.formats.crc32c import masked_crc32c_many
from store.formats.series import Series
from store.formats.tailed import PooledFirstRead
from store.formats.tb_store import TensorBoardStore
from store.formats.wandb_store import WandbStore
from tests.foreign_children import FOREIGN_DATA

COPIES = 4
OLD = 1_700_000_000.0
"""Every copied file's times: runs that stopped long ago, so no record is read again as too fresh."""


def _age(root: Path) -> Path:
    for path in root.rglob("*"):
        os.utime(path, (OLD, OLD), follow_symlinks=False)
    return root


def tensorboard_folder(root: Path) -> Path:
    sources = [p.parent for p in (FOREIGN_DATA / "tensorboard").rglob("events.out.tfevents.*")]
    for i in range(COPIES):
        for source in sources:
            shutil.copytree(source, root / f"exp{i}" / f"{source.name}-{i}")
    return _age(root)


def wandb_folder(root: Path) -> Path:
    base = FOREIGN_DATA / "wandb-runs"
    target = root / "wandb"
    target.mkdir(parents=True)
    n = 0
    for _ in range(COPIES):
        for name in ("finished", "crashed", "short", "media", "synced"):
            (source,) = (base / name / "wandb").iterdir()
            prefix, stamp, _ = source.name.rsplit("-", 2)
            new_id = f"c{n:07d}"
            n += 1
            copy = target / f"{prefix}-{stamp}-{new_id}"
            shutil.copytree(source, copy, symlinks=True)
            for log in copy.glob("run-*.wandb"):
                log.rename(copy / f"run-{new_id}.wandb")
    (source,) = (base / "finished" / "wandb").iterdir()
    shutil.copytree(source, target / source.name.replace("_0856", "_0756"))  # resumed: an older folder, same id
    shutil.copytree(source, target / source.name)
    return _age(root)


def read_here(kind: type[PooledFirstRead], root: Path) -> PooledFirstRead:
    """The store as read without child processes: every run parsed here, history kept."""
    store = kind(root)
    store.parallel_bytes = 2**62
    store.refresh()
    return store


@pytest.mark.parametrize("kind,make", [(TensorBoardStore, tensorboard_folder), (WandbStore, wandb_folder)])
def test_a_cold_listing_of_many_runs_is_read_in_children_and_equals_a_read_here(
    kind: type[PooledFirstRead], make: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make(tmp_path / "runs")  # type: ignore[operator]
    here = read_here(kind, root)
    units = sorted(here._scan())
    assert len(units) >= 16

    monkeypatch.setattr(tailed, "workers", lambda: 2)  # two children even on a one-core machine
    monkeypatch.setattr(PooledFirstRead, "parallel_bytes", 1)
    monkeypatch.setattr(PooledFirstRead, "reads_here", False)  # else this process may read them all first
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cold-cache"))  # not the listing cache `here` saved
    cold = kind(root)
    with mock.patch.object(kind, "_read_record", autospec=True, side_effect=kind._read_record) as parsed_here:
        listed = cold.runs_frame()

    assert parsed_here.call_count == 0  # every run was parsed by a child
    assert len(listed) == len(units)
    for unit in units:
        assert cold._cache.entries[unit]["record"] == here._cache.entries[unit]["record"], unit
    pd.testing.assert_frame_equal(listed, here.runs_frame())

    for record in cold._cache.records():  # a chart's history, read here on demand, is every point listed
        run_id = record["run_id"]
        history = cold.history(run_id)
        pd.testing.assert_frame_equal(history, here.history(run_id))
        for key, summary in record["metrics"].items():
            assert (history["key"] == key).sum() == summary["count"], (run_id, key)


def test_this_process_reads_runs_while_a_child_does_and_lists_what_a_read_here_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = wandb_folder(tmp_path / "runs")
    here = read_here(WandbStore, root)
    units = sorted(here._scan())
    answered = threading.Event()
    read = WandbStore._read_record

    def checked(record: RunRecord) -> bool:  # a record a child sent
        answered.set()
        return valid_record(record)

    def read_after_a_child(store: WandbStore, unit: str) -> RunRecord:
        answered.wait(60)  # so the child has read some runs, however slowly it starts
        return read(store, unit)

    monkeypatch.setattr(tailed, "valid_record", checked)
    monkeypatch.setattr(tailed, "workers", lambda: 2)  # this process and one child
    monkeypatch.setattr(PooledFirstRead, "parallel_bytes", 1)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cold-cache"))
    cold = WandbStore(root)
    with mock.patch.object(WandbStore, "_read_record", autospec=True, side_effect=read_after_a_child) as parsed_here:
        listed = cold.runs_frame()

    assert 0 < parsed_here.call_count <= len(units) - tailed.BATCH  # both read: here, and a batch or more there
    for unit in units:
        assert cold._cache.entries[unit]["record"] == here._cache.entries[unit]["record"], unit
    pd.testing.assert_frame_equal(listed, here.runs_frame())


FRAME_AFTER_POOL = """
import sys
from pathlib import Path
from store.formats import tailed
from store.formats.tb_store import TensorBoardStore
assert "pandas" not in sys.modules
tailed.workers = lambda: 2
store = TensorBoardStore(Path(sys.argv[1]))
units = sorted(store._scan())
records = tailed.read_in_pool(TensorBoardStore, store.root, {}, units, store._read_record_safely)
print(len(records) == len(units), "pandas" in sys.modules)
"""


def test_the_frames_module_is_imported_while_the_runs_are_read(tmp_path: Path) -> None:
    """The listing's frame is made right after a first read: its import (0.4 s) is spread over the readers."""
    root = tensorboard_folder(tmp_path / "runs")
    env = {**os.environ, "PYTHONPATH": str(Path(tailed.__file__).resolve().parents[2])}
    done = subprocess.run(
        [sys.executable, "-c", FRAME_AFTER_POOL, str(root)], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.split() == ["True", "True"], done.stderr


def test_the_cycle_collector_is_off_while_the_runs_are_read_and_as_it_was_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    root = tensorboard_folder(tmp_path / "runs")
    store = TensorBoardStore(root)
    units = sorted(store._scan())
    monkeypatch.setattr(tailed, "workers", lambda: 2)
    collecting: list[bool] = []

    def read(unit: str) -> RunRecord:
        collecting.append(gc.isenabled())
        return store._read_record_safely(unit)

    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            assert len(tailed.read_in_pool(TensorBoardStore, root, {}, units, read)) == len(units)
            assert gc.isenabled() == enabled
    finally:
        gc.enable()
    assert collecting and not any(collecting)


class Overstated(deque[str]):
    """A queue whose length is more than it holds: as another reader sees it, having taken units since."""

    def __len__(self) -> int:
        return super().__len__() + tailed.BATCH


def test_a_child_fed_from_a_queue_others_empty_meanwhile_answers_what_it_took(tmp_path: Path) -> None:
    root = tensorboard_folder(tmp_path / "runs")
    units = sorted(TensorBoardStore(root)._scan())[:3]
    job = {"module": TensorBoardStore.__module__, "kind": "TensorBoardStore", "root": str(root), "state": {}}
    records: dict[str, RunRecord] = {}
    tailed._feed_child(job, Overstated(units), records)
    assert sorted(records) == units


def test_children_read_this_code_whatever_folder_the_app_runs_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tensorboard_folder(tmp_path / "runs")
    here = read_here(TensorBoardStore, root).runs_frame()
    project = tmp_path / "project"  # the user's project, which has a `store` package of its own
    (project / "store").mkdir(parents=True)
    (project / "store" / "__init__.py").write_text("raise ImportError('the project, not tracktui')\n")
    monkeypatch.chdir(project)
    monkeypatch.setattr(tailed, "workers", lambda: 2)
    monkeypatch.setattr(PooledFirstRead, "parallel_bytes", 1)
    monkeypatch.setattr(PooledFirstRead, "reads_here", False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cold-cache"))
    cold = TensorBoardStore(root)
    with mock.patch.object(
        TensorBoardStore, "_read_record", autospec=True, side_effect=TensorBoardStore._read_record
    ) as parsed_here:
        listed = cold.runs_frame()
    assert parsed_here.call_count == 0  # every run was parsed by a child
    pd.testing.assert_frame_equal(listed, here)


def test_a_child_that_fails_leaves_its_runs_to_be_read_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tensorboard_folder(tmp_path / "runs")
    monkeypatch.setattr(tailed, "workers", lambda: 2)
    monkeypatch.setattr(PooledFirstRead, "parallel_bytes", 1)
    monkeypatch.setattr(tailed, "CHILD", "raise SystemExit(3)")
    here = read_here(TensorBoardStore, root).runs_frame()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cold-cache"))
    store = TensorBoardStore(root)
    assert len(store.runs_frame()) == len(store._scan())
    pd.testing.assert_frame_equal(store.runs_frame(), here)


def test_series_extend_is_add_of_each_point_in_turn() -> None:
    nan = float("nan")
    batches = [([3, 1, 3], [1.0, 2.0, 3.0], [0.5, nan, 0.25]), ([2], [4.0], [9.0]), ([3, 0], [5.0, 6.0], [nan, -1.0])]
    one, bulk = Series(), Series()
    for steps, times, values in batches:
        for point in zip(steps, times, values):
            one.add(*point)
        bulk.extend(steps, times, values)
    a, b = one.summary(), bulk.summary()
    assert a == b and a["last"] is None and a["last_time"] == 5.0 and (a["min"], a["max"], a["count"]) == (-1.0, 9.0, 6)
    assert list(one.steps) == list(bulk.steps) and [v for v in one.values if not math.isnan(v)] == [
        v for v in bulk.values if not math.isnan(v)
    ]


def test_the_batched_crc_is_tensorboards_masked_crc32c() -> None:
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    payloads = [bytes(range(n % 256)) * (1 + n // 256) for n in (0, 1, 7, 60, 60, 61, 300)] + [os.urandom(60)]
    assert masked_crc32c_many(payloads) == [masked_crc32c(p) for p in payloads]
    # groups of nearby lengths share their columns (the shorter led by zeros), odd and even widths
    lengths = [0, 1, 2, 3, 8, 9, 10, 11, 12, 47, 49, 50, 51, 60, 61, 62, 63, 72, 300, 301, 2000]
    payloads = [os.urandom(lengths[i % len(lengths)]) for i in range(40 * len(lengths))]
    assert masked_crc32c_many(payloads) == [masked_crc32c(p) for p in payloads]
