"""Every file name in store/FORMAT.md, put in place as a FIFO, a link to /dev/zero or a 1 GB sparse
file: `ls`, the store reader, `push`, `rm` and `gc` come back promptly, every run listed.

Each hostile store is read in a child process with a wall-clock timeout and an address-space
limit, so a guard that fails is a failed test, not a hung or swapped-out machine.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import store
from store.ours import journal
from tests.children import REPO

FORMAT_MD = REPO / "store" / "FORMAT.md"

RUN_FILES = {
    "meta.json": "meta.json",
    "params.json": "params.json",
    "tags.json": "tags.json",
    "summary.json": "summary.json",
    "lock": "lock",
    "lock.<hash>.takeover": "lock.0123456789abcdef.takeover",
    "lock.<h>.takeover": "lock.0123456789abcdef.takeover",
    "<key>.f64": "metrics/loss.f64",
    "train%2Floss.f64": "metrics/loss.f64",
    "<step>.png": "media/img/0.png",
    "<int>.png": "media/img/0.png",
    "-1.png": "media/img/-1.png",
    "console.log": "console.log",
    "console.tail.<n>.log": "console.tail.0.log",
    "console.times.txt": "console.times.txt",
    "console.tail.<n>.times.txt": "console.tail.0.times.txt",
    "inputs.json": "inputs.json",
    "attach-request": "attach-request",
    "mlflow-push.json": "mlflow-push.json",
    "edit.<time_ns, 20 digits>-<8 hex>.json": "edit.00000000000000000001-0123abcd.json",
    "environment.json": "artifacts/tracktui/environment.json",
    "requirements.txt": "artifacts/tracktui/requirements.txt",
    "git.patch": "artifacts/tracktui/git.patch",
}
"""FORMAT.md's names of files in a run folder -> where one goes in a run."""
TRASH_FILES = {"deleted.json": "deleted.json"}
"""... in a run folder in the trash."""
STORE_FILES = {
    "tracktui-store.json": "tracktui-store.json",
    ".tracktui-index.npz": ".tracktui-index.npz",
    ".tracktui-index.journal.npz": ".tracktui-index.journal.npz",
    ".tracktui-journal-<host>.jsonl": os.path.basename(journal.path_for(".")),
}
"""... at the top of a store (the listing journal: this host's, which the pristine store's writers wrote)."""
MODEL_FILES = {
    "model.json": "model.json",
    "<n>-<time_ns>-<8 hex>.json": "versions/*.json",
    "edit.<time_ns>-<8 hex>.json": "edit.*.json",
}
"""... in a model's folder of the registry (`.models/<model>/`): a glob of the one to spoil."""
ELSEWHERE = {
    "meta.yaml",
    "digests.json",
    "server-<hash>.json",
    "server-<hash>.npz",
    ".tracktui-index.json",
    ".json",
    "error.txt",
}
"""Named in FORMAT.md, not in a store of ours: MLflow's, the user's cache folder, an old index never read
(`.json` is an ending named in prose; `error.txt` an artifact push makes on the server)."""
DAMAGING = {"meta.json", "params.json", "tags.json", "summary.json"}
"""The files whose damage makes a run `damaged`; any other one is skipped or shows as missing."""

BAD_KINDS = ("fifo", "devzero", "sparse")
MEMORY_LIMIT = 3 * 1024**3
"""Address space a child may use: ample for the app's imports, far from what /dev/zero or a bomb takes."""


FILE_NAME = r"[\w.<>%, -]*\.(json|jsonl|npz|f64|log|png|txt|patch|yaml)|lock|attach-request|lock\.<\w+>\.takeover"


def format_names() -> set[str]:
    """The file names FORMAT.md mentions: in backticks and in its fenced layouts."""
    text = FORMAT_MD.read_text(encoding="utf-8")
    blocks = re.findall(r"```\n(.*?)```", text, re.S)
    tokens = re.findall(r"`([^`\n]+)`", re.sub(r"```\n.*?```", "", text, flags=re.S))
    tokens += [line.split("  ")[0].strip() for block in blocks for line in block.splitlines()]
    names = set()
    for token in tokens:
        last = token.rstrip("/").rsplit("/", 1)[-1].strip()
        if re.fullmatch(FILE_NAME, last):
            names.add(last)
    return names


