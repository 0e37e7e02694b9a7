"""The hand-over from events to the one worker: one job per file, and when a burst is over."""

from __future__ import annotations

from pathlib import Path

from syncservice.service.jobs import Jobs
from syncservice.service.settle import Look, Settler


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


def test_a_file_saved_again_while_it_waits_for_the_worker_is_not_handed_out_until_it_settles_again():
    # The worker was busy; meanwhile a new save of a.xlsx began (a slow copy over the network).
    # Handing it out now could read it half-written and reject it.
    jobs, clock = make()
    jobs.saved(Path("a.xlsx"))
    settle(jobs, clock, 1.5)
    assert jobs.pending() == 1  # queued
    jobs.saved(Path("a.xlsx"))  # the new save's event, not yet seen by the settle thread
    assert jobs.take(0) is None
    assert not jobs.burst_over()  # settling again
    settle(jobs, clock, 1.5)
    assert jobs.take(0) == Path("a.xlsx") and jobs.take(0) is None


def test_a_file_written_since_it_settled_is_settled_again_even_before_its_event_comes():
    # A polling observer sees the new save only at its next scan: the file's look tells.
    clock = Clock()
    looks = {Path("a.xlsx"): Look(5000, 1)}
    jobs = Jobs(Settler(1.0, clock=clock, stat=looks.__getitem__, opens=lambda p: True), clock)
    jobs.saved(Path("a.xlsx"))
    settle(jobs, clock, 1.5)
    looks[Path("a.xlsx")] = Look(2048, 2)  # half of the new save, then the writer pauses
    assert jobs.take(0) is None
    assert not jobs.burst_over()
    looks[Path("a.xlsx")] = Look(6000, 3)  # the rest
    settle(jobs, clock, 1.5)
    assert jobs.take(0) == Path("a.xlsx")


def test_files_gone_make_one_reconcile_once_the_settle_window_is_past():
    from syncservice.service.jobs import RECONCILE

    jobs, clock = make(settle=1.0)
    jobs.gone(Path("a.xlsx"))
    settle(jobs, clock, 0.5)
    assert jobs.take(0) is None  # within the window: a move's new name, or a save over it, may still come
    jobs.gone(Path("b.xlsx"))  # another one restarts the window
    settle(jobs, clock, 0.8)
    assert jobs.take(0) is None
    settle(jobs, clock, 0.5)
    assert jobs.take(0) == RECONCILE
    assert jobs.take(0) is None  # one for the lot


def test_a_small_file_queued_behind_a_large_one_is_taken_first(tmp_path, monkeypatch):
    import syncservice.service.jobs as jobs_mod

    monkeypatch.setattr(jobs_mod, "LARGE_BYTES", 1000)
    big, small, other = tmp_path / "stor.xlsx", tmp_path / "lille.xlsx", tmp_path / "anden.xlsx"
    big.write_bytes(b"x" * 1000)
    small.write_bytes(b"x" * 999)
    other.write_bytes(b"x" * 10)
    jobs, _ = make()
    for job in (big, "rescan", small, other):
        jobs.add(job)
    assert [jobs.take(0) for _ in range(4)] == ["rescan", small, other, big]
    assert jobs.take(0) is None
