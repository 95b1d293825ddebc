"""A re-run reads only what is new, and its result is what one full pass gives.

For every real-package fixture, the file is cut at every run boundary and in
the middle of every run (among its members, and between its final arbiter
and its output row: a run in flight during the first backfill), backfilled,
then the rest of the rows are logged and it is backfilled again. The result
must equal one backfill of the whole file.
"""
import json
import os
import pathlib
import shutil
import sqlite3
import tempfile

import pytest

from builder import FIXTURES
from consortium_backfill import analysis, resume
from conftest import COMBOS, cli, file_hash, grouped

KEPT = ("consortium_id", "is_arbiter_response")


def backfill(path, models, *args):
    result = cli("backfill", "-d", path, "--models-file", models, "--no-backup", *args)
    assert result.exit_code == 0, result.output
    return result.output


def outcome(path):
    """What a backfill decided: both columns of every row, the review rows, the run history."""
    conn = sqlite3.connect(path)
    try:
        return {
            "rows": conn.execute("SELECT id, consortium_id, is_arbiter_response FROM responses ORDER BY rowid").fetchall(),
            "review": conn.execute(
                "SELECT response_id, kind, reason, evidence FROM consortium_backfill_review ORDER BY response_id"
            ).fetchall(),
            "runs": conn.execute("SELECT * FROM consortium_runs ORDER BY id").fetchall(),
            "members": conn.execute("SELECT * FROM consortium_members ORDER BY run_id, response_id").fetchall(),
        }
    finally:
        conn.close()


