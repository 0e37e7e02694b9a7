"""One service per store: an OS lock on a file in the (local) state folder.

The OS drops the lock when the process ends, however it ends (kill -9, power cut), so a
stale lock file never blocks a restart. The file's text names the holder, for the
message a second instance shows.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

if os.name == "nt":
    import msvcrt
else:
    import fcntl

# Windows locks byte ranges, and a locked range cannot be read by anyone else: lock one
# byte far past the holder text so that `status` and a second instance can still read it.
_WIN_LOCK_OFFSET = 1 << 30


@dataclass(frozen=True)
class Holder:
    pid: int
    host: str
    started: str  # ISO time, local

    def text(self) -> str:
        return f"{self.pid} {self.host} {self.started}\n"

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        parts = text.split()
        if len(parts) != 3 or not parts[0].isdigit():
            return None
        return cls(int(parts[0]), parts[1], parts[2])


class Held(Exception):
    """Another process holds the lock."""

    def __init__(self, holder: Holder | None) -> None:
        super().__init__(f"held by {holder}")
        self.holder = holder


def _try_lock(fd: int) -> bool:
    try:
        if os.name == "nt":
            os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:  # BlockingIOError on POSIX, PermissionError on Windows
        return False


def _unlock(fd: int) -> None:
    if os.name == "nt":
        os.lseek(fd, _WIN_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)


class InstanceLock:
    """`with InstanceLock(path):` holds the lock or raises Held at once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> Holder:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # No O_TRUNC: the text belongs to whoever holds the lock, and it may not be us.
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(fd):
            # A `status` probing the lock holds it for an instant: try once more before giving up.
            time.sleep(0.1)
            if not _try_lock(fd):
                os.close(fd)
                raise Held(read_holder(self.path))
        holder = Holder(os.getpid(), socket.gethostname().replace(" ", "_"),
                        dt.datetime.now().astimezone().isoformat(timespec="seconds"))
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, holder.text().encode())
        self._fd = fd
        return holder

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)  # no holder any more; the file itself stays (deleting it races)
            _unlock(fd)
        finally:
            os.close(fd)

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def read_holder(path: Path) -> Holder | None:
    try:
        return Holder.parse(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None


def is_held(path: Path) -> bool:
    """True while some process holds the lock (probes by trying to take it for an instant)."""
    if not path.exists():
        return False
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        if _try_lock(fd):
            _unlock(fd)
            return False
        return True
    finally:
        os.close(fd)
