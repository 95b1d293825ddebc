"""The smaller ways a backfill could mislead: encodings, Ctrl-C, a full TMPDIR, hot journals, odd schemas."""
import codecs
import os
import sqlite3
import subprocess
import sys

import pytest

from conftest import cli, file_hash, grouped, run_backfill
from test_safety import assert_refused, some_runs


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
        lambda text: text.encode("utf-16"),
        lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    ],
    ids=["utf-8 with BOM", "utf-16", "utf-16 big-endian"],
)
def test_a_models_file_saved_with_a_bom_or_as_utf16(logs_db, tmp_path, encode):
    some_runs(logs_db)
    models = tmp_path / "saved.txt"
    models.write_bytes(encode("cons\r\nother-cons\r\n"))
    result = run_backfill(logs_db.path, models)
    assert "Runs grouped: 2" in result.output and len(grouped(logs_db.path)) == 14


def test_a_models_file_that_is_not_text(logs_db, tmp_path):
    some_runs(logs_db)
    models = tmp_path / "saved.txt"
    models.write_bytes("cons\n".encode("utf-16-le"))
    assert_refused(run_backfill(logs_db.path, models, exit_code=2), "not a text file of names")


# The KeyboardInterrupt raised inside a SQL function is also reported to sys.unraisablehook.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_ctrl_c_says_interrupted_and_leaves_the_database_whole(logs_db, monkeypatch):
    import signal

    from consortium_backfill import formats

    some_runs(logs_db)
    before = file_hash(logs_db.path)
    parse_json = formats.parse_json

    def ctrl_c_while_parsing(prompt):
        os.kill(os.getpid(), signal.SIGINT)
        return parse_json(prompt)

    monkeypatch.setattr(formats, "parse_json", ctrl_c_while_parsing)
    result = cli("backfill", "-d", logs_db.path, "-m", logs_db.path.parent / "models.txt")
    assert result.exit_code == 130
    assert result.output.strip().splitlines()[-1] == (
        "Error: interrupted (Ctrl-C); each run is written whole or not at all, and the next backfill groups the rest"
    )
    assert file_hash(logs_db.path) == before


def test_a_full_tmpdir_is_named_not_the_databases_disk(tmp_path, monkeypatch):
    import sqlite3
    import tempfile
    import types

    from consortium_backfill import errors

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    free = {str(tmp_path / "tmp"): 1_000_000, str(tmp_path): 50_000_000_000}
    monkeypatch.setattr(errors.shutil, "disk_usage", lambda folder: types.SimpleNamespace(free=free[str(folder)]))
    problem = errors.database_error(tmp_path / "logs.db", sqlite3.OperationalError("database or disk is full"))
    assert problem.message.startswith(
        f"{tmp_path / 'logs.db'}: disk full: TMPDIR, where SQLite keeps its temporary tables, {tmp_path / 'tmp'}, has 1 MB free"
    )


CRASH_MID_WRITE = """
import os, signal, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA cache_size = 1")  # spill: pages reach the file before the commit
conn.execute("BEGIN")
conn.execute("UPDATE responses SET response = response || ' changed'")
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_read_only_commands_after_a_crash_that_left_a_hot_journal(logs_db, tmp_path):
    some_runs(logs_db, 5)
    logs_db.conn.close()
    crash = subprocess.run([sys.executable, "-c", CRASH_MID_WRITE, str(logs_db.path)])
    assert crash.returncode == -9 and logs_db.path.with_name("logs.db-journal").stat().st_size
    dry = cli("backfill", "-d", logs_db.path, "-m", tmp_path / "models.txt", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Runs to group: 5" in dry.output
    assert cli("verify", "-d", logs_db.path).exit_code == 0
    conn = sqlite3.connect(logs_db.path)
    assert conn.execute("SELECT count(*) FROM responses WHERE response LIKE '%changed'").fetchone()[0] == 0
    conn.close()


def test_a_hot_journal_without_write_access_is_one_line_naming_it(logs_db, tmp_path, monkeypatch):
    """Rolling the journal back needs write access to the file and its folder: without it,
    say so (root may write anything, so access is refused here by hand)."""
    some_runs(logs_db, 2)
    logs_db.conn.close()
    crash = subprocess.run([sys.executable, "-c", CRASH_MID_WRITE, str(logs_db.path)])
    assert crash.returncode == -9
    before = file_hash(logs_db.path)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: mode != os.W_OK and real_access(path, mode)
                        if os.fspath(path) == os.fspath(logs_db.path) else real_access(path, mode))
    result = cli("backfill", "-d", logs_db.path, "-m", tmp_path / "models.txt", "--dry-run")
    assert (result.exit_code, result.output.splitlines()) == (2, [
        f"Error: {logs_db.path}: a write was cut short and left {logs_db.path.resolve()}-journal; it needs write "
        "access to roll back (any llm command, or `backfill.py migrate`, does it)"
    ])
    assert file_hash(logs_db.path) == before


def test_responses_as_a_view(tmp_path):
    import sqlite3

    path = tmp_path / "view.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE real_rows (id TEXT, model TEXT, prompt TEXT, response TEXT, datetime_utc TEXT);"
        "CREATE VIEW responses AS SELECT * FROM real_rows;"
    )
    conn.close()
    before = file_hash(path)
    assert_refused(cli("backfill", "-d", path, "-m", tmp_path / "m.txt"), "responses is a view")
    assert_refused(cli("verify", "-d", path), "responses is a view")
    assert file_hash(path) == before


def test_out_of_memory_is_one_line(logs_db, monkeypatch):
    from consortium_backfill import analysis

    some_runs(logs_db)
    before = file_hash(logs_db.path)

    def no_memory(*args):
        raise MemoryError()

    monkeypatch.setattr(analysis, "analyse", no_memory)
    result = cli("backfill", "-d", logs_db.path, "-m", logs_db.path.parent / "models.txt")
    assert_refused(result, "out of memory; each run is written whole or not at all")
    assert file_hash(logs_db.path) == before
