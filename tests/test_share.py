"""The share as it really is (issue 14, WORKBOOKS.md §1 and §9): changes that keep size and
mtime, files deleted, renamed or moved, files that are not reports, times, and
configurations that cannot work. The observer's side is in test_watch.py."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from syncservice.base.config import Config, defaults
from syncservice.cli import main
from syncservice.pipeline import ACCEPTED, UNCHANGED, Pipeline
from syncservice.store.db import Store

import book

UNIT = "Handicap, Testby"


def workbook(target: int, unit: str = UNIT, extra: int = 1) -> bytes:
    """A small handleplan whose first target is `target` kr."""
    rows = book.handleplan(unit=unit, amount_unit="kr.", lines=[["Botilbud", target, 1, 1], ["Dagtilbud", extra, 1, 1]])
    with tempfile.TemporaryDirectory() as folder:
        return book.save(Path(folder) / "hp.xlsx", {"HP": rows}).read_bytes()


def same_size_pair() -> tuple[bytes, bytes]:
    """Two workbooks with other figures and exactly the same byte size (common: one digit changed)."""
    by_size: dict[int, bytes] = {}
    for target in range(10, 99):
        data = workbook(target)
        if len(data) in by_size:
            return by_size[len(data)], data
        by_size[len(data)] = data
    raise AssertionError("no two workbooks of one size")


@pytest.fixture
def config(tmp_path) -> Config:
    (tmp_path / "watched").mkdir()
    return defaults(tmp_path)


def target_in_force(config: Config) -> float:
    with Store.open(config.path("database")) as store:
        (version,) = store.current_versions()
        return next(f.value for f in store.version_figures(version.version_id)
                    if f.line == "Botilbud" and f.metric == "Mål")


def ingest(config: Config) -> list[tuple[str, str]]:
    with Store.open(config.path("database")) as store:
        tally = Pipeline(config, store).ingest()
    return [(o.rel, o.status) for o in tally.outcomes]


def put(path: Path, data: bytes, mtime_ns: int | None = None) -> Path:
    path.write_bytes(data)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


# --- Same size, same timestamp --------------------------------------------------------------

def test_an_overwrite_with_the_same_size_and_the_old_mtime_is_a_new_version(config):
    first, second = same_size_pair()
    path = put(config.path("watched") / "hp.xlsx", first)
    old = path.stat().st_mtime_ns
    assert ingest(config) == [("hp.xlsx", ACCEPTED)]
    before = target_in_force(config)
    put(path, second, old)  # a save on a share with 2-second timestamps: size and mtime as they were
    assert path.stat().st_size == len(first) and path.stat().st_mtime_ns == old
    assert ingest(config) == [("hp.xlsx", ACCEPTED)]
    assert target_in_force(config) != before
    assert ingest(config) == []  # and then it is unchanged: nothing to do


# --- Deleting, renaming, moving ------------------------------------------------------------

@pytest.fixture
def logged():
    from loguru import logger

    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(m.record["message"]), level="INFO", format="{message}",
                      filter=lambda r: "validation" not in r["extra"])
    yield lines
    logger.remove(sink)


def in_force(config: Config) -> dict[str, tuple[str, str]]:
    """unit → (path its version in force cites, when that file was found deleted)."""
    with Store.open(config.path("database")) as store:
        return {v.unit: (v.path, v.deleted_at) for v in store.current_versions()}


def sheet_rows(config: Config, name: str) -> list[tuple]:
    ws = openpyxl.load_workbook(config.path("consolidated"), read_only=True)[name]
    return [r for r in ws.iter_rows(min_row=5, values_only=True) if any(v is not None for v in r)]


def other_unit(config: Config, n: int = 1) -> None:
    """Files of other reports beside the ones a test deletes: the rest of the folder is there."""
    for i in range(n):
        put(config.path("watched") / f"Andet {i}.xlsx", workbook(5 + i, unit=f"Anden enhed {i}"))


def test_deleting_a_wrong_copy_in_force_falls_back_to_the_original_still_there(config):
    watched = config.path("watched")
    original = put(watched / "Handleplan.xlsx", workbook(1))
    st = original.stat().st_mtime_ns
    put(watched / "Handleplan - Kopi.xlsx", workbook(2), st + 10**9)  # saved later: in force
    other_unit(config)
    ingest(config)
    assert in_force(config)[UNIT] == ("Handleplan - Kopi.xlsx", "") and target_in_force_of(config) == 2
    (watched / "Handleplan - Kopi.xlsx").unlink()
    ingest(config)
    assert in_force(config)[UNIT] == ("Handleplan.xlsx", "") and target_in_force_of(config) == 1
    assert [r[3] for r in sheet_rows(config, "Kilder") if r[0] == UNIT] == ["Handleplan.xlsx"]
    put(watched / "Handleplan.xlsx", original.read_bytes(), st)  # its bytes copied back: unchanged, still in force
    assert ingest(config) == []
    assert target_in_force_of(config) == 1


def target_in_force_of(config: Config, unit: str = UNIT) -> float:
    with Store.open(config.path("database")) as store:
        (version,) = [v for v in store.current_versions() if v.unit == unit]
        return next(f.value for f in store.version_figures(version.version_id)
                    if f.line == "Botilbud" and f.metric == "Mål")


def test_a_deleted_file_with_no_other_version_stays_in_force_and_kilder_says_when(config):
    put(config.path("watched") / "hp.xlsx", workbook(3))
    other_unit(config)
    ingest(config)
    (config.path("watched") / "hp.xlsx").unlink()
    ingest(config)
    path, deleted = in_force(config)[UNIT]
    assert path == "hp.xlsx" and deleted
    (row,) = [r for r in sheet_rows(config, "Kilder") if r[0] == UNIT]
    assert row[3] == "hp.xlsx" and row[9] is not None and row[9].date() == row[5].date()  # a time: when found gone
    assert [r[3] for r in sheet_rows(config, "Kilder") if r[0] != UNIT][0] == "Andet 0.xlsx"
    assert {r[7] for r in sheet_rows_data(config) if r[0] == UNIT} == {"hp.xlsx"}  # its figures stay


def sheet_rows_data(config: Config) -> list[tuple]:
    ws = openpyxl.load_workbook(config.path("consolidated"), read_only=True)["Data"]
    return list(ws.iter_rows(min_row=2, values_only=True))


def test_a_deleted_file_comes_back_in_force_when_its_bytes_are_restored(config):
    watched = config.path("watched")
    put(watched / "Handleplan.xlsx", workbook(1))
    kopi = put(watched / "Kopi.xlsx", workbook(2), (watched / "Handleplan.xlsx").stat().st_mtime_ns + 10**9)
    data, st = kopi.read_bytes(), kopi.stat().st_mtime_ns
    other_unit(config)
    ingest(config)
    kopi.unlink()
    ingest(config)
    assert target_in_force_of(config) == 1
    put(kopi, data, st)  # back from the recycle bin: saved last, so in force again
    assert ingest(config) == [("Kopi.xlsx", UNCHANGED)]
    assert in_force(config)[UNIT] == ("Kopi.xlsx", "") and target_in_force_of(config) == 2


@pytest.mark.parametrize("gone", ["all", "most"])
def test_much_of_the_folder_vanishing_at_once_falls_back_nowhere_and_says_why(config, logged, gone):
    watched = config.path("watched")
    first = put(watched / "Handleplan.xlsx", workbook(1))
    put(watched / "Kopi.xlsx", workbook(2), first.stat().st_mtime_ns + 10**9)
    other_unit(config, 3)
    ingest(config)
    for path in watched.iterdir():
        if gone == "all" or path.name != "Handleplan.xlsx":  # an unmounted share looks empty; a half-synced one nearly
            path.unlink()
    with Store.open(config.path("database")) as store:
        pipeline = Pipeline(config, store)  # as `run` keeps one
        pipeline.ingest()
        pipeline.ingest()
        assert store.gone() == {}
    assert in_force(config)[UNIT] == ("Kopi.xlsx", "")  # nothing fell back, nothing is marked deleted
    assert sum("gone from" in line and "at once" in line for line in logged) == 1  # said once, not every pass


@pytest.mark.parametrize("new", ["Handleplan 2015.xlsx", "Ældre/hp.xlsx", "HP.xlsx"])
def test_a_rename_or_move_with_the_same_content_cites_the_new_name_with_no_warning(config, new):
    watched = config.path("watched")
    put(watched / "hp.xlsx", workbook(4))
    other_unit(config)
    ingest(config)
    (watched / new).parent.mkdir(exist_ok=True)
    os.rename(watched / "hp.xlsx", watched / new)  # HP.xlsx: a case-only rename
    with Store.open(config.path("database")) as store:
        tally = Pipeline(config, store).ingest()
        (outcome,) = tally.outcomes
        assert outcome.status == ACCEPTED and outcome.versions == ()
        assert not outcome.verdict.warnings  # no "the same report from another file"
        assert store.gone() == {}  # the version in force does not cite the old name: nothing was deleted
    assert in_force(config)[UNIT] == (new, "")
    assert [r[3] for r in sheet_rows(config, "Kilder") if r[0] == UNIT] == [new]
    assert {r[7] for r in sheet_rows_data(config) if r[0] == UNIT} == {Path(new).name}
    assert sheet_rows(config, "Ændringer") == [("Ingen ændringer.",)]


def test_a_deleted_rejected_file_leaves_afviste_and_its_report_goes_to_the_archive(config):
    rows = book.handleplan(unit=UNIT, amount_unit="kr.", lines=[["Botilbud", 1, 1, 1]])
    book.cell(rows, "B9", 99)  # the total does not add up
    put(config.path("watched") / "fejl.xlsx", book.save(config.path("watched") / "fejl.xlsx", {"HP": rows}).read_bytes())
    other_unit(config)
    ingest(config)
    report = config.path("feedback") / "fejl - FEJL.txt"
    assert report.is_file() and [r[0] for r in sheet_rows(config, "Afviste")] == ["fejl.xlsx"]
    (config.path("watched") / "fejl.xlsx").unlink()
    ingest(config)
    assert not report.exists()
    assert [p.name for p in (config.path("archive") / "feedback").rglob("*FEJL.txt")][0].endswith("fejl - FEJL.txt")
    assert sheet_rows(config, "Afviste")[0][0] == "Ingen afviste projektmapper."
    with Store.open(config.path("database")) as store:
        assert store.rejected_files() == [] and store.feedback_owed() == []
    book.save(config.path("watched") / "fejl.xlsx", {"HP": rows})  # put back (same content): rejected again
    ingest(config)
    assert report.is_file() and [r[0] for r in sheet_rows(config, "Afviste")] == ["fejl.xlsx"]


# --- Configuration that cannot work ----------------------------------------------------------

def cli(site: Path, *args: str):
    return CliRunner().invoke(main, [*args, "--config", str(site / "config.toml")], catch_exceptions=False)


@pytest.mark.parametrize("command", ["ingest", "run"])
def test_feedback_in_the_watched_folder_is_refused_by_ingest_and_run_naming_the_key(tmp_path, command):
    (tmp_path / "watched").mkdir()
    put(tmp_path / "watched" / "hp.xlsx", workbook(1))
    (tmp_path / "config.toml").write_text('[paths]\nfeedback = "watched"\n', encoding="utf-8")
    result = cli(tmp_path, command)
    assert result.exit_code == 2
    assert "paths.feedback" in result.output and "overvågede mappe" in result.output
    assert not (tmp_path / "state" / "syncservice.sqlite").exists()  # refused before anything is opened


@pytest.mark.parametrize("language, words", [("da", "den overvågede mappe findes ikke"),
                                             ("en", "the watched folder does not exist")])
@pytest.mark.parametrize("command", ["ingest", "run"])
def test_ingest_and_run_with_no_watched_folder_exit_non_zero_and_say_so(tmp_path, command, language, words):
    (tmp_path / "config.toml").write_text(f'[output]\nlanguage = "{language}"\n', encoding="utf-8")
    result = cli(tmp_path, command)
    assert result.exit_code != 0 and words in result.output


# --- Time ------------------------------------------------------------------------------------

@pytest.mark.parametrize("zone, shown, day", [("", "2026-12-04 00:30:00 CET", "2026-12-04"),
                                              ("UTC", "2026-12-03 23:30:00 UTC", "2026-12-03")])
def test_history_log_and_the_workbook_show_times_in_output_timezone(tmp_path, zone, shown, day):
    import datetime as dt

    (tmp_path / "watched").mkdir()
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[output]\ntimezone = "{zone}"\n' if zone else "", encoding="utf-8")
    config = defaults(tmp_path) if not zone else defaults(tmp_path).with_values(output__timezone=zone)
    put(tmp_path / "watched" / "hp.xlsx", workbook(1))
    read_at = dt.datetime(2026, 12, 3, 23, 30, tzinfo=dt.UTC)  # a fixed clock: half past midnight in Copenhagen
    with Store.open(config.path("database")) as store:
        Pipeline(config, store, clock=lambda: read_at).ingest()
    history = cli(tmp_path, "history").output
    assert shown in history and "+00:00" not in history
    log = cli(tmp_path, "log").output
    assert shown in log
    assert "hp.xlsx" in cli(tmp_path, "log", "--since", day).output  # the day in that zone
    later = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
    assert "hp.xlsx" not in cli(tmp_path, "log", "--since", later).output
    (row,) = sheet_rows(config, "Kilder")
    assert row[5] == dt.datetime.fromisoformat(shown[:19])  # Godkendt, as the zone's wall clock


def test_an_unknown_time_zone_is_a_config_error(tmp_path):
    from syncservice.base import config as config_mod
    from syncservice.base.errors import ConfigError

    cfg = tmp_path / "config.toml"
    cfg.write_text('[output]\ntimezone = "Europe/Kobenhavn"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="output.timezone.*Europe/Kobenhavn"):
        config_mod.load(cfg)


# --- What is a report ------------------------------------------------------------------------

def test_only_workbook_files_are_candidates_and_the_list_is_what_read_knows():
    from syncservice.intake.read import OTHER_FORMATS, READABLE
    from syncservice.intake.stage import WORKBOOK_SUFFIXES

    assert WORKBOOK_SUFFIXES == READABLE | set(OTHER_FORMATS)
    assert {".xlsx", ".xlsm", ".xls", ".ods", ".csv"} <= WORKBOOK_SUFFIXES  # WORKBOOKS.md §1


def test_a_pdf_or_docx_is_never_read_and_a_csv_is_told_to_save_as_xlsx(config, monkeypatch):
    from syncservice.intake import stage

    watched = config.path("watched")
    (watched / "Referat.pdf").write_bytes(b"%PDF-1.7 not ours")
    (watched / "Notat.docx").write_bytes(workbook(1))  # a zip, even: never opened
    (watched / "tal.csv").write_text("Enhed;År\nA;2015\n", encoding="utf-8")
    opened: list[str] = []
    real = stage.open_regular
    monkeypatch.setattr(stage, "open_regular", lambda p: opened.append(Path(p).name) or real(p))
    assert ingest(config) == [("tal.csv", "rejected")]
    assert not {"Referat.pdf", "Notat.docx"} & set(opened)
    assert (config.path("feedback") / "tal.csv - FEJL.txt").is_file()


def notes_workbook(text: str = "Husk mødet") -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return book.save(Path(folder) / "n.xlsx", {"Noter": [["Referat"], [text]], "Priser": [["Vare", "Pris"],
                                                                                          ["Kaffe", 12]]}).read_bytes()


def test_a_workbook_that_is_not_a_report_is_noted_once_per_content_and_counted_nothing_more(tmp_path):
    (tmp_path / "watched").mkdir()
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    config = defaults(tmp_path)
    notes = put(tmp_path / "watched" / "Mødenoter.xlsx", notes_workbook())
    other_unit(config)
    assert cli(tmp_path, "ingest").output.strip().endswith("1 godkendt, 0 afvist, 0 uændret, 0 prøves igen, "
                                                            "1 ikke en indberetning")
    def said() -> int:
        text = (tmp_path / "logs" / "syncservice.log").read_text(encoding="utf-8")
        return sum("Mødenoter.xlsx" in line and "not a report" in line for line in text.splitlines())

    assert said() == 1
    assert cli(tmp_path, "ingest").output.strip().endswith("0 godkendt, 0 afvist, 0 uændret, 0 prøves igen")
    put(notes, notes_workbook("Husk kage"))  # another content: noted again, once
    cli(tmp_path, "ingest")
    cli(tmp_path, "ingest")
    assert said() == 2
    assert not list(config.path("archive").rglob("Mødenoter*"))  # no archive copy
    assert not list(config.path("feedback").rglob("*")) if config.path("feedback").exists() else True
    assert sheet_rows(config, "Afviste")[0][0] == "Ingen afviste projektmapper."
    with Store.open(config.path("database")) as store:
        assert "Mødenoter.xlsx" not in store.seen_index()
    status = cli(tmp_path, "status")
    assert "Projektmapper der ikke er indberetninger (ladt i fred): 1" in status.output
    check = CliRunner().invoke(main, ["check", str(notes)])
    assert check.exit_code == 1 and "file.no_report_sheet" in check.output  # check still says why


# --- Retire ----------------------------------------------------------------------------------

def test_retire_takes_a_report_out_of_what_finance_reads_and_history_keeps_it(tmp_path):
    (tmp_path / "watched").mkdir()
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    config = defaults(tmp_path)
    put(tmp_path / "watched" / "forkert.xlsx", workbook(1, unit="Forkert enhed"))
    other_unit(config)
    cli(tmp_path, "ingest")
    assert "Forkert enhed" in {r[0] for r in sheet_rows(config, "Kilder")}
    result = cli(tmp_path, "retire", "handleplan", "--unit", "forkert  ENHED", "--year", "2015")  # any spelling
    assert result.exit_code == 0 and "Udtaget: handleplan · Forkert enhed · 2015, version 1" in result.output
    assert "Forkert enhed" not in {r[0] for r in sheet_rows(config, "Kilder")}
    assert "Forkert enhed" not in {r[0] for r in sheet_rows_data(config)}
    history = cli(tmp_path, "history").output
    assert "handleplan · Forkert enhed · 2015 (udtaget " in history and "gældende til den blev udtaget" in history
    again = cli(tmp_path, "retire", "handleplan", "--unit", "Forkert enhed", "--year", "2015")
    assert again.exit_code == 1 and "allerede udtaget" in again.output
    assert cli(tmp_path, "ingest").output.strip().endswith("0 godkendt, 0 afvist, 0 uændret, 0 prøves igen")
    assert "Forkert enhed" not in {r[0] for r in sheet_rows(config, "Kilder")}  # a pass does not bring it back
    none = cli(tmp_path, "retire", "effekt", "--unit", "Forkert enhed", "--year", "2015")
    assert none.exit_code == 1 and "Ingen gældende version" in none.output


def test_the_human_log_file_is_in_output_timezone(tmp_path):
    import datetime as dt
    from zoneinfo import ZoneInfo

    (tmp_path / "watched").mkdir()
    (tmp_path / "config.toml").write_text('[output]\ntimezone = "Asia/Tokyo"\n', encoding="utf-8")
    put(tmp_path / "watched" / "hp.xlsx", workbook(1))
    before = dt.datetime.now(ZoneInfo("Asia/Tokyo")).replace(tzinfo=None, microsecond=0)
    cli(tmp_path, "ingest")
    line = next(line for line in (tmp_path / "logs" / "syncservice.log").read_text(encoding="utf-8").splitlines()
                if "hp.xlsx | accepted" in line)
    logged = dt.datetime.strptime(line[:19], "%Y-%m-%d %H:%M:%S")
    assert before <= logged <= before + dt.timedelta(minutes=5)  # Tokyo's clock, never the server's


def test_a_deleted_rejected_file_no_longer_makes_its_report_afvist_in_mangler(tmp_path):
    import datetime as dt

    from syncservice.outputs.missing import standings

    (tmp_path / "watched").mkdir()
    config = defaults(tmp_path)
    rows = book.handleplan(unit=UNIT, amount_unit="kr.", lines=[["Botilbud", 1, 1, 1]])
    book.cell(rows, "B9", 99)
    book.save(config.path("watched") / "fejl.xlsx", {"HP": rows})
    other_unit(config)
    read_at = dt.datetime(2016, 1, 2, 12, tzinfo=dt.UTC)  # a fixed clock: read before the day asked about
    with Store.open(config.path("database")) as store:
        Pipeline(config, store, clock=lambda: read_at).ingest()
        assert standings(store, [UNIT], {"handleplan": ["15-12"]}, dt.date(2016, 1, 5))[0].status == "afvist"
    (config.path("watched") / "fejl.xlsx").unlink()
    with Store.open(config.path("database")) as store:
        Pipeline(config, store, clock=lambda: read_at).ingest()
        assert standings(store, [UNIT], {"handleplan": ["15-12"]}, dt.date(2016, 1, 5))[0].status == "mangler"


def test_status_says_when_the_folder_is_not_watched_and_when_the_observer_was_restarted():
    from syncservice.cli.service import _status_text
    from syncservice.service import status as status_mod

    info = {"running": True, "pid": 7, "pending_now": None, "current": 1, "accepted": 1, "rejected": 0,
            "rejected_now": 0, "unreadable": [], "not_reports": 0}
    base = status_mod.Status(7, "host", "2026-12-03T19:00:00+01:00", "native", "/share")
    down = status_mod.Status(**{**base.__dict__, "observer_down": "2026-12-03T19:05:00+01:00",
                                "observer_why": "the watched folder is gone"})
    assert "Mappen overvåges ikke siden" in _status_text(info, down, "da")
    again = status_mod.Status(**{**base.__dict__, "observer_restarts": 1, "observer_restarted": "2026-12-03T19:06:00+01:00",
                                 "observer_why": "the watched folder is another one now"})
    assert "Observer restarted 1 time(s)" in _status_text(info, again, "en")
    assert "Observ" not in _status_text(info, base, "en").split("\n", 1)[1]


def test_what_changed_with_a_version_stays_on_aendringer_when_its_file_is_renamed(config):
    watched = config.path("watched")
    path = put(watched / "hp.xlsx", workbook(4))
    other_unit(config)
    ingest(config)
    rows = book.handleplan(unit=UNIT, amount_unit="kr.", lines=[["Botilbud", 4, 0, 1], ["Dagtilbud", 1, 1, 1]])
    with tempfile.TemporaryDirectory() as folder:  # realised went down: a change.* warning
        put(path, book.save(Path(folder) / "hp.xlsx", {"HP": rows}).read_bytes(), path.stat().st_mtime_ns + 10**9)
    ingest(config)
    before = [r[:5] for r in sheet_rows(config, "Ændringer")]
    assert before and before[0][0] == UNIT
    os.rename(path, watched / "Handleplan.xlsx")
    ingest(config)
    assert in_force(config)[UNIT] == ("Handleplan.xlsx", "")
    assert [r[:5] for r in sheet_rows(config, "Ændringer")] == before


def test_a_rejected_report_overwritten_by_a_workbook_that_is_no_report_leaves_afviste(config):
    rows = book.handleplan(unit=UNIT, amount_unit="kr.", lines=[["Botilbud", 1, 1, 1]])
    book.cell(rows, "B9", 99)
    path = book.save(config.path("watched") / "fejl.xlsx", {"HP": rows})
    other_unit(config)
    ingest(config)
    assert [r[0] for r in sheet_rows(config, "Afviste")] == ["fejl.xlsx"]
    put(path, notes_workbook(), path.stat().st_mtime_ns + 10**9)
    ingest(config)
    assert sheet_rows(config, "Afviste")[0][0] == "Ingen afviste projektmapper."
    assert not (config.path("feedback") / "fejl - FEJL.txt").exists()
