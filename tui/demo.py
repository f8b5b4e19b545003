"""`tracktui demo`: a realistic store to explore, written through the public logging API.

The seed question is the poly-regression sweep: which degree fits y = x² + noise best?
(Degree 2.) Beside it: a classifier sweep with per-epoch curves, a failed run with its
traceback, a run whose writer crashed, tags, and artifacts of every kind the viewer knows.
Timestamps are laid out from a fixed `now`, so the same call writes the same store.
"""

from __future__ import annotations

import io
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

import store
from store.ours import atomic, layout

HOUR = 3600.0


def make_demo(root: Path, now: float) -> Path:
    """Write the demo store under `root` (which must not hold one yet) and return it."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    t = now - 30 * HOUR
    x = np.linspace(-3, 3, 60)
    y = x**2 + rng.normal(0, 1.0, x.size)
    for degree in (1, 2, 3, 10):
        coef = np.polyfit(x, y, degree)
        test_x = np.linspace(-3.2, 3.2, 40)
        test_y = test_x**2 + rng.normal(0, 1.0, test_x.size)
        mse = float(np.mean((np.polyval(coef, test_x) - test_y) ** 2))
        with store.start_run(experiment="poly-regression", name=f"degree-{degree}", root=root) as run:
            run.log_params(
                {
                    "degree": degree,
                    "model": {"type": "polyfit", "fit_intercept": True},
                    "data": {"n_train": int(x.size), "noise": 1.0},
                }
            )
            run.set_tags({"stage": "baseline" if degree == 1 else "sweep", "owner": "ml"})
            run.log_metric("mse", mse, step=0, timestamp=t + 5)
            run.log_metric("train_mse", float(np.mean((np.polyval(coef, x) - y) ** 2)), step=0, timestamp=t + 5)
            run.log_dict("config.yaml", {"degree": degree, "x_range": [-3, 3], "noise": 1.0})
            run.log_text(
                "predictions.csv",
                "x,y_true,y_pred\n"
                + "\n".join(f"{a:.3f},{b:.3f},{c:.3f}" for a, b, c in zip(test_x, test_y, np.polyval(coef, test_x)))
                + "\n",
            )
            run.log_dict("coefficients.json", {"degree": degree, "coef": [round(float(c), 6) for c in coef]})
            run.log_text("fit.png", "")  # replaced below by a real PNG
            _write_png(run.artifact_path("fit.png"), _fit_image(x, y, coef))
        _settle(run.path, t, t + 12)
        t += HOUR

    for i, (n_est, depth, lr) in enumerate([(100, 5, 0.1), (200, 8, 0.05), (50, 3, 0.3), (400, 12, 0.01)]):
        name = ["rf-baseline", "rf-deep", "rf-shallow", "rf-wide"][i]
        start = t
        with store.start_run(experiment="iris-classification", name=name, root=root) as run:
            run.log_params(
                {
                    "n_estimators": n_est,
                    "max_depth": depth,
                    "lr": lr,
                    "optimizer": {"name": "adam", "betas": [0.9, 0.999]},
                    "epochs": 30,
                }
            )
            run.set_tags({"stage": "baseline" if i == 0 else "tuning", "data": "v2"})
            quality = [0.0, 0.08, -0.05, 0.04][i]
            for epoch in range(30):
                step_t = start + 60 * epoch
                train = 1.2 * math.exp(-epoch / (6 - 2 * quality * 10 / 4)) + 0.05 + rng.normal(0, 0.01)
                val = train + 0.05 + 0.004 * epoch * (i == 3) + rng.normal(0, 0.015)
                acc = min(0.995, 0.55 + 0.4 * (1 - math.exp(-epoch / 5)) + quality + rng.normal(0, 0.005))
                run.log({"train/loss": train, "val/loss": val, "val/acc": acc}, step=epoch, timestamp=step_t)
                if epoch % (10 if i == 2 else 5) == 0:  # rf-shallow evaluates less often: its images lag
                    run.log_image("eval/confusion_matrix", _confusion_image(epoch, quality, i), step=epoch)
                    run.log_image("eval/decision_regions", _regions_image(epoch, quality), step=epoch)
            run.log_metric("accuracy", acc, step=0, timestamp=step_t)
            run.log_metric("f1_macro", acc - 0.01, step=0, timestamp=step_t)
            run.log_dict(
                "eval/confusion_matrix.json",
                {"labels": ["setosa", "versicolor", "virginica"], "matrix": [[10, 0, 0], [0, 9, 1], [0, 1 + i % 2, 9]]},
            )
            run.log_text("eval/report.txt", f"classifier {name}\naccuracy {acc:.3f}\n")
            run.log_dict("config.yaml", {"n_estimators": n_est, "max_depth": depth, "lr": lr})
            run.log_text("train.log", "".join(f"epoch {e:3d} loss {1.2 * math.exp(-e / 6):.4f}\n" for e in range(30)))
            _write_model(run.artifact_path("model.pkl"), seed=i)
        _settle(run.path, start, start + 30 * 60)
        t += HOUR

    try:
        with store.start_run(experiment="iris-classification", name="rf-broken", root=root) as run:
            run.log_params({"n_estimators": 100, "max_depth": -1, "lr": 0.1, "epochs": 30})
            run.set_tag("stage", "tuning")
            for epoch in range(4):
                run.log({"train/loss": 1.0 - 0.1 * epoch}, step=epoch, timestamp=t + 60 * epoch)
            raise ValueError("max_depth must be >= 1 or None, got -1")
    except ValueError:
        pass
    _settle(run.path, t, t + 240)
    t += HOUR

    run = store.start_run(experiment="iris-classification", name="rf-oom", root=root)
    run.log_params({"n_estimators": 5000, "max_depth": 40, "lr": 0.1, "epochs": 30})
    run.set_tag("stage", "tuning")
    for epoch in range(12):
        run.log(
            {"train/loss": 0.9 * math.exp(-epoch / 8) + 0.1, "val/loss": 0.95 * math.exp(-epoch / 8) + 0.12},
            step=epoch,
            timestamp=t + 60 * epoch,
        )
    run.finish()
    # What a SIGKILLed writer on another machine leaves behind: 'running' and a heartbeat gone stale.
    _settle(run.path, t, None, status="running", command=("python", "train.py", "--big"))
    return root


DEMO_FACTS = {
    "host": "gpu-box-1",
    "user": "ml",
    "python": "3.11.7",
    "cwd": "/home/ml/project",
    "pid": 41230,
    "pid_start": None,
    "git": {"commit": "3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39", "branch": "main", "dirty": False},
}


def _settle(
    run_path: Path,
    created: float,
    ended: float | None,
    status: str | None = None,
    command: tuple[str, ...] = ("python", "train.py"),
) -> Path:
    """Put a finished run on the demo's own clock and machine, under an id made from that clock.

    The API stamps real time, this host and a random id; the demo wants the same store on
    every machine, so screenshots and snapshot tests come out the same.
    """
    meta = atomic.read_json(run_path / layout.META)
    meta.update(DEMO_FACTS, created=created, ended=ended, command=list(command))
    if status is not None:
        meta["status"] = status
    run_id = layout.new_run_id(created).rsplit("-", 1)[0] + "-" + f"demo{int(created) % 10000:04d}"
    meta["run_id"] = run_id
    atomic.atomic_write_json(run_path / layout.META, meta, fsync=False)
    summary = atomic.read_json(run_path / layout.SUMMARY)
    summary["heartbeat"] = ended if ended is not None else created + 700
    atomic.atomic_write_json(run_path / layout.SUMMARY, summary, fsync=False)
    stamp = ended if ended is not None else created + 700
    for path in (run_path / layout.ARTIFACTS_DIR).rglob("*"):
        os.utime(path, (stamp, stamp), follow_symlinks=False)
    target = run_path.parent / run_id
    run_path.rename(target)
    return target


def _confusion_image(epoch: int, quality: float, seed: int, cell: int = 6) -> np.ndarray:
    """A 3-class confusion matrix as a heat map: the diagonal fills in as training goes on."""
    rng = np.random.default_rng(1000 + 31 * seed + epoch)  # its own stream: the metrics stay as they were
    right = min(0.97, 0.4 + 0.55 * (1 - math.exp(-epoch / 6)) + quality)
    matrix = np.full((3, 3), (1 - right) / 2) + rng.uniform(0, 0.05, (3, 3))
    np.fill_diagonal(matrix, right)
    matrix /= matrix.sum(axis=1, keepdims=True)
    heat = np.stack([matrix, 0.3 * matrix, 1 - matrix], axis=-1)  # warm where predictions land
    return np.kron(heat, np.ones((cell, cell, 1))).clip(0, 1)


def _regions_image(epoch: int, quality: float, size: int = 24) -> np.ndarray:
    """Decision regions over two features: the boundaries sharpen epoch by epoch."""
    ys, xs = np.mgrid[0:size, 0:size] / (size - 1)
    sharp = 2 + epoch * (1 + quality * 10)
    a = 1 / (1 + np.exp(-sharp * (xs - 0.35)))
    b = 1 / (1 + np.exp(-sharp * (ys + 0.5 * xs - 0.8)))
    image = np.stack([(1 - a), a * (1 - b), a * b], axis=-1)
    return (image * 220 + 20).astype(np.uint8)


def _fit_image(x: np.ndarray, y: np.ndarray, coef: np.ndarray, size: int = 48) -> np.ndarray:
    img = np.full((size, size, 3), 250, dtype=np.uint8)
    lo, hi = -2.0, 12.0

    def to_px(xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cols = ((xs + 3) / 6 * (size - 1)).astype(int).clip(0, size - 1)
        rows = ((hi - ys) / (hi - lo) * (size - 1)).astype(int).clip(0, size - 1)
        return rows, cols

    r, c = to_px(x, y)
    img[r, c] = (40, 90, 200)
    xs = np.linspace(-3, 3, 400)
    r, c = to_px(xs, np.polyval(coef, xs))
    img[r, c] = (220, 60, 40)
    return img


def _write_png(path: Path, rgb: np.ndarray) -> None:
    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    path.write_bytes(png)


def _write_model(path: Path, seed: int) -> None:
    """A binary 'model' file: a pickle header and random weights. Never meant to be loaded."""
    buf = io.BytesIO()
    buf.write(b"\x80\x05\x95")
    buf.write(np.random.default_rng(seed).random(512).astype(np.float32).tobytes())
    path.write_bytes(buf.getvalue())


def demo_dir(given: str | None) -> Path:
    if given:
        return Path(given).expanduser()
    from store.ours.layout import cache_root

    return cache_root() / "demo-store"
