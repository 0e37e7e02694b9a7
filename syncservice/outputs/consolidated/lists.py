"""The list sheets of the consolidated workbook (WORKBOOKS.md §5–6): one row per item, no totals.

Ændringer: what changed since the previous version of each current report (the §5 warnings).
Kilder: every current version and the file it came from. Afviste: workbooks now rejected.
Each has a title, a line saying what it lists, and a header in row 4 that stays in view,
with a filter; every text, staff's or ours, goes through text() (never a formula). The rows
are written as XML (xml_rows.py): Kilder has a row per version in force, 5,000 for a
municipality's ten years, which openpyxl's cells would take a second to write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook

from syncservice.base import localtime
from syncservice.base.models import Finding, RejectedFile, StoredVersion, VersionChange
from syncservice.base.openpyxl_private import WriteOnlyWorksheet
from syncservice.outputs.consolidated.blocks import landscape, width
from syncservice.outputs.consolidated.cells import (
    COUNT_FORMAT,
    DECIMAL_FORMAT,
    HEADER,
    SUBTITLE,
    TITLE,
    WRAP,
    YEAR_FORMAT,
    RawCells,
    centred,
    local_time,
    moment,
    number,
    row_height,
    text,
)
from syncservice.outputs.consolidated.fragments import Fragments
from syncservice.outputs.consolidated.xml_rows import SheetRows, row_xml

HEADER_ROW = 4
Columns = list[tuple[str, float]]  # (name, width)

_NO_CHANGES = {"da": "Ingen ændringer.", "en": "No changes."}
_NO_SOURCES = {"da": "Ingen godkendte indberetninger endnu.", "en": "No accepted reports yet."}
_NO_REJECTED = {"da": "Ingen afviste projektmapper.", "en": "No rejected workbooks."}
_MORE_ERRORS = {"da": "… og {n} fejl mere.", "en": "… and {n} more errors."}


def changes_sheet(wb: Workbook, changes: list[VersionChange], *, language: str,
                  message: Callable[[Finding], str], now: dt.datetime, folder: Path,
                  kept: Fragments | None = None) -> SheetRows:
    """Sheet 'Ændringer': each cross-version warning of a current version, with the figure before
    and now; each row `kept` from the rewrite before while it shows the same."""
    unit = width(max((len(c.unit) for c in changes), default=0), 14, 40)
    columns = [("Enhed", unit), ("Skema", 14), ("År", 7), ("Ark!Celle", 22), ("Linje/Kolonne", 30), ("Før", 14),
               ("Nu", 14), ("Besked", 70)]
    ws, rows, cells = _frame(wb, folder, "Ændringer", columns, "Ændringer siden den forrige godkendte version",
                "Hvad der er ændret siden den forrige godkendte version af hver gældende indberetning. Beløb i kr. "
                f"Opdateret {local_time(now.isoformat())}.",
                "Tal ændret for en periode, der allerede var indberettet; realiseret, der er faldet; primo, der ikke "
                "svarer til sidste års ultimo; samme indberetning fra en anden fil.")
    if not changes:
        rows.append([text(cells, _said(_NO_CHANGES, language))])
        return rows
    row = HEADER_ROW
    widths = [w for i, (_, w) in enumerate(columns) if i != 2]
    for c in changes:
        row += 1
        def line(c: VersionChange = c) -> str:
            f = c.finding
            before, after = _before_after(c)
            texts = [c.unit, c.kind, f.location, _where(f), str(before), str(after), message(f)]
            return row_xml([text(cells, c.unit, WRAP), text(cells, c.kind, WRAP),
                            number(cells, c.year, YEAR_FORMAT, centred(WRAP)),
                            *(text(cells, t, WRAP) for t in texts[2:4]), *(_figure(cells, x) for x in (before, after)),
                            text(cells, texts[-1], WRAP)], _height(texts, widths))

        _kept_row(rows, kept, ("Ændringer", repr(c), unit, language), line)  # the change and its finding, all of it
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(columns))}{row}"
    return rows


def sources_sheet(wb: Workbook, versions: list[StoredVersion], *, language: str, now: dt.datetime,
                  folder: Path, kept: Fragments | None = None) -> SheetRows:
    """Sheet 'Kilder': every current version, the file it came from, when, its sha256 and its
    archive copy; each version's row `kept` from the rewrite before while it shows the same."""
    def longest(values: list[str], low: int, high: int) -> int:
        return width(max(map(len, values), default=0), low, high)

    columns = [("Enhed", longest([v.unit for v in versions], 14, 40)), ("Skema", 14), ("År", 7),
               ("Fil", longest([v.path for v in versions], 20, 50)), ("Gemt", 16), ("Godkendt", 16),
               ("Version", 9), ("sha256", 34), ("Arkiv", longest([v.archive_path for v in versions], 20, 60)),
               ("Fil slettet", 16), ("Id", 8)]
    ws, rows, cells = _frame(wb, folder, "Kilder", columns, "Kilder: de gældende versioner",
                "Den gældende version af hver indberetning: filen tallene kommer fra, hvornår den blev gemt og "
                f"godkendt, dens sha256 og kopien i arkivet. Opdateret {local_time(now.isoformat())}.",
                "Fil slettet: filen er ikke længere i mappen, og ingen anden fil har en version af indberetningen; "
                "tallene er fra kopien i arkivet. Version: nummeret blandt indberetningens versioner; Id: det, "
                "kolonnen Version på arket Data viser.")
    if not versions:
        rows.append([text(cells, _said(_NO_SOURCES, language))])
        return rows
    row = HEADER_ROW
    widths = [columns[i][1] for i in (0, 3, 7, 8)]
    zone = str(localtime.zone())
    for v in versions:
        row += 1
        def line(v: StoredVersion = v) -> str:
            # A sha256 has no spaces: it wraps at the column's edge, in two lines of 32.
            return row_xml([text(cells, v.unit, WRAP), text(cells, v.kind, WRAP),
                            number(cells, v.year, YEAR_FORMAT, centred(WRAP)), text(cells, v.path, WRAP),
                            moment(cells, v.saved_at, WRAP), moment(cells, v.accepted_at, WRAP),
                            number(cells, v.shown, "0", centred(WRAP)), text(cells, v.sha256, WRAP),
                            text(cells, v.archive_path, WRAP), moment(cells, v.deleted_at, WRAP),
                            number(cells, v.version_id, "0", centred(WRAP))],
                           _height([v.unit, v.path, v.sha256, v.archive_path], widths))

        _kept_row(rows, kept, ("Kilder", v.version_id, v.unit, v.kind, v.year, v.path, v.saved_at, v.accepted_at,
                               v.shown, v.sha256, v.archive_path, v.deleted_at, *widths, zone), line)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(columns))}{row}"
    return rows


