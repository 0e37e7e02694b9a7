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
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from syncservice.base import config as config_mod
from syncservice.base.errors import ConfigError
from syncservice.base.notify_targets import expand, for_units, masked
from syncservice.cli import main
from syncservice.outputs.feedback.report import report_paths
from syncservice.store.db import Store
from syncservice.store.outbox import Outbox, iso

import book
from receivers import Mailbox, Webhook
from running import Running, no_threads_left_behind, wait_for  # noqa: F401 (a fixture)

VEST, OEST = "Dagtilbud Vest", "Dagtilbud Øst"
SHEET = "Tilgang og afgang"
SYNCSERVICE = [sys.executable, "-m", "syncservice"]
README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


class Clock:
    """The wall clock the service reads: fixed until a test moves it."""

    def __init__(self, when: str) -> None:
        self.set(when)

    def set(self, when: str) -> None:
        # the time on a clock in Copenhagen (output.timezone), which the messages show
        self.now = dt.datetime.fromisoformat(when).replace(tzinfo=ZoneInfo("Europe/Copenhagen"))

    def __call__(self) -> dt.datetime:
        return self.now


class Service_(Running):
    """The service in a thread (tests/running.py), on the test's clock."""

    def __init__(self, config: config_mod.Config, clock: Clock) -> None:
        super().__init__(config, wall_clock=clock)

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
    # the README shows this very message, with a server's path for the report
    shown = README.split("This is what Dagtilbud Vest's leader receives", 1)[1].split("```text\n", 1)[1]
    shown = shown.split("\n```", 1)[0].replace("/srv/syncservice/output/Tilbagemeldinger", str(report.parents[1]))
    assert shown == f"To: {mail.message['To']}\nSubject: {mail.subject}\nAttachment: {report.name}\n\n{mail.body}"
    # the stand-in for a Teams webhook: the same subject and words, as Apprise's json:// posts them
    assert path == "/teams"
    assert post["title"] == mail.subject
    assert post["message"] == mail.body


def test_a_resave_with_the_same_errors_sends_nothing_and_the_fix_sends_an_all_clear(site, mailbox, webhook):
    config = config_mod.load(site / "config.toml")
    clock = Clock("2016-10-03T09:30:00")
    path = site / "watched" / "Vest" / "Tilgang 2016.xlsx"
    with Service_(config, clock) as running:
        book.save(path, broken())
        running.outcome("Vest/Tilgang 2016.xlsx", "rejected")
        mailbox.wait(1)
        again = broken()
        book.cell(again[SHEET], "A1", "Til- og afgang på dagtilbud, gemt igen")  # other bytes, the same errors
        book.save(path, again)
        running.outcome("Vest/Tilgang 2016.xlsx", "rejected", 2)
        assert len(outbox(site)) == 2  # queued with the verdict: the first rejection's two targets only
        clock.set("2016-10-03T10:15:00")
        book.save(path, fine())
        running.outcome("Vest/Tilgang 2016.xlsx", "accepted")
        first, clear = mailbox.wait(2)
        webhook.wait(2)
        wait_for(lambda: all(m.state == "sent" for m in outbox(site)), what="every message sent")
    assert first.subject.startswith("Afvist: ")
    assert clear.recipients == ["leder.vest@example.dk"]
    assert clear.subject == "Godkendt: Tilgang 2016.xlsx"
    assert clear.body == ("Den rettede projektmappe «Vest/Tilgang 2016.xlsx» er godkendt 03.10.2016 kl. 10.15. "
                          "Fejlrapporten er taget væk, og tallene er nu med i den samlede oversigt.\n\n"
                          "Venlig hilsen\nsyncservice")
    assert clear.attachments == {}
    assert len(mailbox.mails) == 2 and len(webhook.posts) == 2


def test_new_errors_in_a_resave_are_told_again(site, mailbox, webhook):
    config = config_mod.load(site / "config.toml")
    with Service_(config, Clock("2016-10-03T09:30:00")) as running:
        path = site / "watched" / "Vest" / "Tilgang 2016.xlsx"
        book.save(path, broken())
        running.outcome("Vest/Tilgang 2016.xlsx", "rejected")
        mailbox.wait(1)
        book.save(path, broken(value=98))
        running.outcome("Vest/Tilgang 2016.xlsx", "rejected", 2)
        _, second = mailbox.wait(2)
    assert "antallet negativt (-80)" in second.body


