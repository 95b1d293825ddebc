"""A re-run in the consortium_logs.db era reads only what is new, and its result is what one full pass gives.

For every 0.8-era real-package fixture, both files are cut at a moment of
their history: before each run starts, after its first call, and after its
last call, before llm-consortium marks it finished and llm logs its output
(a run in flight during the first backfill). Each table keeps the rows
logged by then, a prefix of its rowids as the packages append them; runs not
finished by then are as llm-consortium left them at their start. The cut
files are backfilled, the rest is logged, and a re-run must leave logs.db as
one backfill of the whole files does.
"""
import datetime
import functools
import json
import re
import shutil
import sqlite3

import pytest

from builder import FIXTURES
from consortium_backfill import database
from conftest import ERA08_COMBOS, cli, file_hash
from test_consortium_logs import query
from test_incremental import log_the_rest, scratch  # noqa: F401 (a fixture)

ULID_DIGITS = "0123456789abcdefghjkmnpqrstvwxyz"


def ulid_ms(ulid):
    """The millisecond a ULID was made, from its first 10 characters."""
    return sum(ULID_DIGITS.index(c) * 32 ** (9 - i) for i, c in enumerate(ulid[:10].lower()))


def iso_ms(text):
    """consortium_logs.db's naive UTC time, in milliseconds."""
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.timezone.utc).timestamp() * 1000


def tables(path):
    return {row[0] for row in query(path, "SELECT name FROM sqlite_master WHERE type = 'table'")}


class History:
    """When each row of a fixture's two files was logged, in milliseconds.

    A call's row: its id's time. A consortium_runs row: created_at. A run
    finishes (status, iteration count) after its last call, and its output
    row is logged after that, whatever time its id holds (the run's start).
    """

    def __init__(self, combo):
        self.folder = FIXTURES / combo
        clogs, logs = self.folder / "consortium_logs.db", self.folder / "logs.db"
        self.runs = [(rowid, run_id, iso_ms(created))
                     for rowid, run_id, created in query(clogs, "SELECT rowid, id, created_at FROM consortium_runs ORDER BY rowid")]
        calls = query(clogs, "SELECT run_id, response_id FROM consortium_members UNION ALL "
                             "SELECT run_id, response_id FROM arbiter_decisions")
        last_call = {}
        for run_id, response_id in calls:
            last_call[run_id] = max(last_call.get(run_id, 0), ulid_ms(response_id))
        self.finished = {run_id: last_call.get(run_id, created) + 0.5 for _, run_id, created in self.runs}
        truth = json.loads((self.folder / "truth.json").read_text())
        self.output_times = {}
        for run in truth["consortium_logs"]["runs"]:
            if run["output_id"]:
                self.output_times[run["output_id"]] = self.finished[run["run_id"]] + 0.25
        # Runs the truth cannot pair with their output (same consortium, prompt
        # and answer): the first of them to finish logs the first output row.
        shared = {}
        for run in truth["consortium_logs"]["runs"]:
            if run["output_candidates"]:
                shared.setdefault(tuple(run["output_candidates"]), []).append(self.finished[run["run_id"]])
        logged_at = {row_id: rowid for table in ("responses", "turns") if table in tables(logs)
                     for row_id, rowid in query(logs, f"SELECT id, rowid FROM [{table}]")}
        for outputs, finished in shared.items():
            for output_id, done in zip(sorted(outputs, key=logged_at.get), sorted(finished)):
                self.output_times[output_id] = done + 0.25
        # (file, table) -> [(rowid, time)] in rowid order
        self.rows = {
            ("clogs", "consortium_runs"): [(rowid, created) for rowid, _, created in self.runs],
            ("clogs", "consortium_members"): self.timed(clogs, "SELECT rowid, response_id FROM consortium_members"),
            ("clogs", "arbiter_decisions"): self.timed(clogs, "SELECT rowid, response_id FROM arbiter_decisions"),
        }
        for table in ("responses", "turns"):
            if table in tables(clogs):
                self.rows[("clogs", table)] = self.timed(clogs, f"SELECT rowid, id FROM [{table}]")
            if table in tables(logs):
                self.rows[("logs", table)] = self.timed(logs, f"SELECT rowid, id FROM [{table}]")

    def timed(self, path, sql):
        return [(rowid, self.output_times.get(row_id) or ulid_ms(row_id)) for rowid, row_id in query(path, sql + " ORDER BY rowid")]

    def moments(self):
        """The cut times: before each run starts, after its first call, after its last call."""
        for _, run_id, created in self.runs:
            yield f"before {run_id[:8]}", created - 0.1
            yield f"inside {run_id[:8]}", self.first_call(run_id)
            yield f"before the output of {run_id[:8]}", self.finished[run_id] - 0.25

    def first_call(self, run_id):
        times = [ulid_ms(r) for (r,) in query(self.folder / "consortium_logs.db",
                                              "SELECT response_id FROM consortium_members WHERE run_id = ?", [run_id])]
        return min(times, default=self.finished[run_id]) + 0.1

    def cut(self, moment):
        """{(file, table): last rowid kept}: each table's longest rowid prefix of rows logged by then,
        moved later where calls logged at the same moment are out of rowid order, so that every
        table's prefix holds exactly the rows logged by one moment."""
        while True:
            kept = {key: max((rowid for rowid, t in rows if t <= moment), default=0) for key, rows in self.rows.items()}
            later = max(t for key, rows in self.rows.items() for rowid, t in rows if rowid <= kept[key] or t <= moment)
            if later <= moment:
                return kept, moment
            moment = later


