"""The consolidated workbook, read back as finance would: values, formats, layout, safety."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tracemalloc
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from openpyxl.chart import BarChart
from openpyxl.utils.cell import range_boundaries

from schemas import KINDS
from syncservice.base.models import DataRow, Finding, RejectedFile, StoredVersion, VersionChange
from syncservice.outputs.consolidated.cells import GREEN, RED, YELLOW
from syncservice.outputs.consolidated.overviews import MAX_SERIES, traffic_light
from syncservice.outputs.consolidated.workbook import DATA_COLUMNS, write_consolidated

NOW = dt.datetime(2025, 11, 23, 9, 0, tzinfo=dt.UTC)
FREDENSBORG = "Handicap og Socialpsykiatri, Fredensborg"
HERNING = "Handicap og Psykiatri, Herning"
BALLERUP = "Handicap & Psykiatri, Ballerup"
HP_FILE, EF_FILE, TA_FILE = ("Handleplan Fredensborg 2015.xlsx", "Effekt Herning 2020.xlsx",
                             "Tilgang og afgang Ballerup 2016.xlsx")

# The seeds' tables (WORKBOOKS.md §2–4), without their total rows.
HANDLEPLAN = [  # Område, Mål, Realiseret, Forventet (mio. kr.)
    ("Støtte eget hjem", 6, 3.6, 3.6), ("Dagtilbud", 5, 0.8, 1.1), ("BPA", 0.8, 0.2, 0.5),
    ("Botilbud", 5, 4.5, 4.7), ("Alkohol/stof", 2.2, 2.2, 2.2), ("Træning børn", 0.6, 0.6, 0.6),
    ("Institutioner", 4.5, 4.5, 4.5), ("STU", 0.5, 0.3, 0.4), ("Merudgifter", 0.1, 0, 0),
    ("Ledsageordning", 0.3, 0, 0),
]
EFFEKT = [  # Spor, Tiltag, 2020..2024 (1.000 kr.)
    ("1", "Flere tilbud i Herning Kommune til herningborgere - kapacitetsplan", -250, -1600, -2350, -3100, -3850),
    ("2", "Etablering af nye og alternative løsninger", -250, -1250, -1750, -2250, -2750),
    ("3", "Visitationen – nye tilgange", -1500, -2000, -2500, -3000, -3000),
    ("4 a", "Tidligere kendskab til borgerne (overgang fra ung til voksen)", 0, -100, -150, -200, -250),
    ("4 b", "Livsfaser (ældreområdet)", -500, -1000, -2000, -3000, -6000),
]
TILGANG = [  # Tilbud, primo, (tilgang, afgang) K1..K3, ultimo
    ("Krumtappen", 18, 0, 0, 1, 0, 3, 0, 22), ("Bibliotekscaféen", 13, 0, 0, 1, 0, 0, 1, 13),
    ("Larsbjerggård", 9, 0, 1, 0, 0, 0, 0, 8), ("Det Nye Sted", 50, 0, 0, 3, 2, 3, 0, 54),
]


def version(version_id: int, kind: str, unit: str, year: int, file_name: str, **extra) -> StoredVersion:
    return StoredVersion(version_id, kind, unit, year, version_id, f"Indberetninger/{file_name}", file_name, "Ark1",
                         "0" * 64, "2015-12-01T09:00:00+00:00", "2015-12-01T09:01:00+00:00", "archive/x.xlsx",
                         **extra)


# Spor 4 a has no status; the last entry names Livsfaser under another track, so it is no line's.
STATUS = [["1", EFFEKT[0][1], "Grøn"], ["2", EFFEKT[1][1], "Gul"], ["3", EFFEKT[2][1], "Rød"],
          ["4 b", EFFEKT[4][1], "Gul"], ["9", EFFEKT[4][1], "Rød"]]

VERSIONS = [
    version(2, "effekt", HERNING, 2020, EF_FILE, amount_unit="1.000 kr.", extra={"status": STATUS}),
    version(1, "handleplan", FREDENSBORG, 2015, HP_FILE, amount_unit="mio. kr.", as_of="2015-11-30"),
    version(3, "tilgang_afgang", BALLERUP, 2016, TA_FILE, through=3),
]


def handleplan_rows(unit: str = FREDENSBORG, source: str = HP_FILE, version_id: int = 1) -> Iterator[DataRow]:
    for no, (area, *figures) in enumerate(HANDLEPLAN, start=1):
        for metric, mio in zip(("Mål", "Realiseret", "Forventet"), figures):
            yield DataRow(unit, 2015, "handleplan", area, metric, "", round(mio * 1_000_000), source, version_id, no)


def effekt_rows() -> Iterator[DataRow]:
    for no, (track, initiative, *figures) in enumerate(EFFEKT, start=1):
        for year, thousands in zip(range(2020, 2025), figures):
            yield DataRow(HERNING, 2020, "effekt", initiative, "Effekt", str(year), thousands * 1000.0, EF_FILE, 2,
                          no, track)


def tilgang_rows(places: dict[str, int] | None = None) -> Iterator[DataRow]:
    for no, (service, start, *quarters, end) in enumerate(TILGANG, start=1):
        def row(metric: str, period: str, value: float) -> DataRow:
            return DataRow(BALLERUP, 2016, "tilgang_afgang", service, metric, period, value, TA_FILE, 3, no)
        yield row("Primo", "", start)
        for q in range(3):
            yield row("Tilgang", f"K{q + 1}", quarters[2 * q])
            yield row("Afgang", f"K{q + 1}", quarters[2 * q + 1])
        yield row("Ultimo", "", end)
        if places and service in places:
            yield row("Pladser", "", places[service])


def seed_rows() -> Iterator[DataRow]:
    """In the store's order: kind, unit, year, line."""
    yield from effekt_rows()
    yield from handleplan_rows()
    yield from tilgang_rows()


