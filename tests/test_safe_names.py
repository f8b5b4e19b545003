"""Names from outside never become paths unchecked (store/safe_names.py).

A tracking server's run id of `../../..` or `/abs/path` once made tracktui write outside its cache
(opening the run, `tracktui logs URL RUN`). Hypothesis feeds hostile run ids and artifact paths
from a fake server through the real code paths (listing, opening a run, its artifact downloads,
`tracktui logs`) and checks that nothing is written outside the cache folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "tracktui-hypothesis"))  # not .hypothesis/ in the tree

from store import StoreError  # noqa: E402
from store.remote.rest import MlflowServerStore  # noqa: E402
from store.safe_names import MAX_NAME, UnsafePathError, inside, plain_name, relative_parts, safe_name  # noqa: E402
from tests.hostile_server import FakeServer, one_experiment, run_json  # noqa: E402
from tui.commands.logs import logs_main  # noqa: E402

FUZZ = settings(
    derandomize=True,
    max_examples=40,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DEPTH = 8
"""The cache sits this deep under the test's folder, so a hostile id with fewer `..` (the old escape) still
lands inside the test's folder, where the check sees it."""


def test_ordinary_ids_stay_readable_and_anything_else_is_hashed() -> None:
    for name in ("0123456789abcdef0123456789abcdef", "1", "run-2024_01.v2", "a" * MAX_NAME):
        assert safe_name(name) == name
    hostile = [
        "..",
        ".",
        "",
        "/etc/passwd",
        "../../.bashrc",
        "a/b",
        "x\x00y",
        "a" * (MAX_NAME + 1),
        "-rf",
        ".hidden",
        "a\\b",
        "name with space",
        "\u202eevil",
    ]
    mapped = [safe_name(name) for name in hostile]
    assert len(set(mapped)) == len(hostile), "distinct names stay distinct"
    for name in mapped:
        assert name.startswith("_") and len(name) == 33 and plain_name(name[1:]) == name[1:]


@given(st.text(max_size=300))
@settings(max_examples=300, database=None, derandomize=True)
def test_safe_name_is_always_one_harmless_component(name: str) -> None:
    safe = safe_name(name)
    assert safe not in ("", ".", "..") and "/" not in safe and "\x00" not in safe and len(safe) <= MAX_NAME
    assert (safe == name) == (plain_name(name) is not None)


@pytest.mark.parametrize(
    "path",
    ["", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", "x\x00y", "a\\b", "a/" + "b" * 300, "a/" * 600 + "b"],
)
def test_relative_paths_that_leave_their_folder_are_refused(path: str, tmp_path: Path) -> None:
    with pytest.raises(UnsafePathError):
        inside(tmp_path, path)


def test_a_symlink_inside_the_folder_does_not_lead_out(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "link").symlink_to(tmp_path)
    assert relative_parts("link/x") == ("link", "x")
    with pytest.raises(UnsafePathError):
        inside(tmp_path / "run", "link/x")
    assert inside(tmp_path / "run", "plots/loss.png") == tmp_path / "run" / "plots" / "loss.png"


# -- hostile names through the real code paths ---------------------------------------------


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeServer]:
    server = FakeServer()
    try:
        yield server
    finally:
        server.stop()


def _hostile(draw_parts: list[str], absolute: bool, root: Path) -> str:
    text = "/".join(draw_parts)
    return str(root / "abs" / text) if absolute else text


COMPONENTS = st.sampled_from(["..", ".", "", "a", "x\x00y", "b" * 300, "c d", "~"])
HOSTILE = st.tuples(st.lists(COMPONENTS, min_size=1, max_size=4), st.booleans())


def _files_outside(root: Path, cache: Path) -> set[str]:
    found: set[str] = set()
    for folder, dirs, files in os.walk(root):
        if Path(folder) == cache or cache in Path(folder).parents:
            continue
        found.update(os.path.join(folder, name) for name in dirs + files)
    return found


