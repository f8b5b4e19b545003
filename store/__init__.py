"""tracktui's store: the logging API that writes runs and the readers that list them.

    import store
    with store.start_run(experiment="poly-regression", name="degree-2") as run:
        run.log_params({"degree": 2})
        run.log_metric("mse", 4.2)

W&B style: `store.init(project=..., config={...})`, then `store.config.lr`,
`store.log({"train": {"loss": l}})`, `store.summary["loss"]`, `store.finish()`.

This package never imports `tui` (nor textual or rich); the app reads through `open_store`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from store.base import RunDetail, RunStore
from store.errors import NotAStoreError, RunFinishedError, RunLockedError, RunNotFoundError, StoreError
from store.ours.layout import DEFAULT_STORE_DIR, FORMAT_VERSION, STORE_ENV, resolve_root
from store.ours.reader import TrackStore
from store.writing.lifecycle import active_run, install_exit_hooks, push_active
from store.writing.wandb_style import Image
from store.writing.writer import Run

__all__ = [
    "DEFAULT_STORE_DIR",
    "FORMAT_VERSION",
    "STORE_ENV",
    "Image",
    "NotAStoreError",
    "Run",
    "RunDetail",
    "RunFinishedError",
    "RunLockedError",
    "RunNotFoundError",
    "RunStore",
    "StoreError",
    "TrackStore",
    "active_run",
    "delete_model_alias",
    "delete_model_tag",
    "end_run",
    "finish",
    "init",
    "log",
    "log_artifact",
    "log_dict",
    "log_image",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "log_text",
    "open_store",
    "register_model",
    "resolve_root",
    "set_model_alias",
    "set_model_description",
    "set_model_tags",
    "set_tag",
    "set_tags",
    "start_run",
]
# Also, W&B style, read when used (module __getattr__ below): `store.config`, `store.summary`
# (the active run's) and `store.run` (the active run, or None).


def start_run(
    experiment: str | None = None,
    name: str | None = None,
    root: str | os.PathLike[str] | None = None,
    *,
    resume: str | None = None,
    params: dict[str, Any] | None = None,
    config: dict[str, Any] | None = None,
    tags: dict[str, Any] | None = None,
    flush_interval: float | None = None,
    capture_console: bool = False,
    system_metrics_interval: float | bool | None = None,
) -> Run:
    """Start (or with `resume=RUN_ID`, continue) a run and make it the active run.

    `config` is the W&B spelling of `params`. Use it as a context manager, or call
    `run.finish()`; a run left open is finished at interpreter exit. The experiment is
    "default" when not given.

    Inside a command wrapped by `tracktui run` (`$TRACKTUI_RUN_ID` is set), the first call
    without `resume` or another `root` logs into the wrapper's run instead of making a new
    one, whatever experiment it names (`name` then only names a run that has none; the
    experiment moves the run there when the wrapper was given none); a later call does so
    again without an experiment or with that run's. Any other run started there records
    the wrapper's run as its `parent`.

    `capture_console=True` keeps what this process prints to stdout and stderr (file
    descriptors 1 and 2, so also C extensions and subprocesses) in the run, while it still
    shows where it did before; `tracktui logs STORE RUN` prints it.

    While the run is open, CPU, memory, disk and network I/O (and NVIDIA GPUs with the
    `gpu` extra) are sampled every `system_metrics_interval` seconds (default 10, or
    `$TRACKTUI_SYSTEM_METRICS`) into metrics under `system/`; 0 or False turns it off, as
    does `TRACKTUI_SYSTEM_METRICS=0`.
    """
    from store.ours.layout import check_key
    from store.writing.handoff import EXPERIMENT_ENV, AttachBusy
    from store.writing.wrap import adopt_wrapped_run, wrapped_run

    attach_to, parent = wrapped_run(experiment, root, resume)
    named, experiment = experiment, experiment or "default"
    check_key(experiment, "experiment name")
    kwargs: dict[str, Any] = {} if flush_interval is None else {"flush_interval": flush_interval}
    install_exit_hooks()
    run: Run | None = None
    if attach_to:
        try:
            run = Run(
                resolve_root(root), experiment, name, run_id=attach_to, attach=True, experiment_asked=named, **kwargs
            )
            adopt_wrapped_run(run, name)
        except AttachBusy:  # another process of the command has it: a run of our own, linked to it
            parent = attach_to
            experiment = named or os.environ.get(EXPERIMENT_ENV) or experiment
    if run is None:
        run = Run(resolve_root(root), experiment, name, run_id=resume, resume=resume is not None, **kwargs)
        if parent and resume is None:
            run._meta["parent"] = parent
            run._write_meta()
    push_active(run)
    if capture_console:
        from store.writing.console_capture import capture_process_console

        capture_process_console(run)
    from store.writing.system_metrics import start_system_metrics

    start_system_metrics(run, system_metrics_interval)
    if params or config:
        run.log_params({**(config or {}), **(params or {})})
    if tags:
        run.set_tags(tags)
    return run


def _active() -> Run:
    run = active_run()
    if run is None:
        raise RuntimeError("no active run: call store.start_run(...) first")
    return run


def log_param(key: str, value: Any) -> None:
    _active().log_param(key, value)


def log_params(params: dict[str, Any]) -> None:
    _active().log_params(params)


def log_metric(key: str, value: Any, step: int | None = None) -> None:
    _active().log_metric(key, value, step=step)


def log_metrics(metrics: dict[str, Any], step: int | None = None) -> None:
    _active().log_metrics(metrics, step=step)


def set_tag(key: str, value: Any) -> None:
    _active().set_tag(key, value)


def set_tags(tags: dict[str, Any]) -> None:
    _active().set_tags(tags)


def log_input(
    path_or_name: str | os.PathLike[str], *, digest: str | None = None, kind: str = "dataset", context: str = "train"
) -> dict[str, Any]:
    return _active().log_input(path_or_name, digest=digest, kind=kind, context=context)


def log_image(key: str, image: Any, step: int | None = None) -> int:
    return _active().log_image(key, image, step=step)


def log_artifact(local_path: str | os.PathLike[str], name: str | None = None) -> Path:
    return _active().log_artifact(local_path, name)


def log_text(name: str, text: str) -> Path:
    return _active().log_text(name, text)


def log_dict(name: str, data: dict[str, Any]) -> Path:
    return _active().log_dict(name, data)


def log(data: dict[str, Any], step: int | None = None, commit: bool | None = None) -> None:
    """W&B style: a dict of metrics (nested dicts as `a/b`) at one step; see `Run.log`."""
    _active().log(data, step=step, commit=commit)


def finish(status: str = "finished", *, exit_code: int | None = None) -> None:
    """Finish the active run; `exit_code` (W&B's spelling) other than 0 records it `failed`."""
    _active().finish(status, exit_code=exit_code)


def end_run(status: str = "FINISHED") -> None:
    """MLflow's name for `finish`: ends the active run as `FINISHED`, `FAILED` or `KILLED` (or ours,
    in lower case); with no active run it does nothing, as in MLflow."""
    run = active_run()
    if run is not None:
        run.finish(status)


def init(
    project: str | None = None,
    name: str | None = None,
    config: Any = None,
    tags: Any = None,
    notes: str | None = None,
    **kwargs: Any,
) -> Run:
    """Start a run W&B style and make it the active run: `project` is the experiment, `config` its params.

    `tags` (a list) is kept as one tag, `tags`, joined by ", " (a dict is set as tags);
    `notes` is the run's note; `group` and `job_type` become tags. `root=` (or W&B's `dir=`,
    which puts the store in `DIR/tracktui-store`) chooses the store; `resume=RUN_ID`, or
    W&B's `id=RUN_ID` with `resume=`, continues a run. A run still active is finished first,
    as W&B does. Other `start_run` arguments (`capture_console`, ...) pass through; W&B
    arguments with no meaning here (`entity`, `mode`, `settings`, ...) are ignored.
    See store/writing/wandb_init.py.
    """
    from store.writing.wandb_init import init as _init

    return _init(project, name, config, tags, notes, **kwargs)


def register_model(
    name: str,
    run: Run | str | None = None,
    path: str = "model",
    alias: str | None = None,
    tags: dict[str, Any] | None = None,
    description: str | None = None,
    root: str | os.PathLike[str] | None = None,
) -> int:
    """Register a run's artifact `path` as the next version of model `name` in our store; its number.

    `run` is a run object, a run id (or unique prefix or name) in the store at `root`, or by
    default the active run; `alias` (e.g. "prod") is pointed at the new version. Two processes,
    or two machines whose stores are merged later, may register versions of one model at once:
    each keeps its own (see "Models" in store/FORMAT.md). `tracktui models STORE` lists them.
    """
    from store.ours.registry import register_model as _register

    where = run.root if isinstance(run, Run) else resolve_root(root)
    return _register(name, run, path, root=where, alias=alias, tags=tags, description=description)


def set_model_alias(name: str, alias: str, version: int, root: str | os.PathLike[str] | None = None) -> None:
    """Point `alias` at `version` of model `name` (moving it from where it pointed)."""
    from store.ours.registry import set_model_alias as _set

    _set(name, alias, version, root=resolve_root(root))


def delete_model_alias(name: str, alias: str, root: str | os.PathLike[str] | None = None) -> None:
    from store.ours.registry import delete_model_alias as _delete

    _delete(name, alias, root=resolve_root(root))


def set_model_tags(
    name: str, tags: dict[str, Any], version: int | None = None, root: str | os.PathLike[str] | None = None
) -> None:
    """Set tags of model `name`, or of one of its versions."""
    from store.ours.registry import set_model_tags as _set

    _set(name, tags, version, root=resolve_root(root))


def delete_model_tag(
    name: str, key: str, version: int | None = None, root: str | os.PathLike[str] | None = None
) -> None:
    """Remove tag `key` of model `name`, or of one of its versions."""
    from store.ours.registry import delete_model_tag as _delete

    _delete(name, key, version, root=resolve_root(root))


def set_model_description(
    name: str, description: str, version: int | None = None, root: str | os.PathLike[str] | None = None
) -> None:
    """Set the description of model `name`, or of one of its versions."""
    from store.ours.registry import set_model_description as _set

    _set(name, description, version, root=resolve_root(root))


def __getattr__(name: str) -> Any:
    """`store.config`, `store.summary` and `store.run`, as in W&B: the active run's, looked up when used."""
    if name == "run":
        return active_run()
    if name in ("config", "summary"):
        run = active_run()
        if run is None:
            raise AttributeError(f"store.{name} belongs to a run: call store.init(...) or store.start_run(...) first")
        return getattr(run, name)
    raise AttributeError(f"module 'store' has no attribute {name!r}")


def open_store(
    path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    include_deleted: bool = False,
    progress: Callable[[str], object] | None = None,
) -> RunStore:
    """A reader for the store at `path`: tracktui's own format, an MLflow store, or the runs
    other tools wrote (DVCLive, Lightning CSV, trainer_state.json, trackio; see store/formats/).

    A list of paths (and URLs) gives one table of them all, with a `source` column; a folder
    that holds several stores is searched for them (bounded; `progress` hears how far it got).
    `include_deleted` also lists deleted runs: MLflow's (kept until its garbage collection)
    and those in a tracktui store's trash (`store.curate.delete`), with status `deleted`.
    Raises `NotAStoreError` (with what was expected) for anything else.
    """
    from store.opening.detect import open_any

    return open_any(resolve_root(path) if path is None else path, include_deleted=include_deleted, progress=progress)
