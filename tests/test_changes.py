"""Rules across versions, on figures kept as columns (as a sheet's and a stored version's are):
the same warnings, in the same order, as comparing one Figure at a time."""

import math

import pytest

from schemas.handleplan import realised_decreased
from schemas.tilgang_afgang import start_vs_last_end
from syncservice import changes, messages
from syncservice.models import FigureColumn, Figures, Report, StoredVersion

PREVIOUS = StoredVersion(7, "tilgang_afgang", "Ballerup", 2016, 1, "Ballerup/Tilgang.xlsx", "Tilgang.xlsx",
                         "Tilgang og afgang", "", "", "", "", through=4)


def flows(lines: list[str], primo: list[float], k1_in: list[float], ultimo: list[float], by_line: bool = True,
          tracks: list[str] | None = None) -> Figures:
    return Figures(lines, range(8, 8 + len(lines)),
                   [FigureColumn("Primo", "", "B", tuple(primo)), FigureColumn("Tilgang", "K1", "C", tuple(k1_in)),
                    FigureColumn("Ultimo", "", "K", tuple(ultimo))], tracks=tracks, by_line=by_line)


def report(figures: Figures, kind: str = "tilgang_afgang") -> Report:
    return Report(kind, "Ballerup", 2017, "Tilgang og afgang", figures)


def found(findings):
    """As a Danish reader sees them: figures written 4,5."""
    return [(f.rule, f.cells, messages.shown_value(f), messages.figure_params(f)) for f in findings]


def both_ways(rule, new: Figures, old: Figures, kind: str = "tilgang_afgang"):
    """The rule's findings on columns, after checking they are those on Figure objects."""
    by_columns = found(rule(report(new, kind), PREVIOUS, old))
    assert by_columns == found(rule(report(tuple(new), kind), PREVIOUS, list(old)))
    return by_columns


OLD = flows(["Krumtappen", "Solsikken", "Æblehaven"], [10, 20, 30], [1, 2, 3], [11, 22, 33])


def test_a_changed_quarter_figure_is_found_at_its_cell_with_old_and_new():
    new = flows(["Krumtappen", "SOLSIKKEN", "Æblehaven"], [10, 21, 30], [1, 2, 4.5], [99, 99, 99])
    assert both_ways(changes.changed_figures, new, OLD) == [
        ("change.figure", ("B9",), "21", {"line": "SOLSIKKEN", "period": "", "old": "20", "new": "21", "version": 7}),
        ("change.figure", ("C10",), "4,5", {"line": "Æblehaven", "period": "K1", "old": "3", "new": "4,5",
                                            "version": 7})]  # Ultimo moves every quarter: not compared


@pytest.mark.parametrize("by_line", [True, False])
def test_lines_moved_added_or_dropped_are_matched_by_name(by_line):
    new = flows(["Ny linje", "Æblehaven", "Krumtappen"], [5, 30, 12], [0, 4, 1], [5, 34, 13], by_line=by_line)
    # in the sheet's own order of figures: line by line, or column by column
    assert [f[1] for f in both_ways(changes.changed_figures, new, OLD)] == (
        [("C9",), ("B10",)] if by_line else [("B10",), ("C9",)])


def test_a_name_twice_or_an_unreadable_old_value_is_compared_as_before():
    twice = flows(["Krumtappen", "krumtappen"], [10, 12], [1, 1], [11, 13])
    assert len(both_ways(changes.changed_figures, twice, OLD)) == 1  # the last of the two, as a dict keeps it
    nan_old = flows(["Krumtappen"], [math.nan], [1], [11])
    assert both_ways(changes.changed_figures, flows(["Krumtappen"], [12], [1], [13]), nan_old) == []


def test_effekt_tracks_keep_lines_of_the_same_name_apart():
    old = Figures(["Tiltag", "Tiltag"], [5, 6], [FigureColumn("Effekt", "2021", "C", (1.0, 2.0))], tracks=["1", "2"])
    new = Figures(["Tiltag", "Tiltag"], [5, 6], [FigureColumn("Effekt", "2021", "C", (1.0, 3.0))], tracks=["1", "2"])
    assert [f[1] for f in both_ways(changes.changed_figures, new, old, "effekt")] == [("C6",)]


def test_realised_going_down_on_columns():
    old = Figures(["Bolig", "Job"], [7, 8], [FigureColumn("Realiseret", "", "C", (100.0, 50.0))])
    new = Figures(["Bolig", "Job"], [7, 8], [FigureColumn("Realiseret", "", "C", (90.0, 60.0))])
    assert both_ways(realised_decreased, new, old, "handleplan") == [
        ("change.realised_decreased", ("C7",), "90", {"line": "Bolig", "old": "100", "new": "90"})]


def test_start_differs_from_last_years_end_on_columns():
    new = flows(["krumtappen", "Solsikken", "Ny"], [11, 20, 4], [0, 0, 0], [11, 20, 4])
    assert both_ways(start_vs_last_end, new, OLD) == [
        ("change.start_vs_last_end", ("B9",), "20", {"line": "Solsikken", "end": "22", "year": 2016})]
