"""Build test workbooks in code, the way staff lay them out.

Each builder returns rows (lists of cell values, None for empty) so a test can break
exactly one thing before `save` writes the workbook.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

from openpyxl import Workbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))

import seeds  # noqa: E402

Rows = list[list[Any]]

# The seed documents' tables (examples/seeds.py), as lists a test may change.
HANDLEPLAN_LINES = [list(r) for r in seeds.HANDLEPLAN_LINES]  # seed 000, mio. kr.
EFFEKT_LINES = [list(r) for r in seeds.EFFEKT_LINES]  # seed 002, 1.000 kr.
TILGANG_LINES = [list(r) for r in seeds.TILGANG_LINES]  # seed 003: name, primo, (tilgang, afgang) x 3, ultimo


def handleplan(unit: str = "Handicap og Socialpsykiatri, Fredensborg", year: Any = 2015,
               as_of: Any = dt.date(2015, 11, 30), amount_unit: Any = "mio. kr.",
               lines: Rows | None = None, total: list[Any] | None | bool = True,
               header: list[Any] | None = None) -> Rows:
    """Seed 000 as staff lay it out: title, metadata, blank row, header at row 8, total first."""
    lines = [list(r) for r in (lines if lines is not None else HANDLEPLAN_LINES)]
    rows: Rows = [["Status på handleplan"], [], ["Enhed:", unit], ["År:", year], ["Opgjort pr.:", as_of],
                  ["Beløb i:", amount_unit], [],
                  header or ["Område", "Mål", "Realiseret\n30.11 2015", "Forventet 2015"]]
    if total is True:
        total = ["Total", *[round(sum(r[i] for r in lines), 6) for i in (1, 2, 3)]]
    if total:
        rows.append(list(total))
    rows.extend(lines)
    return rows


def effekt(unit: str = "Handicap og Psykiatri, Herning", amount_unit: Any = "1.000 kr.",
           years: list[Any] | None = None, lines: Rows | None = None, total: bool = True,
           status: list[Any] | None = None) -> Rows:
    """Seed 002: header at row 6 (Spor | Tiltag | 2020..2024), 'Alle' total last."""
    years = years if years is not None else [2020, 2021, 2022, 2023, 2024]
    lines = [list(r) for r in (lines if lines is not None else EFFEKT_LINES)]
    header = ["Spor", "Tiltag", *years] + (["Status"] if status else [])
    rows: Rows = [["Status på Udviklingskatalog"], ["Enhed", unit], ["Beløb i", amount_unit], [],
                  [None, None, "Forventet økonomisk effekt (1000 kr.)"], header]
    for i, line in enumerate(lines):
        rows.append(line + ([status[i]] if status else []))
    if total:
        rows.append(["Alle", None, *[sum(r[2 + i] for r in lines) for i in range(len(years))]])
    return rows


def tilgang(unit: str = "Handicap & Psykiatri, Ballerup", year: Any = 2016, quarters: int = 3,
            lines: Rows | None = None, end_label: str | None = None, capacity: list[Any] | None = None,
            quarter_labels: list[str] | None = None) -> Rows:
    """Seed 003: two header rows (quarter labels over Tilgang/Afgang), blank name header."""
    lines = [list(r) for r in (lines if lines is not None else TILGANG_LINES)]
    labels = quarter_labels or [f"{q}. kv. {year}" for q in range(1, quarters + 1)]
    end_label = end_label or f"Antal borgere {['31/3', '30/6', '30/9', '31/12'][quarters - 1]} {year}"
    upper: list[Any] = [None, f"Antal borgere 1/1 {year}"]
    lower: list[Any] = [None, None]
    for label in labels:
        upper += [label, None]
        lower += ["Tilgang", "Afgang"]
    upper.append(end_label)
    lower.append(None)
    if capacity:
        upper.append("Pladser")
        lower.append(None)
    rows: Rows = [["Til- og afgang på dagtilbud"], [], ["Enhed:", unit], ["År:", year], [], upper, lower]
    for i, line in enumerate(lines):
        rows.append(line + ([capacity[i]] if capacity else []))
    return rows


def save(path: Path, sheets: dict[str, Rows] | Rows, formats: dict[str, str] | None = None) -> Path:
    """Write rows to an .xlsx; `formats` maps a cell ref to a number format."""
    wb = Workbook()
    wb.remove(wb.active)
    if isinstance(sheets, list):
        sheets = {"Ark1": sheets}
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(r, c, value)
        for ref, fmt in (formats or {}).items():
            ws[ref].number_format = fmt
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def hide(path: Path, sheet: str, *, state: str = "visible", rows: tuple[int, ...] = (),
         columns: tuple[str, ...] = ()) -> Path:
    """Hide a saved workbook's sheet (state 'hidden' or 'veryHidden'), rows or columns, as Excel's Hide does."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb[sheet]
    ws.sheet_state = state
    for row in rows:
        ws.row_dimensions[row].hidden = True
    for letter in columns:
        ws.column_dimensions[letter].hidden = True
    wb.save(path)
    return path


