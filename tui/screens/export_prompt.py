"""ExportPrompt: asks which folder the diff's Markdown and CSV go to."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from tui.shaping.sanitize import printable


class ExportPrompt(ModalScreen[Path | None]):
    """Asks which folder the export goes to, offering `default`; returns it, or None (escape)."""

    DEFAULT_CSS = """
    ExportPrompt { align: center middle; }
    ExportPrompt > Vertical { width: 80; max-width: 95%; height: auto; border: thick $primary;
                              background: $surface; padding: 0 1; }
    ExportPrompt Static { height: auto; }
    ExportPrompt #export-help { color: $text-muted; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="diff.export.cancel", tooltip="Close without exporting"),
    ]

    def __init__(self, default: Path, rows: int) -> None:
        super().__init__()
        self.default = default
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(
                Text(
                    f"Export {self.rows} rows as Markdown and CSV (Markdown also to the clipboard) "
                    f"into the folder (default: {printable(str(self.default))}):"
                ),
                id="export-title",
            )
            yield Input(value=str(self.default), id="export-folder")
            yield Static(Text("enter writes · escape cancels · a missing folder is made"), id="export-help")

    @on(Input.Submitted, "#export-folder")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        self.dismiss(Path(text).expanduser() if text else self.default)

    def action_cancel(self) -> None:
        self.dismiss(None)
