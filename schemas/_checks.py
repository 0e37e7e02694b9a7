"""Small pandera checks shared by the kinds, each named by the rule id it reports."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import pandera.pandas as pa

from syncservice.layout import Frame
from syncservice.models import ERROR, Finding


def whole_number(series: pd.Series) -> pd.Series:
    """Counts of people are whole numbers; NaN (empty) is left to the nullable rule.
    On the numbers themselves (a float column, as validate builds them): six times
    quicker than pandas arithmetic, which counts on a sheet of twenty lines."""
    values = series.to_numpy()
    if values.dtype.kind != "f":
        return series.isna() | (series % 1 == 0)
    with np.errstate(invalid="ignore"):  # inf % 1 is NaN: not whole, as in pandas
        return pd.Series(np.isnan(values) | (np.mod(values, 1) == 0), index=series.index)


WHOLE = pa.Check(whole_number, name="value.not_whole", error="value.not_whole")


def years_in_sequence(too_few: str, sequence: str) -> Callable[[Frame], Iterator[Finding]]:
    """A header rule: at least two year columns, consecutive and increasing; reported at the
    first header cell that breaks the sequence, as the kind's rule ids `too_few`, `sequence`."""

    def rule(frame: Frame) -> Iterator[Finding]:
        keys = [k for k in frame.letters if k.startswith("y")]
        if len(keys) < 2:
            yield Finding(too_few, ERROR, frame.sheet, tuple(frame.header_cells[k] for k in keys),
                          "År", ", ".join(frame.names[k] for k in keys), {"count": len(keys)})
            return
        keys.sort(key=lambda k: frame.letters[k].rjust(3))
        for before, key in zip(keys, keys[1:]):
            if int(frame.names[key]) != int(frame.names[before]) + 1:
                # where a label between them could not be read as a year ('2O22'), it is that cell
                # which breaks the sequence, not the year after it
                cell, value = frame.header_cells[key], frame.names[key]
                stray = frame.unclaimed_between(frame.header_cells[before], cell)
                if stray is not None:
                    cell, value = stray.ref, stray.label
                yield Finding(sequence, ERROR, frame.sheet, (cell,), "År", value,
                              {"expected": int(frame.names[before]) + 1})
                return

    rule.__doc__ = years_in_sequence.__doc__
    return rule


def year_keys(frame: Frame) -> list[str]:
    """The frame's year columns ('y2020'…) in sheet order."""
    return sorted((k for k in frame.letters if k.startswith("y")), key=lambda k: frame.letters[k].rjust(3))
