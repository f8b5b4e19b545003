"""A run's note: Markdown while it is cheap to draw, plain text (cut) past the bounds, planned in a worker."""

from __future__ import annotations

import time
from pathlib import Path

import store
from store import curate
from tests.app_helpers import demo_app, open_detail, screen_text, settle
from tui.shaping.note import MARKDOWN_CHARS, PLAIN_CHARS, TABLE_COLUMNS, plan_note
from tui.widgets.note_view import NoteView


def markdown_table(rows: int, columns: int) -> str:
    head = "| " + " | ".join(f"c{j}" for j in range(columns)) + " |"
    lines = [head, "|" + "---|" * columns]
    lines += ["| " + " | ".join(f"v{i}.{j}" for j in range(columns)) + " |" for i in range(rows)]
    return "\n".join(lines)


def test_a_small_note_is_markdown_and_a_200_by_200_table_is_plain_text() -> None:
    plan = plan_note("# Why\n\n" + markdown_table(3, 3) + "\n\n- out of **memory**\x1b[2J")
    assert plan.markdown is not None and "␛[2J" in plan.markdown and plan.why == "", "safe, as Markdown"
    started = time.perf_counter()
    big = plan_note(markdown_table(200, 200))
    assert time.perf_counter() - started < 5, "a bound, not a hang (generous: the machine is shared)"
    assert big.markdown is None and big.why.startswith("Shown as plain text")
    assert big.plain.startswith("| c0 | c1 |")
    wide = plan_note(markdown_table(2, TABLE_COLUMNS + 1))
    assert len(markdown_table(2, TABLE_COLUMNS + 1)) < MARKDOWN_CHARS
    assert wide.markdown is None and "table too big" in wide.why


def test_a_huge_note_is_cut_with_a_marker_saying_how_much() -> None:
    note = "word " * 400_000  # 2 MB
    plan = plan_note(note)
    assert plan.markdown is None
    assert len(plan.plain) < PLAIN_CHARS + 200
    assert plan.plain.endswith(f"… note cut here: {len(note) - PLAIN_CHARS:,} more characters")
    assert f"the first {PLAIN_CHARS:,} of {len(note):,} characters are shown" in plan.why


async def test_a_note_with_a_table_past_the_bounds_shows_as_plain_text_with_why(tmp_path: Path) -> None:
    """Issue 21.7: a 200 x 200 table in a note froze the app for 30 s+ at 1.5 GB (Textual's Markdown
    mounts a widget per cell on the UI thread). A table past the bounds now shows as plain text
    under a line saying so. (A table just past the bounds keeps this test quick.)"""
    root = tmp_path / "s"
    with store.start_run(experiment="e", name="noted", root=root) as run:
        run.log_metric("loss", 0.5)
    curate.set_note(store.open_store(root), run.id, "Results\n\n" + markdown_table(3, TABLE_COLUMNS + 1))
    app = demo_app(root)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        view = (await open_detail(pilot, run.id)).query_one("#note", NoteView)
        await pilot.press("end")
        await settle(pilot)
        assert view.query_one("#note-plain").display and not view.query_one("#note-markdown").display
        text = screen_text(app)
        assert "Shown as plain text: a table too big to draw" in text
        assert "| v2.0 | v2.1 |" in text, "the table's text, as written"
