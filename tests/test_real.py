"""Against logs.db files written by the real llm and llm-consortium (tests/fixtures).

Each fixture's truth.json was recorded while the runs were made: the backfill
must reproduce exactly those groups, flags, iterations and member indexes.
"""
import json
import pathlib
import sqlite3
import subprocess
import sys

from conftest import cli, file_hash, grouped, grouped_runs, run_backfill

FLAGS = {"member": 0, "final_output": 0, "final_arbiter": 1, "intermediate_arbiter": 2}


def history(path):
    conn = sqlite3.connect(path)
    try:
        return {
            row[0]: row[1:]
            for row in conn.execute("SELECT response_id, role, iteration, member_index FROM consortium_members")
        }
    finally:
        conn.close()


def test_backfill_reproduces_the_recorded_runs_exactly(real_db, tmp_path):
    assert_reproduces(*real_db, tmp_path)


def test_the_users_own_columns_already_present(real_db, tmp_path):
    """The user's logs.db has both columns by hand, the flag with DEFAULT 0, and an index."""
    path, models, truth = real_db
    conn = sqlite3.connect(path)
    conn.executescript(
        "ALTER TABLE responses ADD COLUMN consortium_id TEXT;"
        "ALTER TABLE responses ADD COLUMN is_arbiter_response INTEGER DEFAULT 0;"
        "CREATE INDEX idx_consortium_id ON responses (consortium_id);"
    )
    conn.close()
    assert_reproduces(path, models, truth, tmp_path)
    conn = sqlite3.connect(path)
    plain = conn.execute(
        f"SELECT DISTINCT is_arbiter_response FROM responses WHERE id IN ({','.join('?' * len(truth['plain']))})",
        truth["plain"],
    ).fetchall()
    conn.close()
    assert plain == [(0,)]


def test_a_database_generated_now_by_the_real_packages(tmp_path):
    """The committed fixtures could go stale: make one more, now, and check it too."""
    generator = pathlib.Path(__file__).parent / "realdata" / "generate.py"
    subprocess.run(
        [sys.executable, str(generator), "--combo", "llm0.27-c0.5", "--out", str(tmp_path / "fixtures")],
        check=True, stdout=subprocess.DEVNULL,
    )
    made = tmp_path / "fixtures" / "llm0.27-c0.5"
    assert_reproduces(made / "logs.db", made / "consortium_models.txt", json.loads((made / "truth.json").read_text()), tmp_path)


def assert_reproduces(path, models, truth, tmp_path):
    result = run_backfill(path, models, "--report", tmp_path / "report.json")
    rows = grouped(path)
    expected_grouped = grouped_runs(truth)
    assert len(expected_grouped) >= 8
    for run in truth["runs"]:
        ids = [row["id"] for row in run["rows"]]
        if run not in expected_grouped:
            assert not set(ids) & set(rows), f"{run['label']} should stay ungrouped"
            continue
        consortium_ids = {rows.get(i, (None,))[0] for i in ids}
        assert len(consortium_ids) == 1 and None not in consortium_ids, run["label"]
        (consortium_id,) = consortium_ids
        assert {i for i, (c, _) in rows.items() if c == consortium_id} == set(ids), run["label"]
        assert {row["id"]: FLAGS[row["role"]] for row in run["rows"]} == {i: rows[i][1] for i in ids}, run["label"]
    assert not set(truth["plain"]) & set(rows)
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["runs_grouped"] == len(expected_grouped)
    skipped = [run for run in truth["runs"] if run["expect_grouped"] and run not in expected_grouped]
    assert sum(report["runs_skipped"].values()) == len(skipped)
    reasons = {r["response_id"]: r["reason"] for r in report["review"] if r["kind"] == "skipped_run"}
    for run in skipped:
        output = next(row for row in run["rows"] if row["role"] == "final_output")
        assert reasons[output["id"]] == skip_reason(truth, output["rowid"] - 1), run["label"]
    # Each skipped run's review row points the reviewer at its real final arbiter.
    hints = {r["response_id"]: r["evidence"]["likely_final_arbiter_id"] for r in report["review"] if r["kind"] == "skipped_run"}
    for run in skipped:
        roles = {row["role"]: row["id"] for row in run["rows"]}
        assert hints[roles["final_output"]] == roles["final_arbiter"], run["label"]


