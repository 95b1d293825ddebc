"""verify: the invariants of a backfilled database, one `-- check:` of sql/verify.sql each."""
import click

from . import formats
from .database import history_tables
from .functions import utils_db
from .names import consortium_names, load_names
from .sqlfiles import checks, run_sql, sql_text


class NothingToVerify(Exception):
    """Not backfilled yet: passes, with the reason."""


def check(conn, columns, models_file, window):
    """(counts by flag, violations) of a backfilled database; raises NothingToVerify."""
    if "consortium_id" not in columns:
        raise NothingToVerify("not backfilled yet (no consortium_id column): nothing to verify")
    run_sql(conn, "scratch")
    load_names(conn, consortium_names(conn, models_file))
    counts = conn.execute(
        "SELECT is_arbiter_response, count(*), count(DISTINCT consortium_id) FROM responses"
        " WHERE consortium_id IS NOT NULL GROUP BY 1 ORDER BY 1"
    ).fetchall()
    if not counts:
        raise NothingToVerify("no grouped rows yet: nothing to verify")
    runs_table, _ = history_tables(conn)
    if utils_db(conn)[runs_table].exists():
        conn.execute(f"INSERT INTO orphan_runs SELECT id FROM [{runs_table}] WHERE output_response_id IS NULL")
    params = dict(window_days=window / 86400, prefix_length=formats.PREFIX_LENGTH)
    violations = []
    for name, statement in checks(sql_text("verify")):
        for consortium_id, response_id, detail in conn.execute(statement, params):
            violations.append((name, consortium_id, response_id, detail))
    return counts, violations


def print_result(path, counts, violations):
    """Counts by flag, then each violation; returns the exit code, 1 on any violation."""
    runs = max(n for flag, _, n in counts)
    click.echo(f"{path}: {runs} runs")
    for flag, rows, _ in counts:
        click.echo(f"  is_arbiter_response = {flag}: {rows} rows")
    for name, consortium_id, response_id, detail in violations:
        click.echo(f"VIOLATION {name}: run {consortium_id}" + (f" row {response_id}" if response_id else "") + f": {detail}")
    if violations:
        click.echo(f"{len(violations)} violations")
        return 1
    click.echo("OK: no violations")
    return 0
