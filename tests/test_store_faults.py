"""The writer under faults (issue 10, items 1–9): full disks, kills at awkward moments,
other users, values it cannot store, and many processes taking over one stale lock.

Everything here uses real files, real child processes and real signals. Full disks are a
real tmpfs of a few hundred KB mounted for the test (we run as root; the tests skip with the
reason when mounting is not permitted); kills at an exact moment use `RLIMIT_FSIZE`, whose
SIGXFSZ the kernel sends the child the instant a write crosses the limit.
"""

from __future__ import annotations

import json
import math
import os
import pwd
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np
import pytest

import store
from store import format as fmt
from tests.children import REPO, run_python

PEER = "tracktui-peer"


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A real 512 KB tmpfs, so ENOSPC comes from the kernel, not from a mock."""
    mount = tmp_path / "small"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({proc.stderr.strip() or proc.returncode})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def fill(fs: Path, leave: int = 0) -> Path:
    """Fill `fs` with one file until the kernel says ENOSPC; then free `leave` bytes of it."""
    filler = fs / "filler"
    with open(filler, "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 4096)
                fh.flush()
        except OSError:
            pass
    if leave:
        os.truncate(filler, max(0, filler.stat().st_size - leave))
    return filler


def peer_user() -> pwd.struct_passwd:
    """A real second user to read the store as, created once; skip when we cannot."""
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("reading as another user needs root and setpriv")
    try:
        return pwd.getpwnam(PEER)
    except KeyError:
        pass
    proc = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PEER],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot create a second user ({proc.stderr.strip()})")
    return pwd.getpwnam(PEER)


# -- item 4: other users can read what the writer wrote ---------------------------------------


def test_files_follow_the_umask_and_another_user_can_read_the_store() -> None:
    """Every file the writer and log_text/log_dict/log_artifact make is 0644 under umask 022.

    Before the fix, files went through `tempfile.mkstemp` (0600 whatever the umask) and a
    teammate saw every run as `damaged (PermissionError)`.
    """
    user = peer_user()
    base = Path(tempfile.mkdtemp(prefix="tracktui-umask-"))
    try:
        base.chmod(0o755)
        root = base / "s"
        src = base / "model.bin"
        src.write_bytes(b"w" * 100)
        src.chmod(0o600)  # a private source file: the stored copy still follows the umask
        proc = run_python(f"""
            import os, store
            os.umask(0o022)
            with store.start_run(experiment="e", name="shared", root={str(root)!r}) as run:
                run.log_params({{"lr": 0.1}})
                run.set_tags({{"t": "x"}})
                run.log_metric("loss", 1.0)
                run.log_text("notes/a.md", "# a")
                run.log_dict("c.yaml", {{"a": 1}})
                run.log_dict("c.json", {{"a": 1}})
                run.log_artifact({str(src)!r})
        """)
        assert proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
        files = [p for p in root.rglob("*") if p.is_file()]
        assert len(files) >= 10
        modes = {str(p.relative_to(root)): oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
        assert set(modes.values()) == {"0o644"}, modes
        dirs = {oct(stat.S_IMODE(p.stat().st_mode)) for p in root.rglob("*") if p.is_dir()}
        assert dirs == {"0o755"}
        code = ("import store, json; s = store.open_store(%r); d = s.run(s.run_ids()[0]);"
                "print(json.dumps([d.status, d.name, d.params, len(d.history())]))") % str(root)
        read = subprocess.run(["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups",
                               sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                              env=dict(os.environ, PYTHONPATH=str(REPO), HOME=str(base),
                                       XDG_CACHE_HOME=str(base / "cache")))
        assert read.returncode == 0, read.stderr
        assert json.loads(read.stdout) == ["finished", "shared", {"lr": 0.1}, 1]
    finally:
        shutil.rmtree(base, ignore_errors=True)
