"""Messages that workers post to the UI thread, and the ones screens send the app.

Workers hand their results back as these typed messages; no screen fishes a result out of
a worker by its group name. Frequent ones replace each other in the queue (`can_replace`):
only the newest matters. Failures are not messages of their own: a worker that raises ends
in `WorkerState.ERROR`, and `ForwardsWorkerFailures` passes that on to the app, the one place
that tells the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
from textual.message import Message
from textual.worker import Worker, WorkerState

from store import RunDetail, RunStore

from .shaping.runs_view import ColumnChoice, RunsView, ViewSettings

if TYPE_CHECKING:  # widgets may use the mixin below, so this module imports none of them
    from .widgets.lazy_text import MemoryLines


@dataclass
class StoreLoaded(Message):
    """A fresh listing. Frequent ones replace each other: only the newest matters."""

    store: RunStore
    frame: pd.DataFrame
    experiments: dict[str, int]
    changed: set[str]
    view: RunsView | None = None
    """The table's view over `frame`, computed off the UI thread for `settings`."""
    settings: ViewSettings | None = None

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StoreLoaded)


@dataclass
class StoreMissing(Message):
    """The store folder does not exist (yet): show how to log a first run."""

    path: str
    error: str | None = None


@dataclass
class ViewSettingsChanged(Message):
    """The runs screen's settings changed; the app's poll worker builds the next view from them."""

    settings: ViewSettings

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ViewSettingsChanged)


@dataclass
class ReloadRequested(Message):
    """A screen asks the app to re-read the store now (say, metric columns switched to min)."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ReloadRequested)


@dataclass
class ColumnViewsLoaded(Message):
    """The user's saved column picks for this store, per experiment selection."""

    views: dict[str, ColumnChoice]


@dataclass
class ViewsLoaded(Message):
    """The user's views of this store: the one they left (None if never saved) and the named ones."""

    last: dict[str, Any] | None
    named: dict[str, Any]


@dataclass
class SparksRead(Message):
    """Sparklines read for the runs table: (run id, metric column) -> (the cell's value, sparkline).

    `asked` is everything the read was for, found or not, so the screen can ask again later."""

    sparks: dict[tuple[str, str], tuple[str, str]]
    asked: frozenset[tuple[str, str]]


@dataclass
class ArtifactsRead(Message):
    """A run (and the one to compare it with) read, ready to open the artifacts screen."""

    detail: RunDetail
    other: RunDetail | None = None


@dataclass
class RunRead(Message):
    """A run read in full for the detail screen. A newer read of a live run replaces an older one."""

    detail: RunDetail
    sparks: dict[str, str]
    flat: dict[str, Any]
    param_lines: MemoryLines | None
    """None when the params did not change since the last read (nothing to rebuild)."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RunRead)


@dataclass
class WorkerFailed(Message):
    """A worker raised; the app turns this into the one kind of failure notification."""

    description: str
    error: BaseException | None


class ForwardsWorkerFailures:
    """Mix into a screen or widget: its failed workers are reported by the app.

    `Worker.StateChanged` goes only to the node that started the worker and does not bubble;
    this passes failures on as a `WorkerFailed` that does, so screens handle results only.
    Textual calls this handler besides any `on_worker_state_changed` of the class itself.
    """

    def _on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            worker = event.worker
            self.post_message(WorkerFailed(worker.description or worker.name, worker.error))  # type: ignore[attr-defined]
