"""Every file of the wild corpus (shared/corpus/xlsx-wild, 396 spreadsheets from other
projects' test data: see its SOURCES.md) gets a Verdict with a clear reason: none makes
check_workbook raise, hang (20 s each) or use more than 1 GB, and no openpyxl warning
reaches the console.

The corpus lies beside the repository (CI clones the repository next to shared/); the
tests skip where it is not. The files go through bench/corpus_sweep.py's workers, two
processes with their memory capped, so a hang or a crash on one file fails that file's
test instead of the whole run (about 5 s on 2 cores).
"""

from __future__ import annotations

import os
import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import corpus_sweep  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpus" / "xlsx-wild"
FILES = sorted(p.relative_to(CORPUS).as_posix() for p in corpus_sweep.files(CORPUS)) if CORPUS.is_dir() else []
BOUND = 20.0
pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")

# SOURCES.md, "Files that need particular care": the reasons a person must be told.
ENCRYPTED = ["poi/protect.xlsx", "poi/protected_sha512.xlsx", "poi/protected_passtika.xlsx",
             "poi/60320-protected.xlsx", "poi/extenxls_pwd123.xlsx", "poi/58616.xlsx",
             "poi/crash-9bf3cd4bd6f50a8a9339d363c2c7af14b536865c.xlsx", "excelize/encryptAES.xlsx",
             "excelize/encryptSHA1.xlsx", "excelize/encryptSHA512.xlsx", "calamine/pass_protected.xlsx",
             "python-calamine/password.xlsx", "calamine/pass_protected.xlsb", "poi/protected_passtika.xlsb"]
STRICT = ["poi/SampleSS.strict.xlsx", "poi/SimpleStrict.xlsx", "poi/sample.strict.xlsx", "poi/57914.xlsx",
          "calamine/strict_iso_paths.xlsx", "test_files/sheet_visibility_strict.xlsx",
          "PhpSpreadsheet/issue.3843a.template.xlsx"]
EXPECTED = {
    **{path: "file.encrypted" for path in ENCRYPTED},
    **{path: "file.strict" for path in STRICT},
    "python-calamine/empty_file.xlsx": "file.empty",
    "python-calamine/empty_file.ods": "file.empty",
    "poi/invalid.xlsx": "file.not_workbook",  # 22 bytes of text
    "exceljs/missing-bits.xlsx": "file.not_workbook",  # no [Content_Types].xml
    "poi/test.xltx": "file.template",
    "excelize/BadWorkbook.xlsx": "file.corrupt",  # a workbook of no sheets
    "exceljs/invalid-xml.xlsx": "file.corrupt",
    "poi/poc-xmlbomb.xlsx": "file.corrupt",  # entity expansion in sharedStrings
    "poi/poc-xmlbomb-empty.xlsx": "file.corrupt",
    # read, and found to hold no report (the header search must not take long on these)
    "poi/poc-shared-strings.xlsx": "file.no_report_sheet",  # a 1 MB shared string in every cell
    "poi/53105.xlsx": "file.no_report_sheet",  # rows of 16,384 cells
    "poi/57893-many-merges.xlsx": "file.no_report_sheet",  # 50,000 rows
    "calamine/issue_174.xlsx": "file.no_report_sheet",  # claims A1:XFD1048576
    "PhpSpreadsheet/issue.2501.b.xlsx": "file.no_report_sheet",  # openpyxl fails further down the sheet
    "poi/xlmmacro.xlsm": "file.no_report_sheet",  # an Excel 4 macro sheet: read, never run
    "calamine/minimal_package.xlsx": "file.no_report_sheet",  # workbook part at /workbook.xml
    "test_files/wtf_path.xlsx": "file.no_report_sheet",  # … at /wtf/workbook.xml
    "poi/right-to-left.xlsx": "file.no_report_sheet",
}

# Files on which openpyxl print()s to stdout. read.py captures stdout while openpyxl loads
# (xlsx-stream-d-date-cell.xlsx printed "0 is out of range", breaking `check --json`):
# loguru's sinks hold their stream objects, so nothing else of ours is swallowed.
PRINTS: dict[str, str] = {}


@pytest.fixture(scope="module")
def results() -> dict[str, dict]:
    swept = corpus_sweep.sweep(CORPUS, BOUND, 1024, max(2, os.cpu_count() or 1), False)
    return {r["path"]: r for r in swept}


def test_the_corpus_is_all_there(results):
    assert len(FILES) == 396 and sorted(results) == FILES


@pytest.mark.parametrize("path", FILES)
def test_every_file_gets_a_verdict_with_a_clear_reason(results, path):
    result = results[path]
    outcome = result["outcome"]
    assert outcome.split(":")[0] in ("accepted", "rejected"), f"{outcome}\n{result.get('detail', '')}"
    assert not result["uncatalogued"], "rules without a message"
    assert not result["warnings"], result["warnings"]
    assert result.get("printed", "") == PRINTS.get(path, "")
    assert result["seconds"] < BOUND


@pytest.mark.parametrize("path, rule", sorted(EXPECTED.items()))
def test_known_files_get_their_own_reason(results, path, rule):
    assert results[path]["outcome"] == f"rejected:{rule}"


@pytest.mark.parametrize("path", [p for p in FILES if p.lower().endswith(".xls")])
def test_every_xls_is_told_to_be_saved_as_xlsx(results, path):
    assert results[path]["outcome"] == "rejected:file.xls"


@pytest.mark.parametrize("path", [p for p in FILES if p.endswith(".ods") and "empty" not in p])
def test_every_ods_is_told_it_is_ods(results, path):
    assert results[path]["outcome"] == "rejected:file.ods"


@pytest.mark.parametrize("path", [p for p in FILES if "clusterfuzz" in p] + ["calamine/issue252.xlsx"])
def test_broken_zips_are_not_workbooks_or_damaged(results, path):
    assert results[path]["outcome"] in ("rejected:file.not_workbook", "rejected:file.corrupt")


def test_every_workbook_openpyxl_opens_is_read_not_refused(results):
    """INDEX.tsv says which files openpyxl loads with sheets: each of those we read (and
    find no report in: none is a municipal report), not call damaged or foreign."""
    index = dict(line.split("\t")[::2] for line in (CORPUS / "INDEX.tsv").read_text(encoding="utf-8").splitlines())
    opened = [p for p, what in index.items() if what.startswith("ok") and what != "ok 0 sheets"
              and p.lower().endswith((".xlsx", ".xlsm"))]
    assert len(opened) > 290
    assert {p: results[p]["outcome"] for p in opened if results[p]["outcome"] != "rejected:file.no_report_sheet"} == {}
