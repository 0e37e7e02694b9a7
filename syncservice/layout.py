"""What a workbook kind declares, and what the engine hands its rules.

A module in schemas/ builds one `Kind` from these pieces; the engine (locate, validate)
runs it. Nothing here reads files or touches the store.
"""

from __future__ import annotations

import datetime as dt
import numbers
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from syncservice.models import ERROR, Figure, FigureColumn, Figures, Finding, Severity

ColumnType = Literal["text", "amount", "count", "status"]
_PERCENT_SUFFIX = re.compile(r"%|\b(?:pct|procent|andel)\b")

# WORKBOOKS.md §1: the metadata labels are the same for every kind; a kind says which it requires.
META_LABELS: Mapping[str, tuple[str, ...]] = {
    "unit": ("Enhed", "Afdeling", "Organisation"),
    "year": ("År", "Budgetår", "Regnskabsår"),
    "as_of": ("Opgjort pr.", "Status pr.", "Pr. dato"),
    "amount_unit": ("Beløb i", "Beløbsenhed"),
}
META_NAMES = {"unit": "Enhed", "year": "År", "as_of": "Opgjort pr.", "amount_unit": "Beløb i"}
TOTAL_LABELS = ("Total", "I alt", "Alle", "Sum")


@dataclass(frozen=True)
class Column:
    """One column of a kind's table, found by its header label."""

    key: str  # name in the typed frame, e.g. "target"
    name: str  # Danish name shown in messages, e.g. "Mål"
    labels: tuple[str, ...] = ()  # accepted header labels (a suffix such as a year may follow)
    type: ColumnType = "amount"
    required: bool = True
    patterns: tuple[str, ...] = ()  # regexes on the normalised label, e.g. r"antal borgere 1/1 \d{4}"
    blank_first: bool = False  # may be unlabelled when it is the table's first column
    metric: str = ""  # Nøgletal in the Data sheet; "" means not a figure

    def matches(self, label: str) -> bool:
        from syncservice.parse import matched_synonym, normalise_label

        norm = normalise_label(label)
        synonym = matched_synonym(label, self.labels) if self.labels else None
        if synonym is not None:
            # 'Opnået i %' beside 'Realiseret' is a share, not the amount: a figure column is
            # never the one its label calls a percentage
            suffix = norm[len(normalise_label(synonym)):]
            return self.type not in ("amount", "count") or not _PERCENT_SUFFIX.search(suffix)
        return any(re.fullmatch(p, norm) for p in self.patterns)


def names_a_share(label: str) -> bool:
    """'Opnået i %', 'Andel', 'Realiseret pct.' → True: a share of other figures, not a figure."""
    from syncservice.parse import normalise_label

    return _PERCENT_SUFFIX.search(normalise_label(label)) is not None


def column_number(letters: str) -> int:
    """'A' → 1, 'AB' → 28; a cell ref's digits are ignored ('E6' → 5)."""
    number = 0
    for ch in letters:
        if ch.isalpha():
            number = number * 26 + ord(ch.upper()) - 64
    return number


@dataclass(frozen=True)
class Unclaimed:
    """A labelled header cell that is none of the kind's columns, with the sheet columns
    it heads (a label over a two-row span heads each column under it)."""

    ref: str  # the header cell
    label: str  # as written
    columns: tuple[int, ...]


@dataclass(frozen=True)
class YearColumns:
    """One amount column per year, headed by the year itself."""

    metric: str
    low: int = 2000
    high: int = 2100
    min_count: int = 2


@dataclass(frozen=True)
class QuarterColumns:
    """Intake/outflow labels under a quarter label (two header rows) or after it ('K1 Tilgang')."""

    intake: tuple[str, ...]
    outflow: tuple[str, ...]
    intake_metric: str
    outflow_metric: str


