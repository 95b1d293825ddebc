"""A precious, live logs.db: bad input, backup, dry run, idempotency, crashes, a running llm."""
import contextlib
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import types

import pytest

import faults
from consortium_backfill import backup
from consortium_backfill import run as run_module
from builder import LogsDB, arbiter_prompt
from conftest import cli, file_hash, grouped, run_backfill

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


PHASE_LINE = re.compile(r"(Reading runs|Reading rows|Matching|Backing up|Writing): .*\d s")


@contextlib.contextmanager
def immutable(path):
    """Read-only even for root: `chattr +i`."""
    subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def assert_refused(result, message, path=None, before=None):
    """One line of error, after the phase lines of what had started (stderr is no terminal here)."""
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.strip().splitlines() if not PHASE_LINE.fullmatch(line)]
    assert len(lines) == 1, result.output
    assert message in lines[0]
    if path is not None:
        assert file_hash(path) == before


def some_runs(db, count=2):
    for n in range(count):
        db.log("gpt-4o", f"plain {n}", "answer")
        db.run("cons", f"Question {n}", [[("a", f"a{n}"), ("b", f"b{n}")], [("a", f"a{n}!"), ("b", f"b{n}!")]])


# Bad input: one line naming the problem, exit code 2, the file as it was.


def test_missing_path(tmp_path):
    assert_refused(run_backfill(tmp_path / "nope.db", tmp_path / "m.txt", exit_code=2), "no such file")


@pytest.mark.parametrize(
    "content,message",
    [(b"", "empty file, not a SQLite database"), (b"hello, not a database\n" * 10, "not a SQLite database")],
)
def test_not_a_sqlite_file(tmp_path, content, message):
    path = tmp_path / "logs.db"
    path.write_bytes(content)
    before = file_hash(path)
    assert_refused(run_backfill(path, tmp_path / "m.txt", exit_code=2), message, path, before)


def test_sqlite_without_responses(tmp_path):
    path = tmp_path / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)").connection.close()
    before = file_hash(path)
    assert_refused(run_backfill(path, tmp_path / "m.txt", exit_code=2), "no responses table", path, before)


def test_responses_without_needed_columns(tmp_path):
    path = tmp_path / "odd.db"
    sqlite3.connect(path).execute("CREATE TABLE responses (id TEXT, datetime_utc TEXT)").connection.close()
    before = file_hash(path)
    assert_refused(run_backfill(path, tmp_path / "m.txt", exit_code=2), "responses has no model, prompt, response column", path, before)


def test_read_only_file(logs_db):
    some_runs(logs_db)
    before = file_hash(logs_db.path)
    with immutable(logs_db.path):
        result = run_backfill(logs_db.path, logs_db.path.parent / "models.txt", exit_code=2)
    assert_refused(result, "read-only file", logs_db.path, before)