def cut_files(history, kept, moment, folder, migrated):
    """Both files as they were at `moment`: rows after each kept prefix deleted, runs not finished reset.
    migrated: logs.db with the project's columns and tables, none of its rows grouped."""
    shutil.copy(migrated, folder / "logs.db")
    shutil.copy(history.folder / "consortium_logs.db", folder / "consortium_logs.db")
    for (which, table), last in kept.items():
        path = folder / ("consortium_logs.db" if which == "clogs" else "logs.db")
        conn = sqlite3.connect(path)
        with conn:
            conn.execute(f"DELETE FROM [{table}] WHERE rowid > ?", [last])
        conn.close()
    unfinished = [run_id for _, run_id, _ in history.runs if history.finished[run_id] > moment]
    conn = sqlite3.connect(folder / "consortium_logs.db")
    with conn:
        conn.executemany(
            "UPDATE consortium_runs SET status = 'running', iteration_count = 0, final_confidence = 0.0 WHERE id = ?",
            [[run_id] for run_id in unfinished],
        )
    conn.close()


def log_the_rest_of_both(history, kept, folder):
    """What the packages logged after the cut: consortium_logs.db as it is now, logs.db's rows after each prefix."""
    shutil.copy(history.folder / "consortium_logs.db", folder / "consortium_logs.db")
    log_the_rest(history.folder / "logs.db", folder / "logs.db", kept[("logs", "responses")])
    if ("logs", "turns") in kept:
        conn = sqlite3.connect(folder / "logs.db")
        conn.execute("ATTACH ? AS source", [str(history.folder / "logs.db")])
        with conn:
            conn.execute("INSERT INTO main.turns SELECT * FROM source.turns WHERE rowid > ?", [kept[("logs", "turns")]])
        conn.close()


def backfill(path, *args):
    result = cli("backfill", "-d", path, "--models-file", path.parent / "consortium_models.txt", "--no-backup", *args)
    assert result.exit_code == 0, result.output
    return result.output


def outcome(path):
    """What a backfill decided: both columns of every responses row, the review rows, the run history."""
    return {
        "rows": query(path, "SELECT id, consortium_id, is_arbiter_response FROM responses ORDER BY rowid"),
        "review": query(path, "SELECT response_id, kind, reason, evidence FROM consortium_backfill_review ORDER BY response_id"),
        "runs": query(path, "SELECT * FROM consortium_runs ORDER BY id"),
        "members": query(path, "SELECT * FROM consortium_members ORDER BY run_id, response_id"),
    }


