"""Templates: a workbook the service made, filled in by a person and saved by their
spreadsheet program, is accepted; left empty, it is rejected where the person must type."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

import book
from conftest import verdict_for
from schemas import KINDS
from syncservice.cli import main
from syncservice.config import defaults
from syncservice.messages import HELP, help_text
from syncservice.models import Figure, Report, StagedFile, Verdict, quote_sheet
from syncservice.pipeline import Pipeline
from syncservice.store import Store
from syncservice.template import default_through, plan
from syncservice.template_sheet import write

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
needs_libreoffice = pytest.mark.skipif(book.SOFFICE is None, reason="LibreOffice (soffice) is not installed")


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def make(tmp: Path, kind: str, unit: str = "Dagtilbud Vest", year: int = 2026, *more: str, name: str = "") -> Path:
    """`syncservice template KIND --unit U --year Y -o FILE`, as a person runs it."""
    out = tmp / (name or f"{kind}.xlsx")
    config = tmp / "config.toml"
    if not config.exists():
        config.write_text("", encoding="utf-8")  # the defaults, with paths in tmp
    result = run("template", kind, "--unit", unit, "--year", str(year), "-o", str(out),
                 "--config", str(tmp / "config.toml"), *more)
    assert result.exit_code == 0, result.output
    return out


def rows_of(path: Path) -> tuple:
    """(sheet, row of 'I alt', {metadata label: row}); where the lines do not add up (no total
    row), the header's last row stands for it: the row above the first line."""
    ws = load_workbook(path).active
    total = next((r for r in range(1, 40) if ws.cell(r, 1).value == "I alt"), None)
    if total is None:
        total = next(r for r in range(5, 40) if ws.cell(r - 1, 1).value is None and ws.cell(r, 1).value)
    meta = {ws.cell(r, 1).value: r for r in range(1, total) if isinstance(ws.cell(r, 1).value, str)}
    return ws, total, meta


def fill(path: Path, lines: list[list], meta: dict[str, object] | None = None, *, start_col: int = 1) -> Path:
    """Type `lines` under the total row and `meta` beside its labels, through openpyxl."""
    wb = load_workbook(path)
    ws = wb.active
    total = next(r for r in range(1, 40) if ws.cell(r, 1).value == "I alt")
    for label, value in (meta or {}).items():
        row = next(r for r in range(1, total) if ws.cell(r, 1).value == label)
        ws.cell(row, 2, value)
    for i, line in enumerate(lines):
        for c, value in enumerate(line, start=start_col):
            if value is not None:
                ws.cell(total + 1 + i, c, value)
    out = path.with_name(path.stem + " udfyldt.xlsx")
    wb.save(out)
    return out


def resave_all(paths: list[Path], outdir: Path) -> dict[str, Path]:
    """Open and save every file with LibreOffice headless in one run (as book.resave_with_libreoffice
    does for one: it also calculates the formulas and caches their values)."""
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run([book.SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--calc",
                        "--convert-to", "xlsx", "--outdir", str(outdir), *map(str, paths)],
                       check=True, capture_output=True, timeout=300)
    out = {p.stem: outdir / (p.stem + ".xlsx") for p in paths}
    assert all(p.exists() for p in out.values()), "LibreOffice did not write every file"
    return out


def ingest(tmp: Path, *files: Path) -> None:
    """A store at tmp/state holding `files` as accepted versions (the service's own path)."""
    config = defaults(tmp)
    (tmp / "watched").mkdir(exist_ok=True)
    with Store.open(config.path("database")) as store:
        pipeline = Pipeline(config, store)
        for f in files:
            target = tmp / "watched" / f.name
            shutil.copy(f, target)
            assert pipeline.process(target).status == "accepted", f


def tilgang_four_quarters(unit: str = "Handicap & Psykiatri, Ballerup", year: int = 2016) -> dict:
    """Seed 003's lines reported through K4 (K4: nobody in or out)."""
    lines = [[*line[:8], 0, 0, line[8]] for line in book.TILGANG_LINES]
    return {"Tilgang og afgang": book.tilgang(unit=unit, year=year, quarters=4, lines=lines)}


# --- every kind, filled in and saved by a spreadsheet program ----------------------------------

FILLED = {  # kind → (year, lines typed from column A, metadata typed)
    "handleplan": (2015, book.HANDLEPLAN_LINES, {"Opgjort pr.": dt.date(2015, 11, 30)}),
    "effekt": (2020, [[*line, status] for line, status in zip(book.EFFEKT_LINES, ["Grøn", "Gul", "Rød", "Grøn", "gul"])],
               {}),
    "tilgang_afgang": (2016, [[*line, 60] for line in book.TILGANG_LINES], {}),  # + Pladser
}


