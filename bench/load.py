"""Benchmark: load through the running service (issue 6) and the latency finance sees.

    .venv/bin/python bench/load.py [--saves 1000] [--units 50] [--seconds 55]
                                   [--observer native|polling] [--settle 1.0] [--poll 5.0] [--seed 6]

`--saves` saves within `--seconds`, one file per unit, each save with figures of its own:
sessions of one save or of 2–8 rapid re-saves inside the settle window, saved as Excel does
(rename dance), by one atomic rename, or written over in place in pieces; ~5% repeat the
previous bytes and ~5% are rejected (never a file's last save). The service runs in this
process on its own threads (tests/running.py), as `syncservice run` does; the saves come
from this process too, made beforehand so the saving costs next to nothing.

Prints the command, the counts, the checks of tests/test_load.py (every final content in
force, nothing lost, no duplicate versions, every file received archived) and the median
and p95 latency from a content being saved to the first consolidated workbook showing it
(its version in sheet Data), over every version that was shown before a newer one replaced it.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--saves", type=int, default=1000)
    parser.add_argument("--units", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=55.0, help="the saves are spread over this long")
    parser.add_argument("--observer", choices=("native", "polling"), default="native")
    parser.add_argument("--settle", type=float, default=None, help="watch.settle_seconds (default: the config's)")
    parser.add_argument("--poll", type=float, default=None, help="watch.poll_seconds (default: the config's)")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--keep", action="store_true", help="keep the working folder and print where it is")
    args = parser.parse_args()

    import load
    from loguru import logger

    from syncservice.base.config import defaults

    logger.remove()  # the service's log lines would only time the terminal
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    (work / "watched").mkdir()
    (work / "making").mkdir()
    config = defaults(work).with_values(watch__observer=args.observer)
    if args.settle is not None:
        config = config.with_values(watch__settle_seconds=args.settle)
    if args.poll is not None:
        config = config.with_values(watch__poll_seconds=args.poll)
    settle = config.get("watch", "settle_seconds")
    poll = config.get("watch", "poll_seconds") if args.observer == "polling" else 0.0
    long_enough = settle + poll + 3.0

    saves = load.plan(seed=args.seed, saves=args.saves, units=args.units, seconds=args.seconds, settle=settle)
    started = time.perf_counter()
    saved, snapshots, writes = load.run(config, saves, load.Contents(work / "making"))
    ran = time.perf_counter() - started
    result = load.judge(saved, config, snapshots, long_enough=long_enough)
    if not args.keep:
        import shutil

        shutil.rmtree(work, ignore_errors=True)

    print("$ .venv/bin/python bench/" + Path(sys.argv[0]).name + "".join(" " + shlex.quote(a) for a in sys.argv[1:]))
    mode = f"{args.observer} observer" + (f" (poll {poll:g} s)" if poll else "")
    print(f"load: {args.saves} saves over {args.seconds:g} s across {args.units} units, {mode}, "
          f"settle window {settle:g} s; {ran:.0f} s from start to idle")
    for name, value in result.counts.items():
        print(f"  {name:42}{value:>6}")
    print(f"  {'consolidated workbook rewrites (service)':42}{writes:>6}")
    print(f"  {'longest a content stayed, never received':42}{result.longest_missed:>6.2f} s")
    print(f"checks (contents that stayed >= {long_enough:g} s must be received): "
          + ("all hold" if not result.problems else f"{len(result.problems)} problems"))
    for problem in result.problems[:20]:
        print("  " + problem)
    print("latency, saved → consolidated workbook showing it, over "
          f"{len(result.latencies)} versions: {result.latency()}")
    if args.keep:
        print(f"kept: {work}")
    return 1 if result.problems else 0


if __name__ == "__main__":
    sys.exit(main())
