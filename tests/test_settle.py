"""The settle window, driven by a fake clock and a fake file system: no sleeping."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncservice.settle import PATIENCE_SECONDS, Look, Settler, backoff, looks_whole

WB = Path("/share/hp.xlsx")
CSV = Path("/share/tal.csv")


class Fake:
    """A clock and the files' (size, mtime) and zip-ness, all set by the test."""

    def __init__(self) -> None:
        self.now = 100.0
        self.files: dict[Path, Look] = {}
        self.zips: set[Path] = set()

    def clock(self) -> float:
        return self.now

    def stat(self, path: Path) -> Look:
        if path not in self.files:
            raise FileNotFoundError(path)
        return self.files[path]

    def write(self, path: Path, size: int, *, whole: bool = True) -> None:
        self.files[path] = Look(size, int(self.now * 1e9))
        (self.zips.add if whole else self.zips.discard)(path)

    def settler(self, settle: float = 1.0) -> Settler:
        return Settler(settle, clock=self.clock, stat=self.stat, opens=lambda p: p in self.zips)

    def run(self, settler: Settler, until: float, step: float = 0.05) -> list[tuple[float, Path]]:
        """Poll every `step` until `until`; (time, path) for each hand-over."""
        out = []
        while self.now < until:
            out += [(self.now, p) for p in settler.poll()]
            self.now = round(self.now + step, 6)
        return out


@pytest.fixture
def fake():
    return Fake()


def test_a_finished_file_is_handed_over_one_window_after_its_event(fake):
    settler = fake.settler(1.0)
    fake.write(WB, 5000)
    settler.touch(WB)
    handed = fake.run(settler, 103)
    assert [p for _, p in handed] == [WB]
    assert handed[0][0] == pytest.approx(101.0, abs=0.06)
    assert len(settler) == 0


def test_twenty_saves_in_two_seconds_give_one_hand_over_after_the_last(fake):
    settler = fake.settler(1.0)
    for i in range(20):
        fake.write(WB, 5000 + i)
        settler.touch(WB)
        assert settler.poll() == []
        fake.now += 0.1
    last_save = fake.now - 0.1
    handed = fake.run(settler, fake.now + 3)
    assert [p for _, p in handed] == [WB]
    assert handed[0][0] >= last_save + 1.0


def test_a_file_still_growing_without_events_waits_until_size_and_mtime_hold(fake):
    # Polling observers and network shares report late or not at all: the looks decide.
    settler = fake.settler(1.0)
    fake.write(WB, 100, whole=False)
    settler.touch(WB)
    for size in range(200, 2000, 100):  # grows every 0.5 s for 9 s, no events
        fake.run(settler, fake.now + 0.5)
        fake.write(WB, size, whole=False)
        assert len(settler) == 1
    fake.write(WB, 2000)
    handed = fake.run(settler, fake.now + 3)
    assert [p for _, p in handed] == [WB]


def test_a_stable_xlsx_that_is_not_a_zip_yet_waits_with_backoff_and_is_never_handed_over_early(fake):
    settler = fake.settler(0.5)
    fake.write(WB, 100, whole=False)  # e.g. a writer that paused, or a file locked on Windows
    settler.touch(WB)
    assert fake.run(settler, fake.now + 20) == []
    fake.write(WB, 4000)  # the save completes
    settler.touch(WB)
    assert [p for _, p in fake.run(settler, fake.now + 2)] == [WB]


def test_an_xlsx_that_never_becomes_a_zip_is_handed_over_after_patience_to_be_rejected(fake):
    settler = fake.settler(0.5)
    fake.write(WB, 100, whole=False)
    settler.touch(WB)
    handed = fake.run(settler, fake.now + PATIENCE_SECONDS + 40, step=0.25)
    assert [p for _, p in handed] == [WB]
    assert handed[0][0] >= 100 + PATIENCE_SECONDS


