"""Render the pictures in docs/ the way a reader sees the files: through LibreOffice.

    .venv/bin/python scripts/render_docs.py

In a scratch site it ingests the example workbooks plus one with typing mistakes, then
renders page 1 of the consolidated workbook, the rejection report and a template to
PNG (soffice → PDF → pdftoppm). Needs soffice and pdftoppm on PATH.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# Tools > Options > Language Settings saved as da-DK: a Danish reader's separators.
DANISH_PROFILE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry">'
    '<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse">'
    "<value>da-DK</value></prop></item></oor:items>\n"
)


def to_png(xlsx: Path, png: Path, *, page: int = 1, resolution: int = 80) -> Path:
    """One page of xlsx as rendered by LibreOffice with a Danish locale → png."""
    with tempfile.TemporaryDirectory(prefix="render-") as tmp:
        profile = Path(tmp) / "profile"
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(DANISH_PROFILE, encoding="utf-8")
        subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to",
                        "pdf", "--outdir", tmp, str(xlsx)], check=True, capture_output=True, timeout=180)
        pdf = Path(tmp) / (xlsx.stem + ".pdf")
        stem = Path(tmp) / "page"
        subprocess.run(["pdftoppm", "-png", "-singlefile", "-r", str(resolution), "-f", str(page), "-l", str(page),
                        str(pdf), str(stem)], check=True, capture_output=True, timeout=120)
        shutil.move(str(stem) + ".png", png)
    return png


def syncservice(site: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "syncservice", *args, "--config", str(site / "config.toml")],
                   check=False, capture_output=True, cwd=site, timeout=300)


def with_mistakes(example: Path, target: Path) -> None:
    """The Ballerup intake/outflow example as a hurried person might save it."""
    wb = load_workbook(example)
    ws = wb.active
    typed = {"D9": "ca. 5", "F10": "@SUM(A1)", "I8": 23}  # text in a count; a formula-looking note; a wrong end count
    for ref, value in typed.items():
        ws[ref] = value
    wb.save(target)


def another_unit(example: Path, target: Path) -> None:
    """The Fredensborg handleplan as a second unit would report it: twice the figures."""
    wb = load_workbook(example)
    ws = wb.active
    ws["B3"] = "Handicap, Gribskov"
    for row in ws.iter_rows(min_row=9, min_col=2, max_col=4):
        for cell in row:
            if isinstance(cell.value, (int, float)):
                cell.value *= 2
    wb.save(target)


def sheet_to_png(xlsx: Path, sheet: str, png: Path, *, resolution: int = 80) -> Path:
    """Page 1 of one sheet of xlsx (the others removed from a copy) → png."""
    wb = load_workbook(xlsx)
    for other in [ws for ws in wb.worksheets if ws.title != sheet]:
        wb.remove(other)
    with tempfile.TemporaryDirectory(prefix="sheet-") as tmp:
        copy = Path(tmp) / f"{sheet}.xlsx"
        wb.save(copy)
        return to_png(copy, png, resolution=resolution)


# the overview sheets of the kinds seeds 003 and 004 added (README "Adding a kind")
SHEET_PICTURES = {"Bruttobesparelse": "consolidated-bruttobesparelse.png",
                  "Effekt realiseret": "consolidated-effekt-realiseret.png"}


def main() -> None:
    if not (shutil.which("soffice") and shutil.which("pdftoppm")):
        sys.exit("needs soffice (LibreOffice) and pdftoppm (poppler-utils)")
    with tempfile.TemporaryDirectory(prefix="docs-site-") as tmp:
        site = Path(tmp)
        (site / "config.toml").write_text("", encoding="utf-8")  # the embedded defaults
        watched = site / "watched"
        watched.mkdir()
        for example in (ROOT / "examples").glob("*.xlsx"):
            shutil.copy(example, watched / example.name)
        another_unit(ROOT / "examples" / "Handleplan Fredensborg 2015.xlsx", watched / "Handleplan Gribskov.xlsx")
        syncservice(site, "ingest")
        with_mistakes(ROOT / "examples" / "Tilgang og afgang Ballerup 2016.xlsx", watched / "Tilgang Ballerup.xlsx")
        syncservice(site, "ingest")
        to_png(site / "output" / "Samlet oversigt.xlsx", DOCS / "consolidated.png")
        for sheet, png in SHEET_PICTURES.items():
            sheet_to_png(site / "output" / "Samlet oversigt.xlsx", sheet, DOCS / png, resolution=100)
        report = next((site / "output" / "Tilbagemeldinger").rglob("*FEJL.xlsx"))
        to_png(report, DOCS / "rejection-report.png", resolution=110)
        syncservice(site, "template", "tilgang_afgang", "--unit", "Handicap & Psykiatri, Ballerup", "--year", "2017",
                    "-o", str(site / "Skabelon.xlsx"))
        to_png(site / "Skabelon.xlsx", DOCS / "template.png", resolution=100)
    for png in ("consolidated.png", *SHEET_PICTURES.values(), "rejection-report.png", "template.png"):
        print(DOCS / png)


if __name__ == "__main__":
    main()
