"""One field of many runs as typed arrays: the cells of a param column mix None, bools, ints, floats and text.

A column is a `kind` array (which of the value arrays holds a row's cell) and only the value
arrays it needs: `i` (int64: ints and bools), `f` (float64), `s` (int32 codes into `vocab`; also
the decimal text of an int too large for int64, kind BIG: JSON params may hold any int).
Ints stay ints and bools stay bools when the column is turned back into Python values, which a
float array, or pandas' inference over a list, would not keep.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

NONE, BOOL, INT, FLOAT, STR, BIG = 0, 1, 2, 3, 4, 5
"""What a cell of a value column holds: `kind` says which of `i` (ints, bools), `f`, `s` (codes) to read."""
TEXT_KINDS = (STR, BIG)
"""The kinds held as codes into the vocabulary."""


def _distinct(words: list[str], vocab: dict[str, int]) -> bool:
    """Fill the empty `vocab` with `words` at their places, if no word is there twice (True); else leave it empty."""
    vocab.update(zip(words, range(len(words))))
    if len(vocab) == len(words):
        return True
    vocab.clear()  # a vocabulary read from a file may repeat a text: its codes are remapped
    return False


class ValueColumn:
    """One field over all rows: any of None, bool, int, float, str per cell."""

    __slots__ = ("f", "i", "kind", "s", "vocab")

    def __init__(self, kind: Any, f: Any = None, i: Any = None, s: Any = None, vocab: list[str] | None = None):
        self.kind, self.f, self.i, self.s, self.vocab = kind, f, i, s, vocab

    @classmethod
    def from_values(cls, values: Sequence[Any]) -> ValueColumn:
        import numpy as np

        n = len(values)
        same = cls._of_one_type(values)
        if same is not None:
            return same
        kind = np.zeros(n, dtype=np.int8)
        f = i = s = None
        vocab: dict[str, int] = {}
        for row, v in enumerate(values):
            t = type(v)
            if t is str:
                if s is None:
                    s = np.zeros(n, dtype=np.int32)
                code = vocab.get(v)
                if code is None:
                    code = vocab[v] = len(vocab)
                s[row] = code
                kind[row] = STR
            elif t is float:
                if f is None:
                    f = np.zeros(n)
                f[row] = v
                kind[row] = FLOAT
            elif t is int and not -(2**63) <= v < 2**63:  # kept as its text (2**70 once broke the listing)
                if s is None:
                    s = np.zeros(n, dtype=np.int32)
                text = str(v)
                code = vocab.get(text)
                if code is None:
                    code = vocab[text] = len(vocab)
                s[row] = code
                kind[row] = BIG
            elif t is int or t is bool:
                if i is None:
                    i = np.zeros(n, dtype=np.int64)
                i[row] = v
                kind[row] = BOOL if t is bool else INT
        return cls(kind, f, i, s, list(vocab) if s is not None else None)

    @classmethod
    def _of_one_type(cls, values: Sequence[Any]) -> ValueColumn | None:
        """`from_values` of values all of one type, by numpy and C loops (a listing of 100,000 runs);
        None for a mix, or ints beyond int64."""
        import numpy as np

        n = len(values)
        kinds = set(map(type, values))
        if len(kinds) != 1 or not n:
            return None
        only = kinds.pop()
        if only is str:
            words = list(dict.fromkeys(values))  # first seen first, as `from_values` numbers them
            code_of = {w: c for c, w in enumerate(words)}
            codes = np.fromiter(map(code_of.__getitem__, values), dtype=np.int32, count=n)
            return cls(np.full(n, STR, dtype=np.int8), None, None, codes, words)
        if only is float:
            return cls(np.full(n, FLOAT, dtype=np.int8), np.array(values, dtype=np.float64))
        if only is type(None):
            return cls(np.zeros(n, dtype=np.int8))
        if only is int and min(values) >= -(2**63) and max(values) < 2**63:
            return cls(np.full(n, INT, dtype=np.int8), None, np.array(values, dtype=np.int64))
        return None

    def holds_text(self, text: str) -> Any:
        """A bool array: the rows whose value is `text` (from the codes: no Python value made a row)."""
        import numpy as np

        found = np.zeros(len(self.kind), dtype=bool)
        for code, word in enumerate(self.vocab or ()):
            if word == text and self.s is not None:  # once, unless a file read in holds a word twice
                found |= self.s == code
        return found & (self.kind == STR)

    def objects(self) -> Any:
        """The column as an object array of Python values (what the runs frame holds)."""
        import numpy as np

        kind = self.kind
        out = np.empty(len(kind), dtype=object)
        if not len(kind):
            return out
        # Most columns hold one kind: a min and a max cost less than a count (and np.unique imports numpy.ma).
        low = int(kind.min())
        present = [low] if low == kind.max() else np.flatnonzero(np.bincount(kind, minlength=BIG + 1)).tolist()
        only = present[0] if len(present) == 1 else None
        if self.s is not None and STR in present:
            words = np.empty(len(self.vocab or ()), dtype=object)
            words[:] = self.vocab or []
            if only == STR:
                return words[self.s]
            m = kind == STR
            out[m] = words[self.s[m]]
        if self.f is not None and FLOAT in present:
            if only == FLOAT:
                return self.f.astype(object)
            m = kind == FLOAT
            out[m] = self.f[m].astype(object)
        if self.i is not None and INT in present:
            if only == INT:
                return self.i.astype(object)
            m = kind == INT
            out[m] = self.i[m].astype(object)
        if self.i is not None and BOOL in present:
            m = kind == BOOL
            out[m] = self.i[m].astype(bool).astype(object)
        if BIG in present:
            for row in (kind == BIG).nonzero()[0].tolist():
                out[row] = self.value(row)
        return out

    def value(self, row: int) -> Any:
        k = int(self.kind[row])
        if k == STR:
            return (self.vocab or [])[int(self.s[row])]
        if k == FLOAT:
            return float(self.f[row])
        if k == INT:
            return int(self.i[row])
        if k == BOOL:
            return bool(self.i[row])
        if k == BIG:
            return int((self.vocab or [])[int(self.s[row])])
        return None

    def take(self, rows: Any) -> ValueColumn:
        f, i, s = (None if a is None else a[rows] for a in (self.f, self.i, self.s))
        return ValueColumn(self.kind[rows], f, i, s, self.vocab)

    def compacted(self) -> ValueColumn:
        """This column with a vocabulary of only the texts its rows hold, when it holds far more (rows taken
        from a larger table keep its vocabulary: an index's journal of 200 changed runs of 100,000 wrote
        every run's id and name, 4 MB, decoded at every open)."""
        import numpy as np

        if self.vocab is None or self.s is None or len(self.vocab) <= 2 * len(self.kind) + 16:
            return self
        text = np.isin(self.kind, TEXT_KINDS)
        used = np.unique(self.s[text])
        s = np.zeros_like(self.s)
        s[text] = np.searchsorted(used, self.s[text])
        return ValueColumn(self.kind, self.f, self.i, s, [self.vocab[c] for c in used.tolist()])

    @staticmethod
    def concat(parts: Sequence[ValueColumn | None], lengths: Sequence[int]) -> ValueColumn:
        """Rows of each part after another; a missing part is that many empty cells."""
        import numpy as np

        vocab: dict[str, int] = {}
        kinds, fs, is_, ss = [], [], [], []
        for part, n in zip(parts, lengths):
            if part is None:
                kinds.append(np.zeros(n, dtype=np.int8))
                fs.append(np.zeros(n))
                is_.append(np.zeros(n, dtype=np.int64))
                ss.append(np.zeros(n, dtype=np.int32))
                continue
            kinds.append(part.kind)
            fs.append(part.f if part.f is not None else np.zeros(n))
            is_.append(part.i if part.i is not None else np.zeros(n, dtype=np.int64))
            if part.s is not None and not vocab and _distinct(part.vocab or [], vocab):
                ss.append(part.s)  # the first vocabulary is kept as it is (an index's base: 200,000 texts)
            elif part.s is not None:
                remap = np.array([vocab.setdefault(w, len(vocab)) for w in part.vocab or []], dtype=np.int32)
                ss.append(remap[part.s] if len(remap) else part.s)
            else:
                ss.append(np.zeros(n, dtype=np.int32))
        kind = np.concatenate(kinds)
        has = set(np.flatnonzero(np.bincount(kind, minlength=BIG + 1)).tolist())
        return ValueColumn(
            kind,
            np.concatenate(fs) if FLOAT in has else None,
            np.concatenate(is_) if has & {INT, BOOL} else None,
            np.concatenate(ss) if has & {STR, BIG} else None,
            list(vocab) if has & {STR, BIG} else None,
        )
