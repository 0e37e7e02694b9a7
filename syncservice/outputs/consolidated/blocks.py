"""An overview sheet written block by block as the figures stream past (WORKBOOKS.md §6).

Figures arrive ordered by (unit, year, line): one block per report with the file and time
of its version, one row per line, a total per block. After all blocks, per year, each
unit's total again and the grand total, and a chart of the newest year's unit totals
below them. Only one line and the totals are held, so memory grows with the number of
reports, never with the figures. What goes in a line's columns, and the chart, is up to
each kind (overviews.py). Each block's rows are a part of their own (xml_rows.py), which
a later rewrite puts in line again as long as the sheet's columns are the same
(Overview.signature, fragments.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from openpyxl.chart import BarChart
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.properties import PageSetupProperties

from syncservice.base import localtime
from syncservice.base.layout import Kind
from syncservice.base.models import DataRow, FigureShape, StoredVersion
from syncservice.base.openpyxl_private import WriteOnlyWorksheet
from syncservice.outputs.consolidated.cells import (
    AMOUNT_UNITS,
    BLOCK,
    COUNT_FORMAT,
    GRAND,
    HEADER,
    HEADER_RIGHT,
    MUTED,
    PLAIN,
    SOURCE,
    SUBTITLE,
    TITLE,
    TOTAL,
    WRAP,
    YEAR_FORMAT,
    Look,
    RawCells,
    blank,
    centred,
    local_time,
    number,
    row_height,
    text,
)
from syncservice.outputs.consolidated.fragments import Block
from syncservice.outputs.consolidated.xml_rows import SheetRows

HEADER_ROW = 4  # title, unit and time, explanation, then the column header
UNIT_TOTALS = "Totaler pr. enhed"
Values = dict[tuple[str, str], float]  # (metric, period) → value
LineKey = tuple[int, str, str]  # (version id, track, line): which line of which version


@dataclass(frozen=True)
class UnitRows:
    """Where one year's unit totals stand below the blocks: rows first..last, then the grand total."""

    year: int
    first: int
    last: int
    grand: int


@dataclass
class KindLayout:
    """What the figures of one kind need in columns, found by a first pass over the rows."""

    unit_len: int = 0
    line_len: int = 0
    source_len: int = 0
    periods: set[str] = field(default_factory=set)  # effekt: years; tilgang_afgang: 'K1'..'K4'
    tracks: bool = False  # effekt has a Spor
    places: bool = False  # tilgang_afgang has Pladser
    named_lines: bool = False  # some line has a name (else each line is a period: a budget year)
    figures: dict[tuple[str, str], None] = field(default_factory=dict)  # (metric, period) seen, in order

    @classmethod
    def of(cls, shape: FigureShape, unit: str, source: str) -> KindLayout:
        """The layout one version's figures need, from their shape (Store.figure_shapes), as see()
        would find it row by row."""
        return cls(unit_len=len(unit), line_len=shape.line_len, source_len=len(source),
                   periods={p for _, p in shape.figures if p}, tracks=shape.tracks,
                   places=any(m == "Pladser" for m, _ in shape.figures), named_lines=shape.named_lines,
                   figures=dict.fromkeys(shape.figures))

    def merge(self, other: KindLayout) -> None:
        """Add what another report's rows need (a report's layout is kept: fragments.py)."""
        self.named_lines = self.named_lines or other.named_lines
        for key in other.figures:
            self.figures.setdefault(key, None)
        self.unit_len = max(self.unit_len, other.unit_len)
        self.line_len = max(self.line_len, other.line_len)
        self.source_len = max(self.source_len, other.source_len)
        self.periods |= other.periods
        self.tracks = self.tracks or other.tracks
        self.places = self.places or other.places

    def see(self, row: DataRow) -> None:
        self.named_lines = self.named_lines or bool(row.line)
        self.figures.setdefault((row.metric, row.period), None)
        self.unit_len = max(self.unit_len, len(row.unit))
        self.line_len = max(self.line_len, len(row.line))
        self.source_len = max(self.source_len, len(row.source))
        if row.period:
            self.periods.add(row.period)
        self.tracks = self.tracks or bool(row.track)
        self.places = self.places or row.metric == "Pladser"

    @property
    def figure_keys(self) -> list[tuple[str, str]]:
        """(metric, period) pairs seen: metrics in the order first seen, each metric's periods sorted."""
        metrics = list(dict.fromkeys(m for m, _ in self.figures))
        return sorted(self.figures, key=lambda k: (metrics.index(k[0]), len(k[1]), k[1]))

    def sorted_periods(self) -> list[str]:
        return sorted(self.periods, key=lambda p: (len(p), p))  # '2020' < '2021'; 'K1' < 'K4'


