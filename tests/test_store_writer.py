"""The logging API writes what it is given, refuses what it cannot store, and loses nothing."""

from __future__ import annotations

import json
import math
import os
import signal
import time
from pathlib import Path
from typing import IO, cast

import numpy as np
import pytest

import store
from store.ours import atomic, layout
from tests.children import run_python


def test_round_trip_of_everything(tmp_path: Path) -> None:
    src = tmp_path / "model.pkl"
    src.write_bytes(b"\x80\x04binary")
    plots = tmp_path / "plots"
    plots.mkdir()
    (plots / "a.txt").write_text("a")
    with store.start_run(experiment="poly-regression", name="degree-2", root=tmp_path / "s") as run:
        run.log_params({"degree": 2, "model": {"type": "linreg", "fit_intercept": True}})
        run.log_metric("mse", 4.2)
        run.log_metric("mse", 3.1)
        run.log_metrics({"loss": 0.31, "acc": 0.9}, step=10)
        run.log({"train/loss": 0.31}, step=10)
        run.log_metric("weird", float("nan"))
        run.log_metric("weird", float("inf"))
        run.set_tag("stage", "baseline")
        run.set_tags({"owner": "ml"})
        run.log_artifact(src)
        run.log_artifact(plots, name="figures")
        run.log_text("notes/summary.md", "# hi")
        run.log_dict("config.yaml", {"lr": 0.1})
        run.log_dict("config.json", {"lr": 0.1})
        run_id = run.id
    s = store.open_store(tmp_path / "s")
    frame = s.runs_frame()
    row = frame.iloc[0]
    assert row["run_id"] == run_id and row["name"] == "degree-2" and row["status"] == "finished"
    assert row["experiment"] == "poly-regression"
    assert row["params.degree"] == 2 and row["params.model.type"] == "linreg"
    assert row["params.model.fit_intercept"] is True
    assert row["metrics.mse"] == 3.1 and row["metrics.train/loss"] == 0.31
    assert row["tags.stage"] == "baseline" and row["tags.owner"] == "ml"
    assert list(frame.columns[:7]) == ["run_id", "experiment", "name", "status", "created", "ended", "duration"]
    detail = s.run(run_id)
    assert detail.params == {"degree": 2, "model": {"type": "linreg", "fit_intercept": True}}
    assert detail.metrics["mse"]["min"] == 3.1 and detail.metrics["mse"]["max"] == 4.2
    assert detail.metrics["mse"]["count"] == 2 and detail.metrics["mse"]["last_step"] == 1
    assert detail.metrics["weird"]["count"] == 2
    hist = detail.history(["mse", "weird"])
    assert list(hist.columns) == ["key", "step", "time", "value"]
    assert hist[hist.key == "mse"]["step"].tolist() == [0, 1]
    weird = hist[hist.key == "weird"]["value"].tolist()
    assert math.isnan(weird[0]) and weird[1] == math.inf
    art = detail.artifacts_dir
    assert art is not None
    assert (art / "model.pkl").read_bytes() == b"\x80\x04binary"
    assert (art / "figures" / "a.txt").read_text() == "a"
    assert (art / "notes" / "summary.md").read_text() == "# hi"
    assert "lr: 0.1" in (art / "config.yaml").read_text()
    assert json.loads((art / "config.json").read_text()) == {"lr": 0.1}
    assert not (Path(detail.facts["path"]) / layout.LOCK).exists()


def test_metadata_facts(tmp_path: Path) -> None:
    with store.start_run(experiment="e", root=tmp_path) as run:
        pass
    meta = json.loads((run.path / "meta.json").read_text())
    assert meta["version"] == layout.FORMAT_VERSION
    assert meta["pid"] == os.getpid() and meta["host"] and meta["python"]
    assert meta["created"] <= meta["ended"]
    assert json.loads((tmp_path / layout.STORE_MARKER).read_text())["version"] == layout.FORMAT_VERSION


