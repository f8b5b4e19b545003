"""Hugging Face `Trainer` output folders (`trainer_state.json`), read-only.

What `transformers.Trainer` writes (4.x, `TrainerState.save_to_json` in `trainer_callback.py`):

    <output_dir>/checkpoint-<step>/trainer_state.json   at every save (with the model and optimizer)
    <output_dir>/trainer_state.json                     when the script calls `trainer.save_state()`
    <output_dir>/config.json                            the model's config, with `save_model()`

`trainer_state.json` is one JSON object: `log_history` (a dict a `log` call: `step`, `epoch`,
`loss`, `learning_rate`, `grad_norm`, `eval_*`; the last one of a completed `train()` holds
`train_runtime` and `train_loss`), `global_step`, `max_steps`, `num_train_epochs`,
`train_batch_size`, `logging_steps`, `eval_steps`, `save_steps`, `best_metric`,
`best_global_step`, `best_model_checkpoint`, `trial_name`, `trial_params`. It is rewritten in
place (not atomically), so the newest one may be cut off while a save is going on: the next
newest is read instead. `training_args.bin` is a pickle and is never read.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from store.formats.files import FileRunsStore, ParsedRun, read_mapping
from store.formats.series import Points, SeriesSet, number, whole

KIND = "hf-trainer"
STATE = "trainer_state.json"
_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
SETTINGS = ("max_steps", "num_train_epochs", "train_batch_size", "logging_steps", "eval_steps", "save_steps")
MODEL_KEYS = ("model_type", "architectures", "hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size")
"""What of a model's config.json becomes params (the rest is thousands of token ids)."""


def _checkpoints(path: Path) -> list[Path]:
    """`checkpoint-<step>` folders holding a state, newest step first."""
    found: list[tuple[int, Path]] = []
    try:
        children = list(path.iterdir())
    except OSError:
        return []
    for child in children:
        match = _CHECKPOINT.match(child.name)
        if match and (child / STATE).is_file():
            found.append((int(match.group(1)), child))
    return [p for _, p in sorted(found, reverse=True)]


def is_output_dir(path: Path) -> bool:
    return (path / STATE).is_file() or bool(_checkpoints(path))


def _states(path: Path) -> list[Path]:
    return ([path / STATE] if (path / STATE).is_file() else []) + [p / STATE for p in _checkpoints(path)]


class TrainerStateStore(FileRunsStore):
    kind = KIND

    def is_unit(self, path: Path) -> bool:
        return is_output_dir(path)

    def unit_files(self, path: Path) -> list[Path]:
        return [*_states(path), path / "config.json"]

    def parse(self, path: Path, run_id: str, points: Points = True) -> ParsedRun:
        parsed = ParsedRun(name=path.name, experiment=path.parent.name, artifacts_dir=path)
        state: dict[str, Any] = {}
        for candidate in _states(path):
            problems: list[str] = []
            state = read_mapping(candidate, problems)
            if state:
                parsed.facts["state_file"] = str(candidate.relative_to(path))
                break
            parsed.problems.extend(f"{candidate.parent.name}/{p}" for p in problems)
        if not state:
            parsed.problems.append(f"no readable {STATE}")
            return parsed
        params: dict[str, Any] = {k: state[k] for k in SETTINGS if k in state}
        trial = state.get("trial_params")
        if isinstance(trial, dict):
            params.update(trial)
        config = read_mapping(path / "config.json", parsed.problems) if (path / "config.json").is_file() else {}
        model = {k: config[k] for k in MODEL_KEYS if k in config}
        if model:
            params["model"] = model
        parsed.params = params
        builder = SeriesSet(keep_points=points)
        history = state.get("log_history")
        completed = False
        for entry in history if isinstance(history, list) else []:
            if not isinstance(entry, dict):
                continue
            step = whole(entry.get("step"))
            if step is None:
                continue
            completed = completed or "train_runtime" in entry
            builder.add_row(entry, step, math.nan, skip=("step",))
        parsed.series = builder.by_key
        best = number(state.get("best_metric"))
        if best is not None:
            parsed.summary["best_metric"] = best
        for key in ("best_model_checkpoint", "best_global_step", "global_step", "trial_name", "total_flos"):
            if state.get(key) is not None:
                parsed.facts[key] = state[key]
        if state.get("best_model_checkpoint"):
            parsed.tags["best_checkpoint"] = Path(str(state["best_model_checkpoint"])).name
        global_step, max_steps = whole(state.get("global_step")), whole(state.get("max_steps"))
        if completed or (global_step is not None and max_steps and global_step >= max_steps):
            parsed.finished = True
        elif global_step is not None and max_steps:
            parsed.finished = False  # stopped short of max_steps: once its files stop changing, it crashed
        return parsed
