import pytest

from syncservice.base.models import ERROR, Figure, FigureColumn, Figures, Finding, quote_sheet

LINES, ROWS = ["Krumtappen", "Solsikken"], [7, 9]
COLUMNS = [FigureColumn("Primo", "", "B", (18.0, 4.0)), FigureColumn("Ultimo", "", "E", (22.0, 5.0))]


def test_figures_kept_as_columns_read_column_by_column_as_figures():
    figures = Figures(LINES, ROWS, COLUMNS)
    assert list(figures) == [
        Figure("Krumtappen", "Primo", "", 18.0, "B7", 0), Figure("Solsikken", "Primo", "", 4.0, "B9", 1),
        Figure("Krumtappen", "Ultimo", "", 22.0, "E7", 0), Figure("Solsikken", "Ultimo", "", 5.0, "E9", 1)]


def test_figures_kept_as_columns_read_line_by_line_when_the_kind_says_so():
    figures = Figures(LINES, ROWS, COLUMNS, tracks=["1", ""], by_line=True)
    expected = (
        Figure("Krumtappen", "Primo", "", 18.0, "B7", 0, "1"), Figure("Krumtappen", "Ultimo", "", 22.0, "E7", 0, "1"),
        Figure("Solsikken", "Primo", "", 4.0, "B9", 1), Figure("Solsikken", "Ultimo", "", 5.0, "E9", 1))
    assert len(figures) == 4 and tuple(figures) == expected and figures == expected
    assert figures[1] == expected[1] and figures[-1] == expected[-1] and figures[1:3] == expected[1:3]
    assert figures != Figures(LINES, ROWS, COLUMNS, tracks=["1", ""])  # the same numbers in another order
    with pytest.raises(IndexError):
        figures[4]


def test_figures_need_one_value_per_line():
    with pytest.raises(ValueError):
        Figures(LINES, ROWS, [FigureColumn("Primo", "", "B", (18.0,))])


def test_location_quotes_the_sheet_as_excel_writes_a_reference():
    def at(sheet, *cells):
        return Finding("number.invalid", ERROR, sheet, cells).location

    assert at("Tilgang og afgang", "H7") == "'Tilgang og afgang'!H7"
    assert at("Herlev's tal", "C9", "D9") == "'Herlev''s tal'!C9,D9"
    assert at("TA", "B8") == "TA!B8"
    assert at("Tilgang og afgang") == "Tilgang og afgang"  # a sheet alone is no reference
    assert at("") == ""


@pytest.mark.parametrize("name, shown", [
    ("HP", "HP"), ("Noter", "Noter"), ("Data.2016", "Data.2016"), ("_x", "_x"), ("Æbler", "Æbler"),
    ("Sheet1", "Sheet1"), ("XFE1", "XFE1"), ("R0", "R0"), ("Rabat", "Rabat"),  # not a cell Excel has
    ("Budget 2016", "'Budget 2016'"), ("Ark-1", "'Ark-1'"), ("2016", "'2016'"), (".x", "'.x'"),
    ("Ark1", "'Ark1'"), ("a1", "'a1'"), ("XFD1048576", "'XFD1048576'"),  # read as cells
    ("R", "'R'"), ("rc", "'rc'"), ("R2C3", "'R2C3'"), ("C12x", "'C12x'"),  # read as R1C1
    ("Herlev's", "'Herlev''s'"),
])
def test_quote_sheet_follows_excels_rule(name, shown):
    assert quote_sheet(name) == shown
