"""Benchmark workbooks, built the way staff lay them out (shared by the bench scripts)."""

from __future__ import annotations

import random
import sys
from collections.abc import Collection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from openpyxl import Workbook  # noqa: E402

import book  # noqa: E402


def typical(path: Path, unit: str = "Handicap og Socialpsykiatri, Fredensborg") -> Path:
    """A handleplan of about 20 rows (the seed's ten areas, twice over)."""
    lines = [[f"{name} {n}", t, r, e] for n in (1, 2) for name, t, r, e in book.HANDLEPLAN_LINES]
    return book.save(path, {"Handleplan": book.handleplan(unit=unit, lines=lines)})


def intake_outflow(path: Path, rows: int, seed: int = 1, total: bool = False, unit: str = "Stor enhed",
                   changed: Collection[int] = ()) -> Path:
    """A tilgang_afgang sheet of `rows` day services over four quarters, balanced,
    written in streaming mode so building it stays cheap; with `total`, an 'I alt' row
    under them holding each column's sum; lines (from 0) in `changed` have one more intake in
    the first quarter than the same sheet without, as a corrected figure in a new version."""
    rng = random.Random(seed)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Tilgang og afgang")
    ws.append(["Til- og afgang på dagtilbud"])
    ws.append([])
    ws.append(["Enhed:", unit])
    ws.append(["År:", 2016])
    ws.append([])
    ws.append([None, "Antal borgere 1/1 2016", "1. kv. 2016", None, "2. kv. 2016", None, "3. kv. 2016", None,
               "4. kv. 2016", None, "Antal borgere 31/12 2016", "Pladser"])
    ws.append([None, None] + ["Tilgang", "Afgang"] * 4)
    sums = [0] * 11
    for i in range(rows):
        start = rng.randint(5, 60)
        flows, count, most = [], start, start
        for _ in range(4):
            intake = rng.randint(0, 4)
            outflow = rng.randint(0, min(4, count + intake))
            count += intake - outflow
            most = max(most, count)
            flows += [intake, outflow]
        if i in changed:
            flows[0] += 1
            count += 1
            most += 1
        # places for the most citizens the service had at any time, so the sheet is accepted
        # without warnings, as a finished sheet is (not with a warning on every fifth line)
        figures = [start, *flows, count, most + rng.randint(0, 10)]
        sums = [a + b for a, b in zip(sums, figures)]
        ws.append([f"Dagtilbud {i + 1}", *figures])
    if total:
        ws.append(["I alt", *sums])
    wb.save(path)
    return path
