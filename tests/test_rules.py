"""The grouping rules, on hand-made rows (edge cases the real packages cannot produce)."""
import datetime
import json
import sqlite3

import pytest
from ksuid import Ksuid

from builder import arbiter_prompt, arbiter_response
from consortium_backfill import analysis, formats
from conftest import file_hash, grouped, run_backfill


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
        malformed: "malformed arbiter prompt: no </iteration_history></arbiter_prompt>",
    }
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
    """Every table's rows but the project's own, with the two backfilled columns left out of responses."""
    conn = sqlite3.connect(path)
    tables = [
        name
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        if not name.startswith(("_sqlite_migrations", "consortium_backfill_", "consortium_runs", "consortium_members", "sqlite_"))
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


def test_a_row_that_is_both_member_and_intermediate_arbiter_is_an_intermediate_arbiter(logs_db):
    """The iteration-1 synthesis is also quoted as an iteration-2 answer whose own row is missing."""
    question = "Both roles"
    first = [("a", "a1"), ("b", "b1")]
    members = [logs_db.log(model, f"<prompt>{question}</prompt>", text) for model, text in first]
    # No <synthesis> tags: the synthesis is the whole response.
    intermediate = logs_db.log("stub-arbiter", arbiter_prompt(question, first), "plain synthesis")
    members.append(logs_db.log("a", f"<prompt>{question} again</prompt>", "a2"))
    second = [("a", "a2"), ("b", "plain synthesis")]
    final = logs_db.log("stub-arbiter", arbiter_prompt(question, second, [(first, "plain synthesis")]),
                        arbiter_response("done"))
    output = logs_db.log("cons", question, "done")
    run_backfill(logs_db.path, models(logs_db))
    flags, groups = roles(logs_db, members + [intermediate, final, output])
    assert (flags, groups) == ([0, 0, 0, 2, 1, 0], 1)


def test_member_indexes_rank_the_members_of_each_iteration_only(logs_db):
    """member_index is a member's rank among its iteration's members, 1 to n, even when a
    row claimed for an iteration was logged after that iteration's arbiter (here a stray
    copy of an iteration-1 answer, nearer to the final arbiter than the member's own row)."""
    question = "Ranked"
    first = [("a", "a1"), ("b", "b1")]
    for model, text in first:
        logs_db.log(model, f"<prompt>{question}</prompt>", text)
    logs_db.log("stub-arbiter", arbiter_prompt(question, first), arbiter_response("s1"))
    logs_db.log("b", question, "b1")
    second = [("a", "a2"), ("b", "b2")]
    for model, text in second:
        logs_db.log(model, f"<prompt>{question} again</prompt>", text)
    logs_db.log("stub-arbiter", arbiter_prompt(question, second, [(first, "s1")]), arbiter_response("done"))
    logs_db.log("cons", question, "done")
    run_backfill(logs_db.path, models(logs_db))
    indexes = {}
    for iteration, index in logs_db.conn.execute(
        "SELECT iteration, member_index FROM consortium_members WHERE role = 'member' ORDER BY response_id"
    ):
        indexes.setdefault(iteration, []).append(index)
    assert indexes == {1: [1, 2], 2: [1, 2]}


def test_an_output_whose_previous_row_is_already_grouped_is_skipped(logs_db, tmp_path):
    logs_db.conn.executescript(
        "ALTER TABLE responses ADD COLUMN consortium_id TEXT;"
        "ALTER TABLE responses ADD COLUMN is_arbiter_response INTEGER DEFAULT 0;"
    )
    run = logs_db.run("cons", "Grouped by hand", [[("a", "h1"), ("b", "h2")]])
    logs_db.conn.execute("UPDATE responses SET consortium_id = 'by-hand', is_arbiter_response = 1 WHERE id = ?",
                         [run["final"]])
    logs_db.conn.commit()
    good = logs_db.run("cons", "Untouched", [[("a", "u1")]])
    report = backfill_with_report(logs_db, tmp_path)
    assert skipped(report) == {run["output"]: "previous row already grouped"}
    rows = grouped(logs_db.path)
    assert not set(run["members"] + [run["output"]]) & set(rows)
    assert rows[run["final"]] == ("by-hand", 1)
    assert good["output"] in rows


def test_a_final_arbiter_without_readable_time_skips_its_run(logs_db, tmp_path):
    run = logs_db.run("cons", "No time", [[("a", "n1"), ("b", "n2")]])
    logs_db.conn.execute("UPDATE responses SET datetime_utc = 'yesterday' WHERE id = ?", [run["final"]])
    logs_db.conn.commit()
    good = logs_db.run("cons", "Has time", [[("a", "t1")]])
    report = backfill_with_report(logs_db, tmp_path)
    assert skipped(report) == {run["output"]: "final arbiter has no readable datetime_utc"}
    rows = grouped(logs_db.path)
    assert not set(run["members"] + [run["final"], run["output"]]) & set(rows)
    assert good["output"] in rows


def test_review_rows_leave_once_their_rows_are_grouped(logs_db, tmp_path):
    """A run of a consortium not named yet leaves orphan arbiters for review; once named, they are grouped and leave."""
    run = logs_db.run("later-cons", "Named later", [[("a", "l1"), ("b", "l2")], [("a", "l3"), ("b", "l4")]])
    run_backfill(logs_db.path, models(logs_db))

    def review():
        return dict(logs_db.conn.execute("SELECT response_id, kind FROM consortium_backfill_review"))

    assert review() == {run["intermediate"][0]: "orphan_arbiter", run["final"]: "orphan_arbiter"}
    (tmp_path / "more.txt").write_text("cons\nlater-cons\n")
    run_backfill(logs_db.path, tmp_path / "more.txt")
    assert set(run["members"] + run["intermediate"] + [run["final"], run["output"]]) == set(grouped(logs_db.path))
    assert review() == {}


@pytest.mark.parametrize("window", ["3h", "180m", "10800", "10800s", "1d", "0.2d", " 3 h "])
def test_window_formats_that_reach_the_slow_member(logs_db, window):
    early, late = slow_run(logs_db)
    run_backfill(logs_db.path, models(logs_db), "--window", window)
    assert {early, late} <= set(grouped(logs_db.path))


@pytest.mark.parametrize("window", ["1h", "90m", "5400", "0.05d"])
def test_window_formats_that_fall_short_of_it(logs_db, window):
    early, late = slow_run(logs_db)
    run_backfill(logs_db.path, models(logs_db), "--window", window)
    assert late in grouped(logs_db.path) and early not in grouped(logs_db.path)


@pytest.mark.parametrize("window", ["3 hours", "h", "-1h", "1w", ""])
def test_a_window_that_cannot_be_read_is_refused(logs_db, window):
    slow_run(logs_db)
    before = file_hash(logs_db.path)
    result = run_backfill(logs_db.path, models(logs_db), "--window", window, exit_code=2)
    assert "use seconds or a number with s, m, h or d" in result.output
    assert file_hash(logs_db.path) == before


def test_rows_logged_while_a_backfill_reads_wait_for_the_next_one(logs_db, monkeypatch):
    """The backfill works on the rows logged when it started: a run logged meanwhile is grouped whole, next time."""
    before = logs_db.run("cons", "Before", [[("a", "b1"), ("b", "b2")]])
    meanwhile = {}
    analyse = analysis.analyse

    def analyse_while_llm_logs(conn, params, *progress):
        meanwhile.update(logs_db.run("cons", "Meanwhile", [[("a", "w1"), ("b", "w2")]]))
        analyse(conn, params, *progress)

    monkeypatch.setattr(analysis, "analyse", analyse_while_llm_logs)
    run_backfill(logs_db.path, models(logs_db))
    monkeypatch.undo()
    late = meanwhile["members"] + [meanwhile["final"], meanwhile["output"]]
    assert set(before["members"] + [before["final"], before["output"]]) == set(grouped(logs_db.path))
    run_backfill(logs_db.path, models(logs_db))
    rows = grouped(logs_db.path)
    assert set(late) <= set(rows) and len({rows[i][0] for i in late}) == 1


def test_rows_are_read_in_ranges_of_5000(logs_db, monkeypatch):
    """So that a running llm, which waits 5 s for a lock, is never kept waiting by one long read."""
    logs_db.conn.executemany(
        "INSERT INTO responses (id, model, prompt, response, datetime_utc) VALUES (?, 'gpt-4o', 'q', 'a', ?)",
        [(f"01plain{n:020d}", logs_db.clock.isoformat()) for n in range(12_000)],
    )
    logs_db.conn.commit()
    run = logs_db.run("cons", "At the end", [[("a", "e1"), ("b", "e2")]])
    reads = []
    connect = sqlite3.connect

    class Recording(sqlite3.Connection):
        def execute(self, sql, *args):
            if "INSERT INTO candidates" in sql:
                reads.append((args[0]["low"], args[0]["high"]))
            return super().execute(sql, *args)

    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: connect(*a, **dict(k, factory=Recording)))
    run_backfill(logs_db.path, models(logs_db))
    monkeypatch.undo()
    last = logs_db.conn.execute("SELECT max(rowid) FROM responses").fetchone()[0]
    assert [low for low, _ in reads] == [0] + [high for _, high in reads[:-1]] and reads[-1][1] == last
    assert len(reads) >= 3 and max(high - low for low, high in reads) <= 5000
    assert run["output"] in grouped(logs_db.path)


