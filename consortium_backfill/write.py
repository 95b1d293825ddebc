"""The write: every change of one backfill, in short transactions of whole runs.

llm logs each row in a transaction of its own and gives up after waiting 5 s
for the lock. One transaction for a large backfill held the lock for
seconds, so the write is cut into transactions of whole runs (a run's two
columns, its run history, its change-log entries and review changes commit
together), each sized to take about CHUNK_SECONDS, with a pause between them
in which a waiting llm gets the lock. The record of where the backfill
stopped (sql/mark.sql) and the new review rows go with the last one: a
backfill cut short between two transactions leaves whole runs only, and the
next one groups the rest as if nothing had happened.
"""
import contextlib
import dataclasses
import os
import re
import time

from . import changes, foreign
from .database import history_tables, migrate, pending_migrations, retried_transaction
from .functions import table_exists
from .progress import QUIET
from .sqlfiles import sql_text, statements

# How long one transaction should hold the write lock; llm must never wait 1 s.
# Under 228 ms, after which a waiting writer sleeps 100 ms between tries
# instead of 50 (pause_after): a shorter pause follows.
CHUNK_SECONDS = 0.18
# The first transaction's size, before one was timed.
FIRST_CHUNK_ROWS = 1000
MIN_CHUNK_ROWS = 50
# Between two transactions: longer than SQLite's busy handler sleeps between
# two tries once a writer has waited a while (100 ms), so that a waiting llm
# wakes up to a free lock before the next transaction takes it.
PAUSE_SECONDS = 0.11
# SQLite's busy handler, which llm waits with: its sleeps between two tries of
# a waiting writer, in ms, then 100 ms each until the timeout.
BUSY_SLEEPS_MS = (1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100)
# Beyond a writer's longest sleep, for it to wake up and try.
PAUSE_MARGIN = 0.01


def pause_after(held, waited):
    """How long to leave the lock free after a transaction that held it `held` s,
    having waited `waited` s to take it.

    A writer that began waiting during the transaction has waited at most
    `held` when it ends, and is in one of the busy handler's sleeps that begin
    by then: the longest of those (50 ms up to 228 ms of waiting, 100 ms
    after), and a margin, is all the pause it needs to find the lock free.
    One that had to wait for the lock may have kept a writer waiting since
    before it began, which gets the whole pause.
    """
    if waited > 0.001:
        return PAUSE_SECONDS
    begun = longest = 0
    for sleep in BUSY_SLEEPS_MS:
        if begun > held * 1000:
            break
        longest, begun = sleep, begun + sleep
    return min(PAUSE_SECONDS, longest / 1000 + PAUSE_MARGIN)


def fts_update_triggers(conn):
    """Triggers that re-index responses_fts on ANY update of a row.

    The backfill changes only columns the index does not hold, so these can
    rest for the length of a transaction without the index going stale.
    """
    return [
        (name, sql)
        for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'responses'"
        )
        if re.search(r"\bAFTER\s+UPDATE\s+ON\b", sql, re.I) and "_fts" in sql
    ]


@contextlib.contextmanager
def fts_update_triggers_resting(conn):
    """The fts_update_triggers dropped for the body of a transaction (the write's and
    undo's), then created again as they were. On an error the transaction's rollback
    puts them back."""
    triggers = fts_update_triggers(conn)
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER [{name}]")
    yield
    for _, sql in triggers:
        conn.execute(sql)


@dataclasses.dataclass
class Written:
    """What the transactions committed so far: rows updated, changes on record, runs written."""

    transactions: int = 0
    updated: int = 0
    changes: int = 0
    runs: int = 0


@dataclasses.dataclass
class Chunk:
    """One transaction's share: run_rids in (low, high], consortium_logs.db links in (link_low, link_high]."""

    low: int = 0
    high: int = 0
    link_low: int = 0
    link_high: int = 0
    rows: int = 0
    runs: int = 0
    last: bool = False


def fixed_chunk_rows():
    """CONSORTIUM_BACKFILL_CHUNK_ROWS=N: transactions of about N rows, no pause between
    them. For the tests, which cut a small database's write into many transactions."""
    value = os.environ.get("CONSORTIUM_BACKFILL_CHUNK_ROWS")
    return int(value) if value else None


def units(conn):
    """[(phase, key, rows, reach)] in write order (sql/chunks.sql)."""
    *prepare, select = statements(sql_text("chunks"))
    for statement in prepare:
        conn.execute(statement)
    return [(phase, key, rows, max(key, reach)) for phase, key, rows, reach in conn.execute(select)]


def chunks(all_units, size):
    """Chunks of whole units, each of about size() rows (asked again for each chunk).

    A chunk ends only where no unit before it reaches past it (an inner run
    and its outer run go together).
    """
    chunk = Chunk()
    reach = None
    for index, (phase, key, rows, unit_reach) in enumerate(all_units):
        chunk.rows += rows
        chunk.runs += 1
        if phase == 1:
            chunk.high = key
        else:
            chunk.link_high = key
        reach = max(reach or (phase, unit_reach), (phase, unit_reach))
        if index + 1 < len(all_units) and chunk.rows >= size() and reach <= (phase, key):
            yield chunk
            chunk = Chunk(low=chunk.high, high=chunk.high, link_low=chunk.link_high, link_high=chunk.link_high)
            reach = None
    chunk.last = True
    yield chunk


