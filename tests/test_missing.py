"""Who has not reported: [reporting] in config.toml, `syncservice missing`, sheet Mangler, and
the warning for a unit nobody expects."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from syncservice.base import config as config_mod
from syncservice.base.errors import ConfigError
from syncservice.base.models import StoredVersion
from syncservice.base.reporting import closest_unit, due_on, periods
from syncservice.cli import main
from syncservice.outputs.missing import Standing, covers, standings
from syncservice.pipeline import Pipeline
from syncservice.store.db import Store

import book

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BALLERUP = "Handicap & Psykiatri, Ballerup"
REPORTING = """
[reporting]
units = ["Dagtilbud Vest", "Dagtilbud Øst"]        # who must report
[reporting.deadlines]                                # per kind: day-month each period is due
tilgang_afgang = ["15-04", "15-07", "15-10", "15-01"] # K1..K4; K4 falls due in the next year
handleplan = ["15-12"]
effekt = ["01-10"]
"""


def noon(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=12, tzinfo=dt.UTC)


# --- [reporting] in config.toml -------------------------------------------------------------------

def test_the_reporting_section_as_the_issue_writes_it_loads(tmp_path):
    (tmp_path / "config.toml").write_text(REPORTING, encoding="utf-8")
    loaded = config_mod.load(tmp_path / "config.toml")
    assert loaded.get("reporting", "units") == ("Dagtilbud Vest", "Dagtilbud Øst")
    assert loaded.get("reporting", "deadlines") == {"tilgang_afgang": ("15-04", "15-07", "15-10", "15-01"),
                                                    "handleplan": ("15-12",), "effekt": ("01-10",)}


def test_by_default_nobody_is_chased():
    assert config_mod.defaults().get("reporting", "units") == ()
    assert config_mod.defaults().get("reporting", "deadlines") == {}


@pytest.mark.parametrize("text, words", [
    ('[reporting.deadlines]\ntilgang = ["15-04"]\n', "unknown kind 'reporting.deadlines.tilgang'"),
    ('[reporting.deadlines]\nhandleplan = ["31-02"]\n', "'reporting.deadlines.handleplan': '31-02'"),
    ('[reporting.deadlines]\nhandleplan = ["15-04", "15-05", "15-06"]\n', "'reporting.deadlines.handleplan' has 3"),
    ('[reporting]\nunits = ["Vest", "vest"]\n', "'reporting.units' names the unit 'vest' twice"),
    ('[reporting]\nunits = "Vest"\n', "'reporting.units' must be a list"),
    ('[reporting]\nenheder = ["Vest"]\n', "unknown setting 'reporting.enheder'"),
])
def test_a_bad_reporting_section_is_a_configuration_error_naming_the_key(tmp_path, text, words):
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=words.replace("(", r"\(")):
        config_mod.load(tmp_path / "config.toml")
    result = CliRunner().invoke(main, ["missing", "--config", str(tmp_path / "config.toml")])
    assert result.exit_code == 2 and words in result.output  # at start, before anything runs


# --- periods and due dates ------------------------------------------------------------------------

QUARTERS = ("15-04", "15-07", "15-10", "15-01")


def test_k4_falls_due_in_the_next_year():
    assert [(p.period, p.due) for p in periods("tilgang_afgang", QUARTERS, 2016)] == [
        ("K1", dt.date(2016, 4, 15)), ("K2", dt.date(2016, 7, 15)), ("K3", dt.date(2016, 10, 15)),
        ("K4", dt.date(2017, 1, 15))]


@pytest.mark.parametrize("on, year, period", [
    ("2017-01-14", 2016, "K3"), ("2017-01-15", 2016, "K4"), ("2017-04-14", 2016, "K4"), ("2017-04-15", 2017, "K1"),
])
def test_the_period_due_is_the_one_whose_deadline_passed_last(on, year, period):
    due = due_on("tilgang_afgang", QUARTERS, dt.date.fromisoformat(on))
    assert (due.year, due.period) == (year, period)


def test_a_yearly_report_has_no_period_name():
    due = due_on("handleplan", ["15-12"], dt.date(2016, 3, 1))
    assert (due.year, due.period, due.due) == (2015, "", dt.date(2015, 12, 15))


def version(**kw) -> StoredVersion:
    base = dict(version_id=1, kind="handleplan", unit="U", year=2015, file_id=1, path="p", file_name="p",
                sheet="s", sha256="", saved_at="", accepted_at="", archive_path="")
    return StoredVersion(**{**base, **kw})


def test_a_version_counts_for_a_period_by_its_quarter_or_as_of_date():
    k4 = periods("tilgang_afgang", QUARTERS, 2016)[3]
    assert not covers(version(kind="tilgang_afgang", year=2016, through=3), k4)
    assert covers(version(kind="tilgang_afgang", year=2016, through=4), k4)
    first, second = periods("handleplan", ["15-06", "15-12"], 2015)  # half-years
    assert covers(version(as_of="2015-05-31"), first) and not covers(version(as_of="2015-05-31"), second)
    assert covers(version(as_of="2015-11-30"), second)
    assert covers(version(), second)  # neither: effekt without an as-of date


def test_the_closest_unit_ignores_case():
    assert closest_unit("dagtilbud vst", ["Dagtilbud Øst", "Dagtilbud Vest"]) == "Dagtilbud Vest"


# --- a store built from the example workbooks ---------------------------------------------------------

UNITS = [BALLERUP, "Dagtilbud Vest", "Dagtilbud Øst", "Dagtilbud Nord", "Dagtilbud Syd"]
ON = "2017-01-20"  # K4 2016 fell due on 15 January


def four_quarters(unit: str) -> dict:
    lines = [[*line[:8], 1, 0, line[8] + 1] for line in book.TILGANG_LINES]
    return {"Tilgang og afgang": book.tilgang(unit=unit, quarters=4, lines=lines)}


@pytest.fixture
def service(tmp_path):
    """Config chasing tilgang_afgang only, for five units, and a store with every status once."""
    cfg = tmp_path / "config.toml"
    cfg.write_text("[reporting]\nunits = " + json.dumps(UNITS, ensure_ascii=False) +
                   '\n[reporting.deadlines]\ntilgang_afgang = ["15-04", "15-07", "15-10", "15-01"]\n', encoding="utf-8")
    config = config_mod.load(cfg)
    watched = config.path("watched")
    watched.mkdir()
    store = Store.open(config.path("database"))
    pipeline = Pipeline(config, store)

    def arrive(name: str, source: Path | dict, day: str, status: str = "accepted") -> None:
        path = watched / name
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, path) if isinstance(source, Path) else book.save(path, source)
        saved = int(noon(day).timestamp()) * 10**9 - 3600 * 10**9  # saved an hour before it was read
        os.utime(path, ns=(saved, saved))
        pipeline.clock = lambda: noon(day)
        assert pipeline.process(path).status == status, name

    for example in sorted(EXAMPLES.glob("*.xlsx")):  # handleplan and effekt are in the store, but not chased
        arrive(f"Eksempler/{example.name}", example, "2016-10-10")
    arrive("Vest/Tilgang 2016.xlsx", four_quarters("Dagtilbud Vest"), "2017-01-10")  # ok
    arrive("Øst/Tilgang 2016.xlsx", four_quarters("Dagtilbud Øst"), "2017-01-18")  # for sent
    nord = book.tilgang(unit="Dagtilbud Nord")
    arrive("Nord/Tilgang 2016.xlsx", {"TA": nord}, "2016-10-12")  # through K3, then a broken K4 file
    broken = four_quarters("Dagtilbud Nord")
    book.cell(broken["Tilgang og afgang"], "K8", 99)
    arrive("Nord/Tilgang 2016 K4.xlsx", broken, "2017-01-14", "rejected")  # afvist
    arrive("Syd/Tilgang 2016.xlsx", four_quarters("Dagtilbud Syd"), "2017-02-01")  # after --on: still mangler
    pipeline.clock = lambda: noon(ON)
    yield cfg, pipeline
    store.close()


EXPECTED = [  # unit, status, latest file
    (BALLERUP, "forældet", "Eksempler/Tilgang og afgang Ballerup 2016.xlsx"),
    ("Dagtilbud Vest", "ok", "Vest/Tilgang 2016.xlsx"),
    ("Dagtilbud Øst", "for sent", "Øst/Tilgang 2016.xlsx"),
    ("Dagtilbud Nord", "afvist", "Nord/Tilgang 2016 K4.xlsx"),
    ("Dagtilbud Syd", "mangler", None),
]


def test_missing_json_gives_every_status_once_value_by_value(service):
    cfg, _ = service
    result = CliRunner().invoke(main, ["missing", "--on", ON, "--json", "--config", str(cfg)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [
        {"unit": unit, "kind": "tilgang_afgang", "year": 2016, "period": "K4", "due": "2017-01-15",
         "status": status, "latest_file": latest} for unit, status, latest in EXPECTED]


def test_mangler_sheet_lists_every_status_but_ok_by_deadline_in_traffic_light_colours(service):
    _, pipeline = service
    ws = load_workbook(pipeline.write_summary())["Mangler"]
    assert [c.value for c in ws[4]] == ["Enhed", "Skema", "År", "Periode", "Frist", "Status", "Seneste fil"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5)]
    due = dt.datetime(2017, 1, 15)
    assert rows == [[unit, "tilgang_afgang", 2016, "K4", due, status, latest]
                    for unit, status, latest in sorted((e for e in EXPECTED if e[1] != "ok"))]
    fills = {row[5].value: row[5].fill.fgColor.rgb[-6:] for row in ws.iter_rows(min_row=5)}
    assert fills == {"afvist": "FFC7CE", "mangler": "FFC7CE", "for sent": "FFEB9C", "forældet": "FFEB9C"}
    assert ws["E5"].number_format == "dd.mm.yyyy"


def test_missing_as_text_shows_each_unit_and_the_counts(service):
    cfg, _ = service
    result = CliRunner().invoke(main, ["missing", "--on", ON, "--config", str(cfg)])
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["Enhed", "Skema", "År"]
    assert len(lines) == 2 + len(UNITS)
    assert lines[-1] == "1 mangler · 1 afvist · 1 forældet · 1 for sent · 1 ok"


def test_a_later_date_counts_the_files_that_arrived_by_then(service):
    _, pipeline = service
    rows = standings(pipeline.store, ["Dagtilbud Syd", BALLERUP], {"tilgang_afgang": QUARTERS},
                     dt.date(2017, 2, 2))
    assert [(r.unit, r.status) for r in rows] == [("Dagtilbud Syd", "for sent"), (BALLERUP, "forældet")]


def test_a_unit_listed_in_another_spelling_than_its_reports_is_not_missing(service):
    """The reports of 'Dagtilbud Vest' were accepted under that spelling; a list that writes it
    'dagtilbud  vest' (or a report accepted before the list was set) still finds them."""
    _, pipeline = service
    rows = standings(pipeline.store, ["dagtilbud  vest", "DAGTILBUD ØST"], {"tilgang_afgang": QUARTERS},
                     dt.date(2017, 1, 20))
    assert [(r.unit, r.status, r.latest_file) for r in rows] == [
        ("dagtilbud  vest", "ok", "Vest/Tilgang 2016.xlsx"), ("DAGTILBUD ØST", "for sent", "Øst/Tilgang 2016.xlsx")]


def test_a_kind_with_no_deadlines_is_not_chased_and_no_units_means_no_sheet(service, tmp_path):
    _, pipeline = service
    assert {r.kind for r in standings(pipeline.store, UNITS, {"tilgang_afgang": QUARTERS}, dt.date(2017, 1, 20))} \
        == {"tilgang_afgang"}
    assert standings(pipeline.store, [], {"tilgang_afgang": QUARTERS}, dt.date(2017, 1, 20)) == []
    quiet = Pipeline(pipeline.config.with_values(reporting__units=()), pipeline.store, clock=pipeline.clock)
    assert "Mangler" not in load_workbook(quiet.write_summary()).sheetnames


def test_the_consolidated_workbook_is_stale_once_a_deadline_passes(service):
    _, pipeline = service
    pipeline.write_summary()
    assert not pipeline.summary_stale()
    pipeline.clock = lambda: noon("2017-04-14")  # no new deadline yet
    assert not pipeline.summary_stale()
    pipeline.clock = lambda: noon("2017-04-15")  # K1 2017 falls due: Mangler changes
    assert pipeline.summary_stale()


def test_standing_json_shape():
    row = Standing("U", "handleplan", 2015, "", dt.date(2015, 12, 15), "mangler", None)
    assert row.as_json() == {"unit": "U", "kind": "handleplan", "year": 2015, "period": "", "due": "2015-12-15",
                             "status": "mangler", "latest_file": None}


# --- a unit nobody expects ------------------------------------------------------------------------------

def test_a_workbook_for_a_unit_not_on_the_list_is_accepted_with_a_warning_naming_the_closest(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(REPORTING, encoding="utf-8")
    # 'Dagtilbud  vest' would be the listed unit (units.fold): a misspelling is not
    path = book.save(tmp_path / "Vest.xlsx", {"TA": book.tilgang(unit="Dagtilbud  vst")})
    result = CliRunner().invoke(main, ["check", "--json", str(path), "--config", str(cfg)])
    (verdict,) = json.loads(result.output)
    assert verdict["verdict"] == "accepted"
    (warning,) = verdict["warnings"]
    assert (warning["rule"], warning["cells"], warning["value"]) == ("report.unknown_unit", ["B3"], "Dagtilbud vst")
    assert "Mente du «Dagtilbud Vest»" in warning["message"]


def test_no_unit_warning_when_the_unit_is_listed_or_no_list_is_set(tmp_path):
    path = book.save(tmp_path / "Vest.xlsx", {"TA": book.tilgang(unit="Dagtilbud Vest")})
    (tmp_path / "config.toml").write_text(REPORTING, encoding="utf-8")
    for args in ([], ["--config", str(tmp_path / "config.toml")]):
        (verdict,) = json.loads(CliRunner().invoke(main, ["check", "--json", str(path), *args]).output)
        assert verdict["warnings"] == []


def test_status_shows_the_counts_as_of_today(service):
    cfg, _ = service
    result = CliRunner().invoke(main, ["status", "--config", str(cfg)])
    assert result.exit_code == 3  # not running; the counts come from the store all the same
    # nothing has arrived for any period due in this decade
    assert "Indberetninger: 5 mangler · 0 afvist · 0 forældet · 0 for sent · 0 ok" in result.output
    as_json = json.loads(CliRunner().invoke(main, ["status", "--json", "--config", str(cfg)]).output)
    assert as_json["reporting"] == {"mangler": 5, "afvist": 0, "forældet": 0, "for sent": 0, "ok": 0}


def test_status_says_nothing_about_reporting_when_nobody_must_report(tmp_path):
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    result = CliRunner().invoke(main, ["status", "--config", str(tmp_path / "config.toml")])
    assert "Indberetninger" not in result.output
    assert json.loads(CliRunner().invoke(main, ["status", "--json", "--config", str(tmp_path / "config.toml")]
                                         ).output)["reporting"] is None


def test_for_sent_is_judged_by_when_the_file_was_saved_not_when_it_was_read(tmp_path):
    """Saved on 14 January, read on the 20th (an outage, a queue, a first install): on time. Saved at
    23:30 UTC on the 15th is the 16th in Copenhagen (output.timezone): late, whenever it was read."""
    cfg = tmp_path / "config.toml"
    cfg.write_text('[reporting]\nunits = ["Dagtilbud Vest", "Dagtilbud Øst"]\n'
                   '[reporting.deadlines]\ntilgang_afgang = ["15-04", "15-07", "15-10", "15-01"]\n', encoding="utf-8")
    config = config_mod.load(cfg)
    config.path("watched").mkdir()
    with Store.open(config.path("database")) as store:
        pipeline = Pipeline(config, store, clock=lambda: noon("2017-01-20"))  # a fixed clock: read late
        for unit, saved in [("Dagtilbud Vest", dt.datetime(2017, 1, 14, 9, tzinfo=dt.UTC)),
                            ("Dagtilbud Øst", dt.datetime(2017, 1, 15, 23, 30, tzinfo=dt.UTC))]:
            path = book.save(config.path("watched") / f"{unit}.xlsx", four_quarters(unit))
            ns = int(saved.timestamp()) * 10**9
            os.utime(path, ns=(ns, ns))
            assert pipeline.process(path).status == "accepted"
        rows = standings(store, ["Dagtilbud Vest", "Dagtilbud Øst"], {"tilgang_afgang": QUARTERS},
                         dt.date(2017, 1, 20))
    assert [(r.unit, r.status) for r in rows] == [("Dagtilbud Vest", "ok"), ("Dagtilbud Øst", "for sent")]
