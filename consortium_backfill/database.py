"""The safety of the user's file: find it, check it, open it, and write to it in transactions that commit whole or not at all."""
import contextlib
import itertools
import os
import pathlib
import signal
import sqlite3
import sys
import time
import urllib.parse

import click

from .errors import Problem, database_error
from .functions import register_functions, utils_db
from .lock import database_lock
from .sqlfiles import schema

REQUIRED_COLUMNS = ("id", "model", "prompt", "response", "datetime_utc")
# What a backfill stopped half-way leaves (write.py).
WHOLE_RUNS = "each run is written whole or not at all, and the next backfill groups the rest"
CACHE_KIB = 64 * 1024
# Pages read through a memory map of the file (SQLite caps it at 2 GB).
MMAP_BYTES = 2 * 1024**3


def llm_logs_path():
    """Where llm keeps logs.db: $LLM_USER_PATH, else llm's own user directory."""
    user_dir = os.environ.get("LLM_USER_PATH") or click.get_app_dir("io.datasette.llm")
    return pathlib.Path(user_dir) / "logs.db"


def resolve_database(database, quiet=False):
    if database is not None:
        return pathlib.Path(database)
    path = llm_logs_path()
    if not path.exists():
        raise Problem(f"no database at {path} (llm's logs.db): pass -d PATH, or run `make demo` to try the example")
    if not quiet:
        click.echo(f"Using llm's logs.db: {path}", err=True)
    return path


@contextlib.contextmanager
def connection(path, busy_timeout, write):
    """(conn, columns) of a checked database; any SQLite error becomes a one-line Problem.

    To write, the database's lock is held too: one writer of ours at a time.
    """
    conn, columns = open_database(path, busy_timeout, write)
    interrupted = []
    try:
        with database_lock(path) if write else contextlib.nullcontext(), ctrl_c_noted(interrupted):
            yield conn, columns
    except KeyboardInterrupt:
        raise Interrupted()
    except MemoryError:
        raise Problem(f"{path}: out of memory; {WHOLE_RUNS}")
    except sqlite3.DatabaseError as error:
        # Ctrl-C inside a SQL function reaches us as that function's error.
        if interrupted:
            raise Interrupted()
        raise database_error(path, error)
    finally:
        conn.close()


class Interrupted(Problem):
    exit_code = 130

    def __init__(self):
        super().__init__(f"interrupted (Ctrl-C); {WHOLE_RUNS}")


@contextlib.contextmanager
def ctrl_c_noted(interrupted):
    """Note a Ctrl-C in interrupted, then raise KeyboardInterrupt as Python does."""

    def handler(signum, frame):
        interrupted.append(signum)
        signal.default_int_handler(signum, frame)

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: leave Ctrl-C as it is
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def open_database(path, busy_timeout, write):
    """Check that path is llm's logs.db and open it; raise Problem naming what is wrong."""
    if not path.exists():
        raise Problem(f"{path}: no such file")
    if not path.is_file():
        raise Problem(f"{path}: not a file")
    with open(path, "rb") as f:
        header = f.read(16)
    if not header:
        raise Problem(f"{path}: empty file, not a SQLite database")
    if header != b"SQLite format 3\x00":
        raise Problem(f"{path}: not a SQLite database")
    if write:
        if not os.access(path, os.W_OK):
            raise Problem(f"{path}: read-only file")
        # SQLite writes its journal beside the real file, not beside a symlink.
        if not os.access(path.resolve().parent, os.W_OK):
            raise Problem(f"{path.resolve().parent}: read-only folder (SQLite writes its journal beside the database)")
    try:
        conn, columns = connect(path, busy_timeout, write)
    except sqlite3.OperationalError as error:
        if write or "readonly" not in str(error):
            raise database_error(path, error)
        # A hot journal: a write was cut short, and only a writer can roll it back.
        recover_hot_journal(path, busy_timeout)
        conn, columns = connect(path, busy_timeout, write)
    if not columns:
        conn.close()
        raise Problem(f"{path}: no responses table (is this llm's logs.db?)")
    if conn.execute("SELECT type FROM sqlite_master WHERE name = 'responses'").fetchone()[0] != "table":
        conn.close()
        raise Problem(f"{path}: responses is a view, not llm's table")
    if conn.execute("PRAGMA encoding").fetchone()[0] != "UTF-8":
        conn.close()
        # Content hashes are taken of the stored bytes; llm only makes UTF-8 databases.
        raise Problem(f"{path}: not a UTF-8 database")
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        conn.close()
        raise Problem(f"{path}: responses has no {', '.join(missing)} column")
    # 64 MiB instead of SQLite's 2 MiB: a large write transaction then spills
    # (and syncs its journal) far less often, and arbiter prompts read by
    # several phases stay cached. Memory stays bounded whatever the size.
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    # The scratch tables' own rollback journal in memory, not in a temp file:
    # only a failed statement on them needs it, and each read range rewrites
    # them (a few hundred MB of temp-file writes at 100k rows, beside the
    # user's file on the same disk). It holds the old content of the pages one
    # statement changes, never the user's file: llm's journal is untouched.
    conn.execute("PRAGMA temp.journal_mode = MEMORY")
    # A row holding invalid UTF-8 as TEXT is read with U+FFFD, not an exception.
    conn.text_factory = lambda data: data.decode("utf-8", "replace")
    register_functions(conn)
    return conn, columns


