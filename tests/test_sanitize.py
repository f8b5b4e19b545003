"""The one sanitizer, tested directly with what a hostile or careless store can hold."""

from __future__ import annotations

import pytest

from tui.shaping.sanitize import cut, printable, printable_block, printable_line, printable_text

HOSTILE = [
    "\x1b]0;pwned\x07",  # OSC 0: set the window title
    "\x1b]52;c;aGVsbG8=\x07",  # OSC 52: write the clipboard
    "\x1b[2J\x1b[H",  # clear the screen, cursor home
    "\x9b31m",  # C1 CSI
    "\x9d0;title\x9c",  # C1 OSC ... ST
    "abc\u202edcba",  # right-to-left override
    "\u2066isolate\u2069",  # bidi isolates
    "del\x7f",
    "nul\x00byte",
]


def _no_controls(text: str) -> bool:
    return all(ord(c) >= 0x20 and not (0x7F <= ord(c) <= 0x9F) and c not in "\u202e\u2066\u2069" for c in text)


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("fn", [printable, printable_line, lambda t: cut(t, 8)])
def test_one_line_forms_leave_no_control(fn, text: str) -> None:
    out = fn(text)
    assert _no_controls(out), repr(out)


@pytest.mark.parametrize("text", HOSTILE)
def test_block_keeps_only_line_breaks(text: str) -> None:
    out = printable_block("first\n" + text + "\n\tindented")
    lines = out.split("\n")
    assert len(lines) == 3
    assert all(_no_controls(line) for line in lines)
    assert lines[2] == "    indented"


def test_escape_shows_as_a_visible_symbol() -> None:
    assert printable("\x1b[31mred") == "␛[31mred"
    assert printable("\x9b") == "<U+009B>"
    assert printable("a\u202eb") == "a<U+202E>b"


def test_plain_text_and_markup_pass_unchanged() -> None:
    """Markup is data: the sanitizer leaves it as text; callers never parse it as markup."""
    for text in ("[red]x[/]", "café ✓ 日本", "a b", "[bold]"):
        assert printable(text) == text


def test_line_breaks_on_one_line() -> None:
    assert printable_line("a\nb\r\nc") == "a ⏎ b ⏎ c"


def test_cut_keeps_width() -> None:
    assert cut("abcdefghij", 5) == "abcd…"
    assert cut("abc", 5) == "abc"


def test_cut_of_a_huge_value_only_makes_what_it_shows_safe() -> None:
    assert cut("\x1b" * 3 + "x" * 20_000_000, 5) == "␛␛␛x…"
    assert cut("ab\r\ncd", 4) == "ab …"


@pytest.mark.parametrize("text", HOSTILE)
def test_text_keeps_line_breaks_and_shows_tabs(text: str) -> None:
    """`printable_text` (diff cells, exports): line breaks kept, everything else visible, long lines too."""
    out = printable_text("first\r\n" + text + "\n\t" + text * 3000)
    lines = out.split("\n")
    assert len(lines) == 3 and all(_no_controls(line) for line in lines)
    assert lines[2].startswith("␉")


def test_formatting_printable_is_the_one_sanitizer() -> None:
    from tui.shaping import formatting, sanitize

    assert formatting.printable is sanitize.printable
