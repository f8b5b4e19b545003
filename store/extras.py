"""Optional packages readers need (`tracktui[tensorboard]`, `tracktui[wandb]`), and the message when one is missing.

A store kind found on disk whose reader needs a package that is not installed is still
recognised, and says in one line what to install instead of failing with an ImportError.
"""

from __future__ import annotations

import importlib.util
import sys

from store.errors import NotAStoreError


class ExtraMissingError(NotAStoreError):
    """A store was recognised, but reading it needs an optional package that is not installed."""


def install_hint(extra: str) -> str:
    return f"pip install 'tracktui[{extra}]'"


def has_module(name: str) -> bool:
    """Whether the package `name` belongs to is installed, without importing anything.

    Only the top-level package is looked up: `find_spec` of a dotted name imports its parent
    packages, and `import wandb` alone takes 3 to 4 seconds. A package blocked with
    `sys.modules[name] = None` counts as missing.
    """
    top = name.split(".")[0]
    if top in sys.modules:
        return sys.modules[top] is not None
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False


def require(module: str, extra: str, what: str) -> None:
    """Raise ExtraMissingError (one line: what was found and what to install) when `module` is missing."""
    if not has_module(module):
        raise ExtraMissingError(f"{what}; reading it needs the `{module.split('.')[0]}` package: {install_hint(extra)}")
