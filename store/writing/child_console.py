"""The console of a command run by `tracktui run`: shown live and kept in the run's console log."""

from __future__ import annotations

import os
from pathlib import Path

from store.writing.console import ConsoleLog, Pump, make_pty, same_file


class ChildConsole:
    """The wrapped command's stdout and stderr: shown live here and kept in the run's console.

    When our stdout (or stderr) is a terminal the command gets a pty in its place, so it
    still sees a terminal (colours, `\r` progress bars, its width); otherwise a pipe, one
    for both when they go to the same file (a batch job's `> log 2>&1`).
    """

    def __init__(self, run_path: Path) -> None:
        self.log = ConsoleLog(run_path)
        self._child_side: list[int] = []
        self._routes: dict[int, int | None] = {}
        self._streams: dict[int, str] = {}
        """Which stream each reader carries alone; one carrying both (a pty, `2>&1`) is not named."""
        self._fds: dict[str, int] = {}
        self._master: int | None = None
        self._pump: Pump | None = None
        tty_out, tty_err = os.isatty(1), os.isatty(2)
        if tty_out or tty_err:
            self._master, slave = make_pty(1 if tty_out else 2)
            self._routes[self._master] = 1 if tty_out else 2
            self._child_side.append(slave)
            for name, is_tty in (("stdout", tty_out), ("stderr", tty_err)):
                if is_tty:
                    self._fds[name] = slave
            if tty_out != tty_err:
                self._streams[self._master] = "o" if tty_out else "e"
        if not self._fds and same_file(1, 2):  # `> log 2>&1`: one pipe keeps the command's order
            reader, writer = os.pipe()
            self._routes[reader] = 1
            self._child_side.append(writer)
            self._fds = {"stdout": writer, "stderr": writer}
        for name, our_fd in (("stdout", 1), ("stderr", 2)):
            if name not in self._fds:
                reader, writer = os.pipe()
                self._routes[reader] = our_fd
                self._streams[reader] = {"stdout": "o", "stderr": "e"}[name]
                self._child_side.append(writer)
                self._fds[name] = writer

    def child_fds(self) -> dict[str, int]:
        return dict(self._fds)

    def started(self) -> None:
        """The child has its ends: close ours (so its exit ends the pipes) and start copying."""
        for fd in self._child_side:
            os.close(fd)
        self._child_side.clear()
        self._pump = Pump(self.log, self._routes, self._streams)
        self._pump.start()

    def resize(self) -> None:
        if self._master is None:
            return
        import fcntl
        import termios

        try:
            size = fcntl.ioctl(self._routes[self._master] or 1, termios.TIOCGWINSZ, b"\0" * 8)
            fcntl.ioctl(self._master, termios.TIOCSWINSZ, size)
        except OSError:
            pass

    def close(self) -> None:
        for fd in self._child_side:
            os.close(fd)
        self._child_side.clear()
        if self._pump is not None:
            self._pump.stop()
        for fd in self._routes:
            try:
                os.close(fd)
            except OSError:
                pass
        self._routes.clear()
        self.log.close()
