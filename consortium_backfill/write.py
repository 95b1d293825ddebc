"""The write: every change of one backfill, with its run history and where it stopped, in one transaction."""
import re

from . import changes, foreign
from .database import history_tables, retried_transaction
from .functions import utils_db
from .sqlfiles import run_sql, schema, sql_text, statements


def fts_update_triggers(conn):
    """Triggers that re-index responses_fts on ANY update of a row.

    The backfill changes only columns the index does not hold, so these can
    rest for the length of the transaction without the index going stale.
    """
    return [
        (name, sql)
        for name, sql in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'responses'"
        )
        if re.search(r"\bAFTER\s+UPDATE\s+ON\b", sql, re.I) and "_fts" in sql
    ]


def write(conn, params, found_at, command="backfill"):
    """Every write of one backfill, in one transaction, tried again while others hold the lock."""
    return retried_transaction(conn, lambda: write_all(conn, params, found_at, command))


def write_all(conn, params, found_at, command):
    """The writes themselves, inside the transaction: (rows updated, changes)."""
    schema()["migrations"].apply(utils_db(conn))
    triggers = fts_update_triggers(conn)
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER [{name}]")
    backfill_id = changes.start(conn, command)
    params = dict(params, found_at=found_at)
    foreign.replace(conn, params)
    update, *review = statements(sql_text("update"))
    updated = conn.execute(update, params).rowcount
    for statement in review:
        conn.execute(statement, params)
    runs_table, members_table = history_tables(conn)
    run_sql(conn, "history", params, runs=runs_table, members=members_table)
    # Runs linked from consortium_logs.db: their output rows in responses first.
    update, *history = statements(sql_text("c08_write", runs=runs_table, members=members_table))
    updated += conn.execute(update, params).rowcount
    for statement in history:
        conn.execute(statement, params)
    run_sql(conn, "mark", params)
    recorded = changes.finish(conn, backfill_id)
    for _, sql in triggers:
        conn.execute(sql)
    return updated, recorded


def new_review_rows(conn):
    """Review rows the consortium_backfill_review table does not hold yet."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'consortium_backfill_review'").fetchone():
        return conn.execute("SELECT count(*) FROM review").fetchone()[0]
    return conn.execute(
        "SELECT count(*) FROM review WHERE response_id NOT IN (SELECT response_id FROM consortium_backfill_review)"
    ).fetchone()[0]
