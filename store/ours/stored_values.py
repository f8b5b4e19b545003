"""What may be stored: params and tags as JSON and text, metric values and steps.

Values are checked and converted at the logging call (`json_value`, `text_value`, `as_float`,
`as_step`), so what cannot be stored fails there, with the key in the message, instead of
making a later flush fail. `dumps` is the one JSON text of the store's files.
"""

from __future__ import annotations

import json
import numbers
import sys
from typing import Any

MAX_DEPTH = 100
"""Nesting a param value may have; deeper is refused at the call (readers recurse into it)."""


def json_value(value: Any, where: str, depth: int = 0) -> Any:  # noqa: C901 - one ladder of the value types a param may be
    """`value` as plain JSON data (dict with str keys, list, str, int, float, bool, None).

    Params are converted at the call, so what cannot be stored fails there, with the key in
    the message, instead of making every later flush fail (and with it the metrics): text
    with lone surrogates (`os.listdir` gives them for file names that are not UTF-8), ints
    of more than 4,300 digits, objects whose `.item()` raises. Tuples and sets become lists,
    numpy scalars and arrays their Python values, other objects their `str()`.
    """
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, float):
        return float(value)  # np.float64 is a float subclass
    if isinstance(value, str):
        return text_value(value, where)
    if isinstance(value, numbers.Integral):
        try:
            str(value)
        except ValueError:
            raise too_long_int(where, "log it as a str (or a float)") from None
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if depth >= MAX_DEPTH:
        raise ValueError(f"{where}: nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(key, str):
                name = text_value(key, f"{where}: key")
            elif key is None or isinstance(key, (bool, int, float)):
                name = json.dumps(key)  # what json.dumps would make of it
            else:
                raise TypeError(f"{where}: key {key!r:.60} is a {type(key).__name__}; keys must be str")
            out[name] = json_value(item, f"{where} {name!r}" if depth == 0 else f"{where}.{name}", depth + 1)
        return out
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_value(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value)]
    for method in ("tolist", "item"):  # numpy arrays and scalars, tensors
        convert = getattr(value, method, None)
        if callable(convert):
            try:
                plain = convert()
            except Exception as exc:  # noqa: BLE001 - a logged object's method may raise anything
                raise TypeError(
                    f"{where}: {type(value).__name__}.{method}() failed ({type(exc).__name__}: "
                    f"{str(exc)[:80]}); log a plain value instead"
                ) from None
            if type(plain) is type(value):
                break
            return json_value(plain, where, depth + 1)
    try:
        text = str(value)
    except Exception as exc:  # noqa: BLE001 - str() of a logged object may raise anything: said as a TypeError
        raise TypeError(f"{where}: a {type(value).__name__} cannot be stored (str() failed: {exc!s:.80})") from None
    return text_value(text, where)


def too_long_int(where: str, advice: str) -> ValueError:
    """The one text for an int Python refuses to write out (params as JSON, tags as text):
    the limit is `sys.get_int_max_str_digits()` (4,300 unless PYTHONINTMAXSTRDIGITS says otherwise)."""
    limit = sys.get_int_max_str_digits()
    return ValueError(f"{where}: an int of more than {limit:,} digits cannot be stored; {advice}")


def text_value(text: str, where: str) -> str:
    """`text` if it can be written as UTF-8; a ValueError naming `where` if not."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(
            f"{where}: {text!r:.80} is not valid text (a lone surrogate, as os.listdir gives for a file "
            f"name that is not UTF-8); decode it first, e.g. os.fsencode(name).decode('utf-8', 'replace')"
        ) from None
    return str(text)


def same_value(a: Any, b: Any) -> bool:
    """Equality of stored values where NaN equals NaN (a config logged again is the same config)."""
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    return bool(a == b)


def _json_default(value: Any) -> Any:
    item = getattr(value, "item", None)
    if callable(item):
        try:
            return item()
        except (TypeError, ValueError):
            pass
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def dumps(obj: Any) -> str:
    return json.dumps(obj, default=_json_default, ensure_ascii=False, indent=1)


def as_float(key: str, value: Any) -> float:
    """A metric value a script logs: any real number, numpy and torch scalars through `.item()`.
    Not `series.number`: the writer refuses (TypeError naming the key) what a reader would skip,
    and text is never a metric here."""
    if isinstance(value, numbers.Real):
        return float(value)
    item = getattr(value, "item", None)
    if callable(item):
        try:
            inner = item()
        except (TypeError, ValueError, RuntimeError):
            inner = None
        if isinstance(inner, numbers.Real):
            return float(inner)
    raise TypeError(f"metric {key!r}: value must be a real number, got {type(value).__name__} ({value!r:.60})")


def as_step(key: str, step: Any) -> int:
    if isinstance(step, numbers.Integral) and not isinstance(step, bool):
        return int(step)
    item = getattr(step, "item", None)
    if callable(item) and isinstance(item(), numbers.Integral):
        return int(item())
    raise TypeError(f"metric {key!r}: step must be an int, got {type(step).__name__}")
