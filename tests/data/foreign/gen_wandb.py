"""One offline W&B run (see README.md): `WANDB_MODE=offline python gen_wandb.py .` writes `./wandb/`."""

import sys

import wandb

run = wandb.init(project="proj", name="wb-run", config={"lr": 0.1, "layers": 2}, dir=sys.argv[1])
for step in range(5):
    run.log({"loss": 1.0 / (step + 1), "acc": step / 10})
run.finish()
