"""One staged workbook → its Verdict: read, locate and validate every sheet.

Records nothing; `check` on the command line and every ingestion go through here.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Iterator, Mapping

from syncservice.hidden import hidden_findings
from syncservice.layout import Kind
from syncservice.locate import locate
from syncservice.models import ERROR, WARNING, Finding, Report, SheetInfo, StagedFile, Verdict
from syncservice.read import OpenWorkbook, TooSlow, Unreadable, refuse_unsafe
from syncservice.units import fold
from syncservice.validate import check_table, identity


def check_workbook(staged: StagedFile, kinds: Mapping[str, Kind], *, max_unpacked: int, max_rows: int,
                   max_seconds: float, with_figures: bool = True) -> Verdict:
    """Every sheet checked; any error anywhere rejects the whole workbook."""
    findings: list[Finding] = []
    sheets: list[SheetInfo] = []
    reports: list[Report] = []
    try:
        refuse_unsafe(staged.staged, max_unpacked)
        with _cycle_collector_paused(), OpenWorkbook(staged.staged, deadline=time.monotonic() + max_seconds) as wb:
            for sheet in wb.sheets:
                if not sheet.worksheet:
                    findings.append(Finding("sheet.skipped", WARNING, sheet.name))
                    continue
                located = locate(sheet.name, wb.rows(sheet), kinds.values(), max_rows)
                findings.extend(located.findings)
                if located.table is None:
                    continue
                findings.extend(hidden_findings(located.table, wb.hidden(sheet), sheet_hidden=sheet.hidden))
                unit, year = identity(located.table)
                sheets.append(SheetInfo(sheet.name, located.table.header.kind.name, unit, year))
                checked = check_table(located.table, with_figures=with_figures)
                findings.extend(checked.findings)
                if checked.report is not None:
                    reports.append(checked.report)
    except Unreadable as exc:
        findings.append(exc.finding)
    except TooSlow:
        findings.append(Finding("file.too_slow", ERROR, params={"seconds": int(max_seconds)}))
    findings.extend(_same_report_twice(reports))
    errors = tuple(f for f in findings if f.severity == ERROR)
    if not sheets and not errors:
        errors = (Finding("file.no_report_sheet", ERROR),)
    return Verdict(staged, tuple(sheets), tuple(reports) if not errors else (), errors,
                   tuple(f for f in findings if f.severity == WARNING))


@contextlib.contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a workbook is read and checked.

    A large sheet keeps hundreds of thousands of cells alive until it is validated, and
    every collection walks all of them again: a third of checking 50,000 rows. Reference
    counting still frees everything that is not a cycle (reading makes none to speak of);
    the collector runs as before once the check is done. Left as found if it was off.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _same_report_twice(reports: list[Report]) -> list[Finding]:
    """Two sheets of one workbook claiming the same (kind, unit, year), the unit in any
    spelling (units.fold), cannot both be current."""
    first: dict[tuple[str, str, int], Report] = {}
    out = []
    for report in reports:
        other = first.setdefault((report.kind, fold(report.unit), report.year), report)
        if other is not report:
            cell = report.extra.get("unit_cell")
            out.append(Finding("report.duplicate_sheet", ERROR, report.sheet, (cell,) if cell else (), "Enhed",
                               report.unit,
                               {"unit": report.unit, "year": report.year, "kind": report.kind,
                                "other_sheet": other.sheet}))
    return out
