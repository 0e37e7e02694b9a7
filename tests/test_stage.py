import hashlib
import os
from pathlib import Path

import pytest

from syncservice import stage as stage_mod
from syncservice.models import StagedFile
from syncservice.stage import FileChanged, NotARegularFile, TooLarge, candidates, discard, is_ignored, stage

MB = 1 << 20


@pytest.fixture
def watched(tmp_path: Path) -> Path:
    (tmp_path / "watched").mkdir()
    return tmp_path / "watched"


@pytest.fixture
def staging(tmp_path: Path) -> Path:
    return tmp_path / "state" / "staging"


def write(path: Path, data: bytes = b"PK\x03\x04 workbook") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_staged_hash_is_of_the_bytes_copied(watched, staging, monkeypatch):
    monkeypatch.setattr(stage_mod, "CHUNK", 7)  # many chunks
    data = bytes(range(256)) * 50
    source = write(watched / "Ballerup" / "Tilgang.xlsx", data)
    staged = stage(source, "Ballerup/Tilgang.xlsx", staging, MB)
    copy = staged.staged.read_bytes()
    assert copy == data
    assert staged.sha256 == hashlib.sha256(copy).hexdigest()
    assert staged.size == len(data)
    assert staged.mtime_ns == source.stat().st_mtime_ns
    assert staged.staged.name == "Tilgang.xlsx"
    assert staged.staged.parent.parent == staging
    assert staged.rel == "Ballerup/Tilgang.xlsx" and staged.source == source


def test_file_written_during_copy_raises_file_changed_and_stages_nothing(watched, staging, monkeypatch):
    source = write(watched / "a.xlsx", b"old content")
    real_copy = stage_mod._copy

    def copy_while_someone_saves(src, target, limit):
        result = real_copy(src, target, limit)
        source.write_bytes(b"new content, longer")
        return result

    monkeypatch.setattr(stage_mod, "_copy", copy_while_someone_saves)
    with pytest.raises(FileChanged):
        stage(source, "a.xlsx", staging, MB)
    assert list(staging.iterdir()) == []


def test_file_replaced_during_copy_raises_file_changed(watched, staging, monkeypatch):
    source = write(watched / "a.xlsx", b"same size")
    real_copy = stage_mod._copy

    def copy_while_excel_renames(src, target, limit):
        result = real_copy(src, target, limit)
        replacement = write(watched / "A1B2C3D4", b"same size")
        os.utime(replacement, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns))
        os.replace(replacement, source)  # Excel saves to a temp name, then renames over
        return result

    monkeypatch.setattr(stage_mod, "_copy", copy_while_excel_renames)
    with pytest.raises(FileChanged):
        stage(source, "a.xlsx", staging, MB)


def test_vanished_file_raises_file_changed(watched, staging):
    with pytest.raises(FileChanged):
        stage(watched / "gone.xlsx", "gone.xlsx", staging, MB)


def test_too_large_file_is_not_staged(watched, staging):
    source = write(watched / "big.xlsx", b"x" * 101)
    with pytest.raises(TooLarge) as raised:
        stage(source, "big.xlsx", staging, 100)
    assert raised.value.size == 101
    assert not staging.exists() or list(staging.iterdir()) == []


def test_symlink_is_never_followed(watched, staging, tmp_path):
    target = write(tmp_path / "secret.xlsx")
    link = watched / "link.xlsx"
    link.symlink_to(target)
    with pytest.raises(NotARegularFile):
        stage(link, "link.xlsx", staging, MB)


def test_folder_is_not_a_regular_file(watched, staging):
    (watched / "folder.xlsx").mkdir()
    with pytest.raises(NotARegularFile):
        stage(watched / "folder.xlsx", "folder.xlsx", staging, MB)


def test_discard_removes_the_copy_and_its_folder(watched, staging):
    staged = stage(write(watched / "a.xlsx"), "a.xlsx", staging, MB)
    discard(staged)
    assert not staged.staged.exists() and not staged.staged.parent.exists()
    assert staging.is_dir()
    discard(staged)  # twice is harmless


def test_discard_never_removes_files_it_did_not_stage(watched, staging):
    staged = stage(write(watched / "a.xlsx"), "a.xlsx", staging, MB)
    other = write(staged.staged.parent / "other.txt")
    discard(staged)
    assert other.exists()