REJECTED = [RejectedFile(
    9, "Indberetninger/Handleplan Gribskov 2015.xlsx", "Handleplan Gribskov 2015.xlsx",
    "2015-12-02T10:00:00+00:00", "1" * 64, "archive/y.xlsx", 7,
    (Finding("number.invalid", "error", "Handleplan", ("C7",), "Realiseret", "ca. 5"),
     Finding("total.mismatch", "error", "Handleplan", ("B14",), "Mål", "24")))]


CHANGES = [
    VersionChange(3, "tilgang_afgang", BALLERUP, 2016, f"Indberetninger/{TA_FILE}",
                  Finding("change.figure", "warning", "Tilgang og afgang", ("E8",), "Tilgang", "1",
                          {"line": "Krumtappen", "period": "K2", "old": "0", "new": "1", "version": 1})),
    VersionChange(3, "tilgang_afgang", BALLERUP, 2016, f"Indberetninger/{TA_FILE}",
                  Finding("change.start_vs_last_end", "warning", "Tilgang og afgang", ("B9",), "Primo", "13",
                          {"line": "Bibliotekscaféen", "end": "12", "year": 2015})),
    VersionChange(1, "handleplan", FREDENSBORG, 2015, f"Indberetninger/{HP_FILE}",
                  Finding("change.other_path", "warning", "Handleplan", ("B3",), "Enhed", FREDENSBORG,
                          {"other": "Gribskov/Handleplan.xlsx", "unit": FREDENSBORG, "year": 2015})),
]


def say(finding: Finding) -> str:
    return f"{finding.column}: {finding.value} er forkert."


def write(path: Path, rows=seed_rows, versions=VERSIONS, rejected=REJECTED, changes=CHANGES, **options) -> Path:
    write_consolidated(path, versions, rows, rejected, changes=changes, message=say, now=NOW, **options)
    return path


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(tmp_path_factory.mktemp("summary") / "Samlet oversigt.xlsx")


@pytest.fixture(scope="module")
def book(seeded: Path):
    return load_workbook(seeded)


