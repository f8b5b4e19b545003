"""The files a push uploads, read without following any symlink."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Generator

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def artifact_files(folder: int, prefix: str, links: list[str]) -> Generator[tuple[str, int], None, None]:
    """(path, open descriptor, which the caller closes) of each regular file below the open folder `folder`.

    No symlink is followed, not even one to a file inside: each folder and file is opened
    relative to its parent's descriptor with O_NOFOLLOW, so a link swapped in after the
    listing is refused too. Links go into `links`; FIFOs, devices and sockets are passed over.
    """
    with os.scandir(folder) as listing:
        entries = sorted(listing, key=lambda e: e.name)
    for item in entries:
        rel = prefix + item.name
        try:
            if item.is_symlink():
                links.append(rel)
            elif item.is_dir(follow_symlinks=False):
                sub = os.open(item.name, DIR_FLAGS, dir_fd=folder)
                try:
                    yield from artifact_files(sub, rel + "/", links)
                finally:
                    os.close(sub)
            elif item.is_file(follow_symlinks=False):
                fd = os.open(item.name, _FILE_FLAGS, dir_fd=folder)
                if stat.S_ISREG(os.fstat(fd).st_mode):
                    os.set_blocking(fd, True)
                    yield rel, fd
                else:
                    os.close(fd)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):  # it became a symlink since it was listed
                links.append(rel)
            elif not isinstance(exc, FileNotFoundError):
                raise