def test_every_file_name_in_format_md_is_covered() -> None:
    names = format_names()
    assert {"meta.json", "deleted.json", "mlflow-push.json", ".tracktui-index.npz"} <= names, "the parse works"
    missing = names - set(RUN_FILES) - set(TRASH_FILES) - set(STORE_FILES) - set(MODEL_FILES) - ELSEWHERE
    assert not missing, f"FORMAT.md names files this test does not put in place: {sorted(missing)}"


def _spoil(path: Path, kind: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "devzero":
        path.symlink_to("/dev/zero")
    else:
        with open(path, "wb") as fh:
            fh.truncate(1024**3)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A store with one run per run-file name (that file to be spoiled) and one deleted run; its index saved."""
    root = tmp_path_factory.mktemp("guards") / "store"
    ids: dict[str, str] = {}
    for rel in sorted({*RUN_FILES.values(), *TRASH_FILES.values()}):
        with store.start_run(experiment="exp", name=f"spoilt {rel}", root=root, system_metrics_interval=0) as run:
            run.log_metrics({"loss": 0.5})
            ids[rel] = run.id
        (run.path / "console.log").write_bytes(b"epoch 1\n")  # so `logs` goes on to the tail segment
    reader = store.open_store(root)
    reader.records()
    reader.save_index()
    from store import curate

    curate.delete(reader, ids["deleted.json"])
    reader.refresh()
    reader.save_index()  # a base index and a journal
    assert (root / ".tracktui-index.npz").is_file() and os.path.isfile(journal.path_for(str(root)))
    return root, ids


CHILD = r"""
import json, os, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
root, ids = sys.argv[1], json.loads(sys.argv[2])
from tui.cli import main

def step(name):
    print("STEP", name, flush=True)

step("ls")
assert main(["ls", root, "--deleted", "--json", "--columns", "run_id,status"]) == 0
step("reader")
import store
reader = store.open_store(root, include_deleted=True)
for rec in reader.records():
    detail = reader.run(rec["run_id"])
    reader.history(rec["run_id"])
    detail.media()
    print("RUN", json.dumps({{"run_id": rec["run_id"], "status": rec["status"], "reason": rec.get("reason")}}))
step("logs")
for rel in ("console.log", "console.tail.0.log") if sys.argv[3] != "sparse" else ():  # a big console is printed whole
    main(["logs", root, ids[rel]])
    main(["logs", root, ids[rel], "--follow"])  # the run has finished: follow ends
from pathlib import Path
from store.writing.console import timed_lines
for rel in ("console.times.txt", "console.tail.0.times.txt"):  # the Console tab's times (`t`)
    timed_lines(Path(reader.run(ids[rel]).facts["path"]))
step("push")
main(["push", root, "http://127.0.0.1:9"])
step("rm")
for rel in ("lock", "lock.0123456789abcdef.takeover", "attach-request", "mlflow-push.json", "inputs.json"):
    main(["rm", root, ids[rel]])  # reads the lock (and its takeover markers); refusing is fine
step("gc")
assert main(["gc", root, "--older-than", "0s"]) == 0
step("done")
"""


@pytest.mark.parametrize("kind", BAD_KINDS)
def test_hostile_files_never_hang_or_exhaust_memory(
    pristine: tuple[Path, dict[str, str]], kind: str, tmp_path: Path
) -> None:
    template, ids = pristine
    root = tmp_path / "store"
    shutil.copytree(template, root, symlinks=True)
    for rel in set(RUN_FILES.values()):
        _spoil(root / "exp" / ids[rel] / rel, kind)
    _spoil(root / ".trash" / "exp" / ids["deleted.json"] / "deleted.json", kind)
    for name in STORE_FILES.values():
        _spoil(root / name, kind)
    env = dict(
        os.environ,
        PYTHONPATH=str(REPO),
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        XDG_CACHE_HOME=str(tmp_path / "cache"),
    )
    code = textwrap.dedent(CHILD.format(limit=MEMORY_LIMIT))
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code, str(root), json.dumps(ids), kind],
            env=env,
            capture_output=True,
            text=True,
            timeout=40,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:  # the child is killed by subprocess.run
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        steps = [line for line in out.splitlines() if line.startswith("STEP")]
        hung = steps[-1] if steps else "start-up"
    else:
        hung = ""
    assert not hung, f"hung in {hung} with {kind} files"
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "STEP done" in proc.stdout
    listed = {
        json.loads(line)["run_id"]: json.loads(line)["status"]
        for line in proc.stdout.splitlines()
        if line.startswith("{")
    }
    assert set(ids.values()) <= set(listed), "every run is listed by ls"
    read = {
        d["run_id"]: d for d in (json.loads(line[4:]) for line in proc.stdout.splitlines() if line.startswith("RUN "))
    }
    assert set(read) == set(ids.values()), "the reader lists and opens every run"
    for rel, run_id in ids.items():
        damaged = read[run_id]["status"] == "damaged"
        assert damaged == (rel in DAMAGING), (rel, read[run_id])
    assert "Traceback" not in proc.stderr and "Error(" not in proc.stderr, proc.stderr[-2000:]


def test_a_limited_child_can_still_read_a_plain_store(pristine: tuple[Path, dict[str, str]]) -> None:
    """The address-space limit leaves room for the real work (else the test above proves nothing)."""
    template, _ = pristine
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    assert hard == resource.RLIM_INFINITY or hard >= MEMORY_LIMIT
    code = (
        f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT}, {MEMORY_LIMIT}))\n"
        f"from tui.cli import main; raise SystemExit(main(['ls', {str(template)!r}, '--json']))"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO), OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and len(proc.stdout.splitlines()) == len(set(RUN_FILES.values())), proc.stderr[-2000:]


def test_a_fifo_attach_request_does_not_hang_tracktui_run(tmp_path: Path) -> None:
    """The wrapper polls `attach-request`; a FIFO there blocked it forever, after its command had ended."""
    script = (
        "import glob, os; "
        "run = glob.glob(os.path.join(os.environ['TRACKTUI_STORE'], '*', os.environ['TRACKTUI_RUN_ID']))[0]; "
        "os.mkfifo(os.path.join(run, 'attach-request')); import time; time.sleep(0.5)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKTUI_")}
    env.update(PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "run", "--store", str(tmp_path / "s"), "--", sys.executable, "-c", script],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        code = None
    assert code == 0, "tracktui run returned when its command ended"
    (record,) = store.open_store(tmp_path / "s").records()
    assert record["status"] == "finished"


def test_resuming_a_run_with_a_fifo_history_fails_at_once(tmp_path: Path) -> None:
    with store.start_run(experiment="exp", root=tmp_path, system_metrics_interval=0) as run:
        run.log_metrics({"loss": 1.0})
    history = run.path / "metrics" / "loss.f64"
    history.unlink()
    os.mkfifo(history)
    code = f"""
import store
try:
    store.start_run(experiment="exp", root={str(tmp_path)!r}, resume={run.id!r}, system_metrics_interval=0)
except OSError as exc:
    print("refused:", exc)
"""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)
    assert "refused: loss.f64 is a FIFO" in proc.stdout, proc.stderr[-2000:]


MODELS_CHILD = r"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
from tui.cli import main
import store
main(["models", sys.argv[1], "--json"])
models = store.open_store(sys.argv[1]).models()
print("MODELS", json.dumps(sorted(m.name for m in models)))
"""


@pytest.mark.parametrize("kind", BAD_KINDS)
@pytest.mark.parametrize("name", sorted(MODEL_FILES))
def test_hostile_registry_files_never_hang_or_exhaust_memory(tmp_path: Path, name: str, kind: str) -> None:
    """The registry's files (`.models/`) are read as boundedly as run files: a spoilt one is a damaged entry."""
    root = tmp_path / "store"
    with store.start_run(experiment="exp", root=root, system_metrics_interval=0) as run:
        run.log_text("model/MLmodel", "flavors: {}\n")
    store.register_model("churn", run=run, root=root)
    store.register_model("churn", run=run, root=root, alias="prod", tags={"team": "a"})
    (target,) = sorted((root / ".models" / "churn").glob(MODEL_FILES[name]))[:1]
    _spoil(target, kind)
    env = dict(
        os.environ,
        PYTHONPATH=str(REPO),
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        XDG_CACHE_HOME=str(tmp_path / "cache"),
    )
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(MODELS_CHILD.format(limit=MEMORY_LIMIT)), str(root)],
        env=env,
        capture_output=True,
        text=True,
        timeout=40,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'MODELS ["churn"]' in proc.stdout, proc.stdout[-2000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
