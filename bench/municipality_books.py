"""The workbooks of a municipality for bench/municipality.py: who reports what, and every
version of each report over the years.

    units_of(count, seed) → [Unit]                      Danish names, each with its own lines
    REPORTS[kind](unit, year, years, seed, bump=0)      → [Version] of that report in that year,
                                                          oldest first; `bump` corrects one figure
                                                          of the last (a new version of it)
    save_fast(path, sheet, rows)                        the rows (tests/book.py's) as an .xlsx

Sizes: handleplan 10–30 areas, effekt 10–30 initiatives, tilgang_afgang 5–40 day services,
bruttobesparelse 10–30 follow-ups, effekt_realiseret 6–12 budget years (a line per year, as
the seed's 7). Figures are random but valid for each kind's rules and cross-version rules:
realised savings never fall, a year's day services start where last year's ended, places
cover the year's highest count, a past year's gross saving is not revised, and nothing is
realised ahead of its year. Everything follows from the seed, so a version can be made again.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import book  # noqa: E402

Rows = list[list[Any]]

UNIT_AREAS = ("Bostøtte", "Botilbud", "Socialpsykiatri", "Handicap & Psykiatri", "Aktivitetscenter", "Bofællesskab",
              "Værested", "Misbrugscenter", "Støttecenter", "Familiehuset", "Ungeindsats", "Hjerneskadecenter",
              "Dagcenter", "Beskæftigelse")
DISTRICTS = ("Nord", "Syd", "Øst", "Vest", "Centrum", "Åbyhøj", "Nørrebro", "Sønderå", "Kærby", "Ølstykke",
             "Strøby", "Hørsholm", "Ærøskøbing", "Fårevejle", "Løgstør", "Mårslet", "Brønshøj", "Østervang")
AREAS = ("Støtte eget hjem", "Dagtilbud", "BPA", "Botilbud", "Alkohol/stof", "Træning børn", "Institutioner", "STU",
         "Merudgifter", "Ledsageordning", "Aflastning", "Kontaktpersoner", "Beskyttet beskæftigelse",
         "Aktivitets- og samværstilbud", "Misbrugsbehandling", "Krisecentre", "Forsorgshjem", "Hjælpemidler",
         "Kørsel", "Bostøtte §85", "Midlertidige botilbud §107", "Længerevarende botilbud §108",
         "Socialpædagogisk støtte", "Psykiatri", "Hjerneskade", "Autisme", "Døgnophold", "Specialundervisning",
         "Værestedet", "Tolkebistand", "Plejefamilier")
INITIATIVES = ("Flere tilbud i egen kommune – kapacitetsplan", "Etablering af nye og alternative løsninger",
               "Visitationen – nye tilgange", "Tidligere kendskab til borgerne", "Livsfaser (ældreområdet)",
               "Recovery-orienteret bostøtte", "Gruppeforløb frem for enkeltforløb", "Digital bostøtte",
               "Udslusning fra botilbud", "Samarbejde med jobcentret", "Fælles indkøb", "Hjemtagning af borgere",
               "Revisitation af BPA", "Færre eksterne pladser", "Styrket opfølgning", "Tværfaglige teams",
               "Forebyggende indsats for unge", "Netværksmøder", "Velfærdsteknologi", "Brugerstyrede senge",
               "Peer-støtte", "Aftenåbent værested", "Akutteam", "Mentorordning", "Overgang fra ung til voksen",
               "Fleksible botilbud", "Hjemmevejledning", "Udredningsforløb", "Sagsbehandling i ét spor",
               "Økonomisk rådgivning")
DAY_SERVICES = ("Krumtappen", "Bibliotekscaféen", "Larsbjerggård", "Det Nye Sted", "Æblehaven", "Søhuset", "Møllen",
                "Kløverhuset", "Fyrtårnet", "Ålegården", "Solsikken", "Egebakken", "Grønnegården", "Hørgården",
                "Birkely", "Skovbrynet", "Engblommen", "Rødkløver", "Lærkereden", "Mosehuset", "Værkstedet Åen",
                "Caféen Nørregade", "Støberiet", "Bryggen", "Smedjen", "Havestuen", "Kraftværket", "Vævestuen",
                "Rytmehuset", "Kunstværkstedet", "Cykelværkstedet", "Køkkenholdet", "Gården Østergård",
                "Dyrehold Vestergård", "Tømrerværkstedet", "Snedkeriet", "Bageriet", "Marken", "Pilehuset",
                "Strandhuset", "Bølgen", "Fristedet")

# kind → its sheet's name, and its file's before the year
TITLES = {"handleplan": "Handleplan", "effekt": "Effekt", "tilgang_afgang": "Tilgang og afgang",
          "bruttobesparelse": "Bruttobesparelse", "effekt_realiseret": "Effekt realiseret"}
QUARTER_ENDS = ((3, 31), (6, 30), (9, 30), (12, 31))
CORRECTED = 0.3  # share of the yearly reports saved again later with a figure corrected


@dataclass(frozen=True)
class Unit:
    index: int
    name: str
    areas: tuple[str, ...]  # handleplan
    initiatives: tuple[tuple[str, str], ...]  # effekt: (track, initiative)
    services: tuple[str, ...]  # tilgang_afgang
    capacity: bool  # tilgang_afgang with a Pladser column
    follow_ups: int  # bruttobesparelse: lines in the year's first version
    budget_years: int  # effekt_realiseret
    jitter_hours: float  # this unit saves a little later or earlier than others


def units_of(count: int, seed: int) -> list[Unit]:
    rng = random.Random(f"{seed}:units")
    names: list[str] = []
    while len(names) < count:
        name = f"{rng.choice(UNIT_AREAS)} {rng.choice(DISTRICTS)} {rng.randint(1, 40)}"
        if name not in names:
            names.append(name)
    out = []
    for i, name in enumerate(names):
        initiatives = rng.sample(INITIATIVES, rng.randint(10, 30))
        out.append(Unit(i, name, tuple(rng.sample(AREAS, rng.randint(10, 30))),
                        tuple((f"{n // 3 + 1} {'abc'[n % 3]}", text) for n, text in enumerate(initiatives)),
                        tuple(rng.sample(DAY_SERVICES, rng.randint(5, 40))), rng.random() < 0.5,
                        rng.randint(10, 28), rng.randint(6, 12), rng.uniform(0, 96)))
    return out


def rel_of(unit: Unit, kind: str, year: int) -> str:
    return f"{unit.name}/{TITLES[kind]} {year}.xlsx"


def history_years(years: int, today: dt.date) -> list[int]:
    """The last `years` full years whose every save (the last in March after) lies in the past."""
    last = today.year - 1 if today >= dt.date(today.year, 4, 1) else today.year - 2
    return list(range(last - years + 1, last + 1))


@dataclass(frozen=True)
class Version:
    saved: dt.datetime  # the file's modification time
    sheet: str
    rows: Rows


def _at(unit: Unit, rng: random.Random, year: int, month: int, day: int) -> dt.datetime:
    return (dt.datetime(year, month, day, 8, tzinfo=dt.UTC)
            + dt.timedelta(hours=unit.jitter_hours + rng.uniform(0, 10)))


def _d1(x: float) -> float:
    return round(x, 1)


def handleplan(unit: Unit, year: int, years: list[int], seed: int, bump: int = 0) -> list[Version]:
    """Every quarter, as of its last day: targets fixed, expected for the year, realised growing."""
    rng = random.Random(f"{seed}:{unit.index}:handleplan:{year}")
    lines = []
    for area in unit.areas:
        target = _d1(rng.uniform(0.1, 6.0))
        lines.append((area, target, target * rng.uniform(0.6, 1.1), rng.uniform(0.85, 1.0)))
    out = []
    for q, (month, day) in enumerate(QUARTER_ENDS, start=1):
        as_of = dt.date(year, month, day)
        rows = [[area, target, _d1(expected * q / 4 * share), _d1(expected)] for area, target, expected, share in lines]
        if bump and q == 4:
            rows[bump % len(rows)][1] = _d1(rows[bump % len(rows)][1] + 0.1 * bump)
        header = ["Område", "Mål", f"Realiseret\n{as_of:%d.%m %Y}", f"Forventet {year}"]
        saved = _at(unit, rng, year + (q == 4), (month % 12) + 1, 10)
        out.append(Version(saved, "Handleplan", book.handleplan(unit=unit.name, year=year, as_of=as_of,
                                                                amount_unit="mio. kr.", lines=rows, header=header)))
    return out


def effekt(unit: Unit, year: int, years: list[int], seed: int, bump: int = 0) -> list[Version]:
    """Once a year in September (the budget), for that year and the four after it; some corrected in November."""
    rng = random.Random(f"{seed}:{unit.index}:effekt:{year}")
    rows = []
    for track, initiative in unit.initiatives:
        first = -50 * rng.randint(0, 40)
        rows.append([track, initiative, *[round(first * (1 + 0.4 * j) / 50) * 50 for j in range(5)]])
    versions = [rows]
    if rng.random() < CORRECTED:
        corrected = [list(r) for r in rows]
        for _ in range(rng.randint(1, 3)):
            corrected[rng.randrange(len(corrected))][2 + rng.randrange(5)] -= 50 * rng.randint(1, 10)
        versions.append(corrected)
    if bump:
        versions[-1] = [list(r) for r in versions[-1]]
        versions[-1][bump % len(rows)][6] -= 10 * bump
    months = (9, 11)
    return [Version(_at(unit, rng, year, months[i], 1), "Effekt",
                    book.effekt(unit=unit.name, years=list(range(year, year + 5)), lines=lines))
            for i, lines in enumerate(versions)]


def _counts(unit: Unit, year: int, years: list[int], seed: int) -> list[tuple[int, list[int]]]:
    """Each day service's start count and (intake, outflow) × 4 quarters of `year`; a year
    starts where the one before ended (so no change.start_vs_last_end)."""
    starts = [random.Random(f"{seed}:{unit.index}:tilgang:start:{i}").randint(5, 60) for i in range(len(unit.services))]
    for y in years:
        rng = random.Random(f"{seed}:{unit.index}:tilgang:{y}")
        year_counts = []
        for i, start in enumerate(starts):
            count, flows = start, []
            for _ in range(4):
                intake = rng.randint(0, 4)
                outflow = rng.randint(0, min(4, count + intake))
                count += intake - outflow
                flows += [intake, outflow]
            year_counts.append((start, flows))
            starts[i] = count
        if y == year:
            return year_counts
    raise ValueError(f"{year} is not among {years}")


def tilgang_afgang(unit: Unit, year: int, years: list[int], seed: int, bump: int = 0) -> list[Version]:
    """Every quarter, through that quarter; places (where the unit has them) above the year's highest count."""
    rng = random.Random(f"{seed}:{unit.index}:tilgang:saves:{year}")
    counts = [(start, list(flows)) for start, flows in _counts(unit, year, years, seed)]
    slack = [rng.randint(0, 5) for _ in counts]
    out = []
    for q in range(1, 5):
        if bump and q == 4:
            counts[bump % len(counts)][1][0] += bump  # one more intake in K1: one more at every count after
        lines, capacity = [], []
        for name, (start, flows), spare in zip(unit.services, counts, slack):
            count, highest = start, start
            for i in range(4):
                count += flows[2 * i] - flows[2 * i + 1]
                highest = max(highest, count)
                if i + 1 == q:
                    lines.append([name, start, *flows[:2 * q], count])
            capacity.append(highest + spare)
        month, _ = QUARTER_ENDS[q - 1]
        saved = _at(unit, rng, year + (q == 4), (month % 12) + 1, 15)
        out.append(Version(saved, "Tilgang og afgang", book.tilgang(unit=unit.name, year=year, quarters=q, lines=lines,
                                                                    capacity=capacity if unit.capacity else None)))
    return out


