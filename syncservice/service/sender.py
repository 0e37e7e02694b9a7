"""The sender: the outbox's messages → Apprise, one target at a time, with retries and backoff.

    Sender.run(stopped)  a thread of `syncservice run`, with its own store connection:
        at start, rows a crash left 'sending' become 'uncertain' (never sent twice);
        once a day, Notices.due() queues the day's reminders and digests;
        then each message due: claimed ('sending', committed), delivered, 'sent' or back in
        the queue after 30 s, 1, 2, 4 … minutes up to an hour, the error logged and kept.
    deliver(url, subject, body, attach)  one message to one Apprise URL → None, or why it failed

The worker never waits for this thread: a target that is down delays only its messages.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from loguru import logger

from syncservice.base.config import Config
from syncservice.base.errors import StoreError
from syncservice.base.notify_targets import MissingSecret, expand, masked
from syncservice.outputs.notify import text as notify_text
from syncservice.outputs.notify.notices import Notices, local_day
from syncservice.store.db import Store
from syncservice.store.outbox import Message, Outbox

FIRST_RETRY_SECONDS = 30.0
MAX_RETRY_SECONDS = 3600.0
REPORT_WAIT_SECONDS = 60.0  # a rejection waits this long for its report to be written, to attach it
POLL_SECONDS = 0.5  # how often the thread looks at the outbox (and at whether the service stops)
OPEN_RETRY_SECONDS = 60.0


def retry_delay(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones: 30, 60, 120 … up to an hour."""
    return min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1))


def deliver(url: str, subject: str, body: str, attach: Iterable[Path] = ()) -> str | None:
    """Send one message to one Apprise URL (its ${SECRETS} filled in from the environment), with
    the files in `attach` where the target takes files. None when the target accepted it, else why not.

    The URL's plugin is called in this thread (Apprise.instantiate(url).notify), not through
    Apprise().notify, whose thread pool would outlive the service's threads; Apprise says why a
    message failed only in its log, so that is captured for the outbox and `status`.
    """
    import logging

    import apprise

    try:
        full = expand(url)
    except MissingSecret as exc:
        return f"the environment variable {exc.args[0]} is not set"
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as said:
        target = apprise.Apprise.instantiate(full)
        if not target:
            return "Apprise does not know this URL (see https://github.com/caronc/apprise/wiki)"
        files = apprise.AppriseAttachment()
        for path in attach:
            files.add(str(path))
        ok = target.notify(body=body, title=subject, body_format=apprise.NotifyFormat.TEXT,
                           attach=files if len(files) else None)
    if ok:
        return None
    why = [line.strip() for line in said.getvalue().splitlines() if line.strip()]
    return "; ".join(why[-3:]) or "the target did not accept the message"


class Sender:
    """Sends what the outbox holds, from its own thread and its own store connection."""

    def __init__(self, config: Config, *, now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
                 deliver: Callable[..., str | None] = deliver) -> None:
        self.config = config
        self.now = now
        self.deliver = deliver
        self.wake = threading.Event()  # set to look at the outbox at once (a message was queued)
        self.sent = 0
        self.checked_day: dt.date | None = None  # the last day whose reminders and digests were queued

    def run(self, stopped: Callable[[], bool]) -> None:
        """Until stopped(): send what is due, queue each day's reminders. Faults are logged, never raised."""
        store = self._open(stopped)
        if store is None:
            return
        try:
            outbox = Outbox(store.db)
            if lost := outbox.recover(self.now()):
                logger.warning("{} message(s) were being sent when the service stopped; they may or may not "
                               "have arrived and are not sent again (syncservice status shows them)", lost)
            notices = Notices(self.config, store)
            while not stopped():
                try:
                    self.step(notices, outbox)
                except StoreError as exc:
                    logger.error("messages: {} (trying again)", exc)
                except Exception:  # a fault of ours must not end the sender
                    logger.exception("messages: the sender's step failed")
                self.wake.wait(POLL_SECONDS)
                self.wake.clear()
        finally:
            store.close()

    def _open(self, stopped: Callable[[], bool]) -> Store | None:
        """The sender's own connection; a store that cannot be opened is tried again each minute
        (the worker carries on, the messages wait in the store). None once stopped."""
        while not stopped():
            try:
                return Store.open(self.config.path("database"))
            except StoreError as exc:
                logger.error("messages: {} (trying again in {:g}s)", exc, OPEN_RETRY_SECONDS)
            deadline = time.monotonic() + OPEN_RETRY_SECONDS
            while time.monotonic() < deadline and not stopped():
                self.wake.wait(POLL_SECONDS)
                self.wake.clear()
        return None

    def step(self, notices: Notices, outbox: Outbox) -> int:
        """Queue the day's reminders (once a day), then send every message due; returns how many went."""
        now = self.now()
        if local_day(now) != self.checked_day:
            notices.due(now)
            self.checked_day = local_day(now)
        sent = 0
        while (message := outbox.claim(now, now - dt.timedelta(seconds=REPORT_WAIT_SECONDS))) is not None:
            sent += self._send(outbox, message)
            now = self.now()
        return sent

    def _send(self, outbox: Outbox, message: Message) -> int:
        attach = [Path(p) for p in message.attach if Path(p).is_file()]
        body = message.body
        if message.report:
            body = body.replace(message.report, message.report + "\n" + notify_text.report_note(
                bool(attach), self.config.language), 1)
        try:
            error = self.deliver(message.target, message.subject, body, attach)
        except Exception as exc:  # Apprise raising: a fault, but this message's only
            error = f"{type(exc).__name__}: {exc}"
        if error is None:
            outbox.sent(message.id, self.now())
            self.sent += 1
            logger.info("message sent to {}: {}", masked(message.target), message.subject)
            return 1
        delay = retry_delay(message.attempts)
        outbox.failed(message.id, error, self.now() + dt.timedelta(seconds=delay))
        logger.error("message to {} not sent ({}): {}; trying again in {:g}s", masked(message.target),
                     message.subject, error, delay)
        return 0