@pytest.fixture(scope="module")
def resaved(tmp_path_factory) -> dict[str, Path]:
    """Templates filled and unfilled, fresh and pre-filled, all opened and saved by LibreOffice once."""
    if book.SOFFICE is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    tmp = tmp_path_factory.mktemp("templates")
    made: list[Path] = []
    for kind, (year, lines, meta) in FILLED.items():
        through = ("--through", "3") if kind == "tilgang_afgang" else ()
        blank = make(tmp, kind, "Dagtilbud Vest", year, *through, name=f"{kind} tom.xlsx")
        made += [blank, fill(make(tmp, kind, "Dagtilbud Vest", year, *through), lines, meta)]
    # pre-filled from the store: this year's handleplan and last year's tilgang_afgang (through K4)
    ingest(tmp, EXAMPLES / "Handleplan Fredensborg 2015.xlsx",
           book.save(tmp / "Tilgang 2016.xlsx", tilgang_four_quarters()))
    made.append(make(tmp, "handleplan", "Handicap og Socialpsykiatri, Fredensborg", 2015, name="hp forudfyldt.xlsx"))
    prefilled = make(tmp, "tilgang_afgang", "Handicap & Psykiatri, Ballerup", 2017, "--through", "1",
                     name="ta forudfyldt.xlsx")
    made += [prefilled, fill(prefilled, [[None, None, 2, 1, row[8] + 1] for row in book.TILGANG_LINES])]
    return resave_all(made, tmp / "lo")


@needs_libreoffice
@pytest.mark.parametrize("kind", sorted(FILLED))
def test_a_filled_template_saved_by_a_spreadsheet_program_is_accepted(resaved, kind):
    verdict = verdict_for(resaved[f"{kind} udfyldt"])
    assert verdict.accepted, [(f.rule, f.location) for f in verdict.errors]
    assert not verdict.warnings, [(f.rule, f.location) for f in verdict.warnings]
    (report,) = verdict.reports
    assert (report.kind, report.unit, report.year) == (kind, "Dagtilbud Vest", FILLED[kind][0])
    ws, total, _ = rows_of(resaved[f"{kind} udfyldt"])
    cached = load_workbook(resaved[f"{kind} udfyldt"], data_only=True).active
    figures = {(f.line, f.metric, f.period): f.value for f in report.figures}
    if kind == "handleplan":  # amounts in the configured unit, 1.000 kr.
        assert figures[("Botilbud", "Realiseret", "")] == 4_500
        assert cached.cell(total, 2).value == pytest.approx(25)
    elif kind == "effekt":
        assert figures[("Livsfaser (ældreområdet)", "Effekt", "2024")] == -6_000_000
        assert cached.cell(total, 7).value == -15_850
        assert report.extra["status"][-1] == ["4 b", "Livsfaser (ældreområdet)", "Gul"]
    else:
        assert report.through == 3 and figures[("Det Nye Sted", "Ultimo", "")] == 54
        assert [cached.cell(total, c).value for c in (2, 9, 10)] == [90, 97, 240]


@needs_libreoffice
@pytest.mark.parametrize("kind", sorted(FILLED))
def test_an_unfilled_template_is_rejected_saying_the_table_is_empty(resaved, kind):
    verdict = verdict_for(resaved[f"{kind} tom"])
    assert not verdict.accepted
    ws, total, meta = rows_of(resaved[f"{kind} tom"])
    rules = sorted((f.rule, f.location) for f in verdict.errors)
    header = f"{quote_sheet(ws.title)}!A{total - (2 if kind == 'tilgang_afgang' else 1)}"
    expected = [("table.empty", header)]
    if kind == "handleplan":  # Opgjort pr. is required, and left for the person to fill: named where it goes
        expected.insert(0, ("meta.empty", f"{quote_sheet(ws.title)}!B{meta['Opgjort pr.']}"))
    assert rules == expected


@needs_libreoffice
def test_a_prefilled_but_unfilled_template_names_each_empty_cell(resaved):
    verdict = verdict_for(resaved["hp forudfyldt"])
    ws, total, meta = rows_of(resaved["hp forudfyldt"])
    missing = sorted(c for f in verdict.errors if f.rule == "value.missing" for c in f.cells)
    lines = range(total + 1, total + 1 + len(book.HANDLEPLAN_LINES))
    assert missing == sorted(f"{col}{r}" for r in lines for col in "BCD")
    assert {f.rule for f in verdict.errors} == {"value.missing", "meta.empty"}  # + Opgjort pr., still empty
    # the lines as stored: 'Institutioner *' without its footnote marker
    assert [ws.cell(r, 1).value for r in lines] == [line[0].rstrip(" *") for line in book.HANDLEPLAN_LINES]


