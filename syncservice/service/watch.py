"""Watch: the shared folder's events → paths that may have been saved.

watchdog observer (native, or polling for network shares) → SaveHandler → sink(path).
The handler only filters by name and place and hands on; it never waits, reads or
validates on the observer's thread, so a burst of events is never held up by work.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

from loguru import logger
from watchdog.events import (
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from syncservice.base.errors import ServiceError
from syncservice.intake.stage import is_ignored

NATIVE, POLLING = "native", "polling"

# What a save looks like. Excel writes a temporary file and renames it onto the name
# (a move whose destination is the workbook); LibreOffice and copies create or modify;
# inotify's close-after-write marks the end of a direct write. Opened, closed-without-
# writing (our own reads) are never a save. A delete, and the old name of a move, are
# handed to `gone`: a file the store cites may have left the folder (WORKBOOKS.md §9).
SAVE_EVENTS: list[type[FileSystemEvent]] = [FileCreatedEvent, FileModifiedEvent, FileMovedEvent, FileClosedEvent,
                                            FileDeletedEvent, DirDeletedEvent, DirMovedEvent]


class SaveHandler(FileSystemEventHandler):
    """Hands `sink` the path each save-like event leaves a file at, unless it is ignored
    (lock, temporary, hidden, our own outputs: stage.is_ignored)."""

    def __init__(self, watched: Path, outputs: Iterable[Path], sink: Callable[[Path], None],
                 gone: Callable[[Path], None] | None = None) -> None:
        self.watched = watched
        self.outputs = list(outputs)
        self.sink = sink
        self.gone = gone

    def on_any_event(self, event: FileSystemEvent) -> None:
        try:
            self._handle(event)
        except Exception:  # an exception here would end watchdog's dispatcher thread: no more events
            logger.exception("cannot handle {}", event)

    def _handle(self, event: FileSystemEvent) -> None:
        if event.event_type in ("deleted", "moved") and self.gone is not None and event.src_path:
            self._gone(Path(os.fsdecode(event.src_path)), event.is_directory)
        if event.is_directory:
            return  # watchdog reports the files of a folder moved or copied in one by one
        if isinstance(event, FileDeletedEvent):
            return
        if isinstance(event, FileMovedEvent):
            raw = event.dest_path  # a rename into place counts as a save; the old name is gone
        elif isinstance(event, (FileCreatedEvent, FileModifiedEvent, FileClosedEvent)):
            raw = event.src_path
        else:
            return
        if not raw:
            return
        path = Path(os.fsdecode(raw))
        try:
            if is_ignored(path, self.watched, self.outputs):
                return
        except OSError:
            pass  # could not tell (the file went away meanwhile): let the settle step look
        self.sink(path)


    def _gone(self, path: Path, folder: bool) -> None:
        try:  # a folder deleted or moved away takes its files; a file may be Excel's owner file closing
            if not folder and is_ignored(path, self.watched, self.outputs):
                return
        except OSError:
            pass
        assert self.gone is not None
        self.gone(path)


def make_observer(mode: str, poll_seconds: float) -> BaseObserver:
    """inotify/FSEvents/ReadDirectoryChangesW, or a PollingObserver comparing snapshots
    every poll_seconds: the only kind that sees what other machines write to an
    SMB/CIFS or NFS mount."""
    if mode == POLLING:
        return PollingObserver(timeout=poll_seconds)
    if mode == NATIVE:
        return Observer()
    raise ValueError(f"unknown observer {mode!r}")


class Watcher:
    """The observer over one folder, recursively. start() → sink(path) on saves → stop()."""

    def __init__(self, watched: Path, outputs: Iterable[Path], sink: Callable[[Path], None], *,
                 mode: str = NATIVE, poll_seconds: float = 5.0, gone: Callable[[Path], None] | None = None) -> None:
        self.watched = watched
        self.mode = mode
        self.poll_seconds = poll_seconds
        self.handler = SaveHandler(watched, outputs, sink, gone)
        self._observer: BaseObserver | None = None
        self._identity: tuple[int, int] | None = None  # (st_dev, st_ino) of the folder the observer was put on

    def start(self) -> None:
        if not self.watched.is_dir():
            raise ServiceError(f"the watched folder does not exist or is not a folder: {self.watched}")
        observer = make_observer(self.mode, self.poll_seconds)
        try:
            observer.schedule(self.handler, str(self.watched), recursive=True, event_filter=SAVE_EVENTS)
            observer.start()
        except OSError as exc:
            _stop(observer)
            hint = ("; on Linux raise fs.inotify.max_user_watches, or set watch.observer = \"polling\""
                    if self.mode == NATIVE else "")
            raise ServiceError(f"cannot watch {self.watched}: {exc}{hint}") from exc
        self._observer = observer
        self._identity = folder_identity(self.watched)

    def trouble(self) -> str | None:
        """None while the observer runs over the very folder it was put on; else why it does not.

        An observer can run on and hear nothing: inotify follows the folder it was given, so
        one renamed away (a new one made in its place), or a share unmounted and mounted
        again, leaves it watching another folder than the one named (issue 14).
        """
        observer = self._observer
        if not (observer is not None and observer.is_alive()
                and bool(observer.emitters) and all(e.is_alive() for e in observer.emitters)):
            return "the observer stopped"
        now = folder_identity(self.watched)
        if now is None:
            return "the watched folder is gone"
        if now != self._identity:
            return "the watched folder is another one now (remounted, or renamed away and made anew)"
        return None

    def alive(self) -> bool:
        """False once the observer or its emitter stopped, or the folder under it is no longer
        the one watched (vanished, remounted, replaced): trouble() says which."""
        return self.trouble() is None

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        observer, self._observer = self._observer, None
        if observer is not None:
            _stop(observer)


def folder_identity(path: Path) -> tuple[int, int] | None:
    """(device, inode) of the folder at `path`: another mount or another folder has another; None when none is there."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None


def _stop(observer: BaseObserver) -> None:
    try:
        if observer.is_alive():
            observer.stop()
            observer.join(timeout=10)
        else:
            observer.unschedule_all()
    except Exception:  # never let a stuck observer stop the shutdown
        logger.exception("stopping the observer failed")
