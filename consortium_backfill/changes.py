"""The change log behind `undo`: what each backfill changed, and putting it back.

While a backfill writes, TEMP triggers (they live in our connection only:
llm never sees them) copy every change to responses' two columns and to the
project's own tables into consortium_backfill_changes, in the same
transaction. A backfill writes in several transactions (write.py): each
continues the same entry of consortium_backfill_log, so that one `undo`
reverts all of it, also when it was cut short between two. `undo` replays
that record backwards: the two columns and the project's tables as they
were, every row logged since left alone.
"""
import datetime
import json

from .database import history_tables
from .errors import Problem
from .functions import table_exists
from .resume import STATE_TABLE

RESPONSES_TRIGGER = """
CREATE TEMP TRIGGER consortium_backfill_log_responses
AFTER UPDATE OF consortium_id, is_arbiter_response ON main.responses
BEGIN
    INSERT INTO consortium_backfill_changes (backfill_id, table_name, action, response_rowid, old, new)
    VALUES (
        {backfill_id}, 'responses', 'update', OLD.rowid,
        json_object('id', OLD.id, 'consortium_id', OLD.consortium_id, 'is_arbiter_response', OLD.is_arbiter_response),
        json_object('consortium_id', NEW.consortium_id, 'is_arbiter_response', NEW.is_arbiter_response)
    );
END
"""

ROW_TRIGGER = """
CREATE TEMP TRIGGER [consortium_backfill_log_{action}_{table}]
AFTER {event} ON main.[{table}]
BEGIN
    INSERT INTO consortium_backfill_changes (backfill_id, table_name, action, old, new)
    VALUES ({backfill_id}, '{table}', '{action}', {old}, {new});
END
"""


def project_tables(conn):
    """The tables whose changes a backfill records: its run history, the review rows and where it
    stopped (sql/mark.sql), so that after an undo the next backfill reads the undone rows again."""
    runs, members = history_tables(conn)
    return [runs, members, "consortium_backfill_review", STATE_TABLE]


def row_json(conn, table, alias):
    columns = [row[1] for row in conn.execute(f"PRAGMA main.table_info([{table}])")]
    return "json_object({})".format(", ".join(f"'{c}', {alias}.[{c}]" for c in columns))


def start(conn, command, backfill_id=None):
    """Inside a write transaction: the triggers that fill the log entry backfill_id,
    a new entry if there is none yet; returns its id."""
    if backfill_id is None or not conn.execute(
        "SELECT 1 FROM consortium_backfill_log WHERE id = ?", [backfill_id]
    ).fetchone():
        backfill_id = conn.execute(
            "INSERT INTO consortium_backfill_log (command, started_at) VALUES (?, ?)",
            [command, datetime.datetime.now(datetime.timezone.utc).isoformat()],
        ).lastrowid
    # Where this transaction's changes start, for finish() to count them alone
    # (TEMP: rolled back with the transaction, if it is).
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS changes_counted (backfill_id INTEGER PRIMARY KEY, after_id INTEGER)")
    conn.execute(
        "INSERT OR REPLACE INTO temp.changes_counted"
        " VALUES (?, (SELECT coalesce(max(id), 0) FROM consortium_backfill_changes))",
        [backfill_id],
    )
    conn.execute(RESPONSES_TRIGGER.format(backfill_id=backfill_id))
    for table in project_tables(conn):
        for action, event, old, new in (
            ("insert", "INSERT", "NULL", row_json(conn, table, "NEW")),
            ("delete", "DELETE", row_json(conn, table, "OLD"), "NULL"),
            ("update", "UPDATE", row_json(conn, table, "OLD"), row_json(conn, table, "NEW")),
        ):
            conn.execute(ROW_TRIGGER.format(
                action=action, event=event, table=table, backfill_id=backfill_id, old=old, new=new))
    return backfill_id


def finish(conn, backfill_id):
    """At the end of each write transaction: drop the triggers; returns how many changes
    the entry holds so far, its count kept up to date for `history` (where the backfill
    stopped aside: it is recorded, for undo, only with other changes)."""
    for (name,) in conn.execute(
        "SELECT name FROM temp.sqlite_master WHERE type = 'trigger' AND name LIKE 'consortium_backfill_log_%'"
    ).fetchall():
        conn.execute(f"DROP TRIGGER temp.[{name}]")
    # This transaction's changes, added to those of the ones before: a count of
    # every change of the backfill at each of its transactions grew with their square.
    count = conn.execute(
        "SELECT coalesce((SELECT rows_changed FROM consortium_backfill_log WHERE id = :id), 0) + count(*)"
        " FROM consortium_backfill_changes"
        " WHERE id > (SELECT after_id FROM temp.changes_counted WHERE backfill_id = :id)"
        " AND backfill_id = :id AND table_name != :state",
        dict(id=backfill_id, state=STATE_TABLE),
    ).fetchone()[0]
    if count:
        conn.execute("UPDATE consortium_backfill_log SET rows_changed = ? WHERE id = ?", [count, backfill_id])
    else:
        # Nothing changed but where it stopped: nothing to undo, no entry in the history.
        conn.execute("DELETE FROM consortium_backfill_changes WHERE backfill_id = ?", [backfill_id])
        conn.execute("DELETE FROM consortium_backfill_log WHERE id = ?", [backfill_id])
    return count


