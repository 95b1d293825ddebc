"""accept: a run skipped for review, grouped once a person confirms its final arbiter."""
import sqlite3

from builder import arbiter_prompt, arbiter_response
from conftest import cli, file_hash, grouped, run_backfill
from test_orphans import interleaved  # noqa: F401 (a fixture)
from test_safety import PHASE_LINE, assert_refused

FLAGS = {"member": 0, "final_output": 0, "final_arbiter": 1, "intermediate_arbiter": 2}


def test_accept_groups_interleaved_parallel_runs_exactly(interleaved, tmp_path):  # noqa: F811
    path, models, runs = interleaved
    run_backfill(path, models)
    before = grouped(path)
    for label in ("parallel-a", "parallel-b"):
        run = runs[label]
        result = cli("accept", run["final_output"], "-d", path, "-m", models)
        assert result.exit_code == 0, result.output
        rows = grouped(path)
        assert {rows[i][0] for i in run["ids"]} == {rows[run["final_output"]][0]}
        assert {i for i, (c, _) in rows.items() if c == rows[run["final_output"]][0]} == set(run["ids"])
        assert {i: rows[i][1] for i in run["ids"]} == {i: FLAGS[run["roles"][i]] for i in run["ids"]}
    assert {i: v for i, v in grouped(path).items() if i in before} == before
    conn = sqlite3.connect(path)
    sources = conn.execute(
        "SELECT response_id, source FROM consortium_members WHERE role = 'final_arbiter' AND response_id IN (?, ?)",
        [runs["parallel-a"]["final_arbiter"], runs["parallel-b"]["final_arbiter"]],
    ).fetchall()
    review = conn.execute("SELECT response_id FROM consortium_backfill_review WHERE kind = 'skipped_run'").fetchall()
    conn.close()
    assert {source for _, source in sources} == {"confirmed by hand (accept)"} and len(sources) == 2
    assert review == []
    assert cli("verify", "-d", path, "-m", models).exit_code == 0
    explained = cli("explain", runs["parallel-a"]["final_arbiter"], "-d", path).output
    assert explained.splitlines()[1] == (
        f"Rule: a person confirmed it as the final arbiter of the output row {runs['parallel-a']['final_output']} "
        "(accept): its run was skipped for review, another run's rows logged in between."
    )
    # Each accept is recorded like a backfill: undo takes the last one back.
    assert "accept" in cli("history", "-d", path).output
    assert cli("undo", "-d", path).exit_code == 0
    assert runs["parallel-b"]["final_output"] not in grouped(path)
    assert runs["parallel-a"]["final_output"] in grouped(path)


def test_accept_refuses_what_it_cannot_confirm(interleaved):  # noqa: F811
    path, models, runs = interleaved
    run_backfill(path, models)
    a, b = runs["parallel-a"], runs["parallel-b"]
    assert_refused(cli("accept", "nope", "-d", path, "-m", models), "not a consortium output row waiting")
    # b's final arbiter was asked about b's prompt, not a's.
    assert_refused(cli("accept", a["final_output"], "--arbiter", b["final_arbiter"], "-d", path, "-m", models),
                   "cannot be grouped with that final arbiter: original prompt does not match")
    assert_refused(cli("accept", a["final_output"], "--arbiter", a["members"][0], "-d", path, "-m", models),
                   "it must be an arbiter prompt")
    assert a["final_output"] not in grouped(path)


def test_accept_says_in_one_line_why_it_refuses(logs_db):
    """Each refusal names the row and what to do; the database is left as it was."""
    models = logs_db.path.parent / "models.txt"
    ready = logs_db.run("cons", "Not skipped", [[("a", "n1")]])
    plain = logs_db.log("gpt-4o", "just a question", "answer")
    no_arbiter = logs_db.log("cons", "just a question", "z")
    arbiter = logs_db.log("stub-arbiter", arbiter_prompt("Question A", [("a", "A1")]), arbiter_response("answer A"))
    logs_db.log("gpt-4o", "between", "row")
    skipped = logs_db.log("cons", "Question A", "answer A")
    later = logs_db.log("stub-arbiter", arbiter_prompt("Question A", [("a", "A1")]), arbiter_response("answer A"))

    def refused(args, said):
        before = file_hash(logs_db.path)
        result = cli(*args, "-d", logs_db.path, "-m", models)
        lines = [line for line in result.output.splitlines() if not PHASE_LINE.fullmatch(line)]
        assert (result.exit_code, lines) == (2, [f"Error: {said}"]), result.output
        assert file_hash(logs_db.path) == before

    # Not grouped yet, but no backfill skipped it: accept leaves it to backfill.
    refused(["accept", ready["output"]], f"{ready['output']}: its run is not skipped; `backfill` groups it")
    run_backfill(logs_db.path, models)
    for args, said in [
        (["accept", no_arbiter],
         f"{no_arbiter}: its review row names no likely final arbiter: name one with --arbiter ID"),
        (["accept", skipped, "--arbiter", "nope"],
         "nope: no such row to be the final arbiter (or it is grouped already)"),
        (["accept", skipped, "--arbiter", later],
         f"{later}: cannot be the final arbiter of {skipped}: it must be an arbiter prompt logged before the "
         "output row, in no other run"),
        (["accept", skipped, "--arbiter", plain],
         f"{plain}: cannot be the final arbiter of {skipped}: it must be an arbiter prompt logged before the "
         "output row, in no other run"),
    ]:
        refused(args, said)
    assert cli("accept", skipped, "--arbiter", arbiter, "-d", logs_db.path, "-m", models).exit_code == 0
