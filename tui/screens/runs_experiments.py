"""The runs screen's experiments list (`e`): one experiment's table, or all runs.

`RunsExperiments` is one of the runs screen's parts (the screen's `action_*` hand `e`, and escape
while the list is open, to it). The list is rebuilt only when the experiments or their counts
change, so a live refresh every 2 s does not rebuild it under the user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ..shaping.sanitize import printable

if TYPE_CHECKING:
    from .runs import RunsScreen

ALL = "\0all"
"""The option id of "all runs" (no experiment name can hold a NUL)."""


class RunsExperiments:
    """Bound in `RunsScreen.BINDINGS` (`e`; escape closes the list first)."""

    def __init__(self, screen: RunsScreen) -> None:
        self.screen = screen
        self._listed: tuple[object, ...] | None = None
        """What the list shows (experiments and counts, and the total)."""
        self._inside_filter = False
        """The list was opened while the filter was open: escape closes the list first."""

    @property
    def _options(self) -> OptionList:
        return self.screen.query_one("#experiments", OptionList)

    def toggle(self) -> None:
        """Show and focus the list; if it is shown but not focused, focus it; if focused, hide it."""
        options = self._options
        if options.display and options.has_focus:
            options.display = False
            self.screen.set_focus(self.screen.table)
        else:
            if not options.display:
                self._inside_filter = bool(self.screen.query_one("#filter-bar").display)
            options.display = True
            if options.highlighted is None and options.option_count:
                options.highlighted = 0
            self.screen.set_focus(options)

    def close_first(self) -> bool:
        """Escape closes the innermost thing first: the list when it has the focus or was opened after
        the filter (picking an experiment leaves it open). Whether it closed the list."""
        options = self._options
        if options.display and (options.has_focus or self._inside_filter):
            options.display = False
            self.screen.set_focus(self.screen.table)
            return True
        return False

    def chosen(self, event: OptionList.OptionSelected) -> None:
        chosen = event.option.id
        keep = self.screen.table.current_run
        self.screen.view.experiment = None if chosen == ALL else chosen
        self.screen.columns.use_column_view(keep)
        self.screen.set_focus(self.screen.table)

    def listed(self, experiments: dict[str, int], total: int) -> None:
        """A new listing: the list follows when its experiments or counts changed."""
        key = (tuple(experiments.items()), total)
        if key == self._listed:
            return
        self._listed = key
        options = self._options
        highlighted = options.highlighted
        options.clear_options()
        options.add_option(Option(Text(f"all ({total})"), id=ALL))
        for name, count in experiments.items():
            options.add_option(Option(Text(f"{printable(name)} ({count})"), id=name))
        if highlighted is not None and highlighted < options.option_count:
            options.highlighted = highlighted
