"""Hostile workbooks (tests/hostile.py): each is refused with its own reason, or
accepted, within a bound of time; nothing escapes check_workbook as an exception, no
openpyxl warning reaches the console, and, run in a process whose memory is capped at
1 GB, none hangs or runs out of memory."""

from __future__ import annotations

import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import pytest

import book
import hostile
from conftest import ROOT
from schemas import KINDS
from syncservice.check import check_workbook
from syncservice.messages import render, texts
from syncservice.models import StagedFile, Verdict

sys.path.insert(0, str(ROOT / "bench"))
import corpus_sweep  # noqa: E402

BOUND = 20.0  # seconds for any one file; the slowest (wide_rows) takes about 7 s on 2 cores
QUICK = 5.0  # for files that used to take long and now must not
LIMITS = {"max_unpacked": 300 << 20, "max_rows": 200_000, "max_seconds": 120}  # the service's defaults


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    return hostile.build(tmp_path_factory.mktemp("hostile"))


def check(path: Path, **limits: float) -> tuple[Verdict, float]:
    staged = StagedFile(path, path.name, path, "0" * 64, path.stat().st_size, 0)
    started = time.perf_counter()
    verdict = check_workbook(staged, KINDS, **{**LIMITS, **limits})  # type: ignore[arg-type]
    return verdict, time.perf_counter() - started


def rules(verdict: Verdict) -> list[tuple[str, str]]:
    return [(f.rule, f.location) for f in verdict.errors]


@pytest.mark.parametrize("name", sorted(hostile.HOSTILE))
def test_each_hostile_file_gets_its_reason_in_bounded_time(files, name):
    verdict, seconds = check(files[name])
    expected = hostile.HOSTILE[name][1]
    assert isinstance(verdict, Verdict)
    if expected is None:
        assert verdict.accepted, rules(verdict)
    else:
        assert verdict.errors and verdict.errors[0].rule == expected, rules(verdict)
    for finding in verdict.errors + verdict.warnings:
        assert texts(finding.rule) is not None  # the engine's catalogue, or the kind's own messages
        assert render(finding) and render(finding, "en")
    assert seconds < BOUND, f"{name} took {seconds:.1f} s"


def test_no_file_crashes_hangs_or_needs_more_than_1_gb(files):
    """Every file in a worker process capped at 1 GB of address space and killed after
    BOUND seconds (bench/corpus_sweep.py): the outcomes are the same as in-process."""
    results = corpus_sweep.sweep(next(iter(files.values())).parent, BOUND, 1024, 2, False)
    outcomes = {r["path"]: r["outcome"] for r in results}
    expected = {name: f"rejected:{rule}" if rule else "accepted" for name, (_, rule) in hostile.HOSTILE.items()}
    assert outcomes == expected
    assert not [r for r in results if r.get("warnings") or r.get("printed")]


# --- XML entities and zip bombs: refused without expanding or inflating --------------------------


@pytest.mark.parametrize("name", ["billion_laughs_sheet.xlsx", "billion_laughs_shared_strings.xlsx",
                                  "external_entity.xlsx", "zip_bomb_lying.xlsx"])
def test_entities_and_lying_sizes_are_refused_in_little_memory(files, name):
    tracemalloc.start()
    try:
        verdict, seconds = check(files[name])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert rules(verdict) == [("file.corrupt", "")]
    assert peak < 30 << 20, f"{peak >> 20} MB"
    assert seconds < QUICK


def test_zip_bomb_is_refused_on_its_declared_size(files):
    verdict, seconds = check(files["zip_bomb.xlsx"])
    (error,) = verdict.errors
    assert error.rule == "file.too_large" and error.params == {"unpacked_mb": hostile.BOMB_MB, "limit_mb": 300}
    assert "350 MB" in render(error) and seconds < QUICK


def test_unpacked_limit_is_the_callers(tmp_path):
    path = book.save(tmp_path / "hp.xlsx", {"Handleplan": book.handleplan()})
    assert check(path)[0].accepted
    verdict, _ = check(path, max_unpacked=4096)
    assert rules(verdict) == [("file.too_large", "")]


# --- sizes at Excel's limits -----------------------------------------------------------------------


def test_a_sheet_claiming_a_million_rows_costs_only_the_rows_it_has(files, tmp_path):
    verdict, seconds = check(files["million_rows_claimed.xlsx"])
    plain, _ = check(book.save(tmp_path / "plain.xlsx", {"Handleplan": book.handleplan()}))
    assert verdict.accepted and seconds < QUICK
    assert verdict.reports[0].figures == plain.reports[0].figures


def test_a_report_in_columns_xfa_to_xfd_is_read(files):
    verdict, _ = check(files["column_xfd.xlsx"])
    assert verdict.accepted
    figures = verdict.reports[0].figures
    assert {f.cell[:3] for f in figures} == {"XFB", "XFC", "XFD"}
    assert len(figures) == 3 * len(book.HANDLEPLAN_LINES)


