import datetime as dt
import errno
import hashlib
import os
import stat
import unicodedata
from pathlib import Path

import pytest

from syncservice import archive as archive_mod
from syncservice import durable
from syncservice.archive import archive, safe_name
from syncservice.durable import atomic_write
from syncservice.errors import DiskError
from syncservice.models import StagedFile

NOW = dt.datetime(2016, 10, 3, 14, 5, 9, tzinfo=dt.UTC)


def make_staged(tmp_path: Path, name: str = "Tilgang og afgang.xlsx", data: bytes = b"workbook bytes") -> StagedFile:
    copy = tmp_path / "staging" / "x" / name
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(data)
    return StagedFile(source=tmp_path / "watched" / name, rel=name, staged=copy,
                      sha256=hashlib.sha256(data).hexdigest(), size=len(data), mtime_ns=0)


def test_archive_path_is_dated_and_split_by_verdict(tmp_path):
    staged = make_staged(tmp_path)
    accepted = archive(staged, tmp_path / "archive", True, NOW)
    rejected = archive(staged, tmp_path / "archive", False, NOW)
    name = f"20161003T140509Z_{staged.sha256[:12]}_Tilgang og afgang.xlsx"
    assert accepted == tmp_path / "archive" / "accepted" / "2016" / "10" / name
    assert rejected == tmp_path / "archive" / "rejected" / "2016" / "10" / name
    assert accepted.read_bytes() == b"workbook bytes"


def test_archive_name_is_in_utc(tmp_path):
    cph = dt.timezone(dt.timedelta(hours=2))
    path = archive(make_staged(tmp_path), tmp_path / "archive", True, dt.datetime(2016, 11, 1, 1, 0, tzinfo=cph))
    assert path.parent == tmp_path / "archive" / "accepted" / "2016" / "10"
    assert path.name.startswith("20161031T230000Z_")


def test_archive_never_reuses_a_name(tmp_path):
    staged = make_staged(tmp_path)
    first = archive(staged, tmp_path / "archive", True, NOW)
    second = archive(staged, tmp_path / "archive", True, NOW)
    third = archive(staged, tmp_path / "archive", True, NOW)
    assert len({first, second, third}) == 3
    assert second.name == first.name.replace(".xlsx", "-2.xlsx")
    assert third.name == first.name.replace(".xlsx", "-3.xlsx")
    assert all(p.read_bytes() == b"workbook bytes" for p in (first, second, third))


def test_archive_file_is_read_only(tmp_path):
    path = archive(make_staged(tmp_path), tmp_path / "archive", False, NOW)
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd.xlsx", "etcpasswd.xlsx"),
    ("..\\..\\Windows\\evil.xlsx", "Windowsevil.xlsx"),
    (".hidden.xlsx", "hidden.xlsx"),
    ("tab\there\nnewline.xlsx", "tabherenewline.xlsx"),
    ('C:bad*?"<>|.xlsx', "Cbad.xlsx"),
    ("...", "file"),
])
def test_safe_name_removes_separators_control_characters_and_leading_dots(name, expected):
    assert safe_name(name) == expected


def test_safe_name_is_nfc_and_at_most_120_chars_keeping_the_extension():
    decomposed = unicodedata.normalize("NFD", "Økonomi år ") * 30 + ".xlsx"
    name = safe_name(decomposed)
    assert unicodedata.is_normalized("NFC", name)
    assert len(name) <= 120 and len(name.encode()) <= 200
    assert name.endswith(".xlsx") and name.startswith("Økonomi år")


def test_archive_refuses_a_staging_copy_that_changed(tmp_path):
    staged = make_staged(tmp_path)
    staged.staged.write_bytes(b"tampered")
    with pytest.raises(DiskError, match="changed"):
        archive(staged, tmp_path / "archive", True, NOW)
    assert list((tmp_path / "archive" / "accepted" / "2016" / "10").iterdir()) == []


def test_full_disk_raises_disk_error_and_leaves_no_partial_file(tmp_path, monkeypatch):
    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(archive_mod.os, "fsync", no_space)
    with pytest.raises(DiskError, match="No space left"):
        archive(make_staged(tmp_path), tmp_path / "archive", True, NOW)
    assert list((tmp_path / "archive" / "accepted" / "2016" / "10").iterdir()) == []


def test_unwritable_archive_folder_raises_disk_error(tmp_path):
    (tmp_path / "archive").write_text("a file where the archive folder should be")
    with pytest.raises(DiskError, match="cannot archive"):
        archive(make_staged(tmp_path), tmp_path / "archive", True, NOW)


def test_atomic_write_replaces_the_whole_file_via_a_hidden_temp_file(tmp_path):
    target = tmp_path / "output" / "Samlet oversigt.xlsx"
    seen = []

    def write(tmp: Path) -> None:
        seen.append(tmp)
        tmp.write_bytes(b"new")

    atomic_write(target, write)
    assert target.read_bytes() == b"new"
    assert seen[0].parent == target.parent
    assert seen[0].name.startswith(".") and seen[0].name.endswith(".tmp")
    assert list(target.parent.iterdir()) == [target]


