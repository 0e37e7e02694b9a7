"""A new store from the archive alone, for when the store is lost or damaged.

    archive → archive_index.received() → [Archived], oldest first
            → Pipeline.replay() each, clock at its received time → a new store beside the old
            → the old store moved aside (with --force), the new one renamed into place
            → the consolidated workbook rewritten from it

Each file is judged again by the same code as when it came (validation, then the change
warnings against the versions in force at that moment), so the versions in force, their
figures, the findings and the history come out as the store had them. The archive is only
read. What it never held cannot come back: the rows of files seen again with the same
bytes ('unchanged'), and files rejected without a copy (larger than limits.max_file_mb,
or unreadable for watch.unreadable_minutes).
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from syncservice import archive_index
from syncservice.archive_index import Archived
from syncservice.config import Config
from syncservice.durable import fsync_dir, remove_quietly
from syncservice.errors import DiskError, StoreError
from syncservice.models import StagedFile
from syncservice.pipeline import ACCEPTED, Pipeline
from syncservice.store import Store

_SIDE_FILES = ("", "-wal", "-shm")


@dataclass
class Rebuilt:
    """What a rebuild did, for its closing report."""

    store: Path
    archive: Path
    files: int = 0
    accepted: int = 0
    rejected: int = 0
    versions: int = 0
    current: int = 0
    legacy: list[Path] = field(default_factory=list)  # copies without a sidecar (archived before them)
    skipped: list[tuple[Path, str]] = field(default_factory=list)  # passed over, with why
    repeated: list[Path] = field(default_factory=list)  # an earlier copy of the same bytes at the same path
    verdict_changed: list[tuple[str, str, str]] = field(default_factory=list)  # (rel, then, now)
    moved_aside: Path | None = None
    consolidated: Path | None = None
    summary_error: str = ""


def existing(database: Path) -> bool:
    return any(database.with_name(database.name + s).exists() for s in _SIDE_FILES)


def rebuild(config: Config, archive_dir: Path, *, force: bool = False,
            progress: Callable[[int, int], None] | None = None,
            now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> Rebuilt:
    """Build the store config names from `archive_dir`; returns what was done.
    `progress(files done, files in all)` is called after each file.

    Raises FileExistsError when a store is there and not `force`; with `force` it is moved
    aside ('<name>.replaced-<UTC time>', with its -wal and -shm), never deleted. The caller
    holds the instance lock (no `run` or `ingest` beside it).
    """
    target = config.path("database")
    if existing(target) and not force:
        raise FileExistsError(target)
    done = Rebuilt(target, archive_dir)
    entries, done.skipped = archive_index.received(archive_dir)
    entries = _without_unrecorded(entries, done)
    tmp = target.with_name(f".{target.name}.rebuild-{secrets.token_hex(4)}")
    try:
        with Store.open(tmp) as store:
            pipeline = Pipeline(config, store)
            for entry in entries:
                outcome = pipeline.replay(_staged(entry, config), entry.path, entry.received)
                done.files += 1
                if outcome.status == ACCEPTED:
                    done.accepted += 1
                else:
                    done.rejected += 1
                if outcome.status != entry.verdict:
                    done.verdict_changed.append((entry.rel, entry.verdict, outcome.status))
                if entry.legacy:
                    done.legacy.append(entry.path)
                if progress is not None:
                    progress(done.files, len(entries))
            counts = store.counts()
            done.versions, done.current = counts["versions"], counts["current"]
            store.db.execute("PRAGMA journal_mode=DELETE")  # one file to rename; WAL again when opened
        if existing(target):
            done.moved_aside = _move_aside(target, now())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except OSError as exc:
        raise StoreError(f"cannot write the rebuilt store {target}: {exc.strerror or exc}") from exc
    finally:
        for suffix in _SIDE_FILES:
            remove_quietly(tmp.with_name(tmp.name + suffix))
    with Store.open(target) as store:
        try:
            done.consolidated = Pipeline(config, store).write_summary()
        except DiskError as exc:  # the workbook open in Excel: `syncservice summary` later
            done.summary_error = str(exc)
    return done


def _without_unrecorded(entries: list[Archived], done: Rebuilt) -> list[Archived]:
    """Drop a copy followed, at the same path, by a copy of the same bytes: a run killed
    between archiving and recording left the first, the store never held it, and the next
    pass judged the file again (had the store held it, the second save would have been
    'unchanged', with no copy)."""
    kept: list[Archived | None] = []
    last: dict[str, int] = {}  # rel → index in kept of its newest copy
    for entry in entries:
        at = last.get(entry.rel)
        earlier = kept[at] if at is not None else None
        if at is not None and earlier is not None and earlier.sha256 == entry.sha256:
            done.repeated.append(earlier.path)
            kept[at] = None
        last[entry.rel] = len(kept)
        kept.append(entry)
    return [e for e in kept if e is not None]


def _staged(entry: Archived, config: Config) -> StagedFile:
    return StagedFile(config.path("watched") / entry.rel, entry.rel, entry.path, entry.sha256, entry.size,
                      entry.mtime_ns)


def _move_aside(database: Path, now: dt.datetime) -> Path:
    aside = database.with_name(f"{database.name}.replaced-{now.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}")
    for suffix in _SIDE_FILES:  # the -wal holds commits not yet in the main file: it goes with it
        source = database.with_name(database.name + suffix)
        if source.exists():
            os.replace(source, aside.with_name(aside.name + suffix))
    return aside