def test_read_only_folder(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    db = LogsDB(folder / "logs.db")
    (tmp_path / "models.txt").write_text("cons\n")
    some_runs(db)
    db.conn.close()
    before = file_hash(db.path)
    with immutable(folder):
        result = cli("backfill", "-d", db.path, "--models-file", tmp_path / "models.txt")
    assert_refused(result, "read-only folder", db.path, before)


def test_backup_folder_read_only(logs_db, tmp_path):
    some_runs(logs_db)
    folder = tmp_path / "backups"
    folder.mkdir()
    before = file_hash(logs_db.path)
    with immutable(folder):
        result = cli("backfill", "-d", logs_db.path, "--models-file", tmp_path / "models.txt",
                     "--backup-path", folder / "copy.db")
    assert_refused(result, "cannot write the backup there", logs_db.path, before)


def test_missing_models_file(logs_db, tmp_path):
    some_runs(logs_db)
    before = file_hash(logs_db.path)
    assert_refused(run_backfill(logs_db.path, tmp_path / "missing.txt", exit_code=2), "no such models file", logs_db.path, before)


def test_empty_models_file_and_no_saved_consortiums(logs_db, tmp_path):
    some_runs(logs_db)
    (tmp_path / "empty.txt").write_text("\n")
    before = file_hash(logs_db.path)
    assert_refused(run_backfill(logs_db.path, tmp_path / "empty.txt", exit_code=2), "no consortium names", logs_db.path, before)


def test_locked_database(logs_db):
    some_runs(logs_db)
    before = file_hash(logs_db.path)
    holder = sqlite3.connect(logs_db.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = run_backfill(logs_db.path, logs_db.path.parent / "models.txt", "--busy-timeout", "0.2", exit_code=2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_refused(result, "database is busy", logs_db.path, before)


@pytest.mark.parametrize("command", [["verify"], ["explain", "some-row-id"], ["history"]])
def test_commands_that_only_read_say_a_locked_database_is_busy(logs_db, tmp_path, command):
    some_runs(logs_db)
    run_backfill(logs_db.path, tmp_path / "models.txt", "--no-backup")
    holder = sqlite3.connect(logs_db.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = cli(*command, "-d", logs_db.path, "--busy-timeout", "0.2")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_refused(result, "database is busy")


def test_not_enough_disk_for_the_backup(logs_db, monkeypatch):
    some_runs(logs_db)
    before = file_hash(logs_db.path)
    monkeypatch.setattr(backup.shutil, "disk_usage", lambda path: types.SimpleNamespace(free=1024))
    result = cli("backfill", "-d", logs_db.path, "--models-file", logs_db.path.parent / "models.txt")
    assert_refused(result, "not enough free disk for the backup", logs_db.path, before)
    assert not list(logs_db.path.parent.glob("logs.backup-*"))


@pytest.mark.parametrize(
    "bad_prompt",
    [
        arbiter_prompt("Bad run", [("a", "m1")])[:150],
        arbiter_prompt("Bad run", [("a", "m1")]).replace("</model_responses>", ""),
        "<arbiter_prompt>\x00\x01\ufffd junk \udcff".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
        "<arbiter_prompt><original_prompt>Bad run" + "<model_response>x" * 600_000,
    ],
    ids=["truncated", "tag missing", "junk bytes", "10 MB"],
)
def test_malformed_arbiter_prompt_skips_only_its_run(logs_db, tmp_path, bad_prompt):
    good = logs_db.run("cons", "Good run", [[("a", "g1")]])
    logs_db.log("stub-arbiter", bad_prompt, "whatever")
    bad_output = logs_db.log("cons", "Bad run", "whatever")
    report = tmp_path / "report.json"
    result = run_backfill(logs_db.path, tmp_path / "models.txt", "--report", report)
    reasons = {r["response_id"]: r["reason"] for r in json.loads(report.read_text())["review"]}
    assert reasons[bad_output].startswith("malformed arbiter prompt: ")
    assert good["output"] in grouped(logs_db.path) and bad_output not in grouped(logs_db.path)


# Backup, dry run, idempotency.


def test_backup_is_a_checked_copy_of_the_database_before_writing(logs_db, tmp_path):
    some_runs(logs_db)
    before = file_hash(logs_db.path)
    before_rows = logs_db.conn.execute("SELECT count(*) FROM responses").fetchone()[0]
    result = cli("backfill", "-d", logs_db.path, "--models-file", tmp_path / "models.txt",
                 "--backup-path", tmp_path / "copy.db")
    assert result.exit_code == 0, result.output
    assert f"Backup: {tmp_path / 'copy.db'}" in result.output
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT count(*) FROM responses").fetchone()[0] == before_rows
    assert "consortium_id" not in {c[1] for c in copy.execute("PRAGMA table_info(responses)")}
    copy.close()
    assert file_hash(logs_db.path) != before


def test_a_damaged_backup_is_never_reported_as_good(logs_db, tmp_path, monkeypatch):
    some_runs(logs_db)
    before = file_hash(logs_db.path)
    monkeypatch.setattr(sqlite3, "connect", faults.faulty_connect("damaged"))
    result = cli("backfill", "-d", logs_db.path, "--models-file", tmp_path / "models.txt",
                 "--backup-path", tmp_path / "copy.db")
    monkeypatch.undo()
    assert_refused(result, "backup failed its quick_check", logs_db.path, before)
    assert not (tmp_path / "copy.db").exists()


def test_a_backup_cut_short_never_carries_the_backup_name(logs_db, tmp_path):
    """kill -9 while the backup is written: no file named as the backup, the database as it was."""
    some_runs(logs_db)
    logs_db.conn.close()
    before = file_hash(logs_db.path)
    copy, models = tmp_path / "copy.db", tmp_path / "models.txt"
    killed = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tests", "faults.py"), "cut", "backfill", "-d", str(logs_db.path),
         "--models-file", str(models), "--backup-path", str(copy)],
        capture_output=True,
    )
    assert killed.returncode == -signal.SIGKILL
    assert not copy.exists()
    assert file_hash(logs_db.path) == before
    # The next backfill makes a whole backup in spite of the leftover.
    result = cli("backfill", "-d", logs_db.path, "--models-file", models, "--backup-path", copy)
    assert result.exit_code == 0, result.output
    assert columns_state(copy) is None and len(grouped(logs_db.path)) == 14


def test_a_backup_on_a_file_system_without_hard_links(logs_db, tmp_path, monkeypatch):
    """A USB stick (FAT, exFAT) or some network shares refuse os.link: the backup
    is still made, under its name, with no .partial left, and never over a file."""
    some_runs(logs_db)

    def no_hard_links(source, target):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_hard_links)
    copy, models = tmp_path / "copy.db", tmp_path / "models.txt"
    result = cli("backfill", "-d", logs_db.path, "--models-file", models, "--backup-path", copy)
    assert result.exit_code == 0, result.output
    assert f"Backup: {copy}" in result.output
    assert columns_state(copy) is None
    assert not list(tmp_path.glob("*.partial"))
    logs_db.run("cons", "One more", [[("a", "m1")]])
    before = file_hash(logs_db.path)
    again = cli("backfill", "-d", logs_db.path, "--models-file", models, "--backup-path", copy, "--backup", "full")
    assert_refused(again, str(copy), logs_db.path, before)
    assert columns_state(copy) is None


def test_no_backup_when_there_is_nothing_to_group(logs_db, tmp_path):
    """A database without runs still gets its columns; a second backfill writes nothing: no backup either time."""
    logs_db.log("gpt-4o", "hello", "hi")
    logs_db.run("cons", "No output yet", [[("a", "x1")]], output=False)
    first = cli("backfill", "-d", logs_db.path, "--models-file", tmp_path / "models.txt")
    assert first.exit_code == 0, first.output
    assert "consortium_id" in {c[1] for c in logs_db.conn.execute("PRAGMA table_info(responses)")}
    logs_db.run("cons", "Now with output", [[("a", "y1")]])
    second = cli("backfill", "-d", logs_db.path, "--models-file", tmp_path / "models.txt")
    assert second.exit_code == 0, second.output
    third = cli("backfill", "-d", logs_db.path, "--models-file", tmp_path / "models.txt")
    assert third.exit_code == 0, third.output
    backups = list(tmp_path.glob("logs.backup-*"))
    assert len(backups) == 1 and "Backup:" not in first.output + third.output
    assert f"Backup: {backups[0]}" in second.output


def test_default_backup_sits_beside_the_database(logs_db):
    some_runs(logs_db)
    result = cli("backfill", "-d", logs_db.path, "--models-file", logs_db.path.parent / "models.txt")
    assert result.exit_code == 0, result.output
    backups = list(logs_db.path.parent.glob("logs.backup-*.db"))
    assert len(backups) == 1 and f"Backup: {backups[0]}" in result.output


def test_no_backup(logs_db):
    some_runs(logs_db)
    run_backfill(logs_db.path, logs_db.path.parent / "models.txt")
    assert not list(logs_db.path.parent.glob("logs.backup-*"))


def test_dry_run_writes_nothing_and_reports_the_same(logs_db, tmp_path):
    some_runs(logs_db, 3)
    before = file_hash(logs_db.path)
    dry = cli("backfill", "-d", logs_db.path, "--models-file", tmp_path / "models.txt", "--dry-run",
              "--report", tmp_path / "dry.json")
    assert dry.exit_code == 0, dry.output
    assert file_hash(logs_db.path) == before
    assert not list(tmp_path.glob("logs.backup-*"))
    real = run_backfill(logs_db.path, tmp_path / "models.txt", "--report", tmp_path / "real.json")
    assert "Rows to update" in dry.output and "Rows updated: 21" in real.output
    dry_report, real_report = (json.loads((tmp_path / f).read_text()) for f in ("dry.json", "real.json"))
    for key in ("output_rows_found", "runs_grouped", "runs_skipped", "rows_by_role", "orphan_arbiter_rows"):
        assert dry_report[key] == real_report[key]
    assert real_report["rows_updated"] == sum(real_report["rows_by_role"].values()) == 21


def test_second_run_changes_nothing_and_new_runs_are_picked_up(logs_db, tmp_path):
    some_runs(logs_db)
    run_backfill(logs_db.path, tmp_path / "models.txt")
    first = grouped(logs_db.path)
    before = file_hash(logs_db.path)
    again = run_backfill(logs_db.path, tmp_path / "models.txt", "--report", tmp_path / "again.json")
    assert "Nothing new: no run left to group" in again.output
    assert json.loads((tmp_path / "again.json").read_text())["changes"] == 0
    assert file_hash(logs_db.path) == before
    new = logs_db.run("cons", "Later question", [[("a", "later a"), ("b", "later b")]])
    run_backfill(logs_db.path, tmp_path / "models.txt", "--report", tmp_path / "new.json")
    report = json.loads((tmp_path / "new.json").read_text())
    assert report["runs_grouped"] == 1 and report["rows_updated"] == 4
    after = grouped(logs_db.path)
    assert {k: v for k, v in after.items() if k in first} == first
    assert set(after) - set(first) == set(new["members"] + [new["final"], new["output"]])


def test_journal_mode_and_triggers_are_as_before(logs_db):
    some_runs(logs_db)
    schema = lambda: logs_db.conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name").fetchall()
    triggers = schema()
    assert any(name == "responses_au" for name, _ in triggers)
    run_backfill(logs_db.path, logs_db.path.parent / "models.txt")
    assert schema() == triggers
    assert logs_db.conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    logs_db.conn.execute("INSERT INTO responses_fts (responses_fts) VALUES ('integrity-check')")


# Crashes: kill -9 at many moments; the database is whole and all-or-nothing.


def columns_state(path):
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        conn.execute("INSERT INTO responses_fts (responses_fts) VALUES ('integrity-check')")
        names = {c[1] for c in conn.execute("PRAGMA table_info(responses)")}
        if "consortium_id" not in names:
            return None
        return conn.execute("SELECT id, consortium_id, is_arbiter_response FROM responses ORDER BY rowid").fetchall()
    finally:
        conn.close()


def backfill_process(path, models, **env):
    return subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "backfill.py"), "backfill", "-d", str(path), "--models-file", str(models)],
        env=dict(os.environ, **env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def on_disk(path):
    """What a kill would leave in path's folder: each file and its size, and the count of
    commits SQLite keeps in the database's header."""
    files = {f.name: f.stat().st_size for f in path.parent.iterdir()}
    with open(path, "rb") as f:
        f.seek(24)
        return files, f.read(4)


def statements_of_a_backfill(path, models, monkeypatch):
    """For each statement of a backfill of path, counted as CONSORTIUM_BACKFILL_KILL_AFTER
    counts them: whether it starts inside a transaction, and what its folder holds then.
    (The backfill runs here, and writes path.)"""
    statements = []

    def record(conn):
        conn.set_trace_callback(lambda statement: statements.append((conn.in_transaction, on_disk(path))))

    monkeypatch.setattr(run_module, "kill_after_statements", record)
    result = cli("backfill", "-d", path, "--models-file", models)
    assert result.exit_code == 0, result.output
    return statements


def kill_points(statements):
    """Where a kill can leave something of its own: the first statement and every one
    before which something changed on disk (a commit, a statement run outside a
    transaction, a backup), and in each transaction its first statement, its middle and
    its COMMIT. A kill at any other statement leaves what one of these leaves."""
    points = {1} | {n for n in range(2, len(statements) + 1) if statements[n - 1][1] != statements[n - 2][1]}
    transactions = []
    for n, (in_transaction, _) in enumerate(statements, 1):
        if in_transaction and (n == 1 or not statements[n - 2][0]):
            transactions.append([n, n])
        elif in_transaction:
            transactions[-1][1] = n
    for first, last in transactions:
        points |= {first, (first + last) // 2, last}
    return sorted(points), len(transactions)


def tables_state(path):
    """The rows of each table: what a write that is not whole would leave half-done."""
    conn = sqlite3.connect(path)
    try:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {table: conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0] for table in tables}
    finally:
        conn.close()


def test_kill_at_any_statement_leaves_all_or_nothing(logs_db, tmp_path, monkeypatch, forker):
    """A kill leaves the file as it was, as the migration alone leaves it, or as the whole
    backfill leaves it: both columns of every row and every table."""
    some_runs(logs_db, 5)
    logs_db.conn.close()
    pristine = tmp_path / "pristine.db"
    pristine.write_bytes(logs_db.path.read_bytes())
    migrated = tmp_path / "migrated.db"
    migrated.write_bytes(pristine.read_bytes())
    assert cli("migrate", "-d", migrated).exit_code == 0
    (tmp_path / "complete").mkdir()
    complete = tmp_path / "complete" / "logs.db"
    complete.write_bytes(pristine.read_bytes())
    statements = statements_of_a_backfill(complete, tmp_path / "models.txt", monkeypatch)
    whole = [(columns_state(path), tables_state(path)) for path in (pristine, migrated, complete)]
    assert whole[2][0] != [(i, None, None) for i, _, _ in whole[2][0]]
    points, transactions = kill_points(statements)
    # The migration, then the write of the five runs; each kill is one process.
    assert transactions == 2 and len(points) >= 10
    # The last point: one statement past the end, where the backfill finishes.
    for n in points + [len(statements) + 1]:
        logs_db.path.write_bytes(pristine.read_bytes())
        for stale in tmp_path.glob("logs.backup-*"):
            stale.unlink()
        status = forker.run(["backfill", "-d", logs_db.path, "--models-file", tmp_path / "models.txt"],
                            CONSORTIUM_BACKFILL_KILL_AFTER=str(n))
        for backup in tmp_path.glob("logs.backup-*.db"):
            # A backup is taken before the first write. (These kills land at the start of
            # a statement, never inside the copy: test_a_backup_cut_short_... reaches there.)
            assert (columns_state(backup), tables_state(backup)) == whole[0], f"kill at statement {n}"
        assert (columns_state(logs_db.path), tables_state(logs_db.path)) in whole, f"kill at statement {n}"
        if n <= len(statements):
            assert status == -signal.SIGKILL, f"kill at statement {n}"
        else:
            assert status == 0
            assert (columns_state(logs_db.path), tables_state(logs_db.path)) == whole[2]


def test_timed_kills_leave_whole_runs(tmp_path):
    """The write commits whole runs, in transactions of about a thousand rows: a kill leaves each run
    grouped or not at all."""
    db = LogsDB(tmp_path / "logs.db")
    (tmp_path / "models.txt").write_text("cons\n")
    runs = [db.run("cons", f"Question {n} " + "x" * 2000, [[("a", f"a{n} " * 300), ("b", f"b{n} " * 300)]] * 2)
            for n in range(150)]
    db.conn.close()
    pristine = (tmp_path / "logs.db").read_bytes()
    outcomes = []
    for delay in (0.05, 0.15, 0.3, 0.5, 0.8):
        db.path.write_bytes(pristine)
        process = backfill_process(db.path, tmp_path / "models.txt")
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        state = columns_state(db.path)
        if state is not None:
            groups = {row_id: consortium_id for row_id, consortium_id, _ in state}
            for run in runs:
                ids = run["members"] + run.get("intermediate", []) + [run["final"], run["output"]]
                assert len({groups[i] for i in ids}) == 1, f"kill after {delay} s"
        outcomes.append(state is not None and state[0][1] is not None)
    assert outcomes.count(False) >= 1


# Beside a running llm.

# Enough runs that the backfill lasts longer than many of the writer's rows.
RUNS_BESIDE_LLM = 400


@pytest.mark.beside_a_writer
def test_backfill_beside_a_process_logging_like_llm(tmp_path):
    """It finishes, the runs logged meanwhile are grouped by the next backfill, the writer loses nothing."""
    db = LogsDB(tmp_path / "logs.db")
    models = tmp_path / "models.txt"
    models.write_text("cons\n")
    before = [db.run("cons", f"Busy question {n}", [[("a", f"a{n} " * 200), ("b", f"b{n} " * 200)]] * 2)
              for n in range(RUNS_BESIDE_LLM)]
    db.conn.close()
    stop, result = tmp_path / "stop", tmp_path / "writer.json"
    writer = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "tests", "log_writer.py"), str(db.path), str(stop), str(result)]
    )
    try:
        time.sleep(0.3)
        run_backfill(db.path, models)
        run_backfill(db.path, models)
        time.sleep(0.2)
    finally:
        stop.touch()
        writer.wait(timeout=30)
    written = json.loads(result.read_text())
    assert written["errors"] == []
    assert len(written["inserted"]) > 20 and len(written["runs"]) >= 3
    conn = sqlite3.connect(db.path)
    present = {r[0] for r in conn.execute("SELECT id FROM responses WHERE id LIKE '01live%'")}
    conn.close()
    assert present == set(written["inserted"])
    run_backfill(db.path, models)
    rows = grouped(db.path)
    for run in before + written["runs"]:
        ids = run["members"] + run.get("intermediate", []) + [run["final"], run["output"]]
        assert len({rows.get(i, (None,))[0] for i in ids} - {None}) == 1 and set(ids) <= set(rows), run
        assert rows[run["final"]][1] == 1
    plain = set(written["inserted"]) - {i for run in written["runs"] for i in run["members"] + [run["final"], run["output"]]}
    assert not plain & set(rows)


