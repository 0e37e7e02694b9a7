"""A warm `syncservice` for the crash test (test_crash.py): this process imports everything a
pass needs once, then forks one child per command, so a pass starts at once and the test
watches it (the store, the archive, the staging folder) from its first workbook on.

One JSON object per line each way:
    test → here   {"args": ["ingest", "--config", "…"], "out": "file for its stdout and stderr"}
    here → test   {"pid": N}            the child runs `python -m syncservice ARGS`
    here → test   {"exit": code}        when it ends (-9 when killed with SIGKILL)
An empty line (or end of input) ends the server. One command at a time.
"""

from __future__ import annotations

import json
import os
import sys

import schemas  # noqa: F401  (warm: the kinds)
import syncservice.check  # noqa: F401
import syncservice.pipeline  # noqa: F401
import syncservice.summary  # noqa: F401  (imported lazily by write_summary)
from syncservice.cli import main


def _child(args: list[str], out: str) -> None:
    """In the forked child: run the command as the CLI does, then leave without the parent's cleanup."""
    code = 1
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        main(args=args, prog_name="syncservice")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            break
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(job["args"], job["out"])
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"exit": os.waitstatus_to_exitcode(status)}), flush=True)


if __name__ == "__main__":
    serve()
