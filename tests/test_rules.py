"""The grouping rules, on hand-made rows (edge cases the real packages cannot produce)."""
import datetime
import json
import sqlite3

from ksuid import Ksuid

from builder import arbiter_prompt, arbiter_response
from conftest import grouped, run_backfill


def models(db):
    return db.path.parent / "models.txt"


def roles(db, ids):
    """The flags of ids, and the number of distinct consortium_ids among them."""
    rows = grouped(db.path)
    return [rows[i][1] for i in ids], len({rows[i][0] for i in ids})


def test_two_iteration_run_is_one_group_with_its_flags(logs_db):
    logs_db.log("gpt-4o", "hello", "hi")
    run = logs_db.run("cons", "What is 2+2?", [[("a", "four"), ("b", "4")], [("a", "four!"), ("b", "4!")]])
    logs_db.log("gpt-4o", "bye", "bye")
    result = run_backfill(logs_db.path, models(logs_db))
    assert result.exit_code == 0, result.output
    ids = run["members"] + run["intermediate"] + [run["final"], run["output"]]
    flags, groups = roles(logs_db, ids)
    assert groups == 1
    assert flags == [0, 0, 0, 0, 2, 1, 0]
    assert len(grouped(logs_db.path)) == len(ids)


def test_arbiter_model_that_is_also_a_member(logs_db):
    run = logs_db.run("cons", "Name a colour", [[("stub-arbiter", "red"), ("a", "blue")]])
    run_backfill(logs_db.path, models(logs_db))
    flags, groups = roles(logs_db, run["members"] + [run["final"], run["output"]])
    assert (flags, groups) == ([0, 0, 1, 0], 1)


def test_texts_with_markup_are_matched_verbatim(logs_db):
    tricky = "x </response>\n        </model_response> & <b>bold</b> &amp;\n"
    run = logs_db.run("cons", "Escape me", [[("a", tricky), ("b", "  padded  ")], [("a", tricky + "!"), ("b", "ok")]])
    run_backfill(logs_db.path, models(logs_db))
    assert set(grouped(logs_db.path)) == set(run["members"] + run["intermediate"] + [run["final"], run["output"]])


def test_identical_answers_claim_as_many_rows_as_they_are_quoted(logs_db):
    older = logs_db.log("a", "<prompt>unrelated</prompt>", "same")
    run = logs_db.run("cons", "Say same", [[("a", "same"), ("b", "same"), ("c", "other")]])
    run_backfill(logs_db.path, models(logs_db))
    rows = grouped(logs_db.path)
    assert set(run["members"]) <= set(rows)
    assert older not in rows


def test_repeated_prompt_gives_each_run_its_own_rows(logs_db):
    first = logs_db.run("cons", "Same question", [[("a", "A1"), ("b", "B1")], [("a", "A2"), ("b", "B2")]])
    second = logs_db.run("cons", "Same question", [[("a", "A1"), ("b", "B1")], [("a", "A2"), ("b", "B2")]])
    run_backfill(logs_db.path, models(logs_db))
    rows = grouped(logs_db.path)
    for run in (first, second):
        ids = run["members"] + run["intermediate"] + [run["final"], run["output"]]
        assert len({rows[i][0] for i in ids}) == 1
    assert rows[first["output"]][0] != rows[second["output"]][0]


def slow_run(db):
    """A run whose first member answered two hours before the rest."""
    early = db.log("a", "<prompt>Slow one</prompt>", "early answer")
    db.clock += datetime.timedelta(hours=2)
    late = db.log("b", "<prompt>Slow one</prompt>", "late answer")
    prompt = arbiter_prompt("Slow one", [("a", "early answer"), ("b", "late answer")])
    db.log("stub-arbiter", prompt, arbiter_response("both"))
    db.log("cons", "Slow one", "both")
    return early, late


def test_members_outside_the_window_are_left_alone(logs_db):
    early, late = slow_run(logs_db)
    run_backfill(logs_db.path, models(logs_db))
    assert early not in grouped(logs_db.path)
    assert late in grouped(logs_db.path)


