"""`syncservice ingest` end to end: the seed workbooks come out of the Data sheet to the krone."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import book
from syncservice.cli import main

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
