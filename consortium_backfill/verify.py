"""verify: the invariants of a backfilled database, one `-- check:` of sql/verify.sql each."""
import click

from . import analysis, consortium_logs, formats
from .database import history_tables
from .functions import utils_db
from .accept import SOURCE as ACCEPTED
from .names import consortium_names, load_names
from .sqlfiles import checks, run_sql, sql_text


class NothingToVerify(Exception):
    """Not backfilled yet: passes, with the reason."""


def check(conn, columns, models_file, window, consortium_logs_path=None, path=None):
    """(counts by flag, linked runs, violations, foreign rows) of a backfilled database;
    raises NothingToVerify.

    counts: (is_arbiter_response, rows, runs) of grouped responses rows. Only
    the runs this tool recorded are checked; foreign rows: those holding a
    consortium_id it did not write.
    """
    if "consortium_id" not in columns:
        raise NothingToVerify("not backfilled yet (no consortium_id column): nothing to verify")
    run_sql(conn, "scratch")
    read_grouped_rows(conn)
    load_names(conn, consortium_names(conn, models_file))
    runs_table, members_table = history_tables(conn)
    linked = linked_runs(conn, runs_table)
    conn.executemany("INSERT INTO c08_done_runs (run_id) VALUES (?)", [(i,) for i in linked])
    if utils_db(conn)[runs_table].exists():
        conn.execute(
            f"INSERT INTO recorded_runs SELECT id, output_response_id, config_name,"
            f" EXISTS (SELECT 1 FROM [{members_table}] WHERE run_id = runs.id AND source = ?),"
            f" final_arbiter_response_id"
            f" FROM [{runs_table}] AS runs",
            [ACCEPTED],
        )
        conn.execute(
            "INSERT INTO nested_runs SELECT recorded_runs.id FROM recorded_runs"
            " JOIN responses AS final ON final.id = recorded_runs.final_arbiter_response_id"
            " WHERE final.consortium_id IS NOT recorded_runs.id"
        )
    counts = conn.execute(
        "SELECT is_arbiter_response, count(*), count(DISTINCT consortium_id) FROM grouped_rows"
        " WHERE consortium_id IN (SELECT id FROM recorded_runs) AND consortium_id NOT IN (SELECT run_id FROM c08_done_runs)"
        " GROUP BY 1 ORDER BY 1"
    ).fetchall()
    if not counts and not linked:
        raise NothingToVerify("no grouped rows yet: nothing to verify")
    foreign_rows = conn.execute(
        "SELECT count(*) FROM grouped_rows WHERE consortium_id NOT IN (SELECT id FROM recorded_runs)"
    ).fetchone()[0]
    params = dict(window_days=window / 86400, prefix_length=formats.PREFIX_LENGTH)
    run_sql(conn, "final_arbiters", params)
    violations = []
    for name, statement in checks(sql_text("verify")):
        for consortium_id, response_id, detail in conn.execute(statement, params):
            if consortium_id in linked:
                continue  # a linked run's output row: checked below
            violations.append((name, consortium_id, response_id, detail))
    if linked:
        violations += check_linked(conn, runs_table, consortium_logs_path, path)
    return counts, len(linked), violations, foreign_rows


def read_grouped_rows(conn):
    """Every grouped row's rowid, id and grouping into grouped_rows (sql/grouped_rows.sql),
    one rowid range at a time: no read of the whole table in one statement."""
    run_sql(conn, "grouped_rows")
    last = conn.execute("SELECT coalesce(max(rowid), 0) FROM responses").fetchone()[0]
    for low, high in analysis.row_ranges(0, last, analysis.ROWS_PER_READ):
        run_sql(conn, "grouped_rows_read", dict(low=low, high=high))


def linked_runs(conn, runs_table):
    """Ids of the runs linked from consortium_logs.db."""
    db = utils_db(conn)
    if not db[runs_table].exists() or "source" not in db[runs_table].columns_dict:
        return set()
    return {row[0] for row in conn.execute(f"SELECT id FROM [{runs_table}] WHERE source = 'consortium_logs.db'")}


def check_linked(conn, runs_table, option, path):
    """sql/c08_verify.sql over the linked runs, against consortium_logs.db when it is found."""
    clogs = consortium_logs.locate(option, path)
    if clogs is not None:
        consortium_logs.load(conn, clogs)
    turns = "SELECT NULL, NULL, NULL WHERE 0"
    if consortium_logs.turn_texts(conn):
        turns = (f"SELECT id, 'turns', response FROM turn_texts WHERE id IN"
                 f" (SELECT output_response_id FROM [{runs_table}] WHERE source = 'consortium_logs.db')")
    run_sql(conn, "c08_output_texts", runs=runs_table, turns=turns)
    violations = []
    for name, statement in checks(sql_text("c08_verify", runs=runs_table)):
        for run_id, response_id, detail in conn.execute(statement, {"have_file": clogs is not None}):
            violations.append((name, run_id, response_id, detail))
    return violations


def print_result(path, counts, linked, violations, foreign_rows=0):
    """Counts by flag, then each violation; returns the exit code, 1 on any violation."""
    runs = max((n for flag, _, n in counts), default=0)
    click.echo(f"{path}: {runs} runs recovered from prompts in logs.db, {linked} linked from consortium_logs.db")
    for flag, rows, _ in counts:
        click.echo(f"  is_arbiter_response = {flag}: {rows} rows")
    if foreign_rows:
        click.echo(
            f"  not checked: {foreign_rows} rows whose consortium_id this tool did not write"
            " (backfill --replace-foreign regroups them)"
        )
    for name, consortium_id, response_id, detail in violations:
        click.echo(f"VIOLATION {name}: run {consortium_id}" + (f" row {response_id}" if response_id else "") + f": {detail}")
    if violations:
        click.echo(f"{len(violations)} violations")
        return 1
    click.echo("OK: no violations")
    return 0
