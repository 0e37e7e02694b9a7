"""Build test workbooks in code, the way staff lay them out.

Each builder returns rows (lists of cell values, None for empty) so a test can break
exactly one thing before `save` writes the workbook.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook

Rows = list[list[Any]]

# Seed 000 (Fredensborg), mio. kr.
HANDLEPLAN_LINES = [
    ["Støtte eget hjem", 6, 3.6, 3.6],
    ["Dagtilbud", 5, 0.8, 1.1],
    ["BPA", 0.8, 0.2, 0.5],
    ["Botilbud", 5, 4.5, 4.7],
    ["Alkohol/stof", 2.2, 2.2, 2.2],
    ["Træning børn", 0.6, 0.6, 0.6],
    ["Institutioner *", 4.5, 4.5, 4.5],
    ["STU", 0.5, 0.3, 0.4],
    ["Merudgifter", 0.1, 0, 0],
    ["Ledsageordning", 0.3, 0, 0],
]
# Seed 002 (Herning), 1.000 kr.
EFFEKT_LINES = [
    ["1", "Flere tilbud i Herning Kommune til herningborgere - kapacitetsplan", -250, -1600, -2350, -3100, -3850],
    ["2", "Etablering af nye og alternative løsninger", -250, -1250, -1750, -2250, -2750],
    ["3", "Visitationen – nye tilgange", -1500, -2000, -2500, -3000, -3000],
    ["4 a", "Tidligere kendskab til borgerne (overgang fra ung til voksen)", 0, -100, -150, -200, -250],
    ["4 b", "Livsfaser (ældreområdet)", -500, -1000, -2000, -3000, -6000],
]
# Seed 003 (Ballerup): name, primo, (tilgang, afgang) x 3, ultimo
TILGANG_LINES = [
    ["Krumtappen", 18, 0, 0, 1, 0, 3, 0, 22],
    ["Bibliotekscaféen", 13, 0, 0, 1, 0, 0, 1, 13],
    ["Larsbjerggård", 9, 0, 1, 0, 0, 0, 0, 8],
    ["Det Nye Sted", 50, 0, 0, 3, 2, 3, 0, 54],
]


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