def test_module_functions_act_on_active_run(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    with store.start_run(experiment="iris-classification", name="rf-baseline", root=tmp_path / "s") as run:
        assert store.active_run() is run
        store.log_params({"n_estimators": 100, "max_depth": 5})
        store.log_param("criterion", "gini")
        store.log_metric("accuracy", 0.95)
        store.log_metrics({"f1": 0.9})
        store.set_tag("data", "v2")
        store.set_tags({"x": "y"})
        store.log_artifact(data)
        store.log_text("t.txt", "t")
        store.log_dict("d.json", {"a": 1})
    assert store.active_run() is None
    row = store.open_store(tmp_path / "s").runs_frame().iloc[0]
    assert row["params.criterion"] == "gini" and row["metrics.accuracy"] == 0.95 and row["tags.data"] == "v2"
    with pytest.raises(RuntimeError, match="no active run"):
        store.log_metric("x", 1.0)


def test_without_with_block_and_resume(tmp_path: Path) -> None:
    run = store.start_run(experiment="e", root=tmp_path)
    run.log_metric("x", 1.0)
    run.finish()
    with pytest.raises(store.RunFinishedError, match="finished"):
        run.log_metric("x", 2.0)
    again = store.start_run(resume=run.id, root=tmp_path)
    again.log_metric("x", 2.0)
    again.log_params({"lr": 0.1})
    again.finish()
    s = store.open_store(tmp_path)
    assert s.runs_frame()["metrics.x"].tolist() == [2.0]
    assert s.run(run.id).history()["step"].tolist() == [0, 1]


def test_bad_inputs_fail_at_the_call(tmp_path: Path) -> None:
    with store.start_run(experiment="e", root=tmp_path) as run:
        with pytest.raises(TypeError, match=r"'acc'.*str"):
            run.log_metric("acc", "0.9")
        with pytest.raises(TypeError, match="NoneType"):
            run.log_metric("acc", None)
        with pytest.raises(ValueError, match="empty"):
            run.log_metric("", 1.0)
        with pytest.raises(ValueError, match="control"):
            run.log_metric("a\nb", 1.0)
        with pytest.raises(ValueError, match="control"):
            run.set_tag("t\x1b", "x")
        run.log_params({"lr": 0.1})
        run.log_params({"lr": 0.1})  # same value again is fine
        with pytest.raises(ValueError, match=r"'lr' is already 0\.1"):
            run.log_params({"lr": 0.2})
        run.log_metric("np", np.float32(0.5))
        run.log_metric("np0d", np.array(1.5))
        run.log_metric("int", 3)
        run.log_metric("train/loss", 0.1, step=np.int64(4))
        with pytest.raises(TypeError):
            run.log_metric("vec", np.array([1.0, 2.0]))
    summary = store.open_store(tmp_path).run(run.id).metrics
    assert summary["np"]["last"] == 0.5 and summary["np0d"]["last"] == 1.5 and summary["train/loss"]["last_step"] == 4


@pytest.mark.parametrize("name", ["/etc/passwd", "../x", "a/../../x", "a/../..", ".."])
def test_artifact_names_that_escape_are_refused(tmp_path: Path, name: str) -> None:
    src = tmp_path / "f.txt"
    src.write_text("x")
    with store.start_run(experiment="e", root=tmp_path / "s") as run:
        with pytest.raises(ValueError):
            run.log_artifact(src, name=name)
        with pytest.raises(ValueError):
            run.log_text(name, "x")


def test_artifact_symlink_escape_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    with store.start_run(experiment="e", root=tmp_path / "s") as run:
        (run.artifacts_dir / "link").symlink_to(outside)
        with pytest.raises(ValueError, match="symlink"):
            run.log_text("link/evil.txt", "x")
    assert not (outside / "evil.txt").exists()


def test_exception_marks_failed_with_traceback(tmp_path: Path) -> None:
    with pytest.raises(ZeroDivisionError):
        with store.start_run(experiment="e", root=tmp_path) as run:
            run.log_metric("x", 1.0)
            1 / 0  # noqa: B018
    detail = store.open_store(tmp_path).run(run.id)
    assert detail.status == "failed"
    assert detail.error is not None and "ZeroDivisionError" in detail.error


def test_keyboard_interrupt_marks_killed(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        with store.start_run(experiment="e", root=tmp_path):
            raise KeyboardInterrupt
    assert store.open_store(tmp_path).runs_frame()["status"].tolist() == ["killed"]


def test_uncaught_exception_in_script_marks_failed(tmp_path: Path) -> None:
    proc = run_python(f"""
        import store
        run = store.start_run(experiment="e", root={str(tmp_path)!r})
        run.log_metric("x", 1.0)
        raise ValueError("boom")
    """)
    assert proc.returncode == 1
    s = store.open_store(tmp_path)
    detail = s.run(s.run_ids()[0])
    assert detail.status == "failed" and "boom" in (detail.error or "")
    assert detail.metrics["x"]["last"] == 1.0


def test_script_exit_without_finish_marks_finished(tmp_path: Path) -> None:
    proc = run_python(f"""
        import store
        run = store.start_run(experiment="e", root={str(tmp_path)!r})
        for i in range(1000):
            run.log_metric("x", float(i))
    """)
    assert proc.returncode == 0, cast(IO[bytes], proc.stderr).read()
    frame = store.open_store(tmp_path).runs_frame()
    assert frame["status"].tolist() == ["finished"] and frame["metrics.x"].tolist() == [999.0]


def test_sigterm_marks_killed_and_flushes(tmp_path: Path) -> None:
    proc = run_python(
        f"""
        import store, sys, time
        run = store.start_run(experiment="e", root={str(tmp_path)!r}, flush_interval=60)
        run.log_metric("x", 7.0)
        print("ready", flush=True)
        time.sleep(60)
    """,
        wait=False,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"ready"
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    frame = store.open_store(tmp_path).runs_frame()
    assert frame["status"].tolist() == ["killed"] and frame["metrics.x"].tolist() == [7.0]


def test_sigkill_keeps_flushed_points_and_reads_crashed(tmp_path: Path) -> None:
    proc = run_python(
        f"""
        import store, time
        run = store.start_run(experiment="e", name="doomed", root={str(tmp_path)!r}, flush_interval=0.05)
        for i in range(500):
            run.log_metric("x", float(i), step=i)
        run.flush()
        print("flushed", flush=True)
        i = 500
        while True:
            run.log_metric("x", float(i), step=i)
            i += 1
            if i % 1000 == 0:
                time.sleep(0.001)
    """,
        wait=False,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"flushed"
    s = store.open_store(tmp_path)
    run_id = s.run_ids()[0]
    # Wait (bounded, no timing assertion) until the live writer has flushed more.
    for _ in range(100_000):
        if s.run(run_id).metrics.get("x", {}).get("count", 0) > 500:
            break
    else:
        raise AssertionError("the writer never flushed past the first 500 points")
    proc.kill()
    proc.wait()
    s = store.open_store(tmp_path)
    assert s.runs_frame()["status"].tolist() == ["crashed"]
    hist = s.run(run_id).history(["x"])
    steps = hist["step"].to_numpy()
    assert len(steps) > 500 and (steps[:500] == np.arange(500)).all()
    assert (np.diff(steps) == 1).all()


def test_resuming_a_live_run_is_refused_and_a_dead_ones_lock_is_taken(tmp_path: Path) -> None:
    run = store.start_run(experiment="e", root=tmp_path)
    with pytest.raises(store.RunLockedError, match="being written"):
        store.start_run(resume=run.id, root=tmp_path)
    run.finish()
    proc = run_python(f"""
        import store, os, signal
        run = store.start_run(resume={run.id!r}, root={str(tmp_path)!r})
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    assert proc.returncode == -signal.SIGKILL
    assert (run.path / layout.LOCK).exists()
    again = store.start_run(resume=run.id, root=tmp_path)
    again.finish()
    assert store.open_store(tmp_path).runs_frame()["status"].tolist() == ["finished"]


def test_torn_last_record_is_ignored(tmp_path: Path) -> None:
    with store.start_run(experiment="e", root=tmp_path) as run:
        for i in range(10):
            run.log_metric("x", float(i))
    hist_file = run.path / "metrics" / "x.f64"
    with open(hist_file, "ab") as fh:
        fh.write(b"\x01\x02\x03\x04\x05")
    hist = store.open_store(tmp_path).run(run.id).history()
    assert hist["value"].tolist() == [float(i) for i in range(10)]


def test_eight_processes_logging_at_once_lose_nothing(tmp_path: Path) -> None:
    code = f"""
        import store, sys
        n = int(sys.argv[1])
        with store.start_run(experiment="par", name=f"w{{n}}", root={str(tmp_path)!r}, flush_interval=0.01) as run:
            run.log_params({{"worker": n}})
            for i in range(2000):
                run.log_metric("x", float(i))
                run.log_metrics({{"a": 1.0, "b": 2.0}})
            for i in range(20):
                run.log_text(f"f{{i}}.txt", str(i))
    """
    import subprocess
    import sys
    import textwrap

    from tests.children import REPO

    env = dict(os.environ, PYTHONPATH=str(REPO))
    procs = [subprocess.Popen([sys.executable, "-c", textwrap.dedent(code), str(n)], env=env) for n in range(8)]
    assert [p.wait(timeout=120) for p in procs] == [0] * 8
    s = store.open_store(tmp_path)
    frame = s.runs_frame()
    assert sorted(frame["params.worker"].tolist()) == list(range(8))
    assert set(frame["status"]) == {"finished"}
    assert len(set(frame["run_id"])) == 8
    for run_id in frame["run_id"]:
        detail = s.run(run_id)
        assert {k: v["count"] for k, v in detail.metrics.items()} == {"x": 2000, "a": 2000, "b": 2000}
        assert len(detail.history()) == 6000
        assert detail.artifacts_dir is not None and len(list(detail.artifacts_dir.iterdir())) == 20


def test_run_ids_sort_by_creation_and_do_not_collide() -> None:
    t = time.time()
    ids = [layout.new_run_id(t + i * 0.001) for i in range(1000)]
    assert ids == sorted(ids)
    assert len({layout.new_run_id(t) for _ in range(10000)}) == 10000


def test_sigterm_during_a_tight_logging_loop_exits_and_marks_killed(tmp_path: Path) -> None:
    proc = run_python(
        f"""
        import store
        run = store.start_run(experiment="e", root={str(tmp_path)!r}, flush_interval=0.05)
        run.log_metric("x", 0.0)
        run.flush()
        print("looping", flush=True)
        i = 0
        while True:
            run.log_metric("x", float(i))
            i += 1
    """,
        wait=False,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"looping"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    s = store.open_store(tmp_path)
    assert s.runs_frame()["status"].tolist() == ["killed"]
    detail = s.run(s.run_ids()[0])
    assert detail.error == "SIGTERM" and detail.metrics["x"]["count"] == len(detail.history())
    assert not (Path(detail.facts["path"]) / layout.LOCK).exists()


def test_sys_exit_codes_decide_the_status(tmp_path: Path) -> None:
    for code, status in ((0, "finished"), (3, "failed")):
        root = tmp_path / str(code)
        proc = run_python(f"""
            import store, sys
            with store.start_run(experiment="e", root={str(root)!r}) as run:
                run.log_metric("x", 1.0)
                sys.exit({code})
        """)
        assert proc.returncode == code
        assert store.open_store(root).runs_frame()["status"].tolist() == [status]


def test_forked_child_never_closes_or_rewrites_the_parents_run(tmp_path: Path) -> None:
    proc = run_python(f"""
        import os, signal, store
        run = store.start_run(experiment="e", root={str(tmp_path)!r}, flush_interval=0.05)
        for i in range(10):
            run.log_metric("x", float(i))
        pid = os.fork()
        if pid == 0:                      # a DataLoader-style worker that gets terminated
            os.kill(os.getpid(), signal.SIGTERM)
            os._exit(0)
        os.waitpid(pid, 0)
        meta = open(run.path / "meta.json").read()
        print("running" in meta and (run.path / "lock").exists(), flush=True)
        run.finish()
    """)
    assert proc.returncode == 0
    assert proc.stdout is not None and proc.stdout.read().strip() == b"True"
    s = store.open_store(tmp_path)
    assert s.runs_frame()["status"].tolist() == ["finished"]
    assert len(s.run(s.run_ids()[0]).history()) == 10


def test_a_failed_flush_keeps_the_points_for_the_next_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run = store.start_run(experiment="e", root=tmp_path, flush_interval=3600)
    run.log_params({"lr": 0.1})
    for i in range(5):
        run.log_metric("x", float(i))
    real = atomic.atomic_write_text
    calls = {"n": 0}

    def full_disk(path: Path, text: str, fsync: bool = True) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError(28, "No space left on device")
        real(path, text, fsync)

    monkeypatch.setattr(atomic, "atomic_write_text", full_disk)
    with pytest.raises(OSError):
        run.flush()
    run.flush()
    run.finish()
    detail = store.open_store(tmp_path).run(run.id)
    assert detail.params == {"lr": 0.1} and detail.history()["value"].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_resume_after_a_torn_record_appends_on_a_record_boundary(tmp_path: Path) -> None:
    run = store.start_run(experiment="e", root=tmp_path)
    for i in range(3):
        run.log_metric("x", float(i))
    run.finish()
    with open(run.path / "metrics" / "x.f64", "ab") as fh:
        fh.write(b"\x07" * 11)  # half a record, as a crash mid-write leaves
    again = store.start_run(resume=run.id, root=tmp_path)
    again.log_metric("x", 3.0)
    again.finish()
    hist = store.open_store(tmp_path).run(run.id).history()
    assert hist["step"].tolist() == [0, 1, 2, 3] and hist["value"].tolist() == [0.0, 1.0, 2.0, 3.0]


def test_a_fresh_empty_lock_counts_as_held(tmp_path: Path) -> None:
    run = store.start_run(experiment="e", root=tmp_path)
    run.finish()
    (run.path / layout.LOCK).write_text("")  # another process between its O_EXCL create and its write
    with pytest.raises(store.RunLockedError):
        store.start_run(resume=run.id, root=tmp_path)
    old = time.time() - 3600
    os.utime(run.path / layout.LOCK, (old, old))
    store.start_run(resume=run.id, root=tmp_path).finish()
    (run.path / layout.LOCK).write_text('{"host": "x", "pid": "abc"}')
    os.utime(run.path / layout.LOCK, (old, old))
    store.start_run(resume=run.id, root=tmp_path).finish()


def test_run_ids_take_milliseconds_without_truncation() -> None:
    """Issue 9 item 10: x.089 + 0.004 is x.093, not 92 ms (the old float code truncated)."""
    assert layout.new_run_id(1795083402.089 + 0.004)[:18].endswith("093")
    heads = [layout.new_run_id(1795083402.089 + i * 0.001)[:18] for i in range(2000)]
    assert len(set(heads)) == len(heads) and heads == sorted(heads)
    t = 1795083402_123_456_789
    assert layout.new_run_id(now_ns=t)[:18] == "20261119-101642123"


def test_mlflow_end_run_and_its_status_spellings_finish_the_run(tmp_path: Path) -> None:
    """MLflow users write `end_run()` and `FINISHED`/`FAILED`/`KILLED`; an unknown status is refused
    at the call (the run stays open and closes at exit), never written as a status that reads damaged."""
    store.end_run()  # no active run: nothing to end, as in MLflow
    for name, status in (("a", None), ("b", "FAILED"), ("c", "KILLED"), ("d", "Finished")):
        store.start_run(experiment="e", name=name, root=tmp_path)
        store.log_metric("x", 1.0)
        store.end_run() if status is None else store.end_run(status)
        assert store.active_run() is None
    run = store.start_run(experiment="e", name="e", root=tmp_path)
    with pytest.raises(ValueError, match="'finished', 'failed' or 'killed'"):
        run.finish("done")
    run.finish()
    frame = store.open_store(tmp_path).runs_frame().set_index("name")
    assert frame["status"].to_dict() == {
        "a": "finished",
        "b": "failed",
        "c": "killed",
        "d": "finished",
        "e": "finished",
    }
