"""Rows of a write-only sheet written as sheet XML directly, spliced into the saved package.

openpyxl spends about 100 µs on each cell it writes (an XML element built and serialised
through et_xmlfile); a sheet with a row per figure or per line of a 50,000-line report
took a minute. openpyxl still writes everything around the rows (widths, frozen pane,
filter, conditional formats, page setup, breaks, charts, tables) and registers each
cell's style; only the <row> elements are written here, into files, and put in place of
the sheet's empty <sheetData> when the package is saved.

Rows and cells carry no position (no r="…"): the format makes it optional, and a reader
counts rows from the last one with a number and cells from column A (ECMA-376 Part 1,
18.3.1.73 row and 18.3.1.4 c; openpyxl's reader and LibreOffice do so, as Excel does). So
the rows of one report are the same XML wherever they land, and a rewrite reuses them
(fragments.py). An empty cell before a filled one is written as <c/> to hold its place.

Every text is an inline string (t="inlineStr"), as openpyxl writes it: never a formula.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from syncservice.base.openpyxl_private import WriteOnlyWorksheet

SHEET_DATA_END = b"</sheetData>"
_EMPTY_SHEET_DATA = re.compile(rb"<sheetData\s*/>")
# The sheets' XML is most of a large workbook's bytes: zlib's fastest level writes 215 MB of
# Data rows in a third of the default level's time, for a file 15 % larger.
FAST = 1


@dataclass(frozen=True)
class Part:
    """Rows in a file of rows (one <row> a line): bytes start..end of `path`, `rows` of them;
    of those, from line `skip`, `take` lines (all: None)."""

    path: Path
    rows: int
    start: int = 0
    end: int | None = None
    skip: int = 0
    take: int | None = None


class SheetRows:
    """The rows of one write-only sheet, in order, as parts of files of XML: the rows
    appended are written to one file of this sheet's (a part for each stretch between kept
    parts, or for each report between begin_part and end_part), and add_part puts a part
    kept from an earlier rewrite in line. Nothing may be appended to the sheet through
    openpyxl once rows are written here."""

    def __init__(self, ws: WriteOnlyWorksheet, folder: Path) -> None:
        self.ws = ws
        self.folder = folder
        self.parts: list[Part] = []
        self._out: IO[str] | None = None
        self._path: Path | None = None
        self._start = 0  # where the stretch being written began
        self._rows = 0  # rows in it so far
        self._in_part = False

    def append(self, cells: Sequence[str | None], height: float | None = None) -> None:
        """One row of cells as XML (None: an empty cell), from column A; `height` in points."""
        self._sink().write(row_xml(cells, height))
        self._rows += 1

    def write(self, xml: str) -> None:
        """Rows already written as XML, one a line (data.py); count them with counted()."""
        self._sink().write(xml)

    def counted(self, rows: int) -> None:
        self._rows += rows

    def begin_part(self) -> None:
        """Rows appended from now on are one part (a report's rows, to keep) until end_part()."""
        self._end_stretch()
        self._in_part = True

    def end_part(self) -> Part:
        if not self._in_part:
            raise RuntimeError("end_part without begin_part")
        part = self._end_stretch(always=True)
        self._in_part = False
        assert part is not None
        return part

    def add_part(self, part: Part) -> None:
        self._end_stretch()
        self.parts.append(part)

    @property
    def rows(self) -> int:
        """Rows written so far, in every part."""
        return sum(p.rows if p.take is None else p.take for p in self.parts) + self._rows

    def close(self) -> Sequence[Part]:
        self._end_stretch()
        if self._out is not None:
            self._out.close()
            self._out = None
        return self.parts

    def _sink(self) -> IO[str]:
        if self._out is None:
            fd, name = tempfile.mkstemp(prefix="rows-", suffix=".xml", dir=self.folder)
            self._out = open(fd, "w", encoding="utf-8", newline="\n")
            self._path, self._start, self._rows = Path(name), 0, 0
        return self._out

    def _end_stretch(self, always: bool = False) -> Part | None:
        """The rows written since the last part ended, as a part of their own (if any, or `always`)."""
        if self._out is None:
            if not always:
                return None
            self._sink()
        assert self._out is not None and self._path is not None
        self._out.flush()
        end = self._out.tell()
        part = None
        if end > self._start or always:
            part = Part(self._path, self._rows, self._start, end)
            self.parts.append(part)
        self._start, self._rows = end, 0
        return part


def row_xml(cells: Sequence[str | None], height: float | None = None) -> str:
    """One row of cells as XML (None: an empty cell), from column A, as a line; `height` in points."""
    end = len(cells)
    while end and cells[end - 1] is None:
        end -= 1
    attrs = f' ht="{height}" customHeight="1"' if height else ""
    return f"<row{attrs}>{''.join(c or '<c/>' for c in cells[:end])}</row>\n"


def splice(package: Path, sheets: Iterable[tuple[str, Sequence[Part]]]) -> None:
    """Put each sheet's parts of rows into its member (a path in the package, as ws.path) of the
    saved package `package`, in one pass; the other members are copied as they are."""
    by_member = {member.lstrip("/"): parts for member, parts in sheets}
    spliced = package.with_name(package.name + ".rows")
    try:
        with zipfile.ZipFile(package) as src, zipfile.ZipFile(spliced, "w", zipfile.ZIP_DEFLATED,
                                                               allowZip64=True) as dst:
            for info in src.infolist():
                parts = by_member.get(info.filename)
                if parts is None:
                    dst.writestr(info, src.read(info.filename))
                    continue
                sheet = _EMPTY_SHEET_DATA.sub(b"<sheetData></sheetData>", src.read(info.filename))
                head, tail = sheet.split(SHEET_DATA_END, 1)
                target = zipfile.ZipInfo(info.filename, info.date_time)
                target.compress_type = zipfile.ZIP_DEFLATED
                # the level of one member: ZipInfo.compress_level from Python 3.13, _compresslevel before
                setattr(target, "compress_level" if sys.version_info >= (3, 13) else "_compresslevel", FAST)
                with dst.open(target, "w", force_zip64=True) as member, contextlib.ExitStack() as files:
                    out = files.enter_context(io.BufferedWriter(member, 1 << 20))  # type: ignore[arg-type]
                    out.write(head)
                    sources: dict[Path, IO[bytes]] = {}
                    for part in parts:
                        source = sources.get(part.path)
                        if source is None:
                            source = sources[part.path] = files.enter_context(open(part.path, "rb"))
                        _copy(part, source, out)
                    out.write(SHEET_DATA_END + tail)
        shutil.move(spliced, package)
    finally:
        spliced.unlink(missing_ok=True)


def _copy(part: Part, source: IO[bytes], out: IO[bytes]) -> None:
    source.seek(part.start)
    left = (part.end if part.end is not None else os.fstat(source.fileno()).st_size) - part.start
    if part.skip == 0 and part.take is None:
        while left > 0:
            chunk = source.read(min(left, 1 << 20))
            if not chunk:
                raise OSError(f"{part.path} ends before its rows do")
            out.write(chunk)  # a BufferedWriter: thousands of small parts reach zlib as megabytes
            left -= len(chunk)
        return
    last = part.skip + (part.take if part.take is not None else part.rows)
    for n in range(last):  # one row a line: a part split between two sheets
        line = source.readline(left)
        left -= len(line)
        if n >= part.skip:
            out.write(line)
