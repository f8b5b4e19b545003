"""The filter language's syntax tree: what `filter_expr` parses the text into and `filter_eval` evaluates.

Plain frozen dataclasses, so a parsed filter can be kept, compared and evaluated again on every
refresh without parsing the text again.
"""

from __future__ import annotations

from dataclasses import dataclass


class FilterError(ValueError):
    """A filter that cannot be parsed or applied.

    `position` is the character offset in the filter text where the problem is, so the
    filter line can put a marker under it; None when no single place is to blame.
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Value:
    text: str
    quoted: bool
    number: float | None
    """The value as a number when it is compared numerically, else None."""
    position: int
    ago: float | None = None
    """For `created`/`ended` given as an age (`2d`): seconds before the time the filter is applied."""
    span: float | None = None
    """For a date without a time: its length (a day), so `created = 2026-11-01` means that day."""


@dataclass(frozen=True)
class Compare:
    column: str
    op: str
    value: Value
    position: int


@dataclass(frozen=True)
class In:
    """`column in (a, b)`: equal to any of the values; `not in` is its negation."""

    column: str
    values: tuple[Value, ...]
    negated: bool
    position: int


@dataclass(frozen=True)
class Has:
    """`has:column`: the run has a value there."""

    column: str
    position: int


@dataclass(frozen=True)
class FreeText:
    term: str
    position: int


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    """All of `parts`; n-ary so a long run of words does not nest as deep as it is long."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Node, ...]


Node = Compare | In | Has | FreeText | Not | And | Or
CONDITIONS = (Compare, In, Has)
"""Nodes that test a field (as opposed to free text)."""

__all__ = ["CONDITIONS", "And", "Compare", "FilterError", "FreeText", "Has", "In", "Node", "Not", "Or", "Value"]
