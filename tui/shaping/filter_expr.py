"""The filter language of the runs table, parsed by hand and evaluated column-wise.

What the user types into the filter line::

    rf baseline                         free text: every word must appear (case-insensitive) in
                                        the name, experiment, run id or a tag value
    metrics.mse < 5                     a comparison: field, operator, value
    degree >= 2 and not status = failed
    (mse < 5 or mae < 2) and stage = "final round"
    name ~ '^rf-\\d+'  /  name !~ tmp   regex search, case-insensitive; plain text works too

Operators: ``= == != < <= > >= ~ !~`` (``=~`` is accepted for ``~``), combined with ``and``,
``or``, ``not`` and parentheses; ``not`` binds tightest, then ``and``, then ``or``. Terms
written side by side are joined with ``and``. To search for the words ``and``/``or``/``not``
themselves, quote them. Free text and comparisons do not mix (``rf mse < 5`` is an error; write
``name ~ rf and mse < 5``), so a half-typed expression never filters by a stray word.

Fields are a full column name (``metrics.train/loss``) or a short one when only one column
fits: the name without its ``params.``/``metrics.``/``tags.`` prefix (``mse``), then, case-
insensitively, the last part after a ``.`` or ``/`` (``lr`` for ``params.optim.lr``). A name that
fits several columns is an error that lists them. The data a run used is in ``inputs.*`` columns
(digests), with ``inputs.name`` and ``inputs.digest`` for "any input": see filter_inputs.py.

Values and how they compare:

* An unquoted number (``5``, ``-1.5``, ``1e-3``, ``inf``) compares numerically with every cell
  that reads as a number, so a param logged as ``2`` and one logged as ``"2"`` both match
  ``degree = 2``. Cells that do not read as numbers (``"abc"``, booleans) are never equal to a
  number and never less or greater than one.
* Anything else, and anything quoted, compares as case-insensitive text with the cell as it is
  shown (``params.use_bn = true``, ``status = FAILED``); quoting is how to ask for text, e.g.
  ``tags.version = "1.10"``. Metrics and ``created``/``ended``/``duration`` only hold numbers:
  their values are read as numbers even when quoted, and a value that is not a number is an
  error rather than a comparison that silently matches nothing.
* Missing cells (NaN/None) match no comparison, except that ``!=`` and ``!~`` are exactly the
  negation of ``=`` and ``~``: ``mse != 3`` keeps runs that have no ``mse``, the same rows as
  ``not mse = 3``. This is what "hide these rows" means to someone filtering a table.
  ``mse = nan`` keeps the runs where ``mse`` is missing and ``mse != nan`` those where it is
  present; ``nan`` has no order, so ``mse < nan`` is an error.

The text is only ever tokenised and parsed here (into `filter_tree`'s nodes); it is never
handed to ``eval`` or ``DataFrame.query``, because it may come from store data (saved filters,
tag values). `filter_eval` evaluates the tree on whole columns (text work on each column's
distinct values), so a filter costs well under 50 ms on 10,000 runs and can run on every keystroke.
"""

from __future__ import annotations

import difflib
import math
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, cast

from .filter_eval import Columns, columns_of, evaluate
from .filter_inputs import (
    any_input_field,
    is_input_field,
)
from .filter_tree import CONDITIONS, And, Compare, FilterError, FreeText, Has, In, Node, Not, Or, Value
from .status import STATUS_LOOKS

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:
    from .lazy_modules import np, pd

__all__ = ["Filter", "FilterError", "apply_filter", "parse_filter", "resolve_field", "status_hint"]

PREFIXES = ("params.", "metrics.", "tags.", "inputs.")
"""Column families whose prefix may be left out of a field name."""

NUMERIC_COLUMNS = frozenset({"created", "ended", "duration"})
"""Columns (besides ``metrics.*``) that hold only numbers, whatever the frame's dtypes say."""

COMPARISON_OPERATORS = ("==", "!=", "<=", ">=", "!~", "=~", "=", "<", ">", "~")
"""Longest first, so the tokenizer takes ``<=`` before ``<``."""

