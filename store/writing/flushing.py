"""How a `Run`'s buffers reach the disk: the flush (each metric's history appended, params,
tags and the summary rewritten), the flusher thread's flush that warns once, and the retried
flush of `finish()`.

`Run` takes these as a mixin, so they live here and `writer.py` stays about what is logged.
Each part is written on its own, so one that fails (a full disk) never blocks the others, and
what was not written stays in memory for the next flush.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

from store.ours import atomic, durable, layout, metric_summary, stored_values
from store.writing import lifecycle

__all__ = ["FINISH_RETRY_DELAYS", "Flushing"]

FINISH_RETRY_DELAYS: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 4.0)
"""Pauses between the flush attempts of `finish()` when writing fails (a full disk)."""


class Flushing:
    """What `Run` adds to write its buffers: `flush`, `background_flush` and the parts they write."""

    id: str
    path: Path
    status: str
    flush_interval: float
    _lock: threading.Lock
    _io_lock: threading.Lock
    _buf: list[tuple[str, int, float, float]]
    _params: dict[str, Any]
    _tags: dict[str, str]
    _params_dirty: bool
    _tags_dirty: bool
    _paused: bool
    _io_warned: bool
    _last_summary_write: float
    _hist_size: dict[str, int]
    _summary: dict[str, dict[str, Any]]
    _meta: dict[str, Any]

    def flush(self) -> None:
        """Write everything buffered. Called by the flusher thread; safe to call any time.

        Each part (each metric's history, params, tags, the summary) is written on its own,
        so one that fails (a full disk) never blocks the others; what was not written goes
        back into the buffer and the next flush tries again, and the first error is raised
        after every part was tried. Nothing logged is dropped on the floor.
        """
        with self._io_lock:
            if self._paused:
                return
            with self._lock:
                buf, self._buf = self._buf, []
                # Cannot fail: log_params/set_tags only keep plain JSON values (see stored_values.json_value).
                files = ((layout.PARAMS, self._params, self._params_dirty), (layout.TAGS, self._tags, self._tags_dirty))
                pending = {name: stored_values.dumps(data) for name, data, dirty in files if dirty}
                self._params_dirty = self._tags_dirty = False
            written: set[str] = set()
            failed: list[OSError] = []
            try:
                if buf:
                    self._append_history(buf, written, failed)
                for name, text in list(pending.items()):
                    try:
                        atomic.atomic_write_text(self.path / name, text, fsync=False)
                        durable.soon(self.path / name)
                        del pending[name]
                    except OSError as exc:
                        failed.append(exc)
                if buf or failed or time.time() - self._last_summary_write >= layout.HEARTBEAT_INTERVAL:
                    try:
                        self._write_summary()
                    except OSError as exc:
                        failed.append(exc)
            finally:  # also when a signal (SystemExit, KeyboardInterrupt) lands mid-flush
                with self._lock:
                    self._buf[:0] = [point for point in buf if point[0] not in written]
                    self._params_dirty |= layout.PARAMS in pending
                    self._tags_dirty |= layout.TAGS in pending
            if failed:
                raise failed[0]

    def background_flush(self) -> None:
        """The flusher thread's flush: a full disk must not kill the training loop; say so once."""
        try:
            self.flush()
        except Exception as exc:  # noqa: BLE001 - a full disk (or anything) must not kill the training loop
            self._warn_once(exc, f"its points are kept in memory and written again every {self.flush_interval:g} s")
        else:
            self._io_warned = False

    def _warn_once(self, exc: BaseException, consequence: str) -> None:
        """One message per failure episode: where, why, what happens, and what to do."""
        if self._io_warned:
            return
        self._io_warned = True
        print(
            f"tracktui: cannot write run {self.id} in {self.path} ({exc}); {consequence}. "
            f"Free space on that disk (or fix its permissions) to keep them.",
            file=sys.stderr,
            flush=True,
        )

    def _append_history(
        self, buf: list[tuple[str, int, float, float]], written: set[str], failed: list[OSError]
    ) -> None:
        import numpy as np

        by_key: dict[str, list[tuple[int, float, float]]] = {}
        for key, step, t, value in buf:
            by_key.setdefault(key, []).append((step, t, value))
        dtype = np.dtype(list(layout.HISTORY_FIELDS))
        for key, points in by_key.items():
            arr = np.array(points, dtype=dtype)
            path = self.path / layout.METRICS_DIR / layout.metric_filename(key)
            try:
                if key not in self._hist_size:
                    path.parent.mkdir(exist_ok=True)
                    durable.soon(path.parent)
                self._hist_size[key] = atomic.append_records(path, arr.tobytes(), self._hist_size.get(key), fsync=False)
                durable.soon(path)
            except OSError as exc:
                failed.append(exc)
                continue
            written.add(key)
            self._summary[key] = metric_summary.merge_summary(self._summary.get(key), arr)

    def _write_summary(self) -> None:
        now = time.time()
        atomic.atomic_write_json(
            self.path / layout.SUMMARY,
            {"version": layout.FORMAT_VERSION, "heartbeat": now, "metrics": self._summary},
            fsync=False,
        )
        durable.soon(self.path / layout.SUMMARY)
        self._last_summary_write = now

    def _write_meta(self) -> None:
        self._meta["status"] = self.status
        atomic.atomic_write_json(self.path / layout.META, self._meta, fsync=False)
        durable.soon(self.path / layout.META)

    def _flush_for_finish(self) -> str | None:
        """Flush, retrying while the disk is full; None when all is written, else what was lost."""
        exc: OSError | None = None
        for delay in (*FINISH_RETRY_DELAYS, None):
            try:
                self.flush()
                return None
            except OSError as err:
                exc = err
                self._warn_once(err, "retrying before the run closes; what cannot be written then is lost")
            if delay is None or lifecycle.sigterm_while_finishing():
                break
            time.sleep(delay)
        with self._lock:
            keys = sorted({point[0] for point in self._buf})
            count = len(self._buf)
            dirty_files = ((layout.PARAMS, self._params_dirty), (layout.TAGS, self._tags_dirty))
            files = [name for name, dirty in dirty_files if dirty]
        what = (
            ", ".join(filter(None, [f"{count} points of {', '.join(map(repr, keys[:10]))}" if count else "", *files]))
            or "the summary"
        )
        lost = f"data may be missing: could not write {what} ({exc})"
        print(f"tracktui: run {self.id} in {self.path}: {lost}", file=sys.stderr, flush=True)
        return lost
