import sys, torch
from torch import nn
from transformers import Trainer, TrainingArguments
torch.manual_seed(0)
class M(nn.Module):
    def __init__(self):
        super().__init__(); self.net = nn.Linear(2, 1)
    def forward(self, x, labels=None):
        out = self.net(x); loss = nn.functional.mse_loss(out.squeeze(-1), labels)
        return {"loss": loss, "logits": out}
class DS(torch.utils.data.Dataset):
    def __init__(self, n): self.x = torch.randn(n, 2); self.y = self.x[:, 0] * 2 - self.x[:, 1]
    def __len__(self): return len(self.x)
    def __getitem__(self, i): return {"x": self.x[i], "labels": self.y[i]}
args = TrainingArguments(output_dir=sys.argv[1], num_train_epochs=3, per_device_train_batch_size=8, logging_steps=2,
                         eval_strategy="steps", eval_steps=4, save_strategy="steps", save_steps=4, save_total_limit=2,
                         load_best_model_at_end=True, metric_for_best_model="eval_loss", greater_is_better=False,
                         learning_rate=0.05, report_to=[], use_cpu=True, disable_tqdm=True)
t = Trainer(model=M(), args=args, train_dataset=DS(64), eval_dataset=DS(16))
t.train()
t.save_state()