def test_a_unit_is_matched_however_its_workbook_spells_it_and_other_units_are_not_told(site, mailbox, webhook):
    config = config_mod.load(site / "config.toml")
    with Service_(config, Clock("2016-10-03T09:30:00")) as running:
        book.save(site / "watched" / "Øst.xlsx", broken(unit="dagtilbud  ØST"))
        book.save(site / "watched" / "Andet.xlsx", broken(unit="Dagtilbud Nord"))
        running.outcome("Øst.xlsx", "rejected")
        running.outcome("Andet.xlsx", "rejected")
        (mail,) = mailbox.wait(1)
    assert mail.recipients == ["leder.oest@example.dk"]
    assert [m.path for m in outbox(site)] == ["Øst.xlsx"]  # nobody is named for Dagtilbud Nord


def test_while_the_smtp_server_is_down_the_message_waits_and_goes_once_it_is_back(site, mailbox, webhook):
    config = config_mod.load(site / "config.toml")
    clock = Clock("2016-10-03T09:30:00")
    mailbox.stop()
    with Service_(config, clock) as running:
        book.save(site / "watched" / "Vest" / "Tilgang 2016.xlsx", broken())
        running.outcome("Vest/Tilgang 2016.xlsx", "rejected")
        webhook.wait(1)  # the other target does not wait for the one that is down

        def mail_row():
            return next(m for m in outbox(site) if m.target.startswith("mailto:"))

        wait_for(lambda: mail_row().attempts == 1 and mail_row().state == "queued", what="a failed attempt")
        assert "Connection error" in mail_row().last_error
        status = json.loads(CliRunner().invoke(main, ["status", "--json", "--config",
                                                       str(site / "config.toml")]).output)
        assert status["notify"]["outbox"]["failing"] == 1
        assert "Connection error" in status["notify"]["outbox"]["last_error"]["error"]
        assert mail_row().next_at == iso(clock.now + dt.timedelta(seconds=30))  # tried again in 30 s
        clock.set("2016-10-03T09:31:00")  # retry due; and still down
        wait_for(lambda: mail_row().attempts == 2 and mail_row().state == "queued", what="a second failed attempt")
        assert mail_row().next_at == iso(clock.now + dt.timedelta(seconds=60))  # then 60 s
        mailbox.start()
        clock.set("2016-10-03T09:32:00")
        (mail,) = mailbox.wait(1)
        wait_for(lambda: mail_row().state == "sent", what="the message marked sent")
    assert mail.subject == "Afvist: Tilgang 2016.xlsx (2 fejl)"
    assert len(mailbox.mails) == 1 and len(webhook.posts) == 1
    assert mail_row().attempts == 3


def test_a_report_the_feedback_folder_refused_is_not_attached_and_the_message_says_so(site, mailbox, webhook):
    config = config_mod.load(site / "config.toml")
    clock = Clock("2016-10-03T09:30:00")
    config.path("feedback").parent.mkdir(parents=True)
    config.path("feedback").write_text("a file where the folder should be", encoding="utf-8")
    with Service_(config, clock) as running:
        book.save(site / "watched" / "Vest" / "Tilgang 2016.xlsx", broken())
        running.outcome("Vest/Tilgang 2016.xlsx", "rejected")
        assert [m.state for m in outbox(site)] == ["queued", "queued"]  # waiting for the report
        clock.set("2016-10-03T09:31:01")  # a minute on: sent without it
        (mail,) = mailbox.wait(1)
    report = report_paths("Vest/Tilgang 2016.xlsx", config.path("feedback"))[0]
    assert mail.attachments == {}
    assert f"{report}\n(Rapporten er ikke skrevet endnu, fordi mappen ikke kunne skrives i; den kommer der.)" \
        in mail.body


# --- before and after a deadline --------------------------------------------------------------------

