"""Two trackio runs in one project (see README.md); run with TRACKIO_DIR set."""

import math
import sys

import trackio

for i, lr in enumerate([0.01, 0.001]):
    trackio.init(project=sys.argv[1], name=f"lr-{lr}", config={"lr": lr, "model": {"layers": 2}, "epochs": 5})
    for step in range(5):
        trackio.log({"train/loss": math.exp(-step * (i + 1)), "val/acc": 0.5 + 0.1 * step, "epoch": step})
    trackio.finish()
