"""`syncservice run` with one fault struck inside it, for test_service.py: a real process, so
SIGTERM is a real signal, and a file can change at the one moment a test cannot hit from outside.

    python run_child.py FAULT run --config …

FAULT names what happens to the first read of a file named `x.xlsx`:
    none                 nothing: a plain `syncservice run`
    deleted mid-read     it is deleted after the copy began
    replaced mid-read    another workbook is renamed onto it after the copy began
    fifo before open     it becomes a FIFO between the stat that says "regular file" and the open
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from syncservice import stage  # noqa: E402
from syncservice.cli import main  # noqa: E402

NAME = "x.xlsx"
struck: list[Path] = []  # once: the retry reads whatever is there then


def strike(fault: str, path: Path) -> None:
    struck.append(path)
    print(f"fault struck: {fault}", file=sys.stderr, flush=True)  # what the test waits for


def _mid_read(fault, action):
    real_open, real_copy = stage.open_regular, stage._copy
    opened: list[Path] = []

    def open_regular(path):
        opened[:] = [Path(path)]
        return real_open(path)

    def copy(src, target, limit):
        source = opened[0]
        if source.name == NAME and not struck:
            strike(fault, source)
            src.read(16)  # the copy has begun
            action(source)
            src.seek(0)
        return real_copy(src, target, limit)

    stage.open_regular, stage._copy = open_regular, copy


def _deleted(source: Path) -> None:
    source.unlink()


def _replaced(source: Path) -> None:
    new = source.with_name(".x.xlsx.new")  # hidden: ignored until renamed into place
    new.write_bytes(source.read_bytes())
    os.utime(new, ns=(source.stat().st_mtime_ns + 10**9,) * 2)  # saved a second later
    os.replace(new, source)


def _fifo_before_open() -> None:
    real = os.open

    def swapping(path, flags, *args, **kwargs):
        if Path(os.fsdecode(path)).name == NAME and not struck:
            strike("fifo before open", Path(os.fsdecode(path)))
            os.unlink(path)
            os.mkfifo(path)
        return real(path, flags, *args, **kwargs)

    os.open = swapping


FAULTS = {
    "none": lambda: None,
    "deleted mid-read": lambda: _mid_read("deleted mid-read", _deleted),
    "replaced mid-read": lambda: _mid_read("replaced mid-read", _replaced),
    "fifo before open": _fifo_before_open,
}

if __name__ == "__main__":
    FAULTS[sys.argv[1]]()
    main(args=sys.argv[2:], prog_name="syncservice")
