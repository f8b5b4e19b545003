"""Read-only readers of runs that other tools wrote, each behind `RunStore`.

One module a kind: `dvclive` (DVCLive folders), `lightning_csv` (Lightning's CSVLogger),
`hf_trainer` (Hugging Face `trainer_state.json`), `trackio` (trackio's SQLite databases),
and through `foreign` the W&B run folders and TensorBoard logs (their readers need extras).
`files` holds what the folder kinds share (per-step rows to history arrays, records, the
listing through `FolderRunStore`); `open_reader` picks the kind a path holds.
"""

from __future__ import annotations

from pathlib import Path

from ..base import RunStore

__all__ = ["open_reader", "reader_kind"]


def reader_kind(path: Path) -> str | None:
    """Which of these kinds `path` (a folder or a file) holds directly, or None."""
    from . import dvclive, hf_trainer, lightning_csv, trackio

    if path.is_file():
        return "trackio" if trackio.is_trackio_db(path) else None
    for module in (lightning_csv, hf_trainer, dvclive, trackio):
        if module.holds_runs(path):
            return module.KIND
    from .foreign import foreign_kind

    return foreign_kind(path, depth=1)


def open_reader(path: Path) -> RunStore | None:
    """The reader for `path` when it holds runs of one of these kinds, else None."""
    from . import dvclive, hf_trainer, lightning_csv, trackio

    kind = reader_kind(path)
    if kind is None or kind in ("wandb", "tensorboard"):
        from .foreign import open_foreign

        return open_foreign(path)  # TensorBoard runs may sit a few levels down
    classes: dict[str, type[RunStore]] = {
        dvclive.KIND: dvclive.DvcLiveStore, lightning_csv.KIND: lightning_csv.LightningCsvStore,
        hf_trainer.KIND: hf_trainer.TrainerStateStore, trackio.KIND: trackio.TrackioStore,
    }
    return classes[kind](path)
