"""The overview sheets of the three kinds: Handleplan, Effekt, Tilgang og afgang.

Each says which columns a line has, what goes in them, which colours depend on values and
what its chart shows; summary_blocks.Overview does the blocks, totals, layout and streaming.
"""

from __future__ import annotations

from functools import cached_property

from openpyxl.chart import BarChart
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Font, PatternFill

from syncservice.summary_blocks import HEADER_ROW, LineKey, Overview, UnitRows, Values, width
from syncservice.summary_cells import GREEN, PERCENT_FORMAT, RED, YELLOW, Look, blank, centred, number, text
from syncservice.summary_charts import add_series, bar_chart, set_categories

STATUS_WORDS = ((GREEN, "Grøn"), (YELLOW, "Gul"), (RED, "Rød"))
AXIS_FORMAT = "#,##0"  # whole numbers on a chart's value axis, whatever the table shows
MAX_SERIES = 10  # above this many units, the effekt chart shows all units as one series


class HandleplanOverview(Overview):
    kind = "handleplan"
    sheet_title = "Handleplan"
    title = "Handleplan: mål, realiseret og forventet besparelse"
    explanation = ("Afvigelse til mål = Mål − Forventet. Opnået % = Forventet / Mål. "
                   "Status: Grøn ved mindst 100 %, Gul ved mindst 75 %, ellers Rød.")
    empty = "Ingen handleplaner er modtaget endnu."
    line_label = "Område"
    FIGURES = ("Mål", "Realiseret", "Forventet", "Afvigelse til mål", "Opnået %", "Status")

    def figure_columns(self) -> list[tuple[str, float]]:
        return [(name, 10 if name == "Status" else 13) for name in self.FIGURES]

    def figures(self, values: Values, look: Look, line: LineKey | None = None) -> list:
        target, realised, expected = (values.get((m, "")) for m in ("Mål", "Realiseret", "Forventet"))
        gap = None if target is None or expected is None else target - expected
        share = None if not target or expected is None else expected / target
        return [self.amount(target, look), self.amount(realised, look), self.amount(expected, look),
                self.amount(gap, look), number(self.ws, share, PERCENT_FORMAT, look),
                text(self.ws, traffic_light(share), centred(look))]

    def conditional_formatting(self, first: int, last: int) -> None:
        share, status = self.figure_letter(4), self.figure_letter(5)
        cf = self.ws.conditional_formatting
        top = f"{share}{first}"
        for (fill, font), test in ((GREEN, f"{top}>=1"), (YELLOW, f"AND({top}>=0.75,{top}<1)"),
                                   (RED, f"{top}<0.75")):
            cf.add(f"{share}{first}:{share}{last}",
                   FormulaRule(formula=[f"AND(ISNUMBER({top}),{test})"], **_colours(fill, font)))
        status_colours(self, f"{status}{first}:{status}{last}")

    def chart(self, rows: UnitRows) -> BarChart:
        chart = bar_chart(f"Mål, realiseret og forventet pr. enhed, {rows.year} ({self.amount_unit})",
                          AXIS_FORMAT, table_width=self.table_width)
        for index, name in enumerate(("Mål", "Realiseret", "Forventet")):
            column = self.figure_column(index)
            add_series(chart, self.ws, title=name, rows=(rows.first, rows.last), cols=(column, column))
        set_categories(chart, self.ws, rows=(rows.first, rows.last), cols=(1, 1))
        return chart


