"""The migration set: defensive, applied once, recorded; also through sqlite-utils' own CLI."""
import pathlib
import sqlite3
import subprocess
import sys

import sqlite_utils

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


def test_migrate_adds_columns_and_review_table_and_no_index_on_responses(tmp_path):
    db = LogsDB(tmp_path / "logs.db")
    result = cli("migrate", "-d", db.path)
    assert result.exit_code == 0, result.output
    assert columns(db.path)["consortium_id"] == ("TEXT", None)
    assert columns(db.path)["is_arbiter_response"] == ("INTEGER", "0")
    # An index on responses is built by one read of the whole table in a write
    # transaction: seconds on a large file, while llm waits to log.
    indexes = {r[1] for r in db.conn.execute("PRAGMA index_list(responses)")}
    assert indexes == {"sqlite_autoindex_responses_1"}
    assert db.conn.execute("SELECT count(*) FROM consortium_backfill_review").fetchone()[0] == 0
    assert applied(db.path) == [
        "m001_consortium_columns", "m002_consortium_id_index", "m003_review_table", "m004_history_tables",
        "m005_links_and_one_time_format",
        "m006_run_sources", "m007_change_log", "m008_parent_run",
        "m009_incremental_state", "m010_sampled_fingerprints", "m011_consortium_logs_state",
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


def foreign_keys(path, table):
    conn = sqlite3.connect(path)
    try:
        return sorted((fk[3], fk[2], fk[4]) for fk in conn.execute(f"PRAGMA foreign_key_list([{table}])"))
    finally:
        conn.close()


def schema_and_rows(path, table):
    conn = sqlite3.connect(path)
    try:
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", [table]).fetchone()[0]
        return sql, conn.execute(f"SELECT rowid, * FROM [{table}] ORDER BY rowid").fetchall()
    finally:
        conn.close()


def test_foreign_keys_on_our_tables_leave_responses_as_it_was(real_db):
    path, models, _ = real_db
    before = schema_and_rows(path, "responses")
    result = cli("backfill", "-d", path, "--models-file", models, "--no-backup")
    assert result.exit_code == 0, result.output
    assert foreign_keys(path, "consortium_runs") == [
        ("final_arbiter_response_id", "responses", "id"), ("output_response_id", "responses", "id")
    ]
    assert foreign_keys(path, "consortium_members") == [
        ("quoted_by", "responses", "id"), ("response_id", "responses", "id"), ("run_id", "consortium_runs", "id")
    ]
    assert foreign_keys(path, "consortium_backfill_review") == [("response_id", "responses", "id")]
    sql, rows = schema_and_rows(path, "responses")
    # The two columns are added, by ALTER TABLE; the table is never rebuilt.
    assert sql == before[0][:-1] + ', "consortium_id" TEXT, is_arbiter_response INTEGER DEFAULT 0)'
    assert [row[:-2] for row in rows] == before[1]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert [r[1] for r in conn.execute("PRAGMA index_list(consortium_members)")].count("idx_consortium_members_response_id") == 1


def test_tables_made_before_foreign_keys_get_them_and_one_time_format(tmp_path):
    db = LogsDB(tmp_path / "logs.db")
    cli("migrate", "-d", db.path)
    utils = sqlite_utils.Database(db.conn)
    # As m003 and m004 made them before: no foreign keys, times as llm wrote them.
    for table in ("consortium_runs", "consortium_members", "consortium_backfill_review"):
        utils[table].transform(drop_foreign_keys=[fk.column for fk in utils[table].foreign_keys])
        assert foreign_keys(db.path, table) == []
    db.conn.execute(
        "INSERT INTO consortium_runs (id, created_at, ended_at) VALUES"
        " ('old', '2025-04-19T15:00:00.123456+00:00', '2025-04-19T15:00:02.5')"
    )
    db.conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm005_links_and_one_time_format'")
    db.conn.commit()
    before = schema_and_rows(db.path, "responses")
    assert cli("migrate", "-d", db.path).output.endswith("applied m005_links_and_one_time_format\n")
    assert [fk[0] for fk in foreign_keys(db.path, "consortium_members")] == ["quoted_by", "response_id", "run_id"]
    assert len(foreign_keys(db.path, "consortium_runs")) == 2
    assert foreign_keys(db.path, "consortium_backfill_review") == [("response_id", "responses", "id")]
    assert db.conn.execute("SELECT created_at, ended_at FROM consortium_runs").fetchall() == [
        ("2025-04-19T15:00:00.123+00:00", "2025-04-19T15:00:02.500+00:00")
    ]
    assert schema_and_rows(db.path, "responses") == before


def test_values_someone_else_wrote_go_back_to_a_flag_column_declared_without_default(tmp_path):
    """A hand-made is_arbiter_response with no DEFAULT: --replace-foreign sets the
    rows it regroups to NULL, what such a column holds for a never-grouped row."""
    db = LogsDB(tmp_path / "logs.db")
    db.conn.execute("ALTER TABLE responses ADD COLUMN consortium_id TEXT")
    db.conn.execute("ALTER TABLE responses ADD COLUMN is_arbiter_response INTEGER")
    plain = db.log("gpt-4o", "plain", "answer")
    run = db.run("cons", "Question", [[("a", "a1"), ("b", "b1")]])
    db.conn.execute("UPDATE responses SET consortium_id = 'mine', is_arbiter_response = 0 WHERE id IN (?, ?)",
                    [plain, run["output"]])
    db.conn.commit()
    models = tmp_path / "models.txt"
    models.write_text("cons\n")
    left = cli("backfill", "-d", db.path, "-m", models)
    assert left.exit_code == 0, left.output
    assert db.conn.execute("SELECT consortium_id FROM responses WHERE id = ?", [plain]).fetchone() == ("mine",)
    replaced = cli("backfill", "-d", db.path, "-m", models, "--replace-foreign")
    assert replaced.exit_code == 0, replaced.output
    rows = dict(db.conn.execute("SELECT id, is_arbiter_response FROM responses WHERE consortium_id IS NULL"))
    assert rows == {plain: None}
    assert columns(db.path)["is_arbiter_response"] == ("INTEGER", None)
