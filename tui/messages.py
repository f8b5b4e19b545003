"""Messages that workers post to the UI thread."""

from __future__ import annotations

from dataclasses import dataclass

from typing import Any

import pandas as pd
from textual.message import Message

from store import RunStore

from .shaping.runs_view import RunsView


@dataclass
class StoreLoaded(Message):
    """A fresh listing. Frequent ones replace each other: only the newest matters."""

    store: RunStore
    frame: pd.DataFrame
    experiments: dict[str, int]
    changed: set[str]
    view: RunsView | None = None
    """The table's view over `frame`, computed off the UI thread for the settings below."""
    settings: tuple[Any, ...] = ()

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StoreLoaded)


@dataclass
class StoreMissing(Message):
    """The store folder does not exist (yet): show how to log a first run."""

    path: str
    error: str | None = None
