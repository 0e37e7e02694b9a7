"""A ready-to-fill workbook of one kind, made by the service itself (WORKBOOKS.md §1–4).

    Kind + unit + year (+ the store's current versions) → plan() → Plan → template_sheet.write() → .xlsx

What goes where is decided here; template_sheet.py lays it out. The table's columns
come from the kind's declaration (schemas/), so a new kind gets a template too. Where
the store holds the report already (this year's, else last year's), its lines are
pre-filled; for a flow table (quarters) also each line's start count, from last
year's end count, and the quarters before the one being reported. Whatever describes
the new period stays empty: never a stale copy.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from syncservice.layout import Column, ColumnType, Frame, Kind
from syncservice.models import Figure, StoredVersion
from syncservice.store import Store

MIN_INPUT_ROWS = 20  # empty rows to type into, at least
SPARE_ROWS = 10  # empty rows below the pre-filled lines
YEARS = 5  # year columns when nothing earlier says how many (seed 002: 2020–2024)


@dataclass(frozen=True)
class Col:
    """One column of the template's table."""

    key: str  # the frame key the validator gives it: 'target', 'y2026', 'in_1'
    label: str | int  # header text (a year as a number, as staff type it)
    type: ColumnType
    at_least_zero: bool = False  # the kind's schema says ≥ 0
    help: str = ""  # key in the kind's help (Kind.help), else in messages.HELP
    fields: dict[str, Any] = field(default_factory=dict)  # for the help text
    group: str = ""  # two-row header: the quarter label above 'Tilgang' / 'Afgang'
    line: bool = False  # names the line (area, initiative, day service)


@dataclass(frozen=True)
class Plan:
    """Everything template_sheet.write needs: no store, no kind rules left to consult."""

    kind: Kind
    unit: str
    year: int
    amount_unit: str
    columns: tuple[Col, ...]
    meta: tuple[tuple[str, Any], ...]  # (field, value) in order; None: for the person to fill
    lines: tuple[tuple[str, ...], ...] = ()  # pre-filled line names, one per line column
    values: dict[tuple[int, str], float] = field(default_factory=dict)  # (line, column key) → figure
    input_rows: int = MIN_INPUT_ROWS
    through: int | None = None  # flow tables: the quarters K1..through
    source: StoredVersion | None = None  # the version the lines came from

    @property
    def two_row_header(self) -> bool:
        return any(c.group for c in self.columns)


