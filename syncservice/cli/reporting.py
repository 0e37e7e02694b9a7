"""`syncservice template` and `syncservice missing`: start right, and see who is behind.

Registered on the main group in syncservice/cli/__init__.py; shares cli/options.py.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from syncservice.base import config as config_mod
from syncservice.base import localtime
from syncservice.base.logs import json_text
from syncservice.base.models import WARNING, Finding
from syncservice.cli.options import config_option, load_config, safe
from syncservice.rules import messages

UNSAFE_IN_NAME = re.compile(r'[<>:"/\\|?*\x00-\x1f]')



@contextmanager
def _store(config: config_mod.Config) -> Iterator[Any]:
    """The store if there is one; else an empty one in memory (nothing has arrived yet).
    Never creates the database: asking must not leave files behind."""
    from syncservice.store.db import Store

    path = config.path("database")
    store = Store.open(path) if path.exists() else Store.memory()
    try:
        yield store
    finally:
        store.close()


# --- template -------------------------------------------------------------------------------

@click.command()
@click.argument("kind", required=False)
@click.option("--unit", help="The unit (Enhed), as on the list of units that must report.")
@click.option("--year", type=click.IntRange(2000, 2100), help="The year the report is for.")
@click.option("--through", type=click.IntRange(1, 4),
              help="A kind with quarters: the last quarter in it (default: the last quarter ended by today).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write it (default: '<Kind> <unit> <year>.xlsx' in this folder).")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@config_option
def template(kind: str | None, unit: str | None, year: int | None, through: int | None, output: Path | None,
             force: bool, config_path: Path | None) -> None:
    """Write a ready-to-fill workbook of KIND for a unit and year, pre-filled from the
    store where it holds the report; without KIND, list the kinds."""
    from schemas import KINDS
    from syncservice.outputs.template.plan import describe, plan
    from syncservice.outputs.template.sheet import write

    config = load_config(config_path)
    if kind is None:
        width = max(map(len, KINDS))
        for name, k in KINDS.items():
            click.echo(f"{name:<{width}}  {k.title}: {describe(k)}")
        return
    if kind not in KINDS:
        raise click.BadParameter(f"unknown kind {kind!r}; one of: {', '.join(KINDS)}", param_hint="KIND")
    if not unit or not unit.strip() or year is None:
        raise click.UsageError("give the unit and the year: syncservice template KIND --unit U --year Y")
    if through is not None and KINDS[kind].quarters is None:
        raise click.BadParameter(f"only for a kind with quarters, not {kind}", param_hint="--through")
    target = output or Path(UNSAFE_IN_NAME.sub("-", f"{KINDS[kind].title} {' '.join(unit.split())} {year}.xlsx"))
    if target.exists() and not force:
        raise click.BadParameter(f"{target} exists; give --force to overwrite it", param_hint="--output")
    with _store(config) as store:
        made = plan(KINDS[kind], unit, year, amount_unit=config.get("output", "amount_unit"), through=through,
                    store=store)
    write(made, target, language=config.language)
    da = config.language == "da"
    click.echo(f"{'Skabelon skrevet' if da else 'Template written'}: {safe(target)}")
    database = config.path("database")
    if made.source is not None:
        s = made.source
        click.echo(f"  {'forudfyldt fra' if da else 'pre-filled from'} {s.kind} · {safe(s.unit)} · {s.year}, "
                   f"version {s.shown} ({safe(s.path)}) {'i' if da else 'in'} {safe(database)}")
    elif database.exists():
        click.echo(f"  {'intet at forudfylde fra i' if da else 'nothing to pre-fill from in'} {safe(database)}")
    else:
        # run from another folder than the service's, the default config finds no store: say so
        click.echo(f"  {'ingen database fundet i' if da else 'no store found at'} {safe(database)}; "
                   f"{'skabelonen er ikke forudfyldt (angiv tjenestens config med --config)' if da else 'the template is not pre-filled (give the service config with --config)'}",
                   err=True)
    _warn_unknown_unit(config, made.unit)


def _warn_unknown_unit(config: config_mod.Config, unit: str) -> None:
    from syncservice.base.reporting import closest_unit
    from syncservice.base.units import configured

    units = config.get("reporting", "units")
    if units and configured(unit, units) is None:
        finding = Finding("report.unknown_unit", WARNING, value=unit, params={"closest": closest_unit(unit, units)})
        word = "advarsel" if config.language == "da" else "warning"
        click.echo(f"{click.style(word, fg='yellow')}: {safe(messages.render(finding, config.language))}", err=True)


# --- missing --------------------------------------------------------------------------------

HEADINGS = {"da": ("Enhed", "Skema", "År", "Periode", "Frist", "Status", "Seneste fil"),
            "en": ("Unit", "Kind", "Year", "Period", "Due", "Status", "Latest file")}
COLOURS = {"mangler": "red", "afvist": "red", "forældet": "yellow", "for sent": "yellow", "ok": "green"}
NOBODY = {"da": "Ingen skal indberette: reporting.units eller reporting.deadlines i config.toml er tom.",
          "en": "Nobody must report: reporting.units or reporting.deadlines in config.toml is empty."}


@click.command()
@click.option("--on", "on", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The day to ask about, YYYY-MM-DD (default today): only what had arrived by then counts.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per unit and kind.")
@config_option
def missing(on: dt.datetime | None, as_json: bool, config_path: Path | None) -> None:
    """Who has not reported: for each unit that must report and each kind with deadlines,
    the period due on the day and its status (mangler, afvist, forældet, for sent, ok)."""
    from syncservice.outputs.missing import counts, standings

    config = load_config(config_path)
    day = on.date() if on else localtime.today()
    with _store(config) as store:
        rows = standings(store, config.get("reporting", "units"), config.get("reporting", "deadlines"), day)
    if as_json:
        click.echo(json_text([r.as_json() for r in rows], indent=2))
        return
    language = config.language if config.language in HEADINGS else "da"
    if not rows:
        click.echo(NOBODY[language])
        return
    table = [(r.unit, r.kind, str(r.year), r.period or "–", r.due.strftime("%d.%m.%Y"), r.status,
              r.latest_file or "–") for r in rows]
    widths = [min(40, max(len(h), *(len(t[i]) for t in table))) for i, h in enumerate(HEADINGS[language])]
    click.echo(click.style("  ".join(f"{h:<{w}}" for h, w in zip(HEADINGS[language], widths)), bold=True))
    for cells, row in zip(table, rows):
        shown = [safe(c) if len(c) <= w else safe(c[:w - 1]) + "…" for c, w in zip(cells, widths)]
        padded = [f"{c:<{w}}" for c, w in zip(shown, widths)]
        padded[5] = click.style(padded[5], fg=COLOURS[row.status])
        click.echo("  ".join(padded).rstrip())
    total = counts(rows)
    click.echo(" · ".join(f"{n} {status}" for status, n in total.items()))


def status_counts(config: config_mod.Config, day: dt.date | None = None) -> dict[str, int] | None:
    """{status: count} for `syncservice status`; None when nobody must report."""
    from syncservice.outputs.missing import counts, standings

    units, deadlines = config.get("reporting", "units"), config.get("reporting", "deadlines")
    if not units or not deadlines:
        return None
    with _store(config) as store:
        return counts(standings(store, units, deadlines, day or localtime.today()))


def status_line(total: dict[str, int] | None, language: str) -> str | None:
    """'Indberetninger: 2 mangler · 1 afvist · …' for `syncservice status`."""
    if total is None:
        return None
    word = "Indberetninger" if language == "da" else "Reports due"
    return f"{word}: " + " · ".join(f"{n} {status}" for status, n in total.items())