class EffektOverview(Overview):
    kind = "effekt"
    sheet_title = "Effekt"
    title = "Forventet økonomisk effekt pr. tiltag"
    explanation = "Negative beløb er besparelser. År er indberetningens år; kolonnerne er de år, effekten gælder."
    empty = "Ingen opgørelser af økonomisk effekt er modtaget endnu."
    line_label = "Tiltag"

    @cached_property
    def statuses(self) -> dict[LineKey, str]:
        """(version, track, initiative) → 'Grøn', 'Gul' or 'Rød', as each version's sheet said."""
        return {(v.version_id, track or "", line): word for v in self.versions.values() if v.kind == self.kind
                for track, line, word in v.extra.get("status", ())}

    def explain(self) -> str:
        status = " Status er enhedens egen vurdering af tiltaget." if self.statuses else ""
        return self.explanation + status

    def label_columns(self) -> list[tuple[str, float]]:
        tiltag = (self.line_label, width(self.layout.line_len, 14, 60))
        return [("Spor", 7), tiltag] if self.layout.tracks else [tiltag]

    def labels(self, line: str, track: str) -> list[str]:
        return [track, line] if self.layout.tracks else [line]

    def figure_columns(self) -> list[tuple[str, float]]:
        status = [("Status", 10)] if self.statuses else []
        return [*((year, 12) for year in self.layout.sorted_periods()), *status]

    def figures(self, values: Values, look: Look, line: LineKey | None = None) -> list:
        cells = [self.amount(values.get(("Effekt", year)), look) for year in self.layout.sorted_periods()]
        if self.statuses:
            word = self.statuses.get(line) if line else None
            cells.append(text(self.ws, word, centred(look)) if word else blank(self.ws, centred(look)))
        return cells

    def conditional_formatting(self, first: int, last: int) -> None:
        if self.statuses:
            status = self.figure_letter(len(self.layout.periods))
            status_colours(self, f"{status}{first}:{status}{last}")

    def chart(self, rows: UnitRows) -> BarChart:
        """Effect per year, one stacked series per unit (all units as one when there are many)."""
        chart = bar_chart(f"Forventet økonomisk effekt pr. år, indberetninger for {rows.year} ({self.amount_unit})",
                          AXIS_FORMAT, table_width=self.table_width, stacked=True)
        years = (self.figure_column(0), self.figure_column(len(self.layout.periods) - 1))
        units = range(rows.first, rows.last + 1) if rows.last - rows.first < MAX_SERIES else [rows.grand]
        for row in units:
            add_series(chart, self.ws, title=(row, 1), rows=(row, row), cols=years)
        set_categories(chart, self.ws, rows=(HEADER_ROW, HEADER_ROW), cols=years)
        return chart


class TilgangOverview(Overview):
    kind = "tilgang_afgang"
    sheet_title = "Tilgang og afgang"
    title = "Tilgang og afgang på dagtilbud"
    explanation = "Nettoændring = Ultimo − Primo. Kvartaler uden tal i en opgørelse er tomme."
    empty = "Ingen opgørelser af tilgang og afgang er modtaget endnu."
    line_label = "Dagtilbud"

    def subtitle(self) -> str:
        return "Antal borgere"

    def figure_columns(self) -> list[tuple[str, float]]:
        quarters = [(f"{q} {what}", 9) for q in self.layout.sorted_periods() for what in ("tilgang", "afgang")]
        places = [("Pladser", 9)] if self.layout.places else []
        return [("Primo", 9), *quarters, ("Ultimo", 9), ("Netto-ændring", 10), *places]

    def figures(self, values: Values, look: Look, line: LineKey | None = None) -> list:
        start, end = values.get(("Primo", "")), values.get(("Ultimo", ""))
        cells = [self.count(start, look)]
        for q in self.layout.sorted_periods():
            cells += [self.count(values.get(("Tilgang", q)), look), self.count(values.get(("Afgang", q)), look)]
        cells += [self.count(end, look), self.count(None if start is None or end is None else end - start, look)]
        if self.layout.places:
            cells.append(self.count(values.get(("Pladser", "")), look))
        return cells

    def chart(self, rows: UnitRows) -> BarChart:
        chart = bar_chart(f"Primo og ultimo pr. enhed, {rows.year} (antal borgere)", AXIS_FORMAT,
                          table_width=self.table_width, from_zero=True)
        ultimo = 1 + 2 * len(self.layout.periods)  # after Primo and each quarter's pair
        for name, index in (("Primo", 0), ("Ultimo", ultimo)):
            column = self.figure_column(index)
            add_series(chart, self.ws, title=name, rows=(rows.first, rows.last), cols=(column, column))
        set_categories(chart, self.ws, rows=(rows.first, rows.last), cols=(1, 1))
        return chart


OVERVIEWS: tuple[type[Overview], ...] = (HandleplanOverview, EffektOverview, TilgangOverview)


def traffic_light(share: float | None) -> str:
    """Forventet / Mål → 'Grøn' (≥ 100 %), 'Gul' (≥ 75 %), 'Rød'; '' without a target."""
    if share is None:
        return ""
    if share >= 1 - 1e-9:
        return "Grøn"
    return "Gul" if share >= 0.75 - 1e-9 else "Rød"


def status_colours(overview: Overview, cells: str) -> None:
    """Traffic-light colours on a range of 'Grøn' / 'Gul' / 'Rød' texts."""
    for (fill, font), word in STATUS_WORDS:
        overview.ws.conditional_formatting.add(
            cells, CellIsRule(operator="equal", formula=[f'"{word}"'], **_colours(fill, font)))


def _colours(fill: str, font: str) -> dict:
    return {"fill": PatternFill("solid", fgColor=fill, bgColor=fill), "font": Font(color=font)}
