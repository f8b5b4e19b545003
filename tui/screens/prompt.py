"""Small modal screens the runs screen asks through: a line or a text to edit, a yes/no, a list to pick from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from ..keymap import VIM_BINDINGS
from ..shaping.tags_text import format_tags, tag_changes

PROMPT_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 72; max-width: 95%; height: auto; max-height: 90%; border: thick $primary;
                     background: $surface; padding: 0 1; }}
{name} .prompt-title {{ text-style: bold; height: auto; }}
{name} .prompt-hint {{ color: $text-muted; height: auto; }}
"""


class PromptScreen(ModalScreen[str | None]):
    """One line (enter saves) or, with `multiline`, a text (ctrl+s saves); escape cancels with None."""

    DEFAULT_CSS = (
        PROMPT_CSS.format(name="PromptScreen")
        + """
    PromptScreen TextArea { height: 12; }
    """
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="prompt.cancel", tooltip="Close without saving"),
        Binding("ctrl+s", "save", "Save", id="prompt.save", tooltip="Save and close"),
    ]

    def __init__(self, title: str, value: str = "", hint: str = "", *, multiline: bool = False) -> None:
        super().__init__()
        self.title_text, self.value, self.hint, self.multiline = title, value, hint, multiline

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text), classes="prompt-title")
            if self.multiline:
                yield TextArea(self.value, id="prompt-text", soft_wrap=True, show_line_numbers=False)
            else:
                yield Input(self.value, id="prompt-input", select_on_focus=False)
            hint = self.hint or ("ctrl+s saves, escape cancels" if self.multiline else "enter saves, escape cancels")
            yield Static(Text(hint), classes="prompt-hint")

    def on_mount(self) -> None:
        if self.multiline:
            area = self.query_one(TextArea)
            area.focus()
            area.move_cursor(area.document.end)
        else:
            self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_save(self) -> None:
        if self.multiline:
            self.dismiss(self.query_one(TextArea).text)
        else:
            self.dismiss(self.query_one(Input).value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question: `y` (or enter) says yes, `n` or escape no."""

    DEFAULT_CSS = PROMPT_CSS.format(name="ConfirmScreen")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm.yes", tooltip="Go ahead"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no", tooltip="Cancel"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.question), classes="prompt-title")
            yield Static(Text("y: yes   n or escape: no"), classes="prompt-hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class PickScreen(ModalScreen[str | None]):
    """Pick one of `choices` (id, label) with enter; escape returns None."""

    DEFAULT_CSS = (
        PROMPT_CSS.format(name="PickScreen")
        + """
    PickScreen OptionList { height: auto; max-height: 20; }
    """
    )

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="pick.cancel", tooltip="Close without picking"),
        *VIM_BINDINGS,
    ]

    def __init__(self, title: str, choices: list[tuple[str, str]], hint: str = "") -> None:
        super().__init__()
        self.title_text, self.choices, self.hint = title, choices, hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text), classes="prompt-title")
            yield OptionList(*(Option(Text(label), id=choice) for choice, label in self.choices), id="pick-list")
            if self.hint:
                yield Static(Text(self.hint), classes="prompt-hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = 0 if self.choices else None
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


TAGS_HINT = "key=value, separated by spaces (quote values with spaces); delete a pair to remove that tag"


def ask_tag_changes(
    screen: Screen[Any], title: str, before: dict[str, str], apply: Callable[[dict[str, str], list[str]], None]
) -> None:
    """Ask for `before` edited as `key=value` text; `apply(changed, removed)` when the answer changes anything.

    One home for the tag prompt of runs and of models: an unreadable answer is one error notice.
    """

    def chosen(result: str | None) -> None:
        if result is None:
            return
        try:
            changed, removed = tag_changes(before, result)
        except ValueError as exc:
            screen.notify(str(exc), title="Tags not changed", severity="error", markup=False)
            return
        if changed or removed:
            apply(changed, removed)

    screen.app.push_screen(PromptScreen(title, format_tags(before), TAGS_HINT), chosen)
