"""What people are told, and when: verdicts and deadlines → messages queued in the store's outbox.

    on_verdict(rel, verdict, file id, now)  the worker, in the verdict's transaction:
        rejected with errors not told before → the unit's targets: what is wrong, the report
        accepted after a rejection that went out → the all-clear
    due(now)                                the sender thread, once a day (and at start):
        notify.remind_days_before a deadline → each unit that has not reported the period
        the day after a deadline             → finance: who is mangler, afvist, forældet, for sent

Nothing here sends (sender.py does) or blocks on the network: queueing is a few rows in
the store. (event, target) is unique in the outbox, so each reminder and digest is queued
once per unit and period, also across restarts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from loguru import logger

from syncservice.base import localtime
from syncservice.base.config import Config
from syncservice.base.errors import StoreError
from syncservice.base.models import Verdict
from syncservice.base.notify_targets import for_units
from syncservice.base.reporting import Due, due_on, periods
from syncservice.base.units import fold
from syncservice.outputs.feedback import report as feedback
from syncservice.outputs.missing import AFVIST, FORAELDET, MANGLER, standings
from syncservice.outputs.notify import text as notify_text
from syncservice.store.db import Store
from syncservice.store.outbox import NoticeState, Outbox

REMIND = (MANGLER, AFVIST, FORAELDET)  # a unit in one of these before the deadline gets a reminder
DIGEST_DAYS = 7  # a digest not sent the day after (the service was down) still goes this many days after


def fingerprint(verdict: Verdict) -> str:
    """What makes two rejections the same to the person: the same errors, in the same cells."""
    errors = sorted((f.rule, f.sheet, list(f.cells), f.column, f.value) for f in verdict.errors)
    return hashlib.sha256(json.dumps(errors, ensure_ascii=False, default=str).encode()).hexdigest()


def local_day(now: dt.datetime) -> dt.date:
    """The day it is in output.timezone: the day boundaries of deadlines (WORKBOOKS.md §9)."""
    return localtime.local(now).date()


def next_due(kind: str, days: tuple[str, ...], on: dt.date) -> Due | None:
    """The first period of `kind` whose deadline is on or after `on`."""
    ahead = [p for year in range(on.year - 1, on.year + 2) for p in periods(kind, days, year) if p.due >= on]
    return min(ahead, key=lambda p: (p.due, p.year, p.index), default=None)


class Notices:
    """Queues the messages of one config into one store (the worker's, or the sender's own)."""

    def __init__(self, config: Config, store: Store) -> None:
        self.config = config
        self.store = store
        self.outbox = Outbox(store.db)
        self.language = config.language
        self.units = config.get("notify", "units")
        self.finance = config.get("notify", "finance")

    # --- the worker: a verdict is being recorded --------------------------------------------------

    @contextmanager
    def recording(self) -> Iterator[None]:
        """One transaction around Store.record() and on_verdict(); its commit failing (a full
        disk) is a StoreError like any other of the store's, so the pipeline retries the file."""
        try:
            with self.store.db.atomic():
                yield
        except sqlite3.Error as exc:
            raise StoreError(f"the store could not record the verdict: {exc}") from exc

    def on_verdict(self, rel: str, verdict: Verdict, file_id: int, now: dt.datetime) -> int:
        """Queue what the verdict tells the person who saved `rel`; returns how many messages.
        Called inside the transaction that records the verdict: both are kept, or neither. A fault
        of ours here is logged and costs the message, never the verdict (the savepoint rolls back)."""
        if not self.units:
            return 0
        try:
            with self.store.db.atomic():
                return self._on_verdict(rel, verdict, file_id, now)
        except StoreError:
            raise  # the store itself failed: the verdict is not recorded either, the next pass retries
        except Exception:
            logger.exception("{}: the message about its verdict could not be queued", rel)
            return 0

    def _on_verdict(self, rel: str, verdict: Verdict, file_id: int, now: dt.datetime) -> int:
        names = [s.unit for s in verdict.sheets if s.unit]
        told = self.outbox.notice_state(rel)
        if verdict.accepted:
            if told is None:
                return 0
            self.outbox.set_notice_state(rel, None)
            # A rejection not sent yet is moot now; the all-clear only follows one that went out.
            self.outbox.cancel_unsent(rel, "rejected|")
            if not self.outbox.went_out(rel, "rejected|", told.file_id):
                return 0
            subject, body = notify_text.all_clear(rel, when=now, language=self.language)
            return self.outbox.queue(f"accepted|{file_id}", for_units([*told.units, *names], self.units),
                                     subject=subject, body=body, now=now, path=rel)
        mark = fingerprint(verdict)
        if told is not None and told.fingerprint == mark:
            return 0  # saved again with the same errors: told already
        targets = for_units(names, self.units)
        if not targets:
            return 0
        xlsx, txt = feedback.report_paths(rel, self.config.path("feedback"), self.language)
        # a file.* error (an .xls, an encrypted file) gets only the text report: nothing to open
        report = txt if any(f.rule.startswith("file.") for f in verdict.errors) else xlsx
        subject, body = notify_text.rejected(rel, verdict, report, when=now, language=self.language)
        self.outbox.cancel_unsent(rel, "rejected|")  # older errors, not sent yet: these replace them
        queued = self.outbox.queue(f"rejected|{file_id}", targets, subject=subject, body=body, now=now, path=rel,
                                   file_id=file_id, attach=[str(report)], report=str(report))
        self.outbox.set_notice_state(rel, NoticeState(mark, tuple(names), told.file_id if told else file_id))
        return queued

    # --- the sender: the day's reminders and digests -----------------------------------------------

    def due(self, now: dt.datetime) -> int:
        """Queue the reminders and digests due on `now`'s day not queued before; returns how many."""
        units, deadlines = self.config.get("reporting", "units"), self.config.get("reporting", "deadlines")
        if not units or not deadlines or not (self.units or self.finance):
            return 0
        today = local_day(now)
        before = self.config.get("notify", "remind_days_before")
        queued = 0
        for kind in sorted(deadlines):
            days = deadlines[kind]
            coming = next_due(kind, days, today)
            if self.units and coming is not None and (coming.due - today).days <= before:
                for row in standings(self.store, units, {kind: days}, coming.due):
                    targets = for_units([row.unit], self.units)
                    if row.status in REMIND and targets:
                        subject, body = notify_text.reminder(row, today, self.language)
                        queued += self.outbox.queue(f"reminder|{kind}|{row.year}|{row.period}|{fold(row.unit)}",
                                                    targets, subject=subject, body=body, now=now)
            passed = due_on(kind, days, today - dt.timedelta(days=1))
            if self.finance and passed is not None and (today - passed.due).days <= DIGEST_DAYS:
                event = f"digest|{kind}|{passed.year}|{passed.period}"
                rows = standings(self.store, units, {kind: days}, today)
                if rows and rows[0].due == passed.due and not self.outbox.queued_before(event):
                    subject, body = notify_text.digest(rows, today, self.language)
                    queued += self.outbox.queue(event, self.finance, subject=subject, body=body, now=now)
        if queued:
            logger.info("{} reminder(s) and digest(s) queued for {}", queued, today.isoformat())
        return queued