def test_interleaved_runs_are_skipped_and_their_review_rows_name_the_likely_final_arbiters(logs_db, tmp_path):
    """Two runs finishing together in parallel processes: A's output lands after B's final arbiter."""
    for model, text in [("a", "A1"), ("b", "A2")]:
        logs_db.log(model, "<prompt>Question A</prompt>", text)
    a_final = logs_db.log("stub-arbiter", arbiter_prompt("Question A", [("a", "A1"), ("b", "A2")]),
                          arbiter_response("answer A"))
    for model, text in [("a", "B1"), ("b", "B2")]:
        logs_db.log(model, "<prompt>Question B</prompt>", text)
    b_final = logs_db.log("stub-arbiter", arbiter_prompt("Question B", [("a", "B1"), ("b", "B2")]),
                          arbiter_response("answer B"))
    a_output = logs_db.log("cons", "Question A", "answer A")
    b_output = logs_db.log("cons", "Question B", "answer B")
    report = backfill_with_report(logs_db, tmp_path)
    assert skipped(report) == {
        a_output: "original prompt does not match",
        b_output: "previous row is another output",
    }
    hints = {r["response_id"]: r["evidence"]["likely_final_arbiter_id"] for r in report["review"]
             if r["kind"] == "skipped_run"}
    assert hints == {a_output: a_final, b_output: b_final}
    assert grouped(logs_db.path) == {}


