"""accept: a run skipped for review, grouped once a person confirms its final arbiter."""
import sqlite3

from conftest import cli, grouped, run_backfill
from test_orphans import interleaved  # noqa: F401 (a fixture)
from test_safety import assert_refused

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
    assert "a person confirmed it as the final arbiter" in explained
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
