"""Runs as tables (llm-consortium 0.8's shape), and explain."""
import sqlite3

from builder import LogsDB
from conftest import cli, grouped, grouped_runs, run_backfill

def three_iterations(db):
    db.log("gpt-4o", "hello", "hi")
    return db.run(
        "cons",
        "Three rounds",
        [[("a", "a1"), ("b", "b1")], [("a", "a2"), ("b", "b2")], [("a", "a3"), ("b", "b3")]],
    )


def test_runs_and_members_tables(logs_db):
    run = three_iterations(logs_db)
    run_backfill(logs_db.path, logs_db.path.parent / "models.txt")
    conn = logs_db.conn
    conn.row_factory = sqlite3.Row
    (row,) = conn.execute("SELECT * FROM consortium_runs").fetchall()
    assert row["config_name"] == "cons"
    assert row["iteration_count"] == 3 and row["member_count"] == 6
    assert row["output_response_id"] == run["output"] and row["final_arbiter_response_id"] == run["final"]
    assert row["user_prompt"] == "Three rounds" and row["arbiter_model"] == "stub-arbiter"
    assert row["created_at"] < row["ended_at"]
    members = {
        r["response_id"]: (r["role"], r["iteration"], r["member_index"])
        for r in conn.execute("SELECT * FROM consortium_members WHERE run_id = ?", [row["id"]])
    }
    assert members == {
        **{m: ("member", i // 2 + 1, i % 2 + 1) for i, m in enumerate(run["members"])},
        run["intermediate"][0]: ("intermediate_arbiter", 1, None),
        run["intermediate"][1]: ("intermediate_arbiter", 2, None),
        run["final"]: ("final_arbiter", 3, None),
        run["output"]: ("final_output", 3, None),
    }


def test_existing_tables_of_the_same_name_are_left_alone(tmp_path):
    db = LogsDB(tmp_path / "logs.db")
    (tmp_path / "models.txt").write_text("cons\n")
    db.conn.executescript(
        "CREATE TABLE consortium_runs (id TEXT PRIMARY KEY, strategy TEXT);"
        "INSERT INTO consortium_runs VALUES ('theirs', 'default');"
    )
    run = three_iterations(db)
    run_backfill(db.path, tmp_path / "models.txt")
    assert db.conn.execute("SELECT * FROM consortium_runs").fetchall() == [("theirs", "default")]
    assert db.conn.execute("SELECT count(*) FROM backfill_consortium_members").fetchone()[0] == 10
    result = cli("explain", run["members"][0], "-d", db.path)
    assert "is the member (iteration 1 of 3, member 1)" in result.output


def test_explain_a_member_of_the_first_of_three_iterations(logs_db):
    run = three_iterations(logs_db)
    models = logs_db.path.parent / "models.txt"
    pending = cli("explain", run["members"][0], "-d", logs_db.path, "--models-file", models)
    assert pending.exit_code == 0
    assert pending.output.startswith("Not grouped yet")
    run_backfill(logs_db.path, models)
    result = cli("explain", run["members"][0], "-d", logs_db.path)
    consortium_id = grouped(logs_db.path)[run["members"][0]][0]
    assert result.output.splitlines()[0] == (
        f"{run['members'][0]} is the member (iteration 1 of 3, member 1) of run {consortium_id} (cons)."
    )
    assert f"quoted in the <iteration_history> of final arbiter {run['final']}" in result.output
    assert pending.output.splitlines()[1:] == result.output.splitlines()


def test_explain_rows_in_no_run(logs_db):
    plain = logs_db.log("gpt-4o", "hello", "hi")
    orphan = logs_db.run("cons", "No output", [[("a", "x1")]], output=False)
    models = logs_db.path.parent / "models.txt"
    run_backfill(logs_db.path, models)
    assert "its model is not a consortium name" in cli("explain", plain, "-d", logs_db.path, "--models-file", models).output
    out = cli("explain", orphan["final"], "-d", logs_db.path, "--models-file", models).output
    assert "arbiter prompt in no run" in out and "--include-orphans" in out
    missing = cli("explain", "nope", "-d", logs_db.path)
    assert missing.exit_code == 2 and "no responses or turns row with id nope" in missing.output


def test_include_orphans_gives_each_chain_its_own_run(logs_db):
    orphan = logs_db.run("cons", "No output", [[("a", "o1"), ("b", "o2")], [("a", "o3"), ("b", "o4")]], output=False)
    result = run_backfill(logs_db.path, logs_db.path.parent / "models.txt", "--include-orphans")
    assert "arbiter chains with no output row (--include-orphans): 1" in result.output
    rows = grouped(logs_db.path)
    ids = orphan["members"] + orphan["intermediate"] + [orphan["final"]]
    assert {rows[i][0] for i in ids} == {rows[orphan["final"]][0]}
    assert [rows[i][1] for i in ids] == [0, 0, 0, 0, 2, 1]
    conn = logs_db.conn
    assert conn.execute("SELECT output_response_id, config_name FROM consortium_runs").fetchall() == [(None, None)]
    assert cli("verify", "-d", logs_db.path).exit_code == 0
