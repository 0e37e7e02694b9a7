"""Stage: pick the files worth processing and take a private, consistent copy of each.

watched folder → candidates() → stage() → StagedFile. Every later stage reads the copy,
never the person's file, so a save landing mid-read cannot mix two versions.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from syncservice.base.errors import DiskError
from syncservice.base.models import StagedFile

CHUNK = 1 << 20
# The only files that are candidates (WORKBOOKS.md §1 "Files that are not reports"): what is read
# (.xlsx, .xlsm) and the workbook formats staff are told to save as .xlsx instead (read.py's
# READABLE and OTHER_FORMATS; tests/test_share.py keeps them in step). A .pdf, a .docx, a
# picture is never read.
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv", ".xltx", ".xltm"})
_PREFIX = "stage-"  # staging folders; discard() removes nothing outside one
STALE_SECONDS = 3600.0  # a staging folder this old was left by a process killed mid-file
# O_NOFOLLOW: a symlink swapped in after listing is refused by the kernel, not by a
# check that could race. O_NONBLOCK: opening a FIFO must not hang the service.
_OPEN_FLAGS = (
    os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
)


class FileChanged(Exception):
    """The file changed or vanished while we copied it (someone is saving): retry later."""


class TooLarge(Exception):
    """The file is larger than the configured limit; nothing was staged."""

    def __init__(self, size: int) -> None:
        super().__init__(f"file is {size} bytes")
        self.size = size


class NotARegularFile(Exception):
    """A symlink, folder, FIFO, socket or device: never followed, never read."""


class Unreadable(FileChanged):
    """The file is there but cannot be opened or read (permissions, a share refusing it): retried
    like a file being saved, and after watch.unreadable_minutes judged file.unreadable."""


def is_regular(path: Path) -> bool:
    """True when `path` itself (not what a symlink points at) is a regular file; False when it is
    anything else or gone. Only a stat: nothing is opened."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def open_regular(path: Path) -> int:
    """A read-only descriptor of `path`, which must be a regular file (WORKBOOKS.md §1).

    lstat first, so a FIFO, socket, device or folder is never opened at all; then open with
    O_NOFOLLOW | O_NONBLOCK and fstat the descriptor, so one swapped in between the two can
    neither block the open (a FIFO without a writer) nor be read. Raises NotARegularFile,
    FileNotFoundError, or the OSError of the open.
    """
    if not stat.S_ISREG(os.lstat(path).st_mode):
        raise NotARegularFile(f"{path} is not a regular file")
    fd = os.open(path, _OPEN_FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotARegularFile(f"{path} was replaced by something that is not a regular file")
    except BaseException:
        os.close(fd)
        raise
    return fd


def stage(source: Path, rel: str, staging_dir: Path, max_bytes: int) -> StagedFile:
    """Copy `source` once, in chunks, to staging_dir/<random>/<name>; hash and size are of the copy.

    Raises FileChanged if size or mtime moved during the copy (or the file vanished),
    Unreadable when it cannot be opened or read, TooLarge(size) above max_bytes,
    NotARegularFile for symlinks and non-files (never opened: open_regular),
    DiskError if the staging area cannot be written.
    """
    try:
        fd = open_regular(source)
    except FileNotFoundError:
        raise FileChanged(f"{source} vanished before it could be read") from None
    except OSError as exc:
        if os.path.islink(source):  # swapped in after the lstat: refused by O_NOFOLLOW (ELOOP)
            raise NotARegularFile(f"{source} is a symlink") from None
        raise Unreadable(f"{source} could not be opened: {exc.strerror or exc}") from None
    before = os.fstat(fd)
    if before.st_size > max_bytes:
        os.close(fd)
        raise TooLarge(before.st_size)
    with os.fdopen(fd, "rb") as src:
        folder = _make_folder(staging_dir)
        target = folder / source.name
        try:
            digest, size = _copy(src, target, limit=max_bytes)
        except BaseException as exc:
            shutil.rmtree(folder, ignore_errors=True)
            if isinstance(exc, OSError):
                raise DiskError(f"cannot write the staging copy {target}: {exc.strerror or exc}") from exc
            raise
    try:
        after = os.stat(source, follow_symlinks=False)
    except FileNotFoundError:
        after = None
    if (
        after is None
        or size != before.st_size
        or (after.st_size, after.st_mtime_ns, after.st_ino) != (before.st_size, before.st_mtime_ns, before.st_ino)
    ):
        shutil.rmtree(folder, ignore_errors=True)
        raise FileChanged(f"{source} changed while it was copied")
    return StagedFile(source=source, rel=rel, staged=target, sha256=digest, size=size,
                      mtime_ns=before.st_mtime_ns)


def content_sha256(path: Path, max_bytes: int) -> str | None:
    """The sha256 of what is at `path` now (a regular file, read as stage() reads it), or None
    when it cannot be read or is larger than max_bytes: a rescan's test of "unchanged"
    (WORKBOOKS.md §9), since a save with the same size and mtime is still a save."""
    try:
        fd = open_regular(path)
    except (OSError, NotARegularFile):
        return None
    digest = hashlib.sha256()
    size = 0
    with os.fdopen(fd, "rb") as src:
        try:
            while chunk := src.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    return None
                digest.update(chunk)
        except OSError:
            return None
    return digest.hexdigest()


def _make_folder(staging_dir: Path) -> Path:
    try:
        staging_dir.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=_PREFIX, dir=staging_dir))
    except OSError as exc:
        raise DiskError(f"cannot create a staging folder in {staging_dir}: {exc.strerror or exc}") from exc


