"""The files of a run (and its extra labelled folders) as a tree with sizes and modification times.

Folders are listed in a thread worker the first time they open, so a slow or huge folder
never blocks the UI. Names are artifact data and are drawn as `Text`, never markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ..artifacts.files import ArtifactEntry, UnreadableArtifact, list_folder, with_remote
from ..artifacts.kinds import human_size
from ..messages import ForwardsWorkerFailures, post_result
from ..shaping.formatting import format_timestamp
from ..shaping.sanitize import printable_line

MAX_NAME_COLUMN = 28
"""Widest the name column gets, counting a folder's expand icon: longer names are cut with an ellipsis."""
SHOW_MTIME_MIN_WIDTH = 56
"""The tree shows modification times only when it is at least this wide."""


@dataclass(frozen=True)
class ArtifactNode:
    """What a tree node stands for: an entry, the labelled root it is under and its path there."""

    entry: ArtifactEntry | None
    root: str
    rel: PurePosixPath
    name_width: int = 0
    message: str | None = None
    """For placeholder nodes (loading, empty, errors): the text to show instead of an entry."""

    @property
    def is_file(self) -> bool:
        return self.entry is not None and not self.entry.is_dir

    @property
    def display_path(self) -> str:
        return self.root if str(self.rel) == "." else f"{self.root}/{self.rel}"


@dataclass
class FolderListed(Message):
    """An artifact folder listed for the tree (`problem` when it could not be)."""

    node: TreeNode[ArtifactNode]
    data: ArtifactNode
    entries: list[ArtifactEntry]
    problem: str | None = None