def write(conn, params, found_at, command="backfill", written=None, progress=QUIET):
    """Every write of one backfill, in transactions of whole runs, each tried again
    while others hold the lock; returns (rows updated, changes on record).

    written: a Written, kept up to date as transactions commit (what a
    backfill that fails half-way leaves).
    """
    written = written if written is not None else Written()
    all_units = units(conn)
    with progress.phase("Writing", sum(unit[2] for unit in all_units), "rows") as advance:
        write_chunks(conn, dict(params, found_at=found_at), command, all_units, written, advance)
    return written.updated, written.changes


def write_chunks(conn, params, command, all_units, written, advance):
    paced = Paced()
    backfill_id = None
    if pending_migrations(conn):
        # The columns and the tables first, in a transaction of their own.
        started = time.perf_counter()
        migrate(conn)
        paced.pause = pause_after(time.perf_counter() - started, 0)
        written.transactions += 1
    sql = write_statements(conn)
    for chunk in chunks(all_units, paced.size):
        backfill_id, updated, recorded = paced.transaction(
            conn, lambda: write_chunk(conn, params, chunk, backfill_id is None, command, backfill_id, sql)
        )
        written.transactions += 1
        written.updated += updated
        written.changes = recorded
        written.runs += chunk.runs
        advance(chunk.rows)


class Paced:
    """Transactions one after another, each sized to hold the write lock about
    CHUNK_SECONDS, with a pause after each in which a waiting llm gets the lock
    (the write's and undo's)."""

    def __init__(self):
        self.fixed = fixed_chunk_rows()
        self.rows = self.fixed or FIRST_CHUNK_ROWS
        self.pause = 0

    def size(self):
        """Rows for the next transaction."""
        return self.rows

    def transaction(self, conn, work):
        """work() in a transaction tried again while others hold the lock, after the pause
        the last one calls for; returns what work() returns."""
        if self.pause and not self.fixed:
            time.sleep(self.pause)
        locked = []
        trying = time.perf_counter()

        def timed():
            # The lock is ours from here: the time it is held starts now, not
            # when the first try to take it began.
            locked.append(time.perf_counter())
            return work()

        result = retried_transaction(conn, timed)
        held = time.perf_counter() - locked[-1]
        # Every try but the last, and the last one's wait for BEGIN IMMEDIATE: time others held the lock.
        self.pause = pause_after(held, locked[-1] - trying)
        if not self.fixed:
            # Sized by how long the last one held the lock (its commit included),
            # growing at most fourfold at a time.
            self.rows = max(MIN_CHUNK_ROWS, min(4 * self.rows, int(self.rows * CHUNK_SECONDS / max(held, 1e-3))))
        return result


def write_statements(conn):
    """{phase: [statement]} of the SQL files the write runs, read once per backfill."""
    runs, members = history_tables(conn)
    return {
        name: list(statements(sql_text(name, **fill)))
        for name, fill in [("update", {}), ("history", dict(runs=runs, members=members)),
                           ("c08_write", dict(runs=runs, members=members)),
                           ("new_review", dict(stale=sql_text("c08_stale_review"))), ("mark", {})]
    }


def write_chunk(conn, params, chunk, first, command, backfill_id, sql):
    """One transaction's writes: (log entry id, rows updated, changes the entry holds).

    sql: write_statements(). first: the first transaction of runs, which
    also clears the values --replace-foreign replaces.
    """
    with fts_update_triggers_resting(conn):
        backfill_id = changes.start(conn, command, backfill_id)
        params = dict(params, **dataclasses.asdict(chunk))
        if first:
            foreign.replace(conn, params)
        updated = run_all(conn, sql["update"], params)
        run_all(conn, sql["history"], params)
        # Runs linked from consortium_logs.db: their output rows in responses first.
        updated += run_all(conn, sql["c08_write"], params)
        if chunk.last:
            run_all(conn, sql["new_review"], params)
            run_all(conn, sql["mark"], params)
        recorded = changes.finish(conn, backfill_id)
    return backfill_id, updated, recorded


def run_all(conn, statements, params):
    """The statements in order; returns how many rows the first one changed."""
    counts = [conn.execute(statement, params).rowcount for statement in statements]
    return counts[0] if counts else 0


def new_review_rows(conn):
    """Review rows the consortium_backfill_review table does not hold yet, or holds no longer."""
    if not table_exists(conn, "consortium_backfill_review"):
        return conn.execute("SELECT count(*) FROM review").fetchone()[0]
    stale = conn.execute(f"SELECT count(*) FROM ({sql_text('c08_stale_review')})").fetchone()[0]
    return stale + conn.execute(
        "SELECT count(*) FROM review WHERE response_id NOT IN (SELECT response_id FROM consortium_backfill_review)"
    ).fetchone()[0]
