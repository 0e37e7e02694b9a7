"""Make a small store with the code of whatever checkout is first on PYTHONPATH, for the
upgrade test (tests/test_store_schema.py). How tests/data/store-d0298d0.sqlite was made,
from the repository's root:

    git worktree add /tmp/old d0298d0
    PYTHONPATH=/tmp/old:/tmp/old/tests .venv/bin/python tests/data/make_store.py tests/data/store-d0298d0.sqlite
    git worktree remove /tmp/old

It records, with a fixed clock, what a store holds after a few weeks: every kind, a
rejected file and its fix, a second version with changed figures, next year's report
(start vs last year's end), a file saved again unchanged, a copy at another path and a
file that is no workbook. Uses only what that commit's pipeline and tests/book.py had.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import tempfile
from pathlib import Path

import book
import syncservice
from syncservice.config import defaults
from syncservice.pipeline import Pipeline
from syncservice.store import Store

START = dt.datetime(2016, 10, 3, 9, 0, tzinfo=dt.UTC)


def main(out: Path) -> None:
    print(f"syncservice from {Path(syncservice.__file__).parent}", file=sys.stderr)
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        config = defaults(base)
        watched = config.path("watched")
        ticks = iter(range(1000))
        store = Store.open(config.path("database"))
        pipeline = Pipeline(config, store, clock=lambda: START + dt.timedelta(hours=next(ticks)))

        def save(rel: str, sheets: dict, later: int = 0) -> None:
            path = book.save(watched / rel, sheets)
            st = path.stat()
            os.utime(path, ns=(st.st_atime_ns, int((START.timestamp() + later) * 1e9)))
            print(rel, pipeline.process(path).status, file=sys.stderr)

        save("Fredensborg/Handleplan.xlsx", {"Handleplan": book.handleplan()})
        save("Herning/Effekt.xlsx", {"Effekt": book.effekt(status=["Grøn"] * len(book.EFFEKT_LINES))})
        save("Ballerup/Tilgang 2016.xlsx", {"TA": book.tilgang()})
        wrong = [list(r) for r in book.TILGANG_LINES]
        wrong[0][8] = 99
        save("Ballerup/Tilgang 2016.xlsx", {"TA": book.tilgang(lines=wrong)}, later=60)
        changed = [list(r) for r in book.TILGANG_LINES]
        changed[0][2] += 1
        changed[0][8] += 1
        save("Ballerup/Tilgang 2016.xlsx", {"TA": book.tilgang(lines=changed)}, later=120)
        save("Ballerup/Tilgang 2016.xlsx", {"TA": book.tilgang(lines=changed)}, later=180)  # same figures
        save("Ballerup/Tilgang 2017.xlsx", {"TA": book.tilgang(year=2017)})
        lower = [list(r) for r in book.HANDLEPLAN_LINES]
        lower[0][2] -= 0.1
        save("Fredensborg/Handleplan.xlsx", {"Handleplan": book.handleplan(lines=lower)}, later=60)
        save("Kopi/Handleplan.xlsx", {"Handleplan": book.handleplan(lines=lower)})
        (watched / "Noter.xlsx").write_bytes(b"no workbook")
        print("Noter.xlsx", pipeline.process(watched / "Noter.xlsx").status, file=sys.stderr)
        again = watched / "Herning/Effekt.xlsx"
        os.utime(again, ns=(again.stat().st_atime_ns, again.stat().st_mtime_ns + 10**9))
        print("Herning/Effekt.xlsx", pipeline.process(again).status, file=sys.stderr)
        store.close()  # the last connection: the WAL is checkpointed into the file and removed
        shutil.copyfile(config.path("database"), out)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