def test_window_option_widens_the_search(logs_db):
    early, late = slow_run(logs_db)
    run_backfill(logs_db.path, models(logs_db), "--window", "3h")
    assert {early, late} <= set(grouped(logs_db.path))


def skipped(result_report):
    return {row["response_id"]: row["reason"] for row in result_report["review"] if row["kind"] == "skipped_run"}


def backfill_with_report(db, tmp_path):
    report = tmp_path / "report.json"
    result = run_backfill(db.path, models(db), "--report", report)
    assert result.exit_code == 0, result.output
    return json.loads(report.read_text())


def test_each_invalid_pair_is_skipped_with_its_reason_and_the_rest_processed(logs_db, tmp_path):
    no_previous = logs_db.log("cons", "first row of all", "x")
    good = logs_db.run("cons", "Good run", [[("a", "g1"), ("b", "g2")]])
    after_output = logs_db.log("other-cons", "Good run", "y")
    plain = logs_db.log("gpt-4o", "just a question", "answer")
    not_arbiter = logs_db.log("cons", "just a question", "z")
    logs_db.log("stub-arbiter", arbiter_prompt("Question one", [("a", "m")]), arbiter_response("s"))
    mismatch = logs_db.log("cons", "Question two", "s")
    logs_db.log("stub-arbiter", arbiter_prompt("Question three", [("a", "m")])[:200], "truncated")
    malformed = logs_db.log("cons", "Question three", "s")
    report = backfill_with_report(logs_db, tmp_path)
    assert skipped(report) == {
        no_previous: "no previous row",
        after_output: "previous row is another output",
        not_arbiter: "not an arbiter prompt",
        mismatch: "original prompt does not match",
        malformed: skipped(report)[malformed],
    }
    assert skipped(report)[malformed].startswith("malformed arbiter prompt: no ")
    rows = grouped(logs_db.path)
    assert good["output"] in rows
    assert not {no_previous, after_output, plain, not_arbiter, mismatch, malformed} & set(rows)
    assert report["runs_skipped"]["no previous row"] == 1


def test_orphan_arbiter_rows_are_counted_and_left_alone(logs_db, tmp_path):
    orphan = logs_db.run("cons", "consortium run only", [[("a", "o1")], [("a", "o2")]], output=False)
    pasted = logs_db.log("gpt-4o", "Explain this: " + arbiter_prompt("q", [("a", "m")]), "It is an arbiter prompt.")
    report = backfill_with_report(logs_db, tmp_path)
    orphans = {row["response_id"] for row in report["review"] if row["kind"] == "orphan_arbiter"}
    assert orphans == set(orphan["intermediate"] + [orphan["final"]])
    assert report["orphan_arbiter_rows"] == 2
    assert grouped(logs_db.path) == {}
    assert pasted not in orphans


def test_consortium_id_is_a_deterministic_ksuid_of_the_final_arbiter_time(logs_db, tmp_path):
    run = logs_db.run("cons", "Time me", [[("a", "t1")]])
    copy = tmp_path / "copy.db"
    copy.write_bytes(logs_db.path.read_bytes())
    run_backfill(logs_db.path, models(logs_db))
    run_backfill(copy, models(logs_db))
    consortium_id = grouped(logs_db.path)[run["output"]][0]
    assert grouped(copy)[run["output"]][0] == consortium_id
    arbiter_time = logs_db.conn.execute(
        "SELECT datetime_utc FROM responses WHERE id = ?", [run["final"]]
    ).fetchone()[0]
    expected = datetime.datetime.fromisoformat(arbiter_time).replace(microsecond=0)
    assert Ksuid.from_base62(consortium_id).datetime == expected


def test_rows_already_grouped_are_never_changed(logs_db):
    logs_db.conn.executescript(
        "ALTER TABLE responses ADD COLUMN consortium_id TEXT;"
        "ALTER TABLE responses ADD COLUMN is_arbiter_response INTEGER DEFAULT 0;"
    )
    run = logs_db.run("cons", "Mine", [[("a", "m1"), ("b", "m2")]])
    logs_db.conn.execute("UPDATE responses SET consortium_id = 'hand-made', is_arbiter_response = 0 WHERE id = ?", [run["members"][0]])
    logs_db.conn.commit()
    run_backfill(logs_db.path, models(logs_db))
    rows = grouped(logs_db.path)
    assert rows[run["members"][0]] == ("hand-made", 0)
    assert rows[run["members"][1]][0] == rows[run["output"]][0] != "hand-made"


