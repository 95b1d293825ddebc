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

from . import consortium_logs as clogs
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
    state: the last backfill's record, if any (a full pass reads it only to tell whether it moves on).
    """

    after: int
    reason: str = None
    recorded: int = None
    refresh: bool = False
    latest_stamp: str = None
    state: dict = None

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
    start = functools.partial(Start, recorded=last, refresh=True, state=state)
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
    stale = changed_behind_our_back(conn, state) or turns_changed(conn, state)
    if stale:
        return start(0, f"the database changed since the last backfill: {stale}")
    stale = consortium_logs is not None and clogs.changed_behind_our_back(conn, consortium_logs, state)
    if stale:
        return start(0, f"{consortium_logs} changed since the last backfill: {stale}")
    return start(last, refresh=False, latest_stamp=state["latest_id_time"])


def turns_changed(conn, state):
    """What in llm's turns no longer matches the last backfill's record of them, or None."""
    if not state.get("turns_last_rowid"):
        return None
    if not table_exists(conn, "turns"):
        return "its turns table is gone"
    return clogs.sampled_change(conn, "main.turns", clogs.TURN_CONTENT, state["turns_last_rowid"],
                                state["turns_last_id"], state["turns_samples"])


def era_params(start):
    """Where this backfill starts in llm's turns and in consortium_logs.db: after what the
    last one read there (its runs left unlinked read again), or from the top."""
    state = start.state if start is not None and start.state and not start.full else {}
    pending = json.loads(state.get("clogs_pending") or "{}")
    return dict(
        resumed=bool(state),
        runs_after=state.get("clogs_last_rowid") or 0,
        # Every call of a run not read yet lies after the last one read; a run left unlinked, after its own mark.
        calls_from=min([state.get("clogs_calls_rowid") or 0, *pending.values()]),
        pending=json.dumps(pending),
        first_created=state.get("clogs_first_created"),
        turns_after=state.get("turns_last_rowid") or 0,
    )


def moved(state, params):
    """Whether what this backfill read in llm's turns and consortium_logs.db moves the record on."""
    return any(state.get(key) != params.get(key) for key in ERA_KEYS)


# The record's columns for llm's turns and consortium_logs.db (sql/mark.sql).
ERA_KEYS = (
    "clogs_last_rowid", "clogs_last_id", "clogs_samples", "clogs_calls_rowid", "clogs_pending",
    "clogs_first_created", "turns_last_rowid", "turns_last_id", "turns_samples",
)


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
