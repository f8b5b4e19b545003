"""The Lightning logger, on a real Trainer with a tiny model on the CPU (needs the `integrations` extra)."""

from __future__ import annotations

from pathlib import Path

import pytest

import store
from tests.children import run_python

pytest.importorskip("torch", reason="the Lightning integration needs torch: pip install torch==2.13.0")
pytest.importorskip("lightning", reason="the Lightning integration needs the `integrations` extra")

MODEL = """
import torch
import lightning.pytorch as pl
from torch.utils.data import DataLoader, TensorDataset


class Tiny(pl.LightningModule):
    def __init__(self, lr=0.05, hidden=4, fail_at=None):
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(torch.nn.Linear(2, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1))

    def training_step(self, batch, batch_idx):
        if self.hparams.fail_at is not None and self.global_step == self.hparams.fail_at:
            raise RuntimeError("loss went NaN")
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("train/loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val/loss", torch.nn.functional.mse_loss(self.net(x), y))

    def test_step(self, batch, batch_idx):
        x, y = batch
        self.log("test/loss", torch.nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


def loader():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(32, 2, generator=g)
    return DataLoader(TensorDataset(x, x.sum(1, keepdim=True)), batch_size=8)


def trainer(logger, root):
    return pl.Trainer(max_epochs=2, logger=logger, log_every_n_steps=1, enable_progress_bar=False,
                      enable_model_summary=False, enable_checkpointing=False, accelerator="cpu",
                      default_root_dir=str(root))
"""


def _namespace() -> dict[str, object]:
    scope: dict[str, object] = {}
    exec(MODEL, scope)
    return scope


def test_fit_then_test_logs_params_and_metrics_into_one_finished_run(tmp_path: Path) -> None:
    from store.integrations.lightning import TrackTUILogger

    ns = _namespace()
    logger = TrackTUILogger("tiny", name="mlp", root=tmp_path / "s")
    trainer = ns["trainer"](logger, tmp_path)  # type: ignore[operator]
    model = ns["Tiny"](lr=0.05, hidden=4)  # type: ignore[operator]
    trainer.fit(model, ns["loader"](), ns["loader"]())  # type: ignore[operator]
    after_fit = store.open_store(tmp_path / "s").runs_frame().iloc[0]
    assert after_fit["status"] == "finished" and after_fit["run_id"] == logger.version
    trainer.test(model, ns["loader"]())  # type: ignore[operator]
    s = store.open_store(tmp_path / "s")
    frame = s.runs_frame()
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row["name"] == "mlp" and row["experiment"] == "tiny" and row["status"] == "finished"
    assert row["params.lr"] == 0.05 and row["params.hidden"] == 4
    detail = s.run(row["run_id"])
    assert detail.metrics["train/loss"]["count"] == 8  # 4 batches x 2 epochs, one point a step
    assert detail.metrics["val/loss"]["count"] == 2 and detail.metrics["test/loss"]["count"] == 1
    hist = detail.history(["train/loss"])
    assert hist["step"].tolist() == list(range(8))


def test_a_raising_training_step_records_failed_with_the_traceback(tmp_path: Path) -> None:
    code = (
        MODEL
        + f"""
from store.integrations.lightning import TrackTUILogger
logger = TrackTUILogger("tiny", root={str(tmp_path / "s")!r})
trainer(logger, {str(tmp_path)!r}).fit(Tiny(fail_at=3), loader())
"""
    )
    proc = run_python(code, wait=False)
    try:
        proc.wait(timeout=600)  # importing lightning alone can take a minute on a loaded 2-core machine
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    s = store.open_store(tmp_path / "s")
    row = s.runs_frame().iloc[0]
    assert row["status"] == "failed"
    assert "RuntimeError: loss went NaN" in (s.run(row["run_id"]).error or "")
    assert s.run(row["run_id"]).metrics["train/loss"]["count"] == 3
