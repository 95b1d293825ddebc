"""undo: put back what one backfill changed, from its record in consortium_backfill_changes.

A large backfill recorded many changes: putting them all back in one
transaction would hold the write lock for as long, and a running llm gives
up after 5 s. So undo, like the write, commits in short transactions of
whole runs, paced as the write is (write.Paced). Each transaction drops from
the record the changes it put back: an undo cut short leaves whole runs
restored and the rest on record, and the next `undo` finishes the job,
leaving the database as one uninterrupted undo would.
"""
from . import changes
from .database import history_tables, kill_after_statements
from .functions import utils_db
from .sqlfiles import sql_text
from .write import Paced, fts_update_triggers_resting

# Change ids per read of the record: each read is short, whatever its size.
READ_IDS = 20000


def undo(conn, which=None):
    """Undo the latest backfill not undone yet, or the one named by id or start time.

    Returns (backfill id, rows of responses restored, rows left as they are now
    because something changed them since).
    """
    backfill_id = changes.choose(conn, which)
    db = utils_db(conn)
    keys = {table: db[table].pks for table in changes.project_tables(conn)}
    kill_after_statements(conn)
    paced = Paced()
    restored = left = 0
    for low, high, last in chunks(segments(conn, backfill_id), paced.size):

        def work():
            with fts_update_triggers_resting(conn):
                counts = changes.undo(conn, backfill_id, keys, low, high)
                if last:
                    changes.mark_undone(conn, backfill_id)
            return counts

        chunk_restored, chunk_left = paced.transaction(conn, work)
        restored += chunk_restored
        left += chunk_left
    return backfill_id, restored, left


def segments(conn, backfill_id):
    """[(first id, last id, changes)] of the changes on record for backfill_id, last ones
    first: each holds every change of the runs it touches, so that a transaction of whole
    segments restores whole runs.

    The runs one write transaction wrote have their changes interleaved in the
    record (each statement writes all of them), so their spans overlap and make
    one segment: an inner run with its outer run, an accepted run with its
    review row, as they were written.
    """
    runs, members = history_tables(conn)
    first, last = conn.execute(
        "SELECT min(id), max(id) FROM consortium_backfill_changes WHERE backfill_id = ?", [backfill_id]
    ).fetchone()
    if first is None:
        return []
    spans = {}  # run (or a change of no run) -> [first id, last id, changes]
    select = sql_text("undo_units")
    for low in range(first - 1, last, READ_IDS):
        rows = conn.execute(select, dict(
            backfill_id=backfill_id, low=low, high=low + READ_IDS, runs=runs, members=members)).fetchall()
        for change_id, run_id in rows:
            span = spans.setdefault(run_id if run_id is not None else ("change", change_id), [change_id, change_id, 0])
            span[1], span[2] = change_id, span[2] + 1
    merged = []
    for low, high, count in sorted(spans.values()):
        if merged and low <= merged[-1][1]:
            merged[-1] = [merged[-1][0], max(high, merged[-1][1]), merged[-1][2] + count]
        else:
            merged.append([low, high, count])
    return [tuple(segment) for segment in reversed(merged)]


def chunks(all_segments, size):
    """(first id, last id, last chunk) of consecutive segments, last ones first, each chunk of
    about size() changes (asked again for each); one empty chunk when nothing is on record."""
    if not all_segments:
        yield 0, 0, True
        return
    count = 0
    for index, (low, high, changed) in enumerate(all_segments):
        if not count:
            top = high
        count += changed
        last = index + 1 == len(all_segments)
        if count >= size() or last:
            yield low, top, last
            count = 0