def width(longest: int, low: int, high: int) -> int:
    return max(low, min(high, longest + 2))


class Overview:
    """One overview sheet. Subclasses (one per shape, summary_overviews.py) say which columns
    a line has and what goes in them; the kind's OverviewSheet says the words."""

    def __init__(self, wb: Workbook, kind: Kind, layout: KindLayout, versions: dict[int, StoredVersion], *,
                 amount_unit: str, now: dt.datetime, folder: Path) -> None:
        self.kind = kind
        self.sheet = kind.shown_overview()
        self.sheet_title, self.title, self.explanation = self.sheet.sheet_title, self.sheet.title, self.sheet.explanation
        self.empty, self.line_label = self.sheet.empty, self.sheet.line_label
        self.ws = wb.create_sheet(self.sheet_title)
        self.rows = SheetRows(self.ws, folder)  # every row goes through here, as XML: xml_rows.py
        self.cells = RawCells(self.ws)
        self.closed: Block | None = None  # the block last ended
        self.layout = layout
        self.versions = versions
        self.amount_unit = amount_unit
        self.divisor, self.amount_format = AMOUNT_UNITS[amount_unit]
        self.row = 0
        self.block: tuple[str, int] | None = None
        self.version_id = 0  # of the block being written
        self.line: tuple[int, str, str] | None = None
        self.values: Values = {}
        self.block_sum: Values = {}
        self.year_sum: dict[int, Values] = {}
        self.unit_sums: list[tuple[str, int, Values]] = []  # one per block: (unit, year, its total)
        self.last_block_row = 0
        self.labels_at = 2  # Enhed, År, then the label columns, then the figures
        line_labels = self.label_columns()
        self.label_widths = [w for _, w in line_labels]
        unit = ("Enhed", width(layout.unit_len, 14, 40))  # 14 fits 'Alle enheder' in bold
        labels, figures = [unit, ("År", 7), *line_labels], self.figure_columns()
        self.ncols = len(labels) + len(figures)
        self.table_width = sum(w for _, w in (*labels, *figures))  # in column-width units
        self._frame(labels, figures, now)

    # --- what a subclass says ---------------------------------------------------------------
    def label_columns(self) -> list[tuple[str, float]]:
        return [(self.line_label, width(self.layout.line_len, 14, 50))]

    def labels(self, line: str, track: str) -> list[str]:
        return [line]

    def figure_columns(self) -> list[tuple[str, float]]:
        raise NotImplementedError

    def figures(self, values: Values, look: Look, line: LineKey | None = None) -> list:
        """The figure cells of a line (`line` says which) or of a total (`line` is None)."""
        raise NotImplementedError

    def subtitle(self) -> str:
        return self.sheet.subtitle or f"Beløb i {self.amount_unit}"

    def explain(self) -> str:
        """The line under the subtitle: how to read the figures."""
        return self.explanation

    def conditional_formatting(self, first: int, last: int) -> None:
        """Colours that depend on values; none by default."""

    def chart(self, rows: UnitRows) -> BarChart | None:
        """A chart of the newest year's unit totals (rows), or None."""
        return None

    # --- streaming ----------------------------------------------------------------------------
    def add(self, r: DataRow) -> None:
        if (r.unit, r.year) != self.block:
            self._end_block()
            self._begin_block(r)
        key = (r.line_no, r.line, r.track)
        if key != self.line:
            self._flush_line()
            self.line = key
        cell = (r.metric, r.period)
        self.values[cell] = self.values.get(cell, 0.0) + r.value

    def close(self) -> None:
        self._end_block()
        if not self.year_sum:
            self._append([text(self.cells, self.empty, SUBTITLE)])
            return
        last_col = get_column_letter(self.ncols)
        self.ws.auto_filter.ref = f"A{HEADER_ROW}:{last_col}{self.last_block_row}"
        if not self.unit_totals():
            self.conditional_formatting(HEADER_ROW + 1, self.row)
            return
        # Below the filter range, so a filter never hides them: per year, each unit's total
        # again, one after the other (what the chart reads), then the grand total. Printed
        # from a new page, so the totals and the chart stay together, the chart in one piece.
        self.ws.row_breaks.append(Break(id=self.row))
        self._append([text(self.cells, UNIT_TOTALS, BLOCK)])
        newest: UnitRows | None = None
        for year in sorted(self.year_sum):
            first = self.row + 1
            for unit, _, values in (t for t in self.unit_sums if t[1] == year):
                self._append(self._total_row(unit, year, "I alt", values, PLAIN))
            newest = UnitRows(year, first, self.row, self.row + 1)
            self._append(self._total_row("Alle enheder", year, "I alt, alle enheder", self.year_sum[year], GRAND))
        self.conditional_formatting(HEADER_ROW + 1, self.row)
        chart = self.chart(newest) if newest else None
        if chart is not None:
            self.ws.add_chart(chart, f"A{self.row + 2}")  # below everything written: it covers no figure

    # --- helpers for subclasses ---------------------------------------------------------------
    def amount(self, kroner: float | None, look: Look):
        return number(self.cells, None if kroner is None else kroner / self.divisor, self.amount_format, look)

    def count(self, persons: float | None, look: Look):
        return number(self.cells, persons, COUNT_FORMAT, look)

    def figure_letter(self, index: int) -> str:
        """Column letter of figure column `index` (0-based, after the label columns)."""
        return get_column_letter(self.figure_column(index))

    def figure_column(self, index: int) -> int:
        """Column number (1-based) of figure column `index` (0-based, after the label columns)."""
        return self.labels_at + len(self.label_widths) + index + 1

    # --- internals ----------------------------------------------------------------------------
    def _frame(self, labels: list[tuple[str, float]], figures: list[tuple[str, float]], now: dt.datetime) -> None:
        """Everything openpyxl's write-only mode writes before the first row: widths, panes, page."""
        ws = self.ws
        for i, (_, w) in enumerate([*labels, *figures], start=1):
            ws.column_dimensions[get_column_letter(i)].width = w
        ws.freeze_panes = f"A{HEADER_ROW + 1}"
        landscape(ws, title_rows=f"{HEADER_ROW}:{HEADER_ROW}")
        cells = self.cells
        self._append([text(cells, self.title, TITLE)])
        self._append([text(cells, f"{self.subtitle().rstrip('.')}. Opdateret {local_time(now.isoformat())}.",
                           SUBTITLE)])
        self._append([text(cells, self.explain(), SUBTITLE)])
        self._append([*(text(cells, name, centred(HEADER) if name == "År" else HEADER) for name, _ in labels),
                      *(text(cells, name, centred(HEADER) if name == "Status" else HEADER_RIGHT)
                        for name, _ in figures)], height=32)
        self.header = [*labels, *figures]

    @cached_property
    def signature(self) -> str:
        """What every block's rows depend on besides its own report: the columns and how
        figures are shown (a kept block is reused only under the same signature)."""
        layout = self.layout
        return repr((type(self).__name__, self.kind.name, self.header, self.label_widths, self.amount_unit,
                     sorted(layout.periods), layout.tracks, layout.places, layout.named_lines,
                     sorted(layout.figures), str(localtime.zone())))

    def _append(self, cells: list, height: float | None = None) -> None:
        self.row += 1
        self.rows.append(cells, height)

    def _begin_block(self, r: DataRow) -> None:
        self.block = (r.unit, r.year)
        self.version_id = r.version_id
        self.rows.begin_part()
        self._append([text(self.cells, r.unit, BLOCK), number(self.cells, r.year, YEAR_FORMAT, centred(BLOCK)),
                      text(self.cells, self._source(r), SOURCE)])

    def _source(self, r: DataRow) -> str:
        v = self.versions.get(r.version_id)
        if v is None:
            return f"Kilde: {r.source}, version {r.version_id}"
        parts = [f"Kilde: {v.file_name}", f"gemt {local_time(v.saved_at)}", f"version {v.shown}"]
        if v.as_of:
            parts.append(f"opgjort pr. {_date(v.as_of)}")
        if v.through and self.kind.through is not None:  # its own words: 'til og med K3'
            parts.append(self.kind.through.text(v.through, "da"))
        return ", ".join(parts)

    def _flush_line(self) -> None:
        if self.line is None:
            return
        _, line, track = self.line
        unit, year = self.block  # type: ignore[misc]
        self.write_line(unit, year, self.labels(line, track), self.values, (self.version_id, track, line))
        _add_into(self.block_sum, self.values)
        self.line, self.values = None, {}

    def write_line(self, unit: str, year: int, labels: list[str], values: Values, key: LineKey) -> None:
        """One line of a block, as the figures came."""
        height = row_height(list(zip(labels, self.label_widths)))
        cells = self.cells
        self._append([text(cells, unit, MUTED), number(cells, year, YEAR_FORMAT, centred(MUTED)),
                      *(text(cells, label, WRAP) for label in labels), *self.figures(values, WRAP, key)], height)

    def finish_block(self) -> Block | None:
        """End the block being written (a report's last figure has come): its rows and sums."""
        self._end_block()
        return self.closed

    def reuse(self, block: Block) -> None:
        """Put a block kept from an earlier rewrite (same signature) in line, as if written now."""
        self._end_block()
        self.rows.add_part(block.part)
        self.row += block.part.rows
        self._after_block(block)

    def _end_block(self) -> None:
        if self.block is None:
            return
        self._flush_line()
        unit, year = self.block
        self.end_block(unit, year)
        self.closed = Block(self.rows.end_part(), unit, year, self.block_sum)
        self._after_block(self.closed)

    def _after_block(self, block: Block) -> None:
        self.last_block_row = self.row
        self._append([])  # a blank row between blocks, not part of either
        _add_into(self.year_sum.setdefault(block.year, {}), block.sums)
        self.unit_sums.append((block.unit, block.year, block.sums))
        self.block, self.block_sum = None, {}

    def unit_totals(self) -> bool:
        """Whether each unit's total, and all units', stand below the blocks: where lines add up."""
        return self.kind.adds_up

    def end_block(self, unit: str, year: int) -> None:
        """The block's last row: its total where the kind's lines add up (Kind.adds_up)."""
        if self.kind.adds_up:
            self._append(self._total_row(unit, year, "I alt", self.block_sum, TOTAL))

    def _total_row(self, unit: str, year: int, label: str, values: Values, look: Look) -> list:
        labels = [*(blank(self.cells, look) for _ in self.label_widths[1:]), text(self.cells, label, look)]
        cells = [text(self.cells, unit, look), number(self.cells, year, YEAR_FORMAT, centred(look)), *labels,
                 *self.figures(values, look)]
        return [blank(self.cells, look) if c is None else c for c in cells]


def landscape(ws: WriteOnlyWorksheet, *, title_rows: str) -> None:
    """Print on A4 landscape, one page wide, repeating the header rows on every page."""
    ws.print_title_rows = title_rows
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)


def _add_into(total: Values, values: Values) -> None:
    for key, value in values.items():
        total[key] = total.get(key, 0.0) + value


def _date(iso: str) -> str:
    try:
        return dt.date.fromisoformat(iso[:10]).strftime("%d.%m.%Y")
    except ValueError:
        return iso
