"""Messages to people (issue 19): a rejected workbook's unit is told what to fix, the fix sends an
all-clear, units are reminded before a deadline and finance gets a digest after it; all queued in
the store and sent by the service's sender thread through Apprise.

Everything is received for real: an SMTP server (aiosmtpd) and an HTTP endpoint standing in for
a Teams webhook, on free localhost ports. The service runs with a fixed clock the tests move.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import book
from receivers import Mailbox, Webhook, eventually
from running import Running, no_threads_left_behind, wait_for  # noqa: F401 (a fixture)
from syncservice import config as config_mod
from syncservice.cli import main
from syncservice.errors import ConfigError
from syncservice.feedback import report_paths
from syncservice.notify_targets import expand, for_units, masked
from syncservice.service import Service
from syncservice.store import Store
from syncservice.store_outbox import Outbox

VEST, OEST = "Dagtilbud Vest", "Dagtilbud Øst"
SHEET = "Tilgang og afgang"
SYNCSERVICE = [sys.executable, "-m", "syncservice"]


class Clock:
    """The wall clock the service reads: fixed until a test moves it."""

    def __init__(self, when: str) -> None:
        self.set(when)

    def set(self, when: str) -> None:
        self.now = dt.datetime.fromisoformat(when).replace(tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


class Service_(Running):
    """The service in a thread (tests/running.py), on the test's clock."""

    def __init__(self, config: config_mod.Config, clock: Clock) -> None:
        super().__init__(config)
        self.service = Service(config, on_outcome=self.outcomes.append, now=clock)

    def outcome(self, rel: str, status: str, count: int = 1) -> None:
        wait_for(lambda: self.of(rel).count(status) >= count, what=f"{rel} {status}")


@pytest.fixture
def mailbox():
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture
def webhook():
    hook = Webhook().start()
    yield hook
    hook.stop()


def write_config(site: Path, mailbox: Mailbox, webhook: Webhook, *, finance: bool = True) -> Path:
    (site / "watched").mkdir(exist_ok=True)
    cfg = site / "config.toml"
    cfg.write_text(f"""
[watch]
settle_seconds = 0.2

[reporting]
units = ["{VEST}", "{OEST}"]
[reporting.deadlines]
tilgang_afgang = ["15-04", "15-07", "15-10", "15-01"]

[notify]
finance = [{'"' + mailbox.url("oekonomi@example.dk") + '"' if finance else ""}]
remind_days_before = 3
[notify.units]
"{VEST}" = ["{mailbox.url("leder.vest@example.dk")}", "{webhook.url()}"]
"{OEST}" = ["{mailbox.url("leder.oest@example.dk")}"]
""", encoding="utf-8")
    return cfg


@pytest.fixture
def site(tmp_path, mailbox, webhook):
    write_config(tmp_path, mailbox, webhook)
    return tmp_path


def broken(unit: str = VEST, value: int = 99) -> dict:
    """Tilgang og afgang 2016 through K3 with one figure wrong: rejected, its first error in D8."""
    rows = book.tilgang(unit=unit)
    book.cell(rows, "D8", value)
    return {SHEET: rows}


def fine(unit: str = VEST) -> dict:
    return {SHEET: book.tilgang(unit=unit)}


def outbox(site: Path) -> list:
    with Store.open(site / "state" / "syncservice.sqlite") as store:
        return Outbox(store.db).messages()


# --- on rejection ---------------------------------------------------------------------------------

def test_a_rejection_tells_the_unit_in_danish_with_the_report_attached_to_the_mail(site, mailbox, webhook):
    config = config_mod.load(site / "config.toml")
    clock = Clock("2016-10-03T09:30:00")
    with Service_(config, clock) as running:
        book.save(site / "watched" / "Vest" / "Tilgang 2016.xlsx", broken())
        running.outcome("Vest/Tilgang 2016.xlsx", "rejected")
        (mail,) = mailbox.wait(1)
        ((path, post),) = webhook.wait(1)
    report = report_paths("Vest/Tilgang 2016.xlsx", config.path("feedback"))[0]
    assert report.name == "Tilgang 2016 - FEJL.xlsx"
    assert mail.recipients == ["leder.vest@example.dk"]
    assert mail.sender == "syncservice@example.dk"
    assert mail.subject == "Afvist: Tilgang 2016.xlsx (2 fejl)"
    assert mail.body == "\n".join([
        "Projektmappen «Vest/Tilgang 2016.xlsx» er afvist ved kontrollen 03.10.2016 kl. 09.30: den har 2 fejl. "
        "Intet fra filen er brugt; den seneste godkendte version gælder stadig.",
        "",
        "Fejlene:",
        "",
        "1. 'Tilgang og afgang'!B8,C8,D8,E8,F8,G8,H8,I8: For Krumtappen giver primo + tilgang − afgang -77, "
        "men ultimo er 22.",
        "   Sådan retter du: Ret tallene, så primo + tilgang − afgang = ultimo.",
        "2. 'Tilgang og afgang'!D8: For Krumtappen bliver antallet negativt (-81) efter 1. kvartal.",
        "   Sådan retter du: Kontrollér afgangen i kvartalet; der kan ikke gå flere fra, end der er.",
        "",
        "Rapporten, med hver fejl markeret i en kopi af projektmappen:",
        str(report),
        "(Rapporten er vedhæftet, hvor beskeden kan bære filer, som e-mail.)",
        "",
        "Ret i din egen fil og gem den igen det samme sted; så kontrolleres den igen med det samme.",
        "",
        "Venlig hilsen",
        "syncservice",
    ])
    assert mail.attachments == {report.name: report.read_bytes()}
    # the stand-in for a Teams webhook: the same subject and words, as Apprise's json:// posts them
    assert path == "/teams"
    assert post["title"] == mail.subject
    assert post["message"] == mail.body