def logged_up_to(source, path, cut):
    """A copy of source holding only its rows up to rowid cut: the file as it was then."""
    shutil.copy(source, path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DELETE FROM responses WHERE rowid > ?", [cut])
    conn.close()


def log_the_rest(source, path, cut):
    """The rows of source after cut, logged into path with their own rowids, as llm would have."""
    conn = sqlite3.connect(path)
    columns = [row[1] for row in conn.execute("PRAGMA table_info(responses)") if row[1] not in KEPT]
    names = ", ".join(f"[{c}]" for c in columns)
    conn.execute("ATTACH ? AS source", [str(source)])
    with conn:
        conn.execute(
            f"INSERT INTO main.responses (rowid, {names}) SELECT rowid, {names} FROM source.responses WHERE rowid > ?",
            [cut],
        )
    conn.close()


def cuts(truth):
    """{rowid: in flight}: every run boundary, and inside every run: after its first
    member, and right before its output row (in flight: True)."""
    points = {}
    for run in truth["runs"]:
        rowids = sorted(row["rowid"] for row in run["rows"])
        for cut in (rowids[0] - 1, rowids[0], rowids[-1]):
            points.setdefault(cut, False)
        for row in run["rows"]:
            if row["role"] == "final_output":
                points[row["rowid"] - 1] = True
    return dict(sorted(points.items()))


@pytest.fixture
def scratch(tmp_path):
    """A folder in memory where there is one: hundreds of small commits, no waiting on fsync."""
    memory = pathlib.Path("/dev/shm")
    if not (memory.is_dir() and os.access(memory, os.W_OK)):
        yield tmp_path
        return
    with tempfile.TemporaryDirectory(dir=memory, prefix="consortium-backfill-") as folder:
        yield pathlib.Path(folder)


@pytest.fixture(scope="module")
def whole_file(tmp_path_factory):
    """Per fixture: the outcome of one backfill of the whole file."""
    done = {}

    def outcome_of(combo):
        if combo not in done:
            path = tmp_path_factory.mktemp("whole") / "logs.db"
            shutil.copy(FIXTURES / combo / "logs.db", path)
            backfill(path, FIXTURES / combo / "consortium_models.txt")
            done[combo] = outcome(path)
        return done[combo]

    return outcome_of


@pytest.mark.parametrize("combo", COMBOS)
def test_a_rerun_after_each_cut_equals_one_pass_over_the_whole_file(combo, whole_file, scratch):
    source = FIXTURES / combo / "logs.db"
    models = FIXTURES / combo / "consortium_models.txt"
    truth = json.loads((FIXTURES / combo / "truth.json").read_text())
    expected = whole_file(combo)
    assert any(row[1] for row in expected["rows"])
    for cut, in_flight in cuts(truth).items():
        path = scratch / f"cut-{cut}.db"
        logged_up_to(source, path, cut)
        backfill(path, models)
        log_the_rest(source, path, cut)
        again = backfill(path, models)
        assert "Pass: incremental" in again, again
        assert outcome(path) == expected, f"cut after rowid {cut}"
        if not in_flight:
            continue
        # --full finds nothing more: the incremental result is already the full one.
        before = file_hash(path)
        full = backfill(path, models, "--full")
        assert "Pass: full, every row (--full)" in full and "Nothing new: no run left to group" in full, full
        assert file_hash(path) == before


# Hand-made databases: what a re-run reads, and when it must read everything again.


def runs_spread_over_days(db, days):
    """One run and a few plain rows a day: each run's window holds only that day's rows."""
    for day in range(days):
        for n in range(3):
            db.log("gpt-4o", f"plain {day}.{n}", "answer", seconds=8000)
        db.run("cons", f"Question {day}", [[("a", f"a{day}"), ("b", f"b{day}")], [("a", f"a{day}!"), ("b", f"b{day}!")]])


def report_of(db, *args):
    path = db.path.parent / "report.json"
    path.unlink(missing_ok=True)
    backfill(db.path, db.path.parent / "models.txt", "--report", path, *args)
    return json.loads(path.read_text())


def test_a_rerun_reads_the_new_rows_and_the_window_before_them_only(logs_db):
    runs_spread_over_days(logs_db, 40)
    first = report_of(logs_db)
    assert first["pass"]["kind"] == "full" and first["runs_grouped"] == 40
    last = first["pass"]["last_rowid"]
    # A run in flight: its members and arbiters are logged, its output row is not yet.
    logs_db.log("gpt-4o", "plain, far later", "answer", seconds=86400)
    run = logs_db.run("cons", "In flight", [[("a", "f1"), ("b", "f2")]], output=False)
    second = report_of(logs_db)
    assert second["pass"] == dict(
        kind="incremental", reason=None, new_after_rowid=last, reread_after_rowid=last, last_rowid=last + 4
    )
    assert second["runs_grouped"] == 0 and second["orphan_arbiter_rows"] == 1
    # Its output row comes: the run is grouped, members read again from before the mark.
    started = logs_db.conn.execute("SELECT datetime_utc FROM responses WHERE id = ?", [run["members"][0]]).fetchone()[0]
    output = logs_db.log("cons", "In flight", "cons synthesis 1 of In flight", datetime_utc=started)
    third = report_of(logs_db)
    assert third["runs_grouped"] == 1 and third["rows_updated"] == 4
    reread = third["pass"]["new_after_rowid"] - third["pass"]["reread_after_rowid"]
    assert 3 <= reread <= analysis.TIMELINE_BLOCK + 4
    rows = grouped(logs_db.path)
    assert len({rows[i][0] for i in [*run["members"], run["final"], output]}) == 1
    review = sqlite3.connect(logs_db.path).execute("SELECT count(*) FROM consortium_backfill_review").fetchone()[0]
    assert review == 0


def test_nothing_new_writes_nothing_and_a_dry_run_never_moves_the_mark(logs_db):
    runs_spread_over_days(logs_db, 2)
    backfill(logs_db.path, logs_db.path.parent / "models.txt")
    before = file_hash(logs_db.path)
    nothing = backfill(logs_db.path, logs_db.path.parent / "models.txt").splitlines()
    assert "Pass: incremental, nothing logged since the last backfill" in nothing
    assert file_hash(logs_db.path) == before
    (marked,) = logs_db.conn.execute("SELECT max(rowid) FROM responses").fetchone()
    runs_spread_over_days(logs_db, 1)
    (last,) = logs_db.conn.execute("SELECT max(rowid) FROM responses").fetchone()
    before = file_hash(logs_db.path)
    report = logs_db.path.parent / "dry.json"
    dry = cli("backfill", "-d", logs_db.path, "--models-file", logs_db.path.parent / "models.txt", "--dry-run",
              "--report", report)
    window = json.loads(report.read_text())["pass"]
    assert (f"Pass: incremental, the rows logged since the last backfill (rowids {marked + 1} to {last}: "
            f"{last - marked}) and {window['new_after_rowid'] - window['reread_after_rowid']} before them, "
            "for the window") in dry.stdout.splitlines()
    assert "Rows to update: 7" in dry.output
    assert file_hash(logs_db.path) == before


def change_by_hand(db, *statements):
    db.conn.close()
    conn = sqlite3.connect(db.path)
    with conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()
    db.conn = sqlite3.connect(db.path)


@pytest.mark.parametrize(
    "statements, reason",
    [
        (["DELETE FROM responses WHERE rowid = (SELECT max(rowid) FROM responses)"], "rows were deleted"),
        (["DELETE FROM responses WHERE rowid = 2"], "the row at rowid 2 is not as the last backfill left it: deleted"),
        (
            # What a VACUUM may do to a table without an INTEGER PRIMARY KEY: rowids renumbered.
            ["DELETE FROM responses WHERE rowid = 1", "UPDATE responses SET rowid = rowid + 1000",
             "UPDATE responses SET rowid = rowid - 1001"],
            "renumbered",
        ),
        (["UPDATE responses SET consortium_id = NULL, is_arbiter_response = 0 WHERE rowid = 5"],
         "rowid 5 is not as the last backfill left it: its consortium_id or is_arbiter_response changed"),
        (["UPDATE responses SET response = 'redacted' WHERE rowid = 3"], "rowid 3 is not as the last backfill left it: edited"),
    ],
    ids=["last-row-deleted", "row-deleted", "renumbered", "ungrouped", "edited"],
)
def test_a_database_changed_behind_our_back_gets_a_full_pass(logs_db, statements, reason):
    runs_spread_over_days(logs_db, 3)
    models = logs_db.path.parent / "models.txt"
    backfill(logs_db.path, models)
    change_by_hand(logs_db, *statements)
    runs_spread_over_days(logs_db, 1)
    again = report_of(logs_db)
    assert again["pass"]["kind"] == "full" and reason in again["pass"]["reason"], again["pass"]
    assert "changed since the last backfill" in again["pass"]["reason"]
    # The record is written again: the next run is incremental once more.
    runs_spread_over_days(logs_db, 1)
    assert report_of(logs_db)["pass"]["kind"] == "incremental"


def test_added_consortium_names_get_a_full_pass(logs_db):
    runs_spread_over_days(logs_db, 2)
    logs_db.run("later-saved", "Before it was saved", [[("a", "s1"), ("b", "s2")]])
    models = logs_db.path.parent / "models.txt"
    backfill(logs_db.path, models)
    models.write_text(models.read_text() + "later-saved\n")
    again = report_of(logs_db)
    assert again["pass"]["reason"] == "consortium names added since the last backfill: later-saved"
    assert again["runs_grouped"] == 1


def test_the_full_backup_is_made_before_the_first_backfill_only(logs_db):
    models = logs_db.path.parent / "models.txt"
    runs_spread_over_days(logs_db, 2)
    backups = lambda: sorted(logs_db.path.parent.glob("logs.backup-*"))
    assert cli("backfill", "-d", logs_db.path, "--models-file", models).exit_code == 0
    assert len(backups()) == 1
    runs_spread_over_days(logs_db, 1)
    result = cli("backfill", "-d", logs_db.path, "--models-file", models)
    assert result.exit_code == 0 and "Backup:" not in result.output and len(backups()) == 1
    runs_spread_over_days(logs_db, 1)
    result = cli("backfill", "-d", logs_db.path, "--models-file", models, "--backup", "full")
    assert result.exit_code == 0 and "Backup:" in result.output and len(backups()) == 2


def test_a_bulk_change_in_a_file_larger_than_the_samples_gets_a_full_pass(logs_db):
    for n in range(30 * resume.SAMPLES):
        logs_db.log("gpt-4o", f"plain {n}", "answer", seconds=1)
    runs_spread_over_days(logs_db, 1)
    backfill(logs_db.path, logs_db.path.parent / "models.txt")
    # A clean-up that removes every plain row of one model, a third of the file.
    change_by_hand(logs_db, "DELETE FROM responses WHERE prompt LIKE 'plain %' AND rowid % 3 = 0")
    runs_spread_over_days(logs_db, 1)
    again = report_of(logs_db)
    assert again["pass"]["kind"] == "full" and "not as the last backfill left it: deleted" in again["pass"]["reason"]


def test_a_record_written_before_samples_gets_a_full_pass(logs_db):
    runs_spread_over_days(logs_db, 2)
    backfill(logs_db.path, logs_db.path.parent / "models.txt")
    change_by_hand(logs_db, "UPDATE consortium_backfill_state SET samples = NULL")
    again = report_of(logs_db)
    assert again["pass"] == dict(again["pass"], kind="full", reason="the last backfill's record was written by an earlier version")
    assert report_of(logs_db)["pass"]["kind"] == "incremental"


def test_rows_logged_out_of_time_order_since_the_last_backfill_are_reported(logs_db):
    runs_spread_over_days(logs_db, 2)
    # A row whose id is days later than every row logged after it.
    logs_db.log("gpt-4o", "id from later", "answer", id="01jz" + "0" * 22)
    first = report_of(logs_db)
    assert first["out_of_order_blocks"] == []
    for n in range(3):
        logs_db.log("gpt-4o", f"imported {n}", "answer")
    again = report_of(logs_db)
    assert again["pass"]["kind"] == "incremental"
    (block,) = again["out_of_order_blocks"]
    assert (block["first_rowid"], block["rows"]) == (first["pass"]["last_rowid"] + 1, 3)
    assert report_of(logs_db, "--full", "--dry-run")["out_of_order_blocks"] == again["out_of_order_blocks"]
