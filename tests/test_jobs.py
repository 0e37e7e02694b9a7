"""The hand-over from events to the one worker: one job per file, and when a burst is over."""

from __future__ import annotations

from pathlib import Path

from syncservice.jobs import Jobs
from syncservice.settle import Look, Settler


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make(settle: float = 1.0) -> tuple[Jobs, Clock]:
    clock = Clock()
    settler = Settler(settle, clock=clock, stat=lambda p: Look(1, 1), opens=lambda p: True)
    return Jobs(settler, clock), clock


def settle(jobs: Jobs, clock: Clock, seconds: float) -> None:
    """Run the settle thread's steps over `seconds` of fake time."""
    end = clock.now + seconds
    while clock.now < end:
        jobs._wake.set()  # a fake clock: do not wait for real time
        jobs.step()
        clock.now += 0.1


def test_many_events_for_one_file_make_one_job():
    jobs, clock = make()
    for _ in range(50):
        jobs.saved(Path("a.xlsx"))
    settle(jobs, clock, 2)
    assert jobs.take(0) == Path("a.xlsx")
    assert jobs.take(0) is None


def test_a_file_saved_again_while_queued_is_queued_once():
    jobs, clock = make(settle=0.0)
    jobs.saved(Path("a.xlsx"))
    settle(jobs, clock, 0.3)
    jobs.saved(Path("a.xlsx"))
    settle(jobs, clock, 0.3)
    assert jobs.pending() == 1
    assert jobs.take(0) == Path("a.xlsx") and jobs.take(0) is None


def test_the_burst_is_not_over_while_a_file_settles_or_a_job_waits():
    jobs, clock = make()
    assert jobs.burst_over()
    jobs.saved(Path("a.xlsx"))
    assert not jobs.burst_over()  # in the inbox
    settle(jobs, clock, 0.5)
    assert not jobs.burst_over()  # settling
    settle(jobs, clock, 1.0)
    assert not jobs.burst_over()  # queued
    assert jobs.take(0) == Path("a.xlsx")
    assert jobs.burst_over() and not jobs.idle()  # over, but the worker has it in hand
    assert jobs.take(0) is None and jobs.idle()


def test_a_file_on_a_backoff_does_not_hold_back_the_end_of_a_burst():
    jobs, clock = make()
    jobs.later(Path("locked.xlsx"), 30.0)
    assert jobs.burst_over() and jobs.pending() == 1 and not jobs.idle()


def test_closing_stops_both_threads_loops():
    jobs, _ = make()
    jobs.add("rescan")
    jobs.close()
    assert jobs.take(5) is None  # at once, not after the timeout
    assert jobs.step() is False
