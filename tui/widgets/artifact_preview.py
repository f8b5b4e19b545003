"""The pane beside the artifact tree: a header about the selected file and a body that fits its kind.

`show(node)` starts one worker that looks at the file (stat, first bytes, and whatever
small parsing the kind needs) and hands back a plan; the UI thread then mounts the body
for it. Slow follow-ups (line index, SHA-256, CSV row count) run in their own workers.
Every failure, expected or not, ends up as a message in this pane.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from rich_pixels import HalfcellRenderer, Pixels
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static
from textual.worker import get_current_worker

from ..artifacts import preview_plan as plans
from ..artifacts.files import (
    UnreadableArtifact,
    open_regular,
    sha256_file,
)
from ..artifacts.hex_dump import bytes_per_row, hex_dump
from ..artifacts.preview_plan import Facts, Plan
from ..artifacts.table_sample import count_delimited_rows
from ..messages import (
    ArtifactHashed,
    ForwardsWorkerFailures,
    PreviewPlanned,
    RowsCounted,
    TextFailed,
    TextIndexed,
    post_result,
)
from ..shaping.sanitize import printable_line
from .artifact_compare import ComparePlan, comparison_body, plan_comparison
from .artifact_tree import ArtifactNode
from .document_tree import DocumentTree
from .lazy_text import LazyText
from .preview_parts import (
    FitToWidth,
    binary_facts,
    folder_text,
    header_text,
    mlmodel_renderable,
    rows_status,
    sample_table,
)

# -- the widget ------------------------------------------------------------------------------------


class ArtifactPreview(ForwardsWorkerFailures, Vertical):
    """Header + body for one artifact; `kind` says which body is showing (tests and key checks use it)."""

    DEFAULT_CSS = """
    ArtifactPreview {
        height: 1fr;
        & > #preview-header {
            height: auto;
            max-height: 4;
            padding: 0 1;
            text-wrap: nowrap;
            text-overflow: ellipsis;
            background: $panel;
            color: $foreground;
        }
        & > #preview-body { height: 1fr; }
        & .preview-message { padding: 1 2; color: $text-muted; }
        & .preview-error { padding: 1 2; color: $text-error; }
        & .preview-scroll { padding: 0 1; }
        & DataTable { height: 1fr; }
        & .preview-pair { height: auto; }
        & .preview-side { width: 1fr; height: auto; }
        & > .artifact-preview--title { text-style: bold; }
        & > .artifact-preview--meta { color: $text-muted; }
        & > .artifact-preview--note { color: $text-warning; }
        & > .artifact-preview--same { color: $text-success; }
        & > .artifact-preview--differ { color: $text-error; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "artifact-preview--title",
        "artifact-preview--meta",
        "artifact-preview--note",
        "artifact-preview--same",
        "artifact-preview--differ",
    }

    class Changed(Message):
        """A different body is showing (the keys that apply may have changed)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.kind = "empty"
        """Which body shows: empty, loading, text, json, yaml, json-raw, yaml-raw, table, image, mlmodel,
        binary, unsafe, folder, error, diff, compare."""
        self.message = ""
        """The message of an error (or a comparison) body."""
        self.node: ArtifactNode | None = None
        self._plan: Plan | None = None
        self._generation = 0
        self._expanded = False
        self._body: Widget | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="preview-header")
        yield Vertical(id="preview-body")

    def on_mount(self) -> None:
        self._set_body("empty", Static(Text("Select a file and press enter to preview it."), classes="preview-message"))
        self._set_header(None)

    # -- entry points ---------------------------------------------------------------------

    def show(self, node: ArtifactNode, *, expanded: bool = False) -> None:
        """Preview the artifact behind `node` (a file or folder); `expanded` says whether its folder is open."""
        if node.entry is None:
            return
        self.node = node
        self._expanded = expanded
        self._generation += 1
        self._set_header(Facts(node.entry.path, node.display_path, "…"))
        self._set_body("loading", Static(Text("reading…"), classes="preview-message"))
        body = self.query_one("#preview-body")
        cells = (max(8, body.size.width - 2 or 60), max(4, body.size.height - 1 or 20))
        self._load(node, cells, self._generation)

    def show_comparison(self, node: ArtifactNode, other_path: Path | None, mine_name: str, other_name: str) -> None:
        """Compare `node`'s file with the same relative path in another run (`other_path`, None if it has none)."""
        if node.entry is None:
            return
        self.node = node
        self._generation += 1
        facts = Facts(node.entry.path, f"{node.display_path}  ⇄  {other_name}", "compare")
        self._set_header(facts)
        if other_path is None:
            self._show_message("compare", f"{other_name} has no {node.root} folder, so no {node.display_path}")
            return
        self._set_body("loading", Static(Text("comparing…"), classes="preview-message"))
        body = self.query_one("#preview-body")
        cells = (max(8, body.size.width - 2 or 60), max(4, body.size.height - 4 or 16))
        self._compare(node, other_path, mine_name, other_name, facts, cells, self._generation)

    def folder_toggled(self, node: ArtifactNode, expanded: bool) -> None:
        """The tree opened or closed `node`: a folder summary of it drops or regains its hint."""
        if node != self.node:
            return
        self._expanded = expanded
        if isinstance(self._plan, plans.FolderPlan) and self.kind == "folder":
            for widget in self._current("preview-folder"):
                assert isinstance(widget, Static)
                widget.update(self._folder_text(self._plan))

    @property
    def can_toggle_raw(self) -> bool:
        return isinstance(self._plan, plans.DocumentPlan) and self.kind in ("json", "yaml", "json-raw", "yaml-raw")

    def toggle_raw(self) -> None:
        """Switch a JSON/YAML preview between its tree and its raw text."""
        plan = self._plan
        if not isinstance(plan, plans.DocumentPlan):
            return
        base = plan.facts.kind.lower()
        if self.kind.endswith("-raw"):
            self._set_body(base, DocumentTree(plan.document, plan.facts.path.name, classes="preview-document"))
        else:
            viewer = LazyText(classes="preview-text")
            self._set_body(f"{base}-raw", viewer)
            viewer.open_file(plan.facts.path, plan.language, plan.facts.size or 0)

    # -- loading ------------------------------------------------------------------------------

    @work(
        thread=True, exclusive=True, group="artifact-preview", exit_on_error=False, description="Looking at an artifact"
    )
    def _load(self, node: ArtifactNode, cells: tuple[int, int], generation: int) -> None:
        assert node.entry is not None
        worker = get_current_worker()
        try:
            plan = plans.plan_preview(
                node.entry.path, node.entry.name, node.display_path, cells, cancelled=lambda: worker.is_cancelled
            )
            if isinstance(plan, plans.ImagePlan) and plan.image is not None:
                plan.image = Pixels.from_image(plan.image, renderer=HalfcellRenderer())
        except Exception as exc:  # noqa: BLE001 - any file can break a parser (PIL, YAML, …): show why, in the pane
            post_result(self, PreviewPlanned(None, generation, _why(exc)))
            return
        post_result(self, PreviewPlanned(plan, generation))

    @work(
        thread=True,
        exclusive=True,
        group="artifact-preview",
        exit_on_error=False,
        description="Comparing an artifact across two runs",
    )
    def _compare(
        self,
        node: ArtifactNode,
        other: Path,
        mine_name: str,
        other_name: str,
        facts: Facts,
        cells: tuple[int, int],
        generation: int,
    ) -> None:
        assert node.entry is not None
        worker = get_current_worker()
        try:
            plan = plan_comparison(
                node.entry.path,
                other,
                label=node.display_path,
                mine_name=mine_name,
                other_name=other_name,
                facts=facts,
                cells=cells,
                cancelled=lambda: worker.is_cancelled,
            )
        except Exception as exc:  # noqa: BLE001 - as in `_load`: a result to show in the pane
            post_result(self, PreviewPlanned(None, generation, _why(exc)))
            return
        post_result(self, PreviewPlanned(plan, generation))

    @work(
        thread=True,
        exclusive=True,
        group="artifact-hash",
        exit_on_error=False,
        description="Computing an artifact's SHA-256",
    )
    def _hash(self, path: Path, generation: int) -> None:
        worker = get_current_worker()
        try:
            digest = sha256_file(path, cancelled=lambda: worker.is_cancelled)
        except UnreadableArtifact as exc:
            digest = f"unavailable: {exc}"
        if digest is not None:
            post_result(self, ArtifactHashed(digest, generation))

    @work(
        thread=True,
        exclusive=True,
        group="artifact-rows",
        exit_on_error=False,
        description="Counting the rows of a table artifact",
    )
    def _count_rows(self, path: Path, delimiter: str, generation: int) -> None:
        worker = get_current_worker()
        try:
            with open_regular(path) as raw, io.TextIOWrapper(raw, encoding="utf-8", errors="replace", newline="") as fh:
                for count, finished in count_delimited_rows(fh, delimiter, cancelled=lambda: worker.is_cancelled):
                    post_result(self, RowsCounted(count, finished, generation))
        except Exception as exc:  # noqa: BLE001 - as in `_load`: a result to show in the pane
            post_result(self, PreviewPlanned(None, generation, _why(exc)))

    @on(PreviewPlanned)
    def _planned(self, message: PreviewPlanned) -> None:
        message.stop()
        if message.plan is not None:
            self._present(message.plan, message.generation)
        elif message.generation == self._generation and message.error is not None:
            self._show_error(message.error)

    @on(ArtifactHashed)
    def _hashed(self, message: ArtifactHashed) -> None:
        message.stop()
        self._show_hash(message.digest, message.generation)

    @on(RowsCounted)
    def _rows_counted(self, message: RowsCounted) -> None:
        message.stop()
        self._show_row_count(message.count, message.finished, message.generation)

    def on_text_failed(self, event: TextFailed) -> None:
        event.stop()
        if event.viewer is self._body:
            self._show_error(event.reason)

    def on_text_indexed(self, event: TextIndexed) -> None:
        event.stop()
        if self._plan is None or event.viewer is not self._body:
            return
        status = (
            f"{event.lines:,} lines" if event.complete else f"indexing… {event.fraction:.0%} · {event.lines:,} lines"
        )
        self._set_header(self._plan.facts, status)

    # -- presenting -----------------------------------------------------------------------------

    def _present(self, plan: Plan, generation: int) -> None:
        if generation != self._generation:
            return
        try:
            self._present_plan(plan, generation)
        except Exception as exc:  # noqa: BLE001 - a plan that cannot be drawn is an error in the pane, not a crash
            self._show_error(f"could not preview this artifact: {type(exc).__name__}: {exc}")

    def _present_plan(self, plan: Plan, generation: int) -> None:
        self._plan = plan
        facts = plan.facts
        self._set_header(facts)
        if isinstance(plan, plans.ErrorPlan):
            self._show_error(plan.message)
        elif isinstance(plan, plans.TextPlan):
            viewer = LazyText(classes="preview-text")
            self._set_body("text", viewer)
            viewer.open_file(facts.path, plan.language, facts.size or 0)
        elif isinstance(plan, plans.DocumentPlan):
            self._set_body(facts.kind.lower(), DocumentTree(plan.document, facts.path.name, classes="preview-document"))
        elif isinstance(plan, plans.TablePlan):
            self._present_table(plan, generation)
        elif isinstance(plan, plans.ImagePlan):
            self._set_header(
                facts,
                f"{plan.pixels[0]}×{plan.pixels[1]} px"
                + (f", {plan.frames} frames (first shown)" if plan.frames > 1 else ""),
            )
            self._set_body(
                "image", VerticalScroll(Static(plan.image, classes="preview-image"), classes="preview-scroll")
            )
        elif isinstance(plan, plans.MLModelPlan):
            assert plan.summary is not None
            summary = mlmodel_renderable(plan.summary, self.get_component_rich_style)
            self._set_body("mlmodel", VerticalScroll(Static(summary), classes="preview-scroll"))
        elif isinstance(plan, plans.BinaryPlan):
            unsafe = facts.kind == "not loaded"
            head = plan.head
            dump = FitToWidth(lambda width: Text("\n".join(hex_dump(head, width=bytes_per_row(width)))))
            self._set_body(
                "unsafe" if unsafe else "binary",
                VerticalScroll(
                    Static(self._binary_facts(facts, None), classes="preview-binary-facts"),
                    Static(dump, classes="preview-hex"),
                    classes="preview-scroll",
                ),
            )
            self._hash(facts.path, generation)
        elif isinstance(plan, plans.FolderPlan):
            self._set_body("folder", Static(self._folder_text(plan), classes="preview-folder preview-message"))
        elif isinstance(plan, ComparePlan):
            self._present_comparison(plan)

    def _folder_text(self, plan: plans.FolderPlan) -> Text:
        return folder_text(plan, self._expanded, self.get_component_rich_style("artifact-preview--meta"))

    def _present_table(self, plan: plans.TablePlan, generation: int) -> None:
        sample = plan.sample
        assert sample is not None
        self._set_body("table", sample_table(sample, self.get_component_rich_style("artifact-preview--meta")))
        for problem in sample.problems:
            plan.facts.notes.append(problem)
        if plan.delimiter is None or not sample.more_rows:
            count = len(sample.rows) if sample.row_count is None else sample.row_count
            self._set_header(plan.facts, rows_status(sample, count, True))
        else:
            self._set_header(plan.facts, rows_status(sample, None, False))
            self._count_rows(plan.facts.path, plan.delimiter, generation)

    def _show_row_count(self, count: int, finished: bool, generation: int) -> None:
        if generation == self._generation and isinstance(self._plan, plans.TablePlan) and self._plan.sample:
            self._set_header(self._plan.facts, rows_status(self._plan.sample, count, finished))

    def _present_comparison(self, plan: ComparePlan) -> None:
        comparison = plan.comparison
        assert comparison is not None
        self.message = comparison.message
        if comparison.diff:
            self._set_header(plan.facts, comparison.message)
        self._set_body(*comparison_body(plan, self.get_component_rich_style))

    def _binary_facts(self, facts: Facts, digest: str | None) -> FitToWidth:
        return binary_facts(facts.size, digest, self.get_component_rich_style("artifact-preview--meta"))

    def _show_hash(self, digest: str, generation: int) -> None:
        if generation != self._generation or self._plan is None:
            return
        for widget in self._current("preview-binary-facts"):
            assert isinstance(widget, Static)
            widget.update(self._binary_facts(self._plan.facts, digest))

    # -- body and header ----------------------------------------------------------------------------

    def _set_body(self, kind: str, widget: Widget) -> None:
        self.kind = kind
        if kind not in ("error", "compare"):
            self.message = ""
        body = self.query_one("#preview-body")
        # Body widgets carry classes, never ids: the old body is removed asynchronously, so a new
        # one with the same id could be mounted before the old one has left (DuplicateIds).
        body.remove_children()
        body.mount(widget)
        self._body = widget
        self.post_message(self.Changed())

    def _current(self, class_name: str) -> list[Widget]:
        """Widgets with `class_name` in the body now showing (not in one still being removed)."""
        body = self._body
        if body is None:
            return []
        return ([body] if body.has_class(class_name) else []) + list(body.query(f".{class_name}"))

    def _show_message(self, kind: str, message: str) -> None:
        self.message = message
        self._set_body(kind, Static(Text(printable_line(message)), classes="preview-message"))
        self.message = message

    def _show_error(self, message: str) -> None:
        self._set_body("error", Static(Text(printable_line(message)), classes="preview-error"))
        self.message = message

    def _set_header(self, facts: Facts | None, status: str = "") -> None:
        self.query_one("#preview-header", Static).update(header_text(facts, status, self.get_component_rich_style))


def _why(error: Exception) -> str:
    return f"could not preview this artifact: {type(error).__name__}: {error}"
