"""What every screen needs to know about the store the app opened, handed over when it is made.

Screens get a `Session` in their constructor rather than reaching into the app for these,
and ask the app to act with a message (`ReloadRequested`). One read goes the other way: a
detail screen made without a poll interval takes the app's `poll_seconds`, so it polls as
the listing does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Session:
    store_path: Path
    """The path the user gave (the store opens in a worker; its kind is known once it has)."""
    clock: Callable[[], float] = field(default=time.time)
    """Now, in seconds since the epoch; tests pass a fixed one so "3h ago" never changes."""
    poll_seconds: float = 2.0
    """How often the store is re-read; 0 never (tests poll by hand)."""
    label: str = ""
    """What to show for the store when `store_path` cannot say it (a server's URL)."""

    @property
    def where(self) -> str:
        """The store as the user named it, for titles and the status bar."""
        return self.label or str(self.store_path)

    def now(self) -> float:
        return self.clock()