def bruttobesparelse(unit: Unit, year: int, years: list[int], seed: int, bump: int = 0) -> list[Version]:
    """Three follow-ups a year, each version one line more: the estimates for the year before
    and the next three; a past year's estimate stays as the follow-up before gave it."""
    rng = random.Random(f"{seed}:{unit.index}:brutto:{year}")
    made = [(y, n) for y in range(year - 12, year + 1) for n in (1, 2, 3)]
    made = made[-(unit.follow_ups + 2):]  # through 3. opfølgning of `year`
    columns = list(range(year - 1, year + 4))
    estimate = [_d1(rng.uniform(0.5, 12.0)) for _ in columns]
    lines = []
    for y, n in made:
        estimate = [e if c < y else _d1(e + rng.uniform(-0.5, 1.5)) for c, e in zip(columns, estimate)]
        lines.append([f"{n}. opfølgning {y}", *estimate])
    out = []
    for v, month in enumerate((4, 8, 10), start=1):
        rows = [list(r) for r in lines[:unit.follow_ups + v - 1]]
        if bump and v == 3:
            rows[-1][-1] = _d1(rows[-1][-1] + 0.1 * bump)  # a year to come: no past_year_changed
        out.append(Version(_at(unit, rng, year, month, 25), "Bruttobesparelse",
                           book.bruttobesparelse(unit=unit.name, corner="i mio. kr.", years=columns, lines=rows)))
    return out


