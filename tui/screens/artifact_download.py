"""Fetching one artifact from a tracking server into the cache, with its progress, cancellable.

Pushed by the artifacts screen when a file listed on the server is opened (after asking, for a
big one); dismissed with the local path once the file is whole there, or with None when
cancelled (escape) or failed (the app reports why). Nothing partial is ever left where the
artifact screens look: see `store/remote/artifacts.fetch_file`.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import ProgressBar, Static
from textual.worker import Worker, WorkerState, get_current_worker

from store.remote.artifacts import RemoteArtifacts, RemoteFile

from ..artifacts.kinds import human_size
from ..messages import DownloadDone, DownloadProgress, WorkerFailed, post_result
from ..shaping.sanitize import printable_line
from .prompt import PROMPT_CSS


class DownloadScreen(ModalScreen[Path | None]):
    """`name: 12.0 MB of 1.2 GB` over a bar, until the file is whole in the cache; escape cancels."""

    DEFAULT_CSS = PROMPT_CSS.format(name="DownloadScreen")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape", "cancel", "Cancel", id="download.cancel", tooltip="Stop the download (nothing partial is kept)"
        ),
    ]

    def __init__(self, remote: RemoteArtifacts, file: RemoteFile) -> None:
        super().__init__()
        self.remote = remote
        self.file = file
        self.done = 0

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(f"Downloading {printable_line(self.file.path)}"), classes="prompt-title")
            yield ProgressBar(total=max(self.file.size, 1), show_eta=False, id="download-bar")
            yield Static(self._count(), id="download-count")
            yield Static(Text("escape: cancel"), classes="prompt-hint")

    def on_mount(self) -> None:
        self._download()

    def _count(self) -> Text:
        return Text(f"{human_size(self.done)} of {human_size(self.file.size)}")

    @work(
        thread=True,
        exclusive=True,
        group="artifact-download",
        exit_on_error=False,
        description="Downloading an artifact from the server",
    )
    def _download(self) -> None:
        worker = get_current_worker()
        path = self.remote.download(
            self.file, lambda done: self.post_message(DownloadProgress(done)), lambda: worker.is_cancelled
        )
        post_result(self, DownloadDone(path))

    @on(DownloadProgress)
    def _progress(self, message: DownloadProgress) -> None:
        self.done = message.done
        self.query_one(ProgressBar).update(progress=message.done)
        self.query_one("#download-count", Static).update(self._count())

    @on(DownloadDone)
    def _done(self, message: DownloadDone) -> None:
        self.dismiss(message.path)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed download closes this screen; the app reports why (to the app: this screen is going)."""
        if event.state == WorkerState.ERROR:
            worker = event.worker
            self.app.post_message(WorkerFailed(worker.description or worker.name, worker.error))
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.workers.cancel_group(self, "artifact-download")
        self.dismiss(None)
