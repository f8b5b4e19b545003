"""The demo's runs of other tools, written the way those tools write them (see store/formats/):
a DVCLive folder, Lightning CSVLogger versions, Hugging Face `Trainer` output folders and a
trackio database, so `tracktui demo` shows one mixed table with a source column.

None of those libraries is needed: the files are laid out as dvclive 3.49, lightning 2.6,
transformers 5.24 and trackio 0.43 wrote them (tests/data/foreign/ holds their real output).
Times come from the demo's fixed `now`, and every file's mtime is put in the past, so the
same call writes the same folders and nothing shows as running.
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import yaml

HOUR = 3600.0


def make_foreign_demo(root: Path, now: float) -> list[Path]:
    """Write one folder of each kind under `root`; return them."""
    rng = np.random.default_rng(11)
    made = [
        _dvclive(root / "dvclive-project", rng),
        _lightning(root / "lightning_logs", rng),
        _trainer(root / "hf-trainer", rng),
        _trackio(root / "trackio", now, rng),
    ]
    stamp = now - 20 * HOUR
    for folder in made:  # a minute between files, in name order: runs get a start, an end and a duration
        for i, path in enumerate(sorted([folder, *folder.rglob("*")])):
            os.utime(path, (stamp + 60 * i, stamp + 60 * i), follow_symlinks=False)
    return made


def _dvclive(project: Path, rng: np.random.Generator) -> Path:
    from .demo import _regions_image, _write_png

    live = project / "dvclive"
    (live / "plots" / "metrics" / "train").mkdir(parents=True)
    (live / "plots" / "metrics" / "val").mkdir(parents=True)
    (live / "plots" / "images").mkdir(parents=True)
    (live / "params.yaml").write_text(
        yaml.safe_dump({"lr": 0.003, "model": {"arch": "resnet18", "pretrained": True}, "epochs": 12}, sort_keys=False)
    )
    loss = [1.1 * math.exp(-e / 4) + 0.08 + float(rng.normal(0, 0.01)) for e in range(12)]
    acc = [0.5 + 0.42 * (1 - math.exp(-e / 3)) + float(rng.normal(0, 0.005)) for e in range(12)]
    for name, series in (("train/loss", loss), ("val/acc", acc)):
        leaf = name.split("/")[-1]
        rows = "".join(f"{step}\t{value}\n" for step, value in enumerate(series))
        (live / "plots" / "metrics" / f"{name}.tsv").write_text(f"step\t{leaf}\n{rows}")
    summary = {"train": {"loss": loss[-1]}, "val": {"acc": acc[-1]}, "step": 11, "test_acc": acc[-1] - 0.01}
    (live / "metrics.json").write_text(json.dumps(summary, indent=4))
    _write_png(live / "plots" / "images" / "regions.png", _regions_image(11, 0.05))
    return project


def _lightning(logs: Path, rng: np.random.Generator) -> Path:
    for version, (lr, hidden) in enumerate([(0.05, 32), (0.01, 64), (0.1, 16)]):
        folder = logs / f"version_{version}"
        folder.mkdir(parents=True)
        (folder / "hparams.yaml").write_text(f"lr: {lr}\nhidden: {hidden}\n")
        rows = ["epoch,step,train_loss,val_loss"]
        step = 0
        for epoch in range(5):
            for _ in range(4):
                step += 2
                rows.append(f"{epoch},{step - 1},{2.0 * math.exp(-step * lr / 2) + float(rng.normal(0, 0.02))},")
            rows.append(f"{epoch},{step - 1},,{2.1 * math.exp(-step * lr / 2) + 0.05}")
        (folder / "metrics.csv").write_text("\n".join(rows) + "\n")
    return logs


def _trainer_state(lr: float, last_step: int, max_steps: int, rng: np.random.Generator) -> dict[str, object]:
    history: list[dict[str, float | int]] = []
    best = (math.inf, 0)
    for step in range(10, last_step + 1, 10):
        epoch = step / (max_steps / 3)
        history.append(
            {
                "epoch": epoch,
                "grad_norm": 2.0 * math.exp(-step / 80),
                "learning_rate": lr * (1 - step / max_steps),
                "loss": 0.7 * math.exp(-step * lr * 2e3) + 0.2 + float(rng.normal(0, 0.01)),
                "step": step,
            }
        )
        if step % 40 == 0:
            eval_loss = 0.72 * math.exp(-step * lr * 2e3) + 0.25
            history.append(
                {
                    "epoch": epoch,
                    "eval_loss": eval_loss,
                    "eval_accuracy": 1 - eval_loss / 2,
                    "eval_runtime": 1.9,
                    "step": step,
                }
            )
            best = min(best, (eval_loss, step))
    if last_step >= max_steps:
        history.append(
            {
                "epoch": 3.0,
                "step": max_steps,
                "total_flos": 1.2e14,
                "train_loss": 0.31,
                "train_runtime": 412.5,
                "train_samples_per_second": 93.1,
            }
        )
    return {
        "best_global_step": best[1],
        "best_metric": best[0],
        "best_model_checkpoint": f"hf-trainer/out/checkpoint-{best[1]}",
        "epoch": last_step / (max_steps / 3),
        "eval_steps": 40,
        "global_step": last_step,
        "is_hyper_param_search": False,
        "log_history": history,
        "logging_steps": 10,
        "max_steps": max_steps,
        "num_train_epochs": 3,
        "save_steps": 40,
        "total_flos": 1.2e14,
        "train_batch_size": 16,
        "trial_name": None,
        "trial_params": None,
    }


def _trainer(outputs: Path, rng: np.random.Generator) -> Path:
    for name, lr, last_step in (("distilbert-sst2-lr2e-5", 2e-5, 120), ("distilbert-sst2-lr5e-5", 5e-5, 80)):
        run = outputs / name
        for step in range(40, last_step + 1, 40):
            (run / f"checkpoint-{step}").mkdir(parents=True, exist_ok=True)
            state = _trainer_state(lr, step, 120, rng)
            (run / f"checkpoint-{step}" / "trainer_state.json").write_text(json.dumps(state, indent=2, sort_keys=True))
        if last_step >= 120:  # the script's trainer.save_state(); the other run was killed at step 80
            (run / "trainer_state.json").write_text(
                json.dumps(_trainer_state(lr, 120, 120, rng), indent=2, sort_keys=True)
            )
        (run / "config.json").write_text(
            json.dumps(
                {
                    "model_type": "distilbert",
                    "architectures": ["DistilBertForSequenceClassification"],
                    "hidden_size": 768,
                    "num_hidden_layers": 6,
                },
                indent=2,
            )
        )
    return outputs


TRACKIO_TABLES = (
    "CREATE TABLE metrics (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, timestamp TEXT NOT NULL,"
    " run_name TEXT NOT NULL, step INTEGER NOT NULL, metrics TEXT NOT NULL, log_id TEXT, space_id TEXT)",
    "CREATE TABLE configs (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, run_name TEXT NOT NULL,"
    " config TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE(run_id))",
    "CREATE TABLE system_metrics (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL,"
    " timestamp TEXT NOT NULL, run_name TEXT NOT NULL, metrics TEXT NOT NULL, log_id TEXT, space_id TEXT)",
)
"""trackio 0.43's `sqlite_storage._RUN_ID_TABLES`, the tables a run's data lives in."""


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat()


def _trackio(folder: Path, now: float, rng: np.random.Generator) -> Path:
    folder.mkdir(parents=True)
    conn = sqlite3.connect(folder / "gpt-finetune.db")
    try:
        for statement in TRACKIO_TABLES:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 2")
        for i, (name, lr) in enumerate((("warm-sun-1", 3e-4), ("brisk-river-2", 1e-4))):
            run_id = f"demo{i:028d}"
            start = now - (26 - 2 * i) * HOUR
            config = {
                "lr": lr,
                "batch_size": 32,
                "model": "gpt2-small",
                "_Username": "ml",
                "_Created": _iso(start),
                "_Group": None,
            }
            conn.execute(
                "INSERT INTO configs (run_id, run_name, config, created_at) VALUES (?, ?, ?, ?)",
                (run_id, name, json.dumps(config).encode(), _iso(start)),
            )
            for step in range(0, 200, 10):
                values = {
                    "train/loss": 3.2 * math.exp(-step * lr * 20) + 1.1 + float(rng.normal(0, 0.02)),
                    "train/lr": lr,
                }
                conn.execute(
                    "INSERT INTO metrics (run_id, timestamp, run_name, step, metrics) VALUES (?, ?, ?, ?, ?)",
                    (run_id, _iso(start + step * 9), name, step, json.dumps(values).encode()),
                )
                if step % 50 == 0:
                    sample = {"cpu": 40 + float(rng.normal(0, 5)), "gpu/0/util": 90 + float(rng.normal(0, 3))}
                    conn.execute(
                        "INSERT INTO system_metrics (run_id, timestamp, run_name, metrics) VALUES (?, ?, ?, ?)",
                        (run_id, _iso(start + step * 9), name, json.dumps(sample).encode()),
                    )
        conn.commit()
    finally:
        conn.close()
    return folder