def test_looks_while_waiting_for_a_zip_back_off(fake):
    looks = []
    settler = Settler(0.5, clock=fake.clock, stat=lambda p: looks.append(fake.now) or Look(1, 1),
                      opens=lambda p: False)
    settler.touch(WB)
    fake.run(settler, fake.now + 30, step=0.01)
    gaps = [b - a for a, b in zip(looks, looks[1:])]
    assert gaps[-1] > 4 * gaps[1]
    assert len(looks) < 15


def test_a_csv_is_handed_over_once_stable_without_waiting_for_a_zip(fake):
    settler = fake.settler(1.0)
    fake.write(CSV, 10, whole=False)
    settler.touch(CSV)
    assert [p for _, p in fake.run(settler, fake.now + 1.5)] == [CSV]


def test_a_file_gone_before_it_settled_is_forgotten(fake):
    # Excel renames the original away to a temporary name and deletes it: nothing to process.
    settler = fake.settler(1.0)
    fake.write(WB, 10)
    settler.touch(WB)
    del fake.files[WB]
    assert fake.run(settler, fake.now + 3) == []
    assert len(settler) == 0


def test_later_looks_again_after_the_delay_and_checks_stability_again(fake):
    settler = fake.settler(1.0)
    fake.write(WB, 10)
    settler.later(WB, 5.0)
    handed = fake.run(settler, fake.now + 10)
    assert [p for _, p in handed] == [WB]
    assert handed[0][0] >= 100 + 5.0 + 1.0


def test_a_file_waiting_on_a_backoff_does_not_hold_back_the_end_of_a_burst(fake):
    settler = fake.settler(1.0)
    fake.write(WB, 10)
    settler.later(WB, 30.0)
    assert len(settler) == 1 and not settler.busy()
    fake.write(CSV, 10)
    settler.touch(CSV)
    assert settler.busy()
    fake.run(settler, fake.now + 2)
    assert not settler.busy()


def test_later_does_not_postpone_a_file_saved_again_meanwhile(fake):
    settler = fake.settler(1.0)
    fake.write(WB, 10)
    settler.touch(WB)  # saved again while the worker held the previous version
    settler.later(WB, 30.0)
    assert settler.busy()
    assert [p for _, p in fake.run(settler, fake.now + 2)] == [WB]


def test_next_due_says_when_to_look_next(fake):
    settler = fake.settler(1.0)
    assert settler.next_due() is None
    fake.write(WB, 10)
    settler.touch(WB)
    assert settler.next_due() == fake.now
    settler.poll()
    assert settler.next_due() == pytest.approx(fake.now + 1.0)


def test_backoff_doubles_up_to_its_cap():
    assert [backoff(n, 1.0, cap=10) for n in range(1, 7)] == [1, 2, 4, 8, 10, 10]


def test_looks_whole_knows_a_zip_an_ole_file_and_a_truncated_zip(tmp_path):
    import zipfile

    whole = tmp_path / "a.xlsx"
    with zipfile.ZipFile(whole, "w") as z:
        z.writestr("[Content_Types].xml", "x" * 5000)
    half = tmp_path / "b.xlsx"
    half.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    encrypted = tmp_path / "c.xlsx"
    encrypted.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 500)
    assert looks_whole(whole) and looks_whole(encrypted)
    assert not looks_whole(half)
    assert not looks_whole(tmp_path / "missing.xlsx")


def test_a_fifo_is_forgotten_by_the_settler_and_never_opened(tmp_path, monkeypatch):
    import os

    fifo = tmp_path / "x.xlsx"
    os.mkfifo(fifo)
    assert not looks_whole(fifo)  # lstat first: returns at once, nothing opened
    clock = [0.0]
    settler = Settler(0.5, clock=lambda: clock[0], opens=lambda p: pytest.fail("opened"))
    settler.touch(fifo)
    assert settler.poll() == [] and fifo not in settler
