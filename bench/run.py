#!/usr/bin/env python3
"""Benchmark the project's backfill against a scan floor and the yardstick.

    python bench/run.py [--sizes 20000,100000] [--repeat 3] [--seed 1]
                        [--json PATH] [--warm] [--timeout 3600]

For each size, generates (once, cached under build/bench/) a logs.db with
bench/generate.py, then times the median of --repeat runs of

* floor: ``select sum(length(prompt)) + sum(length(response)) from responses``
  through python's sqlite3 (the cost of reading every prompt and response once);
* yardstick: bench/yardstick.py, the user's original plan as written (skipped
  above 100k rows);
* project: ``PYTHON backfill.py backfill -d COPY --models-file MODELS
  --no-backup`` with PYTHON = .venv/bin/python if it exists, else this Python
  (shown as n/a while backfill.py does not exist or fails);

each in a fresh subprocess on a fresh copy of the database whose pages have
been dropped from the page cache (fsync + posix_fadvise DONTNEED) unless
--warm. Wall time is time.perf_counter() around the subprocess, peak RSS its
ru_maxrss from os.wait4. After the first yardstick and project run the copy is
scored against the generator's truth (bench/score.py): "exact" is the number
of runs with an output row grouped exactly right.

Then, for each size, the re-run case (bench/rerun.py; --no-rerun skips it):
the database backfilled with its last 2 x --held rows (default 300) held
back, half of them logged again and the next backfill (the re-run), then the
other half and a backfill beside a writer like llm: the re-run's time beside
the first run's, the rows it read (counted), SQLite's page reads, the bytes
it read and wrote, and the writer's longest wait; and
the first backfill's full backup alone and beside that writer (made, or given
up), and a first backfill beside that writer, then its undo beside it
(--no-backup-case skips all three).
"""
from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import hashlib
import json
import mmap
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import rerun

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = ROOT / "build" / "bench"
YARDSTICK_MAX_ROWS = 100_000
# Each command runs as an installed package does, with its bytecode compiled
# once (pip compiles it on install), even where the environment asks Python
# not to write bytecode: else every start compiles some 35 modules again.
RUN_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

FLOOR_CODE = ("import sqlite3, sys\n"
              "c = sqlite3.connect(sys.argv[1])\n"
              "print(c.execute('select sum(length(prompt)) + sum(length(response))"
              " from responses').fetchone()[0])\n")


# --------------------------------------------------------------------------
# page cache

_libc = None


def _mincore_fraction(path: Path) -> float | None:
    """Share of the file's pages in the page cache (None if unknown)."""
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        size = path.stat().st_size
        if size == 0:
            return 0.0
        page = mmap.PAGESIZE
        npages = (size + page - 1) // page
        with open(path, "rb") as f:
            mm = mmap.mmap(f.fileno(), size, access=mmap.ACCESS_COPY)
            try:
                buf = ctypes.c_char.from_buffer(mm)
                addr = ctypes.addressof(buf)
                vec = (ctypes.c_ubyte * npages)()
                rc = _libc.mincore(ctypes.c_void_p(addr), ctypes.c_size_t(size), vec)
                del buf
                if rc != 0:
                    return None
                return sum(b & 1 for b in vec) / npages
            finally:
                mm.close()
    except Exception:
        return None


