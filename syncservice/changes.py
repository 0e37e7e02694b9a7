"""Rules across versions (WORKBOOKS.md §5): warnings on acceptance; one rejection, a
version that goes back in time (period_back).

A new report is compared with the version it replaces and with last year's report of the
same unit: the figures its kind lists in `Kind.compared` (a period already reported), and
the kind's own rules across versions (`Kind.version_rules`, `Kind.last_year_rules`), which
use the helpers here. Pure: the pipeline fetches what the store knows.

Where both sides are Figures (a sheet's figures, and a stored version's), they are
compared a column at a time with numpy: a 50,000-line report is 450,000 compared
figures, which as Figure objects in dicts cost seconds and hundreds of MB.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from syncservice.models import ERROR, WARNING, Figure, Figures, Finding, Report, StoredVersion

if TYPE_CHECKING:
    from syncservice.layout import Kind

Differs = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (new values, old values) → flagged


def by_key(figures: Iterable[Figure]) -> dict[tuple[str, str, str, str], Figure]:
    return {(f.track, f.line.casefold(), f.metric, f.period): f for f in figures}


def kroner_value(value: float) -> str:
    """The figure as the finding's value; shown in the reader's language (numeric=True)."""
    value = round(value, 2) + 0.0  # kroner and øre; -0.0 is 0
    return str(int(value)) if value.is_integer() else repr(value)


def period_back(kind: Kind, report: Report, previous: StoredVersion) -> list[Finding]:
    """A new version that reports through an earlier period than the one in force (an old copy
    saved again) would take the later period's figures out of what finance reads: an error,
    at the cell that says the period. What a report goes through is the kind's count
    (Kind.through: quarters, follow-ups), else its as-of date."""
    if kind.through is not None:
        new, old = report.through, previous.through
        field = "through_cell"
    else:
        new = report.as_of
        old = dt.date.fromisoformat(previous.as_of) if previous.as_of else None
        field = "as_of_cell"
    if new is None or old is None or not new < old:
        return []
    cell = report.extra.get(field)
    counted = isinstance(new, int)
    return [Finding("change.period_back", ERROR, report.sheet, (cell,) if cell else (),
                    "" if counted else "Opgjort pr.", str(new) if counted else new.strftime("%d.%m.%Y"),
                    {"kind": kind.name, "new": new if counted else new.isoformat(),
                     "old": old if counted else old.isoformat(), "other": previous.path,
                     "version": previous.version_id})]


def saved_before_current(report: Report, previous: StoredVersion) -> Finding:
    """This file was saved before the file whose version is in force: it is kept in the
    history, the newer file's version stays in force (WORKBOOKS.md §1 "Identity")."""
    unit_cell = report.extra.get("unit_cell")
    return Finding("change.older_save", WARNING, report.sheet, (unit_cell,) if unit_cell else (), "Enhed",
                   report.unit, {"other": previous.path, "unit": report.unit, "year": report.year,
                                 "version": previous.version_id})


def against_previous(kind: Kind, report: Report, previous: StoredVersion, old: Sequence[Figure]) -> list[Finding]:
    """The warnings of a new report against the version it replaces (`old`: its figures)."""
    found = changed_figures(report, previous, old, kind.compared)
    for rule in kind.version_rules:
        found += rule(report, previous, old)
    return found


def against_last_year(kind: Kind, report: Report, last_year: StoredVersion, old: Sequence[Figure]) -> list[Finding]:
    """The kind's warnings against last year's version in force (`old`: its figures)."""
    return [f for rule in kind.last_year_rules for f in rule(report, last_year, old)]


def changed_figures(report: Report, previous: StoredVersion, old: Sequence[Figure],
                    metrics: Iterable[str] | None = None) -> list[Finding]:
    """A figure for a quarter or year an earlier version already reported, now different:
    of `metrics`, by default those the report's kind lists as such."""
    if metrics is None:
        from schemas import KINDS

        metrics = KINDS[report.kind].compared
    metrics = set(metrics)
    pairs = compared(report.figures, old, metrics, lambda new, was: np.abs(was - new) > 0.005)
    if pairs is None:
        before = by_key(f for f in old if f.metric in metrics)
        found = ((new, before.get(key))
                 for key, new in by_key(f for f in report.figures if f.metric in metrics).items())
        pairs = [(new, was.value) for new, was in found if was is not None and abs(was.value - new.value) > 0.005]
    return [Finding("change.figure", WARNING, report.sheet, (new.cell,), new.metric, kroner_value(new.value),
                    {"line": new.line, "period": new.period or "", "old": round(float(was), 2),
                     "new": round(new.value, 2), "version": previous.version_id}, numeric=True)
            for new, was in pairs]


