"""Lay a template Plan out as a workbook a person would be glad to fill in.

    Plan → write(path) → .xlsx: title, metadata block, header, 'I alt', input rows

The total row stands first, right under the header (WORKBOOKS.md §1 allows a total
anywhere): its SUM formulas cover every input row below, and the empty rows left over
at the bottom end the table without a gap before the total. Input cells carry Excel
data validation from the kind's rules and header cells an input message (messages.HELP);
no sheet password, so nobody is locked out of their own workbook.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from syncservice.durable import atomic_write
from syncservice.layout import META_NAMES, TOTAL_LABELS
from syncservice.messages import help_text
from syncservice.summary_cells import AMOUNT_UNITS, COUNT_FORMAT
from syncservice.template import Col, Plan

TOTAL = TOTAL_LABELS[1]  # 'I alt'
DATE_FORMAT = "DD.MM.YYYY"
EXCEL_EPOCH = dt.date(1899, 12, 30)
BIG = "999999999999"  # the bounds of 'any decimal': Excel's decimal validation needs two

_THIN = Side(style="thin", color="A6A6A6")
_GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
TITLE_FONT = Font(bold=True, size=14)
NOTE_FONT = Font(italic=True, color="595959")
BOLD = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
INPUT_FILL = PatternFill("solid", fgColor="FFF8E1")  # a pale yellow: 'type here'
TOTAL_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=Side(style="double", color="808080"))
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)

NOTE = {
    "da": "Udfyld de gule celler. Rækken «I alt» regner selv. Lad ingen tomme rækker stå mellem linjerne. "
          "Klik på en overskrift for at se, hvad der skal stå i kolonnen.",
    "en": "Fill in the yellow cells. The «I alt» row calculates itself. Leave no empty rows between the lines. "
          "Select a header to see what belongs in its column.",
}


def write(plan: Plan, path: Path, *, language: str = "da", now: dt.datetime | None = None) -> Path:
    """Write the template at `path` (atomically: a half-written template never lies there)."""
    wb = Workbook()
    ws = wb.active
    ws.title = plan.kind.title[:31]
    _Sheet(ws, plan, language).lay_out()
    wb.properties.creator = "syncservice"
    wb.properties.title = f"{plan.kind.title} {plan.unit} {plan.year}"
    if now is not None:
        wb.properties.created = wb.properties.modified = now.replace(tzinfo=None)
    atomic_write(path, lambda tmp: wb.save(tmp))
    return path


class _Sheet:
    def __init__(self, ws: Worksheet, plan: Plan, language: str) -> None:
        self.ws, self.plan, self.language = ws, plan, language
        self.amount_format = AMOUNT_UNITS.get(plan.amount_unit, AMOUNT_UNITS["1.000 kr."])[1]
        self.header_row = 4 + len(plan.meta) + 1
        self.total_row = self.header_row + (2 if plan.two_row_header else 1)
        # lines that do not add up (revisions of one estimate) get no total row
        self.first = self.total_row + (1 if plan.kind.adds_up else 0)
        self.last = self.first + plan.input_rows - 1
        self.checks: dict[str, DataValidation] = {}

    def lay_out(self) -> None:
        ws, plan = self.ws, self.plan
        title = ws.cell(1, 1, f"{plan.kind.title} {plan.year}")
        title.font = TITLE_FONT
        note = NOTE.get(self.language, NOTE["da"])
        if not plan.kind.adds_up:  # no total row to speak of
            note = note.replace(" Rækken «I alt» regner selv.", "").replace(" The «I alt» row calculates itself.", "")
        note = _text(ws, 2, 1, note)
        note.font = NOTE_FONT
        for i, (key, value) in enumerate(plan.meta):
            self.meta_row(4 + i, key, value)
        self.header()
        if plan.kind.adds_up:
            self.total()
        self.inputs()
        self.looks()

    # --- metadata ---------------------------------------------------------------------------

    def meta_row(self, row: int, key: str, value: Any) -> None:
        ws, year = self.ws, self.plan.year
        label = ws.cell(row, 1, META_NAMES[key])
        label.font = BOLD
        cell = _text(ws, row, 2, value) if isinstance(value, str) else ws.cell(row, 2, value)
        cell.border, cell.alignment = _GRID, Alignment(horizontal="left")
        title, prompt = help_text(f"meta.{key}", self.language, year=year)
        if key == "year":
            rule = self.rule(type="whole", operator="between", formula1="2000", formula2="2100", error="year")
        elif key == "as_of":
            # outside the year and its next quarter is only a warning (a kind's rule may say so)
            low, high = _serial(dt.date(year, 1, 1)), _serial(dt.date(year + 1, 3, 31))
            rule = self.rule(type="date", operator="between", formula1=str(low), formula2=str(high),
                             error="date", errorStyle="warning")
            cell.number_format = DATE_FORMAT
            cell.fill = INPUT_FILL
        elif key == "amount_unit":
            rule = self.rule(type="list", formula1='"' + ",".join(AMOUNT_UNITS) + '"', error="amount_unit")
        else:
            rule = self.rule()
        self.prompt(rule, cell, title, prompt)
        # wide enough for a long unit name ('Handicap og Socialpsykiatri, Fredensborg')
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=max(3, min(len(self.plan.columns), 5)))

    # --- header and total ---------------------------------------------------------------------

    def header(self) -> None:
        ws, plan, row = self.ws, self.plan, self.header_row
        two = plan.two_row_header
        groups: dict[str, list[int]] = {}
        for c, col in enumerate(plan.columns, start=1):
            if col.group:
                groups.setdefault(col.group, []).append(c)
                cell = _text(ws, row + 1, c, col.label)
            else:
                cell = _text(ws, row, c, col.label) if isinstance(col.label, str) else ws.cell(row, c, col.label)
                if two:
                    ws.merge_cells(start_row=row, start_column=c, end_row=row + 1, end_column=c)
            title, prompt = help_text(col.help, self.language, plan.kind, **col.fields)
            self.prompt(self.rule(), cell, title, prompt)
        for group, cols in groups.items():
            cell = _text(ws, row, cols[0], group)
            quarter = plan.columns[cols[0] - 1].fields.get("quarter")
            title, prompt = help_text("quarter", self.language, plan.kind, quarter=quarter, year=plan.year)
            self.prompt(self.rule(), cell, title, prompt)
            ws.merge_cells(start_row=row, start_column=cols[0], end_row=row, end_column=cols[-1])
        for r in range(row, self.total_row):
            for c in range(1, len(plan.columns) + 1):
                cell = ws.cell(r, c)
                cell.font, cell.fill, cell.alignment, cell.border = BOLD, HEADER_FILL, CENTRE, _GRID
        ws.row_dimensions[row].height = 30

    def total(self) -> None:
        ws, row = self.ws, self.total_row
        first_line = next(i for i, c in enumerate(self.plan.columns, start=1) if c.line)
        label = ws.cell(row, first_line, TOTAL)
        title, prompt = help_text("total", self.language)
        self.prompt(self.rule(), label, title, prompt)
        for c, col in enumerate(self.plan.columns, start=1):
            cell = ws.cell(row, c)
            if col.type in ("amount", "count"):
                letter = get_column_letter(c)
                cell.value = f"=SUM({letter}{self.first}:{letter}{self.last})"
                cell.number_format = self.number_format(col)
            cell.font, cell.fill, cell.border = BOLD, TOTAL_FILL, TOTAL_BORDER

    # --- the input rows ------------------------------------------------------------------------

    def inputs(self) -> None:
        ws, plan = self.ws, self.plan
        line_cols = [i for i, c in enumerate(plan.columns, start=1) if c.line]
        for i, names in enumerate(plan.lines):
            for c, name in zip(line_cols, names):
                if name:
                    _text(ws, self.first + i, c, name)
        for (i, key), value in plan.values.items():
            c = next(n for n, col in enumerate(plan.columns, start=1) if col.key == key)
            ws.cell(self.first + i, c, int(value) if float(value).is_integer() else value)
        for c, col in enumerate(plan.columns, start=1):
            letter = get_column_letter(c)
            self.validate(self.validation(col, c, line_cols), f"{letter}{self.first}:{letter}{self.last}")
            for r in range(self.first, self.last + 1):
                cell = ws.cell(r, c)
                cell.fill, cell.border = INPUT_FILL, _GRID
                if col.type in ("amount", "count"):
                    cell.number_format = self.number_format(col)
                elif col.type == "status":
                    cell.alignment = Alignment(horizontal="center")

    def validation(self, col: Col, c: int, line_cols: list[int]) -> dict[str, Any]:
        """The kind's rule for a column's input cells, as Excel data validation."""
        if col.type == "count":
            return self.rule(type="whole", operator="greaterThanOrEqual", formula1="0", error="count")
        if col.type == "amount" and col.at_least_zero:
            return self.rule(type="decimal", operator="greaterThanOrEqual", formula1="0", error="amount_min0")
        if col.type == "amount":
            return self.rule(type="decimal", operator="between", formula1=f"-{BIG}", formula2=BIG, error="amount")
        if col.type == "status":
            return self.rule(type="list", formula1='"Grøn,Gul,Rød"', error="status")
        if col.line and c == line_cols[-1]:
            # unique by name (with the Spor beside it, where there is one); SUMPRODUCT, as
            # COUNTIF would take a '*' in a name ('Institutioner *') for a wildcard
            terms = "*".join(f"(${get_column_letter(n)}${self.first}:${get_column_letter(n)}${self.last}"
                             f"={get_column_letter(n)}{self.first})" for n in line_cols)
            return self.rule(type="custom", formula1=f"SUMPRODUCT({terms})<=1", error="duplicate")
        return self.rule()

    # --- validation objects ----------------------------------------------------------------------

    def rule(self, *, error: str = "", **kind: Any) -> dict[str, Any]:
        """DataValidation arguments: the rule, and the alert (messages.HELP 'error.*') when broken."""
        out: dict[str, Any] = {"allow_blank": True, **kind}
        if error:
            title, text = help_text(f"error.{error}", self.language, year=self.plan.year)
            out.update(showErrorMessage=True, errorTitle=title[:32], error=text[:225])
        return out

    def validate(self, rule: dict[str, Any], cells: str) -> None:
        """Apply `rule` to a range; ranges with the same rule share one DataValidation."""
        if not rule.keys() - {"allow_blank"}:
            return  # no rule: nothing to write
        key = repr(sorted(rule.items()))
        if key not in self.checks:
            self.checks[key] = DataValidation(**rule)
            self.ws.add_data_validation(self.checks[key])
        self.checks[key].add(cells)

    def prompt(self, rule: dict[str, Any], cell: Cell, title: str, text: str) -> None:
        """`rule` on one cell, with an input message (Excel shows it when the cell is selected)."""
        dv = DataValidation(**rule, showInputMessage=True, promptTitle=title[:32], prompt=text[:255])
        self.ws.add_data_validation(dv)
        dv.add(cell.coordinate)

    # --- looks -----------------------------------------------------------------------------------

    def number_format(self, col: Col) -> str:
        return COUNT_FORMAT if col.type == "count" else self.amount_format

    def looks(self) -> None:
        ws, plan = self.ws, self.plan
        for c, col in enumerate(plan.columns, start=1):
            ws.column_dimensions[get_column_letter(c)].width = _width(col, plan.lines, c)
        ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width, 13)  # the metadata labels
        line_cols = sum(1 for c in plan.columns if c.line)
        ws.freeze_panes = ws.cell(self.first, line_cols + 1)  # header, total and names stay in view
        ws.print_title_rows = f"{self.header_row}:{self.total_row}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True


def _width(col: Col, lines: Iterable[tuple[str, ...]], c: int) -> float:
    if col.line:
        longest = max((len(names[-1] if col.key != "track" else names[0]) for names in lines), default=0)
        return 8 if col.key == "track" else max(24, min(60, longest + 2))
    if col.group:
        return 10
    return 13 if col.type == "amount" else 11


def _text(ws: Worksheet, row: int, col: int, value: Any) -> Cell:
    """A string cell, whatever the text looks like ('=…', '#N/A'): text from the store is never
    written as a formula (WORKBOOKS.md §6)."""
    cell = ws.cell(row, col)
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", str(value))[:32_767]
    cell.data_type = "s"  # after the value: assigning one lets openpyxl guess 'f' or 'e'
    return cell


def _serial(day: dt.date) -> int:
    """A date as Excel's serial number (the 1900 date system)."""
    return (day - EXCEL_EPOCH).days
