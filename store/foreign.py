"""Recognising the folders other tools write (W&B run folders, TensorBoard logs) and opening their readers.

`store/detect.py` asks here after our own and MLflow's layouts. A kind whose reader needs an
optional package that is not installed is still recognised: TensorBoard logs then raise an
`ExtraMissingError` naming the extra; W&B folders open with what their plain files say.
"""

from __future__ import annotations

from pathlib import Path

from . import extras
from .base import RunStore

EXPECTED = "W&B run folders (`wandb/run-*`, `wandb/offline-run-*`) or TensorBoard event files"


def open_foreign(root: Path) -> RunStore | None:
    """The reader of a W&B or TensorBoard folder at `root`, or None when it is neither."""
    from .wandb_store import WandbStore, is_wandb_folder

    if is_wandb_folder(root):
        return WandbStore(root)
    from .tb_events import TB_MODULE
    from .tb_store import WHAT, TensorBoardStore, has_event_files

    if has_event_files(root):
        extras.require(TB_MODULE, "tensorboard", f"{root} is {WHAT}")
        return TensorBoardStore(root)
    return None