def test_discard_never_removes_the_persons_own_file(watched):
    source = write(watched / "a.xlsx")
    discard(StagedFile(source, "a.xlsx", source, "0" * 64, 1, 0))  # as `check` builds it
    assert source.exists()


@pytest.mark.parametrize("name", [
    "~$Handleplan.xlsx",  # Excel owner/lock file
    ".~lock.Handleplan.xlsx#",  # LibreOffice lock file
    "A1B2C3D4",  # Excel temp save file: no extension
    "Handleplan.tmp",
    "~WRL0003.TMP",
    ".Handleplan.xlsx",  # hidden
    ".Samlet oversigt.xlsx.1a2b3c4d.tmp",  # our own atomic_write temp file
])
def test_lock_and_temp_files_are_ignored(watched, name):
    path = write(watched / name)
    assert is_ignored(path, watched, [])
    assert candidates(watched, []) == []


def test_files_in_hidden_folders_are_ignored(watched):
    path = write(watched / ".git" / "sub" / "a.xlsx")
    assert is_ignored(path, watched, [])
    assert candidates(watched, []) == []


def test_own_outputs_are_ignored(watched):
    consolidated = write(watched / "output" / "Samlet oversigt.xlsx")
    feedback = watched / "output" / "Tilbagemeldinger"
    report = write(feedback / "Fejl i a.xlsx")
    database = write(watched / "state" / "syncservice.sqlite")
    wal = write(watched / "state" / "syncservice.sqlite-wal")
    outputs = [watched / "output" / "Samlet oversigt.xlsx", feedback, database]
    for path in (consolidated, report, database, wal):
        assert is_ignored(path, watched, outputs), path
    keep = write(watched / "output" / "Budget.xlsx")
    assert candidates(watched, outputs) == [keep]


def test_symlinks_are_ignored_and_symlinked_folders_not_entered(watched, tmp_path):
    outside = write(tmp_path / "elsewhere" / "a.xlsx")
    (watched / "link.xlsx").symlink_to(outside)
    (watched / "linked").symlink_to(outside.parent, target_is_directory=True)
    assert is_ignored(watched / "link.xlsx", watched, [])
    assert is_ignored(watched / "linked" / "a.xlsx", watched, [])
    assert candidates(watched, []) == []


def test_every_extension_is_a_candidate_sorted_and_recursive(watched):
    names = ["b.xlsx", "a.xlsm", "c.xls", "d.csv", "e.ods", "Ballerup/2016/f.xlsx", "g.XLSX"]
    for name in names:
        write(watched / name)
    found = candidates(watched, [])
    assert found == sorted(watched / n for n in names)
    assert not any(is_ignored(p, watched, []) for p in found)


def not_regular(path: Path):
    """A FIFO, a Unix socket and a folder, each under a workbook's name; returns what to close."""
    import socket

    if path.name.startswith("fifo"):
        os.mkfifo(path)
        return None
    if path.name.startswith("socket"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(path))
        return sock
    path.mkdir()
    return None


@pytest.mark.parametrize("name", ["fifo.xlsx", "socket.xlsx", "folder.xlsx"])
def test_what_is_not_a_regular_file_is_ignored_and_never_opened(watched, staging, monkeypatch, name):
    path = watched / name
    held = not_regular(path)
    real_open = os.open

    def never(target, flags, *args, **kwargs):
        assert Path(os.fsdecode(target)) != path, "opened"
        return real_open(target, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", never)
    try:
        assert is_ignored(path, watched, [])
        assert candidates(watched, []) == []
        with pytest.raises(NotARegularFile):
            stage(path, name, staging, MB)
    finally:
        if held is not None:
            held.close()


def test_a_fifo_swapped_in_between_stat_and_open_is_refused_without_blocking(watched, staging, monkeypatch):
    path = write(watched / "a.xlsx")
    real_open = os.open

    def swap(target, flags, *args, **kwargs):  # the lstat said "regular file"; now it is a FIFO
        if Path(os.fsdecode(target)) == path and path.is_file():
            path.unlink()
            os.mkfifo(path)
        return real_open(target, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", swap)
    with pytest.raises(NotARegularFile):
        stage(path, "a.xlsx", staging, MB)  # O_NONBLOCK: opening a FIFO without a writer returns at once
    assert not staging.exists() or list(staging.iterdir()) == []
