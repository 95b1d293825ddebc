"""Beside a running llm: the write in short transactions of whole runs, the backup in short steps.

A backfill cut short between two transactions leaves whole runs only, which
`verify` accepts, `undo` reverts, and the next backfill completes into what
one uninterrupted backfill gives. The backup, taken while another program
writes, is a consistent copy; when the writes never let it finish, there is
no copy at all, nothing written, and a one-line error.
"""
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from builder import FIXTURES, LogsDB
from consortium_backfill import backup, changes, write
from consortium_backfill.database import connection
from consortium_backfill.errors import Problem
from conftest import cli, grouped
from test_safety import ROOT, backfill_process
from test_undo import snapshot

COMBO = FIXTURES / "llm0.25-2fa9235"
MODELS = COMBO / "consortium_models.txt"


def decided(path):
    """What a backfill decided, each run named by its first row's id (each backfill makes new KSUIDs):
    both columns of every row, the review rows, the run tables."""
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute("SELECT id, consortium_id, is_arbiter_response FROM responses ORDER BY rowid").fetchall()
        names = {}
        for row in rows:
            if row["consortium_id"] is not None:
                names.setdefault(row["consortium_id"], row["id"])

        def named(table, *run_columns):
            # found_at: when the backfill ran.
            return sorted(
                repr(sorted((c, names.get(v, v) if c in run_columns else v) for c, v in dict(row).items()
                            if c != "found_at"))
                for row in conn.execute(f"SELECT * FROM {table}")
            )

        return {
            "rows": [(row["id"], names.get(row["consortium_id"]), row["is_arbiter_response"]) for row in rows],
            "review": named("consortium_backfill_review"),
            "runs": named("consortium_runs", "id", "parent_run_id"),
            "members": named("consortium_members", "run_id"),
        }
    finally:
        conn.close()


