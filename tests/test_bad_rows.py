"""One bad row skips only its run, with the reason and the row's id; everything else proceeds."""
import json

import pytest

from conftest import cli, grouped, run_backfill


def two_runs(db):
    bad = db.run("cons", "Bad run", [[("a", "bad a"), ("b", "bad b")]])
    good = db.run("cons", "Good run", [[("a", "good a"), ("b", "good b")]])
    return bad, good


def backfill_report(db, tmp_path):
    report = tmp_path / "report.json"
    result = run_backfill(db.path, tmp_path / "models.txt", "--report", report)
    return {row["response_id"]: row for row in json.loads(report.read_text())["review"]}


def run_rows(run):
    return set(run["members"] + run["intermediate"] + [run["final"], run["output"]])


@pytest.mark.parametrize("when", ["1970-01-01T00:00:00+00:00", "2200-01-01T00:00:00+00:00"])
def test_a_final_arbiter_dated_outside_the_ksuid_range_skips_its_run(logs_db, tmp_path, when):
    bad, good = two_runs(logs_db)
    logs_db.conn.execute("UPDATE responses SET datetime_utc = ? WHERE id = ?", [when, bad["final"]])
    logs_db.conn.commit()
    review = backfill_report(logs_db, tmp_path)
    assert review[bad["output"]]["reason"] == "final arbiter datetime_utc outside what a KSUID holds (2014 to 2150)"
    assert review[bad["output"]]["evidence"]["previous_row_id"] == bad["final"]
    assert set(grouped(logs_db.path)) == run_rows(good)


@pytest.mark.parametrize("column", ["prompt", "response"])
def test_invalid_utf8_in_a_plain_row_changes_nothing_else(logs_db, tmp_path, column):
    plain = logs_db.log("gpt-4o", "plain", "answer")
    bad, good = two_runs(logs_db)
    logs_db.conn.execute(f"UPDATE responses SET {column} = CAST(x'41ff42' AS TEXT) WHERE id = ?", [plain])
    logs_db.conn.commit()
    backfill_report(logs_db, tmp_path)
    assert set(grouped(logs_db.path)) == run_rows(bad) | run_rows(good)
    assert cli("verify", "-d", logs_db.path, "-m", tmp_path / "models.txt").exit_code == 0
    assert "is in no run" in cli("explain", plain, "-d", logs_db.path, "-m", tmp_path / "models.txt").output


def test_invalid_utf8_in_a_final_arbiter_prompt_skips_its_run_naming_the_row(logs_db, tmp_path):
    bad, good = two_runs(logs_db)
    logs_db.conn.execute(
        "UPDATE responses SET prompt = CAST(CAST(prompt AS BLOB) || x'ff' AS TEXT) WHERE id = ?", [bad["final"]]
    )
    logs_db.conn.commit()
    review = backfill_report(logs_db, tmp_path)
    assert review[bad["output"]]["reason"].startswith("malformed arbiter prompt: invalid UTF-8 at byte ")
    assert review[bad["output"]]["evidence"]["previous_row_id"] == bad["final"]
    assert set(grouped(logs_db.path)) == run_rows(good)
    explained = cli("explain", bad["output"], "-d", logs_db.path, "-m", tmp_path / "models.txt")
    assert "invalid UTF-8" in explained.output


def test_invalid_utf8_in_a_member_answer_leaves_the_run_to_its_other_rows(logs_db, tmp_path):
    bad, good = two_runs(logs_db)
    logs_db.conn.execute("UPDATE responses SET response = CAST(x'41ff42' AS TEXT) WHERE id = ?", [bad["members"][0]])
    logs_db.conn.commit()
    backfill_report(logs_db, tmp_path)
    assert set(grouped(logs_db.path)) == run_rows(bad) - {bad["members"][0]} | run_rows(good)
