"""Settle: wait until a saved file is complete before anyone reads it.

events (path, time) → Settler → paths ready to process.

A path is ready when no event came for it for `settle_seconds`, its size and mtime were
the same at two looks `settle_seconds` apart, and, for .xlsx/.xlsm, it opens as a zip
(else it is looked at again with backoff). Other files (.csv, .xls) are handed over once
stable, so validation can reject them with their own message. Anything that is not a
regular file (a FIFO, a socket, a folder) is forgotten at its first look, never opened.
Many events for one file within the window give one hand-over, of its final content.

Not thread-safe and never sleeps: the caller owns the lock and the loop, and passes a
clock, so tests drive it with a fake one (as watchdog's utils/event_debouncer.py keeps
its timing apart from the observer).
"""

from __future__ import annotations

import os
import stat as stat_mod
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from syncservice.stage import NotARegularFile, open_regular

# The save formats that must be a complete zip (OOXML) before they are worth reading.
ZIP_SUFFIXES = frozenset({".xlsx", ".xlsm"})
# How long a stable .xlsx may stay "not a zip" before it is handed over anyway, to be
# rejected as not a workbook. A writer that is still writing changes size or mtime and
# restarts this clock, so a slow save is never rejected for being half-written.
PATIENCE_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 30.0


@dataclass(frozen=True)
class Look:
    """What a stat says about a file's content: equal looks mean nobody wrote in between."""

    size: int
    mtime_ns: int
    regular: bool = True  # False: a FIFO, socket, device, folder or symlink, never to be opened


def look(path: Path) -> Look:
    st = os.stat(path, follow_symlinks=False)
    return Look(st.st_size, st.st_mtime_ns, stat_mod.S_ISREG(st.st_mode))


OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")


def looks_whole(path: Path) -> bool:
    """True when an .xlsx/.xlsm opens as a zip, or is an OLE file (a password-protected
    workbook or an .xls under the wrong name): either is worth judging now. False also
    when it cannot be opened (on Windows: locked by the program saving it) or is not a
    regular file: that is never opened (stage.open_regular), so a FIFO cannot block us."""
    try:
        with os.fdopen(open_regular(path), "rb") as f:
            if zipfile.is_zipfile(f):
                return True
            f.seek(0)
            return f.read(len(OLE_MAGIC)) == OLE_MAGIC
    except (OSError, NotARegularFile):
        return False


def backoff(attempt: int, base: float, cap: float = MAX_BACKOFF_SECONDS) -> float:
    """Delay before attempt n (1, 2, 3 …): base, 2·base, 4·base … up to cap."""
    return min(cap, max(base, 0.05) * 2 ** max(0, attempt - 1))


@dataclass
class _Entry:
    last_event: float
    due: float  # when to look at it next
    seen: Look | None = None
    seen_at: float = 0.0
    waits: int = 0  # backoffs since the last event; > 0 means waiting, not settling
    not_zip_since: float | None = None


class Settler:
    """path → time of its last event; poll() hands over the paths that have settled."""

    def __init__(self, settle_seconds: float, *, clock: Callable[[], float] = time.monotonic,
                 stat: Callable[[Path], Look] = look, opens: Callable[[Path], bool] = looks_whole,
                 patience: float = PATIENCE_SECONDS) -> None:
        self.settle = settle_seconds
        self.clock = clock
        self.stat = stat
        self.opens = opens
        self.patience = patience
        self._entries: dict[Path, _Entry] = {}
        self._handed: dict[Path, Look | None] = {}  # how each path looked when poll() handed it over

    def touch(self, path: Path) -> None:
        """An event for `path`: (re)start its window. The first look is taken at once."""
        now = self.clock()
        entry = self._entries.get(path)
        if entry is None:
            self._entries[path] = _Entry(last_event=now, due=now)
        else:
            entry.last_event = now
            entry.waits = 0
            entry.due = min(entry.due, now)

    def later(self, path: Path, delay: float) -> None:
        """Look at `path` again after `delay` (the worker could not read it: locked or changing).

        It is checked for stability again, and does not hold back the end of a burst.
        """
        now = self.clock()
        entry = self._entries.get(path)
        if entry is not None and entry.waits == 0:
            return  # saved again meanwhile: that event already brings it back
        entry = self._entries.setdefault(path, _Entry(last_event=now - self.settle, due=now))
        entry.seen = None
        entry.waits = max(entry.waits, 1)
        entry.due = now + delay

    def poll(self) -> list[Path]:
        """The paths ready now, in the order their events came; they are forgotten here."""
        now = self.clock()
        ready = []
        for path, entry in list(self._entries.items()):
            if entry.due > now:
                continue
            verdict = self._check(path, entry, now)
            if verdict is not None:
                del self._entries[path]
                if verdict:
                    ready.append(path)
                    self._handed[path] = entry.seen
        return ready

    def written_since(self, path: Path) -> bool:
        """True when `path` no longer looks as it did when poll() handed it over: a new save
        began while it waited to be processed (its event may not even have come yet: a
        polling observer sees it only at its next scan). Asked once per hand-over."""
        seen = self._handed.pop(path, None)
        if seen is None:
            return False
        try:
            return self.stat(path) != seen
        except OSError:
            return False  # gone or unreadable: the worker finds out and says so

    def _check(self, path: Path, entry: _Entry, now: float) -> bool | None:
        """True: ready. False: forget it (gone). None: keep waiting (entry.due updated)."""
        try:
            current = self.stat(path)
        except FileNotFoundError:
            return False  # renamed away or deleted (Excel's backup copy): nothing to process
        except OSError:
            # Unreadable for now (a share hiccup): the worker's retry decides, not us.
            return True
        if not current.regular:
            return False  # a FIFO, socket or folder under a workbook's name: ignored, never opened
        if current != entry.seen:
            # First look, or written since the last one: stability is measured from here.
            entry.seen, entry.seen_at, entry.not_zip_since = current, now, None
            entry.due = max(now, entry.last_event) + self.settle
            return None
        stable_since = max(entry.seen_at, entry.last_event)
        if now - stable_since < self.settle:
            entry.due = stable_since + self.settle
            return None
        if path.suffix.lower() in ZIP_SUFFIXES and not self.opens(path):
            if entry.not_zip_since is None:
                entry.not_zip_since = now
            if now - entry.not_zip_since < self.patience:
                entry.waits += 1
                entry.due = now + backoff(entry.waits, self.settle)
                return None
            # Stable for a long time and still no zip: it is what it is; validation says so.
        return True

    def next_due(self) -> float | None:
        """Clock time of the next look, or None when nothing is waiting."""
        return min((e.due for e in self._entries.values()), default=None)

    def busy(self) -> bool:
        """True while some file is still settling after an event (a burst is not over).

        Files only waiting on a backoff (locked, not yet a zip) do not count: one locked
        workbook must not hold back the consolidated workbook for everyone else.
        """
        return any(e.waits == 0 for e in self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, path: object) -> bool:
        return path in self._entries
