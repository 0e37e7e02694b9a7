"""The values passed between stages.

StagedFile → (read) Cell rows → (locate) Table → (validate) Verdict → (store) StoredVersion.
All frozen: a stage never edits what an earlier stage produced.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple, overload

from openpyxl.utils import get_column_letter

Severity = Literal["error", "warning"]
ERROR: Severity = "error"
WARNING: Severity = "warning"


MAX_ROW, MAX_COL = 1_048_576, 16_384  # Excel's last row and column (XFD)
_WORD = re.compile(r"[\w.]+")  # letters and digits of any script, '_' and '.'
_CELL_LIKE = re.compile(r"([A-Z]{1,3})([0-9]+)")
_R1C1_START = re.compile(r"(RC|R|C)([0-9]*)")


def quote_sheet(name: str) -> str:
    """A sheet's name as Excel writes it in a reference: 'TA', 'Data.2016', 'Æbler' bare;
    "'Tilgang og afgang'", "'Herlev''s tal'", "'2016'", "'Ark1'", "'R2C3'" quoted.

    Excel quotes a name unless it is only letters, digits, '_' and '.', starts with neither
    an ASCII digit nor '.', and cannot be read as a cell: an A1 cell within the sheet's
    limits (ARK1 is one), or the start of an R1C1 address (R, C, RC, R2, C3, R2C3…).
    A quote inside is doubled. The rules as rust_xlsxwriter's quote_sheetname states them.
    """
    if _needs_quotes(name):
        return "'" + name.replace("'", "''") + "'"
    return name


def _needs_quotes(name: str) -> bool:
    if not _WORD.fullmatch(name) or name[0] in "0123456789.":
        return True
    upper = name.upper()
    if cell := _CELL_LIKE.fullmatch(upper):
        letters, row = cell.groups()
        column = 0
        for ch in letters:
            column = column * 26 + ord(ch) - 64
        if column <= MAX_COL and 1 <= int(row) <= MAX_ROW:
            return True
    if upper in ("R", "C", "RC"):
        return True
    if (start := _R1C1_START.match(upper)) and start.group(2):
        limit = MAX_ROW if start.group(1) == "R" else MAX_COL
        return 1 <= int(start.group(2)) <= limit
    return False


def cell_ref(row: int, col: int) -> str:
    """(7, 8) → 'H7'."""
    return f"{get_column_letter(col)}{row}"


class Cell(NamedTuple):
    """One non-empty cell as read, with its position kept for findings.

    A NamedTuple rather than a frozen dataclass: it is made once per cell read, and
    a tuple is several times cheaper to build on a 50,000-row sheet.
    """

    row: int
    col: int
    value: Any
    formula: bool = False  # the cell holds a formula; value is its cached result
    number_format: str = "General"

    @property
    def ref(self) -> str:
        return cell_ref(self.row, self.col)


@dataclass(frozen=True)
class Finding:
    """A problem with the data (never with the service). Text comes from messages.py."""

    rule: str  # stable id, e.g. "total.mismatch"; keys the message catalogue
    severity: Severity
    sheet: str = ""
    cells: tuple[str, ...] = ()
    column: str = ""
    value: str = ""  # the value found, as the person typed it; a number as Python writes it ("1234.5")
    params: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # value is a number read from a number cell: shown in the reader's language ("1.234,5"),
    # where text the person typed is always shown exactly as typed
    numeric: bool = field(default=False, compare=False)

    @property
    def location(self) -> str:
        """"'Tilgang og afgang'!H7", 'TA!B8,C8' as Excel writes a reference; the sheet alone
        for a problem with a sheet; '' for a problem with the file itself."""
        if not self.sheet:
            return ""
        return f"{quote_sheet(self.sheet)}!{','.join(self.cells)}" if self.cells else self.sheet


@dataclass(frozen=True)
class StagedFile:
    """A private, immutable copy of a file as it was when we took it."""

    source: Path  # where the person saved it
    rel: str  # source relative to the watched folder (posix), or the given path for `check`
    staged: Path  # our copy; every later stage reads this, never `source`
    sha256: str
    size: int
    mtime_ns: int

    @property
    def name(self) -> str:
        return self.source.name


@dataclass(frozen=True)
class Figure:
    """One number of a report, tidy: the unit of the Data sheet and the figures table."""

    line: str  # area, initiative or day service
    metric: str  # Mål, Realiseret, Forventet, Effekt, Primo, Tilgang, Afgang, Ultimo, Pladser
    period: str  # '' or 'K1'..'K4' or a year
    value: float  # kroner for amounts, persons for counts
    cell: str  # where it came from, e.g. 'C7'
    line_no: int  # order of the line within the sheet
    track: str = ""  # effekt's optional Spor


class FigureColumn(NamedTuple):
    """One column of a report's figures: the same metric and period on every line."""

    metric: str
    period: str
    letter: str  # the sheet column: a figure's cell is this letter and its line's row
    values: tuple[float, ...]  # one per line


