"""Fuzz: damage any one file of a small store; listing, run(), history() and `tracktui ls` survive.

For every file of a small tracktui store and of a small MLflow file store, hypothesis (fixed
seed, bounded examples) picks a mutation — truncate, garbage bytes, deep nesting, a value of
the wrong type, an empty file, or the file replaced by a FIFO, a folder or a symlink to
/dev/zero — and the test asserts that nothing raises, nothing hangs (each call runs under
`signal.alarm`, so a hang fails the test instead of hanging CI), and every run whose files
were not touched is still listed with its own status.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "tracktui-hypothesis"))  # not .hypothesis/ in the tree

import store  # noqa: E402
from tests.mlflow_fixtures import T0, run_id, write_experiment, write_run  # noqa: E402

CALL_TIMEOUT = 5
"""Seconds one listing or read may take before it counts as a hang (each takes milliseconds)."""
FUZZ = settings(
    derandomize=True,
    max_examples=8,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a hang would be retried for minutes
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

MUTATIONS = ("truncate", "garbage", "deep", "wrong-type", "empty", "fifo", "folder", "dev-zero")


class Hang(Exception):
    pass


@contextlib.contextmanager
def deadline(seconds: int = CALL_TIMEOUT) -> Iterator[None]:
    def on_alarm(signum: int, frame: Any) -> None:
        raise Hang(f"a call did not return within {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# -- the two small stores ------------------------------------------------------------------


@pytest.fixture(scope="module")
def ours(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ours")
    for i in range(3):
        with store.start_run(experiment="e" if i < 2 else "f", name=f"r{i}", root=root) as run:
            run.log_params({"i": i, "cfg": {"lr": 0.1, "layers": [1, 2]}})
            for step in range(3):
                run.log_metric("loss", 1.0 / (i + step + 1))
            run.set_tag("t", str(i))
    store.open_store(root).runs_frame()  # and an index
    return root


@pytest.fixture(scope="module")
def mlruns(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mlflow") / "mlruns"
    exp = write_experiment(root, "0", "Default")
    for i in (1, 2, 3):
        write_run(
            exp,
            run_id(i),
            f"run-{i}",
            params={"p": str(i), "nested/q": "x"},
            tags={"stage": "a"},
            metrics={"m": f"{T0} 0.5 0\n{T0 + 1} 0.25 1\n", "ds": f"{T0} 1.0 0 train abcd1234\n"},
        )
    other = write_experiment(root, "1", "Other")
    write_run(other, run_id(4), "run-4", params={"p": "4"}, metrics={"m": f"{T0} 1 0\n"})
    return root


def files_of(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def run_of(relative: str, run_ids: set[str]) -> str | None:
    """The run a file belongs to (None for store-level files)."""
    return next((part for part in Path(relative).parts if part in run_ids), None)


# -- mutations -----------------------------------------------------------------------------


def wrong_type(text: str, pick: int, value: Any) -> str:
    """The file with one value replaced by `value` (JSON or YAML mappings), or `value` as the whole file."""
    try:
        data = json.loads(text)
    except ValueError:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            data = None
        if isinstance(data, dict) and data:
            key = sorted(data, key=str)[pick % len(data)]
            data[key] = value
            return yaml.safe_dump(data)
        return json.dumps(value)
    if isinstance(data, dict) and data:
        key = sorted(data)[pick % len(data)]
        data[key] = value
        return json.dumps(data)
    return json.dumps(value)


ODD_VALUES = st.sampled_from([None, "text", 10**400, -1, 1e308, [], [1, [2]], {}, {"a": {"b": None}}, True, "9" * 400])


@st.composite
def mutations(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "kind": draw(st.sampled_from(MUTATIONS)),
        "cut": draw(st.floats(0, 1)),
        "bytes": draw(st.binary(min_size=1, max_size=64)),
        "pick": draw(st.integers(0, 20)),
        "value": draw(ODD_VALUES),
        "depth": draw(st.sampled_from([150, 1200, 20000])),
    }


def mutate(path: Path, m: dict[str, Any]) -> None:
    kind = m["kind"]
    if kind in ("fifo", "folder", "dev-zero"):
        path.unlink()
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "folder":
            path.mkdir()
        else:
            path.symlink_to("/dev/zero")
        return
    raw = path.read_bytes()
    if kind == "truncate":
        path.write_bytes(raw[: int(len(raw) * m["cut"])])
    elif kind == "garbage":
        at = int(len(raw) * m["cut"])
        path.write_bytes(raw[:at] + m["bytes"] + raw[at + len(m["bytes"]) :])
    elif kind == "deep":
        depth = m["depth"]
        path.write_text("[" * depth + "]" * depth if m["pick"] % 2 else '{"a": ' * depth + "1" + "}" * depth)
    elif kind == "wrong-type":
        path.write_text(wrong_type(raw.decode("utf-8", errors="replace"), m["pick"], m["value"]))
    else:
        path.write_bytes(b"")


# -- the check -----------------------------------------------------------------------------


def check_store(pristine: Path, relative: str, m: dict[str, Any], before: dict[str, str], **open_args: Any) -> None:
    from tui.cli import main as tracktui

    work = Path(tempfile.mkdtemp(prefix="fuzz-"))
    try:
        root = work / pristine.name
        shutil.copytree(pristine, root, symlinks=True)
        mutate(root / relative, m)
        touched = run_of(relative, set(before))
        with deadline():
            s = store.open_store(root, **open_args)
            frame = s.runs_frame()
            for rid in frame["run_id"]:
                s.run(rid)
                s.history(rid)
            s.refresh()
        statuses = dict(zip(frame["run_id"], frame["status"]))
        for rid, status in before.items():
            if rid != touched:  # store-level files (marker, index, experiment meta.yaml) touch no run
                assert statuses.get(rid) == status, (relative, m["kind"], rid, statuses)
        for argv in (["ls", str(root)], ["ls", str(root), "--json"]):
            out = io.StringIO()
            with deadline(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                assert tracktui(argv + (["--deleted"] if open_args.get("include_deleted") else [])) == 0
    finally:
        shutil.rmtree(work, ignore_errors=True)  # unlinks FIFOs and symlinks, never opens them


def baseline(root: Path, **open_args: Any) -> dict[str, str]:
    frame = store.open_store(root, **open_args).runs_frame()
    return dict(zip(frame["run_id"], frame["status"]))


OUR_FILES = 3 * 5 + 3
"""Per run: meta, params, tags, summary, one history; plus the store marker, the index and the listing journal."""
MLFLOW_FILES = 2 + 3 * 8 + 5
"""Experiments' meta.yaml; runs 1-3: meta, 2 params, 3 tags, 2 metrics; run 4: meta, param, 2 tags, metric."""


def test_the_fuzzed_stores_have_the_files_we_think(ours: Path, mlruns: Path) -> None:
    assert len(files_of(ours)) == OUR_FILES
    assert len(files_of(mlruns)) == MLFLOW_FILES


@pytest.mark.parametrize("index", range(OUR_FILES))
def test_any_damage_to_one_file_of_our_store(ours: Path, index: int) -> None:
    """Up to 8 hypothesis examples per file (each a copy of a 3-run store, listed and read in full)."""
    relative = files_of(ours)[index]
    before = baseline(ours)

    @FUZZ
    @given(m=mutations())
    def check(m: dict[str, Any]) -> None:
        check_store(ours, relative, m, before)

    check()


@pytest.mark.parametrize("index", range(MLFLOW_FILES))
def test_any_damage_to_one_file_of_an_mlflow_file_store(mlruns: Path, index: int) -> None:
    """Up to 8 hypothesis examples per file (each a copy of a 4-run store, listed and read in full)."""
    relative = files_of(mlruns)[index]
    before = baseline(mlruns, include_deleted=True)

    @FUZZ
    @given(m=mutations())
    def check(m: dict[str, Any]) -> None:
        check_store(mlruns, relative, m, before, include_deleted=True)

    check()
