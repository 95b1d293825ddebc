"""The re-run case of bench/run.py: a backfilled database, a few new runs, the next backfill.

A copy of the bench database has its last 2 x `held` rows held back, is
backfilled (the first run), gets the first half of them back (logged again,
in their order) and is backfilled again (the re-run), then the second half,
and is backfilled once more beside a writer like llm (bench/llm_writer.py,
100 rows a second, whose rows are new rows too). Each run goes through
bench/measured.py, which reads SQLite's own page counters and the bytes
written.

The first run here makes no backup: the full backup a user's first backfill
makes is measured on its own (backup_case, bench/backup_copy.py), alone and
beside the same writer, since a writer that never stops may keep a stepwise
copy of a big file from finishing (the backfill then stops before writing).
"""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def hold_back(copy: Path, held_file: Path, held: int) -> int:
    """Move the last `held` rows of responses into held_file; returns the first rowid held."""
    held_file.unlink(missing_ok=True)
    conn = sqlite3.connect(copy)
    cut = conn.execute("SELECT max(rowid) FROM responses").fetchone()[0] - held
    conn.execute("ATTACH ? AS held", [str(held_file)])
    with conn:
        conn.execute("CREATE TABLE held.responses AS SELECT rowid AS held_rowid, * FROM main.responses WHERE rowid > ?",
                     [cut])
        conn.execute("DELETE FROM main.responses WHERE rowid > ?", [cut])
    conn.close()
    return cut + 1


def put_back(copy: Path, held_file: Path, rows: int = -1):
    """The first `rows` held rows (all by default), logged again after every row there now, in their order."""
    conn = sqlite3.connect(copy)
    conn.execute("ATTACH ? AS held", [str(held_file)])
    columns = [row[1] for row in conn.execute("PRAGMA held.table_info(responses)")][1:]
    names = ", ".join(f"[{c}]" for c in columns)
    with conn:
        last = conn.execute(
            "SELECT max(held_rowid) FROM (SELECT held_rowid FROM held.responses ORDER BY held_rowid LIMIT ?)", [rows]
        ).fetchone()[0]
        conn.execute(f"INSERT INTO main.responses ({names}) SELECT {names} FROM held.responses"
                     " WHERE held_rowid <= ? ORDER BY held_rowid", [last])
        conn.execute("DELETE FROM held.responses WHERE held_rowid <= ?", [last])
    conn.close()


def with_writer(copy: Path, work: Path, run):
    """run() while a writer like llm logs into copy; returns (run's result, the writer's figures)."""
    stop, out = work / "writer.stop", work / "writer.json"
    stop.unlink(missing_ok=True)
    writer = subprocess.Popen([sys.executable, str(HERE / "llm_writer.py"), str(copy), str(stop), str(out)])
    time.sleep(0.5)
    try:
        result = run()
    finally:
        time.sleep(0.5)
        stop.touch()
        writer.wait(timeout=30)
        stop.unlink(missing_ok=True)
    figures = json.loads(out.read_text())
    out.unlink()
    return result, {"writer_longest_wait_s": figures["longest_wait_s"], "writer_p99_wait_s": figures["p99_wait_s"],
                    "writer_rows": figures["inserted"], "writer_errors": len(figures["errors"])}


def measured_backfill(python: str, copy: Path, models: Path, work: Path, timed, timeout, extra=()):
    counts, report = work / "measured.json", work / "report.json"
    counts.unlink(missing_ok=True)
    report.unlink(missing_ok=True)
    log = work / f"rerun-{copy.stem}.log"
    cmd = [python, str(HERE / "measured.py"), str(counts), "backfill", "-d", str(copy),
           "--models-file", str(models), "--report", str(report), *extra]
    result = timed(cmd, timeout, log)
    if not result["ok"]:
        raise RuntimeError(f"{' '.join(cmd)}: exit {result.get('exit')}: {log.read_text()[-600:]}")
    done = json.loads(report.read_text())["pass"]
    report.unlink()
    # The rowids its reads covered: those logged since the last backfill and
    # the window re-read before them (every row, in a full pass).
    rows_read = done["last_rowid"] - done["reread_after_rowid"]
    return dict(result, **json.loads(counts.read_text()), rows_read=rows_read, output=log.read_text())


