"""A parsed JSON or YAML document as a collapsible tree; children are added when a node opens.

Keys and values are artifact data: labels are built as Rich `Text` (never markup) from
sanitized strings, so `[bold]` or an escape code in a config shows as typed.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ..shaping.formatting import long_int_text
from ..shaping.sanitize import printable_line

MAX_CHILDREN = 500
"""Children shown per node; the rest are summarised in one line."""
MAX_VALUE_CHARS = 200

_UNSET = object()


def number_text(value: int | float) -> str:
    """A number as typed, or a summary for an int too long to print (over 4,300 digits Python
    refuses `repr`, and no one reads thousands of digits anyway)."""
    if isinstance(value, int) and value.bit_length() > 600:
        return long_int_text(value)
    text = repr(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "\N{HORIZONTAL ELLIPSIS}"


def _key_text(key: Any) -> str:
    return number_text(key) if isinstance(key, (int, float)) and not isinstance(key, bool) else str(key)


def _scalar(value: Any) -> tuple[str, str]:
    """A value's text and the component class that colours it."""
    if value is None:
        return "null", "document-tree--null"
    if isinstance(value, bool):
        return ("true" if value else "false"), "document-tree--bool"
    if isinstance(value, (int, float)):
        return number_text(value), "document-tree--number"
    text = printable_line(str(value).replace("\n", "\N{RETURN SYMBOL}"))
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "\N{HORIZONTAL ELLIPSIS}"
    return (f'"{text}"' if isinstance(value, str) else text), "document-tree--string"


class DocumentTree(Tree[Any]):
    """Shows nested dicts and lists; a node's children are built the first time it is expanded."""

    DEFAULT_CSS = """
    DocumentTree {
        background: $surface;
        & > .document-tree--key { color: $text-primary; }
        & > .document-tree--string { color: $text-success; }
        & > .document-tree--number { color: $text-warning; }
        & > .document-tree--bool { color: $text-accent; }
        & > .document-tree--null { color: $text-muted; }
        & > .document-tree--summary { color: $text-muted; }
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = Tree.COMPONENT_CLASSES | {
        "document-tree--key",
        "document-tree--string",
        "document-tree--number",
        "document-tree--bool",
        "document-tree--null",
        "document-tree--summary",
    }

    def __init__(self, document: Any, label: str, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(Text(printable_line(label)), data=document, id=id, classes=classes)
        self._filled: set[int] = set()

    def on_mount(self) -> None:
        self._fill(self.root)
        self.root.expand()

    def _label(self, key: str | None, value: Any) -> Text:
        label = Text()
        if key is not None:
            key = key if len(key) <= MAX_VALUE_CHARS else key[: MAX_VALUE_CHARS - 1] + "\N{HORIZONTAL ELLIPSIS}"
            label.append(printable_line(key), self.get_component_rich_style("document-tree--key"))
            label.append(": ")
        if isinstance(value, dict):
            label.append(f"{{{len(value)} keys}}", self.get_component_rich_style("document-tree--summary"))
        elif isinstance(value, list):
            label.append(f"[{len(value)} items]", self.get_component_rich_style("document-tree--summary"))
        else:
            text, component = _scalar(value)
            label.append(text, self.get_component_rich_style(component))
        return label

    def _fill(self, node: TreeNode[Any]) -> None:
        """Add `node`'s children; a value that cannot be shown becomes a line saying why, never a crash."""
        if node.id in self._filled:
            return
        self._filled.add(node.id)
        try:
            self._fill_node(node)
        except Exception as exc:  # noqa: BLE001 - any value that cannot be shown is a line saying why (see docstring)
            why = Text(
                f"cannot show this part: {type(exc).__name__}: {printable_line(str(exc))[:MAX_VALUE_CHARS]}",
                self.get_component_rich_style("document-tree--summary"),
            )
            node.add_leaf(why, data=_UNSET)

    def _fill_node(self, node: TreeNode[Any]) -> None:
        value = node.data
        items: list[tuple[str, Any]]
        if isinstance(value, dict):
            items = [(_key_text(k), v) for k, v in value.items()]
        elif isinstance(value, list):
            items = [(f"[{i}]", v) for i, v in enumerate(value)]
        else:
            return
        for key, child in items[:MAX_CHILDREN]:
            if isinstance(child, (dict, list)) and child:
                node.add(self._label(key, child), data=child)
            else:
                node.add_leaf(self._label(key, child), data=_UNSET)
        if len(items) > MAX_CHILDREN:
            summary = self.get_component_rich_style("document-tree--summary")
            more = Text(f"… {len(items) - MAX_CHILDREN:,} more", summary)
            node.add_leaf(more, data=_UNSET)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[Any]) -> None:
        if event.node.tree is self:
            self._fill(event.node)
