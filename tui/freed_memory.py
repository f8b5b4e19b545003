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


def arrow_through_system_allocator() -> None:
    """Have Arrow allocate through the C library, unless the user chose (the environment variable is set)
    or pyarrow is imported already. The variable is inherited by what the app starts, where it only
    picks Arrow's allocator too."""
    if "pyarrow" not in sys.modules:
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
