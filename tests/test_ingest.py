"""`syncservice ingest` end to end: the seed workbooks come out of the Data sheet to the krone."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from syncservice.cli import main

import book

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
DATA_HEADER = ["Enhed", "År", "Skema", "Linje", "Nøgletal", "Periode", "Værdi", "Kilde", "Version"]


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A folder laid out as the quick start: config.toml beside watched/."""
    (tmp_path / "watched").mkdir()
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def ingest(site: Path, *extra: str):
    return CliRunner().invoke(main, ["ingest", "--config", str(site / "config.toml"), *extra],
                              catch_exceptions=False)


def data_rows(path: Path) -> list[dict]:
    wb = openpyxl.load_workbook(path, read_only=False)
    ws = wb["Data"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == DATA_HEADER
    assert "Data" in ws.tables and ws.tables["Data"].ref.startswith("A1:I")
    return [dict(zip(DATA_HEADER, r)) for r in rows[1:] if any(v is not None for v in r)]


def test_seed_examples_come_out_of_the_data_sheet_to_the_krone(site):
    for example in EXAMPLES.glob("*.xlsx"):
        shutil.copy(example, site / "watched" / example.name)
    result = ingest(site)
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(f"{len(list(EXAMPLES.glob('*.xlsx')))} godkendt, 0 afvist, 0 uændret, "
                                          "0 prøves igen")
    rows = data_rows(site / "output" / "Samlet oversigt.xlsx")

    hp = {(r["Linje"], r["Nøgletal"]): r["Værdi"] for r in rows if r["Skema"] == "handleplan"}
    assert hp[("Støtte eget hjem", "Mål")] == 6_000_000
    assert hp[("Ledsageordning", "Mål")] == 300_000
    assert sum(v for (_, m), v in hp.items() if m == "Mål") == pytest.approx(25_000_000, abs=0.5)
    assert sum(v for (_, m), v in hp.items() if m == "Realiseret") == pytest.approx(16_700_000, abs=0.5)
    assert sum(v for (_, m), v in hp.items() if m == "Forventet") == pytest.approx(17_600_000, abs=0.5)
    assert not any(line in ("Total", "Alle") for line, _ in hp)

    effekt = defaultdict(float)
    for r in rows:
        if r["Skema"] == "effekt":
            effekt[r["Periode"]] += r["Værdi"]
    assert dict(effekt) == {"2020": -2_500_000, "2021": -5_950_000, "2022": -8_750_000,
                            "2023": -11_550_000, "2024": -15_850_000}

    ta = {(r["Linje"], r["Nøgletal"], r["Periode"]): r["Værdi"] for r in rows if r["Skema"] == "tilgang_afgang"}
    assert [ta[(n, "Primo", None)] if (n, "Primo", None) in ta else ta[(n, "Primo", "")]
            for n in ("Krumtappen", "Bibliotekscaféen", "Larsbjerggård", "Det Nye Sted")] == [18, 13, 9, 50]
    ends = {line: v for (line, metric, _), v in ta.items() if metric == "Ultimo"}
    assert ends == {"Krumtappen": 22, "Bibliotekscaféen": 13, "Larsbjerggård": 8, "Det Nye Sted": 54}
    assert ta[("Det Nye Sted", "Tilgang", "K2")] == 3
    # seed 003's second table: millions, though its corner said 1.000 kr. (WORKBOOKS.md §7)
    bb = {(r["Linje"], r["Periode"]): r["Værdi"] for r in rows if r["Skema"] == "bruttobesparelse"}
    assert {r["Nøgletal"] for r in rows if r["Skema"] == "bruttobesparelse"} == {"Bruttobesparelse"}
    assert bb[("3. opfølgning 2015", "2014")] == 2_400_000
    assert [bb[("3. opfølgning 2016", str(y))] for y in (2014, 2015, 2016, 2017)] == [
        2_400_000, 7_300_000, 13_600_000, 16_000_000]
    assert len(bb) == 16  # four follow-ups × four years
    assert {r["År"] for r in rows if r["Skema"] == "bruttobesparelse"} == {2016}  # the last follow-up's year
    # seed 004: per budget year, Linje empty; a cell marked not computed gives no row
    er = {(r["Nøgletal"], r["Periode"]): r["Værdi"] for r in rows if r["Skema"] == "effekt_realiseret"}
    assert {r["Linje"] for r in rows if r["Skema"] == "effekt_realiseret"} in ({""}, {None})
    assert er[("Forventet, oprindelig", "2014")] == 1_500_000
    assert er[("Realiseret, oprindelige borgere", "2014")] == 150_000
    assert ("Realiseret, nye borgere", "2014") not in er and ("Realiseret i alt", "2015") not in er
    assert [er[(m, "2016")] for m in ("Forventet, oprindelig", "Forventet, justeret", "Realiseret, oprindelige borgere",
                                      "Realiseret, nye borgere", "Realiseret i alt")] == [
        7_300_000, 5_800_000, 3_800_000, 1_400_000, 5_200_000]
    assert er[("Forventet, justeret", "2020")] == 13_200_000 and ("Forventet, oprindelig", "2020") not in er
    assert len(er) == 15  # 2 + 2 + 5 + 2 + 2 + 1 + 1 figures for 2014..2020
    assert {r["Kilde"] for r in rows} == {p.name for p in EXAMPLES.glob("*.xlsx")}
    assert all(isinstance(r["Version"], int) for r in rows)


def test_second_pass_with_nothing_new_changes_nothing(site):
    book.save(site / "watched" / "hp.xlsx", {"HP": book.handleplan()})
    ingest(site)
    consolidated = site / "output" / "Samlet oversigt.xlsx"
    before = consolidated.stat().st_mtime_ns
    result = ingest(site)
    assert result.output.strip() == "0 godkendt, 0 afvist, 0 uændret, 0 prøves igen"
    assert consolidated.stat().st_mtime_ns == before


def test_rejected_file_is_reported_and_the_consolidated_workbook_says_so(site):
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[1][2] = "ca. 5"
    book.save(site / "watched" / "Dagtilbud Vest.xlsx", {"HP": book.handleplan(lines=lines, total=False)})
    result = ingest(site)
    assert "afvist: Dagtilbud Vest.xlsx HP!C10: «ca. 5» i kolonnen Realiseret er ikke et tal." in result.output
    wb = openpyxl.load_workbook(site / "output" / "Samlet oversigt.xlsx")
    text = " ".join(str(v) for row in wb["Afviste"].iter_rows(values_only=True) for v in row if v)
    assert "Dagtilbud Vest.xlsx" in text and "HP!C10" in text


def test_crash_between_recording_and_rewriting_is_caught_up_on_the_next_pass(site):
    book.save(site / "watched" / "hp.xlsx", {"HP": book.handleplan()})
    ingest(site)
    (site / "output" / "Samlet oversigt.xlsx").unlink()  # as if the rewrite never happened
    result = ingest(site)
    assert result.output.strip() == "0 godkendt, 0 afvist, 0 uændret, 0 prøves igen"
    assert len(data_rows(site / "output" / "Samlet oversigt.xlsx")) == 30


def test_validation_log_in_store_jsonl_and_log_command(site):
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[0][8] = 21
    book.save(site / "watched" / "bad.xlsx", {"TA": book.tilgang(lines=lines)})
    book.save(site / "watched" / "good.xlsx", {"HP": book.handleplan()})
    ingest(site)
    records = [json.loads(line) for line in (site / "logs" / "validation.jsonl").read_text().splitlines()]
    assert {r["file"]: r["verdict"] for r in records} == {"bad.xlsx": "rejected", "good.xlsx": "accepted"}
    bad = next(r for r in records if r["file"] == "bad.xlsx")
    assert bad["errors"][0]["rule"] == "tilgang.balance" and bad["errors"][0]["cells"][-1] == "I8"

    runner = CliRunner()
    table = runner.invoke(main, ["log", "--rejected", "--config", str(site / "config.toml")]).output
    assert "bad.xlsx" in table and "good.xlsx" not in table and "TA!B8" in table
    as_json = json.loads(runner.invoke(main, ["log", "--json", "--unit", "Handicap & Psykiatri, Ballerup",
                                              "--config", str(site / "config.toml")]).output)
    assert [e["file"] for e in as_json] == ["bad.xlsx"]
    assert as_json[0]["errors"][0]["message"].startswith("For Krumtappen giver primo")
    none = json.loads(runner.invoke(main, ["log", "--json", "--since", "2999-01-01",
                                           "--config", str(site / "config.toml")]).output)
    assert none == []


FORGED = "2026-12-03 18:00:00.000 | ERROR   | forged"
RAW = ("\n", "\r", "\x1b", "\x85", "\x9b", "\u2028", "\u202e")


def test_a_file_name_cannot_forge_a_log_line_or_drive_the_terminal(site):
    """A name with a line break, CR, ESC, C1 controls, U+2028 and a bidi override: shown
    escaped on one line by ingest, the human log and the `log` command; the JSON log stays
    one object per line (even split as str.splitlines splits) and says the name exactly."""
    name = f"x\n{FORGED}\x1b[2J\r\x85\x9b\u2028\u202e.xlsx"
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[0][8] = 21
    book.save(site / "watched" / name, {"TA": book.tilgang(lines=lines)})
    shown = "x\\n" + FORGED + "\\x1b[2J\\r\\x85\\x9b\\u2028\\u202e.xlsx"

    out = ingest(site).output
    log = (site / "logs" / "syncservice.log").read_text(encoding="utf-8")
    table = CliRunner().invoke(main, ["log", "--config", str(site / "config.toml")]).output
    as_json = CliRunner().invoke(main, ["log", "--json", "--config", str(site / "config.toml")]).output
    for text in (out, log, table, as_json):
        assert not [c for c in RAW if c in text.replace("\n", "")]
        assert not [line for line in text.splitlines() if line.startswith(FORGED)]
    assert f"afvist: {shown}" in out and shown in log and shown[-40:] in table
    assert json.loads(as_json)[0]["file"] == name
    (record,) = [json.loads(line) for line in (site / "logs" / "validation.jsonl").read_text("utf-8").splitlines()]
    assert record["file"] == name and record["verdict"] == "rejected"


def status(site: Path, *extra: str):
    return CliRunner().invoke(main, ["status", "--config", str(site / "config.toml"), *extra],
                              catch_exceptions=False)


def test_ingest_names_the_files_left_to_retry_and_exits_4(site, monkeypatch):
    """A file that stays unreadable: retried (exit 4, named) until watch.unreadable_minutes, then
    rejected as file.unreadable, listed on sheet Afviste and named by `status`."""
    import faults

    book.save(site / "watched" / "god.xlsx", {"HP": book.handleplan()})
    locked = book.save(site / "watched" / "låst.xlsx", {"HP": book.handleplan(unit="Anden enhed")})
    faults.unreadable(monkeypatch, locked)

    first = ingest(site)
    assert first.exit_code == 4, first.output
    assert "prøves igen: låst.xlsx (" in first.output and "Permission denied" in first.output
    assert first.output.strip().endswith("1 godkendt, 0 afvist, 0 uændret, 1 prøves igen")
    said = status(site)
    assert "Filer der ikke kan læses: 1: låst.xlsx (prøves igen, ulæselig siden " in said.output
    assert ingest(site).exit_code == 4  # still within watch.unreadable_minutes (10)

    (site / "config.toml").write_text("[watch]\nunreadable_minutes = 0\n", encoding="utf-8")
    judged = ingest(site)
    assert judged.exit_code == 0, judged.output
    assert "afvist: låst.xlsx: Filen kunne ikke læses" in judged.output
    assert judged.output.strip().endswith("0 godkendt, 1 afvist, 0 uændret, 0 prøves igen")
    rows = openpyxl.load_workbook(site / "output" / "Samlet oversigt.xlsx", read_only=True)["Afviste"]
    assert "låst.xlsx" in {c for row in rows.iter_rows(values_only=True) for c in row}
    said = status(site)
    assert "Afviste filer: 1 (heraf afvist nu: 1)" in said.output
    assert "Filer der ikke kan læses: 1: låst.xlsx (afvist som ulæselig, siden " in said.output
    as_json = json.loads(status(site, "--json").output)
    assert [(u["path"], u["rejected"]) for u in as_json["unreadable"]] == [("låst.xlsx", True)]
    assert ingest(site).exit_code == 0  # rejected once; no longer left to retry


def test_status_after_ingest_shows_that_pass_and_says_it_was_ingest(site):
    import datetime as dt

    from syncservice.service import status as status_mod
    from syncservice.service.run import status_path

    # a run long gone: its last pass a day ago
    status_mod.write(status_path(defaults_for(site)), status_mod.Status(
        1, "host", "2026-01-01T08:00:00+01:00", "native", str(site / "watched"), state=status_mod.STOPPED,
        stopped="2026-01-01T09:00:00+01:00", last_pass="2026-01-01T08:30:00+01:00", last_pass_files=7))
    book.save(site / "watched" / "hp.xlsx", {"HP": book.handleplan()})
    book.save(site / "watched" / "ta.xlsx", {"TA": book.tilgang()})
    assert ingest(site).exit_code == 0
    shown = status(site)
    (line,) = [li for li in shown.output.splitlines() if li.startswith("Seneste gennemløb:")]
    assert line.endswith("(2 filer, af syncservice ingest)"), line
    assert dt.date.today().isoformat() in line or (dt.date.today() - dt.timedelta(days=1)).isoformat() in line
    latest = json.loads(status(site, "--json").output)["last_pass"]
    assert (latest["by"], latest["files"]) == ("ingest", 2)
    # a later pass of run is shown as run's
    status_mod.write(status_path(defaults_for(site)), status_mod.Status(
        1, "host", "2030-01-01T08:00:00+01:00", "native", str(site / "watched"), state=status_mod.STOPPED,
        stopped="2030-01-01T09:00:00+01:00", last_pass="2030-01-01T08:30:00+01:00", last_pass_files=3))
    assert "Seneste gennemløb: 2030-01-01 08:30:00 (3 filer, af syncservice run)" in status(site).output


def defaults_for(site: Path):
    from syncservice.base.config import load

    return load(site / "config.toml")
