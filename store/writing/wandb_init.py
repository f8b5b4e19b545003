"""`store.init`: W&B's `wandb.init` arguments mapped onto `store.start_run`.

Kept apart from `store/__init__.py` so the public module stays a list of short functions;
what `init` accepts and what it makes of it is all here.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from store.errors import RunNotFoundError
from store.ours import stored_values
from store.ours.layout import DEFAULT_STORE_DIR
from store.writing.lifecycle import active_run
from store.writing.wandb_style import as_plain_dict
from store.writing.writer import Run

IGNORED_WANDB_ARGS = frozenset(
    {
        "entity",
        "mode",
        "settings",
        "save_code",
        "anonymous",
        "reinit",
        "allow_val_change",
        "sync_tensorboard",
        "monitor_gym",
        "magic",
        "config_exclude_keys",
        "config_include_keys",
        "force",
        "tensorboard",
        "job_name",
    }
)
"""`wandb.init` arguments about W&B's server, account or UI: accepted so W&B scripts run, and ignored."""

START_RUN_ARGS = frozenset({"root", "params", "flush_interval", "capture_console", "system_metrics_interval"})

RESUME_WORDS = ("allow", "must", "auto", "never")
"""W&B's `resume=` values; any other string is our own run id to continue."""


def init(
    project: str | None = None,
    name: str | None = None,
    config: Any = None,
    tags: Any = None,
    notes: str | None = None,
    **kwargs: Any,
) -> Run:
    """See `store.init`."""
    from store import start_run

    group, job_type = kwargs.pop("group", None), kwargs.pop("job_type", None)
    directory = kwargs.pop("dir", None)
    run_id, resume = kwargs.pop("id", None), kwargs.pop("resume", None)
    unknown = sorted(set(kwargs) - START_RUN_ARGS - IGNORED_WANDB_ARGS)
    if unknown:
        raise TypeError(
            f"store.init() got unexpected arguments {', '.join(unknown)}; it takes W&B's init arguments "
            f"and those of store.start_run"
        )
    start_kwargs = {k: v for k, v in kwargs.items() if k in START_RUN_ARGS}
    if directory is not None and start_kwargs.get("root") is None:
        start_kwargs["root"] = Path(os.fspath(directory)) / DEFAULT_STORE_DIR
    previous = active_run()
    if previous is not None:
        previous.finish()
    params = as_plain_dict(config)
    resume_id = _resume_id(run_id, resume)
    run: Run | None = None
    if resume_id is not None:
        try:
            run = start_run(project, name, resume=resume_id, config=params, **start_kwargs)
        except (FileNotFoundError, RunNotFoundError):
            if resume == "must" or resume not in RESUME_WORDS:
                raise
            warnings.warn(
                f"tracktui: no run {resume_id!r} to resume; starting a new run (tracktui picks its ids)", stacklevel=3
            )
    if run is None:
        run = start_run(project, name, config=params, **start_kwargs)
    labels: dict[str, Any] = {}
    if isinstance(tags, dict):
        labels.update(tags)
    elif tags:
        labels["tags"] = ", ".join(dict.fromkeys(str(tag) for tag in tags))
    labels.update({k: v for k, v in (("group", group), ("job_type", job_type)) if v is not None})
    if labels:
        run.set_tags(labels)
    if notes is not None:
        run._meta["note"] = stored_values.text_value(str(notes), "note")
        run._write_meta()
    return run


def _resume_id(run_id: str | None, resume: Any) -> str | None:
    """The run to continue: `resume=RUN_ID` (ours), or `id=` with a W&B `resume=` word or True."""
    if isinstance(resume, str) and resume not in RESUME_WORDS:
        return resume
    if run_id is None:
        return None
    if resume in (None, False, "never"):
        warnings.warn(
            f"tracktui: init(id={run_id!r}) without resume= starts a new run; tracktui picks run ids", stacklevel=3
        )
        return None
    return str(run_id)