@dataclass(frozen=True)
class Frame:
    """A located table, typed: what a kind's rules and figure mapping receive.

    `lines` holds one row per table line (totals excluded) with one column per
    Column.key, plus year columns 'y2020'… and quarter columns 'in_1', 'out_1'…. `letters` maps a frame column to its
    sheet column letter, so any (line, column) maps back to a cell.
    """

    kind: str
    sheet: str
    lines: pd.DataFrame
    rows: tuple[int, ...]  # sheet row of each line (lines has a RangeIndex: position = label)
    letters: Mapping[str, str]
    names: Mapping[str, str]  # frame column → name for messages ("Mål", "2021", "K2 Afgang")
    header_cells: Mapping[str, str]  # frame column → its header cell ref
    meta: Mapping[str, Any]  # unit, year, as_of, amount_unit, factor
    meta_cells: Mapping[str, str]
    years: tuple[int, ...] = ()
    quarters: tuple[int, ...] = ()
    header_labels: Mapping[str, str] = field(default_factory=dict)  # frame column → label as written
    quarter_cells: Mapping[int, str] = field(default_factory=dict)  # quarter → its label's cell
    quarter_flows: tuple[tuple[str, int, str], ...] = ()  # (flow, quarter, label cell) in column order
    unclaimed: tuple[Unclaimed, ...] = ()  # header cells no column claims, in column order
    # (frame column, line index, the words) of each figure cell marked not computed (Kind.not_computed)
    not_computed: tuple[tuple[str, int, str], ...] = ()

    def unclaimed_between(self, after: str | None, before: str | None, *, from_after: bool = False
                          ) -> Unclaimed | None:
        """The first unclaimed header cell right of the cell `after` (None: the table's first
        column; `from_after`: its own column too, another cell than it) and left of the cell
        `before` (None: no bound): where a sequence of years or quarters really breaks, when
        a label there could not be read ('2O22' between 2021 and 2023)."""
        low = column_number(after) if after else min(map(column_number, self.letters.values()), default=0)
        high = column_number(before) if before else float("inf")
        return next((u for u in self.unclaimed if u.ref != after and high > u.columns[0]
                     and (low < u.columns[0] or from_after and low == u.columns[0])), None)

    def kroner(self, value: float) -> float:
        """An amount in the sheet's unit → kroner, to the øre."""
        return round(float(value) * self.meta.get("factor", 1), 2)

    def ref(self, column: str, index: Any) -> str:
        return f"{self.letters[column]}{self.rows[index]}"

    def refs(self, column: str) -> list[str]:
        """The cell of `column` on every line, in order."""
        letter = self.letters[column]
        return [f"{letter}{r}" for r in self.rows]

    def figures(self, line: str, columns: Iterable[tuple[str, str, str]], *, kroner: bool = False,
                track: str | None = None, by_line: bool = False) -> Figures:
        """The figures of every line: one column of them per (frame column, metric, period),
        each line named by its `line` column (and `track`, where the sheet has one);
        amounts in kroner when `kroner`. In that column order, or `by_line`."""
        lines = self.lines
        out = []
        for key, metric, period in columns:
            values = lines[key].tolist()
            out.append(FigureColumn(metric, period, self.letters[key],
                                    tuple(self.kroner(v) for v in values) if kroner else tuple(map(float, values))))
        tracks = None
        if track is not None and track in lines:
            tracks = [t if isinstance(t, str) else "" for t in lines[track].tolist()]
        return Figures(lines[line].tolist(), self.rows, out, tracks=tracks, by_line=by_line)

    def finding(self, rule: str, columns: Iterable[str], index: Any, *, severity: Severity = ERROR,
                column: str | None = None, value: Any = "", **params: Any) -> Finding:
        """A finding at the cells of `columns` in line `index`."""
        cols = list(columns)
        return Finding(
            rule=rule, severity=severity, sheet=self.sheet,
            cells=tuple(self.ref(c, index) for c in cols),
            column=column if column is not None else self.names.get(cols[0], cols[0]) if cols else "",
            value=_shown(value), numeric=_is_number(value),
            params={k: v.item() if isinstance(v, np.generic) else v for k, v in params.items()},
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) and value == value


