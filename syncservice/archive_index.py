"""What the archive knows of each file it keeps, so the store can be rebuilt from it alone.

    archived copy + StagedFile → write() → '<copy name>.json' beside it, read-only
    archive folder → received() → [Archived], in the order the files were received

The copy's name says when it was received (to the second), the first 12 hex digits of its
sha256 and its file name; the sidecar adds what a rebuild needs besides: the path in the
watched folder, the size and modification time (the save time), the received time to the
microsecond and a tie-breaking clock reading, and the verdict. One small JSON file per
copy rather than an index per month: written once, atomically, and never appended to, so
a crash can leave a copy without its sidecar (read as an older copy is) but never a torn
index; and it goes wherever its copy goes when an archive is moved or pruned.

Copies archived before sidecars existed are read from their name alone: their folders in
the watched folder, modification time and order within one second are unknown.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from syncservice.durable import atomic_write
from syncservice.models import StagedFile

FORMAT = 1
SUFFIX = ".json"
FOLDERS = ("accepted", "rejected")  # archive/feedback holds cleared reports: not staff files
# '20240301T101530Z_<sha256[:12]>_<safe name>', from archive.archive_name (+ '-N' when taken)
NAME = re.compile(r"(?P<when>\d{8}T\d{6}Z)_(?P<sha>[0-9a-f]{12})_(?P<name>.+)")
CHUNK = 1 << 20


@dataclass(frozen=True)
class Archived:
    """One archived copy and what is known of its receipt."""

    path: Path  # the copy
    rel: str  # where it was saved, relative to the watched folder (posix)
    sha256: str
    size: int
    mtime_ns: int
    received: dt.datetime  # UTC
    verdict: str  # as recorded then: accepted or rejected (the folder it is in)
    clock_ns: int = 0  # time.time_ns() when archived: orders copies received in the same microsecond
    # (without a sidecar: the '-N' the archive counted a repeated name with, else 1)
    legacy: bool = False  # no sidecar: rel is the file name only, mtime_ns the received time

    @property
    def order(self) -> tuple:
        return (self.received, self.clock_ns, self.path.name)


def sidecar(copy: Path) -> Path:
    return copy.with_name(copy.name + SUFFIX)


def write(copy: Path, staged: StagedFile, accepted: bool, now: dt.datetime) -> Path:
    """The sidecar of `copy`, written atomically (a hidden temporary file renamed into place)
    and made read-only like the copy. Raises OSError."""
    utc = now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)
    record = {"format": FORMAT, "rel": staged.rel, "name": staged.name, "sha256": staged.sha256,
              "size": staged.size, "mtime_ns": staged.mtime_ns, "received_at": utc.isoformat(timespec="microseconds"),
              "clock_ns": time.time_ns(), "verdict": "accepted" if accepted else "rejected"}
    body = json.dumps(record, ensure_ascii=False, indent=1) + "\n"
    target = sidecar(copy)
    atomic_write(target, lambda tmp: tmp.write_text(body, encoding="utf-8"))
    os.chmod(target, 0o444)  # after the fsync: Windows cannot fsync a read-only file
    return target


def received(archive_dir: Path) -> tuple[list[Archived], list[tuple[Path, str]]]:
    """Every staff file in the archive, oldest received first, and the files passed over
    with why (a copy whose bytes are not what its name or sidecar says: torn by a kill
    mid-copy, never recorded). Reads only."""
    found: list[Archived] = []
    skipped: list[tuple[Path, str]] = []
    for folder in FOLDERS:
        top = archive_dir / folder
        if not top.is_dir():
            continue
        for path in sorted(top.rglob("*")):
            # hidden: a sidecar's temporary file, left by a kill before its rename
            if path.name.startswith(".") or not path.is_file() or path.is_symlink() or _is_sidecar(path):
                continue
            match = NAME.fullmatch(path.name)
            if match is None:
                skipped.append((path, "not an archived file's name"))
                continue
            actual = _sha256(path)
            entry = _entry(path, match, folder, actual)
            if entry.sha256 != actual or not actual.startswith(match["sha"]):
                skipped.append((path, "its bytes are not the ones it was archived with"))
            else:
                found.append(entry)
    return sorted(found, key=lambda a: a.order), skipped


def _is_sidecar(path: Path) -> bool:
    """A sidecar, not a staff file that happens to end in .json: its copy is beside it and it says so."""
    if not path.name.endswith(SUFFIX) or not path.with_name(path.name[: -len(SUFFIX)]).is_file():
        return False
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("format") == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def _entry(path: Path, match: re.Match[str], folder: str, actual: str) -> Archived:
    try:
        meta = json.loads(sidecar(path).read_text(encoding="utf-8"))
        return Archived(path, meta["rel"], meta["sha256"], int(meta["size"]), int(meta["mtime_ns"]),
                        dt.datetime.fromisoformat(meta["received_at"]).astimezone(dt.UTC), meta["verdict"],
                        int(meta.get("clock_ns", 0)))
    except (OSError, ValueError, KeyError, TypeError):
        pass  # archived before sidecars, or killed before its sidecar was written
    when = dt.datetime.strptime(match["when"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    name = match["name"]
    counted = re.fullmatch(r"(?P<stem>.+)-(?P<n>\d+)(?P<suffix>\.[^.]*)?", name)  # archive._create_unique's '-N'
    uncounted = counted and counted["stem"] + (counted["suffix"] or "")
    nth = 1  # the counter orders copies of one name within its second; other copies, by name
    if uncounted and path.with_name(f"{match['when']}_{match['sha']}_{uncounted}").exists():
        name, nth = uncounted, int(counted["n"])
    return Archived(path, name, actual, path.stat().st_size, int(when.timestamp()) * 1_000_000_000, when,
                    folder, clock_ns=nth, legacy=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
