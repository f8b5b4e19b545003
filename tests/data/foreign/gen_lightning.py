"""Two `fit`s of a tiny model with Lightning's CSVLogger (see README.md)."""

import sys

import lightning as L
import torch
from lightning.pytorch.loggers import CSVLogger
from torch import nn

torch.manual_seed(0)


class Tiny(L.LightningModule):
    def __init__(self, lr: float = 0.05, hidden: int = 8) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def training_step(self, batch, index):
        x, y = batch
        loss = nn.functional.mse_loss(self.net(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, index):
        x, y = batch
        self.log("val_loss", nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


x = torch.randn(64, 2)
y = x[:, :1] * 2 + x[:, 1:]
loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8)
for lr in (0.05, 0.01):
    trainer = L.Trainer(
        max_epochs=3,
        logger=CSVLogger(sys.argv[1]),
        log_every_n_steps=2,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(Tiny(lr=lr), loader, loader)
