"""The consolidated workbook finance reads (WORKBOOKS.md §6): current versions → one .xlsx.

Sheets: Handleplan, Effekt, Tilgang og afgang (overviews, summary_overviews.py), Data (one
tidy row per figure, an Excel table named 'Data') and Afviste (workbooks now rejected).
Written with openpyxl's write-only mode as the figures stream past, so memory does not
grow with the store; replaced atomically, so a reader never sees half a file.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.writer.excel import ExcelWriter

from syncservice.durable import atomic_write
from syncservice.models import DataRow, Finding, RejectedFile, StoredVersion
from syncservice.summary_cells import (AMOUNT_UNITS, BOLD, HEADER, SUBTITLE, TITLE, WRAP, local_time,
                                       number, row_height, text)
from syncservice.summary_blocks import KindLayout, Overview, landscape, width
from syncservice.summary_data import DataRows
from syncservice.summary_overviews import OVERVIEWS

DATA_COLUMNS = ("Enhed", "År", "Skema", "Linje", "Nøgletal", "Periode", "Værdi", "Kilde", "Version")
DATA_TABLE = "Data"

_NO_REJECTED = {"da": "Ingen afviste projektmapper.", "en": "No rejected workbooks."}
_MORE_ERRORS = {"da": "… og {n} fejl mere.", "en": "… and {n} more errors."}


def write_consolidated(path: Path, versions: list[StoredVersion], rows: Callable[[], Iterator[DataRow]],
                       rejected: list[RejectedFile], *, amount_unit: str = "1.000 kr.", language: str = "da",
                       message: Callable[[Finding], str], now: dt.datetime) -> None:
    """Write the consolidated workbook at `path`, replacing the old one only once the new one is complete.

    `rows()` gives a fresh iterator over the figures of the current versions, ordered by
    kind, unit, year and line; it is read twice (once for column layout, once to write).
    `message(finding)` is a rejected file's error as a person reads it; `language` only
    changes the few fixed sentences of the Afviste sheet (sheet and column names stay Danish).
    On any failure the previous workbook at `path` is left as it was.
    """
    if amount_unit not in AMOUNT_UNITS:
        raise ValueError(f"amount_unit must be one of {', '.join(AMOUNT_UNITS)}; got {amount_unit!r}")
    atomic_write(path, lambda tmp: _write(tmp, versions, rows, rejected, amount_unit=amount_unit,
                                          language=language, message=message, now=now))


def _write(tmp: Path, versions: list[StoredVersion], rows: Callable[[], Iterator[DataRow]],
           rejected: list[RejectedFile], *, amount_unit: str, language: str,
           message: Callable[[Finding], str], now: dt.datetime) -> None:
    layouts = scan(rows())
    by_id = {v.version_id: v for v in versions}
    wb = Workbook(write_only=True)
    data: DataSheet | None = None
    try:
        overviews: dict[str, Overview] = {
            o.kind: o(wb, layouts.get(o.kind, KindLayout()), by_id, amount_unit=amount_unit, now=now)
            for o in OVERVIEWS}
        data = DataSheet(wb, layouts)
        for row in rows():
            overview = overviews.get(row.kind)
            if overview is not None:
                overview.add(row)
            data.add(row)
        for overview in overviews.values():
            overview.close()
        data.close()
        rejected_sheet(wb, rejected, language=language, message=message, now=now)
        _save(wb, tmp, now)
        data.rows.splice(tmp)
    except BaseException:
        _discard_temp_files(wb)
        if data is not None:
            data.rows.close()
        raise


def scan(rows: Iterator[DataRow]) -> dict[str, KindLayout]:
    """First pass: per kind, the longest texts and which years / quarters / optional columns occur."""
    layouts: dict[str, KindLayout] = {}
    for row in rows:
        layout = layouts.get(row.kind)
        if layout is None:
            layout = layouts[row.kind] = KindLayout()
        layout.see(row)
    return layouts


class DataSheet:
    """Sheet 'Data': header in row 1, one row per figure, the whole range an Excel table named 'Data'."""

    def __init__(self, wb: Workbook, layouts: dict[str, KindLayout]) -> None:
        self.ws = wb.create_sheet("Data")
        self.count = 0

        def longest(attr: str) -> int:
            return max((getattr(layout, attr) for layout in layouts.values()), default=0)

        widths = (width(longest("unit_len"), 10, 40), 7, 15, width(longest("line_len"), 10, 60), 11, 9, 15,
                  width(longest("source_len"), 10, 50), 9)
        for letter, w in zip("ABCDEFGHI", widths):
            self.ws.column_dimensions[letter].width = w
        self.ws.freeze_panes = "A2"
        landscape(self.ws, title_rows="1:1")
        self.ws.append([text(self.ws, name, BOLD) for name in DATA_COLUMNS])  # the table style colours it
        self.rows = DataRows(self.ws)  # the rows themselves are written as XML: summary_data.py

    def add(self, r: DataRow) -> None:
        self.rows.add(r)
        self.count += 1

    def close(self) -> None:
        # A table needs a data row: an empty store gets one empty row, as Excel itself keeps
        # when every row of a table is deleted.
        ref = f"A1:I{1 + max(self.count, 1)}"
        table = Table(displayName=DATA_TABLE, ref=ref, autoFilter=AutoFilter(ref=ref),
                      tableStyleInfo=TableStyleInfo(name="TableStyleMedium2", showRowStripes=True))
        # Write-only sheets cannot be read back, so openpyxl cannot take the column names from
        # the header cells: give them here (openpyxl/worksheet/_writer.py write_tables).
        table.tableColumns = [TableColumn(id=i, name=name) for i, name in enumerate(DATA_COLUMNS, start=1)]
        with warnings.catch_warnings():
            # add_table warns in write-only mode even when the columns are given (worksheet.py add_table)
            warnings.filterwarnings("ignore", message="In write-only mode you must add table columns manually")
            self.ws.add_table(table)


def rejected_sheet(wb: Workbook, rejected: list[RejectedFile], *, language: str,
                   message: Callable[[Finding], str], now: dt.datetime) -> None:
    """Sheet 'Afviste': each workbook whose newest content was rejected, with its first errors."""
    ws = wb.create_sheet("Afviste")
    columns = (("Fil", 45), ("Modtaget", 19), ("Antal fejl", 10), ("Sted", 22), ("Regel", 22), ("Besked", 80))
    for letter, (_, w) in zip("ABCDEF", columns):
        ws.column_dimensions[letter].width = w
    ws.freeze_panes = "A5"
    ws.row_dimensions[4].height = 20
    landscape(ws, title_rows="4:4")
    ws.append([text(ws, "Afviste projektmapper", TITLE)])
    ws.append([text(ws, "Projektmapper, hvis nyeste udgave er afvist; den senest godkendte udgave gælder "
                        f"fortsat. Opdateret {local_time(now.isoformat())}.", SUBTITLE)])
    ws.append([])
    ws.append([text(ws, name, HEADER) for name, _ in columns])
    if not rejected:
        ws.append([text(ws, _NO_REJECTED.get(language, _NO_REJECTED["da"]))])
        return
    row = 4
    for r in rejected:
        lines: list[tuple[str, str, str]] = [(f.location, f.rule, message(f)) for f in r.errors]
        if r.error_count > len(r.errors):
            more = _MORE_ERRORS.get(language, _MORE_ERRORS["da"]).format(n=r.error_count - len(r.errors))
            lines.append(("", "", more))
        if not lines:
            lines.append(("", "", ""))
        for location, rule, said in lines:
            row += 1
            values = [r.path, local_time(r.received_at), location, rule, said]
            height = row_height(list(zip(values, (45, 19, 22, 22, 80))))
            if height:
                ws.row_dimensions[row].height = height
            ws.append([text(ws, r.path, WRAP), text(ws, local_time(r.received_at), WRAP),
                       number(ws, r.error_count, "0", WRAP),
                       *(text(ws, v, WRAP) if v else None for v in (location, rule, said))])
    ws.auto_filter.ref = f"A4:F{row}"


def _save(wb: Workbook, tmp: Path, now: dt.datetime) -> None:
    """wb.save(), but with the document times taken from `now` so the same input gives the same file."""
    utc = now.astimezone(dt.UTC).replace(tzinfo=None) if now.tzinfo else now
    wb.properties.creator = "syncservice"
    wb.properties.created = utc
    wb.properties.modified = utc  # openpyxl's save_workbook would stamp the wall clock here
    with ZipFile(tmp, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()


def _discard_temp_files(wb: Workbook) -> None:
    """Remove the temp files of write-only sheets not yet saved; openpyxl only does so at exit."""
    for ws in wb.worksheets:
        writer = getattr(ws, "_writer", None)
        if writer is None:
            continue
        for stream in (getattr(ws, "_rows", None), writer.xf):  # close the file before removing it (Windows)
            try:
                if stream is not None:
                    stream.close()
            except Exception:  # a half-written sheet may complain while closing; it is discarded anyway
                pass
        try:
            if os.path.exists(writer.out):
                writer.cleanup()
        except (OSError, ValueError):
            pass
