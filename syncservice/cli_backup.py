"""`syncservice backup` and `syncservice rebuild`: the store copied while the service runs,
and made anew from the archive when it is lost.

Registered on the main group at the end of cli.py; like cli_service.py, this module does
not import syncservice.cli at import time (a cycle).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from syncservice.cli_service import _config, config_option
from syncservice.errors import DiskError

TEXT = {
    "da": {"backup": "Sikkerhedskopi af {store} skrevet: {dest}",
           "exists": "der findes allerede et lager i {store}; `--force` flytter det til side og bygger et nyt",
           "rebuilt": "Lager genopbygget fra {archive}: {store}",
           "tally": "{files} filer genbehandlet ({accepted} godkendt, {rejected} afvist); {versions} versioner, "
                    "{current} gældende",
           "legacy": "{n} filer var arkiveret uden sidefil (før denne udgave): deres mappe i den overvågede mappe, "
                     "gemmetidspunkt og rækkefølge inden for samme sekund er ukendte; de er taget efter navnet",
           "repeated": "{n} kopier sprunget over: en afbrudt kørsel arkiverede dem uden at registrere dem, og den "
                       "næste arkiverede samme indhold igen",
           "skipped": "sprunget over: {path} ({why})",
           "changed": "afgørelsen er ændret for {rel}: dengang {then}, nu {now} (reglerne er ændret siden)",
           "aside": "Det gamle lager er flyttet til side: {path}",
           "summary": "Samlet oversigt skrevet: {path}",
           "summary_error": "Den samlede oversigt kunne ikke skrives ({why}); kør `syncservice summary`",
           "lost": "Kan ikke genskabes fra arkivet: rækker for filer gemt igen uændret, og filer afvist uden "
                   "kopi (for store eller ulæselige)"},
    "en": {"backup": "Backup of {store} written: {dest}",
           "exists": "a store already exists at {store}; `--force` moves it aside and builds a new one",
           "rebuilt": "Store rebuilt from {archive}: {store}",
           "tally": "{files} files judged again ({accepted} accepted, {rejected} rejected); {versions} versions, "
                    "{current} current",
           "legacy": "{n} files were archived without a sidecar (before this release): their folder in the watched "
                     "folder, save time and order within one second are unknown; they are taken by their name",
           "repeated": "{n} copies passed over: an interrupted run archived them without recording them, and the "
                       "next archived the same content again",
           "skipped": "passed over: {path} ({why})",
           "changed": "the verdict changed for {rel}: {then} then, {now} now (the rules changed since)",
           "aside": "The old store was moved aside: {path}",
           "summary": "Consolidated workbook written: {path}",
           "summary_error": "The consolidated workbook could not be written ({why}); run `syncservice summary`",
           "lost": "Not recoverable from the archive: the rows of files saved again unchanged, and files rejected "
                   "without a copy (too large or unreadable)"},
}


@click.command()
@click.argument("dest", type=click.Path(path_type=Path))
@config_option
def backup(dest: Path, config_path: Path | None) -> None:
    """Write a consistent copy of the store to DEST (a folder, or a name without an
    extension: a new syncservice-<UTC time>.sqlite in it), also while `syncservice run` is
    running: SQLite's online backup, which never holds up the service's writes."""
    from syncservice.store_backup import backup as write_backup

    config = _config(config_path)
    written = write_backup(config.path("database"), dest, config.language)
    click.echo(TEXT[config.language]["backup"].format(store=config.path("database"), dest=written))


def _progress(language: str):  # type: ignore[no-untyped-def]
    """On a terminal, 'Genbehandler 120/3400' kept on one line of stderr; elsewhere nothing."""
    if not sys.stderr.isatty():
        return None
    label = "Genbehandler" if language == "da" else "Judging again"

    def show(done: int, total: int) -> None:
        click.echo(f"\r{label} {done}/{total}", err=True, nl=done == total)

    return show


@click.command()
@click.option("--from", "from_", type=click.Path(file_okay=False, exists=True, path_type=Path), default=None,
              help="The archive to rebuild from (default: paths.archive). It is only read.")
@click.option("--force", is_flag=True, help="Move an existing store aside instead of refusing.")
@config_option
def rebuild(from_: Path | None, force: bool, config_path: Path | None) -> None:
    """Build a new store from the archive alone: every file received, in the order it came,
    judged again with the times it was received; then rewrite the consolidated workbook.
    Refuses when a store exists, unless --force (which moves it aside, never deletes it)."""
    from syncservice.cli import _setup_logging, safe
    from syncservice.lock import Held, InstanceLock
    from syncservice.rebuild import rebuild as run_rebuild
    from syncservice.service import already_running, lock_path

    config = _config(config_path)
    w = TEXT[config.language]
    archive_dir = from_ or config.path("archive")
    lock = InstanceLock(lock_path(config))  # never beside `run` or `ingest`: they write the store
    try:
        lock.acquire()
    except Held as held:
        raise already_running(held.holder, lock.path, config.language) from None
    try:
        _setup_logging(config, quiet=True)
        done = run_rebuild(config, archive_dir, force=force, progress=_progress(config.language))
    except FileExistsError:
        raise click.UsageError(w["exists"].format(store=config.path("database"))) from None
    finally:
        lock.release()
    if done.moved_aside:
        click.echo(w["aside"].format(path=done.moved_aside))
    click.echo(w["rebuilt"].format(archive=archive_dir, store=done.store))
    click.echo(w["tally"].format(files=done.files, accepted=done.accepted, rejected=done.rejected,
                                 versions=done.versions, current=done.current))
    if done.legacy:
        click.echo(w["legacy"].format(n=len(done.legacy)))
    if done.repeated:
        click.echo(w["repeated"].format(n=len(done.repeated)))
    for path, why in done.skipped:
        click.echo(w["skipped"].format(path=safe(path), why=why))
    for rel, then, now in done.verdict_changed:
        click.echo(w["changed"].format(rel=safe(rel), then=then, now=now))
    click.echo(w["lost"])
    if done.consolidated:
        click.echo(w["summary"].format(path=done.consolidated))
    else:
        click.echo(w["summary_error"].format(why=done.summary_error), err=True)
        sys.exit(DiskError.exit_code)
