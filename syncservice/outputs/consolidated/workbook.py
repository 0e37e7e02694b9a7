"""The consolidated workbook finance reads (WORKBOOKS.md §6): current versions → one .xlsx.

Sheets: one overview per kind (each kind's module says how, summary_overviews.py draws it),
Ændringer, Kilder and Afviste (lists, summary_lists.py), and Data last (one tidy row per figure,
an Excel table named 'Data', for pivot tables and Power BI).
Written with openpyxl's write-only mode as the figures stream past, so memory does not
grow with the store; replaced atomically, so a reader never sees half a file.
"""

from __future__ import annotations

import datetime as dt
import gc
import warnings
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.writer.excel import ExcelWriter

from syncservice.base import localtime
from syncservice.base.durable import atomic_write
from syncservice.base.models import DataRow, FigureShape, Finding, RejectedFile, StoredVersion, VersionChange
from syncservice.base.openpyxl_private import discard_unsaved
from syncservice.outputs.consolidated import overflow
from syncservice.outputs.consolidated.blocks import KindLayout, Overview, landscape, width
from syncservice.outputs.consolidated.cells import AMOUNT_UNITS, BOLD, palette_ids, text
from syncservice.outputs.consolidated.data import DATA_COLUMNS, DataRows
from syncservice.outputs.consolidated.fragments import Fragments
from syncservice.outputs.consolidated.lists import changes_sheet, rejected_sheet, sources_sheet
from syncservice.outputs.consolidated.missing_sheet import missing_sheet
from syncservice.outputs.consolidated.overviews import overview_of
from syncservice.outputs.consolidated.xml_rows import Part, SheetRows, splice
from syncservice.outputs.missing import Standing


def write_consolidated(path: Path, versions: list[StoredVersion], rows: Callable[[], Iterator[DataRow]],
                       rejected: list[RejectedFile], *, changes: list[VersionChange] | None = None,
                       amount_unit: str = "1.000 kr.", language: str = "da",
                       message: Callable[[Finding], str], now: dt.datetime,
                       missing: list[Standing] | None = None, fragments: Fragments | None = None,
                       rows_of: Callable[[Collection[int]], Iterator[DataRow]] | None = None,
                       shapes_of: Callable[[Collection[int]], dict[int, FigureShape]] | None = None) -> int:
    """Write the consolidated workbook at `path`, replacing the old one only once the new one is
    complete; → the number of rows on sheet Data (all sheets Data, when there are more).

    `versions` are the current versions (sheet Kilder, and each overview block's source);
    `rows()` gives a fresh iterator over their figures, ordered by kind, unit, year and line.
    `changes` are the cross-version warnings of the current versions (sheet Ændringer).
    `message(finding)` is a finding as a person reads it; `language` only changes the few
    fixed sentences of the list sheets (sheet and column names stay Danish). On any failure
    the previous workbook at `path` is left as it was. `missing`, when given, is who has not
    reported as of `now`'s day (missing.not_ok): sheet Mangler, after Afviste.

    With `fragments`, what each version puts in the workbook is kept for the next rewrite, and
    `rows_of(version ids)` (the same rows, of those versions only) is asked only for the
    figures of versions not kept (fragments.py), and `shapes_of(version ids)` (Store.figure_shapes)
    for what their figures need of the columns. More figures than an Excel sheet holds go on
    sheets Data 2, Data 3…, and all of them in a CSV file beside the workbook (overflow.py).
    """
    if amount_unit not in AMOUNT_UNITS:
        raise ValueError(f"amount_unit must be one of {', '.join(AMOUNT_UNITS)}; got {amount_unit!r}")
    kept = fragments if fragments is not None else Fragments()
    count = 0

    def write(tmp: Path) -> None:
        nonlocal count
        count = _write(tmp, versions, rows, rows_of, shapes_of, rejected, changes or [], amount_unit=amount_unit,
                       language=language, message=message, now=now, missing=missing, fragments=kept,
                       csv_name=overflow.csv_path(path).name)

    enabled = gc.isenabled()
    gc.disable()  # the cycle collector would walk the kept parts and layouts again and again; nothing here cycles
    try:
        atomic_write(path, write)
        overflow.beside(path, rows if count > overflow.SHEET_ROWS else None)
    finally:
        if enabled:
            gc.enable()
        if fragments is None:  # kept for this rewrite only
            kept.clear()
        kept.finish()
    return count


