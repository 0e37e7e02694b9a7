"""The shapes of an overview sheet, one class each, picked by a kind's OverviewSheet.shape:
'target' (target, realised, expected, gap and share), 'years' (a column per year, with a
status), 'flow' (start, intake and outflow per quarter, end), 'revisions' (the latest
revision and its change), and 'generic' (a column per figure, from the kind's columns).

Each says which columns a line has, what goes in them, which colours depend on values and
what its chart shows; summary_blocks.Overview does the blocks, totals, layout and streaming;
the kind's module says the words (title, explanation, labels).
"""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property

from openpyxl.chart import BarChart
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill

from syncservice.base.layout import Kind
from syncservice.base.models import DataRow
from syncservice.outputs.consolidated.blocks import HEADER_ROW, LineKey, Overview, UnitRows, Values, width
from syncservice.outputs.consolidated.cells import (
    GREEN,
    MUTED,
    PERCENT_FORMAT,
    RED,
    TOTAL,
    YELLOW,
    Look,
    blank,
    centred,
    number,
    text,
)
from syncservice.outputs.consolidated.charts import add_series, bar_chart, set_categories

STATUS_WORDS = ((GREEN, "Grøn"), (YELLOW, "Gul"), (RED, "Rød"))
AXIS_FORMAT = "#,##0"  # whole numbers on a chart's value axis, whatever the table shows
NOT_COMPUTED = replace(MUTED, alignment=Alignment(horizontal="right", vertical="top"))  # 'Ej opgjort' in a figure's place
MAX_SERIES = 10  # above this many units, a years chart shows all units as one series


class TargetOverview(Overview):
    """Target, realised and expected per line, the gap to target and a traffic light."""

    FIGURES = ("Mål", "Realiseret", "Forventet", "Afvigelse til mål", "Opnået %", "Status")

    def figure_columns(self) -> list[tuple[str, float]]:
        return [(name, 10 if name == "Status" else 13) for name in self.FIGURES]

    def figures(self, values: Values, look: Look, line: LineKey | None = None) -> list:
        target, realised, expected = (values.get((m, "")) for m in ("Mål", "Realiseret", "Forventet"))
        gap = None if target is None or expected is None else target - expected
        share = None if not target or expected is None else expected / target
        return [self.amount(target, look), self.amount(realised, look), self.amount(expected, look),
                self.amount(gap, look), number(self.cells, share, PERCENT_FORMAT, look),
                text(self.cells, traffic_light(share), centred(look))]

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


