"""One backfill from start to end: find the runs, back up, write, report."""
import datetime
import json
import sqlite3
import time

from . import analysis, consortium_logs, report
from .changes import grouped_on_record
from .backup import make_backup
from .database import kill_after_statements, pending_migrations, read_through_memory_map
from .errors import Problem, database_error
from .names import known_names
from .paths import check_outputs
from .progress import QUIET
from .resume import SAMPLES, era_params, moved, starting_point
from .write import Written, new_review_rows, write

BACKUP_CHOICES = ("auto", "full", "none")


def cut_short(path, error, written, backup):
    """The error of a write that stopped after some of its transactions: what it left, and what next."""
    return Problem(
        f"{database_error(path, error).message}; {written.runs} runs were written whole before it stopped, "
        "run the backfill again to group the rest (or `undo` to revert them)"
        + (f"; backup: {backup}" if backup else "")
    )


def backfill(conn, columns, path, *, models_file, window, dry_run, backup="auto", backup_path=None,
             include_orphans=False, report_path=None, full=False, started=None, consortium_logs_path=None,
             progress=QUIET, accept=None, replace_foreign=False):
    """Group every run not grouped yet; return the summary (see report.print_summary).

    backup: "full" copies the whole file before writing; "none" does not;
    "auto" copies it while no backfill's groups are on record in the change
    log; after that, `undo` is the way back.
    """
    started = time.perf_counter() if started is None else started
    check_outputs(path, models_file, backup_path, report_path)
    clogs = consortium_logs.locate(consortium_logs_path, path)
    names = known_names(conn, models_file, clogs)
    if not names:
        raise Problem(
            "no consortium names (no consortium_configs table, or an empty one): pass --models-file; "
            "`consortium-backfill backfill --help` says how to write it from `llm consortium list`"
        )
    # An accepted run's rows, and foreign values to replace, lie anywhere before the mark: read them all.
    start = starting_point(conn, names, include_orphans, full or accept is not None or replace_foreign, clogs)
    if start.full:
        read_through_memory_map(conn)
    params = analysis.prepare(
        conn, columns, names, window, include_orphans, replace_foreign, start.after, start.latest_stamp
    )
    params.update(
        names=json.dumps(sorted(names)),
        consortium_logs=str(clogs.resolve()) if clogs else None,
        block_rows=analysis.TIMELINE_BLOCK,
        sample_count=SAMPLES,
    )
    params["hash_all_rows"] = params["hash_all_rows"] or accept is not None
    era = era_params(start)
    clogs_read = analysis.link_consortium_logs(conn, clogs, params, era)
    analysis.analyse(conn, params, progress, accept)
    if accept:
        accept.mark(conn)
    summary = analysis.summarise(conn, params)
    summary.update(
        consortium_logs=str(clogs) if clogs else None,
        # A re-run reads only the runs logged since the last backfill and those it left unlinked.
        consortium_logs_runs=clogs_read.runs,
        consortium_logs_runs_read=dict(
            kind="new and left unlinked" if era["resumed"] else "all", file_has_runs=bool(clogs_read.last_rowid)
        ),
    )
    replaced = sum(kind["rows"] for kind in summary["foreign_values"].values()) if replace_foreign else 0
    to_write = sum(summary["rows_by_role"].values()) + summary["runs_by_era"]["linked from consortium_logs.db"] + replaced
    # The record moves on with the last row read, even when no run was found.
    record = start.refresh or params["max_rid"] != start.recorded or moved(start.state or {}, params)
    made = None
    updated = changes = 0
    if not dry_run and (to_write or record or pending_migrations(conn) or new_review_rows(conn)):
        kill_after_statements(conn)
        # Once a backfill's groups are on record, `undo` is the exact way back
        # for the next ones: a full copy is made for the first (or on request),
        # not again on every run.
        if to_write and (backup == "full" or backup_path or (backup == "auto" and not grouped_on_record(conn))):
            made = make_backup(conn, path, backup_path, progress)
        written = Written()
        try:
            updated, changes = write(
                conn, params, datetime.datetime.now(datetime.timezone.utc).isoformat(),
                "accept" if accept else "backfill", written, progress,
            )
        except BaseException as error:
            if not written.transactions:
                # Nothing was written: a backup of the unchanged file is only clutter.
                if made:
                    made.unlink(missing_ok=True)
                raise
            if isinstance(error, sqlite3.OperationalError):
                raise cut_short(path, error, written, made)
            raise
    summary.update(
        database=str(path),
        dry_run=dry_run,
        replace_foreign=replace_foreign,
        rows_updated=updated,
        changes=changes,
        backup=str(made) if made else None,
        report=str(report_path) if report_path else None,
        include_orphans=include_orphans,
        models_file=str(models_file) if models_file else None,
        seconds=round(time.perf_counter() - started, 3),
    )
    summary["pass"] = dict(
        kind="full" if start.full else "incremental",
        reason="accept" if accept is not None and start.reason == "--full" else start.reason,
        new_after_rowid=params["start"],
        reread_after_rowid=params["read_from"],
        last_rowid=params["max_rid"],
    )
    if report_path:
        report.write_report(conn, report_path, summary)
    return summary
