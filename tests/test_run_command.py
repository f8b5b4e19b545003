"""`tracktui run -- CMD`: real wrapper processes around real commands."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import cast

import pytest

import store
from store.ours import atomic, layout
from tests.children import REPO


def wrapper(
    store_dir: Path, *command: str, options: tuple[str, ...] = (), env: dict[str, str] | None = None, **kwargs: object
) -> subprocess.Popen[bytes]:
    """Start `tracktui run` (from this checkout) on `command`."""
    full_env = dict(os.environ, PYTHONPATH=str(REPO), **(env or {}))
    for name in ("TRACKTUI_RUN_ID", "TRACKTUI_EXPERIMENT", "TRACKTUI_STORE"):
        if name not in (env or {}):
            full_env.pop(name, None)
    return subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "run", "--store", str(store_dir), *options, "--", *command],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kwargs,
    )  # type: ignore[call-overload]


def python(code: str) -> tuple[str, str, str]:
    return (sys.executable, "-c", textwrap.dedent(code))


def only_run(store_dir: Path) -> store.RunDetail:
    s = store.open_store(store_dir)
    frame = s.runs_frame()
    assert len(frame) == 1, frame[["run_id", "name", "status"]]
    return s.run(frame.run_id[0])


def meta_of(detail: store.RunDetail) -> dict:
    return atomic.read_json(Path(detail.facts["path"]) / layout.META)


def wait_for(path: Path, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


@pytest.mark.parametrize(("code", "status", "kept"), [(0, "finished", 0), (3, "failed", 3)])
def test_exit_code_is_returned_and_decides_the_status(tmp_path: Path, code: int, status: str, kept: int) -> None:
    proc = wrapper(tmp_path / "s", *python(f"import sys; sys.exit({code})"), options=("-e", "exp", "-n", "r1"))
    assert proc.wait(timeout=30) == code
    detail = only_run(tmp_path / "s")
    assert (detail.status, detail.experiment, detail.name) == (status, "exp", "r1")
    meta = meta_of(detail)
    assert meta["exit_code"] == kept and detail.facts["exit_code"] == kept
    assert meta["command"][0] == sys.executable and meta["command"][1] == "-c"
    assert meta["cwd"] == os.getcwd()
    assert not (Path(detail.facts["path"]) / layout.LOCK).exists()


def test_a_command_killed_by_a_signal_is_killed(tmp_path: Path) -> None:
    proc = wrapper(tmp_path / "s", *python("import os, signal; os.kill(os.getpid(), signal.SIGKILL)"))
    assert proc.wait(timeout=30) == 128 + signal.SIGKILL
    detail = only_run(tmp_path / "s")
    assert detail.status == "killed" and "SIGKILL" in (detail.error or "")


def test_a_missing_command_fails_with_127(tmp_path: Path) -> None:
    proc = wrapper(tmp_path / "s", "no-such-command-tracktui")
    assert proc.wait(timeout=30) == 127
    assert b"no-such-command-tracktui" in proc.stderr.read()  # type: ignore[union-attr]
    assert only_run(tmp_path / "s").status == "failed"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_to_the_wrapper_reach_the_child(tmp_path: Path, sig: signal.Signals) -> None:
    ready, got = tmp_path / "ready", tmp_path / "got"
    proc = wrapper(
        tmp_path / "s",
        *python(f"""
        import signal, sys, time, pathlib
        def handler(num, frame):
            pathlib.Path({str(got)!r}).write_text(str(num))
            sys.exit(7)
        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
        pathlib.Path({str(ready)!r}).write_text("")
        time.sleep(60)
    """),
        stdin=subprocess.DEVNULL,
    )
    wait_for(ready)
    proc.send_signal(sig)
    assert proc.wait(timeout=30) == 7
    assert got.read_text() == str(int(sig))
    detail = only_run(tmp_path / "s")
    assert detail.status == "killed" and sig.name in (detail.error or "")


def test_output_passes_through_unchanged_without_capture(tmp_path: Path) -> None:
    proc = wrapper(
        tmp_path / "s",
        *python("""
        import sys
        sys.stdout.write("out \\x1b[31mred\\x1b[0m\\rbar\\n"); sys.stderr.write("err line\\n")
        print(sys.stdin.read().upper())
    """),
        options=("--no-capture",),
        stdin=subprocess.PIPE,
    )
    out, err = proc.communicate(b"from stdin", timeout=30)
    assert out == b"out \x1b[31mred\x1b[0m\rbar\nFROM STDIN\n"
    assert err == b"err line\n"


def test_a_wrapped_script_logs_into_the_wrappers_run(tmp_path: Path) -> None:
    proc = wrapper(
        tmp_path / "s",
        *python("""
        import store, os
        with store.start_run(name="from-script", params={"lr": 0.1}) as run:
            assert run.id == os.environ["TRACKTUI_RUN_ID"]
            for i in range(5):
                run.log_metric("loss", 1.0 / (i + 1))
            run.set_tag("stage", "attached")
        store.log_metric  # the run is closed; the wrapper finishes it
    """),
        options=("-e", "exp", "-t", "owner=me"),
    )
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    detail = only_run(tmp_path / "s")
    assert detail.status == "finished" and detail.name == "from-script"
    assert detail.params == {"lr": 0.1} and detail.tags == {"owner": "me", "stage": "attached"}
    assert detail.metrics["loss"]["count"] == 5 and detail.metrics["loss"]["last"] == pytest.approx(0.2)
    meta = meta_of(detail)
    assert meta["pid"] == proc.pid  # the wrapper stays the owner on record
    assert len(meta["attached"]) == 1
    assert not (Path(detail.facts["path"]) / layout.LOCK).exists()


def test_a_script_that_fails_while_attached_keeps_its_traceback(tmp_path: Path) -> None:
    proc = wrapper(
        tmp_path / "s",
        *python("""
        import store
        with store.start_run() as run:
            run.log_metric("x", 1.0)
            raise ValueError("bad batch")
    """),
    )
    proc.communicate(timeout=30)
    assert proc.returncode == 1
    detail = only_run(tmp_path / "s")
    assert detail.status == "failed" and "exit code 1" in (detail.error or "") and "bad batch" in (detail.error or "")
    assert detail.metrics["x"]["count"] == 1


def test_a_script_killed_while_attached_gives_the_run_back(tmp_path: Path) -> None:
    proc = wrapper(
        tmp_path / "s",
        *python("""
        import os, signal, store
        run = store.start_run()
        run.log_metric("x", 1.0)
        run.flush()
        os.kill(os.getpid(), signal.SIGKILL)
    """),
    )
    proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGKILL
    detail = only_run(tmp_path / "s")
    assert detail.status == "killed" and detail.metrics["x"]["count"] == 1
    assert not (Path(detail.facts["path"]) / layout.LOCK).exists()


@pytest.mark.parametrize(
    "start", ['store.start_run(experiment="x", name="named")', 'store.init(project="x", name="named")']
)
def test_a_script_that_names_its_experiment_logs_into_the_wrapped_run(tmp_path: Path, start: str) -> None:
    proc = wrapper(
        tmp_path / "s",
        *python(f"""
        import store, time
        print("before", flush=True)
        with {start} as run:
            print("inside", flush=True)
            run.log_metric("loss", 0.5)
            deadline = time.time() + 20
            while run.summary.stats("system/cpu_percent") is None and time.time() < deadline:
                time.sleep(0.02)  # system metrics: the wrapper's before the hand-over, then the script's
        print("after", flush=True)
    """),
        env={"TRACKTUI_SYSTEM_METRICS": "0.1"},
    )
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    detail = only_run(tmp_path / "s")
    assert (detail.experiment, detail.name, detail.status) == ("x", "named", "finished")
    path = Path(detail.facts["path"])
    assert path.parent == tmp_path / "s" / "x" and not (tmp_path / "s" / "default" / detail.run_id).exists()
    assert detail.metrics["loss"]["count"] == 1 and "system/cpu_percent" in detail.metrics
    assert (path / "console.log").read_bytes() == b"before\ninside\nafter\n"
    assert meta_of(detail)["experiment"] == "x"


def test_the_wrappers_experiment_wins_over_the_scripts(tmp_path: Path) -> None:
    proc = wrapper(
        tmp_path / "s",
        *python("""
        import store
        with store.start_run(experiment="x") as run:
            run.log_metric("loss", 0.5)
    """),
        options=("-e", "exp"),
    )
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    detail = only_run(tmp_path / "s")
    assert detail.experiment == "exp" and detail.metrics["loss"]["count"] == 1


def test_another_experiment_makes_a_child_run_and_nested_run_links_its_parent(tmp_path: Path) -> None:
    inner = [
        sys.executable,
        "-m",
        "tui.cli",
        "run",
        "--name",
        "inner",
        "--",
        *python("""
        import store
        with store.start_run() as run:
            run.log_metric("inner", 1.0)
        with store.start_run(experiment="other", name="side") as run:
            run.log_metric("side", 1.0)
    """),
    ]
    proc = wrapper(tmp_path / "s", *inner, options=("-e", "exp", "-n", "outer"))
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    s = store.open_store(tmp_path / "s")
    frame = s.runs_frame().set_index("name")
    assert sorted(frame.index) == ["inner", "outer", "side"]
    outer_id, inner_id = frame.run_id["outer"], frame.run_id["inner"]
    assert frame.experiment["inner"] == "exp" and frame.experiment["side"] == "other"
    assert meta_of(s.run(inner_id))["parent"] == outer_id and s.run(inner_id).facts["parent"] == outer_id
    assert meta_of(s.run(frame.run_id["side"]))["parent"] == inner_id
    assert meta_of(s.run(outer_id))["parent"] is None
    assert "inner" in s.run(inner_id).metrics and not s.run(outer_id).metrics


def test_git_state_and_dirty_diff_are_recorded(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run([*git, "init", "-q"], check=True)
    (repo / "train.py").write_text("lr = 0.1\n")
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "first"], check=True)
    (repo / "train.py").write_text("lr = 0.2\n")
    proc = wrapper(tmp_path / "s", *python("pass"), cwd=repo)
    proc.communicate(timeout=30)
    detail = only_run(tmp_path / "s")
    assert detail.facts["git_dirty"] is True and len(detail.facts["git_commit"]) == 40
    patch = (cast(Path, detail.artifacts_dir) / "tracktui" / "git.patch").read_text()
    assert "-lr = 0.1" in patch and "+lr = 0.2" in patch


def test_packages_and_environment_are_recorded_without_secrets(tmp_path: Path) -> None:
    proc = wrapper(
        tmp_path / "s",
        *python("pass"),
        env={
            "CUDA_VISIBLE_DEVICES": "0,1",
            "HF_TOKEN": "hf-secret-value",
            "WANDB_API_KEY": "wb-secret",
            "TRACKTUI_PASSWORD": "pw-secret",
            "OMP_NUM_THREADS": "4",
        },
    )
    proc.communicate(timeout=30)
    detail = only_run(tmp_path / "s")
    env_file = cast(Path, detail.artifacts_dir) / "tracktui" / "environment.json"
    recorded = json.loads(env_file.read_text())
    assert recorded["variables"]["CUDA_VISIBLE_DEVICES"] == "0,1"
    assert recorded["variables"]["OMP_NUM_THREADS"] == "4"
    assert {"HF_TOKEN", "WANDB_API_KEY", "TRACKTUI_PASSWORD"} <= set(recorded["redacted"])
    assert "secret" not in env_file.read_text() and "pw-" not in env_file.read_text()
    packages = (cast(Path, detail.artifacts_dir) / "tracktui" / "requirements.txt").read_text().splitlines()
    assert any(line.startswith("numpy==") for line in packages)
    assert any(line.lower().startswith("pandas==") for line in packages)


def test_credentials_in_url_variables_are_never_recorded(tmp_path: Path) -> None:
    proc = wrapper(
        tmp_path / "s",
        *python("pass"),
        env={
            "MLFLOW_TRACKING_URI": "https://alice:pw-secret@mlflow.example.com:5000/?token=tok-secret&x=1",
            "WANDB_BASE_URL": "https://api:wb-secret@wandb.example.com",
            "HF_ENDPOINT": "https://hf.example.com/models?a=1&sig=sig-secret#access_token=frag-secret",
            "TRACKTUI_HOME": "https://example.com/plain?page=2",
        },
    )
    _out, err = proc.communicate(timeout=30)
    detail = only_run(tmp_path / "s")
    env_file = cast(Path, detail.artifacts_dir) / "tracktui" / "environment.json"
    recorded = json.loads(env_file.read_text())
    assert recorded["variables"]["MLFLOW_TRACKING_URI"] == "https://mlflow.example.com:5000/?x=1"
    assert recorded["variables"]["WANDB_BASE_URL"] == "https://wandb.example.com"
    assert recorded["variables"]["HF_ENDPOINT"] == "https://hf.example.com/models?a=1"
    assert recorded["variables"]["TRACKTUI_HOME"] == "https://example.com/plain?page=2"
    assert recorded["credentials_removed"] == ["HF_ENDPOINT", "MLFLOW_TRACKING_URI", "WANDB_BASE_URL"]
    assert "secret" not in env_file.read_text() and "alice" not in env_file.read_text()
    first = err.decode().splitlines()[0]
    assert detail.run_id in first and all(name in first for name in recorded["credentials_removed"])
    assert "-secret" not in err.decode()


@pytest.mark.parametrize(
    ("options", "start", "experiment"),
    [
        (("-e", "ddp"), "store.start_run()", "ddp"),
        ((), 'store.start_run(experiment="x")', "x"),  # the run moves into x while the other rank asks for it
    ],
)
def test_two_processes_of_one_command_get_the_run_and_a_linked_run(
    tmp_path: Path, options: tuple[str, ...], start: str, experiment: str
) -> None:
    """Ranks of a distributed job all calling start_run(): one attaches, the other is not blocked."""
    rank = textwrap.dedent(f"""
        import pathlib, sys, time, store
        me = sys.argv[1]
        with {start} as run:
            run.log_metric("rank" + me, 1.0)
            pathlib.Path({str(tmp_path)!r}, "in-" + me).write_text(run.id)
            deadline = time.time() + 10
            while not all(pathlib.Path({str(tmp_path)!r}, "in-" + r).exists() for r in "01"):
                assert time.time() < deadline
                time.sleep(0.02)
    """)
    proc = wrapper(
        tmp_path / "s",
        *python(f"""
        import subprocess, sys
        ranks = [subprocess.Popen([sys.executable, "-c", {rank!r}, r]) for r in "01"]
        sys.exit(max(p.wait() for p in ranks))
    """),
        options=options,
    )
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    s = store.open_store(tmp_path / "s")
    frame = s.runs_frame()
    assert len(frame) == 2 and set(frame.experiment) == {experiment} and set(frame.status) == {"finished"}
    ids = {(tmp_path / f"in-{r}").read_text() for r in "01"}
    assert ids == set(frame.run_id)
    wrapper_id = next(rid for rid in ids if meta_of(s.run(rid))["parent"] is None)
    (child_id,) = ids - {wrapper_id}
    assert meta_of(s.run(child_id))["parent"] == wrapper_id


def test_credentials_on_the_command_line_are_never_recorded(tmp_path: Path) -> None:
    """The recorded argv (meta.json `command`) loses URL passwords and secret options' values; the command gets them."""
    seen = tmp_path / "argv.json"
    code = f"import json, sys; json.dump(sys.argv[1:], open({str(seen)!r}, 'w'))"
    argv = [
        "--uri",
        "https://alice:pw-secret@mlflow.example.com/?token=tok-secret",
        "--api-key=key-secret",
        "--token",
        "tok2-secret",
        "--lr",
        "0.1",
    ]
    proc = wrapper(tmp_path / "s", *python(code), *argv)
    _out, err = proc.communicate(timeout=30)
    assert json.loads(seen.read_text()) == argv
    detail = only_run(tmp_path / "s")
    recorded = meta_of(detail)["command"]
    assert recorded[3:] == [
        "--uri",
        "https://mlflow.example.com/",
        "--api-key=<redacted>",
        "--token",
        "<redacted>",
        "--lr",
        "0.1",
    ]
    assert "secret" not in json.dumps(recorded)
    assert "the command line" in err.decode().splitlines()[0]
