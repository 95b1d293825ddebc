"""undo: put back what one backfill changed, from its record in consortium_backfill_changes."""
from . import changes
from .database import retried_transaction
from .functions import utils_db
from .write import fts_update_triggers


def undo(conn, which=None):
    """Undo the latest backfill not undone yet, or the one named by id or start time.

    Returns (backfill id, rows of responses restored, rows left as they are now
    because something changed them since).
    """
    backfill_id = changes.choose(conn, which)
    db = utils_db(conn)
    keys = {table: db[table].pks for table in changes.project_tables(conn)}

    def work():
        triggers = fts_update_triggers(conn)
        for name, _ in triggers:
            conn.execute(f"DROP TRIGGER [{name}]")
        restored, left = changes.undo(conn, backfill_id, keys)
        for _, sql in triggers:
            conn.execute(sql)
        return restored, left

    restored, left = retried_transaction(conn, work)
    return backfill_id, restored, left