def read_through_memory_map(conn):
    """A full pass reads the file through a memory map (PRAGMA mmap_size).

    Each commit by another process (llm logs 100 rows a second at most)
    empties our page cache; read() then copies every page in again from the
    OS cache, while through a map SQLite uses the OS cache's page in place: a
    first backfill beside a writer like llm is faster, and the writer waits
    less (README, "Safe on a live logs.db"). Only reads go through the map:
    SQLite writes as before, so the file and its journal are written exactly
    as without it. An I/O error while reading a mapped page (a failing disk,
    a network drive gone) stops the process as a kill would, which leaves
    whole runs only. The mapped pages are the OS cache's, counted in the
    process's RSS but not allocated by it. Not on Windows, where a file
    mapped by us cannot be truncated by another process (llm's VACUUM).

    Not for a re-run or the other commands, which read a few rows here and
    there: on a cold file each fault on the map reads ahead far more than the
    page (a re-run at 100k rows: 0.76 s instead of 0.13 s).
    """
    if sys.platform != "win32":
        conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")


def connect(path, busy_timeout, write):
    """(conn, columns of responses); a read-only connection cannot create or change the file."""
    uri = "file:{}?mode={}".format(urllib.parse.quote(str(path.resolve())), "rw" if write else "ro")
    conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout, isolation_level=None)
    try:
        return conn, {row[1] for row in conn.execute("PRAGMA main.table_info(responses)")}
    except BaseException:
        conn.close()
        raise


def recover_hot_journal(path, busy_timeout):
    """Let SQLite roll back what a crashed write left in the journal, as any llm command would on opening."""
    journal = path.resolve().with_name(path.resolve().name + "-journal")
    if not (os.access(path, os.W_OK) and os.access(journal.parent, os.W_OK)):
        raise Problem(
            f"{path}: a write was cut short and left {journal}; it needs write access to roll back "
            "(any llm command, or `backfill.py migrate`, does it)"
        )
    conn, _ = connect(path, busy_timeout, write=True)
    conn.close()


@contextlib.contextmanager
def immediate_transaction(conn):
    """BEGIN IMMEDIATE: wait (busy timeout) for the write lock, then commit or roll back whole."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


# How long one try may wait for a lock. Waiting to commit holds SQLite's
# PENDING lock, which keeps every new reader out, llm included (it gives up
# after 5 s): so wait briefly, step aside, and try again.
TRY_WAIT_MS = 200


def is_busy(error):
    return "locked" in str(error) or "busy" in str(error)


def retried_transaction(conn, work):
    """work() in an immediate transaction; on a busy lock, roll back, wait, try again until the busy timeout."""
    busy_timeout_ms = conn.execute("PRAGMA busy_timeout").fetchone()[0]
    deadline = time.monotonic() + busy_timeout_ms / 1000
    pause = 0.05
    conn.execute(f"PRAGMA busy_timeout = {min(TRY_WAIT_MS, busy_timeout_ms)}")
    try:
        while True:
            try:
                with immediate_transaction(conn):
                    return work()
            except sqlite3.OperationalError as error:
                if not is_busy(error) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
    finally:
        conn.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")


def kill_after_statements(conn):
    """CONSORTIUM_BACKFILL_KILL_AFTER=N: SIGKILL this process as its Nth statement from here starts.

    For the crash tests, which prove a kill at any moment leaves the database whole.
    """
    limit = os.environ.get("CONSORTIUM_BACKFILL_KILL_AFTER")
    if not limit:
        return
    count = itertools.count(1)

    def trace(statement):
        if next(count) >= int(limit):
            os.kill(os.getpid(), signal.SIGKILL)

    conn.set_trace_callback(trace)


def pending_migrations(conn):
    return [m.name for m in schema()["migrations"].pending(utils_db(conn))]


def migrate(conn):
    """Apply the pending migrations in their own transaction; return their names."""
    pending = pending_migrations(conn)
    retried_transaction(conn, lambda: schema()["migrations"].apply(utils_db(conn)))
    return pending


def history_tables(conn):
    """(runs, members): the names of the run history tables in this database."""
    return schema()["history_tables"](utils_db(conn))
