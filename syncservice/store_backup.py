"""The store's health and its copies: `PRAGMA quick_check` before anything writes to it,
and a consistent copy while the service runs.

    database path → problem() → None, or what SQLite found wrong
    database path → backup(dest) → a checked, self-contained copy at dest

Part of the store (SQL lives only in the store); the CLI and the service call these.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import sqlite3
from collections.abc import Callable
from pathlib import Path

from syncservice.durable import ensure_dir, fsync_dir, fsync_file, remove_quietly
from syncservice.errors import StoreDamaged, StoreError

BACKUP_PAGES = 256  # pages copied per step: 1 MiB at 4 KiB pages
MAX_PROBLEMS = 3  # of quick_check's lines, the first few say enough


def problem(path: Path) -> str | None:
    """What `PRAGMA quick_check` finds wrong with the database at `path`, or None when it is
    sound (or absent: a new store is made there). Opens it read-only: a damaged store is
    never written to, not even to change its journal mode."""
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the store {path}: {exc}") from exc
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        if not is_damage(exc):  # busy, locked, unreadable: a fault, but not a damaged store
            raise StoreError(f"cannot check the store {path}: {exc}") from exc
        return str(exc)
    finally:
        conn.close()
    if rows == [("ok",)]:
        return None
    return "; ".join(str(r[0]) for r in rows[:MAX_PROBLEMS]) + (" …" if len(rows) > MAX_PROBLEMS else "")


def is_damage(exc: sqlite3.Error) -> bool:
    """SQLITE_CORRUPT ("database disk image is malformed") or SQLITE_NOTADB ("file is not a database")."""
    return (getattr(exc, "sqlite_errorcode", 0) & 0xFF) in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def damaged(path: Path, found: str, language: str) -> StoreDamaged:
    """The error a damaged store gives: what is wrong, that it is left alone, and what to do."""
    if language == "da":
        return StoreDamaged(
            f"lageret {path} er beskadiget (SQLite quick_check: {found}). Der skrives ikke i det. "
            "Stop syncservice, og byg et nyt lager fra arkivet med `syncservice rebuild --force` "
            "(det beskadigede lager flyttes til side, arkivet røres ikke); eller læg den seneste "
            "sikkerhedskopi (`syncservice backup`) på dets plads.")
    return StoreDamaged(
        f"the store {path} is damaged (SQLite quick_check: {found}). Nothing is written to it. "
        "Stop syncservice and build a new store from the archive with `syncservice rebuild --force` "
        "(the damaged store is moved aside, the archive is not touched); or put the latest "
        "backup (`syncservice backup`) in its place.")


def as_damage(exc: BaseException, path: Path, language: str) -> StoreDamaged | None:
    """`exc` (a StoreError, say) as StoreDamaged when SQLite said, beneath it, that the store
    is damaged; else None. For a store found damaged while in use."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, StoreDamaged):
            return seen
        if isinstance(seen, sqlite3.Error) and is_damage(seen):
            return damaged(path, str(seen), language)
        seen = seen.__cause__
    return None


def ensure_sound(path: Path, language: str) -> None:
    """Raise StoreDamaged when the store at `path` fails quick_check; nothing when it passes or is absent."""
    found = problem(path)
    if found is not None:
        raise damaged(path, found, language)


def backup_name(now: dt.datetime) -> str:
    """The name of a backup written into a folder: 'syncservice-20261203T020000Z.sqlite'."""
    return f"syncservice-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}.sqlite"


def backup(source: Path, dest: Path, language: str = "da", *, pages: int = BACKUP_PAGES,
           progress: Callable[[int, int], None] | None = None,
           now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> Path:
    """A consistent copy of the store at `source`, written to `dest` (a folder, existing or a
    name without an extension: a new 'syncservice-<UTC time>.sqlite' in it); returns the
    path written.

    SQLite's online backup (sqlite3.Connection.backup) copies `pages` pages per step from
    inside one read transaction held on the source: in WAL mode a reader never blocks the
    service's writes, and the snapshot stays that of the transaction's start, so the copy
    is consistent and never restarts however much is written meanwhile. `progress(remaining,
    total)` is called after each step (tests write to the store there). The copy is made
    self-contained (rollback journal, not WAL), passes quick_check, and is renamed into
    place only then: a failed backup leaves `dest` as it was. Raises StoreDamaged when the
    source is damaged, StoreError when it cannot be read or is absent.
    """
    if not source.is_file():
        raise StoreError(f"there is no store at {source} to back up")
    folder = dest.is_dir() or (not dest.exists() and not dest.suffix)  # '/var/backups/syncservice': a folder
    target = dest / backup_name(now()) if folder else dest
    if target.resolve() in {source.resolve(), *(source.with_name(source.name + s).resolve() for s in ("-wal", "-shm"))}:
        raise StoreError(f"the backup must go elsewhere than the store itself ({source})")
    ensure_dir(target.parent)
    tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"  # hidden, as durable.atomic_write's
    try:
        src = sqlite3.connect(str(source), timeout=30, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the store {source}: {exc}") from exc
    try:
        try:
            src.execute("BEGIN")
            src.execute("SELECT COUNT(*) FROM sqlite_schema").fetchone()  # the read transaction starts here
            dst = sqlite3.connect(str(tmp), isolation_level=None)
            try:
                src.backup(dst, pages=pages, progress=(lambda status, remaining, total: progress(remaining, total))
                           if progress else None, sleep=0)
                src.execute("COMMIT")
                dst.execute("PRAGMA journal_mode=DELETE")  # one file, whatever the source's WAL held
                found = dst.execute("PRAGMA quick_check").fetchall()
            finally:
                dst.close()
        except sqlite3.Error as exc:
            if not is_damage(exc):
                raise StoreError(f"cannot back up the store {source} to {target}: {exc}") from exc
            raise damaged(source, str(exc), language) from exc
        if found != [("ok",)]:
            raise damaged(source, "; ".join(str(r[0]) for r in found[:MAX_PROBLEMS]), language)
        fsync_file(tmp)
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except OSError as exc:
        raise StoreError(f"cannot write the backup {target}: {exc.strerror or exc}") from exc
    finally:
        src.close()
        remove_quietly(tmp)
    return target
