"""`syncservice run` and `syncservice status`: the service's two commands.

Registered on the main group in syncservice/cli/__init__.py; shares cli/options.py.
"""

from __future__ import annotations

import signal
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from syncservice.base import config as config_mod
from syncservice.base.logs import json_text
from syncservice.cli.options import config_option, load_config, safe
from syncservice.service import status as status_mod

NOT_RUNNING_EXIT = 3  # as LSB init scripts and `systemctl status` say "not running"



@click.command()
@config_option
def run(config_path: Path | None) -> None:
    """Run as a service: watch the folder and process each workbook saved there, keeping
    the consolidated workbook current. Catches up on start; SIGTERM or Ctrl-C finish the
    workbook in hand and exit. A second instance for the same store is refused (exit 6)."""
    from syncservice.base.logs import setup
    from syncservice.service.run import Service

    config = load_config(config_path)
    setup(config, console_level="INFO")
    service = Service(config)
    web = _web_beside(config)

    def stop(signum: int, frame: Any) -> None:
        service.stop()
        # A second Ctrl-C (or SIGTERM) is not polite any more: the default action ends the process.
        signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL)

    for name in ("SIGTERM", "SIGINT", "SIGBREAK", "SIGHUP"):  # SIGBREAK: Ctrl-Break on Windows
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)
    try:
        service.run(started=web.start if web else None)  # once the store exists
    finally:
        if web:
            web.stop()


class _WebBeside:
    """The reviewers' web view in a thread beside the watcher (web.enabled = true)."""

    def __init__(self, config: config_mod.Config) -> None:
        from syncservice.outputs.web.server import check_binding

        check_binding(config, config.get("web", "host"))  # refused before the service starts
        self.config = config
        self.server: Any = None

    def start(self) -> None:
        from loguru import logger

        from syncservice.outputs.web.server import WebServer

        self.server = server = WebServer(self.config)
        server.start(started=lambda: logger.info("web view: {}", server.url))

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def _web_beside(config: config_mod.Config) -> _WebBeside | None:
    return _WebBeside(config) if config.get("web", "enabled") else None


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@config_option
def status(as_json: bool, config_path: Path | None) -> None:
    """Whether the service is running; its last pass, files pending, reports current,
    accepted and rejected files, files that cannot be read, and the last error. Exit 0
    when running, 3 when not."""
    from syncservice.service.lock import is_held, read_holder
    from syncservice.service.run import ingest_status_path, lock_path, status_path

    config = load_config(config_path)
    running = is_held(lock_path(config))
    last = status_mod.read(status_path(config))
    latest = status_mod.latest_pass(last, status_mod.read(ingest_status_path(config), status_mod.IngestPass))
    holder = read_holder(lock_path(config)) if running else None
    info: dict[str, Any] = {"running": running, "status": asdict(last) if last else None,
                            "pid": holder.pid if holder else None,
                            # the later of run's last pass and the last `ingest`, and which it was
                            "last_pass": dict(zip(("ended", "files", "by"), latest)) if latest else None}
    info.update(_store_facts(config, count_pending=not running))
    from syncservice.cli.reporting import status_counts, status_line  # who has not reported ([reporting])

    info["reporting"] = status_counts(config)  # {status: count}, None when nobody must report
    from syncservice.cli.notify import status_info, status_lines  # messages to people ([notify])

    info["notify"] = status_info(config)  # targets with secrets masked, the outbox's counts
    if as_json:
        click.echo(json_text(info, indent=2))
    else:
        click.echo(_status_text(info, last, config.language))
        if info["reporting"] is not None:
            click.echo(status_line(info["reporting"], config.language))
        for line in status_lines(info["notify"], config.language):
            click.echo(line)
    sys.exit(0 if running else NOT_RUNNING_EXIT)


def _store_facts(config: config_mod.Config, *, count_pending: bool) -> dict[str, Any]:
    """Counts from the store; with the service stopped, also the files a start would catch up on."""
    from syncservice.pipeline import Pipeline
    from syncservice.store.backup import ensure_sound
    from syncservice.store.db import Store

    ensure_sound(config.path("database"), config.language)  # PRAGMA quick_check: a damaged store says so, exit 7
    if not config.path("database").exists():
        return {"current": 0, "accepted": 0, "rejected": 0, "rejected_now": 0,
                "pending_now": None, "unreadable": [], "not_reports": 0}
    with Store.open(config.path("database")) as store:
        counts = store.counts()
        facts = {"current": counts["current"], "accepted": counts["accepted"], "rejected": counts["rejected"],
                 "rejected_now": len(store.rejected_files(limit_errors=0)), "pending_now": None,
                 # files that cannot be read: retried, or (after watch.unreadable_minutes) rejected
                 "unreadable": [{"path": u.path, "since": _local(u.first_failed), "attempts": u.attempts,
                                 "rejected": u.judged_at is not None} for u in store.unreadable()],
                 # workbooks in the folder that are not reports: left alone (WORKBOOKS.md §1)
                 "not_reports": len(store.not_reports())}
        if count_pending and config.path("watched").is_dir():
            facts["pending_now"] = len(Pipeline(config, store).pending())
    return facts