# Without -d: llm's own logs.db.


def test_default_database_is_llms_own(logs_db, monkeypatch):
    some_runs(logs_db)
    monkeypatch.setenv("LLM_USER_PATH", str(logs_db.path.parent))
    result = cli("backfill", "--models-file", logs_db.path.parent / "models.txt", "--no-backup")
    assert result.exit_code == 0
    assert f"Using llm's logs.db: {logs_db.path}" in result.stderr
    assert len(grouped(logs_db.path)) == 14


def test_default_database_missing_points_to_the_demo(tmp_path, monkeypatch):
    monkeypatch.setenv("LLM_USER_PATH", str(tmp_path / "nowhere"))
    result = cli("verify")
    assert_refused(result, "run `make demo` to try the example")
    assert str(tmp_path / "nowhere" / "logs.db") in result.output


def test_replacing_values_someone_else_wrote_is_backed_up_first(logs_db, tmp_path):
    """No run to group, only values an earlier attempt left: --replace-foreign
    writes, so the first backfill keeps a copy of them."""
    logs_db.log("gpt-4o", "plain", "answer")
    logs_db.conn.execute("ALTER TABLE responses ADD COLUMN consortium_id TEXT")
    logs_db.conn.execute("ALTER TABLE responses ADD COLUMN is_arbiter_response INTEGER DEFAULT 0")
    logs_db.conn.execute("UPDATE responses SET consortium_id = 'an earlier attempt', is_arbiter_response = 1")
    logs_db.conn.commit()
    copy = tmp_path / "copy.db"
    result = cli("backfill", "-d", logs_db.path, "--models-file", tmp_path / "models.txt",
                 "--replace-foreign", "--backup-path", copy)
    assert result.exit_code == 0, result.output
    assert f"Backup: {copy}" in result.output
    assert logs_db.conn.execute("SELECT consortium_id, is_arbiter_response FROM responses").fetchall() == [(None, 0)]
    kept = sqlite3.connect(copy)
    assert kept.execute("SELECT consortium_id, is_arbiter_response FROM responses").fetchall() == [
        ("an earlier attempt", 1)]
    kept.close()
