"""Jobs: saved paths → settle → one queue for the one worker, and when a burst is over.

    saved(path)   observer thread, never waits        → inbox
    step()        settle thread: inbox → Settler → ready paths → queue
    take()        worker: the next job, once however often it was queued
    gone(path)    observer thread: a file left; RECONCILE is queued once the settle window is over
    burst_over()  nothing queued and nothing settling: time to rewrite the consolidated workbook

One lock guards the settler and the queue, so "nothing queued, nothing settling" is seen
at one instant: a burst never looks over while a file passes from the settler to the queue.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

from syncservice.service.settle import Settler

Job = Path | str  # a file to process, or a word for the worker ("rescan", RECONCILE)
# A workbook this big holds tens of thousands of lines and takes seconds to read: the small
# ones queued with it go first, so a unit's ordinary report is not made to wait for it.
LARGE_BYTES = 1 << 20
LOOK_AHEAD = 64  # queued jobs looked through for a small one
RECONCILE = "reconcile"  # a file left the folder: at the end of the pass, see what is gone (WORKBOOKS.md §9)
MAX_WAIT = 0.5  # the settle thread looks at least this often, and the worker checks its timers


class Jobs:
    def __init__(self, settler: Settler, clock: Callable[[], float] = time.monotonic) -> None:
        self._settler = settler
        self._clock = clock
        self._cond = threading.Condition()
        self._inbox: deque[Path] = deque()  # appended without the lock: the observer never waits
        self._wake = threading.Event()
        self._queue: deque[Job] = deque()
        self._queued: set[Job] = set()  # the queue's members: queued twice is processed once
        self._in_hand = False
        self._closed = False
        self._next_wait = MAX_WAIT
        self._gone_at: float | None = None  # the last delete or move-away not yet turned into RECONCILE

    # --- any thread ---------------------------------------------------------------------------

    def saved(self, path: Path) -> None:
        """A save-like event for `path` (the observer's thread): hand over, return at once."""
        self._inbox.append(path)
        self._wake.set()

    def gone(self, path: Path) -> None:
        """A delete, or the old name of a move (the observer's thread): return at once. Whether
        it matters is for the worker to see once it is past the settle window and the move's
        new name (or a save replacing it) has had its chance to arrive."""
        self._gone_at = self._clock()
        self._wake.set()

    def add(self, job: Job) -> None:
        with self._cond:
            self._put(job)
            self._cond.notify_all()

    def touch(self, paths: Iterable[Path]) -> None:
        """Paths found by a scan: settled like saved ones (one may be mid-copy)."""
        with self._cond:
            for path in paths:
                self._settler.touch(path)
        self._wake.set()

    def later(self, path: Path, delay: float) -> None:
        """Look at `path` again after `delay`; meanwhile it does not hold back the burst's end."""
        with self._cond:
            self._settler.later(path, delay)
        self._wake.set()

    def close(self) -> None:
        """No more jobs: take() and step() return at once from now on."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._wake.set()

    @property
    def closed(self) -> bool:
        return self._closed

    def pending(self) -> int:
        """Files waiting to settle or to be processed."""
        with self._cond:
            return len(self._inbox) + len(self._settler) + sum(isinstance(j, Path) for j in self._queue)

    def idle(self) -> bool:
        with self._cond:
            return not (self._inbox or len(self._settler) or self._queue or self._in_hand)

    def burst_over(self) -> bool:
        """Nothing queued and no file settling after an event (files on a backoff do not count)."""
        with self._cond:
            return not self._queue and not self._inbox and not self._settler.busy()

    # --- the settle thread --------------------------------------------------------------------

    def step(self) -> bool:
        """Wait for a save or the next look due, then queue the files that settled. False once closed."""
        self._wake.wait(timeout=self._next_wait)
        self._wake.clear()  # before draining: a save arriving during the step wakes the next one
        with self._cond:
            if self._closed:
                return False
            try:
                while self._inbox:
                    self._settler.touch(self._inbox.popleft())
                for path in self._settler.poll():
                    self._put(path)
                gone_at = self._gone_at
                if gone_at is not None and self._clock() - gone_at >= self._settler.settle:
                    if self._gone_at is gone_at:  # else one came meanwhile: its own window, its own turn
                        self._gone_at = None
                    self._put(RECONCILE)
            finally:
                due = self._settler.next_due()
                if self._gone_at is not None:
                    due = min(due, self._gone_at + self._settler.settle) if due is not None else (
                        self._gone_at + self._settler.settle)
                self._cond.notify_all()  # new jobs, or the burst may be over
        self._next_wait = MAX_WAIT if due is None else min(MAX_WAIT, max(0.005, due - self._clock()))
        return True

    # --- the worker ---------------------------------------------------------------------------

    def take(self, timeout: float = MAX_WAIT) -> Job | None:
        """The next job; None when there is none yet (after a wake-up or `timeout`) or once closed.

        A file saved again since it settled is not handed out (it could be read half-written):
        it settles again and comes back with its new content.
        """
        with self._cond:
            self._in_hand = False
            if not self._queue and not self._closed:
                self._cond.wait(timeout)
            while self._queue and not self._closed:
                job = self._pop()
                self._queued.discard(job)
                if isinstance(job, Path) and self._saved_again(job):
                    continue
                self._in_hand = True
                return job
            return None

    def _pop(self) -> Job:
        """The first queued job, unless it is a large file and a small one is queued behind it."""
        for i, job in enumerate(self._queue):
            if i >= LOOK_AHEAD:
                break
            if not large(job):
                del self._queue[i]
                return job
        return self._queue.popleft()

    def _saved_again(self, path: Path) -> bool:
        while self._inbox:  # events not yet seen by the settle thread count too
            self._settler.touch(self._inbox.popleft())
        written = self._settler.written_since(path)
        if path in self._settler:
            return True  # its new event is settling already
        if not written:
            return False
        self._settler.touch(path)  # settle again: with a polling observer its event comes later
        self._wake.set()
        return True

    def _put(self, job: Job) -> None:
        if job not in self._queued:
            self._queued.add(job)
            self._queue.append(job)


def large(job: Job) -> bool:
    """A file of at least LARGE_BYTES (one that cannot be looked at is not)."""
    if not isinstance(job, Path):
        return False
    try:
        return job.stat().st_size >= LARGE_BYTES
    except OSError:
        return False
