"""The MLmodel files of model versions side by side: flavors, signature, requirements, facts.

Opened with `f` from the models view on the marked versions (or the cursor's). The files are found
with `RunStore.model_files` and summarised with the artifact preview's own reader (`read_mlmodel`:
regular files only, bounded reads, YAML and JSON text only — the model is never loaded), in a worker.
A server's files (an artifact URI) are not fetched here: the column says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from store import RunStore, StoreError

from ..artifacts.mlmodel import MLModelSummary
from ..artifacts.preview_plan import read_mlmodel
from ..messages import ForwardsWorkerFailures
from ..shaping.models_view import ModelRow, mlmodel_rows
from ..shaping.sanitize import printable


class ModelFilesScreen(ForwardsWorkerFailures, Screen[None]):
    """One column per version; rows whose values differ are marked `≠` (`d`: only those)."""

    DEFAULT_CSS = """
    ModelFilesScreen #files-title { height: 1; background: $panel; text-style: bold; }
    ModelFilesScreen #files-table { height: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "d",
            "only_differences",
            "Only differences",
            id="model_files.only_diff",
            tooltip="Show only the rows whose values differ (again: all rows)",
        ),
        Binding("question_mark", "app.help", "Keys", id="model_files.help", tooltip="Every key of this screen"),
        Binding("escape", "back", "Back", id="model_files.back", tooltip="Back to the models view"),
    ]

    def __init__(self, store: RunStore, rows: list[ModelRow]) -> None:
        super().__init__()
        self.store, self.models = store, rows
        self.rows: list[tuple[str, list[str], bool]] = []
        self.only_differences = False

    def compose(self) -> ComposeResult:
        names = ", ".join(self._label(r) for r in self.models)
        yield Static(Text(f" MLmodel of {names} …"), id="files-title")
        yield DataTable(id="files-table", cursor_type="row", zebra_stripes=False)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("", *(self._label(r) for r in self.models))
        table.focus()
        self.load()

    @staticmethod
    def _label(row: ModelRow) -> str:
        if row.version is not None:
            return printable(row.version.ref)
        return printable(row.logged.name if row.logged else row.key)

    @work(thread=True, exclusive=True, group="model-files", exit_on_error=False, description="Reading MLmodel files")
    def load(self) -> None:
        summaries = [self._summary(row) for row in self.models]
        rows = mlmodel_rows(summaries)
        self.app.call_from_thread(self._show, rows)

    def _summary(self, row: ModelRow) -> MLModelSummary | str:
        """The version's (or logged model's) MLmodel summary, or why there is none."""
        try:
            where = (
                self.store.model_files(row.version)
                if row.version is not None
                else (row.logged.location if row.logged else None)
            )
        except StoreError as exc:
            return str(exc)
        if not where:
            return "where its files are is not known"
        if "://" in where or ":/" in where:
            return f"on the server ({where}): open its run's artifacts (a) to fetch it"
        folder = Path(where)
        if not (folder / "MLmodel").is_file():
            return "no MLmodel file there"
        try:
            return read_mlmodel(folder)
        except (OSError, StoreError) as exc:
            return f"MLmodel not read: {exc}"

    def _show(self, rows: list[tuple[str, list[str], bool]]) -> None:
        if not self.is_attached:
            return  # closed while the files were read
        self.rows = rows
        differing = sum(differ for _, _, differ in rows)
        names = ", ".join(self._label(r) for r in self.models)
        self.query_one("#files-title", Static).update(
            Text(
                f" MLmodel of {names} · {differing} of {len(rows)} rows differ"
                + (" · only differences (d: all)" if self.only_differences else "")
            )
        )
        table = self.query_one(DataTable)
        table.clear()
        for name, values, differ in rows:
            if self.only_differences and not differ:
                continue
            style = "bold" if differ else "dim"
            table.add_row(
                Text(("≠ " if differ else "  ") + name, style=style),
                *(Text(value, style="" if differ else "dim") for value in values),
            )

    def action_only_differences(self) -> None:
        self.only_differences = not self.only_differences
        self._show(self.rows)

    def action_back(self) -> None:
        self.dismiss(None)
