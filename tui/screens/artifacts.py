"""The artifacts of one run: a tree of its files beside a preview, and a compare with a second run.

Opened by the app with `push_screen(ArtifactsScreen(detail, other))`; `other` is the second
marked run when two are marked, and turns on `d` (compare the selected file across runs).
A tracking server's run also lists the files not in the local cache (`on server`): opening one
fetches it (asking first, with its size, above `ask_above` bytes) and previews the local copy.
`o`/`e` hand the selected file to `$PAGER`/`$EDITOR` with the app suspended; where the
app cannot suspend (headless, Textual web) the command still runs, detached from the
terminal, in a worker. The editor gets a read-only temporary copy, never the stored file:
stores (MLflow's above all) are never written from here.
"""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path, PurePosixPath
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Static, Tree

from store.base import RunDetail
from store.remote.artifacts import RemoteArtifacts, RemoteFile

from ..artifacts.files import entry_for, open_regular
from ..artifacts.kinds import human_size
from ..freed_memory import users_environment
from ..messages import ArtifactCopied, ExternalCommandDone, ForwardsWorkerFailures, RemoteListed, post_result
from ..shaping.sanitize import printable_line
from ..widgets.artifact_preview import ArtifactPreview
from ..widgets.artifact_tree import ArtifactNode, ArtifactTree
from .artifact_download import DownloadScreen
from .prompt import ConfirmScreen

WIDE_AT = 110
"""From this terminal width the tree gets a fixed, wider column with modification times."""
ASK_ABOVE = 64 << 20
"""A file on a server bigger than this is fetched only after the user saw its size and said yes."""


def _run_label(detail: RunDetail) -> str:
    return f"{detail.name or '(unnamed)'} ({detail.run_id})"


