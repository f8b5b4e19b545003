"""The run detail's side of the models link: a line naming the versions registered from the run
(read in a worker when a run is shown) and `L`, the models view of what this run made.

`RunModels` is one of the detail screen's parts (its `action_models` hands `L` to it); it fills
the screen's `#models-line`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from store import StoreError

from ..shaping.models_view import run_versions_line
from .models import ModelsScreen

if TYPE_CHECKING:
    from .detail import DetailScreen


class RunModels:
    """The versions registered from the screen's run (`run_id`), and the models view of them."""

    def __init__(self, screen: DetailScreen) -> None:
        self.screen = screen

    def read(self) -> None:
        """Read what the shown run made in a worker; the line shows it if the run is still shown then."""
        run_id, store = self.screen.run_id, self.screen.store

        def read() -> None:
            try:
                line = run_versions_line(*store.models_of_run(run_id))
            except StoreError:  # a server that cannot be read now: the detail says it is stale, the line waits
                return
            self.screen.app.call_from_thread(self._read, run_id, line)

        self.screen.run_worker(
            read,
            thread=True,
            exclusive=True,
            group="detail-models",
            exit_on_error=False,
            description="Reading the run's models",
        )

    def _read(self, run_id: str, line: str) -> None:
        if run_id != self.screen.run_id or not self.screen.is_attached:
            return  # the user stepped to another run, or closed the detail, meanwhile
        widget = self.screen.query_one("#models-line", Static)
        widget.display = bool(line)
        widget.update(Text("Models  ", style="bold") + Text(line) + Text("  (L: the models view)", style="dim"))

    def open_view(self) -> None:
        self.screen.app.push_screen(ModelsScreen(self.screen.store, run_id=self.screen.run_id))
