"""One DVCLive run: params, two plotted metrics, a summary-only metric, an image (see README.md)."""

import math
import sys

import numpy as np
from dvclive import Live
from PIL import Image

with Live(sys.argv[1], save_dvc_exp=False, report=None) as live:
    live.log_params({"lr": 0.01, "model": {"layers": 3, "act": "relu"}, "epochs": 4})
    for epoch in range(4):
        live.log_metric("train/loss", math.exp(-epoch))
        live.log_metric("val/acc", 0.6 + 0.1 * epoch)
        live.log_image("pred.png", Image.fromarray((np.ones((8, 8, 3)) * epoch * 40).astype("uint8")))
        live.next_step()
    live.log_metric("test_acc", 0.91, plot=False)
