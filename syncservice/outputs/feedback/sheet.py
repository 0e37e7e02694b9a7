"""The annotated copy: the person's workbook (our staged copy of it) with every cell a finding
names filled red (errors) or yellow (warnings) and a comment holding the message, behind a
first sheet 'Fejl' that lists every finding with a link to its cell.

openpyxl keeps values, formulas, styles, comments, merged cells and defined names; it drops
charts and images (the sheet's intro line says so), and macros are never loaded
(keep_vba=False: an .xlsm comes back as an .xlsx). The person's cell values are left as
they are; every text we write is a string cell, never a formula (WORKBOOKS.md §6).
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from loguru import logger
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from syncservice.base.models import ERROR, WARNING, Finding, Verdict
from syncservice.outputs.feedback.text import TEXT, heading, local_time, ordered, position
from syncservice.rules.messages import parts, shown_value

MAX_TEXT = 32_767  # Excel's limit for the text of one cell
MAX_ROW, MAX_COL = 1_048_576, 16_384
AUTHOR = "syncservice"

# The marks on the person's own cells: strong enough to find on a full sheet.
ERROR_FILL = PatternFill("solid", fgColor="FF7C80")
WARNING_FILL = PatternFill("solid", fgColor="FFE699")
# The Type column of the table: Excel's own Bad / Neutral colours (as the consolidated workbook).
FONT = "Calibri"  # named: a Font without a name falls back to a serif face in LibreOffice
TYPE_LOOK = {ERROR: (PatternFill("solid", fgColor="FFC7CE"), Font(FONT, bold=True, color="9C0006")),
             WARNING: (PatternFill("solid", fgColor="FFEB9C"), Font(FONT, bold=True, color="9C5700"))}
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
LINK_FONT = Font(FONT, color="0563C1", underline="single")
_THIN = Side(style="thin", color="BFBFBF")
GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
WRAP = Alignment(wrap_text=True, vertical="top")

HEADER_ROW = 6
SHEET = {
    "da": {
        "title": "Fejl",
        "intro": "Dette er en kopi med markeringer; ret i din egen fil. Celler med fejl er røde, celler med "
                 "advarsler gule, og beskeden står i cellens kommentar. Diagrammer og billeder er ikke med i kopien.",
        "columns": ["Type", "Ark", "Celle", "Kolonne", "Fundet værdi", "Hvad er galt", "Hvad skal du gøre", "Regel"],
        "their_comment": "Kommentar i filen",
    },
    "en": {
        "title": "Errors",
        "intro": "This is a marked-up copy; correct your own file. Cells with errors are red, cells with warnings "
                 "yellow, and the message is in the cell's comment. Charts and pictures are not in the copy.",
        "columns": ["Type", "Sheet", "Cell", "Column", "Value found", "What is wrong", "What to do", "Rule"],
        "their_comment": "Comment in the file",
    },
}
WIDTHS = [10, 20, 12, 15, 18, 50, 42, 22]
COMMENT_WIDTH, COMMENT_CHARS = 330, 50  # pixels, and about that many characters per line


def annotate(path: Path, verdict: Verdict, *, language: str, now: dt.datetime, rel: str,
             message: Callable[[Finding], str]) -> Workbook | None:
    """The staged workbook at `path`, marked up and with the findings sheet first; None when
    openpyxl cannot open it (the caller then writes the text report only)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about each extension it drops
            wb = openpyxl.load_workbook(path, keep_vba=False)
    except Exception as exc:  # whatever the file holds must not cost the person their report
        logger.warning("report for {}: no marked-up copy, openpyxl cannot open it ({})", rel, type(exc).__name__)
        return None
    findings = ordered(verdict, wb.sheetnames)
    _mark(wb, findings, language, message)
    _findings_sheet(wb, verdict, findings, language=language, now=now, rel=rel)
    if wb.calculation is not None:
        wb.calculation.fullCalcOnLoad = True  # openpyxl drops cached formula results: recalculate on open
    return wb


def _mark(wb: Workbook, findings: list[Finding], language: str, message: Callable[[Finding], str]) -> None:
    """Fill each cited cell (an error wins over a warning) and give it a comment with every message for it."""
    marks: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        ws = wb[f.sheet] if f.sheet and f.sheet in wb.sheetnames else None
        if not isinstance(ws, Worksheet):
            continue
        for ref in dict.fromkeys(f.cells):
            row, col = position(ref)
            if 0 < row <= MAX_ROW and 0 < col <= MAX_COL:
                marks.setdefault((ws.title, _anchor(ws, row, col)), []).append(f)
    words = TEXT[language]
    for (title, ref), cited in marks.items():
        ws = wb[title]
        ws.sheet_state = "visible"  # a hidden sheet with an error must be found
        cell = ws[ref]
        cell.fill = ERROR_FILL if any(f.severity == ERROR for f in cited) else WARNING_FILL
        notes = [f"{words['error' if f.severity == ERROR else 'warning']}: {message(f)}" for f in cited]
        if cell.comment is not None:  # the person's own comment stays, below ours
            notes.append(f"{SHEET[language]['their_comment']}: {cell.comment.text}")
        cell.comment = _comment("\n\n".join(dict.fromkeys(notes)))


def _anchor(ws: Worksheet, row: int, col: int) -> str:
    """The cell that holds the value and look of (row, col): the top-left one of a merged range."""
    for merged in ws.merged_cells.ranges:
        if merged.min_row <= row <= merged.max_row and merged.min_col <= col <= merged.max_col:
            return merged.start_cell.coordinate
    return f"{get_column_letter(col)}{row}"


