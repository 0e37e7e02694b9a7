from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from schemas import KINDS  # noqa: E402
from syncservice.base.models import StagedFile, Verdict  # noqa: E402
from syncservice.rules.check import check_workbook  # noqa: E402

import book  # noqa: E402


def verdict_for(path: Path) -> Verdict:
    staged = StagedFile(path, path.name, path, "0" * 64, path.stat().st_size, 0)
    return check_workbook(staged, KINDS, max_unpacked=300 << 20, max_rows=200_000, max_seconds=60)


@pytest.fixture
def check(tmp_path):
    """check(rows or {sheet: rows}, formats=None) → Verdict of that workbook."""
    counter = iter(range(10_000))

    def run(sheets, formats=None, name=None) -> Verdict:
        path = tmp_path / (name or f"wb{next(counter)}.xlsx")
        book.save(path, sheets, formats)
        return verdict_for(path)

    return run


def only(findings, rule):
    """The findings of one rule; fails when there are none."""
    found = [f for f in findings if f.rule == rule]
    assert found, f"no {rule} among {[(f.rule, f.location) for f in findings]}"
    return found


# CI installs every program the tests use and has ../shared beside the clone: there a skip
# means a missing install step, so .ci/run sets this and any skip fails the run.
NO_SKIP = os.environ.get("SYNCSERVICE_NO_SKIP") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    reason = report.longrepr[2] if report.skipped and isinstance(report.longrepr, tuple) else report.longrepr
    # "environment: …": a limit of the machine (no tmpfs mount in an unprivileged container), not a missing install step
    if (NO_SKIP and report.skipped and not hasattr(report, "wasxfail")
            and not str(reason).startswith("Skipped: environment:") and not str(reason).startswith("environment:")):
        report.outcome = "failed"
        report.longrepr = f"skipped where nothing may be skipped (SYNCSERVICE_NO_SKIP=1): {reason}"


@pytest.fixture(autouse=True)
def default_time_zone():
    """output.timezone is set per process (syncservice/localtime.py): each test starts from the default."""
    from syncservice.base import localtime

    localtime.use(localtime.DEFAULT)
    yield
    localtime.use(localtime.DEFAULT)


STILL = dt.datetime(2016, 12, 1, 9, 0, tzinfo=dt.UTC)  # the clock of `pipeline`: times in outputs repeat


@pytest.fixture
def pipeline(tmp_path):
    """A pipeline on a new store and watched folder in tmp_path, its clock standing still at STILL."""
    from syncservice.base.config import defaults
    from syncservice.pipeline import Pipeline
    from syncservice.store.db import Store

    config = defaults(tmp_path)
    (tmp_path / "watched").mkdir()
    store = Store.open(config.path("database"))
    yield Pipeline(config, store, clock=lambda: STILL)
    store.close()
