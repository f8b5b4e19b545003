"""`np` and `pd` that import numpy and pandas on their first use, not when the module naming them loads.

Importing pandas takes a quarter of a second, more than everything else the first screen needs;
the runs table's first rows are painted without it (`first_listing`), and it is imported in a
worker after that paint. So the modules on the way to the first screen say

    if TYPE_CHECKING:
        import numpy as np
        import pandas as pd
    else:
        from .lazy_modules import np, pd

and keep using `np.` and `pd.` in their code. Not `importlib.util.LazyLoader`: that puts a
half-made module into `sys.modules` and, in Python 3.11, loads it unguarded when two threads
touch it first at once (the poll worker and the UI thread can); `import_module` takes the import
lock. A name read once is kept on the proxy, so later reads cost what a module attribute does.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["np", "pd"]


class LazyModule:
    """Stands for the module `name` until an attribute is read from it; then imports it."""

    def __init__(self, name: str) -> None:
        self.__name = name

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__") or attr == "_LazyModule__name":  # a probe (copy, pickle, inspect), not a use:
            raise AttributeError(attr)  # importing for it would recurse on a copy that has no name yet
        value = getattr(importlib.import_module(self.__name), attr)
        setattr(self, attr, value)
        return value

    def __repr__(self) -> str:
        return f"<module {self.__name!r}, imported on first use>"


np = LazyModule("numpy")
pd = LazyModule("pandas")