KEYWORDS = frozenset({"and", "or", "not"})
TIME_COLUMNS = frozenset({"created", "ended"})
"""Seconds since the epoch: compared with dates (`2026-11-01`) and ages (`2d`: two days ago)."""
HAS_PREFIX = "has:"
DURATION_UNITS = {"s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(sec|min|s|m|h|d|w)", re.IGNORECASE)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T_](\d{2}):(\d{2})(?::(\d{2}))?)?")
KNOWN_STATUSES = tuple(STATUS_LOOKS)
WORD_BREAKERS = frozenset("()=!<>~")
QUOTES = frozenset("\"'")


# -- tokens ------------------------------------------------------------------------------

TokenKind = Literal["word", "string", "op", "lparen", "rparen"]


@dataclass(frozen=True)
class _Token:
    kind: TokenKind
    text: str
    """The word, the operator, or a quoted string's content with its escapes undone."""
    start: int
    end: int

    @property
    def keyword(self) -> str | None:
        """``and``/``or``/``not`` when this is one of them unquoted, so quoting escapes them."""
        if self.kind == "word" and self.text.lower() in KEYWORDS:
            return self.text.lower()
        return None


def _tokenize(text: str) -> list[_Token]:
    """Split the filter into tokens.

    Words run until whitespace, a parenthesis or an operator character, so field names
    and values may contain ``. / - _ * ^ $ | \\`` without quoting. A quote only opens a string
    at the start of a token, so ``it's`` is one word; inside a string a backslash escapes the
    quote or another backslash, and any other backslash is kept (regexes like ``'\\d+ x'``).
    """
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "(":
            tokens.append(_Token("lparen", ch, i, i + 1))
            i += 1
        elif ch == ")":
            tokens.append(_Token("rparen", ch, i, i + 1))
            i += 1
        elif ch in QUOTES:
            content, end = _read_string(text, i)
            tokens.append(_Token("string", content, i, end))
            i = end
        elif ch in WORD_BREAKERS:
            op = next((o for o in COMPARISON_OPERATORS if text.startswith(o, i)), None)
            if op is None:
                raise FilterError(f"unexpected '{ch}' at {i} — did you mean '!=' or '!~'?", i)
            tokens.append(_Token("op", "~" if op == "=~" else op, i, i + len(op)))
            i += len(op)
        else:
            start = i
            while i < n and not text[i].isspace() and text[i] not in WORD_BREAKERS:
                i += 1
            tokens.append(_Token("word", text[start:i], start, i))
    return tokens


def _read_string(text: str, start: int) -> tuple[str, int]:
    """The content of the quoted string opening at `start`, and the offset just past it."""
    quote = text[start]
    parts: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] in (quote, "\\"):
            parts.append(text[i + 1])
            i += 2
        elif ch == quote:
            return "".join(parts), i + 1
        else:
            parts.append(ch)
            i += 1
    raise FilterError(f"missing closing {quote} for the text quoted at {start}", start)


# -- parsing -----------------------------------------------------------------------------


