"""The one status table: how each run status looks, in the app, in the console and without colour.

Glyphs carry the meaning on their own (`NO_COLOR`, 16-colour terminals, colour-blind users);
colours only add to them. The app colours by theme variable so every theme works; `tracktui ls`
and `tracktui diff` print with plain console colours.
"""

from __future__ import annotations

from typing import NamedTuple


class StatusLook(NamedTuple):
    glyph: str
    theme_variable: str
    """A Textual theme variable (`$success` …) the app colours the status with."""
    console_style: str
    """A Rich style for console output."""


STATUS_LOOKS: dict[str, StatusLook] = {
    "running": StatusLook("▶", "primary", "cyan"),
    "finished": StatusLook("✓", "success", "green"),
    "failed": StatusLook("✗", "error", "red"),
    "killed": StatusLook("■", "warning", "yellow"),
    "crashed": StatusLook("‼", "error", "bold red"),
    "damaged": StatusLook("⚠", "warning", "bold yellow"),
    "deleted": StatusLook("⌫", "text-muted", "dim"),
}
UNKNOWN = StatusLook("?", "foreground", "")

STATUS_GLYPHS = {status: look.glyph for status, look in STATUS_LOOKS.items()}


def status_look(status: str) -> StatusLook:
    return STATUS_LOOKS.get(status, UNKNOWN)
