"""make verify: passes on sound databases, names each kind of damage and exits 1."""
import pytest

from conftest import cli, grouped, run_backfill


def verify(db, *args):
    return cli("verify", "-d", db.path, "--models-file", db.path.parent / "models.txt", *args)


@pytest.fixture
def backfilled(logs_db):
    first = logs_db.run("cons", "First", [[("a", "f1"), ("b", "f2")], [("a", "f3"), ("b", "f4")]])
    second = logs_db.run("cons", "Second", [[("a", "s1"), ("b", "s2")]])
    run_backfill(logs_db.path, logs_db.path.parent / "models.txt")
    return logs_db, first, second


def test_not_yet_backfilled_database_passes_and_says_so(logs_db):
    logs_db.run("cons", "Untouched", [[("a", "u1")]])
    result = verify(logs_db)
    assert result.exit_code == 0
    assert "not backfilled yet" in result.output


def test_backfilled_database_passes_with_counts_by_flag(backfilled):
    db, _, _ = backfilled
    result = verify(db)
    assert result.exit_code == 0, result.output
    assert "2 runs" in result.output
    assert "is_arbiter_response = 0: 8 rows" in result.output
    assert "is_arbiter_response = 2: 1 rows" in result.output
    assert "OK: no violations" in result.output


def damage(db, sql, *params):
    db.conn.execute(sql, params)
    db.conn.commit()


def test_two_final_arbiters_in_one_run(backfilled):
    db, first, _ = backfilled
    damage(db, "UPDATE responses SET is_arbiter_response = 1 WHERE id = ?", first["intermediate"][0])
    result = verify(db)
    assert result.exit_code == 1
    assert "VIOLATION one final arbiter" in result.output
    assert "2 rows with is_arbiter_response = 1" in result.output


def test_member_moved_to_another_run(backfilled):
    db, first, second = backfilled
    other = grouped(db.path)[second["output"]][0]
    damage(db, "UPDATE responses SET consortium_id = ? WHERE id = ?", other, first["members"][0])
    result = verify(db)
    assert result.exit_code == 1
    assert f"VIOLATION member quoted: run {other} row {first['members'][0]}" in result.output


def test_intermediate_flag_on_a_row_without_arbiter_prompt(backfilled):
    db, first, _ = backfilled
    damage(db, "UPDATE responses SET is_arbiter_response = 2 WHERE id = ?", first["members"][1])
    result = verify(db)
    assert result.exit_code == 1
    assert "VIOLATION arbiter prompt" in result.output
    assert first["members"][1] in result.output


def test_output_row_separated_from_its_final_arbiter(backfilled):
    db, _, second = backfilled
    damage(db, "UPDATE responses SET consortium_id = NULL WHERE id = ?", second["output"])
    result = verify(db)
    assert result.exit_code == 1
    assert "the row after the final arbiter is not in its run" in result.output


def test_run_longer_than_the_window(backfilled):
    db, first, _ = backfilled
    damage(db, "UPDATE responses SET datetime_utc = '2025-04-19T09:00:00' WHERE id = ?", first["members"][0])
    result = verify(db)
    assert result.exit_code == 1
    assert "VIOLATION window" in result.output
    assert verify(db, "--window", "12h").exit_code == 0


def test_a_flag_that_is_not_0_1_or_2(backfilled):
    db, first, _ = backfilled
    damage(db, "UPDATE responses SET is_arbiter_response = 3 WHERE id = ?", first["intermediate"][0])
    result = verify(db)
    assert result.exit_code == 1
    assert f"VIOLATION flag value: run {grouped(db.path)[first['output']][0]} row {first['intermediate'][0]}: " \
           "is_arbiter_response is 3, not 0, 1 or 2" in result.output


def test_a_member_logged_after_its_final_arbiter(backfilled):
    """Its answer is the one quoted, but it was logged after the arbiter that quotes it."""
    db, first, _ = backfilled
    late = db.log("a", "<prompt>First</prompt>", "f1")
    consortium_id = grouped(db.path)[first["output"]][0]
    damage(db, "UPDATE responses SET consortium_id = ?, is_arbiter_response = 0 WHERE id = ?", consortium_id, late)
    result = verify(db)
    assert result.exit_code == 1
    assert f"VIOLATION member quoted: run {consortium_id} row {late}: member logged after its final arbiter" \
        in result.output


