"""The migration set: defensive, applied once, recorded; also through sqlite-utils' own CLI."""
import pathlib
import sqlite3
import subprocess
import sys

from builder import LogsDB
from conftest import cli, file_hash

MIGRATIONS = pathlib.Path(__file__).parent.parent / "migrations"


def columns(path):
    conn = sqlite3.connect(path)
    try:
        return {c[1]: (c[2], c[4]) for c in conn.execute("PRAGMA table_info(responses)")}
    finally:
        conn.close()


def applied(path):
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = 'consortium_backfill' ORDER BY id")]
    finally:
        conn.close()


def test_migrate_adds_columns_index_and_review_table(tmp_path):
    db = LogsDB(tmp_path / "logs.db")
    result = cli("migrate", "-d", db.path)
    assert result.exit_code == 0, result.output
    assert columns(db.path)["consortium_id"] == ("TEXT", None)
    assert columns(db.path)["is_arbiter_response"] == ("INTEGER", "0")
    indexes = {r[1] for r in db.conn.execute("PRAGMA index_list(responses)")}
    assert "idx_consortium_id" in indexes
    assert db.conn.execute("SELECT count(*) FROM consortium_backfill_review").fetchone()[0] == 0
    assert applied(db.path) == [
        "m001_consortium_columns", "m002_consortium_id_index", "m003_review_table", "m004_history_tables"
    ]


def test_migrate_again_is_a_no_op(tmp_path):
    db = LogsDB(tmp_path / "logs.db")
    cli("migrate", "-d", db.path)
    before = file_hash(db.path)
    result = cli("migrate", "-d", db.path)
    assert "already up to date" in result.output
    assert file_hash(db.path) == before


def test_user_columns_and_index_are_kept_as_they_are(tmp_path):
    db = LogsDB(tmp_path / "logs.db", with_user_columns=True)
    before = columns(db.path)
    cli("migrate", "-d", db.path)
    assert columns(db.path) == before
    indexes = [r[1] for r in db.conn.execute("PRAGMA index_list(responses)")]
    assert [i for i in indexes if i != "sqlite_autoindex_responses_1"] == ["idx_consortium_id"]
    assert applied(db.path)[:2] == ["m001_consortium_columns", "m002_consortium_id_index"]


def test_sqlite_utils_migrate_applies_the_same_set(tmp_path):
    db = LogsDB(tmp_path / "logs.db")
    subprocess.run(
        [sys.executable, "-m", "sqlite_utils", "migrate", str(db.path), str(MIGRATIONS / "migrations.py")],
        check=True,
    )
    assert "consortium_id" in columns(db.path)
    result = cli("migrate", "-d", db.path)
    assert "already up to date" in result.output
