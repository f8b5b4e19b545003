import os, sys, math
import trackio
proj = sys.argv[1]
for i, lr in enumerate([0.01, 0.001]):
    trackio.init(project=proj, name=f"lr-{lr}", config={"lr": lr, "model": {"layers": 2}, "epochs": 5})
    for step in range(5):
        trackio.log({"train/loss": math.exp(-step * (i + 1)), "val/acc": 0.5 + 0.1 * step, "epoch": step})
    trackio.finish()
