"""The writer under faults (issue 10, items 1–9): full disks, kills at awkward moments,
other users, values it cannot store, and many processes taking over one stale lock.

Everything here uses real files, real child processes and real signals. Full disks are a
real tmpfs of a few hundred KB mounted for the test (we run as root; the tests skip with the
reason when mounting is not permitted); kills at an exact moment use `RLIMIT_FSIZE`, whose
SIGXFSZ the kernel sends the child the instant a write crosses the limit.
"""

from __future__ import annotations

import json
import math
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import store
from store.ours import atomic, layout
from tests.children import REPO, run_python

PEER = "tracktui-peer"


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A real 512 KB tmpfs, so ENOSPC comes from the kernel, not from a mock."""
    mount = tmp_path / "small"
    mount.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({proc.stderr.strip() or proc.returncode})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(fs: Path, leave: int = 0) -> Path:
    """Fill `fs` with one file until the kernel says ENOSPC; then free `leave` bytes of it."""
    filler = fs / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    if leave:
        os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


def peer_user() -> pwd.struct_passwd:
    """A real second user to read the store as, created once; skip when we cannot."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("reading as another user needs root and setpriv")
    try:
        return pwd.getpwnam(PEER)
    except KeyError:
        pass
    proc = subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PEER],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot create a second user ({proc.stderr.strip()})")
    return pwd.getpwnam(PEER)


# -- item 4: other users can read what the writer wrote ---------------------------------------


