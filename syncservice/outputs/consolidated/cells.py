"""Cells and looks for the consolidated workbook (write-only openpyxl).

Every text goes through `text()`: staff write what they like in a workbook, and openpyxl
would turn a str starting with '=' into a formula and '#N/A' into an error value. Here a
text is always a string cell (WORKBOOKS.md §6: no staff text is ever written as a formula).

The cell functions take a write-only sheet (a WriteOnlyCell for ws.append) or a RawCells
(the cell as its XML element, for the sheets whose rows are written as XML: xml_rows.py).
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from dataclasses import dataclass, replace
from functools import cache
from weakref import WeakKeyDictionary
from xml.sax.saxutils import escape

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils.datetime import to_excel

from syncservice.base import localtime
from syncservice.base.openpyxl_private import WriteOnlyWorksheet, give_style, style_array

MAX_TEXT = 32_767  # Excel's limit for the text of one cell

# Amount unit → (divisor from kroner, number format). A file stores format codes in one
# locale-neutral syntax (ECMA-376 Part 1, the numFmt element): ',' groups thousands, '.' marks
# decimals. The program that shows the file puts in the reader's own separators, so Excel or
# LibreOffice in a Danish locale shows '#,##0.0' as 1.234,5 and '0.0%' as 70,4% (checked
# by rendering with LibreOffice set to da-DK). A code written the Danish way, '#.##0,0',
# would be wrong everywhere.
AMOUNT_UNITS: dict[str, tuple[float, str]] = {
    "kr.": (1.0, "#,##0"),
    "1.000 kr.": (1_000.0, "#,##0.0"),
    "mio. kr.": (1_000_000.0, "#,##0.0"),
}
COUNT_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.00"  # a figure in kroner and øre, where it is not whole
PERCENT_FORMAT = "0.0%"
YEAR_FORMAT = "0"
TIME_FORMAT = "dd.mm.yyyy hh:mm"  # the dots are literal in a date format: the same in every locale

GREY = "595959"
GREEN = ("C6EFCE", "006100")  # (fill, font): Excel's own Good / Neutral / Bad colours
YELLOW = ("FFEB9C", "9C5700")
RED = ("FFC7CE", "9C0006")


@dataclass(frozen=True, eq=False)  # hashed by identity: a Look is a constant, and hashing fonts is slow
class Look:
    """How a cell looks; None leaves openpyxl's default."""

    font: Font | None = None
    fill: PatternFill | None = None
    alignment: Alignment | None = None
    border: Border | None = None


_THIN = Side(style="thin", color="808080")
PLAIN = Look()
TITLE = Look(font=Font(bold=True, size=14))
SUBTITLE = Look(font=Font(italic=True, color=GREY))
HEADER = Look(font=Font(bold=True), fill=PatternFill("solid", fgColor="D9E1F2"),
              alignment=Alignment(wrap_text=True, vertical="center"), border=Border(bottom=_THIN))
HEADER_RIGHT = replace(HEADER, alignment=Alignment(wrap_text=True, vertical="center", horizontal="right"))
BOLD = Look(font=Font(bold=True))
INDENT = Look(alignment=Alignment(indent=1))  # keeps text off a right-aligned number in the column before
BLOCK = Look(font=Font(bold=True, color="1F3864"))
SOURCE = Look(font=Font(italic=True, color=GREY))
MUTED = Look(font=Font(color=GREY), alignment=Alignment(vertical="top"))
WRAP = Look(alignment=Alignment(wrap_text=True, vertical="top"))
TOTAL = Look(font=Font(bold=True), border=Border(top=_THIN))
GRAND = Look(font=Font(bold=True), fill=PatternFill("solid", fgColor="F2F2F2"),
             border=Border(top=_THIN, bottom=Side(style="double", color="808080")))


def clean_text(value: object) -> str:
    """Any value → text openpyxl accepts: control characters it refuses removed, cut at Excel's limit."""
    return ILLEGAL_CHARACTERS_RE.sub("", str(value))[:MAX_TEXT]


