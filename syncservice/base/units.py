"""When two unit names are the same unit (WORKBOOKS.md §1 "Identity").

    'handicap & psykiatri,Ballerup' → fold() → the same key as 'Handicap & Psykiatri, Ballerup'

A unit name is typed by hand in every workbook, so case, the spaces around punctuation
and the Unicode form (an 'ø' typed as 'o' + combining stroke on a Mac) vary between
copies of one unit's report. Every place that compares units (the store's keys,
reporting.units, who is missing) compares fold()s; the spelling shown is chosen once
(the configured one, else the first accepted) and kept.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import replace

from syncservice.base.models import Verdict

_AROUND_PUNCTUATION = re.compile(r"\s*([^\w\s])\s*")


def fold(unit: str) -> str:
    """A unit name → the key it is compared by: NFC, case folded, single spaces, none around punctuation."""
    text = unicodedata.normalize("NFC", unit).casefold()
    text = " ".join(unicodedata.normalize("NFC", text).split())  # casefold may undo NFC ('ǰ')
    return _AROUND_PUNCTUATION.sub(r"\1", text)


def same(a: str, b: str) -> bool:
    return fold(a) == fold(b)


def configured(unit: str, units: Iterable[str]) -> str | None:
    """The spelling in `units` (reporting.units) of the unit `unit` names, or None when it is not there."""
    key = fold(unit)
    return next((u for u in units if fold(u) == key), None)


def respelt(verdict: Verdict, spelling: Mapping[str, str]) -> Verdict:
    """The verdict with each report's and sheet's unit spelt as `spelling` (unit as read → unit kept) says."""
    if not any(spelling.get(r.unit, r.unit) != r.unit for r in verdict.reports) and not any(
            spelling.get(s.unit, s.unit) != s.unit for s in verdict.sheets):
        return verdict
    return replace(verdict, reports=tuple(replace(r, unit=spelling.get(r.unit, r.unit)) for r in verdict.reports),
                   sheets=tuple(replace(s, unit=spelling.get(s.unit, s.unit)) for s in verdict.sheets))
