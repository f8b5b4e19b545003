"""W&B offline runs (see README.md): `python gen_wandb_runs.py DIR [NAME...]` writes DIR/<name>/wandb/...

- finished: 5 `log` calls, a list in the config, a summary value, `finish()`
- short: no `log` call, then `finish()`
- instant: no `log` call, no system stats, `finish()` at once: its exit record's runtime is 0
- crashed: 5 `log` calls, then the script is killed with SIGKILL (no exit record)
- console: console capture on (`WANDB_CONSOLE=wrap`): prints to stdout and stderr, 1.2 s apart, one `log`
- media: `wandb.Image`s with captions at steps 0, 5, 10, 15, 20 (given as `step=`: W&B names each file
  by the step before it, so only the history record tells the step), a `wandb.Histogram` at step 10,
  summary-only keys (`best_val_acc`, `test/acc`), system stats sampled every 0.1 s, `finish()`
- odd: history rows and summary values a hand-written reader of the record log could get wrong: NaN,
  infinities, text, a bool, null, a list, a nested dict, an int past a float's precision, a non-ASCII
  key, a key of 150 characters, a value of 300 characters, a key with a dot; then `finish()`
- hostile: history rows shaped as images whose `path` is `../../outside.png`, `/etc/passwd`,
  `media/images/link.png` and `media/images/ok.png` (steps 0-3; the tests make the files)
"""

import json
import os
import signal
import subprocess
import sys
import time

SCRIPT = r"""
import json, sys, time, wandb
spec = json.loads(sys.argv[1])
quiet = spec["name"] == "instant"
run = wandb.init(project="proj", name=spec["name"], dir=spec["dir"],
                 config={"layers": [64, 32], "lr": 0.1, "opt": {"betas": [0.9, 0.99]}},
                 settings=wandb.Settings(x_disable_stats=quiet, x_disable_meta=quiet))
for step in range(spec["steps"]):
    run.log({"loss": 1.0 / (step + 1), "acc": step / 10})
    time.sleep(0.2)
run.summary["best"] = 0.9 if spec["steps"] else None
if spec.get("console"):
    print("out one", flush=True)
    print("err one", file=sys.stderr, flush=True)
    time.sleep(1.2)
    print("out two", flush=True)
if spec.get("hang"):
    print("logged", flush=True)
    time.sleep(600)
run.finish()
"""

MEDIA_SCRIPT = r"""
import sys, time, numpy as np, wandb
run = wandb.init(project="proj", name="media", dir=sys.argv[1], config={"lr": 0.1},
                 settings=wandb.Settings(x_stats_sampling_interval=0.1))
for i, step in enumerate([0, 5, 10, 15, 20]):
    pixels = np.zeros((4, 6, 3), dtype=np.uint8)
    pixels[:, : i + 1] = 255
    row = {"loss": 1.0 / (step + 1), "samples": wandb.Image(pixels, caption=f"epoch {i}")}
    if step == 10:
        row["weights"] = wandb.Histogram(np.arange(10))
    run.log(row, step=step)
    time.sleep(0.3)
run.summary["best_val_acc"] = 0.93
run.summary["test/acc"] = 0.875
run.finish()
"""

HOSTILE_SCRIPT = r"""
import sys, wandb
run = wandb.init(project="proj", name="hostile", dir=sys.argv[1],
                 settings=wandb.Settings(x_disable_stats=True, x_disable_meta=True))
for step, path in enumerate(["../../outside.png", "/etc/passwd", "media/images/link.png", "media/images/ok.png"]):
    run.log({"samples": {"_type": "image-file", "path": path, "caption": f"try {step}"}}, step=step)
run.finish()
"""


ODD_SCRIPT = r"""
import sys, wandb
run = wandb.init(project="proj", name="odd", dir=sys.argv[1], config={"lr": 0.1},
                 settings=wandb.Settings(x_disable_stats=True, x_disable_meta=True))
rows = [
    {"loss": float("nan"), "acc": float("inf"), "neg": float("-inf")},
    {"loss": 0.5, "acc": "text", "neg": True, "none": None, "list": [1, 2], "nested": {"a": {"b": 1.5}}},
    {"loss": 0.25, "big": 2**70 + 1, "é/loss": 0.75, "k" * 150: 1.0, "long": "v" * 300, "a.b": 2.0},
]
for row in rows:
    run.log(row)
run.summary["best"] = {"x": 1, "y": float("nan")}
run.summary["text"] = "s" * 200
run.finish()
"""


def main(root: str, names: list[str]) -> None:
    env = dict(os.environ, WANDB_MODE="offline", WANDB_SILENT="true", WANDB_DISABLE_GIT="true", WANDB_CONSOLE="off")
    for name, steps in (("finished", 5), ("short", 0), ("instant", 0)):
        if names and name not in names:
            continue
        spec = {"name": name, "dir": os.path.join(root, name), "steps": steps}
        os.makedirs(spec["dir"], exist_ok=True)
        subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(spec)], env=env, check=True)
    if not names or "console" in names:
        spec = {"name": "console", "dir": os.path.join(root, "console"), "steps": 1, "console": True}
        os.makedirs(spec["dir"], exist_ok=True)
        subprocess.run(
            [sys.executable, "-c", SCRIPT, json.dumps(spec)], env=dict(env, WANDB_CONSOLE="wrap"), check=True
        )
    for name, script in (("media", MEDIA_SCRIPT), ("hostile", HOSTILE_SCRIPT), ("odd", ODD_SCRIPT)):
        if not names or name in names:
            os.makedirs(os.path.join(root, name), exist_ok=True)
            subprocess.run([sys.executable, "-c", script, os.path.join(root, name)], env=env, check=True)
    if names and "crashed" not in names:
        return
    spec = {"name": "crashed", "dir": os.path.join(root, "crashed"), "steps": 5, "hang": True}
    os.makedirs(spec["dir"], exist_ok=True)
    child = subprocess.Popen([sys.executable, "-c", SCRIPT, json.dumps(spec)], env=env, stdout=subprocess.PIPE)
    assert child.stdout is not None and child.stdout.readline() == b"logged\n"
    time.sleep(20)  # wandb-core writes its log behind the script
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    time.sleep(5)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
