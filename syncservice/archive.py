"""Archive: keep every file received, read-only, under a name that is never reused.

StagedFile → archive/{accepted|rejected}/YYYY/MM/YYYYMMDDTHHMMSSZ_<sha256[:12]>_<safe name>,
and beside it '<that name>.json': where it was saved, its save and receive times, its verdict
(archive_index.py), so the store can be rebuilt from the archive alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import unicodedata
from pathlib import Path

from syncservice import archive_index
from syncservice.durable import ensure_dir, fsync_dir, remove_quietly
from syncservice.errors import DiskError
from syncservice.models import StagedFile

MAX_NAME_CHARS = 120
MAX_NAME_BYTES = 200  # a file name may be 255 bytes; leave room for the prefix and '-N'
MAX_ATTEMPTS = 1000
CHUNK = 1 << 20
# Path separators and characters Windows forbids in names (the archive may live on a share).
_UNSAFE = re.compile(r'[/\\:*?"<>|]')
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)


def safe_name(name: str) -> str:
    """A file name from staff as harmless data: no separators, control characters or leading dots."""
    name = unicodedata.normalize("NFC", name)
    name = "".join(c for c in name if unicodedata.category(c) != "Cc")
    name = _UNSAFE.sub("", name).lstrip(".").rstrip(". ")
    stem, dot, suffix = name.rpartition(".")
    if not dot or len(suffix) > 10:
        stem, suffix = name, ""
    else:
        suffix = "." + suffix
    while stem and (len(stem + suffix) > MAX_NAME_CHARS or len((stem + suffix).encode()) > MAX_NAME_BYTES):
        stem = stem[:-1]
    return (stem.rstrip(". ") or "file") + suffix


def archive_name(staged: StagedFile, now: dt.datetime) -> str:
    """'20240301T101530Z_<sha256[:12]>_<safe name>'; naive `now` is taken as UTC."""
    utc = now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)
    return f"{utc:%Y%m%dT%H%M%SZ}_{staged.sha256[:12]}_{safe_name(staged.name)}"


def archive(staged: StagedFile, archive_dir: Path, accepted: bool, now: dt.datetime) -> Path:
    """Copy the staged copy into the archive with O_EXCL, fsync it, write its sidecar, fsync
    the folder, make it read-only.

    Returns the new path. Raises DiskError if it cannot be written; no partial file is left.
    """
    utc = now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)
    folder = archive_dir / ("accepted" if accepted else "rejected") / f"{utc:%Y}" / f"{utc:%m}"
    name = archive_name(staged, utc)
    try:
        ensure_dir(folder)
        target, fd = _create_unique(folder, name)
    except OSError as exc:
        raise DiskError(f"cannot archive {staged.name} in {folder}: {exc.strerror or exc}") from exc
    try:
        _copy_verified(staged, fd)
    except BaseException as exc:
        remove_quietly(target)
        if isinstance(exc, OSError):
            raise DiskError(f"cannot archive {staged.name} to {target}: {exc.strerror or exc}") from exc
        raise
    try:
        archive_index.write(target, staged, accepted, utc)
        fsync_dir(folder)
        os.chmod(target, 0o444)
    except OSError as exc:
        discard(target)
        raise DiskError(f"cannot archive {staged.name} to {target}: {exc.strerror or exc}") from exc
    return target


def _create_unique(folder: Path, name: str) -> tuple[Path, int]:
    """Open folder/name, or name-2, name-3 … (before the extension), exclusively."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or "_" in suffix:
        stem, dot, suffix = name, "", ""
    for n in range(1, MAX_ATTEMPTS + 1):
        candidate = folder / (name if n == 1 else f"{stem}-{n}{dot}{suffix}")
        try:
            return candidate, os.open(candidate, _CREATE, 0o644)
        except FileExistsError:
            continue
    raise FileExistsError(f"{MAX_ATTEMPTS} archive names starting {name} already exist")


def _copy_verified(staged: StagedFile, fd: int) -> None:
    """Write the staged bytes to fd and fsync; the bytes must still hash to staged.sha256."""
    digest = hashlib.sha256()
    with os.fdopen(fd, "wb") as out, open(staged.staged, "rb") as src:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if digest.hexdigest() != staged.sha256:
        raise DiskError(f"the staging copy of {staged.name} changed before it was archived")


def discard(copy: Path) -> None:
    """Take back an archived copy nothing in the store points at, with its sidecar."""
    remove_quietly(copy)
    remove_quietly(archive_index.sidecar(copy))
