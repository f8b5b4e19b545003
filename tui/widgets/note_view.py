"""A run's note: Markdown while it is cheap to draw, else plain text under a line saying why.

How to draw it is decided in a worker (`shaping.note.plan_note` parses it); a 200 x 200 table
in a note froze the app for 30 s+ when it went straight into Textual's Markdown widget.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Markdown, Static

from ..messages import ForwardsWorkerFailures, NotePlanned, post_result
from ..shaping.note import plan_note


class NoteView(ForwardsWorkerFailures, Vertical):
    """`show(note)` draws a note; the same note again (a live run is re-read) costs nothing."""

    DEFAULT_CSS = """
    NoteView { height: auto; }
    NoteView > #note-why { color: $text-warning; text-style: italic; display: none; }
    NoteView > #note-markdown { margin: 0; padding: 0; background: $surface; }
    NoteView > #note-plain { display: none; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.note: str | None = None
        """The note asked for last (drawn once its plan comes back)."""

    def compose(self) -> ComposeResult:
        yield Static(id="note-why")
        yield Markdown(id="note-markdown")
        yield Static(id="note-plain")

    def show(self, note: str) -> None:
        if note != self.note:
            self.note = note
            self._plan(note)

    @work(thread=True, exclusive=True, group="note-plan", exit_on_error=False, description="Reading a run's note")
    def _plan(self, note: str) -> None:
        post_result(self, NotePlanned(note, plan_note(note)))

    async def on_note_planned(self, message: NotePlanned) -> None:
        message.stop()
        if message.note != self.note:
            return
        plan = message.plan
        why, markdown, plain = (
            self.query_one("#note-why", Static),
            self.query_one("#note-markdown", Markdown),
            self.query_one("#note-plain", Static),
        )
        why.display = plain.display = plan.markdown is None
        markdown.display = plan.markdown is not None
        if plan.markdown is None:
            why.update(Text(plan.why))
            plain.update(Text(plan.plain))
            await markdown.update("")
        else:
            why.update("")
            plain.update("")
            await markdown.update(plan.markdown)
