"""The command line: a thin click layer over the pipeline and the store.

Service faults (config, store, disk) are raised deep and shown here once, with the
exit code their class carries (syncservice.base.errors), as click does for its own.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from loguru import logger

from schemas import KINDS
from syncservice.base import config as config_mod
from syncservice.base import localtime
from syncservice.base.errors import DiskError, ServiceError
from syncservice.base.logs import json_text
from syncservice.base.models import Finding, Verdict
from syncservice.cli.options import config_option, load_config, safe, setup_logging
from syncservice.rules import messages

RETRY_LEFT_EXIT = 4  # `ingest`: files left to retry (WORKBOOKS.md §1, a file that stays unreadable)






class ServiceGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ServiceError as exc:
            click.echo(f"syncservice: {safe(exc)}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=ServiceGroup)
@click.version_option(package_name="syncservice")
def main() -> None:
    """Validate the workbooks staff save on the shared drive and consolidate them for finance."""


# --- check ------------------------------------------------------------------------------

@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per file.")
@click.option("-r", "--recursive", is_flag=True, help="For a folder: also the workbooks in its subfolders.")
@config_option
def check(files: tuple[Path, ...], as_json: bool, recursive: bool, config_path: Path | None) -> None:
    """Validate workbooks without recording anything. A folder stands for the workbooks in
    it (with -r, in its subfolders too).

    Exit 0 when all are accepted, 1 when any is rejected, 2 for a usage error.
    """
    from syncservice.pipeline import check_path

    config = load_config(config_path)
    logger.remove()
    render = _renderer(config.language)
    verdicts = []
    for path in _expand(files, recursive):
        verdicts.append((path, check_path(path, config)))
    if as_json:
        click.echo(json_text([_verdict_json(p, v, render) for p, v in verdicts], indent=2))
    else:
        for path, verdict in verdicts:
            click.echo(_verdict_text(path, verdict, render, config.language))
    sys.exit(0 if all(v.accepted for _, v in verdicts) else 1)


def _expand(paths: tuple[Path, ...], recursive: bool) -> list[Path]:
    """The files to check: each file as given, each folder's workbooks (lock, temporary and
    hidden files left out, as the watcher leaves them out)."""
    from syncservice.intake.read import OTHER_FORMATS, READABLE
    from syncservice.intake.stage import is_ignored

    workbook_types = READABLE | set(OTHER_FORMATS)
    out: list[Path] = []
    for path in paths:
        if not path.exists():
            raise click.BadParameter(f"no such file: {path}", param_hint="FILES")
        if not path.is_dir():
            out.append(path)
            continue
        found = sorted(p for p in (path.rglob("*") if recursive else path.iterdir())
                       if p.suffix.lower() in workbook_types and p.is_file() and not is_ignored(p, path, ()))
        if not found:
            more = "" if recursive else " (-r also looks in its subfolders)"
            raise click.BadParameter(f"{path} is a folder with no workbooks in it{more}", param_hint="FILES")
        out.extend(found)
    return out


def _renderer(language: str) -> Callable[[Finding], str]:
    return lambda f: messages.render(f, language)


def _finding_json(f: Finding, render: Callable[[Finding], str]) -> dict[str, Any]:
    return {"sheet": f.sheet, "cells": list(f.cells), "column": f.column, "value": f.value, "rule": f.rule,
            "message": render(f)}


def _verdict_json(path: Path, v: Verdict, render: Callable[[Finding], str]) -> dict[str, Any]:
    return {
        "file": str(path),
        "verdict": "accepted" if v.accepted else "rejected",
        "sheets": [{"sheet": s.sheet, "kind": s.kind, "unit": s.unit, "year": s.year} for s in v.sheets],
        "errors": [_finding_json(f, render) for f in v.errors],
        "warnings": [_finding_json(f, render) for f in v.warnings],
    }


WORDS = {
    "da": {"accepted": "GODKENDT", "rejected": "AFVIST", "error": "fejl", "warning": "advarsel",
           "errors": "fejl", "warnings": "advarsler", "sheet": "ark", "file": "filen"},
    "en": {"accepted": "ACCEPTED", "rejected": "REJECTED", "error": "error", "warning": "warning",
           "errors": "errors", "warnings": "warnings", "sheet": "sheet", "file": "the file"},
}


def _verdict_text(path: Path, v: Verdict, render: Callable[[Finding], str], language: str) -> str:
    w = WORDS[language]
    counts = (f"{len(v.errors)} {w['error'] if len(v.errors) == 1 else w['errors']}, "
              f"{len(v.warnings)} {w['warning'] if len(v.warnings) == 1 else w['warnings']}")
    head = f"{safe(path)}: {w['accepted'] if v.accepted else w['rejected']} ({counts})"
    lines = [click.style(head, fg="green" if v.accepted else "red", bold=True)]
    for s in v.sheets:
        lines.append(f"  {w['sheet']} «{safe(s.sheet)}»: {s.kind}, {safe(s.unit) or '?'}, {s.year or '?'}")
    for f in (*v.errors, *v.warnings):
        where = safe(f.location) or w["file"]
        found = messages.shown_value(f, language)
        detail = " · ".join(x for x in (safe(f.column), f"«{safe(found)}»" if found else "") if x)
        label = w[f.severity].upper()
        lines.append(f"  {click.style(label, fg='red' if f.severity == 'error' else 'yellow')} {where}"
                     f"{'  ' + detail if detail else ''}  [{f.rule}]")
        lines.append(f"      {safe(render(f))}")
    return "\n".join(lines)


# --- ingest, summary, history -------------------------------------------------------------

def _open(config: config_mod.Config):  # type: ignore[no-untyped-def]
    from syncservice.pipeline import Pipeline
    from syncservice.store.db import Store

    store = Store.open(config.path("database"))
    return store, Pipeline(config, store)


@main.command()
@config_option
def ingest(config_path: Path | None) -> None:
    """One pass over the watched folder: validate, record and archive every new or
    changed workbook, then rewrite the consolidated workbook once.

    Exit 0; 4 while files are left to retry (being saved, or unreadable for less than
    watch.unreadable_minutes: each is named; the next pass tries again); 5 when the
    consolidated workbook could not be rewritten; 6 when `syncservice run` is running."""
    from syncservice.service.lock import Held, InstanceLock
    from syncservice.service.run import already_running, lock_path

    config = load_config(config_path)
    config_mod.check_places(config)
    config_mod.require_watched(config)  # else a pass over nothing says "0 accepted" and exits 0
    setup_logging(config, quiet=True)
    # the same lock as `run`: two processes recording one folder could record a file twice
    lock = InstanceLock(lock_path(config))
    try:
        lock.acquire()
    except Held as held:
        raise already_running(held.holder, lock.path, config.language) from None
    try:
        from syncservice.store.backup import ensure_sound

        ensure_sound(config.path("database"), config.language)  # a damaged store is never written to
    except ServiceError:
        lock.release()
        raise
    store, pipeline = _open(config)
    language = config.language
    try:
        pending = pipeline.pending()
        if sys.stderr.isatty() and len(pending) > 1:
            with click.progressbar(length=len(pending), label="Behandler" if language == "da" else "Processing",
                                   file=sys.stderr) as bar:
                tally = pipeline.ingest(pending, progress=lambda o: bar.update(1))
        else:
            tally = pipeline.ingest(pending)
        for outcome in tally.outcomes:
            if outcome.status == "rejected" and outcome.verdict is not None:
                first = outcome.verdict.errors[0]
                where = f" {safe(first.location)}" if first.location else ""
                click.echo(f"{'afvist' if language == 'da' else 'rejected'}: {safe(outcome.rel)}{where}: "
                           f"{safe(messages.render(first, language))}")
        for outcome in tally.outcomes:
            if outcome.status == "retry":
                click.echo(f"{'prøves igen' if language == 'da' else 'to retry'}: {safe(outcome.rel)}"
                           f" ({safe(outcome.reason)})")
        click.echo(tally.line(language))
        _note_ingest(config, len(tally.outcomes), tally.line(language))
        if tally.summary_error:  # already on stderr through the log; the files are recorded
            sys.exit(DiskError.exit_code)
        if tally.count("retry"):
            sys.exit(RETRY_LEFT_EXIT)
    finally:
        store.close()
        lock.release()


def _note_ingest(config: config_mod.Config, files: int, tally: str) -> None:
    """What this pass did, for `status` (which shows the later of this and run's last pass)."""
    from syncservice.base import localtime
    from syncservice.service import status as status_mod
    from syncservice.service.run import ingest_status_path

    try:
        status_mod.write(ingest_status_path(config), status_mod.IngestPass(localtime.now_text(), files, tally))
    except OSError as exc:  # the pass itself is recorded; only status would not know of it
        logger.warning("could not note the pass for status: {}", exc)


@main.command()
@config_option
def summary(config_path: Path | None) -> None:
    """Rewrite the consolidated workbook from the store alone."""
    config = load_config(config_path)
    setup_logging(config, quiet=True)
    store, pipeline = _open(config)
    try:
        click.echo(str(pipeline.write_summary()))
    finally:
        store.close()


@main.command()
@click.option("--unit", help="Only this unit.")
@click.option("--kind", type=click.Choice(sorted(KINDS)), help="Only this kind.")
@config_option
def history(unit: str | None, kind: str | None, config_path: Path | None) -> None:
    """The versions of each report, newest first."""
    config = load_config(config_path)
    store, _ = _open(config)
    try:
        versions = store.history(unit, kind)
        current = {v.version_id for v in store.current_versions()}
        retired = store.retired()
        known = store.units() if unit and not versions else []
    finally:
        store.close()
    da = config.language == "da"
    if not versions:
        click.echo("Ingen versioner." if da else "No versions.")
        _suggest_unit(unit, known, da)
        return
    numbers = {v.version_id: v.shown for v in versions}  # what a person reads: 1, 2, 3… per report
    last = None
    for v in versions:
        if (v.kind, v.unit, v.year) != last:
            last = (v.kind, v.unit, v.year)
            out = retired.get(last)
            gone = (f" (udtaget {localtime.shown(out[1])})" if da else f" (retired {localtime.shown(out[1])})") if out else ""
            click.echo(click.style(f"{v.kind} · {safe(v.unit)} · {v.year}{gone}", bold=True))
        mark = ("gældende" if da else "current") if v.version_id in current else ""
        if (v.kind, v.unit, v.year) in retired and retired[(v.kind, v.unit, v.year)][0] == v.version_id:
            mark = "gældende til den blev udtaget" if da else "current until retired"
        if v.superseded_by:  # from a file saved before the one in force (WORKBOOKS.md §1): never in force
            before = numbers.get(v.superseded_by, v.superseded_by)
            mark = (f"gemt før v{before}, aldrig gældende" if da else f"saved before v{before}, never current")
        click.echo(f"  v{v.shown:<5} {localtime.shown(v.accepted_at):<24} {safe(v.path)} ({v.sheet}) {mark}".rstrip())


@main.command()
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.option("--unit", required=True, help="The unit (Enhed), in any spelling of it.")
@click.option("--year", required=True, type=int, help="The year the report is for.")
@config_option
def retire(kind: str, unit: str, year: int, config_path: Path | None) -> None:
    """Take the report (KIND, unit, year) out of what finance reads, for a report that should
    never have been (WORKBOOKS.md §9); its versions stay in `history`, marked retired. A new
    version of it accepted later is in force again. Rewrites the consolidated workbook.
    Exit 0; 1 when the store holds no version in force for that report."""
    import datetime as dt

    config = load_config(config_path)
    setup_logging(config, quiet=True)
    store, pipeline = _open(config)
    da = config.language == "da"
    try:
        key = (kind, store.spellings([unit]).get(unit, unit), year)
        version = store.retire(key, dt.datetime.now(dt.UTC))
        if version is None:
            before = store.retired().get(key)
            if before:
                click.echo(f"{kind} · {safe(key[1])} · {year} {'er allerede udtaget' if da else 'is retired already'}"
                           f" ({localtime.shown(before[1])}).", err=True)
            else:
                click.echo(f"{'Ingen gældende version af' if da else 'No version in force of'} {kind} · "
                           f"{safe(key[1])} · {year}.", err=True)
                _suggest_unit(unit, store.units() if key[1] not in store.units() else [], da)
            sys.exit(1)
        logger.info("{} · {} · {} retired: version {} ({}) no longer in what finance reads", kind, key[1], year,
                    version.version_id, version.path)
        pipeline.write_summary()
    finally:
        store.close()
    click.echo(f"{'Udtaget' if da else 'Retired'}: {kind} · {safe(key[1])} · {year}, "
               f"version {version.shown} ({safe(version.path)})")


def _suggest_unit(unit: str | None, known: list[str], da: bool) -> None:
    """A --unit that matched nothing: name the unit the store holds that it most likely meant
    (one whose name holds it, as 'Ballerup' in 'Handicap & Psykiatri, Ballerup', else the closest)."""
    from syncservice.base.reporting import closest_unit
    from syncservice.base.units import fold

    if not unit or not known:
        return
    holding = [u for u in known if fold(unit) in fold(u)]
    best = holding[0] if len(holding) == 1 else closest_unit(unit, holding or known)
    click.echo(f"Ingen enhed hedder «{safe(unit)}»; mente du «{safe(best)}»?" if da
               else f"No unit is called «{safe(unit)}»; did you mean «{safe(best)}»?", err=True)


@main.command("log")
@click.option("--rejected", is_flag=True, help="Only rejected workbooks.")
@click.option("--unit", help="Only workbooks with a report for this unit.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="Only verdicts from this date (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--limit", default=200, show_default=True, help="Most verdicts shown.")
@config_option
def log_command(rejected: bool, unit: str | None, since: Any, as_json: bool, limit: int,
                config_path: Path | None) -> None:
    """The validation log: every verdict with its errors and warnings, newest first."""
    config = load_config(config_path)
    store, _ = _open(config)
    try:
        # --since is a day in output.timezone: from its first moment, as the store writes times (UTC)
        entries = store.log(rejected=rejected, unit=unit, since=localtime.day_start_utc(since.date()) if since else None,
                            limit=limit)
    finally:
        store.close()
    if as_json:
        click.echo(json_text([{
            "time": e.received_at, "file": e.path, "verdict": e.verdict, "sheets": e.sheets,
            "errors": [_logged_json(f, m) for f, m in e.findings if f.severity == "error"],
            "warnings": [_logged_json(f, m) for f, m in e.findings if f.severity == "warning"],
        } for e in entries], indent=2))
        return
    da = config.language == "da"
    if not entries:
        click.echo("Ingen afgørelser." if da else "No verdicts.")
        if unit:
            store, _ = _open(config)
            try:
                _suggest_unit(unit, store.units(), da)
            finally:
                store.close()
        return
    words = {"accepted": "godkendt", "rejected": "afvist", "unchanged": "uændret"} if da else {}
    header = ("Tidspunkt", "Fil", "Afgørelse", "Fejl", "Adv.") if da else ("Time", "File", "Verdict", "Err", "Warn")
    width = max(20, min(50, max(len(safe(e.path)) for e in entries)))
    click.echo(click.style(f"{header[0]:<24} {header[1]:<{width}} {header[2]:<10} {header[3]:>4} {header[4]:>4}",
                           bold=True))
    for e in entries:
        colour = {"accepted": "green", "rejected": "red"}.get(e.verdict)
        when = localtime.shown(e.received_at)  # output.timezone, said
        path = safe(e.path)
        path = path if len(path) <= width else "…" + path[-(width - 1):]
        click.echo(f"{when:<24} {path:<{width}} {click.style(f'{words.get(e.verdict, e.verdict):<10}', fg=colour)}"
                   f" {e.error_count:>4} {e.warning_count:>4}")
        for f, message in e.findings[:5]:
            where = safe(f.location) or ("filen" if da else "the file")
            click.echo(f"    {where}: {safe(message)}")
        if len(e.findings) > 5:
            click.echo(f"    … {len(e.findings) - 5} {'flere' if da else 'more'}")


def _logged_json(f: Finding, message: str) -> dict[str, Any]:
    return {"sheet": f.sheet, "cells": list(f.cells), "column": f.column, "value": f.value, "rule": f.rule,
            "message": message}


from syncservice.cli.service import run, status  # noqa: E402

main.add_command(run)
main.add_command(status)

from syncservice.cli.reporting import missing, template  # noqa: E402

main.add_command(template)
main.add_command(missing)

from syncservice.cli.web import serve  # noqa: E402

main.add_command(serve)

from syncservice.cli.backup import backup, rebuild  # noqa: E402

main.add_command(backup)
main.add_command(rebuild)

from syncservice.cli.notify import notify  # noqa: E402

main.add_command(notify)
