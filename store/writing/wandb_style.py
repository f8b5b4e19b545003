"""W&B-style logging on our runs: `run.log` with nested dicts and images, `run.config`, `run.summary`.

Scripts written like W&B's examples (`wandb.init(config=...)`, `wandb.config.lr`,
`wandb.log({"train": {"loss": l}})`, `wandb.run.summary["best"] = b`) should run against
tracktui with `import store as wandb`-sized edits, writing the same files as the MLflow-style
calls: `config` is params, `log` is metrics (and images), `summary` reads the metrics' summary.
`Run` takes these as a mixin, so they live here and `writer.py` stays about buffering.

`log` keeps to the training loop's budget: numbers go straight to `Run.log_metric` (a list
append); only values that are not plain `int`/`float` pay for a type check.
"""

from __future__ import annotations

import numbers
import sys
import time
import warnings
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, cast

from store.nested_dicts import flatten_metrics
from store.ours import layout, metric_summary, stored_values

if TYPE_CHECKING:
    from store.writing.writer import Run

__all__ = ["Config", "Image", "Summary", "WandbStyle", "as_plain_dict", "flatten_metrics"]

SUMMARY_TAG_PREFIX = "summary."
"""Non-numeric summary values (`run.summary["note"] = "best so far"`) are kept as tags with this prefix."""


class Image:
    """An image to `log`, like `wandb.Image`: a numpy array, a PIL image or a path (see `Run.log_image`).

    Arrays are only logged as images when wrapped: a bare 2-D array could as well be weights.
    `caption` is accepted for W&B scripts and not stored.
    """

    __slots__ = ("caption", "data")

    def __init__(self, data: Any, caption: str | None = None) -> None:
        self.data = data
        self.caption = caption


def _is_pil_image(value: Any) -> bool:
    return type(value).__module__.startswith("PIL.") and hasattr(value, "save")


def as_plain_dict(config: Any, what: str = "config") -> dict[str, Any]:
    """A dict, a Mapping (our Config too) or an object with attributes (argparse.Namespace), as a dict."""
    if config is None:
        return {}
    if isinstance(config, ConfigSection):
        return config.as_dict()
    if isinstance(config, Mapping):
        return dict(config)
    if hasattr(config, "__dict__"):
        return {k: v for k, v in vars(config).items() if not k.startswith("_")}
    raise TypeError(f"{what} takes a dict or an argparse.Namespace, got {type(config).__name__}")


def _outside_store() -> int:
    """The `stacklevel` of the first caller outside this package, so a warning names the user's line."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and str(frame.f_globals.get("__name__", "")).split(".")[0] == "store":
        frame, level = frame.f_back, level + 1
    return level


class WandbStyle:
    """What `Run` adds for W&B-style scripts: `log` with one step counter, `config`, `summary`."""

    _wb_step: int | None = None
    """The next step of `log` calls that give none; from the run's histories at the first call (a resume)."""
    _wb_skipped: set[str] | None = None

    def log(
        self,
        data: Mapping[str, Any],
        step: int | None = None,
        commit: bool | None = None,
        *,
        timestamp: float | None = None,
    ) -> None:
        """Log a dict of metrics at one step, like `wandb.log`.

        Without `step`, every call is the next step of one counter shared by all keys (so a
        validation metric logged once an epoch sits at the training step it was logged at);
        `commit=False` keeps the counter for the next call. Nested dicts become `a/b` keys.
        `store.Image` values and PIL images are logged with `log_image`; other values that are
        not numbers (text, lists, arrays) are skipped with one warning per key. `timestamp`
        (ours, as in `log_metrics`) sets the points' wall-clock time.
        """
        run = cast("Run", self)
        if step is None:
            step = self._wb_step
            if step is None:
                step = max(run._next_step.values(), default=0)
            if commit is not False:
                self._wb_step = step + 1
        else:
            if type(step) is not int:
                step = stored_values.as_step("log", step)
            if commit is not False:
                self._wb_step = step + 1
        self._log_items(data, "", step, timestamp or time.time())

    def _log_items(self, data: Mapping[str, Any], prefix: str, step: int, now: float) -> None:
        log_metric = cast("Run", self).log_metric
        for key, value in data.items():
            kind = type(value)
            if kind is float or kind is int:
                log_metric(prefix + key if prefix else key, value, step, now)
            elif kind is dict or isinstance(value, Mapping):
                self._log_items(value, f"{prefix}{key}/", step, now)
            else:
                self._log_other(prefix + key if prefix else key, value, step, now)

    def _log_other(self, key: str, value: Any, step: int, now: float) -> None:
        run = cast("Run", self)
        if isinstance(value, Image):
            run.log_image(key, value.data, step=step)
            return
        if not isinstance(value, (str, bytes)):
            try:
                number = stored_values.as_float(key, value)
            except TypeError:
                pass
            else:
                run.log_metric(key, number, step, now)
                return
        if _is_pil_image(value):
            run.log_image(key, value, step=step)
            return
        skipped = self._wb_skipped if self._wb_skipped is not None else set()
        self._wb_skipped = skipped
        if key not in skipped:
            skipped.add(key)
            warnings.warn(
                f"tracktui: log() skips {key!r}: a {type(value).__name__} is not a number; log numbers as "
                f"metrics, store.Image(...) for images, and text with set_tag or log_text",
                stacklevel=_outside_store(),
            )

    @property
    def config(self) -> Config:
        """The run's params with attribute access, like `wandb.config`: `config.lr`, `config.update({...})`."""
        return Config(cast("Run", self))

    @property
    def summary(self) -> Summary:
        """Each metric's last value (`summary["loss"]`), with min/max/count through `summary.stats(key)`."""
        return Summary(cast("Run", self))


