"""Small pandera checks shared by the kinds, each named by the rule id it reports."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa


def whole_number(series: pd.Series) -> pd.Series:
    """Counts of people are whole numbers; NaN (empty) is left to the nullable rule."""
    return series.isna() | (series % 1 == 0)


WHOLE = pa.Check(whole_number, name="value.not_whole", error="value.not_whole")
