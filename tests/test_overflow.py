"""More figures than an Excel sheet holds (overflow.py): the table goes on on sheets Data 2…,
each says so, the log warns, and every figure is in one CSV beside the workbook. The sheet's
size is made small here (the code path is the one 1,048,575 rows take)."""

from __future__ import annotations

import csv

import openpyxl
from loguru import logger

from syncservice.outputs.consolidated import overflow
from syncservice.outputs.consolidated.workbook import DATA_COLUMNS

import book
LINES = [[f"Sted {i}", 10 + i, 1, 2, 3, 1, 2, 1, 12 + i] for i in range(30)]  # 8 figures a line


def take(pipeline, name, sheets):
    outcome = pipeline.process(book.save(pipeline.watched / name, sheets))
    assert outcome.status == "accepted", outcome


def data_rows(path, sheet="Data"):
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [list(r[:9]) for r in wb[sheet].iter_rows(values_only=True)]
    finally:
        wb.close()


def test_figures_beyond_one_sheet_go_on_on_the_next_and_all_are_in_a_csv(pipeline, monkeypatch):
    take(pipeline, "Ballerup/Tilgang.xlsx", {"TA": book.tilgang(lines=LINES)})
    take(pipeline, "Fredensborg/Handleplan.xlsx",
         {"HP": book.handleplan(amount_unit="kr.", lines=[["BPA", 10.5, 1, 2], ["Botilbud", 3, 1, 2]])})
    target = pipeline.config.path("consolidated")
    pipeline.write_summary()
    whole = data_rows(target)  # one sheet: the figures as they are
    assert not overflow.csv_path(target).exists()

    monkeypatch.setattr(overflow, "SHEET_ROWS", 100)
    said: list[str] = []
    sink = logger.add(lambda m: said.append(m.record["message"]), level="WARNING")
    try:
        pipeline._fragments = None  # as a new process: the kept rows are cut between sheets too
        pipeline.write_summary()
        pipeline.write_summary()  # and from kept rows
    finally:
        logger.remove(sink)
    total = len(whole) - 1
    assert total == 30 * 8 + 6

    wb = openpyxl.load_workbook(target)
    assert wb.sheetnames[-3:] == ["Data", "Data 2", "Data 3"]
    for number, name in enumerate(("Data", "Data 2", "Data 3"), start=1):
        ws = wb[name]
        (table,) = ws.tables.values()
        rows = min(100, total - 100 * (number - 1))
        assert (table.displayName, table.ref) == (overflow.table_name(number), f"A1:I{1 + rows}")
        note = ws["K1"].value
        assert note.startswith(f"Tal {100 * (number - 1) + 1}–{100 * (number - 1) + rows} af {total}.")
        assert "'Samlet oversigt - Data.csv'" in note and "1.048.576 rækker" in note
    assert "fortsætter på arket 'Data 2'" in wb["Data"]["K1"].value
    split = data_rows(target, "Data") + data_rows(target, "Data 2")[1:] + data_rows(target, "Data 3")[1:]
    assert split == whole  # every figure once, in order, none cut off
    assert len(said) == 2 and f"holds {total} figures" in said[0] and "Samlet oversigt - Data.csv" in said[0]

    raw = overflow.csv_path(target).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads it as UTF-8
    lines = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert lines[0] == list(DATA_COLUMNS)
    assert len(lines) == 1 + total
    assert ["Handicap og Socialpsykiatri, Fredensborg", "2015", "handleplan", "BPA", "Mål", "", "10,5",
            "Handleplan.xlsx"] == lines[1 + [r[3] for r in whole[1:]].index("BPA")][:8]

    take(pipeline, "Ballerup/Tilgang.xlsx", {"TA": book.tilgang(lines=LINES[:5])})  # fits again
    pipeline.write_summary()
    assert openpyxl.load_workbook(target).sheetnames[-1] == "Data"
    assert not overflow.csv_path(target).exists()  # never a CSV older than the workbook


def test_text_in_the_csv_is_never_a_formula(tmp_path):
    from syncservice.base.models import DataRow

    workbook = tmp_path / "Samlet oversigt.xlsx"
    overflow.beside(workbook, lambda: iter([DataRow("=HYPERLINK(\"x\")", 2016, "k", "+1", "Mål", "", 2.0, "@f", 1)]))
    (row,) = list(csv.reader(overflow.csv_path(workbook).read_text(encoding="utf-8-sig").splitlines()[1:],
                             delimiter=";"))
    assert row[0] == "'=HYPERLINK(\"x\")" and row[3] == "'+1" and row[7] == "'@f" and row[6] == "2"
