"""What the README promises of each command: bad input, the models file, explain for every kind of row, make."""
import os
import shutil
import sqlite3
import subprocess
import tempfile
import types

import pytest

from consortium_backfill import errors
from builder import LogsDB, arbiter_prompt, arbiter_response
from conftest import FIXTURES, cli, file_hash, grouped, run_backfill

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def one_line_refusal(result, message):
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output


# Bad input for verify, migrate and explain: one line, exit code 2, the file as it was.

COMMANDS = {
    "verify": lambda path: ["verify", "-d", path],
    "migrate": lambda path: ["migrate", "-d", path],
    "explain": lambda path: ["explain", "01js0000000000000000000001", "-d", path],
}


def not_sqlite(path):
    path.write_bytes(b"hello, not a database\n" * 10)


def empty(path):
    path.write_bytes(b"")


def no_responses(path):
    sqlite3.connect(path).execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)").connection.close()


def few_columns(path):
    sqlite3.connect(path).execute("CREATE TABLE responses (id TEXT, datetime_utc TEXT)").connection.close()


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    "make,message",
    [
        (not_sqlite, "not a SQLite database"),
        (empty, "empty file, not a SQLite database"),
        (no_responses, "no responses table"),
        (few_columns, "responses has no model, prompt, response column"),
    ],
)
def test_bad_files_are_refused_by_every_command(tmp_path, command, make, message):
    path = tmp_path / "logs.db"
    make(path)
    before = file_hash(path)
    one_line_refusal(cli(*COMMANDS[command](path)), message)
    assert file_hash(path) == before


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_file_is_refused_by_every_command(tmp_path, command):
    one_line_refusal(cli(*COMMANDS[command](tmp_path / "nope.db")), "no such file")
    assert not (tmp_path / "nope.db").exists()


