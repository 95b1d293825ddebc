"""One backfill per database at a time; backups that never collide, never empty."""
import sqlite3

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
    assert backfill(logs_db.path).exit_code == 0
    first, second = sorted(logs_db.path.parent.glob("logs.backup-*"), key=lambda p: len(p.name))
    assert (first.name, second.name) == ("logs.backup-20250419-150000.db", "logs.backup-20250419-150000-2.db")
    assert rows_in(first) + 3 == rows_in(second)


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
