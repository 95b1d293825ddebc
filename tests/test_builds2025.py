"""Against logs.db files written by the real llm and the 2025 git builds of
llm-consortium (tests/fixtures/llm0.2*-<commit>, families/builds2025.py).

Each fixture's truth.json was recorded while its runs were made: every run
with an output row is grouped exactly (rows, flags, iterations, member
indexes), or skipped with the reason named here; no row is grouped wrongly.
"""
import json
import sqlite3

import pytest

from conftest import cli, grouped, grouped_runs, run_backfill

FLAGS = {"member": 0, "final_output": 0, "final_arbiter": 1, "intermediate_arbiter": 2}
# (family, run label) -> why the backfill leaves that run for review. Other
# `llm chat` turns 2 (whose history quotes turn 1's iterations first) are grouped.
SKIPPED = {
    # Automatic context: turn 2's arbiter goes on in turn 1's llm conversation, and
    # nothing but time tells where turn 2 starts in it.
    ("F2", "chat-turn2"): "automatic-context chain starts at another prompt (llm chat turn)",
}


def recorded(path):
    """response id -> (role, iteration, member_index) as the backfill recorded them."""
    conn = sqlite3.connect(path)
    try:
        return {row[0]: row[1:] for row in conn.execute(
            "SELECT response_id, role, iteration, member_index FROM consortium_members")}
    finally:
        conn.close()


def test_every_run_of_a_git_build_is_grouped_exactly_or_skipped_with_its_reason(build_db, tmp_path):
    path, models, truth = build_db
    result = run_backfill(path, models, "--report", tmp_path / "report.json")
    report = json.loads((tmp_path / "report.json").read_text())
    skipped = {r["response_id"]: r["reason"] for r in report["review"] if r["kind"] == "skipped_run"}
    rows, history = grouped(path), recorded(path)
    adjacent = grouped_runs(truth)
    outcome = {"exact": 0, "skipped": 0}
    for run in truth["runs"]:
        ids = {row["id"] for row in run["rows"]}
        if not run["expect_grouped"]:
            assert not ids & set(rows), f"{run['label']} has no output row: left ungrouped"
            continue
        output = next(row["id"] for row in run["rows"] if row["role"] == "final_output")
        reason = SKIPPED.get((truth["family"], run["label"]))
        if reason is None and run not in adjacent:  # parallel runs whose rows interleave
            reason = "previous row is another output"
        if reason:
            assert skipped.get(output) == reason, run["label"]
            assert not ids & set(rows), run["label"]
            outcome["skipped"] += 1
            continue
        consortium_ids = {rows.get(i, (None,))[0] for i in ids}
        assert len(consortium_ids) == 1 and None not in consortium_ids, (run["label"], skipped.get(output))
        (consortium_id,) = consortium_ids
        assert {i for i, (c, _) in rows.items() if c == consortium_id} == ids, run["label"]
        for row in run["rows"]:
            assert rows[row["id"]][1] == FLAGS[row["role"]], (run["label"], row)
            iteration = run["iterations"] if row["role"] == "final_output" else row["iteration"]
            member_index = row["member_index"] if row["role"] == "member" else None
            assert history[row["id"]] == (row["role"], iteration, member_index), (run["label"], row)
        outcome["exact"] += 1
    assert not set(truth["plain"]) & set(rows)
    assert report["runs_grouped"] == outcome["exact"]
    assert sum(report["runs_skipped"].values()) == outcome["skipped"]
    assert outcome["exact"] >= 10


def test_no_row_of_a_git_build_is_grouped_wrongly(build_db):
    """Whatever the backfill groups, it groups with the rows of one recorded run,
    with --include-orphans too; and that groups each run without output whole."""
    path, models, truth = build_db
    run_backfill(path, models, "--include-orphans")
    run_of = {row["id"]: run["label"] for run in truth["runs"] for row in run["rows"]}
    by_group = {}
    for response_id, (consortium_id, _) in grouped(path).items():
        by_group.setdefault(consortium_id, set()).add(run_of.get(response_id, "plain"))
    assert all(len(labels) == 1 and "plain" not in labels for labels in by_group.values()), by_group
    # Runs without an output row (`consortium run`, --no-log) are each one orphan run, whole.
    rows = grouped(path)
    for run in truth["runs"]:
        if not run["has_output"] and any(row["role"] == "final_arbiter" for row in run["rows"]):
            ids = {row["id"] for row in run["rows"]}
            (consortium_id,) = {rows.get(i, (None,))[0] for i in ids}
            assert consortium_id and {i for i, (c, _) in rows.items() if c == consortium_id} == ids, run["label"]


def test_verify_checks_what_each_build_allows(build_db):
    path, models, _ = build_db
    run_backfill(path, models)
    result = cli("verify", "-d", path, "--models-file", models)
    assert result.exit_code == 0, result.output
    again = run_backfill(path, models)
    assert "Nothing new: no run left to group" in again.output


def test_explain_names_the_conversation_and_the_arbiter_that_quotes_an_earlier_member(tmp_path):
    from conftest import FIXTURES, TRUTHS

    combo = "llm0.25-ff27a65"
    path = tmp_path / "logs.db"
    path.write_bytes((FIXTURES / combo / "logs.db").read_bytes())
    run_backfill(path, FIXTURES / combo / "consortium_models.txt")
    run = next(r for r in TRUTHS[combo]["runs"] if r["label"] == "iter3")
    first_arbiter = next(r["id"] for r in run["rows"] if r["role"] == "intermediate_arbiter" and r["iteration"] == 1)
    final = next(r["id"] for r in run["rows"] if r["role"] == "final_arbiter")
    member = next(r["id"] for r in run["rows"] if r["role"] == "member" and r["iteration"] == 1)
    said = cli("explain", first_arbiter, "-d", path).output
    assert f"in the llm conversation of final arbiter {final}" in said
    said = cli("explain", member, "-d", path).output
    assert f"<model_responses> of arbiter {first_arbiter}, the run's iteration 1 arbiter" in said
