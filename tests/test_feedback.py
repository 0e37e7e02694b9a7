"""The rejection report: an annotated copy of the person's workbook and a plain-text twin."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

import book
from conftest import verdict_for
from syncservice.feedback import remove_report, report_paths, write_report
from syncservice.feedback_sheet import ERROR_FILL, WARNING_FILL, ranges, sheet_ref
from syncservice.messages import parts, render
from syncservice.models import ERROR, Finding, StagedFile, Verdict

NOW = dt.datetime(2016, 10, 3, 14, 5, 9, tzinfo=dt.UTC)
REL = "Ballerup/Tilgang 2016.xlsx"
BALANCE = ("B8", "C8", "D8", "E8", "F8", "G8", "H8", "I8")
EVIL = '=HYPERLINK("http://evil","x")'


def stage_copy(tmp_path: Path, source: Path, rel: str) -> StagedFile:
    """What stage.py hands on: a private copy; the report must only ever read that."""
    staged = tmp_path / "staging" / source.name
    staged.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, staged)
    data = staged.read_bytes()
    return StagedFile(source, rel, staged, hashlib.sha256(data).hexdigest(), len(data), 0)


def rejected_workbook(path: Path) -> Path:
    """Seed 003 twice: Ballerup with a balance error (Krumtappen ends at 23, not 22) and capacity
    warnings; Herlev with 'ca. 5' and formula-looking text in number cells; and a notes sheet."""
    ballerup = book.tilgang(capacity=[20, 20, 20, 20])
    ballerup[7][8] = 23
    herlev = book.tilgang(unit="Handicap & Psykiatri, Herlev")
    book.cell(herlev, "C9", "ca. 5")
    book.cell(herlev, "F9", "@SUM(A1)")
    book.cell(herlev, "D10", "+cmd")
    book.save(path, {"Tilgang og afgang": ballerup, "Herlev's tal": herlev, "Noter": [["Noter"], ["=1+1"]]})
    wb = openpyxl.load_workbook(path)
    wb["Herlev's tal"]["E9"] = EVIL
    wb["Herlev's tal"]["E9"].data_type = "s"  # typed as text by the person, as Excel does for '=…' text cells
    wb.save(path)
    return path


@pytest.fixture
def case(tmp_path):
    source = rejected_workbook(tmp_path / "watched" / "Ballerup" / "Tilgang 2016.xlsx")
    staged = stage_copy(tmp_path, source, REL)
    verdict = verdict_for(staged.staged)
    assert not verdict.accepted
    return staged, verdict, tmp_path / "feedback"


def write(staged, verdict, feedback, language="da"):
    return write_report(staged, verdict, feedback, language=language, now=NOW,
                        message=lambda f: render(f, language))


def table(ws) -> dict[str, list]:
    """The findings table of the Fejl sheet: rule → its rows (each a list of cells)."""
    header = next(r for r in range(1, 20) if ws.cell(r, 1).value == "Type")
    rows: dict[str, list] = {}
    for r in range(header + 1, ws.max_row + 1):
        cells = [ws.cell(r, c) for c in range(1, 9)]
        rows.setdefault(cells[7].value, []).append(cells)
    return rows


def finding(verdict: Verdict, rule: str) -> Finding:
    return next(f for f in (*verdict.errors, *verdict.warnings) if f.rule == rule)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- where ------------------------------------------------------------------------------------

def test_report_mirrors_the_watched_folders(case):
    staged, verdict, feedback = case
    written = write(staged, verdict, feedback)
    folder = feedback / "Ballerup"
    assert written == [folder / "Tilgang 2016 - FEJL.xlsx", folder / "Tilgang 2016 - FEJL.txt"]
    assert list(report_paths(REL, feedback)) == written
    assert not [p for p in feedback.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize("rel", ["../../etc/passwd.xlsx", "a/../../b.xlsx", "..\\..\\c.xlsx", "/abs/d.xlsx",
                                 "C:\\Users\\x\\e.xlsx", "f\x00\x07\n.xlsx", ".hidden/.g.xlsx", "..", ""])
def test_report_name_from_staff_is_data_never_a_path(tmp_path, rel):
    feedback = tmp_path / "feedback"
    for path in report_paths(rel, feedback):
        assert path.resolve().is_relative_to(feedback.resolve())
        assert all(part not in ("..", ".") and not part.startswith(".") for part in path.relative_to(feedback).parts)
        assert not any(ord(c) < 32 for c in str(path))
        assert path.name.endswith((" - FEJL.xlsx", " - FEJL.txt"))


@pytest.mark.parametrize("first, second", [
    ("Ballerup/Tilgang \u00c5r.xlsx", "Ballerup/Tilgang A\u030ar.xlsx"),  # NFC and NFD forms of one name
    ("a/b/c.xlsx", "a\\b..\\c.xlsx"),  # one name with backslashes, not three folders
    ("x.xlsx", "x.xlsx:stream"),  # ':' is dropped from a name on a share
    ("Budget.xlsx", "Budget.xls"),  # the rejected .xls saved again as .xlsx: both are still there
])
def test_two_paths_that_read_alike_get_two_reports_and_accepting_one_leaves_the_other(case, tmp_path, first,
                                                                                         second):
    staged, verdict, feedback = case
    one, other = write(replace(staged, rel=first), verdict, feedback), write(replace(staged, rel=second), verdict,
                                                                             feedback)
    assert len({*one, *other}) == 4 and all(p.is_file() for p in (*one, *other))
    assert [p.name for p in report_paths(second, feedback)] == [p.name for p in other]  # stable for its path
    remove_report(first, feedback, tmp_path / "archive", NOW)
    assert not any(p.exists() for p in one) and all(p.is_file() for p in other)
    write(replace(staged, rel=first), verdict, feedback)
    remove_report(second, feedback, tmp_path / "archive", NOW)
    assert all(p.is_file() for p in one) and not any(p.exists() for p in other)


def test_a_report_name_says_its_file_and_is_tagged_only_where_it_cannot(tmp_path):
    names = {rel: report_paths(rel, tmp_path)[1].name for rel in
             ["Tilgang 2016.xlsx", "Makro.xlsm", "Budget.xls", "Budget.xls.xlsx", "x.xlsx:stream",
              "Plan #0123abcd.xlsx"]}
    assert names["Tilgang 2016.xlsx"] == "Tilgang 2016 - FEJL.txt"
    assert names["Makro.xlsm"] == "Makro.xlsm - FEJL.txt"
    assert names["Budget.xls"] == "Budget.xls - FEJL.txt"
    assert re.fullmatch(r"Budget\.xls #[0-9a-f]{8} - FEJL\.txt", names["Budget.xls.xlsx"])
    assert re.fullmatch(r"x\.xlsxstream #[0-9a-f]{8} - FEJL\.txt", names["x.xlsx:stream"])
    assert re.fullmatch(r"Plan #0123abcd #[0-9a-f]{8} - FEJL\.txt", names["Plan #0123abcd.xlsx"])


# --- the annotated copy -------------------------------------------------------------------------

def test_first_sheet_is_fejl_with_title_count_and_table(case):
    staged, verdict, feedback = case
    wb = openpyxl.load_workbook(write(staged, verdict, feedback)[0])
    assert wb.sheetnames == ["Fejl", "Tilgang og afgang", "Herlev's tal", "Noter"]
    ws = wb["Fejl"]
    assert wb.active.title == "Fejl"
    assert ws["A1"].value == "Projektmappen er afvist"
    assert REL in ws["A2"].value and "03.10.2016" in ws["A2"].value
    assert ws["A3"].value.startswith(f"{len(verdict.errors)} fejl og {len(verdict.warnings)} advarsler")
    assert ws["A4"].value.startswith("Dette er en kopi med markeringer; ret i din egen fil")
    assert [c.value for c in ws[6]] == ["Type", "Ark", "Celle", "Kolonne", "Fundet værdi", "Hvad er galt",
                                        "Hvad skal du gøre", "Regel"]
    assert ws.freeze_panes == "A7"
    assert ws.auto_filter.ref == f"A6:H{6 + len(verdict.errors) + len(verdict.warnings)}"
    assert ws.column_dimensions["F"].width > 30 and ws["F7"].alignment.wrap_text


def test_errors_come_first_then_warnings_in_sheet_and_cell_order(case):
    staged, verdict, feedback = case
    ws = openpyxl.load_workbook(write(staged, verdict, feedback)[0])["Fejl"]
    rows = [[c.value for c in ws[r]] for r in range(7, ws.max_row + 1)]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("Fejl", "Tilgang og afgang", "B8:I8"),
        ("Fejl", "Herlev's tal", "C9"), ("Fejl", "Herlev's tal", "E9"), ("Fejl", "Herlev's tal", "F9"),
        ("Fejl", "Herlev's tal", "D10"),
        ("Advarsel", "Tilgang og afgang", "J8, H8"), ("Advarsel", "Tilgang og afgang", "J11, B11"),
        ("Advarsel", "Noter", None),
    ]


def test_balance_error_row_links_to_its_cell_and_reads_the_message(case):
    staged, verdict, feedback = case
    ws = openpyxl.load_workbook(write(staged, verdict, feedback)[0])["Fejl"]
    (row,) = table(ws)["tilgang.balance"]
    what, fix = parts(finding(verdict, "tilgang.balance"), "da")
    assert [c.value for c in row] == ["Fejl", "Tilgang og afgang", "B8:I8", "Ultimo", "23", what, fix,
                                      "tilgang.balance"]
    assert row[2].hyperlink.location == "'Tilgang og afgang'!B8"
    assert what == "For Krumtappen giver primo + tilgang − afgang 22, men ultimo er 23."
    assert fix == "Ret tallene, så primo + tilgang − afgang = ultimo."


def test_link_to_a_sheet_name_with_an_apostrophe_doubles_it(case):
    staged, verdict, feedback = case
    ws = openpyxl.load_workbook(write(staged, verdict, feedback)[0])["Fejl"]
    row = next(r for r in table(ws)["value.not_number"] if r[2].value == "C9")
    assert row[2].hyperlink.location == "'Herlev''s tal'!C9"
    assert row[4].value == "ca. 5"
    assert sheet_ref("Ark1", "A1") == "'Ark1'!A1"


def test_cited_cells_are_red_with_the_message_as_comment(case):
    staged, verdict, feedback = case
    wb = openpyxl.load_workbook(write(staged, verdict, feedback)[0])
    message = render(finding(verdict, "tilgang.balance"))
    for ref in BALANCE:
        cell = wb["Tilgang og afgang"][ref]
        assert cell.fill.fgColor.rgb == ERROR_FILL.fgColor.rgb, ref
        assert message in cell.comment.text
        assert cell.comment.author == "syncservice"
    herlev = wb["Herlev's tal"]["C9"]
    assert herlev.fill.fgColor.rgb == ERROR_FILL.fgColor.rgb
    assert render(finding(verdict, "value.not_number")) in herlev.comment.text
    assert herlev.value == "ca. 5"  # the person's value, untouched


def test_warning_cell_is_yellow_and_an_error_wins_on_a_shared_cell(case):
    staged, verdict, feedback = case
    ws = openpyxl.load_workbook(write(staged, verdict, feedback)[0])["Tilgang og afgang"]
    capacity = next(f for f in verdict.warnings if f.cells == ("J8", "H8"))
    assert ws["J8"].fill.fgColor.rgb == WARNING_FILL.fgColor.rgb
    assert render(capacity) in ws["J8"].comment.text
    # H8 (Krumtappen's last Afgang) is cited by the balance error and the capacity warning
    assert ws["H8"].fill.fgColor.rgb == ERROR_FILL.fgColor.rgb
    text = ws["H8"].comment.text
    assert render(finding(verdict, "tilgang.balance")) in text and render(capacity) in text
    assert text.index("Fejl:") < text.index("Advarsel:")
    assert ws["A9"].fill.fgColor.rgb != ERROR_FILL.fgColor.rgb and ws["A9"].comment is None


def test_original_and_staged_files_are_never_modified(case):
    staged, verdict, feedback = case
    before = sha256(staged.source), sha256(staged.staged)
    write(staged, verdict, feedback)
    assert (sha256(staged.source), sha256(staged.staged)) == before
    assert staged.sha256 == before[1]


def test_staff_text_that_looks_like_a_formula_stays_text(case):
    staged, verdict, feedback = case
    xlsx = write(staged, verdict, feedback)[0]
    ws = openpyxl.load_workbook(xlsx)["Fejl"]
    found = {r[2].value: r[4] for r in table(ws)["value.not_number"]}
    for ref, text in {"E9": EVIL, "D10": "+cmd", "F9": "@SUM(A1)"}.items():
        assert found[ref].value == text and found[ref].data_type == "s"
    with zipfile.ZipFile(xlsx) as z:
        names = dict(zip(openpyxl.load_workbook(xlsx).sheetnames, sorted(n for n in z.namelist()
                                                                             if n.startswith("xl/worksheets/sheet"))))
        fejl_xml = z.read(names["Fejl"]).decode()
    assert "<f>" not in fejl_xml and '<t>=HYPERLINK("http://evil","x")</t>' in fejl_xml


def test_odd_staff_text_is_written_as_plain_strings_without_crashing(tmp_path):
    path = book.save(tmp_path / "w.xlsx", book.handleplan())
    staged = stage_copy(tmp_path, path, "w.xlsx")
    odd = ["=1+1", "#N/A", "-5+3", "bell\x07 and nul\x00", "\x1b[31mred"]
    findings = tuple(Finding("value.not_number", ERROR, "Ark1", (f"C{9 + i}",), "Realiseret", v)
                     for i, v in enumerate(odd))
    xlsx = write(staged, Verdict(None, errors=findings), tmp_path / "feedback")[0]
    ws = openpyxl.load_workbook(xlsx)["Fejl"]
    values = [ws.cell(r, 5) for r in range(7, 7 + len(odd))]
    assert [c.value for c in values] == ["=1+1", "#N/A", "-5+3", "bell and nul", "[31mred"]
    assert all(c.data_type == "s" for c in values)


def test_the_persons_formulas_stay_formulas(case):
    staged, verdict, feedback = case
    wb = openpyxl.load_workbook(write(staged, verdict, feedback)[0])
    assert wb["Noter"]["A2"].data_type == "f" and wb["Noter"]["A2"].value == "=1+1"


def test_an_existing_fejl_sheet_keeps_its_name(tmp_path):
    sheets = {"fejl": [["egne noter"]], "Handleplan": book.cell(book.handleplan(), "B9", 99)}
    path = book.save(tmp_path / "w.xlsx", sheets)
    staged = stage_copy(tmp_path, path, "w.xlsx")
    wb = openpyxl.load_workbook(write(staged, verdict_for(staged.staged), tmp_path / "feedback")[0])
    assert wb.sheetnames == ["Fejl (syncservice)", "fejl", "Handleplan"]
    assert wb["fejl"]["A1"].value == "egne noter"
    assert [ws.sheet_view.tabSelected for ws in wb.worksheets] == [True, False, False]


def test_a_cell_inside_a_merged_range_marks_its_top_left_cell(tmp_path):
    path = book.save(tmp_path / "w.xlsx", book.handleplan())
    wb = openpyxl.load_workbook(path)
    wb["Ark1"].merge_cells("E3:F4")
    wb.save(path)
    staged = stage_copy(tmp_path, path, "w.xlsx")
    verdict = Verdict(None, errors=(Finding("meta.unit", ERROR, "Ark1", ("F4",), "Enhed"),))
    ws = openpyxl.load_workbook(write(staged, verdict, tmp_path / "feedback")[0])["Ark1"]
    assert ws["E3"].fill.fgColor.rgb == ERROR_FILL.fgColor.rgb and "Enheden er tom" in ws["E3"].comment.text


def test_a_hidden_sheet_with_a_finding_is_shown_and_only_the_report_tab_is_selected(tmp_path):
    path = book.save(tmp_path / "w.xlsx", {"Noter": [["noter"]], "Handleplan": book.cell(book.handleplan(), "B9", 99)})
    wb = openpyxl.load_workbook(path)
    wb["Handleplan"].sheet_state = "hidden"
    wb.active = 0
    wb.save(path)
    staged = stage_copy(tmp_path, path, "w.xlsx")
    wb = openpyxl.load_workbook(write(staged, verdict_for(staged.staged), tmp_path / "feedback")[0])
    assert wb["Handleplan"].sheet_state == "visible"
    assert [ws.sheet_view.tabSelected for ws in wb.worksheets] == [True, False, False]


def test_the_persons_own_comment_is_kept_below_the_message(tmp_path):
    path = book.save(tmp_path / "w.xlsx", book.cell(book.handleplan(), "B9", 99))
    wb = openpyxl.load_workbook(path)
    wb["Ark1"]["B9"].comment = openpyxl.comments.Comment("Tjek med Lise", "Lise")
    wb.save(path)
    staged = stage_copy(tmp_path, path, "w.xlsx")
    ws = openpyxl.load_workbook(write(staged, verdict_for(staged.staged), tmp_path / "feedback")[0])["Ark1"]
    assert ws["B9"].comment.text.startswith("Fejl: Totalen i kolonnen Mål")
    assert ws["B9"].comment.text.endswith("Kommentar i filen: Tjek med Lise")


def test_an_xlsm_comes_back_as_an_xlsx_without_macros(tmp_path):
    path = book.save(tmp_path / "Makro.xlsm", book.cell(book.handleplan(), "B9", 99))
    staged = stage_copy(tmp_path, path, "Makro.xlsm")
    xlsx, _ = write(staged, verdict_for(staged.staged), tmp_path / "feedback")
    assert xlsx.name == "Makro.xlsm - FEJL.xlsx"  # its own report, not Makro.xlsx's
    with zipfile.ZipFile(xlsx) as z:
        assert "macroEnabled" not in z.read("[Content_Types].xml").decode()
        assert not [n for n in z.namelist() if "vba" in n.lower()]


def test_ranges_write_runs_as_excel_does():
    assert ranges(BALANCE) == "B8:I8"
    assert ranges(("J8", "H8")) == "J8, H8"
    assert ranges(("C7", "C8", "C9", "E9")) == "C7:C9, E9"
    assert ranges(()) == ""


# --- the text twin ----------------------------------------------------------------------------

def test_text_twin_lists_every_finding_with_sheet_cell_and_message(case):
    staged, verdict, feedback = case
    txt = write(staged, verdict, feedback)[1]
    data = txt.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Notepad shows æøå
    text = data.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    assert "Tilgang 2016 - FEJL.xlsx" in text  # points to the marked-up copy
    for f in (*verdict.errors, *verdict.warnings):
        assert f.location in text and render(f) in text, f.rule
    assert "'Tilgang og afgang'!B8" in text and "'Herlev''s tal'!C9" in text  # quoted as Excel writes them
    assert text.index("FEJL (5)") < text.index("ADVARSLER (3)")


def test_english_report(case):
    staged, verdict, feedback = case
    write(staged, verdict, feedback)  # a Danish report first: the English one replaces it
    written = write(staged, verdict, feedback, language="en")
    assert [p.name for p in written] == ["Tilgang 2016 - ERRORS.xlsx", "Tilgang 2016 - ERRORS.txt"]
    assert sorted(p.name for p in (feedback / "Ballerup").iterdir()) == sorted(p.name for p in written)
    wb = openpyxl.load_workbook(written[0])
    ws = wb["Errors"]
    assert wb.sheetnames[0] == "Errors" and ws["A1"].value == "The workbook was rejected"
    assert [c.value for c in ws[6]][:3] == ["Type", "Sheet", "Cell"]
    (row,) = table(ws)["tilgang.balance"]
    assert row[0].value == "Error" and row[5].value.startswith("For Krumtappen, start + intake")
    text = written[1].read_text(encoding="utf-8-sig")
    assert "ERRORS (5)" in text and "Krumtappen has 22 citizens" in text
    assert wb["Tilgang og afgang"]["B8"].comment.text.startswith("Error: For Krumtappen")


# --- files that cannot be opened --------------------------------------------------------------

def test_unreadable_file_gets_a_text_report_only(tmp_path):
    source = tmp_path / "watched" / "Skade.xlsx"
    source.parent.mkdir(parents=True)
    source.write_bytes(b"PK\x03\x04 not really a zip")
    staged = stage_copy(tmp_path, source, "Skade.xlsx")
    verdict = verdict_for(staged.staged)
    assert [f.rule for f in verdict.errors] == ["file.not_workbook"]
    written = write(staged, verdict, tmp_path / "feedback")
    assert written == [tmp_path / "feedback" / "Skade - FEJL.txt"]
    text = written[0].read_text(encoding="utf-8-sig")
    assert "ingen markeret kopi" in text and "(hele filen)" in text
    assert render(verdict.errors[0]) in text
    assert "zip" not in text.lower() and "Error" not in text  # no exception text reaches the person


def test_a_workbook_openpyxl_refuses_falls_back_to_text(tmp_path):
    """No file.* error, yet openpyxl cannot open the copy: still a report, text only."""
    source = tmp_path / "x.xlsx"
    source.write_bytes(b"garbage")
    staged = stage_copy(tmp_path, source, "x.xlsx")
    verdict = Verdict(None, errors=(Finding("value.not_number", ERROR, "Ark1", ("C9",), "Mål", "ca. 5"),))
    written = write(staged, verdict, tmp_path / "feedback")
    assert [p.suffix for p in written] == [".txt"]
    assert "'Ark1'!C9" in written[0].read_text(encoding="utf-8-sig")


def test_text_only_report_removes_the_older_marked_copy(case, tmp_path):
    staged, verdict, feedback = case
    xlsx, txt = write(staged, verdict, feedback)
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"not a workbook")
    later = replace(staged, staged=garbage)
    assert write(later, verdict_for(garbage), feedback) == [txt]
    assert not xlsx.exists()


# --- when the file is fixed -------------------------------------------------------------------

def test_remove_report_moves_both_files_into_the_archive(case, tmp_path):
    staged, verdict, feedback = case
    xlsx, txt = write(staged, verdict, feedback)
    contents = xlsx.read_bytes(), txt.read_bytes()
    archive = tmp_path / "archive"
    moved = remove_report(REL, feedback, archive, NOW)
    folder = archive / "feedback" / "2016" / "10"
    assert moved == [folder / "20161003T140509Z_Tilgang 2016 - FEJL.xlsx",
                     folder / "20161003T140509Z_Tilgang 2016 - FEJL.txt"]
    assert (moved[0].read_bytes(), moved[1].read_bytes()) == contents
    assert not xlsx.exists() and not txt.exists()
    assert [p for p in feedback.rglob("*")] == []  # the emptied Ballerup folder goes too
    # a second rejection and fix in the same second: the archived names are never reused
    write(staged, verdict, feedback)
    again = remove_report(REL, feedback, archive, NOW)
    assert [p.name for p in again] == ["20161003T140509Z_Tilgang 2016 - FEJL-2.xlsx",
                                       "20161003T140509Z_Tilgang 2016 - FEJL-2.txt"]
    assert moved[0].read_bytes() == contents[0]


def test_remove_report_leaves_other_reports_alone(case, tmp_path):
    staged, verdict, feedback = case
    write(staged, verdict, feedback)
    other = replace(staged, rel="Ballerup/Andet.xlsx")
    write(other, verdict, feedback)
    remove_report(REL, feedback, tmp_path / "archive", NOW)
    assert sorted(p.name for p in (feedback / "Ballerup").iterdir()) == ["Andet - FEJL.txt", "Andet - FEJL.xlsx"]


def test_remove_report_with_nothing_to_remove(tmp_path):
    assert remove_report("Ballerup/Ny.xlsx", tmp_path / "feedback", tmp_path / "archive", NOW) == []


# --- what it looks like -------------------------------------------------------------------------

@pytest.mark.skipif(not book.SOFFICE or not shutil.which("pdftoppm"),
                    reason="LibreOffice (soffice) or poppler-utils (pdftoppm) is not installed")
def test_report_renders_in_libreoffice(case, tmp_path):
    staged, verdict, feedback = case
    xlsx = write(staged, verdict, feedback)[0]
    out = tmp_path / "pdf"
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        subprocess.run([book.SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
                        "--outdir", str(out), str(xlsx)], check=True, capture_output=True, timeout=180)
    pdf = out / (xlsx.stem + ".pdf")
    assert len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf.read_bytes())) >= 1
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(pdf), str(out / "page")],
                   check=True, capture_output=True, timeout=60)
    assert list(out.glob("page*.png"))


def test_one_finding_for_formulas_never_calculated_marks_every_cell_it_lists(tmp_path):
    rows = book.handleplan(total=["Total", "=SUM(B10:B19)", "=SUM(C10:C19)", "=SUM(D10:D19)"])
    source = book.save(tmp_path / "watched" / "hp.xlsx", {"HP": rows})
    staged = stage_copy(tmp_path, source, "hp.xlsx")
    verdict = verdict_for(staged.staged)
    (f,) = verdict.errors
    assert (f.rule, f.cells) == ("value.formula_no_cache", ("B9", "C9", "D9"))
    wb = openpyxl.load_workbook(write(staged, verdict, tmp_path / "feedback")[0])
    for ref in f.cells:
        cell = wb["HP"][ref]
        assert cell.fill.fgColor.rgb == ERROR_FILL.fgColor.rgb, ref
        assert render(f) in cell.comment.text
    (row,) = table(wb["Fejl"])["value.formula_no_cache"]
    assert row[2].value == "B9:D9"
