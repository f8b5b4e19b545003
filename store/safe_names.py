"""Names from outside made safe to use in a path: the one place a run id, an experiment id, an
artifact path or a model name from a server, a store or a foreign file becomes part of a path.

A tracking server is not trusted: a run id of `../../..` or `/home/me/.bashrc` joined onto the
cache folder would write outside it. So a name that must become ONE path component goes through
`safe_name`, which keeps an ordinary id as it is (readable in the cache) and maps anything else
(`..`, `/`, NUL, empty, overlong, odd characters) to `_` and a hash of it, which no ordinary id
can equal (those start with a letter or digit). A name that must name an EXISTING file (a foreign
file's reference to another) goes through `plain_name` and is refused when it is not ordinary. A
relative path (an artifact's, from a server's listing) goes through `inside`, which refuses
absolute paths, `..`, empty parts, NUL, backslashes and overlong parts, and checks that the
result, symlinks resolved, is still under its folder.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

MAX_NAME = 100
"""Characters of an ordinary name kept as it is (MLflow's run ids are 32, W&B's 8)."""
MAX_PART = 255
"""Bytes of one component of a relative path (the limit of most file systems)."""
MAX_PATH = 1024
"""Characters of a whole relative path."""
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")


class UnsafePathError(ValueError):
    """A path from outside that would leave its folder, or that no file system can hold."""


def plain_name(name: object) -> str | None:
    """`name` when it is an ordinary name (letters, digits, `.`, `_`, `-`, starting with a letter or digit,
    at most MAX_NAME characters), else None."""
    if isinstance(name, str) and len(name) <= MAX_NAME and _PLAIN.match(name):
        return name
    return None


def safe_name(name: object) -> str:
    """One path component for `name`: the name itself when ordinary, else `_` and a hash of it."""
    plain = plain_name(name)
    if plain is not None:
        return plain
    text = name if isinstance(name, str) else repr(name)
    return "_" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def relative_parts(path: object) -> tuple[str, ...]:
    """The components of a relative POSIX path from outside; UnsafePathError when it is not one."""
    if not isinstance(path, str) or not path or len(path) > MAX_PATH:
        raise UnsafePathError(f"{str(path)[:60]!r} is not a usable relative path")
    if "\x00" in path or "\\" in path or path.startswith("/"):
        raise UnsafePathError(f"{path[:60]!r} is absolute or holds a NUL or a backslash")
    parts = path.split("/")
    for part in parts:
        if part in ("", ".", "..") or len(part.encode("utf-8", "surrogatepass")) > MAX_PART:
            raise UnsafePathError(f"{path[:60]!r} has an empty, `.`, `..` or overlong part")
    return tuple(parts)


def is_relative_path(path: object) -> bool:
    try:
        relative_parts(path)
    except UnsafePathError:
        return False
    return True


def inside(folder: Path, path: str) -> Path:
    """`folder / path` for a relative `path` from outside, refused (UnsafePathError) unless it stays in `folder`
    with symlinks resolved."""
    target = folder.joinpath(*relative_parts(path))
    real_folder = os.path.realpath(folder)
    if not os.path.realpath(target).startswith(real_folder.rstrip(os.sep) + os.sep):
        raise UnsafePathError(f"{path[:60]!r} leads out of {folder}")
    return target
