"""Values this tool did not write: found, counted by kind, and with --replace-foreign replaced.

A consortium_id is ours when consortium_members records it for that row;
any other value in the two columns was left by something else (the user's
earlier scripts, a LIKE query). By default such rows are never touched: they
read as grouped already. --replace-foreign reads them as not grouped yet and,
in the backfill's own transaction, clears them; the change log keeps every
old value, so that undo puts them back exactly.
"""
from .database import history_tables
from .functions import utils_db
from .sqlfiles import run_sql

KINDS = {
    "model_name": "consortium model names",
    "hex40": "40-hex ids",
    "blank": "blank strings",
    "other": "other values",
    "flag_only": "is_arbiter_response set on a row with no consortium_id",
}


def flag_default(conn):
    """The SQL literal of is_arbiter_response's declared default: what a never-grouped row holds."""
    for column in conn.execute("PRAGMA main.table_info(responses)"):
        if column[1] == "is_arbiter_response":
            return column[4] if column[4] is not None else "NULL"
    return "NULL"


def ours(conn):
    """SQL, true for a responses row whose consortium_id this tool recorded."""
    _, members = history_tables(conn)
    if not utils_db(conn)[members].exists():
        return "0"
    return (
        f"EXISTS (SELECT 1 FROM main.[{members}] AS ours"
        " WHERE ours.response_id = responses.id AND ours.run_id = responses.consortium_id)"
    )


def logged_column(columns, replace):
    """The logged view's consortium_id: NULL for a row to group, anything else for one to leave."""
    if "consortium_id" not in columns:
        return "NULL"
    foreign = "NULL" if replace else "coalesce(consortium_id, 'foreign')"
    return f"CASE WHEN rowid IN (SELECT rid FROM foreign_values) THEN {foreign} ELSE consortium_id END"


def finder(conn, columns):
    """find(low, high): into the temp table foreign_values, those of one rowid range
    (nothing to find without the consortium_id column). name_kinds() once they are all found."""
    if "consortium_id" not in columns:
        return lambda low, high: None
    has_flag = "is_arbiter_response" in columns
    fill = dict(
        ours=ours(conn),
        flag="is_arbiter_response" if has_flag else "NULL",
        flag_default=flag_default(conn) if has_flag else "NULL",
    )
    return lambda low, high: run_sql(conn, "foreign", dict(low=low, high=high), **fill)


def name_kinds(conn):
    """Tell model names from other values among those found (sql/foreign_kinds.sql)."""
    if conn.execute("SELECT 1 FROM foreign_values WHERE kind = 'other' LIMIT 1").fetchone():
        run_sql(conn, "foreign_kinds")


def counts(conn):
    """{kind: {"rows": n, "example": {id, consortium_id, is_arbiter_response}}}, kinds in KINDS order."""
    found = {}
    for kind, rows, row_id, consortium_id, flag, _ in conn.execute(
        # min(rid): SQLite takes the other columns from that row, the first of its kind.
        "SELECT kind, count(*), id, consortium_id, is_arbiter_response, min(rid) FROM foreign_values GROUP BY kind"
    ):
        found[kind] = {"rows": rows, "example": {"id": row_id, "consortium_id": consortium_id,
                                                  "is_arbiter_response": flag}}
    return {kind: found[kind] for kind in KINDS if kind in found}


def replace(conn, params):
    """Inside the write transaction, the change log started: with --replace-foreign,
    clear every foreign value."""
    run_sql(conn, "replace_foreign", params, flag_default=flag_default(conn))
