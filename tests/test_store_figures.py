"""The store with figures as a sheet gives them (Figures: columns, not one object per number)."""

import pytest
from test_store import NOW, accepted, message, report, staged

from syncservice.base.models import FigureColumn, Figures
from syncservice.store.db import Store, content_hash


@pytest.fixture
def store():
    s = Store.memory()
    yield s
    s.close()


def columns(by_line: bool = False, second: tuple[str, str] = ("Effekt", "2020"), lines: int = 3) -> Figures:
    """With tracks, øre, -0.0 and names JSON must escape or keep as they are."""
    names = ["Støtte i eget hjem", 'Botilbud "Solsikken"', "Æblehaven"]
    pick = [n % 3 for n in range(lines)]
    return Figures([names[i] + (f" {n}" if n >= 3 else "") for n, i in enumerate(pick)], range(7, 7 + lines),
                   [FigureColumn("Effekt", "2021", "D", tuple((-0.0, 1250.5, -3e6)[i] for i in pick)),
                    FigureColumn(*second, "C", tuple((100.0, 0.25, 7.0)[i] for i in pick))],
                   tracks=[("1", "", "4 a")[i] for i in pick], by_line=by_line)


def test_content_hash_of_figures_kept_as_columns_is_the_hash_versions_were_recorded_with():
    # json.dumps of the sorted rows, as every version so far was recorded: another hash
    # would make an unchanged report a new version
    recorded = {3: "99e8e2c606f7f2bbe8ed185b683fc4bbdc8c2a82967a821587f19e68c700dd73",
                1500: "8a5ff510e5d67923cecc4cd1e6f73508d1b2e6b47b27ee643d6573d42c4b38fc"}  # from the columns
    for lines, digest in recorded.items():
        for by_line in (False, True):
            assert content_hash(report(figs=columns(by_line, lines=lines))) == digest
            assert content_hash(report(figs=tuple(columns(by_line, lines=lines)))) == digest
    # two columns of the same metric and period sort by value, as one figure at a time did
    same = columns(second=("Effekt", "2021"), lines=1500)
    assert content_hash(report(figs=same)) == content_hash(report(figs=tuple(same)))


@pytest.mark.parametrize("by_line", [False, True])
def test_figures_kept_as_columns_are_recorded_as_tidy_rows_in_the_kinds_order(store, by_line):
    figs = columns(by_line)
    result = store.record(staged(), accepted(report(("effekt", "Herning", 2020), figs)), "a", message, NOW)
    version = result.new_versions[0]
    assert store.version_figures(version) == sorted(figs, key=lambda f: f.line_no)
    rows = store.db.execute("SELECT seq, cell, sheet FROM figures WHERE version_id = ? ORDER BY seq", [version])
    assert rows.fetchall() == [(seq, f.cell, "Tilgang og afgang") for seq, f in enumerate(figs)]
    again = store.record(staged(content="v2"), accepted(report(("effekt", "Herning", 2020), tuple(figs))), "b",
                         message, NOW)
    assert again.unchanged_reports == [("effekt", "Herning", 2020)]


def test_a_version_is_read_back_as_columns_where_its_figures_form_a_table(store):
    table = store.record(staged(), accepted(report(("effekt", "Herning", 2020), columns())), "a", message, NOW)
    assert isinstance(store.version_figures(table.new_versions[0]), Figures)  # not one object per figure
    ragged = tuple(columns(by_line=True))[:-1]  # the last line lacks a column
    other = store.record(staged("Herning/Effekt.xlsx"), accepted(report(("effekt", "Herning", 2021), ragged)), "b",
                         message, NOW)
    assert store.version_figures(other.new_versions[0]) == list(ragged)
