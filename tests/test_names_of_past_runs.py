"""Names without a models file: the consortiums runs were recorded under, deleted or not."""
import sqlite3

from builder import LogsDB
from conftest import grouped, run_backfill


def test_a_later_backfill_needs_no_models_file(logs_db):
    first = logs_db.run("cons", "First", [[("a", "f1"), ("b", "f2")]])
    run_backfill(logs_db.path, logs_db.path.parent / "models.txt")
    later = logs_db.run("cons", "Later", [[("a", "l1"), ("b", "l2")]])
    result = run_backfill(logs_db.path)  # no --models-file, no consortium_configs
    assert "Runs grouped: 1" in result.output
    rows = grouped(logs_db.path)
    assert rows[later["output"]][0] == rows[later["final"]][0] != rows[first["output"]][0]


def test_llm_consortiums_own_runs_table_names_a_deleted_consortium(tmp_path):
    db = LogsDB(tmp_path / "logs.db")
    # A version of llm-consortium that kept its runs in logs.db; the config itself is gone.
    db.conn.executescript(
        "CREATE TABLE consortium_runs (id TEXT PRIMARY KEY, config_name TEXT, strategy TEXT);"
        "INSERT INTO consortium_runs VALUES ('theirs', 'cons', 'default');"
    )
    db.conn.commit()
    run = db.run("cons", "Deleted since", [[("a", "d1"), ("b", "d2")]])
    result = run_backfill(db.path)
    assert "Runs grouped: 1" in result.output
    assert run["output"] in grouped(db.path)
    conn = sqlite3.connect(db.path)
    assert conn.execute("SELECT * FROM consortium_runs").fetchall() == [("theirs", "cons", "default")]