def backfill(path, *args):
    result = cli("backfill", "-d", path, "-m", MODELS, "--no-backup", *args)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The real-package fixture backfilled in one go."""
    path = tmp_path_factory.mktemp("whole") / "logs.db"
    shutil.copy(COMBO / "logs.db", path)
    backfill(path)
    return decided(path)


# A fixture of llm-consortium 0.5 (runs found in the prompts) and one of 0.8
# (runs linked from its consortium_logs.db).
@pytest.mark.parametrize("combo", ["llm0.25-2fa9235", "llm0.31-c0.8"])
def test_transactions_of_one_run_give_what_one_transaction_gives(combo, tmp_path, monkeypatch):
    def copy(folder):
        folder.mkdir()
        for name in ("logs.db", "consortium_logs.db"):
            if (FIXTURES / combo / name).exists():
                shutil.copy(FIXTURES / combo / name, folder / name)
        return folder / "logs.db"

    models = FIXTURES / combo / "consortium_models.txt"
    whole = copy(tmp_path / "whole")
    assert cli("backfill", "-d", whole, "-m", models, "--no-backup").exit_code == 0
    path = copy(tmp_path / "cut")
    monkeypatch.setenv("CONSORTIUM_BACKFILL_CHUNK_ROWS", "1")
    committed = []
    write_chunk = write.write_chunk
    monkeypatch.setattr(write, "write_chunk", lambda *args: committed.append(args[2]) or write_chunk(*args))
    result = cli("backfill", "-d", path, "-m", models, "--no-backup", "--report", tmp_path / "report.json")
    assert result.exit_code == 0, result.output
    assert decided(path) == decided(whole)
    report = json.loads((tmp_path / "report.json").read_text())
    runs = report["runs_grouped"] + report["runs_by_era"]["linked from consortium_logs.db"]
    assert len(committed) == runs > 10
    assert "Rows updated: " in result.output and report["changes"] > 0
    # One backfill, one entry in the history for undo.
    assert len(cli("history", "-d", path).output.splitlines()) == 1


def test_a_backfill_killed_between_transactions_leaves_whole_runs_that_the_next_one_completes(
        uninterrupted, tmp_path, forker):
    pristine = tmp_path / "pristine.db"
    shutil.copy(COMBO / "logs.db", pristine)
    assert cli("migrate", "-d", pristine).exit_code == 0
    before = snapshot(pristine)
    truth = json.loads((COMBO / "truth.json").read_text())
    runs = [[row["id"] for row in run["rows"]] for run in truth["runs"]]
    path = tmp_path / "logs.db"
    cut_short = 0
    # Kills at statements spread over the write of one transaction per run.
    for kill_at in range(450, 2700, 280):
        shutil.copy(pristine, path)
        status = forker.run(["backfill", "-d", path, "-m", MODELS],
                            CONSORTIUM_BACKFILL_KILL_AFTER=str(kill_at), CONSORTIUM_BACKFILL_CHUNK_ROWS="1")
        if status != -signal.SIGKILL:
            assert status == 0
            break
        rows = grouped(path)
        # Whole runs only: every row of a run, or none.
        for run in runs:
            assert len({row_id in rows for row_id in run}) == 1, (kill_at, run)
        verified = cli("verify", "-d", path, "-m", MODELS)
        assert verified.exit_code == 0, verified.output
        if not rows:
            continue
        # No record of where it stopped: that comes with the last transaction,
        # so the next backfill reads again every row it did not write.
        conn = sqlite3.connect(path)
        assert conn.execute("SELECT count(*) FROM consortium_backfill_state").fetchone()[0] == 0
        conn.close()
        cut_short += 1
        # One undo reverts all the transactions that committed.
        undone = tmp_path / "undone.db"
        shutil.copy(path, undone)
        assert cli("undo", "-d", undone).exit_code == 0
        assert snapshot(undone) == before, kill_at
        # The next backfill groups the rest: the result of one that was never cut short.
        backfill(path)
        assert decided(path) == uninterrupted, kill_at
    assert cut_short >= 4


@pytest.mark.parametrize("backup", [True, False], ids=["backup", "no backup"])
def test_a_write_that_fails_after_some_transactions_says_what_it_left_and_what_next(
        uninterrupted, tmp_path, monkeypatch, backup):
    path = tmp_path / "logs.db"
    shutil.copy(COMBO / "logs.db", path)
    monkeypatch.setenv("CONSORTIUM_BACKFILL_CHUNK_ROWS", "1")
    write_chunk = write.write_chunk
    calls = []

    def failing_at_the_third(*args):
        calls.append(args)
        if len(calls) == 3:
            raise sqlite3.OperationalError("disk I/O error")
        return write_chunk(*args)

    monkeypatch.setattr(write, "write_chunk", failing_at_the_third)
    result = cli("backfill", "-d", path, "-m", MODELS,
                 *(["--backup-path", tmp_path / "before.db"] if backup else ["--no-backup"]))
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[-1] == (
        f"Error: {path}: disk I/O error; 2 runs were written whole before it stopped, run the backfill again "
        "to group the rest (or `undo` to revert them)" + (f"; backup: {tmp_path / 'before.db'}" if backup else "")
    )
    monkeypatch.setattr(write, "write_chunk", write_chunk)
    # Where a backfill stopped is recorded with its last transaction only: the next one
    # starts as if none had run, not from the end of a write it never finished.
    again = backfill(path).output.splitlines()
    assert "Pass: full, every row (first backfill of this database)" in again
    assert decided(path) == uninterrupted


def test_a_consortium_as_arbiter_is_written_in_one_transaction_with_its_inner_runs(tmp_path, monkeypatch):
    sys.path.insert(0, str(FIXTURES.parent / "realdata"))
    import author_history

    path = tmp_path / "logs.db"
    record = author_history.build(path)
    models = tmp_path / "models.txt"
    models.write_text("".join(f"{name}\n" for name in record["models_file"]))
    whole = tmp_path / "whole.db"
    shutil.copy(path, whole)
    assert cli("backfill", "-d", whole, "-m", models, "--no-backup", "--replace-foreign").exit_code == 0
    monkeypatch.setenv("CONSORTIUM_BACKFILL_CHUNK_ROWS", "1")
    committed = []
    write_chunk = write.write_chunk
    monkeypatch.setattr(write, "write_chunk", lambda *args: committed.append(args[2]) or write_chunk(*args))
    assert cli("backfill", "-d", path, "-m", models, "--no-backup", "--replace-foreign").exit_code == 0
    assert decided(path) == decided(whole)
    outer = next(run for run in record["runs"] if run.get("arbiter_runs"))
    inner = [run for run in record["runs"] if run["label"] in outer["arbiter_runs"]]
    output_rowid = lambda run: next(row["rowid"] for row in run["rows"] if row["role"] == "final_output")
    together = [output_rowid(outer)] + [output_rowid(run) for run in inner]
    assert len(inner) >= 2 and len(committed) > 5
    assert any(all(chunk.low < rowid <= chunk.high for rowid in together) for chunk in committed)


def test_transactions_hold_whole_units_and_never_part_an_inner_run_from_its_outer_run():
    # (phase, key, rows, reach): runs by run_rid, then consortium_logs.db links by rowid.
    units = [(1, 10, 3, 10), (1, 20, 3, 40), (1, 30, 3, 30), (1, 40, 3, 40), (2, 1, 4, 1), (2, 2, 4, 2)]
    chunks = [(c.low, c.high, c.link_low, c.link_high, c.runs, c.last) for c in write.chunks(units, lambda: 1)]
    assert chunks == [(0, 10, 0, 0, 1, False), (10, 40, 0, 0, 3, False), (40, 40, 0, 1, 1, False),
                      (40, 40, 1, 2, 1, True)]
    assert [(c.low, c.high, c.last) for c in write.chunks(units, lambda: 100)] == [(0, 40, True)]
    assert [(c.high, c.last) for c in write.chunks([], lambda: 1)] == [(0, True)]


# The backup beside a writer.


def writer_beside(path, tmp_path):
    """tests/log_writer.py: a stand-in for llm, logging a row every few ms until told to stop."""
    stop, result = tmp_path / "stop", tmp_path / "writer.json"
    process = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "tests", "log_writer.py"), str(path), str(stop), str(result)]
    )
    time.sleep(0.3)

    def done():
        stop.touch()
        process.wait(timeout=30)
        return json.loads(result.read_text())

    return done


def big_database(tmp_path, runs=60):
    """About 5 MB: runs of two iterations of two members, 7 rows each."""
    db = LogsDB(tmp_path / "logs.db")
    (tmp_path / "models.txt").write_text("cons\n")
    for n in range(runs):
        db.run("cons", f"Question {n}", [[("a", f"a{n} " * 2000), ("b", f"b{n} " * 2000)]] * 2)
    db.conn.close()
    return db.path


@pytest.mark.beside_a_writer
def test_a_backup_taken_while_another_program_writes_is_a_consistent_copy(tmp_path, monkeypatch):
    path = big_database(tmp_path)
    # Steps of 64 KB: the copy takes many steps, and the writer's rows land between them.
    monkeypatch.setattr(backup, "FIRST_STEP_BYTES", 64 * 1024)
    monkeypatch.setattr(backup, "STEP_SECONDS", 0.001)
    monkeypatch.setattr(backup, "PAUSE_SECONDS", 0.001)
    done = writer_beside(path, tmp_path)
    try:
        result = cli("backfill", "-d", path, "-m", tmp_path / "models.txt", "--backup-path", tmp_path / "copy.db")
    finally:
        written = done()
    assert result.exit_code == 0, result.output
    assert written["errors"] == [] and written["inserted"]
    copy = sqlite3.connect(f"file:{tmp_path / 'copy.db'}?mode=ro", uri=True)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # Taken before the write, each of the writer's transactions whole or absent.
    assert "consortium_id" not in {c[1] for c in copy.execute("PRAGMA table_info(responses)")}
    live = copy.execute("SELECT count(*) FROM responses WHERE id LIKE '01live%'").fetchone()[0]
    assert live == copy.execute("SELECT count(*) FROM conversations WHERE name = 'live'").fetchone()[0]
    assert copy.execute("SELECT count(*) FROM responses WHERE id NOT LIKE '01live%'").fetchone()[0] == 60 * 7
    copy.close()
    assert not list(tmp_path.glob("*.partial"))


@pytest.mark.beside_a_writer
def test_a_backup_that_writes_keep_restarting_gives_up_and_leaves_nothing(tmp_path, monkeypatch):
    """The backup alone (the reads before it would only wait on the writer as well)."""
    path = big_database(tmp_path)
    monkeypatch.setattr(backup, "FIRST_STEP_BYTES", 64 * 1024)
    monkeypatch.setattr(backup, "STEP_SECONDS", 0.001)
    monkeypatch.setattr(backup, "PAUSE_SECONDS", 0.001)
    # Never in one step: as if the file were too big to copy at once.
    monkeypatch.setattr(backup, "ONE_STEP_SECONDS", 0)
    done = writer_beside(path, tmp_path)
    try:
        with pytest.raises(Problem) as refused:
            with connection(path, 2, write=True) as (conn, _):
                backup.make_backup(conn, path, None)
    finally:
        written = done()
    assert written["errors"] == []
    message = refused.value.message
    assert "no backup made, nothing written: another program (llm?) kept writing" in message
    assert "--backup none" in message and "\n" not in message
    assert not list(tmp_path.glob("logs.backup-*"))


def test_the_pause_after_a_transaction_outlasts_the_sleep_of_any_writer_that_waited_for_it():
    """SQLite's busy handler sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, then 100 ms between
    tries. A writer that began waiting at any moment of a transaction tries again within the
    pause that follows it: it never sleeps through the pause into the next transaction."""
    delays = [0.001, 0.002, 0.005, 0.010, 0.015, 0.020, 0.025, 0.025, 0.025, 0.050, 0.050] + [0.1] * 200

    def next_try_after(waited):
        total = 0.0
        for delay in delays:
            if total + delay > waited:
                return total + delay - waited
            total += delay

    for held in [0.0005, 0.002, 0.01, 0.03, 0.08, 0.2, 0.3, 1.0]:
        pause = write.pause_after(held, waited=0)
        for step in range(101):
            waited = held * step / 100  # the writer began waiting this long before the commit
            assert next_try_after(waited) < pause, (held, waited)
    # A transaction that had to wait for the lock leaves it free for the whole pause.
    assert write.pause_after(0.001, waited=0.05) == write.PAUSE_SECONDS


# undo, in short transactions of whole runs too.


def recorded(path):
    """The history and the change log (when the undo ran aside), and where the backfill stopped."""
    conn = sqlite3.connect(path)
    try:
        return {
            "log": conn.execute("SELECT id, command, started_at, rows_changed, undone_at IS NOT NULL"
                                " FROM consortium_backfill_log ORDER BY id").fetchall(),
            "changes": conn.execute("SELECT * FROM consortium_backfill_changes ORDER BY id").fetchall(),
            "state": conn.execute("SELECT * FROM consortium_backfill_state").fetchall(),
        }
    finally:
        conn.close()


def test_an_undo_killed_between_transactions_leaves_whole_runs_and_the_next_undo_finishes_it(tmp_path, forker):
    backfilled = tmp_path / "backfilled.db"
    shutil.copy(COMBO / "logs.db", backfilled)
    assert cli("migrate", "-d", backfilled).exit_code == 0
    before = snapshot(backfilled)
    # Written in a transaction per run: its record holds many runs' changes apart.
    process = backfill_process(backfilled, MODELS, CONSORTIUM_BACKFILL_CHUNK_ROWS="1")
    process.communicate(timeout=60)
    assert process.returncode == 0
    once = tmp_path / "once.db"
    shutil.copy(backfilled, once)
    assert cli("undo", "-d", once).exit_code == 0
    assert snapshot(once) == before
    # What it put back leaves the change log: an undone backfill costs no space.
    conn = sqlite3.connect(once)
    assert conn.execute("SELECT count(*) FROM consortium_backfill_changes").fetchone() == (0,)
    conn.close()
    assert re.search(r": \d+ changes  \(undone ", cli("history", "-d", once).output)
    truth = json.loads((COMBO / "truth.json").read_text())
    runs = [[row["id"] for row in run["rows"]] for run in truth["runs"]]
    path = tmp_path / "logs.db"
    cut_short = 0
    for kill_at in range(30, 400, 40):
        shutil.copy(backfilled, path)
        status = forker.run(["undo", "-d", path],
                            CONSORTIUM_BACKFILL_KILL_AFTER=str(kill_at), CONSORTIUM_BACKFILL_CHUNK_ROWS="1")
        if status != -signal.SIGKILL:
            assert status == 0
            break
        rows = grouped(path)
        for run in runs:
            assert len({row_id in rows for row_id in run}) == 1, (kill_at, run)
        verified = cli("verify", "-d", path, "-m", MODELS)
        assert verified.exit_code == 0, verified.output
        if rows and rows != grouped(backfilled):
            cut_short += 1
        again = cli("undo", "-d", path)
        assert again.exit_code == 0, again.output
        assert snapshot(path) == snapshot(once), kill_at
        assert recorded(path) == recorded(once), kill_at
    assert cut_short >= 4


def test_each_undo_transaction_restores_whole_runs_an_inner_run_with_its_outer_run(tmp_path, monkeypatch):
    sys.path.insert(0, str(FIXTURES.parent / "realdata"))
    import author_history

    def grouping(conn):
        return {rid: (cid, flag) for rid, cid, flag in
                conn.execute("SELECT rowid, consortium_id, is_arbiter_response FROM responses")}

    path = tmp_path / "logs.db"
    record = author_history.build(path)
    models = tmp_path / "models.txt"
    models.write_text("".join(f"{name}\n" for name in record["models_file"]))
    assert cli("migrate", "-d", path).exit_code == 0
    before = snapshot(path)
    conn = sqlite3.connect(path)
    old = grouping(conn)
    conn.close()
    # Several runs a transaction: their changes interleave in the record.
    monkeypatch.setenv("CONSORTIUM_BACKFILL_CHUNK_ROWS", "40")
    assert cli("backfill", "-d", path, "-m", models, "--no-backup", "--replace-foreign").exit_code == 0
    monkeypatch.setenv("CONSORTIUM_BACKFILL_CHUNK_ROWS", "1")
    conn = sqlite3.connect(path)
    new = grouping(conn)
    conn.close()
    runs = {}
    for rid, (run_id, _) in new.items():
        if new[rid] != old[rid] and run_id is not None:
            runs.setdefault(run_id, set()).add(rid)
    outer = next(run for run in record["runs"] if run.get("arbiter_runs"))
    inner = [run for run in record["runs"] if run["label"] in outer["arbiter_runs"]]
    nested = {new[row["rowid"]][0] for run in [outer] + inner for row in run["rows"] if row["role"] == "final_output"}
    assert len(nested) == len(inner) + 1 >= 3
    runs["outer run with its inner runs"] = set().union(*(runs.pop(run_id) for run_id in nested))
    seen = []
    undo_changes = changes.undo

    def undo_and_look(conn, *args):
        counts = undo_changes(conn, *args)
        now = grouping(conn)
        for run_id, rids in runs.items():
            # A value --replace-foreign cleared comes back with the clearing's own
            # change: a row of an undone run reads as not grouped until then.
            states = {"written" if now[rid] == new[rid] else "restored" if now[rid] == old[rid] or now[rid][0] is None
                      else "other" for rid in rids}
            assert states in ({"written"}, {"restored"}), (run_id, states)
        seen.append(sum(now[rid] == old[rid] for rids in runs.values() for rid in rids))
        return counts

    monkeypatch.setattr(changes, "undo", undo_and_look)
    assert cli("undo", "-d", path).exit_code == 0
    assert snapshot(path) == before
    assert len(set(seen)) >= 4 and seen == sorted(seen)


def test_rows_logged_while_undo_runs_are_kept(tmp_path, monkeypatch):
    path = big_database(tmp_path)
    assert cli("migrate", "-d", path).exit_code == 0
    before, _ = snapshot(path)
    assert cli("backfill", "-d", path, "-m", tmp_path / "models.txt", "--no-backup").exit_code == 0
    monkeypatch.setenv("CONSORTIUM_BACKFILL_CHUNK_ROWS", "5")
    done = writer_beside(path, tmp_path)
    try:
        result = cli("undo", "-d", path)
    finally:
        written = done()
    assert result.exit_code == 0, result.output
    assert written["errors"] == [] and written["inserted"]
    rows, _ = snapshot(path)
    assert {rowid: rows[rowid] for rowid in before} == before
    conn = sqlite3.connect(path)
    kept = conn.execute("SELECT id, consortium_id FROM responses WHERE id LIKE '01live%'").fetchall()
    conn.close()
    assert sorted(kept) == sorted((row_id, None) for row_id in written["inserted"])


def test_a_full_pass_reads_through_a_memory_map_a_rerun_does_not(tmp_path, monkeypatch):
    """Each commit by llm empties SQLite's page cache; through a map, its pages come back from
    the OS cache in place. A re-run reads a few rows here and there, where a fault on the map
    reads ahead far more than the page. Windows would keep another process from truncating a
    mapped file."""
    from consortium_backfill import database, run

    path = big_database(tmp_path, runs=1)
    mapped = []

    def read_through_memory_map(conn):
        database.read_through_memory_map(conn)
        mapped.append(conn.execute("PRAGMA mmap_size").fetchone()[0])

    monkeypatch.setattr(run, "read_through_memory_map", read_through_memory_map)
    backfill = ["backfill", "-d", path, "-m", tmp_path / "models.txt", "--no-backup"]
    assert cli(*backfill).exit_code == 0
    assert len(mapped) == 1 and mapped[0] > 1024**3
    assert cli(*backfill).exit_code == 0
    assert len(mapped) == 1
    monkeypatch.setattr(sys, "platform", "win32")
    assert cli(*backfill, "--full").exit_code == 0
    assert mapped[1:] == [0]
    for write_lock in (False, True):
        with connection(path, 5, write=write_lock) as (conn, _):
            assert conn.execute("PRAGMA mmap_size").fetchone()[0] == 0