class YearsOverview(Overview):
    """An amount per year per line (the kind's YearColumns metric), with the line's own status if any."""

    @cached_property
    def statuses(self) -> dict[LineKey, str]:
        """(version, track, initiative) → 'Grøn', 'Gul' or 'Rød', as each version's sheet said."""
        return {(v.version_id, track or "", line): word for v in self.versions.values() if v.kind == self.kind.name
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
        metric = self.kind.years.metric if self.kind.years else ""
        cells = [self.amount(values.get((metric, year)), look) for year in self.layout.sorted_periods()]
        if self.statuses:
            word = self.statuses.get(line) if line else None
            cells.append(text(self.cells, word, centred(look)) if word else blank(self.cells, centred(look)))
        return cells

    def conditional_formatting(self, first: int, last: int) -> None:
        if self.statuses:
            status = self.figure_letter(len(self.layout.periods))
            status_colours(self, f"{status}{first}:{status}{last}")

    def chart(self, rows: UnitRows) -> BarChart:
        """Effect per year, one stacked series per unit (all units as one when there are many)."""
        chart = bar_chart(f"{self.title} pr. år, indberetninger for {rows.year} ({self.amount_unit})",
                          AXIS_FORMAT, table_width=self.table_width, stacked=True)
        years = (self.figure_column(0), self.figure_column(len(self.layout.periods) - 1))
        units = range(rows.first, rows.last + 1) if rows.last - rows.first < MAX_SERIES else [rows.grand]
        for row in units:
            add_series(chart, self.ws, title=(row, 1), rows=(row, row), cols=years)
        set_categories(chart, self.ws, rows=(HEADER_ROW, HEADER_ROW), cols=years)
        return chart


class FlowOverview(Overview):
    """Start, intake and outflow per quarter, end and net change per line: counts of people."""

    @property
    def flows(self) -> tuple[str, str]:
        """The intake and outflow metrics: 'Tilgang', 'Afgang'."""
        quarters = self.kind.quarters
        return (quarters.intake_metric, quarters.outflow_metric) if quarters else ("", "")

    def figure_columns(self) -> list[tuple[str, float]]:
        quarters = [(f"{q} {what.lower()}", 9) for q in self.layout.sorted_periods() for what in self.flows]
        places = [("Pladser", 9)] if self.layout.places else []
        return [("Primo", 9), *quarters, ("Ultimo", 9), ("Netto-ændring", 10), *places]

    def figures(self, values: Values, look: Look, line: LineKey | None = None) -> list:
        start, end = values.get(("Primo", "")), values.get(("Ultimo", ""))
        cells = [self.count(start, look)]
        for q in self.layout.sorted_periods():
            cells += [self.count(values.get((flow, q)), look) for flow in self.flows]
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


class GenericOverview(Overview):
    """A column per figure, as the kind's figures come: per (metric, period), headed by the
    period alone where the kind has one metric. Lines without a name (one per period, as
    a row per budget year) are named by their period and get a column per metric."""

    def figure_columns(self) -> list[tuple[str, float]]:
        # a long metric ('Realiseret, oprindelige borgere') in two lines of the header row
        return [(name, width((len(name) + 1) // 2 + 2, 11, 20)) for name, _ in self.shown()]

    def label_columns(self) -> list[tuple[str, float]]:
        if not self.layout.named_lines:
            return [(self.line_label or "Periode", 10)]
        return super().label_columns()

    def add(self, r: DataRow) -> None:
        if not self.layout.named_lines:
            r = replace(r, line=r.period, period="")  # one line per period: the period names it
        super().add(r)

    def shown(self) -> list[tuple[str, tuple[str, str]]]:
        """(header, (metric, period)) of each figure column, in the order the kind gives them."""
        # the metrics in the order of the kind's columns, any other after them as first seen
        order = [c.metric for c in self.kind.columns if c.metric]
        pairs = sorted(self.layout.figure_keys, key=lambda k: order.index(k[0]) if k[0] in order else len(order))
        if not self.layout.named_lines:
            return [(m, (m, "")) for m in dict.fromkeys(m for m, _ in pairs)]
        one = len({m for m, _ in pairs}) == 1
        return [((p if one and p else f"{m} {p}".strip()), (m, p)) for m, p in pairs]

    @cached_property
    def marked(self) -> dict[tuple[int, str, str, str], str]:
        """(version, line, metric, period) → the words a cell said instead of a figure
        ('Ej opgjort'), as each version's report kept them (Kind.not_computed)."""
        out = {}
        for v in self.versions.values():
            if v.kind != self.kind.name:
                continue
            for line, metric, period, words in v.extra.get("not_computed", ()):
                key = (line, metric, period) if self.layout.named_lines else (period, metric, "")
                out[(v.version_id, *key)] = words
        return out

    def figures(self, values: Values, look: Look, line: LineKey | None = None) -> list:
        counts = {c.metric for c in self.kind.columns if c.type == "count" and c.metric}
        cells = []
        for _, key in self.shown():
            words = self.marked.get((line[0], line[2], *key)) if line and key not in values else None
            if words:
                cells.append(text(self.cells, words, NOT_COMPUTED))
            else:
                cells.append(self.count(values.get(key), look) if key[0] in counts else self.amount(values.get(key), look))
        return cells


class RevisionsOverview(GenericOverview):
    """Lines that revise one estimate (follow-ups): per block the latest line, and its change
    from the line before; the unit totals below add up each unit's latest."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kept: list[tuple[str, Values]] = []  # (name, values) of the block's last two lines

    def label_columns(self) -> list[tuple[str, float]]:
        # room for 'Ændring fra 2. opfølgning 2016' as well as the line's own name
        return [(self.line_label, width(self.layout.line_len + 12, 14, 50))]

    def write_line(self, unit: str, year: int, labels: list[str], values: Values, key: LineKey) -> None:
        self.kept = [*self.kept[-1:], (labels[-1], dict(values))]

    def unit_totals(self) -> bool:
        return True

    def end_block(self, unit: str, year: int) -> None:
        if not self.kept:
            return
        name, latest = self.kept[-1]
        super().write_line(unit, year, [f"Seneste: {name}"], latest, (self.version_id, "", name))
        if len(self.kept) > 1:
            before_name, before = self.kept[0]
            change = {k: v - before.get(k, 0.0) for k, v in latest.items() if k in before}
            self._append(self._total_row(unit, year, f"Ændring fra {before_name}", change, TOTAL))
        self.block_sum.clear()
        self.block_sum.update(latest)  # what the unit totals below add up: each unit's latest
        self.kept = []


SHAPES: dict[str, type[Overview]] = {"target": TargetOverview, "years": YearsOverview, "flow": FlowOverview,
                                     "revisions": RevisionsOverview, "generic": GenericOverview}


def overview_of(kind: Kind) -> type[Overview]:
    """The class that lays out `kind`'s overview sheet, by the shape it declares."""
    return SHAPES[kind.shown_overview().shape]


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
