"""--include-orphans never takes what a skipped run names as evidence; explain says what each command does."""
import json
import shutil

import pytest

from builder import FIXTURES
from conftest import cli, grouped, run_backfill

INTERLEAVED = "llm0.24-c0.3"  # its two parallel runs interleave: both are skipped for review


@pytest.fixture
def interleaved(tmp_path):
    source = FIXTURES / INTERLEAVED
    (tmp_path / "real").mkdir()
    shutil.copy(source / "logs.db", tmp_path / "real" / "logs.db")
    truth = json.loads((source / "truth.json").read_text())
    runs = {
        run["label"]: {row["role"]: row["id"] for row in run["rows"]} | {
            "ids": [row["id"] for row in run["rows"]],
            "roles": {row["id"]: row["role"] for row in run["rows"]},
            "members": [row["id"] for row in run["rows"] if row["role"] == "member"],
        }
        for run in truth["runs"] if run["label"] in ("parallel-a", "parallel-b")
    }
    return tmp_path / "real" / "logs.db", source / "consortium_models.txt", runs


def skipped(report_path):
    review = json.loads(report_path.read_text())["review"]
    return {r["response_id"]: (r["reason"], r["evidence"]["likely_final_arbiter_id"]) for r in review if r["kind"] == "skipped_run"}


def test_include_orphans_leaves_the_evidence_of_skipped_runs(interleaved, tmp_path):
    path, models, runs = interleaved
    plain = tmp_path / "plain.db"
    shutil.copy(path, plain)
    run_backfill(plain, models, "--report", tmp_path / "plain.json")
    run_backfill(path, models, "--include-orphans", "--report", tmp_path / "orphans.json")
    rows = grouped(path)
    for run in runs.values():
        assert not set(run["ids"]) & set(rows)
    expected = skipped(tmp_path / "plain.json")
    assert {runs[label]["final_output"] for label in runs} <= set(expected)
    assert skipped(tmp_path / "orphans.json") == expected
    # Later runs still see the same skipped runs, not "previous row already grouped"
    # (--full: a re-run reads only what is new, and finds no run at all).
    run_backfill(path, models, "--include-orphans", "--full", "--report", tmp_path / "again.json")
    assert skipped(tmp_path / "again.json") == expected


def test_explain_advises_what_the_commands_do(interleaved, logs_db):
    path, models, runs = interleaved
    likely = runs["parallel-a"]["final_arbiter"]
    out = cli("explain", likely, "-d", path, "-m", models).output
    output = runs["parallel-a"]["final_output"]
    assert out.splitlines() == [
        f"{likely} is in no run: it is the likely final arbiter of output {output} of a run that was skipped: "
        "original prompt does not match. It is left for a person to review (see the consortium_backfill_review "
        "table); no backfill groups it."
    ]
    # An orphan chain --include-orphans groups, and a pasted arbiter prompt it leaves.
    orphan = logs_db.run("cons", "No output", [[("a", "o1"), ("b", "o2")]], output=False)
    pasted = logs_db.run("cons", "Pasted", [[("ghost", "never logged")]], output=False)
    logs_db.conn.execute("DELETE FROM responses WHERE id = ?", [pasted["members"][0]])
    logs_db.conn.commit()
    local = logs_db.path.parent / "models.txt"
    out = cli("explain", orphan["final"], "-d", logs_db.path, "-m", local).output
    assert "`backfill --include-orphans` groups it" in out
    out = cli("explain", pasted["final"], "-d", logs_db.path, "-m", local).output
    assert out.splitlines() == [
        f"{pasted['final']} is in no run: arbiter prompt in no run: no consortium output row follows it. "
        "`backfill --include-orphans` leaves it too: none of the answers its prompt quotes is a logged row, "
        "or the chain it belongs to is left for review."
    ]
    plain = logs_db.log("gpt-4o", "hi", "there")
    assert cli("explain", plain, "-d", logs_db.path, "-m", local).output.splitlines() == [
        f"{plain} is in no run: its model is not a consortium name, it has no arbiter prompt, and no final "
        "arbiter within the window quotes its response."
    ]
    run_backfill(logs_db.path, local, "--include-orphans")
    assert orphan["final"] in grouped(logs_db.path) and pasted["final"] not in grouped(logs_db.path)
