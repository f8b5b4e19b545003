"""Cell widths measured in plain code agree with Rich's measure."""

from __future__ import annotations


def test_cell_len_counts_wide_and_combining() -> None:
    from rich.cells import cell_len as rich_cell_len

    from tui.shaping.formatting import cell_width as cell_len

    for text in ("abc", "日本語", "café", "e\u0301", "✓ ok", "▲▼"):
        assert cell_len(text) == rich_cell_len(text), text