@pytest.fixture(scope="module")
def whole_files(tmp_path_factory):
    """Per fixture: the outcome of one backfill of the whole files."""
    done = {}

    def outcome_of(combo):
        if combo not in done:
            folder = tmp_path_factory.mktemp("whole")
            for name in ("logs.db", "consortium_logs.db", "consortium_models.txt"):
                shutil.copy(FIXTURES / combo / name, folder / name)
            backfill(folder / "logs.db")
            done[combo] = outcome(folder / "logs.db")
        return done[combo]

    return outcome_of


def migrated_copy(combo, folder):
    """The fixture's logs.db migrated once, for every cut (each backfill would migrate it alike)."""
    path = folder / "migrated.db"
    shutil.copy(FIXTURES / combo / "logs.db", path)
    assert cli("migrate", "-d", path).exit_code == 0
    return path


@pytest.mark.parametrize("combo", ERA08_COMBOS)
def test_a_rerun_after_each_cut_equals_one_pass_over_the_whole_files(combo, whole_files, scratch, monkeypatch):
    # One write transaction each, without the pauses left for llm between them: a hundred backfills follow.
    monkeypatch.setenv("CONSORTIUM_BACKFILL_CHUNK_ROWS", "100000")
    history = History(combo)
    expected = whole_files(combo)
    assert [run for run in expected["runs"] if run[0] in history.finished]
    migrated = migrated_copy(combo, scratch)
    seen = set()
    for label, moment in history.moments():
        kept, moment = history.cut(moment)
        if tuple(sorted(kept.items())) in seen:
            continue
        seen.add(tuple(sorted(kept.items())))
        folder = scratch / f"cut-{len(seen)}"
        folder.mkdir()
        shutil.copy(history.folder / "consortium_models.txt", folder)
        cut_files(history, kept, moment, folder, migrated)
        backfill(folder / "logs.db")
        log_the_rest_of_both(history, kept, folder)
        again = backfill(folder / "logs.db")
        assert "Pass: incremental" in again, again
        assert outcome(folder / "logs.db") == expected, label
        if not label.startswith("before the output"):
            continue
        # --full finds nothing more: the incremental result is already the full one.
        before = file_hash(folder / "logs.db")
        full = backfill(folder / "logs.db", "--full")
        assert "Pass: full, every row (--full)" in full, full
        assert file_hash(folder / "logs.db") == before, label


# What a re-run reads: the query plan of every statement that reads
# consortium_logs.db or llm's turns, and the bounds it is given.

FILE_READS = re.compile(r"clogs\.|main\.turns|turn_texts")
# What a plan may scan: the statement's own bounded sets, never a table of either file.
SCANNED_OK = re.compile(r"SCAN (json_each|chosen|sampled|changed|steps|sample|CONSTANT ROW|sqlite_temp_master|\(subquery-\d+\))")


class Planned(sqlite3.Connection):
    """A connection that records the plan and parameters of each statement reading either file, before running it."""

    reads = []

    def execute(self, sql, *args):
        body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
        if FILE_READS.search(body) and not body.lstrip().upper().startswith(("CREATE", "PRAGMA")):
            plan = [row[3] for row in super().execute("EXPLAIN QUERY PLAN " + sql, *args)]
            Planned.reads.append((body, args[0] if args else {}, plan))
        return super().execute(sql, *args)


def state_of(path):
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return dict(conn.execute("SELECT * FROM consortium_backfill_state").fetchone())
    finally:
        conn.close()