def test_migrate_refuses_a_locked_database(logs_db):
    before = file_hash(logs_db.path)
    holder = sqlite3.connect(logs_db.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = cli("migrate", "-d", logs_db.path, "--busy-timeout", "0.2")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    one_line_refusal(result, "database is busy")
    assert file_hash(logs_db.path) == before


def test_explain_of_a_row_not_grouped_needs_consortium_names(logs_db):
    run = logs_db.run("cons", "Who am I", [[("a", "w1")]])
    result = cli("explain", run["members"][0], "-d", logs_db.path)
    assert (result.exit_code, result.output.splitlines()) == (
        2, ["Error: no consortium names: pass --models-file to explain a row not grouped yet"])


# The models file: one name a line, blank lines and # comments ignored.


def test_models_file_names_are_trimmed_and_comments_ignored(logs_db, tmp_path):
    run = logs_db.run("cons", "Trim me", [[("a", "t1")]])
    other = logs_db.run("other-cons", "Not named", [[("a", "n1")]])
    names = tmp_path / "names.txt"
    names.write_text("# my saved consortiums\n\n   cons   \n# other-cons\n")
    run_backfill(logs_db.path, names)
    rows = grouped(logs_db.path)
    assert run["output"] in rows and other["output"] not in rows


def test_a_models_file_of_comments_alone_names_nothing(logs_db, tmp_path):
    logs_db.run("cons", "Nobody", [[("a", "x")]])
    names = tmp_path / "names.txt"
    names.write_text("# cons\n#other-cons\n\n")
    before = file_hash(logs_db.path)
    one_line_refusal(run_backfill(logs_db.path, names, exit_code=2), "no consortium names")
    assert file_hash(logs_db.path) == before


# explain, for every kind of row.


def explain(db, row_id, *args):
    result = cli("explain", row_id, "-d", db.path, "--models-file", db.path.parent / "models.txt", *args)
    assert result.exit_code == 0, result.output
    return result.output


def test_explain_each_role_of_a_grouped_run(logs_db):
    run = logs_db.run("cons", "Two rounds", [[("a", "r1"), ("b", "r2")], [("a", "r3"), ("b", "r4")]])
    run_backfill(logs_db.path, logs_db.path.parent / "models.txt")
    consortium_id = grouped(logs_db.path)[run["output"]][0]
    assert explain(logs_db, run["output"]).splitlines() == [
        f"{run['output']} is the final output (iteration 2 of 2) of run {consortium_id} (cons).",
        f"Rule: its model, cons, is a saved consortium name; the row logged right before it, {run['final']}, "
        "is its final arbiter.",
    ]
    assert explain(logs_db, run["final"]).splitlines()[1] == (
        f"Rule: it is the row logged right before the output row {run['output']}, its prompt is an arbiter "
        "prompt, and its <original_prompt> contains the output's prompt."
    )
    intermediate = explain(logs_db, run["intermediate"][0])
    assert intermediate.startswith(f"{run['intermediate'][0]} is the intermediate arbiter (iteration 1 of 2)")
    assert f"<iteration_history> of final arbiter {run['final']}" in intermediate
    member = explain(logs_db, run["members"][3])
    assert member.startswith(f"{run['members'][3]} is the member (iteration 2 of 2, member 2)")
    assert f"quoted in the <model_responses> of final arbiter {run['final']}, as one of iteration 2" in member


def test_explain_both_rows_of_a_skipped_run(logs_db):
    logs_db.log("stub-arbiter", arbiter_prompt("Question one", [("a", "m")]), arbiter_response("s"))
    arbiter = logs_db.conn.execute("SELECT id FROM responses ORDER BY rowid DESC LIMIT 1").fetchone()[0]
    output = logs_db.log("cons", "Question two", "s")
    run_backfill(logs_db.path, logs_db.path.parent / "models.txt")
    assert explain(logs_db, output).startswith(
        f"{output} is in no run: it is the output row of a run that was skipped: original prompt does not match."
    )
    assert explain(logs_db, arbiter).startswith(
        f"{arbiter} is in no run: it is the row before output {output} of a run that was skipped: "
        "original prompt does not match."
    )


def test_explain_a_row_grouped_by_hand(logs_db):
    logs_db.conn.executescript(
        "ALTER TABLE responses ADD COLUMN consortium_id TEXT;"
        "ALTER TABLE responses ADD COLUMN is_arbiter_response INTEGER DEFAULT 0;"
    )
    row = logs_db.log("gpt-4o", "mine", "by hand", consortium_id="my-own-run", is_arbiter_response=0)
    assert explain(logs_db, row).strip() == (
        f"{row} is in run my-own-run with is_arbiter_response = 0, but no run history records how it got there "
        "(grouped by hand, or before the history tables existed)."
    )


def test_explain_before_a_backfill_says_the_next_one_groups_it(logs_db):
    run = logs_db.run("cons", "Soon", [[("a", "s1")]])
    text = explain(logs_db, run["final"])
    assert text.startswith("Not grouped yet; the next backfill groups it.\n")
    assert f"{run['final']} is the final arbiter (iteration 1 of 1)" in text


# llm-consortium 0.1/0.2: "You are an advanced AI synthesis system".


def synthesis_system_prompt(question, answers):
    responses = "\n".join(
        f"<model_response>\n            <model>{model}</model>\n            <confidence>0.8</confidence>\n"
        f"            <response>{text}</response>\n        </model_response>"
        for model, text in answers
    )
    return (
        "You are an advanced AI synthesis system designed to analyze and synthesize responses from multiple "
        "AI models.\n\nHere is the iteration history of the responses:\n\n<iteration_history>\n"
        "<no_previous_iterations>No previous iterations available.</no_previous_iterations>\n"
        "</iteration_history>\n\nHere are the model responses to be analyzed:\n\n<model_responses>\n"
        f"{responses}\n</model_responses>\n\nHere is the original prompt that generated the responses:\n\n"
        f"<original_prompt>\n{question}\n</original_prompt>\n\nPlease follow these steps to complete your task:"
    )


def test_a_run_of_llm_consortium_0_2_end_to_end(logs_db, tmp_path):
    question = "Capital of France?"
    answers = [("gpt-4o", "Paris & <i>France</i>"), ("claude-3-opus", "Paris.")]
    members = [logs_db.log(model, question, text) for model, text in answers]
    final = logs_db.log("gpt-4o", synthesis_system_prompt(question, answers), arbiter_response("Paris"))
    output = logs_db.log("cons", question, "Paris")
    models = logs_db.path.parent / "models.txt"
    run_backfill(logs_db.path, models)
    rows = grouped(logs_db.path)
    assert [rows[i][1] for i in members + [final, output]] == [0, 0, 1, 0]
    assert len({rows[i][0] for i in members + [final, output]}) == 1
    assert cli("verify", "-d", logs_db.path, "--models-file", models).exit_code == 0
    assert f"is the member (iteration 1 of 1, member 2) of run {rows[output][0]} (cons)" in explain(logs_db, members[1])


# The make targets, on a copy of the example database.


def make(*args):
    result = subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True)
    return result


