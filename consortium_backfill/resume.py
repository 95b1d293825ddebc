"""Where a backfill starts: after the last row the previous one examined, or from the top, and why.

The previous backfill recorded its last row and a few fingerprints in
consortium_backfill_state (sql/mark.sql). A later one reads only the rows
logged since, unless the database changed behind the tool's back in a way
that would make the earlier findings stale: then it reads everything again,
and says why.
"""
import dataclasses
import functools
import json

from .functions import table_exists
from .sqlfiles import sql_text

STATE_TABLE = "consortium_backfill_state"
# Rows spread over the file whose rowid, id, grouping and content a re-run
# checks (sql/mark.sql, sql/resume.sql): each costs one rowid seek, and a
# file of up to this many rows is checked row by row.
SAMPLES = 64


@dataclasses.dataclass
class Start:
    """Where a backfill starts.

    after: rows with a rowid above this are new (0: a full pass).
    reason: why a full pass. recorded: the last rowid the record holds.
    refresh: the record no longer holds, write it again even if no row is new.
    latest_stamp: the latest id time of the rows up to `after` (sql/order.sql).
    """

    after: int
    reason: str = None
    recorded: int = None
    refresh: bool = False
    latest_stamp: str = None

    @property
    def full(self):
        return self.after == 0


def recorded_state(conn):
    """The last backfill's record as a dict, or None if this database has none."""
    if not table_exists(conn, STATE_TABLE):
        return None
    cursor = conn.execute(f"SELECT * FROM [{STATE_TABLE}] WHERE id = 1")
    row = cursor.fetchone()
    return dict(zip([c[0] for c in cursor.description], row)) if row else None


def starting_point(conn, names, include_orphans, full=False, consortium_logs=None):
    """The Start of this backfill: incremental when the record still describes the database.

    consortium_logs: the consortium_logs.db this backfill reads, if any.
    """
    state = recorded_state(conn)
    if state is None:
        return Start(0, "first backfill of this database", refresh=True)
    last = state["last_rowid"]
    start = functools.partial(Start, recorded=last, refresh=True)
    if full:
        return start(0, "--full", refresh=False)
    added = sorted(set(names) - set(json.loads(state["names"] or "[]")))
    if added:
        return start(0, f"consortium names added since the last backfill: {', '.join(added)}")
    if include_orphans and not state["include_orphans"]:
        return start(0, "--include-orphans, which the last backfill did not use")
    if consortium_logs is not None and str(consortium_logs.resolve()) != state["consortium_logs"]:
        return start(0, f"{consortium_logs}, which the last backfill did not read")
    if state["samples"] is None:
        return start(0, "the last backfill's record was written by an earlier version")
    stale = changed_behind_our_back(conn, state)
    if stale:
        return start(0, f"the database changed since the last backfill: {stale}")
    return start(last, refresh=False, latest_stamp=state["latest_id_time"])


def changed_behind_our_back(conn, state):
    """What no longer matches the last backfill's record, or None."""
    max_rowid, id_at_last, changed_rowid, change = conn.execute(sql_text("resume")).fetchone()
    last = state["last_rowid"]
    if max_rowid < last:
        return f"its last row is rowid {max_rowid}, the last backfill read up to rowid {last}: rows were deleted"
    if id_at_last != state["last_id"]:
        return f"the row at rowid {last} is not the one the last backfill read: rows were deleted or renumbered (VACUUM)"
    if change:
        return f"the row at rowid {changed_rowid} is not as the last backfill left it: {change}"
    return None
