"""Recognising the folders other tools write (W&B run folders, TensorBoard logs) and opening their readers.

`store/detect.py` asks here after our own and MLflow's layouts. A kind whose reader needs an
optional package that is not installed is still recognised: TensorBoard logs then raise an
`ExtraMissingError` naming the extra; W&B folders open with what their plain files say.
"""

from __future__ import annotations

from pathlib import Path

from .. import extras
from ..base import RunStore

EXPECTED = "W&B run folders (`wandb/run-*`, `wandb/offline-run-*`) or TensorBoard event files"
TB_SEARCH_DEPTH = 4
"""Folder levels below a path searched for event files (`lightning_logs/version_0`, `runs/<date>_<host>`)."""


def foreign_kind(path: Path, depth: int = TB_SEARCH_DEPTH) -> str | None:
    """`wandb` or `tensorboard` when `path` holds runs of that kind (TensorBoard: within `depth` levels), else None."""
    from .tb_store import has_event_files
    from .wandb_store import is_wandb_folder

    if is_wandb_folder(path):
        return "wandb"
    if has_event_files(path, depth):
        return "tensorboard"
    return None


def open_foreign(path: Path) -> RunStore | None:
    """The reader of a W&B or TensorBoard folder at `path`, or None when it is neither."""
    kind = foreign_kind(path)
    if kind == "wandb":
        from .wandb_store import WandbStore

        return WandbStore(path)
    if kind == "tensorboard":
        from .tb_events import TB_MODULE
        from .tb_store import EXTRA, WHAT, TensorBoardStore

        extras.require(TB_MODULE, EXTRA, f"{path} is {WHAT}")
        return TensorBoardStore(path)
    return None
