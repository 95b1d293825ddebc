"""Group llm-consortium runs in llm's logs.db: fill consortium_id and is_arbiter_response.

The command line: `consortium-backfill` and `llm consortium-backfill` once
installed, `python backfill.py` from a clone. The work is done in SQL, one
file per phase in sql/, driven by this package: each command here opens the
database and calls the module named after what it does.
"""
import pathlib
import shlex
import sys
import time

import click

# What a backfill needs; each other command imports its own module when it
# runs, so that a re-run, often a fraction of a second, does not pay for them
# at start-up.
from consortium_backfill import changes, run
from consortium_backfill.database import connection, migrate as apply_migrations, resolve_database
from consortium_backfill.progress import Progress
from consortium_backfill.report import print_summary
from consortium_backfill.options import (
    busy_option, consortium_logs_option, database_option, models_option, parse_window, window_option,
)


def command_name():
    """How the user called this tool, for the next commands the summary suggests, so
    that they work as printed: consortium-backfill, llm consortium-backfill, or this
    file run by this Python (.venv/bin/python backfill.py)."""
    path = click.get_current_context().find_root().command_path
    if not path.endswith(".py"):
        return path
    python = pathlib.Path(sys.executable)
    if python.is_relative_to(pathlib.Path.cwd()):
        python = python.relative_to(pathlib.Path.cwd())
    return f"{shlex.quote(str(python))} {shlex.quote(sys.argv[0])}"


@click.group()
@click.version_option("0.1", prog_name="consortium-backfill")
def cli():
    """Group llm-consortium runs in llm's logs.db.

    Adds and fills responses.consortium_id (one KSUID per run) and
    responses.is_arbiter_response (0 member or final output, 1 final
    arbiter, 2 intermediate arbiter).
    """


@cli.command()
@database_option
@models_option
@window_option
@click.option("--dry-run", is_flag=True, help="Find runs and print the summary; write nothing, make no backup")
@click.option(
    "--backup",
    type=click.Choice(run.BACKUP_CHOICES),
    default="auto",
    show_default=True,
    help="full: copy the whole file before writing; none: no copy; auto: a full copy before the first backfill "
    "of a database only (a later one changes only the rows of new runs)",
)
@click.option("--no-backup", is_flag=True, help="Same as --backup none")
@click.option(
    "--backup-path",
    type=click.Path(dir_okay=False, path_type=pathlib.Path),
    help="Where to write the backup (default: beside the database, logs.backup-DATE.db)",
)
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=pathlib.Path),
    help="Write a JSON report here: summary, skipped runs and orphan arbiter rows",
)
@click.option(
    "--include-orphans",
    is_flag=True,
    help="Also group arbiter chains that have no output row (llm consortium run, failed runs)",
)
@click.option(
    "--replace-foreign",
    is_flag=True,
    help="Regroup rows whose consortium_id or flag this tool did not write (earlier scripts' values); "
    "`undo` puts the old values back",
)
@click.option(
    "--full",
    is_flag=True,
    help="Read every row again, not only those logged since the last backfill (same result, slower)",
)
@consortium_logs_option
@busy_option
@click.option(
    "-q", "--quiet", is_flag=True,
    help="Print nothing but errors: no progress, no summary (the exit code and --report tell the rest)",
)
def backfill(database, models_file, window, dry_run, backup, no_backup, backup_path, report, include_orphans,
             replace_foreign, full, consortium_logs_path, busy_timeout, quiet):
    """Find consortium runs and fill consortium_id and is_arbiter_response.

    Rows that already have a consortium_id are never changed: run it again
    after new runs are logged and it reads only the rows logged since (plus
    the window before them), unless the database changed behind its back.
    Values this tool did not write are counted and left alone, unless --replace-foreign.

    \b
    Examples:
        consortium-backfill backfill -d logs.db --models-file consortium_models.txt
        consortium-backfill backfill --dry-run --report review.json

    Consortium names come from the consortium_configs table, if the
    database has one, plus --models-file. To write consortium_models.txt
    from what llm-consortium lists (0.3 prints "- NAME", 0.4 and 0.5
    "Consortium: NAME", later versions "Name: NAME"):

    \b
        llm consortium list | sed -n -E 's/^(- |Consortium: |Name: )//p' > consortium_models.txt

    A consortium deleted since is in no list: add its name by hand (the
    model column of its output rows).
    """
    started = time.perf_counter()
    path = resolve_database(database, quiet)
    window_seconds = parse_window(window)
    with connection(path, busy_timeout, write=not dry_run) as (conn, columns):
        summary = run.backfill(
            conn, columns, path, models_file=models_file, window=window_seconds, dry_run=dry_run,
            backup="none" if no_backup else backup, backup_path=backup_path, include_orphans=include_orphans,
            consortium_logs_path=consortium_logs_path, replace_foreign=replace_foreign,
            report_path=report, full=full, started=started, progress=Progress.for_stderr(quiet),
        )
    if not quiet:
        print_summary(summary, command_name())


