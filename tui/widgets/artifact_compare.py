"""One artifact compared across two runs, for the artifact preview: the plan its worker makes (the
diff highlighted, both images scaled to one size) and the body that shows it.

Making the plan reads both files and runs in the preview's worker; the body is built on the UI
thread from the plan alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.style import Style
from rich.table import Table
from rich.text import Text
from rich_pixels import HalfcellRenderer, Pixels
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from ..artifacts import preview_plan as plans
from ..artifacts.files import ArtifactComparison, UnreadableArtifact, compare_artifacts, read_head
from ..artifacts.kinds import ArtifactKind, detect_kind
from ..artifacts.preview_plan import Facts, Plan
from ..shaping.sanitize import printable_line
from .lazy_text import LazyText
from .text_lines import MemoryLines


@dataclass
class ComparePlan(Plan):
    comparison: ArtifactComparison | None = None
    lines: MemoryLines | None = None
    """The diff, highlighted in the worker (20,000 lines take a while)."""
    images: tuple[Any, Any] | None = None
    """Both runs' images as half-block renderables at one scale, when both files are images."""


def plan_comparison(
    mine: Path,
    other: Path,
    *,
    label: str,
    mine_name: str,
    other_name: str,
    facts: Facts,
    cells: tuple[int, int],
    cancelled: Callable[[], bool],
) -> ComparePlan:
    """Compare `mine` with `other` (in a worker); raises whatever reading or decoding them raises."""
    comparison = compare_artifacts(
        mine, other, label=label, mine_name=mine_name, other_name=other_name, cancelled=cancelled
    )
    lines = MemoryLines.from_text("\n".join(comparison.diff), "diff") if comparison.diff else None
    plan = ComparePlan(facts, comparison, lines)
    if comparison.status in ("identical", "different") and _both_images(mine, other):
        pair = plans.image_pair(mine, other, cells)
        if pair is not None:
            plan.images = (
                Pixels.from_image(pair[0], renderer=HalfcellRenderer()),
                Pixels.from_image(pair[1], renderer=HalfcellRenderer()),
            )
    return plan


def comparison_body(plan: ComparePlan, style: Callable[[str], Style]) -> tuple[str, Widget]:
    """The body's kind (diff, compare-images or compare) and widget for `plan`; `style` gives the
    preview's component styles by name."""
    comparison = plan.comparison
    assert comparison is not None
    if comparison.diff:
        viewer = LazyText(
            plan.lines or MemoryLines.from_text("\n".join(comparison.diff), "diff"), classes="preview-diff"
        )
        return "diff", viewer
    body = Text(
        printable_line(comparison.message) + "\n",
        style("artifact-preview--same" if comparison.status == "identical" else "artifact-preview--differ"),
    )
    if plan.images is not None:
        meta = style("artifact-preview--meta")
        sides = [
            Vertical(Static(Text(who, meta)), Static(image, classes="preview-image"), classes="preview-side")
            for who, image in zip(("this run", "other run"), plan.images)
        ]
        return "compare-images", VerticalScroll(
            Static(body), Horizontal(*sides, classes="preview-pair"), classes="preview-scroll"
        )
    if comparison.facts:
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style=style("artifact-preview--meta"))
        grid.add_column()
        for what, mine, other in comparison.facts:
            grid.add_row(Text(what), Text(f"this run:  {mine}\nother run: {other}"))
        return "compare", VerticalScroll(Static(Group(body, grid)), classes="preview-scroll")
    return "compare", Static(body, classes="preview-message")


def _both_images(mine: Path, other: Path) -> bool:
    """Whether both files look like PNG/JPEG/GIF by name and first bytes (nothing is decoded)."""
    try:
        return all(detect_kind(p.name, read_head(p, 64)[0]).kind is ArtifactKind.IMAGE for p in (mine, other))
    except UnreadableArtifact:
        return False