@pytest.mark.parametrize("combo", ERA08_COMBOS)
def test_a_rerun_reads_the_new_runs_and_turns_by_rowid_never_a_whole_table(combo, scratch, monkeypatch):
    history = History(combo)
    # Cut before the last two runs start: those, and their output rows, are new to the re-run.
    kept, moment = history.cut(history.runs[-2][2] - 0.1)
    shutil.copy(history.folder / "consortium_models.txt", scratch)
    cut_files(history, kept, moment, scratch, history.folder / "logs.db")
    backfill(scratch / "logs.db")
    first = state_of(scratch / "logs.db")
    assert first["clogs_last_rowid"] == kept[("clogs", "consortium_runs")] == len(history.runs) - 2
    log_the_rest_of_both(history, kept, scratch)
    Planned.reads = []
    monkeypatch.setattr(database.sqlite3, "connect", functools.partial(sqlite3.connect, factory=Planned))
    again = backfill(scratch / "logs.db")
    monkeypatch.undo()
    assert "Pass: incremental" in again
    left = json.loads(first["clogs_pending"])
    assert f"({2 + len(left)} runs read: those logged since the last backfill and those it left unlinked)" in again
    for body, params, plan in Planned.reads:
        scans = [step for step in plan if step.startswith("SCAN") and not SCANNED_OK.match(step)]
        assert not scans, (body, plan)
    bounds = {key: value for _, params, _ in Planned.reads if isinstance(params, dict) for key, value in params.items()}
    # consortium_runs: the two new runs, and the runs the first backfill left unlinked (failed, or under review).
    assert (bounds["runs_after"], bounds["runs_max"]) == (len(history.runs) - 2, len(history.runs))
    assert set(json.loads(bounds["pending"])) == set(json.loads(first["clogs_pending"]))
    assert len(json.loads(first["clogs_pending"])) <= 3
    if ("logs", "turns") in kept:
        assert (bounds["turns_after"], bounds["turns_max"]) == (kept[("logs", "turns")], history.rows[("logs", "turns")][-1][0])
    else:
        # llm <= 0.31: the file's own responses table, after the first call of the runs read again.
        pending = json.loads(first["clogs_pending"])
        assert bounds["calls_from"] == min([first["clogs_calls_rowid"], *pending.values()])
        assert bounds["calls_from"] > 0
    assert state_of(scratch / "logs.db")["clogs_last_rowid"] == len(history.runs)


# A file changed behind the tool's back: a full pass, and why.


def change_by_hand(path, *statements):
    conn = sqlite3.connect(path)
    with conn:
        for statement in statements:
            conn.execute(statement)
    conn.close()


@pytest.mark.parametrize(
    "combo, file, statements, reason",
    [
        ("llm0.31-c0.8", "consortium_logs.db", ["DELETE FROM consortium_runs WHERE rowid = (SELECT max(rowid) FROM consortium_runs)"],
         "consortium_logs.db changed since the last backfill: the last row of consortium_runs is rowid 13, "
         "the last backfill read up to rowid 14: rows were deleted"),
        ("llm0.31-c0.8", "consortium_logs.db", ["UPDATE consortium_runs SET user_prompt = 'redacted' WHERE rowid = 3"],
         "consortium_logs.db changed since the last backfill: the consortium_runs row at rowid 3 is not as the last "
         "backfill read it: edited"),
        ("llm0.36-c0.8", "consortium_logs.db", ["UPDATE consortium_runs SET id = 'another-' || id"],
         "consortium_logs.db changed since the last backfill: the consortium_runs row at rowid 14 is not the one the "
         "last backfill read: rows were deleted, or the file replaced"),
        ("llm0.36-c0.8", "logs.db", ["DELETE FROM turns WHERE rowid = 2"],
         "the database changed since the last backfill: the turns row at rowid 2 is not as the last backfill read it: deleted"),
    ],
    ids=["runs-deleted", "run-edited", "file-replaced", "turn-deleted"],
)
def test_a_file_changed_behind_our_back_gets_a_full_pass(combo, file, statements, reason, tmp_path):
    for name in ("logs.db", "consortium_logs.db", "consortium_models.txt"):
        shutil.copy(FIXTURES / combo / name, tmp_path / name)
    backfill(tmp_path / "logs.db")
    change_by_hand(tmp_path / file, *statements)
    again = backfill(tmp_path / "logs.db")
    assert f"Pass: full, every row ({reason})" in again.replace(f"{tmp_path}/", ""), again
    # The record is written again: the next re-run is incremental once more.
    assert "Pass: incremental" in backfill(tmp_path / "logs.db")
