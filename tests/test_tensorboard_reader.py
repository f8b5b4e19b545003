"""The TensorBoard reader on event files written by the `tensorboard` package's own writers.

`tensorboard.summary.Writer` writes TF2-style tensor scalars (the `scalars` plugin's
metadata on a tag's first value only); `EventFileWriter` with `simple_value` summaries is
what PyTorch's `SummaryWriter` writes (it uses this very class); `hparams_pb` is the hparams
plugin's record (Keras' callback, `hp.hparams`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import cast

import pytest

pytest.importorskip("tensorboard", reason="the [tensorboard] extra is not installed")

import store
from store.extras import ExtraMissingError
from store.formats.tb_store import TensorBoardStore
from tests.foreign_children import TB_LIVE, start, step


def write_tf2(path: Path, steps: int) -> None:
    from tensorboard.summary import DirectoryOutput, Writer

    writer = Writer(DirectoryOutput(str(path)))
    for s in range(steps):
        writer.add_scalar("loss", 1.0 / (s + 1), s)
        writer.add_scalar("acc", s / steps, s)
    writer.close()


def write_legacy(path: Path, steps: int, hparams: dict[str, object] | None = None, end: int | None = None) -> None:
    """PyTorch's way: `simple_value` events; hparams as `add_hparams` writes them, with a session end
    status `end` (api_pb2.Status: 1 success, 2 failure) when given."""
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.plugins.hparams import metadata, plugin_data_pb2, summary_v2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(path))
    if hparams is not None:
        writer.add_event(event_pb2.Event(wall_time=time.time(), summary=summary_v2.hparams_pb(hparams, trial_id="t")))
    for s in range(steps):
        value = summary_pb2.Summary.Value(tag="train/loss", simple_value=10.0 - s)
        writer.add_event(
            event_pb2.Event(step=s * 10, wall_time=time.time(), summary=summary_pb2.Summary(value=[value]))
        )
    if end is not None:
        data = plugin_data_pb2.HParamsPluginData(
            session_end_info=plugin_data_pb2.SessionEndInfo(status=end), version=metadata.PLUGIN_DATA_VERSION
        )
        value = summary_pb2.Summary.Value(
            tag=metadata.SESSION_END_INFO_TAG, metadata=metadata.create_summary_metadata(hparams_plugin_data_pb=data)
        )
        writer.add_event(event_pb2.Event(wall_time=time.time(), summary=summary_pb2.Summary(value=[value])))
    writer.close()


def in_child(code: str) -> None:
    """Write event files from another process, as a training script would (its pid is then gone)."""
    subprocess.run(
        [sys.executable, "-c", "from tests.test_tensorboard_reader import *\n" + code],
        check=True,
        cwd=REPO,
        timeout=120,
    )


REPO = Path(__file__).resolve().parents[1]


def test_a_log_folder_lists_one_run_per_folder_with_scalars_and_hparams(tmp_path: Path) -> None:
    in_child(
        f"write_tf2(Path({str(tmp_path / 'tf2' / 'run_a')!r}), 20)\n"
        f"write_legacy(Path({str(tmp_path / 'lightning_logs' / 'version_0')!r}), 5, "
        "{'lr': 0.01, 'optimizer': 'adam', 'layers': 3})"
    )
    reader = store.open_store(tmp_path)
    assert isinstance(reader, TensorBoardStore)
    by_id = {rec["run_id"]: rec for rec in reader.records()}
    assert set(by_id) == {"tf2/run_a", "lightning_logs/version_0"}
    tf2 = by_id["tf2/run_a"]
    assert (tf2["experiment"], tf2["name"]) == ("tf2", "run_a")
    assert tf2["metrics"]["loss"]["count"] == 20  # TF2 tensor scalars: metadata only on the first value
    assert tf2["metrics"]["loss"]["last"] == pytest.approx(1 / 20)
    assert tf2["metrics"]["acc"]["max"] == pytest.approx(19 / 20)
    legacy = by_id["lightning_logs/version_0"]
    assert legacy["params"] == {"lr": 0.01, "optimizer": "adam", "layers": 3}
    assert legacy["metrics"]["train/loss"] == pytest.approx(
        {
            "last": 6.0,
            "min": 6.0,
            "max": 10.0,
            "count": 5,
            "last_step": 40,
            "last_time": legacy["metrics"]["train/loss"]["last_time"],
        }
    )
    history = reader.history("lightning_logs/version_0")
    assert list(history["step"]) == [0, 10, 20, 30, 40]
    assert list(history["value"]) == [10.0, 9.0, 8.0, 7.0, 6.0]
    detail = reader.run("tf2/run_a")
    assert detail.status == "finished"  # the writing process is gone, and TensorBoard logs have no end marker
    assert detail.facts["pid"] is not None and detail.facts["host"]
    assert detail.artifacts_dir == tmp_path / "tf2" / "run_a"


def test_a_live_writer_is_read_by_appended_bytes_then_finished_when_killed(tmp_path: Path) -> None:
    child = start(TB_LIVE, str(tmp_path / "live"))
    try:
        assert step(child, 30) == 30
        reader = store.open_store(tmp_path)
        (run_id,) = reader.run_ids()
        assert reader.run(run_id).status == "running"
        assert reader.records()[0]["metrics"]["loss"]["count"] == 30
        tail = next(iter(cast(TensorBoardStore, reader)._tails._items.values()))
        tail_file = next(iter(tail.files.values()))
        offset_before = tail_file.offset
        assert step(child, 12) == 42
        assert reader.refresh() == {run_id}
        assert reader.records()[0]["metrics"]["loss"]["count"] == 42
        assert next(iter(tail.files.values())) is tail_file and tail_file.offset > offset_before  # went on from there
        assert list(reader.history(run_id)["step"]) == list(range(42))
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    reader.refresh()
    assert reader.run(run_id).status == "finished"  # TensorBoard logs have no end marker: a gone writer finished


def test_a_truncated_event_file_keeps_every_complete_record(tmp_path: Path) -> None:
    write_legacy(tmp_path / "run", 50)
    (events,) = (tmp_path / "run").iterdir()
    data = events.read_bytes()
    events.write_bytes(data[: len(data) - 7])  # the last record torn mid-payload
    reader = store.open_store(tmp_path)
    (rec,) = reader.records()
    assert rec["metrics"]["train/loss"]["count"] == 49
    assert rec["status"] != "damaged" and rec["reason"] is None
    with events.open("ab") as fh:  # the writer finishes the record
        fh.write(data[len(data) - 7 :])
    reader.refresh()
    assert reader.records()[0]["metrics"]["train/loss"]["count"] == 50


BLOCK_TENSORBOARD = "import sys; sys.modules['tensorboard'] = None\n"


def test_without_the_extra_the_folder_is_recognised_and_says_what_to_install(tmp_path: Path) -> None:
    write_legacy(tmp_path / "run", 3)
    code = BLOCK_TENSORBOARD + "from tui.cli import main\nraise SystemExit(main(['ls', sys.argv[1]]))"
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "pip install 'tracktui[tensorboard]'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_open_store_raises_the_extra_error_in_process_when_tensorboard_cannot_be_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_legacy(tmp_path / "run", 3)
    for name in [m for m in sys.modules if m == "tensorboard" or m.startswith("tensorboard.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    with pytest.raises(ExtraMissingError, match=r"tracktui\[tensorboard\]"):
        store.open_store(tmp_path)


def test_an_hparams_session_end_status_is_the_run_status(tmp_path: Path) -> None:
    write_legacy(tmp_path / "ok", 2, {"lr": 0.1}, end=1)
    write_legacy(tmp_path / "bad", 2, {"lr": 0.2}, end=2)
    statuses = {rec["run_id"]: rec["status"] for rec in store.open_store(tmp_path).records()}
    assert statuses == {"ok": "finished", "bad": "failed"}  # though this process, their writer, is alive


def test_a_warm_start_reads_no_event_file_that_did_not_change(tmp_path: Path) -> None:
    in_child(f"write_legacy(Path({str(tmp_path / 'a')!r}), 4)\nwrite_legacy(Path({str(tmp_path / 'b')!r}), 4)")
    an_hour_ago = time.time() - 3600  # files changed within 2 s of a read are read again (store/ours/index.py)
    for events in tmp_path.glob("*/events.*"):
        os.utime(events, (an_hour_ago, an_hour_ago))
    first = store.open_store(tmp_path)
    first.records()
    first.save_index()
    again = store.open_store(tmp_path)
    assert isinstance(again, TensorBoardStore)
    assert again.records() == first.records()
    assert not again._tails._items  # every record came from the listing cache
    write_legacy(tmp_path / "b", 2)  # a restarted writer: a second event file in b
    assert again.refresh() == {"b"}
    assert list(again._tails._items) == ["b"]
    assert again.records()[1]["metrics"]["train/loss"]["count"] == 6


def test_a_corrupt_record_is_skipped_with_a_note_and_the_events_after_it_are_read(tmp_path: Path) -> None:
    """Old code: TensorBoard's loader stops at the first bad CRC for good: 20 of 50 points, and no note."""
    import struct

    write_legacy(tmp_path / "run", 50)
    (events,) = (tmp_path / "run").iterdir()
    data = bytearray(events.read_bytes())
    starts, pos = [], 0
    while pos < len(data):  # TFRecord framing: length:u64, crc:u32, data, crc:u32
        starts.append(pos)
        pos += 12 + struct.unpack_from("<Q", data, pos)[0] + 4
    first_point = len(starts) - 50  # the file version event comes first
    data[starts[first_point + 20] + 14] ^= 0xFF  # a byte of the 21st point's data: its data CRC fails
    data[starts[first_point + 30] + 1] ^= 0x01  # its length: the length CRC fails, the length cannot be trusted
    events.write_bytes(bytes(data))
    reader = store.open_store(tmp_path)
    (rec,) = reader.records()
    assert rec["metrics"]["train/loss"]["count"] == 48
    assert rec["reason"] is not None and "2 damaged event records skipped" in rec["reason"]
    assert list(reader.history(rec["run_id"], ["train/loss"])["step"])[-1] == 490


def test_a_run_without_a_session_end_ends_at_its_last_event_not_its_files_mtime(tmp_path: Path) -> None:
    """Old code: the end was the event file's mtime, which a copy resets (a 13-minute run showed 606 days;
    here, with the copy's mtime in 2030, the run was even `running`)."""
    in_child(f"write_legacy(Path({str(tmp_path / 'written')!r}), 5)")
    import shutil

    shutil.copytree(tmp_path / "written", tmp_path / "copy" / "run")
    (events,) = (tmp_path / "copy" / "run").iterdir()
    os.utime(events, (1_900_000_000, 1_900_000_000))
    reader = store.open_store(tmp_path / "copy")
    (row,) = reader.runs_frame().to_dict("records")
    assert row["status"] == "finished" and 0 <= row["duration"] < 60
    detail = reader.run(row["run_id"])
    assert detail.ended is not None and detail.ended < 1_900_000_000 and detail.duration is not None
    assert detail.duration < 60