def test_the_likely_final_arbiter_is_the_nearest_of_those_that_fit(logs_db, tmp_path):
    """An attempt interrupted before its output asked the same question and got the same
    synthesis: of the two arbiter rows that fit the skipped output, the hint names the later."""
    interrupted = logs_db.run("cons", "Question A", [[("a", "A1"), ("b", "A2")]], output=False)
    for model, text in [("a", "A1"), ("b", "A2")]:
        logs_db.log(model, "<prompt>Question A</prompt>", text)
    a_final = logs_db.log("stub-arbiter", arbiter_prompt("Question A", [("a", "A1"), ("b", "A2")]),
                          arbiter_response("cons synthesis 1 of Question A"))
    logs_db.log("stub-arbiter", arbiter_prompt("Question B", [("a", "B1")]), arbiter_response("answer B"))
    a_output = logs_db.log("cons", "Question A", "cons synthesis 1 of Question A")
    report = backfill_with_report(logs_db, tmp_path)
    assert skipped(report) == {a_output: "original prompt does not match"}
    hints = {r["response_id"]: r["evidence"]["likely_final_arbiter_id"] for r in report["review"]
             if r["kind"] == "skipped_run"}
    assert hints == {a_output: a_final} and a_final != interrupted["final"]


def test_new_review_rows_are_written_when_there_is_nothing_to_group(logs_db):
    logs_db.run("cons", "Grouped first", [[("a", "g1")]])
    run_backfill(logs_db.path, models(logs_db))
    orphan = logs_db.run("cons", "consortium run only", [[("a", "o1")]], output=False)
    run_backfill(logs_db.path, models(logs_db))
    assert len(grouped(logs_db.path)) == 3
    review = dict(logs_db.conn.execute("SELECT response_id, kind FROM consortium_backfill_review"))
    assert review == {orphan["final"]: "orphan_arbiter"}


