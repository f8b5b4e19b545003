"""Messages that workers post to the UI thread, and the ones screens send the app.

Workers hand their results back as these typed messages; no screen fishes a result out of
a worker by its group name. Frequent ones replace each other in the queue (`can_replace`):
only the newest matters. Failures are not messages of their own: a worker that raises ends
in `WorkerState.ERROR`, and `ForwardsWorkerFailures` passes that on to the app, the one place
that tells the user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.message_pump import MessagePump
from textual.worker import Worker, WorkerState, get_current_worker

if TYPE_CHECKING:  # widgets may use the mixin below, so this module imports none of them
    import pandas as pd
    from textual.widget import Widget

    from store import RunDetail, RunStore
    from store.remote.artifacts import RemoteFile

    from .artifacts.line_search import LineMatches
    from .artifacts.preview_plan import Plan
    from .shaping.columns import ColumnChoice
    from .shaping.curves import ChartsResult
    from .shaping.first_listing import FirstListing
    from .shaping.note import NotePlan
    from .shaping.runs_view import RunsView
    from .shaping.scatter import ScatterData
    from .shaping.view_settings import ViewSettings
    from .widgets.text_lines import MemoryLines


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
    attention: dict[str, str] = field(default_factory=dict)
    """Runs that need a look -> why (`shaping.attention.AttentionWatch`)."""
    reading: tuple[int, int] | None = None
    """(runs read, runs in all) of a first listing still being read: `frame` is the runs read so far."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StoreLoaded)


@dataclass
class FirstListed(Message):
    """A small store's first rows, laid out without pandas (`shaping.first_listing`): painted at once,
    then the frame is made (a `StoreLoaded` follows) and replaces it in place."""

    store: RunStore
    listing: FirstListing
    attention: dict[str, str]
    """Runs that need a look -> why, as the frame's `StoreLoaded` will say (`AttentionWatch.check_rows`)."""
    reading: tuple[int, int] | None = None
    """(runs read, runs in all) when these are the newest runs of a long first listing, which goes on
    reading: its partial frames follow (the poll is still running), so no refresh is asked for."""


class FrameShown(Message):
    """The runs table shows a frame's view, no longer first rows laid out without pandas: keys held while
    those were on screen may act now (posted by the screen after the swap, so they act on the new view)."""


@dataclass
class StoreProgress(Message):
    """How far a slow first open got (searching a folder for stores): shown where the table will be; or,
    with `reading`, how many runs a first listing painted in part has read (the bar says it)."""

    text: str
    reading: tuple[int, int] | None = None

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StoreProgress)


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
class ChartsBuilt(Message):
    """Charts built in a worker. `first` is the opening read (run names and metric keys too);
    later rebuilds replace each other, as only the newest matters."""

    result: ChartsResult
    first: bool = False

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ChartsBuilt) and not message.first and not self.first


@dataclass
class ScatterColumnsRead(Message):
    """The runs frame the scatter picks its param and metric from."""

    frame: pd.DataFrame


@dataclass
class ScatterBuilt(Message):
    """A param-against-metric scatter, and the frame it was built from."""

    frame: pd.DataFrame
    data: ScatterData

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ScatterBuilt)


@dataclass
class DiffRunsRead(Message):
    """The runs to diff, read in full."""

    details: list[RunDetail]


@dataclass
class DiffExported(Message):
    """The diff written as Markdown and CSV; the Markdown is also there to copy."""

    markdown_path: Path
    csv_path: Path
    markdown: str
    rows: int


@dataclass
class ArtifactCopied(Message):
    """An artifact copied (read-only) for `$EDITOR` to open."""

    display_path: str
    copy: Path


@dataclass
class ExternalCommandDone(Message):
    """A `$PAGER`/`$EDITOR` run without a terminal finished: its exit code or why it could not start."""

    command: list[str]
    outcome: int | str
    note: str = ""


@dataclass
class PreviewPlanned(Message):
    """An artifact looked at (or compared) in a worker, ready to draw; `error` instead when it
    could not be: that shows in the preview pane, as a result, not as a failure."""

    plan: Plan | None
    generation: int
    error: str | None = None


@dataclass
class ArtifactHashed(Message):
    """An artifact's SHA-256 (or why it is unavailable)."""

    digest: str
    generation: int


@dataclass
class RowsCounted(Message):
    """Progress of counting a table artifact's rows; newer counts replace older ones."""

    count: int
    finished: bool
    generation: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RowsCounted) and not message.finished


@dataclass
class RemoteListed(Message):
    """The artifact files a tracking server lists for a run that the local cache has no whole copy of."""

    files: list[RemoteFile]


@dataclass
class DownloadProgress(Message):
    """Bytes of an artifact fetched so far; a newer count replaces an older one still queued."""

    done: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, DownloadProgress)


@dataclass
class DownloadDone(Message):
    """An artifact is whole in the cache at `path` (None: the download was cancelled)."""

    path: Path | None


@dataclass
class TextRead(Message):
    """Lines read for a text viewer, to show from the top."""

    lines: MemoryLines


@dataclass
class KeptEndRead(Message):
    """The kept end of a capped console (its tail segments' final lines), shown after its paged head."""

    lines: MemoryLines


@dataclass
class NotePlanned(Message):
    """How a run's note is drawn (`shaping.note.plan_note`), for the note it was made from."""

    note: str
    plan: NotePlan


@dataclass
class LinesFetched(Message):
    """Lines of a big text read around the viewport; `generation` says which source they are of."""

    generation: int
    start: int
    lines: list[Any]
    """`DisplayLine`s: a line ready to draw and how many bytes of it were cut off."""


@dataclass
class TextIndexed(Message):
    """Progress of indexing a big text file; newer ones replace older ones in the queue."""

    viewer: Widget
    """The text viewer that posted it (results are for that viewer only)."""
    lines: int
    fraction: float
    complete: bool

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, TextIndexed) and message.viewer is self.viewer


@dataclass
class SearchProgress(Message):
    """How far a search of a big text has got; newer ones replace older ones in the queue."""

    viewer: Widget
    """The text viewer that posted it (results are for that viewer only)."""
    term: str
    fraction: float
    found: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SearchProgress) and message.viewer is self.viewer


@dataclass
class SearchDone(Message):
    """The lines of a text holding a search term (all of them, or up to a cancel)."""

    viewer: Widget
    """The text viewer that posted it (results are for that viewer only)."""
    matches: LineMatches


@dataclass
class TextFailed(Message):
    """Reading a text file failed after it was opened (it vanished, became unreadable): a
    result the viewer's pane shows, not a worker failure."""

    viewer: Widget
    """The text viewer that posted it (results are for that viewer only)."""
    reason: str


def post_result(node: MessagePump, message: Message) -> None:
    """From a worker thread: hand `message` to `node`, unless this worker was cancelled (a newer
    one took its place, so its result is stale)."""
    if not get_current_worker().is_cancelled:
        node.post_message(message)


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