class ConfigSection(Mapping[str, Any]):
    """A view of the run's params at `path`: read by attribute or item, written through `log_params`.

    Params are a run's inputs, so setting a key that has another value raises (as `log_params`
    does); W&B's `allow_val_change=True` does not lift that.
    """

    __slots__ = ("_path", "_run")

    def __init__(self, run: Run, path: tuple[str, ...] = ()) -> None:
        object.__setattr__(self, "_run", run)
        object.__setattr__(self, "_path", path)

    def _node(self) -> dict[str, Any]:
        node: Any = self._run._params
        for part in self._path:
            node = node.get(part) if isinstance(node, dict) else None
        return node if isinstance(node, dict) else {}

    def _wrap(self, key: str, value: Any) -> Any:
        return ConfigSection(self._run, (*self._path, key)) if isinstance(value, dict) else value

    def __getitem__(self, key: str) -> Any:
        node = self._node()
        if key in node:
            return self._wrap(key, node[key])
        dotted = ".".join((*self._path, key))
        if dotted in self._run._flat_params:
            return self._run._flat_params[dotted]
        raise KeyError(key)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            where = ".".join(("config", *self._path))
            raise AttributeError(
                f"{where} has no {name!r} (it has: {', '.join(map(str, self._node())) or 'nothing'})"
            ) from None

    def _nest(self, data: dict[str, Any]) -> dict[str, Any]:
        for part in reversed(self._path):
            data = {part: data}
        return data

    def __setitem__(self, key: str, value: Any) -> None:
        self._run.log_params(self._nest({key: as_plain_dict(value) if isinstance(value, ConfigSection) else value}))

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def update(self, data: Any = None, allow_val_change: bool = False, **kwargs: Any) -> None:
        """Add params from a dict or an argparse.Namespace (and keyword arguments), like `wandb.config.update`."""
        self._run.log_params(self._nest({**as_plain_dict(data), **kwargs}))

    def setdefaults(self, data: Mapping[str, Any]) -> None:
        """Add only the keys not set yet (W&B's `config.setdefaults`)."""
        node = self._node()
        missing = {k: v for k, v in data.items() if k not in node}
        if missing:
            self.update(missing)

    def as_dict(self) -> dict[str, Any]:
        import copy

        return copy.deepcopy(self._node())

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._node()))

    def __len__(self) -> int:
        return len(self._node())

    def __repr__(self) -> str:
        return f"<config {'.'.join(self._path) or 'of run ' + self._run.id} {self._node()!r}>"


Config = ConfigSection


class Summary(Mapping[str, Any]):
    """A run's metrics as W&B's `run.summary` shows them: the last value of each, read when asked.

    Reading merges the points still in the buffer (at most a second's) with the flushed
    summary, so it costs nothing while the loop logs. `summary[key] = number` logs a point at
    the key's next step (a "best so far" metric, or a final one); other values are kept as
    `summary.<key>` tags.
    """

    __slots__ = ("_run",)

    def __init__(self, run: Run) -> None:
        self._run = run

    def stats(self, key: str) -> dict[str, Any] | None:
        """`last`, `last_step`, `last_time`, `min`, `max`, `count` of metric `key` (None if never logged)."""
        import numpy as np

        run = self._run
        with run._lock:
            pending = [(s, t, v) for k, s, t, v in run._buf if k == key]
            flushed = run._summary.get(key)
        if not pending:
            return dict(flushed) if flushed else None
        arr = np.array(pending, dtype=np.dtype(list(layout.HISTORY_FIELDS)))
        return metric_summary.merge_summary(flushed, arr)

    def _tags(self) -> dict[str, str]:
        return {k[len(SUMMARY_TAG_PREFIX) :]: v for k, v in self._run._tags.items() if k.startswith(SUMMARY_TAG_PREFIX)}

    def __getitem__(self, key: str) -> Any:
        stats = self.stats(key)
        if stats is not None:
            return stats["last"]
        return self._tags()[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if isinstance(value, numbers.Real) or (not isinstance(value, (str, bytes)) and hasattr(value, "item")):
            self._run.log_metric(key, value)
        else:
            self._run.set_tag(SUMMARY_TAG_PREFIX + key, value)

    def update(self, data: Mapping[str, Any]) -> None:
        for key, value in flatten_metrics(data).items():
            self[key] = value

    def __iter__(self) -> Iterator[str]:
        with self._run._lock:
            keys = dict.fromkeys([*self._run._summary, *(point[0] for point in self._run._buf)])
        return iter([*keys, *(k for k in self._tags() if k not in keys)])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __repr__(self) -> str:
        return f"<summary of run {self._run.id} {dict(self)!r}>"