def test_atomic_write_failure_keeps_the_old_file_and_no_temp(tmp_path):
    target = tmp_path / "Samlet oversigt.xlsx"
    target.write_bytes(b"old")

    def fails_halfway(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise RuntimeError("writer crashed")

    with pytest.raises(RuntimeError, match="writer crashed"):
        atomic_write(target, fails_halfway)
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def test_fsync_dir_tolerates_file_systems_that_refuse_it(tmp_path, monkeypatch):
    def refuses(fd):
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(durable.os, "fsync", refuses)
    durable.fsync_dir(tmp_path)  # no exception


# --- what the archive keeps beside each copy, so the store can be rebuilt from it (issue 17) ----

def test_each_copy_has_a_read_only_sidecar_with_what_a_rebuild_needs(tmp_path):
    import json

    staged = StagedFile(source=tmp_path / "watched" / "Ballerup" / "Tilgang.xlsx", rel="Ballerup/Tilgang.xlsx",
                        staged=make_staged(tmp_path).staged, sha256=hashlib.sha256(b"workbook bytes").hexdigest(),
                        size=14, mtime_ns=1_475_496_000_123_456_789)
    copy = archive(staged, tmp_path / "archive", False, NOW.replace(microsecond=250))
    side = copy.with_name(copy.name + ".json")
    meta = json.loads(side.read_text(encoding="utf-8"))
    assert {k: meta[k] for k in ("rel", "name", "sha256", "size", "mtime_ns", "received_at", "verdict")} == {
        "rel": "Ballerup/Tilgang.xlsx", "name": "Tilgang.xlsx", "sha256": staged.sha256, "size": 14,
        "mtime_ns": 1_475_496_000_123_456_789, "received_at": "2016-10-03T14:05:09.000250+00:00",
        "verdict": "rejected"}
    assert not side.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert sorted(p.name for p in copy.parent.iterdir()) == [copy.name, side.name]  # no temporary file left


def test_a_copy_taken_back_goes_with_its_sidecar(tmp_path):
    copy = archive(make_staged(tmp_path), tmp_path / "archive", True, NOW)
    archive_mod.discard(copy)
    assert list(copy.parent.iterdir()) == []


def test_the_archive_lists_its_files_in_the_order_received_and_passes_over_what_is_not_one(tmp_path):
    from syncservice import archive_index

    root = tmp_path / "archive"
    later = archive(make_staged(tmp_path, data=b"second"), root, True, NOW + dt.timedelta(seconds=1))
    first = archive(make_staged(tmp_path, data=b"first"), root, False, NOW)
    same_second = archive(make_staged(tmp_path, data=b"third"), root, True, NOW + dt.timedelta(seconds=1))
    (root / "feedback" / "2016" / "10").mkdir(parents=True)
    (root / "feedback" / "2016" / "10" / "20161003T140509Z_Tilgang - FEJL.txt").write_text("a cleared report")
    torn = root / "accepted" / "2016" / "10" / f"20161003T140509Z_{hashlib.sha256(b'whole').hexdigest()[:12]}_x.xlsx"
    torn.write_bytes(b"wh")  # a run killed mid-copy
    entries, skipped = archive_index.received(root)
    assert [e.path for e in entries] == [first, later, same_second]  # within a second, the order archived
    assert [(e.rel, e.verdict, e.legacy) for e in entries] == [("Tilgang og afgang.xlsx", "rejected", False),
                                                                ("Tilgang og afgang.xlsx", "accepted", False),
                                                                ("Tilgang og afgang.xlsx", "accepted", False)]
    assert skipped == [(torn, "its bytes are not the ones it was archived with")]


def test_a_copy_archived_before_sidecars_is_read_from_its_name(tmp_path):
    from syncservice import archive_index

    copy = archive(make_staged(tmp_path), tmp_path / "archive", True, NOW)
    archive_index.sidecar(copy).unlink()
    (entry,), _ = archive_index.received(tmp_path / "archive")
    assert (entry.rel, entry.received, entry.size, entry.legacy) == ("Tilgang og afgang.xlsx", NOW, 14, True)
    assert entry.mtime_ns == int(NOW.timestamp()) * 10**9  # the save time is unknown: the received time stands in


def test_a_copy_archived_before_sidecars_under_a_counted_name_keeps_the_file_name(tmp_path):
    from syncservice import archive_index

    staged = make_staged(tmp_path)
    first, second = (archive(staged, tmp_path / "archive", True, NOW) for _ in range(2))
    assert second.name.endswith("_Tilgang og afgang-2.xlsx")
    for copy in (first, second):
        archive_index.sidecar(copy).unlink()
    entries, _ = archive_index.received(tmp_path / "archive")
    assert [(e.path, e.rel) for e in entries] == [(first, "Tilgang og afgang.xlsx"), (second, "Tilgang og afgang.xlsx")]