def test_make_targets_on_a_database(tmp_path):
    path = tmp_path / "my logs" / "logs.db"
    path.parent.mkdir()
    shutil.copy(FIXTURES / "llm0.25-c0.5" / "logs.db", path)
    models = FIXTURES / "llm0.25-c0.5" / "consortium_models.txt"
    dry = make("backfill", f"DB={path}", f"MODELS={models}", "ARGS=--dry-run")
    assert dry.returncode == 0 and "(dry run: nothing written)" in dry.stdout, dry.stderr
    migrated = make("migrate", f"DB={path}")
    assert migrated.returncode == 0 and "applied" in migrated.stdout, migrated.stderr
    done = make("backfill", f"DB={path}", f"MODELS={models}", "ARGS=--no-backup")
    assert done.returncode == 0 and "Runs grouped:" in done.stdout, done.stderr
    verified = make("verify", f"DB={path}", f"MODELS={models}")
    assert verified.returncode == 0 and "OK: no violations" in verified.stdout, verified.stderr
    (row_id,) = sqlite3.connect(path).execute(
        "SELECT output_response_id FROM consortium_runs ORDER BY id LIMIT 1").fetchone()
    explained = make("explain", f"ID={row_id}", f"DB={path}")
    assert explained.returncode == 0 and f"{row_id} is the final output" in explained.stdout, explained.stderr
    assert make("explain", f"DB={path}").returncode != 0
    listed = make("help").stdout
    for target in ("demo", "backfill", "verify", "explain", "migrate", "browse", "test", "bench", "fixtures"):
        assert f"make {target}" in listed


def test_make_demo(tmp_path):
    demo = make("demo")
    assert demo.returncode == 0, demo.stderr
    assert "OK: no violations" in demo.stdout
    assert os.path.exists(os.path.join(ROOT, "build", "demo", "logs.backup.db"))


def test_explain_a_row_of_an_orphan_run(logs_db):
    orphan = logs_db.run("cons", "No output", [[("a", "o1")], [("a", "o2")]], output=False)
    run_backfill(logs_db.path, logs_db.path.parent / "models.txt", "--include-orphans")
    consortium_id = grouped(logs_db.path)[orphan["final"]][0]
    assert explain(logs_db, orphan["final"]).splitlines() == [
        f"{orphan['final']} is the final arbiter (iteration 2 of 2) of run {consortium_id} "
        "(an orphan run, no output row).",
        "Rule: it is the last arbiter of a chain no output row follows, grouped by --include-orphans.",
    ]


def test_explain_rows_of_an_orphan_run_before_a_backfill(logs_db):
    """Before any backfill: what --include-orphans would make of them, in the run it then makes."""
    orphan = logs_db.run("cons", "No output", [[("a", "o1")], [("a", "o2")]], output=False)
    final, intermediate = orphan["final"], orphan["intermediate"][0]
    final_said, intermediate_said = explain(logs_db, final).splitlines(), explain(logs_db, intermediate).splitlines()
    run_backfill(logs_db.path, logs_db.path.parent / "models.txt", "--include-orphans")
    consortium_id = grouped(logs_db.path)[final][0]
    assert final_said == [
        f"{final} is in no run: arbiter prompt in no run: no consortium output row follows it. "
        "`backfill --include-orphans` groups it:",
        f"{final} is the final arbiter (iteration 2 of 2) of run {consortium_id} (an orphan run, no output row).",
        "Rule: it is the last arbiter of a chain no output row follows, grouped by --include-orphans.",
    ]
    assert intermediate_said[:2] == [
        f"{intermediate} is in no run: its chain of arbiter prompts has no consortium output row. "
        "`backfill --include-orphans` groups it:",
        f"{intermediate} is the intermediate arbiter (iteration 1 of 2) of run {consortium_id} "
        "(an orphan run, no output row).",
    ]


def test_without_llm_user_path_the_database_is_in_llms_user_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("LLM_USER_PATH", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    result = cli("verify")
    one_line_refusal(result, f"no database at {tmp_path / '.config' / 'io.datasette.llm' / 'logs.db'}")


@pytest.mark.parametrize(
    "message,said",
    [
        ("database is locked", "logs.db: database is busy (another process holds a lock on it): database is locked"),
        ("database is busy", "logs.db: database is busy (another process holds a lock on it): database is busy"),
        ("attempt to write a readonly database", "logs.db: cannot write: attempt to write a readonly database"),
        ("file is read-only", "logs.db: cannot write: file is read-only"),
        ("no such table: responses", "logs.db: no such table: responses"),
    ],
)
def test_each_sqlite_error_is_one_line_naming_the_file(message, said):
    problem = errors.database_error("logs.db", sqlite3.OperationalError(message))
    assert problem.exit_code == 2 and problem.format_message() == said


def test_a_full_disk_names_the_fuller_folder(tmp_path, monkeypatch):
    free = {str(tmp_path): 1_500_000, tempfile.gettempdir(): 7_500_000}
    monkeypatch.setattr(errors.shutil, "disk_usage", lambda folder: types.SimpleNamespace(free=free[str(folder)]))
    said = errors.database_error(tmp_path / "logs.db", sqlite3.OperationalError("database or disk is full"))
    assert said.format_message() == (
        f"{tmp_path / 'logs.db'}: disk full: the database's folder, {tmp_path}, has 2 MB free "
        f"(TMPDIR, where SQLite keeps its temporary tables {tempfile.gettempdir()} has 8 MB); nothing was written"
    )