# --- column by column ---------------------------------------------------------------------

def compared(new: Sequence[Figure], old: Sequence[Figure], metrics: set[str], differs: Differs
              ) -> list[tuple[Figure, float]] | None:
    """(figure, its old value) for each figure of `metrics` in `new` whose figure in `old`
    (same track, line in any case, metric and period) `differs`, in new's order; as the
    figure-by-figure code finds them. None unless both are Figures in which no key repeats
    (then that code decides)."""
    if not isinstance(new, Figures) or not isinstance(old, Figures):
        return None
    new_keys = [(t, line.casefold()) for t, line in zip(new.tracks, new.lines)]
    old_keys = [(t, line.casefold()) for t, line in zip(old.tracks, old.lines)]
    columns = [(c, (col.metric, col.period)) for c, col in enumerate(new.columns) if col.metric in metrics]
    before = {(col.metric, col.period): c for c, col in enumerate(old.columns) if col.metric in metrics}
    if (len(set(new_keys)) < len(new_keys) or len(set(old_keys)) < len(old_keys)
            or len({key for _, key in columns}) < len(columns)
            or len(before) < sum(col.metric in metrics for col in old.columns)):
        return None
    where = _positions(new_keys, old_keys)
    hits = []
    for c, key in columns:
        if key in before:
            hits += [(n, c, before[key]) for n in _flagged(new, c, old, before[key], where, differs)]
    hits.sort(key=(lambda h: (h[0], h[1])) if new.by_line else (lambda h: (h[1], h[0])))
    return [(new.figure(n, c), old.columns[b].values[where[n]]) for n, c, b in hits]


def starts_and_ends(new: Sequence[Figure], old: Sequence[Figure], start: str, end: str
                    ) -> list[tuple[Figure, float]] | None:
    """(new's `start` figure, old's `end` figure of its line) where they differ, e.g. this
    year's Primo against last year's Ultimo; None unless both are Figures with one column
    of each (then the caller compares figure by figure)."""
    if not isinstance(new, Figures) or not isinstance(old, Figures):
        return None
    starts = [c for c, col in enumerate(new.columns) if col.metric == start]
    ends = [c for c, col in enumerate(old.columns) if col.metric == end]
    if len(starts) != 1 or len(ends) != 1:
        return None
    where = _positions([line.casefold() for line in new.lines], [line.casefold() for line in old.lines])
    return [(new.figure(n, starts[0]), old.columns[ends[0]].values[where[n]])
            for n in _flagged(new, starts[0], old, ends[0], where, lambda s, e: np.abs(e - s) > 0.005)]


def _positions(new_keys: list, old_keys: list) -> np.ndarray:
    """For each new line, the position of the old line with its key (the last, if several), or -1."""
    if new_keys == old_keys and len(set(old_keys)) == len(old_keys):
        return np.arange(len(new_keys))
    index = {key: m for m, key in enumerate(old_keys)}
    return np.fromiter((index.get(key, -1) for key in new_keys), dtype=np.int64, count=len(new_keys))


def _flagged(new: Figures, column: int, old: Figures, old_column: int, where: np.ndarray, differs: Differs
             ) -> list[int]:
    """The new lines whose value in `column` `differs` from their old line's in `old_column`."""
    found = where >= 0
    now = np.asarray(new.columns[column].values, dtype=float)
    was = np.asarray(old.columns[old_column].values, dtype=float)[np.where(found, where, 0)] if len(old.lines) else now
    with np.errstate(invalid="ignore"):  # NaN never differs, as in the figure-by-figure comparison
        return np.flatnonzero(found & differs(now, was)).tolist()
