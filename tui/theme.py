"""The one way to read a theme colour: for Rich text drawn by screens and widgets.

CSS rules use `$variables` directly; Rich `Text` and `Style` built in Python cannot, so they ask
here. A variable the theme lacks gives the default (usually no colour), never an error, so
`NO_COLOR` and minimal themes still draw.
"""

from __future__ import annotations

from typing import Any

from rich.style import Style

from .shaping.status import status_look


def theme_color(app: Any, variable: str, default: str = "") -> str:
    """The colour the app's current theme gives `variable` (`success`, `error`, `foreground` …)."""
    value = app.theme_variables.get(variable)
    return value if value else default


def theme_style(app: Any, variable: str, **extra: Any) -> Style:
    """A Rich style in the theme's `variable` colour, plus `extra` (`bold=True` …)."""
    colour = theme_color(app, variable)
    return Style(color=colour, **extra) if colour else Style(**extra)


def status_style(app: Any, status: str, **extra: Any) -> Style:
    """A run status's style from the one status table, in the current theme's colour."""
    return theme_style(app, status_look(status).theme_variable, **extra)
