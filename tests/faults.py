"""A staff file the service may not read, as tests make one.

chmod 000 where that binds; tests often run as root, where CAP_DAC_OVERRIDE reads it all the
same, and then the OS's answer is faked at the one door a staff file is opened through:
os.open on that path raises EACCES, as the kernel would. Either way stage() meets a real
PermissionError from os.open and nothing else is touched.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path


def chmod_binds(path: Path) -> bool:
    """False where a file with mode 000 can still be opened (root)."""
    path.write_bytes(b"probe")
    path.chmod(0)
    try:
        with open(path, "rb"):
            return False
    except PermissionError:
        return True
    finally:
        path.chmod(0o644)
        path.unlink()


def unreadable(monkeypatch, path: Path) -> Callable[[], None]:
    """Make `path` unreadable to this process; returns what makes it readable again."""
    if chmod_binds(path.with_name(".probe-" + path.name)):
        path.chmod(0)
        return lambda: path.chmod(0o644)
    real_open = os.open
    refused = [True]

    def refuse(target, flags, *args, **kwargs):
        if refused[0] and os.path.abspath(os.fsdecode(target)) == os.path.abspath(path):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(target))
        return real_open(target, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    return lambda: refused.__setitem__(0, False)


def read_fails(monkeypatch, name: str) -> Callable[[], None]:
    """Reading a file named `name` fails with EIO, as from a share that refuses it mid-read: it
    opens (so the settle check sees a whole zip) but no copy can be taken. Returns the mend."""
    from syncservice import stage

    real_copy = stage._copy
    failing = [True]

    class Refusing:
        def read(self, size: int = -1) -> bytes:
            raise OSError(errno.EIO, os.strerror(errno.EIO))

    def copy(src, target, limit):
        return real_copy(Refusing() if failing[0] and target.name == name else src, target, limit)

    monkeypatch.setattr(stage, "_copy", copy)
    return lambda: failing.__setitem__(0, False)