@pytest.mark.parametrize("name", ["million_empty_rows.xlsx", "huge_shared_string.xlsx"])
def test_the_header_search_stops_at_row_31_and_reads_little_of_long_text(files, name):
    verdict, seconds = check(files[name])
    assert rules(verdict) == [("file.no_report_sheet", "")]
    assert seconds < QUICK, f"{seconds:.1f} s"


def test_a_slow_workbook_is_refused_at_the_deadline(tmp_path):
    path = book.save(tmp_path / "hp.xlsx", {"Handleplan": book.handleplan()})
    verdict, _ = check(path, max_seconds=0)
    (error,) = verdict.errors
    assert error.rule == "file.too_slow" and error.params == {"seconds": 0}


def test_cells_of_32767_characters_are_kept_whole(files):
    verdict, _ = check(files["long_cells.xlsx"])
    assert verdict.accepted
    report = verdict.reports[0]
    assert len(report.unit) == hostile.LONG and report.unit.startswith("Ballerup ååå")
    assert len(report.figures[0].line) == hostile.LONG


def test_long_text_in_a_number_column_is_not_a_number(files):
    verdict, _ = check(files["long_cell_in_number_column.xlsx"])
    assert rules(verdict) == [("value.not_number", "Handleplan!C10"), ("value.not_number", "Handleplan!C11")]
    assert len(verdict.errors[1].value) == hostile.LONG


def test_numbers_beyond_a_double_are_not_numbers(files):
    verdict, _ = check(files["overflowing_numbers.xlsx"])
    found = {f.cells[0]: (f.rule, f.value) for f in verdict.errors}
    assert found == {"C10": ("value.not_number", "inf"), "D10": ("value.not_number", "-inf"),
                     "B11": ("value.not_number", "9" * 400)}


def test_a_figure_too_large_for_kroner_is_refused(files):
    verdict, _ = check(files["huge_figure.xlsx"])
    assert [(f.rule, f.location, f.value) for f in verdict.errors] == \
        [("value.too_large", "Handleplan!B10", "1e+307")]


# --- odd text ------------------------------------------------------------------------------------


def test_control_characters_and_right_to_left_text_are_read_as_written(files):
    verdict, _ = check(files["control_and_rtl.xlsx"])
    assert verdict.accepted, rules(verdict)
    report = verdict.reports[0]
    assert report.unit == hostile.RTL_UNIT
    assert [f.line for f in report.figures if f.metric == "Mål"] == [line[0] for line in hostile.RTL_LINES]


def test_sheets_named_alike_but_for_case_are_told_apart(files):
    verdict, _ = check(files["case_twin_sheets.xlsx"])
    (error,) = verdict.errors
    assert error.rule == "report.duplicate_sheet" and error.sheet == "HANDLEPLAN"
    assert error.params["other_sheet"] == "Handleplan"
    verdict, _ = check(files["case_twin_sheets_two_units.xlsx"])
    assert verdict.accepted
    assert [(r.sheet, r.unit) for r in verdict.reports] == [
        ("Handleplan", "Handicap og Socialpsykiatri, Fredensborg"), ("HANDLEPLAN", "Handicap, Ballerup")]


def test_merged_header_cells_are_read_through_their_first_cell(files, tmp_path):
    verdict, _ = check(files["merged_headers.xlsx"])
    plain, _ = check(book.save(tmp_path / "plain.xlsx", {"Tilgang og afgang": book.tilgang(quarters=3)}))
    assert verdict.accepted, rules(verdict)
    assert verdict.reports[0].through == 3
    assert verdict.reports[0].figures == plain.reports[0].figures


def test_labels_merged_down_over_blank_rows_leave_the_table_empty(files):
    """WORKBOOKS.md §1: the table ends at the first fully blank row, and the rows under a
    label merged down are blank to anything reading cells. Said at the header's first cell."""
    verdict, _ = check(files["merged_headers_deep.xlsx"])
    assert rules(verdict) == [("table.empty", "Handleplan!A8")]


# --- not workbooks -------------------------------------------------------------------------------


def test_an_xls_mentioning_encryptioninfo_is_an_xls_not_an_encrypted_workbook(files):
    """Only a CFB directory entry of that name makes an encrypted workbook; the word in its bytes does not."""
    assert "EncryptionInfo".encode("utf-16-le") in files["xls_mentioning_encryption.xlsx"].read_bytes()
    assert rules(check(files["xls_mentioning_encryption.xlsx"])[0]) == [("file.xls", "")]
    assert rules(check(files["encrypted.xlsx"])[0]) == [("file.encrypted", "")]


def test_openpyxl_warnings_do_not_reach_the_console(files):
    """openpyxl warns on most files written by other programs (here: no stylesheet)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name in ("huge_shared_string.xlsx", "million_empty_rows.xlsx", "control_and_rtl.xlsx"):
            check(files[name])
    assert [str(w.message) for w in caught] == []
