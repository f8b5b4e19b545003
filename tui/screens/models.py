"""The models view: registered models, their versions with their source runs, and MLflow 3 logged models.

Opened from the runs table (all models) or from a run's detail (what that run made). The registry
is read in a worker (`RunStore.models()`, `logged_models()`); the rows are shaped by
`shaping/models_view.py` from that and the runs frame the table holds, so a version's source run
status and metrics cost no read. `enter` opens the source run's detail, `space` marks versions,
`c` diffs and `p` charts their source runs with the runs screens' own screens. Aliases, tags and
descriptions are edited on our store through store/ours/registry.py, in a worker; an MLflow store refuses
with the same one line as run edits (`writable_root`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import pandas as pd
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from store import RunStore
from store.curate import writable_root
from store.ours import registry as reg

from ..messages import ForwardsWorkerFailures, ReloadRequested
from ..shaping.models_view import COLUMNS, PROTECTED_ALIASES, RUN_CELL, ModelRow, model_rows
from ..shaping.sanitize import printable
from .runs_curation import writable


class ModelsScreen(ForwardsWorkerFailures, Screen[None]):
    """One table of models, versions and logged models; `run_id` shows only what that run made."""

    DEFAULT_CSS = """
    ModelsScreen #models-title { height: 1; background: $panel; text-style: bold; }
    ModelsScreen #models-table { height: 1fr; }
    ModelsScreen #models-empty { padding: 1 2; height: auto; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open_run", "Run", id="models.run", tooltip="The detail of this version's source run"),
        Binding("space", "mark", "Mark", id="models.mark", tooltip="Mark or unmark this version (for c and p)"),
        Binding("c", "compare", "Compare", id="models.compare", tooltip="Diff the source runs of the marked versions"),
        Binding(
            "p",
            "charts",
            "Plot",
            id="models.charts",
            tooltip="Metric curves of the marked versions' source runs, or of this one's",
        ),
        Binding(
            "f",
            "model_files",
            "MLmodel",
            show=False,
            id="models.files",
            tooltip="The MLmodel files (flavors, signature, requirements) of the marked versions side by side",
        ),
        Binding(
            "a",
            "aliases",
            "Aliases",
            id="models.aliases",
            tooltip="Set, move or remove aliases of this version (our store)",
        ),
        Binding(
            "t",
            "tags",
            "Tags",
            show=False,
            id="models.tags",
            tooltip="Add, change or remove tags of this model or version (our store)",
        ),
        Binding(
            "e",
            "describe",
            "Describe",
            show=False,
            id="models.describe",
            tooltip="The description of this model or version (our store)",
        ),
        Binding("question_mark", "app.help", "Keys", id="models.help", tooltip="Every key of this screen"),
        Binding("escape", "back", "Back", id="models.back", tooltip="Back"),
    ]

    def __init__(
        self,
        store: RunStore,
        frame: pd.DataFrame | None = None,
        sort_key: str | None = None,
        *,
        run_id: str | None = None,
    ) -> None:
        super().__init__()
        self.store, self.frame, self.sort_key, self.run_id = store, frame, sort_key, run_id
        self.rows: list[ModelRow] = []
        self.marks: dict[str, None] = {}
        """Row keys of marked versions, in the order they were marked."""
        self._loaded = False

    def compose(self) -> ComposeResult:
        yield Static(Text(" Models …"), id="models-title")
        yield DataTable(id="models-table", cursor_type="row", zebra_stripes=False)
        yield Static(id="models-empty")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        table.focus()
        self.query_one("#models-empty").display = False
        self.load()

    @work(thread=True, exclusive=True, group="models-read", exit_on_error=False, description="Reading the models")
    def load(self) -> None:
        models, logged = self.store.models(), self.store.logged_models()
        if self.frame is None:  # from a run's detail: the store's own listing, for status and metrics
            self.frame = self.store.runs_frame()
        rows = model_rows(models, logged, self.frame, self.sort_key, self.run_id)  # here: 100,000 runs take a while
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows: list[ModelRow]) -> None:
        if not self.is_attached:
            return  # closed while the registry was read
        table = self.query_one(DataTable)
        keep = self.current.key if self.current else None
        self.rows = rows
        self.marks = {k: None for k in self.marks if any(r.key == k for r in self.rows)}
        self._loaded = True
        table.clear()
        for row in self.rows:
            table.add_row(*self._cells(row), key=row.key)
        if keep is not None:
            self._go_to(keep)
        elif self.run_id is not None:  # from a run's detail: the cursor on its first version
            self._go_to(next((r.key for r in self.rows if r.kind == "version"), ""))
        empty = not self.rows
        self.query_one("#models-empty").display = empty
        table.display = not empty
        if empty:
            self.query_one("#models-empty", Static).update(
                Text(
                    "No models registered from this run."
                    if self.run_id
                    else "No registered or logged models in this store. "
                    "Register one with store.register_model(name, run)."
                )
            )
        self._update_title()

    def _cells(self, row: ModelRow) -> list[Text]:
        style = "bold" if row.kind == "model" else ("dim" if row.kind == "logged" else "")
        if row.cells[RUN_CELL] == "damaged":
            style = "red"
        mark = "● " if row.key in self.marks else ""
        cells = [Text(mark + row.cells[0], style=style)]
        return cells + [Text(cell, style=style) for cell in row.cells[1:]]

    def _update_title(self) -> None:
        versions = sum(r.kind == "version" for r in self.rows)
        models = sum(r.kind == "model" for r in self.rows)
        logged = sum(r.kind == "logged" for r in self.rows)
        parts = [
            f"{models} model{'s' if models != 1 else ''}",
            f"{versions} version{'s' if versions != 1 else ''}",
            f"{logged} logged",
        ]
        if self.marks:
            parts.append(f"{len(self.marks)} marked")
        where = f" of run {printable(self.run_id)}" if self.run_id else ""
        self.query_one("#models-title", Static).update(Text(f" Models{where} · {' · '.join(parts)}"))

    def _go_to(self, key: str) -> None:
        for index, row in enumerate(self.rows):
            if row.key == key:
                self.query_one(DataTable).move_cursor(row=index)
                return

    @property
    def current(self) -> ModelRow | None:
        table = self.query_one(DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    # -- runs ------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss(None)

    def action_open_run(self) -> None:
        row = self.current
        if row is None or not row.run_id:
            if row is not None and row.kind == "model":
                self.notify("A model has no run of its own: enter on one of its versions", timeout=3)
            return
        if row.cells[RUN_CELL] == "not in store":
            self.notify(
                f"Its source run {printable(row.run_id)} is not in this store",
                severity="warning",
                timeout=4,
                markup=False,
            )
            return
        from .detail import DetailScreen

        order = list(dict.fromkeys(r.run_id for r in self.rows if r.run_id))
        self.app.push_screen(DetailScreen(self.store, row.run_id, order))

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_run()

    def action_mark(self) -> None:
        row = self.current
        if row is None or row.kind == "model":
            return
        if self.marks.pop(row.key, 0) == 0:
            self.marks[row.key] = None
        table = self.query_one(DataTable)
        table.update_cell(row.key, table.ordered_columns[0].key, self._cells(row)[0])
        table.action_cursor_down()
        self._update_title()

    def _chosen(self) -> list[ModelRow]:
        """The marked rows (in marking order), else the cursor's row."""
        by_key = {r.key: r for r in self.rows}
        return [by_key[k] for k in self.marks] if self.marks else [r for r in [self.current] if r is not None]

    def _chosen_runs(self) -> list[str]:
        return list(dict.fromkeys(r.run_id for r in self._chosen() if r.run_id))

    def action_model_files(self) -> None:
        rows = [r for r in self._chosen() if r.kind != "model"]
        if not rows:
            self.notify("MLmodel files are a version's: put the cursor on one or mark some", timeout=3)
            return
        from .model_files import ModelFilesScreen

        self.app.push_screen(ModelFilesScreen(self.store, rows))

    def action_compare(self) -> None:
        runs = self._chosen_runs()
        if len(runs) < 2:
            self.notify("Compare needs versions of two runs: mark them with space", severity="warning")
            return
        from .diff import DiffScreen

        self.app.push_screen(DiffScreen(self.store, runs))

    def action_charts(self) -> None:
        runs = self._chosen_runs()
        if not runs:
            return
        from .charts import ChartsScreen

        self.app.push_screen(ChartsScreen(self.store, runs, frame=self.frame))

    # -- curation (our store) ----------------------------------------------------------------

    def _writable(self, what: str) -> bool:
        return writable(self, self.store, what)

    def _edit(self, description: str, change: Callable[[], object], done: str) -> None:
        """Apply `change` in a worker, then read the registry again (and the runs' model columns)."""

        def run() -> None:
            try:
                change()
            finally:
                registry = getattr(self.app, "registry_columns", None)
                if registry is not None:
                    registry.stale()  # the runs' model and alias columns are read again at once
                self.app.call_from_thread(self.load)
                self.app.post_message(ReloadRequested())
            self.app.call_from_thread(self.notify, done, timeout=3, markup=False)

        self.run_worker(run, thread=True, group="models-edit", description=description, exit_on_error=False)

    def action_aliases(self) -> None:
        row = self.current
        if row is None or row.version is None or row.model is None or row.version.version is None:
            self.notify("Aliases name a version: put the cursor on one (not a damaged one)", timeout=3)
            return
        if not self._writable("Setting an alias"):
            return
        from .prompt import PromptScreen

        model, version = row.model, row.version
        before = list(version.aliases)

        def chosen(result: str | None) -> None:
            if result is None:
                return
            after = [a for a in result.replace(",", " ").split() if a]
            added = [a for a in after if a not in before]
            removed = [a for a in before if a not in after]
            moved = [a for a in added if a in model.aliases and a.lower() in PROTECTED_ALIASES]
            if moved:
                from .prompt import ConfirmScreen

                where = ", ".join(f"{a} from v{model.aliases[a]}" for a in moved)
                self.app.push_screen(
                    ConfirmScreen(f"Move {where} to v{version.version} of {printable(model.name)}?"),
                    lambda yes: self._set_aliases(row, added, removed) if yes else None,
                )
            elif added or removed:
                self._set_aliases(row, added, removed)

        self.app.push_screen(
            PromptScreen(
                f"Aliases of {printable(model.name)} v{version.version}",
                " ".join(before),
                "names separated by spaces: a new one is set (moved here from another version), a deleted one removed",
            ),
            chosen,
        )

    def _set_aliases(self, row: ModelRow, added: list[str], removed: list[str]) -> None:
        assert row.model is not None and row.version is not None and row.version.version is not None
        name, number, root = row.model.name, row.version.version, writable_root(self.store)

        def change() -> None:
            for alias in removed:
                reg.delete_model_alias(name, alias, root=root)
            for alias in added:
                reg.set_model_alias(name, alias, number, root=root)

        self._edit("Setting an alias", change, f"Aliases of {printable(name)} v{number} changed")

    def action_tags(self) -> None:
        row = self.current
        if row is None or row.model is None or not self._writable("Editing model tags"):
            return
        from .prompt import ask_tag_changes

        name, version = row.model.name, row.version.version if row.version else None
        before = row.version.tags if row.version else row.model.tags
        what = f"{printable(name)}" + (f" v{version}" if version is not None else "")

        def apply(changed: dict[str, str], removed: list[str]) -> None:
            root = writable_root(self.store)

            def change() -> None:
                if changed:
                    reg.set_model_tags(name, changed, version, root=root)
                for key in removed:
                    reg.delete_model_tag(name, key, version, root=root)

            self._edit("Editing model tags", change, f"Tags of {what} changed")

        ask_tag_changes(self, f"Tags of {what}", before, apply)

    def action_describe(self) -> None:
        row = self.current
        if row is None or row.model is None or not self._writable("Describing a model"):
            return
        from .prompt import PromptScreen

        name, version = row.model.name, row.version.version if row.version else None
        before = (row.version.description if row.version else row.model.description) or ""
        what = f"{printable(name)}" + (f" v{version}" if version is not None else "")

        def chosen(result: str | None) -> None:
            if result is not None and result != before:
                root = writable_root(self.store)
                self._edit(
                    "Describing a model",
                    lambda: reg.set_model_description(name, result, version, root=root),
                    f"Description of {what} saved",
                )

        self.app.push_screen(
            PromptScreen(f"Description of {what}", before, "ctrl+s saves, escape cancels", multiline=True), chosen
        )
