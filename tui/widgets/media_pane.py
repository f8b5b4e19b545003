"""One run's column in the media view: a caption, a note when the step shown is not the one asked for, the image."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ..shaping.sanitize import printable_line

PANE_MIN_WIDTH = 24
"""Narrower, an image is too small to read: the media screen pages runs that do not fit."""


class MediaPane(Vertical):
    """Caption, note and image of one run; `shown_step` and `note` are what tests check."""

    DEFAULT_CSS = f"""
    MediaPane {{
        width: 1fr;
        min-width: {PANE_MIN_WIDTH};
        height: 1fr;
        padding: 0 1;
        & > .media-caption {{ height: 1; text-style: bold; text-wrap: nowrap; text-overflow: ellipsis; }}
        & > .media-note {{ height: 1; color: $text-warning; text-wrap: nowrap; text-overflow: ellipsis; }}
        & > .media-image {{ height: 1fr; }}
        & > .media-message {{ color: $text-muted; }}
    }}
    """

    def __init__(self, run_id: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.run_id = run_id
        self.shown_step: int | None = None
        self.note = ""

    def compose(self) -> ComposeResult:
        yield Static(classes="media-caption")
        yield Static(classes="media-note")
        yield Static(classes="media-image")

    def image_cells(self) -> tuple[int, int]:
        """Columns and rows the image may use (its size before the first layout: a guess)."""
        image = self.query_one(".media-image", Static)
        return max(4, image.size.width or 30), max(2, image.size.height or 10)

    def show(self, caption: str, note: str, step: int | None, image: Any | None, message: str = "") -> None:
        """Show `image` (a renderable) or, without one, `message` in the image's place."""
        self.shown_step = step
        self.note = note
        self.query_one(".media-caption", Static).update(Text(printable_line(caption)))
        self.query_one(".media-note", Static).update(Text(printable_line(note)))
        body = self.query_one(".media-image", Static)
        body.set_class(image is None, "media-message")
        body.update(image if image is not None else Text(printable_line(message)))