def test_a_full_pass_puts_back_review_rows_deleted_by_hand(logs_db):
    """Nothing new was logged, nothing to group: --full still writes the review rows it finds missing."""
    logs_db.run("cons", "Grouped first", [[("a", "g1")]])
    orphan = logs_db.run("cons", "consortium run only", [[("a", "o1")]], output=False)
    run_backfill(logs_db.path, models(logs_db))
    logs_db.conn.execute("DELETE FROM consortium_backfill_review")
    logs_db.conn.commit()
    run_backfill(logs_db.path, models(logs_db), "--full")
    review = dict(logs_db.conn.execute("SELECT response_id, kind FROM consortium_backfill_review"))
    assert review == {orphan["final"]: "orphan_arbiter"}


def test_with_include_orphans_members_outside_the_window_are_still_left_alone(logs_db):
    """--include-orphans hashes every row: the window must still bound each run."""
    early, late = slow_run(logs_db)
    run_backfill(logs_db.path, models(logs_db), "--include-orphans")
    assert late in grouped(logs_db.path) and early not in grouped(logs_db.path)


def test_a_hash_collision_never_makes_a_member(logs_db, monkeypatch):
    """Rows are joined on a 64-bit hash of their text, then compared: with a hash that
    collides for every text of the same length, a near look-alike is still left out."""
    from consortium_backfill.formats import reader

    weak = lambda text: None if text is None else len(text.encode() if isinstance(text, str) else text)
    monkeypatch.setattr(reader, "content_hash", weak)
    monkeypatch.setattr(formats, "content_hash", weak)
    question = "Collide"
    member = logs_db.log("a", f"<prompt>{question}</prompt>", "apple")
    decoy = logs_db.log("b", f"<prompt>{question}</prompt>", "mango")
    final = logs_db.log("stub-arbiter", arbiter_prompt(question, [("a", "apple")]), arbiter_response("fruit"))
    output = logs_db.log("cons", question, "fruit")
    run_backfill(logs_db.path, models(logs_db))
    assert set(grouped(logs_db.path)) == {member, final, output} and decoy not in grouped(logs_db.path)


def test_a_row_grouped_by_someone_else_during_the_backfill_is_not_overwritten(logs_db, monkeypatch):
    """The rows to write are found before the write lock: a row grouped meanwhile keeps its group."""
    from consortium_backfill import run as running

    logs_db.conn.executescript(
        "ALTER TABLE responses ADD COLUMN consortium_id TEXT;"
        "ALTER TABLE responses ADD COLUMN is_arbiter_response INTEGER DEFAULT 0;"
    )
    run = logs_db.run("cons", "Contended", [[("a", "c1"), ("b", "c2")]])
    write = running.write

    def write_after_someone_else(conn, *args, **kwargs):
        logs_db.conn.execute("UPDATE responses SET consortium_id = 'theirs' WHERE id = ?", [run["members"][0]])
        logs_db.conn.commit()
        return write(conn, *args, **kwargs)

    monkeypatch.setattr(running, "write", write_after_someone_else)
    run_backfill(logs_db.path, models(logs_db))
    rows = grouped(logs_db.path)
    assert rows[run["members"][0]] == ("theirs", 0)
    assert rows[run["members"][1]][0] == rows[run["output"]][0] != "theirs"