def test_reminders_go_once_per_unit_and_period_also_across_restarts_and_finance_gets_a_digest(site, mailbox,
                                                                                             webhook):
    config = config_mod.load(site / "config.toml")
    clock = Clock("2016-10-11T07:00:00")  # K3 2016 falls due on 15.10.2016: 4 days to go
    sent = lambda: [m for m in outbox(site) if m.state == "sent"]  # noqa: E731

    def day(running: Service_, when: str) -> None:
        clock.set(when)
        wait_for(lambda: running.service.sender.checked_day == clock.now.date(), what=f"the sender on {when}")
        wait_for(lambda: not [m for m in outbox(site) if m.state == "queued"], what="everything queued sent")

    with Service_(config, clock) as running:
        day(running, "2016-10-11T07:00:00")
        assert outbox(site) == []  # too early for a reminder
        saved = book.save(site / "watched" / "Vest" / "Tilgang 2016.xlsx", fine())
        os.utime(saved, (clock.now.timestamp(), clock.now.timestamp()))  # saved on the clock's day: in time
        running.outcome("Vest/Tilgang 2016.xlsx", "accepted")
        day(running, "2016-10-12T07:00:00")  # 3 days to go: Øst has not reported, Vest has
        (reminder,) = mailbox.wait(1)
        day(running, "2016-10-13T07:00:00")
    assert len(sent()) == 1
    with Service_(config, clock) as running:  # a restart remembers what was sent
        day(running, "2016-10-14T07:00:00")
        day(running, "2016-10-16T07:00:00")  # the day after the deadline
        _, digest = mailbox.wait(2)
        day(running, "2016-10-17T07:00:00")
    assert len(mailbox.mails) == 2 and webhook.posts == []
    assert reminder.recipients == ["leder.oest@example.dk"]
    assert reminder.subject == "Påmindelse: Tilgang og afgang K3 2016 skal indberettes senest 15.10.2016"
    assert reminder.body == ("Til Dagtilbud Øst\n\nFristen for Tilgang og afgang K3 2016 er 15.10.2016, om 3 dage. "
                             "Der er endnu ikke modtaget nogen godkendt indberetning for perioden.\n\n"
                             "Venlig hilsen\nsyncservice")
    assert digest.recipients == ["oekonomi@example.dk"]
    assert digest.subject == "Status efter fristen 15.10.2016: Tilgang og afgang K3 2016 (1 af 2 mangler)"
    assert digest.body == ("Fristen for Tilgang og afgang K3 2016 var 15.10.2016. Status 16.10.2016:\n\n"
                           "mangler   Dagtilbud Øst\n\n1 af 2 enheder har indberettet til tiden.\n\n"
                           "Venlig hilsen\nsyncservice")


# --- a kill, as `syncservice run` meets it ----------------------------------------------------------

