"""MetricList: the charts' metric list (a drawn metric's box shows ✓) with its search box; the
sampled machine metrics (`system/…`) are listed last, under a `system` heading, by the titles
their panes have (`GPU 0 util %`, not `system/gpu.0.gpu`); the search finds either."""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.strip import Strip
from textual.widgets import Input, SelectionList
from textual.widgets._toggle_button import ToggleButton
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets.selection_list import Selection

from store.writing.system_metrics import is_system_metric

from ..shaping.metric_order import system_last
from ..shaping.sanitize import printable_line
from ..shaping.system_metrics import chart_title


class MetricPicker(SelectionList[str]):
    """The metric list: a drawn metric's box shows ✓, not only a colour (NO_COLOR, 16 colours)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "select", "Pick", id="charts.pick", tooltip="Draw or hide the metric under the cursor"),
    ]
    DRAWN = "✓"

    def action_select(self) -> None:
        """Toggle the row under the cursor now, as the key is handled. `SelectionList` posts a
        message and toggles whatever is highlighted when that message arrives, so `space j`
        typed together (or a move under load) toggled the next row."""
        index = self.highlighted
        if index is None:
            return
        selection = self.get_option_at_index(index)
        if not selection.disabled:
            self.toggle(selection)

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        try:
            selection = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return strip
        if selection.value == SYSTEM_SECTION:
            return Strip(
                [
                    Segment(
                        SYSTEM_HEADING.ljust(strip.cell_length)[: strip.cell_length],
                        self.rich_style + Style(dim=True, bold=True),
                    )
                ],
                strip.cell_length,
            )
        segments = list(strip)
        if len(segments) < 4 or segments[1].text != ToggleButton.BUTTON_INNER:
            return strip
        glyph = self.DRAWN if selection.value in self._selected else " "
        segments[1] = Segment(glyph, segments[1].style)
        return Strip(segments, strip.cell_length)


SYSTEM_SECTION = "\x00system"
"""The value of the list's `system` heading: not a metric key (no key holds a NUL), never picked."""
SYSTEM_HEADING = "── system ──"


class MetricList(Vertical):
    """The metric list with its search box; posts `Picked` when the drawn metrics change."""

    DEFAULT_CSS = """
    MetricList > #metric-search { height: 3; border: tall $primary; display: none; }
    MetricList > #metric-list { height: 1fr; border: none; padding: 0; }
    """

    class Picked(Message):
        """The metrics to draw, in the order they were picked."""

        def __init__(self, selected: list[str]) -> None:
            super().__init__()
            self.selected = selected

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.keys: list[str] = []
        self.selected: list[str] = []
        self.search = ""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search metrics", id="metric-search")
        yield MetricPicker(id="metric-list")

    def fill(self, keys: list[str], selected: list[str]) -> None:
        """Show `keys` (those matching the search), `selected` ticked; the highlight stays put."""
        self.keys, self.selected = keys, list(selected)
        picker = self.query_one(MetricPicker)
        highlighted = picker.highlighted
        needle = self.search.lower()
        titles = {k: chart_title(k) for k in keys}
        shown = system_last(k for k in keys if needle in k.lower() or needle in titles[k].lower())
        options = [Selection(Text(printable_line(titles[k])), k, k in self.selected) for k in shown]
        first_system = next((i for i, k in enumerate(shown) if is_system_metric(k)), None)
        if first_system is not None:
            options.insert(first_system, Selection(Text(SYSTEM_HEADING), SYSTEM_SECTION, False, disabled=True))
        with self.prevent(SelectionList.SelectedChanged):
            picker.clear_options()
            picker.add_options(options)
        if picker.option_count:
            picker.highlighted = min(highlighted or 0, picker.option_count - 1)

    def highlighted(self) -> str | None:
        picker = self.query_one(MetricPicker)
        if picker.highlighted is None:
            return None
        value = picker.get_option_at_index(picker.highlighted).value
        return value if isinstance(value, str) and value != SYSTEM_SECTION else None

    @on(SelectionList.SelectedChanged, "#metric-list")
    def _picked(self, event: SelectionList.SelectedChanged[str]) -> None:
        event.stop()
        picker = event.selection_list
        shown = {picker.get_option_at_index(i).value for i in range(picker.option_count)}
        chosen = set(picker.selected)
        kept = [m for m in self.selected if m not in shown or m in chosen]
        added = [m for m in self.keys if m in chosen and m not in kept]
        if system_last(kept + added) != self.selected:
            self.selected = system_last(kept + added)
            self.post_message(self.Picked(list(self.selected)))

    def open_search(self) -> None:
        search = self.query_one("#metric-search", Input)
        search.display = True
        search.focus()

    def close_search(self) -> bool:
        """Clear and hide the search box; False when it was not open."""
        search = self.query_one("#metric-search", Input)
        if not search.display:
            return False
        search.value = ""
        search.display = False
        self.search = ""
        self.fill(self.keys, self.selected)
        self.query_one(MetricPicker).focus()
        return True

    @on(Input.Changed, "#metric-search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.search = event.value
        self.fill(self.keys, self.selected)

    @on(Input.Submitted, "#metric-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(MetricPicker).focus()