def _write(tmp: Path, versions: list[StoredVersion], rows: Callable[[], Iterator[DataRow]],
           rows_of: Callable[[Collection[int]], Iterator[DataRow]] | None,
           shapes_of: Callable[[Collection[int]], dict[int, FigureShape]] | None, rejected: list[RejectedFile],
           changes: list[VersionChange], *, amount_unit: str, language: str, message: Callable[[Finding], str],
           now: dt.datetime, missing: list[Standing] | None, fragments: Fragments, csv_name: str) -> int:
    from schemas import KINDS as kinds  # every kind gets its overview sheet, in the order they declare

    by_id = {v.version_id: v for v in versions}
    keys = {v.version_id: Fragments.key(v) for v in versions}

    def stream(ids: set[int]) -> Iterator[DataRow]:
        """The rows of versions `ids`, and of any row whose version is not among `versions`."""
        if rows_of is not None and ids <= keys.keys():
            return rows_of(sorted(ids)) if ids else iter(())
        return (r for r in rows() if r.version_id in ids or r.version_id not in keys)

    wb = Workbook(write_only=True)  # sheets come in the order they are created
    overviews: dict[str, Overview] = {}
    sheets: list[SheetRows] = []
    try:
        reports = _reports(versions, keys, stream, shapes_of if rows_of is not None else None, fragments)
        layouts: dict[str, KindLayout] = {}
        for report in reports:
            layouts.setdefault(report.kind, KindLayout()).merge(report.layout)
        for kind in sorted(kinds.values(), key=lambda k: (k.position, k.name)):
            overview = overview_of(kind)(wb, kind, layouts.get(kind.name, KindLayout()), by_id,
                                         amount_unit=amount_unit, now=now, folder=fragments.folder)
            overviews[kind.name] = overview
            sheets.append(overview.rows)
        fragments.styles(palette_ids(wb.worksheets[0]))  # before any kept row is put in line
        folder = fragments.folder
        sheets.append(changes_sheet(wb, changes, language=language, message=message, now=now, folder=folder,
                                    kept=fragments))
        sheets.append(sources_sheet(wb, versions, language=language, now=now, folder=folder, kept=fragments))
        sheets.append(rejected_sheet(wb, rejected, language=language, message=message, now=now, folder=folder))
        if missing is not None:
            missing_sheet(wb, missing, on=localtime.local(now).date(), language=language)
        total = sum(report.count for report in reports)
        data_sheets = [DataSheet(wb, layouts, fragments.folder, n, overflow.note(n, total, csv_name))
                       for n in range(1, overflow.sheets_for(total) + 1)]
        data = SheetRows(data_sheets[0].ws, fragments.folder)
        _put_in_line(reports, overviews, DataRows(data), stream, fragments)
        for overview in overviews.values():
            overview.close()
        for sheet, parts in zip(data_sheets, overflow.split(data.close(), total)):
            sheets.append(sheet.rows_from(parts))
            sheet.close()
        fragments.styles(palette_ids(wb.worksheets[0]))  # and the looks first used now, for the next
        _save(wb, tmp, now)
        splice(tmp, [(rows.ws.path, rows.close()) for rows in sheets])  # a sheet's path is set as it is saved
        return total
    except BaseException:
        discard_unsaved(wb)
        for rows_ in sheets:
            rows_.close()
        raise


@dataclass
class Report:
    """One version as the rewrite puts it in line: what its figures need of the layout."""

    version_id: int
    kind: str
    key: tuple | None  # Fragments.key, None for rows of a version not among `versions`
    layout: KindLayout
    count: int


def _reports(versions: list[StoredVersion], keys: dict[int, tuple], stream: Callable[[set[int]], Iterator[DataRow]],
             shapes_of: Callable[[Collection[int]], dict[int, FigureShape]] | None,
             fragments: Fragments) -> list[Report]:
    """First pass, in the rows' order: each version's layout and figure count, kept, counted by
    the store (shapes_of) or read from its rows."""
    known = {v.version_id: fragments.get(fragments.layouts, keys[v.version_id]) for v in versions}
    unknown = {i for i, seen in known.items() if seen is None}
    fresh: dict[int, Report] = {}  # in the rows' order
    if shapes_of is not None:
        shapes = shapes_of(unknown) if unknown else {}
        for v in versions:
            shape = shapes.get(v.version_id)
            if shape is not None:
                fresh[v.version_id] = Report(v.version_id, v.kind, keys[v.version_id],
                                             KindLayout.of(shape, v.unit, v.file_name), shape.count)
    rows = stream(unknown) if shapes_of is None else iter(())  # the store counted them all
    for version_id, group in groupby(rows, key=lambda r: r.version_id):
        layout, count = KindLayout(), 0
        first = None
        for row in group:
            first = first or row
            layout.see(row)
            count += 1
        assert first is not None
        if version_id in fresh:
            raise RuntimeError(f"the figures of version {version_id} do not come together")
        fresh[version_id] = Report(version_id, first.kind, keys.get(version_id), layout, count)
    reports: list[Report] = []
    position = {v.version_id: i for i, v in enumerate(versions)}
    done = 0
    for version_id in fresh:  # kept versions in between their neighbours, as the store orders them
        at = position.get(version_id)
        if at is not None:
            if at < done:
                raise RuntimeError(f"the figures of version {version_id} come out of the versions' order")
            reports += _kept(versions[done:at], keys, known, fragments)
            done = at + 1
        reports.append(fresh[version_id])
    reports += _kept(versions[done:], keys, known, fragments)
    for version_id, seen in known.items():  # a version without figures: nothing to read next time
        if seen is None and version_id not in fresh:
            fragments.put(fragments.layouts, keys[version_id], (KindLayout(), 0))
    for report in fresh.values():
        if report.key is not None:
            fragments.put(fragments.layouts, report.key, (report.layout, report.count))
    return [r for r in reports if r.count]