def rows_of(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def referenced(ws, ref: str) -> list:
    """The values of the cells a chart reference ("'Handleplan'!$D$25:$D$26") points at, in order."""
    sheet, cells = ref.rsplit("!", 1)
    assert sheet.strip("'") == ws.title
    min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
    return [ws.cell(r, c).value for r in range(min_row, max_row + 1) for c in range(min_col, max_col + 1)]


def the_chart(ws) -> BarChart:
    (chart,) = ws._charts  # openpyxl reads charts back into the sheet
    assert isinstance(chart, BarChart)
    return chart


def series_of(ws) -> list[tuple[str, list, list]]:
    """(title, values, categories) of each series of the sheet's one chart, read through its references."""
    out = []
    for s in the_chart(ws).series:
        title = referenced(ws, s.tx.strRef.f)[0] if s.tx.strRef is not None else s.tx.v
        out.append((title, referenced(ws, s.val.numRef.f), referenced(ws, s.cat.strRef.f)))
    return out


def find_row(ws, column: int, value) -> tuple:
    """The first row whose cell in `column` (1-based) holds `value`, as cells."""
    for row in ws.iter_rows():
        if len(row) >= column and row[column - 1].value == value:
            return row
    raise AssertionError(f"no row with {value!r} in column {column} of {ws.title}")


# --- sheets and the Data table ---------------------------------------------------------------------

def test_sheets_come_in_the_order_finance_reads_them(book):
    overviews = [k.shown_overview().sheet_title for k in sorted(KINDS.values(), key=lambda k: (k.position, k.name))]
    assert overviews[:3] == ["Handleplan", "Effekt", "Tilgang og afgang"]  # every kind's, in the order they declare
    assert book.sheetnames == [*overviews, "Ændringer", "Kilder", "Afviste", "Data"]


def test_data_header_is_exactly_the_specified_columns(book):
    header = [c.value for c in book["Data"][1]]
    assert header == ["Enhed", "År", "Skema", "Linje", "Nøgletal", "Periode", "Værdi", "Kilde", "Version"]
    assert tuple(header) == DATA_COLUMNS


def test_data_row_holds_one_figure_in_kroner_with_its_source_and_version(book):
    data = rows_of(book["Data"])
    assert [FREDENSBORG, 2015, "handleplan", "Støtte eget hjem", "Mål", None, 6_000_000, HP_FILE, 1] in data
    assert [HERNING, 2020, "effekt", "Livsfaser (ældreområdet)", "Effekt", "2024", -6_000_000, EF_FILE, 2] in data
    assert [BALLERUP, 2016, "tilgang_afgang", "Krumtappen", "Tilgang", "K3", 3, TA_FILE, 3] in data
    assert len(data) == 1 + len(list(seed_rows()))


def test_data_period_is_text_and_year_version_value_are_numbers(book):
    ws = book["Data"]
    row = find_row(ws, 6, "2020")
    assert row[5].data_type == "s"
    assert row[1].data_type == row[6].data_type == row[8].data_type == "n"


def test_data_range_is_an_excel_table_named_data(book):
    ws = book["Data"]
    assert list(ws.tables) == ["Data"]
    table = ws.tables["Data"]
    assert table.displayName == "Data"
    assert table.ref == f"A1:I{ws.max_row}"
    assert [c.name for c in table.tableColumns] == list(DATA_COLUMNS)
    assert ws.freeze_panes == "A2"


def test_empty_store_gives_a_valid_table_and_says_nothing_is_rejected(tmp_path):
    book = load_workbook(write(tmp_path / "s.xlsx", rows=lambda: iter(()), versions=[], rejected=[]))
    assert book["Data"].tables["Data"].ref == "A1:I2"  # a table needs one data row, even an empty one
    assert [c.value for c in book["Data"][1]] == list(DATA_COLUMNS)
    assert "Ingen afviste projektmapper." in [v for r in rows_of(book["Afviste"]) for v in r]
    assert "Ingen handleplaner er modtaget endnu." in [v for r in rows_of(book["Handleplan"]) for v in r]
    assert not any(book[name]._charts for name in ("Handleplan", "Effekt", "Tilgang og afgang"))


# --- Handleplan -------------------------------------------------------------------------------------

def test_handleplan_unit_total_shows_target_gap_share_and_status(book):
    ws = book["Handleplan"]
    header = [c.value for c in ws[4]]
    assert header == ["Enhed", "År", "Område", "Mål", "Realiseret", "Forventet", "Afvigelse til mål",
                      "Opnået %", "Status"]
    total = [c.value for c in find_row(ws, 3, "I alt")]
    assert total[:3] == [FREDENSBORG, 2015, "I alt"]
    assert total[3:6] == pytest.approx([25_000, 16_700, 17_600])  # 1.000 kr.
    assert total[6] == pytest.approx(7_400)  # Mål − Forventet
    assert total[7] == pytest.approx(0.704)
    assert total[8] == "Rød"
    assert all(c.font.b for c in find_row(ws, 3, "I alt"))


def test_handleplan_area_rows_and_traffic_lights(book):
    ws = book["Handleplan"]
    home = [c.value for c in find_row(ws, 3, "Støtte eget hjem")]
    assert home[3:9] == [6_000, 3_600, 3_600, 2_400, 0.6, "Rød"]
    assert [c.value for c in find_row(ws, 3, "Botilbud")][7:9] == [pytest.approx(0.94), "Gul"]
    assert [c.value for c in find_row(ws, 3, "Alkohol/stof")][7:9] == [1, "Grøn"]


def test_handleplan_grand_total_over_all_units_per_year(tmp_path):
    def rows():
        yield from handleplan_rows()
        yield from handleplan_rows("Handicap, Gribskov", "Gribskov.xlsx", 4)
    book = load_workbook(write(tmp_path / "s.xlsx", rows=rows))
    grand = [c.value for c in find_row(book["Handleplan"], 3, "I alt, alle enheder")]
    assert grand[:2] == ["Alle enheder", 2015]
    assert grand[3:7] == pytest.approx([50_000, 33_400, 35_200, 14_800])


def test_handleplan_block_names_the_file_time_and_version(book):
    texts = [v for r in rows_of(book["Handleplan"]) for v in r if isinstance(v, str)]
    source = next(t for t in texts if t.startswith("Kilde: "))
    assert HP_FILE in source and "version 1" in source and "gemt 01.12.2015" in source
    assert "opgjort pr. 30.11.2015" in source


def test_status_is_empty_without_a_target():
    assert traffic_light(None) == ""
    assert [traffic_light(s) for s in (1.0, 0.99, 0.75, 0.7499)] == ["Grøn", "Gul", "Gul", "Rød"]


@pytest.mark.parametrize(("unit", "target", "number_format"), [
    ("kr.", 25_000_000, "#,##0"), ("1.000 kr.", 25_000, "#,##0.0"), ("mio. kr.", 25, "#,##0.0")])
def test_amounts_are_shown_in_the_configured_unit(tmp_path, unit, target, number_format):
    book = load_workbook(write(tmp_path / "s.xlsx", amount_unit=unit))
    ws = book["Handleplan"]
    cell = find_row(ws, 3, "I alt")[3]
    assert cell.value == pytest.approx(target)
    assert cell.number_format == number_format
    assert f"Beløb i {unit}" in ws["A2"].value
    data = rows_of(book["Data"])  # the Data sheet is always in kroner
    assert [FREDENSBORG, 2015, "handleplan", "Støtte eget hjem", "Mål", None, 6_000_000, HP_FILE, 1] in data


def test_share_is_a_percentage_with_traffic_light_colours(book):
    ws = book["Handleplan"]
    assert find_row(ws, 3, "I alt")[7].number_format == "0.0%"
    ranges = {str(cf.sqref): [r.type for r in cf.rules] for cf in ws.conditional_formatting}
    last = find_row(ws, 3, "I alt, alle enheder")[0].row
    assert ranges == {f"H5:H{last}": ["expression"] * 3, f"I5:I{last}": ["cellIs"] * 3}  # green, yellow, red


def test_overviews_freeze_the_header_filter_and_have_readable_widths(book):
    for name in ("Handleplan", "Effekt", "Tilgang og afgang"):
        ws = book[name]
        assert ws.freeze_panes == "A5"
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A4:")
        assert ws["A1"].font.b
        assert ws.column_dimensions["A"].width >= len(FREDENSBORG if name == "Handleplan" else HERNING) - 5
    assert book["Handleplan"].column_dimensions["D"].width >= 12


# --- Effekt and Tilgang og afgang -------------------------------------------------------------------

def test_effekt_has_a_column_per_year_and_the_seed_totals(book):
    ws = book["Effekt"]
    assert [c.value for c in ws[4]] == ["Enhed", "År", "Spor", "Tiltag", "2020", "2021", "2022", "2023", "2024",
                                        "Status"]
    total = [c.value for c in find_row(ws, 4, "I alt")]
    assert total[4:9] == pytest.approx([-2_500, -5_950, -8_750, -11_550, -15_850])
    line = [c.value for c in find_row(ws, 3, "4 a")]
    assert line[3] == "Tidligere kendskab til borgerne (overgang fra ung til voksen)"
    grand = [c.value for c in find_row(ws, 4, "I alt, alle enheder")]
    assert grand[4:9] == pytest.approx(total[4:9])


def test_tilgang_shows_quarters_and_net_change(book):
    ws = book["Tilgang og afgang"]
    assert [c.value for c in ws[4]] == ["Enhed", "År", "Dagtilbud", "Primo", "K1 tilgang", "K1 afgang",
                                        "K2 tilgang", "K2 afgang", "K3 tilgang", "K3 afgang", "Ultimo",
                                        "Netto-ændring"]
    assert [c.value for c in find_row(ws, 3, "Krumtappen")][3:] == [18, 0, 0, 1, 0, 3, 0, 22, 4]
    assert [c.value for c in find_row(ws, 3, "Larsbjerggård")][-1] == -1
    total = [c.value for c in find_row(ws, 3, "I alt")]
    assert total[3] == 90 and total[10:] == [97, 7]
    assert find_row(ws, 3, "I alt")[3].number_format == "#,##0"
    source = next(v for r in rows_of(ws) for v in r if isinstance(v, str) and v.startswith("Kilde"))
    assert TA_FILE in source and "til og med 3. kvartal" in source


def test_places_column_appears_only_when_reported(tmp_path):
    book = load_workbook(write(tmp_path / "s.xlsx", rows=lambda: tilgang_rows({"Krumtappen": 25})))
    ws = book["Tilgang og afgang"]
    assert ws.cell(4, 13).value == "Pladser"
    assert find_row(ws, 3, "Krumtappen")[12].value == 25
    assert find_row(ws, 3, "Bibliotekscaféen")[12].value is None


def test_effekt_status_per_line_matched_on_track_and_initiative(book):
    ws = book["Effekt"]
    status = {row[2].value: row[9] for row in ws.iter_rows(min_row=5) if row[3].value in {e[1] for e in EFFEKT}}
    assert {track: cell.value for track, cell in status.items()} == {
        "1": "Grøn", "2": "Gul", "3": "Rød", "4 a": None, "4 b": "Gul"}  # 'Rød' under track 9 is no line's
    assert status["1"].data_type == "s" and status["1"].alignment.horizontal == "center"
    assert find_row(ws, 4, "I alt")[9].value is None  # a total has no status of its own
    assert "Status er enhedens egen vurdering" in ws["A3"].value


def test_effekt_status_has_the_same_traffic_light_colours_as_handleplan(book):
    def rules(ws, column: str) -> dict[str, tuple[str, str]]:
        (cf,) = [cf for cf in ws.conditional_formatting if str(cf.sqref).startswith(column)]
        return {r.formula[0]: (r.dxf.fill.fgColor.rgb[-6:], r.dxf.font.color.rgb[-6:]) for r in cf.rules}

    ws = book["Effekt"]
    last = find_row(ws, 4, "I alt, alle enheder")[0].row
    assert [str(cf.sqref) for cf in ws.conditional_formatting] == [f"J5:J{last}"]
    effekt = rules(ws, "J")
    assert effekt == {'"Grøn"': GREEN, '"Gul"': YELLOW, '"Rød"': RED}
    assert effekt == rules(book["Handleplan"], "I")
    assert all(r.type == "cellIs" and r.operator == "equal" for cf in ws.conditional_formatting for r in cf.rules)


def test_effekt_without_any_status_has_no_status_column(tmp_path):
    versions = [version(2, "effekt", HERNING, 2020, EF_FILE)]
    book = load_workbook(write(tmp_path / "s.xlsx", rows=effekt_rows, versions=versions))
    ws = book["Effekt"]
    assert [c.value for c in ws[4]][-1] == "2024"
    assert not list(ws.conditional_formatting)


# --- charts -----------------------------------------------------------------------------------------

def test_unit_totals_stand_together_below_the_blocks_on_a_page_of_their_own(book):
    ws = book["Handleplan"]
    heading = find_row(ws, 1, "Totaler pr. enhed")[0].row
    assert [b.id for b in ws.row_breaks.brk] == [heading - 1]
    unit = [c.value for c in ws[heading + 1]]
    assert unit[:3] == [FREDENSBORG, 2015, "I alt"] and unit[3:6] == pytest.approx([25_000, 16_700, 17_600])
    assert ws.cell(heading + 2, 3).value == "I alt, alle enheder"
    assert ws.auto_filter.ref == f"A4:I{heading - 2}"  # the filter covers the blocks only


def test_a_long_line_name_gets_a_row_tall_enough_for_its_wrapped_text(book):
    ws = book["Effekt"]
    long = find_row(ws, 4, EFFEKT[0][1])[0].row  # 'Flere tilbud … kapacitetsplan' wraps in its column
    short = find_row(ws, 4, EFFEKT[1][1])[0].row
    assert ws.row_dimensions[long].height and ws.row_dimensions[long].height > 15
    assert ws.row_dimensions[short].height is None  # the default height, as Excel gives a one-line row
    assert ws.cell(long, 4).alignment.wrap_text


def test_handleplan_chart_shows_target_realised_and_expected_per_unit(book):
    ws = book["Handleplan"]
    assert series_of(ws) == [("Mål", [25_000], [FREDENSBORG]), ("Realiseret", [16_700], [FREDENSBORG]),
                             ("Forventet", [17_600], [FREDENSBORG])]
    chart = the_chart(ws)
    assert chart.type == "col" and chart.grouping == "clustered"
    assert chart.title.tx.rich.p[0].r[0].t == "Mål, realiseret og forventet pr. enhed, 2015 (1.000 kr.)"
    assert chart.anchor._from.row >= ws.max_row  # 0-based: below the last written row, covering nothing
    assert chart.x_axis.delete is False and chart.y_axis.delete is False  # else Excel hides the axes


def test_effekt_chart_stacks_each_units_effect_per_year(book):
    ws = book["Effekt"]
    [(title, values, years)] = series_of(ws)
    assert title == HERNING
    assert values == pytest.approx([-2_500, -5_950, -8_750, -11_550, -15_850])
    assert years == ["2020", "2021", "2022", "2023", "2024"]  # the status column is not a year
    assert the_chart(ws).grouping == "stacked"
    assert the_chart(ws).anchor._from.row >= ws.max_row


def test_tilgang_chart_shows_start_and_end_count_per_unit_from_zero(book):
    ws = book["Tilgang og afgang"]
    assert series_of(ws) == [("Primo", [90], [BALLERUP]), ("Ultimo", [97], [BALLERUP])]
    assert the_chart(ws).y_axis.scaling.min == 0
    assert the_chart(ws).anchor._from.row >= ws.max_row


def test_charts_show_every_unit_of_the_newest_year(tmp_path):
    def rows():
        yield from handleplan_rows()
        yield from (replace(r, year=2016, version_id=6) for r in handleplan_rows())
        yield from handleplan_rows("Handicap, Gribskov", "Gribskov.xlsx", 4)
        yield from tilgang_rows()

    ws = load_workbook(write(tmp_path / "s.xlsx", rows=rows))["Handleplan"]
    assert series_of(ws)[0] == ("Mål", [25_000], [FREDENSBORG])  # 2016: Fredensborg only
    assert "2016" in the_chart(ws).title.tx.rich.p[0].r[0].t
    totals = [r[:3] for r in rows_of(ws)[find_row(ws, 1, "Totaler pr. enhed")[0].row:]]
    assert totals == [[FREDENSBORG, 2015, "I alt"], ["Handicap, Gribskov", 2015, "I alt"],
                      ["Alle enheder", 2015, "I alt, alle enheder"], [FREDENSBORG, 2016, "I alt"],
                      ["Alle enheder", 2016, "I alt, alle enheder"]]


def test_effekt_chart_with_many_units_shows_them_as_one_series(tmp_path):
    units = [f"Enhed {i:02}" for i in range(MAX_SERIES + 1)]

    def rows():
        for unit in units:
            yield from (replace(r, unit=unit) for r in effekt_rows())

    [(title, values, _)] = series_of(load_workbook(write(tmp_path / "s.xlsx", rows=rows))["Effekt"])
    assert title == "Alle enheder"
    assert values == pytest.approx([-2_500 * len(units), -5_950 * len(units), -8_750 * len(units),
                                    -11_550 * len(units), -15_850 * len(units)])


# --- Ændringer and Kilder ---------------------------------------------------------------------------

def test_changes_list_each_warning_with_before_and_now(book):
    ws = book["Ændringer"]
    assert [c.value for c in ws[4]] == ["Enhed", "Skema", "År", "Ark!Celle", "Linje/Kolonne", "Før", "Nu", "Besked"]
    assert rows_of(ws)[4:] == [
        [BALLERUP, "tilgang_afgang", 2016, "'Tilgang og afgang'!E8", "Krumtappen, Tilgang K2", "0", "1",
         "Tilgang: 1 er forkert."],
        [BALLERUP, "tilgang_afgang", 2016, "'Tilgang og afgang'!B9", "Bibliotekscaféen, Primo", "12", "13",
         "Primo: 13 er forkert."],
        [FREDENSBORG, "handleplan", 2015, "Handleplan!B3", "Enhed", "Gribskov/Handleplan.xlsx",
         f"Indberetninger/{HP_FILE}", f"Enhed: {FREDENSBORG} er forkert."]]
    assert ws.freeze_panes == "A5" and ws.auto_filter.ref == "A4:H7"
    assert ws.column_dimensions["H"].width >= 60 and ws["H5"].alignment.wrap_text


def test_no_changes_says_so_in_the_chosen_language(tmp_path):
    assert load_workbook(write(tmp_path / "da.xlsx", changes=[]))["Ændringer"]["A5"].value == "Ingen ændringer."
    assert load_workbook(write(tmp_path / "en.xlsx", changes=[], language="en"))["Ændringer"]["A5"].value == \
        "No changes."


def test_sources_list_every_current_version(book):
    ws = book["Kilder"]
    assert [c.value for c in ws[4]] == ["Enhed", "Skema", "År", "Fil", "Gemt", "Godkendt", "Version", "sha256",
                                        "Arkiv", "Fil slettet", "Id"]

    def local(iso: str) -> dt.datetime:  # output.timezone's wall clock (default Europe/Copenhagen)
        return dt.datetime.fromisoformat(iso).astimezone(ZoneInfo("Europe/Copenhagen")).replace(tzinfo=None)

    assert rows_of(ws)[4:] == [[v.unit, v.kind, v.year, v.path, local(v.saved_at), local(v.accepted_at),
                                v.shown, v.sha256, v.archive_path, None, v.version_id] for v in VERSIONS]
    assert ws["E5"].is_date and ws["E5"].number_format == ws["F5"].number_format == "dd.mm.yyyy hh:mm"
    assert ws.freeze_panes == "A5" and ws.auto_filter.ref == f"A4:K{4 + len(VERSIONS)}"
    assert ws.column_dimensions["A"].width >= len(FREDENSBORG) and ws.column_dimensions["D"].width >= 30


def test_sources_of_an_empty_store(tmp_path):
    ws = load_workbook(write(tmp_path / "s.xlsx", rows=lambda: iter(()), versions=[], rejected=[]))["Kilder"]
    assert ws["A5"].value == "Ingen godkendte indberetninger endnu."


# --- Afviste --------------------------------------------------------------------------------------

def test_rejected_sheet_lists_the_file_with_its_first_errors(book):
    ws = book["Afviste"]
    assert [c.value for c in ws[4]] == ["Fil", "Modtaget", "Antal fejl", "Sted", "Regel", "Besked"]
    first = [c.value for c in ws[5]]
    assert first[0] == "Indberetninger/Handleplan Gribskov 2015.xlsx"
    assert first[2] == 7
    assert first[3:] == ["Handleplan!C7", "number.invalid", "Realiseret: ca. 5 er forkert."]
    assert ws.cell(6, 4).value == "Handleplan!B14"
    assert ws.cell(7, 6).value == "… og 5 fejl mere."


def test_language_en_changes_messages_not_sheet_names(tmp_path):
    book = load_workbook(write(tmp_path / "s.xlsx", rejected=[], language="en"))
    assert "Afviste" in book.sheetnames
    assert book["Afviste"].cell(5, 1).value == "No rejected workbooks."


# --- safety ------------------------------------------------------------------------------------------

FORMULA_LIKE = ['=HYPERLINK("http://x","y")', "+cmd", "@SUM(A1)", "-2+3", "#N/A"]


def test_formula_looking_text_is_written_as_plain_text_in_every_sheet(tmp_path):
    unit, line, source = FORMULA_LIKE[0], FORMULA_LIKE[1], FORMULA_LIKE[2]

    def rows():
        yield DataRow(unit, 2015, "handleplan", line, "Mål", "", 1000.0, source, 5, 1)
        yield DataRow(unit, 2015, "handleplan", FORMULA_LIKE[3], "Mål", "", 1000.0, source, 5, 2)
        yield DataRow(unit, 2016, "tilgang_afgang", FORMULA_LIKE[4], "Primo", "", 4, source, 6, 1)

    versions = [version(5, "handleplan", unit, 2015, source), version(6, "tilgang_afgang", unit, 2016, source)]
    rejected = [RejectedFile(1, FORMULA_LIKE[0], "x.xlsx", "2015-12-02T10:00:00+00:00", "", "", 1,
                             (Finding("text", "error", "=cmd|' /C calc'!A0", ("A1",), "", "=1+1"),))]
    changes = [VersionChange(5, "handleplan", unit, 2015, FORMULA_LIKE[1],
                             Finding("change.other_path", "warning", "Ark1", (), "Enhed", unit,
                                     {"other": FORMULA_LIKE[3], "unit": unit, "year": 2015})),
               VersionChange(6, "tilgang_afgang", unit, 2016, source,
                             Finding("change.figure", "warning", "Ark1", ("C7",), "Primo", "4",
                                     {"line": FORMULA_LIKE[4], "old": FORMULA_LIKE[4], "new": "4"}))]
    path = write(tmp_path / "s.xlsx", rows=rows, versions=versions, rejected=rejected, changes=changes)
    book = load_workbook(path)
    seen = {name: set() for name in book.sheetnames}
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} became a formula: {cell.value}"
                if isinstance(cell.value, str) and any(cell.value == t for t in FORMULA_LIKE):
                    assert cell.data_type == "s"
                    seen[ws.title].add(cell.value)
    assert seen["Data"] == set(FORMULA_LIKE)
    assert {unit, line, FORMULA_LIKE[3]} <= seen["Handleplan"]
    assert {unit, FORMULA_LIKE[4]} <= seen["Tilgang og afgang"]
    assert unit in seen["Afviste"]
    assert {unit} <= seen["Kilder"]
    assert {unit, FORMULA_LIKE[1], FORMULA_LIKE[3], FORMULA_LIKE[4]} <= seen["Ændringer"]
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in sheets)