@cli.command()
@database_option
@models_option
@window_option
@consortium_logs_option
@busy_option
def verify(database, models_file, window, consortium_logs_path, busy_timeout):
    """Check the invariants of a backfilled database; exit 1 on any violation.

    \b
    Example:
        consortium-backfill verify -d logs.db
    """
    from consortium_backfill import verify as verifying

    path = resolve_database(database)
    with connection(path, busy_timeout, write=False) as (conn, columns):
        try:
            counts, linked, violations, foreign_rows = verifying.check(
                conn, columns, models_file, parse_window(window), consortium_logs_path, path
            )
        except verifying.NothingToVerify as nothing:
            click.echo(f"{path}: {nothing}")
            return
    sys.exit(verifying.print_result(path, counts, linked, violations, foreign_rows))


@cli.command()
@click.argument("row_id")
@database_option
@models_option
@window_option
@consortium_logs_option
@busy_option
def explain(row_id, database, models_file, window, consortium_logs_path, busy_timeout):
    """Say why a row (of responses, or llm's turns) is in its run, or why it is in none.

    \b
    Example:
        consortium-backfill explain 01js7b0tssvh37tcgs21n4qeka -d logs.db
    """
    from consortium_backfill import explain as explaining

    path = resolve_database(database)
    with connection(path, busy_timeout, write=False) as (conn, columns):
        click.echo(explaining.explain(
            conn, columns, path, row_id, models_file, parse_window(window), consortium_logs_path
        ))


@cli.command()
@database_option
@busy_option
def migrate(database, busy_timeout):
    """Add the consortium columns and the project's tables, if missing.

    The same migrations run at the start of every backfill; this applies
    them alone. `sqlite-utils migrate logs.db migrations/` does the same.
    """
    path = resolve_database(database)
    with connection(path, busy_timeout, write=True) as (conn, _):
        pending = apply_migrations(conn)
    click.echo(f"{path}: applied {', '.join(pending)}" if pending else f"{path}: already up to date")


@cli.command()
@click.argument("output_id")
@click.option("--arbiter", "arbiter_id", help="The run's final arbiter row (default: the likely one its review row names)")
@database_option
@models_option
@window_option
@consortium_logs_option
@busy_option
def accept(output_id, arbiter_id, database, models_file, window, consortium_logs_path, busy_timeout):
    """Group a run skipped for review, with its likely final arbiter or --arbiter ID.

    Its rows are matched as any run's; its final arbiter is recorded as
    confirmed by hand. Like a backfill, it also groups any other new run,
    and `undo` reverts it.

    \b
    Example:
        python backfill.py accept 01js7b0tssvh37tcgs21n4qeka -d logs.db
    """
    from consortium_backfill.accept import Acceptance

    path = resolve_database(database)
    with connection(path, busy_timeout, write=True) as (conn, columns):
        summary = run.backfill(
            conn, columns, path, models_file=models_file, window=parse_window(window), dry_run=False,
            backup="none", backup_path=None, include_orphans=False, report_path=None,
            consortium_logs_path=consortium_logs_path, accept=Acceptance(output_id, arbiter_id),
        )
    print_summary(summary, command_name())


@cli.command()
@database_option
@busy_option
def history(database, busy_timeout):
    """List the backfills recorded in the database, for `undo`.

    \b
    Example:
        python backfill.py history -d logs.db
    """
    path = resolve_database(database)
    with connection(path, busy_timeout, write=False) as (conn, _):
        click.echo(changes.history_text(path, changes.history(conn)))


@cli.command()
@click.argument("backfill_id", required=False)
@database_option
@busy_option
def undo(backfill_id, database, busy_timeout):
    """Undo the latest backfill, or the one named by its id or time (see `history`).

    Restores consortium_id, is_arbiter_response and the project's own tables
    exactly as they were before it, and keeps every row logged since.

    \b
    Examples:
        python backfill.py undo -d logs.db
        python backfill.py undo 3 -d logs.db
    """
    from consortium_backfill import undo as undoing

    path = resolve_database(database)
    with connection(path, busy_timeout, write=True) as (conn, _):
        undone, restored, left = undoing.undo(conn, backfill_id)
    click.echo(f"{path}: backfill {undone} undone: {restored} rows restored")
    if left:
        click.echo(f"  {left} rows changed since by something else were left as they are")


@cli.command(context_settings=dict(ignore_unknown_options=True))
@database_option
@click.argument("datasette_args", nargs=-1, type=click.UNPROCESSED)
def browse(database, datasette_args):
    """Open the runs in Datasette: every id links to its run or its row.

    Pages: Consortiums, Runs, one run's rows in log order, a run's rows by
    iteration, and the review of skipped runs and arbiter rows in no run.
    Arguments after the options go to `datasette serve`.

    \b
    Examples:
        consortium-backfill browse -d logs.db
        consortium-backfill browse -d logs.db --port 8002 --open
    """
    from consortium_backfill import browse as browsing

    browsing.check_installed()
    path = resolve_database(database)
    with connection(path, 5, write=False) as (conn, _):
        runs_table, members_table = browsing.tables(conn, path)
    browsing.serve(path, runs_table, members_table, datasette_args)


if __name__ == "__main__":
    cli()
