"""The runs filter's words for the data a run used: `inputs.*` columns hold each input's digest.

A listing has one `inputs.<name>` column per input name (store/frame.py), holding that input's
content digest (`sha256:…`, DVC's `md5:…`, or "" when none is known). On top of the columns:

* `inputs.<name> = ab12` compares digests by *prefix*, ignoring case and the `sha256:`/`md5:`
  label, so the first characters someone copied from the diff are enough;
* `inputs.name` and `inputs.digest` mean "any input": `inputs.name = train.csv` keeps runs
  that used an input of that name, `inputs.digest = ab12` runs with any input whose digest
  starts so (`~` searches names or digests by regex, `!=`/`!~` negate, `in (…)` works);
* `has:inputs.train.csv` (or `has:train.csv` when no other column has that short name)
  keeps runs that used it at all, `has:inputs.name` runs that logged any input.

Only equality and regex make sense for names and digests: `<`/`>` on them is an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
else:
    from .lazy_modules import pd


INPUTS_PREFIX = "inputs."
ANY_NAME = "inputs.name"
ANY_DIGEST = "inputs.digest"
ANY_INPUT_FIELDS = (ANY_NAME, ANY_DIGEST)


def is_input_field(column: str) -> bool:
    return column.startswith(INPUTS_PREFIX)


def any_input_field(name: str, columns: Sequence[str]) -> str | None:
    """`inputs.name`/`inputs.digest` when `name` is one of them and no real column has that name."""
    lowered = name.lower()
    if lowered in ANY_INPUT_FIELDS and name not in columns:
        return lowered
    return None


def input_columns(columns: Iterable[object]) -> list[str]:
    return [str(c) for c in columns if str(c).startswith(INPUTS_PREFIX)]


def bare_digest(text: str) -> str:
    """`sha256:AB12…` -> `ab12…`: the hex part, lower case."""
    return text.split(":", 1)[-1].strip().lower()


def digest_prefix_hits(distinct: pd.Series, value: str) -> pd.Series:
    """One bool per distinct digest cell: it starts with `value` (an empty value asks for no digest)."""
    wanted = bare_digest(value)
    bare = distinct.astype(str).map(bare_digest)
    return bare == "" if not wanted else bare.str.startswith(wanted)
