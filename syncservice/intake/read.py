"""Read a staged workbook: refuse what is not a safe .xlsx/.xlsm, then stream each
sheet's rows as Cells that keep their position.

Only openpyxl's streaming parser is used (read-only mode, its XML read by sheet_xml.py),
so a sheet claiming a million rows costs only the rows that exist, and locate can stop
at the table's end. What this needs of openpyxl's private API comes through
base/openpyxl_private.py, which says why.
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.cell.read_only import ReadOnlyCell
from openpyxl.xml import DEFUSEDXML

from syncservice.base import openpyxl_private
from syncservice.base.models import ERROR, Cell, Finding
from syncservice.intake.number_format import Shown, shown
from syncservice.intake.sheet_xml import SheetParser, read_string_table

assert DEFUSEDXML, "defusedxml must be installed: openpyxl relies on it against XML entity attacks"

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
# An encrypted OOXML file is an OLE2 container with these streams (MS-OFFCRYPTO 2.3.4).
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
# The main part's content type of a workbook, template or macro workbook ([Content_Types].xml);
# compared in lower case, as OPC says content types are.
WORKBOOK_CONTENT_TYPES = (b"spreadsheetml.sheet.main+xml", b"spreadsheetml.template.main+xml",
                          b"ms-excel.sheet.macroenabled.main+xml", b"ms-excel.template.macroenabled.main+xml")
# Strict Open XML (ISO 29500 strict) names its relationships in this namespace; openpyxl
# opens such a file without error and finds no sheets in it.
STRICT_NAMESPACE = b"http://purl.oclc.org/ooxml/"
FLOAT_MAX = sys.float_info.max
PART_HEAD = 1 << 20  # the most read of the package's own index parts when sniffing
READABLE = {".xlsx", ".xlsm"}
OTHER_FORMATS = {".xls": "file.xls", ".xlsb": "file.xlsb", ".ods": "file.ods", ".csv": "file.csv",
                 ".xltx": "file.template", ".xltm": "file.template"}

Row = tuple[int, dict[int, Cell]]


class Unreadable(Exception):
    """The file itself cannot be read; carries the finding to report."""

    def __init__(self, rule: str, **params: Any) -> None:
        super().__init__(rule)
        self.finding = Finding(rule=rule, severity=ERROR, params=params)


class TooSlow(Exception):
    pass


@dataclass(frozen=True)
class SheetSource:
    name: str
    index: int
    worksheet: bool  # False for chart sheets and dialog sheets: nothing to read
    hidden: bool = False  # state hidden or veryHidden: not shown in Excel, read all the same


@dataclass(frozen=True)
class Hidden:
    """The hidden rows and (first, last) column ranges of a sheet, as far as its rows were read."""

    rows: tuple[int, ...] = ()
    columns: tuple[tuple[int, int], ...] = ()


def refuse_unsafe(path: Path, max_unpacked: int) -> None:
    """Raise Unreadable for anything but a plain, modest OOXML workbook."""
    suffix = path.suffix.lower()
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head:
        raise Unreadable("file.empty")
    if head.startswith(OLE2_MAGIC):
        # Password-protected .xlsx files are OLE2 containers too; tell them apart.
        if _ole2_has_encryption_info(path.read_bytes()):
            raise Unreadable("file.encrypted")
        raise Unreadable("file.xls")
    if suffix in OTHER_FORMATS:
        raise Unreadable(OTHER_FORMATS[suffix])
    if not head.startswith(ZIP_MAGIC):
        raise Unreadable("file.not_workbook")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            # Sizes and encryption first: every read below inflates a member, and zipfile
            # refuses (RuntimeError) to read an encrypted one.
            # Declared sizes bound what zipfile will inflate, so summing them stops zip bombs.
            unpacked = sum(i.file_size for i in infos)
            if unpacked > max_unpacked:
                raise Unreadable("file.too_large", unpacked_mb=unpacked // 2**20, limit_mb=max_unpacked // 2**20)
            if any(i.flag_bits & 0x1 for i in infos):
                raise Unreadable("file.encrypted")
            if "mimetype" in names and _head(zf, "mimetype").startswith(b"application/vnd.oasis"):
                raise Unreadable("file.ods")
            if "xl/workbook.bin" in names:
                raise Unreadable("file.xlsb")
            if "[Content_Types].xml" not in names:
                raise Unreadable("file.not_workbook")
            # The workbook part is where the package's relationships say, usually
            # xl/workbook.xml; some writers put it elsewhere (/workbook.xml, /wtf/workbook.xml),
            # which Excel and openpyxl read alike, so its declared content type counts too.
            if not any(n.lower() == "xl/workbook.xml" for n in names):
                types = _head(zf, "[Content_Types].xml").lower()
                if not any(t in types for t in WORKBOOK_CONTENT_TYPES):
                    raise Unreadable("file.not_workbook")
            if "_rels/.rels" in names and STRICT_NAMESPACE in _head(zf, "_rels/.rels"):
                raise Unreadable("file.strict")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, KeyError, zlib.error,
            NotImplementedError):  # a damaged member, or a compression method zipfile lacks
        raise Unreadable("file.not_workbook") from None
    if suffix not in READABLE:
        raise Unreadable("file.extension", extension=suffix or "(ingen)")


def _head(zf: zipfile.ZipFile, name: str) -> bytes:
    with zf.open(name) as member:
        return member.read(PART_HEAD)


def _ole2_has_encryption_info(data: bytes) -> bool:
    """Whether an OLE2 (CFB) file has a directory entry named EncryptionInfo.

    Only as a directory entry, not anywhere in the bytes: an .xls whose cells or strings
    happen to hold the word must still be called an .xls. A CFB directory entry is 128
    bytes, the name (UTF-16) first and its length in bytes, terminator included, at
    offset 64 (MS-CFB 2.6.1); directory sectors start at a multiple of the sector size
    (512 or 4096) after the 512-byte header, so entries sit 128-byte aligned from 512.
    """
    length = (len(ENCRYPTION_STREAM) + 2).to_bytes(2, "little")
    at = data.find(ENCRYPTION_STREAM)
    while at != -1:
        if at >= 512 and (at - 512) % 128 == 0 and data[at + 64:at + 66] == length:
            return True
        at = data.find(ENCRYPTION_STREAM, at + 1)
    return False


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence openpyxl's UserWarnings while it loads or parses.

    openpyxl warns about what it drops from files it cannot represent ("Unknown extension
    is not supported and will be removed", "Workbook contains no default style", "Cannot
    parse header or footer", a date serial out of range, …): about a fifth of real files
    do it. We never write the workbook back and judge only cell values, so none of it
    concerns the person, and a service must not print it to the console or its log on
    every read. Only UserWarning is silenced, and only around openpyxl's own calls.
    catch_warnings swaps the process-wide filter list: it is entered and left within one
    call here, never held across a generator's yield, so it cannot leak or interleave.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


def _in_order(wb: Any) -> list[tuple[Any, bool]]:
    """A loaded workbook → each sheet in the workbook's order, and whether it is a worksheet
    (False for a chart sheet).

    `sheetnames` gives the order; `worksheets` and `chartsheets` give the sheets, each list
    in that order. Where the next of both has the title (a worksheet may repeat a name:
    openpyxl loads it as it stands), the chart sheet is the one: openpyxl renames a chart
    sheet whose title an earlier sheet has, so none can be a repeat of a worksheet before it.
    """
    worksheets, charts = wb.worksheets, wb.chartsheets
    if not charts:
        return [(ws, True) for ws in worksheets]
    out: list[tuple[Any, bool]] = []
    w = c = 0
    for title in wb.sheetnames:
        if c < len(charts) and charts[c].title == title:
            out.append((charts[c], False))
            c += 1
        else:
            out.append((worksheets[w], True))
            w += 1
    return out


class OpenWorkbook:
    """A workbook opened for streaming; use as a context manager."""

    def __init__(self, path: Path, *, deadline: float | None = None) -> None:
        try:
            # openpyxl prints "N is out of range" to stdout on a bad style index while
            # loading: kept out of the console and out of `check --json`'s output. The same
            # shared strings, read faster; no sheet parsed on load just for its size.
            with (openpyxl_private.no_dimension_scan(), openpyxl_private.shared_strings_read_by(read_string_table),
                  _quiet(), contextlib.redirect_stdout(io.StringIO())):
                self._wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
        except MemoryError:
            raise
        except Exception as exc:  # openpyxl raises many kinds on a broken package
            raise Unreadable("file.corrupt", reason=type(exc).__name__) from None
        self._sheets = _in_order(self._wb)
        if not self._sheets:
            # Excel never saves a workbook without a sheet; openpyxl loads one silently
            # (an empty <sheets/>, or sheets it cannot find), so say it is damaged here
            # rather than "no report sheet" about a file nobody could have filled in.
            self._wb.close()
            raise Unreadable("file.corrupt", reason="no sheets")
        self._deadline = deadline
        self._formats: dict[int, str] = {}
        self._scaled: dict[int, Shown] = {}  # only the styles whose format divides the number shown
        # per sheet read, its hidden rows and column ranges, as its parser notes them
        self._hidden: dict[int, tuple[list[int], list[tuple[int, int]]]] = {}

    def __enter__(self) -> "OpenWorkbook":
        return self

    def __exit__(self, *exc: object) -> None:
        self._wb.close()

    @property
    def sheets(self) -> list[SheetSource]:
        out = []
        for i, (ws, worksheet) in enumerate(self._sheets):
            out.append(SheetSource(ws.title, i, worksheet,
                                   getattr(ws, "sheet_state", "visible") in ("hidden", "veryHidden")))
        return out

    def hidden(self, sheet: SheetSource) -> Hidden:
        """The rows and columns hidden on `sheet`, among those its rows() has read so far."""
        rows, columns = self._hidden.get(sheet.index, ([], []))
        return Hidden(tuple(rows), tuple(columns))

    def rows(self, sheet: SheetSource) -> Iterator[Row]:
        """(row number, {column: Cell}) for each row in the sheet's XML, in order.

        A row without any value comes as (n, {}) rather than not at all: a reader looking
        only at the first rows (locate's header search) can then stop there, instead of
        this parsing on through 50,000 formatted but empty rows to the next filled one.
        A damaged sheet (bad XML, a bad CRC, an attribute openpyxl cannot convert) raises
        Unreadable('file.corrupt'), whatever openpyxl raised on it.
        """
        ws = self._sheets[sheet.index][0]
        formats, scaled = self._formats, self._scaled

        def number_format(style_id: int) -> str:
            return formats.get(style_id) or self._number_format(style_id, ws)

        with contextlib.ExitStack() as stack:
            try:
                src = stack.enter_context(openpyxl_private.sheet_xml(ws))
                parser = SheetParser(src, openpyxl_private.shared_strings(ws), number_format=number_format,
                                     epoch=self._wb.epoch)
                parsed = parser.parse()
                self._hidden[sheet.index] = (parser.hidden_rows, parser.hidden_columns)
            except MemoryError:
                raise
            except Exception as exc:  # the sheet's part is missing or cannot be opened
                raise Unreadable("file.corrupt", reason=type(exc).__name__) from None
            deadline = self._deadline
            while True:
                # Every row, not every few hundred: a row may hold 16,384 cells (10 ms to
                # parse), so 512 of them could overrun the deadline by minutes; the clock
                # costs well under a microsecond.
                if deadline is not None and time.monotonic() > deadline:
                    raise TooSlow()
                try:
                    with _quiet():  # per row: never held open across a yield (see _quiet)
                        idx, raw = next(parsed)
                except StopIteration:
                    return
                except MemoryError:
                    raise
                except Exception as exc:  # openpyxl and the XML/zip layers raise many kinds
                    raise Unreadable("file.corrupt", reason=type(exc).__name__) from None
                cells = {}
                for row_no, column, value, formula, style in raw:
                    if not formula and (value is None or (type(value) is str and not value.strip())):
                        continue  # empty, or only spaces: a blank cell to a person
                    if (type(value) is float or type(value) is int) and not -FLOAT_MAX <= value <= FLOAT_MAX:
                        # A number cell holds a double in every spreadsheet program; only a
                        # broken or hostile writer puts 1e999 (inf), NaN or 400 digits (an int
                        # float() overflows on) there. Kept as text, the checks refuse it as
                        # "not a number" and show it, where as a number it would pass them
                        # as inf or crash the arithmetic.
                        value = str(value)
                    fmt = formats.get(style) or self._number_format(style, ws)
                    if style in scaled and (type(value) is float or type(value) is int):
                        value = scaled[style].value(value)  # '#,##0,' shows -250000 as -250: read what is shown
                    cells[column] = Cell(row_no, column, value, formula, fmt)
                yield idx, cells

    def _number_format(self, style_id: int, ws: Any) -> str:
        """A style id → its number format, as a read-only cell of `ws` with that style has it."""
        fmt = self._formats.get(style_id)
        if fmt is None:
            fmt = "General"
            if style_id >= 0:  # a negative index would wrap round to the last style
                with contextlib.suppress(IndexError):  # no such style, or no such custom format
                    fmt = ReadOnlyCell(ws, 1, 1, None, style_id=style_id).number_format
            self._formats[style_id] = fmt
            if shown(fmt).scales:
                self._scaled[style_id] = shown(fmt)
        return fmt