def _comment(text: str) -> Comment:
    text = _clean(text)
    lines = sum(max(1, math.ceil(len(part) / COMMENT_CHARS)) for part in text.split("\n"))
    return Comment(text, AUTHOR, height=min(16 * lines + 12, 640), width=COMMENT_WIDTH)


def _findings_sheet(wb: Workbook, verdict: Verdict, findings: list[Finding], *, language: str,
                    now: dt.datetime, rel: str) -> None:
    """Title, file and time, the count line, the intro, then the table from HEADER_ROW."""
    words, labels = TEXT[language], SHEET[language]
    ws = wb.create_sheet(_free_title(wb, labels["title"]), 0)
    for sheet in wb.worksheets[1:] + wb.chartsheets:  # one selected tab, or Excel groups the sheets
        views = getattr(sheet, "views", None) or getattr(sheet, "sheetViews", None)  # worksheet / chartsheet
        for view in getattr(views, "sheetView", None) or []:
            view.tabSelected = False
    wb.active = 0
    ws.sheet_view.tabSelected = True
    ws.sheet_properties.tabColor = "C00000" if verdict.errors else "FFC000"
    title, count_line = heading(verdict, language)
    text(ws, 1, 1, title).font = Font(FONT, bold=True, size=14)
    text(ws, 2, 1, f"{words['file']}: {rel}   ·   {words['checked']}: {local_time(now, language)}").font = \
        Font(FONT, color="595959")
    text(ws, 3, 1, count_line).font = Font(FONT, bold=True)
    text(ws, 4, 1, labels["intro"]).font = Font(FONT, italic=True)
    for col, (label, width) in enumerate(zip(labels["columns"], WIDTHS), start=1):
        cell = text(ws, HEADER_ROW, col, label)
        cell.font, cell.fill, cell.border = Font(FONT, bold=True), HEADER_FILL, GRID
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(col)].width = width
    sheets = set(wb.sheetnames[1:])
    for row, f in enumerate(findings, start=HEADER_ROW + 1):
        _finding_row(ws, row, f, language, linked=f.sheet in sheets)
    last = HEADER_ROW + len(findings)
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 1).coordinate
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(WIDTHS))}{last}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.5)


def _finding_row(ws: Worksheet, row: int, f: Finding, language: str, *, linked: bool) -> None:
    words = TEXT[language]
    what, fix = parts(f, language)
    values = [words["error" if f.severity == ERROR else "warning"], f.sheet or words["whole_file"],
              ranges(f.cells), f.column, shown_value(f, language), what, fix, f.rule]
    for col, value in enumerate(values, start=1):
        cell = text(ws, row, col, value)
        cell.alignment, cell.border = WRAP, GRID
    fill, font = TYPE_LOOK[ERROR if f.severity == ERROR else WARNING]
    ws.cell(row, 1).fill, ws.cell(row, 1).font = fill, font
    first = f.cells[0] if f.cells else ""
    if linked and position(first) != (0, 0):
        link = ws.cell(row, 3)
        link.hyperlink = Hyperlink(ref=link.coordinate, location=sheet_ref(f.sheet, first.upper()))
        link.font = LINK_FONT
    ws.row_dimensions[row].height = 15 * max(_lines(v, w) for v, w in zip(values, WIDTHS)) + 3


def _lines(value: str, width: float) -> int:
    """About how many lines `value` wraps to in a column `width` wide (Excel does not size the
    rows of a file it opens; a width unit is one '0', a little wider than the average letter)."""
    per_line = max(width * 1.1 - 1, 1)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in str(value).split("\n"))


def ranges(cells: tuple[str, ...]) -> str:
    """('B8', 'C8', 'D8', 'J8') → 'B8:D8, J8': runs along a row or a column as Excel writes them.

    Short on purpose: LibreOffice does not wrap the text of a cell holding a link."""
    runs: list[list[str]] = []
    for ref in cells:
        if runs and _next_to(runs[-1], ref):
            runs[-1].append(ref)
        else:
            runs.append([ref])
    return ", ".join(run[0] if len(run) == 1 else f"{run[0]}:{run[-1]}" for run in runs)


def _next_to(run: list[str], ref: str) -> bool:
    (r0, c0), (r1, c1), (r, c) = position(run[0]), position(run[-1]), position(ref)
    if (0, 0) in {(r0, c0), (r, c)}:
        return False
    along_row = r == r1 == r0 and c == c1 + 1
    along_col = c == c1 == c0 and r == r1 + 1
    return along_row or along_col


def sheet_ref(sheet: str, cell: str) -> str:
    """"Herlev's tal", 'C7' → "'Herlev''s tal'!C7": always quoted, apostrophes doubled."""
    return "'" + sheet.replace("'", "''") + "'!" + cell


def _free_title(wb: Workbook, title: str) -> str:
    """'Fejl', or 'Fejl (syncservice)' when the workbook has a 'Fejl' of its own (names ignore case)."""
    taken = {name.casefold() for name in wb.sheetnames}
    for candidate in [title, f"{title} (syncservice)", *(f"{title} (syncservice {n})" for n in range(2, 100))]:
        if candidate.casefold() not in taken:
            return candidate
    return f"{title} {len(taken)}"


def text(ws: Worksheet, row: int, col: int, value: Any) -> Cell:
    """Write `value` as a string cell: never a formula ('=…') or an error value ('#N/A')."""
    cell = ws.cell(row, col)
    cell.value = _clean(value)
    cell.data_type = "s"  # after the value: assigning it lets openpyxl guess 'f' or 'e'
    return cell


def _clean(value: Any) -> str:
    """Text openpyxl accepts: characters XML 1.0 forbids removed, cut to Excel's limit."""
    return ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value))[:MAX_TEXT]