TEXT = {
    "da": {"running": "syncservice kører (pid {pid} på {host}, startet {started}; "
                      "{observer} observation af {watched})",
           "not_running": "syncservice kører ikke", "stopped": "stoppet {when}",
           "crashed": "sidst set kørende {when} (pid {pid}); den blev ikke stoppet pænt",
           "never": "har ikke kørt med denne konfiguration",
           "last_pass": "Seneste gennemløb", "files": "filer", "none": "intet endnu",
           "by_run": "af syncservice run", "by_ingest": "af syncservice ingest",
           "pending": "Filer i kø", "pending_stopped": "Filer nye eller ændrede siden sidste kørsel",
           "reports": "Gældende rapporter", "accepted": "Godkendte filer", "rejected": "Afviste filer",
           "rejected_now": "heraf afvist nu", "last_error": "Seneste fejl", "no_error": "ingen",
           "unreadable": "Filer der ikke kan læses", "retrying": "prøves igen, ulæselig siden {since}",
           "judged": "afvist som ulæselig, siden {since}",
           "not_reports": "Projektmapper der ikke er indberetninger (ladt i fred)",
           "observer_down": "Mappen overvåges ikke siden {since} (væk eller afmonteret?); prøver igen",
           "observer_restarts": "Observatøren genstartet {n} gang(e), senest {when}: {why}"},
    "en": {"running": "syncservice is running (pid {pid} on {host}, started {started}; "
                      "{observer} observer on {watched})",
           "not_running": "syncservice is not running", "stopped": "stopped {when}",
           "crashed": "last seen running {when} (pid {pid}); it did not stop cleanly",
           "never": "it has not run with this configuration",
           "last_pass": "Last pass", "files": "files", "none": "none yet",
           "by_run": "by syncservice run", "by_ingest": "by syncservice ingest",
           "pending": "Files pending", "pending_stopped": "Files new or changed since the last run",
           "reports": "Reports current", "accepted": "Accepted files", "rejected": "Rejected files",
           "rejected_now": "rejected now", "last_error": "Last error", "no_error": "none",
           "unreadable": "Files that cannot be read", "retrying": "retried, unreadable since {since}",
           "judged": "rejected as unreadable, since {since}",
           "not_reports": "Workbooks that are not reports (left alone)",
           "observer_down": "The folder is not watched since {since} (gone or unmounted?); trying again",
           "observer_restarts": "Observer restarted {n} time(s), last {when}: {why}"},
}


def _local(iso_utc: str) -> str:
    """'2026-11-23T09:20:15+00:00' (the store's UTC) → output.timezone, as now_text() writes it."""
    from syncservice.base import localtime

    when = localtime.local_iso(iso_utc)
    return when.isoformat(timespec="seconds") if when is not None else iso_utc


def _when(iso: str) -> str:
    """'2026-11-23T10:20:15+01:00' → '2026-11-23 10:20:15' (the server's local time)."""
    return iso[:19].replace("T", " ")


def _status_text(info: dict[str, Any], last: status_mod.Status | None, language: str) -> str:

    w = TEXT[language]
    lines = []
    if info["running"] and last is not None:
        lines.append(click.style(w["running"].format(pid=last.pid, host=last.host, started=_when(last.started),
                                                     observer=last.observer, watched=safe(last.watched)),
                                 fg="green", bold=True))
    elif info["running"]:
        lines.append(click.style(w["running"].split(" (")[0] + f" (pid {info['pid']})", fg="green", bold=True))
    else:
        if last is None:
            why = w["never"]
        elif last.state == status_mod.STOPPED:
            why = w["stopped"].format(when=_when(last.stopped))
        else:
            why = w["crashed"].format(when=_when(last.updated or last.started), pid=last.pid)
        lines.append(click.style(f"{w['not_running']} ({why})", fg="red", bold=True))
    if info.get("last_pass"):
        latest = info["last_pass"]
        by = w["by_ingest"] if latest["by"] == "ingest" else w["by_run"]
        lines.append(f"{w['last_pass']}: {_when(latest['ended'])} ({latest['files']} {w['files']}, {by})")
    else:
        lines.append(f"{w['last_pass']}: {w['none']}")
    if info["running"]:
        lines.append(f"{w['pending']}: {last.pending if last else '?'}")
    elif info["pending_now"] is not None:
        lines.append(f"{w['pending_stopped']}: {info['pending_now']}")
    lines.append(f"{w['reports']}: {info['current']} · {w['accepted']}: {info['accepted']} · "
                 f"{w['rejected']}: {info['rejected']} ({w['rejected_now']}: {info['rejected_now']})")
    if info.get("unreadable"):
        named = [f"{safe(u['path'])} ({w['judged' if u['rejected'] else 'retrying'].format(since=_when(u['since']))})"
                 for u in info["unreadable"]]
        lines.append(f"{w['unreadable']}: {len(named)}: " + ", ".join(named))
    if info.get("not_reports"):
        lines.append(f"{w['not_reports']}: {info['not_reports']}")
    if info["running"] and last is not None and last.observer_down:
        lines.append(click.style(w["observer_down"].format(since=_when(last.observer_down)), fg="red", bold=True))
    elif info["running"] and last is not None and last.observer_restarts:
        lines.append(click.style(w["observer_restarts"].format(n=last.observer_restarts,
                                                                when=_when(last.observer_restarted),
                                                                why=safe(last.observer_why)), fg="yellow"))
    if last is not None and last.last_error:
        lines.append(f"{w['last_error']}: {_when(last.last_error_at)} {safe(last.last_error)}")
    else:
        lines.append(f"{w['last_error']}: {w['no_error']}")
    return "\n".join(lines)
