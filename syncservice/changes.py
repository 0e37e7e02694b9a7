"""Rules across versions (WORKBOOKS.md §5): warnings on acceptance, never rejections.

A new report is compared with the version it replaces and, for intake/outflow, with
last year's report of the same unit. Pure: the pipeline fetches what the store knows.
"""

from __future__ import annotations

from collections.abc import Iterable

from syncservice.models import WARNING, Figure, Finding, Report, StoredVersion

# Figures that stand for a period already reported; a change to one is worth a look.
# Ultimo moves with every quarter and handleplan's figures are updated through the year
# (its own rule watches realised going down), so they are not compared here.
PERIOD_FIGURES = {"effekt": {"Effekt"}, "tilgang_afgang": {"Primo", "Tilgang", "Afgang"}}


def _by_key(figures: Iterable[Figure]) -> dict[tuple[str, str, str, str], Figure]:
    return {(f.track, f.line.casefold(), f.metric, f.period): f for f in figures}


def _kroner(value: float) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def changed_figures(report: Report, previous: StoredVersion, old: list[Figure]) -> list[Finding]:
    """A figure for a quarter or year an earlier version already reported, now different."""
    metrics = PERIOD_FIGURES.get(report.kind, set())
    before = _by_key(f for f in old if f.metric in metrics)
    out = []
    for key, new in _by_key(f for f in report.figures if f.metric in metrics).items():
        was = before.get(key)
        if was is not None and abs(was.value - new.value) > 0.005:
            out.append(Finding("change.figure", WARNING, report.sheet, (new.cell,), new.metric,
                               _kroner(new.value), {"line": new.line, "period": new.period or "",
                                                    "old": _kroner(was.value), "new": _kroner(new.value),
                                                    "version": previous.version_id}))
    return out


def realised_decreased(report: Report, previous: StoredVersion, old: list[Figure]) -> list[Finding]:
    """handleplan: realised savings went down since the previous accepted version."""
    if report.kind != "handleplan":
        return []
    before = _by_key(f for f in old if f.metric == "Realiseret")
    out = []
    for key, new in _by_key(f for f in report.figures if f.metric == "Realiseret").items():
        was = before.get(key)
        if was is not None and new.value < was.value - 0.005:
            out.append(Finding("change.realised_decreased", WARNING, report.sheet, (new.cell,), "Realiseret",
                               _kroner(new.value), {"line": new.line, "old": _kroner(was.value),
                                                    "new": _kroner(new.value)}))
    return out


def start_vs_last_end(report: Report, last_year: StoredVersion | None, old: list[Figure]) -> list[Finding]:
    """tilgang_afgang: this year's Primo differs from last year's Ultimo, where last year
    was reported through Q4."""
    if report.kind != "tilgang_afgang" or last_year is None or last_year.through != 4:
        return []
    ends = {f.line.casefold(): f for f in old if f.metric == "Ultimo"}
    out = []
    for start in (f for f in report.figures if f.metric == "Primo"):
        end = ends.get(start.line.casefold())
        if end is not None and abs(end.value - start.value) > 0.005:
            out.append(Finding("change.start_vs_last_end", WARNING, report.sheet, (start.cell,), "Primo",
                               _kroner(start.value), {"line": start.line, "end": _kroner(end.value),
                                                      "year": report.year - 1}))
    return out
