"""`tracktui models` and `tracktui model` on a store of ours and on the MLflow stores the real library wrote."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

import store
from tui.cli import main

DATA = Path(__file__).resolve().parent / "data" / "mlflow_registry"


@pytest.fixture
def ours(tmp_path: Path) -> tuple[Path, str]:
    root = tmp_path / "s"
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "MLmodel").write_text("flavors: {}\n")
    with store.start_run("train", root=root, system_metrics_interval=0) as run:
        run.log_artifact(tmp_path / "model", "model")
        store.register_model("churn", description="first")
        store.register_model("churn", alias="prod", tags={"k": "v"}, description="\x1b[31mred\x1b[0m")
    return root, run.id


def test_models_table_and_json(ours: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    root, run_id = ours
    assert main(["models", str(root)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["NAME", "VERSION", "ALIASES", "STAGE"]
    assert lines[2].split()[:3] == ["churn", "2", "prod"] and "\x1b" not in lines[2]  # store text is never control
    assert main(["models", str(root), "churn", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["name"], r["version"], r["aliases"], r["run_id"], r["tags"]) for r in rows] == [
        ("churn", 1, [], run_id, {}),
        ("churn", 2, ["prod"], run_id, {"k": "v"}),
    ]
    assert set(rows[0]) >= {
        "name",
        "version",
        "aliases",
        "stage",
        "run_id",
        "source",
        "status",
        "tags",
        "description",
        "created",
        "metrics",
    }


def test_model_prints_where_the_files_are(ours: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    root, _ = ours
    assert main(["model", str(root), "churn@prod"]) == 0
    where = Path(capsys.readouterr().out.strip())
    assert (where / "MLmodel").is_file() and where.is_relative_to(root)
    assert main(["model", str(root), "churn/1"]) == 0 and capsys.readouterr().out.strip() == str(where)


@pytest.mark.parametrize(
    "ref, message",
    [
        ("churn@nope", "no alias 'nope'"),
        ("churn/7", "no version 7"),
        ("other@prod", "no registered model 'other'"),
        ("churn", "NAME@ALIAS"),
    ],
)
def test_model_not_found_is_one_line_and_exit_1(
    ours: tuple[Path, str], capsys: pytest.CaptureFixture[str], ref: str, message: str
) -> None:
    assert main(["model", str(ours[0]), ref]) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_mlflow_stores_with_stages_and_logged_model_metrics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with tarfile.open(DATA / "registry.tar.gz") as tf:
        tf.extractall(tmp_path, filter="data")
    for path in (tmp_path / "file" / "mlruns", tmp_path / "sqlite" / "mlflow.db"):
        assert main(["models", str(path), "--json"]) == 0
        rows = {(r["name"], r["version"]): r for r in map(json.loads, capsys.readouterr().out.splitlines())}
        assert rows[("churn", 2)]["stage"] == "Production" and rows[("churn", 1)]["stage"] == "Archived"
        assert rows[("churn", 2)]["metrics"] == {"val_auc": pytest.approx(0.8)}
        assert main(["model", str(path), "churn@champion"]) == 0
        assert (Path(capsys.readouterr().out.strip()) / "MLmodel").is_file()
        assert main(["models", str(path), "--logged"]) == 0
        assert "clf-lr-big" in capsys.readouterr().out


def test_several_stores_as_one_label_run_ids_and_a_failing_source_is_one_damaged_row(
    ours: tuple[Path, str], tmp_path: Path
) -> None:
    root, run_id = ours
    with tarfile.open(DATA / "registry.tar.gz") as tf:
        tf.extractall(tmp_path, filter="data")
    db = tmp_path / "sqlite" / "mlflow.db"
    reader = store.open_store([str(root), str(db)])
    reader.refresh()
    versions = [(m.name, v.version, v.run_id) for m in reader.models() for v in m.versions]
    assert ("churn", 1, f"s:{run_id}") in versions and len(versions) == 2 + 3
    ids = set(reader.run_ids())
    assert all(rid in ids for _, _, rid in versions)  # the same ids as the listing's
    for model in reader.models():
        for version in model.versions:
            assert (Path(reader.model_files(version) or "") / "MLmodel").is_file()
    assert {m.run_id for m in reader.logged_models()} <= ids and len(reader.logged_models()) == 2
    db.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)  # the database is damaged now
    names = [(m.name, m.reason is not None) for m in reader.models()]
    assert ("churn", False) in names and ("(mlflow.db)", True) in names
