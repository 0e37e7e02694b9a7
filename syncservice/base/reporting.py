"""Who must report, and when: config.toml's [reporting] section → due periods and unit checks.

    units = [...]                       → unit_warnings(): a unit spelt as listed, or a warning if not listed
    [reporting.deadlines] kind = [...]  → due_on(kind, deadlines, date): the period owed on that date

A kind with n deadlines splits the year into n equal periods (four: the quarters K1..K4;
one: the whole year). Each period falls due on the first of its day-month on or after the
day it begins, so a K4 deadline in January falls in the next year. Nothing here reads the
store: missing.py puts the two together.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from syncservice.base.models import WARNING, Finding, Verdict
from syncservice.base.units import configured, fold, respelt

PERIOD_PREFIX = {1: "", 2: "H", 4: "K", 12: "M"}  # periods per year → label prefix ('' for one)


@dataclass(frozen=True)
class Due:
    """One period of one kind's report for one year, and when it falls due."""

    kind: str
    year: int
    period: str  # '' for a yearly report, 'K1'..'K4' for quarters
    index: int  # 1-based position in the year
    start: dt.date  # first day of the period
    due: dt.date


# --- parsing config values (config.py calls these; a ValueError names the key) ---------------

def parse_units(value: Any) -> tuple[str, ...]:
    """['Dagtilbud Vest', ...] → a tuple of distinct, non-empty unit names (spaces tidied as the
    validator tidies a sheet's Enhed, so the two compare)."""
    if not isinstance(value, list) or not all(isinstance(u, str) for u in value):
        raise ValueError("'reporting.units' must be a list of unit names, e.g. [\"Dagtilbud Vest\"]")
    units = tuple(" ".join(u.split()) for u in value)
    if "" in units:
        raise ValueError("'reporting.units' holds an empty unit name")
    seen: set[str] = set()
    for unit in units:
        if fold(unit) in seen:
            raise ValueError(f"'reporting.units' names the unit {unit!r} twice")
        seen.add(fold(unit))
    return units


def parse_deadlines(value: Any) -> dict[str, tuple[str, ...]]:
    """{kind: ['15-04', ...]} → the same, checked: known kinds, valid DD-MM days, a count
    that splits the year evenly (1, 2, 4 or 12)."""
    from schemas import KINDS  # here, not at import: config is read before anything else

    if not isinstance(value, dict):
        raise ValueError("'reporting.deadlines' must be a table: [reporting.deadlines]")
    out: dict[str, tuple[str, ...]] = {}
    for kind, days in value.items():
        key = f"reporting.deadlines.{kind}"
        if kind not in KINDS:
            raise ValueError(f"unknown kind '{key}' (known kinds: {', '.join(sorted(KINDS))})")
        if not isinstance(days, list) or not all(isinstance(d, str) for d in days):
            raise ValueError(f"'{key}' must be a list of \"DD-MM\" days, e.g. [\"15-04\"]")
        if len(days) not in PERIOD_PREFIX and days:
            raise ValueError(f"'{key}' has {len(days)} deadlines; give 1, 2, 4 or 12 (one per period)")
        for day in days:
            try:
                day_month(day)
            except ValueError:
                raise ValueError(f"'{key}': {day!r} is not a day as DD-MM, e.g. \"15-04\"") from None
        if days:
            out[kind] = tuple(days)
    return out


def day_month(text: str) -> tuple[int, int]:
    """'15-04' → (15, 4). 29-02 is refused: it is not a day every year."""
    day, sep, month = text.strip().partition("-")
    if not sep or not day.isdigit() or not month.isdigit():
        raise ValueError(text)
    d, m = int(day), int(month)
    dt.date(2001, m, d)  # a year without 29-02
    return d, m


# --- periods and due dates ---------------------------------------------------------------------

def periods(kind: str, days: Iterable[str], year: int) -> list[Due]:
    """Every period of `year` for a kind with these deadlines, in order."""
    days = list(days)
    n = len(days)
    out = []
    for i, text in enumerate(days, start=1):
        start = dt.date(year, 12 // n * (i - 1) + 1, 1)
        d, m = day_month(text)
        due = dt.date(start.year, m, d)
        if due < start:
            due = dt.date(start.year + 1, m, d)
        out.append(Due(kind, year, f"{PERIOD_PREFIX[n]}{i}" if n > 1 else "", i, start, due))
    return out


def due_on(kind: str, days: Iterable[str], on: dt.date) -> Due | None:
    """The period owed on `on`: the one whose deadline is the latest on or before that day."""
    days = list(days)
    if not days:
        return None
    candidates = [p for year in range(on.year - 2, on.year + 1) for p in periods(kind, days, year) if p.due <= on]
    return max(candidates, key=lambda p: (p.due, p.year, p.index), default=None)


def quarter_end(quarter: int, year: int) -> dt.date:
    """Last day of quarter 1..4."""
    return dt.date(year, 12, 31) if quarter == 4 else dt.date(year, 3 * quarter + 1, 1) - dt.timedelta(days=1)


# --- the unit a workbook names ----------------------------------------------------------------

def closest_unit(unit: str, units: Iterable[str]) -> str:
    """The configured unit most like `unit` (case aside); '' when none are configured."""
    units = list(units)
    if not units:
        return ""
    folded = {fold(u): u for u in units}
    best = difflib.get_close_matches(fold(unit), list(folded), n=1, cutoff=0.0)
    return folded[best[0]] if best else units[0]


def unit_warnings(verdict: Verdict, units: Iterable[str]) -> Verdict:
    """Each report sheet's Enhed spelt as `units` (reporting.units) spells it, where it names one
    of them however it is written (units.fold); a warning on each sheet whose Enhed is none of
    them, naming the closest: a misspelt unit would otherwise make a report nobody expects,
    while the unit it meant stays 'mangler'."""
    units = tuple(units)
    if not units:
        return verdict
    spelling = {s.unit: known for s in verdict.sheets if s.unit and (known := configured(s.unit, units))}
    cells: Mapping[str, str] = {r.sheet: r.extra.get("unit_cell", "") for r in verdict.reports}
    extra = tuple(
        Finding("report.unknown_unit", WARNING, s.sheet, (cells[s.sheet],) if cells.get(s.sheet) else (), "Enhed",
                s.unit, {"closest": closest_unit(s.unit, units)})
        for s in verdict.sheets if s.unit and s.unit not in spelling)
    verdict = respelt(verdict, spelling)
    return replace(verdict, warnings=verdict.warnings + extra) if extra else verdict