def history(conn):
    """[(id, command, started_at, rows_changed, undone_at)], oldest first."""
    if not table_exists(conn, "consortium_backfill_log"):
        return []
    return conn.execute(
        "SELECT id, command, started_at, rows_changed, undone_at FROM consortium_backfill_log ORDER BY id"
    ).fetchall()


def grouped_on_record(conn):
    """Whether a backfill not undone yet grouped rows, with its changes on record for undo."""
    if not history(conn):
        return False
    return conn.execute(
        "SELECT 1 FROM consortium_backfill_log AS log WHERE undone_at IS NULL AND EXISTS ("
        " SELECT 1 FROM consortium_backfill_changes AS change"
        " WHERE change.backfill_id = log.id AND change.table_name = 'responses')"
    ).fetchone() is not None


def history_text(path, entries):
    """What `history` prints: one line a backfill."""
    if not entries:
        return f"{path}: no backfill recorded"
    return "\n".join(
        f"{backfill_id}  {started_at}  {command}: {rows_changed} changes  "
        f"({f'undone {undone_at}' if undone_at else 'can be undone'})"
        for backfill_id, command, started_at, rows_changed, undone_at in entries
    )


def choose(conn, which):
    """The backfill to undo: the latest not undone, or the one named by id or start time."""
    entries = [entry for entry in history(conn) if entry[4] is None]
    if not entries:
        raise Problem("nothing to undo: no backfill recorded its changes in this database")
    if which is None:
        return entries[-1][0]
    named = [e for e in entries if str(e[0]) == which or e[2].startswith(which)]
    if len(named) != 1:
        raise Problem(f"{which}: {'no' if not named else 'more than one'} backfill to undo with that id or time "
                      "(`history` lists them)")
    later = [str(e[0]) for e in entries if e[0] > named[0][0]]
    if later:
        raise Problem(f"undo the later backfills first: {', '.join(later)}")
    return named[0][0]


def undo(conn, backfill_id, keys, low, high):
    """Replay backfill_id's changes with ids in [low, high] backwards, in the caller's
    transaction, and drop them from the record: what is left on record is what is
    still to put back, for an undo cut short to finish. Returns (restored, left alone).

    keys: {table: [primary key columns]} of the project's tables.
    """
    restored = left = 0
    changes = conn.execute(
        "SELECT table_name, action, response_rowid, old, new FROM consortium_backfill_changes"
        " WHERE backfill_id = ? AND id BETWEEN ? AND ? ORDER BY id DESC",
        [backfill_id, low, high],
    ).fetchall()
    for table, action, rowid, old, new in changes:
        old, new = json.loads(old) if old else None, json.loads(new) if new else None
        if table == "responses":
            # Only a row still as the backfill left it: a change made since is kept.
            cursor = conn.execute(
                "UPDATE responses SET consortium_id = :consortium_id, is_arbiter_response = :is_arbiter_response"
                " WHERE rowid = :rowid AND id IS :id AND consortium_id IS :new_id AND is_arbiter_response IS :new_flag",
                dict(old, rowid=rowid, new_id=new["consortium_id"], new_flag=new["is_arbiter_response"]),
            )
            restored += cursor.rowcount
            left += 1 - cursor.rowcount
        elif action == "insert":
            where = " AND ".join(f"[{k}] IS :{k}" for k in keys[table])
            conn.execute(f"DELETE FROM [{table}] WHERE {where}", {k: new[k] for k in keys[table]})
        elif action == "update":
            where = " AND ".join(f"[{k}] IS :new_{k}" for k in keys[table])
            columns = ", ".join(f"[{c}] = :{c}" for c in old)
            conn.execute(
                f"UPDATE [{table}] SET {columns} WHERE {where}", dict(old, **{f"new_{k}": new[k] for k in keys[table]})
            )
        else:
            columns = ", ".join(f"[{c}]" for c in old)
            marks = ", ".join(f":{c}" for c in old)
            conn.execute(f"INSERT OR IGNORE INTO [{table}] ({columns}) VALUES ({marks})", old)
    conn.execute(
        "DELETE FROM consortium_backfill_changes WHERE backfill_id = ? AND id BETWEEN ? AND ?",
        [backfill_id, low, high],
    )
    return restored, left


def mark_undone(conn, backfill_id):
    """The history's entry says the backfill is undone (its line stays, with its count of changes)."""
    conn.execute(
        "UPDATE consortium_backfill_log SET undone_at = ? WHERE id = ?",
        [datetime.datetime.now(datetime.timezone.utc).isoformat(), backfill_id],
    )