def _copy(src, target: Path, limit: int) -> tuple[str, int]:
    """Write what is read to `target` and hash exactly those bytes."""
    digest = hashlib.sha256()
    size = 0
    with open(target, "xb") as out:
        while True:
            try:
                chunk = src.read(CHUNK)
            except OSError as exc:  # e.g. the share went away: not our disk, try again later
                raise Unreadable(f"reading failed: {exc.strerror or exc}") from exc
            if not chunk:
                break
            size += len(chunk)
            if size > limit:  # grew past the limit while we read: it is being written
                break
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest(), size


def clear_stale(staging_dir: Path, older_than: float = STALE_SECONDS) -> int:
    """Remove the staging folders a killed process left behind, untouched for `older_than` seconds,
    so copies of staff workbooks do not pile up; returns how many. A live process's copy is never
    that old (reading is bounded by limits.max_seconds), so a run beside this one loses nothing."""
    cutoff = time.time() - older_than
    removed = 0
    try:
        entries = list(os.scandir(staging_dir))
    except OSError:
        return 0
    for entry in entries:
        try:
            if (entry.name.startswith(_PREFIX) and entry.is_dir(follow_symlinks=False)
                    and entry.stat(follow_symlinks=False).st_mtime < cutoff):
                shutil.rmtree(entry.path)
                removed += 1
        except OSError:
            continue
    return removed


def discard(staged: StagedFile) -> None:
    """Remove the staging copy and its (then empty) folder; never anything else.

    Only a copy made by stage() (in a 'stage-*' folder) is removed: a StagedFile that points
    at the person's own file (as `check` builds) is left alone.
    """
    if not staged.staged.parent.name.startswith(_PREFIX) or staged.staged == staged.source:
        return
    try:
        staged.staged.unlink(missing_ok=True)
        staged.staged.parent.rmdir()
    except OSError:
        pass  # not empty or already gone: leave it rather than delete what we did not make


def is_ignored(path: Path, watched: Path, own_outputs: Iterable[Path]) -> bool:
    """True for files never processed (WORKBOOKS.md §1): lock, temp, hidden, our own outputs, symlinks,
    and anything there that is not a regular file (a FIFO, a socket, a device, a folder)."""
    if _ignored_name(path.name):
        return True
    try:
        inner = path.relative_to(watched).parts[:-1]
    except ValueError:
        inner = ()
    if any(part.startswith(".") for part in inner):
        return True
    if path.is_symlink() or any((watched.joinpath(*inner[: i + 1])).is_symlink() for i in range(len(inner))):
        return True
    if path.exists() and not is_regular(path):  # gone: not ours to judge, the settle step finds out
        return True
    return _is_own_output(path, own_outputs)


def _ignored_name(name: str) -> bool:
    """A name never processed: lock, temp, hidden, or not a workbook's."""
    lowered = name.lower()
    return (
        name.startswith("~$")  # Excel owner file
        or (name.startswith(".~lock.") and name.endswith("#"))  # LibreOffice lock
        or name.startswith(".")  # hidden
        or "." not in name.strip(".")  # Excel's temporary save files have no extension
        or lowered.endswith(".tmp")
        or Path(lowered).suffix not in WORKBOOK_SUFFIXES  # not a workbook: never a candidate
    )


@functools.lru_cache(maxsize=64)
def _resolved(path: Path) -> Path:
    """The service's own output paths, resolved once: they are fixed by the config, and a
    rescan of a share with thousands of files would otherwise resolve each of them per file."""
    return path.resolve()


def _is_own_output(path: Path, own_outputs: Iterable[Path], resolved: Path | None = None) -> bool:
    """The path (`resolved`: the same, already resolved) is one of the service's own outputs or
    in one, or a companion of the database (-wal, -shm, -journal). Compared as strings: a share
    of thousands of files asks this of each at every scan."""
    real = str(resolved or path.resolve())
    for out in own_outputs:
        out_real = _resolved_text(out)
        if real == out_real or real.startswith(out_real.rstrip(os.sep) + os.sep):  # the output itself or inside it
            return True
        # SQLite's companions of the database: -wal, -shm, -journal
        if real.startswith(out_real + "-") and os.sep not in real[len(out_real):]:
            return True
    return False


@functools.lru_cache(maxsize=64)
def _resolved_text(path: Path) -> str:
    return str(_resolved(path))


def candidates(watched: Path, own_outputs: Iterable[Path]) -> list[Path]:
    """Every regular file under `watched` that is not ignored, sorted; symlinked folders are not entered."""
    outputs = [Path(p) for p in own_outputs]
    resolved_outputs = {_resolved(p) for p in outputs}
    found: list[Path] = []
    for root, dirs, files in os.walk(watched, followlinks=False):
        here = Path(root)
        real = here.resolve()  # once a folder: no symlinked folder is entered, so a file's is real / name
        dirs[:] = [d for d in dirs if not d.startswith(".") and not (here / d).is_symlink()
                   and real / d not in resolved_outputs]
        for name in files:
            if _ignored_name(name):
                continue
            path = here / name
            if not is_regular(path):  # symlinks, FIFOs, sockets, devices: never opened
                continue
            if not _is_own_output(path, outputs, real / name):  # is_ignored's rules, the folder's already met
                found.append(path)
    return sorted(found)
