"""The command line as a person or a script uses it: output, JSON shape, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from syncservice.cli import main

import book

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(*args: str, cwd: Path | None = None):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_check_accepts_the_examples_with_exit_0():
    result = run("check", *map(str, sorted(EXAMPLES.glob("*.xlsx"))))
    assert result.exit_code == 0, result.output
    assert result.output.count("GODKENDT") == len(list(EXAMPLES.glob("*.xlsx")))


def test_check_json_has_the_documented_shape(tmp_path):
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[0][8] = 21
    bad = book.save(tmp_path / "Tilgang.xlsx", {"Tilgang og afgang": book.tilgang(lines=lines)})
    good = EXAMPLES / "Handleplan Fredensborg 2015.xlsx"
    result = run("check", "--json", str(good), str(bad))
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert [d["verdict"] for d in data] == ["accepted", "rejected"]
    assert set(data[1]) == {"file", "verdict", "sheets", "errors", "warnings"}
    assert data[1]["sheets"] == [{"sheet": "Tilgang og afgang", "kind": "tilgang_afgang",
                                  "unit": "Handicap & Psykiatri, Ballerup", "year": 2016}]
    (error,) = data[1]["errors"]
    assert set(error) == {"sheet", "cells", "column", "value", "rule", "message"}
    assert error["rule"] == "tilgang.balance"
    assert error["cells"][-1] == "I8" and error["value"] == "21"
    assert "ultimo er 21" in error["message"]


def test_check_of_a_non_workbook_has_empty_sheet_and_cells(tmp_path):
    csv = tmp_path / "tal.csv"
    csv.write_text("a;b\n1;2\n", encoding="utf-8")
    result = run("check", "--json", str(csv))
    assert result.exit_code == 1
    (error,) = json.loads(result.output)[0]["errors"]
    assert (error["sheet"], error["cells"], error["rule"]) == ("", [], "file.csv")
    assert ".xlsx" in error["message"]


def test_check_usage_errors_exit_2(tmp_path):
    assert run("check").exit_code == 2
    assert run("check", str(tmp_path / "missing.xlsx")).exit_code == 2


def test_check_human_output_names_sheet_cell_value_rule_and_fix(tmp_path):
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[1][2] = "ca. 5"
    path = book.save(tmp_path / "hp.xlsx", {"Handleplan": book.handleplan(lines=lines, total=False)})
    result = run("check", str(path))
    assert result.exit_code == 1
    assert "AFVIST" in result.output
    assert "Handleplan!C10" in result.output and "«ca. 5»" in result.output
    assert "[value.not_number]" in result.output and "Skriv kun tallet" in result.output


def test_check_in_english(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[output]\nlanguage = "en"\n', encoding="utf-8")
    csv = tmp_path / "x.xls"
    csv.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)
    result = run("check", "--config", str(cfg), str(csv))
    assert "REJECTED" in result.output and "old Excel format" in result.output


def test_check_leaves_nothing_behind(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(EXAMPLES / "Effekt Herning 2020.xlsx", tmp_path / "e.xlsx")
    assert run("check", "e.xlsx").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.xlsx"]


def test_text_from_a_workbook_cannot_drive_the_terminal(tmp_path):
    lines = [list(r) for r in book.HANDLEPLAN_LINES]
    lines[1][2] = "\u202egnp.exe"  # right-to-left override: shows as 'exe.png' in a terminal
    path = book.save(tmp_path / "hp.xlsx", book.handleplan(lines=lines, total=False))
    result = run("check", str(path))
    assert "\u202e" not in result.output and "gnp.exe" in result.output


def test_check_json_stays_json_when_openpyxl_prints_about_a_broken_style(tmp_path):
    """openpyxl prints "0 is out of range" to stdout for a named style the file lacks (seen
    from a streaming writer in the wild corpus)."""
    import re
    import zipfile

    good = book.save(tmp_path / "hp.xlsx", {"HP": book.handleplan()}, formats={"B9": "0.0"})
    with zipfile.ZipFile(good) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    parts["xl/styles.xml"] = re.sub(rb"<cellStyleXfs.*?</cellStyleXfs>", b"", parts["xl/styles.xml"],
                                    flags=re.S)
    bad = tmp_path / "stil.xlsx"
    with zipfile.ZipFile(bad, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    result = CliRunner().invoke(main, ["check", "--json", str(bad)])
    assert "out of range" not in result.output
    (report,) = json.loads(result.output)
    assert report["file"].endswith("stil.xlsx") and report["verdict"] in ("accepted", "rejected")


def test_check_of_a_folder_takes_the_workbooks_in_it(tmp_path):
    folder = tmp_path / "indberetninger"
    (folder / "gammelt").mkdir(parents=True)
    shutil.copy(EXAMPLES / "Handleplan Fredensborg 2015.xlsx", folder)
    shutil.copy(EXAMPLES / "Effekt Herning 2020.xlsx", folder / "gammelt")
    (folder / "~$Handleplan Fredensborg 2015.xlsx").write_bytes(b"lock")  # Excel's owner file: never a workbook
    (folder / "noter.txt").write_text("ikke en projektmappe")
    result = run("check", "--json", str(folder))
    assert result.exit_code == 0, result.output
    assert [Path(d["file"]).name for d in json.loads(result.output)] == ["Handleplan Fredensborg 2015.xlsx"]
    result = run("check", "--json", "-r", str(folder))
    assert [Path(d["file"]).relative_to(folder).as_posix() for d in json.loads(result.output)] == [
        "Handleplan Fredensborg 2015.xlsx", "gammelt/Effekt Herning 2020.xlsx"]


def test_check_of_a_folder_without_workbooks_says_it_is_a_folder_and_exits_2(tmp_path):
    (tmp_path / "tom" / "under").mkdir(parents=True)
    result = CliRunner().invoke(main, ["check", str(tmp_path / "tom")])
    assert result.exit_code == 2
    assert "is a folder with no workbooks in it" in result.output and "-r" in result.output
    assert "unreadable" not in result.output and "kunne ikke læses" not in result.output


def test_history_of_an_unknown_kind_is_a_usage_error_listing_the_kinds(tmp_path):
    (tmp_path / "config.toml").write_text("")
    result = CliRunner().invoke(main, ["history", "--kind", "handleplaner", "--config", str(tmp_path / "config.toml")])
    assert result.exit_code == 2
    assert "handleplaner" in result.output
    for kind in ("effekt", "handleplan", "tilgang_afgang"):
        assert kind in result.output


def test_history_marks_a_version_from_an_older_save_as_never_current(tmp_path):
    import os

    hour = 3600 * 10**9
    cfg = tmp_path / "config.toml"
    cfg.write_text("", encoding="utf-8")
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[0][6] += 1
    lines[0][8] += 1
    newer = book.save(tmp_path / "watched" / "Vest" / "ta.xlsx", {"TA": book.tilgang(lines=lines)})
    older = book.save(tmp_path / "watched" / "Øst" / "kopi.xlsx", {"TA": book.tilgang()})
    saved = newer.stat().st_mtime_ns
    os.utime(older, ns=(saved - hour, saved - hour))
    assert run("ingest", "--config", str(cfg)).exit_code == 0  # older first: v1, then the newer: v2
    # the old copy restored from a backup, its old mtime kept: it never takes over
    book.save(older, {"TA": book.tilgang(), "N": [["gendannet"]]})
    os.utime(older, ns=(saved - hour, saved - hour))
    assert run("ingest", "--config", str(cfg)).exit_code == 0
    shown = [line.split(None, 4) for line in run("history", "--config", str(cfg)).output.splitlines()[1:]]
    assert [(v, rest.split(None, 1)[1]) for v, _, _, _, rest in shown] == [
        ("v3", "(TA) gemt før v2, aldrig gældende"), ("v2", "(TA) gældende"), ("v1", "(TA)")]


def test_history_and_log_match_a_unit_however_it_is_spelt_and_suggest_the_unit_a_part_names(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text("", encoding="utf-8")
    (tmp_path / "watched").mkdir()
    shutil.copy(EXAMPLES / "Tilgang og afgang Ballerup 2016.xlsx", tmp_path / "watched")
    assert run("ingest", "--config", str(cfg)).exit_code == 0
    folded = run("history", "--unit", "handicap & psykiatri,ballerup", "--config", str(cfg))
    assert "tilgang_afgang · Handicap & Psykiatri, Ballerup · 2016" in folded.output
    for command in ("history", "log"):
        partial = CliRunner().invoke(main, [command, "--unit", "Ballerup", "--config", str(cfg)])
        assert partial.exit_code == 0
        assert "Ingen enhed hedder «Ballerup»; mente du «Handicap & Psykiatri, Ballerup»?" in partial.output


def test_every_service_fault_has_an_exit_code_of_its_own_and_none_is_ingests_retry_code():
    from syncservice.base import errors
    from syncservice.cli import RETRY_LEFT_EXIT

    faults = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, errors.ServiceError)]
    codes = [c.exit_code for c in faults]
    assert len(codes) == len(set(codes)), {c.__name__: c.exit_code for c in faults}
    assert RETRY_LEFT_EXIT not in codes


def test_versions_are_numbered_per_report_where_people_read_them(tmp_path):
    """A report's first version is version 1, whatever came before it from other reports;
    the store's id stays in Data's Version column and Kilder's Id, for machines."""
    import openpyxl

    cfg = tmp_path / "config.toml"
    cfg.write_text("", encoding="utf-8")
    (tmp_path / "watched").mkdir()
    shutil.copy(EXAMPLES / "Handleplan Fredensborg 2015.xlsx", tmp_path / "watched")
    assert run("ingest", "--config", str(cfg)).exit_code == 0  # handleplan: version 1, id 1
    shutil.copy(EXAMPLES / "Tilgang og afgang Ballerup 2016.xlsx", tmp_path / "watched")
    assert run("ingest", "--config", str(cfg)).exit_code == 0  # tilgang_afgang: version 1, id 2
    lines = [list(r) for r in book.TILGANG_LINES]
    lines[0][6] += 1
    lines[0][8] += 1
    book.save(tmp_path / "watched" / "Tilgang og afgang Ballerup 2016.xlsx", {"TA": book.tilgang(lines=lines)})
    assert run("ingest", "--config", str(cfg)).exit_code == 0  # tilgang_afgang: version 2, id 3
    history = run("history", "--kind", "tilgang_afgang", "--config", str(cfg)).output.splitlines()
    assert [line.split()[0] for line in history[1:]] == ["v2", "v1"]
    wb = openpyxl.load_workbook(tmp_path / "output" / "Samlet oversigt.xlsx")
    kilder = {r[1]: (r[6], r[10]) for r in wb["Kilder"].iter_rows(min_row=5, values_only=True)}
    assert kilder == {"handleplan": (1, 1), "tilgang_afgang": (2, 3)}
    assert {r[8] for r in wb["Data"].iter_rows(min_row=2, values_only=True) if r[2] == "tilgang_afgang"} == {3}
    overview = [c for row in wb["Tilgang og afgang"].iter_rows(values_only=True) for c in row
                if isinstance(c, str) and c.startswith("Kilde:")]
    assert overview and all(", version 2" in c for c in overview)
