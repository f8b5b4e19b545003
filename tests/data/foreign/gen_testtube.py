"""A Lightning 0.x run logged through test-tube (see README.md): `python gen_testtube.py DIR`.

test_tube 0.7.5 needs torch and is not installed here, so this makes the two files the way its
`Experiment.log`/`Experiment.save` make them (test_tube/log.py): a dict a `log` call with
`created_at = str(datetime.utcnow())` added, saved with pandas' `to_csv(index=False)`, and the
tags as a `key,value` frame. Lightning's `TestTubeLogger` logged `epoch` with the metrics.
"""

import os
import sys
from datetime import datetime, timedelta

import pandas as pd

folder = os.path.join(sys.argv[1], "default", "version_0")
os.makedirs(folder, exist_ok=True)
start = datetime(2019, 10, 3, 15, 9, 23, 123456)
metrics = []
for i in range(6):
    row = {"loss": round(1.0 / (i + 1), 4), "epoch": i // 2}
    if i % 2:
        row["val_acc"] = 0.5 + i / 20
    row["created_at"] = str(start + timedelta(seconds=30 * i))
    metrics.append(row)
tags = {"lr": 0.02, "layers": 4, "optimizer": "adam", "use_bn": True}
pd.DataFrame({"key": list(tags.keys()), "value": list(tags.values())}).to_csv(
    os.path.join(folder, "meta_tags.csv"), index=False
)
pd.DataFrame(metrics).to_csv(os.path.join(folder, "metrics.csv"), index=False)