class Figures(Sequence[Figure]):
    """A report's figures kept as the sheet's columns rather than one Figure per number.

    A 50,000-line intake/outflow sheet holds half a million figures: as Figure objects
    they cost about 170 bytes and a microsecond each before they are even hashed and
    stored. Kept as columns, they read as the same sequence of Figure (each made when
    asked for, in the kind's order: line by line, or column by column), while the store
    hashes and inserts them straight from the columns.
    """

    __slots__ = ("lines", "rows", "tracks", "columns", "by_line")

    def __init__(self, lines: Iterable[str], rows: Iterable[int], columns: Iterable[FigureColumn], *,
                 tracks: Iterable[str] | None = None, by_line: bool = False) -> None:
        self.lines = tuple(lines)  # each line's name
        self.rows = tuple(rows)  # each line's sheet row
        self.tracks = tuple(tracks) if tracks is not None else ("",) * len(self.lines)
        self.columns = tuple(columns)
        self.by_line = by_line  # every figure of the first line, then the next …; else column by column
        if len(self.rows) != len(self.lines) or len(self.tracks) != len(self.lines) or any(
                len(c.values) != len(self.lines) for c in self.columns):
            raise ValueError("every column of figures needs one value per line")

    def figure(self, line_no: int, column: int) -> Figure:
        c = self.columns[column]
        return Figure(self.lines[line_no], c.metric, c.period, c.values[line_no], f"{c.letter}{self.rows[line_no]}",
                      line_no, self.tracks[line_no])

    def __len__(self) -> int:
        return len(self.lines) * len(self.columns)

    @overload
    def __getitem__(self, index: int) -> Figure: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Figure, ...]: ...

    def __getitem__(self, index: int | slice) -> Figure | tuple[Figure, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError("figure index out of range")
        if self.by_line:
            line_no, column = divmod(index, len(self.columns))
        else:
            column, line_no = divmod(index, len(self.lines))
        return self.figure(line_no, column)

    def __iter__(self) -> Iterator[Figure]:
        lines, columns = range(len(self.lines)), range(len(self.columns))
        if self.by_line:
            return (self.figure(n, c) for n in lines for c in columns)
        return (self.figure(n, c) for c in columns for n in lines)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, (Figures, tuple, list)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other))

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Figures({len(self.lines)} lines x {len(self.columns)} columns)"


@dataclass(frozen=True)
class Report:
    """One accepted sheet: the figures of report (kind, unit, year)."""

    kind: str
    unit: str
    year: int
    sheet: str
    figures: Sequence[Figure]  # Figures, as read; a tuple where built by hand
    amount_unit: str = ""  # as written in the sheet, e.g. '1.000 kr.'
    as_of: dt.date | None = None
    through: int | None = None  # tilgang_afgang: the last quarter reported
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)  # e.g. effekt status per line

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.kind, self.unit, self.year)


@dataclass(frozen=True)
class SheetInfo:
    sheet: str
    kind: str
    unit: str
    year: int | None


@dataclass(frozen=True)
class Verdict:
    """Everything decided about one workbook."""

    file: StagedFile | None
    sheets: tuple[SheetInfo, ...] = ()
    reports: tuple[Report, ...] = ()
    errors: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()

    @property
    def accepted(self) -> bool:
        return not self.errors and bool(self.reports)


@dataclass(frozen=True)
class StoredVersion:
    """A report version as the store holds it."""

    version_id: int
    kind: str
    unit: str
    year: int
    file_id: int
    path: str  # relative path of the file it came from
    file_name: str
    sheet: str
    sha256: str
    saved_at: str  # ISO time, the file's mtime
    accepted_at: str  # ISO time
    archive_path: str
    amount_unit: str = ""
    as_of: str = ""
    through: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)  # e.g. effekt status
    saved_ns: int = 0  # the file's mtime in ns: which of two files was saved last
    superseded_by: int | None = None  # accepted from a file saved before this version in force: never in force
    deleted_at: str = ""  # ISO time its file was found gone from the watched folder (WORKBOOKS.md §9); '' while there
    # its number among the versions of its report, 1, 2, 3…: what a person reads ('version 2');
    # version_id is the store's id across all reports, what Data's Version column and machines use
    number: int = 0

    @property
    def shown(self) -> int:
        return self.number or self.version_id


@dataclass(frozen=True)
class DataRow:
    """One row of the consolidated workbook's Data sheet (WORKBOOKS.md §6), plus what overviews need."""

    unit: str
    year: int
    kind: str
    line: str
    metric: str
    period: str
    value: float
    source: str  # file name
    version_id: int
    line_no: int = 0
    track: str = ""


@dataclass(frozen=True)
class FigureShape:
    """What a version's figures need of the consolidated workbook's columns, without the figures."""

    count: int
    line_len: int  # the longest line name, in characters
    named_lines: bool  # some line has a name
    tracks: bool  # some line has a track (effekt's Spor)
    figures: tuple[tuple[str, str], ...]  # (metric, period) pairs in the order they first come


@dataclass(frozen=True)
class VersionChange:
    """A cross-version warning (WORKBOOKS.md §5, rules 'change.*') recorded when a current version was accepted."""

    version_id: int
    kind: str
    unit: str
    year: int
    path: str  # relative path of the file the version came from
    finding: Finding


@dataclass(frozen=True)
class RejectedFile:
    """A workbook whose newest received content was rejected."""

    file_id: int
    path: str
    file_name: str
    received_at: str
    sha256: str
    archive_path: str
    error_count: int
    errors: tuple[Finding, ...]  # the first few, in sheet/cell order