def rerun_case(db: Path, models: Path, held: int, work: Path, python: str, timed, fresh_copy, drop_cache, remove_copy,
               warm: bool, timeout) -> dict:
    copy, _ = fresh_copy(db, True)
    held_file = work / f"held-{copy.stem}.db"
    figures = lambda result: {k: result[k] for k in result if k not in ("ok", "timeout", "exit", "output")}
    try:
        hold_back(copy, held_file, 2 * held)
        if not warm:
            drop_cache(copy)
        # The first run alone: a writer beside it would log thousands of rows
        # that the re-run then reads as new (the first backfill beside a
        # writer is the write's and the backup's case, not this one's).
        first = measured_backfill(python, copy, models, work, timed, timeout, ["--no-backup"])
        # Half of the held rows: the re-run alone.
        put_back(copy, held_file, held)
        if not warm:
            drop_cache(copy)
        again = measured_backfill(python, copy, models, work, timed, timeout)
        # The other half: the re-run beside a writer like llm, whose rows are new rows too.
        put_back(copy, held_file)
        if not warm:
            drop_cache(copy)
        beside, writer = with_writer(
            copy, work, lambda: measured_backfill(python, copy, models, work, timed, timeout))
        return {
            "held_rows": held,
            "first": figures(first),
            "rerun": figures(again),
            "rerun_beside_writer": figures(beside) | writer,
            "rerun_summary": again["output"].splitlines(),
        }
    finally:
        held_file.unlink(missing_ok=True)
        remove_copy(copy)


def backup_copy(python: str, copy: Path, work: Path, busy_timeout: float) -> dict:
    out = work / "backup.json"
    out.unlink(missing_ok=True)
    subprocess.run([python, str(HERE / "backup_copy.py"), str(copy), str(out), "--busy-timeout", str(busy_timeout)],
                   check=True)
    result = json.loads(out.read_text())
    out.unlink()
    return result


def backup_case(db: Path, work: Path, python: str, fresh_copy, drop_cache, remove_copy, warm: bool,
                busy_timeout: float = 5.0) -> dict:
    """The first backfill's full backup: alone, then beside a writer like llm (made, or given up)."""
    copy, _ = fresh_copy(db, warm)
    try:
        alone = backup_copy(python, copy, work, busy_timeout)
        if not warm:
            drop_cache(copy)
        beside, writer = with_writer(copy, work, lambda: backup_copy(python, copy, work, busy_timeout))
        return {"alone": alone, "beside_writer": beside | writer, "busy_timeout_s": busy_timeout}
    finally:
        remove_copy(copy)


def first_beside_writer(db: Path, models: Path, work: Path, python: str, timed, fresh_copy, remove_copy, warm: bool,
                        timeout) -> dict:
    """A first backfill (no backup) of a fresh copy beside a writer like llm, then its undo beside the
    same writer: their times and the writer's figures."""
    copy, _ = fresh_copy(db, warm)
    try:
        result, writer = with_writer(
            copy, work, lambda: measured_backfill(python, copy, models, work, timed, timeout, ["--no-backup"]))
        undo_log = work / f"undo-{copy.stem}.log"
        undo = [python, str(HERE.parent / "backfill.py"), "undo", "-d", str(copy)]
        undone, undo_writer = with_writer(copy, work, lambda: timed(undo, timeout, undo_log))
        if not undone["ok"]:
            raise RuntimeError(f"{' '.join(undo)}: exit {undone.get('exit')}: {undo_log.read_text()[-600:]}")
        return {"wall": result["wall"]} | writer | {"undo": {"wall": undone["wall"]} | undo_writer}
    finally:
        remove_copy(copy)
