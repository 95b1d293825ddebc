"""What a backfill tells the user: the printed summary and the JSON report."""
import json
import sqlite3

import click

from .errors import Problem


def write_report(conn, path, summary):
    """The summary and every review row, as JSON."""
    conn.row_factory = sqlite3.Row
    rows = [dict(row) for row in conn.execute("SELECT * FROM review ORDER BY kind, response_id")]
    conn.row_factory = None
    for row in rows:
        row["evidence"] = json.loads(row["evidence"])
    try:
        path.write_text(json.dumps(dict(summary, review=rows), indent=2) + "\n")
    except OSError as error:
        done = "" if summary["dry_run"] else " (the backfill itself is written)"
        raise Problem(f"{path}: cannot write the report{done}: {error.strerror or error}")


def print_summary(summary):
    lines = [
        f"Database: {summary['database']}" + ("  (dry run: nothing written)" if summary["dry_run"] else ""),
        f"Consortium output rows not yet grouped: {summary['output_rows_found']}",
        f"Runs grouped: {summary['runs_grouped']}",
        f"Runs skipped: {sum(summary['runs_skipped'].values())}",
    ]
    lines += [f"  {reason}: {count}" for reason, count in summary["runs_skipped"].items()]
    roles = summary["rows_by_role"]
    verb = "Rows to update" if summary["dry_run"] else "Rows updated"
    if summary["orphan_runs_grouped"]:
        lines.append(f"Orphan runs grouped (--include-orphans): {summary['orphan_runs_grouped']}")
    lines.append(f"{verb}: {summary['rows_updated'] if not summary['dry_run'] else sum(roles.values())}")
    lines += [
        f"  final outputs (0): {roles['final_output']}",
        f"  members (0): {roles['member']}",
        f"  final arbiters (1): {roles['final_arbiter']}",
        f"  intermediate arbiters (2): {roles['intermediate_arbiter']}",
        f"Orphan arbiter rows (in no run): {summary['orphan_arbiter_rows']}",
    ]
    lines += consortium_logs_lines(summary)
    if summary["backup"]:
        lines.append(f"Backup: {summary['backup']}")
    lines.append(f"Time: {summary['seconds']:.2f} s")
    click.echo("\n".join(lines))


def consortium_logs_lines(summary):
    """Both eras side by side, and every consortium output row accounted for."""
    clogs = summary["consortium_logs"]
    eras = summary["runs_by_era"]
    rows = summary["consortium_output_rows"]
    lines = [
        f"consortium_logs.db: {clogs} ({summary['consortium_logs_runs']} runs"
        + (")" if summary["consortium_logs_runs"] else ": no consortium_runs, nothing to link to)")
        if clogs else "consortium_logs.db: none found (runs of llm-consortium 0.8+ cannot be linked)",
        "Runs by era:",
    ]
    lines += [f"  {era}: {count}" for era, count in eras.items()]
    lines += [f"    by {basis}: {count}" for basis, count in summary["runs_linked_by"].items()]
    lines.append(
        f"Consortium output rows: {rows['in_responses'] + rows['in_turns']} "
        f"({rows['in_responses']} in responses, {rows['in_turns']} in turns) = "
        f"{rows['already_grouped']} grouped before + {rows['grouped']} grouped now + "
        f"{rows['skipped']} skipped + {rows['for_review']} not linked, for review"
    )
    lines += [f"consortium_logs.db review ({kind}): {count}" for kind, count in summary["consortium_logs_review"].items()]
    return lines