class ArtifactsScreen(ForwardsWorkerFailures, Screen[None]):
    """Browse, preview, open and compare a run's artifacts."""

    CSS_PATH = "artifacts.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "d",
            "compare",
            "Diff",
            id="artifacts.compare",
            tooltip="Compare the selected file with the same file in the other marked run",
        ),
        Binding(
            "r", "toggle_raw", "Raw", id="artifacts.raw", tooltip="Switch a JSON/YAML preview between tree and raw text"
        ),
        Binding(
            "o", "open_pager", "Pager", id="artifacts.pager", tooltip="Open the selected file in $PAGER (default: less)"
        ),
        Binding(
            "e",
            "open_editor",
            "Editor",
            id="artifacts.editor",
            tooltip="Open a read-only copy of the selected file in $EDITOR (default: vi)",
        ),
        Binding(
            "tab", "app.focus_next", "Pane", id="artifacts.pane", tooltip="Move focus between the tree and the preview"
        ),
        Binding("question_mark", "app.help", "Keys", id="artifacts.help", tooltip="Every key of this screen"),
        Binding("escape", "back", "Back", id="artifacts.back", tooltip="Return to where you opened the artifacts"),
    ]

    def __init__(
        self,
        detail: RunDetail,
        other: RunDetail | None = None,
        *,
        ask_above: int = ASK_ABOVE,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.detail = detail
        self.other = other
        self.ask_above = ask_above
        self.remote: RemoteArtifacts | None = None
        if detail.store is not None and detail.artifacts_dir is not None:
            self.remote = detail.store.remote_artifacts(detail.run_id)
        self.not_cached: dict[PurePosixPath, int] = {}
        """Files the server lists that the cache has no whole copy of, by path under `artifacts`."""
        self._copies: str | None = None
        """The temporary folder holding read-only copies handed to $EDITOR, removed with the screen."""

    def compose(self) -> ComposeResult:
        title = Text("Artifacts · ", style="bold")
        title.append(printable_line(_run_label(self.detail)))
        if self.other is not None:
            title.append("  ⇄  compare with ")
            title.append(printable_line(_run_label(self.other)))
        yield Static(title, id="artifacts-title")
        roots: list[tuple[str, Path | None]] = [("artifacts", self.detail.artifacts_dir)]
        roots.extend(self.detail.extra_artifacts.items())
        with Horizontal(id="artifacts-body"):
            yield ArtifactTree(roots, id="artifact-tree")
            yield ArtifactPreview(id="artifact-preview")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.query_one(ArtifactTree).focus()
        if self.remote is not None:
            self._list_remote(self.remote)

    @work(
        thread=True,
        exclusive=True,
        group="artifacts-remote",
        exit_on_error=False,
        description="Listing the run's artifacts on the server",
    )
    def _list_remote(self, remote: RemoteArtifacts) -> None:
        post_result(self, RemoteListed(remote.not_cached()))

    @on(RemoteListed)
    def _remote_listed(self, message: RemoteListed) -> None:
        self.not_cached = {PurePosixPath(f.path): f.size for f in message.files}
        self.artifact_tree.set_remote(self.not_cached)

    def on_resize(self, event: Resize) -> None:
        self.set_class(event.size.width >= WIDE_AT, "-wide")

    @property
    def artifact_tree(self) -> ArtifactTree:
        return self.query_one(ArtifactTree)

    @property
    def preview(self) -> ArtifactPreview:
        return self.query_one(ArtifactPreview)

    # -- previewing ----------------------------------------------------------------------------

    def on_tree_node_selected(self, event: Tree.NodeSelected[ArtifactNode]) -> None:
        if event.control is not self.artifact_tree:
            return
        data = event.node.data
        if data is not None and data.entry is not None and data.entry.remote:
            self.fetch(data)
        elif data is not None and data.entry is not None:
            self.preview.show(data, expanded=event.node.is_expanded)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[ArtifactNode]) -> None:
        if event.control is self.artifact_tree and event.node.data is not None:
            self.preview.folder_toggled(event.node.data, True)

    def on_tree_node_collapsed(self, event: Tree.NodeCollapsed[ArtifactNode]) -> None:
        if event.control is self.artifact_tree and event.node.data is not None:
            self.preview.folder_toggled(event.node.data, False)

    def on_artifact_preview_changed(self, event: ArtifactPreview.Changed) -> None:
        self.refresh_bindings()

    def _selected(self) -> ArtifactNode | None:
        """The file or folder under the tree cursor, else the one being previewed."""
        node = self.artifact_tree.cursor_node
        if node is not None and node.data is not None and node.data.entry is not None:
            return node.data
        return self.preview.node

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_raw":
            return self.preview.can_toggle_raw
        if action == "compare":
            return self.other is not None
        return True

    def action_back(self) -> None:
        self.dismiss()

    def action_toggle_raw(self) -> None:
        self.preview.toggle_raw()

    def action_compare(self) -> None:
        node = self._selected()
        if self.other is None:
            self.notify("Mark two runs to compare their artifacts.", severity="warning")
            return
        if node is None or node.entry is None:
            self.notify("Select a file or folder to compare.", severity="warning")
            return
        root = self.other.artifacts_dir if node.root == "artifacts" else self.other.extra_artifacts.get(node.root)
        other_path = None if root is None else root / node.rel
        self.preview.show_comparison(node, other_path, _run_label(self.detail), _run_label(self.other))

    # -- files on a server -------------------------------------------------------------------

    def fetch(self, node: ArtifactNode) -> None:
        """Fetch a file the server lists into the cache, then preview it; above `ask_above`, ask first."""
        assert node.entry is not None and self.remote is not None
        file = RemoteFile(node.rel.as_posix(), node.entry.size or 0)

        def fetched(path: Path | None) -> None:
            if path is None:
                return
            self.not_cached.pop(node.rel, None)
            self.artifact_tree.fetched(node.rel)
            self.preview.show(ArtifactNode(entry_for(path), node.root, node.rel, node.name_width))

        def answered(yes: bool | None) -> None:
            if yes and self.remote is not None:
                self.app.push_screen(DownloadScreen(self.remote, file), fetched)

        if file.size <= self.ask_above:
            answered(True)
            return
        question = (
            f"{printable_line(node.display_path)} is {human_size(file.size)} on the server, not in the "
            f"local cache. Download it?"
        )
        self.app.push_screen(ConfirmScreen(question), answered)

    # -- pager and editor ---------------------------------------------------------------------

    def action_open_pager(self) -> None:
        node = self._selected()
        if node is None or not node.is_file or node.entry is None:
            self.notify("Select a file first.", severity="warning")
            return
        if node.entry.remote:
            self.notify("This file is on the server only: enter fetches it first.", severity="warning")
            return
        self._open_with("PAGER", "less", node.entry.path)

    def action_open_editor(self) -> None:
        node = self._selected()
        if node is None or not node.is_file or node.entry is None:
            self.notify("Select a file first.", severity="warning")
            return
        if node.entry.remote:
            self.notify("This file is on the server only: enter fetches it first.", severity="warning")
            return
        if self._copies is None:
            self._copies = tempfile.mkdtemp(prefix="tracktui-artifact-")
        self._copy_for_editor(node, Path(self._copies))

    @work(
        thread=True,
        exclusive=True,
        group="artifacts-copy",
        exit_on_error=False,
        description="Copying an artifact for $EDITOR",
    )
    def _copy_for_editor(self, node: ArtifactNode, folder: Path) -> None:
        """A failure (the file vanished, the disk is full) is reported by the app, as every worker's is."""
        assert node.entry is not None
        target = Path(tempfile.mkdtemp(dir=folder)) / node.entry.path.name
        with open_regular(node.entry.path) as src, open(target, "xb") as dst:
            shutil.copyfileobj(src, dst, 1024 * 1024)
        target.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        post_result(self, ArtifactCopied(node.display_path, target))

    @on(ArtifactCopied)
    def _open_copy(self, copied: ArtifactCopied) -> None:
        self.notify(
            f"$EDITOR opens a read-only copy of {printable_line(copied.display_path)} ({copied.copy}); "
            "changes are not saved into the store",
            markup=False,
        )
        self._open_with("EDITOR", os.environ.get("VISUAL") or "vi", copied.copy)

    def on_unmount(self) -> None:
        if self._copies is not None:
            shutil.rmtree(self._copies, ignore_errors=True)

    def _open_with(self, variable: str, default: str, path: Path) -> None:
        try:
            command = [*shlex.split(os.environ.get(variable) or default), str(path)]
        except ValueError as exc:
            self.notify(f"${variable} cannot be parsed: {exc}", severity="error", markup=False)
            return
        try:
            with self.app.suspend():
                # The terminal belongs to the command until it exits, so this blocks on purpose.
                outcome = self._run(command)
        except SuspendNotSupported:
            self._run_detached(command, variable)
            return
        self._after_external(command, outcome)

    @staticmethod
    def _run(command: list[str], **kwargs: object) -> int | str:
        """The command's exit code, or why it could not start."""
        try:
            env = users_environment()
            return int(subprocess.run(command, check=False, env=env, **kwargs).returncode)  # type: ignore[call-overload]
        except OSError as exc:
            return f"cannot run {command[0]}: {exc.strerror or exc}"
        except subprocess.TimeoutExpired:
            return f"{command[0]} did not finish within {kwargs.get('timeout')} s and was stopped"

    @work(
        thread=True,
        exclusive=True,
        group="artifacts-external",
        exit_on_error=False,
        description="Running $PAGER/$EDITOR without a terminal",
    )
    def _run_detached(self, command: list[str], variable: str) -> None:
        outcome = self._run(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600
        )
        post_result(
            self,
            ExternalCommandDone(command, outcome, f"this terminal cannot hand over to ${variable}; it ran without one"),
        )

    @on(ExternalCommandDone)
    def _external_done(self, done: ExternalCommandDone) -> None:
        self._after_external(done.command, done.outcome, done.note)

    def _after_external(self, command: list[str], outcome: int | str, note: str = "") -> None:
        if isinstance(outcome, str):
            self.notify(outcome, severity="error", markup=False)
        elif outcome != 0:
            self.notify(f"{Path(command[0]).name} exited with status {outcome}", severity="warning", markup=False)
        elif note:
            self.notify(note, markup=False)
