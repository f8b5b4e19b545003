"""`Trainer.train()` then `save_state()` on a tiny regression model (see README.md)."""

import sys

import torch
from torch import nn
from transformers import Trainer, TrainingArguments

torch.manual_seed(0)


class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Linear(2, 1)

    def forward(self, x, labels=None):
        out = self.net(x)
        return {"loss": nn.functional.mse_loss(out.squeeze(-1), labels), "logits": out}


class Points(torch.utils.data.Dataset):
    def __init__(self, n: int) -> None:
        self.x = torch.randn(n, 2)
        self.y = self.x[:, 0] * 2 - self.x[:, 1]

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i):
        return {"x": self.x[i], "labels": self.y[i]}


args = TrainingArguments(
    output_dir=sys.argv[1],
    num_train_epochs=3,
    per_device_train_batch_size=8,
    logging_steps=2,
    eval_strategy="steps",
    eval_steps=4,
    save_strategy="steps",
    save_steps=4,
    save_total_limit=2,
    load_best_model_at_end=True,
    metric_for_best_model="eval_loss",
    greater_is_better=False,
    learning_rate=0.05,
    report_to=[],
    use_cpu=True,
    disable_tqdm=True,
)
trainer = Trainer(model=Tiny(), args=args, train_dataset=Points(64), eval_dataset=Points(16))
trainer.train()
trainer.save_state()
