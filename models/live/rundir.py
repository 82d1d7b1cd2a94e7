"""Temporary runtime directories: removed on exit, and swept at start if a dead run left one.

A runtime keeps its Unix socket (``router.sock``) and its instances' stderr files in a
``lab-live-*`` directory under the system's temporary directory. ``close()`` removes it; a run
killed with SIGKILL cannot, so each directory holds a lock file that its run keeps locked
(``flock``) while it lives: the kernel drops the lock when the process dies, however it dies,
and the next run to start removes every such directory whose lock it can take. Nothing here
looks at other processes: a lock that can be taken belongs to no living run (a directory from
before locks is judged by its socket: nobody accepting on it means nobody lives there).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import socket
import tempfile
import time
from pathlib import Path

PREFIX = "lab-live-"
LOCK = ".lock"
SOCKET = "router.sock"
UNLOCKED_GRACE_S = 60.0
"""A directory without a lock file (being created, or from before locks) is left alone this
long (seconds since it was last modified)."""


class RunDir:
    """A fresh runtime directory, locked until ``remove()``."""

    def __init__(self, root: Path | None = None) -> None:
        root = root or Path(tempfile.gettempdir())
        self.swept = sweep_stale(root)
        self.path = Path(tempfile.mkdtemp(prefix=PREFIX, dir=root))
        self._fd: int | None = os.open(self.path / LOCK, os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def remove(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


def sweep_stale(root: Path) -> list[Path]:
    """Remove ``lab-live-*`` directories of ours under ``root`` whose run is gone."""
    removed = []
    uid = os.getuid()
    for path in root.glob(f"{PREFIX}*"):
        try:
            info = path.lstat()
        except OSError:
            continue
        if not path.is_dir() or path.is_symlink() or info.st_uid != uid:
            continue
        if _abandoned(path, info.st_mtime):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _abandoned(path: Path, mtime: float) -> bool:
    try:
        fd = os.open(path / LOCK, os.O_RDWR)
    except FileNotFoundError:
        return _unlocked_abandoned(path, mtime)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # a living run holds it
    else:
        return True
    finally:
        os.close(fd)


def _unlocked_abandoned(path: Path, mtime: float) -> bool:
    """A directory without a lock (made before locks existed): dead if nothing listens on its
    socket, or, without a socket, if untouched for ``UNLOCKED_GRACE_S``."""
    sock = path / SOCKET
    if not sock.exists():
        return time.time() - mtime > UNLOCKED_GRACE_S
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(0.5)
    try:
        probe.connect(str(sock))
    except (ConnectionRefusedError, FileNotFoundError):
        return True
    except OSError:
        return False
    else:
        return False  # a living router accepted
    finally:
        probe.close()