class ArtifactTree(ForwardsWorkerFailures, Tree[ArtifactNode]):
    """Roots are `(label, folder)` pairs; a missing folder shows as a note under its label."""

    DEFAULT_CSS = """
    ArtifactTree {
        background: $surface;
        & > .artifact-tree--meta { color: $text-muted; }
        & > .artifact-tree--folder { color: $text-primary; text-style: bold; }
        & > .artifact-tree--problem { color: $text-error; }
        & > .artifact-tree--message { color: $text-muted; text-style: italic; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = Tree.COMPONENT_CLASSES | {
        "artifact-tree--meta",
        "artifact-tree--folder",
        "artifact-tree--problem",
        "artifact-tree--message",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select_cursor",
            "Preview",
            id="artifact_tree.preview",
            tooltip="Preview the file under the cursor (a folder opens or closes)",
        ),
    ]

    def __init__(
        self, roots: list[tuple[str, Path | None]], *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(Text("artifacts"), id=id, classes=classes)
        self.show_root = False
        self.guide_depth = 3
        self._roots = roots
        self._listed: set[int] = set()
        self._remote: dict[PurePosixPath, dict[str, int]] = {}
        """Under the first root: folder -> {file name: size} of the files a server lists that are not cached."""

    def on_mount(self) -> None:
        for index, (label, folder) in enumerate(self._roots):
            if folder is None:
                self.root.add_leaf(
                    Text(),
                    ArtifactNode(None, label, PurePosixPath("."), message=f"{label}: this run has no artifacts folder"),
                )
                continue
            entry = ArtifactEntry(folder, label, True, None, None)
            node = self.root.add(Text(), ArtifactNode(entry, label, PurePosixPath(".")))
            if index == 0:
                node.expand()
        self.root.expand()
        if self.root.children:
            self.move_cursor(self.root.children[0])

    # -- listing ------------------------------------------------------------------------------

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[ArtifactNode]) -> None:
        node = event.node
        if node.tree is not self or node.id in self._listed or node.data is None or node.data.entry is None:
            return
        self._listed.add(node.id)
        node.add_leaf(Text(), ArtifactNode(None, node.data.root, node.data.rel, message="listing…"))
        self._list(node, node.data)

    def set_remote(self, files: dict[PurePosixPath, int]) -> None:
        """Files on a server, by path under the first root, not in its local folder: shown with `on server`.
        The folders listed so far are listed again with them."""
        self._remote = {}
        for path, size in files.items():
            self._remote.setdefault(path.parent, {})[path.name] = size
        first = self._roots[0][0] if self._roots else None
        for node in self._listed_nodes():
            if node.data is not None and node.data.root == first:
                self._list(node, node.data)

    def fetched(self, path: PurePosixPath) -> None:
        """A file of the first root is now in its local folder: list its folder again (the others stay open)."""
        self._remote.get(path.parent, {}).pop(path.name, None)
        first = self._roots[0][0] if self._roots else None
        for node in self._listed_nodes():
            if node.data is not None and node.data.root == first and node.data.rel == path.parent:
                self._list(node, node.data)

    def _listed_nodes(self) -> list[TreeNode[ArtifactNode]]:
        nodes: list[TreeNode[ArtifactNode]] = []
        todo = list(self.root.children)
        while todo:
            node = todo.pop()
            if node.id in self._listed:
                nodes.append(node)
                todo.extend(node.children)
        return nodes

    @work(thread=True, exit_on_error=False, group="artifact-tree-list", description="Listing an artifact folder")
    def _list(self, node: TreeNode[ArtifactNode], data: ArtifactNode) -> None:
        assert data.entry is not None
        try:
            entries = list_folder(data.entry.path)
            problem = None
        except UnreadableArtifact as exc:
            entries, problem = [], str(exc)
        post_result(self, FolderListed(node, data, entries, problem))

    def on_folder_listed(self, message: FolderListed) -> None:
        message.stop()
        self._show_listing(message.node, message.data, message.entries, message.problem)

    def _show_listing(
        self, node: TreeNode[ArtifactNode], data: ArtifactNode, entries: list[ArtifactEntry], problem: str | None
    ) -> None:
        """Merged here, not in the worker, so a listing that was under way when `set_remote` came still gets them."""
        remote = self._remote.get(data.rel) if self._roots and data.root == self._roots[0][0] else None
        if remote and data.entry is not None:
            entries, problem = with_remote(entries, data.entry.path, remote), None
        node.remove_children()
        if problem is not None:
            node.add_leaf(Text(), ArtifactNode(None, data.root, data.rel, message=problem))
            return
        if not entries:
            node.add_leaf(Text(), ArtifactNode(None, data.root, data.rel, message="(empty)"))
            return
        icon = cell_len(self.ICON_NODE)
        width = min(max(len(e.name) + (1 + icon if e.is_dir else 0) for e in entries), MAX_NAME_COLUMN)
        for entry in entries:
            child = ArtifactNode(entry, data.root, data.rel / entry.name, width)
            if entry.is_dir:
                node.add(Text(), child)
            else:
                node.add_leaf(Text(), child)

    # -- drawing -----------------------------------------------------------------------------

    def render_label(self, node: TreeNode[ArtifactNode], base_style: Style, style: Style) -> Text:
        data = node.data
        label = Text(no_wrap=True, end="")
        if node.allow_expand:
            label.append(self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE, base_style)
        if data is None:
            return label
        if data.message is not None:
            label.append(printable_line(data.message), self.get_component_rich_style("artifact-tree--message") + style)
            return label
        entry = data.entry
        assert entry is not None
        if str(data.rel) == ".":
            label.append(printable_line(data.root), self.get_component_rich_style("artifact-tree--folder") + style)
            return label
        name = printable_line(entry.name) + ("/" if entry.is_dir else "")
        room = MAX_NAME_COLUMN - label.cell_len
        if len(name) > room:
            name = name[: room - 1] + "\N{HORIZONTAL ELLIPSIS}"
        name_style = self.get_component_rich_style("artifact-tree--folder") if entry.is_dir else Style()
        if entry.problem:
            name_style = self.get_component_rich_style("artifact-tree--problem")
        label.append(name.ljust(data.name_width - label.cell_len), name_style + style)
        meta = self.get_component_rich_style("artifact-tree--meta") + style
        if entry.problem:
            label.append("  " + printable_line(entry.problem), meta)
            return label
        label.append(f"  {'' if entry.is_dir else human_size(entry.size):>8}", meta)
        if entry.remote:
            label.append("  on server", meta)
        elif self.size.width >= SHOW_MTIME_MIN_WIDTH:
            label.append(f"  {format_timestamp(entry.mtime, seconds=False) or '?'}", meta)
        return label