def cell(rows: Rows, ref: str, value: Any) -> Rows:
    """Set one cell (e.g. 'C9') in a rows list, growing it as needed."""
    from openpyxl.utils.cell import coordinate_from_string, column_index_from_string

    letters, row = coordinate_from_string(ref)
    col = column_index_from_string(letters)
    while len(rows) < row:
        rows.append([])
    line = rows[row - 1]
    while len(line) < col:
        line.append(None)
    line[col - 1] = value
    return rows


def add_column(rows: Rows, header_row: int, label: Any, values: list[Any], *, first: int | None = None,
               col: int | None = None) -> Rows:
    """Put a column into a rows list: `label` in `header_row` (1-based), `values` one a row from
    row `first` (default the row under the header); at column `col` (1-based), else right of
    the header row's last cell."""
    col = col or len(rows[header_row - 1]) + 1
    from openpyxl.utils import get_column_letter

    letter = get_column_letter(col)
    cell(rows, f"{letter}{header_row}", label)
    for row, value in enumerate(values, start=first or header_row + 1):
        cell(rows, f"{letter}{row}", value)
    return rows


SOFFICE = __import__("shutil").which("soffice")


def resave_with_libreoffice(path: Path, outdir: Path, to: str = "xlsx") -> Path:
    """Open and save `path` with LibreOffice headless, as a person's spreadsheet program
    would (it also calculates formulas and caches their values). Its own profile folder
    per call, so parallel runs do not fight over one."""
    import subprocess
    import tempfile

    assert SOFFICE, "soffice is not installed"
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--calc",
                        "--convert-to", to, "--outdir", str(outdir), str(path)],
                       check=True, capture_output=True, timeout=180)
    out = outdir / (path.stem + "." + to.split(":")[0])
    assert out.exists(), f"LibreOffice did not write {out}"
    return out


BRUTTO_LINES = [list(r) for r in seeds.BRUTTO_LINES]  # seed 003's second table, mio. kr.


def bruttobesparelse(unit: str = "Handicap & Psykiatri, Ballerup", corner: Any = "i mio. kr.",
                     years: list[Any] | None = None, lines: Rows | None = None,
                     meta: list[list[Any]] | None = None) -> Rows:
    """Seed 003's gross saving: the amount unit in the top-left cell, header at row 5."""
    years = years if years is not None else list(seeds.BRUTTO_YEARS)
    rows: Rows = [["Bruttobesparelse jf. tidligere og nuværende strategi:"], ["Enhed:", unit], *(meta or []), [],
                  [corner, *years]]
    rows.extend(list(r) for r in (lines if lines is not None else BRUTTO_LINES))
    return rows


EFFEKT_REALISERET_LINES = [list(r) for r in seeds.EFFEKT_REALISERET_LINES]  # seed 004, mio. kr.
EFFEKT_REALISERET_HEADER = ["Budgetår", "Oprindelige forventninger pr. 01-01-2014",
                            "Justerede forventninger i budget 2016-2019", "Realiseret effekt – oprindelige borgere",
                            "Realiseret effekt – nye borgere", "Samlet effekt"]


def effekt_realiseret(unit: str = "Social- og Handicapcentret, Høje-Taastrup", as_of: Any = dt.date(2016, 9, 30),
                      title: str = "Effekt af den faglige omstilling i mio. kr.:", lines: Rows | None = None) -> Rows:
    """Seed 004: the amount unit in the title line, header at row 5, one line per budget year."""
    rows: Rows = [["Enhed:", unit], ["Opgjort pr.:", as_of], [], [title], list(EFFEKT_REALISERET_HEADER)]
    rows.extend(list(r) for r in (lines if lines is not None else EFFEKT_REALISERET_LINES))
    return rows
