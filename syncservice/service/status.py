"""Status: what a running service tells the outside, in state/status.json.

Service → Status → write() (atomic) … read() ← `syncservice status`. Whether it is
running is not taken from this file (a killed process cannot update it) but from the
instance lock (lock.is_held).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TypeVar

from syncservice.base import localtime
from syncservice.base.durable import atomic_write

RUNNING, STOPPED = "running", "stopped"
T = TypeVar("T")


def now_text() -> str:
    """Now in output.timezone with its offset, to the second (localtime.py)."""
    return localtime.now_text()


@dataclass(frozen=True)
class Status:
    pid: int
    host: str
    started: str
    observer: str  # native or polling
    watched: str
    state: str = RUNNING  # running, or stopped (cleanly)
    stopped: str = ""
    last_pass: str = ""  # when the last burst of work ended
    last_pass_files: int = 0
    last_scan: str = ""  # when the folder was last scanned in full (catch-up, rescan)
    pending: int = 0  # files waiting to settle or to be processed
    processed: int = 0  # files processed since start
    summary_writes: int = 0  # consolidated workbook rewrites since start
    last_error: str = ""
    last_error_at: str = ""
    updated: str = ""
    observer_down: str = ""  # since when nothing watches the folder (it vanished, or is another folder now)
    observer_restarts: int = 0  # since start: the folder vanished, was remounted or replaced
    observer_restarted: str = ""
    observer_why: str = ""




@dataclass(frozen=True)
class IngestPass:
    """What the last `syncservice ingest` did, for `status` to show beside run's last pass."""

    ended: str  # output.timezone, with its offset
    files: int
    tally: str  # '2 godkendt, 1 afvist, …' as ingest printed it


def write(path: Path, status: Status | IngestPass) -> None:
    text = json.dumps(asdict(status), ensure_ascii=False, indent=1)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def read(path: Path, of: type[T] | None = None) -> T | None:
    """The last `of` (a Status by default) written at `path`, or None when there is none
    (never run, or unreadable)."""
    kind: type = of or Status
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    known = {f.name for f in fields(kind)}
    try:
        return kind(**{k: v for k, v in data.items() if k in known})
    except TypeError:  # a field missing: written by another version
        return None


def latest_pass(last: Status | None, ingest: IngestPass | None) -> tuple[str, int, str] | None:
    """(when, files, by whom: 'run' or 'ingest') of the later of run's last pass and the last
    ingest; None when neither has been. Times in one zone compare as their moments."""
    import datetime as dt

    found = []
    if last is not None and last.last_pass:
        found.append((last.last_pass, last.last_pass_files, "run"))
    if ingest is not None and ingest.ended:
        found.append((ingest.ended, ingest.files, "ingest"))
    return max(found, key=lambda f: dt.datetime.fromisoformat(f[0])) if found else None
