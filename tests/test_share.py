"""The share as it really is (issue 14, WORKBOOKS.md §1 and §9): changes that keep size and
mtime, files deleted, renamed or moved, files that are not reports, times, and
configurations that cannot work. The observer's side is in test_watch.py."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import book
from syncservice.cli import main
from syncservice.config import Config, defaults
from syncservice.pipeline import ACCEPTED, UNCHANGED, Pipeline
from syncservice.store import Store

UNIT = "Handicap, Testby"


def workbook(target: int, unit: str = UNIT, extra: int = 1) -> bytes:
    """A small handleplan whose first target is `target` kr."""
    rows = book.handleplan(unit=unit, amount_unit="kr.", lines=[["Botilbud", target, 1, 1], ["Dagtilbud", extra, 1, 1]])
    with tempfile.TemporaryDirectory() as folder:
        return book.save(Path(folder) / "hp.xlsx", {"HP": rows}).read_bytes()


def same_size_pair() -> tuple[bytes, bytes]:
    """Two workbooks with other figures and exactly the same byte size (common: one digit changed)."""
    by_size: dict[int, bytes] = {}
    for target in range(10, 99):
        data = workbook(target)
        if len(data) in by_size:
            return by_size[len(data)], data
        by_size[len(data)] = data
    raise AssertionError("no two workbooks of one size")


@pytest.fixture
def config(tmp_path) -> Config:
    (tmp_path / "watched").mkdir()
    return defaults(tmp_path)


def target_in_force(config: Config) -> float:
    with Store.open(config.path("database")) as store:
        (version,) = store.current_versions()
        return next(f.value for f in store.version_figures(version.version_id)
                    if f.line == "Botilbud" and f.metric == "Mål")


def ingest(config: Config) -> list[tuple[str, str]]:
    with Store.open(config.path("database")) as store:
        tally = Pipeline(config, store).ingest()
    return [(o.rel, o.status) for o in tally.outcomes]


def put(path: Path, data: bytes, mtime_ns: int | None = None) -> Path:
    path.write_bytes(data)
    if mtime_ns is not None:
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


# --- Same size, same timestamp --------------------------------------------------------------

def test_an_overwrite_with_the_same_size_and_the_old_mtime_is_a_new_version(config):
    first, second = same_size_pair()
    path = put(config.path("watched") / "hp.xlsx", first)
    old = path.stat().st_mtime_ns
    assert ingest(config) == [("hp.xlsx", ACCEPTED)]
    before = target_in_force(config)
    put(path, second, old)  # a save on a share with 2-second timestamps: size and mtime as they were
    assert path.stat().st_size == len(first) and path.stat().st_mtime_ns == old
    assert ingest(config) == [("hp.xlsx", ACCEPTED)]
    assert target_in_force(config) != before
    assert ingest(config) == []  # and then it is unchanged: nothing to do
