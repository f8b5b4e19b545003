"""Capturing what a process prints into its run's console (`console.py` keeps and reads the file).

A `Pump` thread copies bytes from pipes or ptys on to where they went before and into the
`ConsoleLog`; `ProcessCapture` puts this process's stdout and stderr through one
(`start_run(capture_console=True)`); a wrapped command's console uses the pump too
(`child_console.py`).
"""

from __future__ import annotations

import os
import select
import sys
import threading
from typing import TYPE_CHECKING

from store.writing.console import CONSOLE, ConsoleLog, write_all

if TYPE_CHECKING:
    from store.writing.writer import Run


class Pump:
    """One thread that copies bytes from fds to their pass-through fds and into the console log.

    One thread for all sources keeps stdout and stderr in the order they were read. With
    more than one source the console gets whole lines only (a source's unfinished line waits
    for its end, `PARTIAL_LIMIT` bytes or the source's end), so a stderr line never lands in
    the middle of a stdout line; the pass-through fds get bytes as they come (each is its own
    file, where nothing can splice). A pass-through fd that fails (the terminal went away,
    `| head` left) is dropped and capture goes on.
    """

    PARTIAL_LIMIT = 64 * 1024

    def __init__(
        self, console: ConsoleLog, routes: dict[int, int | None], streams: dict[int, str] | None = None
    ) -> None:
        """`streams`: which stream each source fd carries (`o`, `e`); not named: `-`, not known."""
        self.console = console
        self.routes = dict(routes)
        self.streams = dict(streams or {})
        self._partial: dict[int, bytes] | None = {fd: b"" for fd in routes} if len(routes) > 1 else None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tracktui-console", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        open_fds = set(self.routes)
        rounds_after_stop = 0
        while open_fds:
            try:
                ready, _, _ = select.select(list(open_fds), [], [], 0.1)
            except (OSError, ValueError):
                break
            if self._stop.is_set():
                rounds_after_stop += 1
                if not ready or rounds_after_stop > 100:
                    break
            for fd in ready:
                try:
                    data = os.read(fd, 1 << 16)
                except OSError:  # EIO: the pty's last writer is gone
                    data = b""
                if not data:
                    open_fds.discard(fd)
                    self._keep(fd, b"", end=True)
                    continue
                out = self.routes.get(fd)
                if out is not None:
                    try:
                        write_all(out, data)
                    except OSError:
                        self.routes[fd] = None
                self._keep(fd, data)
        for fd in list(self._partial or ()):
            self._keep(fd, b"", end=True)

    def _keep(self, fd: int, data: bytes, end: bool = False) -> None:
        """Into the console: all of `data` with one source, else up to its last newline."""
        stream = self.streams.get(fd, "-")
        if self._partial is None:
            self.console.write(data, stream)
            return
        pending = self._partial.get(fd, b"") + data
        cut = len(pending) if end or len(pending) > self.PARTIAL_LIMIT else pending.rfind(b"\n") + 1
        self.console.write(pending[:cut], stream)
        self._partial[fd] = pending[cut:]

    def stop(self, timeout: float = 2.0) -> None:
        """Drain what is there and end; a reader still held open by a grandchild ends after `timeout`."""
        self._thread.join(timeout)
        self._stop.set()
        self._thread.join()


def same_file(fd_a: int, fd_b: int) -> bool:
    """Whether two fds lead to one file (`> log 2>&1`, one pipe, one terminal): then one relay
    carries both, and the order of their lines is the command's own."""
    try:
        a, b = os.fstat(fd_a), os.fstat(fd_b)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def make_pty(like_fd: int | None) -> tuple[int, int]:
    """A pty pair whose slave passes bytes unchanged (no `\\n` -> `\\r\\n`), sized like `like_fd`."""
    import fcntl
    import pty
    import termios

    master, slave = pty.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    if like_fd is not None:
        try:
            size = fcntl.ioctl(like_fd, termios.TIOCGWINSZ, b"\0" * 8)
            fcntl.ioctl(slave, termios.TIOCSWINSZ, size)
        except OSError:
            pass
    return master, slave


class ProcessCapture:
    """`start_run(capture_console=True)`: this process's fds 1 and 2 go through a pipe (a pty
    when they are a terminal) into the console log and on to where they went before."""

    def __init__(self, console: ConsoleLog) -> None:
        self.console = console
        self._saved: dict[int, int] = {}
        self._pump: Pump | None = None

    def start(self) -> None:
        routes: dict[int, int | None] = {}
        streams: dict[int, str] = {}
        _flush_std()
        shared = same_file(1, 2)
        for fd in (1, 2):
            try:
                saved = os.dup(fd)
            except OSError:
                continue
            self._saved[fd] = saved
            if fd == 2 and shared and routes:
                os.dup2(1, 2)  # the pipe of stdout carries stderr too
                streams.clear()
                continue
            if os.isatty(fd):
                reader, writer = make_pty(fd)
            else:
                reader, writer = os.pipe()
            os.dup2(writer, fd)
            os.close(writer)
            routes[reader] = saved
            streams[reader] = "o" if fd == 1 else "e"
        self._pump = Pump(self.console, routes, streams)
        self._pump.start()

    def stop(self) -> None:
        _flush_std()
        for fd, saved in self._saved.items():
            os.dup2(saved, fd)  # closes our end of the pipe: the pump reads to its end
        if self._pump is not None:
            self._pump.stop(timeout=1.0)
            for reader in self._pump.routes:
                os.close(reader)
        for saved in self._saved.values():
            os.close(saved)
        self._saved.clear()
        self.console.close()


def _flush_std() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass


def capture_process_console(run: Run) -> None:
    """Keep this process's console in `run` until it finishes (`start_run(capture_console=True)`).

    Not when the run is a wrapper's run this process attached to and the wrapper keeps the
    console already (its file exists): one writer per console file.
    """
    if run._handed_by is not None and (run.path / CONSOLE).exists():
        return
    capture = ProcessCapture(ConsoleLog(run.path))
    capture.start()
    run.on_finish.append(capture.stop)