@given(run=HOSTILE, artifacts=st.lists(HOSTILE, min_size=1, max_size=3))
@example(run=(["..", "..", "..", "bashrc"], False), artifacts=[(["model.pkl"], False)])  # the report's
@example(run=(["home", "bashrc"], True), artifacts=[(["model.pkl"], False)])
@FUZZ
def test_hostile_ids_and_paths_write_nothing_outside_the_cache(
    fake: FakeServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    run: tuple[list[str], bool],
    artifacts: list[tuple[list[str], bool]],
) -> None:
    cache = tmp_path.joinpath(*[f"d{i}" for i in range(DEPTH)], "cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    shutil.rmtree(cache, ignore_errors=True)
    cache.mkdir(parents=True)
    run_id = _hostile(*run, tmp_path)
    assume(0 < len(run_id) <= 1000)  # longer or empty is no run id: never listed
    paths = [_hostile(*a, tmp_path) for a in artifacts]
    fake.answers.update(
        {
            "experiments/search": one_experiment("0"),
            "runs/search": {"runs": [run_json(run_id), run_json("0123456789abcdef0123456789abcdef")]},
            "runs/get": {"run": run_json(run_id)},
            "metrics/get-history-bulk": {"metrics": []},
            "artifacts/list": {
                "files": [{"path": p, "is_dir": False, "file_size": 5} for p in paths]
                + [{"path": paths[0], "is_dir": True}]
            },
            "get-artifact": fake.raw(b"owned"),
        }
    )
    before = _files_outside(tmp_path, cache)
    store = MlflowServerStore(fake.url)
    store.refresh()
    assert run_id in store.run_ids() and "0123456789abcdef0123456789abcdef" in store.run_ids()
    detail = store.run(run_id)
    assert detail.run_id == run_id
    remote = store.remote_artifacts(run_id)
    for file in remote.not_cached():
        try:
            remote.download(file)
        except StoreError:
            pass
    assert logs_main([fake.url, run_id]) == 1  # a server's run has no console: said in one line
    assert _files_outside(tmp_path, cache) == before


# -- names from files and env vars ------------------------------------------------------------


def test_a_dataset_or_model_link_in_an_mlflow_store_never_reads_outside_it(tmp_path: Path) -> None:
    """Before: a run's `inputs/<id>/meta.yaml` with `source_id: ../../../secret` read tmp/secret/meta.yaml."""
    from store import open_store
    from tests.mlflow_fixtures import run_id, write_experiment, write_run

    root = tmp_path / "mlruns"
    run = write_run(write_experiment(root, "1", "e"), run_id(1))
    (run / "inputs" / "link").mkdir(parents=True)
    (run / "inputs" / "link" / "meta.yaml").write_text("source_id: ../../../secret\nsource_type: DATASET\n")
    (run / "outputs" / "m-1").mkdir(parents=True)
    (run / "outputs" / "m-1" / "meta.yaml").write_text("destination_id: ../../../secret\n")
    (run.parent / "datasets").mkdir()
    (run.parent / "models").mkdir()
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "meta.yaml").write_text("name: SECRET\ndigest: abc\nartifact_location: /etc\n")
    detail = open_store(root).run(run_id(1))
    assert [i["name"] for i in detail.inputs] == ["../../../secret"]
    assert not any("SECRET" in label for label in detail.extra_artifacts)


def test_a_run_id_from_the_environment_never_finds_a_folder_outside_the_store(tmp_path: Path) -> None:
    """`$TRACKTUI_RUN_ID` (a wrapped run's id) reaches find_run; before, `../../outside` found tmp/outside."""
    from store.ours import layout
    from store.ours.run_folder import find_run

    (tmp_path / "store" / "exp").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / layout.META).write_text("{}")
    with pytest.raises(FileNotFoundError):
        find_run(tmp_path / "store", "../../outside")