def _kept(versions: list[StoredVersion], keys: dict[int, tuple], known: dict, fragments: Fragments) -> list[Report]:
    out = []
    for v in versions:
        seen = known[v.version_id]
        if seen is not None:
            layout, count = seen
            out.append(Report(v.version_id, v.kind, keys[v.version_id], layout, count))
    return out


def _put_in_line(reports: list[Report], overviews: dict[str, Overview], data: DataRows,
                 stream: Callable[[set[int]], Iterator[DataRow]], fragments: Fragments) -> None:
    """Second pass: each report's Data rows and overview block, kept ones put in line and the
    others written from their figures (read once more, for those versions only)."""
    plan = []
    for report in reports:
        overview = overviews.get(report.kind)
        signature = overview.signature if overview is not None else ""
        rows_part = fragments.get(fragments.data, report.key) if report.key else None
        block = fragments.get(fragments.blocks, (report.key, signature)) if report.key and overview else None
        needs_rows = rows_part is None or (overview is not None and block is None)
        plan.append((report, overview, signature, rows_part, block, needs_rows))
    groups = groupby(stream({p[0].version_id for p in plan if p[-1]}), key=lambda r: r.version_id)
    for report, overview, signature, rows_part, block, needs_rows in plan:
        group: Iterator[DataRow] = iter(())
        if needs_rows:
            version_id, group = next(groups, (None, iter(())))
            if version_id != report.version_id:
                raise RuntimeError(f"the figures of version {report.version_id} did not come when expected")
        if rows_part is None:
            data.rows.begin_part()
        else:
            data.rows.add_part(rows_part)
        if overview is not None and block is not None:
            overview.reuse(block)
        for row in group:
            if rows_part is None:
                data.add(row)
            if overview is not None and block is None:
                overview.add(row)
        if rows_part is None:
            part = data.rows.end_part()
            if report.key is not None:
                fragments.put(fragments.data, report.key, part)
        if overview is not None and block is None:
            closed = overview.finish_block()
            if closed is not None and report.key is not None:
                fragments.put(fragments.blocks, (report.key, signature), closed)


class DataSheet:
    """Sheet 'Data' (or 'Data 2'…, overflow.py): header in row 1, one row per figure, the whole
    range an Excel table named 'Data' ('Data_2'…)."""

    def __init__(self, wb: Workbook, layouts: dict[str, KindLayout], folder: Path, number: int = 1,
                 note: str = "") -> None:
        self.name, self.table = overflow.sheet_name(number), overflow.table_name(number)
        self.ws = wb.create_sheet(self.name)
        self.count = 0

        def longest(attr: str) -> int:
            return max((getattr(layout, attr) for layout in layouts.values()), default=0)

        widths = (width(longest("unit_len"), 10, 40), 7, 15, width(longest("line_len"), 10, 60), 11, 9, 15,
                  width(longest("source_len"), 10, 50), 9)
        for letter, w in zip("ABCDEFGHI", widths):
            self.ws.column_dimensions[letter].width = w
        self.ws.freeze_panes = "A2"
        landscape(self.ws, title_rows="1:1")
        header: list = [text(self.ws, name, BOLD) for name in DATA_COLUMNS]  # the table style colours it
        if note:  # beside the table, outside its range: where the rest of the figures are
            self.ws.column_dimensions["K"].width = 90
            header += [None, text(self.ws, note, overflow.NOTE)]
        self.ws.append(header)
        self.rows = SheetRows(self.ws, folder)

    def rows_from(self, parts: list[Part]) -> SheetRows:
        """This sheet's rows (below the header): `parts` of the Data rows, in order."""
        for part in parts:
            self.rows.add_part(part)
        self.count = self.rows.rows
        return self.rows

    def close(self) -> None:
        # A table needs a data row: an empty store gets one empty row, as Excel itself keeps
        # when every row of a table is deleted.
        ref = f"A1:I{1 + max(self.count, 1)}"
        table = Table(displayName=self.table, ref=ref, autoFilter=AutoFilter(ref=ref),
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
