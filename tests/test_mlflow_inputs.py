"""MLflow dataset inputs (2.4+ `mlflow.log_input`, autolog) read into `RunDetail.inputs`, like ours."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import store
from tests.mlflow_fixtures import sql_exec, unpack, unpack_datasets
from tui.shaping.diff import build_diff


def test_file_store_inputs_of_autolog_and_of_metrics_logged_with_a_dataset(tmp_path: Path) -> None:
    mlruns, manifest = unpack_datasets(tmp_path)
    ids = {r["run_name"]: r["run_id"] for r in manifest["runs"]}
    st = store.open_store(mlruns)
    autolog = st.run(ids["sklearn-autolog"]).inputs
    assert [(i["name"], i["digest"], i["context"], i["kind"], i["rows"]) for i in autolog] == [
        ("dataset", "dc56178b", "train", "code", 40)
    ]
    explicit = sorted((i["name"], i["digest"], i["context"]) for i in st.run(ids["explicit-datasets"]).inputs)
    assert explicit == [("iris-train", "9ebae141", ""), ("iris-val", "d28e0c70", "")]
    diff = build_diff([st.run(ids["sklearn-autolog"]), st.run(ids["explicit-datasets"])])
    assert {r.field for r in diff.rows if r.section == "inputs"} == {"dataset", "iris-train", "iris-val"}


def test_a_damaged_dataset_link_is_skipped_not_fatal(tmp_path: Path) -> None:
    mlruns, manifest = unpack_datasets(tmp_path)
    run_id = next(r["run_id"] for r in manifest["runs"] if r["run_name"] == "sklearn-autolog")
    exp = next(mlruns.glob(f"*/{run_id}")).parent
    shutil.rmtree(exp / "datasets")
    (next((exp / run_id / "inputs").iterdir()) / "meta.yaml").write_text("source_type: DATASET\nsource_id: gone\n")
    inputs = store.open_store(mlruns).run(run_id).inputs
    assert [(i["name"], i["digest"]) for i in inputs] == [("gone", None)]


def test_sql_store_inputs_from_the_datasets_inputs_and_input_tags_tables(tmp_path: Path) -> None:
    db = unpack(tmp_path) / "sqlite" / "mlflow.db"
    run_id = "3bee09146d934871a327eab30d22b62f"  # poly-degree-2
    source = json.dumps({"uri": "/data/iris.csv"})
    sql_exec(
        db,
        (
            "INSERT INTO datasets VALUES (?, 0, 'iris', 'a1b2c3d4', 'local', ?, NULL, ?)",
            ("ds-1", source, json.dumps({"num_rows": 150})),
        ),
        ("INSERT INTO inputs VALUES ('in-1', 'DATASET', 'ds-1', 'RUN', ?, 0)", (run_id,)),
        ("INSERT INTO input_tags VALUES ('in-1', 'mlflow.data.context', 'eval')", ()),
    )
    st = store.open_store(f"sqlite:///{db}")
    assert st.run(run_id).inputs == [
        {
            "name": "iris",
            "path": "/data/iris.csv",
            "kind": "local",
            "context": "eval",
            "size": None,
            "mtime": None,
            "digest": "a1b2c3d4",
            "digest_source": "mlflow",
            "rows": 150,
        }
    ]
    assert st.run("8a7a352992a74c22a139b7a1a7db98d7").inputs == []  # its inputs row is a model output, not data
