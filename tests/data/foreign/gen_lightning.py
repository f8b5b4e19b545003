import sys, torch, lightning as L
from lightning.pytorch.loggers import CSVLogger
from torch import nn
torch.manual_seed(0)
class M(L.LightningModule):
    def __init__(self, lr=0.05, hidden=8):
        super().__init__(); self.save_hyperparameters()
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 1))
    def training_step(self, b, i):
        x, y = b; loss = nn.functional.mse_loss(self.net(x), y); self.log("train_loss", loss); return loss
    def validation_step(self, b, i):
        x, y = b; self.log("val_loss", nn.functional.mse_loss(self.net(x), y))
    def configure_optimizers(self): return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)
x = torch.randn(64, 2); y = (x[:, :1] * 2 + x[:, 1:])
dl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=8)
for lr in (0.05, 0.01):
    t = L.Trainer(max_epochs=3, logger=CSVLogger(sys.argv[1]), log_every_n_steps=2, enable_checkpointing=False,
                  enable_progress_bar=False, enable_model_summary=False)
    t.fit(M(lr=lr), dl, dl)
