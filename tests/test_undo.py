"""undo: the two columns and the project's tables as they were, every row logged since kept."""
import hashlib
import re
import sqlite3

import pytest

from builder import LogsDB
from consortium_backfill.functions import table_exists
from conftest import cli, grouped, run_backfill
from test_safety import assert_refused, some_runs

PROJECT_TABLES = ("consortium_runs", "consortium_members", "consortium_backfill_review")


def snapshot(path):
    """rowid -> sha256 of every column of responses, and each project table's rows."""
    conn = sqlite3.connect(path)
    try:
        rows = {
            row[0]: hashlib.sha256(repr(row[1:]).encode()).hexdigest()
            for row in conn.execute("SELECT rowid, * FROM responses")
        }
        tables = {
            table: sorted(map(repr, conn.execute(f"SELECT * FROM [{table}]")))
            for table in PROJECT_TABLES
            if table_exists(conn, table)
        }
        return rows, tables
    finally:
        conn.close()


@pytest.fixture
def db(tmp_path):
    """The user's own columns by hand, a LIKE-matched flag left by an earlier attempt, a review row."""
    db = LogsDB(tmp_path / "logs.db", with_user_columns=True)
    (tmp_path / "models.txt").write_text("cons\n")
    some_runs(db, 3)
    member = db.conn.execute("SELECT id FROM responses WHERE model = 'a' ORDER BY rowid LIMIT 1").fetchone()[0]
    db.conn.execute("UPDATE responses SET is_arbiter_response = 1 WHERE id = ?", [member])
    db.log("stub-arbiter", "<arbiter_prompt> pasted, no run", "x")
    db.conn.commit()
    yield db
    db.conn.close()


def test_undo_after_new_rows_restores_exactly_and_keeps_them(db, tmp_path):
    models = tmp_path / "models.txt"
    assert cli("migrate", "-d", db.path).exit_code == 0
    before_rows, before_tables = snapshot(db.path)
    # The LIKE-matched flag is a value this tool did not write: only
    # --replace-foreign regroups its row, and undo must put the flag back too.
    run_backfill(db.path, models, "--replace-foreign")
    assert len(grouped(db.path)) == 21
    new_run = db.run("cons", "Logged after the backfill", [[("a", "new a"), ("b", "new b")]])
    new_plain = db.log("gpt-4o", "after", "answer")
    after_new_rows, _ = snapshot(db.path)
    result = cli("undo", "-d", db.path)
    assert result.exit_code == 0, result.output
    assert "rows restored" in result.output
    rows, tables = snapshot(db.path)
    assert {rid: rows[rid] for rid in before_rows} == before_rows
    assert {rid: rows[rid] for rid in rows if rid not in before_rows} == {
        rid: after_new_rows[rid] for rid in after_new_rows if rid not in before_rows
    }
    assert len(rows) == len(before_rows) + 5
    assert tables == before_tables
    # The next backfill groups everything again, the new run included.
    run_backfill(db.path, models)
    assert set(new_run["members"] + [new_run["final"], new_run["output"]]) <= set(grouped(db.path))
    assert new_plain not in grouped(db.path)
    assert cli("verify", "-d", db.path, "-m", models).exit_code == 0


def test_history_lists_backfills_and_undo_goes_back_one_at_a_time(db, tmp_path):
    models = tmp_path / "models.txt"
    run_backfill(db.path, models)
    first = grouped(db.path)
    db.run("cons", "Second batch", [[("a", "second a")]])
    run_backfill(db.path, models)
    second = grouped(db.path)
    db.run("cons", "Third batch", [[("a", "third a")]])
    run_backfill(db.path, models)
    listed = cli("history", "-d", db.path).output.splitlines()
    assert [line.split()[0] for line in listed] == ["1", "2", "3"] and all("can be undone" in line for line in listed)
    assert_refused(cli("undo", "1", "-d", db.path), "undo the later backfills first: 2, 3")
    assert cli("undo", "-d", db.path).exit_code == 0
    assert grouped(db.path) == second
    refused = cli("undo", "1", "-d", db.path)
    assert_refused(refused, "undo the later backfills first: 2")
    assert refused.output.strip().endswith("first: 2"), refused.output
    assert cli("undo", "-d", db.path).exit_code == 0
    assert grouped(db.path) == first
    first_line, second_line, third_line = cli("history", "-d", db.path).output.splitlines()
    assert first_line.endswith("(can be undone)")
    for number, line in (("2", second_line), ("3", third_line)):
        assert re.fullmatch(number + r"  \S+  .*: \d+ changes  \(undone 20\d\d-\d\d-\d\dT[\d:.]+\+00:00\)", line), line
    assert cli("undo", "1", "-d", db.path).exit_code == 0
    assert grouped(db.path) == {}
    assert_refused(cli("undo", "-d", db.path), "nothing to undo")


def test_only_the_first_backfill_copies_the_whole_file(db, tmp_path):
    """Later runs are covered by the change log: no full copy that makes a running llm wait."""
    models = tmp_path / "models.txt"
    first = cli("backfill", "-d", db.path, "-m", models)
    assert first.exit_code == 0 and len(list(tmp_path.glob("logs.backup-*.db"))) == 1
    db.run("cons", "Later", [[("a", "later a")]])
    later = cli("backfill", "-d", db.path, "-m", models)
    assert later.exit_code == 0 and "Backup:" not in later.output
    assert len(list(tmp_path.glob("logs.backup-*.db"))) == 1
    db.run("cons", "Later still", [[("a", "later still a")]])
    asked = cli("backfill", "-d", db.path, "-m", models, "--backup-path", tmp_path / "asked.db")
    assert asked.exit_code == 0 and (tmp_path / "asked.db").exists()


def test_after_an_undo_the_next_backfill_finds_the_undone_runs_again(db, tmp_path):
    models = tmp_path / "models.txt"
    run_backfill(db.path, models)
    first = grouped(db.path)
    db.run("cons", "Second batch", [[("a", "second a"), ("b", "second b")]])
    run_backfill(db.path, models)
    second = grouped(db.path)
    assert len(second) == len(first) + 4
    assert cli("undo", "-d", db.path).exit_code == 0
    # Where the undone backfill stopped is undone too: the next one starts
    # where the first stopped, and reads the undone run as new.
    again = run_backfill(db.path, models)
    assert "Pass: incremental" in again.output and "Runs grouped: 1" in again.output, again.output
    assert grouped(db.path) == second
    for _ in range(2):
        assert cli("undo", "-d", db.path).exit_code == 0
    assert grouped(db.path) == {}
    again = run_backfill(db.path, models)
    assert "Pass: full, every row (first backfill of this database)" in again.output, again.output
    assert grouped(db.path) == second