def drop_cache(path: Path) -> float | None:
    """fsync the file and ask the kernel to drop its pages; returns the share
    of pages still resident afterwards (None if that cannot be told)."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    except (AttributeError, OSError):
        return None
    return _mincore_fraction(path)


# --------------------------------------------------------------------------
# databases


def generator_stamp() -> str:
    h = hashlib.sha256()
    sources = [HERE / "generate.py", *sorted((HERE / "logsim").rglob("*.py")),
               *sorted((HERE / "templates").iterdir())]
    for p in sources:
        h.update(str(p.relative_to(HERE)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def ensure_db(rows: int, seed: int, with_columns: bool) -> tuple[Path, dict]:
    tag = f"logs-{rows}-s{seed}" + ("-cols" if with_columns else "")
    db = WORK / f"{tag}.db"
    stamp = WORK / f"{tag}.stamp.json"
    want = generator_stamp()
    if db.exists() and stamp.exists():
        info = json.loads(stamp.read_text())
        if info.get("generator") == want:
            return db, info
    cmd = [sys.executable, str(HERE / "generate.py"), str(db), "--rows",
           str(rows), "--seed", str(seed), "--truth"]
    if with_columns:
        cmd.append("--with-columns")
    print(f"generating {db.name} ...", flush=True)
    t = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    took = time.perf_counter() - t
    print("  " + out.strip().replace("\n", "\n  "), flush=True)
    info = {"generator": want, "rows": rows, "seed": seed,
            "generate_s": round(took, 2), "generate_output": out.strip()}
    stamp.write_text(json.dumps(info, indent=1))
    return db, info


def fresh_copy(db: Path, warm: bool) -> tuple[Path, float | None]:
    copy = WORK / f"run-{os.getpid()}-{db.name}"
    for p in (copy, Path(str(copy) + "-journal")):
        if p.exists():
            p.unlink()
    shutil.copyfile(db, copy)
    resident = None if warm else drop_cache(copy)
    return copy, resident


def remove_copy(copy: Path):
    for p in (copy, Path(str(copy) + "-journal"), Path(str(copy) + "-wal"),
              Path(str(copy) + "-shm")):
        if p.exists():
            p.unlink()
    for p in copy.parent.glob(copy.name + "*.bak*"):
        p.unlink()


# --------------------------------------------------------------------------
# timing


def timed(cmd: list[str], timeout: float | None, log_path: Path) -> dict:
    """Run cmd in a subprocess; wall time, peak RSS (MB) and exit status."""
    killed = threading.Event()
    with open(log_path, "w") as log:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, cwd=ROOT, env=RUN_ENV)

        def kill():
            killed.set()
            p.kill()
        timer = threading.Timer(timeout, kill) if timeout else None
        if timer:
            timer.start()
        own = OwnMemory(p.pid)
        own.start()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        own.done.set()
        if timer:
            timer.cancel()
    p.returncode = os.waitstatus_to_exitcode(status)
    return {"ok": p.returncode == 0 and not killed.is_set(),
            "timeout": killed.is_set(), "exit": p.returncode, "wall": wall,
            "rss_mb": ru.ru_maxrss / 1024, "own_mb": own.peak_mb}


class OwnMemory(threading.Thread):
    """The peak of a process's own memory (RssAnon), sampled every 10 ms.

    Peak RSS also counts the pages of a file the process maps (SQLite's
    mmap_size): those belong to the OS cache, and the kernel takes them back
    as it does any cached page. RssAnon is what the process itself allocated."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.path, self.done, self.peak_mb = f"/proc/{pid}/status", threading.Event(), None

    def run(self):
        while not self.done.wait(0.01):
            try:
                with open(self.path) as status:
                    kb = next(int(line.split()[1]) for line in status if line.startswith("RssAnon:"))
            except (OSError, StopIteration, ValueError):
                continue  # not on Linux, or the process has ended
            self.peak_mb = max(self.peak_mb or 0, kb / 1024)


def tail(path: Path, n: int = 6) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def project_python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def yardstick_python() -> str | None:
    for py in (project_python(), sys.executable):
        r = subprocess.run([py, "-c", "from ksuid import Ksuid; Ksuid()"],
                           capture_output=True)
        if r.returncode == 0:
            return py
    return None


def score_copy(copy: Path, truth: Path) -> dict | None:
    if not truth.exists():
        return None
    with tempfile.NamedTemporaryFile(suffix=".json", dir=WORK, delete=False) as f:
        out = Path(f.name)
    try:
        r = subprocess.run([sys.executable, str(HERE / "score.py"), str(copy),
                            str(truth), "--json", str(out)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return None
        return json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)


def measure(name: str, db: Path, make_cmd, repeat: int, warm: bool,
            timeout: float | None, truth: Path | None, colds: list) -> dict:
    runs, score, err = [], None, None
    for i in range(repeat):
        copy, resident = fresh_copy(db, warm)
        colds.append(resident)
        log = WORK / f"{name}-{db.stem}.log"
        try:
            r = timed(make_cmd(copy), timeout, log)
            if not r["ok"]:
                err = ("timeout" if r.get("timeout") else
                       f"exit {r.get('exit')}: {tail(log)}")
                break
            runs.append(r)
            if i == 0 and truth is not None:
                score = score_copy(copy, truth)
        finally:
            remove_copy(copy)
        print(f"  {name}: run {i + 1}/{repeat} {r['wall']:.2f} s, "
              f"peak RSS {r['rss_mb']:.0f} MB ({fmt(r['own_mb'], '.0f')} MB its own)", flush=True)
    if not runs:
        return {"status": "failed", "error": err}
    return {"status": "ok", "wall_s": statistics.median(r["wall"] for r in runs),
            "walls": [round(r["wall"], 3) for r in runs],
            "rss_mb": max(r["rss_mb"] for r in runs),
            "own_mb": max((r["own_mb"] for r in runs if r["own_mb"] is not None), default=None), "score": score,
            "error": err}


# --------------------------------------------------------------------------


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "project_python": project_python()}


