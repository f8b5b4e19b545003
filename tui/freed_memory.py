"""The app's process hands memory it frees back to the system, instead of keeping it for later.

A listing of 100,000 runs is made in passes, each making arrays of a megabyte or so a column and
dropping the last pass's: the memory in use stays near 130 MB beside the interpreter, but glibc
keeps what was freed (its threshold for giving a large block its own mapping rises to 32 MB after
the first such block is freed, and each worker thread's arena keeps its own free memory), and so
does Arrow's allocator (mimalloc), which holds the frame's text columns: the process grew to
~430 MB for that ~250 MB. With a fixed threshold every block of 128 KB or more is mapped alone
and unmapped when freed, and Arrow's blocks come from glibc too; tests/perf/bench_memory.py and
bench_progressive.py show the figures.
"""

from __future__ import annotations

import os
import sys

MAPPED_FROM = 128 * 1024
"""Blocks this large or larger get a mapping of their own (glibc's starting threshold, kept fixed)."""
M_MMAP_THRESHOLD = -3
"""`mallopt`'s parameter number for the threshold (glibc's malloc.h)."""


def hand_back_freed_memory() -> None:
    """Fix glibc's threshold at MAPPED_FROM, and have Arrow allocate through glibc unless the user chose
    otherwise (`ARROW_DEFAULT_MEMORY_POOL`, which Arrow reads when pandas first imports it: called
    before that). Nothing else changes: a process with another C library keeps its allocator as it is.

    The environment variable is inherited by what the app starts; it only picks Arrow's allocator there.
    """
    if "pyarrow" not in sys.modules:
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    if sys.platform != "linux":
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        if hasattr(libc, "gnu_get_libc_version"):  # glibc: musl's `mallopt` does nothing
            libc.mallopt(M_MMAP_THRESHOLD, MAPPED_FROM)
    except (OSError, AttributeError):
        pass
