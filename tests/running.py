"""A service running in a test: in a thread, as `syncservice run` runs it, stopped and
joined when the test is done, with every thread it started gone."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from syncservice.config import Config
from syncservice.pipeline import Outcome
from syncservice.service import Service

SETTLE = 0.2  # small windows keep the tests quick; the defaults are 1 s and 5 s
POLL = 0.1


@pytest.fixture(autouse=True)
def no_threads_left_behind():
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and set(threading.enumerate()) - before:
        time.sleep(0.05)
    assert not set(threading.enumerate()) - before


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.02)


class Running:
    """A Service in a thread, as `syncservice run` runs it; stopped and joined on exit."""

    def __init__(self, config: Config, **service: Any) -> None:
        self.config = config
        self.outcomes: list[Outcome] = []
        self.service = Service(config, on_outcome=self.outcomes.append, **service)
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="test-service")

    def _run(self) -> None:
        try:
            self.service.run(started=self._started.set)
        except BaseException as exc:  # handed to the test's thread
            self._error = exc
            self._started.set()

    def __enter__(self) -> Running:
        self._thread.start()
        assert self._started.wait(15)
        if self._error:
            raise self._error
        self.quiet(hold=0.1)  # the catch-up pass is queued before run() says it started
        return self

    def __exit__(self, *exc: object) -> None:
        self.service.stop()
        self._thread.join(15)
        assert not self._thread.is_alive()
        if self._error:
            raise self._error

    def of(self, rel: str) -> list[str]:
        return [o.status for o in self.outcomes if o.rel == rel]

    def quiet(self, hold: float = 2 * SETTLE + 2 * POLL, timeout: float = 30.0) -> None:
        """Wait until the service has been idle for `hold` seconds on end."""
        deadline = time.monotonic() + timeout
        since = None
        while time.monotonic() < deadline:
            if self.service.idle():
                since = since or time.monotonic()
                if time.monotonic() - since >= hold:
                    return
            else:
                since = None
            time.sleep(0.02)
        raise AssertionError("the service never became idle")


