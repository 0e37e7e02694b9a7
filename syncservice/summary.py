"""The consolidated workbook finance reads (WORKBOOKS.md §6): current versions → one .xlsx.

Sheets: one overview per kind (each kind's module says how, summary_overviews.py draws it),
Ændringer, Kilder and Afviste (lists, summary_lists.py), and Data last (one tidy row per figure,
an Excel table named 'Data', for pivot tables and Power BI).
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
from syncservice.missing import Standing
from syncservice.models import DataRow, Finding, RejectedFile, StoredVersion, VersionChange
from syncservice.summary_blocks import KindLayout, Overview, landscape, width
from syncservice.summary_cells import AMOUNT_UNITS, BOLD, text
from syncservice.summary_data import DataRows
from syncservice.summary_xml import SheetRows, splice
from syncservice.summary_lists import changes_sheet, rejected_sheet, sources_sheet
from syncservice.summary_missing import missing_sheet
from syncservice.summary_overviews import overview_of

DATA_COLUMNS = ("Enhed", "År", "Skema", "Linje", "Nøgletal", "Periode", "Værdi", "Kilde", "Version")
DATA_TABLE = "Data"


def write_consolidated(path: Path, versions: list[StoredVersion], rows: Callable[[], Iterator[DataRow]],
                       rejected: list[RejectedFile], *, changes: list[VersionChange] | None = None,
                       amount_unit: str = "1.000 kr.", language: str = "da",
                       message: Callable[[Finding], str], now: dt.datetime,
                       missing: list[Standing] | None = None) -> None:
    """Write the consolidated workbook at `path`, replacing the old one only once the new one is complete.

    `versions` are the current versions (sheet Kilder, and each overview block's source);
    `rows()` gives a fresh iterator over their figures, ordered by kind, unit, year and line;
    it is read twice (once for column layout, once to write). `changes` are the cross-version
    warnings of the current versions (sheet Ændringer). `message(finding)` is a finding as a
    person reads it; `language` only changes the few fixed sentences of the list sheets
    (sheet and column names stay Danish). On any failure the previous workbook at `path` is
    left as it was. `missing`, when given, is who has not reported as of `now`'s day
    (missing.not_ok): sheet Mangler, after Afviste (summary_missing.py).
    """
    if amount_unit not in AMOUNT_UNITS:
        raise ValueError(f"amount_unit must be one of {', '.join(AMOUNT_UNITS)}; got {amount_unit!r}")
    atomic_write(path, lambda tmp: _write(tmp, versions, rows, rejected, changes or [], amount_unit=amount_unit,
                                          language=language, message=message, now=now, missing=missing))


def _write(tmp: Path, versions: list[StoredVersion], rows: Callable[[], Iterator[DataRow]],
           rejected: list[RejectedFile], changes: list[VersionChange], *, amount_unit: str, language: str,
           message: Callable[[Finding], str], now: dt.datetime, missing: list[Standing] | None = None) -> None:
    from schemas import KINDS as kinds  # every kind gets its overview sheet, in the order they declare

    layouts = scan(rows())
    by_id = {v.version_id: v for v in versions}
    wb = Workbook(write_only=True)  # sheets come in the order they are created
    data: DataSheet | None = None
    overviews: dict[str, Overview] = {}
    try:
        for kind in sorted(kinds.values(), key=lambda k: (k.position, k.name)):
            overviews[kind.name] = overview_of(kind)(wb, kind, layouts.get(kind.name, KindLayout()), by_id,
                                                     amount_unit=amount_unit, now=now)
        changes_sheet(wb, changes, language=language, message=message, now=now)
        sources_sheet(wb, versions, language=language, now=now)
        rejected_sheet(wb, rejected, language=language, message=message, now=now)
        if missing is not None:
            missing_sheet(wb, missing, on=(now.astimezone() if now.tzinfo else now).date(), language=language)
        data = DataSheet(wb, layouts)
        for row in rows():
            overview = overviews.get(row.kind)
            if overview is not None:
                overview.add(row)
            data.add(row)
        for overview in overviews.values():
            overview.close()
        data.close()
        _save(wb, tmp, now)
        splice(tmp, _rows_as_xml(overviews, data))
    except BaseException:
        _discard_temp_files(wb)
        for rows in _rows_as_xml(overviews, data):
            rows.close()
        raise


def _rows_as_xml(overviews: dict[str, Overview], data: DataSheet | None) -> list[SheetRows]:
    """The sheets whose rows are written as XML, to be spliced into the package (or discarded)."""
    return [*(o.rows for o in overviews.values()), *([data.rows] if data is not None else [])]


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
