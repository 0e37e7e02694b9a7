"""Writes that survive a crash or power cut: whole file or nothing, and the name is on disk.

Used by the archive and by the outputs finance reads (the consolidated workbook).
"""

from __future__ import annotations

import errno
import glob
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

# Folders cannot be opened or fsync'd on Windows (NTFS journals the metadata itself);
# some network file systems refuse a folder fsync with EINVAL. Neither is a failure.
_NO_DIR_FSYNC = {errno.EINVAL, errno.EBADF, errno.ENOTSUP, errno.EACCES, errno.EISDIR}
STALE_SECONDS = 3600.0  # a temp file of atomic_write this old was left by a process that was killed


def fsync_dir(path: Path) -> None:
    """Make the names in folder `path` durable (a new or renamed file survives a power cut)."""
    if os.name == "nt":
        return
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as exc:
        if exc.errno in _NO_DIR_FSYNC:
            return
        raise
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _NO_DIR_FSYNC:
            raise
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def remove_quietly(path: Path) -> None:
    """Best-effort cleanup that never hides the error being handled."""
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def ensure_dir(path: Path) -> None:
    """mkdir -p, then fsync the parent of each folder created so the new folders survive too."""
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        if p.parent == p:
            break
        p = p.parent
    path.mkdir(parents=True, exist_ok=True)
    for created in reversed(missing):
        fsync_dir(created.parent)


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """write(tmp) to a hidden '.<name>.<random>.tmp' beside `path`, fsync, rename into place, fsync the folder.

    Readers see the old file or the new one, never a half-written one. The temp name starts
    with '.' and ends with '.tmp' so the watcher ignores it. On any exception the temp file
    is removed and the exception re-raised; `path` is untouched.
    """
    ensure_dir(path.parent)
    clear_stale_temps(path)
    tmp = path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp"
    try:
        write(tmp)
        fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        remove_quietly(tmp)
        raise
    fsync_dir(path.parent)


def clear_stale_temps(path: Path) -> None:
    """Remove the temp files of earlier writes to `path` that a killed process left beside it
    (a reader of the share sees them): '.<name>.<random>.tmp', and what a writer made beside
    that one ('.<name>.<random>.tmp.rows', summary_xml.splice). Only those untouched for
    STALE_SECONDS: a write in progress, here or in another process, keeps its temp files
    younger than that."""
    cutoff = time.time() - STALE_SECONDS
    head = f".{glob.escape(path.name)}.{'?' * 8}.tmp"
    for old in [*path.parent.glob(head), *path.parent.glob(head + ".*")]:
        try:
            if old.lstat().st_mtime < cutoff and not old.is_dir():
                old.unlink()
        except OSError:
            pass