def skip_reason(truth, rowid):
    """Why a run whose output follows the row at rowid is skipped, from what the recording says that row is.

    Parallel runs interleave differently on every generation: the row before an
    output may be the other run's output, its arbiter or one of its members.
    """
    roles = {row["rowid"]: row["role"] for run in truth["runs"] for row in run["rows"]}
    role = roles.get(rowid, "plain")
    if role == "final_output":
        return "previous row is another output"
    if role.endswith("arbiter"):
        return "original prompt does not match"
    return "not an arbiter prompt"


def test_iterations_and_member_indexes_match_the_recording(real_db):
    path, models, truth = real_db
    run_backfill(path, models)
    recorded = history(path)
    for run in grouped_runs(truth):
        iterations = max(row["iteration"] or 0 for row in run["rows"])
        for row in run["rows"]:
            assert recorded[row["id"]][0] == row["role"], (run["label"], row)
            # The output row carries the iteration that produced it: the last.
            expected = iterations if row["role"] == "final_output" else row["iteration"]
            assert recorded[row["id"]][1] == expected, (run["label"], row)
            if row["role"] == "member":
                assert recorded[row["id"]][2] == row["member_index"], (run["label"], row)


def test_runs_without_output_are_counted_as_orphans(real_db, tmp_path):
    path, models, truth = real_db
    run_backfill(path, models, "--report", tmp_path / "report.json")
    report = json.loads((tmp_path / "report.json").read_text())
    orphans = {row["response_id"] for row in report["review"] if row["kind"] == "orphan_arbiter"}
    # Every arbiter row of a run left ungrouped, and the plain prompts that paste an
    # arbiter prompt (they look like orphans too: a person decides); nothing else.
    expected = {
        row["id"]
        for run in truth["runs"] if run not in grouped_runs(truth)
        for row in run["rows"] if row["role"] in ("final_arbiter", "intermediate_arbiter")
    } | {row["id"] for row in truth["plain_rows"] if row["label"].startswith("plain-pasted-")}
    assert orphans == expected
    assert report["orphan_arbiter_rows"] == len(expected)


def test_include_orphans_groups_each_chain_without_output(real_db):
    path, models, truth = real_db
    run_backfill(path, models, "--include-orphans")
    rows = grouped(path)
    for run in truth["runs"]:
        if run["expect_grouped"] or not any(r["role"] == "final_arbiter" for r in run["rows"]):
            continue
        ids = [row["id"] for row in run["rows"]]
        consortium_ids = {rows.get(i, (None,))[0] for i in ids}
        assert len(consortium_ids) == 1 and None not in consortium_ids, run["label"]
        assert {row["id"]: FLAGS[row["role"]] for row in run["rows"] if row["id"] in ids} == {i: rows[i][1] for i in ids}
    assert not set(truth["plain"]) & set(rows)
    assert cli("verify", "-d", path, "--models-file", models).exit_code == 0


def test_verify_passes_and_a_second_run_changes_nothing(real_db, tmp_path):
    path, models, _ = real_db
    run_backfill(path, models)
    result = cli("verify", "-d", path, "--models-file", models)
    assert result.exit_code == 0, result.output
    before = file_hash(path)
    again = run_backfill(path, models, "--report", tmp_path / "again.json")
    assert "Nothing new: no run left to group" in again.output
    assert json.loads((tmp_path / "again.json").read_text())["changes"] == 0
    assert file_hash(path) == before


def test_consortium_configs_alone_name_the_consortiums(real_db):
    """Without a models file, the saved configs in logs.db are enough."""
    path, _, truth = real_db
    run_backfill(path)
    outputs = {row["id"] for run in grouped_runs(truth) for row in run["rows"] if row["role"] == "final_output"}
    assert outputs <= set(grouped(path))
