"""More figures than one Excel sheet holds: sheets Data 2, Data 3… and one CSV file beside.

An Excel sheet has 1,048,576 rows; with its header, Data holds 1,048,575 figures. Beyond
that the table goes on, with the same header, on sheet 'Data 2' (table 'Data_2'), and so
on, each sheet saying in K1 which rows it holds and where the rest are. A pivot table
reads one table, so the whole table is also written beside the workbook as CSV
('Samlet oversigt - Data.csv'), for Power BI or Power Query. Never a table cut short
without a word; when the figures fit again, the CSV is removed, so it never shows an
older store than the workbook.

The CSV: UTF-8 with a byte order mark, ';' between fields and ',' before decimals, as
Excel and Power Query read a CSV in a Danish locale; the same columns as sheet Data.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from openpyxl.styles import Alignment, Font

from syncservice.base.durable import atomic_write
from syncservice.base.models import DataRow
from syncservice.outputs.consolidated.cells import Look, clean_text
from syncservice.outputs.consolidated.data import DATA_COLUMNS
from syncservice.outputs.consolidated.xml_rows import Part

EXCEL_ROWS = 1_048_576
SHEET_ROWS = EXCEL_ROWS - 1  # below the header
NOTE = Look(font=Font(bold=True, color="9C0006"), alignment=Alignment(wrap_text=True, vertical="top"))


def sheets_for(total: int) -> int:
    return max(1, -(-total // SHEET_ROWS))


def sheet_name(number: int) -> str:
    return "Data" if number == 1 else f"Data {number}"


def table_name(number: int) -> str:
    return "Data" if number == 1 else f"Data_{number}"


def csv_path(workbook: Path) -> Path:
    return workbook.with_name(f"{workbook.stem} - Data.csv")


def note(number: int, total: int, csv_name: str) -> str:
    """What sheet `number` of Data says beside its table when the figures need more than one."""
    sheets = sheets_for(total)
    if sheets == 1:
        return ""
    first = (number - 1) * SHEET_ROWS + 1
    last = min(total, number * SHEET_ROWS)
    go_on = (f"Tabellen fortsætter på arket '{sheet_name(number + 1)}'." if number < sheets
             else f"Tabellen begynder på arket '{sheet_name(1)}'.")
    return (f"Tal {_n(first)}–{_n(last)} af {_n(total)}. Et Excel-ark rummer {_n(EXCEL_ROWS)} rækker, "
            f"så tallene står på {sheets} ark. {go_on} Alle tal i én tabel: filen "
            f"'{csv_name}' ved siden af denne projektmappe (til Power BI og Power Query).")


def split(parts: list[Part], total: int) -> list[list[Part]]:
    """The Data rows' parts, in order, cut into one list a sheet of at most SHEET_ROWS rows."""
    sheets: list[list[Part]] = [[] for _ in range(sheets_for(total))]
    sheet, room = 0, SHEET_ROWS
    for part in parts:
        skip = 0
        while skip < part.rows:
            take = min(room, part.rows - skip)
            sheets[sheet].append(part if (skip, take) == (0, part.rows) else replace(part, skip=skip, take=take))
            skip += take
            room -= take
            if room == 0 and sheet + 1 < len(sheets):
                sheet, room = sheet + 1, SHEET_ROWS
    return sheets


def beside(workbook: Path, rows: Callable[[], Iterator[DataRow]] | None) -> None:
    """Write every figure as CSV beside `workbook` (atomically), or, with no rows to give,
    remove a CSV left from when they did not fit."""
    path = csv_path(workbook)
    if rows is None:
        path.unlink(missing_ok=True)
        return

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out, delimiter=";")
            writer.writerow(DATA_COLUMNS)
            for r in rows():
                value = float(r.value)
                shown = str(int(value)) if value.is_integer() else repr(value).replace(".", ",")
                writer.writerow([_cell(r.unit), r.year, _cell(r.kind), _cell(r.line), _cell(r.metric),
                                 _cell(r.period), shown, _cell(r.source), r.version_id])

    atomic_write(path, write)


def _cell(value: str) -> str:
    """Staff text as data: a leading '=', '+', '-' or '@' would make Excel read a formula."""
    text = clean_text(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _n(number: int) -> str:
    return f"{number:,}".replace(",", ".")