def test_control_characters_are_dropped_instead_of_failing(tmp_path):
    row = DataRow("Enhed\x07 A", 2015, "handleplan", "Linje\x00\x1f 1", "Mål", "", 1.0, "f.xlsx", 1, 1)
    book = load_workbook(write(tmp_path / "s.xlsx", rows=lambda: iter([row]), versions=[]))
    assert book["Data"]["A2"].value == "Enhed A"
    assert book["Data"]["D2"].value == "Linje 1"


def test_a_failure_while_writing_leaves_the_previous_workbook_intact(tmp_path):
    path = write(tmp_path / "s.xlsx")
    before = path.read_bytes()

    def broken() -> Iterator[DataRow]:
        yield from handleplan_rows()
        raise OSError("the store went away")

    with pytest.raises(OSError, match="went away"):
        write(path, rows=broken)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.xlsx"]  # no temp file left behind
    assert load_workbook(path).sheetnames[0] == "Handleplan"


def test_same_input_gives_the_same_workbook(tmp_path):
    def contents(path: Path) -> dict[str, bytes]:
        with zipfile.ZipFile(path) as z:
            return {n: z.read(n) for n in z.namelist()}

    assert contents(write(tmp_path / "a.xlsx")) == contents(write(tmp_path / "b.xlsx"))