class Proc:
    """`syncservice run --config site/config.toml` as a child process (the real clock)."""

    def __init__(self, site: Path) -> None:
        self.site = site
        self.err = open(site / "run.err", "ab")  # a file, not a pipe: a pipe could fill and block it
        self.p = subprocess.Popen([*SYNCSERVICE, "run", "--config", str(site / "config.toml")],
                                  stdout=subprocess.DEVNULL, stderr=self.err)
        wait_for(lambda: self._running() or self.p.poll() is not None, what="the service to start")
        assert self.p.poll() is None, (site / "run.err").read_text(encoding="utf-8", errors="replace")

    def _running(self) -> bool:
        try:
            status = json.loads((self.site / "state" / "status.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return (status.get("state"), status.get("pid")) == ("running", self.p.pid)

    def kill(self) -> None:
        self.p.send_signal(signal.SIGKILL)
        assert self.p.wait(30) == -signal.SIGKILL
        self.err.close()

    def stop(self) -> None:
        self.p.send_signal(signal.SIGTERM)
        assert self.p.wait(30) == 0
        self.err.close()


def rows(site: Path) -> list[tuple[str, str, int]]:
    """(target, state, attempts) of every outbox row, read as another process would."""
    db = sqlite3.connect(f"file:{site / 'state' / 'syncservice.sqlite'}?mode=ro", uri=True)
    try:
        return db.execute("SELECT target, state, attempts FROM outbox ORDER BY id").fetchall()
    except sqlite3.OperationalError:  # not created yet
        return []
    finally:
        db.close()


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL")
def test_a_kill_between_queueing_and_sending_sends_the_message_once_after_the_restart(site, mailbox, webhook):
    mailbox.stop()  # the relay is down: the message stays queued
    proc = Proc(site)
    try:
        book.save(site / "watched" / "Vest" / "Tilgang 2016.xlsx", broken())
        # the mail queued after a failed attempt, the webhook's message sent (and marked so:
        # killed between its POST and that mark, it would be 'uncertain', the next test's case)
        wait_for(lambda: [(t[:4], s, a) for t, s, a in rows(site)] == [("mail", "queued", 1), ("json", "sent", 1)],
                 what="the mail queued after a failed attempt")
    finally:
        proc.kill()
    mailbox.start()
    proc = Proc(site)
    try:
        (mail,) = mailbox.wait(1)
        wait_for(lambda: [s for _, s, _ in rows(site)] == ["sent", "sent"], what="both marked sent")
    finally:
        proc.stop()
    assert mail.subject == "Afvist: Tilgang 2016.xlsx (2 fejl)"
    assert len(mailbox.mails) == 1 and len(webhook.posts) == 1  # and the webhook's not sent again


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL")
def test_a_kill_while_the_smtp_server_takes_the_message_does_not_send_it_twice(site, mailbox, webhook):
    mailbox.hold = True  # the server has the message but keeps its "250 OK" back
    proc = Proc(site)
    try:
        book.save(site / "watched" / "Vest" / "Tilgang 2016.xlsx", broken())
        assert mailbox.holding.wait(30)
    finally:
        proc.kill()  # the service dies not knowing whether the mail arrived
    mailbox.release()
    mailbox.hold = False
    proc = Proc(site)
    try:
        wait_for(lambda: [s for t, s, _ in rows(site) if t.startswith("mailto:")] == ["uncertain"],
                 what="the interrupted mail marked uncertain")
        book.save(site / "watched" / "Øst.xlsx", broken(unit=OEST))  # the sender carries on after it
        mailbox.wait(2)
        wait_for(lambda: [s for _, s, _ in rows(site)].count("sent") == 2, what="the others sent")
        status = CliRunner().invoke(main, ["status", "--config", str(site / "config.toml")])
    finally:
        proc.stop()
    assert [m.recipients for m in mailbox.mails] == [["leder.vest@example.dk"], ["leder.oest@example.dk"]]
    assert "Beskeder: 2 sendt · 1 uvis (afbrudt under afsendelse)" in status.output
    assert "it may or may not have arrived" in status.output


# --- syncservice notify test, status, the config ------------------------------------------------------

def test_notify_test_sends_to_a_units_targets_and_says_what_happened(site, mailbox, webhook):
    runner = CliRunner()
    cfg = str(site / "config.toml")
    result = runner.invoke(main, ["notify", "test", "--unit", "dagtilbud vest", "--config", cfg])
    assert result.exit_code == 0, result.output
    assert result.output.count("sendt: ") == 2
    (mail,) = mailbox.wait(1)
    webhook.wait(1)
    assert mail.recipients == ["leder.vest@example.dk"]
    assert mail.subject == "Test fra syncservice"
    assert "Dette er en test fra syncservice (Dagtilbud Vest)." in mail.body
    result = runner.invoke(main, ["notify", "test", "--config", cfg])  # no --unit: finance
    assert result.exit_code == 0, result.output
    assert mailbox.wait(2)[1].recipients == ["oekonomi@example.dk"]
    mailbox.stop()
    result = runner.invoke(main, ["notify", "test", "--unit", OEST, "--config", cfg])
    assert result.exit_code == 1
    assert "IKKE sendt: mailto://127.0.0.1" in result.output and "Connection error" in result.output
    result = runner.invoke(main, ["notify", "test", "--unit", "Dagtilbud Nord", "--config", cfg])
    assert result.exit_code == 2
    assert "Ingen modtagere for enheden 'Dagtilbud Nord'" in result.output


ISSUE_CONFIG = """
[notify]
finance = ["mailto://relay.example.dk:25?from=syncservice@example.dk&to=oekonomi@example.dk"]
remind_days_before = 3
[notify.units]          # per unit, as written in its workbooks' Enhed: Apprise URLs
"Dagtilbud Vest" = ["mailto://relay.example.dk:25?from=syncservice@example.dk&to=leder.vest@example.dk"]
"""


def test_the_notify_section_as_the_issue_writes_it_loads(tmp_path):
    (tmp_path / "config.toml").write_text(ISSUE_CONFIG, encoding="utf-8")
    loaded = config_mod.load(tmp_path / "config.toml")
    assert loaded.get("notify", "finance") == (
        "mailto://relay.example.dk:25?from=syncservice@example.dk&to=oekonomi@example.dk",)
    assert loaded.get("notify", "remind_days_before") == 3
    assert loaded.get("notify", "units") == {
        "Dagtilbud Vest": ("mailto://relay.example.dk:25?from=syncservice@example.dk&to=leder.vest@example.dk",)}
    assert for_units(["dagtilbud  VEST"], loaded.get("notify", "units")) == list(
        loaded.get("notify", "units")["Dagtilbud Vest"])


@pytest.mark.parametrize("text, words", [
    ('[notify]\nfinance = "mailto://x"\n', "'notify.finance' must be a list"),
    ('[notify]\nfinance = ["oekonomi@example.dk"]\n', "is not an Apprise URL"),
    ('[notify]\nremind_days_before = -1\n', "0 or more"),
    ('[notify.units]\n"Vest" = ["json://a"]\n"vest" = ["json://b"]\n', "names the unit 'vest' twice"),
    ('[notify.units]\n"Vest" = "json://a"\n', "'notify.units.Vest' must be a list"),
])
def test_a_bad_notify_section_is_a_configuration_error_naming_the_key(tmp_path, text, words):
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=words):
        config_mod.load(tmp_path / "config.toml")


def test_a_secret_comes_from_the_environment_when_sending_and_is_never_stored_or_shown(site, mailbox, webhook,
                                                                                       monkeypatch):
    monkeypatch.setenv("TEAMS_TOKEN", "hemmelig-token")
    cfg = site / "config.toml"
    text = cfg.read_text(encoding="utf-8").replace(webhook.url(), webhook.url("${TEAMS_TOKEN}"))
    # and a password written into the file itself, against the advice: status masks it all the same
    cfg.write_text(text + '"Dagtilbud Nord" = ["mailto://syncservice:kodeord@127.0.0.1:1?to=a@b.dk"]\n',
                   encoding="utf-8")
    config = config_mod.load(cfg)
    assert expand(webhook.url("${TEAMS_TOKEN}")) == webhook.url("hemmelig-token")
    with Service_(config, Clock("2016-10-03T09:30:00")) as running:
        book.save(site / "watched" / "Vest.xlsx", broken())
        running.outcome("Vest.xlsx", "rejected")
        ((path, _),) = webhook.wait(1)
        status = CliRunner().invoke(main, ["status", "--config", str(cfg)]).output
    assert path == "/hemmelig-token"
    assert {m.target for m in outbox(site)} == {mailbox.url("leder.vest@example.dk"), webhook.url("${TEAMS_TOKEN}")}
    assert "${TEAMS_TOKEN}" in status and "hemmelig" not in status
    assert "kodeord" not in status and "mailto://syncservice:****@127.0.0.1" in status
    assert "kodeord" not in masked("mailto://syncservice:kodeord@127.0.0.1:1?to=a@b.dk")


# --- the words --------------------------------------------------------------------------------------

def test_a_message_shows_the_first_five_errors_and_counts_the_rest_in_either_language(check):
    from syncservice.outputs.notify import text as notify_text

    rows = book.tilgang(unit=VEST)
    for ref in ("D8", "D9", "D10", "D11"):
        book.cell(rows, ref, 99)
    verdict = check({SHEET: rows})
    assert len(verdict.errors) == 8
    when = dt.datetime(2016, 10, 3, 9, 30, tzinfo=dt.UTC)
    subject, body = notify_text.rejected("Vest/Tilgang 2016.xlsx", verdict, Path("/r/Tilgang 2016 - FEJL.xlsx"),
                                         when=when)
    assert subject == "Afvist: Tilgang 2016.xlsx (8 fejl)"
    assert "De første fejl:" in body and "\n5. " in body and "\n6. " not in body
    assert "… og 3 fejl mere: se rapporten." in body
    subject, body = notify_text.rejected("Vest/Tilgang 2016.xlsx", verdict, Path("/r/Tilgang 2016 - FEJL.xlsx"),
                                         when=when, language="en")
    assert subject == "Rejected: Tilgang 2016.xlsx (8 errors)"
    assert "The first errors:" in body and "… and 3 more errors: see the report." in body
    assert "To fix it: " in body and "/r/Tilgang 2016 - FEJL.xlsx" in body


def test_a_sender_that_cannot_open_the_store_logs_it_and_stops_when_asked(tmp_path):
    from loguru import logger

    from syncservice.service.sender import Sender

    (tmp_path / "state").write_text("a file where the store's folder should be", encoding="utf-8")
    config = config_mod.defaults(tmp_path)
    said: list[str] = []
    sink = logger.add(lambda m: said.append(m.record["message"]), level="ERROR")
    answers = iter([False, False, True])
    try:
        Sender(config).run(lambda: next(answers, True))  # returns: stopped while waiting to try again
    finally:
        logger.remove(sink)
    assert len(said) == 1 and said[0].startswith("messages: cannot open the store")
