"""What each current version puts in the consolidated workbook, kept from one rewrite to the next.

A version never changes once recorded. So its rows on sheet Data, and its block on its
kind's overview sheet, are the same XML at every rewrite, as long as what they are drawn
from holds: the version as the store describes it (file, save time, number: `key`) and,
for a block, the overview's columns, which depend on every report of the kind
(Overview.signature). A rewrite writes the rows of new versions and puts the kept rows of
the others in line (xml_rows.py: rows carry no position, so kept rows fit anywhere), so a
50,000-line report costs its XML once, not at every save of a small one.

Kept in a folder of this process's own under the state folder, as files of XML; cleared
when the process ends, and what a killed process left is removed by the next one. Only a
cache: without it (or after it is cleared) every rewrite writes everything, as the first.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import weakref
from dataclasses import dataclass
from pathlib import Path

from syncservice.base.models import StoredVersion
from syncservice.outputs.consolidated.xml_rows import Part

_PREFIX = "fragments-"
_OWNER = re.compile(_PREFIX + r"(\d+)-")


@dataclass(frozen=True)
class Block:
    """A report's block on an overview sheet: its rows (a part) and what it adds to the totals."""

    part: Part
    unit: str
    year: int
    sums: dict[tuple[str, str], float]


class Fragments:
    """The kept parts of one process, in `folder` (a new folder under `parent`, or under the
    system's temp folder)."""

    def __init__(self, parent: Path | None = None) -> None:
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
            _remove_orphans(parent)
        self.folder = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-", dir=parent))
        self.layouts: dict[tuple, tuple[object, int]] = {}  # version key → (its KindLayout, its figure count)
        self.data: dict[tuple, Part] = {}  # version key → its Data rows
        self.blocks: dict[tuple, Block] = {}  # (version key, overview signature) → its block
        self.lines: dict[tuple, str] = {}  # (sheet, what a list sheet's row shows) → the row as XML
        self.style_ids: tuple[int, ...] = ()  # the style ids the kept XML was written with
        self._used: set[tuple] = set()
        weakref.finalize(self, shutil.rmtree, self.folder, ignore_errors=True)

    @staticmethod
    def key(v: StoredVersion) -> tuple:
        """What a version's rows are drawn from, besides its figures (which never change)."""
        extra = json.dumps(v.extra, sort_keys=True, default=str)
        return (v.version_id, v.sha256, v.kind, v.unit, v.year, v.file_name, v.saved_at, v.shown, v.as_of,
                v.through, extra)

    def styles(self, ids: tuple[int, ...]) -> None:
        """The style ids of this workbook's palette (cells.palette_ids): kept XML whose ids no
        longer mean the same looks is dropped."""
        if ids[:len(self.style_ids)] != self.style_ids:
            self.clear()
        self.style_ids = ids

    def get(self, table: dict, key: tuple):
        value = table.get(key)
        if value is not None:
            self._used.add((id(table), key))
        return value

    def put(self, table: dict, key: tuple, value) -> None:
        table[key] = value
        self._used.add((id(table), key))

    def finish(self) -> None:
        """After a rewrite: forget what it did not use (versions no longer current, blocks drawn
        for other columns) and remove every file nothing kept refers to."""
        for table in (self.layouts, self.data, self.blocks, self.lines):
            for key in [k for k in table if (id(table), k) not in self._used]:
                del table[key]
        self._used.clear()
        kept = {p.path.name for p in self.data.values()} | {b.part.path.name for b in self.blocks.values()}
        for path in self.folder.iterdir():
            if path.name not in kept:
                path.unlink(missing_ok=True)

    def clear(self) -> None:
        self.lines.clear()
        self.layouts.clear()
        self.data.clear()
        self.blocks.clear()
        self._used.clear()


def _remove_orphans(parent: Path) -> None:
    """Folders left by a process that is gone (killed, or the machine restarted)."""
    for folder in parent.glob(_PREFIX + "*"):
        owner = _OWNER.match(folder.name)
        if owner is None or not _alive(int(owner.group(1))):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name == "nt":  # on Windows os.kill(pid, 0) would end the process
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process: leave its folder alone
    return True