def default_through(year: int, today: dt.date) -> int:
    """The last quarter of `year` that has ended by `today` (at least the first)."""
    if year < today.year:
        return 4
    if year > today.year:
        return 1
    return max(1, (today.month - 1) // 3)


def plan(kind: Kind, unit: str, year: int, *, amount_unit: str, through: int | None = None,
         store: Store | None = None, today: dt.date | None = None) -> Plan:
    """What the template for (kind, unit, year) holds; `store` (optional) pre-fills it."""
    unit = " ".join(unit.split())
    if kind.quarters is not None:
        through = through or default_through(year, today or dt.date.today())
        if not 1 <= through <= 4:
            raise ValueError(f"through must be a quarter 1..4, not {through}")
    else:
        through = None
    this = last = None
    if store is not None:
        found = store.previous_current([(kind.name, unit, year), (kind.name, unit, year - 1)])
        this, last = found.get((kind.name, unit, year)), found.get((kind.name, unit, year - 1))
    source = this or last
    figures = store.version_figures(source.version_id) if store is not None and source is not None else []
    years = _years(kind, year, source, figures)
    columns = _columns(kind, year, amount_unit, years, through)
    lines = _lines(kind, figures)
    values: dict[tuple[int, str], float] = {}
    if kind.quarters is not None and store is not None and source is not None:
        values = _flow_values(kind, columns, lines, this, store.version_figures(this.version_id) if this else [],
                              last, store.version_figures(last.version_id) if last else [], through or 1)
    return Plan(kind, unit, year, amount_unit, columns, _meta(kind, unit, year, amount_unit, columns),
                tuple(lines), values, max(MIN_INPUT_ROWS, len(lines) + SPARE_ROWS), through, source)


def describe(kind: Kind) -> str:
    """The columns a template of `kind` has, in one line: 'Område | Mål | Realiseret | Forventet'."""
    named = [c.name for c in kind.columns if c.key in kind.line_columns]
    rest = [c.name for c in kind.columns if c.key not in kind.line_columns]
    if kind.years is not None:
        return " | ".join(named + ["ét beløb pr. år"] + rest)
    if kind.quarters is not None:
        flows = f"{kind.quarters.intake[0]} og {kind.quarters.outflow[0]} pr. kvartal"
        return " | ".join(named + rest[:1] + [flows] + rest[1:])
    return " | ".join(named + rest)


# --- columns ------------------------------------------------------------------------------------

def _columns(kind: Kind, year: int, amount_unit: str, years: list[int], through: int | None) -> tuple[Col, ...]:
    """Line columns, then the figures; a year block after the line columns, a quarter block
    after the start count (a flow table reads start, intake and outflow, end)."""
    fields = {"year": year, "amount_unit": amount_unit, "end": _end_label(through, year)}

    def col(spec: Column) -> Col:
        return Col(spec.key, spec.name, spec.type, help=_help_key(kind, spec), fields={**fields, "column": spec.name},
                   line=spec.key in kind.line_columns)

    named = [col(spec) for spec in kind.columns if spec.key in kind.line_columns]
    rest = [col(spec) for spec in kind.columns if spec.key not in kind.line_columns]
    block: list[Col] = []
    if kind.years is not None:
        help_key = "year" if "year" in kind.help else "type.amount"
        block = [Col(f"y{y}", y, "amount", help=help_key, fields={**fields, "column": str(y)}) for y in years]
        out = named + block + rest
    elif kind.quarters is not None and through:
        for q in range(1, through + 1):
            group = f"{q}. kvartal"
            block += [Col(f"in_{q}", kind.quarters.intake[0], "count", help="in", group=group,
                          fields={**fields, "quarter": q}),
                      Col(f"out_{q}", kind.quarters.outflow[0], "count", help="out", group=group,
                          fields={**fields, "quarter": q})]
        out = named + rest[:1] + block + rest[1:]
    else:
        out = named + rest
    minimums = _at_least_zero(kind, [c.key for c in out])
    return tuple(Col(c.key, c.label, c.type, c.key in minimums, c.help, c.fields, c.group, c.line) for c in out)


def _help_key(kind: Kind, spec: Column) -> str:
    """The kind's own help for the column, else the help by its type."""
    return spec.key if spec.key in kind.help else f"type.{spec.type}"


def _end_label(through: int | None, year: int) -> str:
    return f"{['31/3', '30/6', '30/9', '31/12'][through - 1]} {year}" if through else ""


def _at_least_zero(kind: Kind, keys: list[str]) -> set[str]:
    """The columns the kind's pandera schema holds to ≥ 0 (an empty frame asks it which)."""
    frame = Frame(kind.name, "", pd.DataFrame(columns=keys), (), {}, {}, {}, {}, {})
    out = set()
    for name, column in kind.schema(frame).columns.items():
        if not any(c.name == "greater_than_or_equal_to" and c.statistics.get("min_value") == 0
                   for c in column.checks):
            continue
        out |= {k for k in keys if (re.fullmatch(name, k) if column.regex else k == name)}
    return out


def _years(kind: Kind, year: int, source: StoredVersion | None, figures: list[Figure]) -> list[int]:
    """Year columns: this year's version's, else as many as last year's from `year` on."""
    if kind.years is None:
        return []
    found = sorted({int(f.period) for f in figures if f.metric == kind.years.metric and f.period.isdigit()})
    if source is not None and source.year == year and found:
        return found
    return list(range(year, year + max(len(found) or YEARS, kind.years.min_count)))


def _meta(kind: Kind, unit: str, year: int, amount_unit: str, columns: tuple[Col, ...]
          ) -> tuple[tuple[str, Any], ...]:
    """Enhed and År filled in; Opgjort pr. to fill (not for a flow table: its quarters say
    how far it goes); Beløb i where the table holds amounts."""
    meta: list[tuple[str, Any]] = [("unit", unit), ("year", year)]
    if "as_of" in kind.required_meta or kind.quarters is None:
        meta.append(("as_of", None))
    if any(c.type == "amount" for c in columns):
        meta.append(("amount_unit", amount_unit))
    return tuple(meta)


# --- pre-filled lines and figures ------------------------------------------------------------

def _lines(kind: Kind, figures: list[Figure]) -> list[tuple[str, ...]]:
    """The source version's lines in sheet order, as values of the kind's line columns
    (the last names the line; an earlier one is a track, Spor)."""
    seen: dict[tuple[str, str], None] = {}
    for f in sorted(figures, key=lambda f: f.line_no):
        seen.setdefault((f.track, f.line or f.period), None)  # a line without a name is its period (a budget year)
    width = len(kind.line_columns)
    return [((track,) * (width - 1) + (line,)) if width > 1 else (line,) for track, line in seen]


def _flow_values(kind: Kind, columns: tuple[Col, ...], lines: list[tuple[str, ...]],
                 this: StoredVersion | None, this_figures: list[Figure],
                 last: StoredVersion | None, last_figures: list[Figure], through: int) -> dict[tuple[int, str], float]:
    """Start counts (last year's end count where last year reached K4, else this year's start
    count) and this year's quarters before `through`, by (line index, column key)."""
    assert kind.quarters is not None
    figure_cols = [c for c in columns if not c.line and not c.group]
    start, end = figure_cols[0], figure_cols[1]
    start_metric, end_metric = kind.column(start.key).metric, kind.column(end.key).metric
    index = {names[-1]: i for i, names in enumerate(lines)}
    values: dict[tuple[int, str], float] = {}
    if this is not None:
        for f in this_figures:
            if f.line not in index:
                continue
            if f.metric == start_metric:
                values[(index[f.line], start.key)] = f.value
            quarter = int(f.period[1:]) if f.period[:1] == "K" and f.period[1:].isdigit() else 0
            if 0 < quarter < through and quarter <= (this.through or 0):
                flow = "in" if f.metric == kind.quarters.intake_metric else "out" \
                    if f.metric == kind.quarters.outflow_metric else ""
                if flow:
                    values[(index[f.line], f"{flow}_{quarter}")] = f.value
    if last is not None and last.through == 4:
        for f in last_figures:
            if f.metric == end_metric and f.line in index:
                values[(index[f.line], start.key)] = f.value
    return values
