"""Who has not reported: every unit × chased kind → the period due on a date and its status.

    config [reporting] + store (versions, files received) + a date → [Standing]

Statuses, first that applies: `afvist` (the newest file for the report was rejected),
`mangler` (nothing accepted), `forældet` (accepted, but only through an earlier period:
the quarter reported through, else the as-of date), `for sent` (the first version that
covered the period was accepted after its deadline), `ok`. Only what the store had
received by the end of that date counts, so a date in the past shows the state then.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from syncservice.models import StoredVersion
from syncservice.reporting import Due, due_on

if TYPE_CHECKING:
    from syncservice.config import Config
    from syncservice.store import Store

MANGLER, AFVIST, FORAELDET, FOR_SENT, OK = "mangler", "afvist", "forældet", "for sent", "ok"
STATUSES = (MANGLER, AFVIST, FORAELDET, FOR_SENT, OK)  # the order counts are shown in


@dataclass(frozen=True)
class Standing:
    """Where one unit stands with one kind's report for the period due."""

    unit: str
    kind: str
    year: int
    period: str  # '' for a yearly report, 'K1'..'K4' for quarters
    due: dt.date
    status: str
    latest_file: str | None  # path (relative to the watched folder) of the newest file for it

    def as_json(self) -> dict[str, Any]:
        return {"unit": self.unit, "kind": self.kind, "year": self.year, "period": self.period,
                "due": self.due.isoformat(), "status": self.status, "latest_file": self.latest_file}


def standings(store: Store, units: Iterable[str], deadlines: Mapping[str, Iterable[str]],
              on: dt.date) -> list[Standing]:
    """Every unit × kind with deadlines, in unit then kind order; empty when nobody must report."""
    dues = {kind: due for kind in sorted(deadlines) if (due := due_on(kind, deadlines[kind], on)) is not None}
    units = list(units)
    if not units or not dues:
        return []
    until = _end_of_day_utc(on)
    # A unit's reports are stored under the first spelling accepted (units.fold): look them up by it.
    stored = store.spellings(units)
    keys = [(kind, stored.get(unit, unit), due.year) for unit in units for kind, due in dues.items()]
    files = store.newest_files(keys, until)
    out = []
    for unit in units:
        for kind, due in dues.items():
            key = (kind, stored.get(unit, unit), due.year)
            newest = files.get(key)
            status = _status(due, lambda newest_first, key=key: store.report_versions(key, until,
                                                                                   newest_first=newest_first),
                             newest[1] if newest else None)
            out.append(Standing(unit, kind, due.year, due.period, due.due, status, newest[0] if newest else None))
    return out


def _status(due: Due, versions: Callable[[bool], Iterator[StoredVersion]], newest_verdict: str | None) -> str:
    """versions(newest_first): the report's versions accepted by then, streamed newest or
    oldest first (the newest is the one in force); only as many are read as it takes."""
    if newest_verdict == "rejected":
        return AFVIST
    in_force = next(versions(True), None)
    if in_force is None:
        return MANGLER
    if not covers(in_force, due):
        return FORAELDET
    first = next(v for v in versions(False) if covers(v, due))
    return FOR_SENT if local_date(first.accepted_at) > due.due else OK


def covers(version: StoredVersion, due: Due) -> bool:
    """A version counts for a period once what it reports through (its kind's count, such
    as the quarter, else the as-of date) lies in that period or later. Without either, it
    counts for any period."""
    through: dt.date | None = None
    if version.through:
        from schemas import KINDS

        kind = KINDS.get(version.kind)
        if kind is None or kind.through is None:
            return True
        through = kind.through.last_day(version.through, version.year)
        if through is None:  # a count that names no day (follow-ups): it covers any period
            return True
    elif version.as_of:
        through = dt.date.fromisoformat(version.as_of)
    else:
        return True
    return through >= due.start


def not_ok(rows: Iterable[Standing]) -> list[Standing]:
    """What finance must chase, by deadline (then unit, kind): the Mangler sheet."""
    return sorted((r for r in rows if r.status != OK), key=lambda r: (r.due, r.unit, r.kind))


def counts(rows: Iterable[Standing]) -> dict[str, int]:
    """{status: how many}, every status, in STATUSES order."""
    found = Counter(r.status for r in rows)
    return {s: found.get(s, 0) for s in STATUSES}


def local_date(iso: str) -> dt.date:
    """'2017-01-15T23:30:00+00:00' → that moment's date on this machine's clock."""
    when = dt.datetime.fromisoformat(iso)
    return (when.astimezone() if when.tzinfo else when).date()


def _end_of_day_utc(on: dt.date) -> str:
    """The first moment after `on` (local time), as the store writes times: ISO, UTC, seconds."""
    local = dt.datetime.combine(on + dt.timedelta(days=1), dt.time()).astimezone()
    return local.astimezone(dt.UTC).isoformat(timespec="seconds")


# --- for the consolidated workbook (pipeline.py) ------------------------------------------------

def for_summary(config: Config, store: Store, now: dt.datetime) -> list[Standing] | None:
    """Sheet Mangler's rows as of `now`'s day; None when nobody must report (no sheet then)."""
    units, deadlines = config.get("reporting", "units"), config.get("reporting", "deadlines")
    if not units or not deadlines:
        return None
    return not_ok(standings(store, units, deadlines, _day(now)))


def due_stamp(config: Config, now: dt.datetime) -> list[str]:
    """The deadlines in force on `now`'s day, one per kind: when one passes, sheet Mangler
    changes although nothing arrived, so the consolidated workbook is stale."""
    units, deadlines = config.get("reporting", "units"), config.get("reporting", "deadlines")
    if not units:
        return []
    return [f"{kind} {due.due.isoformat()}" for kind in sorted(deadlines)
            if (due := due_on(kind, deadlines[kind], _day(now))) is not None]


def _day(now: dt.datetime) -> dt.date:
    return (now.astimezone() if now.tzinfo else now).date()
