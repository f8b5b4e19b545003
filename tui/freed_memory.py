"""Arrow, which holds the runs frame's text columns, allocates through the C library in the app's process.

pandas keeps text columns in Arrow when pyarrow is installed, and Arrow's own allocator (mimalloc)
keeps the pages it frees for its next use: a frame of 100,000 runs cost 20-40 MB more than its
columns hold. Through glibc, what is freed goes back to the system with the rest
(`store.process.release_freed_memory`). Arrow reads `ARROW_DEFAULT_MEMORY_POOL` once, when pandas
first imports it, so this is set when the app is made, before any frame.
"""

from __future__ import annotations

import os
import sys

VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"
_set_here = False


def arrow_through_system_allocator() -> None:
    """Have Arrow allocate through the C library, unless the user chose (the environment variable is set)
    or pyarrow is imported already."""
    global _set_here
    if "pyarrow" not in sys.modules and VARIABLE not in os.environ:
        os.environ[VARIABLE] = "system"
        _set_here = True


def users_environment() -> dict[str, str]:
    """The environment for a program the user runs from the app ($EDITOR, $PAGER): without the variable
    when the app set it, so that its Arrow allocates as it would have."""
    env = dict(os.environ)
    if _set_here:
        env.pop(VARIABLE, None)
    return env