def test_memory_stays_flat_however_many_figures(tmp_path):
    # 4,000 figures: written through a normal (not write-only) workbook this peaks at ~16 MB
    # and grows with the store; streamed it stays under 1 MB whatever the size. tracemalloc
    # makes writing ~5x slower, so the test stays small; the bound is what catches a switch.
    def rows() -> Iterator[DataRow]:
        for i in range(4_000):
            unit, line = f"Enhed {i // 2_000}", f"Område {i // 3 % 1_000}"
            yield DataRow(unit, 2015, "handleplan", line, ("Mål", "Realiseret", "Forventet")[i % 3], "",
                          1000.0 * i, "Handleplan.xlsx", i // 2_000 + 1, i // 3 % 1_000)

    tracemalloc.start()
    try:
        write(tmp_path / "big.xlsx", rows=rows, versions=[], rejected=[])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000
    book = load_workbook(tmp_path / "big.xlsx", read_only=True)
    try:
        assert sum(1 for _ in book["Data"].iter_rows(values_only=True)) == 4_001
    finally:
        book.close()


@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdftoppm") is None,
                    reason="LibreOffice (soffice) or poppler-utils (pdftoppm, pdftotext, pdfinfo) is not installed")
def test_libreoffice_renders_the_workbook(seeded, book, tmp_path):
    profile = tmp_path / "lo-profile"  # own profile: runs beside another soffice
    (profile / "user").mkdir(parents=True)
    # A reader in Denmark: LibreOffice's locale setting, as Tools > Options > Language Settings saves it.
    (profile / "user" / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/registry">'
        '<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse">'
        "<value>da-DK</value></prop></item></oor:items>\n", encoding="utf-8")
    subprocess.run(["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(seeded)], check=True, capture_output=True, timeout=180)
    pdf = tmp_path / (seeded.stem + ".pdf")
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    pages = int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages:")))
    # a page or more per sheet, and each overview's unit totals and chart on a page of their own
    assert pages >= len(book.sheetnames) + 3
    # The file holds locale-neutral codes ('#,##0.0'); the reader's locale puts in Danish separators.
    shown = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], check=True, capture_output=True,
                           text=True, timeout=60).stdout
    assert "25.000,0" in shown and "70,4%" in shown
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "page")],
                   check=True, timeout=120)
    assert len(list(tmp_path.glob("page*.png"))) == 2  # the Handleplan blocks, then its totals and chart
