"""--report and --backup-path: checked before any work, never over a file the user keeps."""
import sqlite3

import pytest

from conftest import cli, file_hash
from test_safety import assert_refused, some_runs


@pytest.fixture
def db(logs_db):
    some_runs(logs_db)
    logs_db.conn.close()
    return logs_db.path


def backfill(db, *args):
    return cli("backfill", "-d", db, "--models-file", db.parent / "models.txt", *args)


@pytest.mark.parametrize("dry_run", [True, False])
@pytest.mark.parametrize(
    "target,what",
    [
        (lambda db: db, "is the database"),
        (lambda db: db.parent / "logs.db-journal", "is the database's journal"),
        (lambda db: db.parent / "models.txt", "is the models file"),
        (lambda db: db.parent / "copy.db", "is the backup"),
    ],
    ids=["database", "journal", "models file", "backup"],
)
def test_report_never_writes_over_a_kept_file(db, dry_run, target, what):
    before = {path: file_hash(path) for path in (db, db.parent / "models.txt")}
    args = ["--backup-path", db.parent / "copy.db", "--report", target(db)] + (["--dry-run"] if dry_run else [])
    assert_refused(backfill(db, *args), what)
    assert {path: file_hash(path) for path in before} == before
    assert not (db.parent / "copy.db").exists() and not (db.parent / "logs.db-journal").exists()


def test_report_never_writes_over_another_sqlite_file(db, tmp_path):
    older_backup = tmp_path / "logs.backup-20250101-000000.db"
    older_backup.write_bytes(db.read_bytes())
    before = file_hash(older_backup), file_hash(db)
    assert_refused(backfill(db, "--no-backup", "--report", older_backup), "is a SQLite database")
    assert (file_hash(older_backup), file_hash(db)) == before


def test_backup_path_never_writes_over_the_database_or_models(db):
    before = file_hash(db)
    assert_refused(backfill(db, "--backup-path", db), "is the database")
    assert_refused(backfill(db, "--backup-path", db.parent / "models.txt"), "is the models file")
    assert file_hash(db) == before and (db.parent / "models.txt").read_text() == "cons\nother-cons\n"


@pytest.mark.parametrize("dry_run", [True, False])
def test_report_in_a_missing_folder_is_refused_before_any_work(db, tmp_path, dry_run):
    before = file_hash(db)
    result = backfill(db, "--report", tmp_path / "missing" / "r.json", *(["--dry-run"] if dry_run else []))
    assert_refused(result, "no such folder")
    assert file_hash(db) == before
    assert not list(tmp_path.glob("logs.backup-*"))


def test_report_over_an_earlier_report_is_fine(db, tmp_path):
    report = tmp_path / "report.json"
    report.write_text("{}")
    result = backfill(db, "--no-backup", "--report", report)
    assert result.exit_code == 0, result.output
    assert '"runs_grouped": 2' in report.read_text()
    assert sqlite3.connect(db).execute("SELECT count(*) FROM responses WHERE consortium_id IS NOT NULL").fetchone()[0] == 14