def print_table(head, table):
    """Columns right-aligned to their widest cell."""
    widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(head)]
    print("  ".join(h.rjust(w) for h, w in zip(head, widths)))
    for row in table:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)))


def fmt(v, spec=".2f", na="n/a"):
    return na if v is None else format(v, spec)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="20000,100000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", help="save the figures to this file")
    ap.add_argument("--warm", action="store_true",
                    help="do not drop the copies from the page cache")
    ap.add_argument("--timeout", type=float, default=3600,
                    help="seconds before a single run is given up (default 3600)")
    ap.add_argument("--without-columns", action="store_true",
                    help="databases without the user's hand-made columns")
    ap.add_argument("--no-yardstick", action="store_true")
    ap.add_argument("--no-rerun", action="store_true", help="skip the re-run case")
    ap.add_argument("--no-backup-case", action="store_true", help="skip the full backup case")
    ap.add_argument("--no-floor", action="store_true", help="skip the scan floor")
    ap.add_argument("--no-project", action="store_true",
                    help="skip the project's own timed runs (the re-run case still makes a first run)")
    ap.add_argument("--held", type=int, default=300,
                    help="rows held back for the re-run case (default 300)")
    args = ap.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    WORK.mkdir(parents=True, exist_ok=True)

    m = machine()
    print(f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, "
          f"SQLite {m['sqlite']}; project Python {m['project_python']}", flush=True)
    backfill = ROOT / "backfill.py"
    proj_py = project_python()
    subprocess.run([proj_py, "-m", "compileall", "-q", str(ROOT / "consortium_backfill")], env=RUN_ENV, check=False)
    ys_py = None if args.no_yardstick else yardstick_python()
    if not args.no_yardstick and ys_py is None:
        print("yardstick: n/a (needs svix-ksuid: pip install svix-ksuid)")

    results, colds = [], []
    for size in sizes:
        db, info = ensure_db(size, args.seed, not args.without_columns)
        truth = Path(str(db) + ".truth.jsonl")
        models = Path(str(db) + ".models.txt")
        res = {"rows": size, "db_mb": db.stat().st_size / 1e6,
               "generate_s": info.get("generate_s")}
        print(f"size {size}: {db.name}, {res['db_mb']:.0f} MB", flush=True)
        res["floor"] = {"status": "skipped"} if args.no_floor else measure(
            "floor", db, lambda c: [sys.executable, "-c", FLOOR_CODE, str(c)],
            args.repeat, args.warm, args.timeout, None, colds)
        if ys_py and size <= YARDSTICK_MAX_ROWS:
            res["yardstick"] = measure(
                "yardstick", db,
                lambda c: [ys_py, str(HERE / "yardstick.py"), str(c),
                           "--models-file", str(models)],
                args.repeat, args.warm, args.timeout, truth, colds)
        else:
            res["yardstick"] = {"status": "skipped"}
        if args.no_project:
            res["project"] = {"status": "skipped"}
        elif backfill.exists():
            res["project"] = measure(
                "project", db,
                lambda c: [proj_py, str(backfill), "backfill", "-d", str(c),
                           "--models-file", str(models), "--no-backup"],
                args.repeat, args.warm, args.timeout, truth, colds)
        else:
            res["project"] = {"status": "n/a", "error": "backfill.py not found"}
        for k in ("yardstick", "project"):
            if res[k].get("error"):
                print(f"  {k}: {res[k]['error']}", flush=True)
        if backfill.exists() and not args.no_rerun:
            try:
                res["rerun"] = rerun.rerun_case(
                    db, models, args.held, WORK, proj_py, timed, fresh_copy, drop_cache, remove_copy,
                    args.warm, args.timeout)
                print(f"  re-run: {res['rerun']['rerun']['wall']:.2f} s after a first run of "
                      f"{res['rerun']['first']['wall']:.2f} s", flush=True)
            except RuntimeError as error:
                res["rerun"] = {"error": str(error)}
                print(f"  re-run: {error}", flush=True)
        if backfill.exists() and not args.no_backup_case:
            try:
                res["backup"] = rerun.backup_case(db, WORK, proj_py, fresh_copy, drop_cache, remove_copy, args.warm)
                print(f"  backup: {res['backup']['alone']['seconds']:.2f} s alone", flush=True)
            except subprocess.CalledProcessError as error:
                res["backup"] = {"error": str(error)}
                print(f"  backup: {error}", flush=True)
            try:
                res["first_beside_writer"] = rerun.first_beside_writer(
                    db, models, WORK, proj_py, timed, fresh_copy, remove_copy, args.warm, args.timeout)
                print(f"  first run beside a writer: {res['first_beside_writer']['wall']:.2f} s", flush=True)
            except RuntimeError as error:
                res["first_beside_writer"] = {"error": str(error)}
                print(f"  first run beside a writer: {error}", flush=True)
        results.append(res)

    # ---- report ----------------------------------------------------------
    def wall(r, k):
        return r[k]["wall_s"] if r[k].get("status") == "ok" else None

    def rss(r, k):
        """Peak RSS, and in brackets the process's own part (RssAnon) when it differs."""
        if r[k].get("status") != "ok":
            return "n/a"
        own = r[k].get("own_mb")
        if own is None or r[k]["rss_mb"] - own < 20:
            return f"{r[k]['rss_mb']:.0f}"
        return f"{r[k]['rss_mb']:.0f} ({own:.0f})"

    def exact(r, k):
        s = r[k].get("score") if r[k].get("status") == "ok" else None
        if not s:
            return None
        w = s["with_output"]
        return f"{w.get('exact', 0)}/{w.get('runs', 0)}"

    print()
    known = [c for c in colds if c is not None]
    if args.warm:
        cold_line = "cold reads: not attempted (--warm)"
    elif colds and len(known) == len(colds) and max(known) < 0.05:
        cold_line = (f"cold reads: yes, every copy dropped from the page cache "
                     f"before its run (at most {max(known) * 100:.1f}% resident)")
    elif known:
        cold_line = (f"cold reads: partly, up to {max(known) * 100:.0f}% of a "
                     f"copy still resident after posix_fadvise")
    else:
        cold_line = "cold reads: unknown (posix_fadvise/mincore unavailable)"
    print(f"machine: {m['cpu']}, {m['cores']} cores, Python {m['python']}, "
          f"SQLite {m['sqlite']}")
    print(cold_line)
    print(f"median of {args.repeat} runs; project = {proj_py} backfill.py backfill")
    head = ["rows", "db MB", "floor s", "yardstick s", "project s",
            "proj/yard", "proj/floor", "floor RSS MB", "yard RSS MB",
            "proj RSS (own) MB", "yard exact", "proj exact"]
    table = []
    for r in results:
        f, y, p = wall(r, "floor"), wall(r, "yardstick"), wall(r, "project")
        ys = r["yardstick"].get("status")
        table.append([
            str(r["rows"]), f"{r['db_mb']:.0f}", fmt(f),
            fmt(y, na={"skipped": "skipped", "failed": "failed"}.get(ys, "n/a")),
            fmt(p, na="failed" if r["project"].get("status") == "failed" else "n/a"),
            fmt(p / y if p and y else None, ".3g"),
            fmt(p / f if p and f else None, ".3g"),
            rss(r, "floor"), rss(r, "yardstick"), rss(r, "project"),
            exact(r, "yardstick") or "-", exact(r, "project") or "-"])
    print_table(head, table)
    by = {r["rows"]: r for r in results}
    scaling = {}
    if 20000 in by and 100000 in by:
        for k in ("floor", "yardstick", "project"):
            a, b = wall(by[20000], k), wall(by[100000], k)
            scaling[k] = b / a if a and b else None
        print("time(100k)/time(20k): " + ", ".join(
            f"{k} {fmt(v)}" for k, v in scaling.items()))
    reruns = [r for r in results if r.get("rerun") and not r["rerun"].get("error")]
    if reruns:
        print()
        print(f"re-run: the database backfilled with its last {2 * args.held} rows held back, then {args.held} of "
              "them logged again and backfilled (re-run), then the other "
              f"{args.held} beside a writer like llm (100 rows a second); figures first / re-run")
        head = ["rows", "first s", "re-run s", "re-run/first", "rows read", "pages looked at", "pages read",
                "MB of pages read", "MB written", "peak RSS MB", "re-run beside writer s", "rows read",
                "writer longest wait s", "writer rows lost"]
        table = []
        for r in reruns:
            f, a, w = r["rerun"]["first"], r["rerun"]["rerun"], r["rerun"]["rerun_beside_writer"]
            pair = lambda key, fn=str: f"{fn(f.get(key))} / {fn(a.get(key))}"
            mb = lambda v: "n/a" if v is None else f"{v / 1e6:.1f}"
            table.append([
                str(r["rows"]), f"{f['wall']:.2f}", f"{a['wall']:.3f}", f"{a['wall'] / f['wall'] * 100:.1f}%",
                pair("rows_read"),
                f"{f.get('pages_read', 0) + f.get('pages_hit', 0)} / {a.get('pages_read', 0) + a.get('pages_hit', 0)}",
                pair("pages_read"), f"{mb(f.get('pages_read', 0) * f.get('page_size', 0))} / {mb(a.get('pages_read', 0) * a.get('page_size', 0))}",
                pair("bytes_written", mb),
                pair("rss_mb", lambda v: f"{v:.0f}"), f"{w['wall']:.3f}", str(w.get("rows_read")),
                str(w.get("writer_longest_wait_s")), str(w.get("writer_errors"))])
        print_table(head, table)
    backups = [r for r in results if r.get("backup") and not r["backup"].get("error")]
    if backups:
        print()
        print("the first backfill's full backup (SQLite's backup API in steps), alone and beside a writer like llm "
              f"(100 rows a second; busy timeout {backups[0]['backup']['busy_timeout_s']:.0f} s)")
        head = ["rows", "MB", "alone s", "MB/s", "beside writer", "s", "writer longest wait s", "writer rows lost"]
        table = []
        for r in backups:
            alone, beside = r["backup"]["alone"], r["backup"]["beside_writer"]
            table.append([
                str(r["rows"]), f"{alone['mb']:.0f}", f"{alone['seconds']:.2f}",
                f"{alone['mb'] / alone['seconds']:.0f}" if alone["made"] else "-",
                "made" if beside["made"] else "gave up", f"{beside['seconds']:.2f}",
                str(beside["writer_longest_wait_s"]), str(beside["writer_errors"])])
        print_table(head, table)
    beside = [r for r in results if r.get("first_beside_writer") and not r["first_beside_writer"].get("error")]
    if beside:
        print()
        print("the first backfill (no backup) beside a writer like llm (100 rows a second, 5 s timeout),"
              " then its undo beside the same writer")
        head = ["rows", "first s", "writer longest wait s", "writer rows lost",
                "undo s", "writer longest wait s", "writer rows lost"]
        table = [[str(r["rows"]), f"{r['first_beside_writer']['wall']:.2f}",
                  str(r["first_beside_writer"]["writer_longest_wait_s"]), str(r["first_beside_writer"]["writer_errors"]),
                  f"{r['first_beside_writer']['undo']['wall']:.2f}",
                  str(r["first_beside_writer"]["undo"]["writer_longest_wait_s"]),
                  str(r["first_beside_writer"]["undo"]["writer_errors"])]
                 for r in beside]
        print_table(head, table)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"machine": m, "cold": cold_line, "repeat": args.repeat,
                       "seed": args.seed, "results": results,
                       "time_100k_over_20k": scaling}, fh, indent=1)
        print(f"figures saved to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