def test_files_follow_the_umask_and_another_user_can_read_the_store() -> None:
    """Every file the writer and log_text/log_dict/log_artifact make is 0644 under umask 022.

    Before the fix, files went through `tempfile.mkstemp` (0600 whatever the umask) and a
    teammate saw every run as `damaged (PermissionError)`.
    """
    user = peer_user()
    base = Path(tempfile.mkdtemp(prefix="tracktui-umask-"))
    try:
        base.chmod(0o755)
        root = base / "s"
        src = base / "model.bin"
        src.write_bytes(b"w" * 100)
        src.chmod(0o600)  # a private source file: the stored copy still follows the umask
        proc = run_python(f"""
            import os, store
            os.umask(0o022)
            with store.start_run(experiment="e", name="shared", root={str(root)!r}) as run:
                run.log_params({{"lr": 0.1}})
                run.set_tags({{"t": "x"}})
                run.log_metric("loss", 1.0)
                run.log_text("notes/a.md", "# a")
                run.log_dict("c.yaml", {{"a": 1}})
                run.log_dict("c.json", {{"a": 1}})
                run.log_artifact({str(src)!r})
        """)
        assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
        files = [p for p in root.rglob("*") if p.is_file()]
        assert len(files) >= 10
        modes = {str(p.relative_to(root)): oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
        assert set(modes.values()) == {"0o644"}, modes
        dirs = {oct(stat.S_IMODE(p.stat().st_mode)) for p in root.rglob("*") if p.is_dir()}
        assert dirs == {"0o755"}
        # The second user reads through a copy of `store` in a folder it can enter: the checkout
        # itself may sit in a private folder (CI clones into one).
        shutil.copytree(REPO / "store", base / "code" / "store", ignore=shutil.ignore_patterns("__pycache__"))

        def as_peer(code: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [
                    "setpriv",
                    f"--reuid={user.pw_uid}",
                    f"--regid={user.pw_gid}",
                    "--clear-groups",
                    sys.executable,
                    "-c",
                    code,
                ],
                capture_output=True,
                text=True,
                timeout=60,
                env=dict(os.environ, PYTHONPATH=str(base / "code"), HOME=str(base), XDG_CACHE_HOME=str(base / "cache")),
            )

        probe = as_peer("import numpy, pandas, yaml")
        if probe.returncode != 0:
            pytest.skip(
                "file modes checked; the second user cannot run this interpreter here "
                f"(its packages sit in a private folder): {probe.stderr.strip().splitlines()[-1:]}"
            )
        read = as_peer(
            f"import store, json; s = store.open_store({str(root)!r}); d = s.run(s.run_ids()[0]);"
            "print(json.dumps([d.status, d.name, d.params, len(d.history())]))"
        )
        assert read.returncode == 0, read.stderr
        assert json.loads(read.stdout) == ["finished", "shared", {"lr": 0.1}, 1]
    finally:
        shutil.rmtree(base, ignore_errors=True)


# -- item 1: an append is all or nothing, on every flush ---------------------------------------


def test_a_partial_append_on_a_full_disk_leaves_no_torn_record(small_fs: Path) -> None:
    """ENOSPC part-way through a record (a real full tmpfs): the file is cut back, and the
    retry after space comes back appends on a record boundary. Before the fix the torn
    bytes stayed mid-file and every later point read as garbage."""
    run = store.start_run(experiment="e", root=small_fs / "s", flush_interval=3600)
    run.log_metric("x", -1.0, step=0)
    run.flush()
    hist = run.path / "metrics" / "x.f64"
    filler = fill(small_fs, leave=4096)  # one page free: 4096 is not a multiple of 24
    for i in range(1, 1001):
        run.log_metric("x", float(i), step=i)
    with pytest.raises(OSError):
        run.flush()
    assert hist.stat().st_size == 24  # cut back to the last whole record written before
    with pytest.raises(OSError):
        run.flush()  # still full: still nothing torn
    assert hist.stat().st_size % 24 == 0
    filler.unlink()
    run.flush()
    run.finish()
    detail = store.open_store(small_fs / "s").run(run.id)
    frame = detail.history(["x"])
    assert frame["step"].tolist() == list(range(1001))
    assert frame["value"].tolist() == [-1.0, *map(float, range(1, 1001))]
    assert detail.metrics["x"]["count"] == 1001 and detail.status == "finished"


# -- item 2: a full disk at the end of training does not kill the script ----------------------


def test_a_full_disk_at_the_end_warns_once_and_the_script_goes_on(small_fs: Path) -> None:
    """The last flush cannot fit (100,000 points, 2.4 MB, on a 512 KB tmpfs): leaving the
    `with` must not raise; one warning names the run's path and what to do; the run ends
    with a reason saying data may be missing. Before the fix `__exit__` raised OSError and
    the rest of the script never ran."""
    root = small_fs / "s"
    proc = run_python(f"""
        import store, store.writing.flushing
        store.writing.flushing.FINISH_RETRY_DELAYS = (0.01, 0.01)
        with store.start_run(experiment="e", root={str(root)!r}, flush_interval=3600) as run:
            run.log_params({{"lr": 0.1}})
            for i in range(100_000):
                run.log_metric("x", float(i))
        print("after the with block", flush=True)
    """)
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()  # type: ignore[union-attr]
    assert proc.returncode == 0, err
    assert "after the with block" in out
    warnings = [line for line in err.splitlines() if line.startswith("tracktui: cannot write")]
    assert len(warnings) == 1 and str(root) in warnings[0] and "Free space" in warnings[0]
    s = store.open_store(root)
    detail = s.run(s.run_ids()[0])
    assert detail.error is not None and "data may be missing" in detail.error and "'x'" in detail.error
    meta = json.loads((Path(detail.facts["path"]) / "meta.json").read_text())
    assert meta["incomplete"].startswith("data may be missing")
    assert (Path(detail.facts["path"]) / "metrics" / "x.f64").stat().st_size % 24 == 0
    assert not (Path(detail.facts["path"]) / layout.LOCK).exists()


def test_points_kept_in_memory_are_written_once_space_comes_back(small_fs: Path) -> None:
    """The disk fills while the script runs; `finish()` warns once, keeps retrying, and when
    the space is freed (by the test, on seeing the warning) every point lands."""
    root = small_fs / "s"
    proc = run_python(
        f"""
        import sys, store, store.writing.flushing
        store.writing.flushing.FINISH_RETRY_DELAYS = (0.1,) * 300
        run = store.start_run(experiment="e", root={str(root)!r}, flush_interval=3600)
        print("started", flush=True)
        sys.stdin.readline()
        for i in range(5000):
            run.log_metric("x", float(i))
        run.finish()
        print("finished", flush=True)
    """,
        wait=False,
        stdin=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None and proc.stdin is not None
    assert proc.stdout.readline().strip() == b"started"
    filler = fill(small_fs)
    proc.stdin.write(b"go\n")
    proc.stdin.flush()
    warning = proc.stderr.readline().decode()
    assert warning.startswith("tracktui: cannot write") and str(root) in warning
    filler.unlink()
    assert proc.stdout.readline().strip() == b"finished"
    assert proc.wait(timeout=60) == 0
    assert proc.stderr.read() == b""  # warned once, and nothing was lost
    s = store.open_store(root)
    detail = s.run(s.run_ids()[0])
    assert detail.status == "finished" and detail.error is None
    assert detail.history()["value"].tolist() == [float(i) for i in range(5000)]


# -- item 6: SIGTERM during finish() -----------------------------------------------------------


@pytest.mark.parametrize("moment", ["flush", "append_records", "_write_summary"])
def test_sigterm_inside_finish_still_flushes_everything_and_records_killed(tmp_path: Path, moment: str) -> None:
    """A real SIGTERM, sent by the child to itself at one exact moment of `finish()` (the
    child wraps that step to send it; the handler and the unwinding are the real ones).
    Before the fix the handler's SystemExit cut the final flush short: buffered points were
    dropped and the run recorded `finished`."""
    proc = run_python(f"""
        import os, signal, store, store.writing.writer as w
        moment = {moment!r}
        owner = w.Run if hasattr(w.Run, moment) else w.atomic
        real = getattr(owner, moment)
        sent = [1]  # armed after start_run
        def wrapped(*args, **kwargs):
            if not sent:
                sent.append(1)
                os.kill(os.getpid(), signal.SIGTERM)
            return real(*args, **kwargs)
        setattr(owner, moment, wrapped)
        run = store.start_run(experiment="e", root={str(tmp_path)!r}, flush_interval=3600)
        sent.clear()
        for i in range(20_000):
            run.log_metric("x", float(i))
        run.log_params({{"lr": 0.1}})
        run.finish()
        print("not reached", flush=True)
    """)
    assert proc.stdout is not None and proc.stdout.read() == b""
    assert proc.returncode == 128 + signal.SIGTERM, proc.stderr.read() if proc.stderr else ""
    s = store.open_store(tmp_path)
    detail = s.run(s.run_ids()[0])
    assert detail.status == "killed" and detail.error == "SIGTERM"
    assert detail.params == {"lr": 0.1}
    assert detail.history()["value"].tolist() == [float(i) for i in range(20_000)]
    assert detail.metrics["x"]["count"] == 20_000
    assert not (Path(detail.facts["path"]) / layout.LOCK).exists()


# -- items 3 and 9: values are checked at the call; the same config again is fine ---------------


class _BadItem:
    """Like a tensor on a device that is gone: `.item()` raises."""

    def item(self) -> float:
        raise RuntimeError("CUDA error: device-side assert triggered")


def test_values_that_cannot_be_stored_fail_at_the_call_and_never_block_metrics(tmp_path: Path) -> None:
    """Before the fix these were accepted, every flush then failed, the run ended with no
    metric points and no params.json, and leaving the `with` raised."""
    not_utf8 = os.fsdecode(b"data-\xff.csv")  # what os.listdir gives for a Latin-1 file name
    with store.start_run(experiment="e", root=tmp_path) as run:
        run.log_params({"lr": 0.1})
        with pytest.raises(ValueError, match=r"'file'.*surrogate"):
            run.log_params({"file": not_utf8})
        with pytest.raises(ValueError, match=r"'data'.*files\[1\].*surrogate"):
            run.log_params({"data": {"files": ["ok.csv", not_utf8]}})
        with pytest.raises(ValueError, match=r"'seed'.*4,300 digits"):
            run.log_params({"seed": 10**5000})
        with pytest.raises(TypeError, match=r"'loss_scale'.*item\(\) failed"):
            run.log_params({"loss_scale": _BadItem()})
        with pytest.raises(ValueError, match=r"tag 'file'.*surrogate"):
            run.set_tags({"file": not_utf8})
        with pytest.raises(ValueError, match=r"tag 'seed'.*4,300"):
            run.set_tag("seed", 10**5000)
        with pytest.raises(ValueError, match="surrogate"):
            run.set_tag(not_utf8, "x")
        run.log_params({"arr": np.arange(3), "f32": np.float32(0.5), "path": Path("/data")})
        run.set_tag("stage", "ok")
        for i in range(100):
            run.log_metric("x", float(i))
    detail = store.open_store(tmp_path).run(run.id)
    assert detail.status == "finished"
    assert detail.params == {"lr": 0.1, "arr": [0, 1, 2], "f32": 0.5, "path": "/data"}
    assert detail.tags == {"stage": "ok"} and len(detail.history()) == 100


def test_the_same_config_logged_again_never_raises(tmp_path: Path) -> None:
    """A tuple equal to the stored list, NaN equal to NaN, after `start_run(resume=..., config=cfg)`."""
    cfg = {"sizes": (64, 32), "dropout": float("nan"), "opt": {"betas": (0.9, 0.999), "eps": float("nan")}}
    run = store.start_run(experiment="e", root=tmp_path, config=cfg)
    run.log_params(cfg)
    run.finish()
    again = store.start_run(resume=run.id, root=tmp_path, config=cfg)
    again.log_params({"sizes": [64, 32]})
    with pytest.raises(ValueError, match="'sizes' is already"):
        again.log_params({"sizes": (64, 16)})
    with pytest.raises(ValueError, match="'dropout' is already"):
        again.log_params({"dropout": 0.1})
    again.finish()
    params = store.open_store(tmp_path).run(run.id).params
    assert params["sizes"] == [64, 32] and math.isnan(params["dropout"]) and params["opt"]["betas"] == [0.9, 0.999]


# -- item 5: of many processes taking over one stale lock, exactly one goes on -------------------


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_many_simultaneous_takers_of_a_stale_lock_only_one_goes_on(tmp_path: Path) -> None:
    """8 real processes, released at once, all `start_run(resume=...)` a run whose writer is
    dead; each winner holds the run until every taker has answered. 10 rounds, the first
    after a taker was killed mid-takeover (it must not block the others). Before the
    fix (rename a new lock over the old and read it back) several went on in most rounds.
    4–8 s on a busy 2-core machine: 8 interpreters start, then 80 takeover races."""
    from store.process import hostname

    run = store.start_run(experiment="e", root=tmp_path)
    run.log_metric("x", 0.0)
    run.finish()
    lock = run.path / layout.LOCK
    code = f"""
        import sys, store
        print("ready", flush=True)
        for line in sys.stdin:
            if line.strip() != "go":
                break
            try:
                run = store.start_run(resume={run.id!r}, root={str(tmp_path)!r}, flush_interval=3600)
            except store.RunLockedError:
                print("lost", flush=True)
                run = None
            else:
                print("won", flush=True)
            if sys.stdin.readline().strip() != "release":
                break
            if run is not None:
                run.finish()
            print("done", flush=True)
    """
    env = dict(os.environ, PYTHONPATH=str(REPO))
    import textwrap

    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        for _ in range(8)
    ]
    try:
        for p in procs:
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        # Round 0 starts with a taker that was SIGKILLed in the middle of its takeover.
        lock.write_text(json.dumps({"host": hostname(), "pid": _dead_pid(), "pid_start": 1, "time": 0.0}))
        dying = run_python(f"""
            import os, signal, store, store.ours.atomic as f
            f.atomic_write_text = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
            store.start_run(resume={run.id!r}, root={str(tmp_path)!r})
        """)
        assert dying.returncode == -signal.SIGKILL
        winners_per_round = []
        for round_no in range(10):
            if round_no:
                lock.write_text(json.dumps({"host": hostname(), "pid": _dead_pid(), "pid_start": 1, "time": 0.0}))
            for p in procs:
                assert p.stdin is not None
                p.stdin.write("go\n")
            for p in procs:
                assert p.stdin is not None
                p.stdin.flush()
            answers = [p.stdout.readline().strip() for p in procs if p.stdout is not None]
            assert set(answers) <= {"won", "lost"}, answers
            winners_per_round.append(answers.count("won"))
            for p in procs:
                assert p.stdin is not None
                p.stdin.write("release\n")
                p.stdin.flush()
            assert [p.stdout.readline().strip() for p in procs if p.stdout is not None] == ["done"] * 8
        assert winners_per_round == [1] * 10
        assert not list(run.path.glob("lock*")) and not list(run.path.glob(".*.tmp"))
    finally:
        for p in procs:
            if p.stdin is not None:
                p.stdin.close()
            p.wait(timeout=30)
    detail = store.open_store(tmp_path).run(run.id)
    assert detail.status == "finished" and len(detail.history()) == 1


# -- item 7: resume after a SIGKILL numbers steps from the history itself -------------------------


def test_resume_after_a_kill_between_history_and_summary_keeps_steps_and_counts(tmp_path: Path) -> None:
    """A real SIGKILL at the moment a flush has appended the history but not yet rewritten
    the summary (the child kills itself there). Before the fix the resumed run numbered its
    steps from the stale summary: steps 10–19 twice and a wrong count forever."""
    proc = run_python(f"""
        import os, signal, store, store.writing.writer as w
        run = store.start_run(experiment="e", root={str(tmp_path)!r}, flush_interval=3600)
        for i in range(10):
            run.log_metric("x", float(i))
        run.flush()
        for i in range(10, 20):
            run.log_metric("x", float(i))
            run.log_metric("y", float(i))
        w.Run._write_summary = lambda self: os.kill(os.getpid(), signal.SIGKILL)
        run.flush()
    """)
    assert proc.returncode == -signal.SIGKILL
    s = store.open_store(tmp_path)
    run_id = s.run_ids()[0]
    assert s.run(run_id).metrics["x"]["count"] == 10  # the summary is behind the history
    with store.start_run(resume=run_id, root=tmp_path) as run:
        for i in range(20, 25):
            run.log_metric("x", float(i))
        run.log_metric("y", 20.0)
    detail = store.open_store(tmp_path).run(run_id)
    hist = detail.history()
    assert hist[hist.key == "x"]["step"].tolist() == list(range(25))
    assert hist[hist.key == "x"]["value"].tolist() == [float(i) for i in range(25)]
    assert hist[hist.key == "y"]["step"].tolist() == list(range(11))
    assert detail.metrics["x"] == {**detail.metrics["x"], "count": 25, "last": 24.0, "last_step": 24, "min": 0.0}
    assert detail.metrics["y"]["count"] == 11 and detail.metrics["y"]["max"] == 20.0


# -- item 8: kills during log_artifact and start_run; stale temporaries ---------------------------

_FSIZE = """
import resource, signal
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
def limit_file_size(n):
    resource.setrlimit(resource.RLIMIT_FSIZE, (n, resource.RLIM_INFINITY))
"""


def test_a_kill_during_log_artifact_never_leaves_a_truncated_artifact(tmp_path: Path) -> None:
    """The kernel kills the child (SIGXFSZ from RLIMIT_FSIZE) when the copy crosses 1 MB of
    a 4 MB artifact. Before the fix a 1 MB `model.bin` stayed under its final name."""
    src = tmp_path / "model.bin"
    src.write_bytes(os.urandom(4 << 20))
    proc = run_python(
        _FSIZE
        + f"""
import store
run = store.start_run(experiment="e", root={str(tmp_path / "s")!r})
run.log_artifact({str(src)!r}, name="small.bin")
limit_file_size(1 << 20)
run.log_artifact({str(src)!r})
"""
    )
    assert proc.returncode == -signal.SIGXFSZ
    s = store.open_store(tmp_path / "s")
    art = s.run(s.run_ids()[0]).artifacts_dir
    assert art is not None and (art / "small.bin").read_bytes() == src.read_bytes()
    assert not (art / "model.bin").exists()
    assert [p.name for p in art.iterdir() if p.name.startswith(".")]  # the temporary, hidden


@pytest.mark.parametrize("limit", [0, 300])
def test_a_kill_during_start_run_leaves_no_damaged_run(tmp_path: Path, limit: int) -> None:
    """Killed at its first file write (limit 0: the lock) or while writing meta.json (300
    bytes): readers list nothing, rather than a nameless `damaged` run forever as before.
    The hidden half-made folder is removed by a later start_run once it is old."""
    root = tmp_path / "s"
    store.start_run(experiment="e", root=root, name="first").finish()
    proc = run_python(
        _FSIZE
        + f"""
import store
limit_file_size({limit})
store.start_run(experiment="e", root={str(root)!r}, name="killed")
"""
    )
    assert proc.returncode == -signal.SIGXFSZ
    frame = store.open_store(root).runs_frame()
    assert frame["name"].tolist() == ["first"] and frame["status"].tolist() == ["finished"]
    hidden = [p for p in (root / "e").iterdir() if p.name.startswith(".")]
    assert len(hidden) == 1
    store.start_run(experiment="e", root=root).finish()
    assert hidden[0].exists()  # young: its writer might still be at work
    os.utime(hidden[0], (0, 0))
    store.start_run(experiment="e", root=root).finish()
    assert not hidden[0].exists()


def test_a_killed_index_save_leaves_a_temporary_that_is_cleaned(tmp_path: Path) -> None:
    """A reader killed while saving a 4 MB index (SIGXFSZ at 1 MB) leaves its temporary;
    `atomic.remove_stale_temporaries` (which the writer runs at start_run, and the index save
    can run too) removes it once it is old, and leaves young ones alone."""
    root = tmp_path / "s"
    store.start_run(experiment="e", root=root).finish()
    proc = run_python(
        _FSIZE
        + f"""
from pathlib import Path
from store.ours import atomic, layout
limit_file_size(1 << 20)
atomic.atomic_write_text(Path({str(root)!r}) / ".tracktui-index.json", "x" * (4 << 20), fsync=False)
"""
    )
    assert proc.returncode == -signal.SIGXFSZ
    (left,) = [p for p in root.iterdir() if ".tracktui-index.json." in p.name]
    assert left.stat().st_size == 1 << 20
    assert atomic.remove_stale_temporaries(root) == []
    os.utime(left, (0, 0))
    store.start_run(experiment="e", root=root).finish()
    assert not left.exists()


def test_the_background_flusher_warns_once_on_a_full_disk_and_loses_nothing(small_fs: Path) -> None:
    """During training: the flusher (every 50 ms here) meets a full disk many times in a row,
    says so once with the path and what to do, keeps the points, and writes them all once
    space is back. The old message named neither the path nor a remedy."""
    root = small_fs / "s"
    proc = run_python(
        f"""
        import sys, time, store
        run = store.start_run(experiment="e", root={str(root)!r}, flush_interval=0.05)
        print("started", flush=True)
        sys.stdin.readline()
        for i in range(3000):
            run.log_metric("x", float(i))
            if i % 100 == 0:
                time.sleep(0.01)          # many flushes fail while the disk is full
        sys.stdin.readline()              # space is back
        for i in range(3000, 4000):
            run.log_metric("x", float(i))
        run.finish()
    """,
        wait=False,
        stdin=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None and proc.stdin is not None
    assert proc.stdout.readline().strip() == b"started"
    filler = fill(small_fs)
    proc.stdin.write(b"go\n")
    proc.stdin.flush()
    warning = proc.stderr.readline().decode()
    assert warning.startswith("tracktui: cannot write") and str(root) in warning and "Free space" in warning
    filler.unlink()
    proc.stdin.write(b"go\n")
    proc.stdin.flush()
    assert proc.wait(timeout=60) == 0
    assert proc.stderr.read() == b""
    s = store.open_store(root)
    detail = s.run(s.run_ids()[0])
    assert detail.status == "finished" and detail.error is None
    assert detail.history()["step"].tolist() == list(range(4000))
