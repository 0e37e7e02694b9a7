"""Sweep: check every file of a corpus of wild spreadsheets; count how each one ends.

    .venv/bin/python bench/corpus_sweep.py [CORPUS] [--timeout 20] [--memory-mb 1024] [--jobs 2] [-v]

CORPUS defaults to ../shared/corpus/xlsx-wild beside the repository. Each file goes
through `check_workbook` with the service's default limits, in a worker process whose
address space is capped (RLIMIT_AS) and which is killed when one file takes longer than
--timeout; a killed or dead worker is replaced and the sweep goes on with the next file.

Every file ends as one of:
  accepted              a Verdict without errors
  rejected:<rule>       a Verdict whose first error has that rule id
  crashed:<Exception>   an exception escaped check_workbook (a bug of ours)
  died                  the worker process died (out of memory, a segfault…)
  timeout               the file took longer than --timeout seconds
plus, per file, whether openpyxl (or anything) emitted a Python warning, and whether
an error's rule has no text (the engine's catalogue or its kind's). Exit status 1 when any file crashed,
died, timed out, warned or has an uncatalogued rule.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus" / "xlsx-wild"
SKIP = {"INDEX.tsv", "SOURCES.md"}


# --- the worker (child process) ------------------------------------------------------------

def worker(memory_mb: int) -> None:
    """Read one path per stdin line, answer one JSON line per path on stdout."""
    import resource
    import traceback
    import warnings

    limit = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.path.insert(0, str(ROOT))
    from schemas import KINDS
    from syncservice import messages
    from syncservice.check import check_workbook
    from syncservice.config import SETTINGS
    from syncservice.models import StagedFile, Verdict

    limits = {s.name: s.default for s in SETTINGS if s.section == "limits"}
    # Answers go out on a private copy of stdout; whatever else writes to fd 1 or 2 (a
    # library printing to the console) lands in a scratch file and is reported per path.
    out = os.fdopen(os.dup(1), "w")
    stray = tempfile.TemporaryFile()
    seen = 0
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(stray.fileno(), 1)
    os.dup2(stray.fileno(), 2)
    for line in sys.stdin:
        path = Path(line.rstrip("\n"))
        staged = StagedFile(path, path.name, path, "0" * 64, path.stat().st_size, 0)
        started = time.perf_counter()
        result: dict = {"path": str(path)}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                verdict = check_workbook(staged, KINDS, max_unpacked=limits["max_unpacked_mb"] << 20,
                                         max_rows=limits["max_rows"], max_seconds=limits["max_seconds"])
            except BaseException as exc:  # noqa: BLE001 - counting what escapes is the point
                result["outcome"] = f"crashed:{type(exc).__name__}"
                result["detail"] = traceback.format_exc(limit=-4)
            else:
                if not isinstance(verdict, Verdict):
                    result["outcome"] = f"crashed:returned {type(verdict).__name__}"
                    verdict = Verdict(staged)
                rules = [f.rule for f in verdict.errors]
                result.setdefault("outcome", f"rejected:{rules[0]}" if rules else "accepted")
                result["rules"] = rules
                result["params"] = verdict.errors[0].params if rules else {}
                # the engine's catalogue, or the kind's own texts for its rules
                result["uncatalogued"] = sorted({f.rule for f in (*verdict.errors, *verdict.warnings)
                                                 if messages.texts(f.rule) is None})
                result["sheets"] = [s.sheet for s in verdict.sheets]
        result["seconds"] = round(time.perf_counter() - started, 3)
        result["warnings"] = sorted({f"{w.category.__name__}: {w.message}"[:160] for w in caught})
        sys.stdout.flush()
        sys.stderr.flush()
        size = os.fstat(stray.fileno()).st_size
        if size > seen:
            result["printed"] = os.pread(stray.fileno(), min(size - seen, 300), seen).decode(errors="replace")
            seen = size
        result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        out.write(json.dumps(result, default=str) + "\n")
        out.flush()


# --- the parent ----------------------------------------------------------------------------

class Worker:
    def __init__(self, memory_mb: int) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__, "--worker", "--memory-mb", str(memory_mb)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, bufsize=1, cwd=ROOT)
        self.path: Path | None = None
        self.started = 0.0

    def send(self, path: Path) -> None:
        self.path, self.started = path, time.monotonic()
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{path}\n")
        self.proc.stdin.flush()

    def kill(self) -> None:
        self.proc.kill()
        self.close()

    def close(self) -> None:
        """End of input: the worker finishes and exits; its pipes are closed."""
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:  # the worker died with input unread
                    pass
        self.proc.wait()


def files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*") if p.is_file() and p.name not in SKIP)


def sweep(corpus: Path, timeout: float, memory_mb: int, jobs: int, progress: bool) -> list[dict]:
    queue = collections.deque(files(corpus))
    total = len(queue)
    results: list[dict] = []
    sel = selectors.DefaultSelector()
    idle: list[Worker] = []

    def start() -> Worker:
        w = Worker(memory_mb)
        sel.register(w.proc.stdout, selectors.EVENT_READ, w)
        return w

    def retire(w: Worker) -> None:
        sel.unregister(w.proc.stdout)
        w.kill()

    def done(result: dict) -> None:
        result["path"] = str(Path(result["path"]).relative_to(corpus))
        results.append(result)
        if progress:
            print(f"[{len(results)}/{total}] {result['seconds']:6.2f}s {result['outcome']:32} {result['path']}",
                  file=sys.stderr)

    busy: list[Worker] = []
    idle = [start() for _ in range(max(1, jobs))]
    while queue or busy:
        while queue and idle:
            w = idle.pop()
            w.send(queue.popleft())
            busy.append(w)
        now = time.monotonic()
        wait = min(w.started + timeout for w in busy) - now
        for key, _ in sel.select(timeout=max(0.0, wait)):
            w = key.data
            line = w.proc.stdout.readline()
            busy.remove(w)
            if line:
                done(json.loads(line))
                idle.append(w)
            else:  # the worker died on this file (memory limit hit in C code, a segfault…)
                done({"path": str(w.path), "outcome": "died", "seconds": round(time.monotonic() - w.started, 3),
                      "detail": f"exit status {w.proc.poll()}"})
                retire(w)
                idle.append(start())
        now = time.monotonic()
        for w in [w for w in busy if now - w.started > timeout]:
            busy.remove(w)
            done({"path": str(w.path), "outcome": "timeout", "seconds": round(now - w.started, 3)})
            retire(w)
            idle.append(start())
    for w in idle:
        sel.unregister(w.proc.stdout)
        w.close()
    return sorted(results, key=lambda r: r["path"])


def report(results: list[dict], slowest: int) -> int:
    counts = collections.Counter(r["outcome"] for r in results)
    print(f"{len(results)} files")
    for outcome, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {n:4}  {outcome}")
    bad = [r for r in results if r["outcome"].split(":")[0] in ("crashed", "died", "timeout")]
    warned = [r for r in results if r.get("warnings") or r.get("printed")]
    uncatalogued = [r for r in results if r.get("uncatalogued")]
    print(f"\nslowest {slowest}:")
    for r in sorted(results, key=lambda r: -r["seconds"])[:slowest]:
        print(f"  {r['seconds']:7.2f}s  {r['outcome']:32} {r['path']}")
    peak = max(results, key=lambda r: r.get("maxrss_mb", 0), default=None)
    if peak is not None:
        print(f"\npeak worker RSS: {peak.get('maxrss_mb')} MB (first reached at {peak['path']})")
    for title, group in (("crashed / died / timed out", bad), ("emitted Python warnings or printed", warned),
                         ("rules without a catalogue message", uncatalogued)):
        print(f"\n{title}: {len(group)}")
        for r in group:
            print(f"  {r['path']}: {r['outcome']} {r.get('warnings') or r.get('uncatalogued') or ''}{r.get('printed') or ''}")
            if r.get("detail"):
                print("    " + r["detail"].rstrip().replace("\n", "\n    "))
    return 1 if bad or warned or uncatalogued else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds one file may take (default 20)")
    ap.add_argument("--memory-mb", type=int, default=1024, help="address-space cap per worker (default 1024)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (default: CPUs)")
    ap.add_argument("--slowest", type=int, default=10)
    ap.add_argument("--json", type=Path, help="also write every file's result to this file")
    ap.add_argument("-v", "--verbose", action="store_true", help="a line per file as it finishes")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.memory_mb)
        return 0
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    started = time.monotonic()
    results = sweep(args.corpus.resolve(), args.timeout, args.memory_mb, args.jobs, args.verbose)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False, default=str))
    status = report(results, args.slowest)
    print(f"\nwall time {time.monotonic() - started:.1f}s with {args.jobs} worker(s)")
    return status


if __name__ == "__main__":
    sys.exit(main())
