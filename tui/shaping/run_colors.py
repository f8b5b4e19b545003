"""One colour per run for the whole session, in every chart, legend and diff header.

A run gets the next colour slot the first time any screen draws it and keeps that slot until
the app ends, so `degree-2` is the same orange in the charts and in the diff. Slots are kept
per app (tests and several apps in one process do not share them). The palette is either the
theme's colours or, on request, Okabe and Ito's colour-blind-safe set.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from weakref import WeakKeyDictionary

RGB = tuple[int, int, int]

COLORBLIND: tuple[RGB, ...] = (
    (230, 159, 0),
    (86, 180, 233),
    (0, 158, 115),
    (240, 228, 66),
    (0, 114, 178),
    (213, 94, 0),
    (204, 121, 167),
    (153, 153, 153),
)
"""Okabe & Ito (2008): eight colours told apart with every common colour-vision deficiency."""


class RunColors:
    """Colour slots by run id, in the order runs were first seen, and the palette choice."""

    def __init__(self) -> None:
        self.slots: dict[str, int] = {}
        self.colorblind = False

    def slot(self, run_id: str) -> int:
        return self.slots.setdefault(run_id, len(self.slots))

    def colors(self, run_ids: Iterable[str], palette: list[RGB]) -> list[RGB]:
        """Each run's colour from `palette` (the colour-blind set instead when chosen)."""
        chosen = list(COLORBLIND) if self.colorblind else palette
        return [chosen[self.slot(r) % len(chosen)] for r in run_ids]

    def markers(self, run_ids: Iterable[str], markers: Sequence[str]) -> list[str]:
        """Each run's marker from `markers` by its slot: under `NO_COLOR` the glyph, not the
        colour, is what names a run in the table's mark, the legend and the charts."""
        return [markers[self.slot(r) % len(markers)] for r in run_ids]


_SESSIONS: WeakKeyDictionary[object, RunColors] = WeakKeyDictionary()


def run_colors(session: object) -> RunColors:
    """The colour slots of `session` (the running app), made on first use."""
    found = _SESSIONS.get(session)
    if found is None:
        found = _SESSIONS[session] = RunColors()
    return found
