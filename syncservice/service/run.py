"""Service: `syncservice run`, the pipeline kept running beside the shared drive.

    Watcher ─saved─▶ Jobs (settle thread) ─take─▶ worker ─▶ Pipeline.process
                                                  burst over ─▶ Pipeline.write_summary() once
    store's outbox ─▶ sender thread ─▶ Apprise (messages to people, sender.py)

One worker owns the store, so validation never runs twice at once and events never wait
on it. When a burst is over (jobs.py: nothing queued, nothing settling) the consolidated
workbook is rewritten once, not once per file. The main thread holds the instance lock,
starts and stops everything, rescans the folder now and then, and restarts the observer
if it died (a share unmounted and came back).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from loguru import logger

from syncservice.base.config import Config, check_places, require_watched
from syncservice.base.errors import AlreadyRunning, ConfigError, ServiceError
from syncservice.pipeline import RETRY, Outcome, Pipeline
from syncservice.service import status as status_mod
from syncservice.service.jobs import MAX_WAIT, RECONCILE, Job, Jobs, large
from syncservice.service.lock import Held, Holder, InstanceLock
from syncservice.service.sender import Sender
from syncservice.service.settle import Settler, backoff
from syncservice.service.status import Status
from syncservice.service.watch import Watcher
from syncservice.store import backup as store_backup
from syncservice.store.db import Store

RESCAN = "rescan"  # the job besides a path: scan the folder for what changed
TICK = 0.2  # how often the main thread looks at the stop flag, the rescan timer and the observer
HEALTH_SECONDS = 5.0
SUMMARY_RETRY_SECONDS = 30.0  # the consolidated workbook could not be written (open in Excel on Windows)
# Under endless saves (some file is always settling, so a burst is never over) the
# consolidated workbook is still rewritten once the worker has caught up and the pass is
# this old, so finance sees saves within seconds (bench/load.py); but never so often that
# rewriting takes more than 1/SUMMARY_SHARE of the worker's time.
MAX_PASS_SECONDS = 5.0
SUMMARY_SHARE = 5
STATUS_SECONDS = 2.0  # most often status.json is rewritten while busy


def lock_path(config: Config) -> Path:
    return config.path("state") / "syncservice.lock"


def status_path(config: Config) -> Path:
    return config.path("state") / "status.json"


def ingest_status_path(config: Config) -> Path:
    """What the last `syncservice ingest` did (status.IngestPass)."""
    return config.path("state") / "ingest.json"


def already_running(holder: Holder | None, lock: Path, language: str) -> AlreadyRunning:
    if language == "da":
        who = f"pid {holder.pid} på {holder.host}, startet {holder.started}" if holder else "ukendt proces"
        return AlreadyRunning(f"en anden syncservice kører allerede for dette lager ({who}). Stop den "
                              f"først, eller brug en anden konfiguration. Lås: {lock}")
    who = f"pid {holder.pid} on {holder.host}, started {holder.started}" if holder else "unknown process"
    return AlreadyRunning(f"another syncservice is already running for this store ({who}). Stop it "
                          f"first, or use another configuration. Lock: {lock}")


class Service:
    """run() blocks until stop(); stop() may be called from a signal handler or another thread."""

    def __init__(self, config: Config, *, on_outcome: Callable[[Outcome], None] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 wall_clock: Callable[[], dt.datetime] | None = None) -> None:
        self.config = config
        # messages to people ([notify]), from a thread of its own, on the pipeline's wall clock
        self.sender = Sender(config) if wall_clock is None else Sender(config, now=wall_clock)
        self.mode = config.get("watch", "observer")
        self.poll_seconds = float(config.get("watch", "poll_seconds"))
        self.settle_seconds = float(config.get("watch", "settle_seconds"))
        self.rescan_seconds = float(config.get("watch", "rescan_minutes")) * 60
        if self.poll_seconds <= 0 or self.settle_seconds < 0 or self.rescan_seconds < 0:
            raise ConfigError("watch.poll_seconds must be above 0; watch.settle_seconds and "
                              "watch.rescan_minutes 0 or more")
        check_places(config)  # refused before anything is opened or locked
        self.on_outcome = on_outcome
        self.clock = clock
        self.wall_clock = wall_clock  # the pipeline's (times recorded, watch.unreadable_minutes); tests move it
        self.summary_writes = 0
        self.processed = 0
        self.observer_restarts = 0  # the folder vanished, was remounted or replaced, and is watched again

        self._stop_requested = False  # a plain flag: the only thing a signal handler touches
        self._fatal: ServiceError | None = None  # the worker found the store damaged: run() raises it
        self._jobs = Jobs(Settler(self.settle_seconds, clock=clock), clock)

        # the worker's own
        self._retries: dict[Path, int] = {}
        self._pass_open = False
        self._pass_started = 0.0
        self._pass_files = 0
        self._summary_not_before = 0.0
        self._summary_seconds = 0.0  # how long the last rewrite took

        self._watcher: Watcher | None = None
        self._observer_down = False
        self._status_lock = threading.RLock()
        self._status: Status | None = None
        self._status_written = 0.0

    # --- control ------------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask the service to stop: the workbook in hand is finished, then run() returns."""
        self._stop_requested = True

    def idle(self) -> bool:
        """Nothing settling, queued, in hand or left to summarise (tests, benchmarks)."""
        return self._jobs.idle() and not self._pass_open

    def watching(self) -> bool:
        """True while the observer runs (False between a share vanishing and its return)."""
        return self._watcher is not None and self._watcher.alive()

    def run(self, started: Callable[[], None] | None = None) -> None:
        """Hold the instance lock, catch up, then watch until stop(). Raises AlreadyRunning."""
        lock = InstanceLock(lock_path(self.config))
        try:
            holder = lock.acquire()
        except Held as held:
            raise already_running(held.holder, lock.path, self.config.language) from None
        try:
            self._run(holder, started)
        finally:
            lock.release()

    def _run(self, holder: Holder, started: Callable[[], None] | None) -> None:
        watched = require_watched(self.config)
        store_backup.ensure_sound(self.config.path("database"), self.config.language)  # never write a damaged one
        store = Store.open(self.config.path("database"))  # used by the worker thread only
        pipeline = (Pipeline(self.config, store) if self.wall_clock is None
                    else Pipeline(self.config, store, clock=self.wall_clock))
        watcher = self._watcher = Watcher(watched, pipeline.outputs, self._jobs.saved, mode=self.mode,
                                          poll_seconds=self.poll_seconds, gone=self._jobs.gone)
        threads = [threading.Thread(target=self._settle_loop, name="syncservice-settle", daemon=True),
                   threading.Thread(target=self._work_loop, args=(pipeline,), name="syncservice-worker",
                                    daemon=True),
                   threading.Thread(target=self.sender.run, args=(lambda: self._jobs.closed,),
                                    name="syncservice-sender", daemon=True)]
        self._status = Status(holder.pid, holder.host, holder.started, self.mode, str(watched))
        errors = logger.add(self._remember_error, level="ERROR", format="{message}",
                            filter=lambda r: "validation" not in r["extra"])
        try:
            watcher.start()  # before the catch-up scan, so nothing saved during it is missed
            for thread in threads:
                thread.start()
            self._jobs.add(RESCAN)  # catch-up: whatever changed while the service was down
            logger.info("syncservice started: pid {}, watching {} ({} observer{}, settle {:g}s, rescan {})",
                        holder.pid, watched, self.mode,
                        f" every {self.poll_seconds:g}s" if self.mode == "polling" else "", self.settle_seconds,
                        f"every {self.rescan_seconds / 60:g} min" if self.rescan_seconds else "off")
            self._write_status(force=True)
            if started is not None:
                started()
            self._supervise(watcher, threads[1])
        finally:
            watcher.stop()
            self._jobs.close()
            for thread in threads:
                if thread.ident is not None:
                    thread.join()  # the worker finishes the workbook in hand first
            store.close()
            self._write_status(force=True, state=status_mod.STOPPED, stopped=status_mod.now_text())
            logger.info("syncservice stopped: {} processed, consolidated workbook rewritten {}",
                        _times(self.processed, "file", "files"), _times(self.summary_writes, "time", "times"))
            logger.remove(errors)

    def _supervise(self, watcher: Watcher, worker: threading.Thread) -> None:
        now = self.clock()
        next_rescan = now + self.rescan_seconds if self.rescan_seconds else float("inf")
        next_health = now + HEALTH_SECONDS
        while not self._stop_requested:
            time.sleep(TICK)
            if not worker.is_alive():
                raise self._fatal or ServiceError("the worker thread stopped unexpectedly; see the log")
            now = self.clock()
            if now >= next_rescan:
                next_rescan = now + self.rescan_seconds
                self._jobs.add(RESCAN)
            if now >= next_health:
                next_health = now + HEALTH_SECONDS
                self._check_observer(watcher)
            self._write_status()
        if self._fatal is not None:
            raise self._fatal

    def _check_observer(self, watcher: Watcher) -> None:
        why = watcher.trouble()
        if why is None:
            return
        first = not self._observer_down
        if first:  # once per outage, not every few seconds while a share is away
            logger.error("not watching {} any more: {} (unmounted, remounted or replaced?); restarting the observer",
                         watcher.watched, why)
            self._update(observer_down=status_mod.now_text(), observer_why=why)
            self._write_status(force=True)
        self._observer_down = True
        try:
            watcher.restart()
        except ServiceError as exc:
            if first:
                logger.warning("cannot restart the observer yet, will keep trying: {}", exc)
            return
        self._observer_down = False
        self.observer_restarts += 1
        logger.warning("watching {} again (restart {} since start); catching up on what was saved meanwhile",
                       watcher.watched, self.observer_restarts)
        self._update(observer_down="", observer_restarts=self.observer_restarts,
                     observer_restarted=status_mod.now_text())
        self._write_status(force=True)
        self._jobs.add(RESCAN)  # whatever was saved while nobody watched

    # --- the threads ---------------------------------------------------------------------------

    def _settle_loop(self) -> None:
        while True:
            try:
                if not self._jobs.step():
                    return
            except Exception:  # a fault of ours must not stop the hand-over
                logger.exception("settle step failed")

    def _work_loop(self, pipeline: Pipeline) -> None:
        while not self._jobs.closed:
            try:
                # A pass already due is ended at once, not after take()'s timeout.
                job = self._jobs.take(0.0 if self._pass_open and self._pass_due() else MAX_WAIT)
                if job is not None:
                    self._do(pipeline, job)
                elif self._pass_open and self._pass_due():
                    self._end_pass(pipeline)
            except Exception as exc:  # a fault of ours must not end the service
                if damage := store_backup.as_damage(exc, self.config.path("database"), self.config.language):
                    logger.error("{}", damage)  # the store, damaged while in use: the service stops (exit 7)
                    self._fatal = damage
                    self.stop()
                    return
                logger.exception("the worker's job failed")
        if self._pass_open:  # stopping: the consolidated workbook shows what was done
            try:
                self._end_pass(pipeline)
            except Exception:
                logger.exception("rewriting the consolidated workbook failed")

    def _pass_due(self) -> bool:
        now = self.clock()
        return now >= self._summary_not_before and (
            self._jobs.burst_over()
            or now - self._pass_started >= max(MAX_PASS_SECONDS, SUMMARY_SHARE * self._summary_seconds))

    def _do(self, pipeline: Pipeline, job: Job) -> None:
        if self._pass_open and self._pass_files and large(job) and pipeline.summary_stale():
            # The reports taken so far are shown before a large file holds the worker for seconds.
            self._end_pass(pipeline)
        if not self._pass_open:
            self._pass_open, self._pass_started, self._pass_files = True, self.clock(), 0
        if job == RESCAN:
            self._jobs.touch(pipeline.pending())
            self._update(last_scan=status_mod.now_text())
            return
        if job == RECONCILE:  # a file left: what the store cites is looked for when the pass ends
            pipeline.gone_due = True
            return
        assert isinstance(job, Path)
        outcome = pipeline.process(job)
        self.sender.wake.set()  # a verdict may have queued a message: the sender looks now, not in a while
        self.processed += 1
        self._pass_files += 1
        if outcome.status == RETRY:
            # Locked, still being written, or a disk/store fault: look again later, never reject.
            attempt = self._retries[job] = self._retries.get(job, 0) + 1
            delay = backoff(attempt, max(self.settle_seconds, 0.5))
            logger.info("{} | not read yet ({}) | again in {:.1f}s", outcome.rel, outcome.reason, delay)
            self._jobs.later(job, delay)
        else:
            self._retries.pop(job, None)
        if self.on_outcome is not None:
            self.on_outcome(outcome)
        self._write_status()

    def _end_pass(self, pipeline: Pipeline) -> None:
        """The burst is over: write the reports still owed (the catch-up pass at start is one),
        then rewrite the consolidated workbook once, if the store moved on."""
        try:
            pipeline.write_owed_reports()
        except Exception:  # a fault of ours must not keep the consolidated workbook from being rewritten
            logger.exception("writing the reports still owed failed")
        if pipeline.gone_due:
            try:
                pipeline.reconcile()
            except Exception:  # the next rescan looks again
                logger.exception("looking for the files gone failed")
        try:
            if pipeline.summary_stale():
                started = self.clock()
                pipeline.write_summary()
                self._summary_seconds = self.clock() - started
                self.summary_writes += 1
        except Exception as exc:
            self._summary_not_before = self.clock() + SUMMARY_RETRY_SECONDS
            logger.error("cannot rewrite the consolidated workbook ({}); trying again in {:g}s",
                         exc, SUMMARY_RETRY_SECONDS)
            return
        self._pass_open = False
        self._update(last_pass=status_mod.now_text(), last_pass_files=self._pass_files,
                     summary_writes=self.summary_writes)
        self._write_status(force=True)

    # --- status ---------------------------------------------------------------------------------

    def _remember_error(self, message: Any) -> None:
        """A loguru sink: any error logged while running becomes the status's last error."""
        record = message.record
        text = record["message"].splitlines()[0] if record["message"] else ""
        self._update(last_error=text[:500], last_error_at=status_mod.now_text())

    def _update(self, **changes: Any) -> None:
        with self._status_lock:
            if self._status is not None:
                self._status = replace(self._status, **changes)

    def _write_status(self, *, force: bool = False, **changes: Any) -> None:
        now = self.clock()
        if not force and now - self._status_written < STATUS_SECONDS:
            return
        pending = self._jobs.pending()
        with self._status_lock:
            if self._status is None:
                return
            self._status = replace(self._status, pending=pending, processed=self.processed,
                                   summary_writes=self.summary_writes, updated=status_mod.now_text(), **changes)
            current = self._status
            self._status_written = now
            try:
                status_mod.write(status_path(self.config), current)
            except OSError as exc:
                logger.warning("cannot write {}: {}", status_path(self.config), exc)


def _times(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