def _shown(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


Rule = Callable[[Frame], Iterable[Finding]]
# text of a rule or a template help, per language: {"da": (what, fix), "en": (...)}; help: (title, text)
Texts = Mapping[str, tuple[str, str]]
# across versions (WORKBOOKS.md §5): (the new report, the version it is compared with, that
# version's figures) → warnings; the version is the one replaced, or last year's
VersionRule = Callable[[Any, Any, Sequence[Figure]], list[Finding]]


@dataclass(frozen=True)
class OverviewSheet:
    """How finance's overview sheet shows a kind (WORKBOOKS.md §6). `shape` picks how the
    engine lays out a line: 'generic' (one column per figure, from the kind's columns),
    'target' (target, realised, expected, gap and share), 'years' (a column per year),
    'flow' (start, intake and outflow per quarter, end), 'revisions' (the latest line and
    its change from the one before: lines are revisions of one estimate)."""

    sheet_title: str
    title: str
    explanation: str = ""
    empty: str = "Ingen indberetninger er modtaget endnu."
    line_label: str = ""
    shape: str = "generic"
    subtitle: str = ""  # '' says the amount unit ('Beløb i 1.000 kr.'); counts say what they count


@dataclass(frozen=True)
class Through:
    """What 'reporting through' means for a kind whose Report.through is a count (quarters,
    follow-ups): how a person reads it, and the last day it covers (for `missing`; None:
    it covers any period). A kind without one reports through its as-of date, if any."""

    of: Callable[[Frame], int | None]  # the located frame → the count
    text: Callable[[int, str], str]  # (3, 'da') → 'til og med 3. kvartal'; (3, 'en') → 'through quarter 3'
    last_day: Callable[[int, int], dt.date | None] = lambda through, year: None  # (count, year) → date


@dataclass(frozen=True)
class Kind:
    """Everything the engine needs to know about one workbook kind."""

    name: str  # 'handleplan'; the Skema value in the Data sheet
    title: str  # 'Handleplan'
    columns: tuple[Column, ...]
    line_columns: tuple[str, ...]  # the keys that name a line; unique together
    schema: Callable[[Frame], Any]  # → a pandera DataFrameSchema for frame.lines
    figures: Callable[[Frame], Iterable[Figure]]
    rules: tuple[Rule, ...] = ()
    header_rules: tuple[Rule, ...] = ()  # rules on the header alone (sequences of years/quarters)
    required_meta: frozenset[str] = frozenset({"unit", "year"})
    total_labels: tuple[str, ...] = TOTAL_LABELS
    years: YearColumns | None = None
    quarters: QuarterColumns | None = None
    year_from_header: bool = False  # no År in the metadata → the first year column
    year_from_lines: Callable[[list[str]], int | None] | None = None  # no År → the year its line names give
    year_from_as_of: bool = False  # no År → the as-of date's year
    annotations: Callable[[Frame], dict[str, Any]] | None = None  # what a report says beside its figures
    # --- what the engine says about it and shows of it (STYLE.md point 2) ---
    messages: Mapping[str, Texts] = field(default_factory=dict)  # rule id → Danish and English text
    figure_params: Mapping[str, frozenset[str]] = field(default_factory=dict)  # rule → params that are figures
    message_fields: Callable[[Finding, str, dict[str, Any]], None] | None = None  # adds derived placeholders
    help: Mapping[str, Texts] = field(default_factory=dict)  # template help: column key, 'year', 'quarter', 'in', 'out'
    overview: OverviewSheet | None = None  # None: a generic overview built from its columns
    position: int = 100  # where its overview sheet stands among the kinds' (then by name)
    adds_up: bool = True  # lines add up: a total row is checked (overview, template); else one is an error
    compared: frozenset[str] = frozenset()  # metrics of a period already reported: a change is a warning
    version_rules: tuple[VersionRule, ...] = ()  # against the version replaced
    last_year_rules: tuple[VersionRule, ...] = ()  # against last year's version in force
    not_computed: tuple[str, ...] = ()  # words in a figure cell meaning 'not computed yet' (no figure)
    # a figure cell's text → (the number as text, the warning's rule id), or None: '3,8 pr 3. kvartal 2016'
    text_figure: Callable[[str], tuple[str, str] | None] | None = None
    through: Through | None = None

    def shown_overview(self) -> OverviewSheet:
        """Its overview as declared, or one built from its title and line column."""
        if self.overview is not None:
            return self.overview
        line = next((c.name for c in self.columns if c.key in self.line_columns), "Linje")
        return OverviewSheet(sheet_title=self.title[:31], title=self.title, line_label=line)

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)