def rejected_sheet(wb: Workbook, rejected: list[RejectedFile], *, language: str,
                   message: Callable[[Finding], str], now: dt.datetime, folder: Path) -> SheetRows:
    """Sheet 'Afviste': each workbook whose newest content was rejected, with its first errors."""
    columns = [("Fil", 45), ("Modtaget", 19), ("Antal fejl", 10), ("Sted", 22), ("Regel", 22), ("Besked", 80)]
    ws, rows, cells = _frame(wb, folder, "Afviste", columns, "Afviste projektmapper",
                "Projektmapper, hvis nyeste udgave er afvist; den senest godkendte udgave gælder "
                f"fortsat. Opdateret {local_time(now.isoformat())}.")
    if not rejected:
        rows.append([text(cells, _said(_NO_REJECTED, language))])
        return rows
    row = HEADER_ROW
    for r in rejected:
        lines: list[tuple[str, str, str]] = [(f.location, f.rule, message(f)) for f in r.errors]
        if r.error_count > len(r.errors):
            lines.append(("", "", _said(_MORE_ERRORS, language).format(n=r.error_count - len(r.errors))))
        if not lines:
            lines.append(("", "", ""))
        for location, rule, said in lines:
            row += 1
            values = [r.path, local_time(r.received_at), location, rule, said]
            rows.append([text(cells, r.path, WRAP), text(cells, local_time(r.received_at), WRAP),
                         number(cells, r.error_count, "0", WRAP),
                         *(text(cells, v, WRAP) if v else None for v in (location, rule, said))],
                        _height(values, (45, 19, 22, 22, 80)))
    ws.auto_filter.ref = f"A{HEADER_ROW}:F{row}"
    return rows


def _frame(wb: Workbook, folder: Path, name: str, columns: Columns, title: str, subtitle: str,
           more: str = "") -> tuple[WriteOnlyWorksheet, SheetRows, RawCells]:
    """A new sheet with widths, frozen header, print setup, title, one or two lines under it
    (each shorter than the table is wide: a longer line would shrink the printed page) and
    the header in row 4; → the sheet, its rows and the cells to put in them."""
    ws = wb.create_sheet(name)
    for i, (_, w) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    landscape(ws, title_rows=f"{HEADER_ROW}:{HEADER_ROW}")
    rows, cells = SheetRows(ws, folder), RawCells(ws)
    rows.append([text(cells, title, TITLE)])
    rows.append([text(cells, subtitle, SUBTITLE)])
    rows.append([text(cells, more, SUBTITLE)] if more else [])
    rows.append([text(cells, column, centred(HEADER) if column == "År" else HEADER) for column, _ in columns], 20)
    return ws, rows, cells


def _kept_row(rows: SheetRows, kept: Fragments | None, key: tuple, line: Callable[[], str]) -> None:
    """Write the row `key` names: kept from the rewrite before, or made by line() (and kept)."""
    xml = kept.get(kept.lines, key) if kept is not None else None
    if xml is None:
        xml = line()
        if kept is not None:
            kept.put(kept.lines, key, xml)
    rows.write(xml)
    rows.counted(1)


def _height(texts: list[str], widths: tuple[float, ...] | list[float]) -> float | None:
    """The height of a row for its wrapped texts (None: one line)."""
    return row_height(list(zip(texts, widths)))


def _where(f: Finding) -> str:
    """'Krumtappen, Tilgang K2': the line and the column a change is in."""
    column = " ".join(p for p in (f.column, str(f.params.get("period") or "")) if p)
    return ", ".join(p for p in (str(f.params.get("line") or ""), column) if p)


def _before_after(c: VersionChange) -> tuple[float | str, float | str]:
    """What the earlier version said and what the current one says, as the warning recorded
    them: figures as numbers (a store from before they were kept as numbers: as its text)."""
    f, p = c.finding, c.finding.params
    now: float | str = float(f.value) if f.numeric and f.value else f.value
    if f.rule == "change.start_vs_last_end":  # last year's end count → this year's start count
        return p.get("end", ""), now
    if f.rule == "change.other_path":  # the other file → this file
        return str(p.get("other", "")), c.path
    return p.get("old", ""), p.get("new", now)


def _figure(ws: RawCells, value: float | str) -> str | None:
    """A figure before or after a change: a number cell where it is one, so it sorts and sums."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return number(ws, value, COUNT_FORMAT if float(value).is_integer() else DECIMAL_FORMAT, WRAP)
    return text(ws, value, WRAP)


def _said(sentences: dict[str, str], language: str) -> str:
    return sentences.get(language, sentences["da"])