class _Parser:
    """Recursive descent over the tokens: or_expr > and_expr > not_expr > atom."""

    def __init__(self, text: str, columns: Sequence[str]) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0
        self.columns = [str(c) for c in columns]

    def parse(self) -> Node | None:
        if not self.tokens:
            return None
        node = self._or()
        token = self._peek()
        if token is not None:
            raise self._stray(token)
        return node

    def _peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _next(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _here(self) -> int:
        """Where the next token starts, or the end of the text: where a missing thing goes."""
        following = self._peek()
        return following.start if following is not None else len(self.text)

    def _or(self) -> Node:
        parts = [self._and()]
        while (token := self._peek()) is not None and token.keyword == "or":
            self._next()
            parts.append(self._operand_after(token))
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def _and(self) -> Node:
        parts = [self._not()]
        while (token := self._peek()) is not None:
            if token.keyword == "and":
                self._next()
                parts.append(self._operand_after(token, tighter=True))
            elif self._starts_operand(token):
                parts.append(self._not())
            else:
                break
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def _operand_after(self, keyword: _Token, tighter: bool = False) -> Node:
        token = self._peek()
        if token is None or not self._starts_operand(token):
            raise FilterError(f"expected a condition after '{keyword.text}'", self._here())
        return self._not() if tighter else self._and()

    @staticmethod
    def _starts_operand(token: _Token) -> bool:
        return token.kind in ("word", "string", "lparen") and token.keyword in (None, "not")

    def _not(self) -> Node:
        token = self._peek()
        if token is not None and token.keyword == "not":
            self._next()
            following = self._peek()
            if following is None or not self._starts_operand(following):
                raise FilterError("expected a condition after 'not'", self._here())
            return Not(self._not())
        return self._atom()

    def _atom(self) -> Node:
        token = self._peek()
        if token is None or not self._starts_operand(token):
            raise self._stray(token) if token is not None else FilterError("expected a condition", len(self.text))
        self._next()
        if token.kind == "lparen":
            following = self._peek()
            if following is not None and following.kind == "rparen":
                raise FilterError(f"empty parentheses at {token.start}", token.start)
            if following is None:
                raise FilterError(f"unbalanced parenthesis at {token.start}: nothing after '('", token.start)
            node = self._or()
            closing = self._peek()
            if closing is None:
                raise FilterError(f"unbalanced parenthesis at {token.start}: no ')' closes it", token.start)
            if closing.kind != "rparen":
                raise self._stray(closing)
            self._next()
            return node
        if token.kind == "word" and token.text.lower().startswith(HAS_PREFIX) and len(token.text) > len(HAS_PREFIX):
            name = token.text[len(HAS_PREFIX) :]
            return Has(_resolve_field(name, self.columns, token.start + len(HAS_PREFIX)), token.start)
        following = self._peek()
        if following is not None and following.kind == "op":
            return self._comparison(token)
        negated = self._in_follows()
        if negated is not None:
            return self._in_list(token, negated)
        return FreeText(token.text, token.start)

    def _in_follows(self) -> bool | None:
        """Whether `in (` or `not in (` comes next (and consume it): False, True, or None when not."""
        rest = self.tokens[self.index : self.index + 3]
        words = [t.text.lower() if t.kind == "word" else t.kind for t in rest]
        if words[:2] == ["in", "lparen"]:
            self.index += 2
            return False
        if words[:3] == ["not", "in", "lparen"]:
            self.index += 3
            return True
        return None

    def _in_list(self, field_token: _Token, negated: bool) -> In:
        """The values of `field in (a, b, "c d")` after its `(`; commas separate them."""
        column = _resolve_field(field_token.text, self.columns, field_token.start)
        opening = self.tokens[self.index - 1]
        values: list[Value] = []
        while True:
            token = self._peek()
            if token is None:
                raise FilterError(f"unbalanced parenthesis at {opening.start}: no ')' closes the list", opening.start)
            self._next()
            if token.kind == "rparen":
                break
            if token.kind == "string":
                values.append(_make_value(column, "=", token))
            elif token.kind == "word":
                offset = token.start
                for piece in token.text.split(","):
                    if piece:
                        values.append(_make_value(column, "=", _Token("word", piece, offset, offset + len(piece))))
                    offset += len(piece) + 1
            else:
                raise FilterError(f"unexpected '{token.text}' in the list at {token.start}", token.start)
        if not values:
            raise FilterError(f"empty list after 'in' at {opening.start}", opening.start)
        return In(column, tuple(values), negated, field_token.start)

    def _comparison(self, field_token: _Token) -> Compare:
        op = self._next()
        value_token = self._peek()
        if value_token is None or value_token.kind not in ("word", "string") or value_token.keyword:
            raise FilterError(f"expected a value after '{op.text}'", self._here())
        self._next()
        column = _resolve_field(field_token.text, self.columns, field_token.start)
        value = _make_value(column, op.text, value_token)
        return Compare(column, op.text, value, field_token.start)

    def _stray(self, token: _Token) -> FilterError:
        """The error for a token that cannot continue what came before it."""
        if token.kind == "rparen":
            return FilterError(f"unbalanced parenthesis at {token.start}: no '(' before it", token.start)
        if token.kind == "op":
            before = self.tokens[self.index - 1] if self.index > 0 else None
            if before is not None and before.kind in ("word", "string") and not before.keyword:
                return FilterError(
                    f"unexpected '{token.text}' at {token.start} — join comparisons with 'and'", token.start
                )
            return FilterError(f"expected a field name before '{token.text}'", token.start)
        return FilterError(f"expected a condition before '{token.text}'", token.start)


def _short_names(column: str) -> tuple[str, str | None]:
    """The name without its family prefix, and the part after the last ``.``/``/`` of that."""
    short = column
    for prefix in PREFIXES:
        if column.startswith(prefix):
            short = column[len(prefix) :]
            break
    cut = max(short.rfind("."), short.rfind("/"))
    return short, (short[cut + 1 :] if cut >= 0 else None)


def resolve_field(name: str, columns: Sequence[str]) -> str:
    """The column a field name means (full or short name, as in filters); FilterError if none or several."""
    return _resolve_field(name, columns, 0)


def _resolve_field(name: str, columns: Sequence[str], position: int) -> str:
    """The column a field name means, trying the most specific reading first.

    Each tier is only consulted when the ones before it found nothing, so a full name
    always wins over a short name that happens to equal it (``status`` vs ``tags.status``).
    """
    virtual = any_input_field(name, columns)
    if virtual is not None:
        return virtual
    lowered = name.lower()
    shorts = {c: _short_names(c) for c in columns}
    tiers = (
        [c for c in columns if c == name],
        [c for c in columns if shorts[c][0] == name and c != shorts[c][0]],
        [c for c in columns if c.lower() == lowered],
        [c for c in columns if shorts[c][0].lower() == lowered],
        [c for c in columns if (shorts[c][1] or "").lower() == lowered],
    )
    for found in tiers:
        unique = list(dict.fromkeys(found))
        if len(unique) == 1:
            return unique[0]
        if len(unique) > 1:
            raise FilterError(
                f"ambiguous field '{name}' — it could be {', '.join(unique)}; write the full name", position
            )
    raise FilterError(f"unknown field '{name}'{_suggestion(name, columns)}", position)


def _suggestion(name: str, columns: Sequence[str]) -> str:
    """`` — did you mean …?`` naming the columns spelled most like `name`, or nothing.

    A name typed with a family prefix is compared with full names, one without it with
    short names, so ``metrics.msee`` is not "close" to every metric through the shared prefix.
    Only the best few, about equally close, are offered, in a stable order.
    """
    typed = name.lower()
    prefixed = typed.startswith(PREFIXES)
    by_spelling: dict[str, str] = {}
    for column in columns:
        by_spelling.setdefault(column.lower() if prefixed else _short_names(column)[0].lower(), column)
    scored: list[tuple[float, str]] = []
    for spelling, column in by_spelling.items():
        matcher = difflib.SequenceMatcher(None, typed, spelling)
        if matcher.real_quick_ratio() >= 0.6 and matcher.quick_ratio() >= 0.6 and matcher.ratio() >= 0.6:
            scored.append((-matcher.ratio(), column))
    if not scored:
        return ""
    scored.sort()
    best = -scored[0][0]
    meant = list(dict.fromkeys(column for score, column in scored if -score >= best - 0.1))[:3]
    return " — did you mean " + (" or ".join(meant) if len(meant) <= 2 else ", ".join(meant)) + "?"


def _is_numeric_column(column: str) -> bool:
    return column.startswith("metrics.") or column in NUMERIC_COLUMNS


def _as_number(text: str) -> float | None:
    """`text` as a float when it is written like one (``1e-3``, ``inf``, ``nan``), else None."""
    if not text or text.strip() != text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def parse_duration(text: str) -> float | None:
    """Seconds in `90s`, `10m`, `1h30m`, `2d`, `1w` (also `min`, `sec`); None if it is not one."""
    text = text.strip()
    if not text or _DURATION.sub("", text):
        return None
    return sum(float(n) * DURATION_UNITS[unit.lower()] for n, unit in _DURATION.findall(text))


def _parse_date(text: str) -> tuple[float, float | None] | None:
    """Local time of `YYYY-MM-DD[THH:MM[:SS]]` in seconds, and a day's length for a date alone."""
    match = _DATE.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day, hour, minute, second = match.groups()
    try:
        when = pd.Timestamp(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return None
    seconds = float(time.mktime(when.timetuple()))
    return seconds, (86400.0 if hour is None else None)


def _time_value(column: str, op: str, token: _Token) -> Value | None:
    """`created > 2d`, `created < 2026-11-01`, `duration > 10m`: the value, or None for a plain number."""
    if _as_number(token.text) is not None or op in ("~", "!~"):
        return None
    if column == "duration":
        seconds = parse_duration(token.text)
        return None if seconds is None else Value(token.text, token.kind == "string", seconds, token.start)
    if column not in TIME_COLUMNS:
        return None
    age = parse_duration(token.text)
    if age is not None:
        if op in ("=", "==", "!="):
            raise FilterError(
                f"'{token.text}' is an age; compare it with < or > ({column} > {token.text}: in the last {token.text})",
                token.start,
            )
        return Value(token.text, token.kind == "string", 0.0, token.start, ago=age)
    date = _parse_date(token.text)
    if date is None:
        raise FilterError(
            f"{column} takes a date (2026-11-01, 2026-11-01T14:30) or an age (2d, 3h, 10m); '{token.text}' is neither",
            token.start,
        )
    seconds, span = date
    return Value(
        token.text, token.kind == "string", seconds, token.start, span=span if op in ("=", "==", "!=") else None
    )


def _make_value(column: str, op: str, token: _Token) -> Value:
    """Decide at parse time how the value compares, so mistakes show while typing."""
    quoted = token.kind == "string"
    timed = _time_value(column, op, token)
    if timed is not None:
        return timed
    if op in ("~", "!~"):
        try:
            re.compile(token.text, re.IGNORECASE)
        except re.error as exc:
            offset = token.start + (1 if quoted else 0) + (exc.pos or 0)
            raise FilterError(
                f"invalid regular expression '{token.text}': {exc.msg} — escape special characters with \\",
                min(offset, token.end),
            ) from None
        return Value(token.text, quoted, None, token.start)
    if is_input_field(column):  # names and digests are text, even `1234`
        if op not in ("=", "==", "!="):
            raise FilterError(f"{column} holds names and digests: compare with = or ~, not '{op}'", token.start)
        return Value(token.text, quoted, None, token.start)
    number = _as_number(token.text)
    if quoted and not _is_numeric_column(column):
        number = None
    if number is None and _is_numeric_column(column):
        raise FilterError(f"{column} holds numbers; '{token.text}' is not a number", token.start)
    if number is not None and math.isnan(number) and op not in ("=", "==", "!="):
        raise FilterError(
            f"nan has no order; use '{column} = nan' for runs without it, '!= nan' for runs with it",
            token.start,
        )
    return Value(token.text, quoted, number, token.start)


@dataclass(frozen=True)
class Filter:
    """A parsed filter; build it with `parse_filter`, which checks fields against the table.

    Keep it and call `mask` again when the table refreshes: parsing happens once, and
    `mask` only does column-wise work.
    """

    text: str
    _root: Node | None = field(default=None, repr=False)

    @property
    def is_free_text(self) -> bool:
        """Only words, no comparison: what a half-typed expression looks like before its operator."""
        stack = [self._root] if self._root is not None else []
        while stack:
            node = stack.pop()
            if isinstance(node, CONDITIONS):
                return False
            if isinstance(node, Not):
                stack.append(node.child)
            elif isinstance(node, (And, Or)):
                stack.extend(node.parts)
        return self._root is not None

    @property
    def matches_all(self) -> bool:
        """True for the empty filter, so callers can skip masking and show the table as it is."""
        return self._root is None

    def mask(self, frame: pd.DataFrame, now: float | None = None, columns: Columns | None = None) -> np.ndarray:
        """One bool per row of `frame`, True for the rows the filter keeps.

        Ages (`created > 2d`) count back from `now` (default: the time of this call), so a
        filter kept across refreshes stays "the last two days". `columns`: the frame's
        prepared columns, when the caller keeps them (`columns_of` keeps only the last few).
        Raises FilterError if `frame` lacks a column the filter was parsed against.
        """
        if self._root is None:
            return np.ones(len(frame), dtype=bool)
        if columns is None or columns.frame is not frame:
            columns = columns_of(frame, now)
        else:
            columns.now = time.time() if now is None else now
        return np.asarray(evaluate(self._root, columns), dtype=bool)

    def conditions(self) -> list[Compare | In | Has]:
        """The field tests in the filter, in no particular order."""
        found: list[Compare | In | Has] = []
        stack = [self._root] if self._root is not None else []
        while stack:
            node = stack.pop()
            if isinstance(node, CONDITIONS):
                found.append(node)
            elif isinstance(node, Not):
                stack.append(node.child)
            elif isinstance(node, (And, Or)):
                stack.extend(node.parts)
        return found


def parse_filter(text: str, columns: Sequence[str]) -> Filter:
    """Parse what the user typed into a `Filter`, resolving field names against `columns`.

    Empty or blank text gives a filter that keeps every row. Raises FilterError with a
    message for the user and the offset to mark.
    """
    try:
        root = _Parser(text, columns).parse()
    except RecursionError:
        raise FilterError("the filter nests parentheses or 'not' too deeply", None) from None
    _refuse_mixed(root)
    return Filter(text, root)


def _refuse_mixed(root: Node | None) -> None:
    """Free text and comparisons do not mix: once there is a comparison, a bare word is an error.

    The filter applies on every keystroke. While someone types `mse < 1 and degree >= 2`,
    the half-typed `mse < 1 and deg` would otherwise be a valid search for the word "deg"
    and empty the table; as an error, the table keeps the last complete expression.
    """
    words: list[FreeText] = []
    compares = 0
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, FreeText):
            words.append(node)
        elif isinstance(node, CONDITIONS):
            compares += 1
        elif isinstance(node, Not):
            stack.append(node.child)
        elif isinstance(node, (And, Or)):
            stack.extend(node.parts)
    if words and compares:
        first = min(words, key=lambda w: w.position)
        raise FilterError(
            f"'{first.term}' is not a comparison; match text with a field, e.g. name ~ \"{first.term}\" "
            f"(quote a pattern with spaces or parentheses)",
            first.position,
        )


def apply_filter(frame: pd.DataFrame, text: str) -> pd.DataFrame:
    """The rows of `frame` that `text` keeps, parsed against the frame's own columns."""
    return cast(pd.DataFrame, frame[parse_filter(text, list(frame.columns)).mask(frame)])


def status_hint(flt: Filter, frame: pd.DataFrame, deleted_listed: bool = False) -> str | None:
    """Why `status = X` (or `status in (...)`) found nothing, with the statuses there are.

    The filter line shows this when a status equality matches no run at all (a typo such as
    `finised`, or `deleted` without `--deleted`); None when every status asked for exists.
    `deleted_listed`: the store lists its trash, so no deleted run means the trash is empty.
    """
    if "status" not in frame.columns:
        return None
    present = frame["status"].dropna().astype(str).value_counts()
    have = {str(s).lower() for s in present.index}
    asked: list[str] = []
    for node in flt.conditions():
        if isinstance(node, Compare) and node.column == "status" and node.op in ("=", "=="):
            asked.append(node.value.text)
        elif isinstance(node, In) and node.column == "status" and not node.negated:
            asked.extend(v.text for v in node.values)
    missing = [a for a in asked if a.lower() not in have]
    if not missing:
        return None
    wanted = missing[0]
    here = ", ".join(f"{status} ({count})" for status, count in present.items()) or "none"
    if wanted.lower() == "deleted" and deleted_listed:
        return f"the trash is empty (no run is deleted); statuses here: {here}"
    if wanted.lower() == "deleted":
        return f"no deleted runs are listed (open the store with --deleted to see them); statuses here: {here}"
    close = difflib.get_close_matches(wanted.lower(), KNOWN_STATUSES, n=1, cutoff=0.6)
    meant = f" — did you mean {close[0]}?" if close else "."
    return f"no run has status '{wanted}'{meant} Statuses here: {here}"
