"""Write the MLflow model-registry fixtures with the real library (see README.md).

    python make_fixtures.py OUT        # OUT/file/mlruns (file store) and OUT/sqlite/mlflow.db (SQLite)

`populate(tracking_uri)` fills any tracking URI (a server's too).
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # 3.x refuses a file store without it


def populate(tracking_uri: str, registry_uri: str | None = None) -> dict[str, str]:
    """Two runs, two registered models (stages, aliases, tags, descriptions, three versions),
    and MLflow 3 logged models with params, metrics and tags; returns the run ids by name."""
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(registry_uri or tracking_uri)
    client = MlflowClient(tracking_uri, registry_uri or tracking_uri)
    mlflow.set_experiment("churn")
    ids: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        mlmodel = Path(tmp, "MLmodel")
        mlmodel.write_text("flavors: {}\n")
        for name, lr in (("lr-small", 0.01), ("lr-big", 0.1)):
            with mlflow.start_run(run_name=name) as run:
                ids[name] = run.info.run_id
                mlflow.log_param("lr", lr)
                mlflow.log_metric("auc", 0.8 + lr)
                mlflow.log_artifact(str(mlmodel), artifact_path="model")
                logged = mlflow.initialize_logged_model(
                    name=f"clf-{name}", tags={"framework": "sklearn"}, model_type="classifier"
                )
                mlflow.log_model_params({"depth": "3"}, model_id=logged.model_id)
                mlflow.log_metric("val_auc", 0.7 + lr, model_id=logged.model_id, step=1)
                client.log_model_artifact(logged.model_id, str(mlmodel))
                mlflow.finalize_logged_model(logged.model_id, "READY")
                ids[f"model:{name}"] = logged.model_id
    client.create_registered_model("churn", tags={"team": "growth"}, description="Churn classifier")
    v1 = client.create_model_version(
        "churn", f"runs:/{ids['lr-small']}/model", ids["lr-small"], description="first try"
    )
    v2 = client.create_model_version(
        "churn",
        f"models:/{ids['model:lr-big']}",
        ids["lr-big"],
        tags={"validated": "yes"},
        model_id=ids["model:lr-big"],
    )
    client.transition_model_version_stage("churn", v1.version, "Archived")
    client.transition_model_version_stage("churn", v2.version, "Production")
    client.set_registered_model_alias("churn", "champion", v2.version)
    client.set_registered_model_alias("churn", "prod", v2.version)
    client.set_registered_model_alias("churn", "old", v1.version)
    client.set_model_version_tag("churn", v1.version, "note", "baseline")
    client.create_registered_model("fraud")
    client.create_model_version("fraud", f"runs:/{ids['lr-small']}/model", ids["lr-small"])
    return ids


def main(out: Path) -> None:
    """OUT/file/mlruns, and OUT/sqlite/mlflow.db with its artifacts in OUT/sqlite/mlruns (MLflow's default)."""
    for kind, uri in (
        ("file", f"file:{out / 'file' / 'mlruns'}"),
        ("sqlite", f"sqlite:///{out / 'sqlite' / 'mlflow.db'}"),
    ):
        (out / kind).mkdir(parents=True, exist_ok=True)
        os.chdir(out / kind)  # artifact locations are relative to the working directory
        populate(uri)


if __name__ == "__main__":
    main(Path(sys.argv[1]).resolve())