@needs_libreoffice
def test_a_prefilled_template_filled_in_is_accepted_and_its_start_counts_match_last_year(resaved):
    verdict = verdict_for(resaved["ta forudfyldt udfyldt"])
    assert verdict.accepted, [(f.rule, f.location) for f in verdict.errors]
    starts = {f.line: f.value for f in verdict.reports[0].figures if f.metric == "Primo"}
    assert starts == {line[0]: line[8] for line in book.TILGANG_LINES}  # last year's Ultimo


# --- what a pre-filled template holds (no spreadsheet program needed) ----------------------------

def test_prefilled_template_carries_lines_start_counts_and_earlier_quarters(tmp_path):
    ingest(tmp_path, EXAMPLES / "Tilgang og afgang Ballerup 2016.xlsx")  # through K3
    path = make(tmp_path, "tilgang_afgang", "Handicap & Psykiatri, Ballerup", 2016, "--through", "4")
    ws, total, _ = rows_of(path)
    header = [ws.cell(total - 2, c).value for c in range(1, 13)]
    assert header == ["Tilbud", "Primo", "1. kvartal", None, "2. kvartal", None, "3. kvartal", None, "4. kvartal",
                      None, "Ultimo", "Pladser"]
    got = [[ws.cell(r, c).value for c in range(1, 13)] for r in range(total + 1, total + 6)]
    seed = book.TILGANG_LINES
    # lines, this year's start count and K1..K3 as accepted; K4, Ultimo and Pladser for the person
    assert got[:4] == [[*line[:8], None, None, None, None] for line in seed]
    assert got[4] == [None] * 12


def test_prefilled_template_for_next_year_starts_from_last_years_end_count_only_after_k4(tmp_path):
    ingest(tmp_path, book.save(tmp_path / "TA 2016.xlsx", tilgang_four_quarters()),
           book.save(tmp_path / "TA Vest 2016.xlsx", {"TA": book.tilgang(unit="Dagtilbud Vest")}))  # K3 only
    after_k4 = rows_of(make(tmp_path, "tilgang_afgang", "Handicap & Psykiatri, Ballerup", 2017, "--through", "2"))
    after_k3 = rows_of(make(tmp_path, "tilgang_afgang", "Dagtilbud Vest", 2017, "--through", "2", name="vest.xlsx"))
    for (ws, total, _), starts in ((after_k4, [22, 13, 8, 54]), (after_k3, [None] * 4)):
        rows = range(total + 1, total + 5)
        assert [ws.cell(r, 1).value for r in rows] == [line[0] for line in book.TILGANG_LINES]
        assert [ws.cell(r, 2).value for r in rows] == starts  # never a stale copy of a 30/9 count
        assert all(ws.cell(r, c).value is None for r in rows for c in range(3, 9))


def test_prefilled_effekt_template_keeps_tracks_initiatives_and_years_but_no_figures(tmp_path):
    ingest(tmp_path, EXAMPLES / "Effekt Herning 2020.xlsx")
    ws, total, meta = rows_of(make(tmp_path, "effekt", "Handicap og Psykiatri, Herning", 2021))
    assert [ws.cell(total - 1, c).value for c in range(1, 9)] == ["Spor", "Tiltag", 2021, 2022, 2023, 2024, 2025,
                                                                   "Status"]
    lines = [[ws.cell(r, c).value for c in range(1, 9)] for r in range(total + 1, total + 6)]
    assert lines == [[line[0], line[1], None, None, None, None, None, None] for line in book.EFFEKT_LINES]
    assert ws.cell(meta["Beløb i"], 2).value == "1.000 kr."