def effekt_realiseret(unit: Unit, year: int, years: list[int], seed: int, bump: int = 0) -> list[Version]:
    """Once a year in February, as of 31 December: a line per budget year up to three years on,
    realised effects only for years begun; some corrected in March."""
    rng = random.Random(f"{seed}:{unit.index}:realiseret:{year}")
    rows = []
    for budget in range(year + 4 - unit.budget_years, year + 4):
        expected = _d1(rng.uniform(1, 15))
        adjusted = _d1(expected * rng.uniform(0.8, 1.3)) if budget >= year - 3 else None
        line: list[Any] = [budget, None if budget > year + 1 and rng.random() < 0.5 else expected, adjusted]
        if budget <= year:
            original = _d1((adjusted or expected) * rng.uniform(0.3, 0.9))
            new = _d1(rng.uniform(0, 2))
            line += ([original, "Ej opgjort", "Ej opgjort"] if budget == year and rng.random() < 0.2
                     else [original, new, _d1(original + new)])
        else:
            line += [None, None, None]
        rows.append(line)
    versions = [rows]
    if rng.random() < CORRECTED:
        corrected = [list(r) for r in rows]
        corrected[-1][2] = _d1(corrected[-1][2] + rng.uniform(0.1, 2))
        versions.append(corrected)
    if bump:
        versions[-1] = [list(r) for r in versions[-1]]
        versions[-1][-1][2] = _d1(versions[-1][-1][2] + 0.1 * bump)
    return [Version(_at(unit, rng, year + 1, (2, 3)[i], 1), "Effekt realiseret",
                    book.effekt_realiseret(unit=unit.name, as_of=dt.date(year, 12, 31),
                                           title="Effekt af den faglige omstilling i mio. kr.:", lines=lines))
            for i, lines in enumerate(versions)]


REPORTS = {"handleplan": handleplan, "effekt": effekt, "tilgang_afgang": tilgang_afgang,
           "bruttobesparelse": bruttobesparelse, "effekt_realiseret": effekt_realiseret}


def save_fast(path: Path, sheet: str, rows: Rows) -> Path:
    """book.save's workbook in openpyxl's write-only mode: a fraction of the time."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet)
    for row in rows:
        ws.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
