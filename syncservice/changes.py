"""Rules across versions (WORKBOOKS.md §5): warnings on acceptance; one rejection, a
version that goes back in time (period_back).

A new report is compared with the version it replaces and, for intake/outflow, with
last year's report of the same unit. Pure: the pipeline fetches what the store knows.

Where both sides are Figures (a sheet's figures, and a stored version's), they are
compared a column at a time with numpy: a 50,000-line report is 450,000 compared
figures, which as Figure objects in dicts cost seconds and hundreds of MB.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from syncservice.layout import ReportsThrough
from syncservice.models import ERROR, WARNING, Figure, Figures, Finding, Report, StoredVersion

# Figures that stand for a period already reported; a change to one is worth a look.
# Ultimo moves with every quarter and handleplan's figures are updated through the year
# (its own rule watches realised going down), so they are not compared here.
PERIOD_FIGURES = {"effekt": {"Effekt"}, "tilgang_afgang": {"Primo", "Tilgang", "Afgang"}}

Differs = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (new values, old values) → flagged


def _by_key(figures: Iterable[Figure]) -> dict[tuple[str, str, str, str], Figure]:
    return {(f.track, f.line.casefold(), f.metric, f.period): f for f in figures}


def _kroner(value: float) -> str:
    """The figure as the finding's value; shown in the reader's language (numeric=True)."""
    value = round(value, 2) + 0.0  # kroner and øre; -0.0 is 0
    return str(int(value)) if value.is_integer() else repr(value)


def period_back(report: Report, previous: StoredVersion, reports_through: ReportsThrough | None) -> list[Finding]:
    """A new version that reports through an earlier period than the one in force (an old copy
    saved again) would take the later period's figures out of what finance reads: an error,
    at the cell that says the period. The kind says what its reports go through."""
    if reports_through is None:
        return []
    new = reports_through(report.through, report.as_of)
    old = reports_through(previous.through, dt.date.fromisoformat(previous.as_of) if previous.as_of else None)
    if new is None or old is None or type(new) is not type(old) or not new < old:  # type: ignore[operator]
        return []
    quarter = isinstance(new, int)
    cell = report.extra.get("through_cell" if quarter else "as_of_cell")
    return [Finding("change.period_back", ERROR, report.sheet, (cell,) if cell else (),
                    "Kvartal" if quarter else "Opgjort pr.", f"K{new}" if quarter else new.strftime("%d.%m.%Y"),
                    {"new": new if quarter else new.isoformat(), "old": old if quarter else old.isoformat(),
                     "other": previous.path, "version": previous.version_id})]


def saved_before_current(report: Report, previous: StoredVersion) -> Finding:
    """This file was saved before the file whose version is in force: it is kept in the
    history, the newer file's version stays in force (WORKBOOKS.md §1 "Identity")."""
    unit_cell = report.extra.get("unit_cell")
    return Finding("change.older_save", WARNING, report.sheet, (unit_cell,) if unit_cell else (), "Enhed",
                   report.unit, {"other": previous.path, "unit": report.unit, "year": report.year,
                                 "version": previous.version_id})


def changed_figures(report: Report, previous: StoredVersion, old: Sequence[Figure]) -> list[Finding]:
    """A figure for a quarter or year an earlier version already reported, now different."""
    metrics = PERIOD_FIGURES.get(report.kind, set())
    pairs = _compared(report.figures, old, metrics, lambda new, was: np.abs(was - new) > 0.005)
    if pairs is None:
        before = _by_key(f for f in old if f.metric in metrics)
        found = ((new, before.get(key))
                 for key, new in _by_key(f for f in report.figures if f.metric in metrics).items())
        pairs = [(new, was.value) for new, was in found if was is not None and abs(was.value - new.value) > 0.005]
    return [Finding("change.figure", WARNING, report.sheet, (new.cell,), new.metric, _kroner(new.value),
                    {"line": new.line, "period": new.period or "", "old": round(float(was), 2),
                     "new": round(new.value, 2), "version": previous.version_id}, numeric=True)
            for new, was in pairs]


def realised_decreased(report: Report, previous: StoredVersion, old: Sequence[Figure]) -> list[Finding]:
    """handleplan: realised savings went down since the previous accepted version."""
    if report.kind != "handleplan":
        return []
    pairs = _compared(report.figures, old, {"Realiseret"}, lambda new, was: new < was - 0.005)
    if pairs is None:
        before = _by_key(f for f in old if f.metric == "Realiseret")
        found = ((new, before.get(key)) for key, new in _by_key(f for f in report.figures
                                                                if f.metric == "Realiseret").items())
        pairs = [(new, was.value) for new, was in found if was is not None and new.value < was.value - 0.005]
    return [Finding("change.realised_decreased", WARNING, report.sheet, (new.cell,), "Realiseret",
                    _kroner(new.value), {"line": new.line, "old": round(float(was), 2), "new": round(new.value, 2)},
                    numeric=True)
            for new, was in pairs]


def start_vs_last_end(report: Report, last_year: StoredVersion | None, old: Sequence[Figure]) -> list[Finding]:
    """tilgang_afgang: this year's Primo differs from last year's Ultimo, where last year
    was reported through Q4."""
    if report.kind != "tilgang_afgang" or last_year is None or last_year.through != 4:
        return []
    pairs = _starts_and_ends(report.figures, old)
    if pairs is None:
        ends = {f.line.casefold(): f for f in old if f.metric == "Ultimo"}
        found = ((start, ends.get(start.line.casefold())) for start in report.figures if start.metric == "Primo")
        pairs = [(start, end.value) for start, end in found if end is not None and abs(end.value - start.value) > 0.005]
    return [Finding("change.start_vs_last_end", WARNING, report.sheet, (start.cell,), "Primo",
                    _kroner(start.value), {"line": start.line, "end": round(float(end), 2), "year": report.year - 1},
                    numeric=True)
            for start, end in pairs]


# --- column by column ---------------------------------------------------------------------

def _compared(new: Sequence[Figure], old: Sequence[Figure], metrics: set[str], differs: Differs
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


def _starts_and_ends(new: Sequence[Figure], old: Sequence[Figure]) -> list[tuple[Figure, float]] | None:
    """(Primo figure, last year's Ultimo of its line) where they differ; None unless both are
    Figures with one Primo and one Ultimo column."""
    if not isinstance(new, Figures) or not isinstance(old, Figures):
        return None
    starts = [c for c, col in enumerate(new.columns) if col.metric == "Primo"]
    ends = [c for c, col in enumerate(old.columns) if col.metric == "Ultimo"]
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