class RawCells:
    """The cells of one sheet as XML elements, without a position (xml_rows.py): `<c s="3"
    t="inlineStr">…</c>`, the style id the one openpyxl gives the same look in this workbook."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self._ids: dict[tuple[Look, str], int] = {}

    def style(self, look: Look, number_format: str = "") -> int:
        sid = self._ids.get((look, number_format))
        if sid is None:
            cell = WriteOnlyCell(self.ws)
            _style(cell, look, number_format)
            sid = self._ids[(look, number_format)] = cell.style_id
        return sid

    def text(self, value: object, look: Look) -> str:
        return f'<c{self._s(look)} t="inlineStr"><is>{text_xml(value)}</is></c>'

    def number(self, value: int | float, number_format: str, look: Look) -> str:
        if isinstance(value, float) and not math.isfinite(value):
            return self.blank(look)
        return f'<c{self._s(look, number_format)}><v>{value!r}</v></c>'

    def blank(self, look: Look) -> str:
        return f"<c{self._s(look)}/>"

    def _s(self, look: Look, number_format: str = "") -> str:
        sid = self.style(look, number_format)
        return f' s="{sid}"' if sid else ""


def text_xml(value: object) -> str:
    """Any value → the <t> element of an inline string holding it as text."""
    escaped = escape(clean_text(value))
    if escaped != escaped.strip():  # Excel drops leading and trailing spaces unless told not to
        return f'<t xml:space="preserve">{escaped}</t>'
    return f"<t>{escaped}</t>"


Cell = SheetCell | str  # a cell for ws.append (WriteOnlyCell makes one), or one as XML for SheetRows.append


def text(ws: WriteOnlyWorksheet | RawCells, value: object, look: Look = PLAIN) -> Cell:
    """A string cell holding `value` as text, whatever it looks like ('=HYPERLINK(…)', '#N/A', '+cmd')."""
    if isinstance(ws, RawCells):
        return ws.text(value, look)
    cell = WriteOnlyCell(ws, value=clean_text(value))
    cell.data_type = "s"  # after the value: assigning a value lets openpyxl guess 'f' or 'e'
    _style(cell, look)
    return cell


def number(ws: WriteOnlyWorksheet | RawCells, value: float | None, number_format: str,
           look: Look = PLAIN) -> Cell | None:
    """A number cell in `number_format`, or None (an empty cell) for a missing figure."""
    if value is None:
        return None
    if isinstance(ws, RawCells):
        return ws.number(_plain_number(value), number_format, look)
    cell = WriteOnlyCell(ws, value=_plain_number(value))
    _style(cell, look, number_format)
    return cell


def moment(ws: WriteOnlyWorksheet | RawCells, iso: str, look: Look = PLAIN) -> Cell | None:
    """An ISO time → a date-time cell in this machine's time zone (Excel has none), so it sorts and
    filters as a time; text that is not a time stays text, an empty one an empty cell."""
    if not iso:
        return None
    try:
        when = dt.datetime.fromisoformat(iso)
    except ValueError:
        return text(ws, iso, look)
    if when.tzinfo is not None:
        when = localtime.local(when).replace(tzinfo=None)  # output.timezone's wall clock
    if isinstance(ws, RawCells):
        return ws.number(to_excel(when), TIME_FORMAT, look)
    cell = WriteOnlyCell(ws, value=when)
    _style(cell, look, TIME_FORMAT)
    return cell


def blank(ws: WriteOnlyWorksheet | RawCells, look: Look) -> Cell:
    """An empty cell that still carries a look (a total row's border across the whole row)."""
    if isinstance(ws, RawCells):
        return ws.blank(look)
    cell = WriteOnlyCell(ws)
    _style(cell, look)
    return cell


@cache
def centred(look: Look) -> Look:
    vertical = look.alignment.vertical if look.alignment and look.alignment.vertical else "center"
    return replace(look, alignment=Alignment(horizontal="center", vertical=vertical, wrap_text=True))


def row_height(texts: list[tuple[str, float]]) -> float | None:
    """Height for a row whose wrapped texts (text, column width) need more than one line, else None.

    Neither Excel nor LibreOffice grows a row for wrapped text in a file they did not lay out
    themselves, so the height is set here, from a word wrap at the column's width in characters.
    """
    lines = 1
    for value, width in texts:
        chars = max(1, int(width * 1.1) - 1)  # proportional text fits a little more than the width in digits
        if "\n" not in value and " " not in value:  # one word (a sha256, a path): cut at the width
            lines = max(lines, -(-len(value) // chars))
        elif len(value) > chars or "\n" in value:
            lines = max(lines, sum(len(textwrap.wrap(part, chars)) or 1 for part in value.split("\n")))
    return None if lines == 1 else 15.0 * lines


def local_time(iso: str) -> str:
    """'2015-12-01T09:00:00+00:00' → '01.12.2015 kl. 10:00' in this machine's time zone; other text as is."""
    if not iso:
        return ""
    try:
        when = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if when.tzinfo is not None:
        when = localtime.local(when)
    return when.strftime("%d.%m.%Y kl. %H:%M")


def _plain_number(value: float) -> int | float:
    """Whole floats as int, so 25000000.0 is written and read back as 25000000; -0.0 as 0."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Per workbook, (look, number format) → the style array openpyxl made for it the first time.
# Setting font, fill and border on every cell costs more than writing the cell; copying the
# resolved style array (openpyxl's own way of copying a style) costs almost nothing.
_STYLES: WeakKeyDictionary[object, dict[tuple[Look, str], object]] = WeakKeyDictionary()
# Every (look, number format) this process has styled, in the order first seen. Each new
# workbook registers them all first, in this order, so a look has the same style id in every
# workbook the process writes, and rows kept as XML from one rewrite are right in the next
# (fragments.py; palette_ids checks it).
_PALETTE: list[tuple[Look, str]] = []


def _style(cell: WriteOnlyCell, look: Look, number_format: str = "") -> None:
    wb = cell.parent.parent
    styles = _STYLES.get(wb)
    if styles is None:
        styles = _STYLES[wb] = {}
        for known in list(_PALETTE):
            _register(cell.parent, styles, *known)
    resolved = styles.get((look, number_format))
    if resolved is None:
        _PALETTE.append((look, number_format))
        resolved = _register(cell.parent, styles, look, number_format)
    give_style(cell, resolved)


def _register(ws: WriteOnlyWorksheet, styles: dict, look: Look, number_format: str) -> object:
    """Resolve a look in this workbook and give it its cellXfs entry now, in palette order."""
    cell = WriteOnlyCell(ws)
    _apply(cell, look)
    if number_format:
        cell.number_format = number_format
    cell.style_id  # noqa: B018 — registering is what reading it does
    resolved = styles[(look, number_format)] = style_array(cell)
    return resolved


def palette_ids(ws: WriteOnlyWorksheet) -> tuple[int, ...]:
    """The style id of each look of the process's palette in ws's workbook, in palette order:
    the same tuple (or a longer one starting with it) in two workbooks means the same ids."""
    cell = WriteOnlyCell(ws)
    _style(cell, PLAIN)  # registers the palette in a new workbook
    styles = _STYLES[ws.parent]
    ids = []
    for key in list(_PALETTE):
        give_style(cell, styles[key])
        ids.append(cell.style_id)
    return tuple(ids)


def _apply(cell: WriteOnlyCell, look: Look) -> None:
    if look.font is not None:
        cell.font = look.font
    if look.fill is not None:
        cell.fill = look.fill
    if look.alignment is not None:
        cell.alignment = look.alignment
    if look.border is not None:
        cell.border = look.border