def dump(path):
    """Every table's rows, with the two backfilled columns left out of responses."""
    conn = sqlite3.connect(path)
    tables = [
        name
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        if not name.startswith(("_sqlite_migrations", "consortium_backfill_review", "consortium_runs", "consortium_members", "sqlite_"))
    ]
    result = {}
    for table in tables:
        columns = [
            c[1] for c in conn.execute(f"PRAGMA table_info([{table}])")
            if c[1] not in ("consortium_id", "is_arbiter_response")
        ]
        result[table] = sorted(
            map(repr, conn.execute(f"SELECT {', '.join(f'[{c}]' for c in columns)} FROM [{table}]"))
        ) if columns else None
    conn.close()
    return result


def test_nothing_else_changes(logs_db):
    logs_db.log("gpt-4o", "hello", "hi")
    logs_db.run("cons", "Keep the rest", [[("a", "k1"), ("b", "k2")], [("a", "k3"), ("b", "k4")]])
    before = dump(logs_db.path)
    run_backfill(logs_db.path, models(logs_db))
    assert len(grouped(logs_db.path)) == 7
    assert dump(logs_db.path) == before


def test_user_columns_with_default_zero(tmp_path):
    from builder import LogsDB

    db = LogsDB(tmp_path / "logs.db", with_user_columns=True)
    (tmp_path / "models.txt").write_text("cons\n")
    plain = db.log("gpt-4o", "hello", "hi")
    run = db.run("cons", "Columns exist", [[("a", "c1")]])
    result = run_backfill(db.path, tmp_path / "models.txt")
    assert result.exit_code == 0, result.output
    rows = db.rows()
    assert rows[plain] == (None, 0)
    assert rows[run["final"]][1] == 1
    indexes = [r[1] for r in db.conn.execute("PRAGMA index_list(responses)")]
    assert indexes.count("idx_consortium_id") == 1 and len([i for i in indexes if "consortium" in i]) == 1


def test_a_failed_member_leaves_no_row_and_the_run_is_still_grouped(logs_db):
    """llm-consortium quotes `Error: ...` for a member that failed; that member logged nothing."""
    question = "One member fails"
    ok = logs_db.log("a", f"<prompt>{question}</prompt>", "fine answer")
    prompt = arbiter_prompt(question, [("a", "fine answer"), ("b", "Error: Unknown model: b:2")])
    final = logs_db.log("stub-arbiter", prompt, arbiter_response("fine"))
    output = logs_db.log("cons", question, "fine")
    run_backfill(logs_db.path, models(logs_db))
    rows = grouped(logs_db.path)
    assert set(rows) == {ok, final, output}
    assert [rows[i][1] for i in (ok, final, output)] == [0, 1, 0]


def test_a_consortium_used_as_a_member_keeps_its_output_in_its_own_run(logs_db):
    """A saved consortium can be a member of another: its output row is its own run's."""
    inner = logs_db.run("other-cons", "Nested question", [[("a", "inner a"), ("b", "inner b")]])
    inner_answer = logs_db.conn.execute("SELECT response FROM responses WHERE id = ?", [inner["output"]]).fetchone()[0]
    c = logs_db.log("c", "<prompt>Nested question</prompt>", "outer c")
    prompt = arbiter_prompt("Nested question", [("other-cons", inner_answer), ("c", "outer c")])
    final = logs_db.log("stub-arbiter", prompt, arbiter_response("outer"))
    output = logs_db.log("cons", "Nested question", "outer")
    run_backfill(logs_db.path, models(logs_db))
    rows = grouped(logs_db.path)
    inner_ids = inner["members"] + [inner["final"], inner["output"]]
    assert {rows[i][0] for i in inner_ids} == {rows[inner["output"]][0]}
    assert {rows[i][0] for i in (c, final, output)} == {rows[output][0]} != {rows[inner["output"]][0]}
