"""Build the example workbooks in examples/ from the seed documents' tables.

    python examples/build.py

Seeds (../shared/seeds): 000 Fredensborg handleplan "Status pr. 30.11" (mio. kr.),
002 Herning "Forventet økonomisk effekt (1000 kr.)", 003 Ballerup til- og afgang på
dagtilbud efter §§ 103 og 104 and its "Bruttobesparelse jf. tidligere og nuværende
strategi" (in mio. kr., WORKBOOKS.md §7), 004 Høje-Taastrup "Effekt af den faglige
omstilling i mio. kr." (expected against realised per budget year). The figures are typed as the seeds print them; layout
is what staff do in Excel: a title, a metadata block, the table, a footnote.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import seeds  # noqa: E402

HANDLEPLAN = [seeds.HANDLEPLAN_TOTAL, *seeds.HANDLEPLAN_LINES]  # total first, as seed 000 prints it
EFFEKT = [*seeds.EFFEKT_LINES, seeds.EFFEKT_TOTAL]
TILGANG = list(seeds.TILGANG_LINES)

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)


def handleplan(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Handleplan"
    ws["A1"] = "Status på handleplan – Handicap og Socialpsykiatri"
    ws["A1"].font = TITLE
    meta = [("Enhed:", "Handicap og Socialpsykiatri, Fredensborg"), ("År:", 2015),
            ("Opgjort pr.:", dt.date(2015, 11, 30)), ("Beløb i:", "mio. kr.")]
    for i, (label, value) in enumerate(meta, start=3):
        ws.cell(i, 1, label).font = BOLD
        ws.cell(i, 2, value)
    ws["B5"].number_format = "DD.MM.YYYY"
    header = ["Område", "Mål", "Realiseret\n30.11 2015", "Forventet 2015"]
    for col, label in enumerate(header, start=1):
        cell = ws.cell(8, col, label)
        cell.font = BOLD
        cell.alignment = Alignment(wrap_text=True)
    for r, row in enumerate(HANDLEPLAN, start=9):
        for col, value in enumerate(row, start=1):
            cell = ws.cell(r, col, value)
            if col > 1:
                cell.number_format = "0.0"
        if row[0] == "Total":
            for col in range(1, 5):
                ws.cell(r, col).font = BOLD
    ws.cell(9 + len(HANDLEPLAN) + 1, 1, "*Kun i 2015 pga. KKR aftalen.")
    ws.column_dimensions["A"].width = 22
    for col in "BCD":
        ws.column_dimensions[col].width = 14
    wb.save(path)


def effekt(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Økonomisk effekt"
    ws["A1"] = "Status på Udviklingskatalog for Handicap og Psykiatri"
    ws["A1"].font = TITLE
    ws["A3"], ws["B3"] = "Enhed", "Handicap og Psykiatri, Herning"
    ws["A4"], ws["B4"] = "Beløb i", "1.000 kr."
    ws["C6"] = "Forventet økonomisk effekt (1000 kr.)"
    ws["C6"].font = BOLD
    for col, label in enumerate(["Spor", "Tiltag", 2020, 2021, 2022, 2023, 2024], start=1):
        ws.cell(7, col, label).font = BOLD
    for r, row in enumerate(EFFEKT, start=8):
        for col, value in enumerate(row, start=1):
            cell = ws.cell(r, col, value)
            if col > 2:
                cell.number_format = "#,##0"
    ws.column_dimensions["B"].width = 60
    notes = wb.create_sheet("Vejledning")
    notes["A1"] = "Grøn: Effekten er opnået. Gul: forventes opnået i år. Rød: forventes ikke opnået i år."
    wb.save(path)


def tilgang_afgang(path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Tilgang og afgang"
    ws["A1"] = "Til- og afgang på kommunens interne dagtilbud efter §§ 103 og 104"
    ws["A1"].font = TITLE
    ws["A3"], ws["B3"] = "Enhed:", "Handicap & Psykiatri, Ballerup"
    ws["A4"], ws["B4"] = "År:", 2016
    ws["B6"] = "Antal borgere 1/1 2016"
    for q, col in enumerate((3, 5, 7), start=1):
        ws.cell(6, col, f"{q}. kv. 2016")
        ws.merge_cells(start_row=6, start_column=col, end_row=6, end_column=col + 1)
        ws.cell(7, col, "Tilgang")
        ws.cell(7, col + 1, "Afgang")
    ws["I6"] = "Antal borgere 30/9 2016"
    for row in (6, 7):
        for col in range(1, 10):
            ws.cell(row, col).font = BOLD
            ws.cell(row, col).alignment = Alignment(horizontal="center", wrap_text=True)
    for r, row in enumerate(TILGANG, start=8):
        for col, value in enumerate(row, start=1):
            ws.cell(r, col, value)
    ws.column_dimensions["A"].width = 20
    wb.save(path)


def bruttobesparelse(path: Path) -> None:
    """Seed 003's second table: the amount unit in the top-left cell, no Beløb i."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Bruttobesparelse"
    ws["A1"] = "Hjemtagelse af borgere fra botilbud"
    ws["A1"].font = TITLE
    ws["A3"], ws["B3"] = "Enhed:", "Handicap & Psykiatri, Ballerup"
    ws["A5"] = "Bruttobesparelse jf. tidligere og nuværende strategi:"
    ws["A5"].font = BOLD
    for col, label in enumerate(["i mio. kr.", *seeds.BRUTTO_YEARS], start=1):
        ws.cell(6, col, label).font = BOLD
    for r, row in enumerate(seeds.BRUTTO_LINES, start=7):
        for col, value in enumerate(row, start=1):
            cell = ws.cell(r, col, value)
            if col > 1:
                cell.number_format = "0.0"
    ws.cell(7 + len(seeds.BRUTTO_LINES) + 1, 1,
            "*Til bruttobesparelsen skal der modregnes kommunens udgift til § 85/83.")
    ws.column_dimensions["A"].width = 22
    wb.save(path)