def test_text_from_the_store_is_written_as_text_never_as_a_formula(tmp_path):
    store = Store.memory()
    figures = tuple(Figure(line, metric, "", 1.0, "B9", n) for n, line in enumerate(["=HYPERLINK(\"x\")", "#N/A"])
                    for metric in ("Mål", "Realiseret", "Forventet"))
    staged = StagedFile(tmp_path / "x.xlsx", "x.xlsx", tmp_path / "x.xlsx", "0" * 64, 1, 0)
    verdict = Verdict(staged, reports=(Report("handleplan", "=cmd", 2026, "Handleplan", figures,
                                              as_of=dt.date(2026, 6, 30)),))
    store.record(staged, verdict, "archive/x.xlsx", lambda f: "", dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
    path = write(plan(KINDS["handleplan"], "=cmd", 2026, amount_unit="kr.", store=store), tmp_path / "t.xlsx")
    ws, total, meta = rows_of(path)
    cells = [ws.cell(meta["Enhed"], 2), ws.cell(total + 1, 1), ws.cell(total + 2, 1)]
    assert [(c.value, c.data_type) for c in cells] == [("=cmd", "s"), ('=HYPERLINK("x")', "s"), ("#N/A", "s")]
    assert [ws.cell(total, c).value for c in (2, 3, 4)] == [f"=SUM({x}{total + 1}:{x}{total + 20})" for x in "BCD"]


# --- how it looks and guides ------------------------------------------------------------------------

def validations(ws) -> dict[str, object]:
    """cell → its DataValidation, for every cell any validation covers."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for cell_range in dv.sqref.ranges:
            for row in ws.iter_rows(min_row=cell_range.min_row, max_row=cell_range.max_row,
                                    min_col=cell_range.min_col, max_col=cell_range.max_col):
                for cell in row:
                    assert cell.coordinate not in out, f"two validations on {cell.coordinate}"
                    out[cell.coordinate] = dv
    return out


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_input_cell_is_validated_by_the_kinds_rules_and_every_header_explains_itself(tmp_path, kind):
    ws, total, meta = rows_of(make(tmp_path, kind, "Dagtilbud Vest", 2026, *(("--through", "2") if kind ==
                                                                             "tilgang_afgang" else ())))
    checks = validations(ws)
    header_end = total if KINDS[kind].adds_up else total + 1
    header_rows = range(header_end - (2 if kind == "tilgang_afgang" else 1), header_end)
    width = ws.max_column
    for c in range(1, width + 1):
        label = ws.cell(header_end - 1, c).value or ws.cell(header_rows[0], c).value
        for r in header_rows:
            head = ws.cell(r, c)
            if head.value is not None:
                assert checks[head.coordinate].showInputMessage and checks[head.coordinate].prompt, head.coordinate
        kinds_of = {(checks[ws.cell(r, c).coordinate].type if ws.cell(r, c).coordinate in checks else None)
                    for r in range(total + 1, total + 21)}
        if label in ("Spor",):
            assert kinds_of == {None}
        elif label in ("Område", "Tiltag", "Tilbud", "Opfølgning", "Budgetår"):
            assert kinds_of == {"custom"}  # each name once
        elif label == "Status":
            assert kinds_of == {"list"} and checks[ws.cell(total + 1, c).coordinate].formula1 == '"Grøn,Gul,Rød"'
        elif kind == "tilgang_afgang":
            dv = checks[ws.cell(total + 1, c).coordinate]
            assert kinds_of == {"whole"} and (dv.operator, dv.formula1) == ("greaterThanOrEqual", "0"), label
        else:
            dv = checks[ws.cell(total + 1, c).coordinate]
            assert kinds_of == {"decimal"}, label
            assert (dv.operator == "greaterThanOrEqual") == (label == "Mål"), label
    assert ws.protection.sheet is False  # no password between a person and their workbook
    assert ws.freeze_panes == f"{'C' if kind == 'effekt' else 'B'}{total + 1}"
    assert checks[ws.cell(meta["År"], 2).coordinate].type == "whole"


def test_header_help_is_the_catalogues_and_the_kinds_and_fits_excels_limits():
    fields = {"year": 2026, "amount_unit": "1.000 kr.", "end": "31/12 2026", "column": "Realiseret", "quarter": 4}
    entries = [(None, key, entry) for key, entry in HELP.items()]
    entries += [(kind, key, entry) for kind in KINDS.values() for key, entry in kind.help.items()]
    for kind, key, entry in entries:
        assert set(entry) == {"da", "en"}, key
        for language in ("da", "en"):
            title, text = help_text(key, language, kind, **fields)
            assert title and text and len(title) <= 32 and len(text) <= (225 if key.startswith("error.") else 255), \
                (key, language, len(title), len(text))
            assert "{" not in title + text


def test_metadata_block_is_filled_in_but_the_as_of_date_is_left_to_fill(tmp_path):
    (tmp_path / "config.toml").write_text('[output]\namount_unit = "mio. kr."\n', encoding="utf-8")
    ws, total, meta = rows_of(make(tmp_path, "handleplan", "Dagtilbud Vest", 2026))
    assert [(ws.cell(r, 1).value, ws.cell(r, 2).value) for r in range(4, 8)] == [
        ("Enhed", "Dagtilbud Vest"), ("År", 2026), ("Opgjort pr.", None), ("Beløb i", "mio. kr.")]
    assert ws.cell(meta["Opgjort pr."], 2).number_format == "DD.MM.YYYY"
    assert ws.cell(total + 1, 2).number_format == "#,##0.0"


def test_default_quarters_are_those_ended_by_today():
    assert [default_through(2026, dt.date(2026, m, 15)) for m in (2, 4, 7, 10, 12)] == [1, 1, 2, 3, 3]
    assert default_through(2025, dt.date(2026, 2, 1)) == 4 and default_through(2027, dt.date(2026, 2, 1)) == 1


# --- the command --------------------------------------------------------------------------------------

def test_template_without_kind_lists_the_kinds_one_line_each():
    result = run("template")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == sorted(KINDS)
    assert "Område | Mål | Realiseret | Forventet" in next(line for line in lines if line.startswith("handleplan "))


def test_template_refuses_to_overwrite_a_file_without_force(tmp_path):
    path = make(tmp_path, "handleplan")
    result = run("template", "handleplan", "--unit", "X", "--year", "2026", "-o", str(path))
    assert result.exit_code == 2 and "--force" in result.output
    assert run("template", "handleplan", "--unit", "X", "--year", "2026", "-o", str(path), "--force").exit_code == 0


@pytest.mark.parametrize("args, words", [
    (["nope", "--unit", "X", "--year", "2026"], "unknown kind"),
    (["handleplan", "--year", "2026"], "give the unit and the year"),
    (["effekt", "--unit", "X", "--year", "2026", "--through", "2"], "only for a kind with quarters"),
])
def test_template_usage_errors_exit_2(tmp_path, args, words):
    result = CliRunner().invoke(main, ["template", *args, "-o", str(tmp_path / "t.xlsx")])
    assert result.exit_code == 2 and words in result.output


def test_template_for_a_unit_nobody_expects_warns_naming_the_closest(tmp_path):
    (tmp_path / "config.toml").write_text('[reporting]\nunits = ["Dagtilbud Vest", "Dagtilbud Øst"]\n',
                                          encoding="utf-8")
    out = tmp_path / "t.xlsx"
    result = CliRunner().invoke(main, ["template", "handleplan", "--unit", "Dagtilbud Vst", "--year", "2026",
                                       "-o", str(out), "--config", str(tmp_path / "config.toml")])
    assert result.exit_code == 0 and out.exists()
    assert "Mente du «Dagtilbud Vest»" in result.output


def test_template_run_where_there_is_no_store_says_which_store_it_looked_for(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not the service's folder: the default config finds no store here
    result = CliRunner().invoke(main, ["template", "handleplan", "--unit", "X", "--year", "2026"])
    assert result.exit_code == 0
    assert "ingen database fundet i" in result.output
    assert str(tmp_path / "state" / "syncservice.sqlite") in result.output and "--config" in result.output


def test_template_from_the_store_names_the_store_it_read(tmp_path):
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    Store.open(tmp_path / "state" / "syncservice.sqlite").close()
    result = CliRunner().invoke(main, ["template", "handleplan", "--unit", "X", "--year", "2026",
                                       "-o", str(tmp_path / "t.xlsx"), "--config", str(tmp_path / "config.toml")])
    assert result.exit_code == 0
    assert f"intet at forudfylde fra i {tmp_path / 'state' / 'syncservice.sqlite'}" in result.output


def test_a_kind_whose_lines_do_not_add_up_gets_no_total_row_and_its_own_help(tmp_path):
    ws = load_workbook(make(tmp_path, "bruttobesparelse", "Handicap & Psykiatri, Ballerup", 2016)).active
    header = next(r for r in range(1, 20) if ws.cell(r, 1).value == "Opfølgning")
    assert [ws.cell(header, c).value for c in range(1, 7)] == ["Opfølgning", 2016, 2017, 2018, 2019, 2020]
    assert not any(ws.cell(r, 1).value == "I alt" for r in range(1, 40))  # the lines start under the header
    assert "I alt" not in ws.cell(2, 1).value
    prompts = {dv.promptTitle: dv.prompt for dv in ws.data_validations.dataValidation if dv.prompt}
    assert prompts["Bruttobesparelse 2016"].startswith("Den forventede bruttobesparelse i 2016 ved denne opfølgning")
