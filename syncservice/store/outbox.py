"""The store's outbox: messages to people, queued with the verdict, sent by the sender thread.

    queue() (worker, in the verdict's transaction) → 'queued'
    claim() (sender) → 'sending', committed before Apprise is called → sent() or failed() → 'queued' again
    recover() (sender, at start) → a row still 'sending' was cut off by a crash: 'uncertain'

At most once: once a row is 'sending' it is never sent again. A kill after the SMTP server
accepted the message and before sent() commits (the time it takes to read "250 OK" and
commit) leaves it 'uncertain', shown by `status`, rather than sent twice. SQL for the
outbox lives here (the rest of the store's in store.py); the tables are made in store_schema.py.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlite_utils import Database

from syncservice.base.errors import StoreError

QUEUED, SENDING, SENT, UNCERTAIN, CANCELLED = "queued", "sending", "sent", "uncertain", "cancelled"


@dataclass(frozen=True)
class Message:
    """One message to one target, as queued."""

    id: int
    event: str  # what it is about: 'rejected|<file id>', 'reminder|kind|year|period|unit', …
    target: str  # an Apprise URL as config.toml writes it (a ${SECRET} not yet filled in)
    path: str  # the workbook it is about ('' for reminders and digests)
    file_id: int | None
    subject: str
    body: str
    attach: tuple[str, ...]  # files to attach where they exist when sending, where the target takes files
    report: str  # where the rejection report is (or will be): said in the body when it is not there yet
    state: str
    attempts: int
    queued_at: str
    next_at: str
    sent_at: str
    last_error: str


@dataclass(frozen=True)
class NoticeState:
    """What the person at a path was last told: the fingerprint of its errors, the units it named,
    and the file whose rejection began the run of rejections the all-clear will end."""

    fingerprint: str
    units: tuple[str, ...]
    file_id: int


_COLUMNS = ("id, event, target, path, file_id, subject, body, attach, report, state, attempts, queued_at,"
            " next_at, sent_at, last_error")


def iso(when: dt.datetime) -> str:
    """As the store writes times: ISO, UTC, to the second (so text order is time order)."""
    utc = when.replace(tzinfo=dt.UTC) if when.tzinfo is None else when.astimezone(dt.UTC)
    return utc.isoformat(timespec="seconds")


def _message(row: tuple) -> Message:
    *head, attach, report, state, attempts, queued_at, next_at, sent_at, last_error = row
    return Message(*head, tuple(json.loads(attach or "[]")), report or "", state, attempts or 0, queued_at or "",
                   next_at or "", sent_at or "", last_error or "")


class Outbox:
    """The outbox over one connection (the worker's or the sender's own)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @contextmanager
    def _guard(self, what: str) -> Iterator[None]:
        try:
            with self.db.atomic():  # nested in the verdict's transaction, a savepoint
                yield
        except sqlite3.Error as exc:
            raise StoreError(f"the store could not {what}: {exc}") from exc

    # --- the worker: queueing -------------------------------------------------------------------

    def queue(self, event: str, targets: Iterable[str], *, subject: str, body: str, now: dt.datetime,
              path: str = "", file_id: int | None = None, attach: Iterable[str] = (), report: str = "") -> int:
        """One row per target not yet queued for `event`; returns how many were new."""
        at = iso(now)
        rows = [(event, target, path, file_id, subject, body, json.dumps(list(attach), ensure_ascii=False), report,
                 QUEUED, 0, at, at) for target in dict.fromkeys(targets)]
        with self._guard(f"queue the message {event}"):
            before = self.db.conn.total_changes
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO outbox (event, target, path, file_id, subject, body, attach, report, state,"
                " attempts, queued_at, next_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            return self.db.conn.total_changes - before

    def queued_before(self, event: str) -> bool:
        """Whether anything was ever queued for `event` (a reminder is queued once)."""
        with self._guard("read the outbox"):
            return self.db.execute("SELECT 1 FROM outbox WHERE event = ? LIMIT 1", [event]).fetchone() is not None

    def cancel_unsent(self, path: str, prefix: str) -> int:
        """Rows about `path` whose event starts with `prefix` and that have not gone out: cancelled
        (a rejection superseded by newer errors, or by the fix, before it was sent)."""
        with self._guard(f"cancel the messages about {path}"):
            return self.db.execute("UPDATE outbox SET state = ? WHERE path = ? AND state = ? AND event LIKE ?",
                                   [CANCELLED, path, QUEUED, prefix.replace("%", "") + "%"]).rowcount

    def went_out(self, path: str, prefix: str, since_file_id: int) -> bool:
        """Whether a row about `path` whose event starts with `prefix`, for a file from
        `since_file_id` on, was sent or may have been (sending, uncertain)."""
        with self._guard("read the outbox"):
            return self.db.execute(
                "SELECT 1 FROM outbox WHERE path = ? AND event LIKE ? AND file_id >= ? AND state IN (?, ?, ?) LIMIT 1",
                [path, prefix.replace("%", "") + "%", since_file_id, SENT, SENDING, UNCERTAIN]).fetchone() is not None

    def notice_state(self, path: str) -> NoticeState | None:
        with self._guard("read what was told"):
            row = self.db.execute("SELECT fingerprint, units, file_id FROM notice_state WHERE path = ?",
                                  [path]).fetchone()
        return NoticeState(row[0], tuple(json.loads(row[1] or "[]")), row[2]) if row else None

    def set_notice_state(self, path: str, state: NoticeState | None) -> None:
        with self._guard("record what was told"):
            if state is None:
                self.db.execute("DELETE FROM notice_state WHERE path = ?", [path])
            else:
                self.db.execute("INSERT OR REPLACE INTO notice_state (path, fingerprint, units, file_id)"
                                " VALUES (?, ?, ?, ?)",
                                [path, state.fingerprint, json.dumps(list(state.units), ensure_ascii=False),
                                 state.file_id])

    # --- the sender -----------------------------------------------------------------------------

    def recover(self, now: dt.datetime) -> int:
        """At the sender's start: rows left 'sending' by a crash become 'uncertain' (never resent),
        and what waits for a retry is tried at once (a restart often follows a fix of the relay).
        Returns how many became uncertain."""
        with self._guard("recover the outbox"):
            self.db.execute("UPDATE outbox SET next_at = ? WHERE state = ? AND next_at > ?",
                            [iso(now), QUEUED, iso(now)])
            return self.db.execute("UPDATE outbox SET state = ?, last_error = ? WHERE state = ?",
                                   [UNCERTAIN, "interrupted while sending: it may or may not have arrived",
                                    SENDING]).rowcount

    def claim(self, now: dt.datetime, report_wait_from: dt.datetime) -> Message | None:
        """The next message due, marked 'sending' and committed. A message whose rejection report
        the worker still owes waits for it (so it can be attached), unless queued before
        `report_wait_from` (the feedback folder refuses it: sent saying where it will be)."""
        with self._guard("take a message from the outbox"):
            row = self.db.execute(
                f"SELECT {_COLUMNS} FROM outbox o WHERE o.state = ? AND o.next_at <= ?"
                " AND (o.file_id IS NULL OR o.queued_at < ? OR NOT EXISTS"
                "      (SELECT 1 FROM files f WHERE f.id = o.file_id AND f.feedback_due = 1))"
                " ORDER BY o.next_at, o.id LIMIT 1", [QUEUED, iso(now), iso(report_wait_from)]).fetchone()
            if row is None:
                return None
            self.db.execute("UPDATE outbox SET state = ?, attempts = attempts + 1 WHERE id = ?", [SENDING, row[0]])
        message = _message(row)
        return Message(**{**message.__dict__, "state": SENDING, "attempts": message.attempts + 1})

    def sent(self, message_id: int, now: dt.datetime) -> None:
        with self._guard("record a message sent"):
            self.db.execute("UPDATE outbox SET state = ?, sent_at = ?, last_error = '' WHERE id = ?",
                            [SENT, iso(now), message_id])

    def failed(self, message_id: int, error: str, retry_at: dt.datetime) -> None:
        with self._guard("record a message not sent"):
            self.db.execute("UPDATE outbox SET state = ?, next_at = ?, last_error = ? WHERE id = ?",
                            [QUEUED, iso(retry_at), error[:1000], message_id])

    def next_due(self) -> str | None:
        """When the next queued message is due (ISO, UTC), None when none is queued."""
        with self._guard("read the outbox"):
            return self.db.execute("SELECT MIN(next_at) FROM outbox WHERE state = ?", [QUEUED]).fetchone()[0]

    # --- reading (status, tests) ----------------------------------------------------------------

    def messages(self, state: str | None = None) -> list[Message]:
        with self._guard("read the outbox"):
            rows = self.db.execute(f"SELECT {_COLUMNS} FROM outbox WHERE (:state IS NULL OR state = :state)"
                                   " ORDER BY id", {"state": state}).fetchall()
        return [_message(r) for r in rows]

    def summary(self) -> dict:
        """{state: count} for every state, how many queued ones failed at least once, and the
        newest failure (its target as written, its error)."""
        with self._guard("read the outbox"):
            counts = dict(self.db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall())
            failing = self.db.execute("SELECT COUNT(*) FROM outbox WHERE state = ? AND attempts > 0",
                                      [QUEUED]).fetchone()[0]
            last = self.db.execute(
                "SELECT target, last_error, subject FROM outbox WHERE last_error != '' AND state IN (?, ?)"
                " ORDER BY id DESC LIMIT 1", [QUEUED, UNCERTAIN]).fetchone()
        out: dict = {s: counts.get(s, 0) for s in (QUEUED, SENDING, SENT, UNCERTAIN, CANCELLED)}
        out["failing"] = failing
        out["last_error"] = {"target": last[0], "error": last[1], "subject": last[2]} if last else None
        return out
