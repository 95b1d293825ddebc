"""One backfill per database at a time; backups that never collide, never empty."""
import re
import sqlite3
import subprocess

from consortium_backfill import backup, lock
from conftest import cli, file_hash, grouped
from test_safety import assert_refused, backfill_process, immutable, some_runs


def backfill(db, *args):
    return cli("backfill", "-d", db, "--models-file", db.parent / "models.txt", *args)


def rows_in(path):
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return conn.execute("SELECT count(*) FROM responses").fetchone()[0]
    finally:
        conn.close()


def test_a_second_backfill_is_refused_while_one_runs(logs_db):
    some_runs(logs_db)
    before = file_hash(logs_db.path)
    with lock.database_lock(logs_db.path):
        assert_refused(backfill(logs_db.path), "another backfill is working on it")
        assert_refused(cli("migrate", "-d", logs_db.path), "another backfill is working on it")
        assert backfill(logs_db.path, "--dry-run").exit_code == 0
    assert file_hash(logs_db.path) == before
    assert backfill(logs_db.path).exit_code == 0
    assert not list(logs_db.path.parent.glob("*.backfill-lock"))


def test_two_backfills_started_together_leave_one_good_backup(logs_db, tmp_path):
    some_runs(logs_db, 30)
    logs_db.conn.close()
    rows = rows_in(logs_db.path)
    processes = [backfill_process(logs_db.path, tmp_path / "models.txt") for _ in range(2)]
    outcomes = [(p.wait(timeout=60), p.communicate()[1].decode()) for p in processes]
    for code, err in outcomes:
        assert code == 0 or (code == 2 and "another backfill" in err), err
    backups = list(tmp_path.glob("logs.backup-*"))
    assert len(backups) == 1 and rows_in(backups[0]) == rows
    assert len(grouped(logs_db.path)) == 30 * 7


def test_backups_in_the_same_second_get_names_of_their_own(logs_db, monkeypatch):
    monkeypatch.setattr(backup, "timestamp", lambda: "20250419-150000")
    some_runs(logs_db)
    assert backfill(logs_db.path).exit_code == 0
    logs_db.run("cons", "Later", [[("a", "later a")]])
    assert cli("undo", "-d", logs_db.path).exit_code == 0  # so that the next one makes a backup again
    assert backfill(logs_db.path).exit_code == 0
    first, second = sorted(logs_db.path.parent.glob("logs.backup-*"), key=lambda p: len(p.name))
    assert (first.name, second.name) == ("logs.backup-20250419-150000.db", "logs.backup-20250419-150000-2.db")
    assert rows_in(first) + 3 == rows_in(second)


def test_a_backup_is_named_by_the_time_it_was_made(logs_db):
    some_runs(logs_db)
    result = backfill(logs_db.path)
    assert result.exit_code == 0, result.output
    (made,) = logs_db.path.parent.glob("logs.backup-*")
    assert re.fullmatch(r"logs\.backup-20\d{6}-\d{6}\.db", made.name)
    assert f"Backup: {made}" in result.output.splitlines()


def test_a_thousandth_backup_in_one_second_is_refused(logs_db, monkeypatch):
    monkeypatch.setattr(backup, "timestamp", lambda: "20250419-150000")
    some_runs(logs_db)
    for number in range(1, 1000):
        (logs_db.path.parent / f"logs.backup-20250419-150000{'' if number == 1 else f'-{number}'}.db").touch()
    before = file_hash(logs_db.path)
    result = backfill(logs_db.path)
    assert (result.exit_code, result.output.splitlines()[-1]) == (
        2, f"Error: {logs_db.path.parent.resolve()}: too many backups made this second")
    assert file_hash(logs_db.path) == before


def test_a_copy_cut_short_is_cleaned_up_and_never_passes_the_check(logs_db):
    some_runs(logs_db)
    stale = [logs_db.path.parent / "logs.backup-20250101-000000.db.partial", logs_db.path.parent / "logs.backup-x1.partial"]
    for path in stale:
        path.write_bytes(b"half a copy")
    assert backfill(logs_db.path).exit_code == 0
    assert not any(path.exists() for path in stale)
    missing = logs_db.path.parent / "vanished.db"
    assert backup.quick_check(missing) != "ok" and not missing.exists()


def test_a_symlinked_database_is_checked_and_backed_up_beside_the_real_file(logs_db, tmp_path):
    some_runs(logs_db)
    links = tmp_path / "links"
    links.mkdir()
    link = links / "logs.db"
    link.symlink_to(logs_db.path)
    with immutable(links):
        result = cli("backfill", "-d", link, "--models-file", tmp_path / "models.txt")
    assert result.exit_code == 0, result.output
    assert len(list(tmp_path.glob("logs.backup-*.db"))) == 1 and len(grouped(logs_db.path)) == 14


NEW_READER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=2)  # `llm logs`, Datasette: a read, then llm's own wait
print(conn.execute("SELECT count(*) FROM responses").fetchone()[0])
"""


def test_waiting_to_commit_behind_a_reader_never_locks_out_new_readers(logs_db, tmp_path):
    """A backfill that cannot commit steps aside between short tries: others still read.

    Waiting to commit holds SQLite's PENDING lock, which keeps every new reader
    of another process out; held for the whole busy timeout, it made them fail.
    """
    import sys
    import time

    from test_safety import backfill_process

    some_runs(logs_db, 5)
    logs_db.conn.close()
    reader = sqlite3.connect(logs_db.path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM responses").fetchone()  # a long read, still open
    process = backfill_process(logs_db.path, tmp_path / "models.txt")
    try:
        time.sleep(2.5)  # the backfill has long reached its commit, and waits
        assert process.poll() is None
        newcomer = subprocess.run([sys.executable, "-c", NEW_READER, str(logs_db.path)], capture_output=True, text=True)
        assert newcomer.returncode == 0, newcomer.stderr
        assert newcomer.stdout.strip() == "40"
    finally:
        reader.execute("COMMIT")
        reader.close()
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert len(grouped(logs_db.path)) == 35
    assert len(list(tmp_path.glob("logs.backup-*.db"))) == 1


def test_a_backfill_that_gives_up_waiting_leaves_no_backup(logs_db):
    some_runs(logs_db)
    before = file_hash(logs_db.path)
    reader = sqlite3.connect(logs_db.path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM responses").fetchone()
    try:
        result = backfill(logs_db.path, "--busy-timeout", "0.5")
    finally:
        reader.execute("COMMIT")
        reader.close()
    assert_refused(result, "database is busy")
    assert file_hash(logs_db.path) == before
    assert not list(logs_db.path.parent.glob("logs.backup-*"))


def test_a_write_kept_waiting_by_a_reader_tries_again_and_finishes_once_it_is_done(logs_db):
    """A reader that holds its read for a second: each try to commit gives up after a
    short wait and starts again, until the reader is gone."""
    import threading

    some_runs(logs_db, 3)
    logs_db.conn.close()
    reader = sqlite3.connect(logs_db.path, isolation_level=None, check_same_thread=False)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM responses").fetchone()
    done_reading = threading.Timer(1.0, lambda: reader.execute("COMMIT"))
    done_reading.start()
    try:
        result = backfill(logs_db.path, "--no-backup")
    finally:
        done_reading.join()
        reader.close()
    assert result.exit_code == 0, result.output
    assert len(grouped(logs_db.path)) == 21
