"""Exceptions the store raises, so callers can tell a user what to do about each."""

from __future__ import annotations


class StoreError(Exception):
    """Base class for tracktui store errors."""


class RunFinishedError(StoreError, RuntimeError):
    """Logging to a run that has already finished."""


class RunLockedError(StoreError, RuntimeError):
    """Another live process is writing this run."""


class NotAStoreError(StoreError, ValueError):
    """A path that is neither a tracktui store nor an MLflow store."""


class RunNotFoundError(StoreError, KeyError):
    """No run matches the id, id prefix or name given."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "run not found"


class ReadOnlyStoreError(StoreError):
    """A change asked of a store tracktui only reads (MLflow's)."""


class RunLiveError(StoreError, RuntimeError):
    """A change refused because the run's writer is alive (deleting or renaming a live run)."""