def effekt_realiseret(path: Path) -> None:
    """Seed 004's table as the minutes print it: the amount unit in its title line."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Effekt"
    ws["A1"] = "Status på Plan for Socialområdet for voksne 2014-2020"
    ws["A1"].font = TITLE
    ws["A3"], ws["B3"] = "Enhed:", "Social- og Handicapcentret, Høje-Taastrup"
    ws["A4"], ws["B4"] = "Opgjort pr.:", dt.date(2016, 9, 30)
    ws["B4"].number_format = "DD.MM.YYYY"
    ws["A6"] = "Tabel 1: Effekt af den faglige omstilling i mio. kr.:"
    ws["A6"].font = BOLD
    header = ["Budgetår", "Oprindelige forventninger pr. 01-01-2014", "Justerede forventninger i budget 2016-2019",
              "Realiseret effekt – oprindelige borgere", "Realiseret effekt – nye borgere", "Samlet effekt"]
    for col, label in enumerate(header, start=1):
        cell = ws.cell(7, col, label)
        cell.font = BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions["ABCDEF"[col - 1]].width = 10 if col == 1 else 18
    for r, row in enumerate(seeds.EFFEKT_REALISERET_LINES, start=8):
        for col, value in enumerate(row, start=1):
            cell = ws.cell(r, col, value)
            if col > 1 and isinstance(value, float):
                cell.number_format = "0.0#"
    wb.save(path)


def main(out: Path = HERE) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "Handleplan Fredensborg 2015.xlsx", out / "Effekt Herning 2020.xlsx",
             out / "Tilgang og afgang Ballerup 2016.xlsx", out / "Bruttobesparelse Ballerup 2016.xlsx",
             out / "Effekt realiseret Høje-Taastrup 2016.xlsx"]
    for build, path in zip((handleplan, effekt, tilgang_afgang, bruttobesparelse, effekt_realiseret), paths):
        build(path)
    return paths


if __name__ == "__main__":
    for p in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(p)
