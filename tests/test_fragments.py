"""The consolidated workbook written from what each version put in it last time (fragments.py):
finance must see exactly what a rewrite from nothing would show, after any change."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from syncservice.outputs.consolidated.fragments import Fragments
from syncservice.pipeline import Pipeline

import book
from conftest import STILL as NOW


def take(pipeline: Pipeline, name: str, sheets: dict, bump: int = 0) -> None:
    path = book.save(pipeline.watched / name, sheets)
    if bump:
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + bump * 10**9))
    outcome = pipeline.process(path)
    assert outcome.status == "accepted", outcome


def cells(path: Path) -> dict[str, list[tuple]]:
    """Every cell of every sheet as a reader sees it: where, what, how it is shown and looks."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        out[ws.title] = [(c.coordinate, c.value, c.number_format, c.font.b, c.font.i, c.font.color and c.font.color.rgb,
                          c.fill.fgColor.rgb, c.alignment.wrap_text, c.alignment.horizontal, c.border.top and c.border.top.style)
                         for row in ws.iter_rows() for c in row if c.value is not None or c.has_style]
        out[ws.title].append(("heights", tuple((n, d.height) for n, d in sorted(ws.row_dimensions.items())
                                               if d.height)))
        out[ws.title].append(("tables", tuple((t.displayName, t.ref) for t in ws.tables.values())))
        out[ws.title].append(("filter", ws.auto_filter.ref))
        out[ws.title].append(("cf", tuple(str(r.sqref) for r in ws.conditional_formatting)))
    return out


def fresh(pipeline: Pipeline, tmp_path: Path) -> dict[str, list[tuple]]:
    """The same store written by a new process's pipeline: nothing kept."""
    other = Pipeline(pipeline.config, pipeline.store, clock=lambda: NOW)
    other._fragments = Fragments(tmp_path / "elsewhere")
    target = pipeline.config.path("consolidated")
    kept = target.read_bytes()
    other.write_summary()
    seen = cells(target)
    target.write_bytes(kept)
    return seen


def rows(n: int, prefix: str = "Sted") -> list[list]:
    return [[f"{prefix} {i}", 10 + i, 1, 2, 3, 1, 2, 1, 12 + i] for i in range(n)]


def test_a_rewrite_from_kept_rows_shows_what_a_rewrite_from_nothing_shows(pipeline, tmp_path):
    take(pipeline, "Ballerup/Tilgang.xlsx", {"TA": book.tilgang(lines=rows(30))})
    take(pipeline, "Fredensborg/Handleplan.xlsx", {"HP": book.handleplan()})
    take(pipeline, "Herning/Effekt.xlsx", {"Effekt": book.effekt()})
    pipeline.write_summary()
    steps = [
        # a new version of one report: its rows written again, the others kept
        lambda: take(pipeline, "Fredensborg/Handleplan.xlsx",
                     {"HP": book.handleplan(lines=[["Botilbud", 3, 1, 2], ["BPA", 1, 1, 1]])}, bump=5),
        # a new report whose line is longer than any: the kind's columns widen, every block again
        lambda: take(pipeline, "Gribskov/Tilgang.xlsx",
                     {"TA": book.tilgang(unit="Gribskov", lines=rows(3, "Et dagtilbud med et meget langt navn, "
                                                                      "der skal brydes over flere linjer i arket"))}),
        # a fourth quarter: a new column on the intake/outflow sheet
        lambda: take(pipeline, "Egedal/Tilgang.xlsx",
                     {"TA": book.tilgang(unit="Egedal", quarters=4,
                                         lines=[["Værkstedet", 10, 1, 1, 1, 1, 1, 1, 1, 1, 10]])}),
        lambda: None,  # nothing new: everything kept
    ]
    for step in steps:
        step()
        pipeline.write_summary()
        assert cells(pipeline.config.path("consolidated")) == fresh(pipeline, tmp_path)


