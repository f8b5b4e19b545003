"""The Hugging Face callback, on a real Trainer with a tiny model on the CPU (needs the `integrations` extra)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import store

torch: Any = pytest.importorskip("torch", reason="the Hugging Face integration needs torch: pip install torch==2.13.0")
transformers: Any = pytest.importorskip(
    "transformers", reason="the Hugging Face integration needs the `integrations` extra"
)
pytest.importorskip("accelerate", reason="transformers' Trainer needs accelerate (the `integrations` extra)")


class TinyConfig(transformers.PretrainedConfig):
    model_type = "tiny-regressor"

    def __init__(self, hidden: int = 4, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.hidden = hidden


class TinyModel(transformers.PreTrainedModel):
    config_class = TinyConfig

    def __init__(self, config: TinyConfig) -> None:
        super().__init__(config)
        self.net = torch.nn.Sequential(
            torch.nn.Linear(2, config.hidden), torch.nn.ReLU(), torch.nn.Linear(config.hidden, 1)
        )
        self.post_init()

    def forward(self, x: object, labels: object = None) -> dict[str, object]:
        out = self.net(x)
        loss = torch.nn.functional.mse_loss(out, labels) if labels is not None else None
        return {"loss": loss, "logits": out}


class Pairs(torch.utils.data.Dataset):
    def __init__(self) -> None:
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(32, 2, generator=g)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict[str, object]:
        return {"x": self.x[i], "labels": self.x[i].sum(0, keepdim=True)}


def test_train_then_evaluate_logs_args_model_config_and_metrics(tmp_path: Path) -> None:
    from store.integrations.huggingface import TrackTUICallback

    callback = TrackTUICallback("tiny-hf", root=tmp_path / "s")
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"),
        run_name="hf-run",
        num_train_epochs=2,
        per_device_train_batch_size=8,
        learning_rate=0.01,
        logging_steps=1,
        eval_strategy="epoch",
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        disable_tqdm=True,
    )
    trainer = transformers.Trainer(
        model=TinyModel(TinyConfig(hidden=4)),
        args=args,
        train_dataset=Pairs(),
        eval_dataset=Pairs(),
        callbacks=[callback],
    )
    trainer.train()
    assert callback.run is not None and callback.run.status == "finished"
    trainer.evaluate()  # continues the run, left open until exit (or the next train()), as after any on_log
    assert callback.run.status == "running"
    callback.run.finish()
    s = store.open_store(tmp_path / "s")
    frame = s.runs_frame()
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row["name"] == "hf-run" and row["status"] == "finished"
    assert row["params.learning_rate"] == 0.01 and row["params.num_train_epochs"] == 2
    assert row["params.model.hidden"] == 4
    detail = s.run(row["run_id"])
    assert detail.metrics["loss"]["count"] == 8  # 4 steps an epoch, logged every step
    assert detail.metrics["eval_loss"]["count"] == 3  # after each epoch, then evaluate()
    assert detail.history(["loss"])["step"].tolist() == list(range(1, 9))
    assert "train_runtime" in detail.metrics