def test_a_consortium_deleted_since_is_judged_by_what_the_backfill_recorded(logs_db):
    logs_db.conn.executescript(
        "CREATE TABLE consortium_configs (name TEXT PRIMARY KEY, config TEXT, created_at TEXT);"
        "INSERT INTO consortium_configs (name) VALUES ('cons'), ('kept');"
    )
    run = logs_db.run("cons", "Question", [[("a", "a1"), ("b", "b1")]])
    assert cli("backfill", "-d", logs_db.path, "--no-backup").exit_code == 0
    damage(logs_db, "DELETE FROM consortium_configs WHERE name = 'cons'")
    result = cli("verify", "-d", logs_db.path)
    assert result.exit_code == 0, result.output
    damage(logs_db, "UPDATE responses SET model = 'kept' WHERE id = ?", run["output"])
    result = cli("verify", "-d", logs_db.path)
    assert result.exit_code == 1
    assert "has model kept, not the recorded consortium cons" in result.output


def test_groups_written_by_someone_else_are_counted_never_judged(backfilled):
    """verify judges the runs the backfill recorded, whatever else holds a consortium_id:
    here a judge whose output quotes nothing, and an automatic-context follow-up
    whose other arbiter is in another llm conversation."""
    from builder import arbiter_prompt
    from test_formats_2025 import judge_prompt

    db, _, _ = backfilled
    judge = db.log("stub-arbiter", judge_prompt("pick_one_prompt", "Theirs?", [("a", "one")]), "<winner>1</winner>")
    judged = db.log("cons", "Theirs?", "an answer no member gave")
    earlier = db.log("stub-arbiter", arbiter_prompt("Theirs too?", [("a", "x")]), "first")
    follow_up = db.log(
        "stub-arbiter",
        "Here are the refined responses from the models:\n\n<model_response>\n<model>a</model>\n"
        "<confidence>0.5</confidence>\n<response>y</response>\n</model_response>\n\n"
        "Please evaluate these new responses based on the original prompt and your previous feedback.",
        "second",
    )
    chained = db.log("cons", "Theirs too?", "second")
    for group, rows in (("theirs-1", [(judge, 1), (judged, 0)]), ("theirs-2", [(earlier, 2), (follow_up, 1), (chained, 0)])):
        for row_id, flag in rows:
            damage(db, "UPDATE responses SET consortium_id = ?, is_arbiter_response = ? WHERE id = ?", group, flag, row_id)
    result = verify(db)
    assert result.exit_code == 0, result.output
    assert ("  not checked: 5 rows whose consortium_id this tool did not write"
            " (backfill --replace-foreign regroups them)\n") in result.output


def test_verify_reads_the_grouped_rows_in_short_rowid_ranges_and_finds_the_same(backfilled, monkeypatch):
    """responses has no index on consortium_id (building one holds the write lock through a
    read of the whole table): verify reads the grouped rows a short range at a time."""
    from consortium_backfill import analysis, verify as verifying

    db, first, _ = backfilled
    damage(db, "UPDATE responses SET is_arbiter_response = 5 WHERE id = ?", first["members"][0])
    whole = verify(db)
    assert whole.exit_code == 1 and "flag value" in whole.output
    reads = []
    run_sql = verifying.run_sql
    monkeypatch.setattr(verifying, "run_sql", lambda conn, name, *args: (
        reads.append(args[0]) if name == "grouped_rows_read" else None) or run_sql(conn, name, *args))
    monkeypatch.setattr(analysis, "ROWS_PER_READ", 3)
    paged = verify(db)
    rows = db.conn.execute("SELECT max(rowid) FROM responses").fetchone()[0]
    assert [(r["low"], r["high"]) for r in reads] == [(low, min(low + 3, rows)) for low in range(0, rows, 3)]
    assert paged.output == whole.output


def test_a_database_backfilled_before_runs_had_a_source(backfilled):
    """A backfill by a version from before consortium_logs.db (no `source` column):
    verify checks its runs as recovered from prompts, and still finds damage."""
    db, first, _ = backfilled
    damage(db, "ALTER TABLE consortium_runs DROP COLUMN source")
    result = verify(db)
    assert result.exit_code == 0, result.output
    assert "2 runs recovered from prompts in logs.db, 0 linked from consortium_logs.db" in result.output
    damage(db, "UPDATE responses SET is_arbiter_response = 1 WHERE id = ?", first["members"][0])
    result = verify(db)
    assert result.exit_code == 1
    assert "VIOLATION" in result.output