def test_a_rewrite_reads_only_the_figures_of_versions_it_has_not_kept(pipeline, monkeypatch):
    take(pipeline, "Ballerup/Tilgang.xlsx", {"TA": book.tilgang(lines=rows(200))})
    take(pipeline, "Fredensborg/Handleplan.xlsx", {"HP": book.handleplan()})
    pipeline.write_summary()
    asked: list[list[int]] = []
    read = pipeline.store.current_data_rows

    def counting(only=None):
        asked.append(sorted(only) if only is not None else None)
        return read(only)

    monkeypatch.setattr(pipeline.store, "current_data_rows", counting)
    take(pipeline, "Fredensborg/Handleplan.xlsx",
         {"HP": book.handleplan(lines=[["Botilbud", 3, 1, 2], ["BPA", 1, 1, 1]])}, bump=5)
    pipeline.write_summary()
    new = [v.version_id for v in pipeline.store.current_versions() if v.kind == "handleplan"]
    assert asked == [new]  # the 200-line report's figures were not read again
    data = openpyxl.load_workbook(pipeline.config.path("consolidated"))["Data"]
    lines = {row[3] for row in data.iter_rows(min_row=2, values_only=True)}
    assert {"Sted 0", "Sted 199", "Botilbud", "BPA"} <= lines and "Dagtilbud" not in lines


def test_only_current_versions_are_kept(pipeline):
    take(pipeline, "Fredensborg/Handleplan.xlsx", {"HP": book.handleplan()})
    pipeline.write_summary()
    folder = pipeline._fragments.folder
    first = sorted(p.name for p in folder.iterdir())
    assert len(first) == 2  # its Data rows and its block
    take(pipeline, "Fredensborg/Handleplan.xlsx", {"HP": book.handleplan(lines=[["BPA", 1, 1, 1]])}, bump=5)
    pipeline.write_summary()
    second = sorted(p.name for p in folder.iterdir())
    assert len(second) == 2 and not set(first) & set(second)


def test_kept_rows_of_a_killed_process_are_removed_by_the_next(tmp_path):
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone = tmp_path / f"fragments-{child.stdout.strip()}-abc"
    gone.mkdir()
    (gone / "data-1.xml").write_text("<row/>")
    mine = Fragments(tmp_path)
    assert not gone.exists() and mine.folder.exists()
    Fragments(tmp_path)
    assert mine.folder.exists()  # a living process's folder is left alone


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_reads_rows_without_positions_where_they_belong(pipeline, tmp_path):
    """Rows and cells carry no r="…": a spreadsheet program counts them (ECMA-376 18.3.1.73)."""
    soffice = shutil.which("soffice")
    profile = tmp_path / "lo-profile"  # own profile: runs beside another soffice
    take(pipeline, "Ballerup/Tilgang.xlsx", {"TA": book.tilgang(lines=rows(5))})
    take(pipeline, "Fredensborg/Handleplan.xlsx", {"HP": book.handleplan()})
    pipeline.write_summary()
    ours = pipeline.config.path("consolidated")
    out = tmp_path / "resaved"
    subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "xlsx",
                    "--outdir", str(out), str(ours)],
                   check=True, capture_output=True, timeout=180)
    theirs = openpyxl.load_workbook(out / ours.name)
    mine = openpyxl.load_workbook(ours)
    for name in ("Tilgang og afgang", "Handleplan", "Data"):
        values = [[c for c in row] for row in mine[name].iter_rows(values_only=True)]
        resaved = [[c for c in row] for row in theirs[name].iter_rows(values_only=True)]
        width = max(len(r) for r in values)
        assert [r[:width] for r in resaved if any(r)] == [r for r in values if any(r)], name


def test_every_sheet_s_rows_come_once_and_in_order_for_every_reader(pipeline):
    """openpyxl once wrote its own empty row for a height before the spliced rows (row 4 first,
    then rows 1…): its read-only reader then lost each overview's title and header."""
    take(pipeline, "Ballerup/Tilgang.xlsx", {"TA": book.tilgang(lines=rows(3, "Et dagtilbud med et meget langt navn, "
                                                                          "der skal brydes over flere linjer"))})
    take(pipeline, "Fredensborg/Handleplan.xlsx", {"HP": book.handleplan()})
    pipeline.write_summary()
    target = pipeline.config.path("consolidated")
    full = openpyxl.load_workbook(target)
    streamed = openpyxl.load_workbook(target, read_only=True)
    try:
        def values(ws):  # a streamed row is as long as its cells, a loaded one as the sheet is wide
            return [list(row)[:max((i + 1 for i, v in enumerate(row) if v is not None), default=0)]
                    for row in ws.iter_rows(values_only=True)]

        for name in full.sheetnames:
            assert values(streamed[name]) == values(full[name]), name
        assert streamed["Tilgang og afgang"]["A1"].value == "Tilgang og afgang på dagtilbud"
        assert full["Tilgang og afgang"].row_dimensions[4].height == 32  # the header's height, where it belongs
        assert any((full["Tilgang og afgang"].row_dimensions[n].height or 0) > 15 for n in range(6, 9))
    finally:
        streamed.close()
