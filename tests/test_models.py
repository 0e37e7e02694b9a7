import pytest

from syncservice.models import Figure, FigureColumn, Figures

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
