"""Load through the running service (issue 6): 1,000 saves within a minute across 50 units,
with rapid re-saves of the same files, and what must hold afterwards. bench/load.py runs
the same load with the default settle window and reports the latencies; this test checks
correctness only, with a scaled-down window (tests/running.py's SETTLE)."""

from __future__ import annotations

import threading
import time

import load
import pytest

from syncservice.base.config import defaults
from syncservice.pipeline import ACCEPTED, REJECTED, Outcome, Pipeline
from syncservice.store.db import Store

from running import POLL, SETTLE, Running, no_threads_left_behind, wait_for  # noqa: F401 (a fixture)


@pytest.fixture
def config(tmp_path):
    (tmp_path / "watched").mkdir()
    return defaults(tmp_path).with_values(watch__settle_seconds=SETTLE)


@pytest.fixture(params=["native", "polling"])
def observed(request, config):
    return config.with_values(watch__observer=request.param, watch__poll_seconds=POLL)


def test_a_thousand_saves_in_a_minute_across_fifty_units_lose_nothing_and_duplicate_nothing(config, tmp_path):
    saves = load.plan(seed=6, saves=1000, units=50, seconds=55.0, settle=SETTLE)
    (tmp_path / "making").mkdir()
    saved, snapshots, _ = load.run(config, saves, load.Contents(tmp_path / "making"))
    result = load.judge(saved, config, snapshots, long_enough=SETTLE + 3.0)

    assert result.problems == []
    counts = result.counts
    assert counts["saves"] == 1000 and counts["units"] == 50
    assert counts["seconds of saving"] <= 60
    assert counts["re-saves within the settle window"] > 300  # the rapid re-saves really happened
    assert counts["settled contents checked"] > 50  # not only the final contents were checked
    assert counts["rejected"] > 0 and counts["unchanged"] > 0  # both paths were taken under load
    # while saves kept coming, the consolidated workbook still showed them, not only at the end
    assert counts["rewrites while saving"] >= 2
    with Store.open(config.path("database")) as store:
        assert store.integrity_ok()
        assert store.counts()["current"] == 50
        assert not Pipeline(config, store).summary_stale()


def test_a_file_saved_again_while_it_waits_for_the_busy_worker_is_never_read_half_written(observed, monkeypatch):
    # Found under load: a file that had settled waited in the queue while the worker was busy;
    # a new save began meanwhile (written in place, slowly); the worker read the half-written
    # file and rejected it. Now it settles again and only its complete content is read
    # (with a polling observer too, whose event for the new save comes only at its next scan).
    config = observed
    watched = config.path("watched")
    contents = load.Contents(watched.parent)
    first, second = (contents.of(load.Save(0, "a.xlsx", 1, n, True, "inplace")) for n in (11, 12))
    busy, half_written = threading.Event(), threading.Event()
    process = Pipeline.process

    def slow_blocker(self, path, **kw):
        if path.name == "blocker.xlsx":  # the worker is busy while a.xlsx waits in the queue
            busy.set()
            assert half_written.wait(10)
            return Outcome("blocker.xlsx", "skipped")
        return process(self, path, **kw)

    monkeypatch.setattr(Pipeline, "process", slow_blocker)
    with Running(config) as run:
        (watched / "blocker.xlsx").write_bytes(first)
        assert busy.wait(10)
        (watched / "a.xlsx").write_bytes(first)
        time.sleep(2 * SETTLE + 2 * POLL)  # a.xlsx settled, and waits in the queue
        with open(watched / "a.xlsx", "wb") as f:  # the new save, slowly over the network
            f.write(second[: len(second) // 2])
            f.flush()
            half_written.set()
            time.sleep(6 * SETTLE)
            f.write(second[len(second) // 2:])
        wait_for(lambda: run.of("a.xlsx"), what="a.xlsx processed")
        run.quiet()
    assert run.of("a.xlsx") == [ACCEPTED]
    assert REJECTED not in run.of("a.xlsx")
    with Store.open(config.path("database")) as store:
        current = store.current_versions()
        assert [(v.path, v.unit) for v in current] == [("a.xlsx", load.unit_name(1))]
        figures = store.version_figures(current[0].version_id)
        assert next(f.value for f in figures if f.line == "Botilbud" and f.metric == "Mål") == 12
